"""The stability rewrites, as data: name, pattern, replacement, why.

Each ``Rule`` reads as the sympy text it is written in.  Patterns use the
variables of ``match`` (``a``, ``b``, ``c``, ``rest``) and meet expressions
whose parts are already rewritten (``rewrite`` works bottom up), so a pattern
is written against the stable children: ``exp(x)/(exp(x) + 1)``, the
derivative of ``log(1 + exp(x))``, meets ``exp(x)*sigmoid(-x)``, and
``log(x) - log(1 - x)`` meets ``log(x) - log1p(-x)``.  Every rule is an identity on the reals where both
sides are defined; ``where`` is a condition on the binding where it is only
one under that condition.  Order matters: the first rule that matches a
node fires, and its result is rewritten again.
"""
from dataclasses import dataclass
from typing import Callable, Optional

import sympy

from .. import functions as pf
from . import cancel, functions as stable, reductions
from .match import VARIABLES


@dataclass(frozen=True)
class Rule:
    """``pattern`` (an expression in the match variables, or a class: every node of
    it) becomes ``replacement``: an expression in the same variables, or a function of
    the binding that computes it (``None``: the rule does not apply), which
    ``shown`` describes for the docs."""
    name: str
    pattern: object
    replacement: object
    why: str
    where: Optional[Callable] = None
    shown: str = ""

    def apply(self, binding):
        """``(replacement, parts to leave as they are)``; ``(None, ())`` if it does not apply."""
        if isinstance(self.replacement, sympy.Basic):
            return self.replacement.xreplace(binding), ()
        after = self.replacement(binding)
        return tuple(after) if isinstance(after, cancel.Kept) else (after, ())


_NAMES = {**VARIABLES, "exp": stable.exp, "log": sympy.log, "sqrt": sympy.sqrt, "erf": sympy.erf,
          "cos": sympy.cos, "sin": sympy.sin,
          "tan": sympy.tan, "atan": sympy.atan, "sinh": pf.sinh, "cosh": pf.cosh, "pi": sympy.pi, "acos": stable.acos, "erfc": stable.erfc, "log1p": pf.log1p,
          "expm1": stable.expm1, "hypot": pf.hypot, "softplus": stable.softplus,
          "sigmoid": stable.sigmoid, "logit": stable.logit, "log1mexp": stable.log1mexp,
          "logaddexp": stable.logaddexp, "erfcx": stable.erfcx,
          "log_erfc": stable.log_erfc}


def _rule(name, pattern, replacement, why, where=None):
    read = lambda text: sympy.sympify(text, locals=_NAMES)  # noqa: E731 -- pyexpr's own text
    return Rule(name, read(pattern), read(replacement), why, where)


def _computed(name, pattern, build, why, shown):
    read = sympy.sympify(pattern, locals=_NAMES) if isinstance(pattern, str) else pattern
    return Rule(name, read, build, why, shown=shown)


def _positive(binding):
    return binding[VARIABLES["rest"]].is_positive is True


def _positive_c(binding):
    return binding[VARIABLES["c"]].is_positive is True


def _nonnegative(binding):
    return binding[VARIABLES["rest"]].is_nonnegative is True


_OVERFLOW = "exp(a) overflows for a > 709 although the result is about a"
_ONE_PLUS = "1 + a rounds a away where |a| is below the precision"
_NEARBY = "the two values are nearly equal where a is near b: their difference cancels"

