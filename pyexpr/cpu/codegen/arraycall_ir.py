"""The IR of the fast array call: a CPython builtin's code for small numpy arrays.

``define_entry(module, contig, n_args, dtype, name)`` adds to a kernel's
(optimized) array module a function with CPython's ``METH_FASTCALL |
METH_KEYWORDS`` signature that handles the call numpy users make most, in
machine code: ``n_args`` positional arguments, each an exact ``numpy.ndarray``
of the kernel's dtype, C-contiguous, all of one shape with at least one
dimension and fewer than ``abi.ARRAY_MAX_SIZE`` elements.  It allocates the
result with ``numpy.empty_like`` on the first argument (checking that an
array like the arguments came back) and runs the program's contiguous loop
(releasing the GIL from ``abi.GIL_SIZE`` elements on): the same code, hence
the same bits, as the general path.  Any other call goes unchanged to the
builtin's ``self`` through ``PyObject_Vectorcall``.  It reads numpy's array
struct at ``abi.ARRAY_OFFSETS``; ``runtime.arraycall`` checks that layout in
this process and gives the objects the code refers to.
"""
from llvmlite import ir

from ..abi import ARRAY_API, ARRAY_MAX_SIZE, ARRAY_OFFSETS, C_CONTIGUOUS, GIL_SIZE, array_symbols


