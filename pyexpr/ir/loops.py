"""Formulas over vectors of any length -> ``LoopProgram``: stages of loops over Programs.

A ``LoopProgram`` computes a formula whose arguments are scalars and vectors
(``pyexpr.indexing``) in stages, each a loop over an index range whose
bounds are affine in the vectors' lengths (``Bound``):

* ``"sum"`` and ``"prod"`` reduce each output of their body over the range
  into a new scalar, which later stages read (reductions of one kind over one
  range share a stage: one pass over the data);
* ``"elements"`` stores its body's ``m`` outputs at ``out[i*m + k]`` for each
  ``i`` of the range (a vector output, of ``m`` columns: one stage per case
  of ``indexing.cases``);
* ``"scalar"`` evaluates its body once and stores each output at ``out[k]``.

Every body is an ordinary ``Program``: its arguments are the scalars known
so far (``known``: the scalar arguments, the lengths, the reductions before
it), then the index ``i`` (as a float), then the elements it reads, each a
``Load`` ``vector[a*i + c]``.  So the code generators emit bodies as they
emit any Program and only add the loops, the loads and the stores.  Sums
inside sums are staged inner first when the inner one does not depend on the
outer index (``Sum(x[i] - Sum(x[k])/n)``); a true double sum is refused.
"""
from dataclasses import dataclass

import sympy

from .. import indexing
from ..errors import LoweringError
from .from_sympy import from_exprs


@dataclass(frozen=True)
class Bound:
    """``const + sum(coef * length[v] for v, coef in terms) + outer*i``: an index bound
    (``i`` the enclosing stage's index, for the range and reads of an inner reduction),
    divided by ``div`` rounding down (the length of a slice with a step, ``ceiling(n/2)``,
    is ``(n + 1) // 2``)."""
    terms: tuple
    const: int
    outer: int = 0
    div: int = 1
    #: the coefficient of a matrix output's column (a read of a cell's own sum: ``B[k, c]``)
    lane: int = 0

    def value(self, lengths, i=0, c=0):
        return (self.const + sum(coef * lengths[v] for v, coef in self.terms) + self.outer * i
                + self.lane * c) // self.div

    def __str__(self):
        text = " + ".join([f"{c}*len{v}" for v, c in self.terms] + ([f"{self.outer}*i"] if self.outer else [])
                          + ([f"{self.lane}*c"] if self.lane else []))
        text = f"{text} + {self.const}" if text else str(self.const)
        return text if self.div == 1 else f"({text}) // {self.div}"


@dataclass(frozen=True)
class Load:
    """``vectors[vector][a*i + offset]``, that index inside ``lengths[slot]``; of a matrix
    (``row`` is ``(a, offset, slot)``), ``vectors[vector][row index * lengths[slot] + a*i +
    offset]``, both indices inside their dimension's length."""
    vector: int
    a: int
    offset: Bound
    slot: int = 0
    row: tuple = None

    def dims(self):
        """``(a, offset, slot)`` of each index: the row's first, for a matrix."""
        return ((self.row,) if self.row else ()) + ((self.a, self.offset, self.slot),)


@dataclass(frozen=True)
class Stage:
    kind: str            # "sum" | "prod" | "elements" | "scalar"
    lo: Bound            # the range lo <= i < hi
    hi: Bound
    body: object         # Program: known..., i, loads..., inner... -> one output (several for "scalar")
    loads: tuple
    #: reductions over a second index ``k`` whose terms depend on ``i`` (a double sum, a row
    #: of ``A @ x``): Stages whose bounds and reads may involve ``i`` and whose bodies take
    #: known..., i, k, loads...; their results are the body's last arguments
    inner: tuple = ()
    #: an ``"elements"`` stage's destination: None for the output, else a temporary vector
    #: (``LoopProgram.temps``) that later stages read
    dest: int = None
    #: a ``"cells"`` stage's column range ``(lo, hi)`` (Bounds that may move with the row
    #: ``i``): for each row ``i`` of its range, after its inner reductions (sums along the
    #: row), the body stores ``out[i*cols + k]`` for ``lo <= k < hi``; its body takes known...,
    #: i, k, loads..., inner...
    cols: tuple = None
    #: an inner reduction's: the positions (in its stage's ``inner``) of the sums before it
    #: that its terms read, passed to its body after the loads (``Sum(A[i, k] - Sum(A[i, m],
    #: m)/n, k)``: the row's mean, once per row)
    uses: tuple = ()
    #: a ``"cells"`` stage's sums along both of its indices (``(A @ B)[i, c]``): reductions
    #: over a third index ``k`` whose bodies take known..., i, c, k, loads... and whose reads
    #: may move with ``i`` (``Bound.outer``) and ``c`` (``Bound.lane``); their results come
    #: after the inner ones among the cell body's arguments
    cell_inner: tuple = ()

    @property
    def known_count(self):
        """How many known scalars the body's arguments start with."""
        own = 2 if self.kind == "cells" else 1
        return self.body.n_args - own - len(self.loads) - len(self.inner) - len(self.cell_inner)


