"""The CUDA C generator, checked without a GPU.

* every generated kernel compiles to PTX for sm_90 (one batched nvcc call);
* the ``__host__ __device__`` formula functions, compiled for the host by
  nvcc, agree with the reference interpreter (``pyexpr.ir.interp``) on
  random and special (nan, inf, +-0, huge, tiny) inputs, for every op and for
  realistic formulas, in float64 (rtol 1e-12 for single ops) and float32
  (inputs rounded to float32, the float64 reference rounded to float32,
  rtol 2e-6 for single ops; per-formula tolerances in ``cuda_corpus``);
* C's copysign, fmod, remainder, fdim and fma equal the interpreter bit for bit;
* constants are printed exactly (host results and the PTX's bit patterns);
* golden source of one tiny program; a missing spelling is a LoweringError.
"""
import re
import struct

import numpy as np
import pytest
import sympy

import cuda_corpus
from cuda_corpus import VARIANTS, op_inputs, reference, tag
from pyexpr.ir import from_exprs
from pyexpr.errors import LoweringError
from pyexpr.gpu import cuda_c, cuda_source, kernel_name
from pyexpr.ir.interp import evaluate
from pyexpr.ir.ops import COMPUTED, OPS
from pyexpr.ir.program import Program

OPS_TESTED = sorted(op for op in OPS if op not in ("arg", "const"))


@pytest.mark.parametrize("dtype,fastmath", VARIANTS, ids=[tag(*v) for v in VARIANTS])
@pytest.mark.parametrize("op", OPS_TESTED)
def test_op_on_host_matches_interpreter(built, op, dtype, fastmath):
    host, _, _, programs = built
    program = programs[f"op_{op}"]
    inputs, expected = reference(program, op_inputs(np.random.default_rng(1)), dtype)
    (actual,) = host.run(f"op_{op}_{tag(dtype, fastmath)}", *inputs)
    rtol = 1e-12 if dtype == "float64" else 2e-6
    # lgamma near its zeros, logaddexp near 0 (max(x, y) + log1p(...) cancels: the error is
    # absolute, of the inputs' size): float32 arithmetic cannot match the float64 reference
    atol = 1e-14 if dtype == "float64" else (1e-6 if op in ("lgamma", "logaddexp") else 1e-37)
    np.testing.assert_allclose(actual, expected[0], rtol=rtol, atol=atol, equal_nan=True,
                               err_msg=f"{op} {dtype}")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("op", ["copysign", "fdim", "fma", "fmod", "remainder"])
def test_c_functions_on_host_are_exact(built, op, dtype):
    """C's functions are exact (fma rounds once): the interpreter's values bit for bit,
    signs of zeros included, at every pair of special values and on random ones."""
    host, _, _, programs = built
    inputs, (expected,) = reference(programs[f"op_{op}"], op_inputs(np.random.default_rng(1)), dtype)
    (actual,) = host.run(f"op_{op}_{tag(dtype, False)}", *inputs)
    nan = np.isnan(expected)
    bits = np.int64 if dtype == "float64" else np.int32
    np.testing.assert_array_equal(np.isnan(actual), nan, err_msg=f"{op} {dtype}: nans")
    np.testing.assert_array_equal(actual[~nan].view(bits), expected[~nan].view(bits), err_msg=f"{op} {dtype}")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_min_and_max_order_zeros_as_the_cpu_code_does(built, dtype):
    """-0 below +0 in either order (IEEE 754-2019's minimum and maximum, llvm.minimum on
    the CPU; numpy's minimum returns its second argument where they compare equal)."""
    import pyexpr as px
    host = built[0]
    a, b = np.array([0.0, -0.0, 0.0, -0.0, np.nan, 1.0], dtype), np.array([-0.0, 0.0, 0.0, -0.0, 0.0, np.nan], dtype)
    x, y = sympy.symbols("x y", real=True)
    for op, fn in (("min", sympy.Min), ("max", sympy.Max)):
        (gpu,) = host.run(f"op_{op}_{tag(dtype, False)}", a, b)
        cpu = px.from_sympy(fn(x, y), ["x", "y"], dtype=dtype)(a, b)
        assert list(np.signbit(gpu[:4])) == ([True, True, False, True] if op == "min" else [False, False, False, True])
        np.testing.assert_array_equal(np.signbit(gpu), np.signbit(cpu), err_msg=op)
        assert np.isnan(gpu[4:]).all(), (op, gpu)


@pytest.mark.parametrize("dtype,fastmath", VARIANTS, ids=[tag(*v) for v in VARIANTS])
@pytest.mark.parametrize("case", cuda_corpus.CASES, ids=lambda c: c.name)
def test_formula_on_host_matches_interpreter(built, case, dtype, fastmath):
    host, _, _, programs = built
    program = programs[case.name]
    inputs, expected = reference(program, cuda_corpus.sample(case, 4000, np.random.default_rng(2)), dtype)
    actual = host.run(f"{case.name}_{tag(dtype, fastmath)}", *inputs)
    rtol, atol = (case.rtol64, case.atol64) if dtype == "float64" else (case.rtol32, case.atol32)
    for j, (a, e) in enumerate(zip(actual, expected)):
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True, err_msg=f"output {j}")


def test_formula_broadcasts_scalars_on_host(built):
    host, _, _, programs = built
    x = np.linspace(-2, 2, 7)
    (actual,) = host.run("gaussian_f64", x, 0.5, 1.5)
    np.testing.assert_allclose(actual, evaluate(programs["gaussian"], x, 0.5, 1.5)[0], rtol=1e-14)


def test_every_op_is_covered():
    assert set(OPS_TESTED) == set(cuda_corpus.op_programs())
    assert set(COMPUTED) <= set(cuda_c.SPELLINGS)      # composites are written with other ops


