"""The reference evaluation path: sympy's ``lambdify`` to numpy.

``ReferenceKernel`` has the kernel interface of the compiled backends
(``dtype``, ``scalar``, ``run``) but evaluates through numpy, so it needs no
compiler.  It is the independent oracle the backend tests compare against,
and the path ``pyexpr.Formula.reference`` uses.
"""
import numpy as np
import sympy

from .printing import MathPrinter
from .functions import cbrt, trunc


def _modules():
    return [{"cbrt": np.cbrt, "trunc": np.trunc, "loggamma": _lgamma,
             "Heaviside": np.heaviside, "sign": np.sign}, "numpy"]


def _lgamma(x):
    import math
    return np.vectorize(lambda v: math.lgamma(v) if np.isfinite(v) and v not in (0.0,) and
                        not (v < 0 and v == int(v)) else np.inf if v in (0.0,) or v == int(v) else
                        np.nan, otypes=[float])(x)


class ReferenceKernel:
    def __init__(self, args, outputs, dtype="float64"):
        self.dtype = np.dtype(dtype)
        self.n_outputs = len(outputs)
        self._fns = [sympy.lambdify(args, o, modules=_modules()) for o in outputs]

    def _eval(self, values):
        with np.errstate(all="ignore"):
            return [np.asarray(fn(*values), dtype=np.float64) for fn in self._fns]

    def scalar(self, *values):
        return tuple(float(np.asarray(r, dtype=self.dtype)) for r in
                     self._eval([self.dtype.type(v) for v in values]))

    def run(self, inputs, outs):
        for out, result in zip(outs, self._eval(inputs)):
            out[...] = result
