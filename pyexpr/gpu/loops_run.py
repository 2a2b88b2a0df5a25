"""Launch a ``LoopProgram``'s CUDA kernels (``loops_c``) through pycuda.

``GPULoopKernel(lp, dtype, fastmath).run(scalars, vectors, out)`` speaks the
protocol of ``cpu.loops.LoopKernel``: host arrays in, ``out`` filled, the
``(stage, load)`` of a read outside a vector returned (checked on the host,
before anything is copied).  The known scalars live in one device array
that the stages extend: the scalars and the lengths first, then each
reduction's results, written by its ``_total`` kernel, so nothing returns
to the host between stages.  pycuda, the driver and the device come from
``runtime.cuda()``.
"""
import numpy as np

from ..ir.loops import REDUCING
from .loops_c import BLOCK, GRID, loops_source, stage_name
from .runtime import cuda


class GPULoopKernel:
    def __init__(self, lp, dtype="float64", fastmath=False):
        self.program, self.dtype = lp, np.dtype(dtype)
        self.source = loops_source(lp, self.dtype.name, fastmath)
        self._functions = None

    def one_thread_entry(self, vectors):
        """No machine-code call on the host: every call goes through ``run``."""
        return None, 0

    def functions(self):
        if self._functions is None:
            module = cuda().module(self.source)
            names = {}
            for s, st in enumerate(self.program.stages):
                suffixes = ("_partials", "_total") if st.kind in REDUCING else ("",)
                names[s] = [module.get_function(stage_name(self.program, s, x)) for x in suffixes]
            self._functions = names
        return self._functions

    def run(self, scalars, vectors, out, threads=1, sizes=None):
        lp, sizes = self.program, [d for v in vectors for d in v.shape]
        failed = lp.outside(sizes)
        if failed is not None:
            return failed
        cu, functions = cuda(), self.functions()
        plan = lp.plan(sizes)
        total = plan[-1][3] + sum(len(st.body.outputs) for st in lp.stages if st.kind in REDUCING)
        known = np.zeros(max(total, 1), self.dtype)
        first = list(scalars[:len(lp.scalar_names)]) + [sizes[v] for v in lp.length_vectors]
        known[:len(first)] = first
        d_known = cu.gpuarray.to_gpu(known)
        d_vectors = [cu.gpuarray.to_gpu(v) for v in vectors]
        d_vectors += [cu.gpuarray.empty(max(n, 1), self.dtype) for n in lp.temp_elements(lp.temp_sizes(sizes))]
        d_pointers = cu.gpuarray.to_gpu(np.array([int(v.gpudata) for v in d_vectors] or [0], np.uint64))
        d_out = cu.gpuarray.empty(max(out.size, 1), self.dtype)
        for s, (st, (lo, hi, params, at)) in enumerate(zip(lp.stages, plan)):
            d_offsets = cu.gpuarray.to_gpu(np.array(params or [0], np.int64))
            head = (d_known.gpudata, d_pointers.gpudata, d_offsets.gpudata, np.int64(lo), np.int64(hi))
            if st.kind == "scalar":
                functions[s][0](*head, d_out.gpudata, block=(1, 1, 1), grid=(1, 1))
            elif st.kind in ("elements", "cells"):
                blocks = max(1, min(-(-(hi - lo) // 256), cu.sm_count * 8))
                target = d_out if st.dest is None else d_vectors[len(vectors) + st.dest]
                functions[s][0](*head, target.gpudata, block=(256, 1, 1), grid=(blocks, 1))
            else:
                partials = cu.gpuarray.empty(GRID * len(st.body.outputs), self.dtype)
                functions[s][0](*head, partials.gpudata, block=(BLOCK, 1, 1), grid=(GRID, 1))
                functions[s][1](partials.gpudata, d_known.gpudata, np.int32(at), block=(1, 1, 1),
                                grid=(1, 1))
        if out.size:
            out.reshape(-1)[...] = d_out.get()[:out.size]
        return None
