"""np.max and np.min of a vector of any length (``extremes.Maximum``/``Minimum``): one loop
for every n, numpy's values (nan wherever numpy gives nan, a ValueError for no elements),
derivatives shared equally among tied extremes, and a numerically stable logsumexp with
its exact gradient and Hessian."""
import textwrap

import numpy as np
import pytest
import scipy.special

import pyexpr as px
from pyexpr.errors import PyExprError
from open_formulas import spread, stable_logsumexp


def largest(x):
    return np.max(x)


def smallest(x):
    return np.amin(x)


def method_max(x):
    return x.max()


def builtin_min(x):
    return min(x)


def of_generator(x, t):
    return max(t * xi**2 for xi in x)


def inf_norm(x):
    return np.linalg.norm(x, np.inf)


def centred_extreme(x):
    return np.max(np.abs(x - np.mean(x)))


def max_of_a_tail(x):
    return np.max(x[2:])


CASES = [(largest, np.max), (smallest, np.min), (method_max, np.max), (builtin_min, np.min),
         (inf_norm, lambda x: np.max(np.abs(x))), (centred_extreme, lambda x: np.max(np.abs(x - np.mean(x)))),
         (max_of_a_tail, lambda x: np.max(x[2:])), (spread, spread)]
_built = {}


def _jit(fn, dtype="float64"):
    if (fn, dtype) not in _built:
        _built[fn, dtype] = px.jit(fn, dtype=dtype)
    return _built[fn, dtype]


@pytest.mark.parametrize("fn, reference", CASES, ids=[fn.__name__ for fn, _ in CASES])
@pytest.mark.parametrize("n", [3, 8, 1000, 100_003])
def test_values_are_numpys_at_every_length(fn, reference, n):
    """One compiled loop (chunks, threads past the first chunks): numpy's value, exactly,
    for the extreme itself, at every length."""
    f = _jit(fn)
    x = np.random.default_rng(n).normal(size=n) * 10
    assert f(x) == pytest.approx(reference(x), rel=1e-15, abs=1e-15)
    assert "Maximum" in str(f) or "Minimum" in str(f), str(f)


@pytest.mark.parametrize("fn, reference", CASES[:4], ids=[fn.__name__ for fn, _ in CASES[:4]])
def test_float32_is_exact(fn, reference):
    x = np.random.default_rng(1).normal(size=5001).astype(np.float32)
    got = _jit(fn, "float32")(x)
    assert got == reference(x) and np.asarray(got).dtype == np.float32


@pytest.mark.parametrize("where", [0, 1, 7, 4096, 65_537, 199_999])
def test_a_nan_anywhere_gives_nan_as_numpy(where):
    """A nan in any chunk, in any lane, first or last, is the result (numpy's np.max),
    not skipped as Python's max or fmax would."""
    x = np.random.default_rng(0).normal(size=200_000)
    x[where] = np.nan
    for fn in (largest, smallest, inf_norm):
        assert np.isnan(_jit(fn)(x)), (fn.__name__, where)
    assert np.isnan(_jit(stable_logsumexp)(x))


def test_infinities_are_ordinary_values():
    x = np.array([1.0, -np.inf, 3.0, np.inf, -2.0])
    assert _jit(largest)(x) == np.inf and _jit(smallest)(x) == -np.inf
    assert _jit(largest)(np.full(9, -np.inf)) == -np.inf


def test_no_elements_is_a_value_error_naming_the_argument():
    with pytest.raises(ValueError, match=r"largest\(\): argument 'x' of length 0 is too short"):
        _jit(largest)(np.array([]))
    with pytest.raises(ValueError, match=r"max_of_a_tail\(\): argument 'x' of length 2 is too short"):
        _jit(max_of_a_tail)(np.array([1.0, 2.0]))
    assert _jit(max_of_a_tail)(np.array([1.0, 2.0, -3.0])) == -3.0
    assert _jit(largest)(np.array([4.0])) == 4.0


def test_printed_in_index_notation():
    f = _jit(inf_norm)
    assert str(f) == "inf_norm(x[n]) = Maximum(Abs(x[i]), (i, 0, n - 1))"
    assert r"\left(\max_{0 \leq i \leq n - 1}" in f.latex()
    assert str(_jit(smallest)) == "smallest(x[n]) = Minimum(x[i], (i, 0, n - 1))"