@dataclass(frozen=True)
class LoopProgram:
    name: str
    scalar_names: tuple
    vector_names: tuple
    stages: tuple
    n_outputs: int       # scalars stored by the "scalar" stage, or 0 for a vector output
    length_vectors: tuple  # for each distinct length (a ``known`` scalar), a vector that has it
    minimum: tuple = ()    # (slot, length) pairs: below it, the cases the stages follow do not hold
    rows: object = None    # Bound: the length of a vector output
    slots: tuple = ()      # per vector, the slots of ``lengths`` its dimensions take
    #: the lengths (Bounds over the arguments' slots) of temporary vectors: a sum over an
    #: index that a sum three deep reads (``A @ (A @ x)``, the gradient of |A x - b|^2),
    #: computed once by a stage of its own; vector ``len(vector_names) + t``, slot
    #: ``argument_slots + t``
    temps: tuple = ()
    #: Bound: the number of columns of a matrix output (its rows are ``rows``)
    cols: object = None

    @property
    def argument_slots(self):
        return sum(len(s) for s in self.slots) if self.slots else len(self.vector_names)

    @property
    def slot_count(self):
        return self.argument_slots + len(self.temps)

    def _extended(self, sizes):
        return self.temp_sizes(sizes) if len(sizes) == self.argument_slots else sizes

    def temp_sizes(self, sizes):
        """The argument slots' lengths ``sizes`` extended by the temporaries'."""
        return list(sizes) + [t.value(sizes) for t in self.temps]

    def below_minimum(self, sizes):
        """Whether a vector is shorter than the stages' cases need (then the formula is
        evaluated written out at those lengths)."""
        return any(sizes[v] < k for v, k in self.minimum)

    def __str__(self):
        names = list(self.vector_names) + [f"_t{t}" for t in range(len(self.temps))]

        def loads(stage, index):
            return ", ".join(f"{names[ld.vector]}[{'' if ld.row is None else f'{ld.row[0]}*{index} + {ld.row[1]}, '}"
                             f"{ld.a}*{index} + {ld.offset}]" for ld in stage.loads)
        lines = [f"loops {self.name}({', '.join(self.scalar_names)}; "
                 f"{', '.join(v + '[]' for v in self.vector_names)}):"]
        lines += [f"  temporary _t{t}[{n}]" for t, n in enumerate(self.temps)]
        for k, st in enumerate(self.stages):
            into = "" if st.dest is None else f" into _t{st.dest}"
            across = "" if st.cols is None else f", {st.cols[0]} <= k < {st.cols[1]}"
            lines.append(f"  stage {k}: {st.kind}{into} for {st.lo} <= i < {st.hi}{across}; "
                         f"loads {loads(st, 'k' if st.cols else 'i')}")
            lines.extend("    " + line for line in str(st.body).splitlines())
            for inner in st.inner + st.cell_inner:
                lines.append(f"    inner {inner.kind} for {inner.lo} <= k < {inner.hi}; loads {loads(inner, 'k')}")
                lines.extend("      " + line for line in str(inner.body).splitlines())
        return "\n".join(lines)

    def outside(self, sizes):
        """The first ``(stage, load)`` that would read outside its vector at the vector
        lengths ``sizes``, or None (what the compiled check returns, for the GPU's host)."""
        sizes = self._extended(sizes)
        for s, st in enumerate(self.stages):
            for k, (ld, lo, hi, i, c) in enumerate(reads(st, sizes)):
                for a, offset, slot in ld.dims():
                    ends = (a * lo + offset.value(sizes, i, c), a * (hi - 1) + offset.value(sizes, i, c))
                    if lo < hi and (min(ends) < 0 or max(ends) >= sizes[slot]):
                        return s, k
        return None

    def plan(self, sizes):
        """Per stage, ``(lo, hi, params, at)`` at the lengths ``sizes``: its range, the
        integers its code reads (``params``, laid out by ``stage_params``), and where a
        reduction's results go among the known scalars."""
        sizes = self._extended(sizes)
        at = len(self.scalar_names) + len(self.length_vectors)
        steps = []
        for st in self.stages:
            width = self.cols.value(sizes) if self.cols is not None else 0
            steps.append((st.lo.value(sizes), st.hi.value(sizes), stage_params(st, sizes, width), at))
            if st.kind in ("sum", "prod"):
                at += len(st.body.outputs)
        return steps

    def key(self):
        from .. import digest
        return digest.new(str(self).encode()).hexdigest()


