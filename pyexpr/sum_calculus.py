"""Derivatives by an element of a vector of any length: sums differentiated by slot.

``element_derivative(expr, base, j)`` is ``d expr / d base[j]`` as one expression in
the index ``j``, its boundary cases as conditions on ``j``; ``directional`` is the
derivative along another vector, its sums kept sums.  Each sum's body is
differentiated once per element it reads (``calculus.derivative``), the slot's index
solved for ``j`` and the sum's range becoming the condition, instead of sympy's
``KroneckerDelta`` route (open wrong-result bugs, n formulas for n elements).
"""
import sympy

from . import indexing, lengths
from .sums import Sum
from .calculus import derivative
from .dag import atoms, substitute
from .extremes import Extreme, ties, weight


def element_derivative(expr, base, j):
    """``d expr / d base[j]``: one expression in the index ``j`` (an element of a vector
    of any length), its boundary cases as conditions on ``j``.

    The sums are differentiated here rather than by sympy's ``KroneckerDelta`` route:
    every element ``base[a*i + c]`` a sum's body reads (``a`` = 1, -1 or 0) is a slot
    of its own; the body is differentiated once per slot and the slot's sum index
    solved for ``j``, the sum's range becoming the condition on ``j``.  The rest of
    the expression is differentiated by the chain rule through each sum and each
    element outside the sums."""
    return through_parts(expr, base, lambda e: sympy.Eq(j, e.indices[0]),
                         lambda r: _reduction_derivative(r, base, j))


def through_parts(expr, base, at, of_reduction):
    """The chain rule through the parts of ``expr`` that read ``base`` (``hide``): an element
    outside the sums counts where ``at(element)`` holds, a sum by ``of_reduction(sum)``."""
    outer, holders = hide(expr, base)
    total = []
    for holder, inner in holders.items():
        outside = derivative(outer, holder)
        if outside == 0:
            continue
        back = substitute(outside, holders)
        if isinstance(inner, sympy.Indexed):
            total.append(sympy.Piecewise((back, at(inner)), (0, True)))
        else:
            total.append(back * of_reduction(inner))
    return sympy.Add(*total)


def hide(expr, base):
    """``expr`` with each reduction and each element of ``base`` outside them replaced by
    a Dummy, and the Dummies' meanings."""
    holders = {sympy.Dummy(f"s{k}", real=True): r for k, r in enumerate(indexing.reductions(expr))}
    outer = substitute(expr, {r: h for h, r in holders.items()})
    elements = {sympy.Dummy(f"t{k}", real=True): e for k, e in enumerate(indexing.loads(outer, base))}
    holders.update(elements)
    return substitute(outer, {e: h for h, e in elements.items()}), holders


def _reduction_derivative(reduction, base, j, restore=None):
    if isinstance(reduction, Extreme):
        return _extreme_derivative(reduction, base, j)
    if len(reduction.limits) == 2 and isinstance(reduction, sympy.Sum):
        return _double_sum_derivative(reduction, base, j)
    if len(reduction.limits) > 1:
        raise NotImplementedError(f"the derivative by an element of {reduction} is not supported yet")
    (i, lo, hi), = reduction.limits
    body = reduction.function
    if any(r.has(base) for r in indexing.reductions(body)):
        merged = _merged_sums(reduction)
        if merged is None:
            return _through_inner_sums(reduction, base, j)
        return sympy.Add(*(_reduction_derivative(r, base, j) for r in merged))
    slots = {}
    for element in atoms([body], sympy.Indexed):
        if element.base == base:
            form = indexing.affine(element.indices[0], i)
            if form is None:
                raise NotImplementedError(f"the derivative by an element read as {element} "
                                          f"is not supported: index with a*{i} + c")
            slots[element] = (sympy.Dummy("t", real=True), form)
    held = substitute(body, {e: h for e, (h, _) in slots.items()})
    back = {h: e for e, (h, _) in slots.items()}
    terms, scaled = [], []                      # scaled: of a product, by it over the term
    product = isinstance(reduction, sympy.Product)
    for element, (holder, (a, c)) in slots.items():
        d_body = substitute(derivative(held, holder), back)
        if d_body == 0:
            continue
        if restore:                             # what stood for inner sums, before i is solved
            d_body = substitute(d_body, restore)
        # of a product, the term's derivative times the others' product where that is
        # running products of j alone, growing with j (the product over the term is nan
        # where it is 0); else over the term
        quotient = product and (a != 1 or _moving(lo, hi, c))
        if quotient:
            d_body = d_body / body
        if a == 0:                              # the same element in every term
            value = indexing.summed(d_body, i, lo, hi)
            piece = sympy.Piecewise((value, sympy.Eq(j, c)), (0, True))
        elif abs(a) > 1:
            piece = _stepped_slot(d_body, i, lo, hi, a, c, j, element)
        else:
            at = (j - c) * a                     # the i whose term reads base[j]
            inside = sympy.And(sympy.Le(lo, at), sympy.Le(at, hi))
            # each shared node once: sympy's subs walks the derivative as a tree
            term = substitute(d_body, {i: at})
            if product and not quotient:
                term *= indexing.others(reduction, at)
            piece = sympy.Piecewise((term, inside), (0, True))
        (scaled if quotient else terms).append(piece)
    total = sympy.Add(*terms)
    return total + reduction * sympy.Add(*scaled) if scaled else total


