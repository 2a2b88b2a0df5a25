"""Exact values and errors in ULPs: what ``px.accuracy`` measures with, and what the
series pass (``stability/series.py``) measures a part near 0 with.

``exact_values(expr, args, points)`` evaluates a sympy expression with mpmath at a
precision raised until the result rounds to the same float twice; ``ulps`` counts
the floats between a computed value and the exact one; ``bits`` is log2(1 + ULPs).
``ordinal``/``from_ordinal`` number the floats in order (sampling uses them).
Nothing here imports the Formula, so the pipeline may use it.
"""
import math

import mpmath
import numpy as np
import sympy

from .dag import evaluated
from .sharing import cse

#: binary digits of the successive exact evaluations.  The first covers the whole
#: exponent range of float64 (2**-1074 to 2**1024) and then some, so a term that
#: a sum absorbs at low precision (1 + exp(-600)) is still seen; agreement of two
#: successive precisions then ends the search.
_PRECISIONS = (2240, 4480, 8960, 17920)
_WIDTH = {np.dtype("float64"): (np.int64, 64), np.dtype("float32"): (np.int32, 32)}


def ordinal(values, dtype):
    """Floats as integers in the order of the floats (-0 and +0 both 0)."""
    itype, _ = _WIDTH[dtype]
    bits = np.asarray(values, dtype=dtype).view(itype).astype(np.int64)
    return np.where(bits < 0, -(bits & np.int64(np.iinfo(itype).max)), bits)


def from_ordinal(ordinals, dtype):
    itype, _ = _WIDTH[dtype]
    magnitude = np.abs(ordinals).astype(itype)
    return np.where(ordinals < 0, -magnitude.view(dtype), magnitude.view(dtype))


# --- errors ------------------------------------------------------------------------------

def ulps(computed, exact, dtype="float64"):
    """The number of ``dtype`` floats between ``computed`` and ``exact`` (both of
    ``dtype``): 0 where equal (either zero) or both nan, 2**width where only one
    is nan."""
    dtype = np.dtype(dtype)
    computed, exact = (np.asarray(v, dtype=dtype) for v in (computed, exact))
    a, b = ordinal(computed, dtype), ordinal(exact, dtype)
    # |a - b| exact, as uint64 arithmetic modulo 2**64 (the difference of two int64
    # ordinals may not fit in an int64; the wrap-around is intended)
    high, low = np.maximum(a, b).view(np.uint64), np.minimum(a, b).view(np.uint64)
    with np.errstate(over="ignore"):
        distance = np.asarray(high - low).astype(float)
    nan_a, nan_b = np.isnan(computed), np.isnan(exact)
    distance = np.where(nan_a & nan_b, 0.0, distance)
    return np.where(nan_a != nan_b, 2.0 ** _WIDTH[dtype][1], distance)


def bits(ulp_errors):
    return np.log2(1.0 + np.asarray(ulp_errors, float))

# --- exact values --------------------------------------------------------------------------

def _stable_definitions(expr):
    """pyexpr's stable functions replaced by the formulas they stand for."""
    return expr.replace(lambda e: isinstance(e, sympy.Function) and hasattr(type(e), "definition"),
                        lambda e: type(e).definition(*e.args))


def _trunc(x):
    return mpmath.floor(x) if x >= 0 else mpmath.ceil(x)


def _remainder_by(rounding):
    """C's fmod (``rounding`` toward zero) or IEEE's remainder (half to even), exact at
    the working precision, which is past every double's exponent range (mpmath's own
    ``fmod`` is floored)."""
    def value(x, y):
        if mpmath.isinf(y) and mpmath.isfinite(x):
            return x
        return x - y * rounding(x / y)
    return value


def _fdim(x, y):
    return mpmath.nan if mpmath.isnan(x) or mpmath.isnan(y) else x - y if x > y else mpmath.mpf(0)


#: beyond this magnitude (past float64's range, 2**1024) the exponential functions give
#: their limits: mpmath would compute exp(2**3000) exactly in half a second, and
#: exp(sinh(1e4)) not in minutes (an exponent of 10**4000 digits); no float comes back
#: from there but through a log of it, which the float code cannot take either
_BEYOND = mpmath.mpf(2) ** 1030


def _limited(function, below, above):
    """``function`` of one argument, its limit ``below`` (``above``) for an argument whose
    real part is below ``-_BEYOND`` (above ``_BEYOND``)."""
    def value(x):
        real = mpmath.re(x)
        if real > _BEYOND:
            return above
        if real < -_BEYOND:
            return below
        return function(x)
    return value


_INF = mpmath.inf
_MPMATH = {"exp": _limited(mpmath.exp, mpmath.mpf(0), _INF), "sinh": _limited(mpmath.sinh, -_INF, _INF),
           "cosh": _limited(mpmath.cosh, _INF, _INF), "trunc": _trunc,
           "cbrt": lambda x: mpmath.sign(x) * mpmath.cbrt(abs(x)),
           "exp2": _limited(lambda x: mpmath.power(2, x), mpmath.mpf(0), _INF),
           "expm1": _limited(mpmath.expm1, mpmath.mpf(-1), _INF), "log1p": mpmath.log1p,
           "log2": lambda x: mpmath.log(x, 2), "log10": mpmath.log10, "hypot": mpmath.hypot,
           # mpmath has no signed zero: copysign(x, -0.0) is |x| here
           "copysign": lambda x, y: -abs(x) if y < 0 else abs(x),
           "fmod": _remainder_by(_trunc), "remainder": _remainder_by(mpmath.nint),
           "fdim": _fdim, "fma": lambda x, y, z: x * y + z}


def exact_values(expr, args, points, dtype="float64"):
    """``expr`` (a sympy expression of the Symbols ``args``) at ``points``
    (``{name: array}``), exactly rounded to ``dtype``; nan where the value is
    not real or mpmath raises."""
    dtype = np.dtype(dtype)
    fn = mpmath_function(expr, args)
    columns = [np.asarray(points[a.name], dtype=np.float64) for a in args]
    n = len(columns[0]) if columns else 1
    return np.array([_exact_one(fn, [float(c[k]) for c in columns], dtype) for k in range(n)],
                    dtype=dtype)


def mpmath_function(expr, args):
    """``expr`` as a function of mpmath numbers (real or complex) for the Symbols ``args``,
    at mpmath's working precision, pyexpr's stable functions as their definitions."""
    steps, (reduced,) = cse([_stable_definitions(evaluated(expr))])
    return sympy.lambdify(args, reduced, modules=[_MPMATH, "mpmath"], cse=lambda e: (steps, e))


def _exact_one(fn, values, dtype):
    previous = None
    for prec in _PRECISIONS:
        with mpmath.workprec(prec):
            current = _rounded(fn, values, dtype)
        if previous is not None and (current == previous or (math.isnan(current) and math.isnan(previous))):
            return current
        previous = current
    return previous


def _rounded(fn, values, dtype):
    try:
        value = fn(*(mpmath.mpf(v) for v in values))
    except (ValueError, ZeroDivisionError, TypeError, OverflowError):   # (mpmath's erfc(1e300))
        return math.nan
    if isinstance(value, mpmath.mpc):
        if value.imag != 0:
            return math.nan
        value = value.real
    if mpmath.isnan(value):
        return math.nan
    return float(dtype.type(float(value)))
