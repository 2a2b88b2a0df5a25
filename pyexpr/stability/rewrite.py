"""Applying the rules to a formula's expressions: ``stabilize``.

The walk goes bottom up over the expression DAG (each shared subexpression
once), rebuilds a node whose children changed, and tries the rules indexed
under the node's class; the first whose pattern matches (and whose ``where``
holds) replaces the node, and the replacement is walked again, so rewrites
compose (``log(1 + exp(a))`` meets ``log1p`` after its children did).
"""
from dataclasses import dataclass

import sympy

from ..functions import map_dag, rebuild
from .match import matches
from .rules import rules_for

#: rewrites of one node before the walk gives up (a rule set that cycles is a bug)
_MAX_STEPS = 32


@dataclass(frozen=True)
class Rewrite:
    """One rewrite that fired: the rule's name, the part before and after, and why."""
    name: str
    before: sympy.Expr
    after: sympy.Expr
    why: str

    def __str__(self):
        return f"{self.name}: {self.before}  ->  {self.after}   ({self.why})"


def stabilize(exprs):
    """``(outputs, rewrites)``: ``exprs`` with every rule applied, and the rewrites that
    fired, each once, in the order they fired."""
    walk = _Walk()
    outputs = tuple(walk(e) for e in exprs)
    return outputs, tuple(walk.fired)


class _Walk:
    """One pass over a formula's DAG: the nodes done (shared by every output and every
    replacement) and the rewrites that fired."""

    def __init__(self):
        self.done, self.fired = {}, {}

    def __call__(self, expr):
        return map_dag(expr, self.done, self._node)

    def _node(self, expr, args):
        expr = rebuild(expr, args) if args != expr.args else expr
        for _ in range(_MAX_STEPS):
            step = _first_rewrite(expr)
            if step is None:
                return expr
            self.fired.setdefault(step, None)
            expr = self(step.after)     # the replacement's new parts may match rules themselves
        raise RuntimeError(f"the stability rules do not terminate on {expr}")


def _first_rewrite(expr):
    for rule in rules_for(expr):
        for binding in matches(rule.pattern, expr):
            if rule.where is None or rule.where(binding):
                after = rule.replacement.xreplace(binding)
                if after != expr:
                    return Rewrite(rule.name, expr, after, rule.why)
    return None

