"""Exact derivatives, cleaned for code generation.

``derivative(expr, *wrt)`` differentiates with sympy and replaces what has no
value as a function with its almost-everywhere value: ``DiracDelta`` and the
derivatives of ``floor``, ``ceiling``, ``sign`` and ``Heaviside`` become 0,
and the derivative of ``Mod(p, q)`` is that of ``p - q*floor(p/q)`` with the
floor held constant.  ``diff_name`` names the result as ``df_dx``,
``d2f_dxdy``, ``d2f_dx2``.
"""
import sympy

_PIECEWISE_CONSTANT = (sympy.floor, sympy.ceiling, sympy.sign, sympy.Heaviside)


def derivative(expr, *wrt):
    result = expr
    for sym in wrt:
        result = _clean(sympy.diff(result, sym))
    return result


def _clean(expr):
    if not expr.has(sympy.Derivative, sympy.DiracDelta):
        return expr
    expr = expr.replace(lambda e: isinstance(e, sympy.DiracDelta), lambda e: sympy.S.Zero)
    expr = expr.replace(lambda e: isinstance(e, sympy.Derivative), _almost_everywhere)
    # the chain rule leaves Subs(...) around replaced derivatives: evaluate them
    return expr.replace(lambda e: isinstance(e, sympy.Subs), lambda e: e.doit())


def _almost_everywhere(d):
    inner, variables = d.expr, d.variable_count
    if isinstance(inner, _PIECEWISE_CONSTANT) or getattr(inner, "is_integer", False):
        return sympy.S.Zero
    if isinstance(inner, sympy.Mod):
        p, q = inner.args
        result = p - q * sympy.floor(p / q)
        for sym, count in variables:
            for _ in range(count):
                result = _clean(_mod_diff(result, sym, p / q))
        return result
    return d


def _mod_diff(expr, sym, ratio):
    # the floor is piecewise constant: differentiate with it frozen
    frozen = sympy.Dummy("k")
    return sympy.diff(expr.subs(sympy.floor(ratio), frozen), sym).subs(frozen, sympy.floor(ratio))


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
