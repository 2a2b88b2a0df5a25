"""Streaming (non-temporal) stores for memory-bound programs: every alignment, same bits."""
import numpy as np
import pytest
import sympy

from pyexpr.ir import from_exprs
from pyexpr.cpu import kernel as cpu
from pyexpr.cpu.runtime import driver
from pyexpr.cpu import host
from pyexpr.cpu.codegen import llvm_ir
from pyexpr.cpu.codegen import vector_ir

from .helpers import compile_

X, Y = sympy.symbols("x y", real=True)
CHEAP = from_exprs("cheap", [X, Y], [2.5 * X + Y, sympy.Piecewise((X - Y, X > Y), (X * Y, True))])
COSTLY = from_exprs("costly", [X, Y], [sympy.exp(X) * Y])
ISAS = host.host_isas() if host.vector_target("host") else []

pytestmark = pytest.mark.skipif(not ISAS, reason="no explicit SIMD on this machine")


def test_only_memory_bound_programs_get_a_streaming_kernel():
    target = host.vector_target()
    assert vector_ir.has_stream(CHEAP) and not vector_ir.has_stream(COSTLY)
    text = str(llvm_ir.build_module(CHEAP, simd=target, parts=("array", "stream")))
    assert "!nontemporal" in text and '"pyexpr_cheap_array_stream"' in text
    assert "!nontemporal" not in str(llvm_ir.build_module(COSTLY, simd=target, parts=("array", "stream")))
    assert "!nontemporal" not in str(llvm_ir.build_module(CHEAP, simd=target, parts=("array",)))
    assert compile_(COSTLY)._compiled.array_for(0)[1] is None


def test_the_quick_tier_has_no_streaming_kernel(monkeypatch):
    monkeypatch.setattr(cpu, "_MEMO", {})
    compiled = compile_(CHEAP)._compiled
    assert compiled.array_for(0)[1] is None              # small calls: they would not stream
    compiled._part("array")
    assert compiled.array_for(0)[1] is not None


def _views(n, dtype, offsets):
    """Output arrays of length ``n`` starting ``offset`` elements into fresh buffers."""
    return [np.full(n + 16, np.nan, dtype)[k:k + n] for k in offsets]


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("offsets", [(0, 0), (1, 1), (3, 3), (0, 1), (5, 2)])
@pytest.mark.parametrize("threads", [1, 3])
def test_streaming_matches_plain_stores_bit_for_bit(isa, dtype, offsets, threads, monkeypatch):
    monkeypatch.setattr(driver, "MIN_PARALLEL", 1 << 10)
    monkeypatch.setattr(driver, "MIN_PIECE", 1 << 8)
    compiled = compile_(CHEAP, dtype, simd=isa)._compiled
    compiled._part("array")                              # the optimized tier has the streaming kernel
    array, stream = compiled.array_for(0)
    assert stream is not None
    rng = np.random.default_rng(7)
    for n in (1, 7, 64, 1000, 4099):
        x, y = rng.uniform(-2, 2, n).astype(dtype), rng.uniform(-2, 2, n).astype(dtype)
        results = []
        for threshold in (1 << 62, 0):               # plain stores, then streaming ones
            monkeypatch.setattr(driver, "STREAM_BYTES", threshold)
            outs = _views(n, dtype, offsets)
            driver.run(array, [x, y], outs, threads, stream=stream)
            results.append(outs)
        for plain, streamed in zip(*results):
            assert plain.tobytes() == streamed.tobytes()
        np.testing.assert_array_equal(results[1][0], np.asarray(2.5, dtype) * x + y)
        np.testing.assert_array_equal(results[1][1], np.where(x > y, x - y, x * y))


def test_outputs_not_aligned_to_their_element_size_still_work(monkeypatch):
    monkeypatch.setattr(driver, "STREAM_BYTES", 0)
    kernel = compile_(CHEAP)
    n = 1001
    raw = [np.zeros(8 * n + 8, np.uint8)[1:1 + 8 * n].view(np.float64) for _ in range(2)]
    x, y = np.linspace(-1, 1, n), np.linspace(2, -2, n)
    kernel.run([x, y], raw)
    np.testing.assert_array_equal(raw[0], 2.5 * x + y)
