"""Tests of values for nan and infinity (``isnan``, ``isinf``, ``isfinite``, ``x != x``,
``x == inf``) compute as Python and numpy do, in every path.

sympy's real symbols stand for finite numbers, so sympy decides ``x != x`` False and
``x < oo`` True for every x; pyexpr keeps such comparisons as ``isnan``/``isinf`` tests
(``functions._Special``), lowered as the float comparisons that make them.
"""
import math

import numpy as np
import pytest
import sympy

import pyexpr as px
import special_functions as S

SPECIALS = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1.5, -2.0, 1e308, -1e-310]
SCALAR = [S.with_itself, S.with_infinities]


@pytest.mark.parametrize("fn", SCALAR, ids=lambda f: f.__name__)
def test_comparisons_with_itself_and_with_infinities_count_nan_and_inf(fn):
    f = px.jit(fn)
    want = [fn(v) for v in SPECIALS]
    assert [f(v) for v in SPECIALS] == want
    np.testing.assert_array_equal(f(np.array(SPECIALS)), want)
    with np.errstate(over="ignore"):
        single = np.array(SPECIALS, dtype=np.float32)         # 1e308 is inf in float32
    np.testing.assert_array_equal(f(single), [fn(float(v)) for v in single])
    namespace = {}
    exec(f.python_source, namespace)
    assert [namespace[fn.__name__](v) for v in SPECIALS] == want


def test_isnan_isinf_and_isfinite_print_run_and_differentiate():
    f = px.jit(S.tests)
    assert "isnan(x)" in str(f) and "isinf(y)" in str(f)
    assert r"\operatorname{isnan}" in f.latex()
    pairs = [(x, y) for x in SPECIALS for y in SPECIALS]
    want = [S.tests(x, y) for x, y in pairs]
    np.testing.assert_array_equal(f(*np.array(pairs).T), want)
    np.testing.assert_array_equal([f(x, y) for x, y in pairs], want)
    namespace = {}
    exec(f.python_source, namespace)
    np.testing.assert_array_equal([namespace["tests"](x, y) for x, y in pairs], want)
    np.testing.assert_array_equal(f.grad()(2.0, 3.0), [3.0, 2.0])
    np.testing.assert_array_equal(f.grad()(math.nan, 3.0), [0.0, 0.0])
    # sympy's simplification takes the tests as they are
    assert f.simplify()(math.nan, 1.0) == f(math.nan, 1.0) == 10.0


def test_an_expression_compared_with_itself_is_a_nan_test():
    f = px.jit(S.of_an_expression)
    assert f(math.inf, 0.0) == 1.0 and f(2.0, 3.0) == 0.0 and f(math.nan, 1.0) == 1.0


@pytest.mark.parametrize("fn", [S.ignoring_nan, S.nan_count, S.infinite_count, S.finite_mean,
                                S.skipping_nan], ids=lambda f: f.__name__)
def test_vectors_with_nan_and_inf(fn):
    f = px.jit(fn)
    x = np.array([1.0, math.nan, math.inf, -2.0, -math.inf, 3.0, math.nan])
    with np.errstate(invalid="ignore"):
        assert f(x) == pytest.approx(fn(x), nan_ok=True)
        assert f(x[:1]) == pytest.approx(fn(x[:1]), nan_ok=True)
    assert "Sum(" in str(f)
    # sympy's simplification keeps each sum whole (a test hidden as a symbol would leave it)
    with np.errstate(invalid="ignore"):
        assert f.simplify()(x) == pytest.approx(fn(x), nan_ok=True)


@pytest.mark.parametrize("fn", [S.masked_sum, S.masked_product, S.masked_max], ids=lambda f: f.__name__)
def test_a_condition_times_a_value_is_nan_where_numpy_multiplies_nan_or_inf_by_zero(fn):
    """np.sum((x > 1)*x**2): an element the condition leaves out still counts 0*x, nan for
    a nan or infinite x (sympy's Sum brought the case out: Piecewise((x**2, x > 1), (0, True))
    was 0 there); as written elsewhere, and its derivatives."""
    f = px.jit(fn)
    for x in ([0.5, 2.0, 3.0, -1.0], [0.5, math.nan, 3.0], [2.0, -math.inf, 0.5], [math.inf, 2.0]):
        x = np.array(x)
        with np.errstate(invalid="ignore"):
            assert f(x) == pytest.approx(fn(x), nan_ok=True), (f, x)
    x, h = np.array([0.5, 2.0, 3.0, -1.0]), 1e-6
    numeric = [(fn(x + h * e) - fn(x - h * e)) / (2 * h) for e in np.eye(len(x))]
    np.testing.assert_allclose(f.grad()(x), numeric, rtol=1e-6, atol=1e-6)


