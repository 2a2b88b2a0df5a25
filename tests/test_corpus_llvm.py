"""Every corpus formula and its gradient through the LLVM backend.

The compiled call (the default path of ``f(...)``) is compared with the
numpy reference interpreter of the same Program and with the reference path
(``sympy.lambdify``), on arrays and on scalars, float64 and float32.
Tolerances: 1e-9 relative in float64 against the interpreter and 1e-8
against lambdify (libm functions are within a few ULP and the SIMD ones
within 4 ULP, see docs/accuracy.md, but some formulas cancel catastrophically
near a removable singularity, e.g. Hodgkin-Huxley's alpha_n at V = -55 mV,
which amplifies those ULPs); float32 results are
compared with float64 ones at 1e-4 relative plus an absolute floor scaled by
the output's magnitude, since rounding the inputs to float32 already moves
ill-conditioned formulas by that much.
"""
import numpy as np
import pytest

import pyexpr as px
from corpus import CASES
from pyexpr.ir.interp import evaluate

IDS = [case.name for case in CASES]


def _inputs(case, n=257, seed=7):
    rng = np.random.default_rng(seed)
    return [rng.uniform(lo, hi, n) for lo, hi in case.domain.values()]


def _close(got, want, rtol):
    got, want = np.asarray(got, float), np.asarray(want, float)
    scale = np.max(np.abs(want[np.isfinite(want)]), initial=0.0)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * 1e-3 * scale + 1e-300)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_compiled_formula_and_gradient_match_the_references(case, ref_call):
    f = px.jit(case.func)
    d = f.jacobian() if f.out_shape else f.grad()
    xs = _inputs(case)
    for formula in (f, d):
        compiled = formula(*xs)
        _close(compiled, np.reshape(evaluate(formula.program, *xs), compiled.shape), 1e-9)
        _close(compiled, ref_call(formula, *xs), 1e-8)
        point = [float(x[0]) for x in xs]
        _close(formula(*point), np.asarray(compiled)[..., 0], 1e-9)   # scalar entry vs array kernel


@pytest.mark.parametrize("case", CASES[::4], ids=IDS[::4])
def test_float32_is_compiled_in_float32_and_agrees(case):
    f64 = px.jit(case.func)
    consts = [abs(i.attr) for i in f64.program.instrs
              if i.op == "const" and i.attr and np.isfinite(i.attr)]     # inf is a float32 too
    if any(not 1e-30 < c < 1e30 for c in consts):
        pytest.skip("physical constants outside float32's range")
    f32 = px.jit(case.func, dtype="float32")
    xs = [x.astype(np.float32) for x in _inputs(case)]
    want = f64(*[x.astype(np.float64) for x in xs])
    if np.nanmax(np.abs(want)) > 1e30:
        pytest.skip("values outside float32's range")
    got = f32(*xs)
    assert got.dtype == np.float32
    assert "double" not in f32.llvm_ir.split("define", 1)[1].split("}", 1)[0]
    scale = np.max(np.abs(want[np.isfinite(want)]), initial=1.0)
    ok = np.isclose(got, want, rtol=1e-4, atol=1e-5 * scale) | ~np.isfinite(want)
    assert ok.mean() > 0.99, f"{case.name}: {np.count_nonzero(~ok)} of {ok.size} differ"
