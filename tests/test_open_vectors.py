"""Vectors of any length: one formula and one compiled loop for every n, against scipy,
numpy and finite differences."""
import inspect
import pickle
import runpy
import textwrap

import numpy as np
import pytest
import sympy
from scipy.optimize import minimize, rosen, rosen_der, rosen_hess, rosen_hess_prod

import pyexpr as px
from pyexpr.cpu import host
from pyexpr.errors import PyExprError
from pyexpr.open_vectors import OpenFormula

import open_formulas
from open_formulas import (below_diagonal, cumulative_energy, dot_mean, even_energy, least_squares,
                           linear_residuals, nll, pair_energy, quadratic_form, residuals)


def rosen_slices(x):
    return np.sum(100.0 * (x[1:] - x[:-1]**2.0)**2.0 + (1 - x[:-1])**2.0)


def rosen_loop(x):
    total = 0.0
    for i in range(len(x) - 1):
        total += 100 * (x[i + 1] - x[i]**2)**2 + (1 - x[i])**2
    return total


def rosen_generator(x):
    return sum(100 * (x[i + 1] - x[i]**2)**2 + (1 - x[i])**2 for i in range(len(x) - 1))


WAYS = [px.jit(f) for f in (rosen_slices, rosen_loop, rosen_generator)]
SIZES = [2, 3, 9, 10, 17, 1000]
ISA = host.vector_target()
ISA_NAME = ISA.isa if ISA is not None else "no SIMD"


def _points(n, seed=0):
    return np.random.default_rng(seed + n).uniform(-2, 2, n)


