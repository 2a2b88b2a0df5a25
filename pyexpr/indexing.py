"""Vectors of any length as sympy: ``x[i]``, ``Sum(..., (i, lo, hi))`` and their cases.

A vector parameter whose length the code leaves open is an ``IndexedBase``
(``x``) with a length Symbol (``n``); its elements are ``Indexed`` (``x[i]``),
reductions are ``Sum``/``Product`` (or ``extremes.Maximum``/``Minimum``) over an
integer index whose bounds are affine in the length, and a vector-valued formula (a gradient) is one
expression in an index ``j`` whose ``Piecewise`` conditions compare ``j``
with such bounds.  This module is what the front end, the calculus, the
printers and the lowering share about that form:

* ``vector``, ``length_symbol``, ``index_symbol``, ``fresh_index`` -- the Symbols;
* ``reductions``, ``loads`` -- the Sums and the elements outside any Sum;
* ``cases(expr, j, n)`` -- the expression split into ranges of ``j`` on
  which no condition on ``j`` changes (first element, interior, last
  element), valid for ``n`` at least the returned minimum;
* ``fixed(expr, lengths, components)`` -- the expression at a given length,
  every Sum written out and every element a Symbol of its own.
"""
import sympy

from . import dag, lengths, sums
from .extremes import Extreme, ExtremeAt, Maximum, Minimum

#: the kinds of reduction a formula may hold: their loop stages' kinds, and how their
#: terms combine written out
REDUCTIONS = {sums.Sum: "sum", sums.Product: "prod", Maximum: "max", Minimum: "min"}
#: sympy's own, which its methods may build (``Sum.doit`` of a nested one)
KINDS = {**REDUCTIONS, sympy.Sum: "sum", sympy.Product: "prod"}


#: each kind's value of no terms
UNITS = {"sum": sympy.S.Zero, "prod": sympy.S.One, "max": -sympy.oo, "min": sympy.oo}


def kind_of(reduction):
    return KINDS[type(reduction)]


def combined(reduction, terms):
    """``reduction``'s terms ``terms`` (sympy) combined as it combines them."""
    if isinstance(reduction, Extreme):
        return reduction.written_out(terms)
    return sympy.Add(*terms) if isinstance(reduction, sympy.Sum) else sympy.Mul(*terms)


def reduction(kind, body, *limits):
    """The reduction of ``kind`` (a stage's: "sum", "prod", "max", "min") of ``body``."""
    return {v: k for k, v in REDUCTIONS.items()}[kind](body, *limits)


def others(product, at):
    """The product of the terms of ``product`` other than the one at index ``at``: those
    before it times those after, each a running product of ``at`` (a loop's prefix and
    suffix scans); ``product/term`` is nan where the term is 0."""
    (i, lo, hi), = product.limits       # (sums.Product: a range known empty is 1)
    return sums.Product(product.function, (i, lo, at - 1)) * sums.Product(product.function, (i, at + 1, hi))


def vector(name):
    """The ``IndexedBase`` of a vector parameter: its elements are real."""
    return sympy.IndexedBase(name, real=True)


def length_symbol(name):
    return sympy.Symbol(name, integer=True, nonnegative=True)


def index_symbol(name):
    return sympy.Symbol(name, integer=True)


_INDEX_NAMES = ("i", "k", "l", "m", "p", "q", "r", "s")


def fresh_index(*exprs, avoid=()):
    """An integer Symbol whose name no expression of ``exprs`` uses (``i``, then ``k``, ...)."""
    taken = set(avoid)
    for e in exprs:
        if isinstance(e, sympy.Basic):
            taken |= {s.name for s in e.atoms(sympy.Symbol)}
            taken |= {b.name for b in e.atoms(sympy.IndexedBase)}
    for name in _INDEX_NAMES + tuple(f"i{k}" for k in range(1, 100)):
        if name not in taken:
            return index_symbol(name)
    raise ValueError("no free index name")


def summed(body, index, lo, hi):
    """``Sum(body, (index, lo, hi))`` with the factors that do not depend on ``index``
    taken out (``Sum(c*f) = c*Sum(f)``: fewer operations per term, as one would write
    it), and a body free of ``index`` multiplied by the count where that cannot be
    negative.  Terms are not split out of a sum: ``n*mu - Sum(x[i])`` cancels where
    ``Sum(mu - x[i])`` does not."""
    body = sympy.sympify(body)
    if body == 0:
        return sympy.S.Zero
    if body.is_Mul:
        outside = [f for f in body.args if not f.has(index)]
        if outside:
            inside = [f for f in body.args if f.has(index)]
            return sympy.Mul(*outside) * summed(sympy.Mul(*inside), index, lo, hi)
    count = sympy.expand(hi - lo + 1)
    if not body.has(index) and count.is_nonnegative:
        return count * body
    return sums.Sum(body, (index, lo, hi))


