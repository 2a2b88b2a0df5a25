"""The CUDA C of loops over vectors of any length: every stage kernel compiles with nvcc
(PTX for sm_90), and its per-index functions, compiled for the host and driven in the
kernels' own summation order, agree with the LLVM loops."""
import ctypes
import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest

import cuda_host
import pyexpr as px
from pyexpr.gpu import loops_c
from pyexpr.ir.loops import REDUCING

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from open_formulas import (below_diagonal, cumulative_energy, dot_mean, even_energy,  # noqa: E402
                           extended_rosen, factorization, kernel, least_squares, product_of, row_centred, softmax_rows,
                           stepped_residuals, linear_residuals, nll, pair_energy, quadratic_form, residuals,
                           heat_rhs, periodic_heat, rosen, running, spread, brusselator, halves, quarters, drawdown,
                           stable_logsumexp, griewank)


def _formulas(dtype):
    f = px.jit(rosen, dtype=dtype)
    g = px.jit(nll, dtype=dtype)
    r = px.jit(residuals, dtype=dtype)
    return {"rosen": (f, "x"), "grad_rosen": (f.grad(), "x"), "hessp_rosen": (f.hessp(), "xp"),
            "nll": (g, "ssd"), "grad_nll": (g.grad(wrt=("mu", "sigma")), "ssd"),
            "dot_mean": (px.jit(dot_mean, dtype=dtype), "xx"), "running": (px.jit(running, dtype=dtype), "x"),
            "residuals": (r, "3xx"), "jacobian_residuals": (r.jacobian(wrt="p"), "3xx"),
            "pair_energy": (px.jit(pair_energy, dtype=dtype), "x"),
            "grad_pair_energy": (px.jit(pair_energy, dtype=dtype).grad(), "x"),
            "below_diagonal": (px.jit(below_diagonal, dtype=dtype), "x"),
            "quadratic_form": (px.jit(quadratic_form, dtype=dtype), "xM"),
            "grad_quadratic_form": (px.jit(quadratic_form, dtype=dtype).grad("x"), "xM"),
            "linear_residuals": (px.jit(linear_residuals, dtype=dtype), "Mxx"),
            "grad_least_squares": (px.jit(least_squares, dtype=dtype).grad("x"), "xMx"),
            "cumulative_energy": (px.jit(cumulative_energy, dtype=dtype), "x"),
            "even_energy": (px.jit(even_energy, dtype=dtype), "x"),
            "grad_even_energy": (px.jit(even_energy, dtype=dtype).grad(), "x"),
            "extended_rosen": (px.jit(extended_rosen, dtype=dtype), "x"),
            "grad_extended_rosen": (px.jit(extended_rosen, dtype=dtype).grad(), "x"),
            "softmax_rows": (px.jit(softmax_rows, dtype=dtype), "M"),
            "row_centred": (px.jit(row_centred, dtype=dtype), "Mx"),
            "stepped_residuals": (px.jit(stepped_residuals, dtype=dtype), "x"),
            "product_of": (px.jit(product_of, dtype=dtype), "MM"),
            "factorization": (px.jit(factorization, dtype=dtype), "MMM"),
            "grad_factorization": (px.jit(factorization, dtype=dtype).grad("U"), "MMM"),
            "grad_least_squares_by_A": (px.jit(least_squares, dtype=dtype).grad("A"), "xMx"),
            "grad_cumulative_energy": (px.jit(cumulative_energy, dtype=dtype).grad(), "x"),
            "dkernel_dell": (px.jit(kernel, dtype=dtype).diff("ell"), "xss"),
            "jvp_product_of": (px.jit(product_of, dtype=dtype).jvp("A"), "MMM"),
            "periodic_heat": (px.jit(periodic_heat, dtype=dtype), "x"),
            "jvp_periodic_heat": (px.jit(periodic_heat, dtype=dtype).jvp("u"), "xx"),
            "logsumexp": (px.jit(stable_logsumexp, dtype=dtype), "x"),
            "grad_logsumexp": (px.jit(stable_logsumexp, dtype=dtype).grad(), "x"),
            "hessp_logsumexp": (px.jit(stable_logsumexp, dtype=dtype).hessp(), "xx"),
            "spread": (px.jit(spread, dtype=dtype), "x"), "grad_spread": (px.jit(spread, dtype=dtype).grad(), "x"),
            "heat_rhs": (px.jit(heat_rhs, dtype=dtype), "sx"),
            "jvp_heat_rhs": (px.jit(heat_rhs, dtype=dtype).jvp("u"), "sxx"),
            "brusselator": (px.jit(brusselator, dtype=dtype), "sx"),
            "jvp_brusselator": (px.jit(brusselator, dtype=dtype).jvp("y"), "sxx"),
            "halves": (px.jit(halves, dtype=dtype), "x"), "grad_halves": (px.jit(halves, dtype=dtype).grad(), "x"),
            "quarters": (px.jit(quarters, dtype=dtype), "x"), "grad_quarters": (px.jit(quarters, dtype=dtype).grad(), "x"),
            "drawdown": (px.jit(drawdown, dtype=dtype), "x"),
            "grad_griewank": (px.jit(griewank, dtype=dtype).grad(), "x")}


