"""sympy's automatic evaluations, measured over the function table: none may make a
value less accurate than the formula as written.

For every one-argument function pyexpr understands and a set of argument shapes
(``-x``, ``x + c``, ``c - x``, ``2*x``, ``1/x``, ...), the function is built as
the front end builds it (sympy evaluating) and unevaluated; where the two differ,
both are compiled (the written one with ``simplify=False``, computed as written)
and compared with the exact value of the written one (mpmath) on ordinary, tiny,
huge and edge points.  The evaluated form may not be worse than 4 ULP and 4 times
the written form's error anywhere.  Found and prevented this way: ``erfc(-x)`` ->
``2 - erfc(x)``, ``acos(-x)`` -> ``pi - acos(x)``, ``exp(x - 1.0)`` ->
``0.3679*exp(x)`` (inf from x = 709.8), ``expm1(x - 1.0)`` -> ``0.3679*exp(x) - 1``,
and ``degrees(x - 1.0)`` -> ``(180*x - 180)/pi``.  ``floor(2.0 - y)`` -> ``floor(-y) + 2``
is exact over the reals but not what the code computes (1 at y = 1e-300, where
``2.0 - y`` is 2.0): floor and ceiling keep their sums too (``test_the_issues_points``).
"""
import math

import numpy as np
import pytest
import sympy
from sympy.core.parameters import evaluate

import pyexpr as px
from pyexpr.ast_rewrite.names import _ENTRIES
from pyexpr.ulp import exact_values, ulps

X = sympy.Symbol("x", real=True)
SHAPES = {"-x": lambda: -X, "x + 1.5": lambda: X + 1.5, "x - 1.0": lambda: X - 1.0,
          "2.5 - x": lambda: 2.5 - X, "2*x": lambda: 2 * X, "x/2": lambda: X / 2,
          "x + 2": lambda: X + 2, "3 - x": lambda: 3 - X, "x + pi": lambda: X + sympy.pi,
          "1/x": lambda: 1 / X, "x**2": lambda: X**2, "-x - 1.0": lambda: -X - 1.0}


def _points():
    rng = np.random.default_rng(0)
    tiny_to_big = np.sign(rng.uniform(-1, 1, 120)) * 10 ** rng.uniform(-300, 3, 120)
    edges = [1e-300, -1e-300, 1e-17, 709.5, 710.5, -745.0, 1.0 + 1e-12, 0.5, 2.5, 2.0, 3.0]
    return np.concatenate([rng.uniform(-5, 5, 120), tiny_to_big, edges])


def _pairs():
    """``(name, shape, written, evaluated)`` wherever sympy's evaluation changes the form."""
    for builder, names in _ENTRIES:
        for shape, make in SHAPES.items():
            try:
                with evaluate(False):
                    written = builder(make())
                evaluated = builder(make())
            except (TypeError, ValueError):
                continue            # a function of more arguments
            if isinstance(written, sympy.Expr) and written.free_symbols == {X} and \
                    sympy.srepr(written) != sympy.srepr(evaluated):
                yield names[0], shape, written, evaluated


PAIRS = list(_pairs())


def test_the_table_has_evaluations_to_measure():
    assert len(PAIRS) > 30, [p[:2] for p in PAIRS]


@pytest.mark.parametrize("name, shape, written, evaluated", PAIRS,
                         ids=[f"{n}({s})" for n, s, _, _ in PAIRS])
def test_no_evaluation_loses_accuracy(name, shape, written, evaluated):
    points = _points()
    with np.errstate(all="ignore"):
        exact = exact_values(written, (X,), {"x": points})
        ours = px.from_sympy(evaluated, ["x"], stable=False)(points)
        as_written = px.from_sympy(written, ["x"], simplify=False)(points)
    ok = np.isfinite(exact)
    ours_err, written_err = ulps(ours[ok], exact[ok]), ulps(as_written[ok], exact[ok])
    worse = ours_err > np.maximum(4, 4 * written_err)
    assert not worse.any(), (f"{name}({shape}): {written} is evaluated to {evaluated}, which at "
                             f"x = {points[ok][worse][:3]} is {ours_err[worse][:3]} ULP off "
                             f"(as written: {written_err[worse][:3]})")


