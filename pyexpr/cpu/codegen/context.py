"""The pieces every LLVM code generator of pyexpr shares, built with ``llvmlite.ir`` only.

* ``Context`` -- the module being built, its float type and flags, and the
  functions it declares; a vector context (``vector_ir``) overrides ``const``
  and ``call``;
* ``FUNCTIONS`` and ``OPERATORS`` -- the LLVM spelling of every op of the
  registry (``pyexpr.ir.ops``): the function an op calls, or the
  instructions it emits; an op in neither raises ``LoweringError``;
* ``emit_body`` -- a Program's instructions on given values;
* ``function`` and ``for_range`` -- a new function with its entry block, and a
  counted loop.

Semantics are numpy's: ``min``/``max`` propagate nan, ``mod`` is numpy's
floored remainder (sign of the divisor, ``mod(x, 0) = nan``), ``sign`` maps
nan to nan and +-0 to +0, ``select`` computes both sides (floating point never
traps) and picks one by value; C's ``copysign``, ``fmod``, ``remainder``,
``fdim`` and ``fma`` (one rounding: ``llvm.fma``) are C's.  float32 programs compute in float32 and call
the ``f``-suffixed libm functions.
"""
from llvmlite import ir

from ...errors import LoweringError

I1, I64 = ir.IntType(1), ir.IntType(64)
I64P = I64.as_pointer()
FLOAT_TYPES = {"float64": ir.DoubleType(), "float32": ir.FloatType()}
ITEMSIZE = {"float64": 8, "float32": 4}

#: op -> (kind, spelling).  "llvm": an intrinsic, suffixed ".f64"/".f32";
#: "libm": a C function, suffixed "f" for float32.  Their SIMD spellings
#: (libmvec) are in ``vector_abi``.
FUNCTIONS = {
    **{op: ("llvm", f"llvm.{op}") for op in
       "sqrt exp exp2 log log2 log10 sin cos fabs floor ceil trunc pow copysign fma".split()},
    "min": ("llvm", "llvm.minimum"), "max": ("llvm", "llvm.maximum"),
    "fmin": ("llvm", "llvm.minnum"), "fmax": ("llvm", "llvm.maxnum"),
    **{op: ("libm", op) for op in
       "tan asin acos atan sinh cosh tanh asinh acosh atanh expm1 log1p cbrt "
       "erf erfc tgamma lgamma atan2 hypot fmod remainder".split()},
}


class _PureAttributes(ir.values.FunctionAttributes):
    # llvmlite's attribute whitelist predates LLVM's memory(...) attribute;
    # without it LLVM will not treat a libm call as pure (nor vectorize around it).
    _known = ir.values.FunctionAttributes._known | {"memory(none)", "willreturn"}


class Context:
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


def _fdim(c, b, x, y):
    # C's fdim: +0 where x <= y; elsewhere (x > y, or a nan) x - y, which is then
    # positive or nan (x > y rules out inf - inf).  Instructions, on vectors too.
    greater_or_nan = b.fcmp_unordered(">", x, y, flags=c.flags)
    return b.select(greater_or_nan, b.fsub(x, y, flags=c.flags), c.const(0.0))


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
    "fdim": _fdim,
    "sign": _sign,
    "select": lambda c, b, cond, x, y: b.select(cond, x, y),
    "and": lambda c, b, p, q: b.and_(p, q),
    "or": lambda c, b, p, q: b.or_(p, q),
    "not": lambda c, b, p: b.not_(p),
    "lt": _compare("<"), "le": _compare("<="), "gt": _compare(">"), "ge": _compare(">="),
    "eq": _compare("=="), "ne": _compare("!=", ordered=False),   # nan != nan is true
}


def emit_op(c, b, op, operands):
    if op in FUNCTIONS:
        return c.call(b, op, operands)
    if op in OPERATORS:
        return OPERATORS[op](c, b, *operands)
    raise LoweringError(f"the op {op!r} has no LLVM spelling in pyexpr.cpu.codegen.context; "
                        f"add it to FUNCTIONS or OPERATORS")


def emit_body(c, b, program, args):
    """Emit the program's instructions on ``args``; the output values."""
    values = program.walk(args.__getitem__, c.const, lambda ins, operands: emit_op(c, b, ins.op, operands))
    return [values[o] for o in program.outputs]


# --- functions ------------------------------------------------------------

def function(c, name, ret, params, internal=False):
    fn = ir.Function(c.module, ir.FunctionType(ret, params), name)
    fn.attributes.add("nounwind")
    if internal:
        # one copy of each loop: inlining them at every call site would only
        # multiply code size and compile time for large formulas
        fn.linkage = "internal"
        fn.attributes.add("noinline")
    return fn, ir.IRBuilder(fn.append_basic_block("entry"))


def for_range(b, n, body, step=1, name="loop"):
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
