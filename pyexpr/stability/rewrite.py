"""Applying the rules to a formula's expressions: ``stabilize``.

The walk goes bottom up over the expression DAG (each shared subexpression
once), rebuilds a node whose children changed, and tries the rules indexed
under the node's class; the first whose pattern matches (and whose ``where``
holds) replaces the node, and the replacement is walked again, so rewrites
compose (``log(1 + exp(a))`` meets ``log1p`` after its children did).
"""
from dataclasses import dataclass

import sympy

from ..deep import piecewise_nesting
from ..dag import map_dag, rebuild
from ..functions import as_written_pair
from .facts import assume, branch_facts
from .match import matches
from .rules import rules_for

#: rewrites of one node before the walk gives up (a rule set that cycles is a bug)
_MAX_STEPS = 32
#: Piecewise nested in each other's branches deeper than this are walked without the
#: facts of their conditions: a walk of its own per branch is 2**n walks for n levels
MAX_FACT_NESTING = 8


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
    exprs = tuple(exprs)
    walk = _Walk(plain=piecewise_nesting(exprs) > MAX_FACT_NESTING)
    outputs = tuple(walk(e) for e in exprs)
    return outputs, tuple(walk.fired)


class _Walk:
    """One pass over a formula's DAG: the nodes done (shared by every output and every
    replacement) and the rewrites that fired.  A Piecewise's branches are walked each
    by a walk of their own that knows the branch's condition (``facts``) -- but not in a
    ``plain`` walk, of Piecewises nested more than MAX_FACT_NESTING deep."""

    def __init__(self, facts=(), fired=None, kept=None, plain=False):
        self.done, self.facts = _Done(set() if kept is None else kept), facts
        self.fired = {} if fired is None else fired
        self.plain = plain

    def __call__(self, expr):
        return map_dag(expr, self.done, self._node, self._branches)

    def _branches(self, expr):
        """A Piecewise's arguments rewritten, each branch under its facts."""
        if not isinstance(expr, sympy.Piecewise) or self.plain:
            return None
        return tuple(as_written_pair(
            _Walk(self.facts + branch_facts(expr, i), self.fired, self.done.kept)(e), self(c))
            for i, (e, c) in enumerate(expr.args))

    def _node(self, expr, args):
        expr = first = rebuild(expr, args) if args != expr.args else expr
        if expr in self.done.kept:      # rebuilt into a node kept as written: it stays so
            return expr
        for _ in range(_MAX_STEPS):
            step, kept = _first_rewrite(expr, self.facts)
            if step is None:
                if first in self.done:
                    self.done[first] = expr
                return expr
            self.fired.setdefault(step, None)
            # a replacement that keeps the node as one branch of a Piecewise (the
            # written form, where the identity does not hold) keeps it as it is, and
            # so do the parts the rule says are final
            for part in (expr, *kept):
                self.done.keep(part)
            expr = self(step.after)     # the replacement's new parts may match rules themselves
        raise RuntimeError(f"the stability rules do not terminate on {expr}")


class _Done(dict):
    """The walk's memo: each node's result, where a node kept as it is stays so in
    this walk and in those of the branches (the walk would otherwise store the node's
    own rewrite over it, and a replacement that holds the written form would be
    rewritten again, without end)."""

    def __init__(self, kept):
        super().__init__()
        self.kept = kept

    def keep(self, part):
        self.kept.add(part)

    def get(self, key, default=None):
        return key if key in self.kept else super().get(key, default)


def _first_rewrite(expr, facts):
    for rule in rules_for(expr):
        for binding in matches(rule.pattern, expr):
            if rule.where is None or rule.where(binding):
                after, kept = rule.apply(binding)
                after = after if after is None else assume(after, facts)
                if after is not None and after != expr:
                    return Rewrite(rule.name, expr, after, rule.why), kept
    return None, ()

