"""Many threads compiling and calling at once give the numbers one thread gives.

Each run is a new process (a deadlock is a timeout there, not a hung suite): 8 threads
released together by a barrier each first-compile and call formulas -- one formula
object shared by several threads, distinct formulas, the same source decorated
separately in several threads, scalar and array calls (arrays large enough for the
kernels' own threads, and called until the array part's optimized tier replaces the
quick one), derivatives, a vector formula and its gradient -- first with an empty
disk cache, then with the cache the first run filled.  Every result must be the same
bits as the same call made again on one thread, the same bits in both runs, and
numpy's numbers within rounding.
"""
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import pyexpr

FORMULAS = '''
import numpy as np
import pyexpr


def wave(x, y):
    return np.exp(-x * x) * np.sin(3 * y) + np.log1p(x * x + y * y)


shared = pyexpr.jit(wave)


@pyexpr.jit
def radial(x, y):
    return np.sqrt(x * x + y * y) * np.cos(x - y)


@pyexpr.jit
def damped(x, y):
    return np.tanh(x) / (1 + y * y) + np.arctan(x * y)


@pyexpr.jit
def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
'''

SCRIPT = '''
import hashlib, json, os, sys, threading, time
import numpy as np
import pyexpr
import formulas as F

N = 300_000
x, y = np.linspace(-2.0, 2.0, N), np.linspace(0.1, 3.0, N)
xs, ys = x[:99], y[:99]                     # what the builtin entry for small arrays takes
v = np.linspace(-1.2, 1.4, N)


def numpy_rosen_der(x):
    d = np.zeros_like(x)
    d[1:-1] = 200 * (x[1:-1] - x[:-2] ** 2) - 400 * (x[2:] - x[1:-1] ** 2) * x[1:-1] - 2 * (1 - x[1:-1])
    d[0] = -400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0])
    d[-1] = 200 * (x[-1] - x[-2] ** 2)
    return d


WAVE = lambda x, y: np.exp(-x * x) * np.sin(3 * y) + np.log1p(x * x + y * y)
WAVE_X = lambda x, y: -2 * x * np.exp(-x * x) * np.sin(3 * y) + 2 * x / (1 + x * x + y * y)
WAVE_Y = lambda x, y: 3 * np.exp(-x * x) * np.cos(3 * y) + 2 * y / (1 + x * x + y * y)
# name -> (the call, what numpy computes)
CALLS = {
    "shared scalar": (lambda: F.shared(0.3, 1.7), lambda: WAVE(0.3, 1.7)),
    "shared array": (lambda: F.shared(x, y), lambda: WAVE(x, y)),
    "separate scalar": (lambda: pyexpr.jit(F.wave)(0.3, 1.7), lambda: WAVE(0.3, 1.7)),
    "separate array": (lambda: pyexpr.jit(F.wave)(x, y), lambda: WAVE(x, y)),
    "radial array": (lambda: F.radial(x, y), lambda: np.sqrt(x * x + y * y) * np.cos(x - y)),
    "radial small array": (lambda: F.radial(xs, ys), lambda: np.sqrt(xs * xs + ys * ys) * np.cos(xs - ys)),
    "damped array": (lambda: F.damped(y, x), lambda: np.tanh(y) / (1 + x * x) + np.arctan(x * y)),
    "damped scalar": (lambda: F.damped(0.5, -1.5), lambda: np.tanh(0.5) / 3.25 + np.arctan(-0.75)),
    "derivative array": (lambda: F.shared.diff("x")(x, y), lambda: WAVE_X(x, y)),
    "derivative scalar": (lambda: F.shared.diff("x")(0.3, 1.7), lambda: WAVE_X(0.3, 1.7)),
    "gradient array": (lambda: F.shared.grad()(x, y), lambda: np.array([WAVE_X(x, y), WAVE_Y(x, y)])),
    "rosen": (lambda: F.rosen(v), lambda: np.sum(100 * (v[1:] - v[:-1] ** 2) ** 2 + (1 - v[:-1]) ** 2)),
    "rosen gradient": (lambda: F.rosen.grad()(v), lambda: numpy_rosen_der(v)),
}
# what each of the 8 threads calls, in its order: several share a formula object, a source
# decorated in the thread itself, a derivative; each array call runs often enough (4 x N
# elements) that the optimized array tier replaces the quick one while others call, and
# the formulas' builtin entries for floats and small arrays are installed meanwhile
THREADS = [
    ["shared array", "shared scalar", "derivative array", "radial small array"],
    ["shared scalar", "shared array", "gradient array"],
    ["separate array", "separate scalar", "shared array"],
    ["separate scalar", "separate array", "radial array"],
    ["radial small array", "radial array", "damped scalar", "damped array"],
    ["damped array", "derivative scalar", "shared array"],
    ["derivative array", "gradient array", "rosen gradient"],
    ["rosen", "rosen gradient", "radial array"],
]
ROUNDS = 4


def digest(value):
    return hashlib.sha256(np.asarray(value, dtype=np.float64).tobytes()).hexdigest()


def work(names, found, errors, barrier):
    try:
        barrier.wait()
        for _ in range(ROUNDS):
            for name in names:
                found.setdefault(name, set()).add(digest(CALLS[name][0]()))
    except BaseException as exc:            # reported, not lost with the thread
        errors.append(f"{type(exc).__name__}: {exc}")


start = time.perf_counter()
barrier = threading.Barrier(len(THREADS))
results = [dict() for _ in THREADS]
errors = []
threads = [threading.Thread(target=work, args=(names, found, errors, barrier))
           for names, found in zip(THREADS, results)]
for t in threads:
    t.start()
for t in threads:
    t.join()
threaded = time.perf_counter() - start
alone, worst = {}, {}
for name, (call, reference) in CALLS.items():            # again, on one thread
    value, want = call(), np.asarray(reference())
    alone[name] = digest(value)
    worst[name] = float(np.max(np.abs(value - want) / np.maximum(np.abs(want), 1.0)))
engine = sys.modules.get("pyexpr.cpu.build.engine")
print(json.dumps({
    "errors": errors,
    "threaded": [{name: sorted(d) for name, d in found.items()} for found in results],
    "alone": alone, "worst": worst, "seconds": threaded,
    "codegen": engine.CODEGEN_COUNT if engine else 0,
}))
'''


