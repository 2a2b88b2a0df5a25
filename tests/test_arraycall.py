"""The builtin entry for small arrays agrees bit for bit with the general path, and steps aside."""
import math
import sys
import threading
import time
import weakref

import numpy as np
import pytest

import pyexpr as px
from pyexpr.cpu import abi
from pyexpr.cpu.runtime import arraycall, fastcall
from pyexpr.cpu import kernel as cpu

pytestmark = pytest.mark.skipif(not arraycall.available(), reason="numpy's array layout not supported")


def _warmed(fn, dtype="float64"):
    """A fresh formula whose optimized array code (and so its array entry) is loaded."""
    f = px.jit(fn, dtype=dtype, cache=False)
    x = np.linspace(0.1, 1, 4, dtype=dtype)
    for _ in range(cpu.UPGRADE_CALLS):
        f(x, x)
    assert f._fast.get("array"), "the array entry is installed after UPGRADE_CALLS calls"
    return f


def bump(x, y):
    return math.exp(-x * x) * math.sin(y) + 2.5 * x - y


@pytest.fixture(scope="module")
def f():
    return _warmed(bump)


def _general(f, *args):
    """The general path's result (``Formula._call``: the builtins are out of the way)."""
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=f.options["dtype"]) for a in args))
    out = np.empty(arrays[0].shape, f.options["dtype"])
    return f._call(*arrays, out=out)


@pytest.mark.parametrize("shape", [(1,), (7,), (1000,), (3, 5), (2, 1, 4), (0,), (4, 0)])
def test_small_arrays_take_the_entry_and_match(f, shape):
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-2, 2, shape), rng.uniform(-2, 2, shape)
    got = f(x, y)
    assert type(got) is np.ndarray and got.shape == shape and got.dtype == np.float64
    assert got.tobytes() == _general(f, x, y).tobytes()


@pytest.mark.parametrize("args", [
    lambda x: (x[::2], x[::2]),                       # not contiguous
    lambda x: (x, 0.5),                               # a float (the entry reads it)
    lambda x: (x, np.float64(0.5)),                   # a numpy scalar (likewise)
    lambda x: (0.5, 0.25),                            # no array (the float entry's call)
    lambda x: (x.astype(np.float32), x),              # another dtype
    lambda x: (x.astype(np.int64), x),                # integers
    lambda x: (x, x[:3]),                             # shapes differ (an error)
    lambda x: (x.reshape(2, 3), x[:3]),               # broadcasting
    lambda x: (np.asarray(x[0]), np.asarray(x[1])),   # 0-d arrays: a float comes back
    lambda x: (x.view(np.ma.MaskedArray), x),         # a subclass
    lambda x: (x.astype(">f8"), x),                   # byte-swapped
    lambda x: (np.linspace(0, 1, abi.ARRAY_MAX_SIZE), np.linspace(0, 1, abi.ARRAY_MAX_SIZE)),
])
def test_everything_else_falls_back_with_numpy_semantics(f, args):
    x = np.linspace(-1, 1, 6)
    values = args(x)
    try:
        expected = bump_numpy(*values)
    except ValueError:
        with pytest.raises(ValueError, match="do not broadcast"):
            f(*values)
        return
    got = f(*values)
    assert np.shape(got) == np.shape(expected)
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-15)


