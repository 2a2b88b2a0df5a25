"""Vector parameters whose length the code fixes (issue 14, first slice): unpacked or
indexed with constants, called with arrays in scipy's conventions, differentiated
by vector, printed, and refused with a clear error where the length is left open."""
import pickle

import numpy as np
import pytest

import pyexpr as px
from pyexpr.errors import PyExprError


def robertson(t, y):
    """Robertson's stiff chemical kinetics (solve_ivp's rhs(t, y))."""
    y1, y2, y3 = y
    return (-0.04 * y1 + 1e4 * y2 * y3,
            0.04 * y1 - 1e4 * y2 * y3 - 3e7 * y2**2,
            3e7 * y2**2)


def rosen2(x):
    return (1 - x[0])**2 + 100 * (x[1] - x[0]**2)**2


def walks(x, k=2.0):
    a, b, c = x
    total = 0.0
    for xi in x:
        total += k * xi**2
    return total + len(x) + sum(x[1:]) + x[-1] + a * b * c


def test_unpacked_vector_values_and_printing():
    f = px.jit(robertson)
    assert f.signature == (("t", None), ("y", 3)) and [str(s) for s in f.vectors["y"]] == ["y_0", "y_1", "y_2"]
    assert str(f).startswith("robertson(t, y[3]) = (-0.04*y_0 + 10000.0*y_1*y_2, ")
    assert r"y \in \mathbb{R}^{3}" in f.latex()
    for y in ([1.0, 0.0, 0.0], np.array([0.9, 2e-5, 0.1]), (0.5, 1e-4, 0.5)):
        np.testing.assert_allclose(f(0.0, y), robertson(0.0, y), rtol=1e-15)
    many = np.random.default_rng(0).uniform(0, 1, (3, 7))            # solve_ivp's vectorized=True
    np.testing.assert_allclose(f(0.0, many), np.array(robertson(0.0, many)), rtol=1e-14)
    namespace = {}
    exec(f.python_source, namespace)
    assert "def robertson(t, y):" in f.python_source
    np.testing.assert_allclose(namespace["robertson"](0.0, [0.9, 2e-5, 0.1]), f(0.0, [0.9, 2e-5, 0.1]))


def test_the_jacobian_by_vector_in_solve_ivp(central_diff):
    solve_ivp = pytest.importorskip("scipy.integrate").solve_ivp
    f = px.jit(robertson)
    jac = f.jacobian(wrt="y")
    assert jac.out_shape == (3, 3) and str(jac).startswith("jacobian_robertson(t, y[3]) = ")
    y = np.array([0.9, 2e-5, 0.1])
    for j in range(3):
        step = np.zeros(3)
        step[j] = 1e-7 * max(abs(y[j]), 1e-5)
        fd = (np.array(robertson(0.0, y + step)) - np.array(robertson(0.0, y - step))) / (2 * step[j])
        np.testing.assert_allclose(jac(0.0, y)[:, j], fd, rtol=1e-6, atol=1e-6)
    ours = solve_ivp(f, (0, 40), [1.0, 0.0, 0.0], method="Radau", jac=jac, rtol=1e-8, atol=1e-10)
    plain = solve_ivp(robertson, (0, 40), [1.0, 0.0, 0.0], method="Radau", rtol=1e-8, atol=1e-10)
    assert ours.success and plain.success
    np.testing.assert_allclose(ours.y[:, -1], plain.y[:, -1], rtol=1e-6, atol=1e-12)
    vectorized = solve_ivp(f, (0, 1), [1.0, 0.0, 0.0], method="BDF", vectorized=True, rtol=1e-8)
    assert vectorized.success


