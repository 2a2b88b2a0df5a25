"""Random sympy expressions, compiled, against the reference interpreter.

Expressions mix arithmetic, integer and real powers, functions and
Piecewise; inputs mix ordinary values with nan, +-inf and +-0.  Arithmetic
is IEEE-identical in both; libm functions may differ by a few ulps between
numpy, the C library and its vector variants (libmvec), which later steps
can amplify, hence rtol 1e-9 (also between the scalar entry and the arrays).
"""
import numpy as np
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pyexpr.ir import from_exprs
from pyexpr.errors import LoweringError
from pyexpr.ir.interp import evaluate

from .helpers import compile_, safe

X, Y = sympy.symbols("x y", real=True)
UNARY = [sympy.sin, sympy.cos, sympy.exp, sympy.log, sympy.sqrt, sympy.atan, sympy.Abs, sympy.floor,
         sympy.tanh, sympy.sign]
BINARY = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
          lambda a, b: sympy.Max(a, b), lambda a, b: sympy.Min(a, b), lambda a, b: sympy.Mod(a, b)]
leaves = st.sampled_from([X, Y, sympy.Integer(2), sympy.Rational(1, 2), sympy.Float(-1.5), sympy.pi])


def _extend(children):
    return st.one_of(
        st.builds(safe(lambda f, a: f(a)), st.sampled_from(UNARY), children),
        st.builds(safe(lambda f, a, b: f(a, b)), st.sampled_from(BINARY), children, children),
        st.builds(safe(lambda a, k: a ** k), children, st.sampled_from([2, 3, -1, -2, sympy.Rational(1, 2), 0.7])),
        st.builds(safe(lambda c, d, a, b: sympy.Piecewise((a, c > d), (b, True))),
                  children, children, children, children),
    )


exprs = st.recursive(leaves, _extend, max_leaves=8)
SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0]
values = st.one_of(st.sampled_from(SPECIAL), st.floats(-20, 20))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=exprs, xs=st.lists(values, min_size=1, max_size=12), ys=st.lists(values, min_size=1, max_size=12))
def test_random_expression_matches_interp(expr, xs, ys):
    n = min(len(xs), len(ys))
    x, y = np.array(xs[:n]), np.array(ys[:n])
    assume(not expr.has(sympy.I, sympy.zoo, sympy.oo, -sympy.oo, sympy.nan))
    try:
        program = from_exprs("rand", [X, Y], [expr])
    except LoweringError:
        assume(False)
    kernel = compile_(program)
    out = np.empty(n)
    kernel.run([x, y], [out])
    want = evaluate(program, x, y)[0]
    np.testing.assert_allclose(out, want, rtol=1e-9, atol=1e-12, equal_nan=True)
    scalar = kernel.scalar(float(x[0]), float(y[0]))[0]       # scalar libm, not vector libmvec
    np.testing.assert_allclose(scalar, out[0], rtol=1e-9, atol=1e-12, equal_nan=True)