CASES = [(name, dtype) for dtype in ("float64", "float32") for name in _formulas("float64")]


def _host_stage(symbol, ns, stage, ctype):
    params = (f"const {ctype} *known, const {ctype} *const *vecs, const long long *offsets, "
              f"long long lo, long long hi, {ctype} *dst")
    if stage.kind in ("elements", "scalar", "cells"):
        first = "0" if stage.kind == "scalar" else "lo"
        last = "1" if stage.kind == "scalar" else "hi"
        return (f'extern "C" void {symbol}({params})\n{{\n'
                f"    for (long long i = {first}; i < {last}; ++i) {ns}::item(i, known, vecs, offsets, dst);\n}}\n")
    m, kind, threads = len(stage.body.outputs), stage.kind, loops_c.GRID * loops_c.BLOCK
    unit = loops_c.unit_c(kind, ctype)
    # the device's order: thread t sums i - lo = t (mod GRID*BLOCK); halving in each block;
    # the blocks' partials in order
    return (f'extern "C" void {symbol}({params})\n{{\n'
            f"    static {ctype} acc[{threads}][{m}];\n    {ctype} terms[{m}];\n"
            f"    for (long long t = 0; t < {threads}; ++t) {{\n"
            f"        for (int k = 0; k < {m}; ++k) acc[t][k] = {unit};\n"
            f"        for (long long i = lo + t; i < hi; i += {threads}) {{\n"
            f"            {ns}::term(i, known, vecs, offsets, terms);\n"
            f"            for (int k = 0; k < {m}; ++k) {loops_c.combine_c(kind, 'acc[t][k]', 'terms[k]')}\n"
            "        }\n    }\n"
            f"    for (int k = 0; k < {m}; ++k) {{\n"
            f"        {ctype} total = {unit};\n"
            f"        for (int b = 0; b < {loops_c.GRID}; ++b) {{\n"
            f"            {ctype} *block = &acc[b * {loops_c.BLOCK}][0];\n"
            f"            for (int h = {loops_c.BLOCK} / 2; h > 0; h >>= 1)\n"
            f"                for (int t = 0; t < h; ++t) "
            f"{loops_c.combine_c(kind, 'block[t * ' + str(m) + ' + k]', 'block[(t + h) * ' + str(m) + ' + k]')}\n"
            f"            {loops_c.combine_c(kind, 'total', 'block[k]')}\n        }}\n"
            f"        dst[k] = total;\n    }}\n}}\n")


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    if cuda_host.NVCC is None:
        pytest.skip("nvcc is not installed: the CUDA loops need it to compile")
    workdir = tmp_path_factory.mktemp("cuda_loops")
    formulas = {(name, dtype): f for dtype in ("float64", "float32") for name, f in _formulas(dtype).items()}
    device, host = [], []
    for k, ((name, dtype), (f, _)) in enumerate(formulas.items()):
        # the kernels' C names are the formula's: one per dtype in this one library
        source = loops_c.loops_source(_renamed(f.program, name, dtype), dtype)
        device.append(f"namespace pyx_f{k} {{\n{source}}}\n")
        host.append(f"namespace pyx_f{k} {{\n{source}\n")
        ctype = "double" if dtype == "float64" else "float"
        for s, stage in enumerate(f.program.stages):
            host.append(_host_stage(f"host_{k}_{s}", f"pyx_s{s}", stage, ctype))
        host.append("}\n")
    jobs = [cuda_host.start_nvcc("\n".join(host), workdir, "host", cuda_host.HostLibrary.FLAGS),
            cuda_host.start_nvcc("\n".join(device), workdir, "kernels", ["--ptx", "-arch=sm_90"])]
    library, ptx = (cuda_host.finish_nvcc(job) for job in jobs)
    keys = {key: k for k, key in enumerate(formulas)}
    return ctypes.CDLL(str(library)), ptx.read_text(), formulas, keys


def _renamed(lp, name, dtype):
    """The C names are extern "C", one set per case and dtype in the one library."""
    return dataclasses.replace(lp, name=f"{name}_{dtype}")


