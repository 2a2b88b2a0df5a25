"""Derivatives by an element ``A[j, l]`` of a matrix of any shape: one formula in ``(j, l)``.

As for a vector (``sum_calculus.element_derivative``), sums are differentiated
here, not through sympy's ``KroneckerDelta``: each element ``A[e1, e2]`` a
sum's terms read is a slot; ``e1 = j, e2 = l`` is solved for the sum's
indices (each read with a coefficient of 1 or -1), the solved indices leave
the sum, their ranges become the conditions on ``(j, l)``, and the indices
left keep their sum (``d/dA[j, l]`` of ``Sum(Sum(A[k, i]*x[i], i)**2, k)`` is
``2*x[l]*Sum(A[j, i]*x[i], i)``).  A sum whose terms hold sums of ``A`` is
differentiated by the chain rule through each, the condition its derivative
puts on the outer index (``Eq(k, j)``) solved the same way.  What the
solving cannot express as ranges of ``(j, l)`` (an index read as ``i + k``, a
solved index whose range moves with one left) is a ``NotImplementedError``.
"""
import sympy

from . import indexing
from .calculus import derivative
from .sum_calculus import through_parts


def element_derivative(expr, base, j, l):
    """``d expr / d base[j, l]`` (``base`` an ``IndexedBase`` read with two indices)."""
    return through_parts(expr, base, lambda e: sympy.And(sympy.Eq(j, e.indices[0]), sympy.Eq(l, e.indices[1])),
                         lambda r: _of_reduction(r, base, j, l))


def _of_reduction(reduction, base, j, l):
    """``d reduction / d base[j, l]``: a sum of ``Piecewise((value, condition), (0, True))``."""
    if not isinstance(reduction, sympy.Sum):
        raise NotImplementedError(f"the derivative of {reduction} by a matrix element is not supported yet")
    limits = list(reduction.limits)
    inner = {sympy.Dummy(f"s{q}", real=True): r for q, r in enumerate(indexing.reductions(reduction.function))
             if r.has(base)}
    held = reduction.function.xreplace({r: h for h, r in inner.items()})
    terms = []
    slots = {e: sympy.Dummy("t", real=True) for e in held.atoms(sympy.Indexed) if e.base == base}
    direct = held.xreplace(slots)
    for element, holder in slots.items():
        d_body = derivative(direct, holder).xreplace({h: e for e, h in slots.items()}).xreplace(inner)
        if d_body != 0:
            r, c = element.indices
            terms.append(_collapse(d_body, [sympy.Eq(r, j), sympy.Eq(c, l)], limits, reduction))
    for holder, r in inner.items():
        outside = derivative(held, holder).xreplace(inner)
        if outside == 0:
            continue
        for piece in sympy.Add.make_args(_of_reduction(r, base, j, l)):
            value, condition = _piece(piece)
            terms.append(_collapse(outside * value, list(sympy.And.make_args(condition)), limits, reduction))
    return sympy.Add(*terms)


def _piece(term):
    """``(value, condition)`` of ``Piecewise((value, condition), (0, True))``, or ``(term, True)``."""
    if isinstance(term, sympy.Piecewise) and len(term.args) == 2 and term.args[1] == (0, True):
        return term.args[0]
    return term, sympy.true


def _collapse(term, conditions, limits, reduction):
    """``Sum(Piecewise((term, And(*conditions)), (0, True)), *limits)`` with each condition
    that fixes a sum index (an ``Eq`` with a coefficient of 1 or -1 on it) solved: that
    index leaves the sum, its range a condition on what is left; the indices left keep
    their sum, the conditions free of them come out of it."""
    indices = [limit[0] for limit in limits]
    solved, kept = {}, []
    for condition in conditions:
        condition = condition.xreplace(solved) if solved else condition
        if condition is sympy.true:
            continue
        free = [i for i in indices if i not in solved and condition.has(i)]
        if not free:
            kept.append(condition)
            continue
        if not isinstance(condition, sympy.Eq):
            raise NotImplementedError(f"the derivative of {reduction} by a matrix element: the condition "
                                      f"{condition} on its index is not a range of (j, l)")
        form = indexing.affine(condition.lhs - condition.rhs, free[0])
        if form is None or form[0] not in (1, -1):
            raise NotImplementedError(f"the derivative of {reduction} by a matrix element: index its "
                                      "elements with i + c, c - i or a constant")
        value = sympy.expand(-form[1] / form[0])
        solved = {k: sympy.expand(v.xreplace({free[0]: value})) for k, v in solved.items()}
        solved[free[0]] = value
    left = [limit for limit in limits if limit[0] not in solved]
    names = {limit[0] for limit in left}
    ranges = []
    for index, lo, hi in limits:
        if index not in solved:
            continue
        at, lo, hi = (sympy.expand(x.xreplace(solved)) for x in (solved[index], lo, hi))
        if at.has(*names) or lo.has(*names) or hi.has(*names):
            raise NotImplementedError(f"the derivative of {reduction} by a matrix element: a range "
                                      "that moves with another index is not supported yet")
        ranges += [sympy.Le(lo, at), sympy.Le(at, hi)]
    if any(c.has(*names) for c in kept):
        raise NotImplementedError(f"the derivative of {reduction} by a matrix element is not supported yet")
    value = term.xreplace(solved)
    for index, lo, hi in left:                  # innermost first, as sympy's limits are
        value = indexing.summed(value, index, lo.xreplace(solved), hi.xreplace(solved))
    return sympy.Piecewise((value, sympy.And(*ranges, *kept)), (0, True))