#: inner functions whose compositions sympy evaluates (``sin(atan(x))`` -> ``x/sqrt(x**2 + 1)``)
INVERSES = {"atan": sympy.atan, "asin": sympy.asin, "acos": sympy.acos, "asinh": sympy.asinh,
            "acosh": sympy.acosh, "atanh": sympy.atanh, "exp": sympy.exp, "log": sympy.log}


def _compositions():
    for builder, names in _ENTRIES:
        for inner_name, inner in INVERSES.items():
            try:
                with evaluate(False):
                    written = builder(inner(X))
                evaluated = builder(inner(X))
            except (TypeError, ValueError):
                continue
            if isinstance(written, sympy.Expr) and written.free_symbols == {X} and \
                    sympy.srepr(written) != sympy.srepr(evaluated):
                yield f"{names[0]}({inner_name}(x))", written, evaluated


def test_no_evaluated_composition_loses_accuracy():
    """A function of an inverse function, as pyexpr computes it, is as accurate as the
    composition written, at every magnitude and at +-inf: where sympy's form is a ratio
    of two values that both overflow (``sin(atan(x))``, ``tanh(asinh(x))`` as
    ``x/sqrt(x**2 + 1)``, nan at inf), pyexpr keeps the composition
    (``stability.functions``); the square roots of the others are ``hypot``s."""
    rng = np.random.default_rng(1)
    points = np.concatenate([rng.uniform(-5, 5, 30),
                             np.sign(rng.uniform(-1, 1, 60)) * 10 ** rng.uniform(-300, 150, 60),
                             [1e150, -1e150, 1e300, -1e300, np.inf, -np.inf, 1e-300, 0.5, 1.0, -1.0,
                              1 + 1e-6]])
    compositions = list(_compositions())
    assert len(compositions) > 40 and any(n == "math.cos(atan(x))" for n, _, _ in compositions)
    for name, written, evaluated in compositions:
        with np.errstate(all="ignore"):
            exact = exact_values(written, (X,), {"x": points})
            ours = px.from_sympy(evaluated, ["x"])(points)
            as_written = px.from_sympy(written, ["x"], simplify=False)(points)
        ok = np.isfinite(exact)
        ours_err, written_err = ulps(ours[ok], exact[ok]), ulps(as_written[ok], exact[ok])
        worse = ours_err > np.maximum(4, 4 * written_err)
        assert not worse.any(), (f"{name} is evaluated to {evaluated}, which at x = "
                                 f"{points[ok][worse][:3]} is {ours_err[worse][:3]} ULP off")


def test_the_issues_points():
    """exp(x - 1.0) is finite up to 710.8; expm1(y - 1.0) keeps its digits near 1."""
    f = px.from_sympy("exp(x - 1.0)", ["x"])
    assert f(710.5) == pytest.approx(np.exp(709.5), rel=1e-15)
    def g(y):
        return math.expm1(y - 1.0)
    formula = px.jit(g)
    assert str(formula) == "g(y) = expm1(y - 1.0)"
    y = 1.0 + 1e-10
    assert formula(y) == pytest.approx(g(y), rel=1e-15)           # was 5e-10 off

    def h(y):
        return math.floor(2.0 - y) + math.ceil(y - 3.0)
    stepped = px.jit(h)
    assert str(stepped) == "h(y) = ceiling(y - 3.0) + floor(2.0 - y)"    # not floor(-y) + 2
    for y in (1e-300, -1e-300, 0.5, 2.0, 3.0):
        assert stepped(y) == h(y) and stepped(np.array([y]))[0] == h(y)


def test_the_derivative_of_a_root_stays_in_range():
    """d sqrt(g) is g'/(2*sqrt(g)), not sqrt(g)*g'/g (whose g overflows where the value is
    1e150): each point's value is finite and within two ulps of the closed form."""
    def scaled(x):
        return math.sqrt(1e300 * x)

    def cubed(x):
        return math.sqrt(x**3)

    def spread(x, y):
        return math.sqrt(x * x * 1e290 + y)
    cases = ((scaled, lambda x: 0.5e150 / math.sqrt(x), [1.0, 1e-300, 1e8, 3.0]),
             (cubed, lambda x: 1.5 * math.sqrt(x), [1e100, 1e-100, 2.0]))
    for fn, exact, points in cases:
        d = px.jit(fn).grad()
        for x in points:
            assert d(x)[0] == pytest.approx(exact(x), rel=4.5e-16), (fn.__name__, x)
            assert d(np.array([x, 1.0]))[0][0] == pytest.approx(exact(x), rel=4.5e-16)
    d = px.jit(spread).grad()
    np.testing.assert_allclose(d(1e5, 1.0), [1e145, 0.5e-150], rtol=4.5e-16)


