"""The stages of a ``LoopProgram`` whose rows run one at a time (``loop_ir``'s ``_Generator``
inherits them): a stage with inner reductions (``_nested``: each inner reduction a SIMD
loop over its own index at the current row, running sums gaining a term per row) and a
matrix output's ``"cells"`` (``_cells``: the row's sums, then its columns on W lanes,
each group of columns running its sums along both indices in order of their index);
its chunks of ``abi.NESTED_CHUNK`` rows.
"""
import dataclasses

from ...ir.loops import scan
from ..abi import CHUNK, NESTED_CHUNK, chunk_size, scan_direction
from .context import emit_body, for_range

class RowStages:
    """The row-at-a-time stage emitters; the lane, load and reduction helpers they call
    (``bound``, ``body``, ``elements``, ``chunk_partials`` ...) are ``loop_ir._Generator``'s."""

    def _cells(self, stage, known, lo, hi, chunks, out):
        """A matrix output's rows ``i`` of the chunks: the row's inner reductions, then its
        columns as an ``"elements"`` loop on W lanes into ``out[i*cols:]``."""
        b = self.b
        size = self.const(NESTED_CHUNK)
        first = self.smin(b.add(lo, b.mul(chunks[0], size)), hi)
        last = self.smin(b.add(lo, b.mul(chunks[1], size)), hi)
        # a matrix output's columns, or a temporary matrix's (its own rows' stride)
        width = self.lengths[self.lp.temp_groups[stage.dest][-1]] if stage.dest is not None \
            else self.bound(self.lp.cols)

        def row(t):
            i = b.add(first, t)
            self.outer = i
            totals = self._inner_totals(stage, known)
            start, end = (self.bound(x) for x in stage.cols)
            sums = (lambda first, clamp_to: [self._cell_sum(inner, known, first, clamp_to)
                                              for inner in stage.cell_inner]) if stage.cell_inner else None
            self.elements(stage, known, start, end, b.gep(out, [b.mul(i, width)], inbounds=True), totals, sums)
            self.outer = None
        for_range(b, self.smax(b.sub(last, first), self.const(0)), row, name="rows")

    def _cell_sum(self, inner, known, first, clamp_to):
        """A matrix output's sum along both indices for the columns on the lanes from
        ``first`` (clamped to ``clamp_to``), its terms added in order of its index."""
        b, c = self.b, self.c
        columns = self.lane_indices(first)
        if clamp_to is not None:
            columns = [self.smin(x, clamp_to) for x in columns]
        lanes = self.gather([b.sitofp(x, c.ftype) for x in columns])
        total = self._slots(self.v.vtype, 1)[0]
        b.store(self.v.const(self._unit(inner)), total)
        combine = self._combine(inner)
        lo, hi = self.bound(inner.lo), self.bound(inner.hi)

        def term(t):
            k = b.add(lo, t)
            values = [self.splat(x) for x in known] + [self.splat(b.sitofp(self.outer, c.ftype)), lanes,
                                                        self.splat(b.sitofp(k, c.ftype))]
            values += [self._cell_load(load, k, columns, clamp_to is None) for load in inner.loads]
            value, = emit_body(self.v, b, inner.body, values)
            b.store(combine(b.load(total), value), total)
        for_range(b, self.smax(b.sub(hi, lo), self.const(0)), term, name="cell")
        return b.load(total)

    def _cell_load(self, load, k, columns, contiguous):
        """A cell sum's read at its index ``k`` for the lanes' ``columns``: one vector load
        where it moves along a row with the column, one number where it does not move."""
        b = self.b

        def at(a, offset, column):          # the index a*k + offset for one lane's column
            fixed = self.bound(dataclasses.replace(offset, lane=0))
            value = b.add(b.mul(self.const(a), k), fixed)
            return b.add(value, b.mul(self.const(offset.lane), column)) if offset.lane else value
        (a, offset, _), row = load.dims()[-1], load.row
        base = self.vectors[load.vector]
        if row is not None and row[1].lane == 0:        # the row does not move with the column
            start = b.mul(at(row[0], row[1], None), self.lengths[load.slot])
            base, row = b.gep(base, [start], inbounds=True), None
        if row is None and offset.lane == 0:
            return self.splat(b.load(b.gep(base, [at(a, offset, None)], inbounds=True)))
        if row is None and offset.lane == 1 and contiguous and self.w > 1:
            ptr = b.gep(base, [at(a, offset, columns[0])], inbounds=True)
            return b.load(b.bitcast(ptr, self.v.vtype.as_pointer()), align=self.c.itemsize)
        values = []
        for column in columns:
            index = at(a, offset, column)
            if row is not None:
                index = b.add(b.mul(at(row[0], row[1], column), self.lengths[load.slot]), index)
            values.append(b.load(b.gep(base, [index], inbounds=True)))
        return self.gather(values)

    def _nested(self, stage, known, lo, hi, chunks, out):
        """A stage with inner reductions: its own index one at a time (each inner reduction
        a SIMD loop over its index, in the chunked order), a reduction's terms added in
        order within each chunk.  A running sum (``ir.loops.scan``) is computed in full at
        a chunk's first row and then gains one term per row, the rows running downwards
        for a suffix sum."""
        b, c, m = self.b, self.c, len(stage.body.outputs)
        lanes = (self.w, self.v)
        direction = scan_direction(stage)
        running = {q: self._slots(c.ftype, 1)[0] for q, inner in enumerate(stage.inner)
                   if scan(inner, stage.known_count) == direction and direction}

        def outputs(i, starting):
            totals = []
            for q, inner in enumerate(stage.inner):
                self.outer = i
                if q in running:
                    totals.append(self._running(inner, known, running[q], starting, direction))
                else:
                    totals.append(self._inner_total(inner, known, [totals[u] for u in inner.uses]))
            self.outer, (self.w, self.v) = None, (1, c)
            values = self.body(stage, known, i, extra=totals)
            self.w, self.v = lanes
            return values

        def rows(first, last, each):
            """``each(i, starting)`` for the rows ``first <= i < last``, downwards for suffixes."""
            def step(t):
                i = b.sub(b.sub(last, self.const(1)), t) if direction == "suffix" else b.add(first, t)
                each(i, b.icmp_signed("==", t, self.const(0)))
            for_range(b, self.smax(b.sub(last, first), self.const(0)), step, name="rows")
        c0, c1 = chunks
        size = self.const(chunk_size(stage))
        if stage.kind == "elements":
            first = self.smin(b.add(lo, b.mul(c0, size)), hi)
            last = self.smin(b.add(lo, b.mul(c1, size)), hi)

            def row(i, starting):
                for column, value in enumerate(outputs(i, starting)):
                    b.store(value, b.gep(out, [b.add(b.mul(i, self.const(m)), self.const(column))]))
            rows(first, last, row)
            return
        combine, unit = self._combine(stage), self._unit(stage)

        def chunk(k):
            first = b.add(lo, b.mul(b.add(c0, k), size))
            last = self.smin(b.add(first, size), hi)
            accs = self._slots(c.ftype, m)
            for acc in accs:
                b.store(c.const(unit), acc)

            def term(i, starting):
                for acc, value in zip(accs, outputs(i, starting)):
                    b.store(combine(b.load(acc), value), acc)
            rows(first, last, term)
            for j, acc in enumerate(accs):
                b.store(b.load(acc), b.gep(out, [b.add(b.mul(k, self.const(m)), self.const(j))]))
        for_range(b, b.sub(c1, c0), chunk, name="chunks")

    def _running(self, inner, known, slot, starting, direction):
        """A running sum at the current row: in full where ``starting``, else the last
        row's plus the one term the range gained (its end, or its start going down).  A
        range still empty at this row (``Sum(x[i], (i, j + 2, n - 1))`` near the end) is the
        unit: no term is read there (it would lie outside the vector), and the first row
        where it is not empty holds one term."""
        b = self.b
        with b.if_else(starting) as (full, step):
            with full:
                b.store(self._inner_total(inner, known), slot)
            with step:
                lo, hi = self.bound(inner.lo), self.bound(inner.hi)
                with b.if_else(b.icmp_signed("<", lo, hi)) as (grown, empty):
                    with grown:
                        index = b.sub(hi, self.const(1)) if direction == "prefix" else lo
                        lanes, (self.w, self.v) = (self.w, self.v), (1, self.c)
                        term, = self.body(inner, known, index)
                        self.w, self.v = lanes
                        b.store(self._combine(inner)(b.load(slot), term), slot)
                    with empty:
                        b.store(self.c.const(self._unit(inner)), slot)
        return b.load(slot)

    def _inner_totals(self, stage, known):
        """Each inner reduction of ``stage`` at the current enclosing index, in order (a
        later one reading earlier ones' results, ``Stage.uses``)."""
        totals = []
        for inner in stage.inner:
            totals.append(self._inner_total(inner, known, [totals[u] for u in inner.uses]))
        return totals

    def _inner_total(self, inner, known, extra=()):
        """An inner reduction at the current enclosing index, in the chunked order."""
        b, c = self.b, self.c
        combine = self._combine(inner)
        lo, hi = self.bound(inner.lo), self.bound(inner.hi)
        count = self.smax(b.sub(hi, lo), self.const(0))
        total = self._slots(c.ftype, 1)[0]
        b.store(c.const(self._unit(inner)), total)

        def chunk(k):
            first = b.add(lo, b.mul(k, self.const(CHUNK)))
            last = self.smin(b.add(first, self.const(CHUNK)), hi)
            part, = self.chunk_partials(inner, known, first, last, extra)
            b.store(combine(b.load(total), part), total)
        for_range(b, b.sdiv(b.add(count, self.const(CHUNK - 1)), self.const(CHUNK)), chunk, name="inner")
        return b.load(total)
