"""``compile_loops``: a ``LoopProgram`` -> a ``LoopKernel``, its compiled functions.

The functions (``codegen.loop_ir``) take the scalars, the vectors'
addresses and lengths, and the output; they are compiled once per program,
dtype and vector target (the code does not depend on any length), kept in
the disk cache like the elementwise kernels' parts, and loaded by
``build.loading.load_or_compile``.  ``LoopKernel.run`` calls the whole program in one call
(through the module's builtin entry, ``codegen.loopcall_ir``, where numpy's array struct
is the one it reads: the tables built in machine code, not by ctypes),
or, for ``threads > 1`` and at least PARALLEL_INDICES indices, stage by
stage: the chunks of a stage shared among the threads, a reduction's chunk
partials added in chunk order here (the documented order, so the result is
the same bits whatever the thread count).  An element read outside a vector
is reported as the ``(stage, load)`` that would do it.
"""
import ctypes
import functools
import sys
import threading
import weakref

import numpy as np

from ..ir.loops import REDUCING
from . import host
from .build import cache
from .build.loading import load_or_compile
from .kernel import GENERATORS, shared
from .abi import ARRAY_EMPTY_SYMBOL, ARRAY_SCALAR_SYMBOL, LOOP_API, chunk_size, loop_binder_symbol, loop_names
from .runtime import arraycall, fastcall
from .runtime.arraycall import data_address

_SIGNATURE = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                              ctypes.c_void_p)
_CHECK = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_void_p)
_STAGE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                          ctypes.c_int64, ctypes.c_void_p)
#: below this many indices in its longest stage a call runs on one thread: waking threads and
#: adding partials in Python costs tens of microseconds
PARALLEL_INDICES = 1 << 18
#: the same for a program with inner reductions (a double sum does length**2 terms)
PARALLEL_NESTED = 1 << 9
_MEMO = weakref.WeakValueDictionary()
_LOCK = threading.Lock()


def compile_loops(lp, dtype="float64", *, fastmath=False, cache=True, simd=None):
    """The ``LoopKernel`` of ``lp`` for ``dtype``, shared while it lives."""
    dtype = np.dtype(dtype).name
    target = host.vector_target(simd)
    key = (lp.key(), dtype, bool(fastmath), target)
    with _LOCK:
        kernel = _MEMO.get(key)
        if kernel is None:
            kernel = _MEMO[key] = LoopKernel(lp, dtype, bool(fastmath), cache, target)
    return kernel


