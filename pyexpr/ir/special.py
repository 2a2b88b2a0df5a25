"""Special functions that no math library provides, built from Program ops.

``polygamma(emit, const, n, x)`` emits the value of the polygamma function
``psi^(n)(x)`` (``n = 0``: digamma, the derivative of ``lgamma``; ``n = 1``:
trigamma, ...) as ordinary instructions (arithmetic, ``log``, ``tan``,
``select``), so every code generator (scalar, SIMD, CUDA, the interpreter)
runs it without a function of its own.  ``emit(op, *values)`` appends an
instruction and ``const(value)`` a constant, both returning value ids.

The method, for ``x > 0``: the recurrence ``psi^(n)(x) = psi^(n)(x + N) +
(-1)**(n+1) n! sum_{k<N} (x + k)**-(n+1)`` moves the argument to ``z = x + N``
(``N = 10 + 2 n``), where the asymptotic series in ``1/z`` with the Bernoulli
numbers up to ``B_16`` is accurate to about 1e-17 relative.  For ``x < 0``
the reflection formula ``psi^(n)(1 - x) + (-1)**(n+1) psi^(n)(x) = (-1)**n
pi d^n/dx^n cot(pi x)`` applies (the derivative of ``cot`` is a polynomial in
``cot``).  Near the positive root of digamma, where the recurrence's sum
cancels the series, a Taylor series around the root takes over.  At the
poles (``x`` a non-positive integer) the result is ``+inf`` where both sides
agree (odd ``n``), else nan.
"""
import math
from fractions import Fraction

import sympy

#: B_2, B_4, ..., B_16
BERNOULLI = [Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30), Fraction(5, 66),
             Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510)]
#: the positive root of digamma as hi + lo, and psi^(k)(root) / k! for k = 1..30
ROOT = (1.4616321449683622, 9.549995429965697e-17)
TAYLOR = [0.9676722454476212, -0.4427631689835921, 0.258499760955651, -0.16394270544240652,
          0.10782405069126237, -0.07219956125645471, 0.04880428816414311, -0.03316112647484736,
          0.022597648232218104, -0.01542476590494896, 0.010538791616612175, -0.007204534386356869,
          0.004926781395729853, -0.003369801655439328, 0.002305126326734928, -0.0015769367714301972,
          0.0010788252019162967, -0.0007380709389960052, 0.000504953265834602, -0.0003454680251063077,
          0.00023635601564027053, -0.00016170622091974803, 0.0001106337276874741,
          -7.569179582195066e-05, 5.178575795222081e-05, -3.5430070947659604e-05,
          2.424006611860132e-05, -1.6584242271854135e-05, 1.134638458466385e-05,
          -7.762817668462094e-06]
#: |x - root| below which digamma is the Taylor series
NEAR_ROOT = 0.3
#: the highest order compiled (n! must stay a float; higher orders also lose accuracy)
MAX_ORDER = 100


def shift(n):
    """How far the recurrence moves the argument for ``psi^(n)``."""
    return 10 + 2 * n


def asymptotic_coefficients(n):
    """``[(power, coefficient)]``: ``psi^(n)(z) ~ sum coefficient * z**-power`` (without
    the ``log(z)`` of ``n = 0``), for ``z`` at least ``shift(n)``."""
    sign = -1 if n % 2 == 0 else 1           # (-1)**(n+1)
    terms = [(1, Fraction(-1, 2))] if n == 0 else \
        [(n, sign * math.factorial(n - 1)), (n + 1, sign * Fraction(math.factorial(n), 2))]
    for k, b in enumerate(BERNOULLI, start=1):
        if n == 0:
            terms.append((2 * k, -b / (2 * k)))
        else:
            terms.append((2 * k + n, sign * b * Fraction(math.factorial(2 * k + n - 1),
                                                         math.factorial(2 * k))))
    return [(p, float(c)) for p, c in terms]


