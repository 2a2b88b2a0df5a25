"""Compile generated CUDA C with nvcc, without a GPU.

``HostLibrary`` compiles the ``__host__ __device__`` formula functions of many
Programs for the *host* into one shared library (each source in its own
namespace, with a generated ``extern "C"`` loop wrapper) and runs them on
numpy arrays through ctypes.  ``compile_ptx`` compiles many kernels for the
device (``--ptx``) in one nvcc call.  Batching keeps the suite fast: nvcc's
start-up costs about half a second per call.
"""
import ctypes
import shutil
import subprocess
from pathlib import Path

import numpy as np

from pyexpr.gpu import cuda_c

NVCC = shutil.which("nvcc") or ("/usr/local/bin/nvcc" if Path("/usr/local/bin/nvcc").exists() else None)


def _wrapper(symbol, program, dtype):
    ctype = cuda_c.CTYPES[dtype]
    args = [f"in[{i}][i]" for i in range(program.n_args)]
    outs = [f"out[{j}][i]" for j in range(len(program.outputs))]
    return (f'extern "C" void {symbol}(const {ctype} *const *in, {ctype} *const *out, long long n)\n'
            "{\n"
            f"    for (long long i = 0; i < n; ++i) {{ {cuda_c.formula_call(program, args, outs)} }}\n"
            "}\n")


def start_nvcc(source, workdir, stem, flags):
    """Write ``source`` to ``workdir/stem.cu`` and start nvcc on it; returns (process, output path)."""
    cu = Path(workdir) / f"{stem}.cu"
    cu.write_text(source)
    out = cu.with_suffix(".so" if "--shared" in flags else ".cubin" if "--cubin" in flags else ".ptx")
    proc = subprocess.Popen([NVCC, *flags, str(cu), "-o", str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    return proc, out


def finish_nvcc(started):
    proc, out = started
    log = proc.communicate()[0]
    if proc.returncode:
        raise AssertionError(f"nvcc failed for {out.with_suffix('.cu')}:\n{log}")
    return out


class HostLibrary:
    """Formula functions compiled for the CPU; ``entries`` maps a symbol to (program, dtype, fastmath)."""

    FLAGS = ["-x", "cu", "--shared", "-Xcompiler", "-fPIC", "-arch=sm_90", "-O2"]

    def __init__(self, entries):
        self.entries = dict(entries)

    def source(self):
        parts = []
        for k, (symbol, (program, dtype, fastmath)) in enumerate(self.entries.items()):
            parts.append(f"namespace pyx_t{k} {{\n{cuda_c.formula_source(program, dtype, fastmath)}\n"
                         f"{_wrapper(symbol, program, dtype)}}}\n")
        return "\n".join(parts)

    def load(self, path):
        self.lib = ctypes.CDLL(str(path))
        return self

    def run(self, symbol, *inputs):
        """Evaluate ``symbol`` elementwise on broadcast inputs; a list of arrays, one per output."""
        program, dtype, _ = self.entries[symbol]
        arrays = [np.ascontiguousarray(a, dtype=dtype) for a in np.broadcast_arrays(*inputs)]
        n = arrays[0].size if arrays else 1
        outs = [np.empty(n, dtype) for _ in program.outputs]
        in_ptrs = (ctypes.c_void_p * max(1, len(arrays)))(*(a.ctypes.data for a in arrays))
        out_ptrs = (ctypes.c_void_p * len(outs))(*(o.ctypes.data for o in outs))
        getattr(self.lib, symbol)(in_ptrs, out_ptrs, ctypes.c_longlong(n))
        shape = arrays[0].shape if arrays else ()
        return [o.reshape(shape) for o in outs]


def ptx_source(variants):
    """One translation unit holding ``cuda_source`` of every (program, dtype, fastmath, mask)."""
    return "\n".join(f"namespace pyx_k{k} {{\n{cuda_c.cuda_source(*v)}}}\n" for k, v in enumerate(variants))
