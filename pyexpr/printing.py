"""Formulas as text: sympy strings, LaTeX and pretty print (``source_code`` writes
them as standalone Python)."""
import sympy
from sympy.printing.pretty.pretty import PrettyPrinter
from sympy.printing.pretty.stringpict import prettyForm
from sympy.printing.conventions import split_super_sub
from sympy.printing.latex import greek_letters_set

from . import deep
from .dag import subexpressions
from .sharing import PIECE, cse


#: A formula prints with its shared subexpressions named (``shared``) once printing
#: it whole would write at least SHARED_NODES nodes and SHARED_RATIO times as many as
#: it has distinct subexpressions: a loop unrolled n times can reuse its previous
#: value several times per step, and the printed text grows like 4^n.
SHARED_NODES, SHARED_RATIO = 2000, 4


def shared(expr, args):
    """``(steps, reduced)`` naming ``expr``'s repeated subexpressions (``sympy.cse``) when
    printing it whole would be far larger than the expression itself, or nest more
    than ``sharing.PIECE`` levels (then pieces of it are named too), else None.

    The names are ``t0, t1, ...`` (another letter where an argument's name begins
    with ``t``), numbered in the order they are computed."""
    nodes = subexpressions(expr)
    tree, dag = nodes[expr], len(nodes)
    if (tree < SHARED_NODES or tree < SHARED_RATIO * dag) and deep.height([expr]) <= PIECE:
        return None
    taken = [str(a) for a in args] + [str(s) for s in nodes if s.is_Symbol]
    prefix = next((p for p in ("t", "u", "w", "s") if not any(n.startswith(p) for n in taken)), "_t")
    steps, (reduced,) = cse([expr], symbols=sympy.numbered_symbols(prefix, real=True))
    return steps, reduced


def latex_name(name):
    """A function name in LaTeX: ``f``, ``f_{1}``, ``\\alpha`` as sympy writes symbols; a
    word such as ``rosenbrock`` or ``tuple_return`` upright, as ``\\operatorname{...}``."""
    base, _, _ = split_super_sub(name)
    if len(base) == 1 or base.lower() in greek_letters_set:
        return sympy.latex(sympy.Symbol(name))
    return r"\operatorname{%s}" % name.replace("_", r"\_")


def _in_order(printer, fallback):
    """``printer(expr)``; where sorting a sum's terms compares a nan (``Piecewise((nan, c),
    ...)`` terms, which sympy's sort keys cannot order), ``fallback`` with the terms as stored,
    and so for a sum of more than ``SORTED_TERMS`` terms (sympy orders terms as monomials
    in every distinct function of them: time quadratic in the terms)."""
    def print_(expr):
        if _longest_sum(expr) > SORTED_TERMS:
            return fallback(expr, order="none")
        try:
            return printer(expr)
        except TypeError:
            return fallback(expr, order="none")
    return print_


#: sums with more terms print in sympy's stored order (``_in_order``)
SORTED_TERMS = 500


def _longest_sum(expr):
    return max((len(e.args) for e in subexpressions(expr) if e.is_Add), default=0)


_sstr, _latex = _in_order(str, sympy.sstr), _in_order(sympy.latex, sympy.latex)


@deep.sized(lambda first, args, expr: [expr])
def text(signature, args, expr):
    """``signature = expr``, or with ``shared`` subexpressions listed after a ``where`` line."""
    named = shared(expr, args)
    if named is None:
        return f"{signature} = {_sstr(expr)}"
    steps, reduced = named
    return "\n".join([f"{signature} = {_sstr(reduced)}", "  where"] +
                     [f"    {s} = {_sstr(e)}" for s, e in steps])


@deep.sized(lambda first, args, expr: [expr])
def latex(lhs, args, expr):
    """``lhs = expr`` in LaTeX; with ``shared`` subexpressions, an aligned block."""
    named = shared(expr, args)
    if named is None:
        return f"{lhs} = {_latex(expr)}"
    steps, reduced = named
    rows = [rf"{lhs} &= {_latex(reduced)}", r"\text{where}\quad"]
    rows += [rf"{_latex(s)} &= {_latex(e)}" for s, e in steps]
    return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"


@deep.sized(lambda first, args, expr: [expr])
def pretty(name, args, expr):
    """``name(args) = expr`` drawn by sympy; the name as written (no subscripts from ``_``);
    with ``shared`` subexpressions, each drawn below a ``where`` line."""
    stored = {"use_unicode": True, "order": "none"}      # see _in_order
    if _longest_sum(expr) > SORTED_TERMS:
        return _pretty(name, args, expr, stored)
    try:
        return _pretty(name, args, expr, {"use_unicode": True})
    except TypeError:
        return _pretty(name, args, expr, stored)


def _pretty(name, args, expr, settings):
    printer = PrettyPrinter(settings)
    named = shared(expr, args)
    steps, expr = named if named is not None else ([], expr)
    left = prettyForm(*printer._print_seq(args, "(", ")").left(name))
    drawn = [prettyForm(*left.right(" = ", printer._print(expr)))]
    drawn += [prettyForm(*printer._print(s).right(" = ", printer._print(e))) for s, e in steps]
    lines = [str(d.render(wrap_line=False)) for d in drawn]
    return "\n".join(lines[:1] + (["where"] if steps else []) + lines[1:])


def range_text(j, lo, hi):
    if lo == hi:
        return f"{j} = {lo}"
    return f"{lo} <= {j} <= {hi}"


def range_latex(j, lo, hi):
    if lo == hi:
        return f"{sympy.latex(j)} = {sympy.latex(lo)}"
    return rf"{sympy.latex(lo)} \le {sympy.latex(j)} \le {sympy.latex(hi)}"
