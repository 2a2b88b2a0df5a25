"""Decoration time against size: how pyexpr's time grows with the formula.

For each size N of ``Sizes.size_terms``, functions written to a file and
imported, as users write them:

* ``sum``: a ``sum`` over a generator of N terms (five operations a term);
* ``loop``: a loop of N ``+=``;
* ``nested``: a loop iterating a map, ``x = sin(x) * 0.999 + y``, N/3 times
  (the result nests N levels deep);
* ``chain``: a function of itself, ``x = sin(x)``, N times (N levels deep);
* ``horner``: a polynomial of degree N/2 by Horner's rule (N levels deep);
* ``statements``: N statements, each using the one before;
* ``branching``: a loop of N/10 ``+=``, each followed by an ``if`` on the sum
  (each step's value nests in the next step's conditions: 3**(N/10) nodes as a tree).

Timed once each (decorating is not repeated work): the decoration, the first
call (Program and compilation, no disk cache), printing, the gradient's
decoration and its first call; the first call's value is checked against the
plain Python function.
"""
import importlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyexpr as px

from .timing import Row, Section, relative_difference

HEAD = "from math import sin\n\ndef f(x, y):\n"
SHAPES = {
    "sum": lambda n: HEAD + f"    return sum(sin(x * k) * y / (k + 1) for k in range({n}))\n",
    "loop": lambda n: HEAD + f"    s = 0.0\n    for i in range({n}):\n        s += sin(x * i) * y\n    return s\n",
    "nested": lambda n: HEAD + f"    for i in range({n // 3}):\n        x = sin(x) * 0.999 + y\n    return x\n",
    "chain": lambda n: HEAD + f"    for i in range({n}):\n        x = sin(x)\n    return x + y\n",
    "horner": lambda n: HEAD + f"    p = y\n    for i in range({n // 2}):\n"
                              "        p = p * x + (i % 7 - 3) * 0.125\n    return p\n",
    "statements": lambda n: HEAD + "    t0 = x\n" + "".join(
        f"    t{i} = t{i - 1} * 0.9 + y * {i % 5}.5\n" for i in range(1, n)) + f"    return t{n - 1}\n",
    "branching": lambda n: HEAD + f"    s = 0.0\n    for i in range({n // 10}):\n        s += sin(x * i) * y\n"
                                 "        if s > 1.0:\n            s -= 1.0\n    return s\n",
}
POINT = (0.5, 2.0)


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def _row(folder, shape, n):
    name = f"bench_size_{shape}_{n}"
    (Path(folder) / f"{name}.py").write_text(SHAPES[shape](n))
    module = importlib.import_module(name)
    formula, decorate = _timed(lambda: px.jit(module.f, cache=False))
    value, first = _timed(lambda: formula(*POINT))
    _, printing = _timed(lambda: str(formula))
    gradient, grad = _timed(formula.grad)
    _, grad_call = _timed(lambda: gradient(*POINT))
    diff = relative_difference(value, module.f(*POINT))
    status = "ok" if diff <= 1e-9 else "WRONG"
    return Row(f"{shape}, N = {n:,}", "pyexpr", "1", decorate, status=status, max_diff=diff,
               extras={"first call": f"{first:.2f} s", "print": f"{printing:.2f} s",
                       "grad()": f"{grad:.2f} s", "grad's first call": f"{grad_call:.2f} s"})


def sizes_section(sizes, peers):
    rows = []
    with tempfile.TemporaryDirectory(prefix="pyexpr-sizes-") as folder:
        sys.path.insert(0, folder)
        try:
            for shape in SHAPES:
                rows += [_row(folder, shape, n) for n in sizes.size_terms]
        finally:
            sys.path.remove(folder)
    return Section("sizes", "decoration time against size",
                   "pyexpr alone: decorating (time column) a sum over a generator of N terms, "
                   "a loop of N +=, a map iterated N/3 times and Horner's rule of degree N/2 "
                   "(both N levels deep), N statements, N/10 steps of a sum with an if on it; the first call (Program and "
                   "compilation, no disk cache), printing, grad() and its first call; the "
                   "value checked against the plain function.",
                   rows, unit="s", baseline=None, reference="the plain Python function",
                   chart=False)


_NEWTON = """
import json, math, time
import pyexpr as px
from pyexpr.jit import front_end

front_end()         # sympy and the front end imported in both processes, before any timing

def newton(steps):
    def kepler(M, e):
        E = M
        for _ in range(steps):
            E = E - (E - e * math.sin(E) - M) / (1 - e * math.cos(E))
        return E
    return kepler

def build(steps):
    start = time.perf_counter()
    value = px.jit(newton(steps), cache=False).grad()(0.5, 0.3).tolist()
    return time.perf_counter() - start, value

{before}
seconds, value = build({steps})
print(json.dumps({{"seconds": seconds, "value": value}}))
"""


def _newton(steps, before):
    """Seconds to decorate, differentiate and compile the ``steps``-step Newton iteration's
    gradient in a fresh process, after building the ``before``-step one there (0: none)."""
    text = _NEWTON.format(steps=steps, before=f"build({before})" if before else "")
    result = subprocess.run([sys.executable, "-c", text], capture_output=True, text=True, check=True)
    found = json.loads(result.stdout.strip().splitlines()[-1])
    return found["seconds"], found["value"]


def build_order_section(sizes, peers):
    """Issue 15's predictable compiles: the same build fresh and after another formula."""
    before, steps = sizes.newton_steps
    fresh, value = _newton(steps, 0)
    after, again = _newton(steps, before)
    diff = relative_difference(again, value)
    rows = [Row(f"Newton, {steps} steps: gradient built fresh", "pyexpr", "1", fresh,
                status="ok", max_diff=0.0),
            Row(f"Newton, {steps} steps: gradient built after the {before}-step one", "pyexpr", "1", after,
                status="ok" if diff == 0 else "WRONG", max_diff=diff,
                extras={"after / fresh": f"{after / fresh:.2f}"})]
    return Section("build-order", "build time does not depend on earlier formulas",
                   "pyexpr alone, each row a fresh process: decorating, differentiating and compiling "
                   "the gradient of an unrolled Newton iteration (Kepler's equation), alone and after "
                   "a shorter one was built in the same process; the two gradients agree bit for bit.",
                   rows, unit="s", baseline=None, reference="the fresh build", chart=False)
