"""Exact derivatives, cleaned for code generation.

``derivative(expr, *wrt)`` differentiates with sympy's rules (each function's
``fdiff``, the product, power and chain rules) and replaces what has no value
as a function with its almost-everywhere value: the derivatives of ``floor``,
``ceiling``, ``sign`` and ``Heaviside`` are 0,
``DiracDelta`` never appears, and the derivative of ``Mod(p, q)`` is that of
``p - q*floor(p/q)`` with the floor held constant.  ``diff_name`` names the
result as ``df_dx``, ``d2f_dxdy``, ``d2f_dx2``.  Derivatives by an element of a
vector of any length are ``sum_calculus``'s.

The walk is memoized on subexpressions: formulas from unrolled loops share
subexpressions heavily (a tree exponentially larger than its graph), and
``sympy.diff`` would revisit every shared node once per path to it.
"""
from bisect import insort

import sympy
from sympy.calculus.accumulationbounds import AccumBounds
from sympy.core.add import _args_sortkey
from sympy.core.function import ArgumentIndexError
from sympy.core.parameters import global_parameters
from sympy.functions.elementary.miscellaneous import MinMaxBase

from . import deep, extremes, indexing
from .sums import Sum
from .sharing import PIECE
from .functions import product, real_fdiff, settled_piecewise

_PIECEWISE_CONSTANT = (sympy.floor, sympy.ceiling, sympy.sign, sympy.Heaviside, extremes.ExtremeAt,
                       extremes.Held)
#: sums of this many terms or more take new terms by binary search (``_sum``)
LONG_SUM = 16
#: the long sums whose terms ``_sum`` keeps, the newest (a running sum is extended twice
#: a step: as it is, and less the if's 1.0)
RECENT_SUMS = 8


def _plain_term(t):
    """A term sympy's Add keeps as it is: no number, sum, order or non-commuting factor,
    no product or power that sympy would write otherwise (one left unevaluated)."""
    return not (t.is_Number or t.is_Add or t.is_Order or isinstance(t, AccumBounds)) and t.is_commutative \
        and t.is_finite is not False \
        and not ((t.is_Mul or t.is_Pow) and t.func(*t.args) != t)


@deep.sized(lambda expr, *wrt: [expr])
def derivative(expr, *wrt):
    result = expr
    for sym in wrt:
        result = _Differentiator(sym).d(result)
    return result           # (a zoo of du/u, u = 0 in a branch: the Formula made of it makes it nan)


def _times(others, da):
    """The product rule's term ``others * da``, a ``sign(u)`` factor of ``da`` (d|u|'s) and
    one of ``others`` as 1: ``d2 g(|u|) = g''(|u|)*sign(u)**2`` was 0 at ``u = 0`` (the
    second derivative of ``(|x| + 1)**-1.5`` there, 15/4 on either side).  A ``sign(u)**2``
    the code wrote is a factor of ``others`` alone, and stays."""
    signs = [f for f in sympy.Mul.make_args(da) if isinstance(f, sympy.sign)]
    if not signs:
        return sympy.Mul(*others, da)
    others, kept = list(others), list(sympy.Mul.make_args(da))
    for sign in signs:
        for k, f in enumerate(others):
            power = 1 if f == sign else \
                f.exp if f.is_Pow and f.base == sign and f.exp.is_Integer and f.exp > 0 else None
            if power is not None:
                others[k] = sign ** (power - 1)
                kept.remove(sign)
                break
    return sympy.Mul(*others, *kept)


def _by_exponent(power, base, d_exp):
    """``power*log(base)*d_exp``, ``d(base**p)``'s term by its exponent, 0 where ``base`` is
    (``0*-inf``, whose limit it is where the power is finite)."""
    return sympy.Piecewise((0, sympy.Eq(base, 0)), (power * sympy.log(base) * d_exp, True))


