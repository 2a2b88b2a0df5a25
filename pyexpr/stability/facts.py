"""Signs known inside a branch: ``y > 0`` where a ``Piecewise`` took the branch
``(e, y > 0)``, ``y <= 0`` in the branches after it.

A rule whose identity holds only under a condition returns a ``Piecewise`` that
keeps the written form elsewhere (``cancel._keeping``); inside a branch whose
condition decides that condition, ``assume`` collapses it to the one form that
applies, and a replacement that is then the written form again does not fire.
Facts and conditions are compared as ``e op 0`` with ``e`` up to a positive
factor and its sign, which is what branches of written code state (``if b < 0``,
``if x > 1``); anything else is left undecided.
"""
import sympy

_SIGNS = {sympy.StrictGreaterThan: (1,), sympy.GreaterThan: (1, 0), sympy.StrictLessThan: (-1,),
          sympy.LessThan: (-1, 0), sympy.Equality: (0,), sympy.Unequality: (1, -1)}


def branch_facts(piecewise, index):
    """What holds in branch ``index``: its condition, and no earlier one."""
    facts = [sympy.Not(c) for _, c in piecewise.args[:index]]
    facts.append(piecewise.args[index][1])
    return _atoms(facts)


def _atoms(conditions):
    """The relationals among ``conditions`` that hold for sure (``And`` split)."""
    atoms = []
    for c in conditions:
        if isinstance(c, sympy.And):
            atoms.extend(_atoms(c.args))
        elif isinstance(c, sympy.core.relational.Relational) and type(c) in _SIGNS:
            atoms.append(c)
    return tuple(atoms)


def _signs(rel):
    """``(e, signs)``: ``rel`` says sign(e) is in ``signs``; ``e`` normalized so that
    ``e`` and ``-e`` (and ``2*e``) give the same key."""
    e = rel.lhs - rel.rhs
    coeff, rest = e.as_coeff_Mul()
    signs = set(_SIGNS[type(rel)])
    if coeff.is_negative:
        signs = {-s for s in signs}
    if rest.could_extract_minus_sign():
        rest, signs = -rest, {-s for s in signs}
    return rest, frozenset(signs)


def decide(condition, facts):
    """``True`` or ``False`` where ``facts`` decide ``condition``, else ``None``."""
    if not facts or type(condition) not in _SIGNS:
        return None
    key, wanted = _signs(condition)
    for fact in facts:
        fkey, known = _signs(fact)
        if fkey == key:
            if known <= wanted:
                return True
            if not known & wanted:
                return False
    return None


def assume(expr, facts):
    """``expr`` with every Piecewise condition that ``facts`` decide replaced by its
    truth value (sympy then drops the branches that cannot be taken)."""
    if not facts or not expr.has(sympy.Piecewise):
        return expr
    decided = {}
    for rel in expr.atoms(sympy.core.relational.Relational):
        truth = decide(rel, facts)
        if truth is not None:
            decided[rel] = sympy.true if truth else sympy.false
    return expr.xreplace(decided) if decided else expr
