"""Calculus: names, shapes, and values against sympy, mpmath and finite differences.

Three independent oracles: ``sympy.diff`` on the same expression (exact),
``mpmath.diff`` at 30 digits on the formula lambdified to mpmath (numeric, no
symbolic differentiation at all), and central differences of the plain
Python function.
"""
import math
import pickle
import time

import mpmath
import numpy as np
import pytest
import sympy

import pyexpr as px
import user_functions as U

x, y = sympy.symbols("x y", real=True)


def mp_partials(formula, point, orders):
    """mpmath's numerical partial derivative of the single-output ``formula``."""
    fn = sympy.lambdify(formula.args, formula.outputs[0], "mpmath")
    with mpmath.workdps(30):
        return float(mpmath.diff(fn, [mpmath.mpf(p) for p in point], orders))


# --- names ---------------------------------------------------------------------------------

def test_diff_names():
    f = px.jit(U.small)
    assert f.diff("x").name == "dsmall_dx"
    assert f.diff("x", "y").name == "d2small_dxdy"
    assert f.diff("x", 2).name == "d2small_dx2"
    assert f.diff("x", 2, "y").name == "d3small_dx2dy"
    assert f.diff("x").diff("y").name == "d2small_dxdy"        # chained diffs keep counting
    assert f.diff("x").diff("x").name == "d2small_dx2"
    assert f.diff(sympy.Symbol("y", real=True)).name == "dsmall_dy"
    assert f.grad().name == "grad_small" and f.hessian().name == "hessian_small"
    assert px.jit(U.tuple_return).jacobian().name == "jacobian_tuple_return"


def test_derived_formulas_keep_arguments_defaults_and_options(ref_call):
    f = px.jit(U.with_defaults, dtype="float32")
    g = f.diff("x")
    assert g.args == f.args and g.defaults == f.defaults and g.options["dtype"] == "float32"
    assert ref_call(g, 1.0) == 2.0                                   # a defaults to 2


# --- shapes and exact values -------------------------------------------------------------------

def test_shapes():
    f = px.jit(U.gaussian)
    assert f.grad().out_shape == (3,)
    assert f.hessian().out_shape == (3, 3)
    assert f.grad(wrt=["x", "sigma"]).out_shape == (2,)
    assert f.hessian(wrt="x").out_shape == (1, 1)
    pair = px.jit(U.tuple_return)
    assert pair.jacobian().out_shape == (2, 2)
    assert pair.jacobian(wrt=["y"]).out_shape == (2, 1)
    assert pair.diff("x").out_shape == (2,)                      # every output differentiated
    assert px.jit(U.nested_tuple_return).diff("y").out_shape == (2, 2)


@pytest.mark.parametrize("fn", [U.small, U.gaussian, U.rosenbrock, U.arithmetic, U.math_functions,
                                U.more_functions, U.float_powers, U.calls_multi_output],
                         ids=lambda fn: fn.__name__)
def test_gradient_and_hessian_equal_sympy_diff(fn):
    f = px.jit(fn)
    expr, args = f.outputs[0], f.args
    for got, a in zip(f.grad().outputs, args):
        assert sympy.simplify(got - _almost_everywhere(sympy.diff(expr, a))) == 0
    hess = f.hessian().outputs
    for i, a in enumerate(args):
        for j, b in enumerate(args):
            want = _almost_everywhere(sympy.diff(expr, a, b))
            assert sympy.simplify(hess[i * len(args) + j] - want) == 0


def _almost_everywhere(expr):
    """sympy's derivative with Dirac deltas and the derivatives of floor/ceiling as 0, and
    ``sign(u)**2`` (d|u|'s sign met twice) as 1, as pyexpr differentiates."""
    jumps = (sympy.floor, sympy.ceiling)
    expr = expr.replace(lambda e: e.is_Pow and isinstance(e.base, sympy.sign) and e.exp == 2,
                        lambda e: sympy.S.One)
    return expr.replace(lambda e: isinstance(e, sympy.DiracDelta) or (
        isinstance(e, sympy.Derivative) and isinstance(e.expr, jumps)), lambda e: sympy.S.Zero)


def test_hessian_is_symmetric():
    hess = px.jit(U.gaussian).hessian()
    cells = np.array(hess.outputs, dtype=object).reshape(3, 3)
    assert all(cells[i, j] == cells[j, i] for i in range(3) for j in range(3))


