"""The two tiers of the array part compute the same bits (issue 19, item 7).

The quick tier (the IR compiled without optimization) and the optimized one
run the same operations in the same order, so every result that is a number
has the same bits, signed zeros and infinities included; every nan is a nan
in both.  What may differ is a nan's sign and payload where one operation
meets two nans (the inputs, or intermediate ones such as ``sin(inf)``):
x86 passes on the first operand's, and which operand is first is the
instruction selector's choice (documented in docs/performance.md).
"""
import numpy as np
import pytest
import sympy

from pyexpr.ir import from_exprs
from pyexpr import functions as pf
from pyexpr.cpu import kernel as cpu
from pyexpr.cpu import abi
from pyexpr.cpu.runtime import driver
from pyexpr.cpu import host

X, Y = sympy.symbols("x y", real=True)
EXPRS = [sympy.sqrt(X) * Y, sympy.log(X) + Y, X * Y - 2.5 * X, sympy.sqrt(-1 - X**2), X / Y,
         sympy.Mod(X, Y), pf.max_(X, Y) + sympy.log(Y), sympy.sin(X) * sympy.tan(Y),
         X ** sympy.Float(0.3) * Y, sympy.acos(X) + sympy.asin(Y), sympy.gamma(X) * Y,
         sympy.Piecewise((sympy.log(X), X > Y), (sympy.sqrt(Y), True)), sympy.exp(X) - sympy.exp(Y),
         sympy.atanh(X) * X ** sympy.Rational(3, 2), pf.min_(X, -Y) * sympy.cosh(X)]
VALUES = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, -1.0, 1.0, 0.5, 2.0, -3.5, 1e308,
                   5e-324, -1e-310, 88.0, 710.0])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("expr", EXPRS, ids=str)
def test_quick_and_optimized_tiers_give_the_same_bits(expr, dtype):
    compiled = cpu._Compiled(from_exprs("tiers", [X, Y], [expr]), dtype, False, False,
                             host.vector_target())
    with np.errstate(over="ignore"):
        x, y = (a.ravel().astype(dtype) for a in np.meshgrid(VALUES, VALUES))
    results = []
    for part in ("array-quick", "array"):
        out = np.empty_like(x)
        driver.run(compiled._function(part, "array", abi.KERNEL_TYPE), [x, y], [out], 1)
        results.append(out)
    quick, optimized = results
    np.testing.assert_array_equal(np.isnan(quick), np.isnan(optimized))
    bits = np.uint64 if dtype == "float64" else np.uint32
    numbers = ~np.isnan(quick)
    assert (quick[numbers].view(bits) == optimized[numbers].view(bits)).all(), \
        f"{expr} {dtype} ({getattr(host.vector_target(), 'isa', 'no SIMD')})"
