"""What vectors of any length must be for the code to mean what numpy means: the least
lengths a call checks (a read at a fixed place, ``x[2]``; a maximum's one element; an
end written as the length less a constant, which Python would count from the back
below it), slice ends divided from a length (``len(y) // 2``) or moving with a loop's
index (``x[:i + 1]``, settled once the loop's range is known), and the reads of a
sum's terms, which must stay inside their vectors at both ends of its range.

Each need is recorded in ``Context.needs`` (vector name -> least length) for the call
to check, or refused at decoration where no length would do.
"""
import sympy

from .. import indexing, lengths
from .values import error, evaluated


def counts_back(ctx, vec, index):
    """Whether ``index`` (with a division: ``-(len(x) // 3) - 1``) is negative at every
    large length of ``vec``, so counts from its end, as Python's does."""
    if not (isinstance(index, sympy.Expr) and lengths.rounded(index)):
        return False
    order = length_bounds(ctx, index, vec.length)
    return order is not None and all(v < 0 for v in order.values(index))


def note_needs(ctx, value):
    """Record the length each element read at a fixed place needs (``x[2]``: 3, ``x[-2]``: 2),
    which a call checks: Python would raise an IndexError there."""
    if not isinstance(value, sympy.Basic):
        return
    for element in value.atoms(sympy.Indexed):
        own = ctx.length_of.get(element.base)
        if not isinstance(own, sympy.Symbol):      # data: the call cannot change its length
            continue
        form = indexing.affine(element.indices[0], own)
        if form is None or not form[1].is_Integer or form[0] not in (0, 1):
            continue
        need = int(form[1]) + 1 if form[0] == 0 else -int(form[1])
        name = str(element.base)
        ctx.needs[name] = max(ctx.needs.get(name, 0), need)


def moving(ctx, value):
    """Whether ``value`` is a slice end that moves with loop indices (integer Symbols that
    are no length): integers times them and lengths, plus an integer."""
    if not isinstance(value, sympy.Expr):
        return False
    indices = [s for s in value.free_symbols if s.is_integer and s not in ctx.lengths]
    if not indices or not value.free_symbols <= set(indices) | set(ctx.lengths):
        return False
    names = list(value.free_symbols)
    flat = sympy.expand(value)
    rest = sympy.expand(flat - sum(flat.coeff(v) * v for v in names))
    return rest.is_Integer and all(flat.coeff(v).is_Integer for v in names)


def settle_moving(ctx, index, count):
    """The slice ends moving with ``index`` (``0 <= index < count``) at both ends of its
    range: never negative (Python would count from the vector's end, which a sum's bounds
    do not), the lengths that needs recorded; those moving with an outer index too wait
    for it."""
    waiting = []
    for value, node, what in ctx.moving:
        if not value.has(index):
            waiting.append((value, node, what))
            continue
        for at in (sympy.S.Zero, evaluated(count - 1)):
            end = evaluated(value.subs(index, at))
            if moving(ctx, end):
                waiting.append((end, node, what))
            elif at != 0 and _vacuous(ctx, end, count):
                continue
            elif not _never_negative(ctx, end) and what == "the slice end":
                raise error(ctx, node, f"the slice end {value} is {end} at {index} = {at}: Python would "
                            "count it from the vector's end", "keep the slice's ends at 0 or after")
            elif not _never_negative(ctx, end):
                raise error(ctx, node, f"{what} of {evaluated(value + 1)} elements has none at {index} = {at} "
                            "(numpy raises a ValueError)", "take it over a range of one element at least")
    ctx.moving[:] = waiting


def _vacuous(ctx, end, count):
    """Whether ``end`` (in one length) is not negative wherever ``count``, the loop's, is at
    least 1: at the other lengths the loop does not run."""
    order = length_bounds(ctx, end, count)
    return order is not None and all(v >= 0 for v in order.values(end)) \
        and all(v >= 1 for v in order.values(count)) and order.least(end) <= order.least(count - 1)


def _never_negative(ctx, end):
    """Whether ``end`` (a number, or in one length) is not negative: for a length large
    enough, recorded as the call's need."""
    end = sympy.expand(end)
    if end.is_Integer:
        return end >= 0
    order = length_bounds(ctx, end)
    if order is None or any(v < 0 for v in order.values(end)):
        return False
    note_from(ctx, order.n, order.least(end))
    return True


def length_bounds(ctx, *exprs):
    """``lengths.Bounds`` of ``exprs`` (bounds, divisions of lengths among them) in their one
    symbol, a vector's length, or None."""
    symbols = sympy.Tuple(*exprs).free_symbols
    if len(symbols) != 1 or not symbols <= set(ctx.lengths) or not all(lengths.is_bound(e, *symbols) for e in exprs):
        return None
    return lengths.Bounds(*symbols, list(exprs))


