"""Series near zero: where a formula of one variable cancels as it goes to 0.

``1/x - 1/tan(x)``, ``(x - sin(x))/(x - tan(x))`` or ``(1 - cos(x))/x**2`` lose
every digit near 0 however they are written with the functions at hand, and no
pattern rule knows them.  What does know them is the Taylor series: near 0 the
formula is a short polynomial that has no cancellation.  ``near_zero`` finds the
parts of a formula that depend on one variable, measures them near 0 (the float
evaluation against mpmath, ``ulp``'s exact values), and where they lose digits
computes them as ``Piecewise((series, Abs(x) < t), (part, True))``:

* ``t`` is where the first term left out is ``2**-55`` of the leading one, in
  the series and in its derivative, so below it both are exact to the last bit
  (the tail shrinks geometrically);
* the series has as few nonzero terms as make the part as written accurate
  (``LOSS``) beyond ``t``, measured, and ``MAX_TERMS`` at most (Laurent terms
  allowed, nothing with a logarithm or a fractional power);
* the result is measured again, in and around the new branch, and kept only
  where it is at least as accurate as the part everywhere measured and better
  somewhere.

Measured, not guessed: nothing fires on a part that is accurate near 0.
A part is tried only where it is analytic in the functions sympy expands
(``ANALYTIC``) and small (``MAX_NODES``), and at most ``MAX_PARTS`` times a
formula, so decorating stays fast.
"""
import math
from fractions import Fraction

import mpmath
import numpy as np
import sympy

from .. import functions as pf
from ..exact import exact_values, mpmath_function, ulps
from ..dag import map_dag, rebuild
from ..reference import ReferenceKernel
from .rewrite import Rewrite

#: nonzero terms of the series at most: as few as make the part as written accurate
#: where the series stops (measured)
MAX_TERMS = 16
#: the first term left out, relative to the leading one, at the threshold
TAIL = 2.0 ** -55
#: distinct nodes in a part tried, and parts tried in one formula
MAX_NODES = 30
MAX_PARTS = 4
#: the series' coefficients: circles of these radii, points on each, working digits, the
#: lowest (Laurent) power, and how closely the two circles must agree
RADII = (0.25, 0.125)
POINTS = 128
DIGITS = 60
#: digits the part's own evaluation may lose to cancellation on the circle (atan(z) - z
#: + z**3/3 cancels 3 at |z| = 1/4): a coefficient below that noise is zero
MARGIN = 30
LAURENT = 4
AGREE = 1e-20
#: how closely a coefficient must agree with a rational to print as one
RATIONAL = 1e-28
#: distinct nodes of a formula beyond which no part is tried
MAX_FORMULA = 2000
#: ulps a part may lose near 0 before it is replaced, and the probe points
LOSS = 4.0
PROBES = np.array([1e-1, 1e-4, 1e-12, 1e-60, 1e-300])
#: parts whose measurement a process remembers
MEMORY = 4096
WHY = "the part cancels near 0, where its Taylor series has no cancellation"
NAME = "series near 0"

_ANALYTIC = (sympy.Add, sympy.Mul, sympy.Pow, sympy.Symbol, sympy.Number, sympy.NumberSymbol,
             sympy.exp, sympy.log, sympy.sin, sympy.cos, sympy.tan, sympy.sinh, sympy.cosh,
             sympy.tanh, sympy.asin, sympy.acos, sympy.atan, sympy.asinh, sympy.atanh, sympy.erf,
             sympy.erfc, pf.expm1, pf.log1p)
#: pyexpr's functions written in sympy's, for the series only
_DEFINITIONS = {pf.expm1: lambda a: sympy.exp(a) - 1, pf.log1p: lambda a: sympy.log(1 + a)}