def test_one_point_goes_through_the_float_entry():
    """solve_ivp's call (a float and a float64 vector): the components are the float entry's
    arguments; its outputs an array in the formula's shape (a Jacobian's (3, 3))."""
    f = px.jit(robertson)
    jac, energy = f.jacobian(wrt="y"), px.jit(walks)
    y = np.array([0.9, 2e-5, 0.1])
    for _ in range(2):
        got = f(0.5, y)
        assert type(got) is np.ndarray and got.shape == (3,)
        assert got.tolist() == list(f.kernel().scalar(0.5, *y))       # the same code, by ctypes
        np.testing.assert_allclose(got, robertson(0.5, y), rtol=1e-15)
        assert jac(0.5, y).shape == (3, 3)
        assert jac(0.5, y).ravel().tolist() == list(jac.kernel().scalar(0.5, *y))
        assert type(energy(y, 2.0)) is float and energy(y, 2.0) == energy.kernel().scalar(*y, 2.0)[0]
    assert f._fast["point"] is not None and f._fast["point"].__self__ is not None
    assert type(f) is not px.Formula and isinstance(f, px.Formula)     # its __call__ goes there
    # every other call still takes the general path, with its values and errors
    np.testing.assert_array_equal(f(0.5, list(y)), f(0.5, y))
    np.testing.assert_array_equal(f(t=0.5, y=y), f(0.5, y))
    np.testing.assert_allclose(f(0.5, np.stack([y, y], axis=1)), np.stack([f(0.5, y)] * 2, axis=1), rtol=1e-14)
    out = np.empty(3)
    assert f(0.5, y, out=out) is out and out.tolist() == f(0.5, y).tolist()
    with pytest.raises(ValueError, match="robertson.*'y'.*vector of 3"):
        f(0.5, np.ones(4))
    with pytest.raises(TypeError, match="takes 2 argument"):
        f(0.5, y, y)


def _single(t, y):
    a, b = y
    return (a * b + t,)


def test_one_output_of_shape_one_stays_an_array():
    f = px.jit(_single)
    for _ in range(3):
        got = f(0.5, np.array([2.0, 3.0]))
        assert type(got) is np.ndarray and got.shape == (1,) and got.tolist() == [6.5]


def test_constant_indices_in_scipy_minimize():
    optimize = pytest.importorskip("scipy.optimize")
    f = px.jit(rosen2)
    assert str(f) == "rosen2(x[2]) = (1 - x_0)**2 + 100*(-x_0**2 + x_1)**2"
    for x in ([-1.2, 1.0], [0.3, 0.7], [2.0, -1.0]):
        assert f(x) == pytest.approx(optimize.rosen(np.array(x)), rel=1e-15)
        np.testing.assert_allclose(f.grad()(x), optimize.rosen_der(np.array(x)), rtol=1e-14)
        np.testing.assert_allclose(f.hessian()(x), optimize.rosen_hess(np.array(x)), rtol=1e-14)
    result = optimize.minimize(f, [-1.2, 1.0], jac=f.grad(), hess=f.hessian(), method="trust-exact")
    assert result.success and np.allclose(result.x, [1.0, 1.0], atol=1e-8)


def test_loops_len_slices_and_sums_over_a_fixed_vector():
    f = px.jit(walks)
    assert f.signature == (("x", 3), ("k", None))
    x = np.array([0.5, -1.5, 2.0])
    assert f(x) == pytest.approx(walks(list(x)), rel=1e-15)
    assert f(x, k=3.0) == pytest.approx(walks(list(x), 3.0), rel=1e-15)
    # without wrt, by the vector: the parameter with a default is held (scipy's jac is by x)
    assert f.grad(wrt=["x"]).out_shape == (3,) == f.grad().out_shape and f.grad(wrt=["x", "k"]).out_shape == (4,)
    h = 1e-6
    fd = [(walks(list(x + h * e)) - walks(list(x - h * e))) / (2 * h) for e in np.eye(3)]
    np.testing.assert_allclose(f.grad(wrt="x")(x), fd, rtol=1e-7)


def test_a_formula_with_vectors_travels():
    f = px.jit(robertson).jacobian(wrt="y")
    g = pickle.loads(pickle.dumps(f))
    assert g.signature == f.signature
    np.testing.assert_array_equal(g(0.0, [0.9, 2e-5, 0.1]), f(0.0, [0.9, 2e-5, 0.1]))
    da = pytest.importorskip("dask.array")
    y = da.from_array(np.random.default_rng(1).uniform(0, 1, (3, 1000)), chunks=(3, 250))
    lazy = px.jit(robertson)(0.0, y)
    assert lazy.shape == (3, 1000)
    np.testing.assert_allclose(lazy.compute(), np.array(robertson(0.0, y.compute())), rtol=1e-14)


