"""The array driver: every memory layout, outputs that are views, threads, scalars."""
import os
import threading
import time

import numpy as np
import pytest
import sympy

from pyexpr.ir import from_exprs
from pyexpr.cpu import kernel as cpu
from pyexpr.cpu.runtime import driver

from .helpers import compile_, oracle

X, Y = sympy.symbols("x y", real=True)
TWO_OUT = from_exprs("two", [X, Y], [sympy.sin(X) * Y + 1, sympy.Piecewise((X - Y, X > Y), (X * Y, True))])


@pytest.fixture(scope="module", params=["float64", "float32"])
def kernel(request):
    return compile_(TWO_OUT, request.param)


def _check(kernel, x, y, outs=None):
    x, y = np.broadcast_arrays(np.asarray(x, kernel.dtype), np.asarray(y, kernel.dtype))
    if outs is None:
        outs = [np.full(x.shape, np.nan, kernel.dtype) for _ in range(2)]
    kernel.run([x, y], outs)
    for got, want in zip(outs, oracle(TWO_OUT, kernel.dtype, x, y)):
        # float32 rounds every step, the oracle only the result, and the vector sin may differ
        # from numpy's by a few ulps: allow cancellation's absolute error (|sin(x) y| <= 3)
        tol = dict(rtol=1e-6, atol=1e-6) if kernel.dtype == np.float32 else dict(rtol=1e-15, atol=4e-15)
        np.testing.assert_allclose(got, want, **tol)
    return outs


def _grid(shape, seed=0):
    return np.random.default_rng(seed).uniform(-3, 3, shape)


