"""numpy's statistics and reductions of a whole sequence in a formula: ``np.mean``,
``np.var``, ``np.std``, ``np.linalg.norm``, ``np.diff``, ``np.cumsum``,
``np.count_nonzero``, and the helpers ``calls`` shares for their method forms
(``x.mean()``, ``x.var(ddof=1)``).  Each takes a vector of any length (kept a sum) or a
tuple of numbers (written out).
"""
import ast

import sympy

from .. import functions as pf
from . import matrices, needs, sequences as seq
from .arguments import items as _items, sequence_or_value as _sequence_or_value, tuple_arg
from .values import as_expr, error, ieee, is_condition


def _mean(ctx, node, env, visitor):
    return mean_of(ctx, node, *_items(ctx, node, env, visitor, (1,)))


def mean_of(ctx, node, items):
    items = seq.two_dimensional(items)
    if seq.is_mat(items):
        return matrices.matrix_sum(ctx, node, items) / (items.rows * items.cols)
    if seq.is_vec(items):
        return seq.reduce(ctx, node, "sum", items) / count(ctx, items)
    terms = [as_expr(ctx, node, v) for v in tuple_arg(ctx, node, items)]
    return sympy.Add(*terms) / len(terms)


def _sequence(ctx, node, env, visitor):
    """The single argument of a numpy reduction: a Vec, or a tuple of numbers."""
    (items,) = _items(ctx, node, env, visitor, (1,))
    if seq.is_mat(items) or seq.is_vec(items) and items.axis is not None:
        raise error(ctx, node, "this function of a whole matrix is not supported yet",
                    "write it with np.sum of the elementwise expression (np.sum(A**2) for a norm's square)")
    return items if seq.is_vec(items) else tuple(as_expr(ctx, node, v) for v in tuple_arg(ctx, node, items))


def each(ctx, node, fn, items):
    """``fn`` of each item as a number (a condition is 1 or 0: ``np.var(x > 0)``)."""
    def each(v):
        return fn(as_expr(ctx, node, v))
    return seq.elementwise(ctx, node, each, (items,)) if seq.is_vec(items) else tuple(each(v) for v in items)


def total(ctx, node, items):
    return seq.reduce(ctx, node, "sum", items) if seq.is_vec(items) else sympy.Add(*items)


def count(ctx, items):
    """The number of ``items`` a mean divides by: of a slice, where it is not negative (the
    call checks the length that needs; numpy's mean of no elements is nan, 0/0)."""
    if seq.is_vec(items):
        if needs.note_least(ctx, items.length, 0):
            return items.length
        return sympy.Max(items.length, 0)       # x[2:1]: no elements at some lengths, 0/0 is nan
    return sympy.Integer(len(items))



def _diff(ctx, node, env, visitor):
    """``np.diff(x)``: ``x[1:] - x[:-1]``; ``np.diff(x, n)`` (``n=``) that ``n`` times."""
    node, options = with_keywords(ctx, node, visitor, {"n": sympy.S.One}, positional=1)
    items = _sequence(ctx, node, env, visitor)
    for _ in range(constant_integer(ctx, node, options["n"], "n")):
        if not seq.is_vec(items):
            items = seq.Array(b - a for a, b in zip(items, items[1:]))
            continue
        items = seq.elementwise(ctx, node, lambda a, b: a - b,
                                (seq.sliced(ctx, node, items, sympy.S.One, None, None),
                                 seq.sliced(ctx, node, items, None, sympy.S.NegativeOne, None)))
    return items


def with_keywords(ctx, node, visitor, defaults, positional=0):
    """``(call, values)``: ``node`` without the options ``defaults`` names (keywords, or the
    ``positional`` arguments after the first), and their values (``np.diff(x, 2)``, ``ddof=1``)."""
    values = dict(defaults)
    extra = node.args[1:1 + positional]
    for name, arg in zip(defaults, extra):
        values[name] = visitor.visit(arg)
    kept = []
    for kw in node.keywords:
        if kw.arg in defaults:
            values[kw.arg] = visitor.visit(kw.value)
        else:
            kept.append(kw)
    bare = ast.Call(func=node.func, args=[node.args[0]] + node.args[1 + positional:] if node.args else [],
                    keywords=kept)
    return ast.copy_location(bare, node), values


