"""The largest and smallest term over an index range: ``np.max``/``np.min`` of a vector
of any length, as sympy.

``Maximum(f(i), (i, lo, hi))`` is to ``Max`` what ``Sum`` is to ``Add``: numpy's
``np.max`` of the terms, nan where any term is nan; written out at a fixed length
it is ``Max`` of the terms (``functions.max_``).  An empty range has no maximum (numpy
raises): the front end records the length the range needs, which a call checks.

Its derivative is the derivative of the maximal terms, split equally among ties
(as ``Max(a, b)``'s is through ``Heaviside(a - b)``, 1/2 at a tie):
``d Maximum(f) = Sum(f'(k) * [f(k) == M], k) / Sum([f(k) == M], k)``
with ``M`` the Maximum itself (``weighted``), the weights held constant.
"""
import sympy
from sympy.concrete.expr_with_intlimits import ExprWithIntLimits

from .sums import KeptCases, Sum
from .functions import PrintedAs, max_, min_


class Extreme(KeptCases, ExprWithIntLimits):
    """``Maximum`` or ``Minimum`` of ``function`` over one or more integer ranges."""
    __slots__ = ()
    #: the loop stage's kind, the lattice operation of two values, numpy's name
    kind = lattice = numpy_name = None

    def _eval_is_extended_real(self):
        return self.function.is_extended_real

    def _eval_is_finite(self):
        return self.function.is_finite

    def written_out(self, terms):
        """The extreme of ``terms`` (sympy): an empty list has none."""
        if not terms:
            raise ValueError(f"np.{self.numpy_name} of no elements ({self})")
        return type(self).lattice(*terms)

    def doit(self, **hints):
        function = self.function.doit(**hints) if hints.get("deep", True) else self.function
        terms = [function]
        for i, lo, hi in self.limits:
            if not (lo.is_Integer and hi.is_Integer):
                return self.func(function, *self.limits)
            terms = [t.subs(i, k) for t in terms for k in range(int(lo), int(hi) + 1)]
        return self.written_out(terms)

    def _latex(self, printer):
        ranges = r", ".join(rf"{printer._print(lo)} \leq {printer._print(i)} \leq {printer._print(hi)}"
                            for i, lo, hi in reversed(self.limits))
        # in parentheses whole: (max x_i)^2 and max x_i^2 would print alike
        return rf"\left(\{self.numpy_name}_{{{ranges}}} {printer._print(self.function)}\right)"


class Maximum(Extreme):
    kind, lattice, numpy_name = "max", staticmethod(max_), "max"


class Minimum(Extreme):
    kind, lattice, numpy_name = "min", staticmethod(min_), "min"


BY_KIND = {"max": Maximum, "min": Minimum}


class Held(PrintedAs, sympy.Function):
    """Its argument's value, whose derivative is 0: a shift a formula's value does not
    depend on (``stability.reductions``: ``m + log(Sum(exp(f - m)))`` is the same for every
    ``m``), so that its derivative is the softmax, with no terms of ``m``'s derivative
    that cancel only in exact arithmetic.  Printed and computed as its argument."""
    nargs = 1

    def _eval_is_extended_real(self):
        return self.args[0].is_extended_real

    def fdiff(self, argindex=1):
        return sympy.S.Zero

    def printed_as(self):
        return self.args[0]


class ExtremeAt(PrintedAs, sympy.Function):
    """``ExtremeAt(M, e)``: 1 where the term at index ``e`` of the Maximum (Minimum) ``M`` is
    ``M``, else 0 (``as_piecewise``), a derivative's weight.  A function of its own rather
    than that Piecewise: the loops compute it from the terms ``M`` was taken of, stored
    once (``ir.loop_build``), so that the comparison is exact -- a term computed again, in
    another loop, may differ from the stored maximum in its last bit, and then no term
    would be the maximum; and sympy folds no Piecewise through it into ``M``'s terms."""
    nargs = 2
    is_real = True
    is_nonnegative = True

    def as_piecewise(self):
        extreme, at = self.args
        (i, _, _), = extreme.limits
        return sympy.Piecewise((1, sympy.Eq(extreme.function.xreplace({i: at}), extreme)), (0, True))

    def fdiff(self, argindex=1):
        return sympy.S.Zero                 # piecewise constant

    printed_as = as_piecewise


def weight(extreme, index, held=None):
    """1 where the term at ``index`` is ``extreme`` (``held`` standing for it while it is
    differentiated: its weights are constants), else 0."""
    return ExtremeAt(extreme if held is None else held, index)


def ties(extreme):
    """How many terms of ``extreme`` (over one range) are extreme: a sum."""
    (_, lo, hi), = extreme.limits
    k = _index()
    return Sum(weight(extreme, k), (k, lo, hi))


def derivative(extreme, d, summed):
    """``d(extreme)``: the derivative ``d`` of each extreme term, their mean, as a sum
    (``summed(body, k, lo, hi)``, the caller's sum builder)."""
    if len(extreme.limits) != 1:
        raise NotImplementedError(f"the derivative of {extreme} (over two indices) is not supported yet")
    (i, lo, hi), = extreme.limits
    k = _index()
    term = extreme.function.xreplace({i: k})
    return summed(d(term) * weight(extreme, k), k, lo, hi) / ties(extreme)


def _index():
    """The index of a sum a derivative adds: a Dummy, so that no sum it lands in (the
    derivative of ``Sum(exp(x[k] - Maximum(x)), k)`` puts one in there) has the same index."""
    return sympy.Dummy("k", integer=True)
