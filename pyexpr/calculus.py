"""Exact derivatives, cleaned for code generation.

``derivative(expr, *wrt)`` differentiates with sympy's rules (each function's
``fdiff``, the product, power and chain rules) and replaces what has no value
as a function with its almost-everywhere value: the derivatives of ``floor``,
``ceiling``, ``sign`` and ``Heaviside`` are 0,
``DiracDelta`` never appears, and the derivative of ``Mod(p, q)`` is that of
``p - q*floor(p/q)`` with the floor held constant.  ``diff_name`` names the
result as ``df_dx``, ``d2f_dxdy``, ``d2f_dx2``.

The walk is memoized on subexpressions: formulas from unrolled loops share
subexpressions heavily (a tree exponentially larger than its graph), and
``sympy.diff`` would revisit every shared node once per path to it.
"""
import sympy
from sympy.core.function import ArgumentIndexError
from sympy.functions.elementary.miscellaneous import MinMaxBase

from . import deep, indexing
from .sharing import PIECE
from .functions import guarded_value, product, real_fdiff, settled_piecewise, substitute, zero_guard

_PIECEWISE_CONSTANT = (sympy.floor, sympy.ceiling, sympy.sign, sympy.Heaviside)


@deep.sized(lambda expr, *wrt: [expr])
def derivative(expr, *wrt):
    result = expr
    for sym in wrt:
        result = _Differentiator(sym).d(result)
    # sympy's 1/0 of an exact 0 (du/u where a branch of u is 0) is zoo: numpy's 1/0.0 is
    # inf, as the front end's x/0 is x*oo
    return substitute(result, {sympy.zoo: sympy.oo})


class _Differentiator:
    """d(expr)/d(sym), memoized per subexpression."""

    def __init__(self, sym):
        self.sym = sym
        self.done = {}
        self.depends_memo = {}
        self.heights = {}

    def depends(self, expr):
        found = self.depends_memo.get(expr)
        if found is None:
            found = expr == self.sym or (not expr.is_Atom and any(
                self.depends(a) for a in expr.args if isinstance(a, sympy.Basic)))
            self.depends_memo[expr] = found
        return found

    def d(self, expr):
        result = self.done.get(expr)
        if result is None:
            result = self.done[expr] = self._rule(expr) if self.depends(expr) else sympy.S.Zero
        return result

    def _rule(self, e):
        if e == self.sym:
            return sympy.S.One
        if e.is_Add:
            return sympy.Add(*(self.d(a) for a in e.args))
        if e.is_Mul:
            args = list(e.args)
            return sympy.Add(*(sympy.Mul(*args[:i], da, *args[i + 1:])
                               for i, da in enumerate(map(self.d, args)) if da != 0))
        if e.is_Pow:
            base, exp = e.args
            if not (self.depends(exp) or exp.is_Integer):
                return self._power(base, exp)
            return e * (self.d(exp) * sympy.log(base) + self.d(base) * exp / base)
        if isinstance(e, sympy.Piecewise):
            guarded = guarded_value(e)
            if guarded is not None and self.depends(e.args[0].cond):
                return self.d(guarded)          # the guard's condition holds at one point only
            return settled_piecewise([(self.d(x), c) for x, c in e.args])
        if isinstance(e, sympy.Sum):            # a scalar's derivative goes inside the sum
            if len(e.limits) > 1:
                return sympy.Sum(self.d(e.function), *e.limits)
            return indexing.summed(self.d(e.function), *e.limits[0])
        if isinstance(e, sympy.Product):        # d(prod f) = prod f * sum f'/f
            (i, lo, hi), = e.limits
            return e * indexing.summed(self.d(e.function) / e.function, i, lo, hi)
        if isinstance(e, sympy.Mod):
            p, q = e.args
            return self.d(p) - sympy.floor(p / q) * self.d(q)
        if isinstance(e, _PIECEWISE_CONSTANT):
            return sympy.S.Zero
        if isinstance(e, (sympy.Function, MinMaxBase)):      # Min and Max are no Functions
            return self._chain(e)
        return _clean(sympy.diff(e, self.sym))

    def _power(self, base, exp):
        """``d(base**exp)`` for a non-integer exponent free of the variable: ``exp*base**(exp - 1)*d(base)``,
        which has the value at ``base = 0`` that ``base**exp*d(base)*exp/base`` (sympy's)
        makes 0/0: ``(x*y)**1.5`` by x at x = 0 is 0, ``(x*y)**0.3`` is inf.  Where
        ``base**(exp - 1)`` is infinite at 0 and the base has factors free of the
        variable, it is 0 for every value of the variable where those are 0: the
        derivative there is 0 (``zero_guard``), not inf*0."""
        factor = self.d(base)
        result = exp * base ** (exp - 1) * factor
        if not (exp.is_Number and 0 < exp < 1 and base.is_Mul):
            return result
        free = sympy.Mul(*(a for a in base.args if not (a.is_Number or self.depends(a))))
        return zero_guard(free, result) if free.free_symbols else result

    def _chain(self, e):
        terms = []
        for i, arg in enumerate(e.args, 1):
            da = self.d(arg)
            if da == 0:
                continue
            try:
                df = real_fdiff(e, i)
            except ArgumentIndexError:
                df = sympy.Function.fdiff(e, i)
            if isinstance(df, (sympy.Derivative, sympy.Subs, sympy.DiracDelta)):
                df = _clean(df)
            terms.append(self._times(df, da))
        return sympy.Add(*terms)

    def _times(self, df, da):
        """``df*da``; as a ``product`` of the two where ``da`` is a product deeper than a
        piece (the chain rule through a map iterated many times)."""
        if da.is_Mul and len(da.args) > 2 and deep.height([da], self.heights) > PIECE:
            return product(df, da)
        return df * da


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
        back = outside.xreplace(holders)
        if isinstance(inner, sympy.Indexed):
            total.append(sympy.Piecewise((back, at(inner)), (0, True)))
        else:
            total.append(back * of_reduction(inner))
    return sympy.Add(*total)


