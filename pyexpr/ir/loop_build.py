"""Building a ``LoopProgram`` (``ir.loops``) from a formula over vectors of any length.

``from_indexed`` splits the formula's reductions into stages, innermost first
(``_Stages.staged``), a vector output into ``"elements"`` stages by its cases,
a matrix output into ``"cells"`` stages; a stage's reductions that move with
its index become its inner ones (a sum inside one that moves with the stage's
index alone comes before it, ``Stage.uses``), a sum over a third index that
does not move with the stage's a temporary vector of its own stage; a cell's
sums along both of the output's indices its ``cell_inner`` reductions.  Each
body becomes an ordinary ``Program`` (``from_sympy.from_exprs``).
"""
import dataclasses

import sympy

from .. import dag, deep, extremes, indexing, lengths
from ..errors import LoweringError
from .from_sympy import from_exprs
from .loops import Bound, Load, LoopProgram, Stage


@deep.sized(lambda name, scalars, vectors, outputs, *rest, **options: outputs)
def from_indexed(name, scalars, vectors, outputs, index=None, length=None, column=None, width=None, where=()):
    """The ``LoopProgram`` of ``outputs`` (sympy, in the Symbols ``scalars`` and the
    ``(IndexedBase, length Symbol)`` pairs ``vectors``).  With ``index``, the single
    output is a vector element in ``index`` for ``0 <= index < length``, written as the
    cases of ``indexing.cases`` (valid from the minimum it gives, which callers check);
    with ``column`` too, a matrix element for ``0 <= column < width`` (``"cells"`` stages).
    ``where``: the conditions on lengths the code runs at (``indexing.cases``)."""
    dims = [n if isinstance(n, tuple) else (n,) for _, n in vectors]
    lengths = [n for d in dims for n in d]          # one slot per dimension of each vector
    starts = [sum(len(d) for d in dims[:v]) for v in range(len(dims))]
    slots = tuple(tuple(range(s, s + len(d))) for s, d in zip(starts, dims))
    symbols = [n for n in _unique(lengths) if isinstance(n, sympy.Symbol)]   # data's lengths are numbers
    builder = _Stages(name, list(scalars) + symbols, [b for b, _ in vectors], lengths)
    builder.slots, builder.where = slots, where
    outputs = builder.stored_extremes(list(outputs))
    if index is None:
        exprs = builder.staged(list(outputs))
        builder.add("scalar", Bound((), 0), Bound((), 1), exprs, None)
        n_out = len(outputs)
    elif column is not None:
        builder.matrix(outputs[0], index, length, column, width)
        n_out = 0
    else:
        m = len(outputs)
        minimum, pieces = indexing.cases(sympy.Tuple(*outputs), index, length, where=where)
        builder._at_least(sympy.sympify(length), minimum)
        exprs = builder.staged([e for _, _, p in pieces for e in p], index)
        for k, (lo, hi, _) in enumerate(pieces):
            builder.add("elements", builder.bound(lo), builder.bound(hi + 1), exprs[k * m:(k + 1) * m], index)
        n_out = 0
    carriers = tuple(lengths.index(n) for n in symbols)
    minimum = tuple(sorted((lengths.index(n), k) for n, k in builder.minimum.items()))
    rows = builder.bound(length) if index is not None else None
    cols = builder.bound(width) if column is not None else None
    return LoopProgram(name, tuple(str(s) for s in scalars), tuple(str(b) for b, _ in vectors),
                       tuple(builder.stages), n_out, carriers, minimum, rows, slots, tuple(builder.temps), cols,
                       tuple(builder.temp_dims) if 2 in builder.temp_dims else ())


def _indices(reduction):
    return tuple(limit[0] for limit in reduction.limits)


def _innermost(reduction):
    """The reductions to compute first for ``reduction``: the sums inside it that do not
    depend on its index come before it (theirs before them), also inside its inner
    reductions (a running sum of ``x[k] - np.min(x)``); those that do are its inner
    reductions (``_Stages.add``)."""
    inner = _independent(reduction.function, _indices(reduction))
    return [t for s in inner for t in _innermost(s)] or [reduction]


