"""Slices and ranges with a step over vectors of any length: ``x[1::2]``, ``range(0, len(x), 2)``.

A slice ``x[a:b:s]`` is a ``Vec`` whose element ``k`` is ``x[a + s*k]`` (its
``stride`` is ``(a, s, b)``); its length ``ceiling((b - a)/s)`` depends on the
length ``n`` of ``x`` modulo ``s``.  So does what numpy allows: ``x[1::2] -
x[::2]**2`` combines two slices whose lengths agree only for even ``n``, and
``for i in range(0, len(x), 2): t += x[i]*x[i + 1]`` reads inside ``x`` only
for even ``n``.  Such code is one formula for the lengths where it runs; those
lengths are a condition on ``n`` (``Context.steps``: ``n % s`` in a set of
residues), printed with the formula and checked by every call (numpy and
Python would raise at the others).

A sum over such a vector runs over the parent's indices ``a <= i < b`` with
``i - a`` a multiple of ``s``, so reads stay unit-stride and derivatives solve
for ``j`` as for any sum; the range ends where every read stays inside its
vector, which at the allowed lengths is exactly after the last term.
"""
import math

import sympy

from .. import indexing, lengths
from .values import error, evaluated, evaluated_indices

#: a length far beyond any real one: lengths affine in ``n`` are compared at ``n = s*_LARGE + r``
_LARGE = lengths.LARGE


def combined(ctx, node, vecs, same_length):
    """``(length, stride)`` of an elementwise operation on slices with a step: the same
    step, any starts; lengths that agree only for some ``n % s`` make that a condition.
    Slices of two vectors from the same start make their lengths one (``same_length``)."""
    strides = [tuple(evaluated(sympy.sympify(p).xreplace(ctx.equal)) for p in v.stride)
               if v.stride is not None else None for v in vecs]
    if None in strides or len({s[1] for s in strides}) > 1:
        raise error(ctx, node, "slices with a step combine only with slices of the same step so far",
                    "write x[::2] * y[1::2], or the loop with its index")
    if len(set(strides)) == 1:
        return vecs[0].length, vecs[0].stride
    lengths = [evaluated(v.length.xreplace(ctx.equal).xreplace(ctx.exact)) for v in vecs]
    step = strides[0][1]
    symbols = set().union(*(x.free_symbols for x in lengths))
    if len(symbols) > 1 and len({s[0] for s in strides}) == 1:
        return same_length(ctx, node, [v.length for v in vecs]), vecs[0].stride
    n = _one_length(ctx, node, lengths)
    if n is None:
        if len(set(lengths)) > 1:
            raise error(ctx, node, f"vectors of lengths {', '.join(map(str, lengths))} cannot be "
                        "combined elementwise", "slice them to the same length")
        return lengths[0], strides[0]
    agree = {r for r in range(step) if len({int(x.subs(n, step * _LARGE + r)) for x in lengths}) == 1}
    require(ctx, node, n, step, agree, "numpy combines slices only of the same length")
    return vecs[0].length, strides[0]


def _one_length(ctx, node, lengths):
    """The single length Symbol ``lengths`` depend on, None where they are numbers."""
    symbols = set().union(*(x.free_symbols for x in lengths))
    if not symbols:
        return None
    if len(symbols) > 1 or not all(s in ctx.lengths for s in symbols):
        raise error(ctx, node, f"vectors of lengths {', '.join(map(str, lengths))} cannot be combined "
                    "elementwise", "slice one vector, or vectors of one length, with the same step")
    return symbols.pop()


