"""sympy expressions -> Program.

One ``_lower_<Class>`` method per sympy class, found along the class's MRO;
a class with no method raises ``LoweringError`` naming it.  ``sharing.cse``
runs first (``sympy.cse`` re-evaluating nothing but arithmetic, so the
Program computes the printed formula), and the ``Builder`` merges identical
steps, so every shared subexpression is computed once.
"""
import math
from importlib import import_module

import numpy as np
import sympy

from .. import functions as pf
from ..sharing import cse
from ..errors import LoweringError
from ..printing import SORTED_TERMS
from . import composite, special
from .ops import OPS
from .program import Builder, Program

def _resolve(dotted):
    """The class a registry row names (``"sympy.exp"``, ``"pyexpr.functions.expm1"``)."""
    module, _, name = dotted.rpartition(".")
    return getattr(import_module(module), name)


#: sympy class -> Program op, from the registry's sympy column
OP_OF = {_resolve(row.sympy): name for name, row in OPS.items() if row.sympy}
#: the classes of one or two arguments that are plain calls of their op
CALLS = {cls: op for cls, op in OP_OF.items() if issubclass(cls, sympy.Function)}
RELATIONS = {cls: op for cls, op in OP_OF.items() if issubclass(cls, sympy.core.relational.Relational)}


def from_exprs(name, args, outputs, as_written=False):
    """The checked Program computing the sympy expressions ``outputs`` from the Symbols
    ``args``; ``as_written``: unevaluated sums and products in their own order and
    grouping, each ``+ - * /`` one IEEE operation (``simplify=False``)."""
    args = tuple(args)
    replacements, reduced = cse(list(outputs), as_written=as_written)
    lowerer = (_WrittenLowerer if as_written else _Lowerer)(len(args))
    lowerer.values.update({sym: i for i, sym in enumerate(args)})
    for sym, expr in replacements:
        lowerer.named[sym] = expr
        lowerer.values[sym] = lowerer.lower(expr)
    outs = tuple(lowerer.lower(sympy.sympify(e)) for e in reduced)
    names = tuple(str(a) for a in args)
    return Program(name, names, tuple(lowerer.b.instrs), outs).check()


#: digits a constant made of numbers is evaluated to before it is rounded once
CONSTANT_DIGITS = 40
#: the kinds of expression whose arguments, all numbers, make a constant to evaluate exactly
_FOLDED = (sympy.Function, sympy.Pow, sympy.Mul, sympy.Add)

#: powers of a product's factor multiplied in one copy at a time (``_ordered_product``);
#: higher ones keep binary exponentiation's fewer multiplications
_REPEATED = (sympy.Integer(2), sympy.Integer(3))


