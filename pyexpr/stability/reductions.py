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
from . import functions as stable
from .cancel import Kept

#: the largest finite float32: a bound both dtypes hold exactly (float64's would round to
#: inf in float32 code, and |inf| <= inf holds); past it the shift is 0, the sum as written
_LARGEST = sympy.Float(float(np.finfo(np.float32).max))


def logsumexp(binding):
    """The rule's replacement of ``log(Sum(exp(f), limits))`` (the whole node), or None."""
    from .match import REST
    total = binding[REST].args[0]
    if not _sum_of_exp(total):
        return None
    shift = _shift(total)
    (i, lo, hi), = total.limits
    shifted = sympy.log(sympy.Sum(stable.exp(total.function.args[0] - shift), (i, lo, hi)))
    return Kept(shift + shifted, (shifted,))        # (its terms are at most 1 now: final)


def softmax(binding):
    """The rule's replacement of a product ``exp(g)*Sum(exp(f), limits)**-1 * rest`` as
    ``exp(g - m)*Sum(exp(f - m), limits)**-1 * rest`` (``m`` as ``logsumexp``'s), or None:
    numpy's softmax written out, which overflows to inf/inf past 709."""
    from .match import REST
    expr = binding[REST]
    factors = sympy.Mul.make_args(expr)
    sums = [f for f in factors if f.is_Pow and f.exp == -1 and _sum_of_exp(f.base)]
    tops = [f for f in factors if isinstance(f, sympy.exp)]
    if len(sums) != 1 or len(tops) != 1:       # (exp(a)*exp(b) stays two factors: one shift each)
        return None
    total = sums[0].base
    shift = _shift(total)
    (i, lo, hi), = total.limits
    shifted = sympy.Sum(stable.exp(total.function.args[0] - shift), (i, lo, hi))
    rest = [f for f in factors if f is not sums[0] and f not in tops]
    after = sympy.Mul(*rest, *(stable.exp(t.args[0] - shift) for t in tops)) / shifted
    return Kept(after, (after,))


def _sum_of_exp(total):
    """Whether ``total`` is ``Sum(exp(f(i)), i)``, not shifted yet (a derivative of a
    shifted one is stabilized too: its sums hold their maximum already)."""
    if not (isinstance(total, sympy.Sum) and len(total.limits) == 1 and isinstance(total.function, sympy.exp)):
        return False
    exponent = total.function.args[0]
    # a sum that moves with another index (a row of a matrix, inside a sum over rows) is
    # left as written: its maximum would move too, which the loops do not compile
    moving = any(s.is_integer and not s.is_nonnegative for s in total.free_symbols)
    return exponent.has(total.limits[0][0]) and not exponent.has(Maximum) and not moving


def _shift(total):
    """``total``'s largest exponent, 0 where it is not finite (see the module docstring)."""
    (i, lo, hi), = total.limits
    k = fresh_index(total)               # the maximum's own index: none the sum has
    largest = Maximum(total.function.args[0].xreplace({i: k}), (k, lo, hi))
    # held: the value does not depend on it, and its derivative's terms cancel exactly only
    return Held(sympy.Piecewise((largest, sympy.Abs(largest) <= _LARGEST), (0, True)))
