"""Program -> LLVM IR, built with ``llvmlite.ir`` only (no JIT, no target).

``build_module(program, dtype, fastmath)`` returns an ``ir.Module`` defining,
for a program ``f`` with ``n`` arguments and ``m`` outputs (symbol names from
``entry_names``; ``T`` is ``double`` or ``float``):

* ``T pyexpr_f(T, ...)`` -- the first output (the scalar entry point);
* ``void pyexpr_f_multi(T, ..., T *out0, ...)`` -- every output, through pointers;
* ``void pyexpr_f_array(i64 rows, i64 cols, i64 *ptrs, i64 *strides)`` -- the
  array kernel.  ``ptrs`` holds ``n + m`` base addresses (inputs, then outputs);
  ``strides`` holds ``n + m`` byte strides along a row (columns), then ``n + m``
  byte strides between rows.  Element ``(r, c)`` of operand ``k`` lives at
  ``ptrs[k] + r*strides[n+m+k] + c*strides[k]``.

A row whose outputs are unit-stride and whose inputs are unit-stride runs a
loop over ``noalias`` pointers that LLVM vectorizes; inputs with stride 0
(broadcast scalars) are first splatted into stack blocks so that the same loop
serves them; every other row runs a scalar loop over byte strides.

Semantics are numpy's: ``min``/``max`` propagate nan, ``mod`` is numpy's
floored remainder (sign of the divisor, ``mod(x, 0) = nan``), ``sign`` maps
nan to nan and +-0 to +0, ``select`` computes both sides (floating point never
traps) and picks one by value.  float32 programs compute in float32 and call
the ``f``-suffixed libm functions.

Every function an op calls is spelled in one table, ``FUNCTIONS``; an op that
is neither there nor in ``OPERATORS`` raises ``LoweringError``.

    >>> import sympy
    >>> from pyexpr.lower.program import Program
    >>> x = sympy.Symbol("x", real=True)
    >>> "call double @llvm.sin.f64" in str(build_module(Program.from_exprs("g", [x], [sympy.sin(x)])))
    True
"""
import re

from llvmlite import ir

from ..errors import LoweringError
from .program import OPS

I1, I64 = ir.IntType(1), ir.IntType(64)
I64P = I64.as_pointer()
FLOAT_TYPES = {"float64": ir.DoubleType(), "float32": ir.FloatType()}
ITEMSIZE = {"float64": 8, "float32": 4}

#: Rows with broadcast-scalar inputs run in blocks of this many elements.
SPLAT_BLOCK = 512

#: op -> (kind, spelling).  "llvm": an intrinsic, suffixed ".f64"/".f32";
#: "libm": a C function, suffixed "f" for float32.  A later change can swap in
#: vector-ABI spellings (libmvec) here without touching the emitter.
FUNCTIONS = {
    **{op: ("llvm", f"llvm.{op}") for op in
       "sqrt exp exp2 log log2 log10 sin cos fabs floor ceil trunc pow".split()},
    "min": ("llvm", "llvm.minimum"), "max": ("llvm", "llvm.maximum"),
    **{op: ("libm", op) for op in
       "tan asin acos atan sinh cosh tanh asinh acosh atanh expm1 log1p cbrt "
       "erf erfc tgamma lgamma atan2 hypot".split()},
}


class _PureAttributes(ir.values.FunctionAttributes):
    # llvmlite's attribute whitelist predates LLVM's memory(...) attribute;
    # without it LLVM will not treat a libm call as pure (nor vectorize around it).
    _known = ir.values.FunctionAttributes._known | {"memory(none)", "willreturn"}


def entry_names(program):
    """Symbol names of the exported functions: ``{"scalar", "multi", "array"} -> name``."""
    base = "pyexpr_" + re.sub(r"\W", "_", program.name)
    return {"scalar": base, "multi": base + "_multi", "array": base + "_array"}


