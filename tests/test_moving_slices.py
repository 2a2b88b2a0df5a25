"""Slices whose ends move with a loop's index (``x[:i + 1]``, ``x[i:i + 3]`` inside a loop
or generator over a length): a sum over a range that moves, as the rotated
hyper-ellipsoid and Schwefel's problem 1.2 are written.  An end that would be negative
somewhere in the loop's range is refused at decoration (Python would count it from the
vector's end); one past the end makes a call too short a ValueError (Python would clip
it), never a different value."""
import numpy as np
import pytest
from scipy.optimize import approx_fprime

import pyexpr as px
from pyexpr.errors import PyExprError


def rotated_hyper_ellipsoid(x):
    return sum(np.sum(x[:i + 1] ** 2) for i in range(len(x)))


def schwefel_12(x):
    total = 0.0
    for i in range(len(x)):
        total += np.sum(x[:i + 1]) ** 2
    return total


def windows(x):
    return sum(np.sum(x[i:i + 3] ** 2) for i in range(len(x) - 2))


def from_the_middle(x):
    n = len(x)
    return sum(np.sum(x[i:]) * x[i] for i in range(n // 2))


@pytest.mark.parametrize("func", [rotated_hyper_ellipsoid, schwefel_12, windows, from_the_middle],
                         ids=lambda f: f.__name__)
def test_sums_over_slices_moving_with_a_loop_give_numpys_values(func):
    f = px.jit(func)
    assert "Sum(" in str(f)
    for n in range(0, 12):
        x = np.random.default_rng(n).uniform(-1.0, 1.0, n)
        assert f(x) == pytest.approx(func(x), rel=1e-13, abs=1e-14), n


@pytest.mark.parametrize("func", [rotated_hyper_ellipsoid, schwefel_12], ids=lambda f: f.__name__)
def test_their_gradients_and_hessians(func):
    f = px.jit(func)
    x = np.random.default_rng(7).uniform(-1.0, 1.0, 9)
    assert np.allclose(f.grad()(x), approx_fprime(x, func, 1e-7), atol=1e-5)
    numeric = np.array([approx_fprime(x, lambda z: f.grad()(z)[k], 1e-7) for k in range(9)])
    assert np.allclose(f.hessian()(x), numeric, atol=1e-5)


def before_the_start(x):
    return sum(np.sum(x[:i - 1]) for i in range(len(x)))


def past_the_end(x):
    return sum(np.sum(x[:i + 2]) for i in range(len(x)))


def test_an_end_that_python_would_count_from_the_back_is_refused():
    with pytest.raises(PyExprError, match=r"the slice end i - 1 is -1 at i = 0: Python would count it "
                       r"from the vector's end"):
        px.jit(before_the_start)


def test_an_end_past_the_vector_is_a_value_error_not_a_clipped_slice():
    f = px.jit(past_the_end)
    with pytest.raises(ValueError, match="too short"):
        f(np.ones(4))
    assert f(np.ones(0)) == 0.0


def drawdown(x):
    total = 0.0
    for i in range(len(x)):
        total += np.max(x[:i + 1]) - x[i]
    return total


def running_window_min(x):
    return sum(np.min(x[i:i + 3]) for i in range(len(x) - 2))


def test_maxima_over_moving_ranges_give_numpys_values():
    f, g = px.jit(drawdown), px.jit(running_window_min)
    assert "Maximum(x[k], (k, 0, i))" in str(f)
    for n in range(0, 12):
        x = np.random.default_rng(n).normal(size=n)
        assert f(x) == pytest.approx(drawdown(x), rel=1e-14, abs=1e-14), n
        assert g(x) == pytest.approx(running_window_min(x), rel=1e-14, abs=1e-14), n
    with pytest.raises(NotImplementedError, match="over a range that moves with another index"):
        f.grad()


def empty_first(x):
    return sum(np.max(x[:i]) for i in range(len(x)))


def test_a_moving_maximum_of_no_elements_is_refused():
    with pytest.raises(PyExprError, match=r"np.max of i elements has none at i = 0 \(numpy raises a ValueError\)"):
        px.jit(empty_first)


def suffix_from_two_on(x):
    return np.array([sum(x[i] for i in range(j + 2, len(x))) for j in range(len(x))])


def squares_of_tails(x):
    return sum(np.sum(x[i:]) ** 2 for i in range(len(x)))


def products_of_tails(x):
    return sum(np.prod(x[i:]) for i in range(len(x)))


def test_running_sums_whose_range_is_empty_at_some_rows():
    # the running (scan) loop added the term at its edge even where the range was empty:
    # x[n] was read past the vector (3.95e-322 for 0.0) and every later row off by it
    f = px.jit(suffix_from_two_on)
    for n in (1, 2, 3, 5, 8, 40, 20_001):
        x = np.arange(1.0, n + 1)
        assert np.array_equal(f(x), suffix_from_two_on(x)), n
    g = px.jit(lambda_free_sum).grad()
    x = np.arange(1.0, 9.0)
    assert np.allclose(g(x), approx_fprime(x, lambda_free_sum, 1e-7), atol=1e-5)


def lambda_free_sum(x):
    return sum(np.sum(x[:i - 1]) for i in range(1, len(x)))


@pytest.mark.parametrize("func", [squares_of_tails, products_of_tails], ids=lambda f: f.__name__)
def test_gradients_of_sums_over_tails(func):
    # the terms' conditions compare the sum's index with the gradient's (i <= j): each term
    # tests its own where the range cannot be split into cases
    f = px.jit(func)
    x = np.random.default_rng(4).uniform(0.5, 1.5, 7)
    assert f(x) == pytest.approx(func(x), rel=1e-13)
    assert np.allclose(f.grad()(x), approx_fprime(x, func, 1e-8), rtol=1e-5, atol=1e-6)
