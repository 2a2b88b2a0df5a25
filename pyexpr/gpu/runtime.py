"""Compile and launch generated CUDA C through pycuda (an optional dependency).

``compile_cuda(program, dtype, fastmath)`` returns a ``GPUKernel``;
``GPUKernel.evaluate(inputs, out=None, out_shape=None)`` evaluates it
elementwise (``call(program, dtype, fastmath, args, out, out_shape)`` does both):

* inputs are scalars, numpy arrays (anything ``np.asarray`` takes), pycuda
  ``GPUArray``s, or any object with ``__cuda_array_interface__`` (CuPy,
  PyTorch, Numba); their shapes broadcast as in numpy;
* the result has shape ``out_shape + broadcast_shape`` (``out_shape`` defaults
  to ``()`` for one output and ``(m,)`` for m outputs; output ``j`` is the
  j-th contiguous block).  With only host inputs it is a numpy array (copied
  back); if any input lives on the device it is a pycuda ``GPUArray`` and no
  data leaves the device.  ``out=`` may be a numpy array or a C-contiguous
  device array of that shape and the formula's dtype.

``GPUKernel`` also speaks the CPU kernels' protocol used by ``pyexpr.calling``:
``dtype``, ``scalar(*floats) -> tuple`` and ``run(inputs, outs)`` filling
numpy output views (host data only).

Broadcasting is done by materializing on the device: a host input of one
element (or a broadcast view of one) is passed to the kernel by value (the
kernel variant is chosen by the "which arguments are arrays" mask); other
host inputs are cast and copied without the repetition of broadcasting (a
stride-0 axis is copied once); inputs that are then not contiguous,
full-size and of the formula's dtype are copied into such a buffer on the
device by the ``expand`` kernel (strides, broadcasting and dtype conversion
in one pass).

pycuda is imported on first use; the device's *primary* context is retained
(``pycuda.autoprimaryctx``) so that pointers from CuPy, PyTorch or Numba,
which use the same context, are valid here.  Modules are cached per
``(source, arch)``; the grid is sized from the multiprocessor count.  The
context is current only on the thread that first used the GPU (pycuda's
``autoprimaryctx``): calls from other threads are not supported yet.  Every
launch is on the legacy default stream, which orders it after other work on
that stream; an input exported with another stream makes us synchronize the
context first.  Without pycuda, a driver or a device, ``GPUUnavailableError``
says what is missing and how to install it.
"""
import importlib.util
import math

import numpy as np

from ..errors import GPUUnavailableError, LoweringError
from . import cuda_c

INSTALL_HINT = ("install the GPU extra with `pip install pyexpr[gpu]` (it builds pycuda, "
                "which needs the CUDA toolkit's nvcc and an NVIDIA driver)")
BLOCK = 256
BLOCKS_PER_SM = 8          # 8 x 256 threads fill an SM; the grid-stride loop does the rest

_MODULES = {}              # (source, arch) -> pycuda SourceModule
_KERNELS = {}              # (program key, dtype, fastmath) -> GPUKernel
_EXPANDERS = {}            # (source dtype, formula dtype) -> prepared expand kernel
_CUDA = None


class _Cuda:
    """The imported pycuda modules and facts about the current device."""

    def __init__(self):
        if importlib.util.find_spec("pycuda") is None:
            raise GPUUnavailableError(f"target='cuda' needs pycuda, which is not installed; {INSTALL_HINT}")
        try:
            import pycuda.driver as drv
        except ImportError as exc:       # e.g. libcuda.so.1 missing: no driver
            raise GPUUnavailableError(f"pycuda is installed but cannot load the CUDA driver ({exc}); "
                                      "install the NVIDIA driver, or use target='cpu'") from exc
        try:
            import pycuda.autoprimaryctx as ctx
        except Exception as exc:         # cuInit failed: no device, driver/toolkit mismatch, ...
            raise GPUUnavailableError(f"no usable CUDA device ({exc}); use target='cpu'") from exc
        import pycuda.gpuarray as gpuarray
        from pycuda.compiler import SourceModule
        self.drv, self.gpuarray, self.SourceModule = drv, gpuarray, SourceModule
        self.device = ctx.device
        self.arch = "sm_%d%d" % self.device.compute_capability()
        self.sm_count = self.device.get_attribute(drv.device_attribute.MULTIPROCESSOR_COUNT)

    def module(self, source):
        key = (source, self.arch)
        if key not in _MODULES:
            try:
                _MODULES[key] = self.SourceModule(source, arch=self.arch, no_extern_c=True)
            except self.drv.CompileError as exc:
                numbered = "\n".join(f"{k:4d}  {line}" for k, line in enumerate(source.splitlines(), 1))
                raise LoweringError(f"nvcc rejected the generated CUDA source:\n{exc.stderr}\n{numbered}") from exc
            except OSError as exc:
                raise GPUUnavailableError(f"cannot run nvcc to compile the kernel ({exc})") from exc
        return _MODULES[key]

    def expand_function(self, src_dtype, dst_dtype):
        """The prepared broadcast/cast/compact kernel for one pair of dtypes."""
        key = (np.dtype(src_dtype), np.dtype(dst_dtype))
        if key not in _EXPANDERS:
            source = cuda_c.expand_source(*key)
            _EXPANDERS[key] = self.module(source).get_function(cuda_c.expand_name(*key))
            _EXPANDERS[key].prepare("PPPiq")
        return _EXPANDERS[key]

    def launch(self, function, n, args):
        grid = max(1, min(math.ceil(n / BLOCK), self.sm_count * BLOCKS_PER_SM))
        function.prepared_call((grid, 1, 1), (BLOCK, 1, 1), *args)