def test_the_three_ways_are_one_formula():
    first = WAYS[0].outputs[0]
    for f in WAYS[1:]:
        assert sympy.simplify(f.outputs[0] - first) == 0
    assert str(WAYS[1]) == ("rosen_loop(x[n]) = Sum((1 - x[i])**2 + 100*(x[i + 1] - x[i]**2)**2, "
                            "(i, 0, n - 2))")


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("way", range(3))
def test_value_gradient_and_hessian_match_scipy(way, n):
    f, x, p = WAYS[way], _points(n), _points(n, 1)
    assert f(x) == pytest.approx(rosen(x), rel=1e-13), ISA_NAME
    np.testing.assert_allclose(f.grad()(x), rosen_der(x), rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(f.hessp()(x, p), rosen_hess_prod(x, p), rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(f.hessian()(x), rosen_hess(x), rtol=1e-12, atol=1e-10)


def test_a_banded_matrix_called_again_and_again_at_other_lengths():
    """Its band's layout is found once, its index tables per length: each call still
    agrees, dense and sparse, and a pickled one too."""
    H, S = WAYS[0].hessian(), WAYS[0].hessian(sparse=True)
    for n in (7, 12, 7, 3, 12):
        x = _points(n)
        np.testing.assert_allclose(H(x), rosen_hess(x), rtol=1e-12, atol=1e-10)
        np.testing.assert_allclose(S(x).toarray(), H(x), rtol=0, atol=0)
    again = pickle.loads(pickle.dumps(H))
    np.testing.assert_array_equal(again(_points(9)), H(_points(9)))
    J = px.jit(_differences).jacobian(wrt="x")                      # (n - 1) x n
    for n in (5, 8):
        x = _points(n)
        want = np.zeros((n - 1, n))
        want[np.arange(n - 1), np.arange(n - 1)] = -2 * x[:-1]
        want[np.arange(n - 1), np.arange(1, n)] = 1.0
        np.testing.assert_array_equal(J(x), want)


def _differences(x):
    return x[1:] - x[:-1]**2


def _pair_energy(x, y):
    return np.sum(x**2 * y**2)


def test_a_banded_matrix_of_vectors_sharing_a_length():
    H = px.jit(_pair_energy).hessian(wrt="x")
    x, y = _points(5), _points(5, 1)
    np.testing.assert_allclose(H(x, y), np.diag(2 * y**2), rtol=1e-15)
    assert H.offsets() == [0]


def test_a_million_elements_sparse_hessian_and_hessp():
    n = 10**6
    f, x, p = WAYS[0], _points(n), _points(n, 1)
    assert f(x) == pytest.approx(rosen(x), rel=1e-12)
    np.testing.assert_allclose(f.grad()(x), rosen_der(x), rtol=1e-12, atol=1e-9)
    H = f.hessian(sparse=True)(x)
    assert H.nnz == 3 * n - 2
    np.testing.assert_allclose(H @ p, rosen_hess_prod(x, p), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(f.hessp()(x, p), rosen_hess_prod(x, p), rtol=1e-12, atol=1e-9)


def test_one_program_for_every_length():
    f = px.jit(rosen_slices)
    g = f.grad()
    key = g.program.key()
    for n in (10, 10**6):
        g(_points(n))
    assert g.program.key() == key and len(g._kernels) == 1
    assert "Sum" not in str(g.program) and "stage" in str(g.program)


def test_golden_gradient_in_index_notation():
    assert str(WAYS[1].grad()) == "\n".join([
        "grad_rosen_loop(x[n])[j] =   (for n >= 2)",
        "  j = 0:  -400*(-x[0]**2 + x[1])*x[0] + 2*x[0] - 2",
        "  1 <= j <= n - 2:  -400*(x[j + 1] - x[j]**2)*x[j] - 200*x[j - 1]**2 + 202*x[j] - 2",
        "  j = n - 1:  200*x[n - 1] - 200*x[n - 2]**2"])
    latex = WAYS[1].grad().latex()
    assert r"\begin{cases}" in latex and r"1 \le j \le n - 2" in latex


def test_below_the_cases_minimum_the_formula_is_written_out():
    g = WAYS[0].grad()
    assert g(np.array([0.5])).tolist() == [0.0]          # rosen of one element is 0
    assert WAYS[0](np.array([0.5])) == 0.0
    assert WAYS[0](np.array([])) == 0.0


def test_minimize_takes_the_formulas_with_no_wrapper():
    f = WAYS[0]
    res = minimize(f, np.zeros(10), jac=f.grad(), hess=f.hessian(), method="trust-exact")
    np.testing.assert_allclose(res.x, 1.0, atol=1e-6)
    res = minimize(f, np.full(50, 0.5), jac=f.grad(), hessp=f.hessp(), method="trust-krylov")
    np.testing.assert_allclose(res.x, 1.0, atol=1e-5)


def test_likelihood_over_data_and_its_scalar_gradient():
    f = px.jit(nll)
    assert f.signature[2][0] == "data" and f.signature[0][1] is None
    data = np.random.default_rng(3).normal(1.5, 2.0, 10001)
    mu, sigma = 1.2, 1.7
    ref = np.sum(0.5 * ((data - mu) / sigma)**2 + np.log(sigma)) + 0.5 * data.size * np.log(2 * np.pi)
    assert f(mu, sigma, data) == pytest.approx(ref, rel=1e-12)
    g = f.grad(wrt=("mu", "sigma"))
    h = 1e-6
    fd = [(f(mu + h, sigma, data) - f(mu - h, sigma, data)) / (2 * h),
          (f(mu, sigma + h, data) - f(mu, sigma - h, data)) / (2 * h)]
    np.testing.assert_allclose(g(mu, sigma, data), fd, rtol=1e-6)


def running(x):
    t = 1.0
    for xi in x:
        t *= 1 + xi**2
    return t


def diffs(x):
    return x[1:] - x[:-1]**2


def test_reductions_and_elements_against_numpy():
    x, y = _points(101), _points(101, 5)
    f = px.jit(dot_mean)
    ref = x @ y + x @ x / x.size - y.mean() + x[0] * y[-1]
    assert f(x, y) == pytest.approx(ref, rel=1e-13)
    assert px.jit(running)(x[:30]) == pytest.approx(np.prod(1 + x[:30]**2), rel=1e-13)
    d = px.jit(diffs)
    assert str(d) == "diffs(x[n])[j] =\n  0 <= j <= n - 2:  x[j + 1] - x[j]**2"
    np.testing.assert_allclose(d(x), x[1:] - x[:-1]**2, rtol=0, atol=0)


@pytest.mark.parametrize("n", [1, 2, 7, 8, 9, 63, 64, 65, 1000])
def test_gradients_match_finite_differences(n):
    f = px.jit(dot_mean)
    x, y = _points(n), _points(n, 9)
    g = f.grad("x")(x, y)
    h = 1e-6
    fd = [(f(x + h * e, y) - f(x - h * e, y)) / (2 * h) for e in np.eye(n)]
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-6)


def test_sums_are_bit_identical_whatever_simd_is_used():
    """The summation order is fixed (8 accumulators, combined pairwise): every vector
    ISA and the scalar code give the same bits."""
    from pyexpr.cpu.loops import compile_loops
    f = WAYS[0]
    x = _points(12345)
    values = {compile_loops(f.program, simd=isa, cache=False).run(np.zeros(1), [x], out := np.empty(1))
              or out[0] for isa in ["none"] + host.host_isas()}
    assert len(values) == 1, (ISA_NAME, values)


@pytest.mark.parametrize("fn, make", [
    (rosen_slices, lambda n: [_points(n)]),
    (least_squares, lambda n: [_points(n), _points(n * 3, 1).reshape(3, n), _points(3, 2)]),
    (nll, lambda n: [0.25, 1.5, _points(n, 3)]),
])
@pytest.mark.parametrize("n", [1, 7, 5000])          # 5,000: the entry lets the GIL go
def test_the_loop_entry_gives_the_ctypes_call_s_bits(fn, make, n):
    """A loop program's builtin entry (tables read from numpy's struct in machine code)
    against its ctypes call: the same status, the same bits, vectors and matrices."""
    f = px.jit(fn)
    args = make(n)
    kernel = f.kernel()
    if kernel._entry is None:
        pytest.skip("numpy's array layout is not the one the entry reads")
    scalars = np.array([a for a in args if np.ndim(a) == 0] or [0.0])
    vectors = [a for a in args if np.ndim(a)] + f._data(np.dtype(np.float64))
    shape = max(len(f.outputs), 1) if f.index is None else n
    by_entry, by_ctypes = np.empty(shape), np.empty(shape)
    status = kernel.run(scalars, vectors, by_entry)
    entry, kernel._entry = kernel._entry, None
    try:
        assert kernel.run(scalars, vectors, by_ctypes) == status
    finally:
        kernel._entry = entry
    if status is None:
        assert by_entry.tobytes() == by_ctypes.tobytes()


def test_after_a_quick_call_the_quick_path_is_the_call():
    """The first call the quick path takes installs it as the formula's __call__; every
    other call still takes the general path, with its errors, and the formula pickles."""
    f = px.jit(rosen_slices)
    x = _points(9)
    first = f(x)
    assert type(f) is not OpenFormula and isinstance(f, OpenFormula)
    assert f(x) == first == f(x=x) == f(list(x)) == f(x, out=None)
    np.testing.assert_allclose(f(np.stack([x, x], axis=1)), [first, first], rtol=1e-15)
    with pytest.raises(TypeError, match="takes 1 argument"):
        f(x, x)
    with pytest.raises(TypeError, match="rosen_slices"):
        f("text")
    assert f(np.ones(1)) == 0.0                     # an empty sum, as numpy's
    assert pickle.loads(pickle.dumps(f))(x) == first


LONG_DATA = np.random.default_rng(12).normal(0.0, 1.0, 300_000)


def cauchy_nll(mu, s):
    return np.sum(np.log(1 + ((LONG_DATA - mu) / s) ** 2))


def test_the_quick_path_threads_calls_over_long_data(monkeypatch):
    """A call of numbers over 300,000 data points: the quick path leaves its one-thread
    entry to ``run`` (threads) as the general path does, where several CPUs are lent."""
    from pyexpr.cpu.loops import LoopKernel
    f = px.jit(cauchy_nll)
    want = float(np.sum(np.log1p(((LONG_DATA - 0.1) / 1.3) ** 2)))
    assert f(0.1, 1.3) == pytest.approx(want, rel=1e-12)
    if f._plan[3] <= 1:
        pytest.skip("one thread here: every call is the one-thread entry's")
    seen = []
    original = LoopKernel.run
    monkeypatch.setattr(LoopKernel, "run", lambda self, *a, **k: seen.append(a[3]) or original(self, *a, **k))
    assert f(0.1, 1.3) == pytest.approx(want, rel=1e-12) and seen and seen[0] > 1


def _tail_weighted(t, y):
    return np.sum(t * y[1:] ** 2) - y[0]


@pytest.mark.parametrize("make, reference", [
    (lambda: WAYS[0], lambda x, p: rosen(x)),
    (lambda: WAYS[0].grad(), lambda x, p: rosen_der(x)),
    (lambda: WAYS[0].hessp(), rosen_hess_prod),
    (lambda: px.jit(_tail_weighted), lambda x, p: 0.5 * np.sum(x[1:] ** 2) - x[0]),
], ids=["rosen", "grad", "hessp", "number and vector"])
def test_the_bound_quick_call_agrees_in_every_form(make, reference):
    """After a first quick call a formula's ``__call__`` is the quick path with its plan
    bound (``open_quick.head``); whatever it does not take goes the general way, with
    the same results and errors."""
    f = make()
    takes = [a for a, _ in f.signature]
    def call(x, p, **kwargs):
        return f(*(0.5 if a == "t" else x if a == "x" or a == "y" else p for a in takes), **kwargs)
    x, p = _points(12), _points(12, seed=1)
    first = call(x, p)
    assert "_fast_call_class" in type(f).__dict__
    from pyexpr.cpu.runtime import arraycall
    if arraycall.available():           # the loop module's own head (loopcall_ir.define_head)
        assert type(type(f).__call__).__name__ == "builtin_function_or_method"
    np.testing.assert_allclose(first, reference(x, p), rtol=1e-12, atol=1e-9)
    for n in (2, 3, 10, 1000):                       # lengths of the bound path itself
        x, p = _points(n), _points(n, seed=1)
        np.testing.assert_allclose(call(x, p), reference(x, p), rtol=1e-12, atol=1e-9)
    x, p = _points(12), _points(12, seed=1)
    want = np.asarray(reference(x, p))
    forms = {"float32": (x.astype(np.float32), p.astype(np.float32)),
             "strided": (np.repeat(x, 2)[::2], np.repeat(p, 2)[::2]),
             "big-endian": (x.astype(">f8"), p.astype(">f8")), "lists": (list(x), list(p))}
    for name, (a, b) in forms.items():               # (float32's values are those rounded)
        np.testing.assert_allclose(call(a, b), reference(np.asarray(a, float), np.asarray(b, float)),
                                   rtol=1e-12, atol=1e-9, err_msg=name)
    out = np.empty(want.shape)
    if want.shape:
        assert call(x, p, out=out) is out and np.allclose(out, want)
    with pytest.raises(TypeError, match=rf"{f.name}\(\): argument '[xyp]' must be a vector of numbers"):
        call(np.array(["a", "b"]), np.array(["a", "b"]))
    if "p" in takes:
        with pytest.raises(ValueError, match=rf"{f.name}\(\): 'x' and 'p' must have the same length"):
            call(np.ones(3), np.ones(2))


def _scaled(x, a):
    return np.sum((x - a) ** 2) + len(x)


def test_the_machine_head_declines_what_the_general_path_refuses():
    """Found by a review of the loop module's head: a 0-d array (no dims to read), a call
    of two million arguments (no stack sized by it), and the result's type (a numpy
    scalar of the dtype on every call, as the general path gives)."""
    f, g = px.jit(rosen_slices), px.jit(_scaled)
    x = _points(5)
    for _ in range(2):
        assert type(f(x)) is np.float64 and type(g(x, 2.0)) is np.float64
    with pytest.raises(ValueError, match="one-dimensional"):
        f(np.array(1.0))
    with pytest.raises(TypeError, match=r"_scaled\(\) takes 2"):
        g(*np.ones(2_000_000))
    f32 = px.jit(rosen_slices, dtype="float32")
    for _ in range(2):
        assert type(f32(x.astype(np.float32))) is np.float32


def test_float32():
    f = px.jit(rosen_slices, dtype="float32")
    x = _points(1000).astype(np.float32)
    assert f(x).dtype == np.float32
    assert f(x) == pytest.approx(rosen(x.astype(float)), rel=1e-5)


def test_bad_calls_name_the_formula_and_argument():
    f = px.jit(dot_mean)
    with pytest.raises(ValueError, match=r"dot_mean\(\): 'x' and 'y' must have the same length"):
        f(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="must be one-dimensional"):
        f(1.0, np.ones(3))
    # a second axis is a batch of vectors (numpy's generalized ufunc convention)
    np.testing.assert_array_equal(f(np.ones((3, 2)), np.ones(3)), [f(np.ones(3), np.ones(3))] * 2)
    with pytest.raises(ValueError, match=r"dot_mean\(\): argument '[xy]' of length 0 is too short: .* reads [xy]\[-?[01]\]"):
        f(np.ones(0), np.ones(0))
    with pytest.raises(TypeError, match=r"nll\(\): argument 'mu' is a number"):
        px.jit(nll)("1.0", 1.0, np.ones(3))
    with pytest.raises(TypeError, match=r"nll\(\): argument 'data' must be a vector of numbers"):
        px.jit(nll)(1.0, 1.0, ["a", "b"])
    with pytest.raises(TypeError, match=r"nll\(\): argument 'data' is a ragged list"):
        px.jit(nll)(1.0, 1.0, [[1.0, 2.0], [3.0]])


def _wraps(x):
    total = 0.0
    for i in range(len(x)):
        total += x[i - 1] * x[i]
    return total


def _recurrence(x):
    s = 0.0
    for v in x:
        s = s * s + v
    return s


@pytest.mark.parametrize("fn, message", [
    (_wraps, r"x\[i - 1\] reads x\[-1\] at i = 0, outside x"),
    (_recurrence, "changed in a loop over a vector of any length other than by accumulating"),
])
def test_what_is_refused_is_refused_at_its_line(fn, message):
    with pytest.raises(PyExprError, match=message) as info:
        px.jit(fn)
    assert "test_open_vectors.py, line" in str(info.value)


def test_pickle_keeps_the_formula():
    f = WAYS[0].grad()
    g = pickle.loads(pickle.dumps(f))
    assert isinstance(g, OpenFormula) and str(g) == str(f)
    x = _points(20)
    np.testing.assert_array_equal(g(x), f(x))


def test_fixed_lengths_written_out_agree():
    f = WAYS[0]
    n = sympy.Symbol("n", integer=True, nonnegative=True)
    fixed = f.at_lengths({n: 4})
    x = _points(4)
    assert fixed.signature == (("x", 4),)
    assert fixed(x) == pytest.approx(f(x), rel=1e-15)


def test_least_squares_takes_the_jacobian_with_no_wrapper():
    from scipy.optimize import least_squares
    f = px.jit(residuals)
    J = f.jacobian(wrt="p")
    assert f.signature == (("p", 3), ("t", sympy.Symbol("n_t", integer=True, nonnegative=True)),
                           ("y", sympy.Symbol("n_t", integer=True, nonnegative=True)))
    assert str(J).endswith("0 <= j <= n_t - 1:  (exp(-p_1*t[j]), -p_0*exp(-p_1*t[j])*t[j], 1)")
    t = np.linspace(0, 4, 60)
    y = 2.5 * np.exp(-1.3 * t) + 0.5
    p0 = np.array([1.0, 1.0, 1.0])
    h = 1e-6
    fd = np.array([(f(p0 + h * e, t, y) - f(p0 - h * e, t, y)) / (2 * h) for e in np.eye(3)]).T
    np.testing.assert_allclose(J(p0, t, y), fd, atol=1e-8)
    fit = least_squares(f, p0, jac=J, args=(t, y))
    np.testing.assert_allclose(fit.x, [2.5, 1.3, 0.5], atol=1e-8)
    with pytest.raises(ValueError, match=r"residuals\(\): argument 'p' is a vector of 3"):
        f(np.ones(2), t, y)


def test_vector_annotations_pin_the_kind():
    @px.jit
    def scaled(x: px.Vector, k):
        return k * x

    assert isinstance(scaled, OpenFormula)
    np.testing.assert_array_equal(scaled(np.arange(5.0), 2.0), 2.0 * np.arange(5.0))

    def wrong(p: px.Vector[2]):
        a, b, c = p
        return a + b + c
    with pytest.raises(PyExprError, match=r"annotated Vector\[2\] but the code fixes its length to 3"):
        px.jit(wrong)


def test_hessian_by_scalars_is_sums():
    f = px.jit(nll)
    H = f.hessian(wrt=("mu", "sigma"))
    data = np.random.default_rng(4).normal(0.0, 1.0, 500)
    mu, sigma = 0.1, 0.9
    n, z = data.size, (data - mu) / sigma
    expected = [[n / sigma**2, 2 * np.sum(z) / sigma**2],
                [2 * np.sum(z) / sigma**2, -n / sigma**2 + 3 * np.sum(z * z) / sigma**2]]
    np.testing.assert_allclose(H(mu, sigma, data), expected, rtol=1e-12)


@pytest.mark.parametrize("n", [(1 << 18) + 13, 3 * (1 << 18)])
def test_threads_give_the_same_bits(n):
    """Chunks of a long reduction are shared among threads and their partials added in
    chunk order: 1, 2 and 3 threads give identical sums, gradients and fused sums."""
    from pyexpr.cpu.loops import PARALLEL_INDICES
    assert n >= PARALLEL_INDICES
    x = _points(n)
    for f in (WAYS[0], WAYS[0].grad(), px.jit(dot_mean)):
        args = (x,) if f.signature[-1][0] == "x" else (x, x[::-1].copy())
        kernel = f.kernel()
        vectors = [np.ascontiguousarray(a) for a in args]
        size = n if f.index is not None else 1
        results = []
        for threads in (1, 2, 3):
            out = np.empty(size)
            assert kernel.run(np.zeros(1), vectors, out, threads) is None
            results.append(out)
        for other in results[1:]:
            np.testing.assert_array_equal(other, results[0], err_msg=ISA_NAME)


def test_reductions_over_one_range_share_a_loop():
    f = px.jit(nll)
    stages = f.grad(wrt=("mu", "sigma")).program.stages
    assert [s.kind for s in stages] == ["sum", "scalar"] and len(stages[0].body.outputs) == 2


def test_the_hessian_prints_as_its_diagonals():
    assert str(WAYS[1].hessian()) == "\n".join([
        "hessian_rosen_loop(x[n]): H[j, k] is 0 unless k - j is one of [-1, 0, 1]   (for n >= 2)",
        "  H[j, j - 1]:",
        "    1 <= j <= n - 1:  -400*x[j - 1]",
        "  H[j, j]:",
        "    j = 0:  1200*x[0]**2 - 400*x[1] + 2",
        "    1 <= j <= n - 2:  -400*x[j + 1] + 1200*x[j]**2 + 202",
        "    j = n - 1:  200",
        "  H[j, j + 1]:",
        "    0 <= j <= n - 2:  -400*x[j]"])


def test_a_dense_hessian_says_so_and_evaluates():
    @px.jit
    def squares(x):
        return np.sum(x)**2 + np.sum(x**4)

    H = squares.hessian()
    assert H.diagonals() is None and "a dense matrix" in str(H)
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(H(x), 2.0 + np.diag(12 * x**2))
    np.testing.assert_allclose(squares.hessian(sparse=True)(x).toarray(), 2.0 + np.diag(12 * x**2))


def heat(t, u):
    left = u[1] - 2 * u[0]
    inner = u[2:] - 2 * u[1:-1] + u[:-2]
    right = u[-2] - 2 * u[-1]
    return np.concatenate(([left], inner, [right])) * 0.5


def _heat_numpy(t, u):
    return np.concatenate(([u[1] - 2 * u[0]], u[2:] - 2 * u[1:-1] + u[:-2], [u[-2] - 2 * u[-1]])) * 0.5


def test_a_method_of_lines_rhs_with_its_sparse_jacobian_in_solve_ivp():
    from scipy.integrate import solve_ivp
    f = px.jit(heat)
    assert str(f).splitlines()[1:] == ["  j = 0:  -1.0*u[0] + 0.5*u[1]",
                                       "  1 <= j <= n - 2:  0.5*u[j + 1] + 0.5*u[j - 1] - 1.0*u[j]",
                                       "  j = n - 1:  -1.0*u[n - 1] + 0.5*u[n - 2]"]
    for n in (2, 3, 50):
        u = _points(n)
        np.testing.assert_allclose(f(0.0, u), _heat_numpy(0.0, u), rtol=1e-15)
    J = f.jacobian(wrt="u", sparse=True)
    assert "J[j, k] is 0 unless k - j is one of [-1, 0, 1]" in str(J)
    u0 = np.sin(np.linspace(0, np.pi, 200))
    assert J(0.0, u0).nnz == 3 * 200 - 2
    exact = (np.diag(np.full(200, -1.0)) + np.diag(np.full(199, 0.5), 1) + np.diag(np.full(199, 0.5), -1))
    np.testing.assert_array_equal(J(0.0, u0).toarray(), exact)
    ours = solve_ivp(f, (0, 50), u0, method="BDF", jac=J, rtol=1e-8)
    plain = solve_ivp(_heat_numpy, (0, 50), u0, method="BDF", jac=exact, rtol=1e-8)
    np.testing.assert_allclose(ours.y[:, -1], plain.y[:, -1], rtol=1e-10)


def total_variation(u):
    return np.sum(np.concatenate(([u[0]], u[1:] - u[:-1]))**2)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 100_001])
