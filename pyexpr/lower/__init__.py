"""pyexpr.lower: Program (flat SSA) and the CPU backend.

``Program.from_exprs`` lowers sympy expressions; ``compile_cpu(program,
dtype, fastmath=, parallel=, cache=, simd=)`` returns a ``CPUKernel`` (LLVM
machine code with ``scalar``, ``run``, ``llvm_ir`` and ``ctypes``).  The
stages: ``llvm_ir`` (IR of the entry points, scalar loops), ``layout_ir`` (rows,
strides and copies around the contiguous loop), ``vector_ir`` and
``vector_abi`` (SIMD loops calling libmvec), ``engine`` (LLVM: optimize,
emit object code), ``cache`` (on-disk objects), ``elf`` (loading them
without LLVM), ``host`` (CPU features, libmvec, fingerprint), ``driver``
(array layouts, threads) and ``fastcall`` (the builtin for float calls);
``cpu`` ties them together; ``llvmcapi`` calls llvmlite's library directly.

The names below are imported on first use, so that importing one submodule
(``llvmcapi``, while sympy loads) does not import sympy.
"""
__all__ = ["CPUKernel", "Program", "compile_cpu"]
_HOMES = {"CPUKernel": "cpu", "compile_cpu": "cpu", "Program": "program"}


def __getattr__(name):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module
    value = globals()[name] = getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
    return value
