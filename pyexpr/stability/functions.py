"""The numerically stable functions as sympy classes, and sympy classes that keep
the accuracy of what was written.

``softplus``, ``sigmoid``, ``logit``, ``log1mexp``, ``logaddexp`` (any number
of arguments; the binary one is numpy's), ``xlogy`` and ``xlog1py`` stand for
the formulas in their ``definition``; the registry (``ir.ops``) gives their
derivatives, themselves stable (d softplus = sigmoid), and ``ir.composite``
how they are computed.  On numbers they evaluate to their definition, so
sympy's exact arithmetic and ``evalf`` see through them.

``erfc`` and ``acos`` are sympy's, minus one automatic rewrite each that
trades accuracy for a canonical form: sympy writes ``erfc(-x)`` as ``2 -
erfc(x)`` (all digits lost where erfc(x) is near 2, x < -6) and ``acos(-x)``
as ``pi - acos(x)`` (digits lost where x is near -1).  These keep the
negated argument; every other evaluation is sympy's.
"""
import sympy
from sympy.core.logic import fuzzy_and

from .. import functions as pf
from ..functions import registry_derivative


class _Stable(sympy.Function):
    """A function with a closed-form ``definition`` and registry derivatives."""

    @classmethod
    def eval(cls, *args):
        if all(a.is_Number for a in args):
            return cls.definition(*args)

    def fdiff(self, argindex=1):
        return registry_derivative(type(self).__name__, self.args, argindex)

    def _eval_evalf(self, prec):
        return self.definition(*self.args).evalf(sympy.core.evalf.prec_to_dps(prec))

    def _eval_rewrite_as_exp(self, *args, **kwargs):
        return self.definition(*args)

    def _real_when_args_are(self):
        return fuzzy_and(a.is_extended_real for a in self.args)


class _RealOfReal(_Stable):
    """Real, and positive, wherever its arguments are real."""

    def _eval_is_extended_real(self):
        return self._real_when_args_are()

    def _eval_is_positive(self):
        return self._real_when_args_are()


class softplus(_RealOfReal):
    """log(1 + exp(x))."""
    nargs = 1

    @staticmethod
    def definition(x):
        return sympy.log(1 + sympy.exp(x))


class sigmoid(_RealOfReal):
    """The logistic function 1/(1 + exp(-x)) (scipy's ``expit``)."""
    nargs = 1

    @staticmethod
    def definition(x):
        return 1 / (1 + sympy.exp(-x))

    def _latex(self, printer, exp=None):
        return pf.latex_power(r"\sigma\left(%s\right)" % printer._print(self.args[0]), exp)


class logit(_Stable):
    """log(x/(1 - x)), the inverse of ``sigmoid``."""
    nargs = 1

    @staticmethod
    def definition(x):
        return sympy.log(x / (1 - x))


class log1mexp(_Stable):
    """log(1 - exp(x)), for x <= 0."""
    nargs = 1

    @staticmethod
    def definition(x):
        return sympy.log(1 - sympy.exp(x))


class erfcx(_RealOfReal):
    """The scaled complementary error function exp(x**2)*erfc(x) (scipy's ``erfcx``)."""
    nargs = 1

    @staticmethod
    def definition(x):
        return sympy.exp(x**2) * sympy.erfc(x)


class derfcx(_Stable):
    """The derivative of ``erfcx``, 2x erfcx(x) - 2/sqrt(pi), computed without the
    cancellation of its two terms for large x."""
    nargs = 1

    @staticmethod
    def definition(x):
        return 2 * x * erfcx.definition(x) - 2 / sympy.sqrt(sympy.pi)

    def _eval_is_extended_real(self):
        return self._real_when_args_are()


class log_erfc(_Stable):
    """log(erfc(x)), finite for every finite x."""
    nargs = 1

    @staticmethod
    def definition(x):
        return sympy.log(sympy.erfc(x))

    def _eval_is_extended_real(self):
        return self._real_when_args_are()


class logaddexp(sympy.Function):
    """log(exp(x1) + exp(x2) + ...): numpy's ``logaddexp`` for two arguments, scipy's
    ``logsumexp`` for more.  Nested calls flatten (it is associative)."""

    @classmethod
    def eval(cls, *args):
        if len(args) == 1:
            return args[0]
        if any(isinstance(a, cls) for a in args):
            return cls(*(b for a in args for b in (a.args if isinstance(a, cls) else (a,))))
        if all(a.is_Number for a in args):
            return cls.definition(*args)

    @staticmethod
    def definition(*xs):
        return sympy.log(sympy.Add(*(sympy.exp(x) for x in xs)))

    def fdiff(self, argindex=1):
        if len(self.args) == 2:
            return registry_derivative("logaddexp", self.args, argindex)
        # exp(x_i - logaddexp(all)) = sigmoid(-logaddexp(x_j - x_i, j != i)): the differences
        # of nearby arguments are exact, where x_i - logaddexp(others) would cancel
        x = self.args[argindex - 1]
        others = self.args[:argindex - 1] + self.args[argindex:]
        return sigmoid(-logaddexp(*(other - x for other in others)))

    _eval_evalf = _Stable._eval_evalf
    _eval_rewrite_as_exp = _Stable._eval_rewrite_as_exp
    _real_when_args_are = _Stable._real_when_args_are

    def _eval_is_extended_real(self):
        return self._real_when_args_are()