class LoopKernel:
    def __init__(self, lp, dtype, fastmath, use_cache, target):
        self.program, self.dtype = lp, np.dtype(dtype)
        simd = "none" if target is None else f"{target.isa}:{sorted(target.available)}"
        entry = arraycall.available()           # the builtin entry reads numpy's array struct
        key = cache.entry_key(host.fingerprint(), cache.code_digest(GENERATORS), str(lp), "loops",
                              dtype, fastmath, simd, entry)
        self.llvm_ir, self._code = load_or_compile(
            key, lambda: _compile(lp, dtype, fastmath, target, entry),
            _symbols(lp, dtype, use_cache) if entry else None, use_cache=use_cache)
        names = loop_names(lp)
        self._function = _SIGNATURE(self._code.address(names["loops"]))
        self._vectors = len(lp.vector_names)
        self._entry = fastcall.builtin(self._code.address(names["call"]), None, self._code) if entry else None
        self._head = self._code.address(names["head"]) if entry else None
        self._check = _CHECK(self._code.address(names["check"]))
        self._stages = [_STAGE(self._code.address(names[f"stage{s}"])) for s in range(len(lp.stages))]
        self.chunk_size = chunk_size
        self._nested = any(st.inner or st.kind == "cells" for st in lp.stages)

    def one_thread_entry(self, vectors):
        """``(entry, below)``: the machine-code call ``entry(scalars, out, *vectors)`` for
        ``vectors`` arrays, which ``run`` takes where ``threads <= 1`` or every length is
        below ``below`` (``(None, 0)`` where it has none), for callers that check the
        rest themselves."""
        if self._entry is None or vectors != self._vectors:
            return None, 0
        return self._entry, self._one_thread_below()

    def head(self, fallback, spec, names, defaults):
        """A builtin taking a Python call of the formula whole (``loopcall_ir.define_head``:
        ``spec`` says which parameters are vectors, their least and largest lengths and the
        result; keywords bind by ``names``, left-out parameters take ``defaults``, None for
        none), any other call going to ``fallback``; None where there is none."""
        if self._head is None:
            return None
        own = (fallback, np.array(spec, np.int64), tuple(sys.intern(n) for n in names), tuple(defaults))
        return fastcall.builtin(self._head, own, self._code)

    def _one_thread_below(self):
        """The longest stage's length below which a call runs on one thread."""
        return PARALLEL_NESTED if self._nested else PARALLEL_INDICES // 2

    def run(self, scalars, vectors, out, threads=1, sizes=None):
        """Run on ``scalars`` (an array of the dtype), ``vectors`` (contiguous arrays of
        the dtype; ``sizes`` their dimensions in order, where the caller has them) into
        ``out``; ``None``, or the ``(stage, load)`` that would read outside its vector."""
        if sizes is None:
            sizes = [d for v in vectors for d in v.shape]      # one slot per dimension
        # a stage's range is its vectors' lengths plus constants: short vectors, short ranges;
        # a stage with inner reductions does a loop per index
        nested = self._nested
        one = threads <= 1 or max(sizes, default=0) < self._one_thread_below()
        entry = self._entry if len(vectors) == self._vectors else None
        if one and entry is not None:
            # small calls are what scipy's loops make: the tables made in machine code
            status = entry(scalars, out, *vectors)
            return None if status == 0 else divmod(status - 1, 65536)
        counts = [] if one else self._counts(sizes)
        parallel = bool(counts) and (nested or max(counts) >= PARALLEL_INDICES)
        if parallel and self.program.temps:
            return self._with_temporaries(scalars, vectors, sizes, out, threads)
        pointers = (ctypes.c_void_p * max(len(vectors), 1))(*[data_address(v) for v in vectors])
        if parallel:
            lengths = np.array(sizes or [0], dtype=np.int64)
            status = self._check(lengths.ctypes.data)
            if status == 0:
                self._staged(scalars, pointers, lengths, out, counts, threads)
        else:
            lengths = (ctypes.c_int64 * max(len(sizes), 1))(*sizes)
            status = self._function(data_address(scalars), ctypes.addressof(pointers),
                                    ctypes.addressof(lengths), data_address(out))
        return None if status == 0 else divmod(status - 1, 65536)

    def _counts(self, sizes):
        """Each stage's number of indices at the argument lengths ``sizes``."""
        extended = self.program.temp_sizes(sizes)
        return [max(st.hi.value(extended) - st.lo.value(extended), 0) for st in self.program.stages]

    def _with_temporaries(self, scalars, vectors, sizes, out, threads):
        """A program with temporary vectors, on threads: the tables extended by them here."""
        lp = self.program
        extended = lp.temp_sizes(sizes)
        temps = [np.empty(max(n, 1), self.dtype) for n in lp.temp_elements(extended)]
        pointers = (ctypes.c_void_p * (len(vectors) + len(temps)))(*[v.ctypes.data for v in vectors + temps])
        lengths = np.array(extended, dtype=np.int64)
        status = self._check(lengths.ctypes.data)
        if status != 0:
            return divmod(status - 1, 65536)
        counts = self._counts(sizes)
        self._staged(scalars, pointers, lengths, out, counts, threads, temps)
        return None

    def _staged(self, scalars, pointers, lengths, out, counts, threads, temps=()):
        from .runtime.driver import run_tasks
        lp, sizes = self.program, lengths.tolist()
        known = list(scalars[:len(lp.scalar_names)]) + [self.dtype.type(sizes[v]) for v in lp.length_vectors]
        for s, (stage, count) in enumerate(zip(lp.stages, counts)):
            values = np.array(known or [0], dtype=self.dtype)
            chunks = -(-count // self.chunk_size(stage))
            m = len(stage.body.outputs)
            dst = np.empty((max(chunks, 1), m), self.dtype) if stage.kind in REDUCING else \
                out if stage.dest is None else temps[stage.dest]
            per_task = max(1, -(-chunks // (4 * threads)))
            call = functools.partial(self._stages[s], values.ctypes.data, ctypes.addressof(pointers),
                                     lengths.ctypes.data)
            if stage.kind == "scalar":
                call(0, 1, out.ctypes.data)
                continue
            rows = stage.kind not in REDUCING       # a vector's rows go where they belong
            tasks = [functools.partial(call, c, min(c + per_task, chunks),
                                       dst.ctypes.data + (0 if rows else c * m * self.dtype.itemsize))
                     for c in range(0, chunks, per_task)]
            run_tasks(tasks, threads)
            if not rows:
                known += _fold(dst[:chunks], stage.kind, self.dtype)


def _fold(partials, kind, dtype):
    """The chunks' partials combined in chunk order, from the unit: the documented order."""
    totals = []
    for column in partials.T:
        total = dtype.type(REDUCING[kind])
        for part in column:
            total = dtype.type(_COMBINE[kind](total, part))
        totals.append(total)
    return totals


#: numpy's operation of two values for each reducing kind (the compiled code's: nan
#: propagates through "max" and "min")
_COMBINE = {"sum": np.add, "prod": np.multiply, "max": np.maximum, "min": np.minimum}


def _symbols(lp, dtype, use_cache):
    """The objects and functions the builtin entries of a loop module refer to, the
    heads' shared binder among them (``loopcall_ir.loop_binder_module``)."""
    from .codegen.loopcall_ir import loop_binder_module
    counts = len(lp.scalar_names), len(lp.vector_names)
    bind = shared(loop_binder_symbol(*counts, dtype), lambda: loop_binder_module(*counts, dtype),
                  lambda: fastcall.symbols(1, dtype), 0, use_cache)
    return {**fastcall.api_addresses(LOOP_API + ("Py_DecRef", "Py_IncRef")), **fastcall.symbols(1, dtype),
            ARRAY_EMPTY_SYMBOL: fastcall.array_empty(), ARRAY_SCALAR_SYMBOL: fastcall.array_scalar(),
            loop_binder_symbol(*counts, dtype): bind}


def _compile(lp, dtype, fastmath, target, entry):
    from .build import engine
    from .codegen import loop_ir
    if target is not None:
        engine.check_target(target)
    text = str(loop_ir.build_module(lp, dtype, fastmath, target, entry))
    return engine.compile_ir(text, 2, False)