def _arguments(kinds, n, dtype, seed=0):
    rng = np.random.default_rng(seed)
    args = []
    for kind in kinds:
        if kind == "s":
            args.append(float(rng.uniform(0.5, 1.5)))
        elif kind == "3":
            args.append(rng.uniform(0.5, 1.5, 3))
        elif kind == "M":
            args.append(rng.uniform(-1.0, 1.0, (n, n)).astype(dtype))
        else:
            args.append(rng.uniform(-1.5, 1.5, n).astype(dtype))
    return args


def _host_run(library, k, formula, args, dtype):
    """The stages on the host, orchestrated as ``gpu.loops_run`` launches them."""
    lp = formula.program
    fixed = [isinstance(k, int) for _, k in formula.signature]
    scalars = [v for a, (_, k) in zip(args, formula.signature) if k is None or isinstance(k, int)
               for v in np.atleast_1d(a)]
    vectors = [np.ascontiguousarray(a, dtype) for a, (_, k) in zip(args, formula.signature)
               if k is not None and not isinstance(k, int)]
    assert len(fixed) == len(args)
    sizes = [d for v in vectors for d in v.shape]
    assert lp.outside(sizes) is None
    temps = [np.zeros(max(n, 1), dtype) for n in lp.temp_elements(lp.temp_sizes(sizes))]
    vectors = vectors + temps
    plan = lp.plan(sizes)
    total = plan[-1][3] + sum(len(st.body.outputs) for st in lp.stages if st.kind in REDUCING)
    known = np.zeros(max(total, 1), dtype)
    first = list(scalars) + [sizes[v] for v in lp.length_vectors]
    known[:len(first)] = first
    pointers = (ctypes.c_void_p * len(vectors))(*[v.ctypes.data for v in vectors])
    rows = lp.rows.value(sizes) if formula.index is not None else 1
    cols = lp.cols.value(sizes) if formula.column is not None else max(len(formula.outputs), 1)
    out = np.zeros(rows * cols, dtype)
    for s, (stage, (lo, hi, params, at)) in enumerate(zip(lp.stages, plan)):
        offs = np.array(params or [0], np.int64)
        dst = known[at:] if stage.kind in REDUCING else out if stage.dest is None else temps[stage.dest]
        address = lambda a: ctypes.c_void_p(a.ctypes.data)  # noqa: E731
        getattr(library, f"host_{k}_{s}")(address(known), pointers, address(offs), ctypes.c_longlong(lo),
                                           ctypes.c_longlong(hi), address(dst))
    return out


def test_every_stage_kernel_compiles_to_ptx(compiled):
    _, ptx, formulas, _ = compiled
    for (name, dtype), (f, _) in formulas.items():
        for s, stage in enumerate(f.program.stages):
            suffixes = ("_partials", "_total") if stage.kind in REDUCING else ("",)
            for suffix in suffixes:
                assert loops_c.stage_name(_renamed(f.program, name, dtype), s, suffix) in ptx, (name, dtype, s)


@pytest.mark.parametrize("name, dtype", CASES)
@pytest.mark.parametrize("n", [1, 2, 7, 1000, 70_001])
def test_host_build_of_the_kernels_matches_the_llvm_loops(compiled, name, dtype, n):
    library, _, formulas, keys = compiled
    f, kinds = formulas[name, dtype]
    if n > 1000 and ("M" in kinds or "pair" in name or "diagonal" in name or "cumulative" in name or "drawdown" in name
                     or f.column is not None):          # (a matrix output of a vector: n x n)
        pytest.skip("quadratic work: checked up to n = 1000")
    if n >= 1000 and kinds.count("M") == 3:
        pytest.skip("cubic work (products of three matrices): checked up to n = 7")
    if ("extended_rosen" in name or "stepped" in name or "brusselator" in name) and n % 2:
        pytest.skip(f"{name} runs at even lengths only")
    if f.index is not None and n < f.cases()[0]:
        pytest.skip(f"{name} at n = {n} is written out, not looped")
    args = _arguments(kinds, n, dtype)
    if name in ("dot_mean",) and n < 1 or name.startswith("residuals") and n < 1 or ("spread" in name or "quarters" in name) and n < 2:
        pytest.skip("too short")
    expected = np.asarray(f(*args), dtype=float).reshape(-1)
    got = _host_run(library, keys[name, dtype], f, args, dtype).astype(float)[:expected.size]
    rtol = 1e-12 if dtype == "float64" else 2e-4
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * max(1.0, np.abs(expected).max()))
