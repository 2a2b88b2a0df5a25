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

from .extremes import Extreme, ExtremeAt, Maximum, Minimum

#: the kinds of reduction a formula may hold: their loop stages' kinds, and how their
#: terms combine written out
REDUCTIONS = {sympy.Sum: "sum", sympy.Product: "prod", Maximum: "max", Minimum: "min"}


#: each kind's value of no terms
UNITS = {"sum": sympy.S.Zero, "prod": sympy.S.One, "max": -sympy.oo, "min": sympy.oo}


def kind_of(reduction):
    return REDUCTIONS[type(reduction)]


def combined(reduction, terms):
    """``reduction``'s terms ``terms`` (sympy) combined as it combines them."""
    if isinstance(reduction, Extreme):
        return reduction.written_out(terms)
    return sympy.Add(*terms) if isinstance(reduction, sympy.Sum) else sympy.Mul(*terms)


def reduction(kind, body, *limits):
    """The reduction of ``kind`` (a stage's: "sum", "prod", "max", "min") of ``body``."""
    return {v: k for k, v in REDUCTIONS.items()}[kind](body, *limits)


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
    return sympy.Sum(body, (index, lo, hi))


def is_reduction(expr):
    return isinstance(expr, tuple(REDUCTIONS))


def _collect(expr, take):
    """The distinct nodes ``e`` of ``expr`` with ``take(e)``, in order, looking neither
    inside those nor inside reductions."""
    found = []

    def walk(e):
        if take(e):
            if e not in found:
                found.append(e)
        elif isinstance(e, sympy.Basic) and not is_reduction(e):
            for a in e.args:
                walk(a)
    walk(expr)
    return found


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
    return isinstance(e, sympy.core.relational.Relational) and e.has(j) \
        and not e.atoms(sympy.Indexed) and affine(e.lhs - e.rhs, j) is not None


def has_index_relation(expr, j):
    return any(is_index_relation(e, j) for e in expr.atoms(sympy.core.relational.Relational))


def _key(point, n):
    """How ``point`` (affine in ``n``) orders for every large ``n``."""
    form = affine(point, n)
    if form is None or not form[1].is_Integer:
        raise ValueError(f"the bound {point} is not an integer plus a multiple of {n}")
    return form[0], int(form[1])


_LARGE = 2 ** 40


def _changes(rel, j, n, point):
    """Whether ``rel`` differs at ``j = point`` and ``j = point - 1`` (for every large ``n``)."""
    at = lambda k: bool(rel.subs({j: point.subs(n, _LARGE) + k, n: _LARGE}))  # noqa: E731
    return at(0) != at(-1)


def cases(expr, j, length, apart=()):
    """``(minimum, [(first, last, expression), ...])``: ``expr`` (an expression in ``j``
    for ``0 <= j < length``, ``length`` affine in one length Symbol ``n``) on consecutive
    ranges ``first <= j <= last`` covering them, each expression free of conditions on
    ``j``, valid whenever ``n >= minimum``.  A range of one element has its expression
    at that ``j``."""
    symbols = sorted(sympy.sympify(length).free_symbols, key=str)
    if len(symbols) > 1 and not sympy.sympify(length).has(sympy.ceiling):
        return 0, _cases_of_several(expr, j, length, apart, symbols)
    n = symbols[0] if symbols else sympy.Dummy("n", integer=True)
    if sympy.sympify(length).has(sympy.ceiling) and not _relations(expr, j, apart):
        return 0, [(sympy.S.Zero, sympy.expand(length - 1), expr)]    # a slice with a step: one case
    points = {sympy.S.Zero, sympy.expand(length)}
    for rel in _relations(expr, j, apart):
        form = affine(rel.lhs - rel.rhs, j)
        if form is None or form[0] not in (1, -1):
            raise ValueError(f"the condition {rel} is not a comparison of {j} with a bound")
        at = sympy.expand(-form[1] / form[0])     # the j where the two sides are equal
        points |= {p for p in (at, at + 1) if _changes(rel, j, n, p)}
    inside = [p for p in points if (0, 0) <= _key(p, n) <= _key(length, n)]
    inside.sort(key=lambda p: _key(p, n))
    minimum = 0
    for lo, hi in zip(inside, inside[1:]):
        a, b = _key(hi - lo, n)             # the range's size is a*n + b >= 0 from there on
        minimum = max(minimum, -(b // a) if a > 0 else 0)
    pieces = []
    for lo, hi in zip(inside, inside[1:]):
        at = {j: lo.subs(n, _LARGE), n: _LARGE}
        truth = {rel: sympy.true if bool(rel.subs(at)) else sympy.false
                 for rel in _relations(expr, j, apart)}
        piece = expr.xreplace(truth)
        if pieces and pieces[-1][2] == piece and _key(pieces[-1][1] + 1, n) == _key(lo, n):
            pieces[-1] = (pieces[-1][0], sympy.expand(hi - 1), piece)
        else:
            pieces.append((lo, sympy.expand(hi - 1), piece))
    return minimum, [(lo, hi, piece.subs(j, lo) if _key(hi - lo, n) == (0, 0) else piece)
                     for lo, hi, piece in pieces]


def _cases_of_several(expr, j, length, apart, symbols):
    """``cases`` where ``length`` is a sum of several vectors' lengths (a concatenation's,
    ``n_x + n_y``): the points where a condition on ``j`` changes must be in an order
    that holds for every length (0 <= n_x <= n_x + n_y), else a ValueError."""
    large = {s: _LARGE * (k + 1) for k, s in enumerate(symbols)}

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
    ordered = sorted(points, key=key)
    for lo, hi in zip(ordered, ordered[1:]):          # every gap a length, never negative
        gap = key(hi - lo)
        if any(c < 0 for c in gap[:-1]) or gap[-1] < 0:
            raise ValueError(f"the bounds {lo} and {hi} are in no order that holds for every length")
    pieces = []
    for lo, hi in zip(ordered, ordered[1:]):
        at = {j: lo.subs(large), **large}
        truth = {rel: sympy.true if bool(rel.subs(at)) else sympy.false for rel in _relations(expr, j, apart)}
        pieces.append((lo, sympy.expand(hi - 1), expr.xreplace(truth)))
    return [(lo, hi, piece.subs(j, lo) if key(hi - lo) == key(0) else piece) for lo, hi, piece in pieces]


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
