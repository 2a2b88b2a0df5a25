"""Formulas over vectors of any length -> ``LoopProgram``: stages of loops over Programs.

A ``LoopProgram`` computes a formula whose arguments are scalars and vectors
(``pyexpr.indexing``) in stages, each a loop over an index range whose
bounds are affine in the vectors' lengths (``Bound``):

* ``"sum"``, ``"prod"``, ``"max"`` and ``"min"`` (``REDUCING``) reduce each
  output of their body over the range into a new scalar, which later stages
  read (reductions of one kind over one range share a stage: one pass over the
  data); ``"max"`` and ``"min"`` are numpy's, nan if any term is nan;
* ``"elements"`` stores its body's ``m`` outputs at ``out[i*m + k]`` for each
  ``i`` of the range (a vector output, of ``m`` columns: one stage per case
  of ``indexing.cases``);
* ``"scalar"`` evaluates its body once and stores each output at ``out[k]``;
* ``"cells"`` stores a matrix output's row ``i``, column by column (``Stage.cols``).

Every body is an ordinary ``Program``: its arguments are the scalars known
so far (``known``: the scalar arguments, the lengths, the reductions before
it), then the index ``i`` (as a float), then the elements it reads, each a
``Load`` ``vector[a*i + c]``.  So the code generators emit bodies as they
emit any Program and only add the loops, the loads and the stores.  Reductions
inside a stage that move with its index are its inner Stages.  This module is
the program's form, what its calls need of it (``plan``, ``stage_params``,
``reads``, ``outside``); ``ir.loop_build.from_indexed`` makes one.
"""
import math
from dataclasses import dataclass


#: the kinds of stage that reduce their terms to scalars, and each one's unit (the value
#: of no terms)
REDUCING = {"sum": 0.0, "prod": 1.0, "max": -math.inf, "min": math.inf}


@dataclass(frozen=True)
class Bound:
    """``const + sum(coef * length[v] for v, coef in terms)``, divided by ``div`` rounding
    down (the length of a slice with a step, ``ceiling(n/2)``, is ``(n + 1) // 2``), times
    ``times``, plus the bound ``plus`` (``n - 2*(n // 4)``, ``n // 2 - n // 4``: divisions
    beside others or the length itself), then ``+ outer*i + lane*c``: an index bound (``i``
    the enclosing stage's index, for the range and reads of an inner reduction; ``c`` a
    matrix output's column)."""
    terms: tuple
    const: int
    outer: int = 0
    div: int = 1
    #: the coefficient of a matrix output's column (a read of a cell's own sum: ``B[k, c]``)
    lane: int = 0
    times: int = 1
    plus: "Bound | None" = None

    def value(self, lengths, i=0, c=0):
        total = self.const
        for v, coef in self.terms:          # a loop: sum() of a generator costs 300 ns a call
            total += coef * lengths[v]
        if self.div != 1:
            total = total // self.div * self.times
            if self.plus is not None:
                total += self.plus.value(lengths)
        return total + self.outer * i + self.lane * c

    def __str__(self):
        text = " + ".join([f"{c}*len{v}" for v, c in self.terms] + ([f"{self.outer}*i"] if self.outer else [])
                          + ([f"{self.lane}*c"] if self.lane else []))
        text = f"{text} + {self.const}" if text else str(self.const)
        if self.div == 1:
            return text
        text = f"({text}) // {self.div}" + (f" * {self.times}" if self.times != 1 else "")
        return text if self.plus is None else f"{text} + {self.plus}"


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
    kind: str            # one of REDUCING | "elements" | "scalar" | "cells"
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
    #: per temporary, its number of dimensions (a temporary matrix takes two slots of
    #: ``temps``: a sum over a third index that moves with two others, ``U @ V.T`` inside a
    #: sum); empty when every temporary is a vector
    temp_dims: tuple = ()

    @property
    def temp_groups(self):
        """Per temporary, the slots of its dimensions."""
        dims = self.temp_dims or (1,) * len(self.temps)
        first = [self.argument_slots + sum(dims[:t]) for t in range(len(dims))]
        return [tuple(range(f, f + d)) for f, d in zip(first, dims)]

    def temp_elements(self, extended):
        """Per temporary, its number of elements at the extended lengths ``extended``."""
        counts = []
        for group in self.temp_groups:
            count = 1
            for slot in group:
                count *= max(extended[slot], 0)
            counts.append(count)
        return counts

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
        names = list(self.vector_names) + [f"_t{t}" for t in range(len(self.temp_groups))]

        def loads(stage, index):
            return ", ".join(f"{names[ld.vector]}[{'' if ld.row is None else f'{ld.row[0]}*{index} + {ld.row[1]}, '}"
                             f"{ld.a}*{index} + {ld.offset}]" for ld in stage.loads)
        lines = [f"loops {self.name}({', '.join(self.scalar_names)}; "
                 f"{', '.join(v + '[]' for v in self.vector_names)}):"]
        lines += [f"  temporary _t{t}[{', '.join(str(self.temps[k - self.argument_slots]) for k in group)}]"
                  for t, group in enumerate(self.temp_groups)]
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
            width = (sizes[self.temp_groups[st.dest][-1]] if st.dest is not None else
                     self.cols.value(sizes)) if st.kind == "cells" else 0
            steps.append((st.lo.value(sizes), st.hi.value(sizes), stage_params(st, sizes, width), at))
            if st.kind in REDUCING:
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
