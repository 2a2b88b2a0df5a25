"""The CUDA backend on a real GPU (skipped without one; see conftest).

The oracle is ``pyexpr.ir.interp.evaluate`` in float64 (inputs rounded to
the dtype first, its result rounded to the dtype), on 10^6 random points per
formula with nan/inf/0 mixed in.  Tolerances: ``cuda_corpus.Case`` per formula
(CUDA's double functions are within 1-4 ulp, tgamma 10); ops alone rtol 1e-12
(float64) and 4e-6 (float32, CUDA's float functions are within 1-4 ulp), and
1e-4 relative / 1e-5 absolute on [-5, 5] for float32 fastmath intrinsics.
"""
import importlib.util

import numpy as np
import pytest

import cuda_corpus
from cuda_corpus import reference, renamed
from pyexpr.gpu import compile_cuda, runtime
from pyexpr.ir.interp import evaluate


def call(program, dtype, fastmath, args, out=None, out_shape=None):
    """Evaluate ``program`` on the GPU as a Formula with ``target="cuda"`` does."""
    return compile_cuda(program, dtype, fastmath).evaluate(args, out=out, out_shape=out_shape)

N = 10**6
PROGRAMS = {c.name: c.program() for c in cuda_corpus.CASES}
OP_PROGRAMS = cuda_corpus.op_programs()


def gpuarray():
    return runtime.cuda().gpuarray


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", cuda_corpus.CASES, ids=lambda c: c.name)
def test_formula_matches_reference(case, dtype):
    program = PROGRAMS[case.name]
    inputs, expected = reference(program, cuda_corpus.sample(case, N, np.random.default_rng(3)), dtype)
    got = call(program, dtype, False, [a.astype(dtype) for a in inputs], out_shape=(len(program.outputs),))
    assert isinstance(got, np.ndarray) and got.dtype == dtype and got.shape == (len(program.outputs), N)
    rtol, atol = (case.rtol64, case.atol64) if dtype == "float64" else (case.rtol32, case.atol32)
    for j, e in enumerate(expected):
        np.testing.assert_allclose(got[j], e, rtol=rtol, atol=atol, equal_nan=True, err_msg=f"output {j}")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("op", sorted(OP_PROGRAMS))
def test_op_matches_reference(op, dtype):
    program = OP_PROGRAMS[op]
    inputs, (expected,) = reference(program, cuda_corpus.op_inputs(np.random.default_rng(4)), dtype)
    got = call(program, dtype, False, inputs)
    rtol = 1e-12 if dtype == "float64" else 4e-6
    atol = 1e-14 if dtype == "float64" else 1e-37
    if op in ("tgamma", "lgamma"):
        # CUDA's gamma functions are the least accurate: tgamma 10 ulp; lgamma has only an
        # absolute bound on (-11.0001, -2.2637), where it has roots
        rtol, atol = rtol * 10, (1e-11 if dtype == "float64" else 1e-5) if op == "lgamma" else atol
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)


@pytest.mark.parametrize("op", sorted(OP_PROGRAMS))
def test_fastmath_float32_is_close(op):
    program = OP_PROGRAMS[op]
    rng = np.random.default_rng(5)
    inputs, (expected,) = reference(program, [rng.uniform(-5, 5, 10**5) for _ in range(2)], "float32")
    got = call(program, "float32", True, inputs)
    if op == "tan":            # __tanf = __sinf/__cosf: absolute error 2^-21 in cos is large near poles
        keep = np.abs(np.cos(inputs[0])) > 0.05
        got, expected = got[keep], expected[keep]
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5, equal_nan=True)


def test_gpuarray_inputs_stay_on_device():
    program = PROGRAMS["expsincos"]
    x, y = np.random.default_rng(6).uniform(-3, 3, (2, N))
    result = call(program, "float64", False, (gpuarray().to_gpu(x), gpuarray().to_gpu(y)))
    assert isinstance(result, gpuarray().GPUArray) and result.shape == (N,)
    np.testing.assert_allclose(result.get(), evaluate(program, x, y)[0], rtol=1e-12, atol=1e-14)


def test_device_broadcasting_casting_and_strides():
    program = PROGRAMS["gaussian"]
    x = np.linspace(-3, 3, 2001)
    mu = np.arange(-2, 3, dtype=np.int32)[:, None]            # cast and broadcast on the device
    s = np.linspace(0.5, 2, 4002)[::2]                           # non-contiguous on the device
    dev_s = gpuarray().to_gpu(np.linspace(0.5, 2, 4002))[::2]
    result = call(program, "float64", False, (gpuarray().to_gpu(x), gpuarray().to_gpu(mu), dev_s))
    assert result.shape == (5, 2001)
    np.testing.assert_allclose(result.get(), evaluate(program, x, mu, s)[0], rtol=1e-12, atol=1e-15)


def test_host_broadcasting_and_scalars():
    program = PROGRAMS["polar"]
    r, t = np.linspace(0, 2, 300)[:, None], np.linspace(-3, 3, 500)
    got = call(program, "float32", False, (r, t))
    assert got.shape == (2, 300, 500) and got.dtype == np.float32
    np.testing.assert_allclose(got, np.array(evaluate(program, r, t)), rtol=2e-6, atol=2e-6)
    one = call(program, "float64", False, (2.0, 0.5))
    np.testing.assert_allclose(one, [2 * np.cos(0.5), 2 * np.sin(0.5)], rtol=1e-15)


def test_multi_output_into_device_out():
    program = PROGRAMS["grad_expsincos"]
    x, y = np.random.default_rng(7).uniform(-2, 2, (2, 10**5))
    out = gpuarray().empty((2, 10**5), np.float64)
    assert call(program, "float64", False, (gpuarray().to_gpu(x), y), out=out) is out
    np.testing.assert_allclose(out.get(), np.array(evaluate(program, x, y)), rtol=1e-12, atol=1e-14)


def test_cpu_kernel_protocol():
    kernel = compile_cuda(PROGRAMS["black_scholes"], "float64")
    expected = evaluate(PROGRAMS["black_scholes"], 100.0, 95.0, 1.0, 0.05, 0.2)[0]
    assert kernel.scalar(100.0, 95.0, 1.0, 0.05, 0.2) == pytest.approx(float(expected), rel=1e-13)


@pytest.mark.skipif(importlib.util.find_spec("cupy") is None, reason="CuPy is not installed")
def test_cupy_inputs():
    import cupy as cp
    program = PROGRAMS["piecewise_bench"]
    x = cp.random.uniform(0, 2, N)
    y = cp.random.uniform(0.1, 4, (N, 2))[:, 1]                # a strided CuPy view
    result = cp.asarray(call(program, "float32", False, (x.astype(cp.float32), y)))
    expected = evaluate(program, cp.asnumpy(x).astype(np.float32), cp.asnumpy(y).astype(np.float32))[0]
    np.testing.assert_allclose(cp.asnumpy(result), expected.astype(np.float32), rtol=2e-5, atol=1e-5)


def test_many_masks_and_zero_size():
    program = renamed(PROGRAMS["band"], "masks")
    x, y = np.linspace(-2, 2, 1000), np.linspace(0.1, 3, 1000)
    for args in [(x, y), (x, 0.5), (-0.3, y), (np.float64(0.2), np.array([[1.5]]))]:
        np.testing.assert_allclose(call(program, "float64", False, args),
                                   evaluate(program, *args)[0], rtol=1e-12, atol=1e-15)
    assert call(program, "float64", False, (np.zeros(0), 1.0)).shape == (0,)