def build_module(program, dtype="float64", fastmath=False):
    """The ``ir.Module`` of ``program`` (see the module docstring)."""
    module = ir.Module(name=program.name)
    ctx = _Context(module, dtype, fastmath)
    names = entry_names(program)
    _define_scalar(ctx, program, names["scalar"])
    _define_multi(ctx, program, names["multi"])
    contig = _define_contig(ctx, program, names["array"] + ".contig")
    strided = _define_strided(ctx, program, names["array"] + ".strided")
    splat = _define_splat(ctx, program, names["array"] + ".splat", contig)
    _define_array(ctx, program, names["array"], contig, strided, splat)
    return module


class _Context:
    """The module being built, its float type and flags, and declared callees."""

    def __init__(self, module, dtype, fastmath):
        self.module, self.dtype = module, dtype
        self.ftype = FLOAT_TYPES[dtype]
        self.fptr = self.ftype.as_pointer()
        self.itemsize = ITEMSIZE[dtype]
        self.flags = ("fast",) if fastmath else ()
        self._callees = {}

    def const(self, value):
        return ir.Constant(self.ftype, value)

    def callee(self, kind, spelling, arity):
        """Declare (once) and return the function spelled ``spelling``."""
        if kind == "llvm":
            name = spelling + (".f64" if self.dtype == "float64" else ".f32")
        else:
            name = spelling + ("" if self.dtype == "float64" else "f")
        if name not in self._callees:
            fn = ir.Function(self.module, ir.FunctionType(self.ftype, [self.ftype] * arity), name)
            if kind == "libm":
                fn.attributes = _PureAttributes(["memory(none)", "nounwind", "willreturn"])
            self._callees[name] = fn
        return self._callees[name]


# --- one op ---------------------------------------------------------------

def _mod(c, b, x, y):
    # numpy's npy_remainder: r = fmod(x, y); a nonzero r (nan counts as
    # nonzero, as in C) whose sign differs from y's gets y added; a zero r
    # takes y's sign.  fmod(x, 0) is nan, which then passes through.
    zero = c.const(0.0)
    r = b.frem(x, y, flags=c.flags)
    fix = b.xor(b.fcmp_ordered("<", y, zero, flags=c.flags), b.fcmp_ordered("<", r, zero, flags=c.flags))
    adjusted = b.select(fix, b.fadd(r, y, flags=c.flags), r)
    signed_zero = b.call(c.callee("llvm", "llvm.copysign", 2), [zero, y])
    return b.select(b.fcmp_unordered("!=", r, zero, flags=c.flags), adjusted, signed_zero)


def _sign(c, b, x):
    zero = c.const(0.0)
    zero_or_nan = b.select(b.fcmp_ordered("==", x, zero, flags=c.flags), zero, x)
    negative = b.select(b.fcmp_ordered("<", x, zero, flags=c.flags), c.const(-1.0), zero_or_nan)
    return b.select(b.fcmp_ordered(">", x, zero, flags=c.flags), c.const(1.0), negative)


def _compare(pred, ordered=True):
    def emit(c, b, x, y):
        cmp = b.fcmp_ordered if ordered else b.fcmp_unordered
        return cmp(pred, x, y, flags=c.flags)
    return emit


#: op -> emitter(context, builder, *operands) for ops that are not calls.
OPERATORS = {
    "neg": lambda c, b, x: b.fneg(x, flags=c.flags),
    "add": lambda c, b, x, y: b.fadd(x, y, flags=c.flags),
    "sub": lambda c, b, x, y: b.fsub(x, y, flags=c.flags),
    "mul": lambda c, b, x, y: b.fmul(x, y, flags=c.flags),
    "div": lambda c, b, x, y: b.fdiv(x, y, flags=c.flags),
    "mod": _mod,
    "sign": _sign,
    "select": lambda c, b, cond, x, y: b.select(cond, x, y),
    "and": lambda c, b, p, q: b.and_(p, q),
    "or": lambda c, b, p, q: b.or_(p, q),
    "not": lambda c, b, p: b.not_(p),
    "lt": _compare("<"), "le": _compare("<="), "gt": _compare(">"), "ge": _compare(">="),
    "eq": _compare("=="), "ne": _compare("!=", ordered=False),   # nan != nan is true
}


