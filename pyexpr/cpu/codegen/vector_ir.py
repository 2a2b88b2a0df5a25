"""The contiguous array loop in explicit SIMD: W lanes per iteration, libmvec calls.

``define_contig(c, program, name, target)`` adds to ``c``'s module the
function ``void name(i64 len, T *noalias in..., T *noalias out...)`` that
``llvm_ir`` otherwise emits as a scalar loop for LLVM to vectorize.  Here the
loop is vector code already: each iteration loads ``<W x T>`` from every
input, evaluates the program on vectors and stores ``<W x T>`` into every
output, ``W = target.lanes(dtype)``.  Per op:

* arithmetic, comparisons, ``select`` and the boolean ops act on vectors
  natively (the operator table of ``context`` serves unchanged);
* intrinsics that are instructions (sqrt, fabs, floor, ceil, trunc,
  minimum, maximum, minnum, maxnum, copysign, fma) are called on the vector type;
* ops with a vector ABI function that the host has (``target.symbol``) call
  it: ``_ZGVdN4v_exp(<4 x double>)``;
* the rest (tgamma, lgamma, fmod, remainder, or any function the host's
  libmvec lacks) call the scalar function lane by lane.

The loop over whole vectors is a function of its own; the last ``len % W``
elements go through it too, as one vector: they are copied into stack
vectors whose other lanes repeat the first element, and the result lanes
copied back.  So every element of an array is computed by
the same code, wherever it sits.  ``Piecewise`` stays a ``select`` over
both sides, as in the scalar code.
"""
from llvmlite import ir

from .layout_ir import copier
from .context import FUNCTIONS, I64, OPERATORS, Context, emit_body, for_range, function

#: intrinsics that lower to instructions on vectors; any other "llvm" op is a libm call.
#: llvm.fma is one vfmadd where the CPU has FMA (every AVX2 and AVX-512 one); without,
#: LLVM calls libm's fma per lane, still rounding once.
INSTRUCTIONS = {"llvm.sqrt", "llvm.fabs", "llvm.floor", "llvm.ceil", "llvm.trunc",
                "llvm.minimum", "llvm.maximum", "llvm.minnum", "llvm.maxnum", "llvm.copysign", "llvm.fma"}
#: ops computed lane by lane with the scalar function: libmvec has no vector variant
LANE_BY_LANE = {"tgamma", "lgamma", "fmod", "remainder"}
I32 = ir.IntType(32)


class VectorContext(Context):
    """A ``Context`` whose values are ``<lanes x T>``, sharing the scalar context's declarations."""

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


def define_contig(c, program, name, target, streaming=False):
    """Define the vector loop ``name`` in ``c``'s module (see the module docstring).

    ``streaming``: whole vectors are stored with non-temporal stores, which
    need every output aligned to the vector size (``define_streaming``).
    """
    v = VectorContext(c, target)
    n, m = program.n_args, len(program.outputs)
    vectors = _define_vectors(v, program, name + ".vectors", streaming)
    fn, b = function(c, name, ir.VoidType(), [I64] + [c.fptr] * (n + m), internal=True)
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


#: Programs of at most this many instructions, none a function call, are
#: memory-bound: their loop runs UNROLL vectors per iteration, so that more
#: loads are in flight at once.
CHEAP, UNROLL = 24, 4


def unroll_factor(program):
    cheap = len(program.instrs) <= CHEAP and all(
        ins.op in OPERATORS or ins.op in ("arg", "const") for ins in program.instrs)
    return UNROLL if cheap else 1


def has_stream(program):
    """Whether the array part of ``program`` has a streaming kernel (``define_streaming``):
    only memory-bound programs, those ``unroll_factor`` unrolls."""
    return unroll_factor(program) > 1


