"""The optimization test functions of ``tests/optimization_functions.py``, written as their
definitions are in numpy (slices, local arrays, constant tables, small arrays beside the
vector), decorated as they are: value against numpy, gradient against central
differences, Hessian against differences of the gradient, at several lengths."""
import inspect

import numpy as np
import pytest

import pyexpr as px

import optimization_functions as library

#: the lengths each function is tried at (the n-dimensional ones at three)
LENGTHS = {"beale": (2,), "himmelblau": (2,), "goldstein_price": (2,), "easom": (2,),
           "eggholder": (2,), "six_hump": (2,), "branin": (2,), "booth": (2,), "mccormick": (2,),
           "hartmann3": (3,), "shekel": (4,), "powell": (4, 8), "powell_loop": (4, 5, 8), "broyden_tridiagonal": (3, 5, 8)}
NAMES = sorted(name for name, fn in inspect.getmembers(library, inspect.isfunction)
               if fn.__module__ == library.__name__)
#: Weierstrass's terms oscillate at 3**20: differences say nothing; its gradient is checked
#: against the derivative written by hand
NO_DIFFERENCES = {"weierstrass"}
_decorated = {}


def _formula(name):
    if name not in _decorated:
        _decorated[name] = px.jit(getattr(library, name))
    return _decorated[name]


def _point(n, seed):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.2, 1.7, n) * rng.choice([-1.0, 1.0], n)


def _differences(f, x, h=1e-6):
    out = []
    for i in range(len(x)):
        step = np.zeros_like(x)
        step[i] = h * max(1.0, abs(x[i]))
        out.append((f(x + step) - f(x - step)) / (2 * step[i]))
    return np.array(out)


def _close(a, b, rtol):
    scale = max(1.0, float(np.max(np.abs(b))))
    return np.allclose(a, b, rtol=rtol, atol=rtol * scale)


@pytest.mark.parametrize("name", NAMES)
def test_value_and_gradient_agree_with_numpy(name):
    f, written = _formula(name), getattr(library, name)
    for n in LENGTHS.get(name, (2, 5, 8)):
        x = _point(n, n)
        assert f(x) == pytest.approx(written(x), rel=1e-12, abs=1e-12), (name, n)
        gradient = f.grad()(x)
        if name in NO_DIFFERENCES:
            k = np.arange(21)[:, None]
            reference = -np.sum(0.5**k * 2 * np.pi * 3.0**k * np.sin(2 * np.pi * 3.0**k * (x + 0.5)), axis=0)
        else:
            reference = _differences(written, x)
        assert _close(gradient, reference, 1e-5), (name, n, gradient, reference)


@pytest.mark.parametrize("name", [n for n in NAMES if n not in NO_DIFFERENCES])
def test_hessian_agrees_with_differences_of_the_gradient(name):
    f = _formula(name)
    n = LENGTHS.get(name, (2, 5))[-1 if name in LENGTHS else 1]
    x = _point(n, 7)
    hessian = np.asarray(f.hessian()(x))
    reference = _differences(f.grad(), x)
    assert _close(hessian, reference, 1e-4), (name, hessian, reference)


def test_lengths_the_code_refuses_are_refused_as_numpy_would():
    powell = _formula("powell")
    with pytest.raises(ValueError, match=r"powell\(\): argument 'x' of length 5: the code runs only where "
                       r"len\(x\) % 4 == 0 \(numpy combines slices only of the same length; x\[i \+ 3\] "
                       r"must stay inside x at the last i\)$"):
        powell(np.ones(5))
    with pytest.raises(ValueError, match="must have length 4"):
        _formula("shekel")(np.ones(3))
