"""Values of the formula subset and the checks on them, with no AST evaluation.

What the expression evaluator (``evaluate``), the calls (``calls``,
``conditionals``) and the statement translator share: ``error`` (an
``UnsupportedSyntaxError`` at a node), conversions (``as_expr``,
``to_condition``, ``static_int``, ``sequence``), ``merge`` (a value per
branch) and ``bind`` (assignment to names and tuples of names).  A value is a
sympy expression, a sympy condition, a tuple of values or a ``Callee``.
"""
import ast
import math

import sympy
from sympy.calculus.accumulationbounds import AccumBounds
from sympy.core.parameters import evaluate as sympy_evaluate

from ..deep import large_tree
from ..functions import Not, settled_piecewise


def evaluated(expr):
    """An integer expression (a length, a bound) evaluated, also under simplify=False."""
    with sympy_evaluate(True):
        return sympy.expand(sympy.sympify(expr).doit())


def evaluated_indices(expr):
    """``expr`` with its indices' arithmetic folded (``x[(k - i - 1) + i + 1]`` as ``x[k]``)."""
    return expr.replace(lambda e: isinstance(e, sympy.Indexed),
                        lambda e: e.func(e.base, *(evaluated(a) for a in e.indices)))


def error(ctx, node, message, hint=None):
    """The error to raise at ``node``: ``message``, and what to write instead."""
    return ctx.source.error(node, message, hint)


def is_condition(value):
    """A sympy truth value (``x > 0``, ``true``); not a Symbol, though sympy's are Booleans too."""
    return isinstance(value, sympy.logic.boolalg.Boolean) and not isinstance(value, sympy.Expr)


def as_expr(ctx, node, value):
    """``value`` as a sympy expression, or a clear error for tuples and callables."""
    if isinstance(value, sympy.Expr):
        return value
    if is_condition(value):
        # a condition used as a number, as Python's True == 1
        return sympy.Piecewise((sympy.S.One, value), (sympy.S.Zero, True))
    if isinstance(value, tuple):
        raise error(ctx, node, "a tuple cannot be used as a number here",
                   "index it with a constant, e.g. t[0], or unpack it")
    if type(value).__name__ == "Vec":
        raise error(ctx, node, "a vector cannot be used as a number here",
                    "reduce it (sum(...), np.sum, np.dot) or index it")
    if type(value).__name__ == "Mat":
        raise error(ctx, node, "a matrix cannot be used as a number here",
                    "reduce it (np.sum, A @ x, np.trace) or index it (A[i, k])")
    raise error(ctx, node, f"{getattr(value, 'name', value)!s} cannot be used as a number")


def to_condition(ctx, node, value):
    if is_condition(value):
        return value
    expr = as_expr(ctx, node, value)
    number = real_constant(expr)
    if number is not None:
        return sympy.true if number != 0 else sympy.false
    return sympy.Ne(expr, 0)


def ieee(build, *args):
    """``build(*args)`` of constants as numpy computes them in float64: a value past
    float64's range is +-inf or 0 (sympy's Floats have no overflow: sin(exp(1e5)) would
    reduce a 43,000-digit argument), and one sympy cannot give as a real number
    (``log(0)`` is ``zoo``, ``acos(1.5)`` imaginary, ``1.0/0.0`` ``zoo``, ``sin(oo)`` an
    interval) is what the compiled code computes (-inf, nan, inf)."""
    args = [_in_float_range(a) for a in args]
    try:
        value = build(*args)
    # Float(1.0) / Float(0.0), loggamma's pole, mpmath's hypot of a complex value
    except (ZeroDivisionError, ValueError, AttributeError, OverflowError):
        value = sympy.zoo
    try:
        unreal = isinstance(value, sympy.Expr) and value.is_number and value.is_extended_real is not True \
            and value is not sympy.nan
    except OverflowError:       # mpmath's exp of an exact 10**43 (cosh(ceil(expm1(100.0)))): as numpy
        unreal = True
    if unreal or isinstance(value, AccumBounds):
        from ..ir import from_exprs, interp
        with sympy.evaluate(False):
            written = build(*args)
        program = from_exprs("constant", [], [written], as_written=True)
        return sympy.sympify(float(interp.evaluate(program)[0]))
    return _in_float_range(value)


def _in_float_range(value):
    """A Float beyond float64's range as numpy has it: +-inf, or a signless 0 below it."""
    if isinstance(value, sympy.Float) and value._mpf_[2] + value._mpf_[3] > 1024:
        return sympy.oo if value > 0 else -sympy.oo
    if isinstance(value, sympy.Float) and value and value._mpf_[2] + value._mpf_[3] < -1074:
        return sympy.Float(0.0)
    return value