def define_entry(module, contig, n_args, dtype, name):
    """Define the builtin's function ``name`` in ``module``; ``contig(i64 len, T *in..., T *out)``."""
    i8, i32, i64 = ir.IntType(8), ir.IntType(32), ir.IntType(64)
    obj = i8.as_pointer()
    real_ptr = contig.args[1].type
    names = array_symbols(dtype)
    array_type = ir.GlobalVariable(module, i8, names["array_type"])
    descr = ir.GlobalVariable(module, i8, names["descr"])
    empty_like = ir.GlobalVariable(module, i8, names["empty_like"])
    signature = ir.FunctionType(obj, [obj, obj.as_pointer(), i64, obj])
    vectorcall = module.globals.get("PyObject_Vectorcall") or ir.Function(module, signature, "PyObject_Vectorcall")
    entry = ir.Function(module, signature, name)
    fallback, args, nargs, kwnames = entry.args
    b = ir.IRBuilder(entry.append_basic_block("check"))
    slow = entry.append_basic_block("slow")

    def field(item, key, kind):
        return b.load(b.bitcast(b.gep(item, [ir.Constant(i64, ARRAY_OFFSETS[key])]), kind.as_pointer()))

    def require(condition, label):
        block = entry.append_basic_block(label)
        b.cbranch(condition, block, slow)
        b.position_at_end(block)

    require(b.and_(b.icmp_unsigned("==", nargs, ir.Constant(i64, n_args)),
                   b.icmp_unsigned("==", kwnames, ir.Constant(obj, None))), "arity")
    items = [b.load(b.gep(args, [ir.Constant(i64, i)])) for i in range(n_args)]
    nd = None
    for i, item in enumerate(items):
        require(b.icmp_unsigned("==", field(item, "type", obj), array_type), f"array{i}")
        flags = field(item, "flags", i32)
        ok = b.and_(b.icmp_unsigned("==", field(item, "descr", obj), descr),
                    b.icmp_unsigned("!=", b.and_(flags, ir.Constant(i32, C_CONTIGUOUS)), ir.Constant(i32, 0)))
        item_nd = field(item, "nd", i32)
        ok = b.and_(ok, b.icmp_signed(">", item_nd, ir.Constant(i32, 0)) if nd is None
                    else b.icmp_unsigned("==", item_nd, nd))
        nd = nd or item_nd
        require(ok, f"layout{i}")
    dims = field(items[0], "dims", i64.as_pointer())
    size = _same_shape_size(b, entry, [dims] + [field(item, "dims", i64.as_pointer()) for item in items[1:]],
                            b.sext(nd, i64), slow)
    require(b.icmp_signed("<", size, ir.Constant(i64, ARRAY_MAX_SIZE)), "small")
    first = b.gep(args, [ir.Constant(i64, 0)])
    out = b.call(vectorcall, [empty_like, first, ir.Constant(i64, 1), ir.Constant(obj, None)])
    failed, allocated = entry.append_basic_block("failed"), entry.append_basic_block("allocated")
    b.cbranch(b.icmp_unsigned("==", out, ir.Constant(obj, None)), failed, allocated)
    b.position_at_end(allocated)
    # what came back is used only if it is what numpy's empty_like returns: an array like ours
    ours, unexpected = entry.append_basic_block("ours"), entry.append_basic_block("unexpected")
    b.cbranch(b.icmp_unsigned("==", field(out, "type", obj), array_type), ours, unexpected)
    b.position_at_end(ours)
    like = b.and_(b.icmp_unsigned("==", field(out, "descr", obj), descr),
                  b.icmp_unsigned("==", field(out, "nd", i32), nd))
    like = b.and_(like, b.icmp_unsigned("!=", b.and_(field(out, "flags", i32), ir.Constant(i32, C_CONTIGUOUS)),
                                        ir.Constant(i32, 0)))
    shaped = entry.append_basic_block("shaped")
    b.cbranch(like, shaped, unexpected)
    b.position_at_end(shaped)
    _same_shape_size(b, entry, [dims, field(out, "dims", i64.as_pointer())], b.sext(nd, i64), unexpected)
    data = [b.bitcast(field(item, "data", obj), real_ptr) for item in items + [out]]
    with b.if_else(b.icmp_signed("<", size, ir.Constant(i64, GIL_SIZE))) as (small, large):
        with small:
            b.call(contig, [size] + data)
        with large:                     # as numpy's loops do: other threads run meanwhile
            save = ir.Function(module, ir.FunctionType(obj, []), ARRAY_API[1])
            restore = ir.Function(module, ir.FunctionType(ir.VoidType(), [obj]), ARRAY_API[2])
            state = b.call(save, [])
            b.call(contig, [size] + data)
            b.call(restore, [state])
    b.ret(out)
    b.position_at_end(unexpected)
    decref = ir.Function(module, ir.FunctionType(ir.VoidType(), [obj]), ARRAY_API[0])
    b.call(decref, [out])
    b.branch(slow)
    b.position_at_end(failed)            # numpy raised: return NULL with its exception set
    b.ret(ir.Constant(obj, None))
    b.position_at_end(slow)
    b.ret(b.call(vectorcall, [fallback, args, nargs, kwnames]))
    return entry


def _same_shape_size(b, entry, dims, nd, mismatch):
    """Emit a loop over the ``nd`` (at least 1) dimensions: branch to ``mismatch`` unless
    every ``dims[k]`` matches ``dims[0]``; the value is the number of elements."""
    i64 = ir.IntType(64)
    before = b.block
    loop, done = entry.append_basic_block("dims"), entry.append_basic_block("dims.done")
    b.branch(loop)
    b.position_at_end(loop)
    k, size = b.phi(i64, "k"), b.phi(i64, "size")
    k.add_incoming(ir.Constant(i64, 0), before)
    size.add_incoming(ir.Constant(i64, 1), before)
    extent = b.load(b.gep(dims[0], [k]))
    same = ir.Constant(ir.IntType(1), 1)
    for other in dims[1:]:
        same = b.and_(same, b.icmp_unsigned("==", b.load(b.gep(other, [k])), extent))
    step = entry.append_basic_block("dims.step")
    b.cbranch(same, step, mismatch)
    b.position_at_end(step)
    following, grown = b.add(k, ir.Constant(i64, 1)), b.mul(size, extent)
    k.add_incoming(following, step)
    size.add_incoming(grown, step)
    b.cbranch(b.icmp_signed("<", following, nd), loop, done)
    b.position_at_end(done)
    return grown
