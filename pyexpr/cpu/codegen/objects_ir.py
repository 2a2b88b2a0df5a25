"""Python objects read in machine code: numbers, tuples, numpy arrays, a call's keywords.

The shared vocabulary of the builtins' IR (``fastcall_ir``'s float entries and their
binder, ``arraycall_ir``, ``loopcall_ir``'s loop heads): ``number_value`` reads the double
an argument holds (a Python float, int or bool, or any real numpy scalar:
``abi.SCALAR_KINDS``), ``array_field`` and ``tuple_item`` read numpy's array struct and a
tuple's items, and ``fill`` binds a call's keywords and left-out defaults as CPython does.
Anything they cannot read goes to the ``slow`` block their caller gives: its general path.
"""
from llvmlite import ir

from ..abi import ARRAY_OFFSETS, FLOAT_API, FLOAT_OFFSETS, NONE_SYMBOL, SCALAR_KINDS, TUPLE_OFFSETS

_OBJ = ir.IntType(8).as_pointer()
_I64, _F64 = ir.IntType(64), ir.DoubleType()
#: kinds of ``abi.SCALAR_KINDS`` whose double may round: float32 code reads their values
#: only where the double is exact in a float too (no second rounding; else the general path)
INT_KINDS = {"int64": "int64_exact", "int": "int_exact", "uint64": "uint64_exact"}
_API_TYPES = (ir.FunctionType(_OBJ, [_F64]), ir.FunctionType(_OBJ, [_OBJ, _OBJ.as_pointer(), _I64, _OBJ]),
              ir.FunctionType(_F64, [_OBJ]), ir.FunctionType(_OBJ, []), ir.FunctionType(ir.VoidType(), []))


def float_api(module):
    """``{name: function}`` of ``abi.FLOAT_API`` declared in ``module`` (once)."""
    return {n: module.globals.get(n) or ir.Function(module, t, n) for n, t in zip(FLOAT_API, _API_TYPES)}


def number_kinds(module, double):
    """``(type object, kind)`` of the numbers a ``double`` (else float) program reads."""
    return [(module.globals.get(symbol) or ir.GlobalVariable(module, ir.IntType(8), symbol),
             kind if double else INT_KINDS.get(kind, kind)) for symbol, kind in SCALAR_KINDS]


def array_field(b, item, key, kind):
    """The field ``key`` of numpy's array struct (``abi.ARRAY_OFFSETS``) of the object
    ``item``, as ``kind``, loaded at ``b``."""
    return b.load(b.bitcast(b.gep(item, [ir.Constant(_I64, ARRAY_OFFSETS[key])]), kind.as_pointer()))


def none_object(module):
    return module.globals.get(NONE_SYMBOL) or ir.GlobalVariable(module, ir.IntType(8), NONE_SYMBOL)


class counted:
    """``with counted(b, entry, n) as j:`` a loop of ``j`` over ``0 <= j < n`` at ``b``."""

    def __init__(self, b, entry, n):
        self.b, self.entry, self.n = b, entry, n

    def __enter__(self):
        b, entry = self.b, self.entry
        self.before, self.head = b.block, entry.append_basic_block("count.head")
        self.body, self.after = entry.append_basic_block("count.body"), entry.append_basic_block("count.after")
        b.branch(self.head)
        b.position_at_end(self.head)
        self.j = b.phi(_I64, "j")
        self.j.add_incoming(ir.Constant(_I64, 0), self.before)
        b.cbranch(b.icmp_signed("<", self.j, self.n), self.body, self.after)
        b.position_at_end(self.body)
        return self.j

    def __exit__(self, *error):
        b = self.b
        self.j.add_incoming(b.add(self.j, ir.Constant(_I64, 1)), b.block)
        b.branch(self.head)
        b.position_at_end(self.after)
        return False


def tuple_item(b, tuple_, k):
    """Item ``k`` of a tuple (a borrowed reference)."""
    at = b.gep(tuple_, [ir.Constant(_I64, TUPLE_OFFSETS["items"] + 8 * k)])
    return b.load(b.bitcast(at, _OBJ.as_pointer()))