def test_every_kernel_compiles_to_ptx(built):
    _, ptx, variants, _ = built
    entries = set(re.findall(r"\.entry\s+(\w+)\(", ptx))
    for program, _, _, mask in variants:
        assert kernel_name(program, mask) in entries
    for src in cuda_c.SOURCE_CTYPES:
        for dst in cuda_c.CTYPES:
            assert cuda_c.expand_name(src, dst) in entries


def _kernel_ptx(ptx, name):
    start = ptx.index(f".entry {name}(")
    end = ptx.find(".entry ", start + 1)
    return ptx[start:end if end > 0 else None]


def test_fastmath_uses_intrinsics_only_for_float32_fastmath(built):
    _, ptx, _, _ = built
    assert "sin.approx.f32" in _kernel_ptx(ptx, "pyexpr_op_sin_f32_fast_kernel_aa")
    assert "sin.approx" not in _kernel_ptx(ptx, "pyexpr_op_sin_f32_kernel_aa")
    assert "lg2.approx" in _kernel_ptx(ptx, "pyexpr_op_log_f32_fast_kernel_aa")


def test_constants_are_exact_on_host(built):
    host, _, _, _ = built
    *consts, scaled = host.run("consts_f64", np.array([1.0, 2.0]))
    for c, got in zip(cuda_corpus.CONSTANTS, consts):
        assert got.view(np.int64).tolist() == [np.float64(c).view(np.int64)] * 2 or np.isnan(c) and np.isnan(got).all()
    assert scaled.tolist() == [np.pi, 2 * np.pi]
    *consts32, _ = host.run("consts_f32", np.array([1.0]))
    with np.errstate(over="ignore"):
        expected32 = np.array(cuda_corpus.CONSTANTS, dtype=np.float32)
    np.testing.assert_array_equal(np.concatenate(consts32), expected32)


def test_constants_are_exact_in_ptx(built):
    """nvcc stores each constant output as its 64-bit pattern (``mov.u64 %rd, <bits>``)."""
    _, ptx, _, _ = built
    body = _kernel_ptx(ptx, "pyexpr_consts_f64_kernel_a")
    stored = {int(v) for v in re.findall(r"mov\.u64\s+%rd\d+, (-?\d+);", body)}
    for c in cuda_corpus.CONSTANTS:
        assert int(np.float64(c).view(np.int64)) in stored, c
    assert "0d" + struct.pack(">d", np.pi).hex().upper() in body       # x * pi


def test_literals():
    assert cuda_c.literal(2.5) == "2.5"
    assert cuda_c.literal(1e22) == "1e+22"
    assert cuda_c.literal(3.0) == "3.0"
    assert cuda_c.literal(0.1, "float32") == "0.1f"
    assert cuda_c.literal(1e300, "float32") == "__builtin_inff()"
    assert cuda_c.literal(float("nan")) == '__builtin_nan("")'
    assert cuda_c.literal(-float("inf")) == "-__builtin_inf()"


GOLDEN = '''\
__host__ __device__ inline float pyexpr_f(const float arg_x, const float arg_y)
{
    const float v2 = 2.5f;
    const float v3 = v2 * arg_x;
    const float v4 = expf(arg_y);
    const float v5 = v3 + v4;
    return v5;
}

extern "C" __global__ void pyexpr_f_kernel_as(const float *__restrict__ in0, const float in1, \
float *__restrict__ out0, const long long n)
{
    const long long stride = (long long)blockDim.x * gridDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        out0[i] = pyexpr_f(in0[i], in1);
    }
}
'''


def test_golden_source():
    x, y = sympy.symbols("x y", real=True)
    program = from_exprs("f", [x, y], [2.5 * x + sympy.exp(y)])
    source = cuda_source(program, "float32", array_mask=(True, False))
    assert source.startswith("/* pyexpr: f(x, y), float32 */\n")
    assert "pyx_min(float a, float b)" in source
    assert source.endswith(GOLDEN)


def test_multi_output_signature():
    x, y = sympy.symbols("x y", real=True)
    source = cuda_source(from_exprs("p", [x, y], [x * y, x - y]), "float64", array_mask=(False, False))
    assert "inline void pyexpr_p(const double arg_x, const double arg_y, double *out0, double *out1)" in source
    assert "pyexpr_p(in0, in1, &out0[i], &out1[i]);" in source
    assert "pyexpr_p_kernel_ss(const double in0, const double in1, double *__restrict__ out0, " \
           "double *__restrict__ out1, const long long n)" in source


def test_odd_names_become_c_identifiers():
    x = sympy.Symbol("x")
    program = Program("d2f_dx2<lambda>", ("x", "α"), from_exprs("g", [x, sympy.Symbol("a")], [x]).instrs,
                      (0,))
    source = cuda_source(program)
    assert "pyexpr_d2f_dx2_lambda_(const double arg_x, const double arg1)" in source


def test_missing_spelling_raises_lowering_error(monkeypatch):
    monkeypatch.delitem(cuda_c.SPELLINGS, "sin")
    x = sympy.Symbol("x", real=True)
    with pytest.raises(LoweringError, match="'sin'"):
        cuda_source(from_exprs("f", [x], [sympy.sin(x) + 1]))


def test_bad_arguments():
    x = sympy.Symbol("x", real=True)
    program = from_exprs("f", [x], [x + 1])
    with pytest.raises(ValueError, match="dtype"):
        cuda_source(program, "float16")
    with pytest.raises(ValueError, match="array_mask"):
        cuda_source(program, array_mask=(True, True))
    with pytest.raises(TypeError, match="complex128"):
        cuda_c.expand_source("complex128", "float64")
