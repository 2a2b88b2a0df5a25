"""Explicit SIMD loops (vector_ir, vector_abi): every ISA this CPU runs, tails, fallbacks, keys."""
import math
import os

import llvmlite.binding as llvm
import numpy as np
import pytest
import sympy

from pyexpr.ir import from_exprs
from pyexpr.cpu.runtime import arraycall
from pyexpr.cpu import kernel as cpu
from pyexpr.cpu.build import elf
from pyexpr.cpu.build import engine
from pyexpr.cpu.runtime import fastcall
from pyexpr.cpu import host
from pyexpr.cpu.codegen import llvm_ir
from pyexpr.cpu.codegen import vector_abi

from .helpers import FLOAT_OPS, all_ops_program, assert_ulp_close, compile_, run_kernel

X, Y = sympy.symbols("x y", real=True)
RUNNABLE = host.host_isas() if host.vector_target("host") else []
SIMD = RUNNABLE + ["none"]
WAVE = from_exprs("wave", [X, Y], [sympy.exp(-X**2) * sympy.sin(Y) + sympy.cos(X * Y),
                                           sympy.Piecewise((sympy.sqrt(X) * sympy.log(Y), X > 0.5),
                                                           (X * Y - 1, True))])
#: vector libmvec against scalar libm: glibc's stated 4 ulps; tgamma/lgamma are scalar in both
ULPS = 4
#: ...except where a composite's own cancellation scales those differences: derfcx below
#: 2 is 2x erfcx(x) - 2/sqrt(pi), up to 10 times its terms' error (docs/accuracy.md)
OP_ULPS = {"derfcx": 40}


