"""Walks over a formula's DAG, each shared subexpression once, without recursion.

sympy's own traversals visit a subexpression once per use (exponential for an
unrolled loop) and recurse once per level (formulas nest thousands deep).
``map_dag`` rebuilds bottom up through an explicit stack; ``rebuild`` makes a
node anew keeping pyexpr's facts (``functions``: the min/max lattice, real
``abs``, real symbols, Piecewises as written); ``substitute`` is ``xreplace``
that way; ``evaluated`` rebuilds an expression written with
``evaluate=False`` (``simplify=False``) under sympy's automatic evaluation,
which ``sympy.cse`` needs (it miscompiles unevaluated products with repeated
factors: ``2*x`` became ``x**2`` next to an unevaluated ``x*x``);
``without_zoo`` and ``without_ite`` write sympy's ``zoo`` and ``ITE`` as what
the code generators compute; ``free_symbols``, ``postorder``,
``subexpressions`` and ``sizes`` read a DAG.
"""
import sympy

from .functions import LATTICE, Not, abs_, as_written_pair, assume_real, settled_piecewise


def substitute(expr, mapping):
    """``expr.xreplace(mapping)``, visiting each shared subexpression once."""
    return _walk(expr, dict(mapping), force=False)


def without_zoo(expr):
    """``expr`` with sympy's unsigned infinity as nan: ``zoo`` is 1/0 of an exact 0 (a
    branch of a divisor that is 0), whose sign sympy has lost where numpy's a/0 has a's
    (``-1/0`` is ``zoo``, numpy's -inf); nan is what the compiled code gives it.
    Relations sympy cannot keep in one canonical form become their difference against 0
    (``steady``); exact numbers beyond the floats' range (``gamma(floor(1e5))``, an
    integer of 456,570 digits that no printer converts) are the infinity they compute as.
    """
    return in_range(_walk(expr, {sympy.zoo: sympy.nan}, force=False, after=steady, leaf=in_range))


#: the largest finite double, as an integer
_LARGEST = int(1.7976931348623157e308)


def in_range(e):
    """``e``; an exact number larger in size than the largest double, as +-oo."""
    if e.is_Rational and abs(e.p) > _LARGEST * e.q:
        return sympy.oo if e.p > 0 else -sympy.oo
    return e


def steady(e):
    """``e``; a relation whose canonical form is not sympy's canonical form again (``a < b``
    with an infinity among terms of both sides flips sides at each ``canonical``: a
    Piecewise holding it rebuilt itself until the recursion limit), as ``a - b < 0``.  The
    same truth for every pair of floats but two equal infinities under ``<=``/``>=``/``==``."""
    if not isinstance(e, sympy.core.relational.Relational):
        return e
    canonical = e.canonical
    if canonical.canonical == canonical:
        return e
    return e.func(e.lhs - e.rhs, 0)


def free_symbols(exprs):
    """The Symbols ``exprs`` use, each shared subexpression visited once (sympy's
    ``free_symbols`` visits it once per use: exponential for unrolled loops)."""
    seen, found, stack = set(), set(), list(exprs)
    while stack:
        e = stack.pop()
        if e in seen:
            continue
        seen.add(e)
        if e.is_Symbol:
            found.add(e)
        elif isinstance(e, _PLAIN) and not getattr(e, "bound_symbols", None):
            stack.extend(e.args)
        else:           # MatrixSymbol, Limit, Integral, ...: their own rules (bound variables)
            found |= e.free_symbols
    return found


#: Nodes whose symbols are exactly those of their arguments.
_PLAIN = (sympy.Atom, sympy.Add, sympy.Mul, sympy.Pow, sympy.core.function.Application,
          sympy.functions.elementary.piecewise.ExprCondPair, sympy.core.relational.Relational,
          sympy.logic.boolalg.Boolean, sympy.Tuple, sympy.MatrixBase)


def evaluated(expr):
    """``expr`` with every node rebuilt under automatic evaluation, each shared one once."""
    with sympy.evaluate(True):
        return _walk(sympy.sympify(expr), {}, force=True)


def without_ite(expr):
    """``expr`` with sympy's ``ITE(a, b, c)`` (which it makes of a condition comparing a
    ``Piecewise``) written as ``(a & b) | (~a & c)``, which every code generator knows."""
    return _walk(expr, {}, force=False)


