"""Whole matrices of any shape in a formula: elementwise operators and ufuncs, a vector
broadcast along the rows, reductions whole or along an axis, ``np.outer``, ``np.trace``;
each a sum in index notation, compiled as the double loops the lowering already has."""
import pickle
import warnings

import numpy as np
import pytest

import pyexpr as px
from pyexpr.errors import PyExprError

from open_formulas import kernel, linear_residuals, product_of


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

    def shapes(A: px.Matrix, B: px.Matrix, x):
        return np.sum(A * B) + np.sum(A * x) + np.sum(B[0] * x[1:])

    def stepped(A: px.Matrix, x):
        return np.sum(A * x[::2])

    def keyword(A: px.Matrix):
        return np.sum(A, dtype=float)
    with pytest.raises(np.exceptions.AxisError):
        vector_axis(np.ones(3))                         # numpy refuses it too
    cases = [(vector_axis, "axis 1 is out of bounds for a vector"),
             (shapes, "cannot be combined elementwise"),
             (stepped, "a slice with a step cannot be combined with a matrix yet"),
             (keyword, "keyword argument 'dtype' is not supported here")]
    for func, message in cases:
        with pytest.raises(PyExprError, match=message):
            px.jit(func)


def softmax_rows(A: px.Matrix):
    return (np.exp(A).T / np.sum(np.exp(A), axis=1)).T


def standardized(A: px.Matrix, shift: px.Vector, scale):
    return (A - np.mean(A, axis=0)) / np.sqrt(np.sum(A**2, axis=0)) * scale + shift


def bordered(x, y):
    return np.outer(np.concatenate(([0.0], x, [1.0])), y)


def transposed(A: px.Matrix, B: px.Matrix):
    return np.exp(A).T * B.T - 1


@pytest.mark.parametrize("m, n", [(0, 3), (3, 0), (1, 1), (4, 7), (300, 500)])
def test_matrix_outputs_against_numpy(m, n):
    rng = np.random.default_rng(m + 7 * n)
    A, B = rng.normal(size=(m, n)), rng.normal(size=(m, n))
    shift, x, y = rng.normal(size=n), rng.normal(size=m), rng.normal(size=n)
    cases = [(softmax_rows, (A,)), (standardized, (A + 3, shift, 0.5)), (transposed, (A, B)),
             (bordered, (x, y))]
    for func, args in cases:
        f = px.jit(func)
        with np.errstate(all="ignore"), warnings.catch_warnings():     # numpy's mean of no rows
            warnings.simplefilter("ignore", RuntimeWarning)
            want = func(*args)
        got = f(*args)
        assert got.shape == want.shape and got.dtype == np.float64, func.__name__
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13, err_msg=func.__name__)


def test_a_matrix_output_prints_its_cells():
    assert str(px.jit(softmax_rows)) == (
        "softmax_rows(A[m, n])[j, l] =\n"
        "  0 <= j <= m - 1, 0 <= l <= n - 1:  exp(A[j, l])/Sum(exp(A[j, i]), (i, 0, n - 1))")
    lines = str(px.jit(bordered)).splitlines()
    assert lines[1:] == ["  j = 0, 0 <= l <= n_y - 1:  0",
                         "  1 <= j <= n_x, 0 <= l <= n_y - 1:  x[j - 1]*y[l]",
                         "  j = n_x + 1, 0 <= l <= n_y - 1:  1.0*y[l]"]
    assert r"_{j l} = \begin{cases}" in px.jit(softmax_rows).latex()


def test_a_matrix_output_in_every_call_form():
    rng = np.random.default_rng(5)
    f = px.jit(softmax_rows)
    A = rng.normal(size=(600, 700))
    one = f(A)
    assert np.array_equal(px.jit(softmax_rows, parallel=True)(A), one)    # rows on threads: same bits
    out = np.empty((3, 4))
    assert f(A[:3, :4], out=out) is out and np.allclose(out, softmax_rows(A[:3, :4]))
    batch = rng.normal(size=(3, 4, 2))                  # trailing axes: a batch, results side by side
    np.testing.assert_allclose(f(batch)[..., 1], softmax_rows(batch[..., 1]), rtol=1e-13)
    assert f.ufunc.signature == "(m,n)->(m,n)"
    stacked = rng.normal(size=(2, 3, 4))
    np.testing.assert_allclose(f.ufunc(stacked), [softmax_rows(s) for s in stacked], rtol=1e-13)
    np.testing.assert_allclose(pickle.loads(pickle.dumps(f))(A[:5, :5]), softmax_rows(A[:5, :5]), rtol=1e-13)
    assert px.jit(softmax_rows, dtype="float32")(A[:3, :4].astype(np.float32)).dtype == np.float32
    for func, args in ((softmax_rows, (A[:3, :4],)), (bordered, (A[0, :3], A[1, :2]))):
        namespace = {}
        exec(px.jit(func).python_source, namespace)
        np.testing.assert_allclose(np.array(namespace[func.__name__](*(a.tolist() for a in args))),
                                   func(*args), rtol=1e-13)