def test_calls_of_the_wrong_length_are_clear_errors():
    f = px.jit(robertson)
    with pytest.raises(ValueError, match=r"robertson\(\): argument 'y' is a vector of 3 .* \(2,\)"):
        f(0.0, [1.0, 2.0])
    with pytest.raises(ValueError, match="is a vector of 3"):
        f(0.0, 1.0)
    with pytest.raises(ValueError, match=r"'y' is a vector of 3 in robertson: .*jacobian\(wrt='y'\)"):
        f.diff("y")
    assert f.diff("y_1")(0.0, [0.9, 2e-5, 0.1])[0] == pytest.approx(1e4 * 0.1)


def _default(y=(1.0, 2.0)):
    a, b = y
    return a + b


def _clash(x, x_0):
    a, b = x
    return a + b + x_0


@pytest.mark.parametrize("fn, message", [
    (_default, "a vector parameter cannot have a default"),
    (_clash, "another parameter is called x_0"),
])
def test_open_lengths_and_clashes_are_refused_with_the_line(fn, message):
    with pytest.raises(PyExprError, match=message) as info:
        px.jit(fn)
    assert "test_vectors.py, line" in str(info.value)


# random formulas: the same body as a function of three scalars and of a vector unpacked
# into them; every path of the vector formula must give the scalar formula's numbers
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from test_hypothesis_frontend import functions, load  # noqa: E402

_UNPACKINGS = ["    x, y, z = v\n", "    x = v[0]\n    y = v[1]\n    z = v[2]\n"]


@settings(max_examples=40, deadline=None, database=None, derandomize=True)
@given(source=functions(), unpacking=st.sampled_from(_UNPACKINGS))
def test_random_vector_formulas_agree_with_their_scalar_twins(source, unpacking):
    scalar = px.jit(load(source))
    head, body = source.split("def generated(x, y, z):\n")
    vector = px.jit(load(head + "def generated(v):\n" + unpacking + body))
    assert vector.signature == (("v", 3),)
    points = np.array([[0.3, -0.7, 1.1], [-1.2, 0.4, 0.9], [1.7, 1.9, -0.2]])
    with np.errstate(all="ignore"):
        for p in points:
            np.testing.assert_array_equal(vector(p), scalar(*p))
            np.testing.assert_array_equal(vector.grad(wrt="v")(p), scalar.grad()(*p))
        np.testing.assert_array_equal(vector(points.T), scalar(*points.T))
        np.testing.assert_array_equal(vector.hessian()(points.T), scalar.hessian()(*points.T))
    namespace = {}
    exec(vector.python_source, namespace)
    for p in points:
        try:
            want = scalar(*p)
            got = namespace["generated"](list(p))
        except (ArithmeticError, ValueError):
            continue
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12, nan_ok=True)


def three_valley(p, s=2.0):
    a, b, c = p
    return s * (a - 1)**2 + 10*(b - a**2)**2 + (c - 2)**4 * a**2 + c**2


def test_hessp_of_a_fixed_length_vector_drives_trust_krylov():
    from scipy.optimize import minimize
    f = px.jit(three_valley)
    hessp = f.hessp()
    assert [n for n, _ in hessp.signature] == ["p", "p_", "s"]
    x, v = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(hessp(x, v), f.hessian()(x) @ v, rtol=1e-14)
    np.testing.assert_allclose(hessp(x, v, 3.0), f.hessian()(x, 3.0) @ v, rtol=1e-14)
    found = minimize(f, np.zeros(3), jac=f.grad(), hessp=hessp, method="trust-krylov")
    plain = minimize(three_valley, np.zeros(3), method="BFGS")
    assert found.success and np.allclose(found.x, plain.x, atol=1e-4)

