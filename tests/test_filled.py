"""Arrays of any length filled item by item, the method of lines as scientists write it
(``du = np.zeros_like(u); du[1:-1] = ...; du[0] = ...``, or a loop storing ``du[i]``):
one formula in ``j`` with its cases, numpy's values at every length, a banded Jacobian
that solve_ivp takes, and a clear refusal wherever numpy's in-place semantics would
differ from a formula's."""
import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import approx_fprime

import pyexpr as px
from pyexpr.errors import PyExprError


def heat(t, u):
    du = np.zeros_like(u)
    du[1:-1] = (u[2:] - 2*u[1:-1] + u[:-2]) * 100.0
    du[0] = (u[1] - 2*u[0]) * 100.0
    du[-1] = (u[-2] - 2*u[-1]) * 100.0
    return du


def heat_loop(t, u):
    n = len(u)
    du = np.zeros(n)
    for i in range(1, n - 1):
        du[i] = (u[i + 1] - 2*u[i] + u[i - 1]) * 100.0
    du[0] = (u[1] - 2*u[0]) * 100.0
    du[n - 1] = (u[n - 2] - 2*u[n - 1]) * 100.0
    return du


def added_in_place(t, u):
    du = np.zeros_like(u)
    du[1:-1] += u[2:] - u[:-2]
    du[1:-1] *= 0.5
    du[:] += t
    return du


def on_two_paths(t, u):
    du = np.full_like(u, 2.0)
    if t > 1.0:
        du[0] = u[0]
    else:
        du[-1] = -u[-1]
    return du


def trapezoid_weights(u):
    w = np.ones(len(u))
    w[0] = 0.5
    w[-1] = 0.5
    return np.sum(w * u**2)


def differences(x):
    d = np.zeros(len(x) - 1)
    for i in range(len(x) - 1):
        d[i] = x[i + 1] - x[i]
    return d


def copied(x):
    y = np.array(x)
    y[0] = 0.0
    return y * 2


def copied_by_method(x):
    y = x.copy()
    y[-1] = 1.0
    return y


def shifted_in_a_loop(x):
    y = np.zeros_like(x)
    for i in range(1, len(x)):
        y[i - 1] = x[i] ** 2
    return y


def third(x):
    y = np.zeros_like(x)
    y[2] = 5.0
    return y


SAME_AS_NUMPY = [(heat, 1), (heat_loop, 1), (added_in_place, 1), (on_two_paths, 1), (on_two_paths, 3),
                 (trapezoid_weights, None), (differences, None), (copied, None), (copied_by_method, None),
                 (shifted_in_a_loop, None), (third, None)]


def _args(fn, t, u):
    return (u,) if t is None else (float(t), u)


@pytest.mark.parametrize("fn, t", SAME_AS_NUMPY, ids=[f"{fn.__name__}-{t}" for fn, t in SAME_AS_NUMPY])
@pytest.mark.parametrize("n", [3, 4, 7, 1000])
def test_values_are_numpys(fn, t, n):
    f = px.jit(fn)
    u = np.random.default_rng(n).normal(size=n)
    np.testing.assert_allclose(f(*_args(fn, t, u)), fn(*_args(fn, t, u)), rtol=1e-13, atol=1e-12)


def test_slices_and_a_loop_give_one_formula_with_its_boundary_cases():
    f, g = px.jit(heat), px.jit(heat_loop)
    assert str(f).replace("heat", "h") == str(g).replace("heat_loop", "h")
    assert str(f).splitlines() == [
        "heat(t, u[n])[j] =   (for n >= 2)",
        "  j = 0:  -200.0*u[0] + 100.0*u[1]",
        "  1 <= j <= n - 2:  100.0*u[j + 1] + 100.0*u[j - 1] - 200.0*u[j]",
        "  j = n - 1:  -200.0*u[n - 1] + 100.0*u[n - 2]"]


