"""Formulas over vectors of any length from the disk cache (``pyexpr.open_entry``): a
second process calls them -- numbers, vectors, fixed-length vectors, matrices, data,
defaults, keywords, lists -- without sympy or LLVM, with the same bits and the same
errors, and still prints and differentiates them; their ``LoopProgram``s travel as data
and come back equal; an entry with odd content is never used."""
import json
import sys

import numpy as np
import pytest

import pyexpr as px
from pyexpr import startup
from pyexpr.cpu.build import cache
from pyexpr.formula import check_options
from pyexpr.ir import stored

sys.path.insert(0, __file__.rpartition("/")[0])
import open_formulas  # noqa: E402
from test_startup import fresh_function  # noqa: E402

OPTIONS = check_options({})

SCRIPT = '''
import json, sys
import numpy as np
import pyexpr as px

DATA = np.linspace(0.5, 3.0, 40)

@px.jit
def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1]**2)**2 + (1 - x[:-1])**2)

@px.jit
def nll(mu, sigma=2.0):
    return np.sum(0.5 * ((DATA - mu) / sigma)**2 + np.log(sigma))

@px.jit
def residuals(p: px.Vector[3], t: px.Vector, y: px.Vector):
    a, b, c = p
    return a * np.exp(-b * t) + c - y

@px.jit
def softmax_rows(A: px.Matrix):
    return np.exp(A) / np.sum(np.exp(A), axis=1, keepdims=True)

@px.jit
def pairs(x):
    return x[::2] * x[1::2] + x[0]

formulas = [rosen, nll, residuals, softmax_rows, pairs]
x, t = np.linspace(-1.0, 2.0, 10), np.linspace(0.0, 1.0, 7)
A = np.outer(np.arange(3.0), np.linspace(-1.0, 1.0, 4))
values = [rosen(x), rosen(list(x)), rosen(x=x[:3]), nll(1.0), nll(1.0, sigma=0.5), nll(np.float64(1.5), 2),
          residuals([1.0, 0.5, 0.1], t, np.cos(t)), softmax_rows(A), pairs(x), rosen(np.stack([x, -x], 1)),
          residuals(np.array([1.0, 0.5, 0.1]), t, np.cos(t), out=np.empty(7))]
state = {"values": [repr(np.asarray(v).tolist()) for v in values],
         "modules": sorted(m for m in ("sympy", "llvmlite.binding") if m in sys.modules),
         "mapped": any("llvmlite" in line for line in open("/proc/self/maps")) if sys.platform == "linux" else None,
         "pending": [f.name for f in formulas if "_pending" in vars(f)]}
errors = []
for call in (lambda: rosen([[1.0], [2.0, 3.0]]), lambda: residuals([1.0, 2.0], t, t),
             lambda: residuals([1.0, 2.0, 3.0], t, t[:3]), lambda: pairs(np.ones(5)), lambda: nll("a"),
             lambda: rosen(np.ones(3), 2.0)):
    try:
        call()
        errors.append(None)
    except (TypeError, ValueError) as error:
        errors.append(f"{type(error).__name__}: {error}")
state["errors"] = errors
state["text"] = [str(f) for f in formulas]
state["grad"] = [repr(rosen.grad()(x).tolist()), repr(nll.grad()(1.0, 2.0).tolist())]
print(json.dumps(state))
'''


def test_a_second_process_calls_vector_formulas_without_sympy_or_llvm(tmp_path, processes):
    cold, warm = processes(tmp_path, SCRIPT)
    assert cold["modules"] == ["sympy"] and not cold["pending"]
    assert warm["modules"] == [], "the second run's calls imported sympy or LLVM"
    assert warm["mapped"] in (False, None), "the second run loaded LLVM"
    assert warm["pending"] == ["rosen", "nll", "residuals", "softmax_rows", "pairs"]
    for key in ("values", "errors", "text", "grad"):
        assert warm[key] == cold[key], key
    assert all(warm["errors"]) and "Sum(" in warm["text"][0]


THREADS = '''
import json, sys, threading
import numpy as np
import pyexpr as px

@px.jit
def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1]**2)**2 + (1 - x[:-1])**2)

@px.jit
def lap(x):
    return x[2:] - 2 * x[1:-1] + x[:-2]

x = np.linspace(-1.0, 2.0, 10)
first = [rosen(x), lap(x).tolist()]
errors = []

def run(job):
    try:
        job()
    except Exception as error:
        errors.append(f"{type(error).__name__}: {error}")

threads = [threading.Thread(target=run, args=(job,)) for job in [lambda: str(rosen), lambda: lap(x[:1])] * 4]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"errors": errors[:1], "after": [str(rosen), lap(x[:1]).tolist()], "first": repr(first)}))
'''


