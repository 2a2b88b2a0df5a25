"""Accuracy on Hamming's chapter 3 (``benchmarks/hamming.py``): mean bits of error.

    python -m benchmarks.bench_hamming [--points 2000] [--seed 0] [--only NAME ...]

For each case, points are drawn uniformly over the floats of its domain that
meet its precondition, and kept where the exact value of the formula (mpmath,
``pyexpr.ulp.exact_values``) is a finite float.  Four evaluations are
compared with it, in mean bits of error (``log2(1 + ULPs)``, 0 is exact):

- *as written*: the function run by numpy on float64 arrays;
- *stable=False*: pyexpr compiled, simplified by sympy, without the rewrites;
- *pyexpr*: pyexpr's default (simplified, then the stability rewrites);
- *expert*: the rewrite the book gives, run by numpy, where it gives one.

The last column lists the rewrites that fired.  The report is markdown, the
table of ``docs/accuracy.md``.
"""
import argparse
import time

import numpy as np

import pyexpr as px
from pyexpr.ulp import bits, exact_values, sample, ulps

from .hamming import BIG, CASES


def measure_case(case, points, seed):
    """``{column: mean bits}``, the points used and the rewrites of one case."""
    f = px.jit(case.written)
    ranges = {a: case.ranges.get(a, (-BIG, BIG)) for a in f.arg_names}
    at = sample(ranges, points, seed, where=case.where)
    exact = exact_values(f.written[0], f.args, at)
    keep = np.isfinite(exact)
    inputs = [at[a][keep] for a in f.arg_names]
    exact = exact[keep]
    columns = {"as written": _numpy(case.written, inputs),
               "stable=False": px.jit(case.written, stable=False)(*inputs),
               "pyexpr": f(*inputs)}
    if case.alt is not None:
        columns["expert"] = _numpy(case.alt, inputs)
    errors = {k: float(bits(ulps(np.broadcast_to(v, exact.shape), exact)).mean())
              for k, v in columns.items()}
    return errors, int(keep.sum()), sorted({r.name for r in f.rewrites})


def _numpy(fn, inputs):
    with np.errstate(all="ignore"):
        return np.asarray(fn(*inputs), dtype=np.float64)


HEADER = ["case", "points", "as written", "stable=False", "pyexpr", "expert", "rewrites"]


def run(points, seed, only=()):
    rows = []
    for case in CASES:
        if only and not any(o in case.name for o in only):
            continue
        start = time.perf_counter()
        errors, used, rewrites = measure_case(case, points, seed)
        rows.append((case, errors, used, rewrites))
        print(f"  {case.name}: {time.perf_counter() - start:.1f} s", flush=True)
    return rows


def markdown(rows):
    lines = ["| " + " | ".join(HEADER) + " |", "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for case, errors, used, rewrites in rows:
        cells = [f"{errors[k]:.2f}" if k in errors else "" for k in HEADER[2:6]]
        lines.append(f"| {case.name} | {used} | " + " | ".join(cells) + f" | {', '.join(rewrites)} |")
    return "\n".join(lines) + "\n\n" + summary(rows)


def summary(rows):
    mean = {k: np.mean([e[k] for _, e, _, _ in rows]) for k in HEADER[2:5]}
    expert = [(e["pyexpr"], e["expert"]) for _, e, _, _ in rows if "expert" in e]
    at_or_below = sum(p <= x + 0.05 for p, x in expert)
    within_one = sum(p <= x + 1 for p, x in expert)
    return (f"Mean over the {len(rows)} cases: as written {mean['as written']:.2f} bits, "
            f"stable=False {mean['stable=False']:.2f}, pyexpr {mean['pyexpr']:.2f}. "
            f"Of the {len(expert)} cases with an expert rewrite, pyexpr is at or below it on "
            f"{at_or_below} and within one bit of it on {within_one}.")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_hamming",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", default=(), help="cases whose name contains one")
    args = parser.parse_args(argv)
    rows = run(args.points, args.seed, args.only)
    print(markdown(rows))


if __name__ == "__main__":
    main()
