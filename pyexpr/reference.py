"""The reference evaluation path: sympy's ``lambdify`` to numpy.

``ReferenceKernel`` has the kernel interface of the compiled backends
(``dtype``, ``scalar``, ``run``) but evaluates through numpy, so it needs no
compiler.  It is the independent oracle the test suite compares every
backend against (``tests/conftest.py``).

Formulas built by symbolic execution (unrolled Newton steps, say) share
subexpressions heavily: as trees they are exponentially larger than as
graphs.  ``sharing.cse`` (``sympy.cse`` re-evaluating nothing) runs first, on the graph, so ``lambdify`` only ever
walks the small reduced expressions; expressions written unevaluated
(``simplify=False``) are evaluated first, as ``cse`` needs.
"""
import functools
import math
from fractions import Fraction

import mpmath
import numpy as np
import sympy

from .dag import evaluated
from .sharing import cse


def _modules():
    return [{"cbrt": np.cbrt, "trunc": np.trunc, "Heaviside": np.heaviside, "sign": np.sign,
             "erf": _elementwise(math.erf), "erfc": _elementwise(math.erfc),
             "gamma": _elementwise(math.gamma, lambda v: math.copysign(math.inf, v) if v == 0
                                   else math.nan),
             "loggamma": _elementwise(math.lgamma, lambda v: math.inf),
             "polygamma": _elementwise(lambda n, v: float(mpmath.polygamma(int(n), v)),
                                       lambda n, v: math.nan),
             "pow_minus_half": lambda x: np.power(x, -0.5), "as_double": _as_double,
             "ieee_minimum": _minimum, "ieee_maximum": _maximum, "Held": lambda v: v,
             "isnan": np.isnan, "isinf": np.isinf, **_C_FUNCTIONS, **_STABLE}, "numpy"]


def _elementwise(fn, domain_error=lambda *v: math.nan):
    """``fn`` of Python floats over arrays, with C's answers instead of exceptions."""
    def one(*values):
        try:
            return fn(*values)
        except OverflowError:
            return math.inf
        except (ValueError, ZeroDivisionError):
            return domain_error(*values)
    return np.vectorize(one, otypes=[float])


def _fma(x, y, z):
    """x*y + z rounded once, from exact rationals (independent of ``ir.interp``'s integers)."""
    if not all(math.isfinite(v) for v in (x, y)):
        return x * y + z
    if not math.isfinite(z):
        return z
    exact = Fraction(x) * Fraction(y) + Fraction(z)
    if exact == 0:                  # +0, or the IEEE sum of signed zeros (then x*y is exact)
        return x * y + z if z == 0 else 0.0
    try:
        return float(exact)         # Fraction's float() rounds once
    except OverflowError:
        return math.inf if exact > 0 else -math.inf


#: C's functions (``pyexpr.libm``): numpy's where it has them (its remainder is the floored
#: one: IEEE's is math's); C's nan where math raises
_C_FUNCTIONS = {
    "copysign": np.copysign, "fmod": np.fmod,
    "remainder": _elementwise(math.remainder),
    "fdim": _elementwise(lambda x, y: x - y if x > y else 0.0 if x <= y else math.nan),
    "fma": _elementwise(_fma),
}


def _exactly(definition):
    """A stable function's value from its definition at 40 digits (mpmath's exp has
    no overflow): the oracle does not share the compiled code's formula."""
    def value(*xs):
        if any(math.isnan(x) for x in xs):
            return math.nan
        with mpmath.workdps(40):
            result = definition(*(mpmath.mpf(x) for x in xs))
        return float(result.real) if abs(result.imag) == 0 else math.nan
    return _elementwise(value)


def _cancelling(value, ratio):
    """``value()`` at enough more digits that a cancellation by ``ratio`` leaves 40."""
    extra = int(mpmath.log10(abs(ratio) + 1)) + 10 if mpmath.isfinite(ratio) else 0
    with mpmath.extradps(extra):
        return +value()


def _x_times_log(log):
    return lambda x, y: mpmath.mpf(0) if x == 0 else x * log(y)


