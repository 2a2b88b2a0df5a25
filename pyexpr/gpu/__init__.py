"""The GPU backend: Program -> CUDA C (``cuda_c``, no GPU needed) -> pycuda (``runtime``).

``cuda_source(program, dtype, fastmath, array_mask)`` is pure text generation.
``compile_cuda`` (a ``GPUKernel``: ``run``, ``evaluate``) needs pycuda, a driver and a device, imported on
first use; without them they raise ``GPUUnavailableError``.
"""
from .cuda_c import cuda_source, expand_source, formula_source, kernel_name, kernel_source
from .runtime import GPUKernel, compile_cuda

__all__ = ["cuda_source", "formula_source", "kernel_source", "kernel_name", "expand_source",
           "GPUKernel", "compile_cuda"]
