"""Vectors of any length: Rosenbrock and a Gaussian likelihood over one long vector.

``rosen_section``: scipy's ``rosen`` and ``rosen_der`` (value and gradient, one
call each) at ``Sizes.vector`` points: pyexpr's formula of scipy's own code
and its ``grad()``, scipy's numpy versions, numba ``@njit`` loops written by
hand, and ``jax.jit`` of the function and of ``jax.grad`` of it.
``pairwise_section``: a Gaussian kernel summed over all pairs of ``Sizes.pairs``
points and its gradient (a double sum: nested loops), against numpy
broadcasting (gradient by hand), numba ``@njit`` loops and JAX.
``logsumexp_section``: ``np.log(np.sum(np.exp(x)))`` as written (stabilized by
pyexpr) and its gradient, the softmax, against numpy by hand, scipy.special and JAX.
``likelihood_section``: a Gaussian negative log-likelihood and its gradient by
(mu, sigma) over that many data points, against numpy (gradient by hand) and
JAX, with the memory floor beside them: one ``np.sum`` of the data, which
every entry must read at least once.  ``first_result_section``: decorating a
new vector formula and its first call (compiled, the disk cache off), against
the time budget of 100 ms.
"""
import linecache
import time

import numpy as np

import pyexpr as px

from . import scipy_numba
from .timing import Entry, Row, Section, measure


def rosen_numpy(x):
    return np.sum(100.0 * (x[1:] - x[:-1]**2.0)**2.0 + (1 - x[:-1])**2.0)


def nll_numpy(mu, sigma, data):
    return np.sum(0.5 * ((data - mu) / sigma)**2 + np.log(sigma)) + 0.5 * len(data) * np.log(2 * np.pi)


def _points(n):
    return np.random.default_rng(7).uniform(-2.0, 2.0, n)


def _pair(a, b):
    """Value and gradient as one array, the form every entry's result is compared in."""
    return np.concatenate([[float(a)], np.asarray(b, dtype=float).ravel()])


def _numba_rosen(numba):
    """numba's Rosenbrock and its gradient, loops by hand (``scipy_numba``'s)."""
    return numba.njit(cache=False)(scipy_numba.rosen), numba.njit(cache=False)(scipy_numba.rosen_der)


def _pyexpr_entries(make, derive, args, variant):
    """pyexpr's value and derivative at one thread and with its threads (``parallel=True``)."""
    from pyexpr.cpu.runtime.driver import thread_count
    entries = []
    for parallel in (False, True):
        f = make(parallel)
        g = derive(f)
        entries.append(Entry("pyexpr", lambda f=f, g=g: _pair(f(*args), g(*args)), variant=variant,
                             threads=str(thread_count(parallel))))
    return entries


def rosen_section(sizes, peers):
    from scipy.optimize import rosen, rosen_der
    n = sizes.vector
    x = _points(n)
    entries = _pyexpr_entries(lambda parallel: px.jit(rosen_numpy, parallel=parallel),
                              lambda f: f.grad(), (x,), "rosen + grad()")
    entries.append(Entry("numpy", lambda: _pair(rosen(x), rosen_der(x)), variant="scipy.optimize"))
    numba = peers.get("numba")
    if numba is not None:
        value, gradient = _numba_rosen(numba)
        entries.append(Entry("numba", lambda: _pair(value(x), gradient(x)), variant="@njit loops"))
    jax = peers.get("jax")
    if jax is not None:
        jnp = jax.numpy
        jf = jax.jit(lambda v: jnp.sum(100.0 * (v[1:] - v[:-1]**2)**2 + (1 - v[:-1])**2))
        jg = jax.jit(jax.grad(lambda v: jnp.sum(100.0 * (v[1:] - v[:-1]**2)**2 + (1 - v[:-1])**2)))
        xj = jnp.asarray(x)
        entries.append(Entry("jax", lambda: _pair(jf(xj), jg(xj)), variant="jit(f), jit(grad(f))"))
    rows = measure(entries, _pair(rosen(x), rosen_der(x)), sizes.repeats)
    return Section("rosen", f"Rosenbrock value and gradient, n = {n:,}",
                   f"scipy's rosen and rosen_der on one float64 vector of {n:,} points (value "
                   "and gradient, one call each); pyexpr's formula is scipy's own code, its "
                   "gradient derived in index notation and compiled as a loop.", rows,
                   baseline="numpy (scipy.optimize)", reference="scipy.optimize",
                   notes=["the peers single-threaded; pyexpr at 1 thread and with its threads"])


