"""Slices and ranges with a step over vectors of any length: the published test functions
that pair elements (extended Rosenbrock, extended Powell singular), loops over
``range(0, len(x), 2)``; the lengths such code runs at, checked by every call."""
import pickle
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pyexpr as px
from pyexpr.errors import PyExprError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from open_formulas import extended_rosen  # noqa: E402
from test_hypothesis_frontend import load  # noqa: E402


def extended_powell(x):
    a, b, c, d = x[::4], x[1::4], x[2::4], x[3::4]
    return np.sum((a + 10 * b)**2 + 5 * (c - d)**2 + (b - 2 * c)**4 + 10 * (a - d)**4)


def pairs(x):
    t = 0.0
    for i in range(0, len(x), 2):
        t += x[i] * x[i + 1]
    return t


def every_third(x):
    return sum(x[i] - x[i + 2]**2 for i in range(1, len(x) - 2, 3))


def _x(n, seed=0):
    return np.random.default_rng(seed).uniform(-1.5, 1.5, n)


def _fd_gradient(f, x, h=1e-6):
    return np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(len(x))])


def _extended_rosen_gradient(x):
    """By hand, as published: the pairs (x[2k], x[2k+1]) are independent."""
    g = np.zeros_like(x)
    a, b = x[::2], x[1::2]
    g[::2] = -400 * a * (b - a**2) - 2 * (1 - a)
    g[1::2] = 200 * (b - a**2)
    return g


@pytest.mark.parametrize("n", [2, 4, 10, 1000, 100_000])
def test_extended_rosenbrock_value_and_gradient(n):
    f = px.jit(extended_rosen)
    x = _x(n)
    assert f(x) == pytest.approx(extended_rosen(x), rel=1e-12)
    np.testing.assert_allclose(f.grad()(x), _extended_rosen_gradient(x), rtol=1e-11, atol=1e-9)
    if n <= 10:
        p = _x(n, 1)
        gradient = f.grad()
        H = np.array([_fd_gradient(lambda z: gradient(z)[k], x) for k in range(n)])
        np.testing.assert_allclose(f.hessian()(x), H, rtol=1e-6, atol=1e-5)
        np.testing.assert_allclose(f.hessp()(x, p), H @ p, rtol=1e-6, atol=1e-5)
        sparse = f.hessian(sparse=True)(x)              # the band: three diagonals
        assert sparse.nnz == 3 * n - 2
        np.testing.assert_allclose(sparse.toarray(), H, rtol=1e-6, atol=1e-5)


def test_extended_rosenbrock_prints_the_lengths_it_holds_for():
    f = px.jit(extended_rosen)
    assert str(f).endswith("(for n % 2 == 0)")
    assert f.latex().endswith(r"\quad n \bmod 2 = 0")
    assert "n % 2 == 0" in str(f.grad()).splitlines()[0]
    assert f.steps == (("n", 2, (0,), ("numpy combines slices only of the same length",)),)


@pytest.mark.parametrize("n", [1, 3, 5, 7])
def test_a_length_the_code_does_not_run_at_is_a_value_error(n):
    f = px.jit(extended_rosen)
    if n > 3:           # (below, numpy broadcasts a slice of one element over the other)
        with pytest.raises(ValueError):
            extended_rosen(_x(n))                       # numpy refuses too
    message = rf"extended_rosen\(\): argument 'x' of length {n}: the code runs only where len\(x\) % 2 == 0"
    for call in (f, f.grad(), lambda x: f.hessp()(x, x)):
        with pytest.raises(ValueError, match=message.replace("extended_rosen", r"\w*extended_rosen")):
            call(_x(n))
    with pytest.raises(ValueError, match="len\\(x\\) % 2 == 0"):
        f(_x(n).tolist())                               # the general path as well as the quick one


def test_the_lengths_travel_with_the_formula():
    f = px.jit(extended_rosen)
    g = pickle.loads(pickle.dumps(f))
    assert g.steps == f.steps and g(_x(6)) == f(_x(6))
    with pytest.raises(ValueError, match="% 2 == 0"):
        g(_x(5))
    namespace = {}
    exec(f.python_source, namespace)
    assert namespace["extended_rosen"](list(_x(6))) == pytest.approx(f(_x(6)), rel=1e-12)
    with pytest.raises(ValueError, match="runs only where n % 2"):
        namespace["extended_rosen"](list(_x(5)))


