"""The pycuda runtime, without a GPU.

* without pycuda, ``compile_cuda`` and ``call`` raise ``GPUUnavailableError``
  saying how to install it;
* device arrays are read through ``__cuda_array_interface__`` correctly;
* the runtime's logic (kernel variant per scalar/array mask, broadcasting,
  dtype conversion of device inputs through the expand kernel, output layout,
  ``out=``, grid size) is run end to end against ``fake_device``, which
  executes each launched kernel with the host-compiled generated code.
"""
import importlib.util

import numpy as np
import pytest

import fake_device
from cuda_corpus import renamed
from pyexpr.errors import GPUUnavailableError
from pyexpr.gpu import compile_cuda, runtime
from pyexpr.ir.interp import evaluate


def call(program, dtype, fastmath, args, out=None, out_shape=None):
    """Evaluate ``program`` on the GPU as a Formula with ``target="cuda"`` does."""
    return compile_cuda(program, dtype, fastmath).evaluate(args, out=out, out_shape=out_shape)


@pytest.mark.skipif(importlib.util.find_spec("pycuda") is not None, reason="pycuda is installed here")
def test_without_pycuda_the_error_says_how_to_install(built):
    program = built[3]["axpy"]
    for attempt in (lambda: compile_cuda(program), lambda: call(program, "float64", False, (1.0, 2.0))):
        with pytest.raises(GPUUnavailableError, match=r"pip install pyexpr\[gpu\]"):
            attempt()


class _CAI:
    """An object exposing only ``__cuda_array_interface__`` (as CuPy, PyTorch, Numba do)."""
    def __init__(self, array, stream=None, omit_strides=False):
        self.__cuda_array_interface__ = {
            "shape": array.shape, "typestr": array.dtype.str, "data": (array.ctypes.data, False),
            "strides": None if omit_strides else array.strides, "version": 3, "stream": stream}


def test_device_array_view():
    base = np.zeros((4, 6))
    dense = runtime._Device(_CAI(base, omit_strides=True))
    assert dense.shape == (4, 6) and dense.strides == (6, 1) and dense.contiguous
    sliced = runtime._Device(_CAI(base[:, ::2]))
    assert sliced.strides == (6, 2) and not sliced.contiguous
    assert not runtime._Device(_CAI(base.T)).contiguous
    assert runtime._Device(_CAI(base[:1])).contiguous
    assert runtime._Device(_CAI(base, stream=1)).foreign_stream is False
    assert runtime._Device(_CAI(base, stream=0x7f00)).foreign_stream is True


def test_expand_offsets_match_numpy_broadcasting(built):
    host = built[0]
    device = fake_device.FakeDevice(host)
    base = np.arange(60.0).reshape(3, 4, 5)
    for view, shape in [(base[::-1, :, 1:4:2], (2, 3, 4, 2)), (base[:, :1, :].transpose(2, 1, 0), (5, 4, 3)),
                        (base[1, 2, 3:4], (3, 2)), (base, (3, 4, 5))]:
        item = runtime._Device(_CAI(view))
        dims = runtime.expand_dims(item.shape, item.strides, shape)
        offsets = [device.offset(i, dims.ctypes.data, len(shape)) for i in range(int(np.prod(shape)))]
        start = (view.ctypes.data - base.ctypes.data) // 8
        got = base.ravel()[start + np.array(offsets)]
        np.testing.assert_array_equal(got, np.broadcast_to(view, shape).ravel())


@pytest.fixture
def fake(built, monkeypatch):
    device = fake_device.FakeDevice(built[0])
    monkeypatch.setattr(runtime, "_CUDA", device)
    monkeypatch.setattr(runtime, "_MODULES", {})
    monkeypatch.setattr(runtime, "_KERNELS", {})
    monkeypatch.setattr(runtime, "_EXPANDERS", {})
    return device, built[3]