def test_what_a_matrix_output_does_not_do_yet():
    def product(A: px.Matrix, B: px.Matrix):
        return A @ B
    f = px.jit(softmax_rows)
    for method in ("grad", "jacobian", "hessp"):
        with pytest.raises(NotImplementedError, match="returns a matrix"):
            getattr(f, method)()
    assert "pyexpr" in px.jit(softmax_rows, target="cuda").cuda_source     # compiled: test_cuda_loops
    np.testing.assert_allclose(px.jit(product)(np.ones((2, 3)), np.ones((3, 2))), np.full((2, 2), 3.0))


def least_squares_by_matrix(A: px.Matrix, x, b: px.Vector):
    return np.sum((A @ x - b)**2) + 0.1 * np.sum(A**2)


def layer(W: px.Matrix, x, v: px.Vector):
    return v @ np.tanh(W @ x)


def below_the_diagonal(A: px.Matrix):
    total = np.trace(A) + A[0, -1]
    for i in range(len(A)):
        for k in range(i):
            total += A[i, k]**2
    return total


def _fd_matrix(f, args, k, h=1e-6):
    A, grad = args[k], np.zeros_like(args[k])
    for at in np.ndindex(*A.shape):
        step = np.zeros_like(A)
        step[at] = h
        plus, minus = list(args), list(args)
        plus[k], minus[k] = A + step, A - step
        grad[at] = (f(*plus) - f(*minus)) / (2 * h)
    return grad


@pytest.mark.parametrize("m, n", [(1, 1), (3, 4), (5, 2)])
def test_gradients_by_a_matrix_against_finite_differences(m, n):
    rng = np.random.default_rng(10 * m + n)
    A, x, b = rng.normal(size=(m, n)), rng.normal(size=n), rng.normal(size=m)
    S = rng.normal(size=(n, n))
    for func, args, name in ((least_squares_by_matrix, (A, x, b), "A"), (layer, (A, x, b), "W"),
                             (log_sum_exp_rows, (A, x), "A"), (below_the_diagonal, (S,), "A")):
        gradient = px.jit(func).grad(name)
        assert gradient.out_shape == tuple(px.jit(func).open[name][1])
        k = [p for p, _ in px.jit(func).signature].index(name)
        np.testing.assert_allclose(gradient(*args), _fd_matrix(func, args, k), rtol=1e-6, atol=1e-7,
                                   err_msg=func.__name__)


def test_a_gradient_by_a_matrix_is_one_formula_in_j_and_l():
    assert str(px.jit(least_squares_by_matrix).grad("A")).splitlines() == [
        "grad_least_squares_by_matrix(A[m_A, n_A], x[n_A], b[m_A])[j, l] =",
        "  0 <= j <= m_A - 1, 0 <= l <= n_A - 1:  "
        "(-2*b[j] + 2*Sum(A[j, i]*x[i], (i, 0, n_A - 1)))*x[l] + 0.2*A[j, l]"]
    # the diagonal of the trace is a value in the cell (j == l), not a case of either index
    assert "Piecewise((1, Eq(j, l)), (0, True))" in str(px.jit(below_the_diagonal).grad("A"))


def test_a_gradient_by_a_matrix_compiles_for_large_shapes_on_threads():
    rng = np.random.default_rng(4)
    A, x, b = rng.normal(size=(400, 300)), rng.normal(size=300), rng.normal(size=400)
    one = px.jit(least_squares_by_matrix).grad("A")(A, x, b)
    want = 2 * np.outer(A @ x - b, x) + 0.2 * A
    np.testing.assert_allclose(one, want, rtol=1e-12, atol=1e-12)
    assert np.array_equal(px.jit(least_squares_by_matrix, parallel=True).grad("A")(A, x, b), one)


