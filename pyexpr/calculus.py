"""Exact derivatives, cleaned for code generation.

``derivative(expr, *wrt)`` differentiates with sympy's rules (each function's
``fdiff``, the product, power and chain rules) and replaces what has no value
as a function with its almost-everywhere value: the derivatives of ``floor``,
``ceiling``, ``sign`` and ``Heaviside`` are 0,
``DiracDelta`` never appears, and the derivative of ``Mod(p, q)`` is that of
``p - q*floor(p/q)`` with the floor held constant.  ``diff_name`` names the
result as ``df_dx``, ``d2f_dxdy``, ``d2f_dx2``.

The walk is memoized on subexpressions: formulas from unrolled loops share
subexpressions heavily (a tree exponentially larger than its graph), and
``sympy.diff`` would revisit every shared node once per path to it.
"""
import sympy
from sympy.core.function import ArgumentIndexError
from sympy.functions.elementary.miscellaneous import MinMaxBase

from .functions import real_fdiff

_PIECEWISE_CONSTANT = (sympy.floor, sympy.ceiling, sympy.sign, sympy.Heaviside)


def derivative(expr, *wrt):
    result = expr
    for sym in wrt:
        result = _Differentiator(sym).d(result)
    return result


class _Differentiator:
    """d(expr)/d(sym), memoized per subexpression."""

    def __init__(self, sym):
        self.sym = sym
        self.done = {}
        self.depends_memo = {}

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
            result = self.done[expr] = self._rule(expr) if self.depends(expr) else sympy.S.Zero
        return result

    def _rule(self, e):
        if e == self.sym:
            return sympy.S.One
        if e.is_Add:
            return sympy.Add(*(self.d(a) for a in e.args))
        if e.is_Mul:
            args = list(e.args)
            return sympy.Add(*(sympy.Mul(*args[:i], da, *args[i + 1:])
                               for i, da in enumerate(map(self.d, args)) if da != 0))
        if e.is_Pow:
            base, exp = e.args
            return e * (self.d(exp) * sympy.log(base) + self.d(base) * exp / base)
        if isinstance(e, sympy.Piecewise):
            return sympy.Piecewise(*((self.d(x), c) for x, c in e.args))
        if isinstance(e, sympy.Mod):
            p, q = e.args
            return self.d(p) - sympy.floor(p / q) * self.d(q)
        if isinstance(e, _PIECEWISE_CONSTANT):
            return sympy.S.Zero
        if isinstance(e, (sympy.Function, MinMaxBase)):      # Min and Max are no Functions
            return self._chain(e)
        return _clean(sympy.diff(e, self.sym))

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
            terms.append(df * da)
        return sympy.Add(*terms)


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