def is_reduction(expr):
    return isinstance(expr, tuple(KINDS))


def _collect(expr, take):
    """The distinct nodes ``e`` of ``expr`` with ``take(e)``, in order, looking neither
    inside those nor inside reductions; each shared node visited once (a formula that
    reuses its steps is exponential as a tree), without recursion."""
    found, seen, stack = {}, set(), [expr]
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        if take(e):
            found.setdefault(e, None)
        elif isinstance(e, sympy.Basic) and not is_reduction(e):
            stack.extend(reversed(e.args))
    return list(found)


def reductions(expr):
    """The Sums and Products of ``expr`` that no other one contains, in a stable order."""
    return _collect(expr, is_reduction)


def loads(expr, base=None):
    """The elements ``x[e]`` of ``expr`` outside any reduction (of ``base`` only, if given)."""
    return _collect(expr, lambda e: isinstance(e, sympy.Indexed) and (base is None or e.base == base))


def affine(expr, var):
    """``(a, c)`` with ``expr == a*var + c``, ``a`` an integer constant; None otherwise."""
    expr = sympy.expand(expr)
    a = expr.diff(var)
    if not a.is_Integer:
        return None
    c = sympy.expand(expr - a * var)
    return (int(a), c) if not c.has(var) else None


def _relations(expr, j, apart=()):
    """The relations on ``j`` in ``expr``'s conditions (outside reductions); those that
    also hold an index of ``apart`` (a matrix's ``j == l``) are values, not cases."""
    return _collect(expr, lambda e: is_index_relation(e, j) and not (apart and e.has(*apart)))


def is_index_relation(e, j):
    """Whether ``e`` compares the index ``j`` with a bound (``j <= n - 2``), not a value
    read at ``j`` with a number (``abs(r[j]) < 1``, which is the formula's, not a case)."""
    if not (isinstance(e, sympy.core.relational.Relational) and e.has(j) and not e.atoms(sympy.Indexed)):
        return False
    form = affine(e.lhs - e.rhs, j)
    return form is not None and form[0] != 0      # (i - j >= i - n + 1 holds no i once expanded)


def has_index_relation(expr, j):
    return any(is_index_relation(e, j) for e in expr.atoms(sympy.core.relational.Relational))


def cases(expr, j, length, apart=(), where=()):
    """``(minimum, [(first, last, expression), ...])``: ``expr`` (an expression in ``j``
    for ``0 <= j < length``, ``length`` in one length Symbol ``n``, affine or with a
    division rounded: ``lengths``) on consecutive ranges ``first <= j <= last`` covering
    them, each expression free of conditions on ``j``, valid whenever ``n >= minimum``.
    A range of one element has its expression at that ``j``; a range that is empty at
    some lengths (between ``floor(n/2)`` and ``ceiling(n/2)``) is kept, empty there.
    ``where``: the conditions ``(n, modulus, residues, ...)`` on lengths the code runs
    at (a formula's ``steps``); bounds are compared at those lengths only."""
    relations = _relations(expr, j, apart)
    symbols = sorted(sympy.sympify(length).free_symbols, key=str)
    among = sorted(set(symbols).union(*({s for s in r.free_symbols if s.is_nonnegative} for r in relations)),
                   key=str)
    if len(among) > 1 and not lengths.rounded(sympy.Tuple(length, *relations)):
        return _cases_of_several(expr, j, length, apart, among)     # (bounds in another length)
    n = symbols[0] if symbols else sympy.Dummy("n", integer=True)
    if lengths.rounded(length) and len(symbols) > 1 and not relations:
        return 0, [(sympy.S.Zero, sympy.expand(length - 1), expr)]    # a slice with a step: one case
    points = {sympy.S.Zero, sympy.expand(length)}
    for rel in relations:
        form = affine(rel.lhs - rel.rhs, j)
        if form is None or form[0] not in (1, -1):
            raise ValueError(f"the condition {rel} is not a comparison of {j} with a bound")
        points |= {sympy.expand(-form[1] / form[0]), sympy.expand(1 - form[1] / form[0])}
    condition = next(((m, r) for s, m, r, *_ in where if str(s) == str(n)), (1, (0,)))
    order = lengths.Bounds(n, list(points) + [length], *condition)
    _check_bounds(points, n)
    points = {p for p in points if p in (0, length) or any(_changes(rel, j, n, p, m)
                                                           for rel in relations for m in order.lengths)}
    size = order.values(length)
    values = {}
    for p in points:                        # one point a place, inside 0..length
        v = order.values(p)
        if all(0 <= a <= b for a, b in zip(v, size)) and v not in values.values():
            values[p] = v
    inside = sorted(values, key=lambda p: values[p])
    for lo, hi in zip(inside, inside[1:]):
        if any(a > b for a, b in zip(values[lo], values[hi])):
            raise ValueError(f"the bounds {lo} and {hi} are in no order that holds for every length")
    minimum = max([order.least(hi - lo) for lo, hi in zip(inside, inside[1:])] + [0])
    pieces = []
    for lo, hi in zip(inside, inside[1:]):
        piece = _piece(expr, j, n, relations, order, lo, hi)
        if piece is None:
            continue
        if pieces and pieces[-1][2] == piece and order.values(pieces[-1][1] + 1) == values[lo]:
            pieces[-1] = (pieces[-1][0], sympy.expand(hi - 1), piece)
        else:
            pieces.append((lo, sympy.expand(hi - 1), piece))
    return minimum, [(lo, hi, piece.subs(j, lo) if set(order.values(hi - lo)) == {0} else piece)
                     for lo, hi, piece in pieces]


