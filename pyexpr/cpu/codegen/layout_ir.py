"""The code around a program's contiguous loop: rows, strided blocks, copies.

* ``define_array`` -- the exported kernel ``(i64 rows, i64 cols, i64 *addresses,
  i64 *byte_strides)``: each row runs the contiguous loop where every operand
  is unit-stride, else ``define_blocked``;
* ``define_blocked`` -- any strides, in blocks of ``BLOCK`` elements gathered
  into (splatted into, scattered from) stack buffers around the contiguous loop;
* ``copier`` -- the module's one copy loop, which every gather, splat, scatter
  and vector tail (``vector_ir``) calls.
"""
from llvmlite import ir

from .context import I1, I64, I64P, for_range, function

#: Rows that are not unit-stride run in blocks of this many elements.
BLOCK = 256


def _at(c, b, base, offset):
    """The ``T *`` at byte ``offset`` from the ``i64`` address ``base``."""
    return b.inttoptr(b.add(base, offset), c.fptr)


def define_blocked(c, program, name, contig):
    """``(i64 len, i64 addr..., i64 byte_stride...)``: any strides, through ``contig``.

    The row runs in blocks of ``BLOCK`` elements.  Unit-stride operands are
    used in place; a zero-stride input is copied into a stack block once;
    other inputs are gathered into stack blocks and other outputs scattered
    from them, around one call of the contiguous loop per block.
    """
    k = program.n_args + len(program.outputs)
    fn, b = function(c, name, ir.VoidType(), [I64] * (1 + 2 * k), internal=True)
    length, bases, strides = fn.args[0], fn.args[1:k + 1], fn.args[k + 1:]
    block, size, zero = ir.Constant(I64, BLOCK), ir.Constant(I64, c.itemsize), ir.Constant(I64, 0)
    buffers = [b.bitcast(b.alloca(ir.ArrayType(c.ftype, BLOCK)), c.fptr) for _ in range(k)]
    first = b.select(b.icmp_signed("<", length, block), length, block)
    copy = copier(c)
    for j in range(program.n_args):
        with b.if_then(b.icmp_signed("==", strides[j], zero)):            # splat
            b.call(copy, [first, buffers[j], size, b.inttoptr(bases[j], c.fptr), zero])

    def body(start):
        rest = b.sub(length, start)
        count = b.select(b.icmp_signed("<", rest, block), rest, block)
        element = [_at(c, b, bases[j], b.mul(start, strides[j])) for j in range(k)]
        unit = [b.icmp_signed("==", s, size) for s in strides]
        for j in range(program.n_args):
            with b.if_then(b.not_(b.or_(unit[j], b.icmp_signed("==", strides[j], zero)))):   # gather
                b.call(copy, [count, buffers[j], size, element[j], strides[j]])
        b.call(contig, [count] + [b.select(unit[j], element[j], buffers[j]) for j in range(k)])
        for j in range(program.n_args, k):
            with b.if_then(b.not_(unit[j])):                                 # scatter
                b.call(copy, [count, element[j], strides[j], buffers[j], size])
    for_range(b, length, body, step=BLOCK, name="block")
    b.ret_void()
    return fn


def copier(c):
    """The module's one copy loop, ``(i64 count, T *dst, i64 dst_step, T *src, i64 src_step)``
    with steps in bytes, called for each operand that needs copying: a loop
    per operand inline made a 10x10 Hessian's module several times larger
    and its optimization several times slower."""
    fn = c.module.globals.get(COPY)
    if fn is not None:
        return fn
    fn, b = function(c, COPY, ir.VoidType(), [I64, c.fptr, I64, c.fptr, I64], internal=True)
    count, dst, dst_step, src, src_step = fn.args
    size, zero = ir.Constant(I64, c.itemsize), ir.Constant(I64, 0)
    at = lambda p, i: b.gep(p, [i], inbounds=True)
    dense = b.icmp_signed("==", dst_step, size)
    with b.if_then(b.and_(dense, b.icmp_signed("==", src_step, size))):          # tails of arrays
        for_range(b, count, lambda i: b.store(b.load(at(src, i)), at(dst, i)), name="dense")
        b.ret_void()
    with b.if_then(b.and_(dense, b.icmp_signed("==", src_step, zero))):          # a broadcast input
        with b.if_then(b.icmp_signed(">", count, zero)):
            value = b.load(src)
            for_range(b, count, lambda i: b.store(value, at(dst, i)), name="splat")
        b.ret_void()
    dst, src = b.ptrtoint(dst, I64), b.ptrtoint(src, I64)                       # gather, scatter
    for_range(b, count, lambda i: b.store(b.load(_at(c, b, src, b.mul(i, src_step))),
                                           _at(c, b, dst, b.mul(i, dst_step))), name="strided")
    b.ret_void()
    return fn


COPY = "pyexpr.copy"


def define_array(c, program, name, contig, blocked):
    """The exported kernel: each row runs ``contig`` if every operand is unit-stride, else ``blocked``."""
    k = program.n_args + len(program.outputs)
    fn, b = function(c, name, ir.VoidType(), [I64, I64, I64P, I64P])
    rows, cols, ptr_array, stride_array = fn.args
    load = lambda array, j: b.load(b.gep(array, [ir.Constant(I64, j)], inbounds=True))
    bases = [load(ptr_array, j) for j in range(k)]
    inner = [load(stride_array, j) for j in range(k)]
    outer = [load(stride_array, k + j) for j in range(k)]
    unit = ir.Constant(I1, 1)
    for s in inner:
        unit = b.and_(unit, b.icmp_signed("==", s, ir.Constant(I64, c.itemsize)))

    def body(r):
        row = [b.add(base, b.mul(r, s)) for base, s in zip(bases, outer)]
        with b.if_else(unit) as (fast, general):
            with fast:
                b.call(contig, [cols] + [b.inttoptr(p, c.fptr) for p in row])
            with general:
                b.call(blocked, [cols] + row + inner)
    for_range(b, rows, body, name="row")
    b.ret_void()