def fill(b, entry, table, args, nargs, kwnames, slots, n_args, slow, read, out=None):
    """Place a call's keywords and the left-out defaults into ``slots`` as CPython binds
    them, then go to ``read``; to ``slow`` (the general path, which says what is wrong)
    for too many arguments, a keyword that is not a parameter's name object (the names
    in a call's code are interned, as the parameters' here are) or a parameter given
    twice.  ``table`` is the tuples ``(names, defaults)``; a parameter with no default
    has ``None`` there, which ``number_value`` sends to ``slow``.  ``out``, where given,
    is ``(name, slot)``: the keyword of that name object goes to ``slot``."""
    names, defaults = table
    null, n = ir.Constant(_OBJ, None), ir.Constant(_I64, n_args + (out is not None))
    before = b.block
    with b.if_then(b.icmp_unsigned("!=", kwnames, null)):     # (a load from NULL would be UB)
        counted = b.load(b.bitcast(b.gep(kwnames, [ir.Constant(_I64, TUPLE_OFFSETS["size"])]), _I64.as_pointer()))
        counted_in = b.block
    kw = b.phi(_I64, "kw")
    kw.add_incoming(ir.Constant(_I64, 0), before)
    kw.add_incoming(counted, counted_in)
    for i in range(n_args):             # the positional ones, the others empty (args ends there)
        slot = b.gep(slots, [ir.Constant(_I64, i)])
        b.store(null, slot)
        with b.if_then(b.icmp_signed("<", ir.Constant(_I64, i), nargs)):
            b.store(b.load(b.gep(args, [ir.Constant(_I64, i)])), slot)
    start, loop, place, done = (entry.append_basic_block(f"kw.{n}") for n in ("start", "loop", "place", "done"))
    b.cbranch(b.or_(b.icmp_signed(">", b.add(nargs, kw), n), b.icmp_signed(">", nargs, ir.Constant(_I64, n_args))),
              slow, start)
    b.position_at_end(start)
    b.branch(loop)
    b.position_at_end(loop)
    k = b.phi(_I64, "k")
    k.add_incoming(ir.Constant(_I64, 0), start)
    b.cbranch(b.icmp_signed("<", k, kw), place, done)
    b.position_at_end(place)
    name = b.load(b.gep(b.bitcast(b.gep(kwnames, [ir.Constant(_I64, TUPLE_OFFSETS["items"])]), _OBJ.as_pointer()), [k]))
    value = b.load(b.gep(args, [b.add(nargs, k)]))
    for j in range(n_args):             # which parameter: by the name object's identity
        this, other = entry.append_basic_block(f"kw.is{j}"), entry.append_basic_block(f"kw.not{j}")
        b.cbranch(b.icmp_unsigned("==", name, tuple_item(b, names, j)), this, other)
        b.position_at_end(this)
        slot = b.gep(slots, [ir.Constant(_I64, j)])
        free = entry.append_basic_block(f"kw.free{j}")
        b.cbranch(b.icmp_unsigned("==", b.load(slot), null), free, slow)
        b.position_at_end(free)
        b.store(value, slot)
        k.add_incoming(b.add(k, ir.Constant(_I64, 1)), free)
        b.branch(loop)
        b.position_at_end(other)
    if out is not None:
        out_name, out_slot = out
        given, free = entry.append_basic_block("kw.out"), entry.append_basic_block("kw.out_free")
        b.cbranch(b.icmp_unsigned("==", name, out_name), given, slow)
        b.position_at_end(given)
        b.cbranch(b.icmp_unsigned("==", b.load(out_slot), null), free, slow)
        b.position_at_end(free)
        b.store(value, out_slot)
        k.add_incoming(b.add(k, ir.Constant(_I64, 1)), free)
        b.branch(loop)
    else:
        b.branch(slow)                  # no parameter of that name
    b.position_at_end(done)
    for j in range(n_args):             # the defaults of those left out
        slot = b.gep(slots, [ir.Constant(_I64, j)])
        current = b.load(slot)
        b.store(b.select(b.icmp_unsigned("==", current, null), tuple_item(b, defaults, j), current), slot)
    b.branch(read)