RULES = (
    # log of one plus something
    _rule("softplus", "log(1 + exp(a))", "softplus(a)", _OVERFLOW),
    _rule("softplus", "log1p(exp(a))", "softplus(a)", _OVERFLOW),
    _rule("log1mexp", "log(-expm1(a))", "log1mexp(a)",
          "-expm1(a) is accurate, but log1p(-exp(a)) is better below -log(2)"),
    _rule("log1mexp", "log1p(-exp(a))", "log1mexp(a)",
          "1 - exp(a) cancels for a near 0"),
    _rule("logaddexp", "log(exp(a) + exp(b))", "logaddexp(a, b)",
          "exp overflows (or underflows to 0) where the log of the sum is moderate"),
    _rule("logsumexp", "log(exp(a) + exp(b) + rest)", "logaddexp(a, b, log(rest))",
          "exp overflows (or underflows to 0) where the log of the sum is moderate", _positive),
    _rule("log1p", "log(1 + a)", "log1p(a)", _ONE_PLUS),
    _computed("logsumexp of a Sum", sympy.log, reductions.logsumexp,
              "exp overflows past 709 where the log of the sum is moderate: the largest term taken out",
              "`m + log(c*Sum(g*exp(f - m), i))` of `log(c*Sum(g*exp(f), i))` (a mean, weights g: a term of weight 0 left out), m the largest f of a nonzero g (0 if not finite)"),
    _computed("softmax of a Sum", sympy.Mul, reductions.softmax,
              "exp overflows past 709: the quotient is inf/inf where its value is at most 1",
              "`exp(g - m)/Sum(exp(f - m), i)` of `exp(g)/Sum(exp(f), i)`, m as in logsumexp"),
    # textbook cancellations: the subtraction moved into the arguments, where it is
    # done in symbols (cancel.py)
    _computed("difference of square roots", "c*sqrt(a) - c*sqrt(b) + rest",
              cancel.sqrt_difference, _NEARBY, "c*(a - b)/(sqrt(a) + sqrt(b)) + rest"),
    _computed("difference of square roots", "c/sqrt(a) - c/sqrt(b) + rest",
              cancel.inverse_sqrt_difference, _NEARBY,
              "c*(b - a)/(sqrt(a)*sqrt(b)*(sqrt(a) + sqrt(b))) + rest"),
    _computed("conjugate", "c*sqrt(a) + b", cancel.conjugate,
              "sqrt(a) is near -b where a is near b**2: the sum cancels where b < 0",
              "c*(a - b**2)/(sqrt(a) - b) where b < 0"),
    _computed("conjugate", "c*hypot(a, b) + rest", cancel.hypot_conjugate,
              "hypot(a, b) is near -rest where a**2 + b**2 is near rest**2: the sum cancels where rest < 0",
              "c*(a**2 + b**2 - rest**2)/(hypot(a, b) - rest) where rest < 0, for rest a multiple of a or b that leaves a number above the line"),
    _computed("fractions", sympy.Add, cancel.fractions,
              "nearby fractions cancel; over a common denominator the numerators cancel "
              "in symbols", "one fraction, its numerator cancelled and factored"),
    _computed("into the branches", sympy.Mul, cancel.into_branches,
              "a factor outside a Piecewise cannot cancel with its branches, nor its "
              "derivative's quotient-rule terms with each other",
              "Piecewise((rest*e, c), ...) where a branch cancels with rest"),
    _computed("log of a ratio", "c*log(a) - c*log(b) + rest", cancel.log_difference, _NEARBY,
              "c*log1p((a - b)/b) + rest where b > 0 and |a - b| < b/2"),
    _computed("log of a ratio", "c*log1p(a) - c*log(b) + rest", cancel.log1p_difference,
              _NEARBY, "c*log1p((1 + a - b)/b) + rest where b > 0 and |1 + a - b| < b/2"),
    _computed("log of a ratio", "log(a/b)", cancel.log_quotient, "a/b is near 1 where a is near b",
              "log1p((a - b)/b) where |a - b| < |b|/2"),
    _computed("sum to product", "c*sin(a) - c*sin(b) + rest", cancel.sin_difference, _NEARBY,
              "2*c*cos((a + b)/2)*sin((a - b)/2) + rest"),
    _computed("sum to product", "c*cos(a) - c*cos(b) + rest", cancel.cos_difference, _NEARBY,
              "-2*c*sin((a + b)/2)*sin((a - b)/2) + rest"),
    _computed("sum to product", "c*tan(a) - c*tan(b) + rest", cancel.tan_difference, _NEARBY,
              "c*sin(a - b)/(cos(a)*cos(b)) + rest"),
    _computed("difference of arctangents", "c*atan(a) - c*atan(b) + rest",
              cancel.atan_difference, _NEARBY, "c*atan((a - b)/(1 + a*b)) + rest where a*b > -1"),
    _rule("cosh - 1", "c*exp(a) + c*exp(-a) - 2*c + rest", "4*c*sinh(a/2)**2 + rest",
          "exp(a) + exp(-a) is near 2 for a near 0: all digits of the difference cancel"),
    _rule("cosh - 1", "c*cosh(a) - c + rest", "2*c*sinh(a/2)**2 + rest",
          "cosh(a) is near 1 for a near 0: all digits of cosh(a) - 1 cancel"),
    # exp minus one
    _rule("expm1", "c*exp(a) - c + rest", "c*expm1(a) + rest",
          "exp(a) - 1 cancels for a near 0"),
    # the sigmoid family
    _rule("sigmoid", "rest/(1 + exp(-a))", "rest*sigmoid(a)",
          "1 + exp(-a) overflows for a < -709; the result underflows gradually"),
    _rule("sigmoid", "rest*exp(a)*sigmoid(-a)", "rest*sigmoid(a)",
          "exp(a) overflows for a > 709 where sigmoid(-a) is 0: inf*0"),
    _rule("sigmoid complement", "c - c*sigmoid(a) + rest", "c*sigmoid(-a) + rest",
          "1 - sigmoid(a) cancels for a > 0"),
    _rule("log sigmoid", "log(sigmoid(a))", "-softplus(-a)",
          "sigmoid(a) underflows to 0 for a < -745: log gives -inf, not a"),
    _rule("logit", "log(a/(1 - a))", "logit(a)", "the ratio is near 1 for a near 1/2"),
    _rule("logit", "log(a) - log1p(-a) + rest", "logit(a) + rest",
          "the two logs cancel for a near 1/2"),
    # the erf family: erfc(a) is tiny where erf(a) is near 1
    _rule("erfc", "c - c*erf(a) + rest", "c*erfc(a) + rest", "1 - erf(a) cancels for a > 1"),
    _rule("erfc", "c + c*erf(a) + rest", "c*erfc(-a) + rest", "1 + erf(a) cancels for a < -1"),
    _rule("erfc", "c*erf(a) - c + rest", "rest - c*erfc(a)", "erf(a) - 1 cancels for a > 1"),
    _rule("erf", "c - c*erfc(a) + rest", "c*erf(a) + rest", "1 - erfc(a) cancels for |a| small"),
    _rule("erfc", "2*c - c*erfc(a) + rest", "c*erfc(-a) + rest",
          "2 - erfc(a) cancels for a < -1"),
    _rule("erf", "c*erfc(a) - c + rest", "rest - c*erf(a)", "erfc(a) - 1 cancels for |a| small"),
    _rule("log_erfc", "log(erfc(a))", "log_erfc(a)",
          "erfc(a) underflows to 0 for a > 26.5 where its log is about -a**2; near a = 0 "
          "erfc(a) is near 1 and its log loses digits"),
    _rule("log_erfc", "log(c*erfc(a))", "log(c) + log_erfc(a)",
          "erfc(a) underflows to 0 for a > 26.5 where its log is about -a**2", _positive_c),
    _rule("erfcx", "rest*exp(a**2)*erfc(a)", "rest*erfcx(a)",
          "exp(a**2) overflows for a > 26.6 where erfc(a) underflows: inf*0"),
    # textbook cancellations
    _rule("1 - cos", "c - c*cos(a) + rest", "2*c*sin(a/2)**2 + rest",
          "cos(a) is near 1 for a near 0: all digits of 1 - cos(a) cancel"),
    _rule("difference of squares", "1 - a**2 + rest", "(1 - a)*(1 + a) + rest",
          "a**2 is rounded: 1 - a**2 loses digits for |a| near 1, (1 - a) and (1 + a) are exact"),
    _rule("acos", "c*pi - c*acos(a) + rest", "c*acos(-a) + rest",
          "acos(a) is near pi for a near -1: pi - acos(a) cancels"),
    # sums of squares
    _rule("hypot", "sqrt(a**2 + b**2)", "hypot(a, b)",
          "a**2 overflows for |a| > 1.3e154 (and underflows below 1.5e-154)"),
    _rule("hypot", "1/sqrt(a**2 + b**2)", "1/hypot(a, b)",
          "a**2 overflows for |a| > 1.3e154 (and underflows below 1.5e-154)"),
    _rule("hypot", "sqrt(a**2 + b**2 + rest)", "hypot(hypot(a, b), sqrt(rest))",
          "a**2 overflows for |a| > 1.3e154 (and underflows below 1.5e-154)", _nonnegative),
    # one square and a positive rest: sin(atan(x)) simplifies to x/sqrt(x**2 + 1)
    _rule("hypot", "sqrt(a**2 + rest)", "hypot(a, sqrt(rest))",
          "a**2 overflows for |a| > 1.3e154 where the root is about |a|", _positive),
    _rule("hypot", "1/sqrt(a**2 + rest)", "1/hypot(a, sqrt(rest))",
          "a**2 overflows for |a| > 1.3e154 where the root is about |a|", _positive),
)