def _moving(*bounds):
    """Whether ``bounds`` move with an index (an integer Symbol that is no length)."""
    return any(s.is_integer and not s.is_nonnegative for s in sympy.Tuple(*bounds).free_symbols)


def _stepped_slot(d_body, i, lo, hi, a, c, j, element):
    """The slot ``base[a*i + c]`` (``|a| > 1``: ``x[2*i + 1]`` of a loop over pairs) read at
    ``j``: by the term ``i = (j - c)/a`` where ``j - c`` is a multiple of ``a``, its range
    in ``j`` from the sum's; every other read of that term must fall at a whole index."""
    moved = substitute(d_body, {i: (j - c) / a})
    if any(indexing.affine(at, j) is None or not indexing.affine(at, j)[1].is_Integer
           for e in atoms([moved], sympy.Indexed) for at in e.indices if at.has(j)):
        raise NotImplementedError(f"the derivative by an element read as {element}, beside elements "
                                  f"read at {i} itself, is not supported yet")
    first, last = (a * lo + c, a * hi + c) if a > 0 else (a * hi + c, a * lo + c)
    on = sympy.And(sympy.Eq(sympy.Mod(j - c, abs(a)), 0), sympy.Le(first, j), sympy.Le(j, last))
    return sympy.Piecewise((moved, on), (0, True))


def _extreme_derivative(extreme, base, j):
    """``d/d base[j]`` of a Maximum (Minimum): of the sum of its terms each weighted by
    whether it is the extreme (the weights held: ``m`` stands for the extreme in them),
    over the number of such terms (``extremes``)."""
    if len(extreme.limits) > 1:
        raise NotImplementedError(f"the derivative of {extreme} (over two indices) is not supported yet")
    (i, lo, hi), = extreme.limits
    if _moving(lo, hi):
        raise NotImplementedError(f"the derivative of {extreme}, over a range that moves with another "
                                  "index, is not supported yet")
    if indexing.has_index_relation(extreme.function, i):
        raise NotImplementedError(f"the derivative of {extreme}, whose terms have cases in its index, "
                                  "is not supported yet")
    held = sympy.Dummy("m", real=True)
    weighted = Sum(extreme.function * weight(extreme, i, held), (i, lo, hi))
    return substitute(_reduction_derivative(weighted, base, j), {held: extreme}) / ties(extreme)


def _through_inner_sums(reduction, base, j):
    """``d/d base[j]`` of ``Sum(G(x[...], S_1(k), ...), (k, ..))`` whose terms hold sums
    ``S_q(k)`` over another index (``|A x - b|^2``): the chain rule through each, ``Sum(dG/dS_q
    * dS_q(k)/d base[j], k)``, plus the terms' own elements; a condition on ``j`` alone
    comes out of the sum."""
    if not isinstance(reduction, sympy.Sum):
        raise NotImplementedError(f"the derivative of {reduction} by an element is not supported yet")
    (k, lo, hi), = reduction.limits
    inner = {sympy.Dummy(f"s{q}", real=True): r for q, r in enumerate(indexing.reductions(reduction.function))}
    held = substitute(reduction.function, {r: h for h, r in inner.items()})
    terms = [] if not held.has(base) else [_reduction_derivative(Sum(held, (k, lo, hi)), base, j,
                                                                 restore=inner)]
    for holder, r in inner.items():
        outside = substitute(derivative(held, holder), inner)
        if outside == 0 or not r.has(base):
            continue
        for piece in sympy.Add.make_args(element_derivative(r, base, j)):
            value, condition, first, last = _lifted(piece, k, lo, hi, j, reduction)
            terms.append(sympy.Piecewise((indexing.summed(outside * value, k, first, last), condition),
                                         (0, True)))
    return sympy.Add(*terms)


