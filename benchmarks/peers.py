"""The peers: which are installed, their versions, thread control, and their entries.

``Peers()`` imports each optional peer (numexpr, numba, sympy, symengine,
jax) once; one that is missing is recorded in ``skipped`` with the reason
and every builder leaves it out.  JAX is configured for float64 on the CPU.
``threads(n)`` sets every peer's thread count (pyexpr through
``PYEXPR_NUM_THREADS``) for a block.  The ``*_entries`` functions return the
``timing.Entry`` list of one workload; pyexpr's use the public API only
(``px.jit``, calls with ``out=`` preallocated), as do numexpr's and numba's
where they accept ``out``.
"""
import importlib
import os
from contextlib import contextmanager

import numpy as np

import pyexpr as px

from . import formulas
from .timing import Entry

OPTIONAL = ("numexpr", "numba", "sympy", "symengine", "jax")


class Peers:
    """The installed peers: ``get(name)`` -> module or None; ``skipped``; ``versions``."""

    def __init__(self, exclude=()):
        self.modules, self.skipped = {}, {}
        self.versions = {"numpy": np.__version__, "pyexpr": px.__version__}
        for name in OPTIONAL:
            if name in exclude:
                self.skipped[name] = "excluded on the command line"
                continue
            try:
                module = importlib.import_module(name)
            except Exception as exc:               # ImportError, or a broken install
                self.skipped[name] = f"not installed ({type(exc).__name__}: {exc})"
                continue
            if name == "jax":
                module.config.update("jax_enable_x64", True)
                module.config.update("jax_platforms", "cpu")
            self.modules[name] = module
            self.versions[name] = getattr(module, "__version__", "?")

    def get(self, name):
        return self.modules.get(name)


def default_threads():
    """The threads pyexpr uses with ``parallel=True`` (``PYEXPR_NUM_THREADS``, ``OMP_NUM_THREADS``
    or the CPUs this process may use)."""
    from pyexpr.cpu.runtime.driver import thread_count
    return thread_count(True)


