"""A reference interpreter of ``Program``, in numpy: the oracle of backend tests.

``evaluate(program, *inputs)`` returns one float64 array per output, computed
op by op with numpy's semantics (nan for domain errors, inf for overflow,
nothing raises).  It favours obviousness over speed.
"""
import math

import numpy as np


def _pointwise(fn, at_pole=lambda *x: math.nan, nin=1):
    """Vectorize a ``math`` function of ``nin`` arguments, mapping its exceptions to
    numpy's nan/inf.

    ``math`` raises ValueError at poles too; ``at_pole(*x)`` gives C99's value there.
    """
    def safe(*x):
        try:
            return fn(*x)
        except OverflowError:
            return math.inf
        except ValueError:
            return at_pole(*x)
    return np.frompyfunc(safe, nin, 1)


def _gamma_pole(x):
    # C99 tgamma: +-inf at +-0, nan at negative integers and -inf
    return math.copysign(math.inf, x) if x == 0 else math.nan


def fdim(x, y):
    """C's ``fdim``: ``x - y`` where x > y, +0 where x <= y, nan if either is nan."""
    return np.where(np.less_equal(x, y), 0.0, np.subtract(x, y))


def fma_one(x, y, z):
    """``x*y + z`` of floats, rounded once: ``math.fma`` where Python has it (3.13),
    else exactly in integers (Python's int/int division rounds correctly, to
    subnormals too)."""
    if _MATH_FMA is not None:
        return _MATH_FMA(x, y, z)
    x, y, z = float(x), float(y), float(z)
    if not (math.isfinite(x) and math.isfinite(y)):
        return x * y + z            # the product is exact (inf or nan), then one sum
    if not math.isfinite(z):
        return z                    # a finite product cannot cancel an infinity
    (a, b), (c, d), (e, f) = x.as_integer_ratio(), y.as_integer_ratio(), z.as_integer_ratio()
    num, den = a * c * f + e * b * d, b * d * f
    if num == 0:                    # exact zero: +0, or the IEEE sum of signed zeros
        return x * y + z if z == 0 else 0.0
    if abs(num) >= _OVERFLOW * den:
        return math.inf if num > 0 else -math.inf
    return num / den


_MATH_FMA = getattr(math, "fma", None)
#: where round-to-nearest gives inf: halfway between the largest double and 2**1024
_OVERFLOW = 2**1024 - 2**970


def fma(x, y, z):
    """``fma_one`` elementwise (slow, and exact)."""
    return _FMA(x, y, z)


_FMA = np.frompyfunc(fma_one, 3, 1)


#: op -> its numpy function (``ir.ops``' numpy column, with C's values where ``math`` raises)
NUMPY = {
    "neg": np.negative, "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
    "pow": np.power, "sqrt": np.sqrt, "cbrt": np.cbrt, "exp": np.exp, "exp2": np.exp2,
    "expm1": np.expm1, "log": np.log, "log2": np.log2, "log10": np.log10, "log1p": np.log1p,
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos,
    "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "asinh": np.arcsinh,
    "acosh": np.arccosh, "atanh": np.arctanh, "erf": _pointwise(math.erf),
    "erfc": _pointwise(math.erfc), "tgamma": _pointwise(math.gamma, _gamma_pole),
    "lgamma": _pointwise(math.lgamma, lambda x: math.inf), "floor": np.floor, "ceil": np.ceil, "trunc": np.trunc,
    "fabs": np.fabs, "sign": np.sign, "atan2": np.arctan2, "hypot": np.hypot,
    "copysign": np.copysign, "fmod": np.fmod, "fmax": np.fmax, "fmin": np.fmin, "remainder": _pointwise(math.remainder, nin=2),
    "fdim": fdim, "fma": fma, "min": np.minimum,
    "max": np.maximum, "mod": np.mod, "lt": np.less, "le": np.less_equal, "gt": np.greater,
    "ge": np.greater_equal, "eq": np.equal, "ne": np.not_equal, "and": np.logical_and,
    "or": np.logical_or, "not": np.logical_not, "select": np.where,
}


def _apply(ins, operands):
    return np.asarray(NUMPY[ins.op](*operands), dtype=bool if ins.type == "b" else np.float64)


def evaluate(program, *inputs):
    """Evaluate ``program`` on broadcastable inputs; a list of float64 arrays, one per output."""
    inputs = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in inputs))
    with np.errstate(all="ignore"):
        values = program.walk(inputs.__getitem__, np.float64, _apply)
    shape = np.broadcast_shapes(*(np.shape(a) for a in inputs)) if inputs else ()
    return [np.broadcast_to(np.asarray(values[o], dtype=np.float64), shape).copy() for o in program.outputs]