def likelihood_section(sizes, peers):
    n = sizes.vector
    data = np.random.default_rng(3).normal(1.5, 2.0, n)
    mu, sigma = 1.2, 1.7

    def by_hand():
        z = (data - mu) / sigma
        return _pair(nll_numpy(mu, sigma, data), [-np.sum(z) / sigma, n / sigma - np.sum(z * z) / sigma])
    entries = _pyexpr_entries(lambda parallel: px.jit(nll_numpy, parallel=parallel),
                              lambda f: f.grad(wrt=("mu", "sigma")), (mu, sigma, data), "nll + grad()")
    entries.append(Entry("numpy", by_hand, variant="gradient by hand"))
    jax = peers.get("jax")
    if jax is not None:
        jnp = jax.numpy

        def nll(m, s, d):
            return jnp.sum(0.5 * ((d - m) / s)**2 + jnp.log(s)) + 0.5 * d.shape[0] * jnp.log(2 * jnp.pi)
        jf, jg = jax.jit(nll), jax.jit(jax.grad(nll, argnums=(0, 1)))
        dj = jnp.asarray(data)
        entries.append(Entry("jax", lambda: _pair(jf(mu, sigma, dj), jg(mu, sigma, dj)),
                             variant="jit(f), jit(grad(f))"))
    rows = measure(entries, by_hand(), sizes.repeats)
    floor = measure([Entry("floor", lambda: np.array([np.sum(data)]), variant="one np.sum of the data")],
                    np.array([np.sum(data)]), sizes.repeats)
    return Section("likelihood", f"Gaussian negative log-likelihood and its gradient, {n:,} data points",
                   f"nll(mu, sigma, data) and its gradient by (mu, sigma) over {n:,} float64 data "
                   "points; the floor row reads the data once (numpy's sum), the least any entry "
                   "must do; pyexpr reads it twice (the value, then the gradient's two sums "
                   "in one loop).", rows + floor, baseline="numpy (gradient by hand)",
                   notes=["the peers single-threaded; pyexpr at 1 thread and with its threads"])


def logsumexp(x):
    """Written as numpy users write it first: it overflows past 709, pyexpr rewrites it."""
    return np.log(np.sum(np.exp(x)))


def _logsumexp_by_hand(x):
    m = np.max(x)
    z = np.exp(x - m)
    total = np.sum(z)
    return _pair(m + np.log(total), z / total)


def logsumexp_section(sizes, peers):
    import scipy.special
    n = sizes.vector
    x = np.random.default_rng(5).normal(0.0, 30.0, n) + 700.0          # exp(x) alone overflows
    entries = _pyexpr_entries(lambda parallel: px.jit(logsumexp, parallel=parallel), lambda f: f.grad(), (x,),
                              "logsumexp + grad() (softmax)")
    entries.append(Entry("numpy", lambda: _logsumexp_by_hand(x), variant="max taken out by hand"))
    entries.append(Entry("numpy", lambda: _pair(scipy.special.logsumexp(x), scipy.special.softmax(x)),
                         variant="scipy.special"))
    jax = peers.get("jax")
    if jax is not None:
        jf, jg = jax.jit(jax.nn.logsumexp), jax.jit(jax.nn.softmax)
        xj = jax.numpy.asarray(x)
        entries.append(Entry("jax", lambda: _pair(jf(xj), jg(xj)), variant="jit(nn.logsumexp), jit(nn.softmax)"))
    rows = measure(entries, _logsumexp_by_hand(x), sizes.repeats)
    return Section("logsumexp", f"logsumexp and its gradient (the softmax), n = {n:,}",
                   f"np.log(np.sum(np.exp(x))) over {n:,} float64 values near 700 (exp overflows): "
                   "pyexpr's stability rewrite takes the largest element out (a max loop, then the "
                   "sum), its gradient the softmax; against the same by hand in numpy, scipy.special "
                   "and JAX.", rows, baseline="numpy (max taken out by hand)",
                   notes=["the peers single-threaded; pyexpr at 1 thread and with its threads"])


def kernel_sum(x):
    return sum(sum(np.exp(-(x[i] - x[k])**2) for k in range(len(x))) for i in range(len(x)))


def _kernel_numpy(x):
    d = x[:, None] - x[None, :]
    e = np.exp(-d * d)
    return _pair(np.sum(e), -4.0 * np.sum(d * e, axis=1))


def _numba_kernel(numba):
    @numba.njit(cache=False)
    def both(x):
        n = x.shape[0]
        total, g = 0.0, np.zeros(n)
        for i in range(n):
            for k in range(n):
                d = x[i] - x[k]
                e = np.exp(-d * d)
                total += e
                g[i] += -4.0 * d * e
        return total, g
    return both