def test_the_gufunc_gives_nan_and_warns_at_other_lengths():
    u = px.jit(extended_rosen).ufunc
    X = np.stack([_x(8, s) for s in range(3)])
    np.testing.assert_allclose(u(X), [extended_rosen(r) for r in X], rtol=1e-12)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert np.isnan(u(np.ones((2, 5)))).all()
    assert any("invalid value" in str(w.message) for w in caught)


@pytest.mark.parametrize("n", [4, 8, 12, 400])
def test_extended_powell_singular(n):
    f = px.jit(extended_powell)
    x = _x(n, 2)
    assert "(for n % 4 == 0)" in str(f)
    assert f(x) == pytest.approx(extended_powell(x), rel=1e-12)
    if n <= 12:
        np.testing.assert_allclose(f.grad()(x), _fd_gradient(extended_powell, x), rtol=1e-6, atol=1e-6)
    for m in (n - 1, n + 2):
        with pytest.raises(ValueError, match=r"len\(x\) % 4 == 0"):
            f(_x(m))


@pytest.mark.parametrize("n", [0, 2, 3, 6, 9, 1001, 1002])
def test_a_loop_over_a_range_with_a_step(n):
    f = px.jit(pairs)
    x = _x(n, 3)
    if n % 2:
        with pytest.raises(IndexError):
            pairs(x)                                    # Python reads x[n]
        with pytest.raises(ValueError, match=r"len\(x\) % 2 == 0 \(x\[i \+ 1\] must stay inside x"):
            f(x)
        return
    assert f(x) == pytest.approx(pairs(x), rel=1e-12, abs=1e-15)
    if 0 < n <= 6:
        np.testing.assert_allclose(f.grad()(x), _fd_gradient(pairs, x), rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("n", range(0, 12))
def test_a_range_whose_reads_fit_at_every_length_has_no_condition(n):
    f = px.jit(every_third)
    assert f.steps == ()
    x = _x(n, 4)
    assert f(x) == pytest.approx(every_third(x), rel=1e-12, abs=1e-15)
    if 0 < n <= 8:
        np.testing.assert_allclose(f.grad()(x), _fd_gradient(every_third, x), rtol=1e-7, atol=1e-8)


def test_what_stays_refused_at_its_line():
    def two_vectors(x, y):
        return np.sum(x[::2] * y[1::2])

    def two_steps(x):
        return np.sum(x[::2] * x[::3])

    def never(x):
        return np.sum(x[::2] * x[1:-1:2])

    def odd_step(x):
        return sum(x[i] for i in range(0, len(x), -1))
    cases = [(two_vectors, r"lengths ceiling\(n_x/2\), ceiling\(n_y/2 - 1/2\) cannot be combined"),
             (two_steps, "slices with a step combine only with slices of the same step"),
             (never, "the code runs at no length of n"),
             (odd_step, "range\\(\\) over a length takes a positive constant step")]
    for func, message in cases:
        with pytest.raises(PyExprError, match=message):
            px.jit(func)


_SLICES = ["x[{a}::{s}]", "x[{a}:-1:{s}]", "x[{a}:len(x) - 2:{s}]"]
_TERMS = ["({0} - {1} ** 2)", "({0} * {1})", "np.sin({0}) + {1}", "np.exp(-({0} - {1}) ** 2)"]


@st.composite
def stepped_sources(draw):
    s = draw(st.integers(2, 3))
    first, second = (draw(st.sampled_from(_SLICES)).format(a=draw(st.integers(0, s - 1)), s=s) for _ in range(2))
    term = draw(st.sampled_from(_TERMS)).format(first, second)
    form = draw(st.sampled_from(["    return np.sum({0})", "    return np.sum(({0}) ** 2) + x[0]"]))
    return "import numpy as np\n\n\ndef generated(x):\n" + form.format(term) + "\n"


@settings(max_examples=40, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(source=stepped_sources())
def test_random_stepped_slices_agree_with_numpy_or_refuse_where_it_does(source):
    """Two slices with one step and any starts and stops: at every length the formula gives
    numpy's value, or refuses (ValueError) where numpy raises or broadcasts a slice of one
    element; never a value where numpy raises."""
    plain = load(source)
    try:
        f = px.jit(plain)
    except PyExprError as refused:                  # slices whose lengths always differ
        assert "the code runs at no length of n" in str(refused), source
        for n in range(12, 20):                     # (below, numpy may broadcast one element)
            with pytest.raises(ValueError):
                plain(_x(n))
        return
    for n in range(1, 14):
        x = _x(n, n)
        try:
            with np.errstate(all="ignore"):
                want, numpy_ok = plain(x), True
        except (ValueError, IndexError):
            want, numpy_ok = None, False
        try:
            got = f(x)
        except ValueError:
            continue                                    # numpy raised, or broadcast one element
        assert numpy_ok, f"n = {n}: {got} where numpy raises\n{source}"
        assert got == pytest.approx(want, rel=1e-12, abs=1e-12), f"n = {n}\n{source}"
    valid = [n for n in range(4, 12) if _runs(f, n)]
    if valid:
        x = _x(valid[0], 9)
        np.testing.assert_allclose(f.grad()(x), _fd_gradient(plain, x), rtol=1e-6, atol=1e-6, err_msg=source)


def _runs(f, n):
    try:
        f(_x(n))
        return True
    except ValueError:
        return False


def residuals(x):
    """The extended Rosenbrock function's residuals on the pairs (x[2k], x[2k+1])."""
    return 10 * (x[1::2] - x[::2]**2)


def every_other(x):
    return np.exp(-x[1::3]) * x[1::3]


@pytest.mark.parametrize("n", [0, 1, 2, 5, 6, 7, 1000, 100_001])
def test_a_slice_with_a_step_as_a_vector_output(n):
    x = _x(n, 5)
    f, g = px.jit(residuals), px.jit(every_other)
    np.testing.assert_allclose(g(x), every_other(x), rtol=1e-13)
    assert g(x).shape == every_other(x).shape
    if n % 2:
        with pytest.raises(ValueError, match=r"len\(x\) % 2 == 0"):
            f(x)
        return
    np.testing.assert_allclose(f(x), residuals(x), rtol=1e-13)
    assert np.array_equal(px.jit(residuals, parallel=True)(x), f(x))
    if 0 < n <= 6:
        J = f.jacobian(wrt="x")(x)
        h = 1e-6
        fd = np.array([(residuals(x + h * e) - residuals(x - h * e)) / (2 * h) for e in np.eye(n)]).T
        np.testing.assert_allclose(J, fd, rtol=1e-6, atol=1e-6)


def test_a_stepped_output_prints_and_travels():
    f = px.jit(residuals)
    assert str(f).splitlines() == ["residuals(x[n])[j] =   (for n % 2 == 0)",
                                   "  0 <= j <= ceiling(n/2 - 1/2) - 1:  10*x[2*j + 1] - 10*x[2*j]**2"]
    namespace = {}
    exec(f.python_source, namespace)
    np.testing.assert_allclose(namespace["residuals"](list(_x(8))), residuals(_x(8)), rtol=1e-13)
    np.testing.assert_allclose(pickle.loads(pickle.dumps(f))(_x(8)), residuals(_x(8)), rtol=1e-13)

    def pieces(x):
        return np.concatenate((x[1::2], x[::2]))
    with pytest.raises(PyExprError, match="np.concatenate of slices with a step is not supported yet"):
        px.jit(pieces)


def test_a_condition_on_a_length_names_the_vector_it_is_the_length_of():
    def with_matrix(A: px.Matrix, x: px.Vector):
        return np.sum(A @ x) + np.sum(x[::2] * x[1::2])
    with pytest.raises(ValueError, match=r"argument 'x' of length 3: the code runs only where len\(x\) % 2 == 0"):
        px.jit(with_matrix)(np.ones((2, 3)), np.ones(3))
