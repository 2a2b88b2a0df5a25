"""The IR of a loop program's calls from Python: CPython builtins' code around ``loops``.

``define_entry(module, loops, n_vectors, name)`` adds to a loop module (see
``loop_ir``) a function with CPython's ``METH_FASTCALL | METH_KEYWORDS``
signature, called as ``entry(scalars, out, *vectors)`` by ``LoopKernel.run``
with exact ndarrays of the dtype, C-contiguous, of one or two dimensions
(its caller's contract, as the ctypes call's was): it reads their data
addresses and dimensions from numpy's struct (``abi.ARRAY_OFFSETS``) into the
tables ``loops`` takes, calls it (without the GIL from ``abi.GIL_SIZE``
elements on, a matrix's rows times columns) and returns its status as an int.  A call of several
microseconds through ctypes (the tables built in Python) becomes one of a
fraction of one.  ``define_head`` adds the formula's own ``__call__`` for the
common calls (``open_quick.head``): a Python call taken apart, checked and
answered in machine code.
"""
import functools

from llvmlite import ir

from ..abi import ARRAY_EMPTY_SYMBOL, loop_binder_symbol, ARRAY_SCALAR_SYMBOL, C_CONTIGUOUS, GIL_SIZE, LOOP_API, TUPLE_OFFSETS, array_symbols
from .objects_ir import array_field, fill, float_api, number_kinds, number_value, tuple_item

I32, I64 = ir.IntType(32), ir.IntType(64)
OBJ = ir.IntType(8).as_pointer()
SIGNATURE = ir.FunctionType(OBJ, [OBJ, OBJ.as_pointer(), I64, OBJ])


def define_entry(module, loops, n_vectors, name):
    """Define the builtin's function ``name``; ``loops(T *scalars, T **vectors, i64 *lengths, T *out)``."""
    fptr = loops.args[0].type
    api = dict(zip(LOOP_API, (ir.Function(module, ir.FunctionType(OBJ, [I64]), LOOP_API[0]),
                              ir.Function(module, ir.FunctionType(OBJ, []), LOOP_API[1]),
                              ir.Function(module, ir.FunctionType(ir.VoidType(), [OBJ]), LOOP_API[2]))))
    entry = ir.Function(module, SIGNATURE, name)
    _, args, _, _ = entry.args
    b = ir.IRBuilder(entry.append_basic_block("entry"))
    const = lambda v: ir.Constant(I64, v)      # noqa: E731
    field = functools.partial(array_field, b)

    def data(k):
        return b.bitcast(field(b.load(b.gep(args, [const(k)])), "data", OBJ), fptr)
    vectors = b.alloca(fptr, max(n_vectors, 1), name="vectors")
    lengths = b.alloca(I64, max(2 * n_vectors, 1), name="lengths")
    slot, total = const(0), const(0)
    for k in range(n_vectors):
        item = b.load(b.gep(args, [const(2 + k)]))
        b.store(data(2 + k), b.gep(vectors, [const(k)]))
        nd, dims = b.sext(field(item, "nd", I32), I64), field(item, "dims", I64.as_pointer())
        first = b.load(dims)
        b.store(first, b.gep(lengths, [slot]))
        # a matrix's second dimension (nd is 1 or 2): stored either way, counted only if there
        second = b.load(b.gep(dims, [b.select(b.icmp_signed(">", nd, const(1)), const(1), const(0))]))
        b.store(second, b.gep(lengths, [b.add(slot, const(1))]))
        slot = b.add(slot, nd)
        matrix = b.icmp_signed(">", nd, const(1))
        total = b.add(total, b.select(matrix, b.mul(first, second), first))     # its elements
    status = b.alloca(I64, name="status")
    run = lambda: b.store(b.call(loops, [data(0), vectors, lengths, data(1)]), status)   # noqa: E731
    with b.if_else(b.icmp_signed("<", total, const(GIL_SIZE))) as (small, large):
        with small:
            run()
        with large:                     # as numpy's loops do: other threads run meanwhile
            state = b.call(api["PyEval_SaveThread"], [])
            run()
            b.call(api["PyEval_RestoreThread"], [state])
    b.ret(b.call(api["PyLong_FromLongLong"], [b.load(status)]))
    return entry