def test_jacobian_rows_are_output_gradients():
    f = px.jit(U.calls_multi_output)
    pair = px.jit(U.helper_polar.__wrapped__)
    r, t = pair.args
    assert pair.jacobian().expr == sympy.ImmutableMatrix([[sympy.cos(t), -r * sympy.sin(t)],
                                                          [sympy.sin(t), r * sympy.cos(t)]])
    assert f.jacobian().out_shape == (1, 2)


# --- values against mpmath and finite differences ---------------------------------------------

@pytest.mark.parametrize("fn, domain", [
    (U.gaussian, {"x": (-2, 2), "mu": (-1, 1), "sigma": (0.5, 2)}),
    (U.rosenbrock, {"x": (-2, 2), "y": (-1, 3)}),
    (U.math_functions, {"x": (-2, 2)}),
    (U.newton_sqrt, {"a": (0.5, 4)}),
    (U.aliased_functions, {"x": (-2, 2)}),
], ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_and_hessian_against_mpmath(fn, domain, ref_call):
    f = px.jit(fn)
    grad, hess = f.grad(), f.hessian()
    n = len(f.args)
    rng = np.random.default_rng(2)
    for _ in range(3):
        point = [rng.uniform(lo, hi) for lo, hi in domain.values()]
        unit = [[int(k == i) for k in range(n)] for i in range(n)]
        want_g = [mp_partials(f, point, unit[i]) for i in range(n)]
        want_h = [[mp_partials(f, point, [a + b for a, b in zip(unit[i], unit[j])])
                   for j in range(n)] for i in range(n)]
        np.testing.assert_allclose(ref_call(grad, *point), want_g, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ref_call(hess, *point), want_h, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("case", [c for c in U.SUBSET if c[0] not in (U.piecewise_constant,)],
                         ids=lambda c: getattr(c[0], "__name__", "f"))
def test_first_derivatives_against_finite_differences(case, ref_call, central_diff, plain):
    fn, domain = case
    f = px.jit(fn)
    jac = f.jacobian()
    rng = np.random.default_rng(23)
    for _ in range(6):
        point = [rng.uniform(lo, hi) for lo, hi in domain.values()]
        if plain(fn, point) is None:
            continue
        got = np.asarray(ref_call(jac, *point)).reshape(-1, len(f.args))
        for i in range(len(domain)):
            fd, err = central_diff(fn, point, i)
            fd_far, _ = central_diff(fn, point, i, rel_step=1e-4)
            if np.any(abs(fd - fd_far) > 1e-3 * (1 + abs(fd))):
                continue                                     # a kink or jump within the step
            np.testing.assert_allclose(got[:, i], np.ravel(fd), rtol=1e-6,
                                       atol=float(np.max(err)) + 1e-9, err_msg=f"d/d{i} at {point}")


# --- piecewise-constant functions ------------------------------------------------------------

def test_piecewise_constant_derivatives_are_almost_everywhere_values():
    f = px.jit(U.piecewise_constant)     # floor(x)*y + sign(x)*y**2 + x % 1.5 + x // y + ceil(y)
    for g in (f.grad(), f.hessian(), f.diff("x", 3)):
        for out in g.outputs:
            assert not out.has(sympy.DiracDelta, sympy.Derivative, sympy.Subs)
    dx, dy = f.grad().outputs
    assert dx.is_Number and float(dx) == 1.0          # the x of Mod(1.0*x, 1.5)
    assert dy == sympy.floor(x) + 2 * y * sympy.sign(x)
    assert f.hessian().outputs == (0, 0, 0, 2 * sympy.sign(x))


def test_powers_of_a_base_that_is_zero_have_their_derivatives_there():
    """d(base**p) = p*base**(p - 1)*d(base) for a non-integer p: sympy's
    base**p*d(base)*p/base is 0/0 wherever the base is 0.  Where base**(p - 1) is
    infinite and a factor of the base free of the variable is 0, the power is 0 for
    every value of the variable: its derivative is 0, not inf*0."""
    root, cube = px.jit(lambda x, y: (x * y) ** 0.3), px.jit(lambda x, y: (x * y) ** 1.5)
    g = root.grad()
    assert g.outputs[0] == sympy.Piecewise((0, sympy.Eq(y, 0)), (0.3 * y * (x * y) ** -0.7, True))
    assert list(g(0.0, 0.0)) == [0.0, 0.0]          # (x*y)**0.3 is 0 along both axes
    assert list(g(2.0, 0.0))[0] == 0.0 and list(g(0.0, 1.0)) == [math.inf, 0.0]
    assert list(cube.grad()(0.0, 1.0)) == [0.0, 0.0] and list(cube.grad()(0.0, 0.0)) == [0.0, 0.0]
    for f in (root, cube):                          # and as before elsewhere
        for point in ((2.0, 3.0), (0.5, 7.0)):
            want = [float(sympy.diff(f.expr, v).subs({x: point[0], y: point[1]})) for v in (x, y)]
            np.testing.assert_allclose(list(f.grad()(*point)), want, rtol=1e-14)
    # the guard holds at one value of y: by y, the derivative is the other branch's
    # (f_x = 0.3*y*(x*y)**-0.7 grows without bound as y -> 0, its derivative is no 0)
    mixed = root.hessian()(1.0, 0.0)[0, 1]
    assert not np.isfinite(mixed), mixed
    assert root.hessian()(2.0, 3.0)[0, 1] == pytest.approx(
        float(sympy.diff(root.expr, x, y).subs({x: 2.0, y: 3.0})), rel=1e-13)
    # with a number and several factors in the base: the guard on the factors, its value's by them
    scaled = px.jit(lambda x, y, z: (2 * x * y * z) ** 0.5)
    assert scaled.grad().outputs[0].args[0].cond == sympy.Eq(y * scaled._symbol("z"), 0)
    assert list(scaled.grad()(1.0, 0.0, 3.0))[0] == 0.0
    assert not np.isfinite(scaled.hessian()(1.0, 0.0, 3.0)[0, 1])


def test_a_derivative_dividing_by_a_branch_that_is_zero_compiles():
    """d log(u)/dx = u'/u with u = Piecewise(..., (0, True)): sympy's 1/0 is zoo, numpy's inf."""
    f = px.jit(lambda x: math.log(2 * (math.cosh(x) if x > 2 else 0.0)) + x)
    g = f.grad()
    assert not g.outputs[0].has(sympy.zoo)
    assert g(3.0)[0] == pytest.approx(math.tanh(3.0) + 1, rel=1e-15) and np.isnan(g(1.0)[0])
    # -1/0 in a branch: sympy's zoo has lost the sign numpy's -inf has: nan, and so is its derivative
    h = px.jit(lambda x: -1.0 / (x if x > 1.5 else x - x))
    assert h.outputs[0].has(sympy.nan) and not h.outputs[0].has(sympy.zoo)
    assert np.isnan(h(1.0)) and np.isnan(h.grad()(1.0)[0]) and h(2.0) == -0.5


def test_mod_derivative_in_both_arguments():
    g = px.jit(U.modulo).grad()          # x % y = x - y*floor(x/y)
    assert g.outputs == (1, -sympy.floor(x / y))


def test_min_max_abs_derivatives_are_real_and_delta_free():
    f = px.jit(lambda x, y: max(x, y) + min(x * y, 1.0) + abs(x - y))
    for out in f.hessian().outputs:
        assert not out.has(sympy.DiracDelta, sympy.re, sympy.im, sympy.Derivative)
    dx = f.diff("x").expr
    assert dx == sympy.Heaviside(x - y) + y * sympy.Heaviside(1.0 - x * y) + sympy.sign(x - y)


def test_derivative_of_comparison_used_as_number(ref_call):
    g = px.jit(U.comparison_as_number).diff("x")
    assert ref_call(g, 2.0) == 1.0 and ref_call(g, -2.0) == 0.0


# --- simplify() ----------------------------------------------------------------------------

def test_simplify_returns_an_equivalent_simpler_formula(ref_call):
    f = px.jit(lambda x: sympy.sin(x) ** 2 + sympy.cos(x) ** 2 + x * (x + 1) - x * x)
    g = f.simplify()
    assert g.name == f.name and g.args == f.args and g.expr == x + 1
    assert ref_call(g, 0.3) == pytest.approx(ref_call(f, 0.3), rel=1e-15)


def test_simplify_keeps_multi_output_shape():
    g = px.jit(U.nested_tuple_return).simplify()
    assert g.out_shape == (2, 2)


# --- speed on shared subexpressions --------------------------------------------------------------

def test_derivatives_of_unrolled_iterations_stay_fast(ref_call, central_diff):
    # 8 Newton steps: a tree exponentially larger than its graph; sympy.diff took minutes
    f = px.jit(U.kepler)
    start = time.perf_counter()
    jac = f.jacobian()
    hess_e = f.diff("e", 2)
    elapsed = time.perf_counter() - start
    assert elapsed < 10
    point = [0.7, 0.3]
    fd, err = central_diff(U.kepler, point, 1)
    assert ref_call(jac, *point)[:, 1] == pytest.approx(np.ravel(fd), rel=1e-6, abs=1e-9)
    assert np.all(np.isfinite(ref_call(hess_e, *point)))


def test_hessian_of_a_10_argument_function_is_fast(capsys, ref_call):
    f = px.jit(U.ten_args)
    start = time.perf_counter()
    hess = f.hessian()
    elapsed = time.perf_counter() - start
    with capsys.disabled():
        print(f"\n[timing] hessian() of a 10-argument function: {elapsed * 1e3:.1f} ms")
    assert elapsed < 30                      # the issue wants under a few seconds
    point = np.linspace(0.1, 1.0, 10)
    values = ref_call(hess, *point)
    assert values.shape == (10, 10) and np.allclose(values, values.T)


def _bell(x, y):
    return x * x * y + 3.0 * y


def _other_bell(x, y):
    return x * y * y


def test_derivatives_are_made_once_per_formula_and_arguments():
    """scipy's loops ask for jac=f.grad() again and again: the same formula comes back;
    another choice of arguments is another derivative; a redefinition forgets them."""
    f = px.jit(_bell)
    assert f.grad() is f.grad() and f.hessian() is f.hessian() and f.diff("x", 2) is f.diff("x", 2)
    assert f.grad(wrt="x") is not f.grad() and f.grad(wrt=["x", "y"]) is f.grad(wrt=("x", "y"))
    assert f.jacobian(wrt=("y",)).out_shape == (1, 1)
    with pytest.raises(ValueError, match="2.0 is not an argument"):
        f.diff("x", 2.0)                 # not the same as diff("x", 2), made above
    old = f.grad()
    f._become(px.jit(_other_bell))
    assert f.grad() is not old and f.grad()(2.0, 3.0).tolist() == [9.0, 12.0]
    again = pickle.loads(pickle.dumps(f))
    assert again.grad()(2.0, 3.0).tolist() == [9.0, 12.0]


def test_a_variable_power_and_a_power_of_abs_have_their_derivatives_where_the_base_is_zero():
    """d(b**p) with p a variable was b**p*(p*db/b + ...): 0/0 where b is 0; and d|u|**q's
    sign(u) met a second sign(u) as sign(u)**2, 0 at u = 0: the Brown function's gradient
    was nan and its Hessian 0 at x = 0, an optimizer's usual start (both are 0 and 2)."""
    import optimization_functions as library
    f = px.jit(U.power_of_a_square)
    assert list(f.grad()(0.0, 0.0)) == [0.0, 0.0]
    np.testing.assert_array_equal(f.hessian()(0.0, 0.0), [[2.0, 0.0], [0.0, 0.0]])
    x, y = sympy.symbols("x y", real=True)
    exact = (x**2) ** (y**2 + 1)
    for point in ((0.3, -0.7), (-1.2, 0.4)):
        at = {x: point[0], y: point[1]}
        want = [float(sympy.diff(exact, v).subs(at)) for v in (x, y)]
        np.testing.assert_allclose(list(f.grad()(*point)), want, rtol=1e-13)
        np.testing.assert_allclose(f.hessian()(*point),
                                   [[float(sympy.diff(exact, a, b).subs(at)) for b in (x, y)] for a in (x, y)],
                                   rtol=1e-12)
    brown = px.jit(library.brown)
    np.testing.assert_array_equal(brown.grad()(np.zeros(3)), np.zeros(3))
    np.testing.assert_array_equal(brown.hessian()(np.zeros(3)), np.diag([2.0, 4.0, 2.0]))
    powers = px.jit(library.sum_powers)                      # |x_i|**(i + 2)
    np.testing.assert_array_equal(powers.hessian()(np.zeros(3)), np.diag([2.0, 0.0, 0.0]))
    # d|u|'s sign met by a sign(u) of the other factors is 1; a sign(u)**2 the code wrote stays
    assert px.jit(U.kinked_power).hessian()(0.0)[0, 0] == 3.75     # (|x| + 1)**-1.5
    odd = px.jit(U.odd_cube)                                        # sign(x)*|x|**3 = x**3
    assert list(odd.grad()(0.0)) == [0.0] and odd.hessian()(-0.7)[0, 0] == pytest.approx(-4.2, rel=1e-15)
    masked = px.jit(U.masked_square)                                # sign(x)**2*y**2: 0 at x = 0
    assert list(masked.grad()(0.0, 1.0)) == [0.0, 0.0]
    np.testing.assert_array_equal(masked.hessian()(0.0, 1.0), np.zeros((2, 2)))
    assert list(masked.grad()(2.0, 3.0)) == [0.0, 6.0]
