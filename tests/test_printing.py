"""Printing: golden text for str, LaTeX, pretty and python_source; python_source runs.

The golden strings pin the exact output for small formulas.  ``python_source``
is also executed for every subset function and its gradient and compared with
the formula at random points (the corpus cases are in ``test_corpus``).
"""
import math

import numpy as np
import pytest

import pyexpr as px
import user_functions as U


@pytest.fixture(scope="module")
def small():
    return px.jit(U.small)


@pytest.fixture(scope="module")
def rosen():
    return px.jit(U.rosenbrock)


def test_str(small, rosen):
    assert str(small) == "small(x, y) = x*sin(y)"
    assert repr(small) == "<pyexpr.Formula small(x, y) = x*sin(y)>"
    assert str(px.jit(U.tuple_return)) == "tuple_return(x, y) = (x + y, x*y)"
    assert str(rosen.grad()) == "grad_rosenbrock(x, y) = (-400*x*(-x**2 + y) + 2*x - 2, -200*x**2 + 200*y)"
    assert str(rosen.hessian()) == ("hessian_rosenbrock(x, y) = "
                                    "Matrix([[1200*x**2 - 400*y + 2, -400*x], [-400*x, 200]])")
    assert str(px.jit(U.if_elif_else_returns)) == (
        "if_elif_else_returns(x) = Piecewise((-x, x < -1), (x**2, x < 1), (2*x - 1, True))")


def test_latex(small, rosen):
    assert small.latex() == r"\operatorname{small}\left(x, y\right) = x \sin{\left(y \right)}"
    assert small._repr_latex_() == "$\\displaystyle " + small.latex() + "$"
    assert px.jit(U.gaussian).latex() == (
        r"\operatorname{gaussian}\left(x, \mu, \sigma\right) = \frac{\sqrt{2} "
        r"e^{- \frac{\left(- \mu + x\right)^{2}}{2 \sigma^{2}}}}{2 \sqrt{\pi} \sigma}")
    assert rosen.diff("x", 2).latex() == (r"\frac{\partial^{2} \operatorname{rosenbrock}}"
                                          r"{\partial x^{2}}\left(x, y\right) = 1200 x^{2} - 400 y + 2")
    assert rosen.hessian().latex() == (
        r"H_{\operatorname{rosenbrock}}\left(x, y\right) = \left[\begin{matrix}"
        r"1200 x^{2} - 400 y + 2 & - 400 x\\- 400 x & 200\end{matrix}\right]")
    assert px.jit(U.tuple_return).latex() == (
        r"\operatorname{tuple\_return}\left(x, y\right) = \left( x + y, \  x y\right)")


def test_latex_of_one_letter_and_greek_names():
    import sympy
    a = sympy.Symbol("a", real=True)
    assert px.from_sympy(a**2, [a], name="f").latex() == r"f\left(a\right) = a^{2}"
    assert px.from_sympy(a**2, [a], name="phi_1").latex() == r"\phi_{1}\left(a\right) = a^{2}"
    assert px.from_sympy(a**2, [a], name="f").diff("a").latex() == (
        r"\frac{\partial f}{\partial a}\left(a\right) = 2 a")


def test_pretty(small, rosen):
    assert small.pretty() == "small(x, y) = x⋅sin(y)"
    assert rosen.grad().pretty() == (
        "                        ⎛        ⎛   2    ⎞                   2        ⎞\n"
        "grad_rosenbrock(x, y) = ⎝- 400⋅x⋅⎝- x  + y⎠ + 2⋅x - 2, - 200⋅x  + 200⋅y⎠")
    assert rosen.hessian().pretty() == (
        "                           ⎡      2                    ⎤\n"
        "                           ⎢1200⋅x  - 400⋅y + 2  -400⋅x⎥\n"
        "hessian_rosenbrock(x, y) = ⎢                           ⎥\n"
        "                           ⎣      -400⋅x          200  ⎦")


def test_python_source_golden(small, rosen):
    assert small.python_source == (
        "import math\n\n\ndef small(x, y):\n    return x * math.sin(y)\n")
    assert rosen.grad().python_source == (
        "import math\n\n\n"
        "def grad_rosenbrock(x, y):\n"
        "    _t0 = x * x\n"
        "    return -400 * x * (-_t0 + y) + 2 * x - 2, -200 * _t0 + 200 * y\n")
    assert px.jit(U.with_defaults).python_source == (
        "import math\n\n\ndef with_defaults(x, a=2.0, b=3):\n    return a * x + b\n")