def rules_for(expr):
    """The rules whose pattern can meet ``expr``'s node, in order: those indexed under
    its class whose functions all appear in its top two levels."""
    rules = _BY_HEAD.get(_node_class(expr), ())
    if not rules:
        return ()
    present = _functions_near(expr)
    return tuple(rule for rule, needed in rules if needed <= present)


def _node_class(expr):
    """Classes as the index keys them: pyexpr's erfc, acos, exp, expm1, sin, tanh as sympy's, ``Pow``
    as ``Mul`` when it is a division (``rest/d`` patterns meet ``1/d`` with ``rest = 1``)."""
    if isinstance(expr, sympy.Pow):
        return sympy.Mul if expr.exp.is_negative else sympy.Pow
    for cls in (sympy.erfc, sympy.acos, sympy.exp, pf.expm1, sympy.sin, sympy.tanh, sympy.Add, sympy.Mul):
        if isinstance(expr, cls):
            return cls
    return type(expr)


def _functions_near(expr):
    """The function classes among ``expr``'s arguments and theirs (a cheap filter:
    every pattern's functions sit that near its top)."""
    near = set()
    for arg in expr.args:
        for node in (arg, *arg.args):
            if isinstance(node, sympy.Function):
                near.add(_node_class(node))
    return frozenset(near)


