"""Index bounds in one vector's length ``n``, for every ``n``: affine (``n - 2``) or with a
division rounded (``len(y) // 2`` is ``floor(n/2)``, a slice with a step's length
``ceiling(n/2)``).

Such a bound is ``a*n + b`` plus multiples of ``floor((p*n + q)/s)``: past a few
lengths its pattern repeats with ``n`` modulo the divisors' least common multiple
(its ``period``).  Comparing bounds at ``n = P*L + r`` for a huge ``L`` and every
residue ``r`` tells how they order for every large ``n``; how large ``n`` must be
for a range between two of them not to be negative is found by counting, from
the slope and the rounding's bounded error.
"""
import math

import sympy

#: a length far beyond any real one
LARGE = 2 ** 40


def rounded(expr):
    """The floors and ceilings in ``expr``."""
    return sympy.sympify(expr).atoms(sympy.floor, sympy.ceiling)


def is_bound(expr, n):
    """Whether ``expr`` is integers times ``n`` and times floors or ceilings of
    ``(p*n + q)/s`` (``p``, ``q``, ``s`` integers), plus an integer."""
    stand = {r: sympy.Dummy() for r in rounded(expr)}
    flat = sympy.expand(sympy.sympify(expr).xreplace(stand))
    names = [n, *stand.values()]
    if not flat.free_symbols <= set(names):
        return False
    rest = sympy.expand(flat - sum(flat.coeff(v) * v for v in names))
    if not (rest.is_Integer and all(flat.coeff(v).is_Integer for v in names)):
        return False
    for r in stand:
        inner = sympy.expand(r.args[0])
        a, b = inner.coeff(n), inner.subs(n, 0)
        if not (a.is_Rational and b.is_Rational) or sympy.expand(inner - a * n - b) != 0:
            return False
    return True


class Bounds:
    """Bounds in ``n`` compared for every large ``n`` (every residue modulo the period of
    ``exprs``, the bounds to be compared), or only those where ``n % modulus`` is in
    ``residues`` (the lengths the code runs at: ``ast_rewrite.steps``)."""

    def __init__(self, n, exprs, modulus=1, residues=(0,)):
        self.n, self.modulus, self.residues = n, modulus, set(residues)
        self.period = modulus
        for e in exprs:
            for r in rounded(e):
                self.period = math.lcm(self.period, int(sympy.fraction(sympy.together(r.args[0]))[1]))
        self.lengths = [self.period * LARGE + r for r in range(self.period) if self.runs(r)]

    def runs(self, length):
        return length % self.modulus in self.residues

    def at(self, expr, length):
        return sympy.sympify(expr).xreplace({self.n: sympy.Integer(length)})

    def values(self, expr):
        """``expr`` at every large length (one a residue): an order on these is the
        bounds' order for every large ``n`` where it holds at each place."""
        return tuple(int(self.at(expr, m)) for m in self.lengths)

    def least(self, gap):
        """The least length ``m`` from which ``gap`` (not negative at large lengths) is not
        negative for every ``n >= m``."""
        gap = sympy.expand(gap)
        smooth = gap.replace(lambda e: isinstance(e, (sympy.floor, sympy.ceiling)), lambda e: e.args[0])
        slope, const = sympy.expand(smooth).diff(self.n), sympy.expand(smooth.subs(self.n, 0))
        if not rounded(gap) and self.modulus == 1:
            return max(0, -(int(const) // int(slope))) if slope > 0 else 0
        # each rounding is within 1 of its argument: past (rounded - const)/slope, gap >= 0
        error = sum(abs(gap.coeff(r)) for r in rounded(gap))
        far = int(math.ceil((error - const) / slope)) if slope > 0 else 0
        last = max(far, 0) + math.lcm(self.period, Bounds(self.n, [gap]).period)
        below = [m for m in range(last + 1) if self.runs(m) and self.at(gap, m) < 0]
        return below[-1] + 1 if below else 0



def affine_where(expr, n, modulus, residues):
    """``expr`` as ``a*n + b`` (integers) where ``n % modulus`` is in ``residues``, if it is
    one there (``2*floor(n/2)`` is ``n`` for even ``n``), else ``expr`` itself."""
    if not rounded(expr) or not is_bound(expr, n):
        return expr
    order = Bounds(n, [expr])
    step = math.lcm(order.period, modulus)
    fits = set()
    for r in range(step):
        if r % modulus not in residues:
            continue
        here, there = (int(order.at(expr, step * k + r)) for k in (LARGE, LARGE + 1))
        if (there - here) % step:
            return expr
        a = (there - here) // step
        fits.add((a, here - a * (step * LARGE + r)))
    if len(fits) != 1:
        return expr
    (a, b), = fits
    return a * n + b
