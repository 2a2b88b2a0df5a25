"""Arrays of any length filled item by item, as the method of lines writes a right-hand
side: ``du = np.zeros_like(u)``, then ``du[1:-1] = (u[2:] - 2*u[1:-1] + u[:-2])/h**2``,
``du[0] = ...``, ``du[-1] = ...``, or ``du[i] = ...`` in a loop over ``range(1, len(u) - 1)``.

The array stays a ``Vec``: each store gives a new one whose element at ``k`` is the
stored value where ``k`` is among the places written (a condition on ``k``: an index
relation, which ``indexing.cases`` turns into the output's cases) and the element before
otherwise.  ``stores.check`` has already refused every use where numpy's in-place change
would show elsewhere (views, second names, arguments).
"""
import sympy

from . import needs, sequences as seq
from .values import error, evaluated


def storable(vec):
    return seq.is_vec(vec) and vec.stride is None and vec.axis is None


def store(ctx, node, vec, place, value):
    """``vec`` with ``value`` stored at ``place``: ``("item", k)`` (a constant, negative
    counting from the end, a length less a constant, or a loop's index) or ``("slice", lo, hi,
    step)`` (``seq.sliced``'s ends, in ``vec``'s indices)."""
    if place[0] == "item":
        at = place[1]
        if isinstance(at, sympy.Integer):
            if not needs.note_least(ctx, vec.length, -int(at) if at < 0 else int(at) + 1):
                raise error(ctx, node, f"index {at} is out of range for an array of {vec.length}")
            at = evaluated(vec.length + at) if at < 0 else at
        elif not set(ctx.loop_indices) & at.free_symbols:      # du[n - 1]: inside for every n it holds
            if not (needs.note_least(ctx, at, 0) and needs.note_least(ctx, evaluated(vec.length - at), 1)):
                raise error(ctx, node, f"index {at} is outside an array of {vec.length}")
        if isinstance(value, tuple) or seq.is_elementwise(value):
            raise error(ctx, node, "cannot store an array in one element")
        return Stored(_where(vec, lambda k: sympy.Eq(k, at), lambda k: value), vec, at, value)
    _, lo, hi, step = place
    if step != 1:
        return _stepped(ctx, node, vec, lo, hi, step, value)
    # the slice inside the array (numpy's would be shorter, and the value not fit it): the
    # lengths that needs are the call's to check
    if not (needs.note_least(ctx, lo, 0) and needs.note_least(ctx, evaluated(vec.length - hi), 0)):
        raise error(ctx, node, f"the slice {lo}:{hi} is outside an array of {vec.length}")
    count = evaluated(hi - lo)
    if seq.is_vec(value):
        seq.same_length(ctx, node, [value.length, count])
        rule = lambda k: value.at(evaluated(k - lo))  # noqa: E731
    elif isinstance(value, tuple):
        seq.same_length(ctx, node, [count, sympy.Integer(len(value))])
        rule = lambda k: sympy.Piecewise(*[(v, sympy.Eq(k, lo + m)) for m, v in enumerate(value[:-1])],  # noqa: E731
                                         (value[-1], True)) if value else sympy.nan
    elif seq.is_elementwise(value):
        raise error(ctx, node, "cannot store a matrix in a slice of a vector")
    else:
        rule = lambda k: value  # noqa: E731
    if lo == 0 and evaluated(hi - vec.length) == 0:
        return seq.Vec(vec.length, rule)
    return _where(vec, lambda k: sympy.And(sympy.Ge(k, lo), sympy.Lt(k, hi)), rule)