def _changes(rel, j, n, point, m):
    """Whether ``rel`` differs at ``j = point`` and ``j = point - 1`` where ``n`` is ``m``."""
    at = int(point.subs(n, m))
    return bool(rel.subs({j: at, n: m})) != bool(rel.subs({j: at - 1, n: m}))


def _check_bounds(points, n):
    for p in points:
        if not lengths.is_bound(p, n):
            raise ValueError(f"the bound {p} is not an integer plus a multiple of {n}")


def _piece(expr, j, n, relations, order, lo, hi):
    """``expr`` on ``lo <= j < hi``: each relation's truth there, taken at a length where
    the range is not empty (the same at every such length); None where it is always empty."""
    found = None
    for m in order.lengths:
        first, last = int(order.at(lo, m)), int(order.at(hi, m))
        if first >= last:
            continue
        truth = {rel: sympy.true if bool(rel.subs({j: first, n: m})) else sympy.false for rel in relations}
        piece = dag.substitute(expr, truth)
        if found is not None and piece != found:
            raise ValueError(f"the cases of {j} between {lo} and {hi} differ with the length")
        found = piece
    return found


def _cases_of_several(expr, j, length, apart, symbols):
    """``cases`` where ``length`` is a sum of several vectors' lengths (a concatenation's,
    ``n_x + n_y``): the points where a condition on ``j`` changes must be in an order
    that holds for every length (0 <= n_x <= n_x + n_y), else a ValueError; a range whose
    size is one length less a constant (``x[1:]``'s ``n_x - 1``) holds where that length
    is large enough, its minimum ``{n_x: 1}`` (the minimum a dict, by length)."""
    large = {s: lengths.LARGE * (k + 1) for k, s in enumerate(symbols)}

    def key(point):
        point = sympy.expand(point)
        coefficients = [point.coeff(s) for s in symbols]
        rest = sympy.expand(point - sum(c * s for c, s in zip(coefficients, symbols)))
        if not all(c.is_Integer for c in coefficients) or not rest.is_Integer:
            raise ValueError(f"the bound {point} is not an integer plus multiples of {', '.join(map(str, symbols))}")
        return tuple(int(c) for c in coefficients) + (int(rest),)
    points = {sympy.S.Zero, sympy.expand(length)}
    for rel in _relations(expr, j, apart):
        form = affine(rel.lhs - rel.rhs, j)
        if form is None or form[0] not in (1, -1):
            raise ValueError(f"the condition {rel} is not a comparison of {j} with a bound")
        at = sympy.expand(-form[1] / form[0])
        points |= {p for p in (at, at + 1)
                   if bool(rel.subs({j: p.subs(large), **large})) != bool(rel.subs({j: p.subs(large) - 1, **large}))}
    need = {}
    # a point at or before 0 (after the end) for every length large enough is no case: the
    # lengths from which it is are the minimum (below, the call writes the formula out)
    points = {p for p in points if p in (0, length) or not (_beyond(key(-p), symbols, need, lo=p) or
                                                           _beyond(key(p - length), symbols, need, lo=p))}
    ordered = sorted(points, key=key)
    for lo, hi in zip(ordered, ordered[1:]):          # every gap a length, never negative
        gap = key(hi - lo)
        if any(c < 0 for c in gap[:-1]) or gap[-1] < 0 and not any(gap[:-1]):
            raise ValueError(f"the bounds {lo} and {hi} are in no order that holds for every length")
        if gap[-1] < 0:                             # c*n_x + k: from n_x >= -k/c on
            _need(need, symbols, gap[:-1], gap[-1])
    pieces = []
    for lo, hi in zip(ordered, ordered[1:]):
        at = {j: lo.subs(large), **large}
        truth = {rel: sympy.true if bool(rel.subs(at)) else sympy.false for rel in _relations(expr, j, apart)}
        pieces.append((lo, sympy.expand(hi - 1), dag.substitute(expr, truth)))
    return need, [(lo, hi, piece.subs(j, lo) if key(hi - lo) == key(0) else piece) for lo, hi, piece in pieces]


