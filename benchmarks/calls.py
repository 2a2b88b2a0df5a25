"""Every call form scipy and scientists use, per call, from a Python loop.

Each form (numpy scalars, ints, a left-out default, a keyword, several outputs,
a fixed-length vector as ``solve_ivp`` passes it, an open-length vector as
``minimize`` passes it, an array with a scalar, ``out=``) is called on the
same formula four ways: pyexpr, the plain Python/numpy function it was
decorated from, numba's ``@njit`` of that function where numba is
installed, and where JAX is, ``jax.jit`` of the same function written with
``jax.numpy`` (``_jax_forms``; its result made a numpy value, as scipy does).  Every result is checked against the plain function first (1e-13
relative); the times are medians of ``sizes.repeats`` rounds, interleaved.
"""
import math
import time

import numpy as np

import pyexpr as px

from .timing import Row, Section, median, relative_difference

ROUND_SECONDS = 0.02


def wave(x, y):
    return math.exp(-x**2) * math.sin(y) + math.cos(x * y)


def wave_default(x, y=2.0):
    return math.exp(-x**2) * math.sin(y) + math.cos(x * y)


def wave_array(x, y):
    return np.exp(-x**2) * np.sin(y) + np.cos(x * y)


def polar(r, phi):
    return r * math.cos(phi), r * math.sin(phi), math.hypot(r, phi)


def robertson(t, y):
    y1, y2, y3 = y
    return (-0.04 * y1 + 1e4 * y2 * y3, 0.04 * y1 - 1e4 * y2 * y3 - 3e7 * y2**2, 3e7 * y2**2)


def rosen(x):
    return np.sum(100 * (x[1:] - x[:-1]**2)**2 + (1 - x[:-1])**2)


def _forms():
    """``(form, function, args, kwargs)``: the call forms, each on its function."""
    a16, b16 = np.linspace(0, 1, 16), np.linspace(1, 2, 16)
    return [("Python floats", wave, (0.5, 2.0), {}),
            ("numpy float64 scalars", wave, (np.float64(0.5), np.float64(2.0)), {}),
            ("numpy float32 scalars", wave, (np.float32(0.5), np.float32(2.0)), {}),
            ("ints", wave, (1, 2), {}),
            ("numpy int32 and float16 scalars", wave, (np.int32(1), np.float16(2.0)), {}),
            ("numpy bools", wave, (np.bool_(True), np.bool_(False)), {}),
            ("a default left out", wave_default, (0.5,), {}),
            ("a keyword", wave, (0.5,), {"y": 2.0}),
            ("3 outputs on floats", polar, (2.0, 0.5), {}),
            ("3 outputs on floats, out=", polar, (2.0, 0.5), {"out": np.empty(3)}),
            ("rhs(t, y[3]) as solve_ivp calls", robertson, (0.0, np.array([0.9, 2e-5, 0.1])), {}),
            ("rosen(x), n = 10", rosen, (np.linspace(0, 1, 10),), {}),
            ("rosen(x), n = 1000", rosen, (np.linspace(0, 1, 1000),), {}),
            ("rosen(x=x), n = 10: a keyword on a vector", rosen, (), {"x": np.linspace(0, 1, 10)}),
            ("rosen's gradient, n = 10 (scipy's rosen_der)", "grad", (np.linspace(0, 1, 10),), {}),
            ("rosen's Hessian times p, n = 10 (scipy's rosen_hess_prod)", "hessp",
             (np.linspace(0, 1, 10), np.linspace(1, 2, 10)), {}),
            ("16-point array and a float", wave_array, (a16, 2.0), {}),
            ("16-point arrays, out=", wave_array, (a16, b16), {"out": np.empty(16)})]


#: a derivative's form: the plain function is scipy's by-hand numpy one
DERIVED = {"grad": "rosen_der", "hessp": "rosen_hess_prod"}


def _jax_forms(jax):
    """The forms' functions as a JAX user writes them, by the plain function (or derivative)
    they stand for."""
    jnp = jax.numpy

    def wave_jax(x, y=2.0):
        return jnp.exp(-x**2) * jnp.sin(y) + jnp.cos(x * y)

    def rosen_jax(x):
        return jnp.sum(100 * (x[1:] - x[:-1]**2)**2 + (1 - x[:-1])**2)
    gradient = jax.grad(rosen_jax)
    return {wave: wave_jax, wave_default: wave_jax, wave_array: wave_jax, rosen: rosen_jax,
            polar: lambda r, phi: jnp.stack([r * jnp.cos(phi), r * jnp.sin(phi), jnp.hypot(r, phi)]),
            robertson: lambda t, y: jnp.stack([-0.04 * y[0] + 1e4 * y[1] * y[2],
                                               0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1]**2, 3e7 * y[1]**2]),
            "grad": gradient, "hessp": lambda x, p: jax.jvp(gradient, (x,), (p,))[1]}


def _implementations(fn, peers):
    jax = peers.get("jax")
    if fn in DERIVED:                     # rosen's derivative, against scipy's by hand
        import scipy.optimize
        found = [("plain", getattr(scipy.optimize, DERIVED[fn])), ("pyexpr", getattr(px.jit(rosen), fn)())]
    else:
        found = [("plain", fn), ("pyexpr", px.jit(fn))]
        nb = peers.get("numba")
        if nb:
            found.append(("numba", nb.njit(fn)))
    if jax:
        jitted = jax.jit(_jax_forms(jax)[fn])
        found.append(("jax", lambda *args, **kwargs: np.asarray(jitted(*args, **kwargs))))
    return found


def _per_call(call, rounds):
    calls = 1
    while True:                           # enough calls for a round of ROUND_SECONDS
        start = time.perf_counter()
        for _ in range(calls):
            call()
        if time.perf_counter() - start >= ROUND_SECONDS / 4:
            break
        calls *= 4
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            call()
        times.append((time.perf_counter() - start) / calls)
    return median(times)


def _row(form, peer, call, want, rounds):
    label = f"{peer}: {form}"
    try:
        got = np.asarray(call(), float)
    except Exception as error:           # numba refuses some forms: say so
        return Row(label, peer, "1", status=f"failed: {type(error).__name__}")
    want = np.asarray(want, float)
    diff = relative_difference(got, want)
    if not diff <= 1e-13:
        return Row(label, peer, "1", status=f"WRONG: {diff:.1e}", max_diff=diff)
    return Row(label, peer, "1", seconds=_per_call(call, rounds), max_diff=diff)


def calls_section(sizes, peers):
    rows = []
    for form, fn, args, kwargs in _forms():
        # the Python function takes no out=: it (and numba) allocate their result there
        theirs = {k: v for k, v in kwargs.items() if k != "out"}
        implementations = _implementations(fn, peers)
        want = implementations[0][1](*args, **theirs)
        for peer, impl in implementations:
            call = (lambda impl=impl, kw=kwargs if peer == "pyexpr" else theirs: impl(*args, **kw))
            rows.append(_row(form, peer, call, want, sizes.repeats))
    return Section("calls", "every call form, per call",
                   "Microseconds per call from a Python loop (loop included), pyexpr against the "
                   "plain function it decorates, numba's @njit of it and jax.jit of it in "
                   "jax.numpy; each result checked "
                   "against the plain function first.", rows, unit="us", baseline=None,
                   reference="the plain function", chart=False)
