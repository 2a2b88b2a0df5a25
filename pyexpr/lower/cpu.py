"""``compile_cpu``: a Program -> a ``CPUKernel`` of machine code for this CPU.

The pipeline is ``llvm_ir.build_module`` -> (``cache.load`` or
``engine.compile_ir`` then ``cache.store``) -> ``engine.load_object``.
Compiled code is memoized per process by ``(program.key(), dtype, fastmath)``,
so each program compiles at most once per process, and at most once per
machine with the disk cache on.

    >>> import sympy
    >>> from pyexpr.lower.program import Program
    >>> x, y = sympy.symbols("x y", real=True)
    >>> k = compile_cpu(Program.from_exprs("f", [x, y], [2.5*x + y]), cache=False)
    >>> k.scalar(2.0, 1.0)
    (6.0,)
"""
import ctypes
import threading

import numpy as np

from . import cache, driver, engine, llvm_ir

_CTYPES = {"float64": ctypes.c_double, "float32": ctypes.c_float}
_MEMO = {}
_MEMO_LOCK = threading.Lock()


def compile_cpu(program, dtype="float64", *, fastmath=False, parallel=True, cache=True):
    """The ``CPUKernel`` of ``program`` for ``dtype`` ("float64" or "float32")."""
    dtype = np.dtype(dtype)
    if dtype.name not in _CTYPES:
        raise TypeError(f"compile_cpu: dtype must be float64 or float32, not {dtype.name}")
    key = (program.key(), dtype.name, bool(fastmath))
    with _MEMO_LOCK:
        compiled = _MEMO.get(key)
        if compiled is None:
            compiled = _MEMO[key] = _Compiled(program, dtype.name, bool(fastmath), cache)
    return CPUKernel(compiled, parallel)


class _Compiled:
    """The loaded machine code of one (program, dtype, fastmath) and its ctypes entry points."""

    def __init__(self, program, dtype, fastmath, use_cache):
        self.program, self.dtype = program, np.dtype(dtype)
        self.llvm_ir, library = _build(program, dtype, fastmath, use_cache)
        self.library = library                 # owns the code the pointers below point into
        names = llvm_ir.entry_names(program)
        real = _CTYPES[dtype]
        n, m = program.n_args, len(program.outputs)
        self.scalar = ctypes.CFUNCTYPE(real, *[real] * n)(library.address(names["scalar"]))
        self.multi = ctypes.CFUNCTYPE(None, *[real] * n, *[ctypes.POINTER(real)] * m)(
            library.address(names["multi"]))
        self.array = driver.KERNEL_TYPE(library.address(names["array"]))


def _build(program, dtype, fastmath, use_cache):
    ir_text = str(llvm_ir.build_module(program, dtype, fastmath))
    key = cache.entry_key(ir_text, engine.host_fingerprint())
    hit = cache.load(key) if use_cache else None
    if hit is None:
        hit = engine.compile_ir(ir_text)
        if use_cache:
            cache.store(key, *hit)
    optimized, obj = hit
    return optimized, engine.load_object(obj)


class CPUKernel:
    """Machine code for one program and dtype.

    ``scalar(*floats)`` -> tuple of floats; ``run(inputs, outs)`` fills
    ``outs`` elementwise (inputs already broadcast, same dtype; see
    ``driver``); ``llvm_ir`` is the optimized module text; ``ctypes`` is the
    scalar function pointer of a single-output program.
    """

    def __init__(self, compiled, parallel=True):
        self._compiled = compiled
        self.dtype = compiled.dtype
        self.n_outputs = len(compiled.program.outputs)
        self.parallel = parallel

    @property
    def llvm_ir(self):
        return self._compiled.llvm_ir

    @property
    def ctypes(self):
        if self.n_outputs != 1:
            raise TypeError(f"{self._compiled.program.name} has {self.n_outputs} outputs; "
                            f"a ctypes scalar function exists for single-output formulas only")
        return self._compiled.scalar

    def scalar(self, *values):
        if self.n_outputs == 1:
            return (self._compiled.scalar(*values),)
        outs = [_CTYPES[self.dtype.name]() for _ in range(self.n_outputs)]
        self._compiled.multi(*values, *(ctypes.byref(o) for o in outs))
        return tuple(o.value for o in outs)

    def run(self, inputs, outs):
        driver.run(self._compiled.array, inputs, outs, driver.thread_count(self.parallel))