def pairwise_section(sizes, peers):
    n = sizes.pairs
    x = np.random.default_rng(5).uniform(-3.0, 3.0, n)
    entries = _pyexpr_entries(lambda parallel: px.jit(kernel_sum, parallel=parallel),
                              lambda f: f.grad(), (x,), "sum + grad()")
    entries.append(Entry("numpy", lambda: _kernel_numpy(x), variant="broadcasting, gradient by hand"))
    numba = peers.get("numba")
    if numba is not None:
        both = _numba_kernel(numba)
        entries.append(Entry("numba", lambda: _pair(*both(x)), variant="@njit loops by hand"))
    jax = peers.get("jax")
    if jax is not None:
        jnp = jax.numpy

        def value(v):
            d = v[:, None] - v[None, :]
            return jnp.sum(jnp.exp(-d * d))
        jf, jg = jax.jit(value), jax.jit(jax.grad(value))
        xj = jnp.asarray(x)
        entries.append(Entry("jax", lambda: _pair(jf(xj), jg(xj)), variant="jit(f), jit(grad(f))"))
    rows = measure(entries, _kernel_numpy(x), sizes.repeats)
    return Section("pairwise", f"Gaussian kernel over all pairs and its gradient, n = {n:,}",
                   f"sum over i, k of exp(-(x[i] - x[k])**2) for {n:,} points ({n * n:,} pairs) "
                   "and its gradient; pyexpr's formula is the double generator expression, "
                   "compiled as nested loops (the inner one in SIMD lanes).", rows,
                   baseline="numpy (broadcasting, gradient by hand)",
                   notes=["the peers single-threaded; pyexpr at 1 thread and with its threads"])


def least_squares_by_matrix(A: px.Matrix, x, b: px.Vector):
    return np.sum((A @ x - b)**2)


def _least_squares_numpy(A, x, b):
    r = A @ x - b
    return _pair(r @ r, 2.0 * np.outer(r, x))


def matrix_section(sizes, peers):
    """A value of a matrix argument and its gradient by the matrix: a matrix output."""
    m = n = max(sizes.pairs // 2, 2)
    rng = np.random.default_rng(6)
    A, x, b = rng.normal(size=(m, n)), rng.normal(size=n), rng.normal(size=m)
    entries = _pyexpr_entries(lambda parallel: px.jit(least_squares_by_matrix, parallel=parallel),
                              lambda f: f.grad("A"), (A, x, b), "value + grad('A')")
    entries.append(Entry("numpy", lambda: _least_squares_numpy(A, x, b), variant="gradient by hand"))
    jax = peers.get("jax")
    if jax is not None:
        jnp = jax.numpy

        def value(a, v, c):
            r = a @ v - c
            return r @ r
        jf, jg = jax.jit(value), jax.jit(jax.grad(value))
        aj, xj, bj = (jnp.asarray(t) for t in (A, x, b))
        entries.append(Entry("jax", lambda: _pair(jf(aj, xj, bj), jg(aj, xj, bj)), variant="jit(f), jit(grad(f))"))
    rows = measure(entries, _least_squares_numpy(A, x, b), sizes.repeats)
    return Section("matrix", f"|A x - b|^2 and its gradient by the matrix A, {m:,} x {n:,}",
                   "the value and the gradient 2 (A x - b) x^T by the matrix argument: pyexpr's "
                   "gradient is one formula in (j, l), compiled as rows (the row's sum A[j] @ x "
                   "once per row) of SIMD column loops.", rows, baseline="numpy (gradient by hand)",
                   notes=["the peers single-threaded; pyexpr at 1 thread and with its threads"])


def first_result_section(sizes, peers):
    """Decoration, compilation and first call of a vector formula never seen before."""
    rows = []
    for attempt in range(sizes.repeats):
        scale = 100.0 + attempt + time.time() % 1.0      # a new formula each time: no memo helps
        source = ("def fresh(x):\n"
                  f"    return np.sum({scale!r}*(x[1:] - x[:-1]**2)**2 + (1 - x[:-1])**2)\n")
        namespace, name = {"np": np}, f"<first-result {attempt}>"
        linecache.cache[name] = (len(source), None, source.splitlines(True), name)
        exec(compile(source, name, "exec"), namespace)
        x = _points(1000)
        start = time.perf_counter()
        formula = px.jit(namespace["fresh"], cache=False)
        value = formula(x)
        rows.append(time.perf_counter() - start)
        reference = np.sum(scale * (x[1:] - x[:-1]**2)**2 + (1 - x[:-1])**2)
        assert abs(value - reference) <= 1e-12 * abs(reference)
    seconds = float(np.median(rows))
    row = Row("pyexpr (decorate + compile + first call)", "pyexpr", "1", seconds=seconds, max_diff=0.0)
    return Section("first-vector", "first result of a new vector formula",
                   "A Rosenbrock-like formula of one vector never seen before: px.jit, then the "
                   "first call on 1,000 points (its loops compiled by LLVM, the disk cache off); "
                   "median of the repeats. The goal is under 100 ms.", [row], baseline=None,
                   chart=False)
