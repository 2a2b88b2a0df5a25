"""The one seam between a Formula and the code that evaluates it.

* ``program(name, args, outputs)`` -- the backend-neutral ``Program`` of a
  formula's expressions (``pyexpr.ir``);
* ``compile(formula, dtype)`` -- the kernel for the formula's ``target``
  option: the LLVM CPU kernel (``pyexpr.cpu``) or the CUDA one
  (``pyexpr.gpu``), both compiled from ``formula.program``;
* ``faster_call(formula, kernel, state, args, kwargs, out)`` -- after a
  general call, a faster ``__call__`` where the backend has one (the CPU's
  builtin entries, ``cpu.runtime.calls``), else None;
* ``cpu_kernel`` and ``cuda_source`` -- the CPU kernel whatever the target
  (``llvm_ir``, ``ctypes``), and the CUDA source text.

``PYEXPR_DEBUG=1`` prints each stage as ``compile`` goes: the sympy
formula, the Program, the generated code.
"""
import sys

from . import deep
from .errors import debugging
from .isolation import isolated


@deep.sized(lambda name, args, outputs, as_written=False: outputs)
@isolated
def program(name, args, outputs, as_written=False):
    from .ir import from_exprs
    return from_exprs(name, args, outputs, as_written)


def cpu_kernel(formula, dtype):
    from .cpu import compile_cpu
    opts = formula.options
    return compile_cpu(formula.program, dtype, fastmath=opts["fastmath"],
                       parallel=opts["parallel"], cache=opts["cache"])


def ufunc(formula):
    """A numpy ufunc of ``formula``'s CPU array kernels (``cpu.ufunc``)."""
    from .cpu import ufunc as ufuncs
    kernel_for = lambda dtype: cpu_kernel(formula, dtype).array_function  # noqa: E731
    if formula.vectors:
        return ufuncs.make_generalized(formula.name, str(formula), kernel_for, formula.signature,
                                       formula.out_shape)
    return ufuncs.make(formula.name, str(formula), kernel_for, len(formula.args), len(formula.outputs))


def cuda_kernel(formula, dtype):
    from .gpu import compile_cuda
    return compile_cuda(formula.program, dtype, fastmath=formula.options["fastmath"])


def cuda_source(formula):
    from .gpu import cuda_source as source
    return source(formula.program, formula.options["dtype"], fastmath=formula.options["fastmath"])


def faster_call(formula, kernel, state, args, kwargs, out):
    if formula.options["target"] != "cpu":
        return None
    return _cpu_calls().faster_call(formula, kernel, state, args, kwargs, out)


def point_call(formula, kernel):
    """A callable of one point's floats, for fixed-length vector formulas on the CPU."""
    return _cpu_calls().point_call(formula, kernel)


def point_head(formula, point, general):
    """A ``__call__`` for a fixed-length vector formula that takes one point straight to
    ``point`` and any other call to ``general``; None where there is none."""
    if formula.options["target"] != "cpu":
        return None
    return _cpu_calls().point_head(formula, point, general)


def _cpu_calls():
    # every general call comes here: the module once imported, not an import statement per call
    global _CPU_CALLS
    if _CPU_CALLS is None:
        from .cpu.runtime import calls
        _CPU_CALLS = calls
    return _CPU_CALLS


_CPU_CALLS = None


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