@contextmanager
def threads(n, peers):
    """Run the block with ``n`` threads for pyexpr, numexpr and numba's parallel targets."""
    old_env = os.environ.get("PYEXPR_NUM_THREADS")
    os.environ["PYEXPR_NUM_THREADS"] = str(n)
    ne, nb = peers.get("numexpr"), peers.get("numba")
    old_ne = ne.set_num_threads(n) if ne else None
    old_nb = nb.get_num_threads() if nb else None
    if nb:
        nb.set_num_threads(min(n, nb.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        if old_env is None:
            os.environ.pop("PYEXPR_NUM_THREADS", None)
        else:
            os.environ["PYEXPR_NUM_THREADS"] = old_env
        if ne:
            ne.set_num_threads(old_ne)
        if nb:
            nb.set_num_threads(old_nb)


# --- elementwise -------------------------------------------------------------------------

def elementwise_entries(kernel, x, y, n_threads, peers):
    """Entries for one elementwise kernel at ``n_threads`` (1: every peer; more: the threaded ones)."""
    t = str(n_threads)
    entries = [Entry("numpy", lambda: kernel.xp(np, x, y), threads="1")]
    f = px.jit(kernel.python, parallel=n_threads > 1)
    out = np.empty_like(x)
    entries.append(Entry("pyexpr", lambda: f(x, y, out=out), "out=", t))
    ne = peers.get("numexpr")
    if ne:
        ne_out = np.empty_like(x)
        entries.append(Entry("numexpr", lambda: ne.evaluate(
            kernel.numexpr, local_dict={"x": x, "y": y}, out=ne_out), "out=", t))
    nb = peers.get("numba")
    if nb:
        target = "parallel" if n_threads > 1 else "cpu"
        vec = nb.vectorize(["float64(float64, float64)"], target=target)(kernel.python)
        vec_out = np.empty_like(x)
        entries.append(Entry("numba", lambda: vec(x, y, out=vec_out), f"@vectorize {target}", t))
        loop = njit_loop(nb, kernel.python, parallel=n_threads > 1)
        loop_out = np.empty_like(x)
        entries.append(Entry("numba", lambda: loop(x, y, loop_out),
                             "@njit prange" if n_threads > 1 else "@njit loop", t))
    if n_threads == 1:
        entries += symbolic_entries(f, x, y, peers)
        jax = peers.get("jax")
        if jax:
            jf = jax.jit(lambda a, b: kernel.xp(jax.numpy, a, b))
            xj, yj = jax.numpy.asarray(x), jax.numpy.asarray(y)
            entries.append(Entry("jax", lambda: jf(xj, yj).block_until_ready(), "jit",
                                 "XLA default"))
    return entries


def njit_loop(nb, scalar, parallel):
    """A numba @njit loop (prange when ``parallel``) applying ``scalar`` elementwise."""
    core = nb.njit(scalar)

    def loop(x, y, out):
        for i in nb.prange(x.shape[0]):
            out[i] = core(x[i], y[i])
        return out

    return nb.njit(parallel=parallel)(loop)


def symbolic_entries(formula, x, y, peers):
    """sympy.lambdify (numpy) and symengine.Lambdify of ``formula``'s single output."""
    entries = []
    sp = peers.get("sympy")
    if sp:
        lambdified = sp.lambdify(formula.args, formula.expr, "numpy")
        entries.append(Entry("sympy", lambda: lambdified(x, y), "lambdify numpy"))
    se = peers.get("symengine")
    if se:
        entries.append(symengine_entry(se, formula, x, y))
    return entries


def symengine_entry(se, formula, x, y):
    """symengine's Lambdify of every output of ``formula``, on (N, 2) stacked inputs."""
    fn, backend = symengine_lambdify(se, formula.args, formula.outputs)
    stacked = np.column_stack([x, y])
    out = np.empty((x.size, len(formula.outputs)))

    def run():
        fn(stacked, out=out)
        return out
    return Entry("symengine", run, f"Lambdify {backend}",
                 convert=lambda r: r.T[0] if r.shape[1] == 1 else r.T)


def symengine_lambdify(se, args, exprs):
    """``(callable, backend name)``: symengine's Lambdify, LLVM backend where it has one."""
    from symengine.lib import symengine_wrapper
    se_args = [se.sympify(a) for a in args]
    se_exprs = [se.sympify(e) for e in exprs]
    backend = "llvm" if getattr(symengine_wrapper, "have_llvm", False) else "lambda"
    return se.Lambdify(se_args, se_exprs, backend=backend, cse=True), backend


# --- gradient ------------------------------------------------------------------------------

def gradient_entries(x, y, peers):
    """Entries for the gradient of ``formulas.transcendental``: a (2, N) array."""
    n_all = default_threads()
    f1 = px.jit(formulas.transcendental, parallel=False)
    g1, g_all = f1.grad(), px.jit(formulas.transcendental).grad()
    out1, out_all = np.empty((2, x.size)), np.empty((2, x.size))
    entries = [Entry("numpy", lambda: formulas.transcendental_grad_numpy(np, x, y), "by hand"),
               Entry("pyexpr", lambda: g1(x, y, out=out1), "grad(), out=", "1"),
               Entry("pyexpr", lambda: g_all(x, y, out=out_all), "grad(), out=", str(n_all))]
    dx, dy = g1.outputs
    ne = peers.get("numexpr")
    if ne:
        ne_out, texts = np.empty((2, x.size)), (str(dx), str(dy))

        def run_numexpr():
            for i, text in enumerate(texts):
                ne.evaluate(text, local_dict={"x": x, "y": y}, out=ne_out[i])
            return ne_out
        entries.append(Entry("numexpr", run_numexpr, "sympy-derived strings, out="))
    nb = peers.get("numba")
    if nb:
        entries.append(Entry("numba", njit_gradient(nb, x, y), "@njit loop, by hand"))
    entries += symbolic_gradient_entries(g1, x, y, peers)
    return entries


def njit_gradient(nb, x, y):
    """A numba loop over the hand-derived scalar gradient, into a (2, N) array."""
    core = nb.njit(formulas.transcendental_grad_python)
    out = np.empty((2, x.size))

    @nb.njit
    def loop(x, y, out):
        for i in range(x.shape[0]):
            out[0, i], out[1, i] = core(x[i], y[i])
        return out

    return lambda: loop(x, y, out)


def symbolic_gradient_entries(grad, x, y, peers):
    """sympy, symengine (from pyexpr's derivative expressions) and JAX (autodiff) gradients."""
    entries = []
    sp = peers.get("sympy")
    if sp:
        lambdified = sp.lambdify(grad.args, list(grad.outputs), "numpy")
        entries.append(Entry("sympy", lambda: np.stack(lambdified(x, y)), "lambdify numpy"))
    se = peers.get("symengine")
    if se:
        entries.append(symengine_entry(se, grad, x, y))
    jax = peers.get("jax")
    if jax:
        g = jax.jit(jax.vmap(jax.grad(lambda a, b: formulas.transcendental_xp(jax.numpy, a, b),
                                      argnums=(0, 1))))
        xj, yj = jax.numpy.asarray(x), jax.numpy.asarray(y)
        entries.append(Entry("jax", lambda: jax.block_until_ready(g(xj, yj)), "jit(vmap(grad))",
                             "XLA default", convert=np.stack))
    return entries
