"""The builtin entry point for calls on numbers agrees with the general path."""
import math

import numpy as np
import pytest

import pyexpr as px
from pyexpr import calling
from pyexpr.cpu import kernel as cpu
from pyexpr.cpu.build import engine
from pyexpr.cpu.runtime import fastcall

pytestmark = pytest.mark.skipif(not fastcall.available(), reason="CPython layout not supported")


@px.jit
def wave(x, t, c=2.0):
    return math.exp(-(x - c * t) ** 2) * math.cos(3 * x)


@px.jit(dtype="float32")
def wave32(x, t):
    return math.exp(-(x - 2.0 * t) ** 2) * math.cos(3 * x)


def test_float_calls_take_the_builtin_and_agree():
    first = wave(0.25, 0.5, 2.0)                 # compiles, then installs the fast entry
    assert type(wave) is not px.Formula and isinstance(wave, px.Formula)
    assert wave(0.25, 0.5, 2.0) == first == wave.__wrapped__(0.25, 0.5, 2.0)
    assert isinstance(wave(0.25, 0.5, 2.0), float)


@pytest.mark.parametrize("call", [
    lambda f: f(0.25, 0.5),                       # default filled by the general path
    lambda f: f(0.25, t=0.5),                     # keywords
    lambda f: f(1, 0.5, 2),                       # ints: read by the entry
    lambda f: f(np.float64(0.25), 0.5, 2.0),      # numpy scalars: read by the entry
    lambda f: f(np.float16(0.25), 0.5, 2.0),      # every numpy real scalar: read by the entry
])
def test_other_calls_fall_back(call):
    wave(0.1, 0.1, 2.0)
    got = call(wave)
    assert got == pytest.approx(wave.__wrapped__(*_args(call)), rel=1e-15)


def _args(call):
    seen = {}
    call(lambda x, t=None, c=2.0: seen.update(x=float(x), t=float(t), c=float(c)))
    return seen["x"], seen["t"], seen["c"]


class Recorder:
    """A builtin's fallback that records the calls that reach it."""
    def __init__(self):
        self.calls = []

    def __call__(self, *args, **kwargs):
        self.calls.append(args)
        return "fell back"


def _entry_with(formula, *first):
    formula(*first)
    recorder = Recorder()
    defaults = tuple(float(formula.defaults[n]) if n in formula.defaults else None for n in formula.arg_names)
    return fastcall.float_builtin(formula.kernel().fast_entry, recorder, formula.arg_names, defaults), recorder


NUMBERS = [(np.float64(0.25), 0.25), (np.float32(0.25), 0.25), (np.int64(-3), -3.0), (7, 7.0),
           (-2**62 - 1, float(-2**62 - 1)), (True, 1.0), (False, 0.0), (2**80 + 1, float(2**80 + 1)),
           (np.float16(-2.5), -2.5), (np.float16(6e-8), float(np.float16(6e-8))), (np.int32(-2**31), -2.0**31),
           (np.int16(-7), -7.0), (np.int8(-128), -128.0), (np.uint8(255), 255.0), (np.uint16(65535), 65535.0),
           (np.uint32(2**32 - 1), 2.0**32 - 1), (np.uint64(2**64 - 1), 2.0**64), (np.bool_(True), 1.0),
           (np.bool_(False), 0.0)]


@pytest.mark.parametrize("number, value", NUMBERS)
def test_numbers_are_read_by_the_entry(number, value):
    """numpy's float and int64 scalars, ints and bools: no detour through the general path,
    and the value it would compute (ints correctly rounded, as float(i))."""
    entry, recorder = _entry_with(wave, 0.1, 0.1, 2.0)
    got = entry(number, 0.5, 2.0)
    assert not recorder.calls
    assert type(got) is float and got == wave(value, 0.5, 2.0)
    assert entry(0.5, number, 2.0) == wave(0.5, value, 2.0)


