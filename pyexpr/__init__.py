"""pyexpr: plain Python math -> readable formulas, exact derivatives, fast code.

    import pyexpr as px
    from math import exp, sin

    @px.jit
    def f(x, y):
        return exp(-x**2) * sin(y)

    print(f)              # f(x, y) = exp(-x**2)*sin(y)
    print(f.grad())       # grad_f(x, y) = (-2*x*exp(-x**2)*sin(y), exp(-x**2)*cos(y))
    f(0.5, [1.0, 2.0])    # compiled with LLVM on first call
"""
from .cpu.build import llvmcapi as _llvmcapi

_preload = _llvmcapi.start_preload()    # LLVM loads while sympy imports (see llvmcapi)
try:
    from .errors import GPUUnavailableError, LoweringError, PyExprError, UnsupportedSyntaxError
    from .formula import Formula
    from .indexing import Matrix, Vector
    from .jit import from_sympy, jit
    from .ulp import accuracy
finally:                                # no thread outlives the import, even a failed one
    if _preload is not None:
        _preload.join()
    del _preload

__all__ = ["jit", "from_sympy", "accuracy", "Formula", "Vector", "Matrix", "PyExprError", "UnsupportedSyntaxError",
           "LoweringError", "GPUUnavailableError"]
__version__ = "0.1.0"
