"""Comparisons in a formula: Python's ``<``, ``==``, ... of numbers and expressions.

A comparison of constants is decided at once; one with nan (or a constant that
is not real, nan in floating point) has Python's answer; one of a conditional
value compares each branch under its condition, so no relation holds a
``Piecewise`` (sympy would solve inequalities on it, for seconds) -- but where
the sides are too large for it (``deep.LARGE_TREE``): a value a loop
accumulates under ``if``s has 2**n branches lifted out, and is compared as it is.
"""
import ast
import math
import operator

import sympy
from sympy.calculus.accumulationbounds import AccumBounds

from ..deep import large_tree
from ..dag import map_dag, rebuild
from ..functions import Not, is_infinity, isnan, settled_piecewise
from .values import ieee, real_constant


def _not_nan(x):
    return Not(isnan(x))


_COMPARE = {ast.Lt: (operator.lt, sympy.Lt), ast.LtE: (operator.le, sympy.Le),
            ast.Gt: (operator.gt, sympy.Gt), ast.GtE: (operator.ge, sympy.Ge),
            ast.Eq: (operator.eq, sympy.Eq), ast.NotEq: (operator.ne, sympy.Ne)}


def compare(op, a, b):
    py, sym = _COMPARE[type(op)]
    a, b = _nan_if_not_real(a), _nan_if_not_real(b)
    x, y = real_constant(a), real_constant(b)
    if x is not None and y is not None:     # decided now, even under evaluate(False)
        return sympy.true if py(x, y) else sympy.false
    if x != x or y != y:                    # nan compares false (!= true) with anything
        return sympy.true if py(math.nan, math.nan) else sympy.false
    if large_tree((a, b)):          # branches lifted out would be 2**n: as written
        return sym(a, b, evaluate=False)
    a, b = _lift_piecewise(a), _lift_piecewise(b)
    if isinstance(a, sympy.Piecewise):
        return _fold(a, lambda piece: compare(op, piece, b))
    if isinstance(b, sympy.Piecewise):
        return _fold(b, lambda piece: compare(op, a, piece))
    unordered = _unordered(type(op), a, b)
    if unordered is not None:
        return unordered
    try:
        return sym(a, b)
    except TypeError as error:              # sympy proved a side not real (sqrt(Min(-3, x))):
        if "non-real" not in str(error):    # nan in floating point, which compares as nan does
            raise
        return sympy.true if py(math.nan, math.nan) else sympy.false


#: x op x, for a value x: true where x is not nan (nan compares false, != true)
_ITSELF = {ast.Lt: lambda x: sympy.false, ast.Gt: lambda x: sympy.false, ast.LtE: _not_nan,
           ast.GtE: _not_nan, ast.Eq: _not_nan, ast.NotEq: isnan}
#: x op oo, for a value x (x op -oo mirrored)
_INFINITY = {ast.Eq: lambda x, s: is_infinity(x, s), ast.NotEq: lambda x, s: Not(is_infinity(x, s)),
             ast.Lt: lambda x, s: _short_of(x, s, 1), ast.Gt: lambda x, s: _short_of(x, s, -1),
             ast.LtE: lambda x, s: _not_nan(x) if s > 0 else is_infinity(x, s),
             ast.GtE: lambda x, s: _not_nan(x) if s < 0 else is_infinity(x, s)}
_MIRRORED = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE, ast.Eq: ast.Eq,
             ast.NotEq: ast.NotEq}


def _unordered(op, a, b):
    """The comparison of a value with itself or with an infinity, nan and infinities
    counted: sympy's real symbols are finite numbers, so it decides ``x != x`` False and
    ``x < oo`` True for every x, where numpy's nan and inf compare otherwise."""
    if a == b:
        return _ITSELF[op](a)
    if a in _INFINITIES:
        a, b, op = b, a, _MIRRORED[op]
    if b in _INFINITIES:
        return _INFINITY[op](a, 1 if b is sympy.oo else -1)
    return None


def _short_of(x, sign, side):
    """x < oo (``side`` 1) or x > -oo (``side`` -1): x neither nan nor that infinity; the
    other infinity (x < -oo, x > oo) nothing is beyond."""
    return sympy.And(_not_nan(x), Not(is_infinity(x, sign))) if sign == side else sympy.false


_INFINITIES = (sympy.oo, -sympy.oo)


def _nan_if_not_real(expr):
    """A constant that is not a real number (``acos(100)`` lifted out of a Piecewise,
    ``log10(-3)``, whose realness sympy does not decide, ``zoo``, sympy's bounds of
    ``cos(oo)``) compares as numpy's nan
    does: sympy would otherwise keep the relation, and put it in canonical form through
    expansions exponential in its size (``1 < zoo*(-1 + zoo*(... log10(-3)))``)."""
    if isinstance(expr, AccumBounds):       # cos(oo): numpy's cos(inf) is nan
        return sympy.nan
    if not expr.is_number or expr.is_extended_real:
        return expr
    if expr.is_extended_real is False or expr.has(sympy.zoo):
        return sympy.nan
    try:                                    # sympy leaves it open: its value decides
        with sympy.evaluate(True):          # (under simplify=False too: im(6.0) is 0)
            imaginary = sympy.im(expr.evalf(20))
    except (TypeError, ValueError):
        return expr
    return sympy.nan if imaginary.is_Number and imaginary != 0 else expr


def _lift_piecewise(expr):
    """``2*Piecewise((x, c), (y, True))`` as ``Piecewise((2*x, c), (2*y, True))``."""
    if isinstance(expr, sympy.Piecewise) or not _contains(expr, sympy.Piecewise, set()):
        return expr
    try:
        return sympy.piecewise_fold(expr)
    # sympy's Max of a branch's non-real constant (asin(7.5)) raises, as mpmath's hypot of
    # a complex one does (AttributeError); a fold whose Piecewise evaluates into one again
    # recurses without end (fuzz56233 of a long run)
    except (ValueError, AttributeError, RecursionError):
        return map_dag(expr, {}, _lifted)


def _lifted(expr, args):
    """``expr`` (a node of a formula) with the first Piecewise among its new ``args``
    lifted above it, rebuilt with pyexpr's facts (a Max of a non-real constant is an
    expression, nan where computed).  Conditions and conditional values are left as
    they are: ``compare`` takes a Piecewise's branches one by one."""
    if not isinstance(expr, sympy.Expr) or isinstance(expr, sympy.Piecewise):
        return expr
    for i, arg in enumerate(args):
        if isinstance(arg, sympy.Piecewise):
            return settled_piecewise([(_lifted(expr, args[:i] + (value,) + args[i + 1:]), cond)
                                      for value, cond in arg.args])
    # (a branch's constant may be a pole, lgamma(-1e5): numpy's value, as the front end's)
    return ieee(lambda *new: rebuild(expr, new), *args)


def _contains(expr, cls, seen):
    if isinstance(expr, cls):
        return True
    if expr in seen:
        return False
    seen.add(expr)
    return any(_contains(a, cls, seen) for a in expr.args)


def _fold(piecewise, test):
    """``test`` of a Piecewise as a condition without one: (c1 & test(v1)) | (~c1 & c2 &
    test(v2)) | ...  sympy's Piecewise would otherwise solve inequalities on a relation
    between Piecewises (seconds for a few nested conditional expressions)."""
    terms, before = [], sympy.true
    for value, cond in piecewise.args:
        terms.append(sympy.And(before, cond, test(value)))
        before = sympy.And(before, Not(cond))
    return sympy.Or(*terms)
