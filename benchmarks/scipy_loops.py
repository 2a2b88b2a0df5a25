"""The loops scientists run: scipy's solvers end to end, pyexpr's formulas against numpy by hand.

* ``solve_ivp`` on two stiff problems, Robertson's kinetics (to t = 1e5) and
  Van der Pol with mu = 1000 (to t = 3000), with Radau and BDF, each given
  the right-hand side and its Jacobian: pyexpr's ``rhs`` and
  ``rhs.jacobian(wrt="y")`` against the same functions in numpy, written by
  hand as scipy's documentation does;
* ``minimize`` of scipy's Rosenbrock (n = 100 and 1000): ``trust-ncg`` with the
  gradient and Hessian-vector product, and ``trust-exact`` (n = 100) with the
  Hessian, pyexpr's ``grad``/``hessp``/``hessian`` of one line of Python against
  scipy's own ``rosen_der``/``rosen_hess_prod``/``rosen_hess``;
* ``least_squares`` of a decaying exponential with an offset fitted to 2,000
  points (module-level data), with the Jacobian: pyexpr's residuals and
  ``jacobian(wrt="p")`` against numpy's by hand (numba and JAX not entered);
* ``quad`` of a smooth integrand: pyexpr's ``f.ctypes`` as a
  ``LowLevelCallable`` (no Python per point) against the Python function.

Where numba and JAX are installed, their entries run beside them
(``scipy_numba``: the same functions ``@njit``, the derivatives as loops, the
integrand a ``@cfunc``; ``scipy_jax``: ``jax.numpy`` under ``jax.jit``, the
derivatives from JAX's transforms).

Each solve is checked against the numpy one (the final state, the minimizer,
the integral) to ``TOLERANCE`` relative: the two sides need not take
bit-identical steps, so the check is the solvers' own accuracy.  Needs scipy;
without it the sections say so.
"""
import math

import numpy as np

import pyexpr as px

from . import scipy_jax, scipy_numba
from .timing import Entry, Row, Section, measure

TOLERANCE = 1e-6


def robertson(t, y):
    a, b, c = y
    return (-0.04 * a + 1e4 * b * c, 0.04 * a - 1e4 * b * c - 3e7 * b**2, 3e7 * b**2)


def robertson_numpy(t, y):
    a, b, c = y
    return np.array([-0.04 * a + 1e4 * b * c, 0.04 * a - 1e4 * b * c - 3e7 * b**2, 3e7 * b**2])


def robertson_jac_numpy(t, y):
    a, b, c = y
    return np.array([[-0.04, 1e4 * c, 1e4 * b],
                     [0.04, -1e4 * c - 6e7 * b, -1e4 * b],
                     [0.0, 6e7 * b, 0.0]])


MU = 1000.0


def vanderpol(t, y):
    u, v = y
    return v, MU * (1 - u**2) * v - u


def vanderpol_numpy(t, y):
    u, v = y
    return np.array([v, MU * (1 - u**2) * v - u])


def vanderpol_jac_numpy(t, y):
    u, v = y
    return np.array([[0.0, 1.0], [-2 * MU * u * v - 1, MU * (1 - u**2)]])


DECAY_T = np.linspace(0.0, 10.0, 2000)
DECAY_Y = 2.5 * np.exp(-1.3 * DECAY_T) + 0.5 + 0.01 * np.sin(7.0 * DECAY_T)


def decay(p):
    a, b, c = p
    return a * np.exp(-b * DECAY_T) + c - DECAY_Y


def decay_jac_numpy(p):
    a, b, c = p
    e = np.exp(-b * DECAY_T)
    return np.column_stack([e, -a * DECAY_T * e, np.ones_like(DECAY_T)])


def rosen(x):
    return np.sum(100 * (x[1:] - x[:-1]**2)**2 + (1 - x[:-1])**2)


def integrand(x):
    return math.exp(-x * x) * math.cos(3 * x) / (1 + x * x)


PROBLEMS = {"robertson": (robertson, robertson_numpy, robertson_jac_numpy, [1.0, 0.0, 0.0], 1e5),
            "vanderpol": (vanderpol, vanderpol_numpy, vanderpol_jac_numpy, [2.0, 0.0], 3000.0)}


def _ivp_section(name, method, repeats, others):
    from scipy.integrate import solve_ivp
    fn, rhs, jac, y0, t_end = PROBLEMS[name]
    f = px.jit(fn)
    f_jac = f.jacobian(wrt="y")

    def solve(r, j):
        sol = solve_ivp(r, (0.0, t_end), y0, method=method, jac=j, rtol=1e-8, atol=1e-10)
        return np.append(sol.y[:, -1], sol.nfev + sol.njev)
    reference = solve(rhs, jac)
    final = lambda result: result[:-1]              # the state; the counts are reported
    entries = [Entry("pyexpr", lambda: solve(f, f_jac), "rhs + jacobian", convert=final),
               Entry("numpy", lambda: solve(rhs, jac), "by hand", convert=final)]
    for peer, (fns, labels) in others.items():
        entries.append(Entry(peer, lambda fns=fns: solve(fns[name], fns[name + "_jac"]), labels["ivp"],
                             convert=final))
    rows = measure(entries, reference[:-1], repeats, TOLERANCE)
    for entry, row in zip(entries, rows):
        row.extras["calls"] = f"{int(entry.call()[-1]):,}" if row.ok else ""
    return Section(f"ivp-{name}-{method.lower()}", f"solve_ivp: {name}, {method}, with the Jacobian",
                   f"solve_ivp({name}, (0, {t_end:g}), method={method!r}, jac=..., rtol=1e-8, "
                   "atol=1e-10) end to end; the final state checked against the numpy run.",
                   rows, baseline="numpy (by hand)", reference="the numpy run", chart=False,
                   tolerance=TOLERANCE)