def test_python_source_runs_as_numpy():
    f = _jit(spread)
    namespace = {}
    exec(f.python_source, namespace)
    x = np.random.default_rng(2).normal(size=12)
    assert namespace["spread"](list(x)) == pytest.approx(spread(x), rel=1e-15)
    x[5] = np.nan
    assert np.isnan(namespace["spread"](list(x)))


def _differences(f, x, h=1e-6):
    steps = np.eye(len(x)) * h
    return np.array([(f(x + s) - f(x - s)) / (2 * h) for s in steps])


@pytest.mark.parametrize("fn", [largest, smallest, inf_norm, centred_extreme, max_of_a_tail, spread, stable_logsumexp])
@pytest.mark.parametrize("n", [3, 4, 9, 1000])
def test_gradient_matches_central_differences(fn, n):
    f = _jit(fn)
    x = np.random.default_rng(n).normal(size=n)
    g = f.grad()(x)
    if n == 1000:
        k = np.random.default_rng(0).choice(n, 12, replace=False)
        steps = np.eye(n)[k] * 1e-6
        expected = np.array([(f(x + s) - f(x - s)) / 2e-6 for s in steps])
        np.testing.assert_allclose(g[k], expected, atol=1e-7)
    else:
        np.testing.assert_allclose(g, _differences(f, x), atol=1e-7)


def test_tied_extremes_share_the_derivative_equally():
    """As Max(a, b) does through Heaviside(0) = 1/2: the mean of the tied terms' derivatives."""
    x = np.array([1.0, -2.0, 2.0, 2.0])
    assert list(_jit(largest).grad()(x)) == [0.0, 0.0, 0.5, 0.5]
    # |x| is 2 at three places: a third each, with its sign
    assert _jit(inf_norm).grad()(x) == pytest.approx([0.0, -1 / 3, 1 / 3, 1 / 3], rel=1e-15)
    assert list(_jit(smallest).grad()(np.array([0.0, 0.0, 1.0, 0.0]))) == pytest.approx([1 / 3, 1 / 3, 0, 1 / 3])


def test_derivative_by_a_scalar_goes_through_the_extreme_term():
    f = _jit(of_generator)
    x = np.array([0.5, -3.0, 2.0])
    assert f(x, -2.0) == np.max(-2.0 * x**2)
    assert f.grad(wrt="t")(x, -2.0)[0] == pytest.approx(0.25)      # the largest term is t*0.5**2
    assert f.grad(wrt="t")(x, 2.0)[0] == pytest.approx(9.0)


def test_stable_logsumexp_value_gradient_and_hessian():
    f = _jit(stable_logsumexp)
    x = np.random.default_rng(4).normal(size=2000) * 30 + 900      # exp(x) alone overflows
    assert f(x) == pytest.approx(scipy.special.logsumexp(x), rel=1e-14)
    np.testing.assert_allclose(f.grad()(x), scipy.special.softmax(x), rtol=1e-12, atol=1e-300)
    y = np.random.default_rng(5).normal(size=6)
    s = scipy.special.softmax(y)
    np.testing.assert_allclose(f.hessian()(y), np.diag(s) - np.outer(s, s), atol=1e-14)
    p = np.random.default_rng(6).normal(size=6)
    np.testing.assert_allclose(f.hessp()(y, p), (np.diag(s) - np.outer(s, s)) @ p, atol=1e-14)


def mixed(x, y):
    return np.max(x * y + np.sin(x) * y**2)


def by_a_scalar(x, t: float):
    return np.max(np.exp(t * x) / (1 + t * x**2))


def test_the_extreme_term_is_found_exactly_where_a_term_computed_again_would_round_apart():
    """The derivative's weights compare the terms the maximum was taken of, stored once: at
    these points the term computed again in another loop differs from the maximum in its
    last bit, and the gradient was 0 (nan by a scalar)."""
    rng = np.random.default_rng(14)
    x, y = rng.normal(size=5) * 2, rng.normal(size=5)
    f = px.jit(mixed)
    np.testing.assert_allclose(f.grad(wrt="x")(x, y), _differences(lambda v: f(v, y), x), atol=1e-6)
    for seed in range(40):
        x, y = np.random.default_rng(seed).normal(size=(2, 7)) * 2
        assert np.count_nonzero(f.grad(wrt="x")(x, y)) == 1, seed
    x = np.random.default_rng(22).normal(size=5) * 2
    g = px.jit(by_a_scalar)
    expected = (g(x, 0.3 + 1e-7) - g(x, 0.3 - 1e-7)) / 2e-7
    assert g.grad(wrt="t")(x, 0.3)[0] == pytest.approx(expected, rel=1e-6)