def real_constant(expr):
    """``expr`` as a Python float if it is a real constant, evaluated or not; else None.

    Compared as floats: sympy's ``Float(0.0) == 0`` is False, and under
    ``simplify=False`` a loop counter's ``i + 2`` stays an unevaluated Add.
    """
    if isinstance(expr, sympy.Expr) and expr.is_number:
        try:
            return float(expr)
        except TypeError:           # a complex constant
            return None
        except ValueError:          # a Max or Min of a constant that is not real ("not
            return math.nan         # comparable"): numpy's maximum of its nan is nan
    return None


def merge(ctx, node, cond, a, b):
    """The value that is ``a`` where ``cond`` holds and ``b`` elsewhere (of vectors of any
    length: ``sequences.merged``)."""
    if isinstance(a, tuple) or isinstance(b, tuple):
        if not (isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b)):
            raise error(ctx, node, "the branches give values of different shapes "
                       f"({_shape(a)} and {_shape(b)})", "return the same number of values on every path")
        if type(a) is not type(b):      # a numpy array on one path, a Python tuple on the other
            raise error(ctx, node, "the branches give an array on one path and a tuple on the other",
                        "make both np.array(...) or both tuples")
        return type(a)(merge(ctx, node, cond, x, y) for x, y in zip(a, b))
    if is_condition(a) and is_condition(b):
        return sympy.Or(sympy.And(cond, a), sympy.And(Not(cond), b))
    a, b = as_expr(ctx, node, a), as_expr(ctx, node, b)
    if a == b:
        return a
    pairs = _collapsed(((a, cond), *b.args) if isinstance(b, sympy.Piecewise) else ((a, cond), (b, True)))
    if large_tree([e for pair in pairs for e in pair]):
        return _settled(pairs)
    try:
        return sympy.Piecewise(*pairs)
    except RecursionError:      # sympy's folding of some conditions never settles: as written
        return sympy.Piecewise(*pairs, evaluate=False)


def _settled(pairs):
    """The Piecewise of ``pairs`` as written, less branches that can never be taken (after
    a condition that is always true, under one that is never true or repeats one)."""
    kept, seen = [], set()
    for value, cond in pairs:
        cond = sympy.sympify(cond)
        if cond is sympy.false or cond in seen:
            continue
        kept.append((value, cond))
        seen.add(cond)
        if cond is sympy.true:
            break
    return settled_piecewise(kept)          # (the last condition is true: merge's pairs end so)


def _collapsed(pairs):
    """``pairs`` with neighbours of one value made one, ``(e, c1 | c2)``: sympy's Piecewise
    does that too, but puts the Or in conjunctive normal form, exponential in the size of
    the conditions (minutes for a few nested conditional expressions)."""
    out = []
    for value, cond in pairs:
        if out and out[-1][0] == value:
            out[-1] = (value, sympy.Or(out[-1][1], cond))
        else:
            out.append((value, cond))
    return out


def _shape(value):
    return f"a tuple of {len(value)}" if isinstance(value, tuple) else "one value"


def bind(ctx, target, value, env):
    """Assign ``value`` to a Name or a (nested) tuple of Names."""
    if isinstance(target, ast.Name):
        env[target.id] = value
        return
    if isinstance(target, (ast.Tuple, ast.List)):
        if not isinstance(value, tuple) or len(value) != len(target.elts):
            got = len(value) if isinstance(value, tuple) else 1
            raise error(ctx, target, f"cannot unpack {got} value(s) into {len(target.elts)} names")
        for t, v in zip(target.elts, value):
            bind(ctx, t, v, env)
        return
    what = {ast.Subscript: "item assignment", ast.Attribute: "attribute assignment",
            ast.Starred: "starred assignment"}.get(type(target), type(target).__name__)
    raise error(ctx, target, f"{what} is not supported in a formula",
               "formulas cannot change objects; assign to a local name and return it")


def static_int(ctx, node, value):
    if isinstance(value, sympy.Expr) and value.is_Integer:
        return int(value)
    number = real_constant(value)
    if number is not None and number.is_integer():
        return int(number)
    raise error(ctx, node, "this value must be an integer known when the function is decorated",
               "use a literal, a numeric global, or a loop counter")


def sequence(ctx, node, value):
    """``value``, which must be a tuple: what a for loop or a generator runs over."""
    if not isinstance(value, tuple):
        raise error(ctx, node, "for loops must run over range(...) with bounds known at decoration, "
                    "or over a tuple", "write `for i in range(N)` with a constant N")
    return value
