"""``f.ufunc`` (issue 16, item 2): a real numpy ufunc whose inner loops are the compiled
array kernels, checked against numpy and Python references for every ufunc method."""
import functools
import gc
import itertools
import math

import numpy as np
import pytest

import pyexpr as px


def damped(x, y):
    return x * math.sin(y) + 1.0


def _python(x, y):
    return x * np.sin(y) + 1.0


@pytest.fixture(scope="module")
def u():
    return px.jit(damped).ufunc


def test_a_numpy_ufunc_with_float32_and_float64_loops(u):
    assert isinstance(u, np.ufunc) and (u.nin, u.nout) == (2, 1) and u.types == ["ff->f", "dd->d"]
    assert u.__name__ == "damped" and "damped(x, y) = x*sin(y) + 1.0" in u.__doc__
    x, y = np.linspace(-3, 3, 1001), np.linspace(0, 7, 1001)
    np.testing.assert_allclose(u(x, y), _python(x, y), rtol=1e-15, atol=1e-15)
    assert u(x.astype(np.float32), np.float32(2.0)).dtype == np.float32
    assert u(np.arange(5), 2).dtype == np.float64              # integers cast safely to float64
    assert u(3.0, 4.0) == pytest.approx(damped(3.0, 4.0), rel=1e-15)


def test_broadcasting_strides_out_and_where(u):
    a = np.linspace(0, 1, 24).reshape(4, 6)
    np.testing.assert_allclose(u(a[:, ::2], a[0, ::2]), _python(a[:, ::2], a[0, ::2]), rtol=1e-15)
    np.testing.assert_allclose(u(a.T, 0.5), _python(a.T, 0.5), rtol=1e-15)
    out = np.full(a.shape, -7.0)
    result = u(a, 2.0, out=out, where=a > 0.5)
    assert result is out
    np.testing.assert_allclose(out, np.where(a > 0.5, _python(a, 2.0), -7.0), rtol=1e-15)
    inplace = a.copy()
    u(inplace, 2.0, out=inplace)
    np.testing.assert_allclose(inplace, _python(a, 2.0), rtol=1e-15)


def test_reduce_accumulate_reduceat_outer_at(u):
    x = np.linspace(0, 1, 200)
    assert u.reduce(x) == pytest.approx(functools.reduce(_python, x), rel=1e-13)
    np.testing.assert_allclose(u.accumulate(x), list(itertools.accumulate(x, _python)), rtol=1e-13)
    a = np.arange(12.0).reshape(3, 4) / 10
    np.testing.assert_allclose(u.reduce(a, axis=0), functools.reduce(_python, a), rtol=1e-14)
    np.testing.assert_allclose(u.reduce(a, axis=1), [functools.reduce(_python, r) for r in a], rtol=1e-14)
    np.testing.assert_allclose(u.reduceat(x[:9], [0, 4]), [functools.reduce(_python, x[0:4]),
                                                            functools.reduce(_python, x[4:9])], rtol=1e-14)
    np.testing.assert_allclose(u.outer(x[:5], x[:3]), _python(x[:5, None], x[None, :3]), rtol=1e-15)
    y = np.zeros(4)
    u.at(y, [0, 1, 1], 2.0)                 # unbuffered: index 1 twice
    np.testing.assert_allclose(y, [1.0, _python(1.0, 2.0), 0.0, 0.0], rtol=1e-15)


def test_several_outputs_and_masked_arrays():
    f = px.from_sympy(["x + y", "x*y"], ["x", "y"])
    total, product = f.ufunc(np.arange(3.0), 2.0)
    np.testing.assert_array_equal(total, [2.0, 3.0, 4.0])
    np.testing.assert_array_equal(product, [0.0, 2.0, 4.0])
    masked = px.jit(damped).ufunc(np.ma.array([1.0, 2.0, 3.0], mask=[0, 1, 0]), 2.0)
    assert isinstance(masked, np.ma.MaskedArray) and list(masked.mask) == [False, True, False]


def test_the_ufunc_outlives_its_formula():
    u = px.from_sympy("exp(-x*x) + y", ["x", "y"]).ufunc
    gc.collect()
    assert u(0.0, 1.0) == 2.0


def test_threads_share_it(u, threaded):
    x = np.linspace(0, 5, 100_000)
    want = _python(x, 1.5)
    errors = []

    def work():
        try:
            np.testing.assert_allclose(u(x, 1.5), want, rtol=1e-15, atol=1e-15)
        except AssertionError as error:
            errors.append(error)
    threaded(work)
    assert not errors


def test_a_formula_of_no_arguments_has_none():
    with pytest.raises(ValueError, match="no arguments has no ufunc"):
        px.from_sympy("2.0", []).ufunc


def test_too_many_operands_is_a_clear_error():
    names = [f"x{k}" for k in range(64)]
    f = px.from_sympy(" + ".join(names), names)
    with pytest.raises(ValueError, match="more than 64 operands"):
        f.ufunc


def kinetics(t, y):
    a, b, c = y
    return -0.04 * a + 1e4 * b * c, 0.04 * a - 1e4 * b * c - 3e7 * b**2, 3e7 * b**2 + t


def test_a_formula_of_vectors_is_a_generalized_ufunc():
    f = px.jit(kinetics)
    u, jac = f.ufunc, f.jacobian(wrt="y").ufunc
    assert u.signature == "(),(3)->(3)" and jac.signature == "(),(3)->(3,3)"
    assert u.types == ["ff->f", "dd->d"]
    rng = np.random.default_rng(5)
    y, t = rng.uniform(0, 1, (6, 3)), rng.uniform(0, 1, 6)
    want = np.array([f(ti, row) for ti, row in zip(t, y)])
    np.testing.assert_allclose(u(t, y), want, rtol=1e-15)
    np.testing.assert_allclose(u(0.5, y[::2]), np.array([f(0.5, row) for row in y[::2]]), rtol=1e-15)
    np.testing.assert_allclose(u(0.5, y.T, axes=[(), (0,), (0,)]), np.array([f(0.5, row) for row in y]).T,
                               rtol=1e-15)                                     # strided core axis
    np.testing.assert_allclose(jac(t, y), np.array([f.jacobian(wrt="y")(ti, row) for ti, row in zip(t, y)]),
                               rtol=1e-15)
    assert u(np.float32(0.5), y.astype(np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match="core dimension"):
        u(0.5, np.ones((4, 2)))
    scalar = px.jit(lambda x: x[0] * x[1]).ufunc
    assert scalar.signature == "(2)->()" and scalar(np.array([[2.0, 3.0], [4.0, 5.0]])).tolist() == [6.0, 20.0]
