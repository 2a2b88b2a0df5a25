"""Real-valued functions sympy lacks, as sympy ``Function`` classes.

``cbrt`` is the real cube root (``cbrt(-8) == -2``), unlike sympy's
``cbrt(x) = x**(1/3)`` which is the principal complex root for negative x.
``trunc`` rounds toward zero.  The others (``log1p``, ``expm1``, ``exp2``,
``log2``, ``log10``, ``hypot``) come from ``sympy.codegen.cfunctions`` and are
re-exported here so every module names them from one place.
"""
import sympy
from sympy.codegen.cfunctions import exp2, expm1, hypot, log1p, log2, log10

__all__ = ["cbrt", "trunc", "exp2", "expm1", "hypot", "log1p", "log2", "log10"]


class cbrt(sympy.Function):
    """Real cube root."""
    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_Number:
            root = sympy.Abs(arg) ** sympy.Rational(1, 3)
            return -root if arg.is_negative else root

    def fdiff(self, argindex=1):
        return 1 / (3 * cbrt(self.args[0]) ** 2)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _latex(self, printer):
        return r"\sqrt[3]{%s}" % printer._print(self.args[0])


class trunc(sympy.Function):
    """Round toward zero; its derivative is 0 almost everywhere."""
    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_Number:
            return sympy.sign(arg) * sympy.floor(sympy.Abs(arg))

    def fdiff(self, argindex=1):
        return sympy.S.Zero

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_integer(self):
        return self.args[0].is_real