def _define_vectors(v, program, name, streaming=False):
    """``(i64 count, T *in..., T *out...)``: the program on ``count`` whole vectors.

    It holds the program's body (``unroll_factor`` copies in the main loop,
    one in the loop over the rest); the array's tail reuses it on stack
    vectors, so no loop branches or selects per iteration for the tail.
    """
    c = v.scalar
    n, m = program.n_args, len(program.outputs)
    fn, b = function(c, name, ir.VoidType(), [I64] + [c.fptr] * (n + m), internal=True)
    vptrs = [b.bitcast(p, v.vtype.as_pointer()) for p in fn.args[1:]]
    count, unroll, lanes = fn.args[0], unroll_factor(program), v.lanes

    def one(i):
        args = [b.load(b.gep(p, [i], inbounds=True), align=c.itemsize) for p in vptrs[:n]]
        for value, p in zip(emit_body(v, b, program, args), vptrs[n:]):
            store = b.store(value, b.gep(p, [i], inbounds=True), align=c.itemsize * (lanes if streaming else 1))
            if streaming:
                store.set_metadata("nontemporal", c.module.add_metadata([ir.Constant(I32, 1)]))

    def several(i):
        for k in range(unroll):
            one(b.add(i, ir.Constant(I64, k), flags=["nsw"]))

    done = ir.Constant(I64, 0)
    if unroll > 1:
        done = b.and_(count, ir.Constant(I64, -unroll))
        for_range(b, done, several, step=unroll, name="vloop.unrolled")
    for_range(b, b.sub(count, done), lambda i: one(b.add(done, i, flags=["nsw"])), name="vloop")
    b.ret_void()
    return fn


def define_streaming(c, program, name, target, contig):
    """``(i64 len, T *in..., T *out...)``: ``contig`` with non-temporal stores where it can.

    Non-temporal stores skip reading the output's cache lines before writing
    them (a quarter of the memory traffic of ``2.5*x + y``) and do not evict
    the inputs from the cache: they pay for outputs larger than the cache,
    which ``driver`` decides.  They need aligned vectors: the first elements,
    up to the vector size, run through ``contig``; where the outputs are
    misaligned differently, or not even to their element size, all of them do.
    """
    v = VectorContext(c, target)
    n, m = program.n_args, len(program.outputs)
    stream = define_contig(c, program, name + ".nt", target, streaming=True)
    fn, b = function(c, name, ir.VoidType(), [I64] + [c.fptr] * (n + m), internal=True)
    length, ptrs = fn.args[0], fn.args[1:]
    vbytes = ir.Constant(I64, v.lanes * c.itemsize)
    mask = ir.Constant(I64, v.lanes * c.itemsize - 1)
    offsets = [b.and_(b.ptrtoint(p, I64), mask) for p in ptrs[n:]]
    aligned = b.icmp_unsigned("==", b.urem(offsets[0], ir.Constant(I64, c.itemsize)), ir.Constant(I64, 0))
    for other in offsets[1:]:
        aligned = b.and_(aligned, b.icmp_unsigned("==", other, offsets[0]))
    head = b.udiv(b.and_(b.sub(vbytes, offsets[0]), mask), ir.Constant(I64, c.itemsize))
    head = b.select(aligned, b.select(b.icmp_signed("<", head, length), head, length), length)
    b.call(contig, [head] + list(ptrs))
    with b.if_then(b.icmp_signed("<", head, length)):
        b.call(stream, [b.sub(length, head)] + [b.gep(p, [head], inbounds=True) for p in ptrs])
        # non-temporal stores are weakly ordered: fence them before anything that follows
        b.call(c.declare("llvm.x86.sse.sfence", ir.VoidType(), []), [])
    b.ret_void()
    return fn


def _fill(v, b, buf, p, start, count):
    """``buf`` := ``p[start : start + count]``, the remaining lanes ``p[start]``."""
    undef = ir.Constant(v.vtype, ir.Undefined)
    source = b.gep(p, [start], inbounds=True)
    first = b.insert_element(undef, b.load(source), ir.Constant(I32, 0))
    b.store(b.shuffle_vector(first, undef, ir.Constant(ir.VectorType(I32, v.lanes), [0] * v.lanes)), buf)
    step = ir.Constant(I64, v.scalar.itemsize)
    b.call(copier(v.scalar), [count, b.bitcast(buf, v.fptr), step, source, step])


def _drain(v, b, buf, p, start, count):
    """``p[start : start + count]`` := the first ``count`` lanes of ``buf``."""
    step = ir.Constant(I64, v.scalar.itemsize)
    b.call(copier(v.scalar), [count, b.gep(p, [start], inbounds=True), step, b.bitcast(buf, v.fptr), step])