def hide(expr, base):
    """``expr`` with each reduction and each element of ``base`` outside them replaced by
    a Dummy, and the Dummies' meanings."""
    holders = {sympy.Dummy(f"s{k}", real=True): r for k, r in enumerate(indexing.reductions(expr))}
    outer = expr.xreplace({r: h for h, r in holders.items()})
    elements = {sympy.Dummy(f"t{k}", real=True): e for k, e in enumerate(indexing.loads(outer, base))}
    holders.update(elements)
    return outer.xreplace({e: h for h, e in elements.items()}), holders


def _reduction_derivative(reduction, base, j, restore=None):
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
    for element in body.atoms(sympy.Indexed):
        if element.base == base:
            form = indexing.affine(element.indices[0], i)
            if form is None or form[0] not in (-1, 0, 1):
                raise NotImplementedError(f"the derivative by an element read as {element} "
                                          f"is not supported: index with {i} + c or c - {i}")
            slots[element] = (sympy.Dummy("t", real=True), form)
    held = body.xreplace({e: h for e, (h, _) in slots.items()})
    back = {h: e for e, (h, _) in slots.items()}
    terms = []
    for element, (holder, (a, c)) in slots.items():
        d_body = derivative(held, holder).xreplace(back)
        if d_body == 0:
            continue
        if restore:                             # what stood for inner sums, before i is solved
            d_body = d_body.xreplace(restore)
        if isinstance(reduction, sympy.Product):
            d_body = d_body / body
        if a == 0:                              # the same element in every term
            value = indexing.summed(d_body, i, lo, hi)
            terms.append(sympy.Piecewise((value, sympy.Eq(j, c)), (0, True)))
            continue
        at = (j - c) * a                         # the i whose term reads base[j]
        inside = sympy.And(sympy.Le(lo, at), sympy.Le(at, hi))
        terms.append(sympy.Piecewise((d_body.subs(i, at), inside), (0, True)))
    total = sympy.Add(*terms)
    return reduction * total if isinstance(reduction, sympy.Product) else total


