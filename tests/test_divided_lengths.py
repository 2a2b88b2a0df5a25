"""Bounds at a division of a vector's length (``n = len(y) // 2; u, v = y[:n], y[n:]``,
``range(len(x) // 2)``, ``x[len(x) // 2]``): one formula for every length whose bounds
print as ``floor(n/2)``, compiled as loops over those bounds; lengths that agree only at
some ``n % s`` make that a condition of the call, as numpy raises at the others."""
import warnings

import numpy as np
import pytest
import sympy
from scipy.integrate import solve_ivp
from scipy.optimize import approx_fprime

import pyexpr as px
from pyexpr import lengths
from pyexpr.errors import PyExprError

from optimization_functions import extended_rosen_loop, powell_loop


def brusselator(t, y):
    n = len(y) // 2
    u, v = y[:n], y[n:]
    du = 1.0 + u**2 * v - 4.0 * u
    dv = 3.0 * u - u**2 * v
    return np.concatenate([du, dv])


def species(y):
    n = len(y) // 3
    a, b, c = y[:n], y[n:2 * n], y[2 * n:]
    return np.sum(a * b * c) + np.sum(c)


def halves(x):
    q = len(x) // 4
    return np.sum(x[q:len(x) - q] ** 2) - np.sum(np.sin(x[: len(x) // 3])) + x[-(len(x) // 3) - 1]


def folded(x):
    n = len(x)
    total = 0.0
    for i in range(n // 2):
        total += (x[i] - x[n - 1 - i]) ** 2
    return total


def half_means(x):
    h = len(x) // 2
    return np.mean(x[:h]) * np.mean(x[h:]) + x[len(x) // 2] ** 3


def second_half(x):
    return sum(v * v for v in x[len(x) // 2:])


SCALARS = [(halves, range(1, 14)), (folded, range(0, 12)), (half_means, range(2, 12)),
           (second_half, range(0, 12)), (species, (3, 6, 9, 30))]


@pytest.mark.parametrize("func, sizes", SCALARS, ids=lambda v: getattr(v, "__name__", ""))
def test_values_and_gradients_at_every_length_agree_with_numpy(func, sizes):
    f = px.jit(func)
    g = f.grad()
    rng = np.random.default_rng(1)
    for n in sizes:
        x = rng.uniform(0.5, 1.5, n)
        assert f(x) == pytest.approx(func(x), rel=1e-13, abs=1e-13), n
        if n:
            assert np.allclose(g(x), approx_fprime(x, func, 1e-7), rtol=1e-5, atol=1e-5), n


def test_the_printed_formula_names_the_division_and_the_condition():
    f = px.jit(brusselator)
    text = str(f)
    assert "floor(n/2)" in text and "(for n % 2 == 0)" in text
    pieces = f.cases()[1]
    assert [(str(lo), str(hi)) for lo, hi, _ in pieces] == [("0", "floor(n/2) - 1"), ("floor(n/2)", "n - 1")]
    assert r"\left\lfloor{\frac{n}{2}}\right\rfloor" in f.latex()


@pytest.mark.parametrize("n", [2, 4, 10, 1000, 100_000])
def test_a_state_split_in_halves_gives_numpys_values(n):
    f = px.jit(brusselator)
    y = np.random.default_rng(n).uniform(0.5, 3.0, n)
    assert np.allclose(f(0.0, y), brusselator(0.0, y), rtol=1e-14, atol=1e-14)
    assert np.allclose(f(0.0, y.astype(np.float32)), brusselator(0.0, y), rtol=1e-5, atol=1e-4)


def test_vectorized_states_broadcast_along_a_trailing_axis():
    f = px.jit(brusselator)
    y = np.random.default_rng(2).uniform(0.5, 3.0, (12, 5))
    assert np.allclose(f(0.0, y), brusselator(0.0, y))


@pytest.mark.parametrize("n", [1, 3, 9])
def test_lengths_where_the_halves_differ_are_refused(n):
    # numpy raises at 9; at 1 and 3 it broadcasts a part of length 1 against the other
    # (a result of another length than y's, which no solver takes): refused as well
    f = px.jit(brusselator)
    y = np.ones(n)
    with pytest.raises(ValueError, match=r"brusselator\(\).*'y' of length %d.*len\(y\) %% 2 == 0" % n):
        f(0.0, y)
    with pytest.raises(ValueError, match="% 3 == 0"):
        px.jit(species)(np.ones(7))


def test_the_jacobian_matches_finite_differences_and_drives_a_stiff_solver():
    f = px.jit(brusselator)
    jac = f.jacobian(wrt="y")
    y = np.random.default_rng(3).uniform(0.5, 3.0, 8)
    numeric = np.array([approx_fprime(y, lambda z: brusselator(0.0, z)[k], 1e-7) for k in range(8)])
    assert np.allclose(jac(0.0, y), numeric, atol=1e-5)
    y0 = np.r_[np.full(20, 1.5), np.full(20, 3.0)]
    ours = solve_ivp(f, (0, 10), y0, method="BDF", jac=jac, rtol=1e-8, atol=1e-10)
    plain = solve_ivp(brusselator, (0, 10), y0, method="BDF", rtol=1e-8, atol=1e-10)
    assert ours.status == 0 and np.allclose(ours.y[:, -1], plain.y[:, -1], rtol=1e-6)


@pytest.mark.parametrize("func, args", [(brusselator, (0.5, np.linspace(1, 2, 10))),
                                        (halves, (np.linspace(1, 2, 11),))], ids=["brusselator", "halves"])
def test_python_source_divides_as_python_does(func, args):
    f = px.jit(func)
    assert "// 2" in f.python_source or "// 4" in f.python_source
    namespace = {}
    exec(f.python_source, namespace)
    assert np.allclose(namespace[func.__name__](*args), f(*args))


def test_bounds_compare_for_every_length():
    n = sympy.Symbol("n", integer=True, nonnegative=True)
    half, rest = sympy.floor(n / 2), n - sympy.floor(n / 2)
    assert lengths.is_bound(half, n) and lengths.is_bound(n - 2 * sympy.floor(n / 4) + 1, n)
    assert not lengths.is_bound(sympy.floor(n ** 2 / 2), n) and not lengths.is_bound(half / 2, n)
    order = lengths.Bounds(n, [half, rest])
    assert order.period == 2
    assert [a == b for a, b in zip(order.values(half), order.values(rest))] == [True, False]
    assert order.least(half - 1) == 2 and order.least(n - 3 * sympy.floor(n / 4) - 2) == 5
    assert all(int((n - 3 * sympy.floor(n / 4) - 2).subs(n, m)) >= 0 for m in range(5, 200))
    assert lengths.affine_where(2 * half, n, 2, {0}) == n
    assert lengths.affine_where(2 * half, n, 2, {1}) == n - 1
    assert lengths.affine_where(2 * half, n, 1, {0}) == 2 * half


def test_a_slice_at_a_division_outside_the_vector_is_refused():
    def beyond(x):
        return np.sum(x[: len(x) // 2 + len(x)])
    with pytest.raises(PyExprError, match=r"divided"):
        px.jit(beyond)


# --- loops over pairs and quadruples: range(len(x) // s) reading x[s*i + c] ---

def backwards_pairs(x):
    n = len(x)
    return sum((x[n - 1 - 2 * i] - 2.0 * x[n - 2 - 2 * i]) ** 2 for i in range(n // 2))


@pytest.mark.parametrize("func", [extended_rosen_loop, powell_loop, backwards_pairs],
                         ids=lambda f: f.__name__)
def test_derivatives_of_a_loop_over_groups_of_elements(func):
    f = px.jit(func)
    grad, hess, hessp = f.grad(), f.hessian(), f.hessp()
    assert "Mod(j" in str(grad)              # which element of its group j is
    rng = np.random.default_rng(5)
    for n in (2, 3, 4, 5, 8, 9, 12):
        x = rng.uniform(-1.0, 1.0, n)
        assert f(x) == pytest.approx(func(x), rel=1e-13)
        assert np.allclose(grad(x), approx_fprime(x, func, 1e-7), rtol=1e-4, atol=1e-4), n
        numeric = np.array([approx_fprime(x, lambda z: grad(z)[k], 1e-7) for k in range(n)])
        assert np.allclose(hess(x), numeric, rtol=1e-4, atol=1e-4), n
        v = rng.uniform(-1.0, 1.0, n)
        assert np.allclose(hessp(x, v), hess(x) @ v, rtol=1e-10, atol=1e-10), n


def test_a_group_read_beside_its_own_index_is_refused_with_a_message():
    def weighted(x, w):
        return sum(w[i] * x[2 * i] ** 2 for i in range(len(x) // 2))
    f = px.jit(weighted)
    with pytest.raises(NotImplementedError, match=r"x\[2\*i\]"):
        f.grad(wrt="x")


def perm(x, beta=10.0):
    """The perm function 0, d, beta: sums over powers indexed by the outer sum."""
    d = len(x)
    outer = 0.0
    for i in range(1, d + 1):
        inner = 0.0
        for j in range(1, d + 1):
            inner += (j + beta) * (x[j - 1] ** i - 1.0 / j ** i)
        outer += inner ** 2
    return outer


def test_derivatives_without_wrt_are_by_the_vector_beside_defaulted_parameters():
    f = px.jit(perm)
    g = f.grad()
    assert [n for n, _ in g.signature] == ["x", "beta"] and g.out_shape[0] == g.signature[0][1]
    x = np.linspace(0.3, 1.1, 5)
    h = 1e-6
    central = [(perm(x + h * e) - perm(x - h * e)) / (2 * h) for e in np.eye(5)]
    assert np.allclose(g(x), central, rtol=1e-7)
    assert np.allclose(f.grad(wrt="x")(x, 3.0), px.jit(perm).grad()(x, 3.0))
    assert f.grad(wrt="beta")(x) == pytest.approx((perm(x, 10.0 + h) - perm(x, 10.0 - h)) / (2 * h), rel=1e-7)


# --- found by a review: bounds between two divisions, divided inner ranges, n % s ---

def between_quarters(x):
    return np.sum(x[len(x) // 4:len(x) // 2] ** 2) + np.sum(x[len(x) // 3:2 * len(x) // 3])


def upper_triangle_of_half(x):
    n = len(x)
    total = 0.0
    for i in range(n // 2):
        for j in range(i, n // 2):
            total += x[i] * x[j]
    return total


def parity_pick(x):
    return x[len(x) % 2] * 2.0 + np.sum(x[len(x) % 3:])


@pytest.mark.parametrize("func", [between_quarters, upper_triangle_of_half, parity_pick],
                         ids=lambda f: f.__name__)
def test_bounds_with_several_divisions_compile_as_loops(func):
    f = px.jit(func)
    for n in range(0, 16):
        x = np.random.default_rng(n).uniform(0.5, 1.5, n)
        try:
            want = func(x)
        except IndexError:
            with pytest.raises(ValueError):
                f(x)
            continue
        assert f(x) == pytest.approx(want, rel=1e-13, abs=1e-13), n
    # (not yet: a range of the other index crossing j's; cases at n % 2 and n % 3 together)
    if func is between_quarters:
        x = np.random.default_rng(3).uniform(0.5, 1.5, 13)
        assert np.allclose(f.grad()(x), approx_fprime(x, func, 1e-7), atol=1e-6)


def wrapped_end(x):
    return np.sum(x[:len(x) - 3])


def mean_of_a_third(x):
    return np.mean(x[2:len(x) // 3])


def mean_but_last(x):
    return np.mean(x[:-1])


@pytest.mark.parametrize("func, short", [(wrapped_end, (0, 1, 2)), (mean_of_a_third, range(0, 6)),
                                         (mean_but_last, (0,))], ids=lambda v: getattr(v, "__name__", ""))
def test_ends_that_python_would_count_from_the_back_make_short_calls_value_errors(func, short):
    # x[:len(x) - 3] of two elements is x[:-1] to Python (its sum was 0.0 where numpy's is x[0]);
    # a mean of a slice whose length would be negative was -0.0 where numpy's is nan
    f = px.jit(func)
    for n in range(0, 12):
        x = np.arange(1.0, n + 1)
        if n in short:
            with pytest.raises(ValueError, match="too short"):
                f(x)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)     # numpy's mean of no elements
                want = func(x)
            assert f(x) == pytest.approx(want, rel=1e-15, nan_ok=True), n
    namespace = {}
    exec(f.python_source, namespace)            # the printed code checks the lengths as the call does
    for n in short:
        with pytest.raises(ValueError, match="too short"):
            namespace[func.__name__](list(np.arange(1.0, n + 1)))