def _walk(expr, done, force, after=None, leaf=None):
    def node(e, args):
        if leaf is not None:
            args = tuple(a if a.args else leaf(a) for a in args)
        result = rebuild(e, args) if force or args != e.args else e
        if isinstance(result, sympy.ITE):
            a, b, c = result.args
            result = sympy.Or(sympy.And(a, b), sympy.And(Not(a), c))
        return after(result) if after else result
    return map_dag(expr, done, node)


def map_dag(expr, done, node, own_args=None):
    """``node(e, new_args)`` of every node of ``expr`` with arguments, bottom up, each
    shared subexpression once (``done`` memoizes); nodes without arguments stay.
    ``own_args(e)``, where given and not None, are ``e``'s new arguments instead of
    its arguments walked.  An explicit stack, not recursion: formulas nest
    thousands deep (a loop iterating a map)."""
    def frame(e):               # a node, its own new arguments or None, the ones walked
        return e, own_args(e) if own_args else None, []

    result = done.get(expr)
    if result is not None:
        return result
    stack = [frame(expr)]
    while True:
        e, own, walked = stack[-1]
        if own is None and len(walked) < len(e.args):
            arg = e.args[len(walked)]
            result = done.get(arg)
            if result is None:
                stack.append(frame(arg))
            else:
                walked.append(result)
            continue
        result = node(e, own if own is not None else tuple(walked)) if e.args else e
        done[e] = result
        stack.pop()
        if not stack:
            return result
        stack[-1][2].append(result)


def unchanged(args, expr):
    """Whether the walked ``args`` are ``expr``'s own, object for object.  For walks that
    build every node anew (cse's hiding and showing): ``==`` between a node's old and new
    arguments compares their structures, as deep as the formula, at every node."""
    return len(args) == len(expr.args) and all(
        a is b or (not a.args and not b.args and a == b) for a, b in zip(args, expr.args))


def rebuild(expr, args):
    """``expr``'s node with new arguments, evaluated, keeping pyexpr's facts
    (the min/max lattice, real-valued ``abs``, real symbols)."""
    if isinstance(expr, sympy.Piecewise) and len(args) == len(expr.args) and \
            all(new.cond == old.cond for new, old in zip(args, expr.args)):
        return settled_piecewise([(pair.expr, pair.cond) for pair in args])
    if isinstance(expr, sympy.functions.elementary.piecewise.ExprCondPair):
        return as_written_pair(*args)
    if isinstance(expr, sympy.core.relational.Relational) and sympy.nan in args:
        # a side that became nan (zoo's, without_zoo): sympy raises; numpy's
        # comparisons with nan are false, but !=
        return sympy.true if isinstance(expr, sympy.Ne) else sympy.false
    build = LATTICE.get(type(expr)) or (abs_ if type(expr) is sympy.Abs else None)
    return build(*args) if build else assume_real(expr.func(*args))


def sizes(expr):
    """``(tree, dag)``: how many nodes ``expr`` has written out and how many distinct
    ones, counted in time linear in the distinct ones (no recursion)."""
    tree = subexpressions(expr)
    return tree[expr], len(tree)


def postorder(exprs, seen):
    """Each node of ``exprs`` whose id is not in ``seen``, once, its arguments before it,
    without recursion; the caller records each node it is given in ``seen`` (nodes are
    told apart by identity: equal copies of a deep subexpression would be compared
    structurally, as deep as they go, on every lookup)."""
    for root in exprs:
        stack = [root]
        while stack:
            e = stack[-1]
            todo = [a for a in getattr(e, "args", ()) if id(a) not in seen]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            if id(e) not in seen:
                yield e


def atoms(exprs, *types):
    """The distinct nodes of ``exprs`` of ``types``, as sympy's ``expr.atoms(*types)`` but
    visiting each shared node once (sympy's walk is a tree's: exponential in the depth of a
    formula that reuses its steps)."""
    seen, found = {}, set()
    for e in postorder(list(exprs), seen):
        seen[id(e)] = e
        if isinstance(e, types):
            found.add(e)
    return found


def subexpressions(expr):
    """Every distinct subexpression of ``expr`` -> its size written out.  sympy's own
    traversals (``free_symbols``, ``preorder_traversal``) visit shared ones once per use."""
    tree, stack = {}, [(expr, False)]
    while stack:
        e, ready = stack.pop()
        if e in tree:
            continue
        if ready or not e.args:
            tree[e] = 1 + sum(tree[a] for a in e.args)
        else:
            stack.append((e, True))
            stack.extend((a, False) for a in e.args if a not in tree)
    return tree