def scan(inner, known_count):
    """``"prefix"`` or ``"suffix"`` where an inner reduction is a running sum of its stage's
    index (its range gains one term per step at one end: ``Sum(x[k], (k, 0, i))``, or
    ``(k, i, n - 1)``, its terms not otherwise depending on ``i``), else None."""
    if inner.lo.outer == 0 and inner.hi.outer == 1:
        kind = "prefix"
    elif inner.lo.outer == 1 and inner.hi.outer == 0:
        kind = "suffix"
    else:
        return None
    if inner.uses:
        return None
    moving = [ld.offset.outer for ld in inner.loads] + [ld.row[1].outer for ld in inner.loads if ld.row]
    uses_i = any(known_count in ins.args for ins in inner.body.instrs if ins.op not in ("arg", "const"))
    return None if any(moving) or uses_i else kind


def stage_params(stage, sizes, width=0):
    """The integers a stage's code reads at the lengths ``sizes``, the part of each bound
    that does not move with the enclosing index: per load, (row offset, column offset,
    columns) (0, offset, 0 for a vector); of a ``"cells"`` stage its columns' (lo, hi) and
    the output's columns ``width``; then per inner reduction (and cell sum) its (lo, hi) and
    its loads' triples."""
    def load_params(ld):
        if ld.row is None:
            return [0, ld.offset.value(sizes), 0]
        return [ld.row[1].value(sizes), ld.offset.value(sizes), sizes[ld.slot]]
    params = [p for ld in stage.loads for p in load_params(ld)]
    if stage.cols is not None:              # the columns' range (less its move with i), their count
        params += [stage.cols[0].value(sizes), stage.cols[1].value(sizes), width]
    for inner in stage.inner + stage.cell_inner:
        params += [inner.lo.value(sizes), inner.hi.value(sizes)]
        params += [p for ld in inner.loads for p in load_params(ld)]
    return params


def reads(stage, sizes):
    """``(load, lo, hi, i, c)`` for each read of ``stage`` to check: its own over its range,
    each inner reduction's at both ends of the stage's range, and a matrix output's cell
    sums' at both ends of its columns too (``c``; a read's index is affine, so its extremes
    are there), in the order the code checks them."""
    lo, hi = stage.lo.value(sizes), stage.hi.value(sizes)
    rows = (lo, hi - 1) if lo < hi else ()
    found = [(ld, lo, hi, 0, 0) for ld in stage.loads] if stage.cols is None else \
        [(ld, stage.cols[0].value(sizes, i), stage.cols[1].value(sizes, i), i, 0) for i in rows for ld in stage.loads]
    for inner in stage.inner:
        for i in rows:
            found += [(ld, inner.lo.value(sizes, i), inner.hi.value(sizes, i), i, 0) for ld in inner.loads]
    for inner in stage.cell_inner:
        for i in rows:
            first, last = stage.cols[0].value(sizes, i), stage.cols[1].value(sizes, i) - 1
            for c in ((first, last) if first <= last else ()):
                found += [(ld, inner.lo.value(sizes, i), inner.hi.value(sizes, i), i, c) for ld in inner.loads]
    return found


