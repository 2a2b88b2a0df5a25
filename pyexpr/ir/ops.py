"""The op registry: every operation a ``Program`` may hold, one row each.

A row says what an op *is*; how a backend spells it is that backend's own
table (LLVM scalar and SIMD in ``pyexpr.cpu.codegen``, CUDA in
``pyexpr.gpu.cuda_c``, the numpy interpreter in ``ir.interp``, the Python
source printer in ``pyexpr.source_code``).  ``tests/test_registry.py`` checks
every table against this one and names what a backend lacks, so adding a
function is one row here plus one spelling per backend.

Fields of an ``Op``:

* ``args``, ``result`` -- operand and result types: ``"f"`` (a float) or
  ``"b"`` (a boolean);
* ``sympy`` -- the sympy class that lowers to the op, dotted
  (``"sympy.exp"``, ``"pyexpr.functions.expm1"``); None for ops that
  ``ir.from_sympy`` builds from the structure of an expression (``add`` from
  ``Add``, ``select`` from ``Piecewise``, ...);
* ``numpy`` -- the function whose values the op has at every input,
  special values included (``"numpy.exp"``; ``"math.erf"`` where numpy has
  none: its exceptions then stand for C's nan and inf; the interpreter's own,
  ``"pyexpr.ir.interp.fdim"``, where neither has one; for a composite, the
  scipy.special function tests compare with where there is one);
* ``cost`` -- ``"instruction"`` (a few machine instructions on any vector;
  ``fma`` is one where the CPU has FMA, else LLVM calls libm's per lane),
  ``"call"`` (a math function: a vector call where libmvec has it, else
  one call per lane) or ``"composite"``: the numerically stable functions
  (softplus, sigmoid, logaddexp, ...) that ``ir.composite`` writes with
  other ops when it lowers them, so no Program holds them and no backend
  needs a spelling;
* ``derivative`` -- for a sympy class of pyexpr's own (``pyexpr.functions``,
  ``pyexpr.libm``, ``pyexpr.stability.functions``), its derivative as sympy text in ``x``
  (one argument) or one text per argument in ``x, y, z`` (trusted, never
  user input);
* ``domain`` -- notes on special values where they are not obvious.

Strings, not objects, keep this module free of sympy and numpy imports: a
process that runs kernels from the disk cache reads the cost column only.

    >>> OPS["expm1"].args, OPS["expm1"].result, OPS["lt"].result
    (('f',), 'f', 'b')
"""
from dataclasses import dataclass

F, B = "f", "b"


@dataclass(frozen=True)
class Op:
    name: str
    args: tuple
    result: str
    sympy: str = None
    numpy: str = None
    cost: str = "call"
    derivative: str = None
    domain: str = ""

    @property
    def arity(self):
        return len(self.args)


def _unary(name, sympy, numpy, cost="call", **notes):
    return Op(name, (F,), F, sympy, numpy, cost, **notes)


def _binary(name, sympy, numpy, cost="call", **notes):
    return Op(name, (F, F), F, sympy, numpy, cost, **notes)


def _composite(name, params, numpy, derivative, domain):
    return Op(name, (F,) * len(params), F, f"pyexpr.stability.functions.{name}", numpy, "composite",
              derivative, domain)


def _compare(name, sympy, numpy):
    return Op(name, (F, F), B, sympy, numpy, "instruction")