class Recorder:
    """A builtin's fallback that records the calls that reach it."""
    def __init__(self):
        self.calls = []

    def __call__(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        return "fell back"


def _entry(f):
    address, owner = f.kernel().array_entry
    recorder = Recorder()
    return fastcall.builtin(address, recorder, owner), recorder


@pytest.mark.parametrize("number", [0.5, np.float64(0.5), np.float32(0.5), 2, np.int64(-3), True])
@pytest.mark.parametrize("shape", [(7,), (3, 5)])
def test_numbers_beside_arrays_take_the_entry(f, number, shape):
    """As solve_ivp(vectorized=True) calls rhs(t, y): the number's stride is 0."""
    entry, recorder = _entry(f)
    x = np.random.default_rng(2).uniform(-2, 2, shape)
    for args in ((x, number), (number, x)):
        got = entry(*args)
        assert not recorder.calls and got.shape == shape and got.dtype == np.float64
        assert got.tobytes() == _general(f, *args).tobytes()


def test_out_is_filled_by_the_entry(f):
    entry, recorder = _entry(f)
    x, y, out = np.linspace(0, 1, 9), np.linspace(1, 2, 9), np.empty(9)
    before = sys.getrefcount(out)
    for _ in range(100):
        assert entry(x, y, out=out) is out
    assert sys.getrefcount(out) == before and not recorder.calls
    assert out.tobytes() == _general(f, x, y).tobytes()
    assert entry(x, 0.5, out=out) is out and out.tobytes() == _general(f, x, 0.5).tobytes()


@pytest.mark.parametrize("call", [
    lambda e, x, y: e(x, y, out=x),                          # out is an argument
    lambda e, x, y: e(x[:8], y[:8], out=x[1:9]),             # overlapping it
    lambda e, x, y: e(x, y, out=np.empty(9, np.float32)),    # another dtype
    lambda e, x, y: e(x, y, out=np.empty((9, 1))),           # another shape
    lambda e, x, y: e(x, y, out=np.empty(18)[::2]),          # not contiguous
    lambda e, x, y: e(x, y, out=[0.0] * 9),                  # not an array
    lambda e, x, y: e(x, y, out=np.frombuffer(bytes(72))),   # read-only
    lambda e, x, y: e(x, 0.5, out=np.frombuffer(bytes(72))),
    lambda e, x, y: e(x, y=y),                               # another keyword
    lambda e, x, y: e(x, y, out=np.empty(9), where=True),    # more keywords
    lambda e, x, y: e(0.5, 0.25),                            # no array
    lambda e, x, y: e(x, 10**400),                           # an int too large for a double
    lambda e, x, y: e(x, "text"),                            # not a number
])
def test_the_entry_declines_what_the_general_path_must_do(f, call):
    entry, recorder = _entry(f)
    x, y = np.linspace(0, 1, 9), np.linspace(1, 2, 9)
    assert call(entry, x, y) == "fell back" and len(recorder.calls) == 1


def test_a_float32_formula_reads_floats_beside_its_arrays():
    f32 = _warmed(bump, "float32")
    entry, recorder = _entry(f32)
    x = np.linspace(-1, 1, 11, dtype=np.float32)
    assert entry(x, 0.3).tobytes() == _general(f32, x, np.float32(0.3)).tobytes() and not recorder.calls
    assert entry(x, 3).tobytes() == _general(f32, x, np.float32(3)).tobytes() and not recorder.calls
    assert entry(x, 2**24 + 1) == "fell back"              # not a float: the general path (one rounding)


def bump_numpy(x, y):
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    result = np.exp(-x * x) * np.sin(y) + 2.5 * x - y
    return float(result) if result.ndim == 0 else result


def test_keywords_and_errors_go_through_the_general_path(f):
    x = np.linspace(0, 1, 5)
    assert f(x, y=x).tobytes() == f(x, x).tobytes()
    with pytest.raises(TypeError, match="takes 2 argument"):
        f(x, x, x)
    with pytest.raises(TypeError, match="argument 'y'"):
        f(x, "text")


def test_references_are_counted(f):
    x, y = np.linspace(0, 1, 9), np.linspace(1, 2, 9)
    before = sys.getrefcount(x), sys.getrefcount(y)
    results = [f(x, y) for _ in range(1000)]
    assert (sys.getrefcount(x), sys.getrefcount(y)) == before
    count = sys.getrefcount(results[-1])               # (not inside assert: pytest keeps its operands)
    assert count == 2                                  # the list's and getrefcount's
    assert all(r.flags.owndata and r.flags.c_contiguous for r in results[:3])


def test_float32_formulas_take_float32_arrays():
    f32 = _warmed(bump, "float32")
    x = np.linspace(-1, 1, 11, dtype=np.float32)
    got = f32(x, x[::-1].copy())
    assert got.dtype == np.float32 and got.tobytes() == _general(f32, x, x[::-1]).tobytes()


def test_scalar_and_array_entries_chain(f):
    assert f(0.5, 0.25) == pytest.approx(bump(0.5, 0.25), rel=1e-15)
    assert f._fast["scalar"] and f._fast["array"]
    x = np.linspace(0, 1, 5)
    assert f(x, x).tobytes() == _general(f, x, x).tobytes()


_SECOND_PROCESS = """
import json, math, sys
import numpy as np
import pyexpr as px
from pyexpr.cpu import kernel as cpu

@px.jit
def ripple(x, y):
    return math.cos(x * y) - x / (1 + y * y)

x = np.linspace(0, 1, 8)
for _ in range(cpu.UPGRADE_CALLS):
    value = ripple(x, x)
engine = sys.modules.get("pyexpr.cpu.build.engine")
print(json.dumps({"value": ripple(x, x).tolist(), "entry": bool(ripple._fast.get("array")),
                  "codegen": engine.CODEGEN_COUNT if engine else 0}))
"""


def test_the_array_entry_loads_from_the_disk_cache(tmp_path, processes):
    runs = processes(tmp_path, _SECOND_PROCESS)
    assert [r["codegen"] for r in runs] == [2, 0]        # the quick tier, then the optimized one
    assert runs[0]["entry"] and runs[1]["entry"] and runs[0]["value"] == runs[1]["value"]
    x = np.linspace(0, 1, 8)
    np.testing.assert_allclose(runs[0]["value"], np.cos(x * x) - x / (1 + x * x), rtol=1e-14)


def test_a_kept_call_method_outlives_chain_rebuilds():
    f = px.jit(bump, cache=False)
    assert f(0.5, 0.25) == pytest.approx(bump(0.5, 0.25), rel=1e-15)   # the float builtin
    kept = f.__call__
    x = np.linspace(0.1, 1, 4)
    for _ in range(cpu.UPGRADE_CALLS):                                   # the chain is rebuilt
        f(x, x)
    assert f._fast.get("array")
    assert kept(0.5, 0.25) == f(0.5, 0.25) and kept.__name__ == "formula"
    assert kept(x, x).tobytes() == f(x, x).tobytes()


def test_first_calls_from_several_threads_at_once(threaded):
    f = px.jit(bump, cache=False)
    x = np.linspace(0.1, 1, 4)
    results, errors = [], []

    def work():
        try:
            for _ in range(60):
                results.append((f(0.5, 0.25), f(x, x).tobytes()))
        except Exception as exc:             # noqa: BLE001 -- reported below
            errors.append(exc)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threaded(work)
    finally:
        sys.setswitchinterval(old)
    assert not errors and len(set(results)) == 1 and len(results) == 240
    assert type(f).__mro__[1] is px.Formula              # one subclass, made once


def test_formulas_without_arguments_have_no_array_entry():
    f = px.jit(lambda: 2.5, cache=False)
    for _ in range(cpu.UPGRADE_CALLS + 1):
        assert f() == 2.5
    assert f(out=np.empty(())) == 2.5
    assert "arraycall" not in f.llvm_ir and not f._fast.get("array")


def test_an_unexpected_allocation_is_given_back_and_the_general_path_answers(monkeypatch):
    made = []

    def wrong_shape(prototype):
        array = np.empty(prototype.size + 5)
        made.append(weakref.ref(array))
        return array

    monkeypatch.setattr(arraycall, "_EMPTY_LIKE", wrong_shape)
    monkeypatch.setattr(cpu, "_MEMO", {})               # compile (and load) afresh
    f = _warmed(bump)
    made.clear()
    x = np.linspace(0.1, 1, 6)
    for _ in range(50):
        assert f(x, x).tobytes() == _general(f, x, x).tobytes()
    assert len(made) == 50 and all(ref() is None for ref in made)   # each released again


def test_larger_calls_release_the_gil_while_they_compute():
    f = _warmed(bump)
    assert "PyEval_SaveThread" in f.llvm_ir
    x = np.linspace(0.1, 1, abi.GIL_SIZE * 8)
    assert f(x, x).tobytes() == _general(f, x, x).tobytes()
    small = x[: abi.GIL_SIZE - 1]
    assert f(small, small).tobytes() == _general(f, small, small).tobytes()
    results, stop = [], threading.Event()

    def caller():
        while not stop.is_set():
            results.append(f(x, x))
    threads = [threading.Thread(target=caller) for _ in range(3)]
    for t in threads:
        t.start()
    while len(results) < 60:                 # three threads computing at once, without the GIL
        time.sleep(0.001)
    stop.set()
    for t in threads:
        t.join()
    want = _general(f, x, x).tobytes()
    assert all(r.tobytes() == want for r in results)


def test_zero_dimensional_arrays_beside_arrays_are_their_numbers(monkeypatch):
    """``f(x, np.array(0.3))`` (what np.float64 arithmetic and some solvers hand back) is the
    call with the number it holds: the same bytes, by the entries (no general path); with
    no array of more axes beside it, the general path as before."""
    from pyexpr import calling
    f = _warmed(bump, "float64")
    x = np.linspace(-1, 1, 11)
    want = f(x, 0.3)
    want32 = f(x, np.float32(0.3))

    def refused(*args, **kwargs):
        raise AssertionError("the general path")
    monkeypatch.setattr(calling, "call", refused)
    assert f(x, np.array(0.3)).tobytes() == want.tobytes()
    assert f(x, np.array(np.float32(0.3))).tobytes() == want32.tobytes()
    monkeypatch.undo()
    out = np.empty(11)
    assert f(x, np.array(0.3), out=out) is out and out.tobytes() == want.tobytes()
    assert f(np.array(0.5), np.array(0.3)) == f(0.5, 0.3)
    with pytest.raises(TypeError, match="bump"):
        f(x, np.array("a"))
