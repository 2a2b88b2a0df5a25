"""``Sum`` and ``Product`` that keep a term's value cases where the code wrote them.

sympy brings every ``Piecewise`` of a sum's index out to the top of its terms
(``piecewise_fold``): ``Sum(x[i]*Piecewise((1, x[i] > 1), (0, True)), i)``, numpy's
``np.sum((x > 1)*x)``, becomes ``Sum(Piecewise((x[i], x[i] > 1), (0, True)), i)``, and
the ``0*x[i]`` of an element the condition leaves out is 0 where numpy's is nan for a nan
or infinite element.  Cases of the index itself (``i > 0``, ``Eq(i, n - 1)``) are still
brought out: the loops split their ranges there, and the derivatives of sums produce
them.  Every other Piecewise stays inside the term, whoever rebuilds the sum.
"""
import sympy
from sympy.concrete.expr_with_limits import ExprWithLimits

from . import dag


class KeptCases(ExprWithLimits):
    """Mixin for sympy's reductions: ``Piecewise`` of values are not folded out."""
    __slots__ = ()

    def __new__(cls, function, *symbols, **assumptions):
        function = sympy.sympify(function)
        kept = _value_cases(function, symbols)
        masks = {case: sympy.Dummy() for case in kept}
        masked = dag.substitute(function, masks) if masks else function
        if isinstance(masked, sympy.Piecewise) and not dag.atoms(masked.args, sympy.Piecewise):
            # its fold is itself: not rebuilt (under simplify=False sympy rebuilt its
            # conditions unevaluated, Eq(Mod(i, 2), 0) as one dividing by zero)
            masks, masked = {function: sympy.Dummy()}, None
        if not masks:
            return super().__new__(cls, function, *symbols, **assumptions)
        masked = masked if masked is not None else masks[function]
        made = super().__new__(cls, masked, *symbols, **assumptions)
        back = {m: case for case, m in masks.items()}
        if not isinstance(made, KeptCases):
            return dag.substitute(made, back)
        made._args = (dag.substitute(made.function, back),) + made.args[1:]    # not rebuilt: it
        return made                                                             # would fold again


class _Unit:
    """A range known empty (``(i, 0, -1)``, a boundary case's ``Product(f, (i, 0, j - 1))``
    at ``j = 0``) is the reduction's unit, one known to hold one index its term there:
    printed cases read as their values."""
    unit = None

    def __new__(cls, function, *symbols, **assumptions):
        count = _count(symbols[0]) if len(symbols) == 1 else None
        if count == 0:
            return cls.unit
        if count == 1:
            return dag.substitute(sympy.sympify(function), {symbols[0][0]: symbols[0][1]})
        return super().__new__(cls, function, *symbols, **assumptions)


class Sum(_Unit, KeptCases, sympy.Sum):
    __slots__ = ()
    unit = sympy.S.Zero


class Product(_Unit, KeptCases, sympy.Product):
    __slots__ = ()
    unit = sympy.S.One


def _count(limits):
    """The number of terms of ``(i, lo, hi)`` where that is a whole number, else None."""
    if not (isinstance(limits, (tuple, sympy.Tuple)) and len(limits) == 3):
        return None
    with sympy.evaluate(True):          # (simplify=False builds bounds as written)
        count = sympy.expand(sympy.sympify(limits[2]) - limits[1] + 1)
    return int(count) if count.is_Integer else None


def _value_cases(function, symbols):
    """The outermost Piecewise of ``function`` whose conditions are on values only: none
    of their comparisons reads an index of ``symbols`` outside an element."""
    pieces = dag.atoms([function], sympy.Piecewise)         # (each shared step once: not has)
    if not pieces:
        return []
    indices = {s[0] if isinstance(s, (tuple, sympy.Tuple)) else s for s in symbols}
    cases = [p for p in pieces if not _of_index(p, indices)]
    inner = set()
    for p in cases:
        inner.update(q for q in dag.atoms(p.args, sympy.Piecewise))
    return [p for p in cases if p not in inner]


def _of_index(piecewise, indices):
    return any(_outside_elements(r) & indices
               for r in dag.atoms([piecewise], sympy.core.relational.Relational))


def _outside_elements(expr):
    """The symbols of ``expr`` not inside an element ``x[...]``."""
    found, stack = set(), [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, sympy.Symbol):
            found.add(e)
        elif not isinstance(e, sympy.Indexed):
            stack.extend(e.args)
    return found
