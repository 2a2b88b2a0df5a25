"""Shared fixtures of the test suite.

The front-end tests evaluate formulas through the reference path (sympy's
``lambdify`` to numpy, ``pyexpr.reference.ReferenceKernel``) with the same
calling conventions as ``Formula.__call__`` (``pyexpr.calling.call``), so
they need no compiler: ``ref_call(f, *args, out=None, **kwargs)``.  Tests
that call a Formula directly, through the default LLVM CPU backend, carry the
``llvm`` marker.

``central_diff(fn, point, i)`` is the central finite difference of the plain
function ``fn`` along argument ``i``, with an error estimate for tolerances.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from pyexpr.reference import ReferenceKernel
from pyexpr.calling import call

_KERNELS = {}


def _simd_line():
    from pyexpr.cpu import host
    target = host.vector_target()
    model, flags = host.cpu_info()
    wide = " ".join(sorted(f for f in (flags or ()) if f.startswith(("avx512f", "avx2", "fma"))))
    return (f"pyexpr SIMD: default {target.isa if target else 'none'}, runnable "
            f"{', '.join(host.host_isas()) or 'none'}; CPU {model or 'unknown'} ({wide or 'no AVX'})")


def pytest_report_header(config):
    """The ISA the SIMD tests exercise, first and (for -q runs) last."""
    return [_simd_line()]


def _fuzz_summaries():
    """The differential fuzzer's counts, where this process ran it."""
    return list(getattr(sys.modules.get("test_fuzz"), "SUMMARIES", ()))


#: the summaries the workers of a parallel run (pytest-xdist) handed back
_FROM_WORKERS = []


def pytest_sessionfinish(session):
    if hasattr(session.config, "workeroutput"):         # a worker: its summary goes to the controller
        session.config.workeroutput["fuzz"] = _fuzz_summaries()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    _FROM_WORKERS.extend(getattr(node, "workeroutput", {}).get("fuzz", ()))


def pytest_terminal_summary(terminalreporter):
    for text in _fuzz_summaries() + _FROM_WORKERS:
        terminalreporter.write_line(text)
    terminalreporter.write_line(_simd_line())


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "llvm: calls a Formula directly, through the default (LLVM CPU) backend")


def _ref_kernel(formula, dtype=None):
    dtype = dtype or formula.options["dtype"]
    key = (id(formula), dtype)
    if key not in _KERNELS:          # the formula is kept alive with it: ids stay unique
        _KERNELS[key] = (formula, ReferenceKernel(formula.args, formula.outputs, dtype))
    return _KERNELS[key][1]


def _ref_call(formula, *args, out=None, **kwargs):
    return call(formula, _ref_kernel(formula), args, kwargs, out)


def _central_diff(fn, point, i, scale=0.0, rel_step=1e-4):
    """(derivative estimate, error bound) of ``fn`` along argument ``i`` at ``point``.

    Central differences with steps h and 2h (``h = rel_step * max(|x|, scale)``),
    Richardson-extrapolated.  The bound adds the truncation error (their
    difference) and the rounding error: the function's own noise near the
    point, measured by second differences over tiny steps (which catches
    ill-conditioned evaluation, not only the last bit), divided by h.
    """
    point = [float(p) for p in point]
    unit = max(abs(point[i]), scale) or 1.0
    h = rel_step * unit

    def at(step):
        moved = list(point)
        moved[i] += step
        return np.asarray(fn(*moved), float)

    d1 = (at(h) - at(-h)) / (2 * h)
    d2 = (at(2 * h) - at(-2 * h)) / (4 * h)
    centre = at(0.0)
    tiny = 1e-11 * unit
    noise = max(np.max(abs(at(k * tiny) + at(-k * tiny) - 2 * centre)) for k in (1, 2, 3))
    noise = max(noise, np.finfo(float).eps * float(np.max(abs(centre))))
    return (4 * d1 - d2) / 3, abs(d1 - d2) + 4 * noise / h


def dag_has(exprs, *types):
    """Whether any node of ``exprs`` is an instance of ``types``, visiting each shared
    subexpression once (sympy's ``has`` walks the tree: exponential for unrolled loops)."""
    seen, stack = set(), list(exprs)
    while stack:
        e = stack.pop()
        if isinstance(e, types):
            return True
        if e not in seen:
            seen.add(e)
            stack.extend(e.args)
    return False


@pytest.fixture(scope="session")
def has():
    return dag_has


@pytest.fixture(scope="session")
def ref_call():
    """``ref_call(f, *args, out=None, **kwargs)``: ``f(...)`` through the reference kernel."""
    return _ref_call


@pytest.fixture(scope="session")
def ref_kernel():
    return _ref_kernel


@pytest.fixture(scope="session")
def central_diff():
    return _central_diff


def sample_point(domain, rng):
    """One point drawn uniformly from ``domain`` (parameter -> (low, high))."""
    return [rng.uniform(lo, hi) for lo, hi in domain.values()]


@pytest.fixture(scope="session")
def sample():
    return sample_point


def plain_value(fn, point):
    """The plain function's value as a float array, or None where it raises."""
    try:
        with np.errstate(all="ignore"):
            return np.asarray(fn(*point), dtype=float)
    except (ArithmeticError, ValueError):
        return None


@pytest.fixture(scope="session")
def plain():
    return plain_value



def source_agrees(formula, points, ref_call, rtol=1e-10, atol=1e-300):
    """``formula.python_source``, executed, agrees with the formula at ``points``
    (where ``math`` raises, the formula must give nan or inf)."""
    namespace = {}
    exec(formula.python_source, namespace)
    fn = namespace[formula.name]
    for point in points:
        want = np.asarray(ref_call(formula, *point), float)
        try:
            got = np.asarray(fn(*point), float)
        except (ValueError, ZeroDivisionError, OverflowError):
            assert not np.all(np.isfinite(want)), point
            continue
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=f"{formula.name} at {point}")


@pytest.fixture(scope="session")
def check_source():
    return source_agrees


#: where the pyexpr under test lives: processes the tests start import the same one
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__import__("pyexpr").__file__)))
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (PACKAGE_ROOT, os.environ.get("PYTHONPATH")) if p)


def fresh_processes(folder, script, runs=2):
    """Run the Python ``script`` text in ``runs`` fresh interpreters sharing one new
    on-disk cache in ``folder``; each prints one JSON line, returned parsed."""
    path = folder / "script.py"
    path.write_text(script)
    env = {**os.environ, "PYEXPR_CACHE_DIR": str(folder / "cache"), "PYTHONPATH": PACKAGE_ROOT}
    return [json.loads(subprocess.run([sys.executable, str(path)], env=env, check=True,
                                      capture_output=True, text=True).stdout) for _ in range(runs)]


@pytest.fixture(scope="session")
def processes():
    return fresh_processes


def in_threads(work, count=4):
    """Run ``work`` on ``count`` threads at once and wait for them all."""
    import threading
    threads = [threading.Thread(target=work) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


@pytest.fixture(scope="session")
def threaded():
    return in_threads
