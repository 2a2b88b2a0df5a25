"""The reference evaluation path: sympy's ``lambdify`` to numpy.

``ReferenceKernel`` has the kernel interface of the compiled backends
(``dtype``, ``scalar``, ``run``) but evaluates through numpy, so it needs no
compiler.  It is the independent oracle the test suite compares every
backend against (``tests/conftest.py``).

Formulas built by symbolic execution (unrolled Newton steps, say) share
subexpressions heavily: as trees they are exponentially larger than as
graphs.  ``functions.cse`` (``sympy.cse`` re-evaluating nothing) runs first, on the graph, so ``lambdify`` only ever
walks the small reduced expressions; expressions written unevaluated
(``simplify=False``) are evaluated first, as ``cse`` needs.
"""
import math

import mpmath
import numpy as np
import sympy

from .functions import cse, evaluated


def _modules():
    return [{"cbrt": np.cbrt, "trunc": np.trunc, "Heaviside": np.heaviside, "sign": np.sign,
             "erf": _elementwise(math.erf), "erfc": _elementwise(math.erfc),
             "gamma": _elementwise(math.gamma, lambda v: math.copysign(math.inf, v) if v == 0
                                   else math.nan),
             "loggamma": _elementwise(math.lgamma, lambda v: math.inf),
             "polygamma": _elementwise(lambda n, v: float(mpmath.polygamma(int(n), v)),
                                       lambda n, v: math.nan),
             **_STABLE}, "numpy"]


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
}


class ReferenceKernel:
    def __init__(self, args, outputs, dtype="float64"):
        self.dtype = np.dtype(dtype)
        self.n_outputs = len(outputs)
        steps, reduced = cse([evaluated(o) for o in outputs])
        self._fn = sympy.lambdify(args, reduced, modules=_modules(),
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