def _scalar_outputs(kernel, x, y):
    return [np.array([kernel.scalar(float(a), float(b))[k] for a, b in zip(x, y)], kernel.dtype)
            for k in range(kernel.n_outputs)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("simd", SIMD)
def test_every_op_vector_matches_scalar_entry(simd, dtype):
    kernel = compile_(all_ops_program(), dtype, simd=simd)
    rng = np.random.default_rng(3)
    x = np.concatenate([[0.0, -0.0, math.inf, -math.inf, math.nan, 1e-310, 1e300, -1e300],
                        rng.uniform(-5, 5, 40), 10.0 ** rng.uniform(-20, 20, 19)])
    with np.errstate(over="ignore"):
        x = x.astype(dtype)
    y = np.roll(x, 7)
    for op, got, want in zip(FLOAT_OPS, run_kernel(kernel, x, y), _scalar_outputs(kernel, x, y)):
        assert_ulp_close(got, want, OP_ULPS.get(op, ULPS), what=f"{op} {dtype} {simd}")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("simd", RUNNABLE)
def test_tails_offsets_and_untouched_neighbours(simd, dtype):
    kernel = compile_(WAVE, dtype, simd=simd)
    lanes = vector_abi.lanes(simd, dtype)
    rng = np.random.default_rng(4)
    for length in range(0, 2 * lanes + 2):
        for offset in (0, 1):
            x = rng.uniform(0, 2, length + offset).astype(dtype)[offset:]
            y = rng.uniform(0.1, 2, length + offset).astype(dtype)[offset:]
            outs = [np.full(length + 2, -7.0, dtype) for _ in range(2)]
            kernel.run([x, y], [o[1:-1] for o in outs])
            for out, want in zip(outs, _scalar_outputs(kernel, x, y)):
                assert out[0] == out[-1] == -7.0, "an element outside the output was written"
                assert_ulp_close(out[1:-1], want, ULPS, 1e-6 if dtype == "float32" else 1e-15,
                                 what=f"{simd} {dtype} length {length} offset {offset}")


def test_functions_missing_from_libmvec_run_lane_by_lane():
    native = host.vector_target("host")
    if native is None:
        pytest.skip("no libmvec here")
    only_exp = vector_abi.VectorTarget(native.isa, frozenset({vector_abi.mangle(native.isa, "float64", "exp")}))
    text = str(llvm_ir.build_module(WAVE, simd=only_exp, parts=("array",)))
    assert "_ZGV" in text and "@\"sin\"" not in text and "call double @\"llvm.sin.f64\"" in text
    assert "extractelement" in text and "insertelement" in text
    kernel = compile_(WAVE, simd=native.isa)
    x, y = np.linspace(0, 2, 37), np.linspace(0.1, 3, 37)
    want = run_kernel(kernel, x, y)
    compiled = cpu._Compiled(WAVE, "float64", False, False, only_exp)
    got = [np.empty(37) for _ in range(2)]
    from pyexpr.cpu.runtime import driver
    driver.run(compiled.array, [x, y], got)
    for g, w in zip(got, want):
        assert_ulp_close(g, w, ULPS, 1e-15, what="lane by lane")


@pytest.mark.parametrize("isa, dtype, symbol, vector", [
    ("avx512", "float64", "_ZGVeN8v_sin", "<8 x double>"),
    ("avx512", "float32", "_ZGVeN16v_sinf", "<16 x float>"),
    ("avx2", "float64", "_ZGVdN4vv_pow", "<4 x double>"),
    ("avx2", "float32", "_ZGVdN8v_expf", "<8 x float>"),
    ("sse", "float64", "_ZGVbN2v_cos", "<2 x double>"),
])
def test_ir_names_the_isas_vector_functions(isa, dtype, symbol, vector):
    target = vector_abi.VectorTarget(isa, frozenset(vector_abi.all_symbols(isa)))
    program = from_exprs("v", [X, Y], [sympy.sin(X) + sympy.cos(Y) * X**Y + sympy.exp(X)])
    text = str(llvm_ir.build_module(program, dtype, simd=target, parts=("array",)))
    assert f'@"{symbol}"({vector}' in text
    assert f"load {vector}, {vector}*" in text


def _full_target(isa):
    return vector_abi.VectorTarget(isa, frozenset(vector_abi.all_symbols(isa)))


def test_cache_key_depends_on_the_vector_target():
    """Every ISA gets keys of its own, whichever ISA this host runs (the host's own
    target, widest first, is one of them: on an AVX-512 host it *is* the avx512 one)."""
    targets = [None] + [_full_target(isa) for isa in vector_abi.ISAS]
    keys = [cpu.part_key(WAVE, "array", "float64", False, t) for t in targets]
    assert len(set(keys)) == len(targets)
    fewer = vector_abi.VectorTarget("avx2", frozenset(vector_abi.all_symbols("avx2")[:3]))
    assert cpu.part_key(WAVE, "array", "float64", False, fewer) not in keys   # another libmvec
    native = host.vector_target("host")
    if native is not None and native.available == _full_target(native.isa).available:
        assert cpu.part_key(WAVE, "array", "float64", False, native) == keys[targets.index(
            _full_target(native.isa))], f"host ISA {native.isa}"
    scalar = {cpu.part_key(WAVE, "scalar", "float64", False, t) for t in targets}
    assert len(scalar) == 1                       # scalar code does not depend on SIMD


def test_choosing_the_isa(monkeypatch):
    assert host.vector_target("none") is None
    with pytest.raises(ValueError, match="not one this CPU runs"):
        host.vector_target("avx512" if "avx512" not in host.host_isas() else "nonsense")
    monkeypatch.setenv("PYEXPR_SIMD", "none")
    assert host.vector_target() is None
    if RUNNABLE:
        monkeypatch.setenv("PYEXPR_SIMD", RUNNABLE[-1])
        assert host.vector_target().isa == RUNNABLE[-1]
        monkeypatch.delenv("PYEXPR_SIMD")
        assert host.vector_target().isa == RUNNABLE[0]


@pytest.mark.parametrize("dtype, lanes", [("float64", 8), ("float32", 16)])
def test_avx512_modules_compile_to_zmm_code_and_load(dtype, lanes):
    """On any host, AVX2-only ones too: the AVX-512 array part compiles for an AVX-512 CPU,
    uses 512-bit registers, calls libmvec's AVX-512 variants and links here (running it is
    ``test_avx512_kernels_run_on_this_host``)."""
    target = vector_abi.VectorTarget("avx512", frozenset(vector_abi.all_symbols("avx512")))
    cheap = from_exprs("cheap", [X, Y], [2.5 * X + Y])
    engine.binding()
    machine = llvm.Target.from_default_triple().create_target_machine(
        cpu="skylake-avx512", features="", opt=2, reloc="default", codemodel="jitdefault")
    for program in (WAVE, cheap):
        text = str(llvm_ir.build_module(program, dtype, simd=target, parts=("array", "stream", "arraycall")))
        module = llvm.parse_assembly(text)
        module.triple, module.data_layout = machine.triple, str(machine.target_data)
        module.verify()
        assembly = machine.emit_assembly(module)
        assert "zmm" in assembly
        if program is WAVE:
            assert f"_ZGVeN{lanes}v_exp" in assembly
        else:
            assert "vmovntp" in assembly                     # the streaming kernel
        symbols = {**arraycall.symbols(dtype), **fastcall.symbols()} if arraycall.available() else None
        if elf.supported() and symbols:
            image = elf.load(machine.emit_object(module), symbols)   # links against this libmvec
            assert image.address("pyexpr_" + program.name + "_array")


@pytest.mark.skipif("avx512" not in RUNNABLE, reason="this host runs " + (", ".join(RUNNABLE) or
                    "no explicit SIMD") + ", not AVX-512: its code was compiled and linked, not run")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_avx512_kernels_run_on_this_host(dtype):
    """Where the CPU has AVX-512, the default target is avx512 and its kernels run and
    agree with numpy (every ISA's kernels are also checked op by op above)."""
    if not os.environ.get("PYEXPR_SIMD"):
        assert host.vector_target().isa == "avx512", "an AVX-512 host must default to avx512"
    kernel = compile_(WAVE, dtype, simd="avx512")
    lanes = vector_abi.lanes("avx512", dtype)
    assert f'_ZGVeN{lanes}v_exp{"" if dtype == "float64" else "f"}' in kernel.llvm_ir
    rng = np.random.default_rng(5)
    x, y = rng.uniform(0, 2, 1001).astype(dtype), rng.uniform(0.1, 2, 1001).astype(dtype)
    with np.errstate(invalid="ignore"):
        want = [np.exp(-x**2) * np.sin(y) + np.cos(x * y),
                np.where(x > 0.5, np.sqrt(x) * np.log(y), x * y - 1)]
    for got, w in zip(run_kernel(kernel, x, y), want):
        np.testing.assert_allclose(got, w, rtol=1e-5 if dtype == "float32" else 1e-13,
                                   atol=1e-6 if dtype == "float32" else 1e-14, err_msg=f"avx512 {dtype}")
