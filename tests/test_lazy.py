"""Dask and xarray (issue 16, items 3-5): a formula called on a dask array gives a lazy
dask array with the input's chunks; on xarray objects it keeps dims and coords; task
graphs run on a local cluster of worker processes, which rebuild the formula from its
pickle."""
import math
import os

import numpy as np
import pytest

import pyexpr as px

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
xr = pytest.importorskip("xarray")


def wave(x, y=2.0):
    return math.exp(-x * x) * math.sin(y) + math.cos(x * y)


@pytest.fixture(scope="module")
def f():
    return px.jit(wave)


def test_a_dask_array_gives_a_lazy_one_computed_only_on_compute(f):
    calls = []

    def counting(*args, **kwargs):
        calls.append(1)
        return dask.get(*args, **kwargs)
    x = da.linspace(-2, 2, 10_000, chunks=1_000)
    with dask.config.set(scheduler=counting):
        lazy = f(x, 3.0)
        assert isinstance(lazy, da.Array) and lazy.chunks == x.chunks and not calls
        value = lazy.compute()
    assert calls
    np.testing.assert_array_equal(value, f(x.compute(), 3.0))


def test_broadcasting_defaults_derivatives_and_float32(f):
    x = da.random.default_rng(0).uniform(-1, 1, (300, 40), chunks=(100, 20))
    y = np.linspace(0, 1, 40)
    np.testing.assert_array_equal(f(x, y).compute(), f(x.compute(), y))
    np.testing.assert_array_equal(f(x).compute(), f(x.compute()))              # y's default
    grad = f.grad()(x, y)
    assert grad.shape == (2, 300, 40) and grad.chunks[1:] == x.chunks
    np.testing.assert_array_equal(grad.compute(), f.grad()(x.compute(), y))
    single = px.jit(wave, dtype="float32")(x.astype(np.float32))
    assert single.dtype == np.float32 and single.compute().dtype == np.float32
    with pytest.raises(TypeError, match="out= cannot be given with dask"):
        f(x, out=np.empty(x.shape))


def test_xarray_keeps_dims_and_coords(f):
    a = xr.DataArray(np.linspace(0, 1, 12).reshape(3, 4), dims=("time", "site"),
                     coords={"time": [1, 2, 3], "site": list("abcd")}, name="x")
    result = f(a, 0.5)
    assert isinstance(result, xr.DataArray) and result.dims == ("time", "site")
    assert list(result.coords["site"].values) == list("abcd")
    np.testing.assert_array_equal(result.values, f(a.values, 0.5))
    grad = f.grad()(a)
    assert grad.dims == ("time", "site", "grad_wave_output") and grad.shape == (3, 4, 2)
    np.testing.assert_array_equal(grad.values, np.moveaxis(f.grad()(a.values), 0, -1))
    chunked = xr.apply_ufunc(f, a.chunk({"time": 1}), dask="parallelized", output_dtypes=[float])
    np.testing.assert_array_equal(chunked.compute().values, f(a.values))
    assert f(a.chunk({"time": 1})).chunks == ((1, 1, 1), (4,))


def test_a_local_cluster_of_processes_computes_it(f):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        x = da.linspace(-3, 3, 200_000, chunks=25_000)
        value, grad = client.compute([f(x), f.grad()(x, 1.5)], sync=True)
        workers = client.run(lambda: __import__("os").getpid())
        threads = client.run(_pyexpr_threads)
    np.testing.assert_array_equal(value, f(x.compute()))
    np.testing.assert_array_equal(grad, f.grad()(x.compute(), 1.5))
    assert len(set(workers.values())) == 2
    # the workers run one task per core: pyexpr adds no threads of its own there
    # (PYEXPR_NUM_THREADS, where the tests' caller set it, still wins)
    assert set(threads.values()) == {int(os.environ.get("PYEXPR_NUM_THREADS", 1))}, threads


def _pyexpr_threads():
    from pyexpr.cpu.runtime.driver import thread_count
    return thread_count(True)
