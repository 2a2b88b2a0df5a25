"""Stable forms of reductions over vectors of any length (``Sum`` in index notation).

``logsumexp``: ``log(Sum(exp(f(i)), i))`` overflows once a term passes 709 (and is
``-inf`` once every term is below -745) where its value is moderate; with ``m`` the
largest ``f(i)`` (``extremes.Maximum``) it is ``m + log(Sum(exp(f(i) - m), i))``, every
term at most 1 and one of them 1.  As scipy's ``logsumexp``, ``m`` is taken as 0 where
it is not finite (a term inf, nan, or none), so those values are the formula's as
written: the test is ``|m| <= `` the largest float32 (exact in both dtypes; beyond it,
about 3.4e38, the sum is as written), which sympy cannot decide (its real Symbols are
finite: ``|m| < oo`` would be True).  A sum that moves with another
index (each row of a matrix) is left as written.  Its derivative is the softmax ``exp(f(j) - m)/Sum(exp(f(i) - m), i)``.
"""
import numpy as np
import sympy

from ..extremes import Held, Maximum
from ..indexing import fresh_index
from ..sums import Sum
from . import functions as stable
from .cancel import Kept

#: the largest finite float32: a bound both dtypes hold exactly (float64's would round to
#: inf in float32 code, and |inf| <= inf holds); past it the shift is 0, the sum as written
_LARGEST = sympy.Float(float(np.finfo(np.float32).max))


def logsumexp(binding):
    """The rule's replacement of ``log(c*Sum(g*exp(f), limits))`` (the whole node: a mean's
    ``c = 1/n``, weights ``g``), or None."""
    from .match import REST
    inside = sympy.Mul.make_args(binding[REST].args[0])
    sums = [f for f in inside if _sum_of_exp(f)]
    if len(sums) != 1 or any(f.has(sums[0].limits[0][0]) for f in inside if f is not sums[0]):
        return None
    total = sums[0]
    shift = _shift(total)
    rest = [f for f in inside if f is not total]
    shifted = sympy.log(sympy.Mul(*rest, _shifted(total, shift)))
    return Kept(shift + shifted, (shifted,))        # (its terms are at most 1 now: final)


def softmax(binding):
    """The rule's replacement of a product ``exp(g)*Sum(exp(f), limits)**-1 * rest`` as
    ``exp(g - m)*Sum(exp(f - m), limits)**-1 * rest`` (``m`` as ``logsumexp``'s), or None:
    numpy's softmax written out, which overflows to inf/inf past 709."""
    from .match import REST
    expr = binding[REST]
    factors = sympy.Mul.make_args(expr)
    sums = [f for f in factors if f.is_Pow and f.exp == -1 and _sum_of_exp(f.base)
            and isinstance(f.base.function, sympy.exp)]
    tops = [f for f in factors if isinstance(f, sympy.exp)]
    if len(sums) != 1 or len(tops) != 1:       # (exp(a)*exp(b) stays two factors: one shift each)
        return None
    total = sums[0].base
    shift = _shift(total)
    shifted = _shifted(total, shift)
    rest = [f for f in factors if f is not sums[0] and f not in tops]
    after = sympy.Mul(*rest, *(stable.exp(t.args[0] - shift) for t in tops)) / shifted
    return Kept(after, (after,))


def _exponential(total):
    """The one factor ``exp(f(i))`` of ``total``'s terms whose exponent moves with its index."""
    i = total.limits[0][0]
    found = [f for f in sympy.Mul.make_args(total.function) if isinstance(f, sympy.exp) and f.args[0].has(i)]
    return found[0] if len(found) == 1 else None


def _shifted(total, shift):
    """``Sum(g*exp(f - shift))`` of ``total`` = ``Sum(g*exp(f))``."""
    e = _exponential(total)
    weight = total.function / e
    term = total.function.xreplace({e: stable.exp(e.args[0] - shift)})
    if not _positive(weight):           # 0*exp(f - m) would overflow to nan where w is 0
        term = sympy.Piecewise((term, sympy.Ne(weight, 0)), (0, True))
    return Sum(term, *total.limits)


def _positive(weight):
    return weight.is_number and weight.is_positive


def _sum_of_exp(total):
    """Whether ``total`` is ``Sum(g*exp(f(i)), i)`` (``g`` weights, 1 in logsumexp), not
    shifted yet (a derivative of a shifted one is stabilized too: its sums hold their
    maximum already)."""
    if not (isinstance(total, sympy.Sum) and len(total.limits) == 1) or _exponential(total) is None:
        return False
    if total.function.has(Maximum):
        return False
    # a sum that moves with another index (a row of a matrix, inside a sum over rows) is
    # left as written: its maximum would move too, which the loops do not compile
    return not any(s.is_integer and not s.is_nonnegative for s in total.free_symbols)


def _shift(total):
    """``total``'s largest exponent, 0 where it is not finite (see the module docstring)."""
    (i, lo, hi), = total.limits
    k = fresh_index(total)               # the maximum's own index: none the sum has
    e = _exponential(total)
    weight = total.function / e
    # weights (scipy's b=) that may be 0: such a term is left out of the maximum, as scipy
    # does -- log|sign(w)| is 0, or -inf where w is 0 -- and out of the sum (_shifted)
    term = e.args[0] if _positive(weight) else e.args[0] + sympy.log(sympy.Abs(sympy.sign(weight)))
    largest = Maximum(term.xreplace({i: k}), (k, lo, hi))
    # held: the value does not depend on it, and its derivative's terms cancel exactly only
    return Held(sympy.Piecewise((largest, sympy.Abs(largest) <= _LARGEST), (0, True)))
