"""The IR of a loop program's call from Python: a CPython builtin's code around ``loops``.

``define_entry(module, loops, n_vectors, name)`` adds to a loop module (see
``loop_ir``) a function with CPython's ``METH_FASTCALL | METH_KEYWORDS``
signature, called as ``entry(scalars, out, *vectors)`` by ``LoopKernel.run``
with exact ndarrays of the dtype, C-contiguous, of one or two dimensions
(its caller's contract, as the ctypes call's was): it reads their data
addresses and dimensions from numpy's struct (``abi.ARRAY_OFFSETS``) into the
tables ``loops`` takes, calls it (without the GIL from ``abi.GIL_SIZE``
elements on, a matrix's rows times columns) and returns its status as an int.  A call of several
microseconds through ctypes (the tables built in Python) becomes one of a
fraction of one.
"""
from llvmlite import ir

from ..abi import ARRAY_OFFSETS, GIL_SIZE, LOOP_API

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

    def field(item, key, kind):
        return b.load(b.bitcast(b.gep(item, [const(ARRAY_OFFSETS[key])]), kind.as_pointer()))

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