_STABLE = {
    "softplus": _exactly(lambda x: mpmath.log1p(mpmath.exp(x))),
    "sigmoid": _exactly(lambda x: 1 / (1 + mpmath.exp(-x))),
    "logit": _exactly(lambda x: mpmath.log(x / (1 - x))),
    "log1mexp": _exactly(lambda x: mpmath.log(-mpmath.expm1(x))),
    "logaddexp": _exactly(lambda *xs: mpmath.log(mpmath.fsum(mpmath.exp(x) for x in xs))),
    "xlogy": _exactly(_x_times_log(mpmath.log)),
    "xlog1py": _exactly(_x_times_log(mpmath.log1p)),
    "erfcx": _exactly(lambda x: mpmath.exp(x * x) * mpmath.erfc(x)),
    # near 0 erfc(x) is 1 + tiny: 40 digits of it would leave none of its log
    "log_erfc": _exactly(lambda x: mpmath.log1p(-mpmath.erf(x)) if abs(x) < 0.5 else
                         mpmath.log(mpmath.erfc(x))),
    "derfcx": _exactly(lambda x: _cancelling(
        lambda: 2 * x * mpmath.exp(x * x) * mpmath.erfc(x) - 2 / mpmath.sqrt(mpmath.pi), 2 * x * x)),
}


#: x**-0.5 as pow computes it (+0 at -inf, +inf at -0), as pyexpr does: sympy's printers
#: write it 1/sqrt(x), which is nan and -inf there
_RSQRT = sympy.Function("pow_minus_half")


#: an integer beyond int64 as the double nearest it: printed as a Python int it makes numpy
#: arrays of objects (np.select of 10**20 and a float refuses to cast them)
_DOUBLE = sympy.Function("as_double")


def _as_double(value):
    try:
        return float(value)             # rounds to nearest, as the lowering's constants do
    except OverflowError:
        return math.copysign(math.inf, value)


def _minimum(*xs):
    """IEEE 754-2019's minimum, as pyexpr computes ``Min``: nan if any is, -0 below +0."""
    return functools.reduce(lambda a, b: np.where(a == b, np.where(np.signbit(a), a, b),
                                                  np.minimum(a, b)), xs)


def _maximum(*xs):
    return functools.reduce(lambda a, b: np.where(a == b, np.where(np.signbit(a), b, a),
                                                  np.maximum(a, b)), xs)


_EXTREMA = {sympy.Min: sympy.Function("ieee_minimum"), sympy.Max: sympy.Function("ieee_maximum")}


def _as_computed(expr):
    """``expr`` with the values pyexpr computes where sympy's printers write others: x**-0.5
    as pow gives it, an imaginary unit (left by simplification moving a power into a
    Piecewise: sqrt(-10.0) as 3.16*I) as nan, as the lowering has it, and integers beyond
    int64 as doubles, and Min and Max with pyexpr's signed zeros (numpy's pick by position)."""
    # Min and Max first: sympy's refuse a nan argument ("not comparable")
    expr = expr.replace(lambda e: type(e) in _EXTREMA, lambda e: _EXTREMA[type(e)](*e.args))
    expr = expr.xreplace({sympy.I: sympy.nan}) if expr.has(sympy.I) else expr
    huge = {i: _DOUBLE(i) for i in expr.atoms(sympy.Integer) if abs(i) >= 2 ** 63}
    expr = expr.xreplace(huge) if huge else expr
    return expr.replace(lambda e: e.is_Pow and e.exp == -sympy.S.Half, lambda e: _RSQRT(e.base))


def _unsorted_printer():
    """lambdify's own printer for numpy, printing sums in their stored order."""
    from sympy.printing.numpy import NumPyPrinter
    names = {name: name for name in _modules()[0]}
    return NumPyPrinter({"fully_qualified_modules": False, "inline": True, "order": "none",
                         "allow_unknown_functions": True, "user_functions": names})


class ReferenceKernel:
    def __init__(self, args, outputs, dtype="float64"):
        self.dtype = np.dtype(dtype)
        self.n_outputs = len(outputs)
        steps, reduced = cse([evaluated(o) for o in outputs])
        steps = [(sym, _as_computed(e)) for sym, e in steps]
        reduced = [_as_computed(e) for e in reduced]
        try:
            self._fn = sympy.lambdify(args, reduced, modules=_modules(),
                                      cse=lambda exprs: (steps, exprs))
        except TypeError:                   # sorting a sum's terms compared a nan in them
            self._fn = sympy.lambdify(args, reduced, modules=_modules(), printer=_unsorted_printer(),
                                      cse=lambda exprs: (steps, exprs))

    def _eval(self, values):
        with np.errstate(all="ignore"):
            return [np.asarray(r, dtype=np.float64) for r in self._fn(*values)]

    def scalar(self, *values):
        return tuple(float(np.asarray(r, dtype=self.dtype)) for r in
                     self._eval([self.dtype.type(v) for v in values]))

    def run(self, inputs, outs):
        for out, result in zip(outs, self._eval(inputs)):
            out[...] = result
