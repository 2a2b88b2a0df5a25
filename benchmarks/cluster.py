"""A formula over a large chunked dask array on a local cluster of worker processes.

The transcendental kernel summed over ``Sizes.cluster_values`` points, computed by a
``distributed.LocalCluster`` of two single-threaded worker processes: pyexpr's formula
called on the dask arrays (each worker rebuilds it from its pickle and compiles it),
against the same expression in dask's numpy spelling.  Both sums are checked against
each other.

The inputs are one ``da.linspace`` of chunks of ``Sizes.cluster_chunk`` and an
elementwise function of it, so each chunk of the sum is one task on one worker.  Two
independent linspaces are two tasks per chunk, which the scheduler may put on different
workers: then a chunk of 80 MB travels between processes, and that copy (the same for
both sides) costs more than pyexpr's formula.  Needs dask and distributed (the
``dask`` extra); without them the section says so.
"""
import numpy as np

import pyexpr as px

from . import formulas
from .timing import Entry, Row, Section, measure

KERNEL = formulas.KERNELS[1]


def _sections_rows(sizes):
    import dask.array as da
    from distributed import Client, LocalCluster
    n, chunk = sizes.cluster_values, sizes.cluster_chunk
    formula = px.jit(KERNEL.python)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) \
            as cluster, Client(cluster) as client:
        x = da.linspace(0.0, 1.0, n, chunks=chunk)
        y = 0.1 + 1.9 * x
        reference = client.compute(KERNEL.xp(da, x, y).sum(), sync=True)
        entries = [Entry("pyexpr", lambda: client.compute(formula(x, y).sum(), sync=True),
                         threads="2 processes"),
                   Entry("numpy", lambda: client.compute(KERNEL.xp(da, x, y).sum(), sync=True),
                         variant="dask.array", threads="2 processes")]
        return measure(entries, np.asarray(reference), sizes.repeats)


def cluster_section(sizes, peers):
    try:
        rows = _sections_rows(sizes)
        notes = []
    except ImportError as error:
        rows = [Row("pyexpr", "pyexpr", "2 processes", status=f"failed: {error} (pip install "
                    f"\"pyexpr[dask]\")")]
        notes = ["dask or distributed is not installed"]
    return Section("cluster", f"{KERNEL.title} summed over {sizes.cluster_values:,} points on a "
                   "local dask cluster",
                   f"A distributed.LocalCluster of 2 worker processes, chunks of "
                   f"{sizes.cluster_chunk:,} points; pyexpr's formula on the dask arrays against "
                   "the same expression in dask.array's numpy spelling; the sums checked against "
                   "each other.", rows, notes=notes, baseline="numpy (dask.array)",
                   reference="dask.array (numpy)")