def require(ctx, node, n, step, allowed, reason):
    """Record that the code runs only where ``n % step`` is in ``allowed`` (with the
    conditions recorded before); a code that runs at no length is refused here."""
    modulus, before, why = ctx.steps.get(n, (1, {0}, ()))
    if len(allowed) == step:
        return
    lcm = modulus * step // math.gcd(modulus, step)
    residues = {r for r in range(lcm) if r % modulus in before and r % step in allowed}
    if not allowed:
        raise error(ctx, node, f"the code runs at no length of {n}: {reason}, and these differ at "
                    "every length", "slice the vectors to the same length")
    if not residues:
        raise error(ctx, node, f"the code runs at no length of {n}: {reason} only where "
                    f"{n} % {step} is {_listed(allowed)}, which its other conditions exclude",
                    "slice the vectors to the same length")
    entry = (step, tuple(sorted(allowed)), reason)
    ctx.steps[n] = (lcm, residues, why + ((entry,) if entry not in why else ()))


def condition_text(n, modulus, residues):
    """``n % 2 == 0``, ``n % 4 in (0, 3)``."""
    residues = sorted(residues)
    return f"{n} % {modulus} == {residues[0]}" if len(residues) == 1 else \
        f"{n} % {modulus} in ({', '.join(map(str, residues))})"


def _listed(residues):
    residues = sorted(residues)
    return str(residues[0]) if len(residues) == 1 else f"one of {', '.join(map(str, residues))}"


def reduce(ctx, node, kind, vec, check_reads, sample):
    """A sum (or product) over ``x[a:b:s]``: over the parent's indices ``a <= i < b``, the
    terms where ``i - a`` is a multiple of ``s``, the range ending where the reads do."""
    a, s, b = (evaluated(sympy.sympify(p).xreplace(ctx.equal)) for p in vec.stride)
    index = indexing.fresh_index(vec.length, sample(vec))
    body = evaluated_indices(sympy.sympify(vec.at((index - a) / s)))
    if isinstance(body, sympy.Tuple) or any(not e.indices[0].is_polynomial(index)
                                            for e in body.atoms(sympy.Indexed)):
        raise error(ctx, node, "cannot add up this vector with a step")
    b = _reads_end(ctx, node, body, index, a, s, b)
    check_reads(ctx, node, body.xreplace({index: index + a}), index, evaluated(b - a))   # i from 0
    with sympy.evaluate(True):                   # index arithmetic, also under simplify=False
        on = sympy.Eq(sympy.Mod(index - a, s), 0)
    term = sympy.Piecewise((body, on), (indexing.UNITS[kind], True))
    last = evaluated(b - 1)
    return indexing.reduction(kind, term, (index, a, last))


def _reads_end(ctx, node, body, index, a, s, b):
    """The end of the range over ``a <= i < b`` (step ``s``) where each read ``x[i + c]``
    of a vector of the range's length stays inside it: ``min(b, n - c)``.  Where that
    drops a term at some lengths (``x[i + 1]`` over ``range(0, n, 2)`` at odd ``n``), the
    code runs only at the others, a condition on ``n``."""
    symbols = b.free_symbols
    if not (a.is_Integer and len(symbols) == 1):
        return b
    n = next(iter(symbols))
    if not (n in ctx.lengths and indexing.affine(b, n) and indexing.affine(b, n)[0] == 1):
        return b
    shifts = {}
    for element in body.atoms(sympy.Indexed):
        own = ctx.length_of.get(element.base)
        form = indexing.affine(element.indices[0], index)
        if own is not None and own.xreplace(ctx.equal) == n and form and form[0] == 1 and form[1].is_Integer:
            shifts.setdefault(int(form[1]), element)
    if not shifts:
        return b
    last_read = shifts[max(shifts)]

    def fits(r):
        at = s * _LARGE + r
        count = -(-int(b.subs(n, at) - a) // s)
        return count <= 0 or a + s * (count - 1) + max(shifts) <= at - 1
    allowed = {r for r in range(s) if fits(r)}
    if not allowed:
        return b                            # reads outside at every length: refused by the check
    end = n - max(shifts)
    require(ctx, node, n, s, allowed, f"{last_read.base}[{last_read.indices[0]}] must stay inside "
            f"{last_read.base} at the last {index}")
    return end if indexing.affine(sympy.expand(b - end), n)[1] > 0 else b