def test_sums_with_cases_in_their_index(n):
    f = px.jit(total_variation)
    u = _points(n)
    if n == 0:
        with pytest.raises(ValueError, match="too short"):
            f(u)
        return
    assert f(u) == pytest.approx(np.sum(np.concatenate(([u[0]], u[1:] - u[:-1]))**2), rel=1e-12)
    h = 1e-6
    if n <= 10:
        fd = [(f(u + h * e) - f(u - h * e)) / (2 * h) for e in np.eye(n)]
        np.testing.assert_allclose(f.grad()(u), fd, rtol=1e-6, atol=1e-6)


def gaussian_kernel_sum(x, w):
    return sum(sum(np.exp(-w * (x[i] - x[k])**2) for k in range(len(x))) for i in range(len(x)))


def _pairs(x, fn, triangle=False):
    d = x[:, None] - x[None, :]
    values = fn(d)
    return np.sum(np.tril(values, -1) if triangle else values)


@pytest.mark.parametrize("n", [0, 1, 2, 9, 300, 3000])
def test_double_sums_are_nested_loops(n):
    x = _points(n)
    f, g, t = px.jit(pair_energy), px.jit(gaussian_kernel_sum), px.jit(below_diagonal)
    assert "(k, 0, n - 1), (i, 0, n - 1)" in str(f) and "(k, 0, i - 1), (i, 0, n - 1)" in str(t)
    assert f(x) == pytest.approx(_pairs(x, lambda d: 1 / (1 + d * d)), rel=1e-12, abs=1e-12)
    assert g(x, 0.3) == pytest.approx(_pairs(x, lambda d: np.exp(-0.3 * d * d)), rel=1e-12, abs=1e-12)
    assert t(x) == pytest.approx(_pairs(x, lambda d: d * d, triangle=True), rel=1e-12, abs=1e-12)
    assert len(f.program.stages[0].inner) == 1


