"""The textbook cancellations (Hamming, ch. 3), as replacements computed from a match.

``sqrt(x + 1) - sqrt(x)``, ``1/(x + 1) - 1/x``, ``log(n + 1) - log(n)``,
``sin(x + e) - sin(x)``: two nearly equal values are subtracted, and every
digit they share is lost.  Each has an identity that moves the subtraction
into the arguments, where it is done in symbols: ``(x + 1) - x`` is 1
exactly.  The identities only help when the arguments do cancel
symbolically, which ``cancels`` decides: some term of one is a term of the
other with the same coefficient.  A replacement that is an identity only
where a condition holds keeps the written form as the other branch of a
``Piecewise`` (the rewrite pass leaves that branch as it is).
"""
import math

import sympy

from .. import dag
from .. import functions as pf
from .match import VARIABLES as _V

#: expressions larger than this (in sympy's operation count) are not expanded
_MAX_OPS = 60
_MAX_POWER = 6
#: a common denominator whose expanded numerators would hold more terms than this is not
#: formed: ten fractions over sums of four squares expand into hundreds of thousands
_MAX_TERMS = 256
#: trees larger than this written out are not counted at all (see ``_ops``)
_MAX_TREE = 1000


def _ops(expr):
    """sympy's operation count of ``expr``, or infinity for a large tree: ``count_ops``
    walks the tree written out, which for an unrolled iteration's derivative is
    exponentially larger than its graph."""
    if dag.sizes(expr)[0] > _MAX_TREE:
        return math.inf
    return sympy.count_ops(expr)


def _small(*exprs):
    if sum(_ops(e) for e in exprs) > _MAX_OPS:
        return False
    powers = (p.exp for e in exprs for p in e.atoms(sympy.Pow))
    return all(not (x.is_Integer and abs(x) > _MAX_POWER) for x in powers)


def _monomials(expr):
    return {term.as_coeff_Mul()[1] for term in sympy.Add.make_args(sympy.expand(expr))}


def cancels(*parts):
    """Whether adding ``parts`` removes a term of one of them exactly (``x + 1`` and
    ``-x`` do; ``-e`` and ``-e`` only merge)."""
    if not _small(*parts):
        return False
    total = _monomials(sympy.Add(*parts))
    return any(not _monomials(p) <= total for p in parts)


def difference(p, q):
    """``p - q`` with the cancellation done, as a product where it factors."""
    return sympy.factor(sympy.cancel(p - q))


def _nonzero_number(expr):
    return expr.is_Number and expr != 0


def _keeping(written, replacement, condition):
    """``replacement`` where ``condition`` holds, the written form elsewhere."""
    if condition is sympy.true:
        return replacement
    return sympy.Piecewise((replacement, condition), (written, True))


# --- square roots -------------------------------------------------------------------

def sqrt_difference(b):
    """``c*(sqrt(a) - sqrt(b)) = c*(a - b)/(sqrt(a) + sqrt(b))``."""
    a, q, c, rest = _abcr(b)
    if not cancels(a, -q):
        return None
    d = difference(a, q)
    denominator = sympy.sqrt(a) + sympy.sqrt(q)
    # the quotient is 0/0 where both roots are 0, which a nonzero d excludes
    quotient = _keeping(sympy.sqrt(a) - sympy.sqrt(q), d / denominator,
                        sympy.true if _nonzero_number(d) else denominator > 0)
    return c * quotient + rest


def inverse_sqrt_difference(b):
    """``c*(1/sqrt(a) - 1/sqrt(b)) = c*(b - a)/(sqrt(a)*sqrt(b)*(sqrt(a) + sqrt(b)))``."""
    a, q, c, rest = _abcr(b)
    if not cancels(q, -a):
        return None
    ra, rq = sympy.sqrt(a), sympy.sqrt(q)
    denominator = ra * rq * (ra + rq)
    quotient = _keeping(1 / ra - 1 / rq, difference(q, a) / denominator,
                        sympy.true if _nonzero_number(difference(q, a)) else denominator > 0)
    return c * quotient + rest


def conjugate(b):
    """``c*(sqrt(a) + t) = c*(a - t**2)/(sqrt(a) - t)``, which cancels nothing where
    ``t < 0`` (where the written form subtracts): the quadratic formula's ``-b + sqrt(b**2 - 4*a*c)``."""
    a, t, c = (b[_V[k]] for k in "abc")
    t = t / c
    if _is_root(t) or t.has(sympy.sqrt(a)):
        return None
    return _conjugated(sympy.sqrt(a), a, t, c)