#: ``a*k + c (op) 0`` with ``a`` = 1 or -1 as a bound on ``k``: (is a lower bound, bound)
_BOUNDS = {
    (sympy.Le, 1): lambda c: (False, -c), (sympy.Le, -1): lambda c: (True, c),
    (sympy.Lt, 1): lambda c: (False, -c - 1), (sympy.Lt, -1): lambda c: (True, c + 1),
    (sympy.Ge, 1): lambda c: (True, -c), (sympy.Ge, -1): lambda c: (False, c),
    (sympy.Gt, 1): lambda c: (True, -c + 1), (sympy.Gt, -1): lambda c: (False, c - 1),
}


def _lifted(piece, k, lo, hi, j, reduction):
    """``(value, condition, first, last)`` of a term ``Piecewise((value, cond), (0, True))``
    summed over ``k``: the relations of ``cond`` on ``k`` narrow ``k``'s range (``j <= k``: from
    ``j`` on, a suffix sum), the others stay a condition on ``j``."""
    if not (isinstance(piece, sympy.Piecewise) and len(piece.args) == 2 and piece.args[1] == (0, True)):
        return piece, sympy.true, lo, hi
    value, cond = piece.args[0]
    firsts, lasts, others = [lo], [hi], []
    for rel in sympy.And.make_args(cond):
        form = indexing.affine(rel.lhs - rel.rhs, k) if rel.has(k) else None
        rule = _BOUNDS.get((type(rel), form[0])) if form else None
        if rel.has(k) and rule is None:
            return piece, sympy.true, lo, hi        # not a range: the term keeps its condition
        if rule is None:
            others.append(rel)
            continue
        lower, bound = rule(form[1])
        (firsts if lower else lasts).append(sympy.expand(bound))
    first, last = _extreme(firsts, max, j, reduction), _extreme(lasts, min, j, reduction)
    return value, sympy.And(*others), first, last


def _merged_sums(reduction):
    """``Sum(x[k]*Sum(f, (i, ..)), (k, ..))`` as the double sums ``Sum(x[k]*f, (i, ..), (k, ..))``
    (a sum of such terms term by term), or None where a term is no product with one sum."""
    if not isinstance(reduction, sympy.Sum):
        return None
    (k, lo, hi), = reduction.limits
    merged = []
    for term in sympy.Add.make_args(reduction.function):
        sums = [f for f in sympy.Mul.make_args(term) if isinstance(f, sympy.Sum)]
        rest = [f for f in sympy.Mul.make_args(term) if not isinstance(f, sympy.Sum)]
        if any(indexing.reductions(f) for f in rest):
            return None                         # a sum inside a power or a function: not a product
        if not sums:
            merged.append(Sum(term, (k, lo, hi)))
            continue
        if len(sums) != 1 or len(sums[0].limits) != 1 or any(f.has(sums[0].limits[0][0]) for f in rest):
            return None
        inner = sums[0]
        merged.append(Sum(sympy.Mul(*rest) * inner.function, inner.limits[0], (k, lo, hi)))
    return merged


def _double_sum_derivative(reduction, base, j):
    """``d/d base[j]`` of ``Sum(f, (k, klo, khi), (i, lo, hi))``: each element of ``base``
    the terms read through ``i`` alone or ``k`` alone is a slot; its index solved for ``j``
    leaves a sum over the other index, the solved index's range the condition on ``j``.
    A slot read through ``k`` needs ``k``'s range not to depend on ``i``."""
    (k, klo, khi), (i, lo, hi) = reduction.limits
    body = reduction.function
    if indexing.reductions(body):
        raise NotImplementedError(f"the derivative of {reduction} by an element is not supported yet")
    slots = {}
    for element in atoms([body], sympy.Indexed):
        if element.base != base:
            continue
        at = sympy.expand(element.indices[0])
        by_i, by_k = indexing.affine(at.subs(k, 0), i), indexing.affine(at.subs(i, 0), k)
        if by_i is None or by_k is None or by_i[0] not in (-1, 0, 1) or by_k[0] not in (-1, 0, 1) \
                or by_i[0] and by_k[0]:
            raise NotImplementedError(f"the derivative by an element read as {element} is not "
                                      f"supported: index with {i} + c, {k} + c or a constant")
        slots[element] = (sympy.Dummy("t", real=True), by_i[0], by_k[0], sympy.expand(at - by_i[0] * i - by_k[0] * k))
    held = substitute(body, {e: h for e, (h, *_) in slots.items()})
    back = {h: e for e, (h, *_) in slots.items()}
    terms = []
    for holder, a, b, c in slots.values():
        d_body = substitute(derivative(held, holder), back)
        if d_body == 0:
            continue
        if a:                                   # read through i: the sum over k stays
            at = (j - c) * a
            inner = indexing.summed(substitute(d_body, {i: at}), k, klo.subs(i, at), khi.subs(i, at))
            inside = sympy.And(sympy.Le(lo, at), sympy.Le(at, hi))
        elif b:                                 # read through k: the sum over i stays
            at = (j - c) * b
            first, last, inside = _range_of_i(reduction, at, j)
            inner = indexing.summed(substitute(d_body, {k: at}), i, first, last)
        else:                                   # the same element in every term
            inner, inside = Sum(d_body, (k, klo, khi), (i, lo, hi)), sympy.Eq(j, c)
        terms.append(sympy.Piecewise((inner, inside), (0, True)))
    return sympy.Add(*terms)