def test_an_int_too_large_for_a_double_goes_to_the_general_path():
    entry, recorder = _entry_with(wave, 0.1, 0.1, 2.0)
    assert entry(10**400, 0.5, 2.0) == "fell back" and recorder.calls == [(10**400, 0.5, 2.0)]
    assert entry(-1, 0.5, 2.0) == wave(-1.0, 0.5, 2.0)     # -1.0 is also PyLong_AsDouble's error value
    with pytest.raises(OverflowError, match="wave.*argument 'x'"):
        wave(10**400, 0.5, 2.0)


def test_a_float32_formula_reads_what_a_float_holds_exactly_and_leaves_other_ints_to_the_general_path():
    """Ints whose double is not a float already would be rounded twice (to double, then to
    float): the general path rounds them once, as numpy does."""
    entry, recorder = _entry_with(wave32, 0.3, 0.1)
    assert entry(np.float32(0.3), 0.1) == wave32(0.3, 0.1) and not recorder.calls
    assert entry(np.float64(0.3), 0.1) == wave32(0.3, 0.1) and not recorder.calls
    for small in (3, np.int64(3), np.uint64(3), True, np.int32(-2**24), np.uint32(2**31 + 3), np.float16(0.1)):
        assert entry(small, 0.1) == wave32(np.float32(small), 0.1), small
    assert not recorder.calls
    for large in (2**24 + 1, np.int64(-2**24 - 1), np.uint64(2**40 + 1)):
        assert entry(large, 0.1) == "fell back"
    assert wave32(2**24 + 1, 0.0) == wave32(float(np.float32(2**24 + 1)), 0.0)
    assert wave32(np.uint64(2**60 + 2**36 + 1), 0.0) == wave32(float(np.float32(np.uint64(2**60 + 2**36 + 1))), 0.0)


@px.jit
def polar(r, phi):
    return r * math.cos(phi), r * math.sin(phi), math.hypot(r, phi)


@px.jit(dtype="float32")
def polar32(r, phi):
    return r * math.cos(phi), r * math.sin(phi)


@px.jit
def rotation(phi):
    return ((math.cos(phi), -math.sin(phi)), (math.sin(phi), math.cos(phi)))


def test_several_outputs_come_back_as_an_array_from_the_entry():
    entry, recorder = _entry_with(polar, 2.0, 0.5)
    got = entry(2.0, np.float64(0.5))
    assert not recorder.calls
    assert type(got) is np.ndarray and got.dtype == np.float64 and got.shape == (3,)
    assert got.tolist() == list(polar.kernel().scalar(2.0, 0.5))         # the same code, by ctypes
    np.testing.assert_allclose(got, polar.__wrapped__(2.0, 0.5), rtol=1e-15)
    assert polar(2.0, 0.5).tolist() == got.tolist() and type(polar) is not px.Formula
    assert entry(2.0, 0.5) is not entry(2.0, 0.5)           # a new array each call
    entry32, recorder = _entry_with(polar32, 2.0, 0.5)
    got = entry32(2.0, 0.5)
    assert got.dtype == np.float32 and got.tolist() == list(polar32.kernel().scalar(2.0, 0.5))
    assert not recorder.calls


def test_a_matrix_of_outputs_keeps_its_shape():
    """The entry's array has one axis: formulas shaped otherwise keep the general path."""
    for _ in range(3):
        got = rotation(0.25)
        assert got.shape == (2, 2) and got[0, 1] == -math.sin(0.25)


@px.jit
def _cubed(x):
    return x**3


@px.jit
def _constants():
    return 2.5, 3.5


def test_the_entry_gives_what_the_general_path_gives_for_every_output_shape():
    """One output of shape (1,) (a gradient by one argument) is an array; a formula of
    several outputs and no arguments works."""
    gradient = _cubed.grad()
    for _ in range(3):
        got = gradient(2.0)
        assert type(got) is np.ndarray and got.shape == (1,) and got.tolist() == [12.0]
        assert _constants().tolist() == [2.5, 3.5]


def test_numpy_scalars_layout_is_checked_here():
    symbols = fastcall.symbols()
    assert [symbols[f"pyexpr_numpy_{t}"] for t in ("float64", "float32", "int64")] == \
        [id(np.float64), id(np.float32), id(np.int64)]


