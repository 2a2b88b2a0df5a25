"""The pipeline function runs every stage, and each stage's result is what the next uses."""
import math

import numpy as np
import pytest
import sympy

from pyexpr.formula import Formula
from pyexpr.ir.program import Program
from pyexpr.pipeline import stages


def energy(x, y):
    return math.exp(-x * x) * math.sin(y) + math.cos(x * y)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_stages_chain_from_python_to_machine_code(dtype):
    s = stages(energy, dtype)
    assert isinstance(s.formula, Formula) and isinstance(s.program, Program)
    x, y = sympy.symbols("x y", real=True)
    assert sympy.simplify(s.sympy - (sympy.exp(-x**2) * sympy.sin(y) + sympy.cos(x * y))) == 0
    assert s.program is s.formula.program and s.kernel is s.formula.kernel(dtype)
    assert s.kernel.dtype == np.dtype(dtype)
    tol = 1e-6 if dtype == "float32" else 1e-14
    assert s.kernel.scalar(0.5, 1.25)[0] == pytest.approx(energy(0.5, 1.25), rel=tol)


def test_the_module_example_runs():
    import doctest
    import pyexpr.pipeline
    assert doctest.testmod(pyexpr.pipeline).failed == 0
