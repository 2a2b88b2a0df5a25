"""``python -m benchmarks [--quick] [--out DIR] [--only WORKLOAD ...] [--without PEER ...]``.

Runs every workload (see ``workloads`` and ``latency``) in this process,
prints each section's table as it finishes, and writes the report, chart and
JSON into ``--out`` (default ``benchmarks/results/``; with ``--only``,
``benchmarks/results/only-<workloads>/``, so a partial run never replaces the
full report).  ``--quick`` uses small
sizes and one timed round (about half a minute): it checks every workload, and is
what the test suite runs; its times are not medians.
Exit status 0, or 1 when a pyexpr entry failed or disagreed with the
reference.
"""
import argparse
import os
import platform
import sys
import time
from pathlib import Path

from . import calls, cluster, latency, report, scipy_loops, vectors, workloads
from . import sizes as sizes_module
from .peers import OPTIONAL, Peers

WORKLOADS = {
    "elementwise": workloads.elementwise_sections,
    "gradient": lambda sizes, peers: [workloads.gradient_section(sizes, peers)],
    "scalar": lambda sizes, peers: [workloads.scalar_section(sizes, peers)],
    "small": lambda sizes, peers: [workloads.small_array_section(sizes, peers)],
    "calls": lambda sizes, peers: [calls.calls_section(sizes, peers)],
    "scipy": scipy_loops.scipy_sections,
    "first-call": lambda sizes, peers: [latency.latency_section(sizes, peers)],
    "hessian": lambda sizes, peers: [workloads.hessian_section(sizes, peers)],
    "sizes": lambda sizes, peers: [sizes_module.sizes_section(sizes, peers)],
    "build-order": lambda sizes, peers: [sizes_module.build_order_section(sizes, peers)],
    "cluster": lambda sizes, peers: [cluster.cluster_section(sizes, peers)],
    "vectors": lambda sizes, peers: [vectors.rosen_section(sizes, peers),
                                     vectors.likelihood_section(sizes, peers),
                                     vectors.logsumexp_section(sizes, peers),
                                     vectors.pairwise_section(sizes, peers),
                                     vectors.matrix_section(sizes, peers),
                                     vectors.first_result_section(sizes, peers)],
}
DEFAULT_OUT = Path(__file__).resolve().parent / "results"


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=(
        "pyexpr side by side with numpy, numexpr, numba, sympy.lambdify, symengine and JAX; "
        "every result checked against numpy before its time counts."))
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, one timed round (a check of every workload)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"folder for report.md, speedup.png, results.json (default {DEFAULT_OUT}, "
                        "or its subfolder only-<workloads> with --only)")
    parser.add_argument("--only", nargs="+", choices=list(WORKLOADS), metavar="WORKLOAD",
                        help="run only these workloads: " + ", ".join(WORKLOADS))
    parser.add_argument("--without", nargs="+", choices=OPTIONAL, default=[], metavar="PEER",
                        help="leave out these peers: " + ", ".join(OPTIONAL))
    args = parser.parse_args(argv)
    if args.out is None:
        args.out = DEFAULT_OUT / f"only-{'-'.join(args.only)}" if args.only else DEFAULT_OUT
    return args


def context(args, sizes, peers):
    return {"mode": "quick" if args.quick else "full", "repeats": sizes.repeats,
            "machine": machine(),
            "python": platform.python_version(), "versions": peers.versions,
            "skipped": peers.skipped}


#: the CPU flags that decide which code runs (vector ISA, FMA)
FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512vl")


def machine():
    """The CPU as the report names it: model, core count, the flags in FLAGS, pyexpr's SIMD."""
    from pyexpr.cpu.runtime import driver
    from pyexpr.cpu import host
    model, flags = host.cpu_info()
    target = host.vector_target()
    shown = " ".join(f for f in FLAGS if f in (flags or ()))
    cache = f", last level cache {driver.STREAM_BYTES >> 20} MiB" if driver.STREAM_BYTES else ""
    return (f"{model or platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}, "
            f"flags: {shown or 'unknown'}{cache}; pyexpr's vector ISA: {target.isa if target else 'none'}")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    sizes = workloads.QUICK if args.quick else workloads.FULL
    peers = Peers(exclude=args.without)
    for name, why in peers.skipped.items():
        print(f"skipping {name}: {why}")
    sections = []
    for name in args.only or WORKLOADS:
        start = time.perf_counter()
        print(f"running {name} ...", flush=True)
        for section in WORKLOADS[name](sizes, peers):
            print(f"\n## {section.title}\n{report.table(section)}\n{report.checked_line(section)}\n",
                  flush=True)
            sections.append(section)
        print(f"{name}: {time.perf_counter() - start:.1f} s", flush=True)
    path = report.write(sections, context(args, sizes, peers), args.out)
    print(f"report written to {path}")
    broken = [r.label for s in sections for r in s.rows if r.peer == "pyexpr" and not r.ok]
    if broken:
        print("pyexpr entries failed or disagreed: " + ", ".join(broken), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
