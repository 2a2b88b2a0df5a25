"""C math library functions sympy lacks: ``copysign``, ``fmod``, ``remainder``, ``fdim``, ``fma``,
``fmax``, ``fmin``.

Each is a sympy ``Function`` that stays what it is (``fma(x, y, z)`` is never
rewritten as ``x*y + z``, which rounds twice), takes its derivative from its
registry row (``ir.ops``) and has C's values at every input:

* ``copysign(x, y)``: the magnitude of x with the sign of y (-0 and a nan's
  sign bit count);
* ``fmod(x, y)``: ``x - n*y`` with n = x/y rounded toward zero, exact, the sign
  of x; nan for y = 0 or infinite x, x for infinite y;
* ``remainder(x, y)``: IEEE's, n = x/y rounded half to even; nan where fmod is
  (``math.remainder`` raises there);
* ``fdim(x, y)``: ``x - y`` where x > y, +0 where x <= y, nan if either is nan
  (Python has no such function: call it from here, or write it in
  ``from_sympy``'s text);
* ``fma(x, y, z)``: ``x*y + z`` rounded once (``math.fma`` from Python 3.13);
* ``fmax(x, y)``, ``fmin(x, y)``: the larger (smaller), a nan ignored, as numpy's
  ``np.fmax``/``np.fmin`` (nan only where both are).

Arguments that are all finite numbers evaluate exactly (rationals stay
rational, a Float result is the exact value rounded to the Floats'
precision), except where C's result is -0, which sympy cannot hold: those
stay unevaluated, as does anything with an infinity or a nan whose sign is
unknown.
"""
import sympy

from .functions import registry_derivative

__all__ = ["copysign", "fmod", "remainder", "fdim", "fma", "fmax", "fmin"]


def _exact(args):
    """``(rationals, precision)`` for arguments that are all finite numbers (precision None
    when none is a Float); None otherwise."""
    if not all(a.is_Number and a.is_finite for a in args):
        return None
    precision = max((a._prec for a in args if a.is_Float), default=None)
    return [sympy.Rational(a) for a in args], precision


def _number(value, precision):
    if precision is None or value is sympy.nan:
        return value
    return sympy.Float(value, precision=precision)


class _CFunction(sympy.Function):
    """A function of real arguments whose derivative is its registry row's; ``_value``
    computes it on exact rationals, or returns None where the result would be -0."""

    @classmethod
    def eval(cls, *args):
        if any(a is sympy.nan for a in args) and cls._nan_in_nan_out:
            return sympy.nan
        exact = _exact(args)
        if exact is not None:
            value = cls._value(*exact[0])
            if value is not None:
                return _number(value, exact[1])

    _nan_in_nan_out = True

    def fdiff(self, argindex=1):
        return registry_derivative(self.__class__.__name__, self.args, argindex)

    def _eval_is_real(self):
        return True if all(a.is_real for a in self.args) else None


class copysign(_CFunction):
    """``|x|`` with the sign of ``y``."""
    nargs = 2
    _nan_in_nan_out = False             # copysign(1, nan) is +-1: the nan's sign bit decides

    @staticmethod
    def _value(x, y):
        if y == 0 or (x == 0 and y < 0):        # +-0 in y, or -0 as the result
            return None
        return abs(x) if y > 0 else -abs(x)


class fmax(_CFunction):
    """C's ``fmax`` (numpy's ``np.fmax``): the larger of x and y, a nan ignored (nan only
    where both are)."""
    nargs = 2
    _nan_in_nan_out = False

    @classmethod
    def eval(cls, x, y):
        if x is sympy.nan or y is sympy.nan:
            return y if x is sympy.nan else x
        return super().eval(x, y)

    @staticmethod
    def _value(x, y):
        return None if x == y else max(x, y)        # +-0: which zero is C's to say


class fmin(fmax):
    """C's ``fmin`` (numpy's ``np.fmin``): the smaller of x and y, a nan ignored."""

    @staticmethod
    def _value(x, y):
        return None if x == y else min(x, y)


class fmod(_CFunction):
    """C's ``fmod``: the remainder of x/y rounded toward zero, with the sign of x."""
    nargs = 2

    @staticmethod
    def _value(x, y):
        if y == 0:
            return sympy.nan
        r = x - y * sympy.Integer(int(x / y))   # int() truncates the exact quotient
        return None if r == 0 and x < 0 else r


class remainder(_CFunction):
    """IEEE 754 remainder: ``x - n*y``, n the integer nearest x/y (ties to even)."""
    nargs = 2

    @staticmethod
    def _value(x, y):
        if y == 0:
            return sympy.nan
        q = x / y
        n = sympy.floor(q)
        if q - n > sympy.S.Half or (q - n == sympy.S.Half and n % 2 == 1):
            n += 1
        r = x - n * y
        return None if r == 0 and x < 0 else r  # a zero remainder has the sign of x


class fdim(_CFunction):
    """C's ``fdim``: the positive difference, ``x - y`` where x > y, else +0."""
    nargs = 2

    @staticmethod
    def _value(x, y):
        return x - y if x > y else sympy.S.Zero


class fma(_CFunction):
    """``x*y + z`` with one rounding; never expanded (that would round twice)."""
    nargs = 3

    @staticmethod
    def _value(x, y, z):
        # an exact zero sum is +0 in round-to-nearest unless both terms are -0, which
        # sympy numbers never are
        return x * y + z