def _on_device(a):
    return fake_device.FakeGPUArray(np.ascontiguousarray(a))


def test_host_inputs_scalars_go_by_value(fake):
    device, programs = fake
    program = renamed(programs["gaussian"], "f64")
    x = np.linspace(-3, 3, 1001)
    got = call(program, "float64", False, (x, 0.25, np.array([[1.5]])))
    assert isinstance(got, np.ndarray) and got.shape == (1, 1001)
    np.testing.assert_allclose(got, evaluate(programs["gaussian"], x, 0.25, [[1.5]])[0], rtol=1e-14)
    (launch_grid, args), = device.kernels["pyexpr_gaussian_f64_kernel_ass"].launches
    assert args[1] == 0.25 and args[2] == 1.5 and args[-1] == 1001 and launch_grid == (4, 1, 1)


def test_broadcasting_and_multi_output_layout(fake):
    device, programs = fake
    program = renamed(programs["polar"], "f32")
    r, t = np.linspace(0, 2, 5)[:, None], np.linspace(-1, 1, 7)
    got = call(program, "float32", False, (r, t), out_shape=(2,))
    assert got.shape == (2, 5, 7) and got.dtype == np.float32
    np.testing.assert_allclose(got, np.array(evaluate(programs["polar"], r, t)), rtol=1e-6, atol=1e-6)
    assert "pyexpr_polar_f32_kernel_aa" in device.kernels


def test_device_inputs_stay_on_device_and_are_expanded(fake):
    device, programs = fake
    program = renamed(programs["axpy"], "f64")
    x = np.arange(12.0).reshape(3, 4)
    y_int = np.arange(4, dtype=np.int32)                     # broadcast and cast by the expand kernel
    got = call(program, "float64", False, (_on_device(x), _on_device(y_int)))
    assert isinstance(got, fake_device.FakeGPUArray) and got.shape == (3, 4)
    np.testing.assert_array_equal(got.get(), 2.5 * x + y_int)
    assert "pyexpr_expand_int32_float64" in device.kernels


def test_contiguous_device_input_is_passed_without_copy(fake):
    device, programs = fake
    program = renamed(programs["axpy"], "f64")
    x = _on_device(np.arange(5.0))
    call(program, "float64", False, (x, 1.0))
    (_, args), = device.kernels["pyexpr_axpy_f64_kernel_as"].launches
    assert args[0] == x.gpudata and not any(k.startswith("pyexpr_expand") for k in device.kernels)


def test_out_arguments(fake):
    device, programs = fake
    program = renamed(programs["magnitude_angle"], "f64")
    x, y = np.array([3.0, -1.0]), np.array([4.0, 0.0])
    host_out = np.empty((2, 2))
    assert call(program, "float64", False, (x, y), out=host_out) is host_out
    np.testing.assert_allclose(host_out, [[5.0, 1.0], [np.arctan2(4, 3), np.pi]])
    dev_out = _on_device(np.empty((2, 2)))
    assert call(program, "float64", False, (x, y), out=dev_out) is dev_out
    np.testing.assert_allclose(dev_out.get(), host_out)
    with pytest.raises(ValueError, match="out="):
        call(program, "float64", False, (x, y), out=np.empty(2))


def test_foreign_stream_synchronizes_and_errors(fake):
    device, programs = fake
    program = renamed(programs["axpy"], "f64")
    x = np.arange(3.0)
    call(program, "float64", False, (_CAI(x, stream=0x1234), 1.0))
    assert device.syncs == 1
    with pytest.raises(ValueError, match="do not broadcast"):
        call(program, "float64", False, (np.zeros(3), np.zeros(4)))
    with pytest.raises(TypeError, match="takes 2 arguments"):
        call(program, "float64", False, (1.0,))
    assert call(program, "float64", False, (np.zeros(0), 1.0)).shape == (0,)


