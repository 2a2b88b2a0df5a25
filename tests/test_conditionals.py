"""numpy-style conditionals (``np.where``, ``np.select``, ``np.piecewise``, ``&``/``|``/``~``,
``np.logical_*``) mean what numpy computes, with the semantics of ``if``.

Each formula is compiled and compared with numpy running the undecorated
function on arrays that include the points where a branch not taken is nan.
"""
import math

import numpy as np
import pytest

import pyexpr as px

XS = np.array([-3.0, -1.0, -0.0, 0.0, 0.25, 0.5, 1.0, 2.0, 2.5, 3.0, 3.5, 5.0, 6.0, np.inf, -np.inf])


def where_relu(x):
    return np.where(x > 0, x, 0.0)


def where_sqrt(x):
    return np.where(x >= 0, np.sqrt(x), -x)         # the branch not taken is nan for x < 0


def where_nested(x, y):
    return np.where((x > 0) & (y > 0), x * y, np.where((x < 0) | ~(y < 2), x - y, 1.0))


def select_first_wins(x, y):
    return np.select([x < 0, x < 1, (x > 5) & (y > 0)], [-x, x**2, y], default=np.sqrt(np.abs(x)))


def select_default_zero(x):
    return np.select([x < 0, x > 2], [x, 2 * x])


def piecewise_last_wins(x):
    return np.piecewise(x, [x < 0, x > 2, x > 3], [lambda t: -t, np.sin, 7.0, lambda t: t**2])


def piecewise_no_otherwise(x):
    return np.piecewise(x, [x < 1, x >= 1], [np.cos, lambda t: t - 1])


def piecewise_one_condition(x):
    return np.piecewise(x, x > 0, [np.exp])


def logical(x, y):
    return np.where(np.logical_and(x > -1, np.logical_not(np.logical_or(y > 4, x == 2))), 1.0, -1.0) \
        + np.where(np.logical_xor(x > 0, y > 0), 10.0, 0.0)


def _numpy_value(fn, *args):
    with np.errstate(all="ignore"):
        return np.asarray(fn(*args), float)


CASES = [(where_relu, 1), (where_sqrt, 1), (where_nested, 2), (select_first_wins, 2),
         (select_default_zero, 1), (piecewise_last_wins, 1), (piecewise_no_otherwise, 1),
         (piecewise_one_condition, 1), (logical, 2)]


@pytest.mark.llvm
@pytest.mark.parametrize("fn, arity", CASES, ids=[c[0].__name__ for c in CASES])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_compiled_conditionals_agree_with_numpy(fn, arity, dtype):
    f = px.jit(fn, dtype=dtype)
    args = [XS] if arity == 1 else [XS[:, None], np.array([-1.0, 0.0, 1.5, 2.0, 3.0, 5.0, 0.26])]
    args = [a.astype(dtype) for a in args]
    want = _numpy_value(fn, *args)
    got = f(*args)
    np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == "float32" else 1e-14, atol=0,
                               err_msg=f"{fn.__name__} {dtype}")
    scalar = [float(a.flat[3]) for a in args]
    assert f(*scalar) == pytest.approx(float(np.asarray(_numpy_value(fn, *scalar))), rel=1e-6)


def test_where_is_the_same_formula_as_if_else():
    def with_if(x):
        if x >= 0:
            return math.sqrt(x)
        return -x
    assert px.jit(where_sqrt).expr == px.jit(with_if).expr
    assert px.jit(where_sqrt).diff("x").expr == px.jit(with_if).diff("x").expr


def test_derivatives_go_through_the_branches():
    g = px.jit(select_first_wins).grad()
    assert g(-2.0, 1.0).tolist() == [-1.0, 0.0]
    assert g(0.5, 1.0).tolist() == [1.0, 0.0]
    assert g(6.0, 1.0).tolist() == [0.0, 1.0]
    assert g(3.0, 1.0)[0] == pytest.approx(0.5 / math.sqrt(3.0)) and g(3.0, 1.0)[1] == 0.0


