"""GPU backend against CuPy's ElementwiseKernel and a device-to-device copy.

    python benchmarks/bench_gpu.py [--n 100000000] [--repeats 20]

For each formula and dtype (10^8 elements by default) this times, with CUDA
events on the legacy default stream, medians over ``--repeats`` runs after a
warm-up:

* pyexpr: ``GPUKernel.evaluate`` on device inputs writing into a device
  ``out=`` (no host transfer; the time includes the Python launch overhead);
* CuPy: an ``ElementwiseKernel`` with the same formula written by hand, on the
  same memory (optional: a line says when CuPy is missing);
* ``memcpy_dtod`` of one input array (``cudaMemcpy`` device to device).

Bandwidth is bytes read + written per element (two inputs, one output) over
the time; the copy moves each byte twice (read and write).  The table shows
each as a fraction of the copy's bandwidth, the practical ceiling.  Exits
with a message when there is no GPU.
"""
import argparse
import importlib.util
import os
import statistics
import sys

import numpy as np
import sympy

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from pyexpr.ir import from_exprs
from pyexpr.errors import GPUUnavailableError  # noqa: E402
from pyexpr.gpu import compile_cuda, runtime  # noqa: E402

X, Y = sympy.symbols("x y", real=True)
#: name -> (sympy expression, CuPy ElementwiseKernel body)
WORKLOADS = {
    "2.5*x + y": (2.5 * X + Y, "z = (T)2.5 * x + y"),
    "exp(-x**2)*sin(y) + cos(x*y)": (sympy.exp(-X**2) * sympy.sin(Y) + sympy.cos(X * Y),
                                     "z = exp(-x * x) * sin(y) + cos(x * y)"),
    "x>0.5 ? sqrt(x)*log(y) : x*y - 1": (
        sympy.Piecewise((sympy.sqrt(X) * sympy.log(Y), X > 0.5), (X * Y - 1, True)),
        "z = x > (T)0.5 ? sqrt(x) * log(y) : x * y - (T)1"),
}


def median_ms(cuda, fn, repeats):
    """Median of ``repeats`` event-timed runs of ``fn`` after one warm-up run."""
    fn()
    start, end = cuda.drv.Event(), cuda.drv.Event()
    times = []
    for _ in range(repeats):
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.time_till(end))
    return statistics.median(times)


def _cupy_runner(body, x, y, out):
    if importlib.util.find_spec("cupy") is None:
        return None
    import cupy as cp
    kernel = cp.ElementwiseKernel("T x, T y", "T z", body, "pyexpr_bench")
    cx, cy, cz = cp.asarray(x), cp.asarray(y), cp.asarray(out)      # zero-copy views (CUDA array interface)
    return lambda: kernel(cx, cy, cz)


def bench_dtype(cuda, dtype, n, repeats):
    from pycuda import curandom
    x = curandom.rand((n,), dtype=np.dtype(dtype))   # uniform [0, 1): every branch of the piecewise formula runs
    y = curandom.rand((n,), dtype=np.dtype(dtype))
    out = cuda.gpuarray.empty((n,), dtype)
    nbytes = n * np.dtype(dtype).itemsize
    copy_ms = median_ms(cuda, lambda: cuda.drv.memcpy_dtod(out.gpudata, x.gpudata, nbytes), repeats)
    copy_bw = 2 * nbytes / copy_ms / 1e6
    rows = []
    for name, (expr, body) in WORKLOADS.items():
        kernel = compile_cuda(from_exprs("bench", [X, Y], [expr]), dtype)
        ours = median_ms(cuda, lambda: kernel.evaluate((x, y), out=out), repeats)
        cupy_run = _cupy_runner(body, x, y, out)
        theirs = median_ms(cuda, cupy_run, repeats) if cupy_run else None
        rows.append((name, dtype, ours, theirs, copy_ms, copy_bw, 3 * nbytes))
    return rows          # the device arrays are freed as this frame goes


def _cell(ms, nbytes, copy_bw):
    if ms is None:
        return "n/a | n/a"
    bw = nbytes / ms / 1e6
    return f"{ms:.3f} | {bw:.0f} GB/s ({bw / copy_bw:.0%})"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10**8)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    try:
        cuda = runtime.cuda()
    except GPUUnavailableError as exc:
        sys.exit(f"bench_gpu: no GPU to benchmark on: {exc}")
    rows = [r for dtype in ("float32", "float64") for r in bench_dtype(cuda, dtype, args.n, args.repeats)]
    print(f"\n{cuda.device.name()} ({cuda.arch}, {cuda.sm_count} SMs), n = {args.n:,}, "
          f"median of {args.repeats} (ms; bandwidth = bytes read + written / time, % of D2D copy)\n")
    print("| formula | dtype | pyexpr ms | pyexpr bandwidth | CuPy ms | CuPy bandwidth | copy ms | copy bandwidth |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, dtype, ours, theirs, copy_ms, copy_bw, nbytes in rows:
        print(f"| `{name}` | {dtype} | {_cell(ours, nbytes, copy_bw)} | {_cell(theirs, nbytes, copy_bw)} "
              f"| {copy_ms:.3f} | {copy_bw:.0f} GB/s |")
    if importlib.util.find_spec("cupy") is None:
        print("\nCuPy is not installed: its column is n/a.")


if __name__ == "__main__":
    main()