def number_value(b, entry, item, kinds, api, slow, i):
    """The double an argument object holds, emitted at ``b``; to ``slow`` if it is none of
    ``kinds`` (a float first: the call the entry is for)."""
    ob_type = b.load(b.bitcast(b.gep(item, [ir.Constant(_I64, FLOAT_OFFSETS["type"])]), _OBJ.as_pointer()))
    at_value = b.gep(item, [ir.Constant(_I64, FLOAT_OFFSETS["value"])])
    done = entry.append_basic_block(f"arg{i}.value")
    arrivals = []
    for k, (type_object, kind) in enumerate(kinds):
        this, other = entry.append_basic_block(f"arg{i}.{kind}{k}"), entry.append_basic_block(f"arg{i}.not{k}")
        b.cbranch(b.icmp_unsigned("==", ob_type, type_object), this, other)
        b.position_at_end(this)
        value = _READERS[kind](b, entry, item, at_value, api, slow)   # may move the builder on
        arrivals.append((value, b.block))
        b.branch(done)
        b.position_at_end(other)
    b.branch(slow)
    b.position_at_end(done)
    phi = b.phi(_F64, f"arg{i}")
    for value, block in arrivals:
        phi.add_incoming(value, block)
    return phi


def _read_int(b, entry, item, at_value, api, slow):
    """``PyLong_AsDouble``: -1.0 with an exception set means too large, left to the general path."""
    value = b.call(api["PyLong_AsDouble"], [item])
    maybe, fine = entry.append_basic_block("int.maybe_error"), entry.append_basic_block("int.fine")
    b.cbranch(b.fcmp_ordered("==", value, ir.Constant(_F64, -1.0)), maybe, fine)
    b.position_at_end(maybe)
    raised, quiet = entry.append_basic_block("int.raised"), entry.append_basic_block("int.quiet")
    b.cbranch(b.icmp_unsigned("!=", b.call(api["PyErr_Occurred"], []), ir.Constant(_OBJ, None)), raised, quiet)
    b.position_at_end(raised)
    b.call(api["PyErr_Clear"], [])
    b.branch(slow)
    b.position_at_end(quiet)
    b.branch(fine)
    b.position_at_end(fine)
    return value


def _loaded(kind, convert):
    """A reader of the value of type ``kind`` at the object's value, made a double."""
    def read(b, entry, item, at, api, slow):
        return getattr(b, convert)(b.load(b.bitcast(at, kind.as_pointer())), _F64)
    return read


def _exact_in_float(reader):
    """``reader``'s double where a float holds it exactly (|v| <= 2**24), else ``slow``."""
    def read(b, entry, item, at, api, slow):
        value = reader(b, entry, item, at, api, slow)
        fits = entry.append_basic_block("int.fits")
        b.cbranch(b.fcmp_ordered("<=", b.call(_fabs(b.module), [value]), ir.Constant(_F64, 2.0**24)), fits, slow)
        b.position_at_end(fits)
        return value
    return read


def _fabs(module):
    return module.globals.get("llvm.fabs.f64") or ir.Function(module, ir.FunctionType(_F64, [_F64]), "llvm.fabs.f64")


#: how each kind of ``abi.SCALAR_KINDS`` becomes a double
_READERS = {
    "double": lambda b, entry, item, at, api, slow: b.load(b.bitcast(at, _F64.as_pointer())),
    "float": _loaded(ir.FloatType(), "fpext"), "half": _loaded(ir.HalfType(), "fpext"),
    "int64": _loaded(_I64, "sitofp"), "int32": _loaded(ir.IntType(32), "sitofp"),
    "int16": _loaded(ir.IntType(16), "sitofp"), "int8": _loaded(ir.IntType(8), "sitofp"),
    "uint64": _loaded(_I64, "uitofp"), "uint32": _loaded(ir.IntType(32), "uitofp"),
    "uint16": _loaded(ir.IntType(16), "uitofp"), "uint8": _loaded(ir.IntType(8), "uitofp"),
    "int": _read_int,
}


_READERS.update({exact: _exact_in_float(_READERS[kind]) for kind, exact in INT_KINDS.items()})