def from_indexed(name, scalars, vectors, outputs, index=None, length=None, column=None, width=None):
    """The ``LoopProgram`` of ``outputs`` (sympy, in the Symbols ``scalars`` and the
    ``(IndexedBase, length Symbol)`` pairs ``vectors``).  With ``index``, the single
    output is a vector element in ``index`` for ``0 <= index < length``, written as the
    cases of ``indexing.cases`` (valid from the minimum it gives, which callers check);
    with ``column`` too, a matrix element for ``0 <= column < width`` (``"cells"`` stages)."""
    dims = [n if isinstance(n, tuple) else (n,) for _, n in vectors]
    lengths = [n for d in dims for n in d]          # one slot per dimension of each vector
    starts = [sum(len(d) for d in dims[:v]) for v in range(len(dims))]
    slots = tuple(tuple(range(s, s + len(d))) for s, d in zip(starts, dims))
    symbols = [n for n in _unique(lengths) if isinstance(n, sympy.Symbol)]   # data's lengths are numbers
    builder = _Stages(name, list(scalars) + symbols, [b for b, _ in vectors], lengths)
    builder.slots = slots
    if index is None:
        exprs = builder.staged(list(outputs))
        builder.add("scalar", Bound((), 0), Bound((), 1), exprs, None)
        n_out = len(outputs)
    elif column is not None:
        builder.matrix(outputs[0], index, length, column, width)
        n_out = 0
    else:
        m = len(outputs)
        minimum, pieces = indexing.cases(sympy.Tuple(*outputs), index, length)
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
                       tuple(builder.stages), n_out, carriers, minimum, rows, slots, tuple(builder.temps), cols)


def _indices(reduction):
    return tuple(limit[0] for limit in reduction.limits)


def _fusable(reductions):
    """The reductions grouped by kind and range: each group is one loop."""
    groups = {}
    for r in reductions:
        _, lo, hi = r.limits[-1]
        groups.setdefault((type(r), sympy.expand(lo), sympy.expand(hi)), []).append(r)
    return list(groups.values())


def _unique(items):
    seen = []
    for x in items:
        if x not in seen:
            seen.append(x)
    return seen