def test_a_case_times_a_value_elsewhere_keeps_its_nan():
    square, where = px.jit(S.masked_square), px.jit(S.weighted_where)
    with np.errstate(invalid="ignore"):
        for v in (math.nan, -math.inf, 2.0, 0.5):
            assert square(v) == pytest.approx(S.masked_square(v), nan_ok=True), v
        x, y = np.array([1.0, -1.0, 2.0, -3.0]), np.array([1.0, math.inf, 2.0, math.nan])
        assert math.isnan(where(x, y)) and math.isnan(S.weighted_where(x, y))
    assert where(x, np.ones(4)) == 3.0


def test_a_vector_compared_in_a_sum_is_the_vector_a_threshold_beside_it_is_not(tmp_path, monkeypatch):
    """A parameter read only in a comparison in a reduction is the vector (np.sum(x > 0));
    beside an operand read outside a comparison, it is a threshold (np.where(x > a, x, 0))."""
    (tmp_path / "thresholds.py").write_text(
        "import numpy as np\ndef above(x):\n    return np.sum(x > 0)\n"
        "def clipped(x, a):\n    return np.sum(np.where(x > a, x, 0.0))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import thresholds
    above = px.jit(thresholds.above)
    assert str(above).startswith("above(x[n]) = Sum(") and above(np.array([1.0, -1.0, 2.0])) == 2.0
    clipped = px.jit(thresholds.clipped)
    assert str(clipped).startswith("clipped(x[n], a) = ") and clipped(np.array([1.0, -1.0, 2.0]), 0.5) == 3.0


@pytest.mark.parametrize("fn, thresholds", [(S.count_above, (0.7,)), (S.in_band, (0.0, 2.0)),
                                            (S.share_below, (0.5,))], ids=lambda v: getattr(v, "__name__", ""))
def test_parameters_compared_in_a_reduction_the_first_is_the_vector(fn, thresholds):
    """np.sum(x > a) with nothing else beside the comparison: the first parameter is the
    vector, the others its thresholds (numbers), as in scipy's f(x, *args)."""
    f = px.jit(fn)
    x = np.array([1.0, math.nan, math.inf, -2.0, 0.25])
    assert str(f).startswith(f"{fn.__name__}(x[n], ")
    assert f(x, *thresholds) == fn(x, *thresholds)


def test_nan_and_inf_tests_of_constants_are_decided():
    from pyexpr.functions import isinf, isnan
    assert isnan(sympy.nan) is sympy.true and isnan(sympy.oo) is sympy.false
    assert isinf(-sympy.oo) is sympy.true and isinf(sympy.pi) is sympy.false
    assert isinstance(isnan(sympy.Symbol("x", real=True)), isnan)


def test_printed_tests_read_back_as_text():
    f = px.from_sympy("0.0 if isnan(x) else (x*y if not isinf(y) else 2.0)", ["x", "y"])
    assert str(f) == "f(x, y) = Piecewise((0.0, isnan(x)), (x*y, ~isinf(y)), (2.0, True))"
    assert [f(math.nan, 1.0), f(1.0, math.inf), f(2.0, 3.0)] == [0.0, 2.0, 6.0]


@pytest.mark.parametrize("fn", [S.above_and_squares, S.above_annotated, S.band_of_a_vector],
                         ids=lambda f: f.__name__)
def test_the_vector_among_compared_parameters_is_the_one_read_or_annotated_as_one(fn):
    """A parameter used as a vector elsewhere, or annotated, is the vector of a comparison
    in a reduction, wherever it stands in the signature; one annotated float never is."""
    f = px.jit(fn)
    x = np.array([1.0, 0.2, 3.0, -2.0, 0.7])
    numbers = (0.5,) if fn is not S.band_of_a_vector else (0.0, 2.0)
    assert str(f).split(" = ")[0].endswith("x[n])")
    assert f(*numbers, x) == fn(*numbers, x)


def test_count_nonzero_of_a_matrix_comparison():
    A = np.cos(np.arange(30.0).reshape(6, 5))
    assert px.jit(S.nonzero_of_a_matrix)(A) == np.count_nonzero(A > 0.2)


@pytest.mark.parametrize("fn", [S.infinity_of_a_chosen_value, S.nan_of_a_chosen_value], ids=lambda f: f.__name__)
def test_a_test_of_a_conditional_value_tests_the_branch_taken(fn):
    """isinf(w) of w = (y if isnan(v) else v): sympy's fold of the test into the branches and
    its rewrite as ITE lost one (0.0 at (1.5, inf), where w is 1.5), or raised at decoration
    ("Illegal operator isinf"); the test of each branch under its condition, in logic."""
    f = px.jit(fn)
    pairs = [(x, y) for x in SPECIALS for y in SPECIALS]
    want = [fn(x, y) for x, y in pairs]
    np.testing.assert_array_equal([f(x, y) for x, y in pairs], want)
    np.testing.assert_array_equal(f(*np.array(pairs).T), want)
