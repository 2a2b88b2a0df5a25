"""pyexpr: plain Python math -> readable formulas, exact derivatives, fast code.

    import pyexpr as px
    from math import exp, sin

    @px.jit
    def f(x, y):
        return exp(-x**2) * sin(y)

    print(f)              # f(x, y) = exp(-x**2)*sin(y)
    print(f.grad())       # grad_f(x, y) = (-2*x*exp(-x**2)*sin(y), exp(-x**2)*cos(y))
    f(0.5, [1.0, 2.0])    # compiled with LLVM on first call

Importing pyexpr imports neither sympy nor LLVM: the front end loads on the
first decoration that needs it (``jit``), and a formula whose code is in the
disk cache is called without either (``pyexpr.startup``).
"""
from .annotations import Matrix, Vector
from .deferred import attributes_from
from .errors import GPUUnavailableError, LoweringError, PyExprError, UnsupportedSyntaxError
from .formula import Formula
from .jit import from_sympy, jit

#: names whose modules import sympy: loaded when first asked for
_SYMBOLIC = {"accuracy": "ulp"}

__getattr__ = attributes_from(__name__, _SYMBOLIC)


def __dir__():
    return sorted(set(globals()) | set(_SYMBOLIC))


__all__ = ["jit", "from_sympy", "accuracy", "Formula", "Vector", "Matrix", "PyExprError", "UnsupportedSyntaxError",
           "LoweringError", "GPUUnavailableError"]
__version__ = "0.1.0"
