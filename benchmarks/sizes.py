"""Decoration time against size: how pyexpr's time grows with the formula.

For each term count N of ``Sizes.size_terms``, two functions written to a
file and imported, as users write them: a ``sum`` over a generator of N terms
and a loop of N ``+=``.  Timed once each (decorating is not repeated work):
the decoration, the first call (Program and compilation, no disk cache) and
the gradient's decoration; the first call's value is checked against the
plain Python function.
"""
import importlib
import sys
import tempfile
import time
from pathlib import Path

import pyexpr as px

from .timing import Row, Section, relative_difference

SHAPES = {
    "sum": "from math import sin\n\ndef f(x, y):\n    return sum(sin(x * k) * y / (k + 1) for k in range({n}))\n",
    "loop": "from math import sin\n\ndef f(x, y):\n    s = 0.0\n    for i in range({n}):\n"
            "        s += sin(x * i) * y\n    return s\n",
}
POINT = (0.5, 2.0)


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def _row(folder, shape, n):
    name = f"bench_size_{shape}_{n}"
    (Path(folder) / f"{name}.py").write_text(SHAPES[shape].format(n=n))
    module = importlib.import_module(name)
    formula, decorate = _timed(lambda: px.jit(module.f, cache=False))
    value, first = _timed(lambda: formula(*POINT))
    _, gradient = _timed(formula.grad)
    diff = relative_difference(value, module.f(*POINT))
    status = "ok" if diff <= 1e-9 else "WRONG"
    return Row(f"{shape}, {n:,} terms", "pyexpr", "1", decorate, status=status, max_diff=diff,
               extras={"first call": f"{first:.2f} s", "grad()": f"{gradient:.2f} s"})


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
                   "pyexpr alone: decorating a sum over a generator and a loop of += with N "
                   "terms (time column), the first call (Program and compilation, no disk "
                   "cache) and grad(); the value checked against the plain function.",
                   rows, unit="s", baseline=None, reference="the plain Python function",
                   chart=False)