@pytest.mark.parametrize("n", [1, 2, 7, 40])
def test_gradients_of_double_sums(n):
    x, h = _points(n), 1e-6
    for f, args in ((px.jit(pair_energy), ()), (px.jit(gaussian_kernel_sum), (0.3,))):
        grad = f.grad("x")
        assert str(grad).count("Sum(") == 2
        fd = [(f(x + h * e, *args) - f(x - h * e, *args)) / (2 * h) for e in np.eye(n)]
        np.testing.assert_allclose(grad(x, *args), fd, rtol=1e-6, atol=1e-6 * n)
    t = px.jit(below_diagonal)
    assert str(t.grad()).endswith(
        "Sum(-2*x[i] + 2*x[j], (i, j + 1, n - 1)) + Sum(2*x[j] - 2*x[k], (k, 0, j - 1))")
    fd = [(t(x + h * e) - t(x - h * e)) / (2 * h) for e in np.eye(n)]
    np.testing.assert_allclose(t.grad()(x), fd, rtol=1e-6, atol=1e-6 * n)


def upper_pairs(x):
    total = 0.0
    for i in range(len(x)):
        for k in range(i + 1, len(x)):
            total += np.exp(-(x[i] - x[k])**2) * x[k]
    return total


@pytest.mark.parametrize("n", [1, 2, 3, 30])
def test_triangles_from_either_side(n):
    f = px.jit(upper_pairs)
    assert "(k, i + 1, n - 1), (i, 0, n - 1)" in str(f)
    x, h = _points(n), 1e-6
    d = x[:, None] - x[None, :]
    assert f(x) == pytest.approx(np.sum(np.triu(np.exp(-d * d) * x[None, :], 1)), rel=1e-12, abs=1e-15)
    fd = [(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(n)]
    np.testing.assert_allclose(f.grad()(x), fd, rtol=1e-6, atol=1e-6 * n)


def test_double_sum_by_a_scalar():
    f = px.jit(gaussian_kernel_sum)
    x, w, h = _points(30), 0.3, 1e-6
    assert f.grad("w")(x, w)[0] == pytest.approx((f(x, w + h) - f(x, w - h)) / (2 * h), rel=1e-6)


def by_loops(A, x):
    total = 0.0
    for i in range(len(x)):
        for k in range(len(x)):
            total += A[i, k] * x[i] * x[k]
    return total


@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (5, 5), (33, 33), (7, 4), (300, 5)])
def test_matrix_arguments(shape):
    rng = np.random.default_rng(sum(shape))
    A, x, b = rng.normal(size=shape), rng.normal(size=shape[1]), rng.normal(size=shape[0])
    r = px.jit(linear_residuals)
    assert str(r).startswith("linear_residuals(A[m_A, n_A], x[n_A], b[m_A])[j] =")
    np.testing.assert_allclose(r(A, x, b), A @ x - b, rtol=1e-12, atol=1e-12)
    J = r.jacobian(wrt="x")
    np.testing.assert_allclose(J(A, x, b), A, rtol=0, atol=0)
    if shape[0] == shape[1]:
        q, loops = px.jit(quadratic_form), px.jit(by_loops)
        assert q(x, A) == pytest.approx(x @ A @ x, rel=1e-12, abs=1e-12)
        assert loops(A, x) == pytest.approx(x @ A @ x, rel=1e-12, abs=1e-12)
        g = q.grad("x")
        assert str(g).endswith("Sum(A[i, j]*x[i], (i, 0, n_x - 1)) + Sum(A[j, k]*x[k], (k, 0, n_x - 1))")
        np.testing.assert_allclose(g(x, A), (A + A.T) @ x, rtol=1e-12, atol=1e-12)


def test_matrix_shapes_are_checked():
    r = px.jit(linear_residuals)
    with pytest.raises(ValueError, match=r"'A' and 'x' must agree in n_A, not 4 and 5"):
        r(np.ones((3, 4)), np.ones(5), np.ones(3))
    with pytest.raises(ValueError, match="must be two-dimensional"):
        r(np.ones(4), np.ones(4), np.ones(3))
    with pytest.raises(ValueError, match=r"argument 'A' of shape 2x2 is too short"):
        px.jit(by_loops)(np.ones((2, 2)), np.ones(3))


def test_extra_trailing_axes_broadcast():
    """solve_ivp's vectorized=True passes y of shape (n, k); numbers given as arrays
    broadcast with those axes too."""
    from scipy.integrate import solve_ivp
    f = px.jit(heat)
    u0 = np.sin(np.linspace(0, np.pi, 40))
    stacked = np.stack([u0, 2 * u0, -u0], axis=1)
    np.testing.assert_array_equal(f(0.0, stacked)[:, 1], f(0.0, 2 * u0))
    assert f(0.0, stacked).shape == (40, 3)
    ours = solve_ivp(f, (0, 5), u0, method="BDF", vectorized=True, rtol=1e-8)
    plain = solve_ivp(_heat_numpy, (0, 5), u0, method="BDF", vectorized=True, rtol=1e-8)
    np.testing.assert_allclose(ours.y[:, -1], plain.y[:, -1], rtol=1e-9)
    with pytest.raises(ValueError, match="do not broadcast"):
        px.jit(dot_mean)(np.ones((5, 2)), np.ones((5, 3)))
    # a number beside vectors: an array there is refused, not given another meaning
    with pytest.raises(TypeError, match=r"argument 'mu' is a number in this formula .* pyexpr.Vector"):
        px.jit(nll)(np.array([0.1, 0.2]), 1.5, _points(200))


