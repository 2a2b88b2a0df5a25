"""Large formulas (issue 19, item 5): long sums, written out or accumulated in unrolled
loops, decorate without RecursionError and compute the right value.

``sum`` over a generator and ``+=`` in a loop build one n-ary sum (term by term
each step re-flattened the whole sum: 2,000 terms took 10-15 s); a written-out
``a + b + c ...`` is walked without recursion.  Times are measured, not
asserted here (docs/performance.md has them against size).
"""
import math

import numpy as np
import pytest

import pyexpr as px

N = 1500


def _module(tmp_path, name, text, monkeypatch):
    import importlib
    (tmp_path / f"{name}.py").write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    return importlib.import_module(name)


@pytest.mark.llvm
def test_a_long_generator_sum(tmp_path, monkeypatch):
    mod = _module(tmp_path, "long_sum", f"from math import sin\ndef f(x, y):\n    return sum(sin(x * k) "
                  f"* y / (k + 1) for k in range({N}))\n", monkeypatch)
    f = px.jit(mod.f)
    assert f(0.5, 2.0) == pytest.approx(mod.f(0.5, 2.0), rel=1e-12)
    assert f.grad()(0.5, 2.0)[1] == pytest.approx(mod.f(0.5, 2.0) / 2.0, rel=1e-12)


@pytest.mark.llvm
def test_a_long_accumulation_in_a_loop(tmp_path, monkeypatch):
    text = (f"from math import sin, cos\ndef f(x, y):\n    s = 1.0\n    for i in range({N}):\n"
            "        s += sin(x * i) * y\n        s -= cos(y * i) / (i + 1)\n    return s\n")
    mod = _module(tmp_path, "long_loop", text, monkeypatch)
    f = px.jit(mod.f)
    assert f(0.5, 2.0) == pytest.approx(mod.f(0.5, 2.0), rel=1e-10, abs=1e-9)


def test_an_accumulation_read_inside_the_loop_and_across_an_if(tmp_path, monkeypatch):
    # (a few iterations: an if on the sum itself nests Piecewise, which grows exponentially)
    text = ("def f(x):\n    s = 0.0\n    for i in range(4):\n        s += x * i\n"
            "        if s > 10:\n            s -= 1.0\n        t = s * 0.5\n    return s + t\n")
    mod = _module(tmp_path, "read_loop", text, monkeypatch)
    f = px.jit(mod.f)
    for x in (0.0, 0.01, 0.3, 2.0, 5.0, -2.0):
        assert f(x) == pytest.approx(mod.f(x), rel=1e-12, abs=1e-12)


def test_a_written_out_sum_of_a_thousand_terms(tmp_path, monkeypatch):
    body = " + ".join(f"{k + 1}.5 * x**{k % 7} * y" for k in range(1000)) + " - x * y"
    mod = _module(tmp_path, "written_out", f"def f(x, y):\n    return {body}\n", monkeypatch)
    f = px.jit(mod.f)
    assert f(0.7, 1.3) == pytest.approx(mod.f(0.7, 1.3), rel=1e-12)
    assert math.isfinite(f.diff("x")(0.7, 1.3))


def test_simplify_false_keeps_the_order_of_a_long_sum(tmp_path, monkeypatch):
    # as written, term by term: 1e16 + 1 + 1 + ... - 1e16 is 0 in floating point
    text = "def f(x):\n    s = x + 1e16\n    for i in range(8):\n        s += 1.0\n    return s - 1e16\n"
    mod = _module(tmp_path, "ordered", text, monkeypatch)
    assert px.jit(mod.f, simplify=False)(0.0) == mod.f(0.0) == 0.0
    np.testing.assert_array_equal(px.jit(mod.f)([0.0]), [8.0])   # algebra over the reals