class _Stages:
    def __init__(self, name, known, bases, lengths):
        self.name, self.known, self.bases, self.lengths = name, list(known), list(bases), list(lengths)
        self.stages, self.temps = [], []
        self.minimum = {}

    def staged(self, exprs, *index):
        """``exprs`` with every reduction replaced by the scalar of a stage computing it,
        innermost first; those that depend on ``index`` (a vector output's, or a matrix
        output's two) are left for its stages' inner reductions."""
        while True:
            exprs = [self._split(e) for e in exprs]
            ready = [r for e in exprs for r in indexing.reductions(e) if not index or not r.has(*index)]
            if not ready:
                return exprs
            innermost = []
            for r in _unique(ready):
                # sums inside that do not depend on r's index are computed before it; those
                # that do are r's inner reductions (``add``)
                inner = [s for s in indexing.reductions(r.function) if not s.has(*_indices(r))]
                innermost += inner or [r]
            done = {}
            for group in _fusable(_unique(innermost)):
                done.update(self._reduce(group))
            exprs = [e.xreplace(done) for e in exprs]

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
            cell = cell.xreplace(temporaries)
            self.add_cells(self.bound(jlo), self.bound(jhi + 1), (self.bound(llo, j), self.bound(lhi + 1, j)),
                           cell, j, l)

    def add_cells(self, lo, hi, cols, body, j, l):
        """A ``"cells"`` stage over rows ``j`` and, in each, columns ``l`` (``Stage.cols``):
        sums along the row alone are its inner reductions, along both its cell sums."""
        sums = indexing.reductions(body)
        pairs = [(sympy.Dummy(f"s{k}", real=True), r) for k, r in enumerate(sums) if not r.has(l)]
        both = [(sympy.Dummy(f"t{k}", real=True), r) for k, r in enumerate(sums) if r.has(l)]
        body = body.xreplace({r: h for h, r in pairs + both})
        inner, results = self._inners(pairs, j)
        cell_inner = tuple(self._cell_sum(r, j, l) for _, r in both)
        loads, holders, (body,) = self._reads([body], l, j)
        i_arg, k_arg = sympy.Dummy("i", real=True), sympy.Dummy("k", real=True)
        body = body.xreplace({j: i_arg, l: k_arg})
        args = self.known + [i_arg, k_arg] + holders + results + [h for h, _ in both]
        program = from_exprs(f"{self.name}_stage{len(self.stages)}", args, [body])
        self.stages.append(Stage("cells", lo, hi, program, loads, inner, cols=cols, cell_inner=cell_inner))

    def _cell_sum(self, reduction, j, l):
        """A sum along both indices of a matrix output's cell, over its own index ``k``: its
        range may move with the row ``j``, its reads with ``j`` and the column ``l``."""
        if len(reduction.limits) > 1 or any(r.has(j) or r.has(l) for r in indexing.reductions(reduction.function)):
            raise LoweringError(f"{reduction}: a sum inside a matrix output's sum along both of its "
                                "indices is not compiled yet")
        (k, lo, hi), = reduction.limits
        if lo.has(l) or hi.has(l):
            raise LoweringError(f"{reduction}: a range that moves with the column is not compiled yet")
        function = reduction.function
        for r in indexing.reductions(function):          # sums along k alone: temporary vectors
            function = function.xreplace({r: self._temporary(r, k, lo, hi)})
        loads, holders, (body,) = self._reads([function], k, j, l)
        i_arg, c_arg, k_arg = (sympy.Dummy(n, real=True) for n in "ick")
        body = body.xreplace({j: i_arg, l: c_arg, k: k_arg})
        program = from_exprs(f"{self.name}_stage{len(self.stages)}_cell",
                             self.known + [i_arg, c_arg, k_arg] + holders, [body])
        kind = "sum" if isinstance(reduction, sympy.Sum) else "prod"
        return Stage(kind, self.bound(lo, j), self.bound(hi + 1, j), program, loads)

    def _inners(self, pairs, outer):
        """The inner Stages of the ``(holder, reduction)`` pairs in the stage over ``outer``,
        and the holders of every inner result in order: a sum in a reduction's terms that
        moves with ``outer`` only comes before it as an inner reduction of its own."""
        inner, results = [], []
        for holder, reduction in pairs:
            inner.append(self._inner(reduction, outer, inner, results))
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
            minimum, pieces = indexing.cases(r.function.xreplace({i: i + lo}), i, count)
            self._at_least(count, minimum)
            parts = [r.func(piece.xreplace({i: i - lo}), (i, first + lo, last + lo))
                     for first, last, piece in pieces]
            split[r] = sympy.Add(*parts) if isinstance(r, sympy.Sum) else sympy.Mul(*parts)
        return expr.xreplace(split) if split else expr

    def _at_least(self, count, minimum):
        symbols = sorted(count.free_symbols, key=str)
        if symbols and minimum > 0:
            n = symbols[0]
            self.minimum[n] = max(self.minimum.get(n, 0), minimum)

    def _reduce(self, group):
        """One stage computing the reductions of ``group`` (same kind and range) in one loop;
        a reduction over two indices (``Sum(f, (k, ..), (i, ..))``) as an outer one over its
        last index of an inner one over the other."""
        _, lo, hi = group[0].limits[-1]
        # one index for the fused loop, named apart from every reduction's own (a double
        # sum's inner index may be called as another's outer one)
        i = sympy.Dummy("i", integer=True)
        kind = "sum" if isinstance(group[0], sympy.Sum) else "prod"
        bodies, explicit = [], []
        for r in group:
            if len(r.limits) > 2:
                raise LoweringError(f"{r}: sums over more than two indices are not compiled yet")
            function = r.function.xreplace({r.limits[-1][0]: i})
            if len(r.limits) == 2:
                k, klo, khi = (x.xreplace({r.limits[-1][0]: i}) for x in r.limits[0])
                holder = sympy.Dummy(f"s{len(explicit)}", real=True)
                explicit.append((holder, r.func(function, (k, klo, khi))))
                function = holder
            bodies.append(function)
        self.add(kind, self.bound(lo), self.bound(hi + 1), bodies, i, explicit)
        results = [sympy.Dummy(f"r{len(self.known) + k}", real=True) for k in range(len(group))]
        self.known.extend(results)
        return dict(zip(group, results))

    def bound(self, expr, outer=None, lane=None):
        expr = sympy.expand(expr)
        if lane is not None:                    # a cell's read: the column's coefficient
            form = indexing.affine(expr, lane)
            if form is None:
                raise LoweringError(f"the bound {expr} is not affine in {lane}")
            inner = self.bound(form[1], outer)
            return Bound(inner.terms, inner.const, inner.outer, inner.div, form[0])
        steps = [c for c in expr.atoms(sympy.ceiling)]
        if len(steps) == 1 and outer is None:
            # c + ceiling(p/s) (a slice with a step's length) = (p + s - 1 + s*c) // s
            rest = sympy.expand(expr - steps[0])
            p = steps[0].args[0]
            s = sympy.fraction(sympy.together(p))[1]
            if s.is_Integer and not rest.has(sympy.ceiling):
                whole = self.bound(sympy.expand(p * s + s - 1 + s * rest))
                return Bound(whole.terms, whole.const, 0, int(s))
        along = 0
        if outer is not None:
            form = indexing.affine(expr, outer)
            if form is None:
                raise LoweringError(f"the bound {expr} is not affine in {outer}")
            along, expr = form
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
        return Bound(tuple(terms), int(expr), int(along))

    def add(self, kind, lo, hi, bodies, index, explicit=(), dest=None):
        """Append a stage over ``index`` of ``bodies``; the reductions in them that depend on
        ``index`` (and the ``explicit`` ``(holder, reduction)`` pairs) become its inner ones."""
        index = index if index is not None else sympy.Dummy("i", integer=True)
        bodies = [sympy.sympify(b) for b in bodies]
        dependent = _unique([r for b in bodies for r in indexing.reductions(b) if r.has(index)])
        pairs = list(explicit) + [(sympy.Dummy(f"s{len(explicit) + k}", real=True), r)
                                  for k, r in enumerate(dependent)]
        bodies = [b.xreplace({r: h for h, r in pairs}) for b in bodies]
        inner, results = self._inners(pairs, index)
        index_arg = sympy.Dummy("i", real=True)
        loads, holders, exprs = self._reads(bodies, index, None)
        exprs = [e.xreplace({index: index_arg}) for e in exprs]
        args = self.known + [index_arg] + holders + results
        body = from_exprs(f"{self.name}_stage{len(self.stages)}", args, exprs)
        self.stages.append(Stage(kind, lo, hi, body, loads, inner, dest))

    def _temporary(self, reduction, k, lo, hi):
        """``t[k]``: a temporary vector holding ``reduction`` (a sum over another index whose
        terms depend on ``k``) for ``lo <= k <= hi``, computed by a stage of its own."""
        t = len(self.temps)
        base = sympy.IndexedBase(f"_t{t}", real=True)
        self.temps.append(self.bound(hi + 1))
        self.bases.append(base)
        self.slots = self.slots + ((len(self.lengths),),)
        self.lengths.append(None)
        self.add("elements", self.bound(lo), self.bound(hi + 1), [reduction], k, dest=t)
        return base[k]

    def _reads(self, bodies, index, outer, lane=None):
        """``(loads, their Dummies, bodies reading the Dummies)``: each element an argument."""
        # in a fixed order (a set's depends on hashes, which vary from process to process): the
        # same formula gives the same program, so the same cache key, in every process
        elements = _unique([e for b in bodies
                            for e in sorted(b.atoms(sympy.Indexed), key=sympy.default_sort_key)])
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
        return tuple(loads), holders, [b.xreplace(swap) for b in bodies]

    def _inner(self, reduction, outer, inner=None, results=None):
        """The inner Stage of ``reduction`` over its own index, inside the stage over ``outer``;
        a sum in its terms over a third index is a temporary vector computed before, one
        that moves with ``outer`` alone an inner reduction before it (appended to ``inner``
        and ``results``, the stage's lists) whose result its body takes."""
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
                inner.append(self._inner(r, outer, inner, results))
                results.append(holder)
                uses.append(len(inner) - 1)
                used.append(holder)
                function = function.xreplace({r: holder})
                continue
            if r.has(outer) or hi.has(outer) and r.has(k):
                raise LoweringError(f"{reduction}: sums nested three deep are not compiled yet")
            if r.has(k):
                # a range starting at the outer index (a suffix sum): the temporary from 0 on
                first = sympy.S.Zero if lo.has(outer) else lo
                function = function.xreplace({r: self._temporary(r, k, first, hi)})
        kind = "sum" if isinstance(reduction, sympy.Sum) else "prod"
        loads, holders, (body,) = self._reads([function], k, outer)
        i_arg, k_arg = sympy.Dummy("i", real=True), sympy.Dummy("k", real=True)
        body = body.xreplace({outer: i_arg, k: k_arg})
        program = from_exprs(f"{self.name}_stage{len(self.stages)}_inner",
                             self.known + [i_arg, k_arg] + holders + used, [body])
        return Stage(kind, self.bound(lo, outer), self.bound(hi + 1, outer), program, loads, uses=tuple(uses))