_ROWS = [
    Op("arg", (), F, cost="instruction", domain="the argument at index attr"),
    Op("const", (), F, cost="instruction", domain="the float attr"),
    # arithmetic: from the structure of Add, Mul and Pow
    _unary("neg", None, "numpy.negative", "instruction"),
    _binary("add", None, "numpy.add", "instruction"),
    _binary("sub", None, "numpy.subtract", "instruction"),
    _binary("mul", None, "numpy.multiply", "instruction"),
    _binary("div", None, "numpy.divide", "instruction"),
    _binary("pow", None, "numpy.power", domain="C's pow: 1 at (x, 0) and (1, y), nan for x < 0 "
                                             "and non-integer y"),
    _binary("mod", "sympy.Mod", "numpy.mod", "instruction",
            domain="floored: the divisor's sign; nan for a zero divisor"),
    _binary("min", "sympy.Min", "numpy.minimum", "instruction", domain="nan if either is nan"),
    _binary("max", "sympy.Max", "numpy.maximum", "instruction", domain="nan if either is nan"),
    # functions of one argument
    _unary("sqrt", None, "numpy.sqrt", "instruction", domain="from Pow(x, 1/2); sqrt(-0) = -0"),
    _unary("cbrt", "pyexpr.functions.cbrt", "numpy.cbrt", derivative="1/(3*cbrt(x)**2)",
           domain="real: cbrt(-8) = -2"),
    _unary("exp", "sympy.exp", "numpy.exp"),
    _unary("exp2", "pyexpr.functions.exp2", "numpy.exp2"),
    _unary("expm1", "pyexpr.functions.expm1", "numpy.expm1"),
    _unary("log", "sympy.log", "numpy.log"),
    _unary("log2", "pyexpr.functions.log2", "numpy.log2"),
    _unary("log10", "pyexpr.functions.log10", "numpy.log10"),
    _unary("log1p", "pyexpr.functions.log1p", "numpy.log1p"),
    _unary("sin", "sympy.sin", "numpy.sin"),
    _unary("cos", "sympy.cos", "numpy.cos"),
    _unary("tan", "sympy.tan", "numpy.tan"),
    _unary("asin", "sympy.asin", "numpy.arcsin"),
    _unary("acos", "sympy.acos", "numpy.arccos"),
    _unary("atan", "sympy.atan", "numpy.arctan"),
    _unary("sinh", "sympy.sinh", "numpy.sinh"),
    _unary("cosh", "sympy.cosh", "numpy.cosh"),
    _unary("tanh", "sympy.tanh", "numpy.tanh"),
    _unary("asinh", "sympy.asinh", "numpy.arcsinh"),
    _unary("acosh", "sympy.acosh", "numpy.arccosh"),
    _unary("atanh", "sympy.atanh", "numpy.arctanh"),
    _unary("erf", "sympy.erf", "math.erf"),
    _unary("erfc", "sympy.erfc", "math.erfc"),
    _unary("tgamma", "sympy.gamma", "math.gamma", domain="C99: +-inf at +-0, nan at negative "
                                                          "integers and -inf"),
    _unary("lgamma", "sympy.loggamma", "math.lgamma", domain="inf at the poles"),
    _unary("floor", "sympy.floor", "numpy.floor", "instruction"),
    _unary("ceil", "sympy.ceiling", "numpy.ceil", "instruction"),
    _unary("trunc", "pyexpr.functions.trunc", "numpy.trunc", "instruction", derivative="0"),
    _unary("fabs", "sympy.Abs", "numpy.fabs", "instruction"),
    _unary("sign", "sympy.sign", "numpy.sign", "instruction", domain="nan at nan, +0 at +-0"),
    # functions of two arguments
    _binary("atan2", "sympy.atan2", "numpy.arctan2"),
    _binary("hypot", "pyexpr.functions.hypot", "numpy.hypot"),
    # C's functions of two and three arguments (pyexpr.libm): exact, or rounded once
    _binary("copysign", "pyexpr.libm.copysign", "numpy.copysign", "instruction",
            derivative=("copysign(1, x)*copysign(1, y)", "0"),
            domain="x's magnitude with y's sign bit: -0 and the sign of a nan count"),
    _binary("fmod", "pyexpr.libm.fmod", "numpy.fmod", derivative=("1", "-trunc(x/y)"),
            domain="C's fmod: exact, the sign of x; nan for y = 0 and for x = +-inf; x for y = +-inf"),
    # d/dy is -n, n = x/y rounded half to even, which is x/y - remainder(x/y, 1) exactly
    _binary("remainder", "pyexpr.libm.remainder", "math.remainder",
            derivative=("1", "remainder(x/y, 1) - x/y"),
            domain="IEEE: exact, x - n*y for n = x/y rounded half to even; nan for y = 0 and for "
                   "x = +-inf (where math raises); x for y = +-inf"),
    _binary("fmax", "pyexpr.libm.fmax", "numpy.fmax", "instruction",
            derivative=("Piecewise((1, x >= y), (0, True))", "Piecewise((0, x >= y), (1, True))"),
            domain="the larger; a nan ignored (nan where both are)"),
    _binary("fmin", "pyexpr.libm.fmin", "numpy.fmin", "instruction",
            derivative=("Piecewise((1, x <= y), (0, True))", "Piecewise((0, x <= y), (1, True))"),
            domain="the smaller; a nan ignored (nan where both are)"),
    _binary("fdim", "pyexpr.libm.fdim", "pyexpr.ir.interp.fdim", "instruction",
            derivative=("Piecewise((1, x > y), (0, True))", "Piecewise((-1, x > y), (0, True))"),
            domain="C's fdim: x - y where x > y, +0 where x <= y, nan if either is nan; "
                   "neither math nor numpy has it"),
    Op("fma", (F, F, F), F, "pyexpr.libm.fma", "pyexpr.ir.interp.fma", "instruction", ("y", "x", "1"),
       domain="x*y + z rounded once (math.fma from Python 3.13; LLVM's llvm.fma, CUDA's fma)"),
    # numerically stable functions, written with the ops above by ir.composite
    _composite("softplus", ("x",), "scipy.special.softplus", "sigmoid(x)",
               "log(1 + exp(x)): max(x, 0) + log1p(exp(-|x|)), no overflow"),
    _composite("sigmoid", ("x",), "scipy.special.expit", "sigmoid(x)*sigmoid(-x)",
               "1/(1 + exp(-x)) with exp of -|x| only: no overflow, full relative accuracy"),
    _composite("logit", ("x",), "scipy.special.logit", "1/(x*(1 - x))",
               "log(x/(1 - x)); near 1/2 log1p((2x - 1)/(1 - x)); nan outside [0, 1]"),
    _composite("log1mexp", ("x",), None, "-1/expm1(-x)",
               "log(1 - exp(x)) for x <= 0: log(-expm1(x)) above -log(2), else log1p(-exp(x))"),
    _composite("logaddexp", ("x", "y"), "numpy.logaddexp", ("sigmoid(x - y)", "sigmoid(y - x)"),
               "log(exp(x) + exp(y)): max + log1p(exp(-|x - y|)); x + log(2) where x == y "
               "(inf at inf, inf)"),
    _composite("xlogy", ("x", "y"), "scipy.special.xlogy", ("log(y)", "x/y"),
               "x*log(y), 0 where x == 0 (nan if y is nan)"),
    _composite("xlog1py", ("x", "y"), "scipy.special.xlog1py", ("log1p(y)", "x/(1 + y)"),
               "x*log1p(y), 0 where x == 0 (nan if y is nan)"),
    _composite("erfcx", ("x",), "scipy.special.erfcx", "derfcx(x)",
               "exp(x**2)*erfc(x): the product with x**2 split exactly below 9, the "
               "asymptotic series above (no overflow, no underflow)"),
    _composite("derfcx", ("x",), None, "2*erfcx(x) + 2*x*derfcx(x)",
               "erfcx'(x) = 2x erfcx(x) - 2/sqrt(pi); from 2 on Laplace's continued fraction "
               "(60 terms), which does not cancel"),
    _composite("log_erfc", ("x",), None, "-2/(sqrt(pi)*erfcx(x))",
               "log(erfc(x)): log1p(-erf(x)) near 0, log(erfcx(x)) - x**2 above 1/2 "
               "(finite where erfc underflows)"),
    # comparisons and conditions
    _compare("lt", "sympy.StrictLessThan", "numpy.less"),
    _compare("le", "sympy.LessThan", "numpy.less_equal"),
    _compare("gt", "sympy.StrictGreaterThan", "numpy.greater"),
    _compare("ge", "sympy.GreaterThan", "numpy.greater_equal"),
    _compare("eq", "sympy.Equality", "numpy.equal"),
    _compare("ne", "sympy.Unequality", "numpy.not_equal"),
    Op("and", (B, B), B, "sympy.And", "numpy.logical_and", "instruction"),
    Op("or", (B, B), B, "sympy.Or", "numpy.logical_or", "instruction"),
    Op("not", (B,), B, "sympy.Not", "numpy.logical_not", "instruction"),
    Op("select", (B, F, F), F, None, "numpy.where", "instruction",
       domain="from Piecewise: both sides are computed (floating point never traps)"),
]

#: op name -> its row
OPS = {row.name: row for row in _ROWS}
#: the ops a Program may hold with operands (every op but the leaves and the composites)
COMPUTED = tuple(name for name, row in OPS.items() if row.args and row.cost != "composite")
#: the functions lowered as other ops (``ir.composite``)
COMPOSITE = tuple(name for name, row in OPS.items() if row.cost == "composite")
