"""pyexpr.cpu: the LLVM backend, a Program -> machine code for this CPU.

``compile_cpu(program, dtype, fastmath=, parallel=, cache=, simd=)`` returns
a ``CPUKernel`` (``scalar``, ``run``, ``llvm_ir``, ``ctypes``).  Its parts,
one job each:

* ``kernel`` -- ``compile_cpu`` and ``CPUKernel``: which parts of a kernel
  to build when, tiers, threads, the per-process memo;
* ``host`` -- the CPU's features, libmvec, the machine fingerprint;
* ``abi`` -- the contract between generated code and the run time (entry
  names, prototypes, the object layouts the builtin entries read);
* ``codegen`` -- Program -> LLVM IR with ``llvmlite.ir`` only (text, no JIT);
* ``build`` -- IR -> object code (``engine``, ``llvmcapi``), object code ->
  loaded code (``elf``, or ``engine``'s MCJIT), the on-disk ``cache``;
* ``runtime`` -- running loaded code: the array ``driver`` and the
  builtins of the fast calls (``fastcall``, ``arraycall``, ``calls``).

A process whose kernels are all in the disk cache imports neither LLVM nor
``codegen``.  Names are imported on first use, so that importing one
submodule (``build.llvmcapi``, while sympy loads) imports nothing else.
"""
from ..deferred import attributes_from

__all__ = ["CPUKernel", "compile_cpu"]
_HOMES = {"CPUKernel": "kernel", "compile_cpu": "kernel"}

__getattr__ = attributes_from(__name__, _HOMES)