def _through_inner_sums(reduction, base, j):
    """``d/d base[j]`` of ``Sum(G(x[...], S_1(k), ...), (k, ..))`` whose terms hold sums
    ``S_q(k)`` over another index (``|A x - b|^2``): the chain rule through each, ``Sum(dG/dS_q
    * dS_q(k)/d base[j], k)``, plus the terms' own elements; a condition on ``j`` alone
    comes out of the sum."""
    if not isinstance(reduction, sympy.Sum):
        raise NotImplementedError(f"the derivative of {reduction} by an element is not supported yet")
    (k, lo, hi), = reduction.limits
    inner = {sympy.Dummy(f"s{q}", real=True): r for q, r in enumerate(indexing.reductions(reduction.function))}
    held = reduction.function.xreplace({r: h for h, r in inner.items()})
    terms = [] if not held.has(base) else [_reduction_derivative(sympy.Sum(held, (k, lo, hi)), base, j,
                                                                 restore=inner)]
    for holder, r in inner.items():
        outside = derivative(held, holder).xreplace(inner)
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
            merged.append(sympy.Sum(term, (k, lo, hi)))
            continue
        if len(sums) != 1 or len(sums[0].limits) != 1 or any(f.has(sums[0].limits[0][0]) for f in rest):
            return None
        inner = sums[0]
        merged.append(sympy.Sum(sympy.Mul(*rest) * inner.function, inner.limits[0], (k, lo, hi)))
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
    for element in body.atoms(sympy.Indexed):
        if element.base != base:
            continue
        at = sympy.expand(element.indices[0])
        by_i, by_k = indexing.affine(at.subs(k, 0), i), indexing.affine(at.subs(i, 0), k)
        if by_i is None or by_k is None or by_i[0] not in (-1, 0, 1) or by_k[0] not in (-1, 0, 1) \
                or by_i[0] and by_k[0]:
            raise NotImplementedError(f"the derivative by an element read as {element} is not "
                                      f"supported: index with {i} + c, {k} + c or a constant")
        slots[element] = (sympy.Dummy("t", real=True), by_i[0], by_k[0], sympy.expand(at - by_i[0] * i - by_k[0] * k))
    held = body.xreplace({e: h for e, (h, *_) in slots.items()})
    back = {h: e for e, (h, *_) in slots.items()}
    terms = []
    for holder, a, b, c in slots.values():
        d_body = derivative(held, holder).xreplace(back)
        if d_body == 0:
            continue
        if a:                                   # read through i: the sum over k stays
            at = (j - c) * a
            inner = indexing.summed(d_body.subs(i, at), k, klo.subs(i, at), khi.subs(i, at))
            inside = sympy.And(sympy.Le(lo, at), sympy.Le(at, hi))
        elif b:                                 # read through k: the sum over i stays
            at = (j - c) * b
            first, last, inside = _range_of_i(reduction, at, j)
            inner = indexing.summed(d_body.subs(k, at), i, first, last)
        else:                                   # the same element in every term
            inner, inside = sympy.Sum(d_body, (k, klo, khi), (i, lo, hi)), sympy.Eq(j, c)
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
    poly = sympy.Poly(d, j, n)
    if poly.total_degree() > 1:
        return None
    a, b, c = (poly.coeff_monomial(m) for m in (j, n, 1))
    return bool(c + b >= 0 and b >= 0 and a + b >= 0) or None


def directional(expr, base, direction):
    """The derivative of ``expr`` along ``direction`` (an ``IndexedBase`` like ``base``):
    ``sum_k d expr/d base[k] * direction[k]``, with the sums kept sums."""
    eps = sympy.Dummy("eps", real=True)
    moved = expr.replace(lambda e: isinstance(e, sympy.Indexed) and e.base == base,
                         lambda e: e + eps * direction[e.indices])
    return derivative(moved, eps).subs(eps, 0)


def _clean(expr):
    if not expr.has(sympy.Derivative, sympy.DiracDelta):
        return expr
    expr = expr.replace(lambda e: isinstance(e, sympy.DiracDelta), lambda e: sympy.S.Zero)
    expr = expr.replace(lambda e: isinstance(e, sympy.Derivative), _almost_everywhere)
    # the chain rule leaves Subs(...) around replaced derivatives: evaluate them
    return expr.replace(lambda e: isinstance(e, sympy.Subs), lambda e: e.doit())


def _almost_everywhere(d):
    inner = d.expr
    if isinstance(inner, _PIECEWISE_CONSTANT) or getattr(inner, "is_integer", False):
        return sympy.S.Zero
    if isinstance(inner, sympy.Mod):
        return derivative(inner, *(s for s, n in d.variable_count for _ in range(n)))
    return d


def diff_name(base, counts):
    """``df_dx`` for counts {x: 1}; ``d2f_dxdy``; ``d2f_dx2``."""
    order = sum(counts.values())
    parts = "".join(f"d{v}" + (str(n) if n > 1 else "") for v, n in counts.items())
    return f"d{order if order > 1 else ''}{base}_{parts}"


def diff_latex(base_latex, counts):
    order = sum(counts.values())
    sup = f"^{{{order}}}" if order > 1 else ""
    den = " ".join(rf"\partial {sympy.latex(sympy.Symbol(v))}" + (f"^{{{n}}}" if n > 1 else "")
                   for v, n in counts.items())
    return rf"\frac{{\partial{sup} {base_latex}}}{{{den}}}"
