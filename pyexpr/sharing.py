"""Common subexpressions, named without re-evaluating anything: ``cse``.

Every code generator and printer works from ``(steps, reduced)``: the shared
subexpressions as named steps, computed in order, and the outputs using their
names.  Formulas deeper than ``PIECE`` levels are also cut into pieces of at
most that depth (``_pieces``), each a step of its own: sympy's printers and
pyexpr's lowering recurse once or more per level, and Python's parser reads
no more than 200 nested parentheses in generated source.
"""
import sympy

from .dag import free_symbols, map_dag, postorder, unchanged
from .functions import assume_real, divided, negation_of
from .isolation import building

#: the most levels of nesting a step holds before a piece of it is named
PIECE = 50


def cse(exprs, symbols=None, as_written=False):
    """``sympy.cse(exprs)`` that re-evaluates nothing: ``(replacements, reduced)``.

    ``sympy.cse`` rebuilds the expressions it rewrites, and rebuilding
    evaluates them again with real algebra: ``Max(100.0, Min(-0.1, x))``
    became ``100`` (numpy's value at x = nan is nan).  Here every node but
    ``Add``, ``Mul`` and ``Pow`` is hidden behind a function sympy knows
    nothing of while ``cse`` runs, and built back unevaluated after it, so
    only arithmetic, which reassociates nothing on a rebuild, is ever redone.
    ``as_written`` hides the arithmetic too (unevaluated sums and products, whose
    grouping is the source's, come back as they are; only repeats are shared).
    """
    with building():        # a printer's cse after a compile met its equal copies: see isolation
        return _cse(exprs, symbols, as_written)


def _cse(exprs, symbols, as_written):
    hiding = {}
    hide = _hide_all if as_written else _hide
    hidden = [map_dag(e, hiding, hide) for e in exprs]
    taken = free_symbols(exprs)
    names = (s for s in (sympy.numbered_symbols() if symbols is None else symbols) if s not in taken)
    try:
        steps, reduced = sympy.cse(hidden, symbols=names, order="none")
    except TypeError:       # sympy compared a nan ("Invalid NaN comparison", a derivative with
        steps, reduced = [], list(hidden)       # nan and -oo in its branches): nothing shared
    if not as_written:
        steps, reduced = _divisions_kept(steps, reduced)
    # what cse left as it was shows as the original itself, not as a copy: equal
    # copies of deep subexpressions make every later cache lookup compare them deeply
    shown = {h: e for e, h in hiding.items()}
    return _pieces([(sym, map_dag(e, shown, _show)) for sym, e in steps],
                   [map_dag(e, shown, _show) for e in reduced], names)


def _divisions_kept(steps, reduced):
    """``steps`` and ``reduced`` with each named reciprocal (``x0 = 1/t``, ``t**-2``) put
    back where it is used, so that ``a*x0`` lowers as ``a/t`` again: one rounding instead
    of two, and no overflow of ``1/t`` where ``a/t`` is in range (``y/tanh(z)`` at a
    subnormal z); likewise ``t/49`` (``functions.divided``), which floor, ceil and trunc
    divide.  A base used elsewhere stays named; equal divisions are computed once
    by the lowering's hash-consing."""
    inlined = {}
    kept = []
    for sym, e in steps:
        e = e.xreplace(inlined) if inlined else e
        if e.is_Pow and e.exp.is_Number and e.exp.is_negative and not e.base.is_number \
                or e.is_Mul and len(e.args) == 2 and divided(e) is not None:   # t/49: floor(t/49) divides
            inlined[sym] = e
        else:
            kept.append((sym, e))
    if not inlined:
        return steps, reduced
    return kept, [e.xreplace(inlined) for e in reduced]


def _pieces(steps, reduced, names):
    """``steps`` and ``reduced`` with a subexpression named (from ``names``) wherever a
    step would nest more than ``PIECE`` levels, each named piece a step before its use."""
    cut, out = {}, []          # id(node) -> (node with pieces named, levels left in it)

    def walk(expr):
        for e in postorder([expr], cut):
            args = [cut[id(a)][0] for a in e.args]
            node = e if all(a is b for a, b in zip(args, e.args)) else _rebuilt(e, args)
            depth = 1 + max((cut[id(a)][1] for a in e.args), default=-1)
            if depth >= PIECE and isinstance(node, sympy.Expr) and not node.is_Atom:
                name = next(names)
                out.append((name, node))
                node, depth = name, 0
            cut[id(e)] = (node, depth)
        return cut[id(expr)][0]

    for sym, e in steps:
        value = walk(e)
        out.append((sym, value))
    return out, [walk(e) for e in reduced]


def _rebuilt(e, args):
    """``e`` with new arguments, evaluating nothing."""
    try:
        return e.func(*args, evaluate=False)
    except TypeError:                   # ExprCondPair and others that never evaluate
        return e.func(*args)


_ARITHMETIC = (sympy.Add, sympy.Mul, sympy.Pow)
_HIDDEN = {}


def _hidden(cls):
    """A function class standing for ``cls`` that sympy cannot evaluate."""
    if cls not in _HIDDEN:
        _HIDDEN[cls] = type(f"hidden_{cls.__name__}", (sympy.Function,), {"shown": staticmethod(cls)})
    return _HIDDEN[cls]


def _negative_half_power(e):
    return e.is_Pow and e.exp.is_Rational and e.exp.q == 2 and e.exp.p < 0


def _hide(e, args):
    # x**-0.5 is pow's (+0 at -inf, +inf at -0): cse would make it 1/sqrt(x) (nan, -inf)
    if isinstance(e, _ARITHMETIC) and not _negative_half_power(e):
        return e if unchanged(args, e) else e.func(*args)
    if isinstance(e, sympy.Piecewise):                  # its pairs stay pairs: flattened
        return _hidden(sympy.Piecewise)(*(x for pair in args for x in pair.args))
    return _hidden(type(e))(*args)


def _hide_all(e, args):
    if isinstance(e, sympy.Piecewise):
        return _hide(e, args)
    if isinstance(e, sympy.Mul) and negation_of(e) is None:
        return _hidden_product(e.args, args)
    return _hidden(type(e))(*args)


def _is_reciprocal(factor):
    return factor.is_Pow and factor.exp == -1


def _hidden_product(factors, hidden):
    """A product folded left to right, each later reciprocal a quotient: ``(x/x)/x``
    divides by x twice, and sharing its two ``1/x`` would make that ``x*t*t``."""
    mul = _hidden(sympy.Mul)
    if not any(_is_reciprocal(f) for f in factors[1:]):
        return mul(*hidden)
    acc = hidden[0]
    for factor, h in zip(factors[1:], hidden[1:]):
        acc = _hidden(_quotient)(acc, h.args[0]) if _is_reciprocal(factor) else mul(acc, h)
    return acc


def _quotient(p, q, evaluate=False):
    """``p/q`` as one division, unevaluated."""
    return sympy.Mul(p, sympy.Pow(q, -1, evaluate=False), evaluate=False)


def _show(e, args):
    shown = getattr(type(e), "shown", None)
    if shown is not None:
        return _unevaluated(shown, args)
    return e if unchanged(args, e) else e.func(*args)


def _unevaluated(cls, args):
    if cls is sympy.Piecewise:
        args = tuple(zip(args[::2], args[1::2]))
    try:
        return assume_real(cls(*args, evaluate=False))
    except TypeError:                       # ExprCondPair and others that never evaluate
        return cls(*args)
