"""Program -> LLVM IR, with ``llvmlite.ir`` only: text, testable without a JIT.

``llvm_ir.build_module`` assembles a kernel part's module from ``context``
(the op spellings and shared helpers), ``layout_ir`` (rows, strides and
copies), ``vector_ir`` with ``vector_abi`` (explicit SIMD over libmvec) and
the builtin entries ``fastcall_ir`` and ``arraycall_ir``.
"""
