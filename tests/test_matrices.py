"""Whole matrices of any shape in a formula: elementwise operators and ufuncs, a vector
broadcast along the rows, reductions whole or along an axis, ``np.outer``, ``np.trace``;
each a sum in index notation, compiled as the double loops the lowering already has."""
import numpy as np
import pytest

import pyexpr as px
from pyexpr.errors import PyExprError


def log_sum_exp_rows(A: px.Matrix, w):
    """A softmax regression's normaliser: one log-sum-exp per row, less the scores A @ w."""
    return np.sum(np.log(np.sum(np.exp(A * w), axis=1)) - A @ w)


def weighted_squares(A: px.Matrix, B: px.Matrix, x):
    return np.sum((A - B * x)**2) + np.mean(A, axis=0) @ x


def traces(S: px.Matrix, a):
    return np.trace(S) * a + np.trace(S @ S) + np.sum(np.outer(S[0], S[:, 0]) * a**2)


def method_axes(A: px.Matrix):
    return np.sum(A.sum(axis=1)**2) + np.sum(A.mean(0)**3) + np.sum(np.prod(A, 1))


def _fd(f, args, k, h=1e-6):
    """Central differences of ``f`` by its argument ``k`` (a vector or a number)."""
    args = list(args)
    base = np.atleast_1d(np.asarray(args[k], dtype=float))
    out = []
    for e in np.eye(base.size):
        plus, minus = list(args), list(args)
        plus[k], minus[k] = (base + h * e).reshape(np.shape(args[k])), (base - h * e).reshape(np.shape(args[k]))
        out.append((f(*plus) - f(*minus)) / (2 * h))
    return np.array(out)


@pytest.mark.parametrize("m, n", [(1, 1), (3, 4), (40, 7), (5, 2000)])
def test_values_and_gradients_against_numpy(m, n):
    rng = np.random.default_rng(m * n)
    A, B, w = rng.uniform(-1, 1, (m, n)), rng.uniform(-1, 1, (m, n)), rng.uniform(-1, 1, n)
    for func, args, wrt in ((log_sum_exp_rows, (A, w), 1), (weighted_squares, (A, B, w), 2)):
        f = px.jit(func)
        assert f(*args) == pytest.approx(func(*args), rel=1e-12, abs=1e-12)
        if n <= 7:
            name = f.signature[wrt][0]
            np.testing.assert_allclose(f.grad(name)(*args), _fd(func, args, wrt), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("n", [1, 2, 6, 300])
def test_trace_outer_and_axes(n):
    rng = np.random.default_rng(n)
    S = rng.uniform(-1, 1, (n, n))
    f = px.jit(traces)
    assert f(S, 0.3) == pytest.approx(traces(S, 0.3), rel=1e-12)
    assert f.grad("a")(S, 0.3)[0] == pytest.approx(_fd(traces, (S, 0.3), 1)[0], rel=1e-6, abs=1e-7)
    assert px.jit(method_axes)(S) == pytest.approx(method_axes(S), rel=1e-12, abs=1e-12)
    with pytest.raises(ValueError, match="S"):
        f(rng.uniform(-1, 1, (n, n + 1)), 0.3)          # np.trace of S @ S needs a square S


def test_printed_in_index_notation():
    assert str(px.jit(log_sum_exp_rows)) == (
        "log_sum_exp_rows(A[m_A, n_A], w[n_A]) = Sum(log(Sum(exp(A[k, i]*w[i]), (i, 0, n_A - 1))) "
        "- Sum(A[k, i]*w[i], (i, 0, n_A - 1)), (k, 0, m_A - 1))")
    assert "Sum(S[i, i], (i, 0, m - 1))" in str(px.jit(traces))


def test_axis_sums_of_a_matrix_are_vectors():
    def column_sums(A: px.Matrix):
        return np.sum(A, axis=0) * 2

    def row_means(A: px.Matrix):
        return A.mean(axis=-1)
    A = np.random.default_rng(0).uniform(-1, 1, (4, 9))
    np.testing.assert_allclose(px.jit(column_sums)(A), column_sums(A), rtol=1e-13)
    np.testing.assert_allclose(px.jit(row_means)(A), row_means(A), rtol=1e-13)


def test_numpy_sum_takes_an_axis_and_builtin_sum_a_start():
    def numpy_axis(x):
        return np.sum(x, 0) + np.mean(x, axis=0)

    def builtin_start(x):
        return sum(x, 1.5)
    x = np.arange(5.0)
    assert px.jit(numpy_axis)(x) == pytest.approx(numpy_axis(x))
    assert px.jit(builtin_start)(x) == pytest.approx(builtin_start(x))


def test_lengths_met_in_a_chain_are_one_length():
    """y met z first, then x met y: all three have one length, and a call checks it (an
    earlier version checked z against nothing and read only its first elements)."""
    def chained(x, y, z):
        return np.sum(y * z) + np.sum(x * y)
    f = px.jit(chained)
    assert [k for _, k in f.signature] == [f.signature[0][1]] * 3
    with pytest.raises(ValueError, match="'x' and 'z' must have the same length"):
        f(np.ones(3), np.ones(3), np.ones(4))


def test_what_is_refused_at_its_line():
    def vector_axis(x):
        return np.sum(x, 1)

    def whole_matrix(A: px.Matrix):
        return A * 2

    def shapes(A: px.Matrix, B: px.Matrix, x):
        return np.sum(A * B) + np.sum(A * x) + np.sum(B[0] * x[1:])

    def stepped(A: px.Matrix, x):
        return np.sum(A * x[::2])

    def keyword(A: px.Matrix):
        return np.sum(A, dtype=float)
    with pytest.raises(np.exceptions.AxisError):
        vector_axis(np.ones(3))                         # numpy refuses it too
    cases = [(vector_axis, "axis 1 is out of bounds for a vector"),
             (whole_matrix, "a formula returning a whole matrix is not supported yet"),
             (shapes, "cannot be combined elementwise"),
             (stepped, "a slice with a step cannot be combined with a matrix yet"),
             (keyword, "keyword argument 'dtype' is not supported here")]
    for func, message in cases:
        with pytest.raises(PyExprError, match=message):
            px.jit(func)
