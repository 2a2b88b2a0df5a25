"""What ``stable=True`` costs: the stability rewrites against the formula as simplified.

    python -m benchmarks.bench_stable [--n 1000000] [--repeats 7]

1. W1-W3 (the elementwise kernels of ``formulas.KERNELS``): no rule fires on
   them, so both options must compile the same Program (checked by digest)
   and run in the same time; the table shows both and the decoration time
   (``px.jit`` on the plain function, the rewrite pass included), medians.
2. A softplus-heavy formula, ``log(1 + exp(x)) + log(1 + exp(-y))``:
   pyexpr with the rewrite (``softplus``), pyexpr as simplified
   (``stable=False``, which overflows for |x| > 709) and numpy's
   ``logaddexp(0, x) + logaddexp(0, -y)``, the stable form numpy users write.
   Inputs in [-20, 20], where all three are accurate, so all are checked
   against numpy.
"""
import argparse
import math
import statistics
import time

import numpy as np

import pyexpr as px

from . import formulas
from .report import section_text
from .timing import Entry, Section, measure


def _decoration_seconds(fn, stable, runs=5):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        px.jit(fn, stable=stable, cache=False).program
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _entries(fn, x, y, out):
    entries = []
    for stable in (True, False):
        f = px.jit(fn, stable=stable)
        decorate = _decoration_seconds(fn, stable)
        entries.append(Entry("pyexpr", lambda f=f: f(x, y, out=out), f"stable={stable}", "all",
                             extras={"decorate + Program": f"{decorate * 1e3:.1f} ms",
                                     "rewrites": str(len(f.rewrites))}))
    return entries


def w_sections(n, repeats):
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0.1, 2.0, n), rng.uniform(0.1, 2.0, n)
    out = np.empty(n)
    sections = []
    for kernel in formulas.KERNELS:
        digests = {px.jit(kernel.python, stable=s).program.key() for s in (True, False)}
        rows = measure(_entries(kernel.python, x, y, out), kernel.xp(np, x, y), repeats)
        same = "the same Program" if len(digests) == 1 else "DIFFERENT Programs"
        sections.append(Section(f"stable-{kernel.key}", f"{kernel.title}: stable=True vs False",
                                f"{n:,} float64 points; both options compile {same}.", rows,
                                baseline="pyexpr (stable=False)", reference="numpy"))
    return sections


def softplus_pair(x, y):
    return math.log(1 + math.exp(x)) + math.log(1 + math.exp(-y))


def softplus_section(n, repeats):
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-20, 20, n), rng.uniform(-20, 20, n)
    out = np.empty(n)
    entries = _entries(softplus_pair, x, y, out)
    entries.append(Entry("numpy", lambda: np.logaddexp(0, x) + np.logaddexp(0, -y), "logaddexp"))
    rows = measure(entries, np.logaddexp(0, x) + np.logaddexp(0, -y), repeats)
    return Section("stable-softplus", "log(1 + exp(x)) + log(1 + exp(-y))",
                   f"{n:,} float64 points in [-20, 20]; stable=True computes softplus(x) + "
                   "softplus(-y), stable=False the formula as written (inf beyond 709).",
                   rows, baseline="numpy (logaddexp)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    sections = w_sections(args.n, args.repeats) + [softplus_section(args.n, args.repeats)]
    print("\n\n".join(section_text(s) for s in sections))


if __name__ == "__main__":
    main()