def _minimize_section(n, method, repeats, others):
    from scipy import optimize
    f = px.jit(rosen)
    x0 = np.full(n, -1.0)
    x0[::2] = 1.5
    kinds = {"trust-ncg": ("hessp", f.hessp(), optimize.rosen_hess_prod),
             "trust-exact": ("hess", f.hessian(), optimize.rosen_hess)}
    keyword, ours, theirs = kinds[method]

    def solve(fun, jac, second):
        return optimize.minimize(fun, x0, method=method, jac=jac, **{keyword: second},
                                 options={"gtol": 1e-10}).x
    entries = [Entry("pyexpr", lambda: solve(f, f.grad(), ours), f"f, grad, {keyword}"),
               Entry("numpy", lambda: solve(optimize.rosen, optimize.rosen_der, theirs),
                     "scipy's rosen, rosen_der, " + theirs.__name__)]
    for peer, (fns, labels) in others.items():
        entries.append(Entry(peer, lambda fns=fns: solve(fns["rosen"], fns["rosen_der"], fns[theirs.__name__]),
                             labels["minimize"]))
    return Section(f"minimize-{method}-{n}", f"minimize: Rosenbrock, n = {n}, {method}",
                   f"scipy.optimize.minimize(rosen, x0, method={method!r}, jac=..., {keyword}=...) "
                   "end to end; the minimizer checked against scipy's own functions' run.",
                   measure(entries, solve(optimize.rosen, optimize.rosen_der, theirs), repeats, TOLERANCE),
                   baseline="numpy (scipy's rosen, rosen_der, " + theirs.__name__ + ")",
                   reference="scipy's functions", chart=False, tolerance=TOLERANCE)


def _least_squares_section(repeats):
    from scipy.optimize import least_squares
    f = px.jit(decay)
    f_jac = f.jacobian(wrt="p")
    p0 = np.array([1.0, 1.0, 0.0])
    fit = lambda fun, jac: least_squares(fun, p0, jac=jac, x_scale="jac").x
    entries = [Entry("pyexpr", lambda: fit(f, f_jac), "residuals, jacobian(wrt='p')"),
               Entry("numpy", lambda: fit(decay, decay_jac_numpy), "by hand")]
    return Section("least-squares", "least_squares: a decay fitted to 2,000 points, with the Jacobian",
                   "scipy.optimize.least_squares(res, p0, jac=..., x_scale='jac') end to end; the "
                   "fitted parameters checked against the numpy run.",
                   measure(entries, fit(decay, decay_jac_numpy), repeats, TOLERANCE),
                   baseline="numpy (by hand)", reference="the numpy run", chart=False, tolerance=TOLERANCE)


def _quad_section(repeats, others):
    from scipy import LowLevelCallable, integrate
    f = px.jit(integrand)
    low = LowLevelCallable(f.ctypes)
    quad = lambda fn: integrate.quad(fn, -20.0, 20.0, limit=200, epsabs=1e-13, epsrel=1e-13)[0]
    entries = [Entry("pyexpr", lambda: quad(low), "f.ctypes as a LowLevelCallable"),
               Entry("python", lambda: quad(integrand), "the Python function")]
    for peer, (fns, labels) in others.items():
        entries.append(Entry(peer, lambda fns=fns: quad(fns["quad"]), labels["quad"]))
    return Section("quad", "quad: a smooth integrand over [-20, 20]",
                   "scipy.integrate.quad to 1e-13, pyexpr's compiled function called by quad's C "
                   "loop against the Python function.", measure(entries, quad(integrand), repeats,
                                                                TOLERANCE),
                   baseline="python (the Python function)", reference="the Python function", chart=False,
                   tolerance=TOLERANCE)


def scipy_sections(sizes, peers):
    try:
        import scipy  # noqa: F401
    except ImportError as error:
        return [Section("scipy", "scipy's loops", f"not run: {error}",
                        [Row("pyexpr", "pyexpr", "1", status=f"failed: {error}")], baseline=None)]
    repeats = sizes.repeats
    others = {peer: (module.compiled(peers.get(peer), sizes.minimize_sizes), module.LABELS)
              for peer, module in (("numba", scipy_numba), ("jax", scipy_jax)) if peers.get(peer)}
    sections = [_ivp_section(name, method, repeats, others) for name in PROBLEMS for method in ("Radau", "BDF")]
    sections += [_minimize_section(n, "trust-ncg", repeats, others) for n in sizes.minimize_sizes]
    sections += [_minimize_section(sizes.minimize_sizes[0], "trust-exact", repeats, others),
                 _least_squares_section(repeats), _quad_section(repeats, others)]
    return sections
