"""``compile_loops``: a ``LoopProgram`` -> a ``LoopKernel``, one compiled function.

The function (``codegen.loop_ir``) takes the scalars, the vectors'
addresses and lengths, and the output; it is compiled once per program,
dtype and vector target (its code does not depend on any length), kept in
the disk cache like the elementwise kernels' parts, and loaded by
``kernel.load``.  ``LoopKernel.run`` calls it and turns an element read
outside a vector into the ``(stage, load)`` that did it.
"""
import ctypes
import threading
import weakref

import numpy as np

from . import host
from .build import cache
from .kernel import GENERATORS, load

_SIGNATURE = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                              ctypes.c_void_p)
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
        from .codegen.loop_ir import loop_symbol
        self.program, self.dtype = lp, np.dtype(dtype)
        simd = "none" if target is None else f"{target.isa}:{sorted(target.available)}"
        key = cache.entry_key(host.fingerprint(), cache.code_digest(GENERATORS), str(lp), "loops",
                              dtype, fastmath, simd)
        hit = cache.load(key) if use_cache else None
        if hit is None:
            hit = _compile(lp, dtype, fastmath, target)
            if use_cache:
                cache.store(key, *hit)
        self.llvm_ir, self._code = hit[0], load(hit[1])
        self._function = _SIGNATURE(self._code.address(loop_symbol(lp)))

    def run(self, scalars, vectors, out):
        """Run on ``scalars`` (an array of the dtype), ``vectors`` (contiguous arrays of
        the dtype) into ``out``; ``None``, or the ``(stage, load)`` that would read
        outside its vector."""
        pointers = (ctypes.c_void_p * max(len(vectors), 1))(*[v.ctypes.data for v in vectors])
        lengths = np.array([v.shape[0] for v in vectors] or [0], dtype=np.int64)
        status = self._function(scalars.ctypes.data, ctypes.addressof(pointers), lengths.ctypes.data,
                                out.ctypes.data)
        if status == 0:
            return None
        return divmod(status - 1, 65536)


def _compile(lp, dtype, fastmath, target):
    from .build import engine
    from .codegen import loop_ir
    if target is not None:
        engine.check_target(target)
    text = str(loop_ir.build_module(lp, dtype, fastmath, target))
    return engine.compile_ir(text, 2, False)