def _emit_op(c, b, op, operands):
    if op in FUNCTIONS:
        kind, spelling = FUNCTIONS[op]
        return b.call(c.callee(kind, spelling, len(operands)), operands, fastmath=c.flags)
    if op in OPERATORS:
        return OPERATORS[op](c, b, *operands)
    raise LoweringError(f"the op {op!r} has no LLVM spelling in pyexpr.lower.llvm_ir; "
                        f"add it to FUNCTIONS or OPERATORS")


def _emit_body(c, b, program, args):
    """Emit the program's instructions on ``args``; the output values."""
    values = []
    for ins in program.instrs:
        if ins.op == "arg":
            values.append(args[ins.attr])
        elif ins.op == "const":
            values.append(c.const(ins.attr))
        else:
            assert ins.op in OPS, ins.op
            values.append(_emit_op(c, b, ins.op, [values[a] for a in ins.args]))
    return [values[o] for o in program.outputs]


# --- functions ------------------------------------------------------------

def _function(c, name, ret, params, internal=False):
    fn = ir.Function(c.module, ir.FunctionType(ret, params), name)
    fn.attributes.add("nounwind")
    if internal:
        # one copy of each loop: inlining them at every call site would only
        # multiply code size and compile time for large formulas
        fn.linkage = "internal"
        fn.attributes.add("noinline")
    return fn, ir.IRBuilder(fn.append_basic_block("entry"))


def _for_range(b, n, body, step=1, name="loop"):
    """Emit ``for i in range(0, n, step): body(i)``; ``b`` ends after the loop."""
    zero = ir.Constant(I64, 0)
    before = b.block
    loop, done = b.append_basic_block(name), b.append_basic_block(name + ".done")
    b.cbranch(b.icmp_signed(">", n, zero), loop, done)
    b.position_at_end(loop)
    i = b.phi(I64, name="i")
    i.add_incoming(zero, before)
    body(i)
    following = b.add(i, ir.Constant(I64, step), flags=["nsw"])
    i.add_incoming(following, b.block)
    b.cbranch(b.icmp_signed("<", following, n), loop, done)
    b.position_at_end(done)


def _define_scalar(c, program, name):
    fn, b = _function(c, name, c.ftype, [c.ftype] * program.n_args)
    for arg, arg_name in zip(fn.args, program.arg_names):
        arg.name = arg_name
    b.ret(_emit_body(c, b, program, list(fn.args))[0])


def _define_multi(c, program, name):
    n, m = program.n_args, len(program.outputs)
    fn, b = _function(c, name, ir.VoidType(), [c.ftype] * n + [c.fptr] * m)
    for value, ptr in zip(_emit_body(c, b, program, list(fn.args[:n])), fn.args[n:]):
        b.store(value, ptr)
    b.ret_void()


def _define_contig(c, program, name):
    """``(i64 len, T *noalias in..., T *noalias out...)``: unit strides, vectorizable."""
    n, m = program.n_args, len(program.outputs)
    fn, b = _function(c, name, ir.VoidType(), [I64] + [c.fptr] * (n + m), internal=True)
    for ptr in fn.args[1:]:
        ptr.add_attribute("noalias")

    def body(i):
        args = [b.load(b.gep(p, [i], inbounds=True)) for p in fn.args[1:n + 1]]
        for value, p in zip(_emit_body(c, b, program, args), fn.args[n + 1:]):
            b.store(value, b.gep(p, [i], inbounds=True))
    _for_range(b, fn.args[0], body)
    b.ret_void()
    return fn


def _at(c, b, base, offset):
    """The ``T *`` at byte ``offset`` from the ``i64`` address ``base``."""
    return b.inttoptr(b.add(base, offset), c.fptr)


def _define_strided(c, program, name):
    """``(i64 len, i64 addr..., i64 byte_stride...)``: any strides, scalar loop."""
    n, k = program.n_args, program.n_args + len(program.outputs)
    fn, b = _function(c, name, ir.VoidType(), [I64] * (1 + 2 * k), internal=True)
    bases, strides = fn.args[1:k + 1], fn.args[k + 1:]

    def body(i):
        ptrs = [_at(c, b, base, b.mul(i, s)) for base, s in zip(bases, strides)]
        outs = _emit_body(c, b, program, [b.load(p) for p in ptrs[:n]])
        for value, p in zip(outs, ptrs[n:]):
            b.store(value, p)
    _for_range(b, fn.args[0], body)
    b.ret_void()
    return fn