def factorization(U: px.Matrix, V: px.Matrix, R: px.Matrix):
    """Matrix factorization's loss: U @ V.T is a sum over a third index inside the double sum."""
    return np.sum((R - U @ V.T)**2)


def layer_sum(X: px.Matrix, W: px.Matrix):
    return np.sum(np.tanh(X @ W))


@pytest.mark.parametrize("m, n, r", [(1, 1, 1), (4, 5, 2), (300, 400, 20)])
def test_sums_three_deep_through_temporary_matrices(m, n, r):
    """The inner product U @ V.T inside the loss's double sum (and the gradients' sums) is a
    temporary matrix computed by a stage of its own before the sum that reads it."""
    rng = np.random.default_rng(m + n + r)
    U, V, R = rng.normal(size=(m, r)), rng.normal(size=(n, r)), rng.normal(size=(m, n))
    X, W = rng.normal(size=(m, r)), rng.normal(size=(r, n))
    f, g = px.jit(factorization), px.jit(layer_sum)
    assert f(U, V, R) == pytest.approx(factorization(U, V, R), rel=1e-12)
    assert g(X, W) == pytest.approx(layer_sum(X, W), rel=1e-12, abs=1e-12)
    residual = R - U @ V.T
    np.testing.assert_allclose(f.grad("U")(U, V, R), -2 * residual @ V, rtol=1e-11, atol=1e-10)
    np.testing.assert_allclose(f.grad("V")(U, V, R), -2 * residual.T @ U, rtol=1e-11, atol=1e-10)
    slope = 1 - np.tanh(X @ W)**2
    np.testing.assert_allclose(g.grad("W")(X, W), X.T @ slope, rtol=1e-11, atol=1e-10)
    np.testing.assert_allclose(g.grad("X")(X, W), slope @ W.T, rtol=1e-11, atol=1e-10)
    assert np.array_equal(px.jit(factorization, parallel=True).grad("U")(U, V, R), f.grad("U")(U, V, R))
    if m * n * r <= 40:
        np.testing.assert_allclose(f.grad("U")(U, V, R), _fd_matrix(factorization, (U, V, R), 0),
                                   rtol=1e-6, atol=1e-6)



def pair_kernel(x):
    """A Gaussian kernel's sum over all pairs, written with numpy's new axes."""
    return np.sum(np.exp(-(x[:, None] - x[None, :])**2))


def kernel_matrix(x, y: px.Vector):
    return np.exp(-(x[:, None] - y)**2)


def softmax_keepdims(A: px.Matrix):
    return np.exp(A) / np.sum(np.exp(A), axis=1, keepdims=True)


def normalized_columns(A: px.Matrix):
    return A / A.sum(axis=0, keepdims=True) + A.mean(1, keepdims=True)


def shifted_outer(x, y):
    return x[1:, np.newaxis] * y[None]


@pytest.mark.parametrize("n", [1, 2, 9, 300])
def test_new_axes_broadcast_as_numpy(n):
    rng = np.random.default_rng(n)
    x, y, A = rng.normal(size=n), rng.normal(size=n + 2), rng.normal(size=(n, n + 1)) + 3
    for func, args in ((pair_kernel, (x,)), (kernel_matrix, (x, y)), (softmax_keepdims, (A,)),
                       (normalized_columns, (A,)), (shifted_outer, (x, y))):
        got, want = px.jit(func)(*args), func(*args)
        assert np.shape(got) == np.shape(want), func.__name__
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=func.__name__)
    if n <= 9:
        h = 1e-6
        fd = [(pair_kernel(x + h * e) - pair_kernel(x - h * e)) / (2 * h) for e in np.eye(n)]
        np.testing.assert_allclose(px.jit(pair_kernel).grad()(x), fd, rtol=1e-6, atol=1e-7)


def test_a_column_or_a_row_returned_is_a_matrix_of_one_column_or_row():
    def column(x):
        return x[:, None] * 2

    def row(x):
        return x[None, :] + 1
    x = np.arange(4.0)
    assert px.jit(column)(x).shape == (4, 1) and px.jit(row)(x).shape == (1, 4)
    assert str(px.jit(column)).splitlines()[1] == "  0 <= j <= n - 1, l = 0:  2*x[j]"


