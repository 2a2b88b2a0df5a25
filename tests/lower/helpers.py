"""Shared pieces of the CPU backend tests: programs built op by op, and ULP comparison."""
import numpy as np
import sympy

from pyexpr.cpu import compile_cpu
from pyexpr.ir.interp import evaluate
from pyexpr.ir.ops import OPS
from pyexpr.ir.program import Builder, Program

FLOAT_OPS = sorted(name for name, op in OPS.items() if op.result == "f" and op.args and "b" not in op.args)
COMPARE_OPS = sorted(name for name, op in OPS.items() if op.args == ("f", "f") and op.result == "b")


def operands(op):
    """The arguments ``op`` takes in these programs: x, y in turn (``fma(x, y, x)``), so
    every program has the two arguments x and y."""
    return [k % 2 for k in range(OPS[op].arity)]


def op_program(op):
    """``f(x, y) = op(x)`` or ``op(x, y)``: one instruction after the arguments."""
    b = Builder(2)
    out = b.emit(op, *operands(op))
    return Program(f"op_{op}", ("x", "y"), tuple(b.instrs), (out,)).check()


def all_ops_program():
    """One program with an output per float op, so one compilation covers them all."""
    b = Builder(2)
    outs = [b.emit(op, *operands(op)) for op in FLOAT_OPS]
    return Program("all_ops", ("x", "y"), tuple(b.instrs), tuple(outs)).check()


def run_kernel(kernel, *inputs):
    """Broadcast inputs, run the kernel into fresh outputs, return the list of outputs."""
    with np.errstate(over="ignore"):         # float64 test values beyond float32's range
        arrays = np.broadcast_arrays(*(np.asarray(a, dtype=kernel.dtype) for a in inputs))
    outs = [np.empty(arrays[0].shape, kernel.dtype) for _ in range(kernel.n_outputs)]
    kernel.run(arrays, outs)
    return outs


def oracle(program, dtype, *inputs):
    """interp's float64 results on the dtype-rounded inputs, rounded to dtype."""
    with np.errstate(over="ignore"):
        rounded = [np.asarray(a, dtype=dtype).astype(np.float64) for a in inputs]
        return [r.astype(dtype) for r in evaluate(program, *rounded)]


def assert_ulp_close(got, want, ulps=0, atol=0.0, what=""):
    """Same nan positions, same infinities, finite values within ``ulps`` units in the last place."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    bad = np.isnan(got) != np.isnan(want)
    finite = np.isfinite(want) & np.isfinite(got)
    bad |= ~np.isnan(want) & ~finite & (got != want)
    with np.errstate(all="ignore"):
        spacing = np.spacing(np.abs(want).astype(want.dtype))
        err = np.abs(got.astype(np.float64) - want.astype(np.float64))
        bad |= finite & (err > ulps * spacing.astype(np.float64) + atol)
    if bad.any():
        idx = np.flatnonzero(bad)[:8]
        raise AssertionError(f"{what}: {bad.sum()} mismatches, e.g. at {idx.tolist()}: "
                             f"got {got.ravel()[idx].tolist()}, want {want.ravel()[idx].tolist()}")


def compile_(program, dtype="float64", **kw):
    kw.setdefault("cache", False)
    return compile_cpu(program, dtype, **kw)


def safe(build):
    """``build`` for hypothesis: sympy evaluates constant subexpressions and may raise
    (Mod by 0, complex comparisons); such draws become nan, which the tests reject."""
    def wrapped(*args):
        try:
            return build(*args)
        except (ZeroDivisionError, TypeError, ValueError):
            return sympy.nan
    return wrapped
