"""CPU backend against numpy, numexpr and numba: throughput, scalar calls, compile latency.

    python benchmarks/bench_cpu.py [--n 10000000] [--repeats 7] [--skip-latency]

1. Throughput on ``--n`` float64 values: every implementation runs once per
   round, in a shuffled order and after a 0.1 s pause, rounds repeat
   ``--repeats`` times (interleaved, so drifting load from other processes
   hits all alike), and the table shows medians in ms and the speed-up of
   pyexpr (all cores) over each.  pyexpr, numexpr and
   numba write into a preallocated output; numpy is the expression as users
   write it.  numexpr and numba's parallel target use all cores too.
2. Scalar calls: ns per call of a formula on two Python floats, from a
   Python loop: pyexpr (``px.jit``), numba ``@njit``, the plain function.
3. Compile latency: a fresh interpreter decorates a small formula and gets
   its first result, then does the same for a second formula (LLVM is then
   loaded); ``--latency-runs`` times, median.  "cold" starts with an empty
   on-disk cache, "warm" reuses what a cold run left.  "decorate" is the
   front end's share (parsing the function into sympy).

numexpr and numba are optional: a line says when one is missing.
"""
import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from math import cos, exp, log, sin, sqrt
from time import perf_counter

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)
import pyexpr as px  # noqa: E402
from pyexpr.cpu import driver, host  # noqa: E402


def wave(x, y):
    return exp(-x**2) * sin(y) + cos(x * y)


def branch(x, y):
    return sqrt(x) * log(y) if x > 0.5 else x * y - 1


def axpy(x, y):
    return 2.5 * x + y


def small(x, y):
    return sqrt(x) * exp(-y) + sin(x * y)


#: label -> (scalar Python function, numpy version, numexpr string, target speed-up over numpy)
WORKLOADS = {
    "exp(-x**2)*sin(y) + cos(x*y)": (wave, lambda x, y: np.exp(-x**2) * np.sin(y) + np.cos(x * y),
                                     "exp(-x**2)*sin(y) + cos(x*y)", 8.0),
    "Piecewise(sqrt(x)*log(y), x > 0.5; x*y - 1)": (
        branch, lambda x, y: np.where(x > 0.5, np.sqrt(x) * np.log(y), x * y - 1),
        "where(x > 0.5, sqrt(x)*log(y), x*y - 1)", 5.0),
    "2.5*x + y": (axpy, lambda x, y: 2.5 * x + y, "2.5*x + y", 1.2),
}


def optional(name):
    try:
        return __import__(name)
    except ImportError:
        print(f"{name} not installed: its columns are skipped (pip install {name})")
        return None


def implementations(scalar, numpy_fn, ne_text, x, y, ne, nb, threads):
    out = np.empty_like(x)
    serial, par = px.jit(scalar, parallel=False), px.jit(scalar)
    impls = {"numpy": lambda: numpy_fn(x, y)}
    if ne is not None:
        ne.set_num_threads(threads)
        impls[f"numexpr {threads}t"] = lambda: ne.evaluate(ne_text, local_dict={"x": x, "y": y}, out=out)
    if nb is not None:
        for target in ("cpu", "parallel"):
            try:
                vec = nb.vectorize(["float64(float64, float64)"], target=target)(scalar)
                vec(x[:10], y[:10])                              # compile outside the timing
            except Exception as exc:                             # noqa: BLE001 (report, go on)
                print(f"numba vectorize target={target!r} unavailable: {exc}")
                continue
            impls[f"numba vectorize {target}"] = lambda vec=vec: vec(x, y, out=out)
    impls["pyexpr 1t"] = lambda: serial(x, y, out=out)
    impls[f"pyexpr {threads}t"] = lambda: par(x, y, out=out)
    check = numpy_fn(x, y)
    for name, fn in impls.items():
        result = fn()
        np.testing.assert_allclose(result, check, rtol=1e-12, atol=1e-14, err_msg=name)
    return impls


def measure(impls, repeats, pause=0.1):
    """Median ms per implementation: each round runs all of them in a new random order, each after
    a pause (thread pools that spin after their work, like numba's parallel target, would
    otherwise slow whatever runs next)."""
    times = {name: [] for name in impls}
    order = list(impls)
    rng = random.Random(0)
    for _ in range(repeats):
        rng.shuffle(order)
        for name in order:
            time.sleep(pause)
            start = perf_counter()
            impls[name]()
            times[name].append((perf_counter() - start) * 1e3)
    return {name: statistics.median(times[name]) for name in impls}


def throughput(args, ne, nb, threads):
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 1, args.n), rng.uniform(0, 1, args.n)
    print(f"\n## Throughput: {args.n:.0e} float64, medians of {args.repeats} interleaved rounds, ms "
          f"(speed-up of pyexpr {threads}t)\n")
    header = None
    with np.errstate(all="ignore"):
        for label, (scalar, numpy_fn, ne_text, target) in WORKLOADS.items():
            medians = measure(implementations(scalar, numpy_fn, ne_text, x, y, ne, nb, threads), args.repeats)
            ours = medians[f"pyexpr {threads}t"]
            if header is None:
                header = list(medians)
                print("| workload | target vs numpy | " + " | ".join(header) + " |")
                print("| --- | --- |" + " --- |" * len(header))
            cells = [f"{medians[n]:.1f} (x{medians[n] / ours:.1f})" for n in header]
            print(f"| `{label}` | x{target:g} | " + " | ".join(cells) + " |")