def _binder_type(real):
    return ir.FunctionType(I64, [OBJ, OBJ.as_pointer(), I64, OBJ, real.as_pointer(),
                                 real.as_pointer().as_pointer(), I64.as_pointer()])


def loop_binder_module(n_scalars, n_vectors, dtype):
    """A module of the loop heads' binder ``n = bind(self, args, nargs, kwnames, scalars,
    vectors, lengths)``: a call taken apart into the tables ``loops`` reads (see
    ``define_head``), its vectors' one length back, or -1 for the general path.  It
    depends only on the counts and the dtype: compiled once for all formulas, without
    optimization (``kernel.shared``), since in each loop module it added a third to
    the compile time."""
    module = ir.Module(name=loop_binder_symbol(n_scalars, n_vectors, dtype))
    real = ir.DoubleType() if dtype == "float64" else ir.FloatType()
    double = dtype == "float64"
    api, kinds = float_api(module), number_kinds(module, double)
    names = array_symbols(dtype)
    array_type, descr = (ir.GlobalVariable(module, ir.IntType(8), n) for n in (names["array_type"], names["descr"]))
    entry = ir.Function(module, _binder_type(real), loop_binder_symbol(n_scalars, n_vectors, dtype))
    own, args, nargs, kwnames, scalars, vectors, lengths = entry.args
    b = ir.IRBuilder(entry.append_basic_block("entry"))
    const = lambda v: ir.Constant(I64, v)      # noqa: E731
    field = functools.partial(array_field, b)
    spec = _spec(b, own)
    at = lambda k: b.load(b.gep(spec, [k if isinstance(k, ir.Value) else const(k)]))   # noqa: E731
    slow = entry.append_basic_block("slow")
    start, loop, body, number, vector, array, shaped, step, end = (entry.append_basic_block(f"head.{n}") for n in (
        "start", "loop", "body", "number", "vector", "array", "shaped", "step", "end"))
    positional, keywords, bound = (entry.append_basic_block(f"head.{n}") for n in ("positional", "keywords", "bound"))
    n_params = n_scalars + n_vectors
    slots = b.alloca(OBJ, max(n_params, 1), name="slots")
    b.cbranch(b.and_(b.icmp_unsigned("==", kwnames, ir.Constant(OBJ, None)),
                     b.icmp_signed("==", nargs, at(0))), positional, keywords)
    b.position_at_end(keywords)         # keywords and left-out defaults, as CPython binds them
    b.cbranch(b.icmp_signed("==", at(0), const(n_params)), bound, slow)
    b.position_at_end(bound)
    filled = entry.append_basic_block("head.filled")
    fill(b, entry, (tuple_item(b, own, 2), tuple_item(b, own, 3)), args, nargs, kwnames, slots, n_params, slow, filled)
    b.position_at_end(filled)
    b.branch(start)
    b.position_at_end(positional)
    b.branch(start)
    b.position_at_end(start)            # the arguments in order: the call's own, or the slots
    items, count = b.phi(OBJ.as_pointer(), "items"), b.phi(I64, "count")
    items.add_incoming(args, positional)
    items.add_incoming(slots, filled)
    count.add_incoming(nargs, positional)
    count.add_incoming(const(n_params), filled)
    b.branch(loop)
    b.position_at_end(loop)
    p, s, v, n = (b.phi(I64, x) for x in ("p", "s", "v", "n"))     # parameter, number, vector, length
    for phi, first in ((p, 0), (s, 0), (v, 0), (n, -1)):
        phi.add_incoming(const(first), start)
    b.cbranch(b.icmp_signed("<", p, count), body, end)
    b.position_at_end(body)
    item = b.load(b.gep(items, [p]))
    b.cbranch(b.icmp_signed("==", at(b.add(p, const(4))), const(0)), number, vector)
    b.position_at_end(number)
    room = entry.append_basic_block("head.room")
    b.cbranch(b.icmp_signed("<", s, const(n_scalars)), room, slow)
    b.position_at_end(room)
    value = number_value(b, entry, item, kinds, api, slow, "n")
    b.store(value if double else b.fptrunc(value, real), b.gep(scalars, [s]))
    s_more, after_number = b.add(s, const(1)), b.block
    b.branch(step)
    b.position_at_end(vector)
    b.cbranch(b.and_(b.icmp_unsigned("==", field(item, "type", OBJ), array_type),
                     b.icmp_signed("<", v, const(n_vectors))), array, slow)
    b.position_at_end(array)            # (only an array's fields are read)
    flags = b.and_(field(item, "flags", I32), ir.Constant(I32, C_CONTIGUOUS))
    one_axis = entry.append_basic_block("head.one_axis")
    b.cbranch(b.and_(b.and_(b.icmp_unsigned("==", field(item, "descr", OBJ), descr),
                            b.icmp_unsigned("==", flags, ir.Constant(I32, C_CONTIGUOUS))),
                     b.icmp_signed("==", field(item, "nd", I32), ir.Constant(I32, 1))), one_axis, slow)
    b.position_at_end(one_axis)         # (a 0-d array has no dims to read)
    size = b.load(field(item, "dims", I64.as_pointer()))
    b.cbranch(b.or_(b.icmp_signed("==", n, const(-1)), b.icmp_signed("==", n, size)), shaped, slow)
    b.position_at_end(shaped)
    b.store(b.bitcast(field(item, "data", OBJ), real.as_pointer()), b.gep(vectors, [v]))
    b.store(size, b.gep(lengths, [v]))
    v_more = b.add(v, const(1))
    b.branch(step)
    b.position_at_end(step)             # the counts after a number or a vector
    for phi, by_number, by_vector in ((s, s_more, s), (v, v, v_more), (n, n, size)):
        after = b.phi(I64)
        after.add_incoming(by_number, after_number)
        after.add_incoming(by_vector, shaped)
        phi.add_incoming(after, step)
    p.add_incoming(b.add(p, const(1)), step)
    b.branch(loop)
    b.position_at_end(end)
    ready = entry.append_basic_block("head.ready")
    b.cbranch(b.and_(b.icmp_signed("==", v, const(n_vectors)),
                     b.and_(b.icmp_signed(">=", n, at(1)), b.icmp_signed("<", n, at(2)))), ready, slow)
    b.position_at_end(ready)
    b.ret(n)
    b.position_at_end(slow)
    b.ret(const(-1))
    return module