@pytest.mark.llvm
def test_threads_compiling_and_calling_at_once_agree_with_one_thread(tmp_path):
    (tmp_path / "formulas.py").write_text(textwrap.dedent(FORMULAS))
    (tmp_path / "script.py").write_text(textwrap.dedent(SCRIPT))
    root = Path(pyexpr.__file__).resolve().parents[1]          # the pyexpr under test
    env = {**os.environ, "PYEXPR_CACHE_DIR": str(tmp_path / "cache"),
           "PYTHONPATH": os.pathsep.join([str(root), str(tmp_path)])}
    runs = []
    for cache in ("empty", "warm"):
        start = time.perf_counter()
        result = subprocess.run([sys.executable, str(tmp_path / "script.py")], env=env, cwd=tmp_path,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{cache} cache: {result.stderr}"
        got = json.loads(result.stdout)
        got["wall"] = time.perf_counter() - start
        runs.append(got)
        assert not got["errors"], (cache, got["errors"])
        for found in got["threaded"]:                # every call in every thread: one thread's bits
            for name, digests in found.items():
                assert digests == [got["alone"][name]], (cache, name)
        for name, error in got["worst"].items():
            assert error < 1e-12, (cache, name, error)
    assert runs[0]["alone"] == runs[1]["alone"]      # the cached code: the same bits
    assert runs[0]["codegen"] > 0 and runs[1]["codegen"] == 0, [r["codegen"] for r in runs]
