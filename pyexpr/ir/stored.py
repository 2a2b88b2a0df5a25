"""Programs and LoopPrograms as JSON data, and back, every field checked.

The disk cache's formula entries (``pyexpr.startup``) hold a formula's
``Program`` (``program_state``) or ``LoopProgram`` (``loop_state``) so that a
later process calls it without sympy.  The entry's checksum says only that
it is the one written under its key; reading it back (``program_from``,
``loop_from``) checks each field's type and range as the code generators
assume them (integers that are integers, indices inside the tables they
index, a divisor that is positive), every body with ``Program.check``, and
the result's digest against the one written: anything else raises
``ValueError``/``AssertionError`` and the front end reads the source again.
Floats travel as their hex text, exactly (inf, nan and -0.0 too).
"""
import json
import keyword

from .. import digest
from .loops import REDUCING, Bound, Load, LoopProgram, Stage
from .program import Instr, Program

STAGE_KINDS = ("sum", "prod", "elements", "scalar", "cells", "max", "min")
#: an entry's outputs, components and data: no more (a formula that large is read from source)
MAX_SIZE = 1 << 20


def identifier(name):
    """Whether ``name`` is a Python identifier (names reach generated code)."""
    return isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)


def number(value):
    """JSON for a number, exactly: a float as its hex text."""
    if isinstance(value, float):
        return {"float": value.hex()}
    return value


def unnumber(value):
    if isinstance(value, dict):
        return float.fromhex(text(value["float"]))
    return value


def program_state(program):
    return {"name": program.name, "arg_names": list(program.arg_names),
            "instrs": [[i.op, list(i.args), number(i.attr)] for i in program.instrs],
            "outputs": list(program.outputs), "key": program.key()}


def program_from(p, arg_names=None):
    """The Program of ``program_state``'s ``p``, checked (its arguments ``arg_names``
    where given)."""
    program = Program(text(p["name"]), tuple(map(text, p["arg_names"])),
                      tuple(Instr(text(op), tuple(map(integer, args)), unnumber(attr))
                            for op, args, attr in p["instrs"]),
                      tuple(map(integer, p["outputs"]))).check()
    if program.key() != p["key"] or arg_names is not None and program.arg_names != tuple(arg_names):
        raise ValueError("the Program does not match its entry")
    return program


# --- LoopProgram --------------------------------------------------------------------
def loop_state(lp):
    """The JSON of ``lp``, with a digest of all of it (``key``)."""
    state = {"name": lp.name, "scalar_names": list(lp.scalar_names), "vector_names": list(lp.vector_names),
             "stages": [_stage_state(s) for s in lp.stages], "n_outputs": lp.n_outputs,
             "length_vectors": list(lp.length_vectors), "minimum": [list(m) for m in lp.minimum],
             "rows": _optional(_bound_state, lp.rows), "slots": [list(s) for s in lp.slots],
             "temps": [_bound_state(t) for t in lp.temps], "cols": _optional(_bound_state, lp.cols),
             "temp_dims": list(lp.temp_dims)}
    return {**state, "key": digest.new(json.dumps(state, sort_keys=True).encode()).hexdigest()}


def loop_from(state, scalar_names, vector_names):
    """The LoopProgram of ``loop_state``'s ``state``, checked, whose scalars and vectors
    are ``scalar_names`` and ``vector_names``."""
    lp = LoopProgram(
        text(state["name"]), tuple(map(text, state["scalar_names"])), tuple(map(text, state["vector_names"])),
        tuple(_stage_from(s) for s in state["stages"]), integer(state["n_outputs"]),
        tuple(map(integer, state["length_vectors"])), tuple(_pair(m) for m in state["minimum"]),
        _optional(_bound_from, state["rows"]), tuple(tuple(map(integer, s)) for s in state["slots"]),
        tuple(map(_bound_from, state["temps"])), _optional(_bound_from, state["cols"]),
        tuple(map(integer, state["temp_dims"])))
    if (lp.scalar_names, lp.vector_names) != (tuple(scalar_names), tuple(vector_names)):
        raise ValueError("the LoopProgram's arguments are not the formula's")
    _check_loops(lp)
    if loop_state(lp)["key"] != state["key"]:            # (every field, as read back)
        raise ValueError("the LoopProgram does not match its entry")
    return lp