def test_new_axes_that_are_refused():
    def matmul(x, A: px.Matrix):
        return x[:, None] @ A

    def two(x):
        return np.sum(x[:, None, None])

    def vector_keepdims(x):
        return np.sum(x, axis=0, keepdims=True)
    for func, message in ((matmul, "@ of a vector with a new axis"), (two, "one new axis"),
                          (vector_keepdims, "keepdims=True is supported for a matrix's reductions")):
        with pytest.raises(PyExprError, match=message):
            px.jit(func)


def centred_rows(A: px.Matrix, w: px.Vector):
    return (A - A.mean(axis=1, keepdims=True)) @ w


def spread(A: px.Matrix):
    return np.sum(np.sum((A - A.mean(axis=1, keepdims=True))**2, axis=1))


@pytest.mark.parametrize("m, n", [(1, 1), (3, 4), (2000, 30)])
def test_a_rows_sum_inside_the_rows_sum_is_computed_once_per_row(m, n):
    """Sum over k of (A[i, k] - mean of row i) * w[k]: the mean is a sum over another index
    inside the sum over k; it is computed first for each row and read by the terms."""
    rng = np.random.default_rng(m)
    A, w = rng.normal(size=(m, n)), rng.normal(size=n)
    f, g = px.jit(centred_rows), px.jit(spread)
    np.testing.assert_allclose(f(A, w), centred_rows(A, w), rtol=1e-12, atol=1e-12)
    assert g(A) == pytest.approx(spread(A), rel=1e-12, abs=1e-12)
    assert np.array_equal(px.jit(centred_rows, parallel=True)(A, w), f(A, w))
    if m * n <= 12:
        np.testing.assert_allclose(g.grad("A")(A), 2 * (A - A.mean(axis=1, keepdims=True)), rtol=1e-12,
                                   atol=1e-12)


WEIGHTS = np.arange(12.0).reshape(3, 4) / 10


def weighted(A: px.Matrix):
    """A matrix output of module-level data's shape: the data fixes it, (3, 4)."""
    return A * WEIGHTS + 1


def test_a_matrix_output_through_the_gufunc_dask_and_xarray():
    dask_array = pytest.importorskip("dask.array")
    xr = pytest.importorskip("xarray")
    rng = np.random.default_rng(8)
    f, g = px.jit(weighted), px.jit(softmax_rows)
    assert f.ufunc.signature == "(m,n)->(m,n)"
    stacked = rng.normal(size=(5, 3, 4))
    np.testing.assert_allclose(f.ufunc(stacked), [weighted(s) for s in stacked], rtol=1e-14)
    with warnings.catch_warnings(record=True) as caught:        # the data fixes the shape
        warnings.simplefilter("always")
        assert np.isnan(f.ufunc(np.ones((2, 4)))).all()
    assert any("invalid value" in str(w.message) for w in caught)
    batch = rng.normal(size=(3, 4, 6))
    lazy = f(dask_array.from_array(batch, chunks=(3, 4, 2)))
    np.testing.assert_allclose(lazy.compute(), np.stack([weighted(batch[..., k]) for k in range(6)], -1),
                               rtol=1e-14)
    labelled = g(xr.DataArray(batch[..., 0], dims=("row", "col")))
    assert labelled.dims == ("row", "col")
    np.testing.assert_allclose(labelled.values, softmax_rows(batch[..., 0]), rtol=1e-13)


def product(A: px.Matrix, B: px.Matrix):
    return A @ B


def similarity(A: px.Matrix, B: px.Matrix, w: px.Vector):
    """A sum along both of the output's indices, a row's sum and a column's besides."""
    return np.exp((A * w) @ B.T / 10) + np.sum(A, axis=1, keepdims=True) - np.mean(B, axis=1)


