"""The in-process workloads, each returning ``timing.Section``s.

``elementwise_sections``: the three ``formulas.KERNELS`` on float64 arrays at
1 and 2 threads.  ``gradient_section``: the gradient of the transcendental
kernel.  ``scalar_section``: nanoseconds per call on Python floats from a
Python loop; ``small_array_section``: microseconds per call on 16-point arrays.  ``hessian_section``: the 10x10 Hessian of ``formulas.chain10``,
its build and compile time and its time per evaluation, against JAX's
``jit(vmap(hessian))``.  ``Sizes`` holds the problem sizes and repeat counts
(``QUICK`` and ``FULL``).
"""
import functools
import time
from dataclasses import dataclass

import numpy as np

import pyexpr as px

from . import formulas, peers as peer_lib
from .timing import Entry, Section, measure


@dataclass(frozen=True)
class Sizes:
    elementwise: int          # points per elementwise call
    gradient: int             # points per gradient call
    hessian: int              # points per Hessian call
    scalar_pairs: int         # distinct (x, y) pairs per scalar loop
    scalar_seconds: float     # target time of one scalar measurement
    repeats: int              # timed rounds per entry (the median is reported)
    latency_repeats: int      # fresh subprocess pairs (cold, warm) per peer
    thread_counts: tuple = (1, 2)
    size_terms: tuple = (1_000, 4_000, 10_000)     # terms of the formulas of ``sizes``
    cluster_values: int = 1_000_000_000            # points of the ``cluster`` workload
    cluster_chunk: int = 10_000_000
    vector: int = 10_000_000                       # points of the ``vectors`` workloads
    pairs: int = 4_000                             # points of the pairwise (double sum) workload
    minimize_sizes: tuple = (100, 1_000)           # Rosenbrock lengths of the ``scipy`` minimize runs
    newton_steps: tuple = (10, 20)                 # ``build-order``: the steps built before, then timed


QUICK = Sizes(100_000, 20_000, 2_000, 200, 0.005, 1, 1, size_terms=(100, 400),
              cluster_values=4_000_000, cluster_chunk=1_000_000, vector=100_000, pairs=300,
              minimize_sizes=(100,), newton_steps=(3, 6))
FULL = Sizes(10_000_000, 1_000_000, 100_000, 1_000, 0.1, 7, 3)