def _independent(expr, indices):
    """The reductions in ``expr``, or in those of its reductions that move with ``indices``,
    that depend on none of ``indices``."""
    found = []
    for s in indexing.reductions(expr):
        found += [s] if not s.has(*indices) else _independent(s.function, indices + _indices(s))
    return found


def _fusable(reductions):
    """The reductions grouped by kind and range: each group is one loop."""
    groups = {}
    for r in reductions:
        _, lo, hi = r.limits[-1]
        groups.setdefault((type(r), sympy.expand(lo), sympy.expand(hi)), []).append(r)
    return list(groups.values())


def _running(reduction, index):
    """"prefix" or "suffix" where ``reduction`` gains a term per step of ``index`` at its end
    (``Product(f, (k, 0, j - 1))``) or its start (``(k, j + 1, n - 1)``), else None."""
    if len(reduction.limits) != 1 or reduction.function.has(index):
        return None
    _, lo, hi = reduction.limits[0]
    ends = (indexing.affine(lo, index), indexing.affine(hi, index))
    if None in ends:
        return None
    return {(0, 1): "prefix", (1, 0): "suffix"}.get((ends[0][0], ends[1][0]))


def _unique(items):
    seen = []
    for x in items:
        if x not in seen:
            seen.append(x)
    return seen