def constant_integer(ctx, node, value, name):
    if not (isinstance(value, sympy.Integer) and value >= 0):
        raise error(ctx, node, f"{name}= must be a constant non-negative integer here, not {value}")
    return int(value)



def _norm(ctx, node, env, visitor):
    """``np.linalg.norm(x)`` of a vector: the square root of its sum of squares; with an
    order ``p`` (``np.linalg.norm(x, 1)``, ``ord=np.inf``) numpy's vector p-norm."""
    orders = node.args[1:] + [kw.value for kw in node.keywords if kw.arg == "ord"]
    if len(node.args) > 2 or len(orders) > 1 or any(kw.arg != "ord" for kw in node.keywords):
        raise error(ctx, node, "np.linalg.norm takes a vector and an order in a formula (no axis)")
    items = _sequence(ctx, ast.Call(node.func, node.args[:1], [], lineno=node.lineno,
                                    col_offset=node.col_offset), env, visitor)
    p = visitor.visit(orders[0]) if orders else None
    if p is None or p == 2:
        return sympy.sqrt(total(ctx, node, each(ctx, node, lambda a: a * a, items)))
    if p == sympy.oo:
        items = seq.unrolled_short(ctx, items) or items
        if seq.is_vec(items):
            return seq.reduce(ctx, node, "max", each(ctx, node, pf.abs_, items))
        return ieee(pf.max_, *(pf.abs_(v) for v in items))
    if not (isinstance(p, sympy.Number) and p > 0):
        raise error(ctx, node, "np.linalg.norm's order must be a positive number or np.inf here")
    if p == 1:
        return total(ctx, node, each(ctx, node, pf.abs_, items))
    return total(ctx, node, each(ctx, node, lambda a: pf.abs_(a)**p, items))**(1 / p)


def _var(ctx, node, env, visitor):
    """``np.var(x)``: the mean square deviation from the mean, its sum divided by the
    count less ``ddof`` (numpy's default 0; 1 for the sample variance)."""
    node, options = with_keywords(ctx, node, visitor, {"ddof": sympy.S.Zero})
    return variance(ctx, node, _sequence(ctx, node, env, visitor),
                    constant_integer(ctx, node, options["ddof"], "ddof"))


def variance(ctx, node, items, ddof):
    """The variance of ``items`` (a vector or a tuple of numbers), ``ddof`` as numpy's."""
    mean = total(ctx, node, items) / count(ctx, items)
    return total(ctx, node, each(ctx, node, lambda a: (a - mean)**2, items)) / (count(ctx, items) - ddof)


def _cumsum(ctx, node, env, visitor):
    """``np.cumsum(x)``: element ``j`` is the sum of the first ``j + 1`` (a running sum)."""
    items = _sequence(ctx, node, env, visitor)
    if not seq.is_vec(items):
        return seq.Array(sympy.Add(*items[:k + 1]) for k in range(len(items)))
    return seq.Vec(items.length, lambda j: seq.reduce(ctx, node, "sum", seq.Vec(j + 1, items.at)))


def _std(ctx, node, env, visitor):
    return sympy.sqrt(_var(ctx, node, env, visitor))



def _count_nonzero(ctx, node, env, visitor):
    """``np.count_nonzero(a)``: the elements that are not 0 (nan is not), a condition's Trues."""
    if len(node.args) != 1 or node.keywords:
        raise error(ctx, node, "np.count_nonzero takes one array in a formula (no axis=)",
                    "write np.sum(A != 0, axis=...) for counts along an axis")
    items = seq.two_dimensional(_sequence_or_value(ctx, node.args[0], env, visitor))

    def nonzero(v):
        return as_expr(ctx, node, v if is_condition(v) else sympy.Ne(as_expr(ctx, node, v), 0))
    if seq.is_mat(items):
        return matrices.matrix_total(ctx, node, "sum", seq.Mat(items.rows, items.cols,
                                                              lambda i, k: nonzero(items.at(i, k))))
    if seq.is_vec(items):
        return seq.reduce(ctx, node, "sum", seq.elementwise(ctx, node, nonzero, (items,)))
    return sympy.Add(*(nonzero(v) for v in (items if isinstance(items, tuple) else (items,))))


SPECIAL = {"mean": _mean, "diff": _diff, "norm": _norm, "var": _var, "std": _std, "cumsum": _cumsum,
           "count_nonzero": _count_nonzero}
