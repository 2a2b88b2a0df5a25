"""numpy's conditionals and tests inside a formula, with the meaning of ``if``.

``np.where(c, a, b)``, ``np.select(conditions, choices, default=0)`` and
``np.piecewise(x, conditions, functions)`` become the same ``Piecewise`` an
``if``/``else`` makes (``values.merge``), so the branch not taken never
reaches the result (numpy computes both and warns; the values agree).  The
choice rules are numpy's: ``select`` takes the first condition that holds,
``piecewise`` the last one (each piece overwrites the ones before), and 0
where none does unless a default or an extra function is given.
``np.logical_and`` and friends build conditions (``isclose`` is not here:
a formula cannot tell infinities apart from large numbers the way it does).  ``TABLE`` maps the numpy/math object to its builder, each
called as ``builder(ctx, node, args, kwargs, call)`` with the evaluated
arguments and ``call(callee, args)`` to apply a function argument.
"""
import numpy as np
import sympy

from ..functions import Not, xor
from .scope import Callee
from .values import error, merge, to_condition


def _where(ctx, node, args, kwargs, call):
    _no_keywords(ctx, node, kwargs, "where")
    if len(args) != 3:
        raise error(ctx, node, f"np.where takes 3 arguments here, not {len(args)}",
                   "write np.where(condition, value_if_true, value_if_false); the "
                   "one-argument form gives indices, which have no formula meaning")
    cond, a, b = args
    if isinstance(cond, tuple):             # np.where(K > 3, 1.0, 0.0) of a small data array
        return _elementwise(ctx, node, cond, a, b)
    return _merge(ctx, node, to_condition(ctx, node, cond), a, b)


def _elementwise(ctx, node, conditions, a, b):
    """``np.where`` of a condition per element (a tuple): each element's merge, a number
    beside it repeated (numpy broadcasts)."""
    a, b = (v if isinstance(v, tuple) else (v,) * len(conditions) for v in (a, b))
    if not len(a) == len(b) == len(conditions):
        raise error(ctx, node, f"np.where of {len(conditions)} conditions and {len(a)} and {len(b)} values",
                    "give values of the conditions' length, or numbers")
    return tuple(merge(ctx, node, to_condition(ctx, node, c), u, v) for c, u, v in zip(conditions, a, b))


def _select(ctx, node, args, kwargs, call):
    conditions, choices, default = _arguments(ctx, node, args, kwargs, "select",
                                              ["condlist", "choicelist", "default"], [sympy.S.Zero])
    conditions, choices = _sequence(ctx, node, conditions), _sequence(ctx, node, choices)
    if len(conditions) != len(choices):
        raise error(ctx, node, f"np.select has {len(conditions)} condition(s) and "
                   f"{len(choices)} choice(s)", "give one choice per condition")
    value = default
    for cond, choice in reversed(list(zip(conditions, choices))):     # the first that holds wins
        value = _merge(ctx, node, to_condition(ctx, node, cond), choice, value)
    return value


def _piecewise(ctx, node, args, kwargs, call):
    x, conditions, functions = _arguments(ctx, node, args, kwargs, "piecewise",
                                          ["x", "condlist", "funclist"], [])
    conditions = conditions if isinstance(conditions, tuple) else (conditions,)
    functions = _sequence(ctx, node, functions)
    if len(functions) not in (len(conditions), len(conditions) + 1):
        raise error(ctx, node, f"np.piecewise has {len(conditions)} condition(s) and "
                   f"{len(functions)} function(s)",
                   "give one function per condition, and optionally one more for elsewhere")
    pieces = [_apply(ctx, node, f, x, call) for f in functions]
    value = pieces[len(conditions)] if len(pieces) > len(conditions) else sympy.S.Zero
    for cond, piece in zip(conditions, pieces):                       # the last that holds wins
        value = _merge(ctx, node, to_condition(ctx, node, cond), piece, value)
    return value


def _merge(ctx, node, cond, a, b):
    """``values.merge``, a number beside a tuple repeated to its length (numpy broadcasts)."""
    if isinstance(a, tuple) != isinstance(b, tuple):
        a, b = (a, (b,) * len(a)) if isinstance(a, tuple) else ((a,) * len(b), b)
    return merge(ctx, node, cond, a, b)


def _apply(ctx, node, function, x, call):
    return call(function, [x]) if isinstance(function, Callee) else function


def _logical(combine, arity):
    def build(ctx, node, args, kwargs, call):
        _no_keywords(ctx, node, kwargs, combine.__name__)
        if len(args) != arity:
            raise error(ctx, node, f"expected {arity} argument(s), not {len(args)}")
        return combine(*(to_condition(ctx, node, a) for a in args))
    return build


def _arguments(ctx, node, args, kwargs, name, params, defaults):
    """``args`` and ``kwargs`` bound to ``params`` (the last ``len(defaults)`` optional)."""
    if len(args) > len(params) or set(kwargs) - set(params):
        raise error(ctx, node, f"{name}() takes the arguments {', '.join(params)}")
    bound = dict(zip(params, args))
    for key, value in kwargs.items():
        if key in bound:
            raise error(ctx, node, f"{name}() got {key!r} twice")
        bound[key] = value
    bound.update({p: d for p, d in zip(params[len(params) - len(defaults):], defaults) if p not in bound})
    missing = [p for p in params if p not in bound]
    if missing:
        raise error(ctx, node, f"{name}() is missing {', '.join(missing)}")
    return [bound[p] for p in params]


def _sequence(ctx, node, value):
    if not isinstance(value, tuple):
        raise error(ctx, node, "expected a list or tuple here", "write [a, b, ...]")
    return value


def _no_keywords(ctx, node, kwargs, name):
    if kwargs:
        raise error(ctx, node, f"keyword arguments to {name} are not supported", "pass them positionally")


TABLE = {
    np.where: _where, np.select: _select, np.piecewise: _piecewise,
    np.logical_and: _logical(sympy.And, 2), np.logical_or: _logical(sympy.Or, 2),
    np.logical_xor: _logical(xor, 2), np.logical_not: _logical(Not, 1),
}
