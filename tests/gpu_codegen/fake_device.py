"""A stand-in for pycuda that runs "kernels" on the CPU, to test the runtime without a GPU.

"Device" memory is host memory (``FakeGPUArray`` wraps a numpy array and
exposes its address as ``gpudata`` and through ``__cuda_array_interface__``).
A launched formula kernel is executed by the host-compiled formula function
of the same program (see ``cuda_host``): its arguments are decoded with the
kernel's prepared format, exactly as pycuda would pack them.  The expand
kernel is executed with the host-compiled ``pyx_expand_offset``.  What this
checks is the runtime's own logic: kernel choice by mask, scalars by value,
broadcasting, dtype conversion, output layout and ``out=``.
"""
import ctypes
import math
import types

import numpy as np

from pyexpr.gpu import runtime


class FakeGPUArray:
    def __init__(self, host):
        self.host = host
        self.shape, self.dtype, self.strides = host.shape, host.dtype, host.strides
        self.gpudata = host.ctypes.data if host.size else None

    @property
    def __cuda_array_interface__(self):
        return {"shape": self.shape, "strides": self.strides, "typestr": self.dtype.str, "version": 3,
                "data": (self.gpudata or 0, False), "stream": None}

    def get(self):
        return self.host.copy()


FAKE_GPUARRAY = types.SimpleNamespace(
    empty=lambda shape, dtype: FakeGPUArray(np.empty(shape, dtype)),
    to_gpu=lambda a: FakeGPUArray(np.array(a, copy=True, order="C")))


def _view(ptr, dtype, start, count):
    """``count`` elements of ``dtype`` from address ``ptr`` + ``start`` elements."""
    dtype = np.dtype(dtype)
    buf = (ctypes.c_char * int(count * dtype.itemsize)).from_address(int(ptr + start * dtype.itemsize))
    return np.frombuffer(buf, dtype)


class FakeKernel:
    def __init__(self, device, name):
        self.device, self.name, self.arg_format = device, name, None
        self.launches = []

    def prepare(self, arg_format):
        self.arg_format = arg_format

    def prepared_call(self, grid, block, *args):
        assert len(args) == len(self.arg_format) and block == (runtime.BLOCK, 1, 1)
        self.launches.append((grid, args))
        if self.name.startswith("pyexpr_expand_"):
            self._expand(*args)
        else:
            self._formula(args)

    def _formula(self, args):
        symbol = self.name[len("pyexpr_"):self.name.rindex("_kernel")]
        program, dtype, _ = self.device.host.entries[symbol]
        n = args[-1]
        ins = [_view(a, dtype, 0, n) if f == "P" else np.full(n, a, dtype)
               for f, a in zip(self.arg_format[:program.n_args], args)]
        results = self.device.host.run(symbol, *ins) if ins else self.device.host.run(symbol)
        for ptr, result in zip(args[program.n_args:-1], results):
            _view(ptr, dtype, 0, n)[:] = np.broadcast_to(result, (n,))

    def _expand(self, src, dst, dims_ptr, ndim, n):
        src_name, dst_name = self.name[len("pyexpr_expand_"):].rsplit("_", 1)
        dims = _view(dims_ptr, np.int64, 0, 2 * ndim)
        offsets = np.array([self.device.offset(i, dims.ctypes.data, ndim) for i in range(n)])
        lo, hi = offsets.min(), offsets.max()
        gathered = _view(src, src_name, lo, hi - lo + 1)[offsets - lo]
        _view(dst, dst_name, 0, n)[:] = gathered.astype(dst_name)


class FakeDevice(runtime._Cuda):
    """``runtime._Cuda`` with pycuda replaced by the fakes above; ``host`` is a loaded HostLibrary."""

    def __init__(self, host):
        self.host = host
        self.drv = types.SimpleNamespace(CompileError=RuntimeError,
                                         Context=types.SimpleNamespace(synchronize=self._sync))
        self.gpuarray = FAKE_GPUARRAY
        self.SourceModule = lambda source, arch, no_extern_c: types.SimpleNamespace(
            get_function=lambda name: self._function(source, name))
        self.arch, self.sm_count = "sm_90", 132
        self.kernels, self.syncs = {}, 0
        self.offset = host.lib.pyx_test_expand_offset
        self.offset.restype = ctypes.c_longlong
        self.offset.argtypes = [ctypes.c_longlong, ctypes.c_void_p, ctypes.c_int]

    def _sync(self):
        self.syncs += 1

    def _function(self, source, name):
        assert f" {name}(" in source and no_extern_c_ok(source)
        return self.kernels.setdefault(name, FakeKernel(self, name))


def no_extern_c_ok(source):
    """Kernels must carry their own ``extern "C"`` (the runtime compiles with no_extern_c=True)."""
    return all(line.startswith('extern "C"') for line in source.splitlines() if "__global__" in line)


def grid_for(n):
    return max(1, min(math.ceil(n / runtime.BLOCK), 132 * runtime.BLOCKS_PER_SM))