class _TimesLog(_Stable):
    """x * (a logarithm of y), 0 where x == 0."""
    nargs = 2

    @classmethod
    def eval(cls, x, y):
        if x.is_zero and y.is_Number and y is not sympy.nan:
            return sympy.S.Zero
        return super().eval(x, y)


class xlogy(_TimesLog):
    """x*log(y), 0 where x == 0."""

    @staticmethod
    def definition(x, y):
        return sympy.S.Zero if x.is_zero and y is not sympy.nan else x * sympy.log(y)


class xlog1py(_TimesLog):
    """x*log(1 + y), 0 where x == 0."""

    @staticmethod
    def definition(x, y):
        return sympy.S.Zero if x.is_zero and y is not sympy.nan else x * sympy.log(1 + y)


def _variant(base, eval, keeps):
    """``base``'s class with another ``eval``, equal to ``base``'s expressions of the
    same arguments (``f.expr == sympy.exp(-x**2)`` holds; the hash, which hashes
    the class name, is already the same)."""
    def __eq__(self, other):
        if isinstance(other, sympy.Basic) and type(other) in (base, type(self)):
            return self._hashable_content() == other._hashable_content()
        return base.__eq__(self, other)
    return type(base.__name__, (base,), {
        "eval": classmethod(eval), "__eq__": __eq__, "__hash__": base.__hash__,
        "__module__": __name__, "__doc__": f"sympy's {base.__name__}, keeping {keeps}."})


def _keeping_negation(base):
    """``base``'s class, except that a negated symbolic argument stays as written."""
    def eval(cls, arg):
        if arg.is_number or not arg.could_extract_minus_sign():
            return base.eval.__func__(cls, arg)
    return _variant(base, eval, "f(-x)")


erfc = _keeping_negation(sympy.erfc)
acos = _keeping_negation(sympy.acos)


def _keeping_offsets(base):
    """``base``'s class, except that a sum with a number in it stays as written:
    sympy writes ``exp(x - 1.0)`` as ``0.367879441171442*exp(x)``, which overflows
    from x = 709.8 where the value is finite up to 710.8, and ``expm1(x - 1.0)`` as
    ``0.367879441171442*exp(x) - 1``, which cancels near x = 1 (measured over the
    function table: ``tests/test_simplification.py``)."""
    def eval(cls, arg):
        if arg.is_Add and not arg.is_number and any(t.is_Number for t in arg.args):
            return None
        return base.eval.__func__(cls, arg)
    return _variant(base, eval, "f(x + c)")


def _keeping_ratios(base, inverses):
    """``base``'s class, except that of one of the inverse functions ``inverses`` it stays
    as written: sympy writes ``sin(atan(x))`` and ``tanh(asinh(x))`` as ``x/sqrt(x**2 + 1)``
    and ``tanh(acosh(x))`` as ``sqrt(x - 1)*sqrt(x + 1)/x``, ratios of two values that
    both overflow: nan at x = inf, where the composition is 1 (the other compositions
    sympy evaluates are as accurate as written, or more: ``test_simplification``)."""
    def eval(cls, arg):
        if isinstance(arg, inverses) and not arg.is_number:
            return None
        return base.eval.__func__(cls, arg)
    return _variant(base, eval, f"f({'/'.join(i.__name__ for i in inverses)}(x))")


sin = _keeping_ratios(sympy.sin, (sympy.atan,))
_tanh = _keeping_ratios(sympy.tanh, (sympy.asinh, sympy.acosh))
_tanh.__qualname__ = "_tanh"        # where pickle finds it (``tanh`` here is the builder)


def tanh(x):
    return pf.assume_real(_tanh(x))


exp = _keeping_offsets(sympy.exp)
expm1 = _keeping_offsets(pf.expm1)
# sympy writes floor(2.0 - y) as floor(-y) + 2: 1.0 at y = 1e-300, where 2.0 - y is 2.0
floor = _keeping_offsets(sympy.floor)
ceiling = _keeping_offsets(sympy.ceiling)
