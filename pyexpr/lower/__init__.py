"""pyexpr.lower: Program (flat SSA) and the CPU backend.

``Program.from_exprs`` lowers sympy expressions; ``compile_cpu(program,
dtype, fastmath=, parallel=, cache=, simd=)`` returns a ``CPUKernel`` (LLVM
machine code with ``scalar``, ``run``, ``llvm_ir`` and ``ctypes``).  The
stages: ``llvm_ir`` (IR of the entry points, scalar loops), ``vector_ir`` and
``vector_abi`` (SIMD loops calling libmvec), ``engine`` (LLVM: optimize,
emit object code), ``cache`` (on-disk objects), ``elf`` (loading them
without LLVM), ``host`` (CPU features, libmvec, fingerprint), ``driver``
(array layouts, threads) and ``fastcall`` (the builtin for float calls);
``cpu`` ties them together.
"""
from .cpu import CPUKernel, compile_cpu
from .program import Program

__all__ = ["CPUKernel", "Program", "compile_cpu"]