def _range_of_i(reduction, at, j):
    """``(first, last, condition on j)``: the ``i`` whose range of ``k`` holds ``k = at``
    (``klo(i) <= at <= khi(i)``, each bound ``c``, ``i + c`` or ``c - i``): for the
    triangle ``k <= i - 1``, ``i`` from ``at + 1`` on."""
    (k, klo, khi), (i, lo, hi) = reduction.limits
    firsts, lasts, conditions = [lo], [hi], []
    for bound, below in ((klo, True), (khi, False)):
        form = indexing.affine(bound, i)
        if form is None or form[0] not in (-1, 0, 1):
            raise NotImplementedError(f"the derivative of {reduction} by an element: the range of "
                                      f"{k} must be c, {i} + c or c - {i}")
        a, c = form
        if a == 0:
            conditions.append(sympy.Le(c, at) if below else sympy.Le(at, c))
        elif (a == 1) == below:                 # i + c <= at, or at <= c - i: i at most ...
            lasts.append(sympy.expand((at - c) * a))
        else:
            firsts.append(sympy.expand((at - c) * a))
    return _extreme(firsts, max, j, reduction), _extreme(lasts, min, j, reduction), sympy.And(*conditions)


def _extreme(candidates, pick, j, reduction):
    """The largest (``max``) or smallest (``min``) of bounds affine in ``j`` and a length, for
    every ``0 <= j <= n - 1``; NotImplementedError where that depends on ``j``."""
    best = candidates[0]
    for other in candidates[1:]:
        order = _always_nonneg(sympy.expand(other - best), j)
        if order is None:
            order = _always_nonneg(sympy.expand(best - other), j)
            if order is None:
                raise NotImplementedError(f"the derivative of {reduction} by an element: the range "
                                          f"of the other index changes order with {j}")
            order = not order
        if (pick is max) == order:
            best = other
    return best


def _always_nonneg(d, j):
    """Whether ``d`` (affine in ``j`` and one length ``n``) is >= 0 on every 0 <= j <= n - 1,
    n >= 1 (checked at the corner (0, 1) and along the edges' directions), or None."""
    others = [s for s in d.free_symbols if s != j]
    if len(others) > 1:
        return None
    n = others[0] if others else sympy.Dummy("n")
    if lengths.rounded(d):
        return _nonneg_with_divisions(d, j, n)
    poly = sympy.Poly(d, j, n)
    if poly.total_degree() > 1:
        return None
    a, b, c = (poly.coeff_monomial(m) for m in (j, n, 1))
    return bool(c + b >= 0 and b >= 0 and a + b >= 0) or None


def _nonneg_with_divisions(d, j, n):
    """``_always_nonneg`` of ``d`` holding divisions of ``n`` (``floor(n/2) - 1 - j``): at
    both ends of j's range, at every length up to a few periods and at every large one."""
    if indexing.affine(d, j) is None or not lengths.is_bound(d.subs(j, 0), n):
        return None
    ends = [d.subs(j, 0), d.subs(j, n - 1)]
    order = lengths.Bounds(n, ends)
    if any(v < 0 for e in ends for v in order.values(e)):
        return None
    small = range(1, 8 * order.period + 64)
    return all(int(e.subs(n, m)) >= 0 for e in ends for m in small) or None


def directional(expr, base, direction):
    """The derivative of ``expr`` along ``direction`` (an ``IndexedBase`` like ``base``):
    ``sum_k d expr/d base[k] * direction[k]``, with the sums kept sums."""
    eps = sympy.Dummy("eps", real=True)
    moved = substitute(expr, {e: e + eps * direction[e.indices]
                              for e in atoms([expr], sympy.Indexed) if e.base == base})
    return substitute(derivative(moved, eps), {eps: 0})
