"""Loops over vectors of any length on a real GPU (skipped without one; see conftest):
``target="cuda"`` against the LLVM loops, and the fixed summation order giving the
same bits on every call."""
import numpy as np
import pytest

import pyexpr as px
from pyexpr.gpu.loops_run import GPULoopKernel


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1]**2.0)**2.0 + (1 - x[:-1])**2.0)


def nll(mu, sigma, data):
    return np.sum(0.5 * ((data - mu) / sigma)**2 + np.log(sigma)) + 0.5 * len(data) * np.log(2 * np.pi)


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 2e-4)])
@pytest.mark.parametrize("n", [2, 1000, 10**6 + 3])
def test_rosenbrock_and_its_derivatives_on_the_gpu(dtype, rtol, n):
    cpu = px.jit(rosen, dtype=dtype)
    gpu = px.jit(cpu, target="cuda")
    x = np.random.default_rng(n).uniform(-2, 2, n).astype(dtype)
    p = np.random.default_rng(n + 1).uniform(-1, 1, n).astype(dtype)
    np.testing.assert_allclose(gpu(x), cpu(x), rtol=rtol)
    np.testing.assert_allclose(gpu.grad()(x), cpu.grad()(x), rtol=rtol, atol=rtol)
    np.testing.assert_allclose(gpu.hessp()(x, p), cpu.hessp()(x, p), rtol=rtol, atol=rtol)


def test_likelihood_and_gradient_on_the_gpu_are_deterministic():
    f = px.jit(nll, target="cuda")
    g = f.grad(wrt=("mu", "sigma"))
    data = np.random.default_rng(0).normal(1.0, 2.0, 3 * 10**6)
    first = g(1.1, 1.9, data)
    assert isinstance(g.kernel(), GPULoopKernel)
    np.testing.assert_array_equal(g(1.1, 1.9, data), first)
    np.testing.assert_allclose(first, px.jit(nll).grad(wrt=("mu", "sigma"))(1.1, 1.9, data), rtol=1e-10)
