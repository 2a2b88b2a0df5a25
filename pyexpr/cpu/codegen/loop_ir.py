"""``LoopProgram`` -> LLVM IR: one function that runs every stage as a real loop.

``build_module(lp, dtype, fastmath, target)`` defines

    i64 pyexpr_<name>_loops(T *scalars, T **vectors, i64 *lengths, T *out)

which first checks that every element any non-empty stage reads lies inside
its vector (else it returns ``1 + stage*65536 + load``, and the caller names
the argument), then runs the stages in order and returns 0.  Each stage's
body is emitted by ``context.emit_body`` on ``W`` lanes at once
(``vector_ir.VectorContext``, libmvec calls; ``W`` = 1 without a vector
target), reading ``vector[a*i + c]`` as one vector load where ``a`` is 1.

Summation order (``"sum"``, and ``"prod"`` alike) is fixed and documented,
the same for every ISA and lane count: term ``t`` of the range (``t = i -
lo``) goes to accumulator ``t mod 8``; the eight accumulators start at 0 (1
for a product) and are combined at the end as ((a0+a1)+(a2+a3)) +
((a4+a5)+(a6+a7)).  The last ``count mod 8`` terms (and the last ``count mod
W`` elements of an ``"elements"`` stage) run the same vector code with their
indices clamped to the range, the extra lanes discarded, so every term is
computed by the same instructions wherever it sits.
"""
from llvmlite import ir

from ..abi import entry_names
from .context import I64, Context, emit_body, for_range, function
from .vector_ir import VectorContext

I32 = ir.IntType(32)
#: terms per step of a reduction: accumulator k sums terms k, k + GROUP, k + 2*GROUP, ...
GROUP = 8


def loop_symbol(lp):
    return entry_names(lp)["scalar"] + "_loops"


def build_module(lp, dtype="float64", fastmath=False, target=None):
    module = ir.Module(name=loop_symbol(lp))
    c = Context(module, dtype, fastmath)
    lanes = _Lanes(c, target)
    fn, b = function(c, loop_symbol(lp), I64, [c.fptr, c.fptr.as_pointer(), I64.as_pointer(), c.fptr])
    scalars, vectors, lengths, out = fn.args
    for arg in (scalars, vectors, lengths, out):
        arg.add_attribute("noalias")
    g = _Generator(c, lanes, b, out)
    g.lengths = [b.load(b.gep(lengths, [ir.Constant(I64, k)])) for k in range(len(lp.vector_names))]
    g.vectors = [b.load(b.gep(vectors, [ir.Constant(I64, k)])) for k in range(len(lp.vector_names))]
    known = [b.load(b.gep(scalars, [ir.Constant(I64, k)])) for k in range(len(lp.scalar_names))]
    known += [b.sitofp(g.lengths[v], c.ftype) for v in lp.length_vectors]
    g.check_bounds(lp.stages)
    for stage in lp.stages:
        result = g.stage(stage, known)
        if result is not None:
            known.append(result)
    b.ret(ir.Constant(I64, 0))
    return module


class _Lanes:
    """The width stages are emitted at: ``W`` lanes of a vector target (at most GROUP),
    or one lane (scalars) without one."""

    def __init__(self, c, target):
        if target is not None and target.lanes(c.dtype) > GROUP:
            # float32 on AVX-512: GROUP lanes of the AVX2 spelling, which every AVX-512 host has
            target = type(target)("avx2", target.available)
        self.v = VectorContext(c, target) if target is not None else c
        self.width = self.v.lanes