def _beyond(gap, symbols, need, lo):
    """Whether ``c*n + k`` (``gap``, by ``symbols``) is not negative for every length large
    enough, the lengths that needs recorded in ``need``; a ValueError where it is neither
    that nor negative for every length."""
    *coefficients, k = gap
    if all(c == 0 for c in coefficients):
        return k >= 0
    if any(c < 0 for c in coefficients):
        if all(c <= 0 for c in coefficients):
            return False
        raise ValueError(f"the bound {lo} is in no order with the ends that holds for every length")
    if k < 0:
        _need(need, symbols, coefficients, k)
    return True


def _need(need, symbols, coefficients, k):
    """Record lengths at which ``c*n + k >= 0`` (``c >= 0``): one length large enough
    alone (where several grow, the first: below, the call writes the formula out)."""
    s, c = next((s, c) for s, c in zip(symbols, coefficients) if c > 0)
    need[s] = max(need.get(s, 0), -(k // c))


def least_pairs(length, minimum):
    """``((length Symbol, least value), ...)`` of a ``cases`` minimum above 1 (an int for
    ``length``'s one Symbol, or a dict by Symbol): the lengths from which the cases hold."""
    if isinstance(minimum, dict):
        return tuple((s, v) for s, v in sorted(minimum.items(), key=lambda p: str(p[0])) if v > 1)
    symbols = sorted(sympy.sympify(length).free_symbols, key=str)
    return ((symbols[0], minimum),) if symbols and minimum > 1 else ()


def cells(expr, j, rows, l, cols):
    """The cases of a matrix element ``expr`` in ``(j, l)``: ``(minimum rows, minimum
    columns, [(first row, last row, first column, last column, expression), ...])``,
    by rows (``cases`` in ``j``), each row range by columns."""
    least_rows, by_rows = cases(expr, j, rows, (l,))
    least_cols, found = 0, []
    for lo, hi, piece in by_rows:
        least, by_cols = cases(piece, l, cols, (j,))
        least_cols = max(least_cols, least)
        found += [(lo, hi, first, last, cell) for first, last, cell in by_cols]
    return least_rows, least_cols, found


def fixed(expr, lengths, components):
    """``expr`` with each length Symbol set (``lengths``), reductions written out, and
    each element ``x[k]`` the Symbol ``components[x][k]``; an index outside the vector
    is an ``IndexError``."""
    expr = expr.subs(lengths)
    if expr.has(ExtremeAt):                 # its Maximum is written out below: its comparison first
        expr = expr.replace(lambda e: isinstance(e, ExtremeAt), lambda e: e.as_piecewise())

    def write_out(e):
        if not isinstance(e, sympy.Basic) or e.is_Atom:
            return e
        if is_reduction(e):
            (index, lo, hi), = e.limits
            body = write_out(e.function)
            return combined(e, [body.subs(index, k) for k in range(int(lo), int(hi) + 1)])
        return e.func(*(write_out(a) for a in e.args))

    def element(e):
        items = components[e.base]
        for k in e.indices:
            if not (k.is_Integer and 0 <= int(k) < len(items)):
                raise IndexError(f"{e} is outside {e.base}")
            items = items[int(k)]
        return items
    return write_out(expr).replace(lambda t: isinstance(t, sympy.Indexed), element)
