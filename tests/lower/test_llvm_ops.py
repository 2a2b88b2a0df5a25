"""Every op of OPS, compiled by LLVM, against the numpy reference interpreter.

Tolerances: 0 ULP for IEEE-exact ops (arithmetic, sqrt, rounding, min/max,
mod, sign, comparisons, and C's copysign, fmod, remainder, fdim and fma, which
are also compared bit for bit with Python's ``math`` and the C library at
every pair of special values); 4 ULP for libm functions (numpy and the C library
may use different implementations); tgamma/lgamma are compared with
Python's ``math`` (a separate Lanczos implementation): 64 ULP, plus an
absolute 1e-13 (float32: 1e-6) near lgamma's zeros.
"""
import ctypes
import ctypes.util
import math

import numpy as np
import pytest
import sympy

from pyexpr.ir import from_exprs
from pyexpr.errors import LoweringError
from pyexpr.cpu import host
from pyexpr.cpu.codegen import context, llvm_ir
from pyexpr.ir.program import Builder, Program

from .helpers import (COMPARE_OPS, FLOAT_OPS, all_ops_program, assert_ulp_close, compile_,
                      op_program, oracle, run_kernel)

EXACT = set("neg add sub mul div sqrt floor ceil trunc fabs sign min max mod "
            "copysign fmod remainder fdim fma".split())
#: (ULPs, absolute error): near 0 logaddexp is max(x, y) + log1p(...), which cancels (an
#: absolute error of the inputs' size, as in numpy's)
TOLERANCE = {"tgamma": (64, 1e-13), "lgamma": (64, 1e-13), "logaddexp": (4, 1e-15)}

SPECIALS = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, -3.0,
            0.1, 7.25, -7.25, 100.0, 710.0, -745.5, 1e16, 1e-300, -1e-300, 1e300, -1e300,
            5e-324, 3e38, 1e-45]


def _values():
    rng = np.random.default_rng(1)
    spread = 10.0 ** rng.uniform(-30, 30, 40) * rng.choice([-1, 1], 40)
    return np.concatenate([SPECIALS, rng.uniform(-10, 10, 60), spread])


def _tolerance(op, dtype):
    if op in EXACT:
        return 0, 0.0
    ulps, atol = TOLERANCE.get(op, (4, 0.0))
    return ulps, (atol if dtype == "float64" else 1e-6 if atol else 0.0)


@pytest.fixture(scope="module", params=["float64", "float32"])
def compiled_all(request):
    program = all_ops_program()
    return program, compile_(program, request.param), request.param


@pytest.mark.parametrize("op", FLOAT_OPS)
def test_op_against_interp(compiled_all, op):
    program, kernel, dtype = compiled_all
    values = _values()
    unary = len(program.instrs[program.outputs[FLOAT_OPS.index(op)]].args) == 1
    x, y = (values, values[::-1]) if unary else np.meshgrid(values[:50], values[:50])
    got = run_kernel(kernel, x, y)[FLOAT_OPS.index(op)]
    want = oracle(program, dtype, x, y)[FLOAT_OPS.index(op)]
    ulps, atol = _tolerance(op, dtype)
    assert_ulp_close(got, want, ulps, atol, what=f"{op} {dtype}")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_scalar_entry_matches_array_kernel(dtype):
    program = all_ops_program()
    kernel = compile_(program, dtype)
    for x, y in [(0.75, -2.5), (-3.0, 0.0), (math.nan, 1.0), (math.inf, -0.0)]:
        scalar = np.array(kernel.scalar(x, y), dtype=dtype)
        array = np.array([o[()] for o in run_kernel(kernel, x, y)])
        # scalar libm against vector libmvec: tgamma/lgamma are scalar in both
        assert_ulp_close(scalar, array, ulps=4, what=f"scalar vs array at {x}, {y}")


@pytest.mark.parametrize("op", COMPARE_OPS)
def test_comparisons(op):
    b = Builder(2)
    out = b.emit("select", b.emit(op, 0, 1), b.const(1.0), b.const(0.0))
    program = Program("cmp", ("x", "y"), tuple(b.instrs), (out,)).check()
    x, y = np.meshgrid(SPECIALS[:8], SPECIALS[:8])
    np.testing.assert_array_equal(run_kernel(compile_(program), x, y)[0], oracle(program, "float64", x, y)[0])


def test_boolean_ops():
    x, y = sympy.symbols("x y", real=True)
    cond = sympy.Or(sympy.And(x > 0, y < 1), sympy.Not(x < y))
    program = from_exprs("logic", [x, y], [sympy.Piecewise((1.0, cond), (0.0, True))])
    a, b = np.meshgrid(SPECIALS[:10], SPECIALS[:10])
    np.testing.assert_array_equal(run_kernel(compile_(program), a, b)[0], oracle(program, "float64", a, b)[0])