def near_zero(exprs):
    """``(outputs, rewrites)``: ``exprs`` with each part that cancels near 0 computed
    there by its series, and the rewrites that did it."""
    parts, groups = _collect(exprs)
    done = {}
    for part in parts[:MAX_PARTS]:
        after = _remembered(part)
        if after is not None:
            done[part] = after
    if not done:
        return tuple(exprs), ()
    memo = {}

    def node(expr, args):
        if expr in done:
            return done[expr]
        group = groups.get(expr)
        if group in done:       # the factors (terms) in one variable, as one part
            args = [new for old, new in zip(expr.args, args) if old not in group.args] + [done[group]]
        return expr if tuple(args) == expr.args else rebuild(expr, args)

    outputs = tuple(map_dag(e, memo, node) for e in exprs)
    return outputs, tuple(Rewrite(NAME, b, a, WHY) for b, a in done.items())


def _collect(exprs):
    """``(parts, groups)``: the largest parts of ``exprs`` in one variable that could
    cancel, outside first; where a sum or product of several variables has terms or
    factors in one variable, those together are a part (``groups``: the sum or product
    -> that part).  Nothing in a formula over MAX_FORMULA distinct nodes (decorating
    stays linear in size)."""
    if _nodes(exprs, MAX_FORMULA) is None:
        return [], {}
    symbols = _symbols(exprs)
    parts, groups, seen, stack = [], {}, set(), list(exprs)
    while stack:
        expr = stack.pop()
        if expr in seen or not isinstance(expr, sympy.Expr) or not symbols.get(expr):
            continue
        seen.add(expr)
        if len(symbols[expr]) == 1 and _candidate(expr):
            parts.append(expr)
            continue
        if isinstance(expr, sympy.Piecewise) and _is_ours(expr):
            # a derivative's: its polynomial is accurate, its part (the part's derivative)
            # may cancel beyond the series' threshold, where the part did not
            stack.append(expr.args[-1].expr)
            continue
        rest = list(expr.args)
        if isinstance(expr, (sympy.Add, sympy.Mul)) and len(symbols[expr]) > 1:
            for group in _one_variable_groups(expr, symbols):
                if _candidate(group):
                    parts.append(group)
                    groups[expr] = group
                    rest = [a for a in rest if a not in group.args]
                    break
        stack.extend(reversed(rest))
    return parts, groups


def _symbols(exprs):
    """Each node's free symbols, computed once a node (sympy's ``free_symbols`` walks
    the tree written out, exponentially larger than the DAG of an unrolled loop)."""
    found, done = {}, {}
    for expr in exprs:
        map_dag(expr, done, lambda e, args: _union(e, found))
    return found


def _union(expr, found):
    found[expr] = frozenset().union(*(_own(a, found) for a in expr.args))
    return expr


def _own(expr, found):
    return found.get(expr, frozenset({expr}) if expr.is_Symbol else frozenset())


def _nodes(exprs, limit):
    """The distinct nodes of ``exprs``, or None where there are more than ``limit``
    (counted to limit + 1, not all)."""
    seen, stack = set(), list(exprs)
    while stack:
        expr = stack.pop()
        if expr not in seen:
            seen.add(expr)
            if len(seen) > limit:
                return None
            stack.extend(expr.args)
    return seen


def _one_variable_groups(expr, symbols):
    """The terms (factors) of ``expr`` in one and the same variable, for each variable
    that has two or more."""
    by_symbol = {}
    for arg in expr.args:
        mine = _own(arg, symbols)
        if len(mine) == 1:
            by_symbol.setdefault(next(iter(mine)), []).append(arg)
    return [expr.func(*args) for args in by_symbol.values() if len(args) >= 2]


def _candidate(expr):
    """A sum, product or power of at most MAX_NODES distinct nodes, all analytic, with a
    difference (what cancels) or a function (whose square, say, underflows first)."""
    if not isinstance(expr, (sympy.Add, sympy.Mul, sympy.Pow)):
        return False
    nodes = _nodes([expr], MAX_NODES)
    return nodes is not None and all(isinstance(n, _ANALYTIC) for n in nodes) \
        and any(isinstance(n, (sympy.Add, sympy.Function)) for n in nodes)


def _is_ours(piecewise):
    (_, cond) = piecewise.args[0]
    return any(isinstance(c, sympy.StrictLessThan) and isinstance(c.lhs, sympy.Abs) and c.rhs.is_Float
               for c in (cond.args if isinstance(cond, sympy.And) else (cond,)))