def inputs(n, count=2, seed=0):
    """``count`` float64 arrays of ``n`` points: x in [0, 1), the others in [0.1, 2)."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(0.0, 1.0, n)] + [rng.uniform(0.1, 2.0, n) for _ in range(count - 1)]


def elementwise_sections(sizes, peers):
    """One Section per kernel and thread count."""
    x, y = inputs(sizes.elementwise)
    sections = []
    for n_threads in sizes.thread_counts:
        with peer_lib.threads(n_threads, peers):
            for kernel in formulas.KERNELS:
                entries = peer_lib.elementwise_entries(kernel, x, y, n_threads, peers)
                rows = measure(entries, kernel.xp(np, x, y), sizes.repeats)
                notes = [] if n_threads == 1 else [
                    "numpy has no threads (1 thread); sympy, symengine and JAX run in the "
                    "1-thread section only"]
                sections.append(Section(
                    f"{kernel.key}-{n_threads}t", f"{kernel.title}: {n_threads} thread(s)",
                    f"Elementwise, {kernel.kind}, {sizes.elementwise:,} float64 points, "
                    f"{n_threads} thread(s) for the peers that thread.", rows, notes=notes))
    return sections


def gradient_section(sizes, peers):
    x, y = inputs(sizes.gradient)
    entries = peer_lib.gradient_entries(x, y, peers)
    rows = measure(entries, formulas.transcendental_grad_numpy(np, x, y), sizes.repeats)
    return Section("gradient", "gradient of exp(-x**2)*sin(y) + cos(x*y)",
                   f"Both partial derivatives on {sizes.gradient:,} points: a (2, N) array. "
                   "numpy and numba use a gradient derived by hand.", rows,
                   baseline="numpy (by hand)",
                   notes=["pyexpr and numexpr at 1 thread unless the threads column says "
                          "otherwise; JAX uses XLA's default threading"])


# --- scalar calls ----------------------------------------------------------------------------

def scalar_callables(peers):
    """``(peer, variant, fn, threads)``: each way to evaluate the formula on two floats."""
    f = px.jit(formulas.transcendental)
    found = [("python", "math module", formulas.transcendental),
             ("pyexpr", "f(x, y)", f), ("pyexpr", "f.ctypes(x, y)", f.ctypes)]
    nb, sp, se, jax, ne = (peers.get(n) for n in ("numba", "sympy", "symengine", "jax", "numexpr"))
    if nb:
        found.append(("numba", "@njit", nb.njit(formulas.transcendental)))
    found.append(("numpy", "ufuncs on floats", functools.partial(formulas.transcendental_xp, np)))
    if sp:
        found.append(("sympy", "lambdify math", sp.lambdify(f.args, f.expr, "math")))
    if se:
        fn, backend = peer_lib.symengine_lambdify(se, f.args, [f.expr])
        found.append(("symengine", f"Lambdify {backend}", fn))
    if jax:
        jf = jax.jit(functools.partial(formulas.transcendental_xp, jax.numpy))
        found.append(("jax", "jit, float(result)", lambda a, b: float(jf(a, b))))
    if ne:
        text = formulas.KERNELS[1].numexpr
        found.append(("numexpr", "evaluate", lambda a, b: ne.evaluate(text, local_dict={"x": a, "y": b})))
    return found


def scalar_loop(fn, xs, ys, reps):
    """Call ``fn`` on every pair ``reps`` times; the results of the last pass."""
    for _ in range(reps - 1):
        for a, b in zip(xs, ys):
            fn(a, b)
    return [fn(a, b) for a, b in zip(xs, ys)]


def as_floats(results):
    return np.array([float(np.asarray(r).reshape(-1)[0]) for r in results])


def scalar_section(sizes, peers):
    """Nanoseconds per call on Python floats, from a Python loop.

    Each callable is timed on ``sizes.scalar_pairs`` pairs, repeated so one
    measurement lasts about ``sizes.scalar_seconds``.
    """
    x, y = (v.tolist() for v in inputs(sizes.scalar_pairs))
    reference = np.array([formulas.transcendental(a, b) for a, b in zip(x, y)])
    entries, calls = [], {}
    for peer, variant, fn in scalar_callables(peers):
        try:
            scalar_loop(fn, x, y, 1)                      # warm-up and compile
            start = time.perf_counter()
            scalar_loop(fn, x, y, 1)
            per_pass = time.perf_counter() - start
        except Exception:
            per_pass = 1.0                                  # measure() reports the failure
        reps = max(1, round(sizes.scalar_seconds / max(per_pass, 1e-9)))
        entry = Entry(peer, functools.partial(scalar_loop, fn, x, y, reps), variant,
                      convert=as_floats)
        calls[entry.label] = reps * len(x)
        entries.append(entry)
    rows = measure(entries, reference, sizes.repeats)
    for row in rows:
        if row.seconds is not None:
            row.seconds /= calls[row.label]
        row.extras["calls timed"] = f"{calls[row.label]:,}"
    return Section("scalar", "scalar call overhead: f(x, y) on Python floats",
                   "Time per call of exp(-x**2)*sin(y) + cos(x*y) on two Python floats from a "
                   "Python loop (loop cost included), against the same function in plain Python.",
                   rows, unit="ns", baseline="python (math module)", reference="plain Python",
                   chart=False)


# --- calls on small arrays -------------------------------------------------------------------

SMALL = 16          # points per small-array call


def small_array_callables(peers):
    """``(peer, variant, fn)``: each way to evaluate the formula on two small float64 arrays."""
    f = px.jit(formulas.transcendental)
    found = [("numpy", "ufuncs", functools.partial(formulas.transcendental_xp, np)),
             ("pyexpr", "f(x, y)", f)]
    nb, sp, se, jax, ne = (peers.get(n) for n in ("numba", "sympy", "symengine", "jax", "numexpr"))
    if ne:
        text = formulas.KERNELS[1].numexpr
        found.append(("numexpr", "evaluate", lambda a, b: ne.evaluate(text, local_dict={"x": a, "y": b})))
    if nb:
        found.append(("numba", "@vectorize", nb.vectorize(["float64(float64, float64)"])(
            formulas.transcendental)))
    if sp:
        found.append(("sympy", "lambdify numpy", sp.lambdify(f.args, f.expr, "numpy")))
    if se:
        fn, backend = peer_lib.symengine_lambdify(se, f.args, [f.expr])
        found.append(("symengine", f"Lambdify {backend}, stacked input",
                      lambda a, b: fn(np.column_stack([a, b]))))
    if jax:
        jf = jax.jit(functools.partial(formulas.transcendental_xp, jax.numpy))
        found.append(("jax", "jit, np.asarray(result)", lambda a, b: np.asarray(jf(a, b))))
    return found


def call_loop(fn, x, y, reps):
    """Call ``fn(x, y)`` ``reps`` times; the last result."""
    for _ in range(reps - 1):
        fn(x, y)
    return fn(x, y)


def small_array_section(sizes, peers):
    """Microseconds per call on two ``SMALL``-point arrays, from a Python loop (the result
    allocated by each call, as users write it)."""
    x, y = inputs(SMALL)
    entries, calls = [], {}
    for peer, variant, fn in small_array_callables(peers):
        try:
            call_loop(fn, x, y, 200)                       # warm-up, compile, tier upgrades
            start = time.perf_counter()
            call_loop(fn, x, y, 100)
            per_call = (time.perf_counter() - start) / 100
        except Exception:
            per_call = 1.0                                  # measure() reports the failure
        reps = max(1, round(sizes.scalar_seconds / max(per_call, 1e-9)))
        entries.append(Entry(peer, functools.partial(call_loop, fn, x, y, reps), variant,
                             convert=lambda r: np.ravel(np.asarray(r, dtype=np.float64))))
        calls[entries[-1].label] = reps
    rows = measure(entries, formulas.transcendental_xp(np, x, y), sizes.repeats)
    for row in rows:
        if row.seconds is not None:
            row.seconds /= calls[row.label]
        row.extras["calls timed"] = f"{calls[row.label]:,}"
    return Section("small", f"calls on small arrays: f(x, y) on {SMALL} points",
                   f"Time per call of exp(-x**2)*sin(y) + cos(x*y) on two {SMALL}-point float64 "
                   "arrays from a Python loop, each call allocating its result.",
                   rows, unit="us", baseline="numpy (ufuncs)", reference="numpy", chart=False)


# --- Hessian -------------------------------------------------------------------------------

def timed_first(build):
    """``(call, build_s, first_s)``: ``call = build()``, then ``call()`` once, each timed."""
    start = time.perf_counter()
    call = build()
    built = time.perf_counter()
    call()
    return call, built - start, time.perf_counter() - built


def hessian_entries(cols, peers):
    """Entries for the (10, 10, N) Hessian of chain10, with build and compile times."""
    n, entries = cols[0].size, []
    out1, out_all = np.empty((10, 10, n)), np.empty((10, 10, n))

    def pyexpr_build(parallel, out):
        h = px.jit(formulas.chain10, parallel=parallel, cache=False).hessian()
        return lambda: h(*cols, out=out)
    call, b, c = timed_first(lambda: pyexpr_build(False, out1))
    entries.append(Entry("pyexpr", call, "hessian(), out=", "1", extras=_build(b, c)))
    call, b, c = timed_first(lambda: pyexpr_build(True, out_all))
    entries.append(Entry("pyexpr", call, "hessian(), out=", str(peer_lib.default_threads()),
                         extras=_build(b, c, "(compiled above)")))
    se, jax = peers.get("symengine"), peers.get("jax")
    formula = px.jit(formulas.chain10)
    if se:
        def se_build():
            e = se.sympify(formula.expr)
            args = [se.sympify(a) for a in formula.args]
            fn, _ = peer_lib.symengine_lambdify(se, args, [e.diff(a).diff(b) for a in args for b in args])
            stacked, out = np.column_stack(cols), np.empty((n, 100))
            return lambda: fn(stacked, out=out)
        call, b, c = timed_first(se_build)
        entries.append(Entry("symengine", call, "diff + Lambdify", extras=_build(b, c),
                             convert=lambda r: np.asarray(r).reshape(n, 10, 10).transpose(1, 2, 0)))
    if jax:
        X = jax.numpy.asarray(np.column_stack(cols))

        def jax_build():
            h = jax.jit(jax.vmap(jax.hessian(functools.partial(formulas.chain10_vector, jax.numpy))))
            return lambda: h(X).block_until_ready()
        call, b, c = timed_first(jax_build)
        entries.append(Entry("jax", call, "jit(vmap(hessian))", "XLA default", extras=_build(b, c),
                             convert=lambda r: np.asarray(r).transpose(1, 2, 0)))
    return entries


def _build(build_s, first_s, note=None):
    return {"build": f"{build_s:.3f} s", "compile + first call": note or f"{first_s:.3f} s"}


def sympy_hessian_entry(cols, peers):
    """The reference: sympy.hessian lambdified to numpy; (entry, reference array)."""
    sp = peers.get("sympy")
    formula = px.jit(formulas.chain10)

    def build():
        fn = sp.lambdify(formula.args, list(sp.hessian(formula.expr, formula.args)), "numpy")
        shape = (10, 10, cols[0].size)
        return lambda: np.stack([np.broadcast_to(v, shape[2:]) for v in fn(*cols)]).reshape(shape)
    call, b, c = timed_first(build)
    return Entry("sympy", call, "hessian + lambdify numpy", extras=_build(b, c)), call()


def hessian_section(sizes, peers):
    cols = inputs(sizes.hessian, count=10, seed=3)
    cols[0] = cols[0] * 2 - 1
    baseline, reference = sympy_hessian_entry(cols, peers)
    rows = measure([baseline] + hessian_entries(cols, peers), reference, sizes.repeats)
    return Section("hessian", "Hessian of a 10-argument function",
                   "chain10(x0..x9) = log(1 + sum x_i^2) + sum sin(x_i x_(i+1)): the dense 10x10 "
                   f"Hessian on {sizes.hessian:,} points. 'build' is decorating and deriving "
                   "(pyexpr, sympy, symengine) or tracing setup (JAX); 'compile + first call' "
                   "includes code generation (no disk cache) and one evaluation.",
                   rows, baseline=baseline.label, reference="sympy.hessian via lambdify (numpy)")
