"""First-call latency: a fresh Python process that decorates a formula and gets a result.

For each peer (pyexpr, numba, JAX) a small script is written to a temporary
folder and run in a new interpreter twice: "cold" with an empty on-disk cache
(``PYEXPR_CACHE_DIR``, ``NUMBA_CACHE_DIR``, JAX's compilation cache dir),
then "warm" with the cache the cold run left.  The script reports the time
to import the library and the time to define the function and get its first
result on 1,000 points; the parent also times the whole process.  Each
script's result is checked against numpy before its times count.
"""
import compileall
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import formulas
from .timing import Row, Section, median, relative_difference

PROLOGUE = """\
import json, sys, time
t0 = time.perf_counter()
import numpy as np
{imports}
t1 = time.perf_counter()
x = np.linspace(0.0, 1.0, 1000)
y = np.linspace(0.1, 2.0, 1000)
"""
EPILOGUE = """\
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "first_s": t2 - t1, "value": value}))
"""

SCRIPTS = {
    "pyexpr": ("import pyexpr as px\nfrom math import exp, sin, cos", """\
@px.jit
def f(x, y):
    return exp(-x**2) * sin(y) + cos(x * y)
value = f(x, y).tolist()
"""),
    # a formula over a vector of any length (a loop program): scipy's Rosenbrock
    "pyexpr rosen": ("import pyexpr as px", """\
@px.jit
def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1]**2)**2 + (1 - x[:-1])**2)
value = float(rosen(x + y))
"""),
    "numba": ("import math\nimport numba", """\
@numba.njit(cache=True)
def f(x, y):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = math.exp(-x[i]**2) * math.sin(y[i]) + math.cos(x[i] * y[i])
    return out
value = f(x, y).tolist()
"""),
    "jax": ("import jax\nimport jax.numpy as jnp", """\
jax.config.update("jax_enable_x64", True)
jax.config.update("jax_platforms", "cpu")
jax.config.update("jax_compilation_cache_dir", sys.argv[1])
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
f = jax.jit(lambda x, y: jnp.exp(-x**2) * jnp.sin(y) + jnp.cos(x * y))
value = np.asarray(f(x, y)).tolist()
"""),
}
CACHE_ENV = {"pyexpr": "PYEXPR_CACHE_DIR", "pyexpr rosen": "PYEXPR_CACHE_DIR", "numba": "NUMBA_CACHE_DIR"}


def script_text(peer):
    imports, body = SCRIPTS[peer]
    return PROLOGUE.format(imports=imports) + body + EPILOGUE


def expected_value(peer="pyexpr"):
    x, y = np.linspace(0.0, 1.0, 1000), np.linspace(0.1, 2.0, 1000)
    if peer == "pyexpr rosen":
        v = x + y
        return float(np.sum(100.0 * (v[1:] - v[:-1]**2)**2 + (1 - v[:-1])**2))
    return formulas.transcendental_xp(np, x, y)


def run_script(peer, folder, cache, timeout=300):
    """One fresh process: the script's JSON report plus ``wall_s``, or ``{"error": ...}``."""
    path = Path(folder) / f"first_call_{peer.replace(' ', '_')}.py"
    path.write_text(script_text(peer))
    env = dict(os.environ)
    if peer in CACHE_ENV:
        env[CACHE_ENV[peer]] = str(cache)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, str(path), str(cache)], cwd=folder, env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit {proc.returncode}: {last[:160]}"}
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    report["wall_s"] = wall
    return report


def cold_and_warm(peer, folder):
    """``{"cold": report, "warm": report}``: two processes sharing a new, empty cache folder."""
    cache = tempfile.mkdtemp(prefix=f"cache-{peer}-", dir=folder)
    return {phase: run_script(peer, folder, cache) for phase in ("cold", "warm")}


def rows_for(peer, runs, reference, threads="1"):
    """Rows ``<peer> (cold cache)`` and ``(warm cache)``: medians of checked runs."""
    rows = []
    for phase, reports in runs.items():
        label = f"{peer} ({phase} cache)"
        errors = [r["error"] for r in reports if "error" in r]
        if errors:
            rows.append(Row(label, peer, threads, status=f"failed: {errors[0]}"))
            continue
        diff = max(relative_difference(r["value"], reference) for r in reports)
        if not diff <= 1e-10:
            rows.append(Row(label, peer, threads, status="WRONG", max_diff=diff))
            continue
        first = median([r["first_s"] for r in reports])
        rows.append(Row(label, peer, threads, first, max_diff=diff, extras={
            "import": f"{median([r['import_s'] for r in reports]):.2f} s",
            "whole process": f"{median([r['wall_s'] for r in reports]):.2f} s"}))
    return rows


def latency_section(sizes, peers):
    """The first-call Section: define + first result, per peer, cold and warm."""
    names = ["pyexpr", "pyexpr rosen"] + [p for p in ("numba", "jax") if peers.get(p)]
    # as installed: bytecode compiled (a source checkout under PYTHONDONTWRITEBYTECODE has none)
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "pyexpr", quiet=1)
    rows = []
    with tempfile.TemporaryDirectory(prefix="pyexpr-bench-") as folder:
        results = {p: {"cold": [], "warm": []} for p in names}
        for _ in range(sizes.latency_repeats):               # interleave the peers
            for peer in names:
                for phase, report in cold_and_warm(peer, folder).items():
                    results[peer][phase].append(report)
        for peer in names:
            rows += rows_for(peer, results[peer], expected_value(peer))
    return Section("first-call", "first-call latency in a fresh process",
                   "Time from the decorator to the first result on 1,000 points in a new "
                   "interpreter (pyexpr rosen: Rosenbrock's sum over a vector of 1,000, a loop "
                   "program) (the library already imported; import and whole-process times "
                   "in their own columns). Cold: empty on-disk cache; warm: a second process "
                   "with the cache the first left (PYEXPR_CACHE_DIR, NUMBA_CACHE_DIR, JAX's "
                   "compilation cache).", rows, unit="s", baseline=None,
                   reference="numpy in the parent process", chart=False)
