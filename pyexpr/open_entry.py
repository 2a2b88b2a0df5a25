"""An ``OpenFormula``'s own fields of its disk-cache entry (``pyexpr.startup``).

What a call of a formula over vectors of any length reads, as plain data: its
``CallForm`` (parameters and their lengths' names, the output's shape), the
least lengths its fixed reads need (``needs``), the lengths its data fixes
(``exact``), the conditions of its stepped slices (``steps``), its
module-level data (``constants``: float64 arrays, their bytes in base64) and
its ``LoopProgram`` (``ir.stored``).  ``fields`` reads them back, each
checked against the others, so that a formula from the entry calls as the
one the front end made, without sympy.
"""
import base64

import numpy as np

from .ir import stored
from .ir.stored import MAX_SIZE, identifier
from .open_calls import CallForm


def state(fields):
    """The JSON of an ``OpenFormula``'s own fields (``OpenFormula._entry_state``)."""
    form, program = fields["call_form"], fields["program"]
    return {
        "call_form": {"signature": [[n, list(k) if isinstance(k, tuple) else k] for n, k in form.signature],
                      "out_shape": list(form.out_shape), "rows": form.rows, "cols": form.cols,
                      "outputs": form.outputs},
        "needs": [[n, int(k)] for n, k in fields["needs"]],
        "exact": [[n, int(k)] for n, k in fields["exact"]],
        "steps": [[n, int(m), [int(r) for r in residues], list(reasons)]
                  for n, m, residues, reasons in fields["steps"]],
        "constants": [[name, list(array.shape), base64.b64encode(np.ascontiguousarray(array, "<f8")).decode()]
                      for name, array in fields["constants"]],
        "program": program and stored.loop_state(program)}


def fields(state, arg_names):
    """An ``OpenFormula``'s own fields of the entry ``state`` (``state``'s output), checked;
    ``arg_names`` are the entry's (checked as identifiers)."""
    form = _call_form(state.pop("call_form"), arg_names)
    lengths = {d for _, k in form.signature if isinstance(k, (str, tuple))
               for d in (k if isinstance(k, tuple) else (k,))}
    parameters = {n for n, _ in form.signature}
    needs = tuple((stored.text(n), _count(k)) for n, k in state["needs"])
    exact = tuple((stored.text(n), _count(k)) for n, k in state["exact"])
    steps = tuple((stored.text(n), _count(m), tuple(map(_count, r)), tuple(map(stored.text, why)))
                  for n, m, r, why in state["steps"])
    if not {n for n, _ in needs} <= parameters or not {n for n, _ in exact} | {s[0] for s in steps} <= lengths \
            or any(m < 1 or not all(r < m for r in residues) for _, m, residues, _ in steps):
        raise ValueError("length conditions of names that are not the formula's")
    constants = tuple(_constant(c) for c in state["constants"])
    program = state["program"]
    if program is not None:
        scalars = [n for n in arg_names if n not in {p for p, k in form.signature if isinstance(k, (str, tuple))}]
        vectors = [n for n, k in form.signature if isinstance(k, (str, tuple))] + [n for n, _ in constants]
        program = stored.loop_from(program, scalars, vectors)
        width = int(np.prod(form.out_shape[1:])) if form.rows and not form.cols else 1
        if (program.rows is not None, program.cols is not None) != (form.rows, form.cols) \
                or not form.rows and program.n_outputs != max(form.outputs, 1) \
                or any(len(st.body.outputs) != width for st in program.stages if st.dest is None
                       and st.kind in ("elements", "cells")):
            raise ValueError("the LoopProgram's outputs are not the formula's")
    return {"_call_form": form, "needs": needs, "exact": exact, "steps": steps, "constants": constants,
            "program": program}


def _call_form(state, arg_names):
    signature = []
    for name, length in state["signature"]:
        if isinstance(length, list):
            length = tuple(map(stored.text, length))
            if len(length) != 2:
                raise ValueError("a matrix of other than two dimensions")
        elif not (length is None or type(length) is str or type(length) is int and 0 < length <= MAX_SIZE):
            raise ValueError("a parameter's length that is none")
        signature.append((stored.text(name), length))
    flat = [c for n, k in signature for c in ((f"{n}_{i}" for i in range(k)) if type(k) is int else (n,))]
    if flat != list(arg_names) or not all(identifier(n) for n, _ in signature):
        raise ValueError("a signature that does not fit the parameters")
    out_shape = tuple(state["out_shape"])
    rows, cols, outputs = state["rows"], state["cols"], _count(state["outputs"])
    if not (type(rows) is bool and type(cols) is bool and (rows or not cols) and len(out_shape) <= 3
            and all(type(d) is str or type(d) is int and 0 <= d <= MAX_SIZE for d in out_shape)
            and (rows or all(type(d) is int for d in out_shape) and max(outputs, 1) == max(np.prod(out_shape), 1))):
        raise ValueError("an output's shape that is none")
    return CallForm(tuple(signature), out_shape, rows, cols, outputs)


def _constant(state):
    name, shape, data = state
    shape = tuple(map(_count, shape))
    array = np.frombuffer(base64.b64decode(stored.text(data), validate=True), "<f8")
    if not identifier(name) or len(shape) not in (1, 2) or array.size != np.prod(shape) or array.size > MAX_SIZE:
        raise ValueError("data that is not what its entry says")
    return name, array.astype(float).reshape(shape)


def _count(value):
    if type(value) is not int or not 0 <= value <= MAX_SIZE:
        raise ValueError(f"{value!r} where a count belongs")
    return value