def cuda():
    """The lazily initialized pycuda state; raises ``GPUUnavailableError`` where there is none."""
    global _CUDA
    if _CUDA is None:
        _CUDA = _Cuda()
    return _CUDA


class _Device:
    """A device array seen through ``__cuda_array_interface__``: pointer, shape, dtype, element strides."""

    def __init__(self, obj):
        cai = obj.__cuda_array_interface__
        self.ptr, self.shape, self.dtype = cai["data"][0], tuple(cai["shape"]), np.dtype(cai["typestr"])
        dense = _c_strides(self.shape, self.dtype.itemsize)
        byte_strides = dense if cai.get("strides") is None else tuple(cai["strides"])
        if any(s % self.dtype.itemsize for s in byte_strides):
            raise ValueError("device arrays with strides that are not multiples of the item size are not supported")
        self.strides = tuple(s // self.dtype.itemsize for s in byte_strides)
        self.contiguous = all(s == d or dim == 1 for s, d, dim in zip(byte_strides, dense, self.shape))
        self.foreign_stream = cai.get("stream") not in (None, 1)     # 1 is the legacy default stream


def _c_strides(shape, itemsize):
    strides, step = [], itemsize
    for dim in reversed(shape):
        strides.append(step)
        step *= dim
    return tuple(reversed(strides))


class GPUKernel:
    """One Program compiled for one dtype; a kernel per array mask, built on first use."""

    def __init__(self, program, dtype="float64", fastmath=False):
        if dtype not in cuda_c.CTYPES:
            raise ValueError(f"dtype must be one of {sorted(cuda_c.CTYPES)}, not {dtype!r}")
        self.program, self.dtype, self.fastmath = program, np.dtype(dtype), bool(fastmath)
        self.cuda = cuda()
        self._functions = {}
        self.function((True,) * program.n_args)        # compile now: errors surface at compile time

    @property
    def source(self):
        """The CUDA C source of the all-arrays kernel (other masks differ only in the kernel)."""
        return cuda_c.cuda_source(self.program, self.dtype.name, self.fastmath)

    def function(self, mask):
        if mask not in self._functions:
            module = self.cuda.module(cuda_c.cuda_source(self.program, self.dtype.name, self.fastmath, mask))
            fn = module.get_function(cuda_c.kernel_name(self.program, mask))
            scalar = self.dtype.char
            fn.prepare("".join("P" if a else scalar for a in mask) + "P" * len(self.program.outputs) + "q")
            self._functions[mask] = fn
        return self._functions[mask]

    def scalar(self, *values):
        """The outputs at one point, as a tuple of Python floats (the CPU kernels' protocol)."""
        return tuple(float(v) for v in np.ravel(self.evaluate(values, out_shape=(len(self.program.outputs),))))

    def run(self, inputs, outs):
        """Fill the numpy arrays ``outs`` (one per output) from host ``inputs`` (the CPU kernels' protocol)."""
        for target, result in zip(outs, self.evaluate(inputs, out_shape=(len(outs),))):
            target[...] = result

    def evaluate(self, inputs, out=None, out_shape=None):
        """Evaluate on ``inputs``; see the module docstring for shapes and result types."""
        if len(inputs) != self.program.n_args:
            raise TypeError(f"{self.program.name} takes {self.program.n_args} arguments, got {len(inputs)}")
        n_out = len(self.program.outputs)
        out_shape = tuple(out_shape) if out_shape is not None else (() if n_out == 1 else (n_out,))
        if math.prod(out_shape) != n_out:
            raise ValueError(f"out_shape {out_shape} does not hold {n_out} outputs")
        items = [_Device(a) if hasattr(a, "__cuda_array_interface__") else _host(a) for a in inputs]
        try:
            shape = np.broadcast_shapes(*(item.shape for item in items))
        except ValueError:
            shapes = ", ".join(str(item.shape) for item in items)
            raise ValueError(f"{self.program.name}: argument shapes {shapes} do not broadcast") from None
        on_device = any(isinstance(item, _Device) for item in items)
        if any(isinstance(item, _Device) and item.foreign_stream for item in items):
            self.cuda.drv.Context.synchronize()
        n = math.prod(shape)
        result, out_ptr = self._result(out, out_shape + shape)
        if n:
            keep = []                                     # temporaries alive until the launch is queued
            mask, args = zip(*(self._kernel_arg(item, shape, keep) for item in items)) if items else ((), ())
            out_ptrs = [out_ptr + j * n * self.dtype.itemsize for j in range(n_out)]
            self.cuda.launch(self.function(tuple(mask)), n, [*args, *out_ptrs, n])
        if out is None:
            return result if on_device else result.get()
        if isinstance(out, np.ndarray):
            out[...] = result.get()
        return out

    def _kernel_arg(self, item, shape, keep):
        """(is_array, kernel argument) for one input."""
        if isinstance(item, np.ndarray):
            if item.size == 1 or (item.size and not any(item.strides)):   # one value, maybe broadcast
                return False, self.dtype.type(item.reshape(-1)[0])
            compact = np.ascontiguousarray(_compact(item), dtype=self.dtype)
            keep.append(self.cuda.gpuarray.to_gpu(compact))           # only the distinct values
            if compact.size == math.prod(shape):         # full size: (5,) and (1, 5) lie alike
                return True, int(keep[-1].gpudata)
            item = _Device(keep[-1])                                  # broadcast on the device
        if item.shape == shape and item.contiguous and item.dtype == self.dtype:
            return True, item.ptr
        keep.append(self._expand(item, shape, keep))
        return True, int(keep[-1].gpudata)

    def _expand(self, item, shape, keep):
        """A contiguous, full-size copy of a device array in the formula's dtype."""
        result = self.cuda.gpuarray.empty(shape, self.dtype)
        n = math.prod(shape)
        dims = self.cuda.gpuarray.to_gpu(expand_dims(item.shape, item.strides, shape))
        keep.append(dims)
        fn = self.cuda.expand_function(item.dtype, self.dtype)
        self.cuda.launch(fn, n, [item.ptr, int(result.gpudata), int(dims.gpudata), len(shape), n])
        return result

    def _result(self, out, shape):
        """(the array the caller receives before copy-back, its device pointer)."""
        if out is not None and hasattr(out, "__cuda_array_interface__"):
            dev = _Device(out)
            if dev.shape != shape or dev.dtype != self.dtype or not dev.contiguous:
                raise ValueError(f"out= must be a C-contiguous {self.dtype} device array of shape {shape}, "
                                 f"not {dev.dtype} {dev.shape}")
            return out, dev.ptr
        if out is not None and (np.shape(out) != shape or not isinstance(out, np.ndarray)):
            raise ValueError(f"out= must be an array of shape {shape}, not {np.shape(out)}")
        result = self.cuda.gpuarray.empty(shape, self.dtype)
        return result, _Device(result).ptr          # 0 for an empty result, which is never launched


def expand_dims(src_shape, src_strides, shape):
    """The expand kernel's ``dims``: the result shape, then the source's element strides
    aligned to it, 0 along broadcast axes (numpy's rules: missing leading axes, length 1)."""
    pad = len(shape) - len(src_shape)
    strides = [0] * pad + [0 if dim == 1 else s for dim, s in zip(src_shape, src_strides)]
    return np.array(list(shape) + strides, dtype=np.int64)


def _compact(array):
    """``array`` without the repetition of broadcasting: axes of stride 0 cut to length 1."""
    if all(s or n <= 1 for s, n in zip(array.strides, array.shape)):
        return array
    return array[tuple(slice(0, 1) if s == 0 else slice(None) for s in array.strides)]


def _host(value):
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"cannot evaluate a formula on an array of dtype {array.dtype}")
    return array


def compile_cuda(program, dtype="float64", fastmath=False):
    """The ``GPUKernel`` of ``program`` (cached per program, dtype and fastmath)."""
    key = (program.key(), str(dtype), bool(fastmath))
    if key not in _KERNELS:
        _KERNELS[key] = GPUKernel(program, str(dtype), fastmath)
    return _KERNELS[key]