class _Generator:
    def __init__(self, c, lanes, b, out):
        self.c, self.v, self.w, self.b, self.out = c, lanes.v, lanes.width, b, out

    # --- integers -----------------------------------------------------------------
    def const(self, k):
        return ir.Constant(I64, k)

    def bound(self, bound):
        value = self.const(bound.const)
        for vec, coef in bound.terms:
            value = self.b.add(value, self.b.mul(self.const(coef), self.lengths[vec]))
        return value

    def smin(self, x, y):
        return self.b.select(self.b.icmp_signed("<", x, y), x, y)

    def smax(self, x, y):
        return self.b.select(self.b.icmp_signed(">", x, y), x, y)

    def check_bounds(self, stages):
        """Return ``1 + stage*65536 + load`` from the function where a non-empty stage
        would read outside a vector."""
        b = self.b
        for s, stage in enumerate(stages):
            lo, hi = self.bound(stage.lo), self.bound(stage.hi)
            nonempty = b.icmp_signed("<", lo, hi)
            for k, load in enumerate(stage.loads):
                offset = self.bound(load.offset)
                first = b.add(b.mul(self.const(load.a), lo), offset)
                last = b.add(b.mul(self.const(load.a), b.sub(hi, self.const(1))), offset)
                low, high = self.smin(first, last), self.smax(first, last)
                outside = b.or_(b.icmp_signed("<", low, self.const(0)),
                                b.icmp_signed(">=", high, self.lengths[load.vector]))
                with b.if_then(b.and_(nonempty, outside), likely=False):
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
    def body(self, stage, known, first, clamp_to=None):
        """The body's outputs on the lanes ``first, first + 1, ...`` (each index clamped
        to ``clamp_to`` when given: the tail, whose extra lanes are discarded)."""
        b, c = self.b, self.c
        indices = self.lane_indices(first)
        if clamp_to is not None:
            indices = [self.smin(i, clamp_to) for i in indices]
        index = self.gather([b.sitofp(i, c.ftype) for i in indices])
        values = [self.splat(k) for k in known] + [index]
        for load in stage.loads:
            values.append(self.load(load, first, indices, contiguous=clamp_to is None))
        return emit_body(self.v, b, stage.body, values)

    def load(self, load, first, indices, contiguous):
        b = self.b
        base = self.vectors[load.vector]
        offset = self.bound(load.offset)
        if load.a == 0:
            return self.splat(b.load(b.gep(base, [offset], inbounds=True)))
        if load.a == 1 and contiguous and self.w > 1:
            ptr = b.gep(base, [b.add(first, offset)], inbounds=True)
            return b.load(b.bitcast(ptr, self.v.vtype.as_pointer()), align=self.c.itemsize)
        at = [b.add(b.mul(self.const(load.a), i), offset) for i in indices]
        return self.gather([b.load(b.gep(base, [k], inbounds=True)) for k in at])

    # --- stages -------------------------------------------------------------------
    def stage(self, stage, known):
        lo, hi = self.bound(stage.lo), self.bound(stage.hi)
        if stage.kind == "scalar":
            saved, self.w, self.v = (self.w, self.v), 1, self.c
            for k, value in enumerate(self.body(stage, known, lo)):
                self.b.store(value, self.b.gep(self.out, [self.const(k)]))
            self.w, self.v = saved
            return None
        if stage.kind == "elements":
            self.elements(stage, known, lo, hi)
            return None
        return self.reduce(stage, known, lo, hi)

    def elements(self, stage, known, lo, hi):
        if len(stage.body.outputs) > 1:
            return self._columns(stage, known, lo, hi)
        b, vptr = self.b, self.v.vtype.as_pointer()
        count = self.smax(b.sub(hi, lo), self.const(0))
        steps = b.sdiv(count, self.const(self.w))

        def step(s):
            first = b.add(lo, b.mul(s, self.const(self.w)))
            value, = self.body(stage, known, first)
            ptr = b.gep(self.out, [first], inbounds=True)
            b.store(value, b.bitcast(ptr, vptr) if self.w > 1 else ptr, align=self.c.itemsize)
        for_range(b, steps, step, name="elements")
        if self.w == 1:
            return
        first = b.add(lo, b.mul(steps, self.const(self.w)))
        rest = b.sub(hi, first)
        with b.if_then(b.icmp_signed(">", rest, self.const(0)), likely=False):
            value, = self.body(stage, known, first, clamp_to=b.sub(hi, self.const(1)))
            for k, x in enumerate(self.lanes_of(value)):
                with b.if_then(b.icmp_signed(">", rest, self.const(k))):
                    b.store(x, b.gep(self.out, [b.add(first, self.const(k))], inbounds=True))

    def _columns(self, stage, known, lo, hi):
        """An ``"elements"`` stage of ``m`` outputs: row ``i`` at ``out[i*m : i*m + m]``, one
        element at a time (rows of several columns are no vector's lanes)."""
        b, m = self.b, len(stage.body.outputs)
        saved, self.w, self.v = (self.w, self.v), 1, self.c

        def row(k):
            i = b.add(lo, k)
            for column, value in enumerate(self.body(stage, known, i)):
                at = b.add(b.mul(i, self.const(m)), self.const(column))
                b.store(value, b.gep(self.out, [at], inbounds=True))
        for_range(b, self.smax(b.sub(hi, lo), self.const(0)), row, name="rows")
        self.w, self.v = saved

    def reduce(self, stage, known, lo, hi):
        b, c = self.b, self.c
        combine = (lambda x, y: b.fmul(x, y, flags=c.flags)) if stage.kind == "prod" else \
            (lambda x, y: b.fadd(x, y, flags=c.flags))
        unit = 1.0 if stage.kind == "prod" else 0.0
        per_step = GROUP // self.w
        here = b.block
        b.position_at_start(b.function.entry_basic_block)     # allocas where mem2reg finds them
        accs = [b.alloca(self.v.vtype) for _ in range(per_step)]
        b.position_at_end(here)
        for acc in accs:
            b.store(self.v.const(unit), acc)
        count = self.smax(b.sub(hi, lo), self.const(0))
        steps = b.sdiv(count, self.const(GROUP))

        def step(s):
            first = b.add(lo, b.mul(s, self.const(GROUP)))
            for u, acc in enumerate(accs):
                term, = self.body(stage, known, b.add(first, self.const(u * self.w)))
                b.store(combine(b.load(acc), term), acc)
        for_range(b, steps, step, name=stage.kind)
        first = b.add(lo, b.mul(steps, self.const(GROUP)))
        rest = b.sub(hi, first)
        with b.if_then(b.icmp_signed(">", rest, self.const(0)), likely=False):
            last = b.sub(hi, self.const(1))
            for u, acc in enumerate(accs):
                term, = self.body(stage, known, b.add(first, self.const(u * self.w)), clamp_to=last)
                positions = ir.Constant(ir.VectorType(I64, self.w), [u * self.w + k for k in range(self.w)]) \
                    if self.w > 1 else self.const(u)
                keep = b.icmp_signed("<", positions, self.splat(rest))
                old = b.load(acc)
                b.store(b.select(keep, combine(old, term), old), acc)
        parts = [x for acc in accs for x in self.lanes_of(b.load(acc))]
        while len(parts) > 1:
            parts = [combine(parts[k], parts[k + 1]) for k in range(0, len(parts), 2)]
        return parts[0]