def test_powers_gathered_from_products_stay_in_range():
    """sympy writes ``z/(x/z)`` as ``z**2/x`` and ``-(z*(x*z))`` as ``-x*z**2``: the
    square alone overflows (inf at z = 1e200, where the value is 1e100) or underflows
    (-0.0 where the value is -1e-100); pyexpr multiplies in one z at a time."""
    def quotient(x, z):
        return z / (x / z)

    def product(x, z):
        return -(z * (x * z))

    def cubic(x, z):
        return z * (z * (z / x))
    cases = ((quotient, "z**2/x", [(1e300, 1e200), (1e-300, 1e-200), (1e200, 1e200), (3.0, 2.0)]),
             (product, "-x*z**2", [(1e300, 1e-200), (1e-300, 1e200), (2.0, 3.0), (-0.0, 1.0)]),
             (cubic, "z**3/x", [(1e300, 1e150), (1e-300, 1e-150), (7.0, 3.0)]))
    for f, printed, points in cases:
        formula = px.jit(f)
        assert str(formula).endswith(printed)
        for x, z in points:
            want = f(x, z)
            assert formula(x, z) == pytest.approx(want, rel=4e-16), (printed, x, z)
            assert formula(np.array([x, 1.0]), z)[0] == pytest.approx(want, rel=4e-16)
            assert math.copysign(1, formula(x, z)) == math.copysign(1, want)
    def squared(y):
        return ((-y) * math.erfc(y)) ** 2
    gathered = px.jit(squared)                     # y**2*erfc(y)**2: inf*0 at y = 1e300
    assert str(gathered).endswith("y**2*erfc(y)**2") and gathered(1e300) == 0.0
    assert gathered(3.0) == pytest.approx(squared(3.0), rel=4e-16)
    def ratio(x):
        return ((1e5 + min(10.0, x)) * (1e-3 / x)) ** -2
    squares = px.jit(ratio)                     # 1e6*x**2/(Min(10.0, x) + 1e5)**2: inf/inf
    assert squares(-1e300) == pytest.approx(1e6, rel=1e-15)
    assert squares(3.0) == pytest.approx(ratio(3.0), rel=4e-16)
    assert px.from_sympy("x**3/y**3", ["x", "y"])(1e200, 1e200) == 1.0
    mixed = px.from_sympy("y**2*z**2/x", ["x", "y", "z"])    # y/x would overflow: divided last
    assert mixed(5e-310, 1.5, 0.0) == 0.0 and mixed(2.0, 3.0, 5.0) == 112.5
    points = np.linspace(1.0, 2.0, 500)
    for constant in (sympy.pi**2, sympy.exp(2), (1 + sympy.sqrt(2))**3):     # one rounding
        scaled = px.from_sympy(constant * X, ["x"])
        assert ulps(scaled(points), exact_values(constant * X, (X,), {"x": points})).max() <= 1
    small = px.jit(quotient, dtype="float32")
    assert small(np.float32(1e30), np.float32(1e25)) == pytest.approx(1e20, rel=1e-6)


def test_the_kept_forms_are_sympys_functions():
    """pyexpr's exp, expm1, erfc and acos differ from sympy's by one evaluation only:
    they compare equal, hash alike, and are instances of sympy's classes."""
    from pyexpr import functions as pf
    from pyexpr.stability import functions as kept
    for ours, theirs in ((kept.exp, sympy.exp), (kept.expm1, pf.expm1),
                         (kept.erfc, sympy.erfc), (kept.acos, sympy.acos)):
        a, b = ours(X**2), theirs(X**2)
        assert a == b and b == a and hash(a) == hash(b) and isinstance(a, theirs)
        assert ours(X) != theirs(X + 1)
    assert px.jit(lambda x: math.exp(-x * x)).expr == sympy.exp(-X**2)
    assert kept.exp(X - 1.0) != sympy.exp(X - 1.0)         # sympy's is 0.3679*exp(x)