def test_a_number_beside_a_tuple_is_repeated_as_numpy_broadcasts():
    def pair(x):
        return np.where(x > 0, (x, 1.0), 0.0)

    def chosen(x):
        return np.select([x > 0], [(x, 2.0 * x)])
    assert px.jit(pair)(2.0).tolist() == [2.0, 1.0] and px.jit(pair)(-2.0).tolist() == [0.0, 0.0]
    assert px.jit(chosen)(3.0).tolist() == [3.0, 6.0] and px.jit(chosen)(-3.0).tolist() == [0.0, 0.0]


NAN = __import__("sympy").nan


def test_sympy_constants_are_numbers():
    import sympy
    assert str(px.jit(lambda x: x + sympy.pi + sympy.E)) == "f(x) = x + E + pi"
    assert math.isnan(px.jit(lambda x: x + NAN)(1.0))


def test_a_relation_sympy_flips_at_each_canonical_is_kept_as_a_difference():
    import sympy
    from pyexpr.dag import steady
    x = sympy.Symbol("x", real=True)
    flips = sympy.Lt(1.9 * x + 3 * sympy.sqrt(3), -sympy.oo + 1 / sympy.sqrt(-x))
    assert flips.canonical.canonical == flips          # sympy's form alternates
    kept = steady(flips)
    assert kept.canonical.canonical == kept.canonical
    assert steady(x < 2) == (x < 2)                    # a relation with one canonical form stays
    # the difference's sign is the relation's for every pair of floats, infinities included
    values = [-np.inf, -1e308, -1.0, -0.0, 0.0, 2.0, 1e308, np.inf]
    with np.errstate(all="ignore"):
        assert all(bool(np.float64(u) - np.float64(v) < 0) == (u < v) for u in values for v in values)


def test_a_comparison_lifts_a_piecewise_itself_where_sympy_s_fold_recurses(monkeypatch):
    """sympy's piecewise_fold of a Min of a Piecewise whose conditions are Ors of
    relations rebuilt itself until the recursion limit (fuzz56233 of a long run):
    the comparison then lifts the Piecewise itself, as for a fold that raises."""
    import ast
    import sympy
    from pyexpr.ast_rewrite import comparisons
    x, y = sympy.symbols("x y", real=True)
    side = 2 * sympy.Piecewise((x, x > 0), (y, True))
    expected = comparisons.compare(ast.LtE(), side, sympy.Float(1.0))

    def recursing(expr):
        raise RecursionError("maximum recursion depth exceeded")
    monkeypatch.setattr(comparisons.sympy, "piecewise_fold", recursing)
    got = comparisons.compare(ast.LtE(), side, sympy.Float(1.0))
    point = {x: 0.25, y: 3.0}, {x: -1.0, y: 0.25}, {x: 2.0, y: 0.0}
    assert [bool(got.subs(p)) for p in point] == [bool(expected.subs(p)) for p in point] == [True, True, False]


def test_a_comparison_with_sympy_s_bounds_of_cos_oo_is_nan_s():
    """cos(cosh(1e5)) is sympy's AccumBounds(-1, 1) (numpy's cos(inf): nan); compared
    with a product sympy cannot order, sympy raised "Invalid comparison" at decoration
    (fuzz64165 of a long run): it compares as nan does."""
    import ast
    import sympy
    from sympy.calculus.accumulationbounds import AccumBounds
    from pyexpr.ast_rewrite import comparisons
    x = sympy.Symbol("x", real=True)
    side = x * (sympy.Float(-0.887537083981715) + 4.0 * sympy.log(x, 10) / x) * (x - sympy.Float(1.75))
    assert comparisons.compare(ast.Lt(), side, AccumBounds(-1, 1)) == sympy.false
    assert comparisons.compare(ast.NotEq(), AccumBounds(-1, 1), side) == sympy.true
