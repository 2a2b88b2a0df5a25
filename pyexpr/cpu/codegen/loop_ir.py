"""``LoopProgram`` -> LLVM IR: one function that runs every stage as a real loop.

``build_module(lp, dtype, fastmath, target)`` defines

    i64 pyexpr_<name>_loops(T *scalars, T **vectors, i64 *lengths, T *out)

which first checks that every element any non-empty stage reads lies inside
its vector (else it returns ``1 + stage*65536 + load``, and the caller names
the argument), then runs the stages in order and returns 0; and, for threads,

    i64 pyexpr_<name>_check(i64 *lengths)
    void pyexpr_<name>_stage<s>(T *known, T **vectors, i64 *lengths, i64 c0, i64 c1, T *dst)

the check alone, and stage ``s`` on its chunks ``c0 <= c < c1`` (CHUNK
indices each, NESTED_CHUNK for a stage with inner reductions) with the
known scalars read from memory: a reduction writes
each chunk's partials to ``dst[(c - c0)*m + k]``, a vector output its rows to
``dst`` (the output).  Each stage's body is emitted by ``context.emit_body``
on ``W`` lanes at once (``vector_ir.VectorContext``, libmvec calls; ``W`` = 1
without a vector target), reading ``vector[a*i + c]`` as one vector load
where ``a`` is 1.

Summation order (``"sum"``, and ``"prod"``, ``"max"``, ``"min"`` alike) is fixed and documented,
the same for every ISA, lane count and thread count: the range is cut into
chunks of CHUNK terms; in a chunk, term ``t`` goes to accumulator ``t mod
8``, the eight start at 0 (1 for a product) and are combined as
((a0+a1)+(a2+a3)) + ((a4+a5)+(a6+a7)); the chunks' partials are then added
in order, left to right, from 0.  The last ``count mod 8`` terms of a chunk
(and the last ``count mod W`` elements of an ``"elements"`` stage) run the
same vector code with their indices clamped to the range, the extra lanes
discarded, so every term is computed by the same instructions wherever it sits.
"""
from llvmlite import ir

from ...ir.loops import REDUCING
from ..abi import CHUNK, GROUP, chunk_size, loop_names
from . import loopcall_ir
from .context import I64, Context, emit_body, for_range, function
from .loop_rows_ir import RowStages
from .vector_ir import VectorContext

I32 = ir.IntType(32)
def loop_symbol(lp):
    return loop_names(lp)["loops"]


def build_module(lp, dtype="float64", fastmath=False, target=None, entry=False):
    """The module; with ``entry``, also the builtin entry that calls ``loops`` from Python
    (``loopcall_ir``; it needs CPython's symbols to load)."""
    module = ir.Module(name=loop_symbol(lp))
    c = Context(module, dtype, fastmath)
    lanes = _Lanes(c, target)
    names = loop_names(lp)
    _define_check(c, lanes, lp, names["check"])
    stages = [_define_stage(c, lanes, lp, s, names[f"stage{s}"]) for s in range(len(lp.stages))]
    loops = _define_loops(c, lanes, lp, names["loops"], stages)
    if entry:           # called by both entries: inlined into neither (it would be compiled thrice)
        loops.attributes.add("noinline")
        loopcall_ir.define_entry(module, loops, len(lp.vector_names), names["call"])
        loopcall_ir.define_head(module, loops, len(lp.scalar_names), len(lp.vector_names), dtype, names["head"])
    return module