DATA = np.random.default_rng(11).normal(2.0, 1.5, 5000)
TIMES = np.linspace(0.0, 4.0, 40)
COUNTS = 2.5 * np.exp(-1.3 * TIMES) + 0.5
SMALL = np.array([1.0, 2.0, 3.0])


def data_nll(mu, sigma):
    return np.sum(0.5 * ((DATA - mu) / sigma)**2 + np.log(sigma))


BIG_DATA = np.concatenate([DATA, DATA, DATA])


def data_big(mu, sigma):
    return np.sum(0.5 * ((BIG_DATA - mu) / sigma)**2 + np.log(sigma))


def data_sse(a, b, c):
    return np.sum((a * np.exp(-b * TIMES) + c - COUNTS)**2)


def small_tuple(x):
    return sum(c * x**k for k, c in enumerate(SMALL))


def test_module_level_arrays_are_data():
    f = px.jit(data_nll)
    assert isinstance(f, OpenFormula) and "DATA[i]" in str(f) and "(i, 0, 4999)" in str(f)
    ref = np.sum(0.5 * ((DATA - 1.9) / 1.4)**2 + np.log(1.4))
    assert f(1.9, 1.4) == pytest.approx(ref, rel=1e-13)
    h = 1e-6
    fd = [(f(1.9 + h, 1.4) - f(1.9 - h, 1.4)) / (2 * h), (f(1.9, 1.4 + h) - f(1.9, 1.4 - h)) / (2 * h)]
    np.testing.assert_allclose(f.grad()(1.9, 1.4), fd, rtol=1e-6)
    g = pickle.loads(pickle.dumps(f))
    assert g(1.9, 1.4) == f(1.9, 1.4)
    s = px.jit(data_sse)
    assert s(2.5, 1.3, 0.5) == pytest.approx(0.0, abs=1e-25)
    fit = minimize(lambda v: s(*v), [1.0, 1.0, 1.0], jac=lambda v: s.grad()(*v), method="BFGS", tol=1e-12)
    np.testing.assert_allclose(fit.x, [2.5, 1.3, 0.5], atol=1e-5)
    # a handful of numbers stays a tuple, written out
    t = px.jit(small_tuple)
    assert not isinstance(t, OpenFormula) and str(t).startswith("small_tuple(x) = ")


def test_threads_give_the_same_bits_for_double_sums():
    from pyexpr.cpu.loops import PARALLEL_NESTED
    x = _points(PARALLEL_NESTED + 77)
    for f in (px.jit(pair_energy), px.jit(pair_energy).grad()):
        size = x.size if f.index is not None else 1
        results = []
        for threads in (1, 2, 3):
            out = np.empty(size)
            assert f.kernel().run(np.zeros(1), [x], out, threads) is None
            results.append(out)
        for other in results[1:]:
            np.testing.assert_array_equal(other, results[0])


def test_python_source_runs_on_lists_and_arrays():
    rng = np.random.default_rng(8)
    x, y = rng.uniform(-1, 1, 9), rng.uniform(-1, 1, 9)
    A, b = rng.normal(size=(9, 9)), rng.normal(size=9)
    cases = [(WAYS[0], (x,)), (WAYS[0].grad(), (x,)), (WAYS[0].hessp(), (x, y)),
             (px.jit(nll).grad(wrt=("mu", "sigma")), (0.3, 1.2, x)), (px.jit(pair_energy).grad(), (x,)),
             (px.jit(quadratic_form).grad("x"), (x, A)), (px.jit(linear_residuals), (A, x, b)),
             (px.jit(residuals).jacobian(wrt="p"), (np.array([1.0, 0.5, 0.2]), x, y)),
             (px.jit(below_diagonal), (x,)), (px.jit(heat), (0.0, x))]
    for f, args in cases:
        namespace = {}
        exec(f.python_source, namespace)
        plain = namespace[f.name]
        np.testing.assert_allclose(np.asarray(plain(*args), dtype=float), np.asarray(f(*args)),
                                   rtol=1e-12, atol=1e-12, err_msg=f.python_source)
        lists = [a.tolist() if isinstance(a, np.ndarray) else a for a in args]
        np.testing.assert_allclose(np.asarray(plain(*lists), dtype=float), np.asarray(f(*args)),
                                   rtol=1e-12, atol=1e-12)
    source = WAYS[0].grad().python_source
    assert "def grad_rosen_slices(x):\n    n = len(x)\n    if n < 2:\n        raise ValueError(" in source
    assert "\n    return [(" in source
    namespace = {}
    exec(source, namespace)
    with pytest.raises(ValueError, match="holds for n >= 2"):    # below its cases: refused, not wrong
        namespace["grad_rosen_slices"]([0.5])
    with pytest.raises(NotImplementedError, match=r"data_big reads data \(BIG_DATA\) of more than 10,000 numbers"):
        px.jit(data_big).python_source
    # data up to that size is written into the def as lists, read back bit for bit
    f = px.jit(data_nll)
    namespace = {}
    exec(f.python_source, namespace)
    assert "    DATA = [" in f.python_source
    assert namespace["data_nll"](1.5, 2.0) == pytest.approx(f(1.5, 2.0), rel=1e-12)


def _largest(x):
    return max(x)


def test_reducing_a_vector_with_max_is_its_largest_element_not_misread():
    f = px.jit(_largest)
    x = _points(1001)
    assert str(f) == "_largest(x[n]) = Maximum(x[i], (i, 0, n - 1))" and f(x) == np.max(x)


@pytest.mark.parametrize("options", [{"simplify": False}, {"simplify": "full"}, {"stable": False},
                                     {"fastmath": True}, {"parallel": False}])
def test_options_of_vector_formulas(options):
    f = px.jit(rosen_slices, **options)
    x = _points(1001)
    assert f(x) == pytest.approx(rosen(x), rel=1e-12)
    np.testing.assert_allclose(f.grad()(x), rosen_der(x), rtol=1e-11, atol=1e-9)


def test_the_command_line_shows_vector_formulas(tmp_path):
    import subprocess
    import sys
    (tmp_path / "model.py").write_text("import numpy as np\n\n\ndef rosen(x):\n"
                                       "    return np.sum(100.0*(x[1:] - x[:-1]**2.0)**2.0 + (1 - x[:-1])**2.0)\n")
    def show(*flags):
        return subprocess.run([sys.executable, "-m", "pyexpr", "show", "model.py:rosen", *flags],
                              cwd=tmp_path, capture_output=True, text=True)
    out = show("--grad", "--hessian", "--latex", "--python")
    assert out.returncode == 0, out.stderr
    assert "grad_rosen(x[n])[j] =" in out.stdout and "H[j, j - 1]:" in out.stdout
    assert r"\begin{cases}" in out.stdout and "def rosen(x):" in out.stdout
    bad = show("--diff", "x")
    assert bad.returncode != 0 and "take grad('x')" in bad.stderr and "Traceback" not in bad.stderr
    assert show("--jacobian").returncode == 0


def test_simplify_and_call_args():
    f = WAYS[0]
    x = _points(50)
    assert f.simplify()(x) == pytest.approx(f(x), rel=1e-12)
    assert f.call_args(x) == f(x)
    with pytest.raises(NotImplementedError, match="no scalar C function"):
        f.ctypes


