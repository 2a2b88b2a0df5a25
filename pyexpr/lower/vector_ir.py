"""The contiguous array loop in explicit SIMD: W lanes per iteration, libmvec calls.

``define_contig(c, program, name, target)`` adds to ``c``'s module the
function ``void name(i64 len, T *noalias in..., T *noalias out...)`` that
``llvm_ir`` otherwise emits as a scalar loop for LLVM to vectorize.  Here the
loop is vector code already: each iteration loads ``<W x T>`` from every
input, evaluates the program on vectors and stores ``<W x T>`` into every
output, ``W = target.lanes(dtype)``.  Per op:

* arithmetic, comparisons, ``select`` and the boolean ops act on vectors
  natively (the operator table of ``llvm_ir`` serves unchanged);
* intrinsics that are instructions (sqrt, fabs, floor, ceil, trunc,
  minimum, maximum, copysign) are called on the vector type;
* ops with a vector ABI function that the host has (``target.symbol``) call
  it: ``_ZGVdN4v_exp(<4 x double>)``;
* the rest (tgamma, lgamma, or any function the host's libmvec lacks) call
  the scalar function lane by lane.

The loop over whole vectors is a function of its own; the last ``len % W``
elements go through it too, as one vector: they are copied into stack
vectors whose other lanes repeat the first element, and the result lanes
copied back.  So every element of an array is computed by
the same code, wherever it sits.  ``Piecewise`` stays a ``select`` over
both sides, as in the scalar code.
"""
from llvmlite import ir

from .llvm_ir import FUNCTIONS, I64, _Context, _emit_body, _for_range, _function

#: intrinsics that lower to instructions on vectors; any other "llvm" op is a libm call
INSTRUCTIONS = {"llvm.sqrt", "llvm.fabs", "llvm.floor", "llvm.ceil", "llvm.trunc",
                "llvm.minimum", "llvm.maximum", "llvm.copysign"}
I32 = ir.IntType(32)


class VectorContext(_Context):
    """A ``_Context`` whose values are ``<lanes x T>``, sharing the scalar context's declarations."""

    def __init__(self, scalar, target):
        self.__dict__.update(scalar.__dict__)         # module, dtype, flags, _callees (shared)
        self.scalar, self.target = scalar, target
        self.lanes = target.lanes(self.dtype)
        self.vtype = ir.VectorType(self.ftype, self.lanes)

    def const(self, value):
        return ir.Constant(self.vtype, [self.scalar.const(value)] * self.lanes)

    def call(self, b, op, operands):
        kind, spelling = FUNCTIONS[op]
        symbol = self.target.symbol(op, self.dtype)
        if symbol is not None:
            fn = self.declare(symbol, self.vtype, [self.vtype] * len(operands), pure=True)
        elif kind == "llvm" and spelling in INSTRUCTIONS:
            fn = self.callee(kind, spelling, len(operands))
        else:
            return self._per_lane(b, op, operands)
        return b.call(fn, operands, fastmath=self.flags)

    def _per_lane(self, b, op, operands):
        result = ir.Constant(self.vtype, ir.Undefined)
        for lane in [ir.Constant(I32, j) for j in range(self.lanes)]:
            scalars = [b.extract_element(v, lane) for v in operands]
            result = b.insert_element(result, self.scalar.call(b, op, scalars), lane)
        return result


def define_contig(c, program, name, target):
    """Define the vector loop ``name`` in ``c``'s module (see the module docstring)."""
    v = VectorContext(c, target)
    n, m = program.n_args, len(program.outputs)
    vectors = _define_vectors(v, program, name + ".vectors")
    fn, b = _function(c, name, ir.VoidType(), [I64] + [c.fptr] * (n + m), internal=True)
    for ptr in fn.args[1:]:
        ptr.add_attribute("noalias")
    length, ptrs = fn.args[0], fn.args[1:]
    buffers = [b.alloca(v.vtype) for _ in ptrs]
    full_end = b.and_(length, ir.Constant(I64, -v.lanes))
    b.call(vectors, [b.lshr(full_end, ir.Constant(I64, v.lanes.bit_length() - 1))] + list(ptrs))
    rest = b.sub(length, full_end)
    with b.if_then(b.icmp_signed(">", rest, ir.Constant(I64, 0)), likely=False):
        for p, buf in zip(ptrs[:n], buffers):
            _fill(v, b, buf, p, full_end, rest)
        b.call(vectors, [ir.Constant(I64, 1)] + [b.bitcast(buf, c.fptr) for buf in buffers])
        for p, buf in zip(ptrs[n:], buffers[n:]):
            _drain(v, b, buf, p, full_end, rest)
    b.ret_void()
    return fn


def _define_vectors(v, program, name):
    """``(i64 count, T *in..., T *out...)``: the program on ``count`` whole vectors.

    The loop holds the only copy of the program's body; the tail reuses it
    on stack vectors, so it neither branches nor selects per iteration.
    """
    c = v.scalar
    n, m = program.n_args, len(program.outputs)
    fn, b = _function(c, name, ir.VoidType(), [I64] + [c.fptr] * (n + m), internal=True)
    vptrs = [b.bitcast(p, v.vtype.as_pointer()) for p in fn.args[1:]]

    def body(i):
        args = [b.load(b.gep(p, [i], inbounds=True), align=c.itemsize) for p in vptrs[:n]]
        for value, p in zip(_emit_body(v, b, program, args), vptrs[n:]):
            b.store(value, b.gep(p, [i], inbounds=True), align=c.itemsize)
    _for_range(b, fn.args[0], body, name="vloop")
    b.ret_void()
    return fn


def _fill(v, b, buf, p, start, count):
    """``buf`` := ``p[start : start + count]``, the remaining lanes ``p[start]``."""
    undef = ir.Constant(v.vtype, ir.Undefined)
    first = b.insert_element(undef, b.load(b.gep(p, [start], inbounds=True)), ir.Constant(I32, 0))
    b.store(b.shuffle_vector(first, undef, ir.Constant(ir.VectorType(I32, v.lanes), [0] * v.lanes)), buf)
    lanes = b.bitcast(buf, v.fptr)
    _for_range(b, count, lambda j: b.store(b.load(b.gep(p, [b.add(start, j)], inbounds=True)),
                                           b.gep(lanes, [j], inbounds=True)), name="fill")


def _drain(v, b, buf, p, start, count):
    """``p[start : start + count]`` := the first ``count`` lanes of ``buf``."""
    lanes = b.bitcast(buf, v.fptr)
    _for_range(b, count, lambda j: b.store(b.load(b.gep(lanes, [j], inbounds=True)),
                                           b.gep(p, [b.add(start, j)], inbounds=True)), name="drain")