def _define_loops(c, lanes, lp, name, stages):
    """The whole program in one call: the check, then each stage's function over all its
    chunks (a reduction's one chunk at a time, its partials added in chunk order)."""
    fn, b = function(c, name, I64, [c.fptr, c.fptr.as_pointer(), I64.as_pointer(), c.fptr])
    scalars, vectors, lengths, out = fn.args
    vectors, lengths, temps = _with_temporaries(c, lanes, b, lp, vectors, lengths)
    g = _Generator(c, lanes, b, lp, vectors, lengths)
    total = len(lp.scalar_names) + len(lp.length_vectors) + sum(
        len(st.body.outputs) for st in lp.stages if st.kind in REDUCING)
    known = b.alloca(ir.ArrayType(c.ftype, max(total, 1)))
    known = b.bitcast(known, c.fptr)
    values = [b.load(b.gep(scalars, [g.const(k)])) for k in range(len(lp.scalar_names))]
    values += [b.sitofp(g.lengths[v], c.ftype) for v in lp.length_vectors]
    for k, value in enumerate(values):
        b.store(value, b.gep(known, [g.const(k)]))
    g.check_bounds()
    malloc = c.declare("malloc", ir.IntType(8).as_pointer(), [I64])
    buffers = []
    for t, group in enumerate(temps):
        size = g.const(c.itemsize)
        for slot in group:
            size = b.mul(size, g.smax(g.lengths[slot], g.const(1)))
        buffers.append(b.call(malloc, [size]))
        b.store(b.bitcast(buffers[-1], c.fptr), b.gep(vectors, [g.const(len(lp.vector_names) + t)]))
    filled = len(values)
    for stage, stage_fn in zip(lp.stages, stages):
        call = lambda c0, c1, dst: b.call(stage_fn, [known, vectors, lengths, c0, c1, dst])  # noqa: E731
        lo, hi = g.bound(stage.lo), g.bound(stage.hi)
        size = chunk_size(stage)
        chunks = b.sdiv(b.add(g.smax(b.sub(hi, lo), g.const(0)), g.const(size - 1)), g.const(size))
        if stage.kind == "scalar":
            call(g.const(0), g.const(1), out)
        elif stage.kind in ("elements", "cells"):
            call(g.const(0), chunks, out if stage.dest is None else b.bitcast(buffers[stage.dest], c.fptr))
        else:
            filled += g.fold_chunks(stage, chunks, call, known, filled)
    free = c.declare("free", ir.VoidType(), [ir.IntType(8).as_pointer()])
    for buffer in buffers:
        b.call(free, [buffer])
    b.ret(ir.Constant(I64, 0))
    return fn


def _with_temporaries(c, lanes, b, lp, vectors, lengths):
    """``(vectors, lengths, temporaries' slots)``: the argument tables, extended (on the
    stack) by the temporary vectors' lengths; their pointers are filled in after the check."""
    if not lp.temps:
        return vectors, lengths, []
    args = _Generator(c, lanes, b, lp, None, lengths, lp.argument_slots)
    table = b.bitcast(b.alloca(ir.ArrayType(I64, lp.slot_count)), I64.as_pointer())
    sizes = args.lengths + [args.bound(t) for t in lp.temps]
    for k, size in enumerate(sizes):
        b.store(size, b.gep(table, [ir.Constant(I64, k)]))
    count = len(lp.vector_names) + len(lp.temp_groups)
    pointers = b.bitcast(b.alloca(ir.ArrayType(c.fptr, count)), c.fptr.as_pointer())
    for k in range(len(lp.vector_names)):
        b.store(b.load(b.gep(vectors, [ir.Constant(I64, k)])), b.gep(pointers, [ir.Constant(I64, k)]))
    return pointers, table, lp.temp_groups


def _define_check(c, lanes, lp, name):
    fn, b = function(c, name, I64, [I64.as_pointer()])
    g = _Generator(c, lanes, b, lp, None, fn.args[0])
    g.check_bounds()
    b.ret(ir.Constant(I64, 0))


def _define_stage(c, lanes, lp, s, name):
    fn, b = function(c, name, ir.VoidType(), [c.fptr, c.fptr.as_pointer(), I64.as_pointer(), I64, I64,
                                                c.fptr])
    known_ptr, vectors, lengths, c0, c1, dst = fn.args
    g = _Generator(c, lanes, b, lp, vectors, lengths)
    stage = lp.stages[s]
    known = [b.load(b.gep(known_ptr, [ir.Constant(I64, k)])) for k in range(stage.known_count)]
    g.stage(stage, known, dst, (c0, c1))
    b.ret_void()
    fn.attributes.add("noinline")       # one copy of each stage's loops
    return fn