def _define_splat(c, program, name, contig):
    """Like ``strided``, for unit-stride outputs and unit- or zero-stride inputs.

    Each zero-stride input is copied into a stack block once, so the
    vectorizable ``contig`` loop runs over blocks of ``SPLAT_BLOCK`` elements.
    """
    n, k = program.n_args, program.n_args + len(program.outputs)
    fn, b = _function(c, name, ir.VoidType(), [I64] * (1 + 2 * k), internal=True)
    length, bases, strides = fn.args[0], fn.args[1:k + 1], fn.args[k + 1:]
    block = ir.Constant(I64, SPLAT_BLOCK)
    buffers = [b.bitcast(b.alloca(ir.ArrayType(c.ftype, SPLAT_BLOCK)), c.fptr) for _ in range(n)]
    fill = b.select(b.icmp_signed("<", length, block), length, block)
    for buffer, base, stride in zip(buffers, bases[:n], strides[:n]):
        _splat_input(c, b, buffer, base, stride, fill)

    def body(start):
        rest = b.sub(length, start)
        count = b.select(b.icmp_signed("<", rest, block), rest, block)
        offset = b.mul(start, ir.Constant(I64, c.itemsize))
        ptrs = [b.select(b.icmp_signed("==", s, ir.Constant(I64, 0)), buf, _at(c, b, base, offset))
                for base, s, buf in zip(bases[:n], strides[:n], buffers)]
        ptrs += [_at(c, b, base, offset) for base in bases[n:]]
        b.call(contig, [count] + ptrs)
    _for_range(b, length, body, step=SPLAT_BLOCK, name="block")
    b.ret_void()
    return fn


def _splat_input(c, b, buffer, base, stride, count):
    """Fill ``buffer`` with ``count`` copies of ``*base`` when ``stride`` is 0."""
    with b.if_then(b.icmp_signed("==", stride, ir.Constant(I64, 0))):
        value = b.load(b.inttoptr(base, c.fptr))
        _for_range(b, count, lambda i: b.store(value, b.gep(buffer, [i], inbounds=True)), name="splat")


def _define_array(c, program, name, contig, strided, splat):
    """The exported kernel: picks a row loop once, then runs it on every row."""
    k = program.n_args + len(program.outputs)
    fn, b = _function(c, name, ir.VoidType(), [I64, I64, I64P, I64P])
    rows, cols, ptr_array, stride_array = fn.args
    load = lambda array, j: b.load(b.gep(array, [ir.Constant(I64, j)], inbounds=True))
    bases = [load(ptr_array, j) for j in range(k)]
    inner = [load(stride_array, j) for j in range(k)]
    outer = [load(stride_array, k + j) for j in range(k)]
    unit, has_zero = _row_kind(c, b, inner, program.n_args)

    def body(r):
        row = [b.add(base, b.mul(r, s)) for base, s in zip(bases, outer)]
        with b.if_else(unit) as (fast, slow):
            with fast:
                with b.if_else(has_zero) as (splatted, plain):
                    with splatted:
                        b.call(splat, [cols] + row + inner)
                    with plain:
                        b.call(contig, [cols] + [b.inttoptr(p, c.fptr) for p in row])
            with slow:
                b.call(strided, [cols] + row + inner)
    _for_range(b, rows, body, name="row")
    b.ret_void()


def _row_kind(c, b, inner, n):
    """(outputs and inputs unit-stride or inputs zero-stride, some input zero-stride)."""
    size, zero = ir.Constant(I64, c.itemsize), ir.Constant(I64, 0)
    unit, has_zero = ir.Constant(I1, 1), ir.Constant(I1, 0)
    for j, s in enumerate(inner):
        is_unit = b.icmp_signed("==", s, size)
        if j < n:
            is_zero = b.icmp_signed("==", s, zero)
            has_zero = b.or_(has_zero, is_zero)
            is_unit = b.or_(is_unit, is_zero)
        unit = b.and_(unit, is_unit)
    return unit, has_zero
