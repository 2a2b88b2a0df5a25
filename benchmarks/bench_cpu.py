"""CPU backend against numpy and numba @vectorize: 10^7 float64, interleaved runs.

    python benchmarks/bench_cpu.py [--n 10000000] [--repeats 7]

Every implementation writes into a preallocated output where it can (numpy's
natural expression allocates its temporaries, as users write it).  Runs are
interleaved -- one of each implementation per round -- so drifting machine
load hits all of them alike; the table shows medians in ms and the ratio to
pyexpr with its default threads.  numba is optional: a line says when it is
missing.
"""
import argparse
import math
import os
import statistics
import sys
import time

import numpy as np
import sympy

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from pyexpr.lower import compile_cpu, driver  # noqa: E402
from pyexpr.lower.program import Program  # noqa: E402

X, Y = sympy.symbols("x y", real=True)
WORKLOADS = {
    "2.5*x + y": (2.5 * X + Y, lambda x, y: 2.5 * x + y, lambda x, y: 2.5 * x + y),
    "exp(-x**2)*sin(y) + cos(x*y)": (
        sympy.exp(-X**2) * sympy.sin(Y) + sympy.cos(X * Y),
        lambda x, y: np.exp(-x**2) * np.sin(y) + np.cos(x * y),
        lambda x, y: math.exp(-x**2) * math.sin(y) + math.cos(x * y)),
    "Piecewise(sqrt(x)*log(y), x > 0.5; x*y - 1)": (
        sympy.Piecewise((sympy.sqrt(X) * sympy.log(Y), X > 0.5), (X * Y - 1, True)),
        lambda x, y: np.where(x > 0.5, np.sqrt(x) * np.log(y), x * y - 1),
        lambda x, y: math.sqrt(x) * math.log(y) if x > 0.5 else x * y - 1),
}


def _numba_vectorize(scalar):
    try:
        import numba
    except ImportError:
        return None
    return numba.vectorize(["float64(float64, float64)"], nopython=True)(scalar)


def implementations(expr, numpy_fn, scalar_fn, x, y):
    out = np.empty_like(x)
    program = Program.from_exprs("bench", [X, Y], [expr])
    start = time.perf_counter()
    threaded = compile_cpu(program, cache=False)
    compile_ms = (time.perf_counter() - start) * 1e3
    serial = compile_cpu(program, parallel=False, cache=False)
    impls = {"numpy": lambda: numpy_fn(x, y),
             "pyexpr 1 thread": lambda: serial.run([x, y], [out]),
             f"pyexpr {driver.thread_count()} threads": lambda: threaded.run([x, y], [out])}
    vectorized = _numba_vectorize(scalar_fn)
    if vectorized is not None:
        vectorized(x[:10], y[:10])                     # compile outside the timing
        impls["numba @vectorize"] = lambda: vectorized(x, y, out=out)
    check = numpy_fn(x, y)
    threaded.run([x, y], [out])
    assert np.allclose(out, check, rtol=1e-12, atol=1e-14), "pyexpr disagrees with numpy"
    return impls, compile_ms


def measure(impls, repeats):
    times = {name: [] for name in impls}
    for _ in range(repeats):
        for name, fn in impls.items():
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1e3)
    return {name: statistics.median(ts) for name, ts in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10**7)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 1, args.n), rng.uniform(0, 1, args.n)
    try:
        import numba
        print(f"numba {numba.__version__}")
    except ImportError:
        print("numba not installed: skipping the numba @vectorize column (pip install numba)")
    rows, names = [], None
    with np.errstate(all="ignore"):
        for label, (expr, numpy_fn, scalar_fn) in WORKLOADS.items():
            impls, compile_ms = implementations(expr, numpy_fn, scalar_fn, x, y)
            medians = measure(impls, args.repeats)
            names = list(medians)
            rows.append((label, compile_ms, medians))
    ref = names[2]
    print(f"\n{args.n:.0e} float64, medians of {args.repeats} interleaved runs (ms); "
          f"(xN) = time / {ref}\n")
    print("| workload | compile | " + " | ".join(names) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in names) + " |")
    for label, compile_ms, medians in rows:
        cells = [f"{medians[n]:.1f} (x{medians[n] / medians[ref]:.2f})" for n in names]
        print(f"| `{label}` | {compile_ms:.0f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