class _Range:
    """A column range as ``check_bounds`` reads an inner reduction's: ``lo``, ``hi``."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi


class _Lanes:
    """The width stages are emitted at: ``W`` lanes of a vector target (at most GROUP),
    or one lane (scalars) without one."""

    def __init__(self, c, target):
        if target is not None and target.lanes(c.dtype) > GROUP:
            # float32 on AVX-512: GROUP lanes of the AVX2 spelling, which every AVX-512 host has
            target = type(target)("avx2", target.available)
        self.v = VectorContext(c, target) if target is not None else c
        self.width = self.v.lanes


class _Generator(RowStages):
    def __init__(self, c, lanes, b, lp, vectors, lengths, slots=None):
        self.c, self.v, self.w, self.b, self.lp = c, lanes.v, lanes.width, b, lp
        self.outer = None           # the enclosing index (i64) while an inner reduction is emitted
        self.column = None          # a matrix output's column (i64) while its bounds are checked
        slots = lp.slot_count if slots is None else slots
        self.lengths = [b.load(b.gep(lengths, [ir.Constant(I64, k)])) for k in range(slots)]
        self.vectors = None if vectors is None else \
            [b.load(b.gep(vectors, [ir.Constant(I64, k)])) for k in range(len(lp.vector_names) + len(lp.temp_groups))]

    # --- integers -----------------------------------------------------------------
    def const(self, k):
        return ir.Constant(I64, k)

    def bound(self, bound):
        """``Bound.value`` in i64: the lengths' part divided (rounding down, a chain of
        such), then the enclosing index's and the column's parts."""
        value = self.const(bound.const)
        for vec, coef in bound.terms:
            value = self.b.add(value, self.b.mul(self.const(coef), self.lengths[vec]))
        if bound.div != 1:                  # rounding down, as Bound.value does
            quotient = self.b.sdiv(value, self.const(bound.div))
            below = self.b.icmp_signed("<", self.b.srem(value, self.const(bound.div)), self.const(0))
            value = self.b.sub(quotient, self.b.zext(below, I64))
            if bound.times != 1:
                value = self.b.mul(value, self.const(bound.times))
            if bound.plus is not None:
                value = self.b.add(value, self.bound(bound.plus))
        if bound.outer:                     # an inner reduction's: the enclosing index
            value = self.b.add(value, self.b.mul(self.const(bound.outer), self.outer))
        if bound.lane:                      # a cell sum's read: the column (lanes: _cell_load)
            value = self.b.add(value, self.b.mul(self.const(bound.lane), self.column))
        return value

    def smin(self, x, y):
        return self.b.select(self.b.icmp_signed("<", x, y), x, y)

    def smax(self, x, y):
        return self.b.select(self.b.icmp_signed(">", x, y), x, y)

    def check_bounds(self):
        """Return ``1 + stage*65536 + load`` from the function where a non-empty stage
        would read outside a vector."""
        b = self.b
        for s, stage in enumerate(self.lp.stages):
            lo, hi = self.bound(stage.lo), self.bound(stage.hi)
            nonempty = b.icmp_signed("<", lo, hi)
            ends = (lo, b.sub(hi, self.const(1)))
            checks = [(load, lo, hi, None, None) for load in stage.loads]
            if stage.cols is not None:      # a matrix output's cells: their columns at each end row
                across = _Range(*stage.cols)
                checks = [(load, across, end, True, None) for end in ends for load in stage.loads]
            for inner in stage.inner:       # the order of ``ir.loops.reads``
                checks += [(load, inner, end, True, None) for end in ends for load in inner.loads]
            for inner in stage.cell_inner:  # a cell's sums: at each end row, at each end column
                checks += [(load, inner, end, True, side) for end in ends for side in (0, 1)
                           for load in inner.loads]
            for k, (load, lo_or_inner, hi_or_end, nested, side) in enumerate(checks):
                if nested:
                    self.outer = hi_or_end
                    first, last = self.bound(lo_or_inner.lo), self.bound(lo_or_inner.hi)
                    here = b.and_(nonempty, b.icmp_signed("<", first, last))
                else:
                    first, last, here = lo_or_inner, hi_or_end, nonempty
                if side is not None:
                    start, stop = (self.bound(x) for x in stage.cols)
                    here = b.and_(here, b.icmp_signed("<", start, stop))
                    self.column = start if side == 0 else b.sub(stop, self.const(1))
                outside = ir.Constant(ir.IntType(1), 0)
                for a, offset, slot in load.dims():
                    offset = self.bound(offset)
                    start = b.add(b.mul(self.const(a), first), offset)
                    end = b.add(b.mul(self.const(a), b.sub(last, self.const(1))), offset)
                    low, high = self.smin(start, end), self.smax(start, end)
                    outside = b.or_(outside, b.or_(b.icmp_signed("<", low, self.const(0)),
                                                   b.icmp_signed(">=", high, self.lengths[slot])))
                self.outer = self.column = None
                with b.if_then(b.and_(here, outside), likely=False):
                    b.ret(self.const(1 + s * 65536 + k))

    # --- lanes --------------------------------------------------------------------
    def splat(self, x):
        if self.w == 1:
            return x
        vtype = ir.VectorType(x.type, self.w)
        undef = ir.Constant(vtype, ir.Undefined)
        first = self.b.insert_element(undef, x, ir.Constant(I32, 0))
        return self.b.shuffle_vector(first, undef, ir.Constant(ir.VectorType(I32, self.w), [0] * self.w))

    def lane_indices(self, base):
        """``base + (0, 1, ..., W-1)``: the i64 index of each lane."""
        if self.w == 1:
            return [base]
        return [self.b.add(base, self.const(k)) for k in range(self.w)]

    def gather(self, scalars):
        """One value of ``W`` lanes from ``W`` scalars."""
        if self.w == 1:
            return scalars[0]
        value = ir.Constant(self.v.vtype, ir.Undefined)
        for k, x in enumerate(scalars):
            value = self.b.insert_element(value, x, ir.Constant(I32, k))
        return value

    def lanes_of(self, value):
        if self.w == 1:
            return [value]
        return [self.b.extract_element(value, ir.Constant(I32, k)) for k in range(self.w)]

    # --- a body on W lanes ----------------------------------------------------------
    def body(self, stage, known, first, clamp_to=None, extra=(), lanes=()):
        """The body's outputs on the lanes ``first, first + 1, ...`` (each index clamped
        to ``clamp_to`` when given: the tail, whose extra lanes are discarded).  Inside a
        stage's inner reduction the enclosing index comes before the body's own; ``extra``
        (a stage's inner results) after its loads."""
        b, c = self.b, self.c
        indices = self.lane_indices(first)
        if clamp_to is not None:
            indices = [self.smin(i, clamp_to) for i in indices]
        index = self.gather([b.sitofp(i, c.ftype) for i in indices])
        values = [self.splat(k) for k in known]
        if self.outer is not None:
            values.append(self.splat(b.sitofp(self.outer, c.ftype)))
        values.append(index)
        for load in stage.loads:
            values.append(self.load(load, first, indices, contiguous=clamp_to is None))
        values += [self.splat(x) for x in extra]
        values += list(lanes)                   # values already on the W lanes (a cell's sums)
        return emit_body(self.v, b, stage.body, values)

    def load(self, load, first, indices, contiguous):
        b = self.b
        base = self.vectors[load.vector]
        offset = self.bound(load.offset)
        if load.row is not None:                # a matrix: its row's start, then as a vector
            row_a, row_offset, _ = load.row
            if row_a != 0:
                return self._gather_matrix(load, indices)
            start = b.mul(self.bound(row_offset), self.lengths[load.slot])
            base = b.gep(base, [start], inbounds=True)
        if load.a == 0:
            return self.splat(b.load(b.gep(base, [offset], inbounds=True)))
        if load.a == 1 and contiguous and self.w > 1:
            ptr = b.gep(base, [b.add(first, offset)], inbounds=True)
            return b.load(b.bitcast(ptr, self.v.vtype.as_pointer()), align=self.c.itemsize)
        at = [b.add(b.mul(self.const(load.a), i), offset) for i in indices]
        return self.gather([b.load(b.gep(base, [k], inbounds=True)) for k in at])

    def _gather_matrix(self, load, indices):
        """A matrix read whose row moves with the index (a column, a diagonal): lane by lane."""
        b = self.b
        row_a, row_offset, _ = load.row
        cols = self.lengths[load.slot]
        values = []
        for i in indices:
            row = b.add(b.mul(self.const(row_a), i), self.bound(row_offset))
            col = b.add(b.mul(self.const(load.a), i), self.bound(load.offset))
            at = b.add(b.mul(row, cols), col)
            values.append(b.load(b.gep(self.vectors[load.vector], [at], inbounds=True)))
        return self.gather(values)

    # --- stages -------------------------------------------------------------------
    def stage(self, stage, known, out, chunks):
        """Emit ``stage`` on its chunks ``(c0, c1)``: a reduction's partials stored in
        ``out``, chunk by chunk; a vector output's rows; a scalar stage's outputs."""
        b = self.b
        lo, hi = self.bound(stage.lo), self.bound(stage.hi)
        if stage.kind == "cells":
            self._cells(stage, known, lo, hi, chunks, out)
        elif stage.inner:
            self._nested(stage, known, lo, hi, chunks, out)
        elif stage.kind == "scalar":
            saved, self.w, self.v = (self.w, self.v), 1, self.c
            for k, value in enumerate(self.body(stage, known, lo)):
                b.store(value, b.gep(out, [self.const(k)]))
            self.w, self.v = saved
        elif stage.kind == "elements":
            first = self.smin(b.add(lo, b.mul(chunks[0], self.const(CHUNK))), hi)
            last = self.smin(b.add(lo, b.mul(chunks[1], self.const(CHUNK))), hi)
            self.elements(stage, known, first, last, out)
        else:
            self.reduce(stage, known, lo, hi, chunks, out)

    def elements(self, stage, known, lo, hi, out, extra=(), more=None):
        """``out[i]`` for ``lo <= i < hi`` on W lanes; ``more(first, clamp_to)``, where given,
        the values on the lanes the body takes last (a matrix output's cell sums)."""
        if len(stage.body.outputs) > 1:
            return self._columns(stage, known, lo, hi, out)
        b, vptr = self.b, self.v.vtype.as_pointer()
        count = self.smax(b.sub(hi, lo), self.const(0))
        steps = b.sdiv(count, self.const(self.w))
        more = more or (lambda first, clamp_to: ())

        def step(s):
            first = b.add(lo, b.mul(s, self.const(self.w)))
            value, = self.body(stage, known, first, extra=extra, lanes=more(first, None))
            ptr = b.gep(out, [first], inbounds=True)
            b.store(value, b.bitcast(ptr, vptr) if self.w > 1 else ptr, align=self.c.itemsize)
        for_range(b, steps, step, name="elements")
        if self.w == 1:
            return
        first = b.add(lo, b.mul(steps, self.const(self.w)))
        rest = b.sub(hi, first)
        with b.if_then(b.icmp_signed(">", rest, self.const(0)), likely=False):
            last = b.sub(hi, self.const(1))
            value, = self.body(stage, known, first, clamp_to=last, extra=extra, lanes=more(first, last))
            for k, x in enumerate(self.lanes_of(value)):
                with b.if_then(b.icmp_signed(">", rest, self.const(k))):
                    b.store(x, b.gep(out, [b.add(first, self.const(k))], inbounds=True))

    def _columns(self, stage, known, lo, hi, out):
        """An ``"elements"`` stage of ``m`` outputs: row ``i`` at ``out[i*m : i*m + m]``, one
        element at a time (rows of several columns are no vector's lanes)."""
        b, m = self.b, len(stage.body.outputs)
        saved, self.w, self.v = (self.w, self.v), 1, self.c

        def row(k):
            i = b.add(lo, k)
            for column, value in enumerate(self.body(stage, known, i)):
                at = b.add(b.mul(i, self.const(m)), self.const(column))
                b.store(value, b.gep(out, [at], inbounds=True))
        for_range(b, self.smax(b.sub(hi, lo), self.const(0)), row, name="rows")
        self.w, self.v = saved

    def reduce(self, stage, known, lo, hi, chunks, partials):
        """Each chunk's partials (``chunk_partials``), chunk ``c0 + k`` at ``partials[k*m:]``."""
        b, m = self.b, len(stage.body.outputs)
        c0, c1 = chunks

        def chunk(k):
            first = b.add(lo, b.mul(b.add(c0, k), self.const(CHUNK)))
            last = self.smin(b.add(first, self.const(CHUNK)), hi)
            for j, part in enumerate(self.chunk_partials(stage, known, first, last)):
                b.store(part, b.gep(partials, [b.add(b.mul(k, self.const(m)), self.const(j))]))
        for_range(b, b.sub(c1, c0), chunk, name="chunks")

    def fold_chunks(self, stage, chunks, call, known, at):
        """Call a reduction stage chunk by chunk, adding the partials in chunk order into
        ``known[at:]``; the number of results."""
        b, c = self.b, self.c
        m, combine = len(stage.body.outputs), self._combine(stage)
        parts = b.bitcast(self._slots(ir.ArrayType(c.ftype, m), 1)[0], c.fptr)
        for k in range(m):
            b.store(c.const(self._unit(stage)), b.gep(known, [self.const(at + k)]))

        def chunk(index):
            call(index, b.add(index, self.const(1)), parts)
            for k in range(m):
                slot = b.gep(known, [self.const(at + k)])
                b.store(combine(b.load(slot), b.load(b.gep(parts, [self.const(k)]))), slot)
        for_range(b, chunks, chunk, name="chunks")
        return m

    def _combine(self, stage):
        b, flags = self.b, self.c.flags
        if stage.kind == "prod":
            return lambda x, y: b.fmul(x, y, flags=flags)
        if stage.kind in ("max", "min"):
            return lambda x, y: self._extreme(stage.kind, x, y)
        return lambda x, y: b.fadd(x, y, flags=flags)

    def _extreme(self, kind, x, y):
        """numpy's maximum (minimum) of ``x`` and ``y``: a nan ``x`` stays, else ``y`` where it
        is larger (smaller) or nan.  Compares and selects, no fast-math flags: they would
        let a nan go."""
        b = self.b
        taken = b.fcmp_unordered(">" if kind == "max" else "<", y, x)
        return b.select(b.fcmp_unordered("uno", x, x), x, b.select(taken, y, x))

    @staticmethod
    def _unit(stage):
        return REDUCING[stage.kind]

    def _slots(self, vtype, count):
        """``count`` stack slots of ``vtype`` in the entry block, where mem2reg finds them."""
        b = self.b
        here = b.block
        b.position_at_start(b.function.entry_basic_block)
        slots = [b.alloca(vtype) for _ in range(count)]
        b.position_at_end(here)
        return slots

    def chunk_partials(self, stage, known, lo, hi, extra=()):
        """Each output's sum over ``lo <= i < hi`` in the documented order (8 accumulators)."""
        b = self.b
        m, combine = len(stage.body.outputs), self._combine(stage)
        per_step = GROUP // self.w
        accs = [self._slots(self.v.vtype, per_step) for _ in range(m)]
        for slots in accs:
            for acc in slots:
                b.store(self.v.const(self._unit(stage)), acc)
        count = self.smax(b.sub(hi, lo), self.const(0))
        steps = b.sdiv(count, self.const(GROUP))

        def step(s):
            first = b.add(lo, b.mul(s, self.const(GROUP)))
            for u in range(per_step):
                terms = self.body(stage, known, b.add(first, self.const(u * self.w)), extra=extra)
                for slots, term in zip(accs, terms):
                    b.store(combine(b.load(slots[u]), term), slots[u])
        for_range(b, steps, step, name=stage.kind)
        first = b.add(lo, b.mul(steps, self.const(GROUP)))
        rest = b.sub(hi, first)
        with b.if_then(b.icmp_signed(">", rest, self.const(0)), likely=False):
            last = b.sub(hi, self.const(1))
            for u in range(per_step):
                terms = self.body(stage, known, b.add(first, self.const(u * self.w)), clamp_to=last, extra=extra)
                positions = ir.Constant(ir.VectorType(I64, self.w), [u * self.w + k for k in range(self.w)]) \
                    if self.w > 1 else self.const(u)
                keep = b.icmp_signed("<", positions, self.splat(rest))
                for slots, term in zip(accs, terms):
                    old = b.load(slots[u])
                    b.store(b.select(keep, combine(old, term), old), slots[u])
        results = []
        for slots in accs:
            parts = [x for acc in slots for x in self.lanes_of(b.load(acc))]
            while len(parts) > 1:
                parts = [combine(parts[k], parts[k + 1]) for k in range(0, len(parts), 2)]
            results.append(parts[0])
        return results