class _Lowerer:
    #: constants made of numbers (log(1001/1000), 2**(1/3), pi/3) become their exact value
    #: rounded once, not computed at run time from rounded parts (log1p(1e-3), folded by
    #: sympy to log of a rational, lost 13 bits computed as log(1.001))
    fold = True

    def __init__(self, n_args):
        self.b = Builder(n_args)
        self.values = {}      # sympy expr -> value id (arguments, cse temporaries, memo)
        self.named = {}       # cse temporary -> the expression it names

    def lower(self, expr):
        if expr in self.values:
            return self.values[expr]
        if self.fold and isinstance(expr, _FOLDED) and expr.args \
                and all(a.is_Number or a.is_NumberSymbol for a in expr.args):
            value = _exact(expr)
            if value is not None:
                self.values[expr] = self.b.const(value)
                return self.values[expr]
        for cls in type(expr).__mro__:
            method = getattr(self, f"_lower_{cls.__name__}", None)
            if method is not None:
                break
        else:
            raise LoweringError(f"no code generator for {type(expr).__name__} (in {expr})")
        value = method(expr)
        self.values[expr] = value
        return value

    def emit(self, op, *args):
        return self.b.emit(op, *args)

    # --- leaves -----------------------------------------------------------
    def _lower_Symbol(self, expr):
        raise LoweringError(f"free symbol {expr} is not an argument of the formula")

    def _lower_Number(self, expr):
        return self.b.const(float(expr))

    def _lower_NumberSymbol(self, expr):        # pi, E, ...
        return self.b.const(float(expr))

    def _lower_Held(self, expr):                # (a value whose derivative is 0: extremes.Held)
        return self.lower(expr.args[0])

    def _lower_ComplexInfinity(self, expr):
        # sympy's 1/0 of an exact 0 (dag.without_zoo): an infinity without a sign
        return self.b.const(float("nan"))

    def _lower_ImaginaryUnit(self, expr):
        # a value that is not real is nan, as numpy's float functions give it: sympy keeps
        # sqrt(-10.0) as 3.16*I where simplification moves a power into a Piecewise
        return self.b.const(float("nan"))

    # --- arithmetic -------------------------------------------------------
    def _lower_Add(self, expr):
        """Term by term in the printed order, each negative term subtracted: ``-x + y + z``
        as ``(y - x) + z`` (exactly ``(-x + y) + z``), and ``-x - 1`` as ``(-x) - 1``
        (+0 at x = -1, not -(x + 1)).  Where terms cancel, the order decides the
        rounding: the Program rounds as the printed formula reads."""
        terms = self._printed_order(expr.args)
        negated = [-t if t.as_coeff_Mul()[0].is_negative else None for t in terms]
        first = 1 if negated[0] is None or len(terms) == 1 or negated[1] is not None else 2
        if first == 1:
            acc = self.lower(terms[0])
        else:
            acc = self.emit("sub", self.lower(terms[1]), self.lower(negated[0]))
        for term, minus in zip(terms[first:], negated[first:]):
            acc = self.emit("add", acc, self.lower(term)) if minus is None else \
                self.emit("sub", acc, self.lower(minus))
        return acc

    def _printed_order(self, terms):
        """``terms`` (a sum's, after cse) in sympy's printed order of them as cse leaves
        them: the printed formula's order where cse named nothing inside the sum.  (Expanding
        cse's names to find the order of the formula printed whole took minutes on deep
        derivatives.)  Two terms add the same in either order; sums over SORTED_TERMS, and
        those sympy cannot order (a nan in a Piecewise), keep their stored order."""
        if not 3 <= len(terms) <= SORTED_TERMS:
            return terms
        try:
            ordered = sympy.Add(*terms, evaluate=False).as_ordered_terms()
        except TypeError:
            return terms
        return ordered if len(ordered) == len(terms) and set(ordered) == set(terms) else terms

    def _lower_Mul(self, expr):
        """Factors multiplied in order, the denominators' product divided; squares and
        cubes of variables one copy at a time (``_ordered_product``), and a power over
        the same power as their ratio's (``x**2/d**2`` as ``(x/d)*(x/d)``)."""
        coeff, rest = expr.as_coeff_Mul()
        if coeff.is_negative:
            return self.emit("neg", self.lower(-expr))
        num, den, repeated = [], [], []            # factors, (base, exp) below and above
        for factor in expr.args:
            base, exp = factor.as_base_exp()
            if exp.is_Number and exp.is_negative and not factor.is_Number:
                den.append((base, -exp))
            elif exp in _REPEATED and not base.is_number:      # (pi**2 stays one constant)
                repeated.append((base, int(exp)))
            else:
                num.append(factor)
        later = lambda e: lambda: self.lower(e)     # noqa: E731 -- lowered where it is used
        if len(repeated) == 1 and len(den) == 1 and den[0][1] == repeated[0][1]:
            # z**2/d**2 as (z/d)*(z/d): both squares may overflow where the value does not
            (base, k), (below, _) = repeated[0], den[0]
            ratio = self.emit("div", self.lower(base), self.lower(below))
            return self._lazy_chain("mul", [lambda: ratio, *map(later, num)] + [lambda: ratio] * (k - 1))
        if len(den) > 1:        # constants last: each ratio of like factors in range
            num = [f for f in num if not f.is_number] + [f for f in num if f.is_number]
        # round robin: the first copy of each repeated base, the other factors, the second copies, ...
        rounds = [[later(b) for b, k in repeated if j < k] for j in range(3)]
        factors = rounds[0] + [later(f) for f in num] + rounds[1] + rounds[2]
        # z**2/x as (z/x)*z; with other factors, y/x may overflow where y*y*z*z/x is 0
        split = 1 if repeated and len(factors) == repeated[0][1] else len(factors)
        divisors = [lambda b=b, e=e: self._power_below(b, e) for b, e in den]
        return self._ordered_product(factors or [lambda: self.b.const(1.0)], split or 1, divisors)

    def _ordered_product(self, factors, split, den):
        """The product of ``factors`` in order, that of ``den`` divided after the first
        ``split``.  ``z**2*x`` as ``(z*x)*z``, ``z**2/x`` as ``(z/x)*z`` and ``y**2*e**2``
        as ``((y*e)*y)*e`` (the denominator after one copy where the power is alone above
        it, else at the end): sympy gathers ``z*(x*z)``, ``z/(x/z)`` and ``(y*e)**2`` into powers, whose
        squares overflow (or underflow) where the value does not.  Multiplying in one copy
        at a time keeps every partial result of a lone power between two in range (the
        other factor's and the value), and costs the same multiplications."""
        if len(den) > 1:
            return self._interleaved(factors, den)
        acc = self._lazy_chain("mul", factors[:split])
        if den:
            acc = self.emit("div", acc, self._lazy_chain("mul", den))
        for value in factors[split:]:
            acc = self.emit("mul", acc, value())
        return acc

    def _interleaved(self, factors, den):
        """``((f1/d1)*f2)/d2 ...``: a product of denominators overflows or underflows where
        each ratio is in range (``(x - y)/((x + 1)*(y + 1))``, ``x/(x + 1) - y/(y + 1)`` over
        one denominator, at x = 1e300), at the cost of a division for a multiplication."""
        acc = factors[0]()
        for k in range(max(len(factors) - 1, len(den))):
            if k < len(den):
                acc = self.emit("div", acc, den[k]())
            if k + 1 < len(factors):
                acc = self.emit("mul", acc, factors[k + 1]())
        return acc

    def _power_below(self, base, exp):
        """``base**exp`` as a divisor: a half-integer power with pow's value at -inf (+inf,
        so that x**-0.5 is +0 there, as pow gives; numpy's x**0.5 is nan at -inf)."""
        if exp.is_Rational and exp.q == 2:
            return self._half_pow(self.lower(base), exp.p)
        return self.lower(base if exp == 1 else base ** exp)

    def _lazy_chain(self, op, lowered):
        """``op`` over the values the functions ``lowered`` give, each lowered just before
        it is used (the order of the instructions the golden IR tests pin)."""
        acc = lowered[0]()
        for value in lowered[1:]:
            acc = self.emit(op, acc, value())
        return acc

    def _chain(self, op, terms):
        return self._lazy_chain(op, [lambda term=term: self.lower(term) for term in terms])

    def _lower_product(self, expr):
        return self.emit("mul", *(self.lower(a) for a in expr.args))

    def _lower_Pow(self, expr):
        """Powers with C's ``pow`` values at every special value (numpy's ``np.power``),
        computed by multiplications and square roots where the exponent allows."""
        base, exp = expr.args
        if exp.is_Integer:
            n = int(exp)
            # x**-n as (1/x)**n: it overflows and underflows where pow does
            # (1/(x*x) is 0 at x = 1e155, pow gives 1e-310)
            x = self.lower(base) if n >= 0 else self.emit("div", self.b.const(1.0), self.lower(base))
            return self._int_pow(x, abs(n))
        if exp == sympy.S.Half:                     # numpy's x**0.5 is sqrt (-0 at -0, nan at -inf)
            return self.emit("sqrt", self.lower(base))
        if exp.is_Rational and exp.q == 2:
            return self._half_pow(self.lower(base), exp.p)
        if base == sympy.E:
            return self.emit("exp", self.lower(exp))
        return self.emit("pow", self.lower(base), self.lower(exp))

    def _half_pow(self, x, p):
        """``x**(p/2)`` for odd ``p`` other than 1: ``|x|**(k//2) * sqrt(x + 0)`` (k = |p|),
        which is nan for negative x as pow is, with pow's values at -0 (+0, or +inf for
        p < 0) and at -inf (+inf, or +0)."""
        k = abs(p)
        root = self.emit("sqrt", self.emit("add", x, self.b.const(0.0)))     # -0 + 0 is +0
        value = root if k == 1 else self.emit("mul", self._int_pow(self.emit("fabs", x), k // 2), root)
        at_minus_inf = self.emit("eq", x, self.b.const(float("-inf")))
        value = self.emit("select", at_minus_inf, self.b.const(float("inf")), value)
        return self.emit("div", self.b.const(1.0), value) if p < 0 else value

    def _int_pow(self, base, n):
        if n < 0:
            return self.emit("div", self.b.const(1.0), self._int_pow(base, -n))
        if n == 0:
            return self.b.const(1.0)
        result, square = None, base
        while n:                                    # binary exponentiation
            if n & 1:
                result = square if result is None else self.emit("mul", result, square)
            n >>= 1
            if n:
                square = self.emit("mul", square, square)
        return result

    # --- functions --------------------------------------------------------
    def _lower_Function(self, expr):
        cls = type(expr)
        # along the MRO: pyexpr's erfc and acos are sympy's, minus an evaluation
        op = next((CALLS[c] for c in cls.__mro__ if c in CALLS), None)
        if op is not None and len(expr.args) == OPS[op].arity:
            return self.emit(op, *(self.lower(a) for a in expr.args))
        raise LoweringError(f"no code generator for the function {cls.__name__} (in {expr})")

    def _lower_RoundFunction(self, expr):
        """``floor(t/49)`` (Python's ``t // 49``; ceiling, trunc) of a division, as numpy
        divides: ``t*(1/49)`` is 1.9999999999999998 at ``t = 98``, whose floor is 1, not 2.
        (A power of two's reciprocal is exact: ``floor(t/2)`` multiplies.)"""
        split = pf.divided(expr.args[0])
        if split is not None:
            op = next(CALLS[c] for c in type(expr).__mro__ if c in CALLS)
            return self.emit(op, self.emit("div", self.lower(split[0]), self.b.const(float(split[1]))))
        return self._lower_Function(expr)

    _lower_RoundingFunction = _lower_trunc = _lower_RoundFunction     # (sympy's name before 1.13)

    def _lower_erfc(self, expr):
        """erfc of a constant times the rest (``erfc(-x/sqrt(2))``, the normal
        distribution's tail) with the product's rounding carried (composite.erfc_of_product):
        computed as the exact product, as printed, not of the product rounded."""
        split = self.fold and _constant_factor(self.named.get(expr.args[0], expr.args[0]))
        if not split:
            return self._lower_Function(expr)
        c, rest = split
        return composite.erfc_of_product(self.emit, self.b.const, self.lower(rest), *c)

    def _lower_logaddexp(self, expr):
        """Of more than two arguments, a chain of the binary one (each step exact in
        its larger argument, so the chain keeps the binary one's accuracy)."""
        acc = self.lower(expr.args[0])
        for arg in expr.args[1:]:
            acc = self.emit("logaddexp", acc, self.lower(arg))
        return acc

    def _lower_polygamma(self, expr):
        n, x = expr.args
        if not (n.is_Integer and 0 <= n <= special.MAX_ORDER):
            raise LoweringError(f"polygamma needs a constant order 0 <= n <= {special.MAX_ORDER}, "
                                f"not {n} (in {expr})")
        return special.polygamma(self.emit, self.b.const, int(n), self.lower(x))

    def _lower_digamma(self, expr):
        return special.polygamma(self.emit, self.b.const, 0, self.lower(expr.args[0]))

    def _lower_trigamma(self, expr):
        return special.polygamma(self.emit, self.b.const, 1, self.lower(expr.args[0]))

    def _lower_Min(self, expr):
        return self._chain(OP_OF[sympy.Min], list(expr.args))

    def _lower_Max(self, expr):
        return self._chain(OP_OF[sympy.Max], list(expr.args))

    def _lower_Heaviside(self, expr):
        x = self.lower(expr.args[0])
        half = self.lower(expr.args[1]) if len(expr.args) > 1 else self.b.const(0.5)
        zero = self.b.const(0.0)
        at_zero = self.emit("select", self.emit("eq", x, zero), half, x)     # nan stays nan
        at_or_below = self.emit("select", self.emit("lt", x, zero), zero, at_zero)
        return self.emit("select", self.emit("gt", x, zero), self.b.const(1.0), at_or_below)

    def _lower_Piecewise(self, expr):
        # a Piecewise with no true condition is nan, as in sympy's lambdify
        pieces = [(v, c) for v, c in expr.args if c != sympy.false]
        if pieces and pieces[-1][1] == sympy.true:
            acc = self.lower(pieces.pop()[0])
        else:
            acc = self.b.const(float("nan"))
        for value, cond in reversed(pieces):
            acc = self.emit("select", self.lower(cond), self.lower(value), acc)
        return acc

    # --- booleans ---------------------------------------------------------
    def _lower_Relational(self, expr):
        op = RELATIONS.get(type(expr))
        if op is None:
            raise LoweringError(f"no code generator for the relation {type(expr).__name__}")
        return self.emit(op, self.lower(expr.lhs), self.lower(expr.rhs))

    def _lower_And(self, expr):
        return self._chain("and", list(expr.args))

    def _lower_Or(self, expr):
        return self._chain("or", list(expr.args))

    def _lower_ITE(self, expr):
        """sympy's ``ITE(c, a, b)`` (a Piecewise of conditions, as sympy folds one) as
        ``(c & a) | (~c & b)``."""
        c, a, b = (self.lower(arg) for arg in expr.args)
        return self.emit("or", self.emit("and", c, a), self.emit("and", self.emit("not", c), b))

    def _lower_Not(self, expr):
        return self.emit("not", self.lower(expr.args[0]))

    def _lower_isnan(self, expr):               # functions.isnan: nan alone differs from itself
        x = self.lower(expr.args[0])
        return self.emit("ne", x, x)

    def _lower_isinf(self, expr):
        return self.emit("eq", self.emit("fabs", self.lower(expr.args[0])), self.b.const(float("inf")))

    def _lower_BooleanTrue(self, expr):
        zero = self.b.const(0.0)
        return self.emit("eq", zero, zero)

    def _lower_BooleanFalse(self, expr):
        zero = self.b.const(0.0)
        return self.emit("ne", zero, zero)


def _constant_factor(expr):
    """``((c, c_high, c_low), rest)`` where ``expr`` is a product ``c*rest`` whose constant
    ``c`` a float holds only rounded or whose product with a float rounds (not a power of
    two): ``c`` as a double, its float32 part and the 40-digit remainder; else None."""
    if not isinstance(expr, sympy.Mul):
        return None
    numbers = [f for f in expr.args if f.is_number]
    rest = [f for f in expr.args if not f.is_number]
    if not numbers or not rest:
        return None
    c = sympy.Mul(*numbers)
    value = _exact(c)
    if value is None or value == 0 or math.frexp(abs(value))[0] == 0.5:
        return None
    with np.errstate(over="ignore"):
        high = float(np.float32(value))
    if not math.isfinite(high):         # beyond float32: the correction cannot split it
        return None
    low = _exact(c - sympy.Rational(high))
    return None if low is None else ((value, high, low), sympy.Mul(*rest))


def _exact(expr):
    """``expr``, made of numbers, evaluated to CONSTANT_DIGITS and rounded to a double;
    None where that is not a finite real number (the code then computes it, as written)."""
    try:
        value = expr.evalf(CONSTANT_DIGITS)
    except (TypeError, ValueError, ArithmeticError):
        return None
    if not value.is_Float or not value.is_finite:
        return None
    return float(value)


class _WrittenLowerer(_Lowerer):
    """Sums and products as the source groups them: ``(x + 1e16) - 1e16`` is two
    additions, left to right, and ``x/3`` a division (sympy holds it as ``x*(1/3)``,
    which would round 1/3 first).  Constants too are computed as written."""
    fold = False

    def _lower_Add(self, expr):
        acc = self.lower(expr.args[0])
        for term in expr.args[1:]:
            negated = pf.negation_of(term)
            acc = self.emit("sub", acc, self.lower(negated)) if negated is not None else \
                self.emit("add", acc, self.lower(term))
        return acc

    def _lower_Pow(self, expr):
        """Python's ``x**n`` is C's ``pow``, one rounding: squares and reciprocals are
        that as one multiplication or division, other integer powers stay ``pow``."""
        base, exp = expr.args
        if exp.is_Integer and exp not in (1, 2, -1):
            return self.emit("pow", self.lower(base), self.b.const(float(exp)))
        return super()._lower_Pow(expr)

    def _lower_Mul(self, expr):
        negated = pf.negation_of(expr)
        if negated is not None:
            return self.emit("neg", self.lower(negated))
        acc = None
        for factor in expr.args:
            acc = self._times(acc, factor)
        return acc

    def _times(self, acc, factor):
        """``acc * factor``, a factor that is a reciprocal (``1/q``, ``b**-1``) a division."""
        one = self.b.const(1.0)
        if factor.is_Rational and not factor.is_Integer:
            top = acc if factor.p == 1 else self.emit("mul", one if acc is None else acc,
                                                      self.b.const(float(factor.p)))
            return self.emit("div", one if top is None else top, self.b.const(float(factor.q)))
        if factor.is_Pow and factor.exp == -1:
            return self.emit("div", one if acc is None else acc, self.lower(factor.base))
        value = self.lower(factor)
        return value if acc is None else self.emit("mul", acc, value)

