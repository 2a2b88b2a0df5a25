"""A decorated function's formula from the disk cache (``pyexpr.startup``): a second
process calls it without sympy or LLVM, gets the same bits, and still prints and
differentiates it; any change to what the front end reads is a miss; a bad entry is
never used."""
import json
import math
import pickle
import textwrap
import types
import warnings

import numpy as np
import pytest

import pyexpr as px
from pyexpr import startup
from pyexpr.cpu.build import cache
from pyexpr.formula import check_options

OPTIONS = check_options({})

SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import pyexpr as px
    from math import exp, sin, cos

    SCALE = 2.5
    WEIGHTS = np.array([0.5, 0.25])

    @px.jit
    def helper(u):
        return u * u + 1.0

    @px.jit
    def f(x, y, z=0.75):
        "A test formula."
        return SCALE * exp(-x**2) * sin(y) + cos(x * y) / helper(z) + WEIGHTS[1] * x

    @px.jit
    def rhs(t, y):
        a, b, c = y
        return -0.04 * a + 1e4 * b * c, 0.04 * a - 1e4 * b * c - 3e7 * b**2, 3e7 * b**2

    values = [f(0.5, 1.0), f(-3.0, 2.0, z=0.25), f(np.linspace(-2, 2, 7), 0.5).tolist(),
              rhs(0.0, np.array([1.0, 2e-5, 0.5])).tolist()]
    state = {"values": [repr(v) for v in values],
             "modules": sorted(m for m in ("sympy", "llvmlite.binding") if m in sys.modules),
             "mapped": any("llvmlite" in line for line in open("/proc/self/maps")) if sys.platform == "linux" else None,
             "pending": "_pending" in vars(f)}
    state["text"], state["grad"] = str(f), repr(f.grad()(0.5, 1.0).tolist())
    state["doc"], state["rewrites"] = f.__doc__, len(f.rewrites)
    state["rhs"], state["jacobian"] = str(rhs), repr(rhs.jacobian("y")(0.0, np.ones(3)).tolist())
    print(json.dumps(state))
""")


def test_a_second_process_calls_without_sympy_or_llvm(tmp_path, processes):
    cold, warm = processes(tmp_path, SCRIPT)
    assert cold["modules"] == ["sympy"] and not cold["pending"]
    assert warm["modules"] == [] and warm["pending"], "the second run read the source again"
    assert warm["mapped"] in (False, None), "the second run loaded LLVM"
    for key in ("values", "text", "grad", "doc", "rewrites", "rhs", "jacobian"):
        assert warm[key] == cold[key], key
    assert "cos(x*y)" in warm["text"] and warm["doc"] == "A test formula."


def _key(text, options=OPTIONS, name="f", **namespace):
    """The key of the function ``name`` defined by ``text`` in a module namespace."""
    module = types.ModuleType("user_module")
    module.__dict__.update(namespace, np=np, math=math)
    exec(compile(textwrap.dedent(text), "<startup test>", "exec"), module.__dict__)
    return startup.source_key(module.__dict__[name], options)


BASE = """
    def f(x):
        return A * math.exp(x) + g(x)
    def g(x):
        return x * B