def test_keywords_and_defaults_reach_the_entry(monkeypatch):
    """Made positional behind the entries: no detour through the general path."""
    calls = [lambda f: f(0.25, 0.5), lambda f: f(0.25, t=0.5), lambda f: f(x=0.25, t=0.5, c=3.0),
             lambda f: f(0.25, c=3.0, t=0.5), lambda f: f(np.float64(0.25), t=1)]
    wave(0.1, 0.1, 2.0)
    expected = [call(wave._call) for call in calls]            # the general path's values
    general = []
    real = calling.call
    monkeypatch.setattr(calling, "call", lambda *a, **k: general.append(a) or real(*a, **k))
    assert [call(wave) for call in calls] == expected and not general
    for call, message in [(lambda f: f(0.25, x=1.0), "multiple values for argument 'x'"),
                          (lambda f: f(0.25), "missing 1 required argument"),
                          (lambda f: f(0.25, 0.5, d=1.0), "unexpected keyword argument 'd'")]:
        with pytest.raises(TypeError, match=message):
            call(wave)
    out = np.empty(2)
    assert wave(np.array([0.25, 0.5]), t=0.5, out=out) is out
    assert out[0] == pytest.approx(expected[0], rel=1e-15)     # the array code: within an ulp


def test_errors_still_name_the_argument():
    wave(0.1, 0.1, 2.0)
    with pytest.raises(TypeError, match="argument 'x'"):
        wave("a", 0.1, 2.0)
    with pytest.raises(TypeError, match="takes 3 argument"):
        wave(0.1, 0.1, 2.0, 4.0)


def test_arrays_fall_back_to_the_array_path():
    wave(0.1, 0.1, 2.0)
    xs = np.linspace(-1, 1, 7)
    np.testing.assert_allclose(wave(xs, 0.5, 2.0), [wave.__wrapped__(x, 0.5, 2.0) for x in xs], rtol=1e-14)


def test_float32_rounds_like_the_general_path():
    value = wave32(0.3, 0.1)
    again = wave32(0.3, 0.1)
    assert value == again
    assert value == pytest.approx(wave32.__wrapped__(0.3, 0.1), rel=1e-6)
    assert value == float(np.float32(value))     # a float32 result, widened


def test_nan_and_inf_pass_through():
    wave(0.1, 0.1, 2.0)
    assert math.isnan(wave(math.nan, 0.0, 2.0))
    assert wave(math.inf, 0.0, 2.0) == 0.0 or math.isnan(wave(math.inf, 0.0, 2.0))


