"""Powers have numpy's values at every special value, on every path (issue 19, item 2).

A table of bases (signed zeros, infinities, nan, subnormals, negative bases,
values whose powers overflow or underflow to subnormals) against integer,
half-integer and other exponents.  Each is compiled and run on the scalar
entry, the contiguous and strided array loops, two threads, and float32,
and compared with ``np.power`` on arrays of the same dtype: nan, infinity,
sign and zero exactly, finite values within a few ulps (integer powers are
multiplications, half-integer ones add a square root, where ``pow`` rounds
once).
"""
import numpy as np
import pytest
import sympy

import pyexpr as px
from pyexpr.cpu import kernel as cpu
from pyexpr.cpu.runtime import driver

X = sympy.Symbol("x", real=True)
BASES = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-310, -1e-310, 5e-324, -2.0, -4.0, -0.5, 2.0, 0.5,
         1.0, -1.0, 3.7, 1e155, -1e155, 1e-155, 1e160, 1e200, -1e200, 1e-200, 1e300, 1e-300]
EXPONENTS = [2, 3, 4, 5, 10, -1, -2, -3, -4, -7, sympy.S.Half, sympy.Rational(3, 2),
             sympy.Rational(5, 2), sympy.Rational(-1, 2), sympy.Rational(-3, 2), sympy.Rational(-5, 2),
             sympy.Float(0.3), sympy.Float(-1.7), sympy.Float(2.25)]
ULPS = 8


def _check(got, want, dtype, what):
    got, want = np.asarray(got, dtype), np.asarray(want, dtype)
    same_class = (np.isnan(got) == np.isnan(want)) & (np.isinf(got) == np.isinf(want)) \
        & ((got == 0) == (want == 0)) & (np.signbit(got) == np.signbit(want))
    assert same_class.all(), f"{what}: bases {np.array(BASES)[~same_class]} give " \
                             f"{got[~same_class]}, numpy {want[~same_class]}"
    finite = np.isfinite(want) & (want != 0)
    tiny = np.finfo(dtype).tiny
    spacing = np.spacing(np.maximum(np.abs(want[finite]), tiny).astype(dtype))
    ulps = np.abs(got[finite].astype(float) - want[finite].astype(float)) / spacing
    assert (ulps <= ULPS).all(), f"{what}: {ulps.max():.1f} ulps at {np.array(BASES)[finite][ulps.argmax()]}"


@pytest.mark.llvm
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("exponent", EXPONENTS, ids=str)
def test_powers_follow_numpy_on_every_path(exponent, dtype, monkeypatch):
    f = px.from_sympy(X ** exponent, [X], name="power", dtype=dtype)
    with np.errstate(all="ignore"):
        bases = np.array(BASES, dtype)
        want = np.power(bases, np.asarray(float(exponent), dtype))
    _check(f(bases), want, dtype, f"x**{exponent} {dtype} array")
    _check([f(float(b)) for b in bases], want, dtype, f"x**{exponent} {dtype} scalar")
    strided = np.repeat(bases, 3)[::3]
    _check(f(strided), want, dtype, f"x**{exponent} {dtype} strided")
    monkeypatch.setattr(driver, "MIN_PARALLEL", 8)
    monkeypatch.setattr(driver, "MIN_PIECE", 8)
    monkeypatch.setattr(cpu.CPUKernel, "_threads", lambda self, size: 2)
    many = np.tile(np.repeat(bases, 2), (40, 1))[:, ::2]     # strided: the general (threaded) path
    _check(f(many)[7], want, dtype, f"x**{exponent} {dtype} threads")


def test_the_program_uses_pow_for_other_exponents():
    assert "pow" in str(px.from_sympy(X ** sympy.Float(0.3), [X]).program)
    listing = str(px.from_sympy(X ** sympy.Rational(3, 2), [X]).program)
    assert "pow" not in listing and "sqrt" in listing             # multiplications and a root