def test_generalized_ufuncs_of_vector_formulas():
    rng = np.random.default_rng(12)
    f = WAYS[0]
    assert f.ufunc.signature == "(n)->()" and f.grad().ufunc.signature == "(n)->(n)"
    X = rng.uniform(-2, 2, (6, 11))
    for data in (X, np.asfortranarray(X), X[:, ::2], X.astype(np.float32)):
        rtol = 1e-5 if data.dtype == np.float32 else 1e-13
        np.testing.assert_allclose(f.ufunc(data), [rosen(x) for x in data.astype(float)], rtol=rtol)
        np.testing.assert_allclose(f.grad().ufunc(data), [rosen_der(x) for x in data.astype(float)],
                                   rtol=rtol, atol=rtol)
    assert f.ufunc(X.astype(np.float32)).dtype == np.float32
    out = np.empty(6)
    f.ufunc(X, out=out)
    np.testing.assert_array_equal(out, f.ufunc(X))
    # below the cases' minimum: nan and numpy's invalid-value warning, never a silent number
    with pytest.warns(RuntimeWarning, match="invalid value encountered in grad_rosen_slices"):
        assert np.isnan(f.grad().ufunc(np.ones((2, 1)))).all()
    g = px.jit(nll)
    assert g.ufunc.signature == "(),(),(n)->()"
    mus, datas = np.array([0.1, 0.2, 0.3]), rng.uniform(0, 1, (3, 40))
    np.testing.assert_allclose(g.ufunc(mus, 1.5, datas), [g(m, 1.5, d) for m, d in zip(mus, datas)], rtol=1e-14)
    r = px.jit(linear_residuals)
    assert r.ufunc.signature == "(m_A,n_A),(n_A),(m_A)->(m_A)"
    A, x, b = rng.normal(size=(4, 3, 5)), rng.normal(size=(4, 5)), rng.normal(size=(4, 3))
    np.testing.assert_allclose(r.ufunc(A, x, b), np.einsum("kij,kj->ki", A, x) - b, rtol=1e-12, atol=1e-14)
    J = px.jit(residuals).jacobian(wrt="p")
    assert J.ufunc.signature == "(3),(n_t),(n_t)->(n_t,3)"
    t, y = np.linspace(0, 1, 7), np.zeros(7)
    np.testing.assert_allclose(J.ufunc(np.array([1.0, 0.5, 0.2]), t, y), J(np.array([1.0, 0.5, 0.2]), t, y))
    d = px.jit(data_nll)
    assert d.ufunc.signature in (None, "(),()->()")     # numpy drops a signature of no core
    np.testing.assert_allclose(d.ufunc([1.9, 2.1], 1.4), [d(1.9, 1.4), d(2.1, 1.4)], rtol=1e-14)
    with pytest.raises(ValueError, match="its output has a dimension of n - 1"):
        px.jit(diffs).ufunc


def test_dask_and_xarray_arguments():
    da = pytest.importorskip("dask.array")
    xr = pytest.importorskip("xarray")
    f = WAYS[0]
    X = _points(100 * 8).reshape(100, 8)              # 8 vectors of 100: the vector axis first
    lazy = f(da.from_array(X, chunks=(30, 2)))
    assert type(lazy).__name__ == "Array" and lazy.shape == (8,)
    np.testing.assert_array_equal(lazy.compute(), f(X))
    np.testing.assert_array_equal(f.grad()(da.from_array(X, chunks=(30, 2))).compute(), f.grad()(X))
    g = px.jit(nll)
    data = xr.DataArray(_points(150).reshape(50, 3), dims=("time", "run"))
    mu = xr.DataArray([0.1, 0.2, 0.3], dims=("run",))
    result = g(mu, 1.5, data)
    assert result.dims == ("run",)
    np.testing.assert_allclose(result.values, [g(m, 1.5, data.values[:, k]) for k, m in enumerate(mu.values)],
                               rtol=1e-15)
    gradient = f.grad()(xr.DataArray(X, dims=("x", "case")))
    np.testing.assert_array_equal(gradient.transpose("x", "case").values, f.grad()(X))


def _fused_apart(x: px.Vector, A: px.Matrix):
    return np.sum(A @ x) + np.dot(A[:, 1] + x, A[:, 1] + x)


def test_sums_fused_into_one_loop_keep_their_indices_apart():
    """A double sum whose inner index has the name of another sum's index, over one range:
    the fused loop's index is its own (a capture once read A[i, i])."""
    rng = np.random.default_rng(2)
    x, A = rng.uniform(-1, 1, 5), rng.uniform(-1, 1, (5, 5))
    assert px.jit(_fused_apart)(x, A) == pytest.approx(_fused_apart(x, A), rel=1e-13)


@pytest.mark.parametrize("shape", [(5, 3), (40, 7), (300, 50)])
def test_least_squares_gradient_uses_a_temporary_vector(shape):
    rng = np.random.default_rng(shape[0])
    A, x, b = rng.normal(size=shape), rng.normal(size=shape[1]), rng.normal(size=shape[0])
    f = px.jit(least_squares)
    g = f.grad("x")
    assert str(g).endswith("Sum((-2*b[k] + 2*Sum(A[k, i]*x[i], (i, 0, n_x - 1)))*A[k, j], (k, 0, m_A - 1))")
    assert len(g.program.temps) == 1
    np.testing.assert_allclose(g(x, A, b), 2 * A.T @ (A @ x - b), rtol=1e-11, atol=1e-11)
    out = np.empty(shape[1])
    for threads in (1, 2):
        assert g.kernel().run(np.zeros(1), [x, A, b], out, threads) is None
        np.testing.assert_allclose(out, 2 * A.T @ (A @ x - b), rtol=1e-11, atol=1e-11)


def _smoothness(x):
    return np.sum(np.diff(x)**2) + np.linalg.norm(x - 1.0) + np.var(x) - np.std(x)


def _of_three(a, b, c):
    return np.linalg.norm((a, b, c)) + np.var((a, b, c)) + np.sum(np.diff((a, b, c)))