def test_python_source_branches_are_statements():
    # each branch computes its own subexpressions, only where it is taken
    assert px.jit(U.if_elif_else_returns).python_source == (
        "import math\n\n\n"
        "def if_elif_else_returns(x):\n"
        "    if x < -1:\n"
        "        _t0 = -x\n"
        "    elif x < 1:\n"
        "        _t0 = x * x\n"
        "    else:\n"
        "        _t0 = 2 * x - 1\n"
        "    return _t0\n")


def test_python_source_does_not_evaluate_untaken_branches():
    f = px.jit(lambda z: np.sqrt(1 - z * z) if z < 1 else np.sqrt(z * z - 1))
    ns = {}
    exec(f.python_source, ns)
    assert ns["f"](0.6) == pytest.approx(0.8) and ns["f"](1.25) == pytest.approx(0.75)


def test_python_source_uses_only_math():
    source = px.jit(U.more_functions).grad().python_source
    names = {line.split()[1] for line in source.splitlines() if line.startswith("import")}
    assert names == {"math"} and "numpy" not in source and "sympy" not in source


def test_python_source_reports_functions_math_lacks():
    import sympy
    k = sympy.Symbol("k", real=True)
    f = px.from_sympy(sympy.polygamma(1, k), [k])
    with pytest.raises(px.LoweringError, match="polygamma"):
        f.python_source


@pytest.mark.parametrize("case", U.SUBSET, ids=lambda c: getattr(c[0], "__name__", "f"))
def test_python_source_agrees_with_the_formula(case, ref_call, sample, check_source):
    fn, domain = case
    f = px.jit(fn)
    rng = np.random.default_rng(17)
    derivative = f.jacobian() if f.out_shape else f.grad()
    for formula in (f, derivative):
        points = [sample(domain, rng) for _ in range(10)]
        check_source(formula, points, ref_call, rtol=1e-11, atol=1e-11)


def kepler(M, e):
    """Newton's method unrolled: each step uses the last one four times, so the
    formula written out has about 4^12 * 5 nodes (81 million) but 122 distinct ones."""
    E = M
    for _ in range(12):
        E = E - (E - e * math.sin(E) - M) / (1 - e * math.cos(E))
    return E


def test_sizes_count_shared_subexpressions_once():
    import sympy
    from pyexpr.dag import sizes
    x = sympy.Symbol("x")
    s = sympy.sin(x)
    assert sizes(x) == (1, 1)
    assert sizes(s * s + s) == (7, 5)        # Add(Pow(sin(x), 2), sin(x)): sin(x) twice


def test_unrolled_loops_print_with_shared_subexpressions_named():
    f = px.jit(kepler)
    text = str(f)
    assert len(text) < 2000 and text.startswith("kepler(M, e) = ") and "\n  where\n    t0 = " in text
    # the printed steps, run in order, give the compiled formula's value and Newton's
    head, _, steps = text.partition("\n  where\n")
    values = {"M": 0.3, "e": 0.5, "sin": math.sin, "cos": math.cos}
    for line in steps.splitlines():
        name, _, value = line.strip().partition(" = ")
        values[name] = eval(value, {}, values)
    printed = eval(head.partition(" = ")[2], {}, values)
    assert printed == pytest.approx(f(0.3, 0.5), rel=1e-14) == pytest.approx(kepler(0.3, 0.5), rel=1e-14)
    assert f.latex().startswith(r"\begin{aligned}\operatorname{kepler}\left(M, e\right) &= ")
    assert r"\text{where}" in f.latex() and "t_{0} &= " in f.latex()
    assert f.pretty().splitlines()[1] == "where" or "\nwhere\n" in f.pretty()


def test_shared_names_avoid_the_arguments():
    import sympy
    t, u = sympy.symbols("t u", real=True)
    expr = t
    for _ in range(8):
        expr = expr - (expr * sympy.sin(expr) - u) / (2 * expr + sympy.cos(expr))
    text = str(px.from_sympy(expr, [t, u], name="g"))
    assert "\n  where\n    w0 = " in text


