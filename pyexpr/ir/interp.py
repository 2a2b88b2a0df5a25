"""A reference interpreter of ``Program``, in numpy: the oracle of backend tests.

``evaluate(program, *inputs)`` returns one float64 array per output, computed
op by op with numpy's semantics (nan for domain errors, inf for overflow,
nothing raises).  It favours obviousness over speed.
"""
import math

import numpy as np


def _pointwise(fn, at_pole=lambda x: math.nan):
    """Vectorize a ``math`` function, mapping its exceptions to numpy's nan/inf.

    ``math`` raises ValueError at poles too; ``at_pole(x)`` gives C99's value there.
    """
    def safe(x):
        try:
            return fn(x)
        except OverflowError:
            return math.inf
        except ValueError:
            return at_pole(x)
    return np.frompyfunc(safe, 1, 1)


def _gamma_pole(x):
    # C99 tgamma: +-inf at +-0, nan at negative integers and -inf
    return math.copysign(math.inf, x) if x == 0 else math.nan


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
    "fabs": np.fabs, "sign": np.sign, "atan2": np.arctan2, "hypot": np.hypot, "min": np.minimum,
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