def test_numpy_reductions_diff_norm_var_std():
    f = px.jit(_smoothness)
    x, h = _points(60), 1e-6
    assert f(x) == pytest.approx(_smoothness(x), rel=1e-12)
    fd = [(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(60)]
    np.testing.assert_allclose(f.grad()(x), fd, rtol=1e-5, atol=1e-6)
    t = px.jit(_of_three)
    assert not isinstance(t, OpenFormula)
    assert t(1.0, 2.0, 2.5) == pytest.approx(_of_three(1.0, 2.0, 2.5), rel=1e-14)


FEATURES = np.random.default_rng(21).normal(size=(200, 5))
LABELS = np.where(np.random.default_rng(22).random(200) < 0.5, -1.0, 1.0)
EVENTS = np.random.default_rng(23).poisson(3.0, 200).astype(float)


def logistic_loss(w):
    return np.sum(np.log1p(np.exp(-LABELS * (FEATURES @ w))))


def poisson_loss(b):
    return np.sum(np.exp(FEATURES @ b) - EVENTS * (FEATURES @ b))


def ridge_loss(w, lam):
    return np.sum((FEATURES @ w - EVENTS)**2) + lam * np.dot(w, w)


def mahalanobis(x, mu: px.Vector, P: px.Matrix):
    return (x - mu) @ P @ (x - mu)


@pytest.mark.parametrize("fn, extra", [(logistic_loss, ()), (poisson_loss, ()), (ridge_loss, (0.3,))])
def test_regression_losses_over_data(fn, extra):
    """Models as scientists write them against a data matrix: the parameter vector's
    length is the data's column count, checked at the call."""
    f = px.jit(fn)
    w, h = 0.1 * np.random.default_rng(5).normal(size=5), 1e-6
    assert f(w, *extra) == pytest.approx(fn(w, *extra), rel=1e-13)
    fd = [(fn(w + h * e, *extra) - fn(w - h * e, *extra)) / (2 * h) for e in np.eye(5)]
    np.testing.assert_allclose(f.grad(f.signature[0][0])(w, *extra), fd, rtol=1e-6, atol=1e-6)
    fit = minimize(f, np.zeros(5), args=extra, jac=lambda v, *a: f.grad(f.signature[0][0])(v, *a),
                   method="BFGS")
    assert fit.success
    with pytest.raises(ValueError, match=r"must have length 5 \(the code combines it with data"):
        f(np.zeros(6), *extra)


def test_mahalanobis_distance():
    rng = np.random.default_rng(6)
    x, mu, P = rng.normal(size=4), rng.normal(size=4), rng.normal(size=(4, 4))
    f = px.jit(mahalanobis)
    assert f(x, mu, P) == pytest.approx((x - mu) @ P @ (x - mu), rel=1e-13)
    np.testing.assert_allclose(f.grad("x")(x, mu, P), (P + P.T) @ (x - mu), rtol=1e-12)


def _methods(x, y):
    return (x**2).sum() + x.mean() * x.size + x.dot(y) + x.var() + y.std() + np.sum(x[1:]) / x.shape[0]


def _matrix_methods(x, A: px.Matrix):
    return A.sum() + A.T.dot(x).sum()


def test_numpy_array_methods():
    rng = np.random.default_rng(9)
    x, y, A = rng.normal(size=12), rng.normal(size=12), rng.normal(size=(12, 12))
    assert px.jit(_methods)(x, y) == pytest.approx(_methods(x, y), rel=1e-13)
    assert px.jit(_matrix_methods)(x, A) == pytest.approx(_matrix_methods(x, A), rel=1e-13)
    def along(x):
        return x.sum(axis=0) + x.mean(0)
    assert px.jit(along)(x) == pytest.approx(along(x), rel=1e-13)

    def bad(x):
        return x.sum(keepdims=True)
    with pytest.raises(PyExprError, match=r"\.sum\(\) takes no arguments in a formula \(only axis="):
        px.jit(bad)


def entropy(p):
    return -np.sum(p * np.log(p))


def dense_layer(x, W: px.Matrix, b: px.Vector, v: px.Vector):
    return v @ np.tanh(W @ x + b)


def softmax(x):
    return np.exp(x) / np.sum(np.exp(x))


def huber(r):
    return np.sum(np.where(np.abs(r) < 1.0, 0.5 * r**2, np.abs(r) - 0.5))


@pytest.mark.parametrize("fn, shapes", [(entropy, [10]), (dense_layer, [4, (6, 4), 6, 6]), (softmax, [7]),
                                        (huber, [20])])
def test_models_as_written_with_numpy(fn, shapes):
    """A value compared with data (np.where(abs(r) < 1, ...)) is no case of the index."""
    rng = np.random.default_rng(31)
    args = [rng.uniform(0.1, 2.0, s) if fn is entropy else 2 * rng.normal(size=s) for s in shapes]
    f = px.jit(fn)
    np.testing.assert_allclose(f(*args), fn(*args), rtol=1e-13, atol=1e-15)
    x0, h = args[0], 1e-6
    numeric = np.array([(fn(x0 + h * e, *args[1:]) - fn(x0 - h * e, *args[1:])) / (2 * h)
                        for e in np.eye(x0.size)])
    name = f.signature[0][0]
    exact = f.grad(name)(*args) if f.index is None else f.jacobian(wrt=name)(*args).T
    np.testing.assert_allclose(exact, numeric, rtol=1e-6, atol=1e-7)


def positive_part(x):
    total = 0.0
    for i in range(len(x)):
        if x[i] > 0:
            total += x[i]
    return total


def weighted_by_position(x):
    return np.sum(x * np.arange(len(x)))


def test_an_if_inside_an_accumulating_loop():
    x = _points(30)
    f = px.jit(positive_part)
    assert f(x) == pytest.approx(np.sum(np.maximum(x, 0)), rel=1e-13)
    np.testing.assert_array_equal(f.grad()(x), (x > 0).astype(float))
    assert px.jit(weighted_by_position)(x) == pytest.approx(np.sum(x * np.arange(30)), rel=1e-13)


def running_total(x):
    return np.cumsum(x)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 100, 40_000])
def test_cumsum_is_a_running_sum(n):
    x = _points(n)
    f, g = px.jit(running_total), px.jit(cumulative_energy)
    assert str(f).endswith("0 <= j <= n - 1:  Sum(x[i], (i, 0, j))")
    np.testing.assert_allclose(f(x), np.cumsum(x), rtol=1e-12, atol=1e-12)
    assert g(x) == pytest.approx(cumulative_energy(x), rel=1e-12, abs=1e-12)
    grad = g.grad()
    assert str(grad).endswith("2*Sum(x[i], (i, 0, k), (k, j, n - 1))")
    # the gradient: a suffix sum of the running sums, 2 * cumsum(cumsum(x)[::-1])[::-1]
    np.testing.assert_allclose(grad(x), 2 * np.cumsum(np.cumsum(x)[::-1])[::-1], rtol=1e-11, atol=1e-11)


def every_third(x, y):
    return x[1::3] @ y[1::3]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 8, 1001])
def test_slices_with_a_step(n):
    x, y, h = _points(n), _points(n, 3), 1e-6
    f, g = px.jit(even_energy), px.jit(every_third)
    assert "Eq(Mod(i, 2), 0)" in str(f)
    assert f(x) == pytest.approx(even_energy(x), rel=1e-12, abs=1e-15)
    assert g(x, y) == pytest.approx(every_third(x, y), rel=1e-12, abs=1e-15)
    if 0 < n <= 8:
        fd = [(even_energy(x + h * e) - even_energy(x - h * e)) / (2 * h) for e in np.eye(n)]
        np.testing.assert_allclose(f.grad()(x), fd, rtol=1e-6, atol=1e-8)
        fd = [(every_third(x + h * e, y) - every_third(x - h * e, y)) / (2 * h) for e in np.eye(n)]
        np.testing.assert_allclose(g.grad("x")(x, y), fd, rtol=1e-6, atol=1e-8)


def _loop_over_a_step(x):
    t = 0.0
    for xi in x[::2]:
        t += xi**2
    return t + sum(v**3 for v in x[1::2])


def test_loops_and_generators_over_a_stepped_slice():
    for n in (0, 1, 5, 6, 101):
        x = _points(n)
        assert px.jit(_loop_over_a_step)(x) == pytest.approx(_loop_over_a_step(x), rel=1e-12, abs=1e-15)


def test_a_cuda_vector_formula_reaches_its_kernel():
    """The quick path's call fits the GPU loop kernel too (no device here: it says so)."""
    from pyexpr.gpu import runtime
    f = px.jit(rosen_slices, target="cuda")
    try:
        value = f(_points(5))
    except runtime.GPUUnavailableError:
        return
    assert value == pytest.approx(rosen(_points(5)), rel=1e-12)


def test_a_hessian_and_jacobian_of_a_formula_with_defaults_take_them_and_keywords(tmp_path):
    def scaled(x, y=2.0):
        return x * np.sum(x) / y

    def energy(x, k=3.0):
        return k * np.sum(x[1:] ** 2 * x[:-1])
    path = tmp_path / "defaults.py"
    path.write_text("import numpy as np\n\n" + "".join(textwrap.dedent(inspect.getsource(f)) + "\n" for f in (scaled, energy)))
    module = runpy.run_path(str(path))
    f, g = px.jit(module["scaled"]), px.jit(module["energy"])
    x = np.array([1.0, 2.0, 4.0])
    J = f.jacobian("x")
    want = (np.diag(np.full(3, x.sum())) + np.outer(x, np.ones(3))) / 2.0
    np.testing.assert_allclose(J(x), want, rtol=1e-15)
    np.testing.assert_allclose(J(x, y=4.0), want / 2, rtol=1e-15)
    np.testing.assert_allclose(J(x=x, y=4.0), want / 2, rtol=1e-15)
    H = g.hessian("x")
    np.testing.assert_allclose(H(x, 1.5), H(x) / 2, rtol=1e-15)
    np.testing.assert_allclose(H(x, k=1.5), H(x) / 2, rtol=1e-15)
    with pytest.raises(TypeError, match=r"jacobian_scaled\(\) missing 1 required argument"):
        J()
    with pytest.raises(TypeError, match=r"hessian_energy\(\) takes 2 argument\(s\) \(x, k\) but 3 were given"):
        H(x, 1.5, 2.0)