def hypot_conjugate(b):
    """``c*(hypot(a, b) + t) = c*(a**2 + b**2 - t**2)/(hypot(a, b) - t)`` for ``t`` a
    multiple of ``a`` or ``b`` that leaves a number above the line,
    the conjugate of a root the ``hypot`` rule has made (``sqrt(x**2 + 1) - x``)."""
    a, q, c, rest = _abcr(b)
    root, t = pf.hypot(a, q), rest / c
    # a multiple of one of its arguments only (x in hypot(x, 1) - x): any other rest is
    # a sum the hypot is one term of (a square in it, fabs(x)**2, would take away x**2
    # and pass for a cancellation), and squaring a large term costs seconds
    if t.as_coeff_Mul()[1] not in (a, q) or not sympy.expand(a**2 + q**2 - t**2).is_Number:
        return None         # (a square left over, y**2 of hypot(x, y) - x, may overflow)
    return _conjugated(root, a**2 + q**2, t, c)


def _conjugated(root, square, t, c):
    """``c*(root + t)`` over the conjugate, where ``root**2`` is ``square`` and cancels
    with ``t**2``; None where it does not."""
    if not cancels(square, -t**2):
        return None
    denominator = root - t
    rewritten = difference(square, t**2) / denominator
    # the denominator adds where the rewrite is taken: it must not be rewritten again
    return Kept(c * _keeping(root + t, rewritten, t < 0), (denominator,))


def _is_root(t):
    """``t`` is a multiple of a square root: a sum of two roots is the rule above, or
    cancels nothing."""
    root = t.as_coeff_Mul()[1]
    return root.is_Pow and root.exp == sympy.Rational(1, 2)


class Kept(tuple):
    """A replacement and the parts of it the rewrite pass must leave as they are."""

    def __new__(cls, replacement, parts):
        return super().__new__(cls, (replacement, parts))


# --- fractions ----------------------------------------------------------------------

def fractions(b):
    """A sum of fractions whose numerators cancel over the common denominator, as one
    fraction: ``1/(x + 1) - 1/x = -1/(x*(x + 1))``."""
    expr = b[_V["rest"]]
    # not ``free_symbols``: that walks the whole tree, ``is_number`` stops at a symbol
    parts = [t for t in sympy.Add.make_args(expr) if not sympy.fraction(t)[1].is_number]
    denominators = list(dict.fromkeys(sympy.fraction(t)[1] for t in parts))
    if len(parts) < 2 or len(denominators) < 2 or not _small(*parts) \
            or math.prod(_terms(d) for d in denominators) > _MAX_TERMS:
        return None
    common = sympy.Mul(*denominators)
    numerators = [sympy.expand(_hypot_squares(sympy.cancel(t * common))) for t in parts]
    if not cancels(*numerators):
        return None
    others = sympy.Add(*(t for t in sympy.Add.make_args(expr) if t not in parts))
    return sympy.factor(sympy.Add(*numerators) / common) + others


def _terms(expr):
    """About how many terms ``expr`` has expanded (a product multiplies its factors')."""
    if expr.is_Add:
        return sum(_terms(t) for t in expr.args)
    if expr.is_Mul:
        return math.prod(_terms(f) for f in expr.args)
    if expr.is_Pow and expr.exp.is_Integer and expr.exp > 0:
        return _terms(expr.base) ** min(int(expr.exp), _MAX_POWER + 1)
    return 1


