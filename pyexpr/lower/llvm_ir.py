"""Program -> LLVM IR, built with ``llvmlite.ir`` only (no JIT, no target).

``build_module(program, dtype, fastmath, simd, parts)`` returns an
``ir.Module`` defining, for a program ``f`` with ``n`` arguments and ``m``
outputs (symbol names from ``entry_names``; ``T`` is ``double`` or ``float``):

* ``T pyexpr_f(T, ...)`` -- the first output (the scalar entry point);
* ``void pyexpr_f_multi(T, ..., T *out0, ...)`` -- every output, through pointers;
* ``PyObject *pyexpr_f_fastcall(self, args, nargs, kwnames)`` -- only when
  asked for, with one output: a CPython builtin's code (see ``fastcall``);
* ``PyObject *pyexpr_f_arraycall(self, args, nargs, kwnames)`` -- only when
  asked for, with one output and at least one argument: a builtin's code for
  small arrays (``arraycall``);
* ``void pyexpr_f_array_stream(...)`` -- only when asked for: the array
  kernel again, storing with non-temporal stores
  (``vector_ir.define_streaming``), for memory-bound programs with explicit
  SIMD only (``vector_ir.has_stream``);
* ``void pyexpr_f_array(i64 rows, i64 cols, i64 *ptrs, i64 *strides)`` -- the
  array kernel.  ``ptrs`` holds ``n + m`` base addresses (inputs, then outputs);
  ``strides`` holds ``n + m`` byte strides along a row (columns), then ``n + m``
  byte strides between rows.  Element ``(r, c)`` of operand ``k`` lives at
  ``ptrs[k] + r*strides[n+m+k] + c*strides[k]``.

The program's body is emitted once per part: in the scalar part, the entry
point that does not hold it calls the one that does; in the array part, only
the contiguous loop holds it.  A row whose operands are all unit-stride runs
that loop over ``noalias`` pointers directly: explicit SIMD code from
``vector_ir`` when ``simd`` names a vector target, else a scalar loop that
LLVM may vectorize.  Any other row runs it block by block: broadcast inputs
(stride 0) are splatted into a stack block once, other strided inputs are
gathered into stack blocks and strided outputs scattered back.

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
    >>> 'call double @"llvm.sin.f64"' in str(build_module(Program.from_exprs("g", [x], [sympy.sin(x)])))
    True
"""
import re

from llvmlite import ir

from ..errors import LoweringError
from .driver import entry_names  # noqa: F401  (the names are part of the calling convention)
from .program import OPS

I1, I64 = ir.IntType(1), ir.IntType(64)
I64P = I64.as_pointer()
FLOAT_TYPES = {"float64": ir.DoubleType(), "float32": ir.FloatType()}
ITEMSIZE = {"float64": 8, "float32": 4}

#: op -> (kind, spelling).  "llvm": an intrinsic, suffixed ".f64"/".f32";
#: "libm": a C function, suffixed "f" for float32.  Their SIMD spellings
#: (libmvec) are in ``vector_abi``.
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


def build_module(program, dtype="float64", fastmath=False, simd=None, parts=("scalar", "array")):
    """The ``ir.Module`` of ``program`` (see the module docstring).

    ``parts`` picks the functions: ``"scalar"`` (scalar and multi entry
    points), ``"fastcall"`` (with "scalar", for a single output: the builtin
    entry of ``fastcall``), ``"array"`` (the array kernel), ``"stream"`` and
    ``"arraycall"`` (with "array": the streaming kernel, and for a single
    output the entry of ``arraycall``), so that each can be compiled on its
    own.  ``simd`` is a ``vector_abi.VectorTarget``: the contiguous loop
    is then explicit vector code (``vector_ir``); with None it is a scalar
    loop that LLVM may vectorize.
    """
    module = ir.Module(name=entry_names(program)["scalar"])   # a name, not text: it is written raw
    ctx = _Context(module, dtype, fastmath)
    names = entry_names(program)
    if "scalar" in parts:
        scalar = _define_entry_points(ctx, program, names)
        if "fastcall" in parts and len(program.outputs) == 1:
            from .fastcall import define_entry
            define_entry(module, scalar, names["fastcall"])
    if "array" in parts:
        if simd is None:
            contig = _define_contig(ctx, program, names["array"] + ".contig")
        else:
            from .vector_ir import define_contig
            contig = define_contig(ctx, program, names["array"] + ".contig", simd)
        from .layout_ir import define_array, define_blocked
        blocked = define_blocked(ctx, program, names["array"] + ".blocked", contig)
        define_array(ctx, program, names["array"], contig, blocked)
        if "arraycall" in parts and len(program.outputs) == 1 and program.n_args:
            from .arraycall import define_entry
            define_entry(module, contig, program.n_args, dtype, names["arraycall"])
        if "stream" in parts and simd is not None:
            from .vector_ir import define_streaming, has_stream
            if has_stream(program):
                stream = define_streaming(ctx, program, names["stream"] + ".contig", simd, contig)
                define_array(ctx, program, names["stream"], stream, blocked)
    return module