class _Stages:
    def __init__(self, name, known, bases, lengths):
        self.name, self.known, self.bases, self.lengths = name, list(known), list(bases), list(lengths)
        self.stages, self.temps, self.temp_dims = [], [], []
        self.minimum, self.where = {}, ()

    def staged(self, exprs, *index):
        """``exprs`` with every reduction replaced by the scalar of a stage computing it,
        innermost first; those that depend on ``index`` (a vector output's, or a matrix
        output's two) are left for its stages' inner reductions."""
        while True:
            exprs = [self._split(e) for e in exprs]
            ready = [r for e in exprs for r in indexing.reductions(e) if not index or not r.has(*index)]
            if not ready:
                return exprs
            innermost = [s for r in _unique(ready) for s in _innermost(r)]
            done = {}
            for group in _fusable(_unique(innermost)):
                done.update(self._reduce(group))
            exprs = [dag.substitute(e, done) for e in exprs]

    def stored_extremes(self, exprs):
        """``exprs`` with each Maximum (Minimum) that an ``ExtremeAt`` compares its terms with
        taken of its terms stored once in a temporary vector, and each such comparison made
        with the stored term: the same bits on both sides (a term computed again in another
        loop may round differently, and then no term would be the extreme)."""
        found = _unique([a.args[0] for e in exprs for a in dag.atoms([sympy.sympify(e)], extremes.ExtremeAt)])
        if not found:
            return exprs
        stored = {}
        for extreme in found:
            (i, lo, hi), = extreme.limits
            held = self._temporary(self.staged([extreme.function], i)[0], i, lo, hi)
            stored[extreme] = extreme.func(held, (i, lo, hi))

        def compared(at):
            extreme, k = at.args
            term = dag.substitute(stored[extreme].function, {stored[extreme].limits[0][0]: k})
            return sympy.Piecewise((1, sympy.Eq(term, stored[extreme])), (0, True))
        exprs = [sympy.sympify(e).replace(lambda a: isinstance(a, extremes.ExtremeAt), compared) for e in exprs]
        return [dag.substitute(e, stored) for e in exprs]

    def matrix(self, expr, j, rows, l, cols):
        """The ``"cells"`` stages of a matrix element ``expr`` in ``(j, l)``, one per case:
        sums along neither index staged before, along the column alone temporary vectors,
        along the row alone the stage's inner reductions (one per row)."""
        least_rows, least_cols, found = indexing.cells(expr, j, rows, l, cols)
        self._at_least(sympy.sympify(rows), least_rows)
        self._at_least(sympy.sympify(cols), least_cols)
        exprs = self.staged([cell for *_, cell in found], j, l)
        for (jlo, jhi, llo, lhi, _), cell in zip(found, exprs):
            temporaries = {r: self._temporary(r, l, llo, lhi) for r in indexing.reductions(cell)
                           if r.has(l) and not r.has(j)}
            cell = dag.substitute(cell, temporaries)
            self.add_cells(self.bound(jlo), self.bound(jhi + 1), (self.bound(llo, j), self.bound(lhi + 1, j)),
                           cell, j, l, across=(llo, lhi))

    def add_cells(self, lo, hi, cols, body, j, l, dest=None, across=None):
        """A ``"cells"`` stage over rows ``j`` and, in each, columns ``l`` (``Stage.cols``):
        sums along the row alone are its inner reductions, along both its cell sums; into
        the output, or the temporary matrix ``dest``; ``across`` the columns' first and last
        (sympy, for temporaries over them)."""
        sums = indexing.reductions(body)
        pairs = [(sympy.Dummy(f"s{k}", real=True), r) for k, r in enumerate(sums) if not r.has(l)]
        both = [(sympy.Dummy(f"t{k}", real=True), r) for k, r in enumerate(sums) if r.has(l)]
        body = dag.substitute(body, {r: h for h, r in pairs + both})
        inner, results = self._inners(pairs, j, (lo, hi))
        cell_inner = tuple(self._cell_sum(r, j, l, (lo, hi), across) for _, r in both)
        loads, holders, (body,) = self._reads([body], l, j)
        i_arg, k_arg = sympy.Dummy("i", real=True), sympy.Dummy("k", real=True)
        body = dag.substitute(body, {j: i_arg, l: k_arg})
        args = self.known + [i_arg, k_arg] + holders + results + [h for h, _ in both]
        program = from_exprs(f"{self.name}_stage{len(self.stages)}", args, [body])
        self.stages.append(Stage("cells", lo, hi, program, loads, inner, dest, cols=cols, cell_inner=cell_inner))

    def _cell_sum(self, reduction, j, l, span, across):
        """A sum along both indices of a matrix output's cell, over its own index ``k``: its
        range may move with the row ``j``, its reads with ``j`` and the column ``l``; a sum in
        its terms along ``k`` alone is a temporary vector, along ``j`` and ``k`` a temporary
        matrix over the rows of ``span``, along ``k`` and ``l`` one over ``k``'s range and the
        columns ``across``."""
        if len(reduction.limits) > 1:
            raise LoweringError(f"{reduction}: a sum over two indices inside a matrix output's cell "
                                "is not compiled yet")
        (k, lo, hi), = reduction.limits
        if lo.has(l) or hi.has(l):
            raise LoweringError(f"{reduction}: a range that moves with the column is not compiled yet")
        function = reduction.function
        for r in indexing.reductions(function):
            if r.has(j) and r.has(l) or r.has(l) and (across is None or lo.has(j) or hi.has(j)
                                                      or any(x.has(j) for x in across)):
                raise LoweringError(f"{reduction}: a sum inside a matrix output's sum along both of its "
                                    "indices, moving with both, is not compiled yet")
            if r.has(l):
                held = self._temporary_matrix(r, k, (self.bound(lo), self.bound(hi + 1)), l, *across)
            elif r.has(j):
                held = self._temporary_matrix(r, j, span, k, lo, hi)
            else:
                held = self._temporary(r, k, lo, hi)
            function = dag.substitute(function, {r: held})
        loads, holders, (body,) = self._reads([function], k, j, l)
        i_arg, c_arg, k_arg = (sympy.Dummy(n, real=True) for n in "ick")
        body = dag.substitute(body, {j: i_arg, l: c_arg, k: k_arg})
        program = from_exprs(f"{self.name}_stage{len(self.stages)}_cell",
                             self.known + [i_arg, c_arg, k_arg] + holders, [body])
        kind = indexing.kind_of(reduction)
        return Stage(kind, self.bound(lo, j), self.bound(hi + 1, j), program, loads)

    def _inners(self, pairs, outer, span):
        """The inner Stages of the ``(holder, reduction)`` pairs in the stage over ``outer``
        (its range ``span``, two Bounds), and the holders of every inner result in order: a sum
        in a reduction's terms that moves with ``outer`` only comes before it as an inner
        reduction of its own."""
        inner, results = [], []
        for holder, reduction in pairs:
            inner.append(self._inner(reduction, outer, inner, results, span))
            results.append(holder)
        return tuple(inner), results

    def _split(self, expr):
        """``expr`` with each reduction whose terms have cases in its index (a Piecewise on
        ``i == 0``, from np.concatenate) as one reduction per case; the lengths from which
        those cases hold are recorded in ``minimum``."""
        split = {}
        for r in indexing.reductions(expr):
            if len(r.limits) > 1:
                continue
            (i, lo, hi), = r.limits
            if not indexing.has_index_relation(r.function, i):
                continue
            count = sympy.expand(hi - lo + 1)
            try:
                minimum, pieces = indexing.cases(dag.substitute(r.function, {i: i + lo}), i, count, where=self.where)
            except ValueError:          # bounds in another index (i <= j): each term tests its own
                continue
            self._at_least(count, minimum)
            parts = [r.func(dag.substitute(piece, {i: i - lo}), (i, first + lo, last + lo))
                     for first, last, piece in pieces]
            split[r] = indexing.combined(r, parts)
        return dag.substitute(expr, split) if split else expr

    def _at_least(self, count, minimum):
        pairs = minimum.items() if isinstance(minimum, dict) else \
            [(sorted(count.free_symbols, key=str)[0], minimum)] if count.free_symbols else ()
        for n, least in pairs:
            if least > 0:
                self.minimum[n] = max(self.minimum.get(n, 0), least)

    def _reduce(self, group):
        """One stage computing the reductions of ``group`` (same kind and range) in one loop;
        a reduction over two indices (``Sum(f, (k, ..), (i, ..))``) as an outer one over its
        last index of an inner one over the other."""
        _, lo, hi = group[0].limits[-1]
        # one index for the fused loop, named apart from every reduction's own (a double
        # sum's inner index may be called as another's outer one)
        i = sympy.Dummy("i", integer=True)
        kind = indexing.kind_of(group[0])
        bodies, explicit = [], []
        for r in group:
            # over three indices or more: the innermost ones a sum inside (then a temporary)
            function = r.function if len(r.limits) <= 2 else r.func(r.function, *r.limits[:-2])
            function = dag.substitute(function, {r.limits[-1][0]: i})
            if len(r.limits) >= 2:
                k, klo, khi = (x.xreplace({r.limits[-1][0]: i}) for x in r.limits[-2])
                holder = sympy.Dummy(f"s{len(explicit)}", real=True)
                explicit.append((holder, r.func(function, (k, klo, khi))))
                function = holder
            bodies.append(function)
        self.add(kind, self.bound(lo), self.bound(hi + 1), bodies, i, explicit)
        results = [sympy.Dummy(f"r{len(self.known) + k}", real=True) for k in range(len(group))]
        self.known.extend(results)
        return dict(zip(group, results))

    def bound(self, expr, outer=None, lane=None):
        """``expr`` as a ``Bound``: lengths (and divisions of them) plus the enclosing
        index ``outer`` and a matrix output's column ``lane`` times constants."""
        expr = sympy.expand(expr)
        along = {}
        for name, symbol in (("lane", lane), ("outer", outer)):
            if symbol is not None:
                form = indexing.affine(expr, symbol)
                if form is None:
                    raise LoweringError(f"the bound {expr} is not affine in {symbol}")
                along[name], expr = form
        return dataclasses.replace(self._lengths_bound(expr), **along)

    def _lengths_bound(self, expr):
        rounded = sorted(lengths.rounded(expr), key=sympy.default_sort_key)
        if rounded:
            return self._divided(expr, rounded[0])
        terms = []
        for v, n in enumerate(self.lengths):
            if not isinstance(n, sympy.Symbol):
                continue
            coef = expr.coeff(n)
            if coef != 0 and not any(t[0] == self.lengths.index(n) for t in terms):
                terms.append((self.lengths.index(n), int(coef)))
                expr = sympy.expand(expr - coef * n)
        if not expr.is_Integer:
            raise LoweringError(f"the index bound {expr} is not an integer plus multiples of lengths")
        return Bound(tuple(terms), int(expr))

    def _divided(self, expr, r):
        """``rest + c*floor(p/s)`` (a ceiling is a floor's negative) as a division rounded
        down: ``len(y) // 2``, ``n - n // 2`` (one division where ``c`` is 1 or -1 and the
        rest has none), a slice with a step's length, ``n - 2*(n // 4)``, and with more
        divisions in ``rest`` (``n // 2 - n // 4``) a chain of them (``Bound.plus``)."""
        c = expr.coeff(r)
        rest = sympy.expand(expr - c * r)
        p, s = sympy.fraction(sympy.together(r.args[0]))
        if isinstance(r, sympy.ceiling):
            c, p = -c, -p
        if not (c.is_Integer and s.is_Integer) or p.has(sympy.floor, sympy.ceiling):
            raise LoweringError(f"the index bound {expr} is not a length divided by an integer")
        if c in (1, -1) and not lengths.rounded(rest):
            # rest - floor(p/s) = floor((s - 1 - p)/s + rest)
            top = self._lengths_bound(sympy.expand(p + s * rest if c == 1 else -p + s - 1 + s * rest))
            return Bound(top.terms, top.const, 0, int(s))
        top = self._lengths_bound(sympy.expand(p))
        return Bound(top.terms, top.const, 0, int(s), 0, int(c), self._lengths_bound(rest))

    def add(self, kind, lo, hi, bodies, index, explicit=(), dest=None):
        """Append a stage over ``index`` of ``bodies``; the reductions in them that depend on
        ``index`` (and the ``explicit`` ``(holder, reduction)`` pairs) become its inner ones."""
        index = index if index is not None else sympy.Dummy("i", integer=True)
        bodies = self._one_way([sympy.sympify(b) for b in bodies], index)
        dependent = _unique([r for b in bodies for r in indexing.reductions(b) if r.has(index)])
        pairs = list(explicit) + [(sympy.Dummy(f"s{len(explicit) + k}", real=True), r)
                                  for k, r in enumerate(dependent)]
        bodies = [dag.substitute(b, {r: h for h, r in pairs}) for b in bodies]
        inner, results = self._inners(pairs, index, (lo, hi))
        index_arg = sympy.Dummy("i", real=True)
        loads, holders, exprs = self._reads(bodies, index, None)
        exprs = [dag.substitute(e, {index: index_arg}) for e in exprs]
        args = self.known + [index_arg] + holders + results
        body = from_exprs(f"{self.name}_stage{len(self.stages)}", args, exprs)
        self.stages.append(Stage(kind, lo, hi, body, loads, inner, dest))

    def _one_way(self, bodies, index):
        """``bodies`` whose running reductions of ``index`` go both ways (the product of the
        terms before ``index`` and of those after: a product's derivative) with each suffix
        one a temporary vector over its start, computed before by a stage that runs
        downwards: a stage runs its scans one way, the others in full at every row."""
        found = _unique([r for b in bodies for r in indexing.reductions(b) if r.has(index)])
        ways = {r: _running(r, index) for r in found}
        if not {"prefix", "suffix"} <= set(ways.values()):
            return bodies
        swap = {}
        for r, way in ways.items():
            if way == "suffix":
                (k, start, hi), = r.limits
                m = sympy.Dummy("m", integer=True)
                held = self._temporary(r.func(r.function, (k, m, hi)), m, sympy.S.Zero, hi + 1)
                swap[r] = held.func(held.base, start)
        return [dag.substitute(b, swap) for b in bodies]

    def _temporary(self, reduction, k, lo, hi):
        """``t[k]``: a temporary vector holding ``reduction`` (a sum over another index whose
        terms depend on ``k``) for ``lo <= k <= hi``, computed by a stage of its own."""
        t = len(self.temp_dims)
        base = sympy.IndexedBase(f"_t{t}", real=True)
        self.temps.append(self.bound(hi + 1))
        self.temp_dims.append(1)
        self.bases.append(base)
        self.slots = self.slots + ((len(self.lengths),),)
        self.lengths.append(None)
        self.add("elements", self.bound(lo), self.bound(hi + 1), [reduction], k, dest=t)
        return base[k]

    def _temporary_matrix(self, reduction, a, span, k, lo, hi):
        """``t[a, k]``: a temporary matrix holding ``reduction`` (a sum over a third index whose
        terms move with both ``a`` and ``k``: ``U @ V.T`` inside a sum) for the rows ``a`` of
        ``span`` (the enclosing stage's Bounds) and ``lo <= k <= hi``, computed by a
        ``"cells"`` stage of its own before the stage that reads it."""
        if lo.has(a) or hi.has(a):
            raise LoweringError(f"{reduction}: sums nested three deep over a triangle are not compiled yet")
        t = len(self.temp_dims)
        base = sympy.IndexedBase(f"_t{t}", real=True)
        self.temps += [span[1], self.bound(hi + 1)]
        self.temp_dims.append(2)
        self.bases.append(base)
        self.slots = self.slots + ((len(self.lengths), len(self.lengths) + 1),)
        self.lengths += [None, None]
        self.add_cells(span[0], span[1], (self.bound(lo), self.bound(hi + 1)), reduction, a, k, dest=t,
                       across=(lo, hi))
        return base[a, k]

    def _reads(self, bodies, index, outer, lane=None):
        """``(loads, their Dummies, bodies reading the Dummies)``: each element an argument."""
        # in a fixed order (a set's depends on hashes, which vary from process to process): the
        # same formula gives the same program, so the same cache key, in every process
        elements = _unique([e for b in bodies
                            for e in sorted(dag.atoms([b], sympy.Indexed), key=sympy.default_sort_key)])
        loads, holders = [], []
        for e in elements:
            v = self.bases.index(e.base)
            dims = []
            for at, slot in zip(e.indices, self.slots[v]):
                form = indexing.affine(sympy.expand(at), index)
                if form is None:
                    raise LoweringError(f"the element {e} is not read at a*{index} + c")
                dims.append((form[0], self.bound(form[1], outer, lane), slot))
            loads.append(Load(v, *dims[-1], row=dims[0] if len(dims) == 2 else None))
            holders.append(sympy.Dummy(f"{e.base}{len(holders)}", real=True))   # names unique in C
        swap = dict(zip(elements, holders))
        return tuple(loads), holders, [dag.substitute(b, swap) for b in bodies]

    def _inner(self, reduction, outer, inner=None, results=None, span=None):
        """The inner Stage of ``reduction`` over its own index, inside the stage over ``outer``;
        a sum in its terms over a third index is a temporary vector computed before, one
        that moves with ``outer`` alone an inner reduction before it (appended to ``inner``
        and ``results``, the stage's lists) whose result its body takes, one that moves with
        both a temporary matrix over ``span`` (the stage's range)."""
        if len(reduction.limits) > 2:
            raise LoweringError(f"{reduction}: sums nested three deep are not compiled yet")
        k, lo, hi = reduction.limits[-1]
        function = reduction.function
        if len(reduction.limits) == 2:          # Sum(f, (i, ..), (k, ..)): over k, of the sum over i
            function = reduction.func(function, reduction.limits[0])
        uses, used = [], []
        for r in indexing.reductions(function):
            if r.has(outer) and not r.has(k) and inner is not None:
                holder = sympy.Dummy(f"u{len(results)}", real=True)
                inner.append(self._inner(r, outer, inner, results, span))
                results.append(holder)
                uses.append(len(inner) - 1)
                used.append(holder)
                function = dag.substitute(function, {r: holder})
                continue
            if r.has(outer) and r.has(k) and span is not None and not (lo.has(outer) or hi.has(outer)):
                function = dag.substitute(function, {r: self._temporary_matrix(r, outer, span, k, lo, hi)})
                continue
            if r.has(outer) or hi.has(outer) and r.has(k):
                raise LoweringError(f"{reduction}: sums nested three deep are not compiled yet")
            if r.has(k):
                # a range starting at the outer index (a suffix sum): the temporary from 0 on
                first = sympy.S.Zero if lo.has(outer) else lo
                function = dag.substitute(function, {r: self._temporary(r, k, first, hi)})
        kind = indexing.kind_of(reduction)
        loads, holders, (body,) = self._reads([function], k, outer)
        i_arg, k_arg = sympy.Dummy("i", real=True), sympy.Dummy("k", real=True)
        body = dag.substitute(body, {outer: i_arg, k: k_arg})
        program = from_exprs(f"{self.name}_stage{len(self.stages)}_inner",
                             self.known + [i_arg, k_arg] + holders + used, [body])
        return Stage(kind, self.bound(lo, outer), self.bound(hi + 1, outer), program, loads, uses=tuple(uses))