def test_mod_matches_numpy_edge_cases():
    vals = [0.0, -0.0, 1.0, -1.0, 5.5, -5.5, 3.0, -3.0, 1e-300, 1e300, math.inf, -math.inf, math.nan]
    x, y = np.meshgrid(vals, vals)
    for dtype in ("float64", "float32"):
        got = run_kernel(compile_(op_program("mod"), dtype), x, y)[0]
        with np.errstate(all="ignore"):
            want = np.mod(x.astype(dtype), y.astype(dtype))
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_sign_of_signed_zero_and_nan():
    got = run_kernel(compile_(op_program("sign")), [-0.0, 0.0, math.nan, -3.0, math.inf], 0.0)[0]
    np.testing.assert_array_equal(got, [0.0, 0.0, math.nan, -1.0, 1.0])
    assert not np.signbit(got[:2]).any()


def test_piecewise_untaken_branch_never_leaks():
    x = sympy.Symbol("x", real=True)
    expr = sympy.Piecewise((sympy.sqrt(x), x >= 0), (sympy.log(-x) + 1 / x, True))
    program = from_exprs("pw", [x], [expr])
    xs = np.array([-1.0, 0.0, 4.0, -math.e, -0.0])
    for dtype in ("float64", "float32"):
        got = run_kernel(compile_(program, dtype), xs)[0]
        np.testing.assert_allclose(got, [-1.0, 0.0, 2.0, 1.0 - 1 / math.e, 0.0], rtol=1e-6)


def test_float32_uses_float32_arithmetic_and_libm():
    x = sympy.Symbol("x", real=True)
    text = str(llvm_ir.build_module(from_exprs("g", [x], [sympy.tan(x) * sympy.sin(x)]), "float32"))
    assert 'call float @"tanf"(float' in text and 'call float @"llvm.sin.f32"(float' in text
    assert "double" not in text


def test_golden_ir_of_a_tiny_program():
    x, y = sympy.symbols("x y", real=True)
    program = from_exprs("g", [x, y], [sympy.sin(x) + 2.5 * y, sympy.atan(x)])
    text = str(llvm_ir.build_module(program))
    for line in ['define void @"pyexpr_g_multi"(double %".1", double %".2", double* %".3", double* %".4") '
                 'noinline nounwind',
                 'call double @"llvm.sin.f64"(double %".1")',
                 'declare double @"atan"(double %".1") memory(none) nounwind willreturn',
                 'define double @"pyexpr_g"(double %"x", double %"y")',
                 'call void @"pyexpr_g_multi"(double %"x", double %"y", double* %".4", double* %".5")',
                 'define void @"pyexpr_g_array"(i64 %".1", i64 %".2", i64* %".3", i64* %".4")',
                 'define internal void @"pyexpr_g_array.contig"(i64 %".1", double* noalias %".2"',
                 'define internal void @"pyexpr_g_array.blocked"(i64 %".1", i64 %".2"']:
        assert line in text, line
    assert text.count("llvm.sin.f64") == 3           # declared once, called by multi and contig only
    optimized = compile_(program).llvm_ir
    assert "x86_64" in optimized and " x double>" in optimized      # the contiguous loop is vector code


def test_fastmath_sets_flags_and_stays_close():
    x, y = sympy.symbols("x y", real=True)
    program = from_exprs("fm", [x, y], [sympy.exp(-x**2) * sympy.sin(y) + x * y])
    assert "fmul fast" in str(llvm_ir.build_module(program, fastmath=True))
    xs, ys = np.linspace(-2, 2, 101), np.linspace(0, 3, 101)
    got = run_kernel(compile_(program, fastmath=True), xs, ys)[0]
    np.testing.assert_allclose(got, oracle(program, "float64", xs, ys)[0], rtol=1e-12, atol=1e-15)


def test_table_miss_raises_lowering_error(monkeypatch):
    monkeypatch.delitem(context.FUNCTIONS, "tan")
    with pytest.raises(LoweringError, match="'tan'"):
        llvm_ir.build_module(op_program("tan"))


# --- C's copysign, fmod, remainder, fdim and fma, bit for bit --------------------------------
#: signed zeros and nans, subnormals of both formats, ordinary, huge and largest values
C_SPECIALS = [0.0, -0.0, math.inf, -math.inf, math.nan, -math.nan, 5e-324, -5e-324, 1e-310,
              -2.5e-310, 1.5e-45, -1.17549435e-38, 0.5, -0.75, 1.0, -1.0, 2.0, 3.0, -3.0, 7.25,
              -7.5, 1e16, 1e300, -1e300, 1.7976931348623157e308, -1.7976931348623157e308, 3e38,
              -3.4028235e38]
C_OPS = ["copysign", "fmod", "remainder", "fdim"]
SIMD = (host.host_isas() if host.vector_target("host") else []) + ["none"]
LIBM = ctypes.CDLL(ctypes.util.find_library("m"))


def _libm(name, dtype, arity):
    """The C library's ``name`` (``namef`` for float32), callable on Python floats."""
    fn = getattr(LIBM, name + ("f" if dtype == "float32" else ""))
    ctype = ctypes.c_float if dtype == "float32" else ctypes.c_double
    fn.restype, fn.argtypes = ctype, [ctype] * arity
    return fn