def test_threads_that_first_need_the_symbolic_side_of_a_cached_formula_import_sympy_once(tmp_path, processes):
    """Printing on some threads while others call below a vector output's least length
    (the formula written out): each imports sympy; two first imports of it from
    different modules at once left it half imported for good (4 runs of the cache)."""
    runs = processes(tmp_path, THREADS, runs=5)
    assert all(run["errors"] == [] and run["after"] == runs[0]["after"] for run in runs), runs


def _loop_programs():
    """Every formula of ``open_formulas`` and its derivatives where it has them: their
    LoopPrograms."""
    found = []
    for name in [n for n in dir(open_formulas) if not n.startswith("_")]:
        func = getattr(open_formulas, name)
        if not callable(func) or not hasattr(func, "__code__") or func.__module__ != open_formulas.__name__:
            continue
        f = px.jit(func)
        found.append((name, f))
        for what in ("grad", "hessp"):
            try:
                found.append((f"{what}_{name}", getattr(f, what)()))
            except (NotImplementedError, ValueError):
                pass
    return found


@pytest.mark.parametrize("name, formula", _loop_programs(), ids=lambda v: v if isinstance(v, str) else "")
def test_loop_programs_travel_as_data_and_come_back_equal(name, formula):
    lp = formula.program
    text = json.dumps(stored.loop_state(lp))
    back = stored.loop_from(json.loads(text), lp.scalar_names, lp.vector_names)
    assert back == lp and str(back) == str(lp)
    with pytest.raises(ValueError):             # another formula's arguments
        stored.loop_from(json.loads(text), lp.scalar_names + ("extra",), lp.vector_names)


def _spoil(state, how):
    program = state["program"]
    if how == "load vector":
        program["stages"][0]["loads"][0][0] = 7
    elif how == "bound divisor":
        program["stages"][0]["hi"][3] = 0
    elif how == "float index":
        program["stages"][0]["loads"][0][1] = 1.0
    elif how == "body":
        program["stages"][0]["body"]["instrs"][-1][0] = "sub"
    elif how == "stage kind":
        program["stages"][0]["kind"] = "gather"
    elif how == "length name":
        state["call_form"]["signature"][0][1] = ["n", "m", "k"]
    elif how == "outputs":
        state["call_form"]["outputs"] = 3
    elif how == "needs":
        state["needs"] = [["z", 4]]
    elif how == "key":
        program["key"] = "0" * 64
    elif how == "rows":                 # fewer rows than the stages write
        program["rows"][1] = -10**6
    elif how == "rows divisor":
        program["rows"][3] = 0
    elif how == "rows slot":
        program["rows"][0] = [[7, 1]]
    elif how == "row width":
        state["call_form"]["out_shape"] = ["n - 1", 3]
    elif how == "a number's stage writes rows":
        program["stages"][-1]["kind"] = "elements"
    elif how == "n_outputs":
        program["n_outputs"] = 4
    return json.dumps(state)


#: a number (scalar output) and a vector output of any length
BODIES = {"number": ("return np.sum(x[1:] * x[:-1]) * y + x[0]", 17.0),
          "vector": ("return x[1:] * x[:-1] * y", [4.0, 12.0])}


@pytest.mark.parametrize("output, how", [("number", h) for h in (
    "load vector", "bound divisor", "float index", "body", "stage kind", "length name", "outputs", "needs",
    "key", "a number's stage writes rows", "n_outputs")] + [("vector", h) for h in (
        "rows", "rows divisor", "rows slot", "row width", "load vector", "key")])
def test_an_open_entry_with_a_valid_checksum_and_odd_content_is_not_used(tmp_path, monkeypatch, output, how):
    body, value = BODIES[output]
    func = fresh_function(tmp_path, monkeypatch, body)
    key = startup.source_key(func, OPTIONS)
    x = np.array([1.0, 2.0, 3.0])
    assert np.array_equal(px.jit(func)(x), value)
    state = json.loads(cache.load(key)[0])
    assert state["kind"] == "open"
    cache.store(key, _spoil(state, how), b"\n")
    with pytest.warns(UserWarning, match="unusable formula entry"):
        f = px.jit(func)
    assert "_pending" not in vars(f) and np.array_equal(f(x), value)


def test_a_vector_formula_from_the_entry_pickles_and_takes_new_options(tmp_path, monkeypatch):
    import pickle
    func = fresh_function(tmp_path, monkeypatch, "return x * np.sum(x) / y")
    x = np.array([1.0, 2.0, 4.0])
    expected = px.jit(func)(x)
    f = px.jit(func)
    assert vars(f)["_pending"]
    assert np.array_equal(pickle.loads(pickle.dumps(f))(x), expected)
    assert "_pending" not in vars(f)
    f = px.jit(func)
    assert np.allclose(px.jit(f, dtype="float32")(x.astype(np.float32)), expected)
    assert f.jacobian("x")(x).shape == (3, 3)