def test_an_array_first_call_compiles_no_scalar_code(tmp_path, monkeypatch):
    monkeypatch.setenv("PYEXPR_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(cpu, "_MEMO", {})
    monkeypatch.setattr(cpu, "_SHARED", {})

    @px.jit
    def ripple(x, y):
        return math.sin(x * y) / (1 + x**2)

    @px.jit
    def bump(u, v):
        return math.exp(-u * u) * v

    before = engine.CODEGEN_COUNT
    ripple(np.linspace(0, 1, 5), 2.0)
    assert engine.CODEGEN_COUNT == before + 1 and type(ripple) is px.Formula   # the array part only
    assert ripple(0.5, 2.0) == pytest.approx(math.sin(1.0) / 1.25, rel=1e-15)
    # its scalar part, and the float entry of two numbers with its binder, shared by all such
    assert engine.CODEGEN_COUNT == before + 4 and type(ripple) is not px.Formula
    assert bump(0.5, 2.0) == math.exp(-0.25) * 2.0
    assert engine.CODEGEN_COUNT == before + 5               # its scalar part only


_SECOND_PROCESS = """
import json, math, sys
import pyexpr as px

@px.jit
def bump(x, y):
    return math.exp(-x * x) * y

value = bump(0.5, 3.0)
fast = type(bump) is not px.Formula
again = bump(0.5, 3.0)
engine = sys.modules.get("pyexpr.cpu.build.engine")
print(json.dumps({"value": value, "again": again, "fast": fast,
                  "codegen": engine.CODEGEN_COUNT if engine else 0}))
"""


def test_the_builtin_entry_loads_from_the_disk_cache(tmp_path, processes):
    runs = processes(tmp_path, _SECOND_PROCESS)
    # the scalar part, and the float entry of two numbers with its binder (one each for all
    # formulas of that shape); none in the second process
    assert [r["codegen"] for r in runs] == [3, 0]
    assert all(r["fast"] and r["value"] == r["again"] == math.exp(-0.25) * 3.0 for r in runs)


def test_keywords_and_defaults_are_placed_by_the_entry():
    """The float entry binds keywords and left-out defaults as CPython does, in machine
    code; every call that does not bind goes to its fallback unchanged (as does one naming
    a parameter by a string that is not the interned name object)."""
    entry, recorder = _entry_with(wave, 0.25, 0.5, 2.0)
    plain = wave.__wrapped__
    for args, kwargs in [((0.25, 0.5), {}), ((0.25,), {"t": 0.5}), ((), {"x": 0.25, "t": 0.5, "c": 3.0}),
                         ((), {"t": 0.5, "x": 0.25}), ((0.25,), {"c": 3.0, "t": 0.5}), ((1, True), {"c": 2})]:
        assert entry(*args, **kwargs) == plain(*args, **kwargs), (args, kwargs)
    assert recorder.calls == []
    declined = [((0.25,), {}),                          # t has no default
                ((0.25, 0.5), {"x": 1.0}),              # x twice
                ((0.25,), {"t": 0.5, "y": 1.0}),        # no parameter y
                ((0.25, 0.5, 2.0, 1.0), {}),            # too many
                ((0.25,), {"t": "0.5"})]                # not a number
    for args, kwargs in declined:
        assert entry(*args, **kwargs) == "fell back", (args, kwargs)
    assert len(recorder.calls) == len(declined)


@px.jit
def rhs(t, y):
    a, b, c = y
    return -0.04 * a + 1e4 * b * c - t, 0.04 * a - 3e7 * b * b, 3e7 * b * b + c


def test_a_point_of_fixed_length_vectors_is_read_by_the_entry():
    """A formula of fixed-length vectors: the float entry reads a call's numbers and exact
    C-contiguous float64 arrays of the lengths (``fastcall_ir._point``); anything else
    goes to its fallback, the general path, unchanged."""
    y = np.array([0.9, 2e-5, 0.1])
    rhs(0.5, y)
    recorder = Recorder()
    entry = fastcall.float_builtin(rhs.kernel().fast_entry, recorder, rhs.arg_names, (None,) * 4, lengths=[None, 3])
    want = np.array(rhs.__wrapped__(0.5, y))
    for args in [(0.5, y), (np.float64(0.5), y), (1, np.array([0.9, 2e-5, 0.1]))]:
        got = entry(*args)
        assert type(got) is np.ndarray and got.shape == (3,)
        np.testing.assert_array_equal(got, np.array(rhs.__wrapped__(float(args[0]), args[1])))
    assert recorder.calls == []
    declined = [(0.5, [0.9, 2e-5, 0.1]), (0.5, y.astype(np.float32)), (0.5, np.repeat(y, 2)[::2]),
                (0.5, np.ones(4)), (0.5, np.ones((3, 1))), (0.5, y.astype(">f8")), ("0.5", y), (0.5,),
                (0.5, y, 1.0), (0.5, np.float64(1.0)), (0.5, None)]
    for args in declined:
        assert entry(*args) == "fell back", args
    assert entry(0.5, y=y) == "fell back" and len(recorder.calls) == len(declined) + 1
    assert type(rhs).__call__ is not px.Formula.__call__          # the head is such a builtin
    np.testing.assert_array_equal(rhs(0.5, y), want)
    np.testing.assert_array_equal(rhs(0.5, list(y)), want)        # the general path


def test_a_formula_of_vectors_does_not_take_its_components_apart():
    """Its entry's plain call of numbers is for the general path's components only:
    ``rhs(1.0, 2.0, 3.0)`` is refused as the Python function refuses it (a review)."""
    y = np.array([0.9, 2e-5, 0.1])
    rhs(0.5, y)
    rhs(0.5, y)
    with pytest.raises(TypeError, match="rhs"):
        rhs(0.5, 0.9, 2e-5, 0.1)
