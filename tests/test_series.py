"""Series near 0 (``stability/series.py``): a part of one variable that cancels near 0 is
computed there by its Taylor series, measured against mpmath on every path."""
import math

import numpy as np
import pytest
import sympy

from pyexpr.stability import series
from pyexpr.exact import exact_values
from from_text import jit_text

#: (formula, the largest |x| of its domain): each loses every digit near 0 as written
CANCELLING = [("1/x - 1/np.tan(x)", 3.0), ("(x - np.sin(x))/(x - np.tan(x))", 3.0),
              ("(1 - np.cos(x))/(x*x)", 3.0), ("(1 - np.cos(x))/np.sin(x)", 3.0),
              ("(np.exp(x) - 1 - x)/(x*x)", 3.0), ("np.sinh(x) - x", 3.0),
              ("np.arctan(x) - x + x**3/3", 1.0)]
#: accurate near 0 as written (or after a rule): nothing to do
ACCURATE = ["x*np.exp(x)", "np.sin(x)/x", "np.log(1 + x)/x", "np.exp(x) - 1", "np.cos(x) + x",
            "np.sqrt(1 + x*x)"]


def _formula(text, **options):
    return jit_text(text, "x, y", **options)


def _points(top):
    """Both signs, 1e-300 up to the domain's top, log-spaced, and around 1."""
    magnitudes = np.concatenate([np.logspace(-300, -1, 40), np.linspace(0.01, top, 60)])
    return np.concatenate([magnitudes, -magnitudes])


def _exact(expr, symbol, points, dtype):
    """At whatever precision it takes (``ulp.exact_values``: 1/x - 1/tan(x) at 1e-300
    cancels 600 digits)."""
    return exact_values(expr, [symbol], {symbol.name: np.asarray(points, float)}, dtype)


def _ulps(got, want):
    got, want = np.asarray(got), np.asarray(want)
    spacing = np.spacing(np.abs(want)).astype(float)
    with np.errstate(all="ignore"):
        error = np.abs(got.astype(float) - want.astype(float)) / spacing
    error = np.where(np.isnan(got) != np.isnan(want), np.inf, error)
    return np.where((got == want) | (np.isnan(got) & np.isnan(want)), 0.0, error)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("text, top", CANCELLING, ids=[t for t, _ in CANCELLING])
def test_a_part_that_cancels_near_0_is_accurate_there(text, top, dtype):
    f = _formula(text, dtype=dtype)
    assert series.NAME in {r.name for r in f.rewrites}, f"no series for {text}: {f}"
    x = f._symbol("x")
    written = _formula(text, stable=False, dtype=dtype)
    points = _points(top).astype(dtype)
    points = points[np.abs(points) >= np.finfo(dtype).tiny]
    want = _exact(f.written[0], x, points, dtype)
    got, one = f(points, 0.0), np.array([f(p, 0.0) for p in points[::9]])
    # the series branch within a few ulps; beyond it the formula, where the rules' forms
    # round a few times more than written may (2*sin(x/2)**2 for 1 - cos(x)), and
    # where it still cancels, in another order of its terms
    bound = 4 if dtype == "float64" else 2
    with np.errstate(all="ignore"):
        as_written = _ulps(written(points, 0.0), want)
    allowed = np.where(np.abs(points) < _threshold(f), bound, np.maximum(2 * as_written, 8))
    assert (_ulps(got, want) <= allowed).all(), (text, points[(_ulps(got, want) > allowed).argmax()])
    inside = np.abs(points[::9]) < _threshold(f)     # beyond, cancellation amplifies libm's
    assert (_ulps(one, want[::9])[inside] <= bound).all()   # (scalar) vs SIMD last bits
    if dtype == "float64":          # as written it lost every digit somewhere near 0
        assert as_written.max() > 1e6


