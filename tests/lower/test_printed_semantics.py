"""The Program computes the printed formula (issue: compiled code is not the printed formula).

Lowering once rebuilt expressions through ``sympy.cse``, which re-evaluates
them with real-number algebra: ``Max(100.0, Min(-0.1, x))`` became the
constant 100, which is not numpy's value at x = nan.  Random formulas built
the way the front end builds them (``min_``/``max_``, ``abs_``, ``Piecewise``
with constants, nested), evaluated by the Program interpreter, must agree
with the *printed* expression evaluated by numpy (``lambdify`` of the
expression itself, no CSE), nan, infinities and signed zeros included; and
so must the compiled code, ``python_source`` and the reference kernel.
"""
import math

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import pyexpr as px
from pyexpr.ir import from_exprs
from pyexpr import functions as pf
from pyexpr.ir.interp import evaluate

from .helpers import safe

X, Y = sympy.symbols("x y", real=True)
CONSTANTS = [sympy.Float(100.0), sympy.Float(-0.1), sympy.Integer(0), sympy.Integer(3), sympy.Float(2.5)]
leaves = st.sampled_from([X, Y] + CONSTANTS)


def _extend(children):
    return st.one_of(
        st.builds(safe(pf.min_), children, children), st.builds(safe(pf.max_), children, children),
        st.builds(safe(pf.abs_), children), st.builds(safe(lambda a, b: a + b), children, children),
        st.builds(safe(lambda a, b: a * b), children, children),
        st.builds(safe(lambda a, b: a - b), children, children),
        st.builds(safe(lambda c, d, a, b: sympy.Piecewise((a, c > d), (b, True))),
                  children, children, children, children),
        st.builds(safe(lambda a: sympy.sqrt(a)), children),
    )


exprs = st.recursive(leaves, _extend, max_leaves=7)
VALUES = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, -0.1, 0.5, 3.0, 100.0, 250.0, -7.0])
GRID_X, GRID_Y = np.meshgrid(VALUES, VALUES)


def _printed(expr):
    with np.errstate(all="ignore"):
        fn = sympy.lambdify([X, Y], expr, modules="numpy")
        return np.broadcast_to(np.asarray(fn(GRID_X.ravel(), GRID_Y.ravel()), float), GRID_X.ravel().shape)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(expr=exprs)
def test_the_program_computes_the_printed_expression(expr):
    assume(not expr.has(sympy.I, sympy.zoo, sympy.oo, -sympy.oo, sympy.nan))
    program = from_exprs("printed", [X, Y], [expr])
    got = evaluate(program, GRID_X.ravel(), GRID_Y.ravel())[0]
    np.testing.assert_array_equal(np.signbit(got) | np.isnan(got), np.signbit(_printed(expr)) | np.isnan(_printed(expr)))
    np.testing.assert_allclose(got, _printed(expr), rtol=1e-15, atol=0, equal_nan=True, err_msg=str(expr))


NESTED = [pf.max_(100.0, pf.min_(-0.1, X)), pf.min_(pf.max_(X, 2), 1), pf.max_(pf.abs_(X), -1),
          sympy.Piecewise((pf.max_(X, 3), X > 5), (pf.min_(X, 3), True))]


@pytest.mark.llvm
@pytest.mark.parametrize("expr", NESTED, ids=str)
def test_every_path_keeps_nan_through_nested_min_max(expr, ref_call):
    f = px.from_sympy(expr, [X])
    printed = sympy.lambdify([X], expr, modules="numpy")
    xs = np.array([np.nan, -np.inf, -1.0, 0.0, 2.0, 4.0, 6.0, np.inf])
    with np.errstate(all="ignore"):
        want = np.asarray(printed(xs), float)
    np.testing.assert_array_equal(f(xs), want)                  # compiled, array path
    assert [f(float(v)) for v in xs] == pytest.approx(list(want), nan_ok=True)   # scalar path
    np.testing.assert_array_equal(ref_call(f, xs), want)       # the reference kernel
    namespace = {}
    exec(f.python_source, namespace)
    assert math.isnan(namespace["f"](math.nan))                # the printed Python too