LAYOUTS = {
    "contiguous": lambda: (_grid((37, 41)), _grid((37, 41), 1)),
    "fortran": lambda: (np.asfortranarray(_grid((37, 41))), np.asfortranarray(_grid((37, 41), 1))),
    "mixed_order": lambda: (_grid((37, 41)), np.asfortranarray(_grid((37, 41), 1))),
    "strided": lambda: (_grid((80, 90))[::3, 1::2], _grid((80, 90), 1)[1::3, ::2]),
    "negative": lambda: (_grid((30, 40))[::-1, ::-2], _grid((30, 20), 1)[:, ::-1]),
    "transposed_3d": lambda: (_grid((5, 6, 7)).transpose(2, 0, 1), _grid((7, 5, 6), 1)),
    "4d_sliced": lambda: (_grid((4, 5, 6, 8))[:, ::2, :, ::3], _grid((4, 3, 6, 3), 1)),
    "broadcast_scalar": lambda: (_grid(1000), 0.75),
    "broadcast_row_col": lambda: (_grid((50, 1)), _grid((1, 60), 1)),
    "broadcast_mixed": lambda: (_grid((3, 1, 700)), _grid((4, 1), 1)),
    "zero_d": lambda: (np.array(0.3), np.array(-1.2)),
    "empty": lambda: (np.zeros((0, 5)), np.zeros((0, 5))),
    "size_one_axes": lambda: (_grid((1, 33, 1)), _grid((1, 33, 1), 1)),
    "long_broadcast_scalar": lambda: (_grid(3000), np.float64(2.0)),   # several splat blocks
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_layouts(kernel, layout):
    x, y = LAYOUTS[layout]()
    _check(kernel, x, y)


def test_outputs_that_are_views_of_a_bigger_array(kernel):
    x, y = _grid((40, 30)), _grid((40, 30), 1)
    out = np.full((2, 40, 30), np.nan, kernel.dtype)
    _check(kernel, x, y, [out[0], out[1]])
    big = np.full((2, 30, 80), np.nan, kernel.dtype)
    views = [big[0, :, ::2].T, big[1, ::-1, 1::2].T[:, ::-1]]
    _check(kernel, x, y, views)
    assert np.isnan(big[:, :, 1::2][0]).all()      # untouched elements stay untouched


def test_in_place_and_overlapping_outputs(kernel):
    x, y = _grid(500).astype(kernel.dtype), _grid(500, 1).astype(kernel.dtype)
    want = oracle(TWO_OUT, kernel.dtype, x, y)
    a, b = x.copy(), y.copy()
    kernel.run([a, b], [a, b])                                # exact aliasing: in place
    np.testing.assert_allclose(a, want[0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(b, want[1], rtol=1e-6, atol=1e-6)
    buf = np.concatenate([x, [0]]).astype(kernel.dtype)
    shifted = np.empty_like(buf)
    kernel.run([buf[:-1], y], [buf[1:], shifted[1:]])         # partial overlap: input copied first
    np.testing.assert_allclose(buf[1:], want[0], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("layout", ["contiguous", "strided", "broadcast_scalar", "transposed_3d"])
def test_threads_bit_identical(layout, monkeypatch):
    monkeypatch.setattr(driver, "MIN_PARALLEL", 16)
    kernel = compile_(TWO_OUT)
    x, y = np.broadcast_arrays(*LAYOUTS[layout]())
    results = []
    for threads in (1, 2, 3, 7):
        outs = [np.empty(x.shape) for _ in range(2)]
        driver.run(kernel._compiled.array, [x, y], outs, threads)
        results.append(outs)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            assert a.tobytes() == b.tobytes()


def test_large_parallel_run_matches_serial(monkeypatch):
    monkeypatch.setenv("PYEXPR_NUM_THREADS", "3")
    monkeypatch.setattr(cpu, "PARALLEL_SECONDS", 0.0)
    kernel_par, kernel_ser = compile_(TWO_OUT, parallel=True), compile_(TWO_OUT, parallel=False)
    assert kernel_par._threads(300_000) == 3 and kernel_ser._threads(300_000) == 1
    x, y = _grid(300_000), _grid(300_000, 1)
    outs = [[np.empty(x.shape) for _ in range(2)] for _ in range(2)]
    kernel_par.run([x, y], outs[0])
    kernel_ser.run([x, y], outs[1])
    assert all(a.tobytes() == b.tobytes() for a, b in zip(*outs))


def test_a_slow_thread_takes_fewer_pieces(monkeypatch):
    monkeypatch.setattr(driver, "MIN_PIECE", 1 << 10)
    compiled = compile_(TWO_OUT, parallel=False)._compiled.array
    main, calls = threading.get_ident(), []

    def kernel(rows, cols, ptrs, strides):
        calls.append((threading.get_ident() == main, rows * cols))
        if threading.get_ident() != main:
            time.sleep(0.05)                # this thread's core is busy with something else
        compiled(rows, cols, ptrs, strides)

    x, y = _grid(1 << 17), _grid(1 << 17, 1)
    outs = [np.empty(x.shape) for _ in range(2)]
    driver.run(kernel, [x, y], outs, 2)
    want = [np.empty(x.shape) for _ in range(2)]
    driver.run(compiled, [x, y], want, 1)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(outs, want))
    assert len(calls) == 2 * driver.PIECES_PER_THREAD and sum(n for _, n in calls) == x.size
    assert sum(on_main for on_main, _ in calls) > len(calls) // 2


def test_partition_covers_every_element_once():
    items = [([0, 0, 0], 1, 1_000_003, [8, 8, 8], [0, 0, 0]), ([0, 0, 0], 999, 5, [8, 8, 8], [40, 40, 40])]
    for parts in (1, 2, 5):
        groups = driver._partition(items, 1_000_003 + 999 * 5, parts)
        assert sum(rows * cols for g in groups for _, rows, cols, _, _ in g) == 1_000_003 + 999 * 5
        assert len(groups) <= parts + 1


def test_threads_only_where_the_work_outweighs_starting_them(monkeypatch):
    monkeypatch.setenv("PYEXPR_NUM_THREADS", "2")
    cheap = compile_(from_exprs("axpy", [X, Y], [2.5 * X + Y]))
    costly = compile_(from_exprs("gammas", [X, Y], [sympy.gamma(X) * sympy.exp(Y) + sympy.sin(X * Y)]))
    assert cheap._compiled.seconds_per_element < costly._compiled.seconds_per_element
    assert costly._threads(driver.MIN_PARALLEL - 1) == 1                # never below the floor
    assert costly._threads(driver.MIN_PARALLEL) == 2 > cheap._threads(driver.MIN_PARALLEL)
    enough = int(cpu.PARALLEL_SECONDS / cheap._compiled.seconds_per_element)
    assert enough > driver.MIN_PARALLEL
    assert cheap._threads(int(enough * 0.9)) == 1 and cheap._threads(int(enough * 1.1)) == 2


def test_thread_count_env(monkeypatch):
    monkeypatch.setenv("PYEXPR_NUM_THREADS", "3")
    assert driver.thread_count(True) == 3 and driver.thread_count(False) == 1
    monkeypatch.setenv("PYEXPR_NUM_THREADS", "nonsense")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert driver.thread_count(True) == driver._CPUS >= 1


def test_thread_count_follows_openmp(monkeypatch):
    """dask's worker processes set OMP_NUM_THREADS=1: one task per core, no threads on top."""
    monkeypatch.delenv("PYEXPR_NUM_THREADS", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert driver.thread_count(True) == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "4,2")
    assert driver.thread_count(True) == 4
    monkeypatch.setenv("PYEXPR_NUM_THREADS", "3")
    assert driver.thread_count(True) == 3
    monkeypatch.delenv("OMP_NUM_THREADS")
    monkeypatch.delenv("PYEXPR_NUM_THREADS")
    assert driver.thread_count(True) == driver._CPUS


def test_cpus_are_those_this_process_may_use():
    assert driver._CPUS == len(os.sched_getaffinity(0))


def test_scalar_entry_points(kernel):
    got = kernel.scalar(0.5, 2.0)
    want = [float(w) for w in oracle(TWO_OUT, kernel.dtype, 0.5, 2.0)]
    assert len(got) == 2 and all(isinstance(v, float) for v in got)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    with pytest.raises(TypeError, match="single-output"):
        kernel.ctypes


def test_array_addresses_match_the_array_interface():
    base = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
    samples = [base, base[1], base[:, ::-1], base.T, np.asfortranarray(base), base[..., 2],
               np.broadcast_to(np.float64(1.5), (5,)), np.zeros(()), np.empty(0)]
    for a in samples:
        assert driver._address(a) == a.__array_interface__["data"][0]
    if np.dtype(np.intp).itemsize == 8 and object.__basicsize__ == 16:   # CPython on 64-bit
        assert driver._address is driver._struct_address


def test_functions_libmvec_lacks_are_costed_lane_by_lane():
    from pyexpr.cpu.codegen import vector_abi
    program = from_exprs("waves", [X, Y], [sympy.exp(X) * sympy.sin(Y)])
    full = vector_abi.VectorTarget("avx2", frozenset(vector_abi.all_symbols("avx2")))
    empty = vector_abi.VectorTarget("avx2", frozenset())
    assert cpu.seconds_per_element(program, full) < cpu.seconds_per_element(program, empty) \
        == cpu.seconds_per_element(program, None)


def test_float32_costs_half_except_lane_by_lane_calls():
    from pyexpr.cpu.codegen import vector_abi
    program = from_exprs("waves", [X, Y], [sympy.exp(X) * sympy.sin(Y) + X * Y])
    full = vector_abi.VectorTarget("avx2", frozenset(vector_abi.all_symbols("avx2")))
    assert cpu.seconds_per_element(program, full, "float32") == \
        pytest.approx(cpu.seconds_per_element(program, full, "float64") / 2)
    # lane by lane, exp and sin cost the same per element in either dtype
    saved = cpu.seconds_per_element(program, None, "float64") - cpu.seconds_per_element(program, None, "float32")
    vector_part = cpu.seconds_per_element(program, full, "float64") - 2 * cpu.COSTS["vector call"]
    assert saved == pytest.approx(vector_part / 2)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_many_outputs_share_one_copy_loop_and_agree_in_every_layout(dtype):
    """Gathers, scatters, splats and vector tails all call the module's one copy loop
    (``layout_ir.copier``), so the array part grows with the outputs by a call each,
    not a loop each; the values still land where every layout needs them."""
    from pyexpr.cpu import host
    from pyexpr.cpu.codegen import layout_ir
    from pyexpr.cpu.codegen import llvm_ir
    outputs = [sympy.sin(X) * Y + k for k in range(12)] + [X * Y - k for k in range(12)]
    program = from_exprs("many", [X, Y], outputs)
    text = str(llvm_ir.build_module(program, dtype, simd=host.vector_target(), parts=("array",)))
    isa = getattr(host.vector_target(), "isa", "none")
    assert text.count(f'define internal void @"{layout_ir.COPY}"') == 1, f"SIMD {isa}"
    assert text.count('\nstrided:') == 1 and text.count("gather") == text.count("scatter") == 0, f"SIMD {isa}"
    kernel = compile_(program, dtype)
    grid = np.asarray(_grid((37, 41)), dtype)
    column = np.asarray(_grid((37, 1), seed=1), dtype)
    for x, y in [(grid, grid.T.copy().T), (grid[:, ::2], column), (grid[::3, 1:], column[::3]), (grid[0, :19], grid[1, :19])]:
        x, y = np.broadcast_arrays(x, y)
        outs = [np.empty(x.shape, dtype) for _ in outputs]
        kernel.run([x, y], outs)
        for got, want in zip(outs, oracle(program, dtype, x, y)):
            tol = dict(rtol=1e-6, atol=1e-5) if dtype == "float32" else dict(rtol=1e-15, atol=4e-14)
            np.testing.assert_allclose(got, want, **tol)