def largest_where(x):
    return np.max(np.where(x > 0, x, 0.5 * x))


def largest_even(x):
    return np.max(x[::2])


def smallest_stepped(x):
    return np.min(x[1::3])


def test_derivatives_of_extremes_of_piecewise_and_stepped_terms():
    x = np.array([-3.0, 0.5, 2.0, 1.0, -0.25])
    assert list(px.jit(largest_where).grad()(x)) == [0.0, 0.0, 1.0, 0.0, 0.0]
    assert list(px.jit(largest_even).grad()(x)) == [0.0, 0.0, 1.0, 0.0, 0.0]
    assert list(px.jit(smallest_stepped).grad()(x)) == [0.0, 0.0, 0.0, 0.0, 1.0]     # x[1::3]: 0.5, -0.25


def test_a_stepped_slice_of_no_elements_is_a_value_error():
    with pytest.raises(ValueError, match="of length 0 is too short"):
        px.jit(largest_even)(np.array([]))
    with pytest.raises(ValueError, match="of length 1 is too short"):
        px.jit(smallest_stepped)(np.array([1.0]))
    assert px.jit(smallest_stepped)(np.array([1.0, 2.0])) == 2.0


def prefix_maxima(x):
    return sum(max(x[k] for k in range(j)) for j in range(len(x)))


def with_a_key(x):
    return max(x, key=abs)


@pytest.mark.parametrize("fn, message", [
    (prefix_maxima, r"np.max of j elements has none at j = 0 \(numpy raises a ValueError\)"),
    (with_a_key, r"max\(\) of a vector takes no keyword arguments in a formula"),
])
def test_what_would_differ_from_python_is_refused(fn, message):
    with pytest.raises(PyExprError, match=message):
        px.jit(fn)


def square_of_largest(x):
    return np.max(x) ** 2


def largest_square(x):
    return np.max(x ** 2)


def running_above_the_least(x):
    return np.max(np.cumsum(x - np.min(x)))


def test_latex_tells_the_square_of_the_maximum_from_the_maximum_of_squares():
    assert px.jit(square_of_largest).latex().endswith(r"\left(\max_{0 \leq i \leq n - 1} {x}_{i}\right)^{2}")
    assert px.jit(largest_square).latex().endswith(r"\left(\max_{0 \leq i \leq n - 1} {x}_{i}^{2}\right)")


def test_an_extreme_inside_a_running_sum_is_computed_first():
    x = np.random.default_rng(8).normal(size=300)
    assert px.jit(running_above_the_least)(x) == pytest.approx(running_above_the_least(x), rel=1e-12)


def test_cached_program_runs_in_a_new_process(tmp_path, processes):
    """The stage kinds "max" and "min" are stored and read back: a second process computes
    the same value from the disk cache."""
    runs = processes(tmp_path, textwrap.dedent("""
        import json
        import numpy as np
        import pyexpr as px

        @px.jit
        def f(x):
            m = np.max(x)
            return m + np.log(np.sum(np.exp(x - m))) - np.min(x)
        print(json.dumps(float(f(np.linspace(-3.0, 700.0, 1001)))))
        """))
    expected = scipy.special.logsumexp(np.linspace(-3.0, 700.0, 1001)) + 3.0
    assert runs[0] == runs[1] == pytest.approx(expected, rel=1e-14)


LONG_DATA = np.linspace(-3.0, 5.0, 2000)


def farthest(mu):
    return np.max(np.abs(LONG_DATA - mu)) + np.min(LONG_DATA * mu)


def test_an_extreme_over_data_is_a_reduction_not_a_maximum_of_its_terms():
    # written out as Max of 2,000 terms, its value took minutes and its derivative did not end
    f = px.jit(farthest)
    assert "Maximum(" in str(f) and "(i, 0, 1999)" in str(f)
    for mu in (0.7, -0.3):
        assert f(mu) == pytest.approx(farthest(mu), rel=1e-15)
        h = 1e-6
        assert f.grad()(mu)[0] == pytest.approx((farthest(mu + h) - farthest(mu - h)) / (2 * h), rel=1e-6)