def test_grid_is_capped_by_multiprocessors(fake):
    device, programs = fake
    program = renamed(programs["axpy"], "f64")
    call(program, "float64", False, (np.zeros(10**6), 1.0))
    (grid, _), = device.kernels["pyexpr_axpy_f64_kernel_as"].launches
    assert grid == (fake_device.grid_for(10**6), 1, 1) == (132 * runtime.BLOCKS_PER_SM, 1, 1)


def test_cpu_kernel_protocol(fake):
    """``dtype``, ``scalar`` and ``run(inputs, outs)``: what ``pyexpr.calling`` calls on any kernel."""
    device, programs = fake
    kernel = compile_cuda(renamed(programs["polar"], "f64"), "float64")
    assert kernel.dtype == np.float64 and "pyexpr_polar_f64_kernel_aa" in kernel.source
    assert kernel.scalar(2.0, 0.0) == (2.0, 0.0)
    r = np.broadcast_to(np.float64(2.0), (3,))                  # a broadcast scalar goes by value
    t = np.array([0.0, np.pi / 2, np.pi])
    target = np.empty((2, 3))
    kernel.run([r, t], [target[0], target[1]])
    np.testing.assert_allclose(target, [[2.0, 0.0, -2.0], [0.0, 2.0, 0.0]], atol=1e-15)
    assert "pyexpr_polar_f64_kernel_sa" in device.kernels


def test_formula_with_cuda_target_routes_device_and_host_arrays(fake):
    import sympy
    import pyexpr as px
    device, programs = fake
    x, y = sympy.symbols("x y", real=True)
    f = px.from_sympy(2.5 * x + y, [x, y], name="axpy_f64", target="cuda")
    xs = np.arange(6.0).reshape(2, 3)
    on_device = f(_on_device(xs), 1.0)                 # stays on the device
    assert isinstance(on_device, fake_device.FakeGPUArray)
    np.testing.assert_array_equal(on_device.get(), 2.5 * xs + 1.0)
    on_host = f(xs, [1.0, 2.0, 3.0])                  # numpy in, numpy out
    assert isinstance(on_host, np.ndarray)
    np.testing.assert_array_equal(on_host, 2.5 * xs + [1.0, 2.0, 3.0])
    assert f(2.0, 1.0) == 6.0
    assert "pyexpr_axpy_f64_kernel_as" in device.kernels


def test_broadcast_host_inputs_are_copied_once_and_expanded_on_the_device(fake, monkeypatch):
    device, programs = fake
    copied = []
    original = fake_device.FAKE_GPUARRAY.to_gpu

    def counting(a):
        copied.append(np.shape(a))
        return original(a)
    monkeypatch.setattr(fake_device.FAKE_GPUARRAY, "to_gpu", counting)
    program = renamed(programs["polar"], "f64")
    r = np.broadcast_to(np.linspace(0, 2, 300)[:, None], (300, 400))      # a stride-0 view
    t = np.linspace(-1, 1, 400)
    got = call(program, "float64", False, (r, t), out_shape=(2,))
    np.testing.assert_allclose(got, np.array(evaluate(programs["polar"], r, t)), rtol=1e-13, atol=1e-13)
    data = [shape for shape in copied if shape != (4,)]                   # (4,): the expand dims
    assert sorted(data) == [(300, 1), (400,)]                             # never the 120,000 values
    assert any(name.startswith("pyexpr_expand_float64_float64") for name in device.kernels)


def test_full_size_host_inputs_of_lower_rank_need_no_expansion(fake):
    device, programs = fake
    program = renamed(programs["polar"], "f64")
    r, t = np.linspace(0, 2, 5), np.linspace(-1, 1, 5)[None, :]
    got = call(program, "float64", False, (r, t), out_shape=(2,))
    np.testing.assert_allclose(got, np.array(evaluate(programs["polar"], r, t)), rtol=1e-13, atol=1e-13)
    assert not any(name.startswith("pyexpr_expand_") for name in device.kernels)