def _spec(b, own):
    """The int64 data of the head's ``self[1]``, its spec."""
    at = b.gep(own, [ir.Constant(I64, TUPLE_OFFSETS["items"] + 8)])
    return b.bitcast(array_field(b, b.load(b.bitcast(at, OBJ.as_pointer())), "data", OBJ), I64.as_pointer())


def define_head(module, loops, n_scalars, n_vectors, dtype, name):
    """Define the builtin ``name`` that takes a Python call ``f(*args)`` of a formula over
    vectors whole (``open_quick.head``): its ``self`` is ``(fallback, spec, names,
    defaults)``, ``spec`` an int64 array ``[parameters, least length, limit, result kind,
    kind of each parameter (0 a number, 1 a vector)]``, ``names`` the parameters' interned
    names and ``defaults`` their defaults (None for none), by which keywords and left-out
    defaults are bound (``objects_ir.fill``).  A call of exactly that many arguments, the
    numbers read as the float entry reads them (``objects_ir.number_value``), the
    vectors exact C-contiguous one-dimensional arrays of the dtype, all of one length
    ``least <= n < limit`` (taken apart by the shared binder, ``loop_binder_module``),
    runs ``loops`` and returns a float (result kind 0) or a new vector of ``n`` (kind
    1); any other call, and one whose reads fall outside the vectors, goes to
    ``fallback`` unchanged (``PyObject_Vectorcall``).  The float is a numpy scalar of
    the dtype (``PyArray_Scalar``), as the general path's ``result[0]``."""
    real = loops.args[0].type.pointee
    api = float_api(module)
    decref = module.globals.get("Py_DecRef") or ir.Function(module, ir.FunctionType(ir.VoidType(), [OBJ]), "Py_DecRef")
    incref = module.globals.get("Py_IncRef") or ir.Function(module, ir.FunctionType(ir.VoidType(), [OBJ]), "Py_IncRef")
    empty = module.globals.get(ARRAY_EMPTY_SYMBOL) or ir.Function(
        module, ir.FunctionType(OBJ, [I32, I64.as_pointer(), OBJ, I32]), ARRAY_EMPTY_SYMBOL)
    to_scalar = ir.Function(module, ir.FunctionType(OBJ, [OBJ, OBJ, OBJ]), ARRAY_SCALAR_SYMBOL)
    bind = ir.Function(module, _binder_type(real), loop_binder_symbol(n_scalars, n_vectors, dtype))
    names = array_symbols(dtype)
    descr = module.globals.get(names["descr"]) or ir.GlobalVariable(module, ir.IntType(8), names["descr"])
    entry = ir.Function(module, SIGNATURE, name)
    own, args, nargs, kwnames = entry.args
    b = ir.IRBuilder(entry.append_basic_block("entry"))
    const = lambda v: ir.Constant(I64, v)      # noqa: E731
    field = functools.partial(array_field, b)
    scalars = b.alloca(real, max(n_scalars, 1), name="scalars")
    vectors = b.alloca(real.as_pointer(), max(n_vectors, 1), name="vectors")
    lengths = b.alloca(I64, max(n_vectors, 1), name="lengths")
    out, dims = b.alloca(real, name="out"), b.alloca(I64, name="dims")
    slow = entry.append_basic_block("slow")
    ready, allocate, run = (entry.append_basic_block(f"head.{x}") for x in ("ready", "allocate", "run"))
    n = b.call(bind, [own, args, nargs, kwnames, scalars, vectors, lengths])
    b.cbranch(b.icmp_signed(">=", n, const(0)), ready, slow)
    b.position_at_end(ready)            # where the result goes: a vector of n, or one float
    vector_out = b.icmp_signed("!=", b.load(b.gep(_spec(b, own), [const(3)])), const(0))
    b.cbranch(vector_out, allocate, run)
    b.position_at_end(allocate)
    b.store(n, dims)
    b.call(incref, [descr])             # (PyArray_Empty steals it)
    made = b.call(empty, [ir.Constant(I32, 1), dims, descr, ir.Constant(I32, 0)])
    failed, filled = entry.append_basic_block("head.failed"), entry.append_basic_block("head.filled")
    b.cbranch(b.icmp_unsigned("==", made, ir.Constant(OBJ, None)), failed, filled)
    b.position_at_end(failed)
    b.ret(ir.Constant(OBJ, None))       # numpy's exception is set
    b.position_at_end(filled)
    data = b.bitcast(field(made, "data", OBJ), real.as_pointer())
    b.branch(run)
    b.position_at_end(run)              # one call of loops: inlined once, not once a result kind
    target, result = b.phi(real.as_pointer(), "target"), b.phi(OBJ, "result")
    target.add_incoming(out, ready)
    target.add_incoming(data, filled)
    result.add_incoming(ir.Constant(OBJ, None), ready)
    result.add_incoming(made, filled)
    ran = b.call(loops, [scalars, vectors, lengths, target])
    good, bad, a_float, an_array = (entry.append_basic_block(f"head.{x}") for x in ("good", "bad", "float", "array"))
    b.cbranch(b.icmp_signed("==", ran, const(0)), good, bad)
    b.position_at_end(good)
    b.cbranch(b.icmp_unsigned("==", result, ir.Constant(OBJ, None)), a_float, an_array)
    b.position_at_end(an_array)
    b.ret(result)
    b.position_at_end(a_float)
    b.ret(b.call(to_scalar, [b.bitcast(out, OBJ), descr, ir.Constant(OBJ, None)]))
    b.position_at_end(bad)
    with b.if_then(b.icmp_unsigned("!=", result, ir.Constant(OBJ, None))):
        b.call(decref, [result])
    b.branch(slow)
    b.position_at_end(slow)
    fallback = b.load(b.bitcast(b.gep(own, [const(TUPLE_OFFSETS["items"])]), OBJ.as_pointer()))
    b.ret(b.call(api["PyObject_Vectorcall"], [fallback, args, nargs, kwnames]))
    return entry
