"""pyexpr.lower: Program (flat SSA) and the CPU backend.

``Program.from_exprs`` lowers sympy expressions; ``compile_cpu(program,
dtype, fastmath=, parallel=, cache=)`` returns a ``CPUKernel`` (LLVM machine
code with ``scalar``, ``run``, ``llvm_ir`` and ``ctypes``).  See ``cpu``,
``llvm_ir``, ``engine``, ``cache`` and ``driver`` for the stages.
"""
from .cpu import CPUKernel, compile_cpu
from .program import Program

__all__ = ["CPUKernel", "Program", "compile_cpu"]