def _index():
    table = {}
    for rule in RULES:
        whole = isinstance(rule.pattern, type)
        needed = frozenset() if whole else _functions_near(rule.pattern)
        head = rule.pattern if whole else _node_class(rule.pattern)
        table.setdefault(head, []).append((rule, needed))
    return {cls: tuple(rules) for cls, rules in table.items()}


_BY_HEAD = _index()


def markdown_table():
    """The rules as docs/accuracy.md lists them (a test keeps that list current)."""
    shown = {v: sympy.Symbol(k) for k, v in VARIABLES.items()}
    conditions = {_positive: " (when rest > 0)", _positive_c: " (when c > 0)",
                  _nonnegative: " (when rest >= 0)", None: ""}
    lines = ["| rule | pattern | replacement | why |", "| --- | --- | --- | --- |"]
    for rule in RULES:
        pattern = f"any {rule.pattern.__name__}" if isinstance(rule.pattern, type) else \
            f"`{rule.pattern.xreplace(shown)}`"
        replacement = rule.shown or f"`{rule.replacement.xreplace(shown)}`"
        why = rule.why.replace("|", "\\|")
        lines.append(f"| {rule.name} | {pattern} | {replacement.replace('|', chr(92) + '|')}"
                     f"{conditions[rule.where]} | {why} |")
    return "\n".join(lines) + "\n"