def _errors(expr, x, points, exact=None):
    """``(ulps, exact, computed)`` of ``expr`` evaluated in float64 as pyexpr computes it
    at ``points``, against ``exact`` (default: ``expr``'s own exact values)."""
    exact = exact_values(expr, [x], {x.name: points}) if exact is None else exact
    computed = np.empty_like(points)
    with np.errstate(all="ignore"):
        ReferenceKernel([x], [expr]).run([points], [computed])
    return ulps(computed, exact), exact, computed


def _remembered(part):
    """``_regime(part)``, measured once a process for each part (a formula is decorated
    again for each dtype and option, and its derivatives share its parts)."""
    after = _MEASURED.get(part, _MEASURED)      # (the dict itself: not measured yet)
    if after is _MEASURED:
        if len(_MEASURED) >= MEMORY:
            _MEASURED.clear()
        after = _MEASURED[part] = _regime(part)
    return after


_MEASURED = {}


def _regime(part):
    (x,) = part.free_symbols
    probes = np.concatenate([PROBES, -PROBES])
    loss, exact, computed = _errors(part, x, probes)
    defined = np.isfinite(exact)
    if not defined.any() or loss[defined].max() <= LOSS:
        return None
    # a side where the part as computed is nan far from 0 is outside its domain (log of a
    # negative), however real mpmath's complex detour makes the exact value there
    sides = [side for side, far in ((1, 0), (-1, len(PROBES))) if not np.isnan(computed[far])]
    terms = None if not sides else _terms(part, x)
    if terms is None:
        return None
    polynomial, threshold = _fewest(part, x, terms, sides)
    inside = sympy.Abs(x) < sympy.Float(threshold, 17)
    if len(sides) == 1:
        inside = sympy.And(inside, x > 0 if sides[0] > 0 else x < 0)
    after = sympy.Piecewise((polynomial, inside), (part, True))
    # measured again against the part's exact values: at the probes and across the switch;
    # inside the branch nowhere worse, beyond it (the part again, rounded in another
    # kernel) within twice
    around = threshold * np.array([1e-3, 0.1, 0.5, 0.9, 0.999, 1.001, 1.1, 2.0, 10.0])
    points = np.concatenate([probes, around, -around])
    before, exact, _ = _errors(part, x, points)
    now, _, _ = _errors(after, x, points, exact)
    defined = np.isfinite(exact)
    branch = (np.abs(points) < threshold) & np.isin(np.sign(points), sides)
    allowed = np.where(branch, np.maximum(before, LOSS), np.maximum(2 * before, 2 * LOSS))
    if not defined.any() or (now[defined] > allowed[defined]).any():
        return None
    return after if now[defined].sum() < before[defined].sum() else None


def _terms(part, x):
    """The nonzero terms of ``part``'s series at 0 as ``(power, coefficient)``, lowest
    first (``MAX_TERMS + 1`` at most), or None where that is not a (Laurent) series with
    at least three terms.  Each coefficient is Cauchy's integral over a circle, summed
    at ``POINTS`` points in complex arithmetic of ``DIGITS`` digits (time bounded,
    where sympy's symbolic series can take minutes), on two circles: a coefficient both
    give alike is the series' (a part not analytic around 0 gives two different sets),
    shown as the rational it is where it has a small denominator."""
    fn = mpmath_function(part, [x])
    with mpmath.workdps(DIGITS):
        found = [_cauchy(fn, radius) for radius in RADII]
        return None if None in found else _agreed(*found)


def _agreed(first_circle, second_circle):
    """The terms two circles' coefficients agree on, up to the first they do not."""
    (first, first_noise), (second, second_noise) = first_circle, second_circle
    powers = []
    for k, a, b, noise_a, noise_b in zip(range(-LAURENT, 10 ** 6), first, second, first_noise, second_noise):
        if abs(a) <= noise_a and abs(b) <= noise_b:
            continue                                    # zero, to the precision at hand
        if abs(a - b) > AGREE * abs(a) or abs(a.imag) > AGREE * abs(a):
            break
        powers.append((k, _number(a.real)))
    if not powers or powers[0][0] < -LAURENT + 1 or len(powers) < 3:
        return None
    return powers[:MAX_TERMS + 1]


