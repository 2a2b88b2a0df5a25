"""A formula on a cluster: the mean of a formula and of its gradient over more values
than one machine's memory holds.

    wave(x, y) = exp(-x^2) sin(y) + cos(x y)

is averaged over N random points of the unit square, with its gradient, from chunked
dask arrays: each worker draws its chunk, runs the compiled formula on it and sums,
so only a few chunks per worker are in memory at a time, however many values there
are (--values 1e10 is 160 GB of x and y as float64).  The workers are processes
(here a LocalCluster); each rebuilds the formula from its pickle and compiles it there.
The means are checked against the integrals over the square (scipy's dblquad),
within the Monte Carlo error.

Run:  python examples/dask_cluster.py [--values 1e10] [--chunk 1e7] [--scheduler ADDRESS]

On several machines: start `dask scheduler` on one (it prints tcp://host:8786), then
`dask worker tcp://host:8786` on each of the others, every one with pyexpr installed
(`pip install "pyexpr[dask]"`), and pass --scheduler tcp://host:8786.
"""
import argparse
import math

import numpy as np

import pyexpr as px


@px.jit
def wave(x, y):
    """A damped wave on the unit square."""
    return math.exp(-x * x) * math.sin(y) + math.cos(x * y)


def means(client, n, chunk):
    """The Monte Carlo means and standard errors of wave and its gradient over n points."""
    import dask.array as da
    from distributed import progress
    rng = da.random.default_rng(2026)
    x = rng.uniform(0, 1, n, chunks=chunk)
    y = rng.uniform(0, 1, n, chunks=chunk)
    values = da.concatenate([wave(x, y)[None], wave.grad()(x, y)])     # 3 rows, lazy
    sums = [values.sum(axis=1), (values ** 2).sum(axis=1)]
    futures = client.compute(sums)
    progress(futures)                               # a text progress bar while it runs
    total, squares = (f.result() for f in futures)
    print()
    mean = total / n
    return mean, np.sqrt(np.maximum(squares / n - mean ** 2, 0) / n)


def exact():
    """The integrals of wave, d wave/dx and d wave/dy over the unit square."""
    from scipy.integrate import dblquad
    parts = [wave, wave.diff("x"), wave.diff("y")]
    return [dblquad(lambda y, x, f=f: f(x, y), 0, 1, 0, 1, epsabs=1e-13)[0] for f in parts]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=float, default=2e7, help="how many points (default 2e7)")
    parser.add_argument("--chunk", type=float, default=1e7, help="points per chunk (default 1e7)")
    parser.add_argument("--scheduler", help="a running dask scheduler's address; default: a "
                        "LocalCluster of 2 worker processes on this machine")
    options = parser.parse_args()
    from distributed import Client, LocalCluster
    n, chunk = int(options.values), int(options.chunk)
    print(wave)
    print(wave.grad())
    if options.scheduler:
        client, cluster = Client(options.scheduler), None
    else:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        mean, error = means(client, n, chunk)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    print(f"{n:.3g} points in chunks of {chunk:.3g} ({16 * n / 1e9:.3g} GB of x and y as float64)")
    for name, m, e, want in zip(["wave", "dwave/dx", "dwave/dy"], mean, error, exact()):
        print(f"mean {name:9s} {m:.10f} +- {e:.1e}   integral {want:.10f}   "
              f"off by {abs(m - want) / e:.2f} standard errors")


if __name__ == "__main__":
    main()