def _hypot_squares(expr):
    """``expr`` with each ``hypot(a, b)**n`` (n >= 2) as ``(a**2 + b**2)**(n//2)`` times what
    is left: the derivative of ``x/hypot(x, 1)``, ``1/h - x**2/h**3``, has numerators
    ``h**3`` and ``x**2*h`` over ``h**4``, which cancel to ``h`` only as ``(x**2 + 1)*h``."""
    def squares(p):
        h, n = p.args
        return (h.args[0] ** 2 + h.args[1] ** 2) ** (n // 2) * h ** (n % 2)
    return expr.replace(lambda e: e.is_Pow and isinstance(e.base, pf.hypot) and e.exp.is_Integer
                        and e.exp >= 2, squares)


def into_branches(b):
    """``rest*Piecewise((e, c), ...)`` as ``Piecewise((rest*e, c), ...)`` where a branch
    then cancels with ``rest`` (and no branch is 0 unless ``rest`` is a number:
    ``(x > 1)*x**2`` is nan at x = -inf, as numpy's ``False*inf``): a rewrite that keeps
    the written form as a branch
    (the conjugate, ``-4*x*z/(y + sqrt(d))``) would otherwise stay apart from the
    factor it cancels (``1/(2*x)``), and its derivative be a quotient rule whose two
    terms cancel."""
    expr = b[_V["rest"]]
    pieces = [f for f in expr.args if isinstance(f, sympy.Piecewise)]
    if len(pieces) != 1:
        return None
    (piece,) = pieces
    others = sympy.Mul(*(f for f in expr.args if f is not piece))
    if not others.is_number and any(e.is_Number and not e for e, _ in piece.args):
        return None                 # rest*0 is nan where rest is nan or infinite, as written
    branches = [(others * e, c) for e, c in piece.args]
    size = _ops(others)
    if not any(_ops(new) < size + _ops(e)
               for (new, _), (e, _) in zip(branches, piece.args)):
        return None
    return pf.settled_piecewise(branches)


# --- logarithms ---------------------------------------------------------------------

def log_difference(b):
    """``c*(log(a) - log(b)) = c*log1p((a - b)/b)`` where ``a/b`` is near 1 (between
    1/2 and 2, where the logs cancel; elsewhere the written form is kept)."""
    a, q, c, rest = _abcr(b)
    return _log_ratio(a, q, c * (sympy.log(a) - sympy.log(q)), q > 0, c) + rest if \
        cancels(a, -q) else None


def log1p_difference(b):
    """``log1p(a) - log(b)`` is ``log(1 + a) - log(b)``."""
    a, q, c, rest = _abcr(b)
    one_plus = 1 + a
    return _log_ratio(one_plus, q, c * (pf.log1p(a) - sympy.log(q)), q > 0, c) + rest if \
        cancels(one_plus, -q) else None


def log_quotient(b):
    """``log(a/b) = log1p((a - b)/b)`` where ``a/b`` is near 1."""
    a, q = b[_V["a"]], b[_V["b"]]
    if not cancels(a, -q):
        return None
    return _log_ratio(a, q, sympy.log(a / q), sympy.true, 1)


def _log_ratio(a, q, written, positive, c):
    # log1p(z) is accurate where z is; the ratio 1 + z itself is far from 0
    z = difference(a, q) / q
    near = sympy.And(positive, z > -sympy.Rational(1, 2), z < 1)
    return _keeping(written, c * pf.log1p(z), near)


# --- trigonometry -------------------------------------------------------------------

def sin_difference(b):
    """``c*(sin(a) - sin(b)) = 2*c*cos((a + b)/2)*sin((a - b)/2)``."""
    a, q, c, rest = _abcr(b)
    if not cancels(a, -q):
        return None
    return 2 * c * sympy.cos((a + q) / 2) * sympy.sin(difference(a, q) / 2) + rest


def cos_difference(b):
    """``c*(cos(a) - cos(b)) = -2*c*sin((a + b)/2)*sin((a - b)/2)``."""
    a, q, c, rest = _abcr(b)
    if not cancels(a, -q):
        return None
    return -2 * c * sympy.sin((a + q) / 2) * sympy.sin(difference(a, q) / 2) + rest


def tan_difference(b):
    """``c*(tan(a) - tan(b)) = c*sin(a - b)/(cos(a)*cos(b))``."""
    a, q, c, rest = _abcr(b)
    if not cancels(a, -q):
        return None
    return c * sympy.sin(difference(a, q)) / (sympy.cos(a) * sympy.cos(q)) + rest


def atan_difference(b):
    """``c*(atan(a) - atan(b)) = c*atan((a - b)/(1 + a*b))`` where ``a*b > -1``."""
    a, q, c, rest = _abcr(b)
    if not cancels(a, -q):
        return None
    written = sympy.atan(a) - sympy.atan(q)
    return c * _keeping(written, sympy.atan(difference(a, q) / (1 + a * q)), a * q > -1) + rest


def _abcr(b):
    return tuple(b[_V[k]] for k in ("a", "b", "c", "rest"))