"""


def test_the_key_changes_with_anything_the_front_end_reads():
    base = _key(BASE, A=1.0, B=2.0)
    assert base is not None and base == _key(BASE, A=1.0, B=2.0)
    changed = [
        _key(BASE, A=1.5, B=2.0),                                   # a global constant
        _key(BASE, A=1, B=2.0),                                     # its type
        _key(BASE, A=1.0, B=3.0),                                   # a helper's global
        _key(BASE.replace("x * B", "x + B"), A=1.0, B=2.0),         # a helper's code
        _key(BASE.replace("math.exp", "math.expm1"), A=1.0, B=2.0),  # the function's own
        _key(BASE.replace("def f(x)", "def f(x=1.0)"), A=1.0, B=2.0),  # a default
        _key(BASE, check_options({"dtype": "float32"}), A=1.0, B=2.0),  # an option
        _key(BASE, check_options({"stable": False}), A=1.0, B=2.0),
    ]
    assert len({base, *changed}) == len(changed) + 1


def test_arrays_are_keyed_by_content_and_formulas_by_their_own_key():
    text = "def f(x):\n    return D[0] * x + D[-1]\n"
    one = _key(text, D=np.array([1.0, 2.0]))
    assert one == _key(text, D=np.array([1.0, 2.0]))
    assert one != _key(text, D=np.array([1.0, 2.5])) and one != _key(text, D=(1.0, 2.0))
    inner = px.from_sympy("x + 1", ["x"])           # no source: no key, so neither has f
    assert _key("def f(x):\n    return h(x) * 2\n", h=inner) is None


@pytest.mark.parametrize("value", [object(), types.ModuleType("mine"), np.array([object()])])
def test_what_is_not_described_has_no_key(value):
    assert _key("def f(x):\n    return V * x\n", V=value) is None


def test_no_key_without_the_cache_or_on_another_target():
    assert _key(BASE, check_options({"cache": False}), A=1.0, B=2.0) is None
    assert _key(BASE, check_options({"target": "cuda"}), A=1.0, B=2.0) is None


def fresh_function(tmp_path, monkeypatch, body="return 3.0 * x**2 + y"):
    """``def f(x, y=2.0): <body>`` in a new file (numpy as np), the cache in a new folder."""
    tmp_path.mkdir(exist_ok=True)
    monkeypatch.setenv("PYEXPR_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "mod.py"
    path.write_text(f"import numpy as np\n\ndef f(x, y=2.0):\n    {body}\n")
    namespace = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace["f"]


def test_a_formula_from_the_entry_behaves_as_the_original(tmp_path, monkeypatch):
    func = fresh_function(tmp_path, monkeypatch)
    first = px.jit(func)
    assert first(2.0) == 14.0                   # builds the Program: the entry is written
    again = px.jit(func)
    assert vars(again)["_pending"] and again(2.0) == 14.0 and again(x=1.0, y=0.5) == 3.5
    assert list(again(np.arange(3.0), np.ones(3))) == [1.0, 4.0, 13.0]
    copy = pickle.loads(pickle.dumps(again))    # pickled by its definition: made on the way
    assert "_pending" not in vars(again) and str(copy) == str(first) == str(again)
    assert again.grad()(1.0, 0.0).tolist() == [6.0, 1.0]


def test_a_bad_entry_is_never_used(tmp_path, monkeypatch):
    func = fresh_function(tmp_path, monkeypatch)
    key = startup.source_key(func, OPTIONS)
    px.jit(func)(1.0)
    text, _ = cache.load(key)
    state = json.loads(text)
    state["program"]["instrs"][-1][0] = "sub"   # a valid checksum over a changed Program
    cache.store(key, json.dumps(state), b"\n")
    with pytest.warns(UserWarning, match="unusable formula entry"):
        f = px.jit(func)
    assert "_pending" not in vars(f) and f(2.0) == 14.0
    other = fresh_function(tmp_path / "other", monkeypatch, "return x - y")
    px.jit(other)(1.0)
    monkeypatch.setenv("PYEXPR_CACHE_DIR", str(tmp_path / "cache"))
    # another formula's entry under this key fails the key-bound check
    (tmp_path / "cache" / f"{key}.o").write_bytes(
        (tmp_path / "other" / "cache" / f"{startup.source_key(other, OPTIONS)}.o").read_bytes())
    with pytest.warns(UserWarning, match="corrupt cache entry"):
        f = px.jit(func)
    assert f(2.0) == 14.0


def test_a_vector_formula_from_the_entry_behaves_as_the_original(tmp_path, monkeypatch):
    func = fresh_function(tmp_path, monkeypatch, "return sum(x) * y")
    first = px.jit(func)
    assert first(np.array([1.0, 3.0])) == 8.0
    again = px.jit(func)
    assert vars(again)["_pending"] and type(again).__name__ == "OpenFormula"
    assert again(np.array([1.0, 3.0])) == 8.0 and again([1.0, 2.0, 3.0], y=0.5) == 3.0
    assert vars(again)["_pending"], "a call read the source"
    with pytest.raises(TypeError, match="is a number in this formula"):
        again(np.ones(2), np.ones(2))
    assert str(again) == str(first) and "_pending" not in vars(again)
    assert again.grad("x")(np.array([1.0, 3.0])).tolist() == [2.0, 2.0]


def test_import_pyexpr_imports_neither_sympy_nor_llvm(tmp_path, processes):
    script = ("import json, sys\nimport pyexpr\n"
              "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('sympy', 'llvmlite')))))\n")
    assert processes(tmp_path, script, runs=1) == [[]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert px.Vector is not None and callable(px.accuracy) and "Matrix" in dir(px)


LOOP_SCRIPT = textwrap.dedent("""
    import json, os, sys
    import pyexpr as px

    fs = []
    for c in (1.0, 2.0, 3.0):
        @px.jit
        def f(x):
            return c * x
        fs.append(f)
    marker = os.path.join(os.environ["PYEXPR_CACHE_DIR"], "called-before")
    if not os.path.exists(marker):          # the first run decorates only: entries without Programs
        open(marker, "w").close()
        print(json.dumps(None))
    else:
        print(json.dumps([[f(1.0) for f in fs], [str(f) for f in fs], [vars(f).get("_source_key") is not None
                                                                      for f in fs]]))