def _nan_where_raising(fn):
    def safe(*args):
        try:
            return fn(*args)
        except ValueError:      # C's nan where math raises (fmod(x, 0), remainder(inf, y))
            return math.nan
    return safe


#: Python's spellings: exact in float64, so also the float32 results of float32 inputs
PYTHON = {"copysign": math.copysign, "fmod": _nan_where_raising(math.fmod),
          "remainder": _nan_where_raising(math.remainder)}


def _assert_same_bits(got, want, inputs, what):
    """Equal bit for bit (signs of zeros and infinities included); nan where want is nan."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, what
    nan = np.isnan(want)
    bits = np.int64 if want.dtype == np.float64 else np.int32
    bad = (np.isnan(got) != nan) | (~nan & (got.view(bits) != want.view(bits)))
    where = np.flatnonzero(bad)[:6]
    assert not bad.any(), f"{what}: {bad.sum()} differ, e.g. at " + ", ".join(
        f"{tuple(float(a[i]) for a in inputs)}: {got[i]!r} not {want[i]!r}" for i in where)


def _c_program():
    b = Builder(2)
    outs = tuple(b.emit(op, 0, 1) for op in C_OPS)
    return Program("c_functions", ("x", "y"), tuple(b.instrs), outs).check()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("simd", SIMD)
def test_c_functions_are_cs_at_every_pair_of_special_values(simd, dtype):
    """copysign, fmod, remainder and fdim on every pair of ``C_SPECIALS``: the array path
    (every vector ISA, the tail included) and the scalar path equal the C library and
    Python's ``math`` bit for bit."""
    x, y = (a.ravel() for a in np.meshgrid(C_SPECIALS, C_SPECIALS))
    with np.errstate(over="ignore"):
        x, y = x.astype(dtype), y.astype(dtype)
    kernel = compile_(_c_program(), dtype, simd=simd)
    array = run_kernel(kernel, x, y)
    scalar = [kernel.scalar(a, b) for a, b in zip(x.tolist(), y.tolist())]
    for k, op in enumerate(C_OPS):
        references = {"libm": _libm(op, dtype, 2), "math": PYTHON.get(op)}
        for name, fn in references.items():
            if fn is None:
                continue
            want = np.array([fn(a, b) for a, b in zip(x.tolist(), y.tolist())], dtype)
            _assert_same_bits(array[k], want, (x, y), f"{op} {dtype} {simd} array against {name}")
            _assert_same_bits(np.array([s[k] for s in scalar], dtype), want, (x, y),
                              f"{op} {dtype} scalar against {name}")


def _fma_program():
    b = Builder(3)
    out = b.emit("fma", 0, 1, 2)
    return Program("fma", ("x", "y", "z"), tuple(b.instrs), (out,)).check()


def _fma_inputs(dtype):
    """Products' rounding errors (z = -(x*y) rounded: fma gives the error, x*y + z gives 0)
    and every triple of a dozen special values."""
    rng = np.random.default_rng(5)
    with np.errstate(over="ignore"):
        x, y = (rng.uniform(-4, 4, 300) * 10.0 ** rng.integers(-15, 15, 300) for _ in range(2))
        x, y = x.astype(dtype), y.astype(dtype)
        z = -(x * y)
        some = np.array([0.0, -0.0, math.inf, -math.inf, math.nan, 5e-324, -1e-310, 1.0, -3.0,
                         1e300, -1.7976931348623157e308, 3e38]).astype(dtype)
    triples = [a.ravel() for a in np.meshgrid(some, some, some)]
    return [np.concatenate([v, t]) for v, t in zip((x, y, z), triples)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("simd", SIMD)
def test_fma_rounds_once(simd, dtype):
    x, y, z = inputs = _fma_inputs(dtype)
    kernel = compile_(_fma_program(), dtype, simd=simd)
    fma = _libm("fma", dtype, 3)
    want = np.array([fma(*v) for v in zip(x.tolist(), y.tolist(), z.tolist())], dtype)
    with np.errstate(all="ignore"):
        assert (want[:300] != x[:300] * y[:300] + z[:300]).sum() > 250, "the sample must tell one rounding from two"
    _assert_same_bits(run_kernel(kernel, x, y, z)[0], want, inputs, f"fma {dtype} {simd} array")
    scalar = np.array([kernel.scalar(*v)[0] for v in zip(x.tolist(), y.tolist(), z.tolist())], dtype)
    _assert_same_bits(scalar, want, inputs, f"fma {dtype} scalar")
    if dtype == "float64":      # the interpreter, the oracle of every other test, is exact too
        _assert_same_bits(oracle(_fma_program(), dtype, x, y, z)[0], want, inputs, "fma interpreter")
    assert "llvm.fma.f" in str(llvm_ir.build_module(_fma_program(), dtype))