class _Context:
    """The module being built, its float type and flags, and declared callees.

    ``vtype`` is the type of one value: ``ftype`` itself, or ``<lanes x ftype>``
    in a vector context (``vector_ir``), which overrides ``const`` and ``call``.
    """

    def __init__(self, module, dtype, fastmath):
        self.module, self.dtype = module, dtype
        self.ftype = self.vtype = FLOAT_TYPES[dtype]
        self.fptr = self.ftype.as_pointer()
        self.itemsize = ITEMSIZE[dtype]
        self.flags = ("fast",) if fastmath else ()
        self.lanes = 1
        self._callees = {}

    def const(self, value):
        return ir.Constant(self.ftype, value)

    def declare(self, name, ret, params, pure=False):
        """Declare (once) and return the external function ``name``."""
        if name not in self._callees:
            fn = ir.Function(self.module, ir.FunctionType(ret, params), name)
            if pure:
                fn.attributes = _PureAttributes(["memory(none)", "nounwind", "willreturn"])
            self._callees[name] = fn
        return self._callees[name]

    def callee(self, kind, spelling, arity):
        """The function spelled ``spelling`` on values of ``vtype``."""
        if kind == "llvm":
            suffix = ("f64" if self.dtype == "float64" else "f32")
            name = f"{spelling}.{suffix if self.lanes == 1 else f'v{self.lanes}{suffix}'}"
            return self.declare(name, self.vtype, [self.vtype] * arity)
        assert self.lanes == 1, "libm functions take scalars"
        name = spelling + ("" if self.dtype == "float64" else "f")
        return self.declare(name, self.ftype, [self.ftype] * arity, pure=True)

    def call(self, b, op, operands):
        """Emit the call computing the ``FUNCTIONS`` op ``op``."""
        if op == "lgamma":
            return self._lgamma(b, operands[0])
        kind, spelling = FUNCTIONS[op]
        return b.call(self.callee(kind, spelling, len(operands)), operands, fastmath=self.flags)

    def _lgamma(self, b, x):
        """``lgamma_r``: C's ``lgamma`` stores the sign of gamma in the global ``signgam``,
        which threads running the same kernel would all write; this one writes to the stack."""
        name = "lgamma_r" if self.dtype == "float64" else "lgammaf_r"
        fn = self.declare(name, self.ftype, [self.ftype, ir.IntType(32).as_pointer()])
        here = b.block                      # (the code is emitted at the end of a block)
        b.position_at_start(b.function.entry_basic_block)
        sign = b.alloca(ir.IntType(32), name="sign")   # in the entry block: not one per iteration
        b.position_at_end(here)
        return b.call(fn, [x, sign], fastmath=self.flags)


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
        return c.call(b, op, operands)
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


def _define_entry_points(c, program, names):
    """The scalar and multi entry points: one holds the body, the other calls it.  Returns the scalar one."""
    if len(program.outputs) == 1:
        body = _define_scalar(c, program, names["scalar"], None)
        body.attributes.add("noinline")
        _define_multi(c, program, names["multi"], body)
        return body
    body = _define_multi(c, program, names["multi"], None)
    body.attributes.add("noinline")
    return _define_scalar(c, program, names["scalar"], body)


def _define_scalar(c, program, name, multi):
    """The first output; a single-output program's body lives here, else it calls ``multi``."""
    fn, b = _function(c, name, c.ftype, [c.ftype] * program.n_args)
    for i, (arg, arg_name) in enumerate(zip(fn.args, program.arg_names)):
        arg.name = arg_name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", arg_name) else f"arg.{i}"
    if multi is None:
        b.ret(_emit_body(c, b, program, list(fn.args))[0])
        return fn
    outs = [b.alloca(c.ftype) for _ in program.outputs]
    b.call(multi, list(fn.args) + outs)
    b.ret(b.load(outs[0]))
    return fn


def _define_multi(c, program, name, scalar):
    """Every output through pointers; a single-output program's calls ``scalar``."""
    n, m = program.n_args, len(program.outputs)
    fn, b = _function(c, name, ir.VoidType(), [c.ftype] * n + [c.fptr] * m)
    values = [b.call(scalar, fn.args[:n])] if scalar else _emit_body(c, b, program, list(fn.args[:n]))
    for value, ptr in zip(values, fn.args[n:]):
        b.store(value, ptr)
    b.ret_void()
    return fn


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