def _cauchy(fn, radius):
    """``(coefficients, noise)`` of the powers -LAURENT .. POINTS/2 - LAURENT
    from ``fn`` on the circle of ``radius``: a coefficient below its noise is zero."""
    values = []
    for j in range(POINTS):
        try:
            values.append(mpmath.mpc(fn(radius * mpmath.expjpi(mpmath.mpf(2 * j) / POINTS))))
        except (ZeroDivisionError, ValueError, TypeError, OverflowError):
            return None
    if not all(mpmath.isfinite(v) for v in values):
        return None
    size = max(abs(v) for v in values)
    roots = [mpmath.expjpi(mpmath.mpf(-2 * m) / POINTS) for m in range(POINTS)]
    coefficients, noise = [], []
    for k in range(-LAURENT, POINTS // 2 - LAURENT):
        total = mpmath.fsum(v * roots[j * k % POINTS] for j, v in enumerate(values))
        coefficients.append(total / POINTS / mpmath.mpf(radius) ** k)
        noise.append(size * mpmath.mpf(10) ** (MARGIN - DIGITS) / mpmath.mpf(radius) ** k)
    return coefficients, noise


def _number(value):
    """A coefficient as the rational it is (denominator below 10**16, agreeing to RATIONAL)
    or as a Float (a high power's coefficient, known to fewer digits than that: a nearby
    rational that is not the coefficient would print as if exact)."""
    fraction = Fraction(str(mpmath.nstr(value, DIGITS, strip_zeros=False))).limit_denominator(10 ** 16)
    if value == 0 or abs(value - mpmath.mpf(fraction.numerator) / fraction.denominator) <= RATIONAL * abs(value):
        return sympy.Rational(fraction.numerator, fraction.denominator)
    return sympy.Float(mpmath.nstr(value, 20), 20)


def _threshold(terms, k):
    """Where the ``k``-th term (the first left out) is TAIL of the leading one, in the
    series and in its derivative (whose leading term is the second where the first is
    a constant: with few terms the derivative's tail weighs far more)."""
    derivative = [(p - 1, c * p) for p, c in terms if p != 0]
    bounds = [_tail_at(terms[0], terms[k])]
    if terms[k][0] != 0 and derivative and derivative[0][0] < terms[k][0] - 1:
        bounds.append(_tail_at(derivative[0], (terms[k][0] - 1, terms[k][1] * terms[k][0])))
    return min(bounds)


def _tail_at(leading, left_out):
    (first_power, first), (power, coeff) = leading, left_out
    ratio = mpmath.mpf(sympy.Abs(first / coeff).evalf(30)) * TAIL
    return float(ratio ** (mpmath.mpf(1) / (power - first_power)))


def _fewest(part, x, terms, sides):
    """``(polynomial, threshold)``: the series with the fewest terms whose threshold the
    part as written is accurate beyond (measured there), else with all of them.  Term
    by term, not in Horner's form: it prints as the textbook writes it, its derivative
    is again a short polynomial, and the lowering adds it smallest first.  A Laurent
    series is its pole times a polynomial: term by term, its terms would overflow to
    inf - inf near 0."""
    counts = range(2, len(terms))
    thresholds = [_threshold(terms, k) for k in counts]
    beyond = np.array([1.0, 1.05, 1.3, 2.0])
    grid = np.outer(thresholds, beyond).ravel()
    points = np.concatenate([side * grid for side in sides])
    loss, exact, _ = _errors(part, x, points)
    loss = np.where(np.isfinite(exact), loss, 0.0).reshape(len(sides), len(thresholds), 4).max(axis=(0, 2))
    good = [i for i, worst in enumerate(loss) if worst <= LOSS and math.isfinite(thresholds[i])]
    i = good[0] if good else len(thresholds) - 1
    k = counts[i]
    lowest = terms[0][0]
    if lowest < 0:      # 2/y**2 - 2/(3*y) + ... is inf - inf below 1e-154: the pole taken out
        return x ** lowest * sympy.Add(*(c * x ** (p - lowest) for p, c in terms[:k])), thresholds[i]
    return sympy.Add(*(c * x ** p for p, c in terms[:k])), thresholds[i]
