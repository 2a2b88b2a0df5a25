"""The ctypes scalar function: scipy.integrate.quad through a LowLevelCallable."""
import ctypes
import math

import pytest
import sympy

from pyexpr.ir import from_exprs
from pyexpr.functions import hypot

from .helpers import compile_

scipy_integrate = pytest.importorskip("scipy.integrate")
LowLevelCallable = pytest.importorskip("scipy").LowLevelCallable


def test_quad_with_low_level_callable():
    x = sympy.Symbol("x", real=True)
    kernel = compile_(from_exprs("gauss", [x], [sympy.exp(-x**2)]))
    assert isinstance(kernel.ctypes, ctypes._CFuncPtr)
    value, err = scipy_integrate.quad(LowLevelCallable(kernel.ctypes, signature="double (double)"),
                                      -math.inf, math.inf)
    assert abs(value - math.sqrt(math.pi)) < 1e-10 and err < 1e-6


def test_ctypes_is_the_scalar_function_in_float32():
    x, y = sympy.symbols("x y", real=True)
    kernel = compile_(from_exprs("h", [x, y], [hypot(x, y)]), "float32")
    assert kernel.ctypes.restype is ctypes.c_float
    assert kernel.ctypes(3.0, 4.0) == 5.0 == kernel.scalar(3.0, 4.0)[0]