def _stepped(ctx, node, vec, lo, hi, step, value):
    """``du[lo:hi:step] = value``: the places ``k`` with ``k - lo`` a multiple of ``step``
    (a condition on the element, not a case), a vector's element ``(k - lo)/step`` there,
    which must be read at whole indices (``du[::2] = u`` of ``u = y[::2]`` reads ``y[k]``)."""
    if not (needs.note_least(ctx, lo, 0) and needs.note_least(ctx, evaluated(vec.length - hi), 0)):
        raise error(ctx, node, f"the slice {lo}:{hi}:{step} is outside an array of {vec.length}")
    if seq.is_vec(value) and value.axis is None:
        seq.same_length(ctx, node, [value.length, sympy.ceiling(evaluated(hi - lo) / step)])
        rule = lambda k: value.at(evaluated((k - lo) / step))  # noqa: E731
    elif isinstance(value, tuple) or seq.is_elementwise(value):
        raise error(ctx, node, "a store into a slice with a step takes a vector or a number",
                    "store a slice of the same step, or single elements")
    else:
        rule = lambda k: value  # noqa: E731
    probe = sympy.Symbol("probe", integer=True)
    sample = sympy.sympify(rule(probe))
    if any(at.has(probe) and (seq.indexing.affine(at, probe) is None or not seq.indexing.affine(at, probe)[1].is_Integer)
           for e in sample.atoms(sympy.Indexed) for at in e.indices):
        raise error(ctx, node, f"the values stored into a slice with step {step} are read at other steps",
                    "store values read with the same step (du[::2] = f(y[::2], y[1::2]))")
    last = seq.settled(ctx, evaluated(lo + step * (sympy.ceiling(evaluated(hi - lo) / step) - 1)))
    # the last place written where the code's conditions make it a length less a constant
    # (n - 2 of du[::2] at even n): the cases end there, so no read past it is made
    last = evaluated(hi - 1) if seq.lengths.rounded(last) else last
    on = lambda k: sympy.And(sympy.Eq(sympy.Mod(k - lo, step), 0), sympy.Ge(k, lo), sympy.Le(k, last))  # noqa: E731
    return _where(vec, on, rule)


class Stored(seq.Vec):
    """A Vec made by a store of ``value`` at the index ``place`` into ``before``: what a
    loop lifts to every iteration (``lifted``)."""
    __slots__ = ("before", "place", "value")

    def __init__(self, vec, before, place, value):
        super().__init__(vec.length, vec.at)
        self.before, self.place, self.value = before, place, value


def lifted(ctx, node, before, after, index, items):
    """``before`` with the stores of every iteration of a loop over ``items`` (a range of
    any length), given ``after``, ``before`` with one iteration's at the loop's ``index``:
    each iteration stores one element, ``du[i + c]`` (the last store there wins, as it
    would), which no other iteration stores."""
    made, vec = [], after
    while vec is not before:
        if not isinstance(vec, Stored):
            raise error(ctx, node, "an array filled in a loop over a length must be changed only by "
                        "storing its elements", "write du[i] = ... in the loop")
        made.append(vec)
        vec = vec.before
    if not made:
        return before
    form = seq.indexing.affine(made[0].place, index)
    if items.stride is not None or form is None or form[0] != 1 or any(m.place != made[0].place for m in made):
        raise error(ctx, node, "a loop over a length stores one element per iteration at its index "
                    "plus a constant", "write du[i] = ... (or du[i + 1] = ...) once per iteration")
    shift, value, last = form[1], made[0].value, evaluated(items.length - 1)
    beyond = evaluated(shift + items.length - before.length)
    if not (shift.is_Integer and shift >= 0 and beyond.is_Integer and beyond <= 0):
        raise error(ctx, node, f"the loop stores at {made[0].place} for {index} from 0 to {last}, which may be "
                    f"outside the array of {before.length} (numpy raises an IndexError)",
                    "loop over the range of the array's own indices")

    def element(k):
        i = evaluated(k - shift)
        return sympy.Piecewise((seq.replaced(value, index, i), sympy.And(sympy.Ge(i, 0), sympy.Le(i, last))),
                               (before.at(k), True))
    return seq.Vec(before.length, element)


def _where(vec, inside, rule):
    def element(k):
        condition = inside(k)
        if condition is sympy.true:
            return rule(k)
        if condition is sympy.false:
            return vec.at(k)
        return sympy.Piecewise((rule(k), condition), (vec.at(k), True))
    return seq.Vec(vec.length, element)