@pytest.mark.parametrize("m, k, n", [(1, 1, 1), (2, 3, 4), (5, 0, 3), (70, 33, 41), (600, 40, 300)])
def test_a_matrix_product_returned(m, k, n):
    rng = np.random.default_rng(m + k + n)
    A, B, C, w = rng.normal(size=(m, k)), rng.normal(size=(k, n)), rng.normal(size=(n, k)), rng.normal(size=k)
    f, g = px.jit(product), px.jit(similarity)
    np.testing.assert_allclose(f(A, B), A @ B, rtol=1e-12, atol=1e-12)
    with np.errstate(all="ignore"), warnings.catch_warnings():      # numpy's mean of no columns
        warnings.simplefilter("ignore", RuntimeWarning)
        want = similarity(A, C, w)
    np.testing.assert_allclose(g(A, C, w), want, rtol=1e-12, atol=1e-12)
    assert np.array_equal(px.jit(product, parallel=True)(A, B), f(A, B))     # same bits on threads
    np.testing.assert_allclose(px.jit(product, dtype="float32")(A.astype(np.float32), B.astype(np.float32)),
                               A @ B, rtol=1e-4, atol=1e-4 * max(1, k))
    assert str(f).splitlines()[1] == "  0 <= j <= m_A - 1, 0 <= l <= n_B - 1:  Sum(A[j, i]*B[i, l], (i, 0, n_A - 1))"


def test_a_matrix_product_checks_its_shapes():
    with pytest.raises(ValueError, match="must agree in n_A"):
        px.jit(product)(np.ones((2, 3)), np.ones((4, 2)))


def _keepdims_transposed(A: px.Matrix):
    return A - np.mean(A, axis=0, keepdims=True).T


def _axes_of_new_axes(x: px.Vector):
    return np.sum(x[None, :], axis=0) * len(x[None, :]) + np.sum(x[:, None], axis=1) + x[:, None].T[0]


def _whole_reductions(A: px.Matrix, x: px.Vector):
    return sum(A) + np.sum(A) + np.prod(A) + np.mean(A) + A.mean() + A.prod() + np.dot(A, x)[0]


def _first_and_last_rows(A: px.Matrix, x: px.Vector):
    return np.sum(A[0] * x) + np.sum(A[-1]**2)


def test_new_axes_transposed_reduced_and_measured_as_numpy():
    """Each an earlier silent wrong answer: .T of a kept dimension, reductions and len of a
    vector with a new axis, Python's sum of a matrix (its rows added: a vector)."""
    rng = np.random.default_rng(12)
    A, x = rng.normal(size=(3, 3)), rng.normal(size=3)
    np.testing.assert_allclose(px.jit(_keepdims_transposed)(A), _keepdims_transposed(A), rtol=1e-13)
    np.testing.assert_allclose(px.jit(_axes_of_new_axes)(x), _axes_of_new_axes(x), rtol=1e-13)
    B, v = rng.uniform(0.5, 1.5, (3, 4)), rng.normal(size=4)
    np.testing.assert_allclose(px.jit(_whole_reductions)(B, v), _whole_reductions(B, v), rtol=1e-13)


def test_a_matrix_argument_below_the_cases_minimum_is_written_out():
    """A (1, 3) matrix is below the two rows the gradient's cases (first row, last row)
    need: the formula written out at that shape takes the matrix's numbers, not its rows."""
    A, x = np.array([[1.0, 2.0, 3.0]]), np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(px.jit(_first_and_last_rows).grad("A")(A, x), [x + 2 * A[0]], rtol=1e-14)


def test_empty_outputs_and_clear_refusals():
    def shorter(x):
        return x[1:] * 2

    def outer_of_shorter(x: px.Vector, y: px.Vector):
        return np.outer(x[1:], y)

    def bordered_outer(x: px.Vector, y: px.Vector):
        return np.outer(y, np.concatenate(([0.0], x, [1.0])))

    def square(A: px.Matrix):
        return np.trace(A)

    def column_dot(x: px.Vector, y: px.Vector):
        return np.dot(x[:, None], y[None, :])
    assert px.jit(shorter)(np.zeros(0)).shape == (0,)
    assert px.jit(outer_of_shorter)(np.zeros(0), np.ones(4)).shape == (0, 4)
    with pytest.raises(ValueError, match="a dimension of n_x \\+ 2, which a numpy signature cannot name"):
        px.jit(bordered_outer).ufunc
    with pytest.raises(ValueError, match=r"argument 'A' must be square .* not of shape \(2, 3\)"):
        px.jit(square)(np.ones((2, 3)))
    with pytest.raises(PyExprError, match="@ of a vector with a new axis is not supported"):
        px.jit(column_dot)


def _central(f, step, *args):
    """The central difference of ``f`` at ``args`` along ``step`` (a tuple like them)."""
    plus = f(*(a + s for a, s in zip(args, step)))
    minus = f(*(a - s for a, s in zip(args, step)))
    return (plus - minus) / 2


