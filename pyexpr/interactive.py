"""Interactive sessions: IPython's ``%autoreload`` keeps formulas current.

When a module is reloaded, its decorated functions are decorated again from
the file's new text (``ast_rewrite.source`` reads it anew and checks it
against the code Python runs), so ``module.f`` is the new formula.  Objects
bound before the reload (``from module import f``, ``g = module.f``) are
another matter: ``%autoreload`` updates old functions and classes in place
by the rules of its ``UPDATE_RULES`` table, which knows nothing of formulas.
``follow_autoreload()`` adds one rule there, once, whenever IPython's
extension is loaded: an old Formula takes the new one's definition.
"""
import sys

_RULES_OWNER = "IPython.extensions.autoreload"


def follow_autoreload():
    """Add the Formula rule to IPython's autoreload table, if the extension is loaded."""
    extension = sys.modules.get(_RULES_OWNER)
    rules = getattr(extension, "UPDATE_RULES", None)
    if not isinstance(rules, list) or any(rule[1] is _update for rule in rules):
        return
    rules.insert(0, (_both_formulas, _update))


def _both_formulas(old, new):
    from .formula import Formula
    return isinstance(old, Formula) and isinstance(new, Formula)


def _update(old, new):
    old._become(new)