def divided_end(ctx, vec, value):
    """Whether ``value`` (with a division rounded: ``len(y) // 2``) is a bound of ``vec``
    at every large length; the least length from which it is inside is recorded."""
    order = length_bounds(ctx, value, vec.length)
    if order is None or any(v < 0 or v > size for v, size in zip(order.values(value), order.values(vec.length))):
        return False
    note_from(ctx, order.n, max(order.least(value), order.least(vec.length - value)))
    return True


def note_from(ctx, n, need):
    """The call needs ``n`` (a vector's length Symbol) to be at least ``need``."""
    for base, own in ctx.length_of.items():
        if own == n and need > 0:
            ctx.needs[str(base)] = max(ctx.needs.get(str(base), 0), need)
            return


def note_some(ctx, node, kind, vec):
    """numpy's max of no elements raises: the length the vector needs for one, recorded
    for the call (a range that moves with another index is refused: it may be empty)."""
    length = evaluated(vec.stride[2] - vec.stride[0]) if vec.stride is not None else vec.length
    if vec.stride is None and moving(ctx, evaluated(length - 1)):
        # x[:i + 1]: one element at least wherever the loop runs, checked with its range
        ctx.moving.append((evaluated(length - 1), node, f"np.{kind}"))
        return
    if not set(sympy.sympify(length).free_symbols) <= set(ctx.lengths):
        raise error(ctx, node, f"np.{kind} over a range that moves with another index is not supported yet",
                    f"take np.{kind} of a slice with constant ends")
    if not note_least(ctx, length, 1):
        raise error(ctx, node, f"np.{kind} of no elements (numpy raises a ValueError)")


def note_least(ctx, length, least):
    """Whether ``length`` can be at least ``least``: where it is affine in one vector's
    length Symbol, the length that vector needs for it is recorded for the call to check
    (numpy's ``np.max(x[1:])`` needs 2 elements, ``du[2] = ...`` 3), as ``note_needs``
    records a read's; a number is compared."""
    length = sympy.expand(length)
    if length.is_Integer:
        return length >= least
    order = length_bounds(ctx, length) if lengths.rounded(length) else None
    if order is not None:
        if any(v < least for v in order.values(length)):
            return False
        note_from(ctx, order.n, order.least(length - least))
        return True
    owners = [(base, n) for base, n in ctx.length_of.items()
              if isinstance(n, sympy.Symbol) and n in length.free_symbols]
    form = indexing.affine(length, owners[0][1]) if len(length.free_symbols) == 1 and owners else None
    if form is None or form[0] <= 0 or not form[1].is_Integer:
        return True             # (a range that moves with an index: none is empty where it is used)
    need = -((int(form[1]) - least) // form[0])          # the least n with a*n + c >= least
    name = str(owners[0][0])
    ctx.needs[name] = max(ctx.needs.get(name, 0), need)
    return True


def check_reads(ctx, node, body, index, length):
    """Refuse an element read outside its vector at either end of the range (of each
    case, where conditions on the index split it)."""
    if indexing.has_index_relation(body, index):
        try:
            _, pieces = indexing.cases(body, index, length)
        except ValueError:
            return                          # the call's own check still guards every read
        for first, last, piece in pieces:
            if first == last:
                continue
            shifted = piece.xreplace({index: index + first})
            check_reads(ctx, node, shifted, index, sympy.expand(last - first + 1))
        return
    for element in body.atoms(sympy.Indexed):
        at = element.indices[0]
        own = ctx.length_of.get(element.base)
        if own is None or not at.has(index):
            continue
        for end in (sympy.S.Zero, length - 1):
            k = sympy.expand(at.subs(index, end).xreplace(ctx.equal))
            for low, high in ((k, 0), (own.xreplace(ctx.equal) - 1, k)):
                key = _key(sympy.expand(low - high), own.xreplace(ctx.equal))
                if key is not None and key < (0, 0):
                    raise error(ctx, node, f"{element} reads {element.base}[{k}] at {index} = {end}, "
                                f"outside {element.base}", "slice or offset the range so every "
                                "index stays inside (Python would wrap a negative index around)")


def _key(expr, n):
    if not isinstance(n, sympy.Symbol):         # data: its length is a number
        return (0, int(expr)) if expr.is_Integer else None
    form = indexing.affine(expr, n)
    if form is None or not form[1].is_Integer:
        return None
    return form[0], int(form[1])