def _signed_powers(factors):
    """``factors`` with each pair ``|u|**q``, ``sign(u)`` as one tuple (see
    ``_Differentiator._signed_power``)."""
    signs = {f.args[0]: f for f in factors if isinstance(f, sympy.sign)}
    if not signs:
        return list(factors)
    out, taken = [], set()
    for f in factors:
        base = f.base if f.is_Pow else f
        if isinstance(base, sympy.Abs) and base.args[0] in signs and base.args[0] not in taken:
            taken.add(base.args[0])
            out.append((f, signs[base.args[0]]))
    return out + [f for f in factors if not (isinstance(f, sympy.sign) and f.args[0] in taken)
                  and not any(f is pair[0] for pair in out)]


class _Differentiator:
    """d(expr)/d(sym), memoized per subexpression."""

    def __init__(self, sym):
        self.sym = sym
        self.done = {}
        self.depends_memo = {}
        self.heights = {}
        #: the terms (less their coefficients) of the latest long sums ``_sum`` made
        self.sum_terms = {}

    def depends(self, expr):
        found = self.depends_memo.get(expr)
        if found is None:
            found = expr == self.sym or (not expr.is_Atom and any(
                self.depends(a) for a in expr.args if isinstance(a, sympy.Basic)))
            self.depends_memo[expr] = found
        return found

    def d(self, expr):
        result = self.done.get(expr)
        if result is None:
            # (a constant nan or zoo, a value with none, has no derivative either)
            result = self.done[expr] = self._rule(expr) if self.depends(expr) else \
                sympy.nan if expr in (sympy.nan, sympy.zoo) else sympy.S.Zero
        return result

    def _rule(self, e):
        if e == self.sym:
            return sympy.S.One
        if e.is_Add:
            return self._sum([self.d(a) for a in e.args])
        if e.is_Mul:
            args = _signed_powers(e.args)
            ds = [self._signed_power(*a) if isinstance(a, tuple) else self.d(a) for a in args]
            args = [sympy.Mul(*a) if isinstance(a, tuple) else a for a in args]
            return sympy.Add(*(_times(args[:i] + args[i + 1:], da) for i, da in enumerate(ds) if da != 0))
        if e.is_Pow:
            base, exp = e.args
            if not (self.depends(exp) or exp.is_Integer):
                return self._power(base, exp)
            if exp.is_Integer:
                return e * self.d(base) * exp / base
            return self._variable_power(e, base, exp)
        if isinstance(e, sympy.Piecewise):
            guarded = guarded_value(e)
            if guarded is not None and self.depends(e.args[0].cond):
                return self.d(guarded)          # the guard's condition holds at one point only
            return settled_piecewise([(self.d(x), c) for x, c in e.args])
        if isinstance(e, sympy.Sum):            # a scalar's derivative goes inside the sum
            if len(e.limits) > 1:
                return Sum(self.d(e.function), *e.limits)
            return indexing.summed(self.d(e.function), *e.limits[0])
        if isinstance(e, sympy.Product):        # d(prod f) = prod f * sum f'/f
            (i, lo, hi), = e.limits
            return e * indexing.summed(self.d(e.function) / e.function, i, lo, hi)
        if isinstance(e, extremes.Extreme):     # the extreme terms' mean derivative
            if indexing.has_index_relation(e.function, e.limits[-1][0]):
                raise NotImplementedError(f"the derivative of {e}, whose terms have cases in its index, "
                                          "is not supported yet")
            return extremes.derivative(e, self.d, indexing.summed)
        if isinstance(e, sympy.Mod):
            p, q = e.args
            return self.d(p) - sympy.floor(p / q) * self.d(q)
        if isinstance(e, _PIECEWISE_CONSTANT):
            return sympy.S.Zero
        if isinstance(e, (sympy.Function, MinMaxBase)):      # Min and Max are no Functions
            return self._chain(e)
        return _clean(sympy.diff(e, self.sym))

    def _sum(self, terms):
        """``sympy.Add(*terms)``.  Where one term is a long sum and the others are new
        terms of it (a loop's running sum differentiated: one term a step), they go into
        its sorted arguments by binary search: sympy sorts and rebuilds every term again,
        quadratic in the loop's length."""
        terms = [t for t in terms if t is not sympy.S.Zero]
        long = max(terms, key=lambda t: len(t.args) if t.is_Add else 0, default=None)
        if long is None or not long.is_Add or len(long.args) < LONG_SUM or not global_parameters.evaluate \
                or long.args[0].is_number and long.args[0].is_finite is False:     # (oo + y is oo)
            return sympy.Add(*terms)
        parts = self.sum_terms.get(long)
        if parts is None:
            if sympy.Add(*long.args).args != long.args:     # one left unevaluated: sympy's way
                return sympy.Add(*terms)
            parts = {a.as_coeff_Mul()[1] for a in long.args}
        new = list(terms)
        del new[next(k for k, t in enumerate(terms) if t is long)]   # (once: d(s) + d(s) is 2*d(s))
        if not all(_plain_term(t) for t in new) or len({t.as_coeff_Mul()[1] for t in new} | parts) \
                != len(parts) + len(new):           # a like term, a number: sympy combines them
            return sympy.Add(*terms)
        args = list(long.args)
        for t in new:
            insort(args, t, lo=1 if args[0].is_Number else 0, key=_args_sortkey)
        result = sympy.Add._from_args(args)
        self.sum_terms[result] = parts | {t.as_coeff_Mul()[1] for t in new}
        if len(self.sum_terms) > RECENT_SUMS:       # (each holds a copy of its terms)
            del self.sum_terms[next(iter(self.sum_terms))]
        return result

    def _signed_power(self, power, sign):
        """``d(|u|**q*sign(u)) = q*|u|**(q - 1)*du (+ sign(u)*|u|**q*log|u|*dq)``, d|u|**q's
        ``sign(u)`` times ``sign(u)`` being 1: as ``sign(u)**2`` it was 0 at ``u = 0``, and
        the second derivative of ``|x|**2`` (of ``(x**2)**(y**2 + 1)``, the Brown function)
        0 there, not 2."""
        u, q = sign.args[0], power.exp if power.is_Pow else sympy.S.One
        du, dq = self.d(u), self.d(q)
        by_u = q * sympy.Abs(u) ** (q - 1) * du if du != 0 else sympy.S.Zero
        return by_u if dq == 0 else by_u + sign * _by_exponent(power, sympy.Abs(u), dq)

    def _variable_power(self, e, base, exp):
        """``d(b**p) = p*b**(p - 1)*db + b**p*log(b)*dp``: ``b**p*(p*db/b + ...)`` was 0/0
        where ``b`` is 0 (the Brown function's ``(x**2)**(y**2 + 1)`` at 0, an optimizer's
        start), and ``b**p*log(b)`` there is ``0*-inf``, whose limit, 0, it is where
        ``b**p`` is finite."""
        d_base, d_exp = self.d(base), self.d(exp)
        by_base = exp * base ** (exp - 1) * d_base if d_base != 0 else sympy.S.Zero
        return by_base if d_exp == 0 else by_base + _by_exponent(e, base, d_exp)

    def _power(self, base, exp):
        """``d(base**exp)`` for a non-integer exponent free of the variable: ``exp*base**(exp - 1)*d(base)``,
        which has the value at ``base = 0`` that ``base**exp*d(base)*exp/base`` (sympy's)
        makes 0/0: ``(x*y)**1.5`` by x at x = 0 is 0, ``(x*y)**0.3`` is inf.  Where
        ``base**(exp - 1)`` is infinite at 0 and the base has factors free of the
        variable, it is 0 for every value of the variable where those are 0: the
        derivative there is 0 (``zero_guard``), not inf*0."""
        factor = self.d(base)
        result = exp * base ** (exp - 1) * factor
        if not (exp.is_Number and 0 < exp < 1 and base.is_Mul):
            return result
        free = sympy.Mul(*(a for a in base.args if not (a.is_Number or self.depends(a))))
        return zero_guard(free, result) if free.free_symbols else result

    def _chain(self, e):
        terms = []
        for i, arg in enumerate(e.args, 1):
            da = self.d(arg)
            if da == 0:
                continue
            try:
                df = real_fdiff(e, i)
            except ArgumentIndexError:
                df = sympy.Function.fdiff(e, i)
            if isinstance(df, (sympy.Derivative, sympy.Subs, sympy.DiracDelta)):
                df = _clean(df)
            terms.append(self._times(df, da))
        return sympy.Add(*terms)

    def _times(self, df, da):
        """``df*da``; as a ``product`` of the two where either is deeper than a piece (the
        chain rule through a map iterated many times): sympy's product sorts its factors,
        comparing deep ones level by level (n levels: time ~n**2 for ``x = sin(x)``)."""
        if not (df.is_Number or da.is_Number) and deep.height([df, da], self.heights) > PIECE:
            return product(df, da)
        return df * da