@pytest.mark.parametrize("n", [1, 2, 7, 40])
def test_a_matrix_output_s_partials_by_its_scalars_are_matrices(n):
    K = px.jit(kernel)
    x, ell, sigma = np.linspace(-1.0, 2.0, n), 0.7, 1.3
    d = x[:, None] - x[None, :]
    by_ell = K.diff("ell")
    assert str(by_ell).startswith("dkernel_dell(x[n], ell, sigma)[j, l] =")
    np.testing.assert_allclose(by_ell(x, ell, sigma), sigma**2 * d**2 / ell**3 * np.exp(-0.5 * d**2 / ell**2),
                               rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(K.diff("sigma")(x, ell, sigma), 2 / sigma * K(x, ell, sigma), rtol=1e-14)
    h = 1e-5
    np.testing.assert_allclose(K.diff("ell", 2)(x, ell, sigma),
                               _central(lambda e: by_ell(x, e, sigma), (h,), ell) / h, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(K.diff("sigma", "ell")(x, ell, sigma), 2 / sigma * by_ell(x, ell, sigma), rtol=1e-14)


def test_a_matrix_output_s_product_with_its_jacobian_is_a_matrix():
    K, P = px.jit(kernel), px.jit(product_of)
    rng = np.random.default_rng(5)
    x, v = rng.normal(size=6), rng.normal(size=6)
    A, B, V = rng.normal(size=(3, 4)), rng.normal(size=(4, 2)), rng.normal(size=(3, 4))
    h = 1e-6
    np.testing.assert_allclose(K.jvp("x")(x, v, 0.7, 1.3),
                               _central(lambda y: K(y, 0.7, 1.3), (h * v,), x) / h, rtol=1e-7, atol=1e-8)
    jvp = P.jvp("A")
    assert jvp(A, V, B).shape == (3, 2) and str(jvp).startswith("jvp_product_of(A[m_A, n_A], v[m_A, n_A], B[n_A, n_B])")
    np.testing.assert_allclose(jvp(A, V, B), _central(lambda M: P(M, B), (h * V,), A) / h, rtol=1e-7, atol=1e-8)


def test_what_a_matrix_output_s_derivatives_are_not_yet_says_what_to_take():
    K = px.jit(kernel)
    with pytest.raises(NotImplementedError, match=r"diff\(\) by a scalar argument gives the matrix"):
        K.grad("ell")
    with pytest.raises(NotImplementedError, match=r"diff\(\) by a scalar argument gives the matrix"):
        K.jacobian(("ell", "sigma"))
    with pytest.raises(NotImplementedError, match=r"diff\(\) by 'x', a vector of any length.*jvp\('x'\)"):
        K.diff("x")
    with pytest.raises(ValueError, match="'zz' is not an argument"):
        K.diff("zz")


def _quartic(A: px.Matrix, lam=0.5):
    return np.sum(A**4) + lam * np.sum(A**2)


def test_jacobians_and_hessians_by_a_vector_or_matrix_of_matrix_formulas_are_dense_matrices():
    """By a matrix (or of a matrix output) the matrix is of the elements in row-major
    order: ``jacobian("x")`` of ``A @ x - b`` is A (scipy's least_squares takes it), by A
    it is ``kron(I, x)``, the Hessian of a sum over A's elements is diagonal."""
    from scipy.optimize import least_squares
    rng = np.random.default_rng(3)
    A, x, b = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=5)
    r = px.jit(linear_residuals)
    np.testing.assert_allclose(r.jacobian("x")(A, x, b), A, rtol=1e-15)
    np.testing.assert_allclose(r.jacobian("A")(A, x, b), np.kron(np.eye(5), x), rtol=1e-15)
    fit = least_squares(lambda v: r(A, v, b), np.zeros(3), jac=lambda v: r.jacobian("x")(A, v, b))
    np.testing.assert_allclose(fit.x, np.linalg.lstsq(A, b, rcond=None)[0], rtol=1e-8)
    q = px.jit(_quartic)
    np.testing.assert_allclose(q.hessian("A")(A), np.diag((12 * A**2 + 1.0).ravel()), rtol=1e-15)
    np.testing.assert_allclose(q.hessian("A")(A, lam=2.0), np.diag((12 * A**2 + 4.0).ravel()), rtol=1e-15)
    assert str(q.hessian("A")).startswith("hessian__quartic(A[m, n], lam) = a dense matrix; times a vector:")