def test_too_short_is_a_value_error_as_numpys_index_error():
    with pytest.raises(ValueError, match=r"heat\(\): argument 'u' of length 1 is too short"):
        px.jit(heat)(0.0, np.ones(1))
    with pytest.raises(ValueError, match=r"third\(\): argument 'x' of length 2 is too short"):
        px.jit(third)(np.ones(2))


def test_unassigned_elements_of_np_empty_are_nan():
    """numpy leaves them as they were in memory; a formula has no memory: nan."""
    def shifted(x):
        y = np.empty_like(x)
        y[1:] = x[:-1]
        return y
    f = px.jit(shifted)
    got = f(np.arange(1.0, 5.0))
    assert np.isnan(got[0]) and list(got[1:]) == [1.0, 2.0, 3.0]


def test_jacobian_is_banded_and_drives_a_stiff_solver():
    f = px.jit(heat)
    jac = f.jacobian(wrt="u")
    assert "is 0 unless k - j is one of [-1, 0, 1]" in str(jac)
    u0 = np.random.default_rng(0).normal(size=40)
    dense = jac(0.0, u0)
    expected = 100.0 * (np.diag(-2.0 * np.ones(40)) + np.diag(np.ones(39), 1) + np.diag(np.ones(39), -1))
    np.testing.assert_array_equal(dense, expected)
    ours = solve_ivp(f, (0.0, 0.05), u0, method="BDF", jac=jac, rtol=1e-8, atol=1e-10)
    plain = solve_ivp(heat, (0.0, 0.05), u0, method="BDF", rtol=1e-8, atol=1e-10)
    assert ours.status == 0 and np.allclose(ours.y[:, -1], plain.y[:, -1], rtol=1e-6, atol=1e-8)


def test_jacobian_of_a_filled_array_matches_differences():
    f = px.jit(shifted_in_a_loop)
    x = np.random.default_rng(3).normal(size=9)
    jac = f.jacobian()(x)
    steps = np.eye(9) * 1e-6
    numeric = np.array([(f(x + s) - f(x - s)) / 2e-6 for s in steps]).T
    np.testing.assert_allclose(jac, numeric, atol=1e-7)


def recurrence(x):
    y = np.zeros_like(x)
    for i in range(1, len(x)):
        y[i] = y[i - 1] + x[i]
    return y


def two_places(x):
    y = np.zeros_like(x)
    for i in range(len(x) - 1):
        y[i] = x[i]
        y[i + 1] = 2 * x[i]
    return y


def beyond(x):
    y = np.zeros(len(x) - 1)
    for i in range(len(x)):
        y[i] = x[i]
    return y


def into_a_view(x):
    y = np.zeros_like(x)
    z = y[1:]
    y[0] = 1.0
    return z


def past_the_end(x):
    y = np.zeros(len(x) - 1)
    y[len(x) - 1] = 1.0
    return y


def stepped(x):
    y = np.zeros_like(x)
    y[::-1] = x
    return y


def at_a_parameter(x, k):
    y = np.zeros_like(x)
    y[k] = 1.0
    return y


@pytest.mark.parametrize("fn, message", [
    (recurrence, r"y is read in the loop that fills it: numpy would read what earlier iterations stored"),
    (two_places, r"a loop over a length stores one element per iteration at its index plus a constant"),
    (beyond, r"the loop stores at i for i from 0 to n - 1, which may be outside the array of n - 1"),
    (into_a_view, r"y is changed in place \(line \d+\) and a slice of it is a view"),
    (past_the_end, r"index n - 1 is outside an array of n - 1"),
    (stepped, r"a store into a slice of an array of any length takes a positive constant step"),
    (at_a_parameter, r"stored at a constant index or a loop's index"),
])
def test_what_numpy_would_compute_otherwise_is_refused_at_its_line(fn, message):
    with pytest.raises(PyExprError, match=message) as caught:
        px.jit(fn)
    assert "test_filled.py, line" in str(caught.value)


def boundary_pair(t, u):
    du = np.zeros_like(u)
    du[0:2] = (1.0, 2.0)
    return du