def test_from_sympy_checks_symbols_by_sympys_rules():
    import sympy
    from pyexpr.errors import PyExprError
    x, y = sympy.symbols("x y", real=True)
    with pytest.raises(PyExprError, match="not arguments: A"):
        px.from_sympy(sympy.MatrixSymbol("A", 2, 2)[0, 0] + x, [x])
    limit = sympy.Limit(sympy.sin(x * y) / y, y, 0)       # y is bound
    assert px.from_sympy(limit + x, [x]).args == (x,)


def test_printed_names_read_back_as_text():
    """Every name pyexpr prints that sympy lacks is one from_sympy's text may call."""
    text = ("expm1(x) + log1p(x) + hypot(x, y) + exp2(x) + log2(y) + log10(y) + softplus(x) "
            "+ sigmoid(x) + logit(y/4) + log1mexp(-y) + logaddexp(x, y, 1) + xlogy(x, y) "
            "+ xlog1py(x, y) + erfcx(x) + derfcx(x) + log_erfc(x) + fdim(x, y) + trunc(x)")
    f = px.from_sympy(text, ["x", "y"])
    again = px.from_sympy(str(f.expr), ["x", "y"])
    assert again.expr == f.expr
    assert again(0.3, 1.5) == f(0.3, 1.5)


@pytest.mark.parametrize("name", ["floor", "ceiling", "trunc"])
def test_python_source_rounds_as_c_does(name):
    """-0 stays -0 (math.floor gives an int), and inf and nan pass through (it raises)."""
    f = px.from_sympy(f"{name}(x)", ["x"])
    namespace = {}
    exec(f.python_source, namespace)
    for v in (-0.0, -0.5, 0.5, -1.5, 2.0, math.inf, -math.inf, math.nan):
        printed, compiled = namespace["f"](v), f(np.array([v]))[0]
        assert np.float64(printed).tobytes() == np.float64(compiled).tobytes(), (v, printed, compiled)


def _huge_constant(x, y):
    return math.tanh(x) if math.gamma(math.floor(1e5)) <= y ** 1.5 / 0.1 else math.erf(x * y)


def test_an_exact_number_beyond_the_floats_prints_as_the_infinity_it_computes_as():
    """gamma(floor(1e5)) is an exact integer of 456,570 digits, which no printer converts
    (Python refuses str() of it): it is the infinity the compiled code computes."""
    f = px.jit(_huge_constant)
    assert "oo" in str(f) and r"\infty" in f.latex()
    assert f(0.5, 2.0) == pytest.approx(math.erf(1.0), rel=1e-15)
    assert f(0.5, math.inf) == pytest.approx(math.tanh(0.5), rel=1e-15)     # inf <= inf
    assert "inf" in f.python_source


def test_functions_printed_as_other_expressions_parenthesize_as_those():
    """pyexpr's functions that print as another expression (a kept product, a held value,
    an extreme's weight) are parenthesized as that expression inside powers, quotients and
    negations, in every printer; and LaTeX prints powers of each function pyexpr
    defines (its printer hands a function's ``_latex`` the exponent)."""
    import sympy
    from pyexpr.extremes import Held
    from pyexpr.functions import cbrt, product
    from pyexpr.stability.functions import sigmoid
    a, b, c = sympy.symbols("a b c", positive=True)
    kept = product(a + 1, sympy.sin(b))
    point = {a: 0.7, b: 1.3, c: 2.1}
    for expr in (kept**2, 1 / kept, c / kept, kept**c, -kept, Held(a + b)**2, c / Held(a - b)):
        read = sympy.sympify(sympy.sstr(expr), locals={"a": a, "b": b, "c": c})
        exact = expr.replace(lambda e: isinstance(e, (product, Held)), lambda e: e.printed_as())
        assert float(read.xreplace(point)) == pytest.approx(float(exact.xreplace(point)), rel=1e-14), expr
    assert sympy.latex(kept**2) == r"\left(\left(a + 1\right) \sin{\left(b \right)}\right)^{2}"
    assert sympy.latex(cbrt(a)**2) == r"\left(\sqrt[3]{a}\right)^{2}"
    assert sympy.latex(sigmoid(a)**2) == r"\left(\sigma\left(a\right)\right)^{2}"
    assert sympy.latex(Held(a + b)**2) == r"\left(a + b\right)^{2}"
    assert sympy.pretty(kept**2, use_unicode=False) == "                2\n((a + 1)*sin(b)) "