""")


def test_a_formula_from_the_cache_reads_the_globals_it_was_decorated_with(tmp_path, processes):
    """The symbolic side of a formula from the cache is read from the function as it was
    when decorated (a loop rebinding the global ``c`` after each decoration), and a
    Program built from it is the one recorded."""
    _, second, third = processes(tmp_path, LOOP_SCRIPT, runs=3)
    for run in (second, third):
        values, texts, keyed = run
        assert values == [1.0, 2.0, 3.0] and all(keyed)
        assert texts == ["f(x) = 1.0*x", "f(x) = 2.0*x", "f(x) = 3.0*x"]


def test_threads_that_first_use_a_formula_from_the_cache_see_all_of_it(tmp_path, monkeypatch, threaded):
    path = tmp_path / "rhs.py"
    path.write_text("def rhs(t, y):\n    a, b = y\n    return a * b - t, a + 2.0 * b\n")
    monkeypatch.setenv("PYEXPR_CACHE_DIR", str(tmp_path / "cache"))
    namespace = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    want = px.jit(namespace["rhs"])
    want(0.5, np.array([1.0, 2.0]))
    want = (str(want), want.jacobian("y")(0.5, np.array([1.0, 2.0])).tolist())
    for _ in range(20):
        f = px.jit(namespace["rhs"])
        assert "_pending" in vars(f)
        got, errors = [], []

        def use():
            try:
                got.append((str(f), f.jacobian("y")(0.5, np.array([1.0, 2.0])).tolist()))
            except Exception as error:          # reported below
                errors.append(error)
        threaded(use)
        assert errors == [] and got == [want] * 4


def _spoil(state, how):
    if how == "name":
        state["name"] = "f(x):\n    pass\ndef g"
    elif how == "options":
        state["options"]["dtype"] = "float32"
    elif how == "defaults":
        state["defaults"] = {"x": 5.0}
    elif how == "default value":
        state["defaults"] = {"y": "abc"}
    elif how == "out_shape":
        state["out_shape"] = [-1, -1]
    elif how == "signature":
        state["signature"] = [["x", 10**10], ["y", None]]
    elif how == "arg index":
        state["program"]["instrs"][1][2] = 0            # two args read argument 0
    return json.dumps(state)


@pytest.mark.parametrize("how", ["name", "options", "defaults", "default value", "out_shape", "signature",
                                 "arg index", "deep"])
def test_an_entry_with_a_valid_checksum_and_odd_content_is_not_used(tmp_path, monkeypatch, how):
    func = fresh_function(tmp_path, monkeypatch)
    key = startup.source_key(func, OPTIONS)
    px.jit(func)(1.0)
    state = json.loads(cache.load(key)[0])
    cache.store(key, "[" * 100_000 if how == "deep" else _spoil(state, how), b"\n")
    with pytest.warns(UserWarning, match="unusable formula entry"):
        f = px.jit(func)
    assert "_pending" not in vars(f) and f(2.0) == 14.0 and f(0.1, 0.2) == pytest.approx(0.23)


def test_a_masked_array_has_no_key():
    assert _key("def f(x):\n    return W[1] * x\n", W=np.ma.array([1.0, 2.0], mask=[0, 1])) is None