def zero_guard(factor, value):
    """``value``, but 0 where ``factor`` (a factor of it) is 0: ``value`` is a
    product with a factor that is infinite there (inf*0), and the quantity it
    stands for is 0 (the derivative of a power whose base is 0 for every value
    of the variable)."""
    return sympy.Piecewise((sympy.S.Zero, sympy.Eq(factor, 0)), (value, True), evaluate=False)


def guarded_value(expr):
    """The value of a ``zero_guard`` (``expr`` written like one: a Piecewise that is 0 where
    a factor of its other branch is 0), else None.  Its derivative by a variable of the
    condition is the value's: the condition holds on no interval of that variable."""
    if not (isinstance(expr, sympy.Piecewise) and len(expr.args) == 2):
        return None
    (zero, cond), (value, other) = expr.args
    if zero != 0 or other is not sympy.true or not isinstance(cond, sympy.Eq) or cond.rhs != 0:
        return None
    factors = [f for f in sympy.Mul.make_args(cond.lhs) if not f.is_Number]
    return value if value.is_Mul and factors and all(f in value.args for f in factors) else None


def _clean(expr):
    if not expr.has(sympy.Derivative, sympy.DiracDelta):
        return expr
    expr = expr.replace(lambda e: isinstance(e, sympy.DiracDelta), lambda e: sympy.S.Zero)
    expr = expr.replace(lambda e: isinstance(e, sympy.Derivative), _almost_everywhere)
    # the chain rule leaves Subs(...) around replaced derivatives: evaluate them
    return expr.replace(lambda e: isinstance(e, sympy.Subs), lambda e: e.doit())


def _almost_everywhere(d):
    inner = d.expr
    if isinstance(inner, _PIECEWISE_CONSTANT) or getattr(inner, "is_integer", False):
        return sympy.S.Zero
    if isinstance(inner, sympy.Mod):
        return derivative(inner, *(s for s, n in d.variable_count for _ in range(n)))
    return d


def diff_name(base, counts):
    """``df_dx`` for counts {x: 1}; ``d2f_dxdy``; ``d2f_dx2``."""
    order = sum(counts.values())
    parts = "".join(f"d{v}" + (str(n) if n > 1 else "") for v, n in counts.items())
    return f"d{order if order > 1 else ''}{base}_{parts}"


def diff_latex(base_latex, counts):
    order = sum(counts.values())
    sup = f"^{{{order}}}" if order > 1 else ""
    den = " ".join(rf"\partial {sympy.latex(sympy.Symbol(v))}" + (f"^{{{n}}}" if n > 1 else "")
                   for v, n in counts.items())
    return rf"\frac{{\partial{sup} {base_latex}}}{{{den}}}"