@pytest.mark.parametrize("text, top", CANCELLING[:4], ids=[t for t, _ in CANCELLING[:4]])
def test_the_derivative_near_0_is_its_series_derivative(text, top):
    """A derivative of the series branch is a polynomial again; near 0 it is within a few
    ulps (the series' last term, differentiated, weighs a little more)."""
    f = _formula(text)
    d = f.diff("x")
    x = f._symbol("x")
    assert isinstance(d.outputs[0], sympy.Piecewise) and d.outputs[0].args[0][0].is_polynomial(x)
    points = _points(top)
    points = points[np.abs(points) < 0.9 * _threshold(f)]
    want = _exact(sympy.diff(f.written[0], x), x, points, "float64")
    assert _ulps(d(points, 0.0), want).max() <= 8


def _threshold(f):
    (_, condition) = f.outputs[0].args[0]
    return float(condition.rhs)


@pytest.mark.parametrize("text", ACCURATE)
def test_nothing_fires_on_a_part_accurate_near_0(text):
    f = _formula(text)
    assert series.NAME not in {r.name for r in f.rewrites}, f


def test_a_part_in_one_variable_of_a_formula_of_two():
    f = _formula("y*(1 - np.cos(x))/(x*x) + y")
    assert series.NAME in {r.name for r in f.rewrites}
    assert f(1e-9, 2.0) == 3.0 and f(1e-200, 2.0) == 3.0       # 0/0 = nan as written


def test_the_series_says_what_it_did_and_stable_false_keeps_the_formula():
    f = _formula("1/x - 1/np.tan(x)")
    (rewrite,) = [r for r in f.rewrites if r.name == series.NAME]
    assert rewrite.before == f.written[0] and "Taylor series" in rewrite.why
    assert "x**3/45" in str(f) and "x/3" in str(f)
    assert not _formula("1/x - 1/np.tan(x)", stable=False).rewrites
    with np.errstate(all="ignore"):
        assert math.isnan(_formula("1/x - 1/np.tan(x)", stable=False)(0.0, 0.0))
    assert f(0.0, 0.0) == 0.0 and math.copysign(1, f(-0.0, 0.0)) == -1


def test_special_values_are_the_formulas():
    """inf and nan take the formula's branch: |x| < t is false for both."""
    f, written = _formula("(x - np.sin(x))/(x - np.tan(x))"), _formula("(x - np.sin(x))/(x - np.tan(x))", stable=False)
    edges = np.array([np.inf, -np.inf, np.nan])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(f(edges, 0.0), written(edges, 0.0))


def test_the_threshold_keeps_the_left_out_tail_below_the_last_bit():
    x = sympy.Symbol("x", real=True)
    part = 1 / x - 1 / sympy.tan(x)
    polynomial, threshold = series._fewest(part, x, series._terms(part, x), (1, -1))
    terms = sympy.Add.make_args(polynomial)
    assert 3 <= len(terms) < series.MAX_TERMS
    exact = sympy.series(part, x, 0, 2 * series.MAX_TERMS + 4).removeO()
    left_out = abs((exact - polynomial).subs(x, threshold)) / abs(polynomial.subs(x, threshold))
    assert left_out < 2.0 ** -53
    # as few terms as leave the formula as written accurate beyond the threshold
    assert 1 / (threshold * threshold) < 2 * series.LOSS


def test_coefficients_are_the_series_exactly_and_what_is_not_a_series_is_refused():
    """Cauchy's integral on two circles: the rationals sympy's series gives; a branch
    point (sqrt, log) or a singularity inside the circles gives two sets that disagree."""
    x = sympy.Symbol("x", real=True)
    part = (x - sympy.sin(x)) / (x - sympy.tan(x))
    terms = series._terms(part, x)
    exact = sympy.series(part, x, 0, 12).removeO()
    assert [(p, c) for p, c in terms if p < 12] == sorted(
        (int(t.as_coeff_exponent(x)[1]), t.as_coeff_exponent(x)[0]) for t in sympy.Add.make_args(exact))
    assert series._terms(1 / x ** 2 - 1 / sympy.sin(x) ** 2, x)[0] == (0, sympy.Rational(-1, 3))
    for part in (sympy.sqrt(x) * x - x, sympy.log(x) * x - x, 1 / (x - sympy.Rational(1, 10)) + 10):
        assert series._terms(part, x) is None, part
    # every coefficient printed as a rational is the series' own (a high power's, known to
    # fewer digits, prints as a Float, not as a nearby rational that is not it)
    part = 1 / x - 1 / sympy.tan(x)
    exact = sympy.series(part, x, 0, 40).removeO()
    for power, coeff in series._terms(part, x):
        want = exact.coeff(x, power)
        assert coeff == want if coeff.is_Rational else abs(coeff / want - 1) < 1e-18, (power, coeff, want)