def odeint_order(u, t):
    du = np.zeros_like(u)
    du[0] = u[0] * t
    du[-1] = -u[-1]
    return du


def largest_of_a_filled_array(u):
    d = np.zeros_like(u)
    d[1:-1] = u[2:] * u[:-2]
    return np.max(d)


def test_a_slice_store_of_a_fixed_count_needs_the_array_that_long():
    """numpy raises where the slice is shorter than the values: a ValueError, not a result."""
    f = px.jit(boundary_pair)
    assert list(f(0.0, np.ones(3))) == [1.0, 2.0, 0.0]
    with pytest.raises(ValueError, match=r"boundary_pair\(\): argument 'u' of length 1 is too short"):
        f(0.0, np.ones(1))


def test_a_written_out_call_takes_the_arguments_in_their_order():
    """Below the cases' least length the formula is written out; a number after the vector
    (odeint's f(y, t)) went first, and took the vector's place."""
    f = px.jit(odeint_order)
    for n in (1, 2, 5):
        u = np.arange(1.0, n + 1.0)
        np.testing.assert_array_equal(f(u, 10.0), odeint_order(u, 10.0))


def test_the_derivative_of_an_extreme_with_cases_in_its_index_is_refused():
    f = px.jit(largest_of_a_filled_array)
    assert f(np.array([1.0, 2.0, 3.0, -4.0])) == np.max(largest_of_a_filled_array(np.array([1.0, 2.0, 3.0, -4.0])))
    with pytest.raises(NotImplementedError, match="whose terms have cases in its index"):
        f.grad()


# --- stores into slices with a step: du[::2], du[1::2] (two species interleaved) ---

def interleaved(t, y):
    u, v = y[::2], y[1::2]
    out = np.empty_like(y)
    out[::2] = 1.0 + u**2 * v - 4.0 * u + t
    out[1::2] = 3.0 * u - u**2 * v
    return out


def every_third(x):
    out = np.zeros_like(x)
    out[1::3] = 2.0
    out[::3] = x[::3] ** 2
    return out


def test_stores_into_slices_with_a_step_give_numpys_values():
    f = px.jit(interleaved)
    for n in (2, 4, 10, 1000):
        y = np.random.default_rng(n).uniform(0.5, 2.0, n)
        assert np.allclose(f(0.3, y), interleaved(0.3, y), rtol=1e-14, atol=1e-14)
    with pytest.raises(ValueError, match=r"len\(y\) % 2 == 0"):
        f(0.3, np.ones(5))
    g = px.jit(every_third)
    for n in range(0, 11):
        x = np.linspace(1.0, 2.0, n)
        assert np.array_equal(g(x), every_third(x)), n


def test_an_interleaved_state_has_a_banded_jacobian_a_stiff_solver_takes():
    f = px.jit(interleaved)
    jac = f.jacobian(wrt="y")
    assert "k - j is one of [-1, 0, 1]" in str(jac)
    y = np.random.default_rng(1).uniform(0.5, 2.0, 10)
    numeric = np.array([approx_fprime(y, lambda z: interleaved(0.3, z)[k], 1e-7) for k in range(10)])
    assert np.allclose(jac(0.3, y), numeric, atol=1e-5)
    y0 = np.tile([1.5, 3.0], 15)
    ours = solve_ivp(f, (0, 10), y0, method="BDF", jac=jac, rtol=1e-8, atol=1e-10)
    plain = solve_ivp(interleaved, (0, 10), y0, method="BDF", rtol=1e-8, atol=1e-10)
    assert ours.status == 0 and np.allclose(ours.y[:, -1], plain.y[:, -1], rtol=1e-6)


def test_a_store_with_a_step_of_values_read_at_another_step_is_refused():
    def mixed(y):
        out = np.zeros_like(y)
        out[::2] = y[: len(y) // 2]
        return out
    with pytest.raises(PyExprError, match="read at other steps"):
        px.jit(mixed)
