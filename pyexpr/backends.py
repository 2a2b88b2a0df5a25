"""Choosing and building the kernel behind a Formula call.

``compile(formula, dtype)`` returns the kernel for the formula's ``target``
option: the LLVM CPU kernel (``pyexpr.lower``), or the CUDA one
(``pyexpr.gpu``).  Both are compiled from ``formula.program``.
"""
import sys

from .errors import debugging
from .lower import arraycall, compile_cpu
from .reference import ReferenceKernel


def cpu_kernel(formula, dtype):
    opts = formula.options
    return compile_cpu(formula.program, dtype, fastmath=opts["fastmath"],
                       parallel=opts["parallel"], cache=opts["cache"])


def cuda_kernel(formula, dtype):
    from .gpu import compile_cuda
    return compile_cuda(formula.program, dtype, fastmath=formula.options["fastmath"])


def fast_entry(formula, kernel, kind):
    """``(address, owner)`` of a builtin entry point of the formula's CPU kernel.

    ``kind`` is "scalar" (``lower.fastcall``) or "array" (``lower.arraycall``).
    False where there is none (another target, a result that is not a
    scalar per point, an interpreter the entries do not support); None where
    there is none yet (the array entry comes with the optimized array code).
    """
    if formula.options["target"] != "cpu" or formula.out_shape != ():
        return False
    entry = kernel.fast_entry if kind == "scalar" else kernel.array_entry
    if entry is None and (kind == "scalar" or not arraycall.available() or not formula.args):
        return False
    return entry


def reference_kernel(formula, dtype):
    return ReferenceKernel(formula.args, formula.outputs, dtype)


_TARGETS = {"cpu": cpu_kernel, "cuda": cuda_kernel}


def compile(formula, dtype):
    debug = debugging()
    if debug:
        _dump("sympy", str(formula))
        _dump("Program", str(formula.program))
    kernel = _TARGETS[formula.options["target"]](formula, dtype)
    if debug:
        text = getattr(kernel, "llvm_ir", None) or getattr(kernel, "source", None)
        if text:
            _dump(f"{formula.options['target']} code ({dtype})", text)
    return kernel


def _dump(stage, text):
    print(f"--- pyexpr: {stage} ---\n{text}", file=sys.stderr)