def test_diff_by_a_scalar_argument_keeps_the_output_s_shape():
    f, r = px.jit(nll), px.jit(residuals)
    data = np.linspace(0.5, 3.0, 9)
    assert f.diff("mu")(1.2, 0.8, data) == pytest.approx(f.grad(("mu", "sigma"))(1.2, 0.8, data)[0], rel=1e-15)
    assert f.diff("sigma", 2).out_shape == () and "Sum(" in str(f.diff("sigma", 2))
    t = np.linspace(0.0, 1.0, 5)
    d = r.diff("p_1")                         # a fixed-length vector's component
    assert d.out_shape == r.out_shape and str(d).startswith("dresiduals_dp_1(p[3], t[n_t], y[n_t])[j] =")
    np.testing.assert_allclose(d([1.0, 0.5, 0.1], t, np.cos(t)), -t * np.exp(-0.5 * t), rtol=1e-15)
    with pytest.raises(ValueError, match="'p' is a vector of 3"):
        r.diff("p")


def test_a_product_s_direction_follows_its_vector_as_scipy_passes_it(tmp_path):
    """scipy calls ``hessp(x, p, *args)``: the direction right after ``x``, the other
    parameters (and their defaults) after it."""
    path = tmp_path / "reg.py"
    path.write_text("import numpy as np\n\n\ndef reg(x, lam=0.1):\n"
                    "    return np.sum(100.0 * (x[1:] - x[:-1]**2)**2 + (1 - x[:-1])**2) + lam * np.sum(x**2)\n")
    f = px.jit(runpy.run_path(str(path))["reg"])
    hessp = f.hessp("x")
    assert [n for n, _ in hessp.signature] == ["x", "p", "lam"] and hessp.direction == "p"
    x, v = np.linspace(-1.0, 1.0, 7), np.cos(np.arange(7.0))
    want = rosen_hess_prod(x, v) + 0.2 * v
    np.testing.assert_allclose(hessp(x, v), want, rtol=1e-14)
    np.testing.assert_allclose(hessp(x, v, 0.3), want + 0.4 * v, rtol=1e-14)
    np.testing.assert_allclose(f.hessian("x")(x, lam=0.3) @ v, want + 0.4 * v, rtol=1e-14)
    ncg = minimize(f, np.zeros(12), args=(0.2,), jac=f.grad("x"), hessp=hessp, method="trust-ncg")
    exact = minimize(f, np.zeros(12), args=(0.2,), jac=f.grad("x"), hess=f.hessian("x"), method="trust-exact")
    assert ncg.success and exact.success and np.allclose(ncg.x, exact.x, atol=1e-6)
    assert str(f.hessian("x")).startswith("hessian_reg(x[n], lam): H[j, k] is 0 unless")


def spring_chain(x, k):
    return np.sum(k * (x[1:] - x[:-1])**2)


def test_a_banded_hessians_header_names_its_column_apart_from_the_parameters():
    text = str(px.jit(spring_chain).hessian("x", sparse=True))
    assert text.startswith("hessian_spring_chain(x[n], k): H[j, l] is 0 unless l - j is one of [-1, 0, 1]")
    assert "H[j, k]" not in text


n = np.linspace(0.0, 1.0, 20)      # data with the name python_source gives a length


def data_named_n(x):
    return np.sum(x**2) + np.sum(n)


def test_python_source_refuses_data_named_as_its_lengths():
    f = px.jit(data_named_n)
    assert f(np.ones(3)) == pytest.approx(3.0 + np.sum(n))
    with pytest.raises(NotImplementedError, match="reads data called n, a name python_source gives a length"):
        f.python_source


def quartic_sum(x):
    return np.sum(x**4) + np.exp(0.1 * np.sum(x))


def shifted_products(t, u):
    return np.concatenate(([u[0]**2 + t], u[1:] * u[:-1]))


def test_hessians_and_jacobians_of_a_batch_are_the_matrices_of_its_points():
    """x of shape (n, k) (a vectorized call): the matrix at each of the k points, stacked along
    the last axis as a fixed-length formula's Jacobian is; the banded and dense paths mixed the
    columns (a Hessian's diagonal read [12, 1200, 48] for the points' [12, 48, 108] and [1200, ...])."""
    X = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]]) * 0.1
    for matrix, args in ((px.jit(quartic_sum).hessian(), (X,)),
                         (px.jit(shifted_products).jacobian(wrt="u"), (0.5, X)),
                         (px.jit(shifted_products).jacobian(wrt="u"), (np.array([0.5, 1.5]), X))):
        got = matrix(*args)
        assert got.shape == (3, 3, 2)
        for k in range(2):
            point = [a[..., k] if np.ndim(a) else a for a in args]
            np.testing.assert_allclose(got[..., k], matrix(*point), rtol=1e-14)
    with pytest.raises(ValueError, match="a sparse matrix is of one point"):
        px.jit(quartic_sum).hessian(sparse=True)(X)


def _others(terms):
    """numpy's product of the terms other than each: exclusive prefix and suffix products."""
    before = np.concatenate(([1.0], np.cumprod(terms)[:-1]))
    after = np.concatenate((np.cumprod(terms[::-1])[::-1][1:], [1.0]))
    return before * after


def test_the_gradient_of_a_product_is_the_product_of_the_others_where_a_term_is_zero():
    """d prod(x)/dx[j] as prod(x)/x[j] was nan where x[j] is 0 (x = 0, an optimizer's usual
    start); it is the product of the terms before j times those after, running products
    over j that the loop computes one way each (a time linear in n)."""
    x = np.array([0.0, 2.0, 3.0, -1.5])
    g = px.jit(open_formulas.product_of_all).grad()
    assert "Product(x[i], (i, 0, j - 1))*Product(x[i], (i, j + 1, n - 1))" in str(g)
    np.testing.assert_array_equal(g(x), _others(x))
    np.testing.assert_array_equal(g(np.zeros(3)), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(px.jit(open_formulas.schwefel_2_22).grad()(x),
                                  np.sign(x) + np.sign(x) * _others(np.abs(x)))
    big = np.random.default_rng(5).uniform(0.9, 1.1, 100_001)
    big[[0, 50_000]] = 0.0                          # two zeros: every product of the others is 0
    np.testing.assert_array_equal(g(big), np.zeros_like(big))
    big[0] = 1.0
    np.testing.assert_allclose(g(big), _others(big), rtol=1e-9, atol=1e-300)
    steps = px.jit(open_formulas.product_of_steps)
    assert "j = 0:  -Product(" in str(steps.grad())         # an empty product before is 1
    for x in (np.array([1.0, 1.0, 3.0, 2.0]), np.random.default_rng(6).uniform(-1, 1, 9)):
        d = np.diff(x)
        want = np.zeros_like(x)
        want[:-1] -= _others(d)
        want[1:] += _others(d)
        np.testing.assert_allclose(steps.grad()(x), want, rtol=1e-12, atol=1e-15)
    # products over a window that moves with another index, or read backwards, divide
    for fn, n in ((open_formulas.griewank, 50), (open_formulas.windowed_products, 7),
                  (open_formulas.reversed_product, 6)):
        x = np.random.default_rng(7).uniform(0.5, 1.5, n)
        h = 1e-6
        numeric = [(fn(x + h * e) - fn(x - h * e)) / (2 * h) for e in np.eye(len(x))]
        np.testing.assert_allclose(px.jit(fn).grad()(x), numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("options", [{"simplify": False}, {"simplify": "full"}, {}])
def test_stepped_and_masked_reductions_under_every_simplify_option(options):
    """simplify=False: sympy rebuilt a stepped sum's index case unevaluated, and printing or
    calling it divided by zero inside sympy; simplify="full": sympy took the case of x[i] > 1
    out of np.mean's sum (its index free outside it: a LoweringError at the call)."""
    for fn in (open_formulas.even_product, open_formulas.even_squares, open_formulas.masked_mean,
               open_formulas.masked_even_sum):
        f = px.jit(fn, **options)
        assert "Sum(" in str(f) or "Product(" in str(f)
        for n in (1, 2, 5, 8):
            x = np.random.default_rng(n).uniform(0.5, 2.0, n)
            assert f(x) == pytest.approx(fn(x), rel=1e-13), (fn.__name__, n)
    x = np.array([0.5, 2.0, np.nan])
    with np.errstate(invalid="ignore"):
        assert np.isnan(px.jit(open_formulas.masked_mean, **options)(x))