def scalar_calls(nb):
    plain = small
    impls = {"plain Python": plain, "pyexpr px.jit": px.jit(plain)}
    if nb is not None:
        impls["numba @njit"] = nb.njit(plain)
    for fn in impls.values():
        assert math.isclose(fn(0.7, 0.3), plain(0.7, 0.3), rel_tol=1e-14)
    print("\n## Scalar calls: `sqrt(x)*exp(-y) + sin(x*y)` on two floats from a Python loop, "
          "ns per call (best of 7 x 200,000)\n")
    print("| " + " | ".join(impls) + " |\n|" + " --- |" * len(impls))
    cells = []
    for fn in impls.values():
        best = min(timeit.repeat("f(0.7, 0.3)", globals={"f": fn}, number=200_000, repeat=7))
        cells.append(f"{best / 200_000 * 1e9:.0f}")
    print("| " + " | ".join(cells) + " |")


LATENCY_SCRIPT = """\
import json, sys, time
t0 = time.perf_counter()
import numpy as np
{imports}
x = np.linspace(0.0, 1.0, 1000)
t1 = time.perf_counter()
{decorate}
t2 = time.perf_counter()
value = {call}
t3 = time.perf_counter()
{decorate_again}
value2 = {call_again}
t4 = time.perf_counter()
print(json.dumps({{"import": t1 - t0, "decorate": t2 - t1, "first": t3 - t1, "second": t4 - t3}}))
"""
PX_IMPORTS = "import pyexpr as px\nfrom math import exp, sin, cos"
PX_DECORATE = "@px.jit\ndef f(x, y):\n    return exp(-x**2) * sin(y) + cos(x * y)"
PX_AGAIN = "@px.jit\ndef g(x, y):\n    return sin(x) * y + exp(y) / (1 + x**2)"
NB_IMPORTS = "import numba\nfrom math import exp, sin, cos"
NB_DECORATE = ("@numba.njit(cache=True)\ndef f(x, y):\n    return exp(-x**2) * sin(y) + cos(x * y)")
NB_AGAIN = "@numba.njit(cache=True)\ndef g(x, y):\n    return sin(x) * y + exp(y) / (1 + x**2)"
#: label -> (imports, decorate, first call, decorate a second formula, its first call)
LATENCY = {
    "pyexpr, scalar call": (PX_IMPORTS, PX_DECORATE, "f(0.5, 0.25)", PX_AGAIN, "g(0.5, 0.25)"),
    "pyexpr, 1000-array call": (PX_IMPORTS, PX_DECORATE, "f(x, x).sum()", PX_AGAIN, "g(x, x).sum()"),
    "numba @njit, scalar call": (NB_IMPORTS, NB_DECORATE, "f(0.5, 0.25)", NB_AGAIN, "g(0.5, 0.25)"),
}


def latency(runs):
    print(f"\n## Compile latency: a fresh interpreter decorates `exp(-x**2)*sin(y) + cos(x*y)` and gets "
          f"its first result; then a second formula in the same process; median of {runs} runs, ms\n")
    print("| what | import | cold cache: decorate | cold: first result | cold: second formula "
          "| warm cache: first result | warm: second formula |\n|" + " --- |" * 7)
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(ROOT, "pyexpr")],
                   check=True, capture_output=True)              # as an installed package has
    for label, (imports, decorate, call, again, call_again) in LATENCY.items():
        rows = {"cold": [], "warm": []}
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as tmp:
                script = os.path.join(tmp, "first_call.py")       # px.jit reads source from a file
                with open(script, "w") as f:
                    f.write(LATENCY_SCRIPT.format(imports=imports, decorate=decorate, call=call,
                                                  decorate_again=again, call_again=call_again))
                env = {**os.environ, "PYEXPR_CACHE_DIR": tmp, "NUMBA_CACHE_DIR": tmp, "PYTHONPATH": ROOT}
                for state in ("cold", "warm"):
                    out = subprocess.run([sys.executable, script], env=env, check=True,
                                         capture_output=True, text=True).stdout
                    rows[state].append(json.loads(out))
        med = {state: {k: statistics.median(r[k] for r in rs) * 1e3 for k in rs[0]} for state, rs in rows.items()}
        cold, warm = med["cold"], med["warm"]
        print(f"| {label} | {cold['import']:.0f} | {cold['decorate']:.1f} | {cold['first']:.1f} | "
              f"{cold['second']:.1f} | {warm['first']:.1f} | {warm['second']:.1f} |")


def cpu_line():
    flags = set()
    try:
        with open("/proc/cpuinfo") as f:
            flags = set(next(line for line in f if line.startswith("flags")).split(":")[1].split())
    except (OSError, StopIteration):
        pass
    wanted = ["avx2", "fma", "avx512f", "avx512dq", "avx512vl"]
    simd = host.vector_target()
    return (f"CPU: {os.cpu_count()} cores, {host.cpu_info()[0]}; flags: "
            + " ".join(f for f in wanted if f in flags)
            + f"; pyexpr SIMD: {simd.isa + ' (libmvec)' if simd else 'none (scalar libm loops)'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10**7)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--latency-runs", type=int, default=3)
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    print(cpu_line())
    ne, nb = optional("numexpr"), optional("numba")
    print(f"numpy {np.__version__}" + (f", numexpr {ne.__version__}" if ne else "")
          + (f", numba {nb.__version__}" if nb else ""))
    threads = driver.thread_count()
    throughput(args, ne, nb, threads)
    scalar_calls(nb)
    if not args.skip_latency:
        latency(args.latency_runs)


if __name__ == "__main__":
    main()