def _check_loops(lp):
    """Indices inside the tables they index (each vector, slot, temporary and known
    scalar a stage names exists), and stages that write what the output is: numbers
    (``"scalar"``, ``n_outputs`` of them) or rows (``"elements"``, ``"cells"``)."""
    if len(lp.slots) not in (0, len(lp.vector_names)) or not all(d in (1, 2) for d in lp.temp_dims) \
            or lp.temp_dims and sum(lp.temp_dims) != len(lp.temps) or lp.n_outputs < 0:
        raise ValueError("LoopProgram tables of other sizes than its vectors'")
    vectors = len(lp.vector_names) + len(lp.temp_groups)
    slots = lp.slot_count
    if not all(0 <= v < slots for v in lp.length_vectors) \
            or not all(0 <= s < slots and k >= 0 for s, k in lp.minimum) \
            or not all(0 <= s < slots for group in lp.slots for s in group):
        raise ValueError("a LoopProgram table index out of range")
    for bound in (lp.rows, lp.cols, *lp.temps):
        if bound is not None:
            _check_bound(bound, slots)
    writes = {st.kind for st in lp.stages if st.dest is None and st.kind not in REDUCING}
    if not writes <= ({"scalar"} if lp.rows is None else {"elements", "cells"} if lp.cols else {"elements"}) \
            or any(len(st.body.outputs) != lp.n_outputs for st in lp.stages if st.kind == "scalar") \
            or lp.cols is not None and lp.rows is None:
        raise ValueError("stages that write another output than the LoopProgram's")
    for stage in lp.stages:
        _check_stage(stage, vectors, slots, lp)


def _check_bound(bound, slots):
    if not (bound.div >= 1 and all(0 <= v < slots for v, _ in bound.terms)):
        raise ValueError("a bound out of range")
    if bound.plus is not None:
        if bound.plus.outer or bound.plus.lane:
            raise ValueError("a bound's added part moves with an index")
        _check_bound(bound.plus, slots)


def _check_stage(stage, vectors, slots, lp):
    if stage.kind not in STAGE_KINDS or stage.known_count < 0:
        raise ValueError("a stage of an unknown kind or shape")
    if stage.dest is not None and not 0 <= stage.dest < len(lp.temp_groups):
        raise ValueError("a stage's temporary out of range")
    for bound in _bounds(stage):
        _check_bound(bound, slots)
    for ld in stage.loads:
        if not (0 <= ld.vector < vectors and all(0 <= slot < slots for _, _, slot in ld.dims())):
            raise ValueError("a load out of range")
    for k, inner in enumerate(stage.inner + stage.cell_inner):
        if not all(0 <= u < min(k, len(stage.inner)) for u in inner.uses):     # a sum before it
            raise ValueError("an inner reduction's use out of range")
        _check_stage(inner, vectors, slots, lp)


def _bounds(stage):
    found = [stage.lo, stage.hi, *(stage.cols or ())]
    found += [ld.offset for ld in stage.loads] + [ld.row[1] for ld in stage.loads if ld.row]
    return found


def _stage_state(s):
    return {"kind": s.kind, "lo": _bound_state(s.lo), "hi": _bound_state(s.hi), "body": program_state(s.body),
            "loads": [_load_state(ld) for ld in s.loads], "inner": [_stage_state(i) for i in s.inner],
            "dest": s.dest, "cols": s.cols and [_bound_state(b) for b in s.cols], "uses": list(s.uses),
            "cell_inner": [_stage_state(i) for i in s.cell_inner]}


def _stage_from(s):
    cols = s["cols"]
    return Stage(text(s["kind"]), _bound_from(s["lo"]), _bound_from(s["hi"]), program_from(s["body"]),
                 tuple(map(_load_from, s["loads"])), tuple(map(_stage_from, s["inner"])),
                 _optional(integer, s["dest"]), cols if cols is None else _pair(cols, _bound_from),
                 tuple(map(integer, s["uses"])), tuple(map(_stage_from, s["cell_inner"])))


def _load_state(ld):
    return [ld.vector, ld.a, _bound_state(ld.offset), ld.slot,
            ld.row and [ld.row[0], _bound_state(ld.row[1]), ld.row[2]]]


def _load_from(state):
    vector, a, offset, slot, row = state
    if row is not None:
        r_a, r_offset, r_slot = row
        row = (integer(r_a), _bound_from(r_offset), integer(r_slot))
    return Load(integer(vector), integer(a), _bound_from(offset), integer(slot), row)


def _bound_state(b):
    return [[list(t) for t in b.terms], b.const, b.outer, b.div, b.lane, b.times,
            None if b.plus is None else _bound_state(b.plus)]


#: how many divisions a bound chains (``Bound.plus``): one a floor in its expression
MAX_CHAIN = 16


def _bound_from(state, depth=0):
    terms, const, outer, div, lane, times, plus = state
    if depth > MAX_CHAIN:
        raise ValueError("a bound chains too many divisions")
    return Bound(tuple(_pair(t) for t in terms), integer(const), integer(outer), integer(div), integer(lane),
                 integer(times), None if plus is None else _bound_from(plus, depth + 1))


def _optional(read, value):
    return None if value is None else read(value)


def _pair(value, read=None):
    first, second = value
    read = read or integer
    return read(first), read(second)


def integer(value):
    if type(value) is not int:
        raise ValueError(f"{value!r} where an integer belongs")
    return value


def text(value):
    if type(value) is not str:
        raise ValueError(f"{value!r} where a name belongs")
    return value