#: found by review: each gave a wrong value (or a crash) from a series that did not hold
#: (a pole beyond the circles' lowest power, a Laurent series of a pole off 0) or was
#: spliced in twice; now each is at least as accurate as the formula as written
REVIEWED = [("(x - np.sin(x))/x**8", (0.1, 0.0)), ("1e12 + 1/(x - 1e-12)", (1e-30, 0.0)),
            ("np.exp((x - np.sin(x))/x**3)*(y + (x - np.sin(x))/x**3 + np.cos(x))", (0.1, 1.0)),
            ("np.exp((x - np.sin(x))/x**3)*(y + (x - np.sin(x))/x**3 + np.cos(x))", (2.0, 1.0)),
            ("1e-310*(1/x - 1/np.tan(x))", (0.1, 0.0)),
            # a Laurent series term by term, 2/x**2 - 2/(3*x) + ..., was inf - inf = nan below
            # 1e-154 (fuzz97826 of a long run): its pole is taken out
            ("y/(np.expm1(x) - x)", (1e-310, 3.0)), ("y/(np.expm1(x) - x)", (1e-100, 3.0)),
            ("y/(np.expm1(x) - x)", (0.01, 3.0))]


@pytest.mark.parametrize("text, point", REVIEWED, ids=[f"{t} at {p}" for t, p in REVIEWED])
def test_what_review_found_gives_the_value(text, point):
    f = _formula(text)
    x, y = f._symbol("x"), f._symbol("y")
    want = exact_values(f.written[0], [x, y], {"x": np.array([point[0]]), "y": np.array([point[1]])})[0]
    as_written = _ulps(np.float64(_formula(text, stable=False)(*point)), want)
    assert _ulps(np.float64(f(*point)), want) <= max(64, 2 * as_written), (str(f), f(*point), want)


def test_a_series_stays_inside_the_parts_domain():
    """log(x) - log(sin(x)) is nan for x <= 0 (mpmath's complex detour makes it real)."""
    f = _formula("np.log(x) - np.log(np.sin(x))")
    with np.errstate(all="ignore"):
        values = f(np.array([-0.5, -1e-3, -1e-200]), 0.0)
    assert np.isnan(values).all(), (str(f), values)
    assert f(1e-200, 0.0) == 0.0 or abs(f(1e-3, 0.0) - 1.6666667222222e-07) < 1e-15


@pytest.mark.parametrize("order", [1, 2])
def test_derivatives_get_their_own_series_where_they_cancel(order):
    """(1 - cos(x))/x**2 needs its series only where x*x underflows; its derivatives cancel
    up to ~1: each derivative's part gets a series of its own beside the polynomial's."""
    f = _formula("(1 - np.cos(x))/(x*x)")
    d = f.diff(*["x"] * order)
    x = f._symbol("x")
    points = _points(3.0)
    points = points[np.abs(points) < 0.9]   # beyond, the 1 - cos rule's own form rounds more
    want = _exact(sympy.diff(f.written[0], x, order), x, points, "float64")
    with np.errstate(all="ignore"):
        as_written = _ulps(_formula("(1 - np.cos(x))/(x*x)", stable=False).diff(*["x"] * order)(points, 0.0), want)
    # within a few ulps, or (beyond the series, where the derivative still cancels a
    # little) within the derivative as written
    assert (_ulps(d(points, 0.0), want) <= np.maximum(8, as_written)).all(), str(d)
    assert as_written.max() > 1e6