def cot_derivative(n):
    """Coefficients (constant term first) of the polynomial ``P`` in ``c = cot(u)`` with
    ``d^n/du^n cot(u) = P(cot(u))``."""
    c = sympy.Symbol("c")
    poly = c
    for _ in range(n):
        poly = sympy.expand(-(1 + c**2) * sympy.diff(poly, c))
    return [float(a) for a in reversed(sympy.Poly(poly, c).all_coeffs())]


def polygamma(emit, const, n, x):
    """The value id of ``psi^(n)(x)`` (see the module docstring)."""
    e = _Emitter(emit, const)
    negative = emit("lt", x, const(0.0))
    y = emit("select", negative, emit("sub", const(1.0), x), x)
    value = _positive(e, n, y)
    # reflection: psi^(n)(x) = (-1)**(n+1) ((-1)**n pi**(n+1) P_n(cot(pi x)) - psi^(n)(1 - x));
    # cot has period pi: reduce x exactly to r in [-1/2, 1/2] first, so pi*r loses nothing
    r = e.sub(x, emit("floor", e.add(x, 0.5)))
    cot = e.div(1.0, emit("tan", e.mul(math.pi, r)))
    reflected = e.sub(e.mul((-1) ** n * math.pi ** (n + 1), e.horner(cot_derivative(n), cot)), value)
    if n % 2 == 0:
        reflected = emit("neg", reflected)
    value = emit("select", negative, reflected, value)
    if n == 0:
        t = e.sub(e.sub(x, ROOT[0]), ROOT[1])
        near = emit("lt", emit("fabs", t), const(NEAR_ROOT))
        value = emit("select", near, e.mul(t, e.horner(TAYLOR, t)), value)
    pole = emit("and", emit("and", emit("le", x, const(0.0)), emit("gt", x, const(-math.inf))),
                emit("eq", emit("floor", x), x))
    return emit("select", pole, const(math.inf if n % 2 else math.nan), value)


def _positive(e, n, y):
    """``psi^(n)(y)`` for ``y >= 0`` by the recurrence and the asymptotic series."""
    z = e.add(y, float(shift(n)))
    inv = e.div(1.0, z)
    terms = asymptotic_coefficients(n)
    series = e.horner([0.0] * terms[0][0] + [c for _, c in _dense(terms)], inv)
    if n == 0:
        series = e.add(e.emit("log", z), series)
    # n! (y + k)**-(n+1) as (n!**(1/(n+1)) / (y + k))**(n+1): no underflow of the power for large n
    root = float(math.factorial(n)) ** (1.0 / (n + 1))
    total = None
    for k in range(shift(n)):
        term = e.power(e.div(root, e.add(y, float(k))), n + 1)
        total = term if total is None else e.add(total, term)
    return e.sub(series, total) if n % 2 == 0 else e.add(series, total)


def _dense(terms):
    """The asymptotic terms with every power from the first to the last (zeros between)."""
    powers = dict(terms)
    first, last = terms[0][0], terms[-1][0]
    return [(p, powers.get(p, 0.0)) for p in range(first, last + 1)]


class _Emitter:
    """Arithmetic on value ids and Python floats (turned into constants)."""

    def __init__(self, emit, const):
        self.emit, self._const = emit, const

    def _v(self, a):
        return self._const(a) if isinstance(a, float) else a

    def add(self, a, b):
        return self.emit("add", self._v(a), self._v(b))

    def sub(self, a, b):
        return self.emit("sub", self._v(a), self._v(b))

    def mul(self, a, b):
        return self.emit("mul", self._v(a), self._v(b))

    def div(self, a, b):
        return self.emit("div", self._v(a), self._v(b))

    def power(self, a, k):
        """``a**k`` by squaring (``k >= 1``)."""
        result = None
        while k:
            if k & 1:
                result = a if result is None else self.mul(result, a)
            k >>= 1
            if k:
                a = self.mul(a, a)
        return result

    def horner(self, coefficients, t):
        """``sum coefficients[i] * t**i``, constant term first."""
        acc = self._const(coefficients[-1])
        for c in reversed(coefficients[:-1]):
            acc = self.add(self.mul(acc, t), float(c))
        return acc
