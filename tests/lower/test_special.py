"""polygamma from Program ops: its constants, and its values against mpmath."""
import math

import mpmath
import numpy as np
import pytest
import sympy

from pyexpr.ir import from_exprs
from pyexpr.errors import LoweringError
from pyexpr.ir import special
from pyexpr.ir.interp import evaluate

from .helpers import compile_

X = sympy.Symbol("x", real=True)
mpmath.mp.dps = 40


def test_constants_match_mpmath():
    root = mpmath.findroot(mpmath.digamma, 1.46)
    assert special.ROOT[0] + special.ROOT[1] == float(root)
    assert abs(mpmath.mpf(special.ROOT[0]) + special.ROOT[1] - root) < 1e-32
    for k, c in enumerate(special.TAYLOR, start=1):
        assert c == float(mpmath.polygamma(k, root) / mpmath.factorial(k))
    assert [float(b) for b in special.BERNOULLI] == [float(mpmath.bernoulli(2 * k)) for k in range(1, 9)]


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_asymptotic_series_and_reflection_polynomial(n):
    z = special.shift(n) + 0.5
    series = sum(c * z ** -p for p, c in special.asymptotic_coefficients(n)) + (math.log(z) if n == 0 else 0)
    assert series == pytest.approx(float(mpmath.polygamma(n, z)), rel=1e-15)
    u = 0.7
    want = mpmath.diff(mpmath.cot, u, n)
    got = sum(a * mpmath.cot(u) ** i for i, a in enumerate(special.cot_derivative(n)))
    assert float(got) == pytest.approx(float(want), rel=1e-12)


def _program(n):
    return from_exprs(f"psi{n}", [X], [sympy.polygamma(n, X)])


def _reference(n, xs):
    return np.array([float(mpmath.polygamma(n, mpmath.mpf(float(v)))) for v in xs])


POSITIVE = np.concatenate([np.geomspace(1e-8, 1e10, 600), np.linspace(0.01, 4, 600),
                           np.linspace(1.46, 1.4632, 50)])
#: negative arguments at least 1e-3 from a pole
rng = np.random.default_rng(5)
NEGATIVE = -rng.uniform(0, 50, 1200)
NEGATIVE = NEGATIVE[np.abs(NEGATIVE - np.round(NEGATIVE)) > 1e-3]
#: max relative error measured for x > 0 (digamma: 3e-15, others 1e-15) and x < 0 (digamma
#: 2.6e-13 and psi2 4.2e-14 near their negative roots, where the two terms cancel;
#: trigamma and psi3 1.3e-15), with margin
BOUND = {"positive": 5e-15, "negative": 1e-12}


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_values_against_mpmath(n):
    kernel = compile_(_program(n))
    for name, xs in (("positive", POSITIVE), ("negative", NEGATIVE)):
        out = np.empty_like(xs)
        kernel.run([xs], [out])
        want = _reference(n, xs)
        rel = np.abs(out - want) / np.abs(want)
        assert rel.max() <= BOUND[name], (name, xs[np.argmax(rel)], rel.max())
        scalar = np.array([kernel.scalar(float(v))[0] for v in xs[::37]])
        np.testing.assert_allclose(scalar, want[::37], rtol=BOUND[name])
        interp = evaluate(_program(n), xs)[0]
        np.testing.assert_allclose(interp, want, rtol=BOUND[name])


@pytest.mark.parametrize("n, at_pole", [(0, math.nan), (1, math.inf), (2, math.nan), (3, math.inf)])
def test_poles_and_special_values(n, at_pole):
    kernel = compile_(_program(n))
    for v in (0.0, -0.0, -1.0, -7.0):
        got = kernel.scalar(v)[0]
        assert got == at_pole or (math.isnan(at_pole) and math.isnan(got)), v
    assert math.isnan(kernel.scalar(math.nan)[0]) and math.isnan(kernel.scalar(-math.inf)[0])
    assert kernel.scalar(math.inf)[0] == (math.inf if n == 0 else 0.0)


def test_far_arguments_and_high_orders():
    assert compile_(_program(1)).scalar(-4503599627370495.5)[0] == pytest.approx(math.pi ** 2, rel=1e-14)
    assert compile_(_program(0)).scalar(-1e15 - 0.5)[0] == pytest.approx(
        float(mpmath.digamma(mpmath.mpf(-1e15 - 0.5))), rel=1e-14)
    for n, x in ((20, 0.5), (60, 1e6)):
        want = float(mpmath.polygamma(n, x))
        assert compile_(_program(n)).scalar(x)[0] == pytest.approx(want, rel=1e-13)
    with pytest.raises(LoweringError, match="0 <= n <= 100"):
        from_exprs("too_high", [X], [sympy.polygamma(101, X)])


def test_float32_digamma():
    kernel = compile_(_program(0), "float32")
    xs = np.concatenate([np.linspace(0.05, 50, 999), NEGATIVE]).astype(np.float32)
    out = np.empty_like(xs)
    kernel.run([xs], [out])
    want = _reference(0, xs)
    assert (np.abs(out - want) <= 1e-6 * np.maximum(np.abs(want), 1.0)).all()
