"""``python -m pyexpr demo``: what pyexpr is for, in one run of a few seconds.

A damped harmonic oscillator ``x(t) = A exp(-gamma t) cos(omega t + phi)``
is decorated with ``@px.jit``.  ``run(points)`` prints it as text, pretty
print and LaTeX; its gradient with respect to the fit parameters (what a
least-squares fitter needs) and its Hessian in (gamma, omega); the generated
Python of the velocity dx/dt; then evaluates the formula and the gradient on
``points`` values of t (default ``$PYEXPR_DEMO_N`` or 10**7), checks them
against hand-written numpy, prints both timings, the speedup and the largest
difference; then scipy's Rosenbrock of a vector of any length, its gradient in index
notation, timed against scipy's numpy code; and ends with where to read next.  It returns the exit status:
0, or 1 if pyexpr and numpy disagree.  No GPU is needed.
"""
import inspect
import os
import textwrap
import time
from math import cos, exp

import numpy as np

import pyexpr as px
from pyexpr.cpu.runtime.driver import thread_count

DEFAULT_POINTS = 10_000_000
PARAMS = {"A": 2.0, "gamma": 0.25, "omega": 3.0, "phi": 0.4}


@px.jit
def x(t, A, gamma, omega, phi):
    """Displacement of a damped harmonic oscillator at time t."""
    return A * exp(-gamma * t) * cos(omega * t + phi)


def numpy_x(t, A, gamma, omega, phi, out):
    """The oscillator, as one writes it in numpy."""
    np.multiply(A * np.exp(-gamma * t), np.cos(omega * t + phi), out=out)


def numpy_grad(t, A, gamma, omega, phi, out):
    """Its gradient in (A, gamma, omega, phi), derived by hand, shared terms computed once."""
    decay = np.exp(-gamma * t)
    phase = omega * t + phi
    c, s = decay * np.cos(phase), decay * np.sin(phase)
    out[0] = c
    np.multiply(-A * t, c, out=out[1])
    np.multiply(-A * t, s, out=out[2])
    np.multiply(-A, s, out=out[3])


def points_from_env():
    """The number of points: ``$PYEXPR_DEMO_N`` if set, else 10**7."""
    text = os.environ.get("PYEXPR_DEMO_N", "").replace("_", "")
    return int(text) if text.isdigit() and int(text) > 0 else DEFAULT_POINTS


def run(points=None):
    """Print the tour (see the module docstring); the exit status."""
    points = points or points_from_env()
    heading("pyexpr demo: a damped oscillator, as a formula")
    print("The plain Python function, decorated:\n")
    print(textwrap.indent(inspect.getsource(x.__wrapped__), "    "))
    show_formula()
    grad = show_derivatives()
    ok = show_speed(grad, points)
    ok &= show_vectors(points)
    read_next()
    return 0 if ok else 1


def heading(text):
    print(f"\n{text}\n{'=' * len(text)}")


def show_formula():
    heading("1. The formula")
    print(f"text:   {x}\n\npretty:\n{x.pretty()}\n\nLaTeX:  {x.latex()}")


def show_derivatives():
    """Print the gradient, Hessian and Python source; return the gradient Formula."""
    fit = tuple(PARAMS)
    grad = x.grad(wrt=fit)
    heading("2. Gradient in the fit parameters " + ", ".join(fit))
    for var in fit:
        print(x.diff(var))
    print(f"\nas one formula, in LaTeX:\n{grad.latex()}")
    hess = x.hessian(wrt=("gamma", "omega"))
    heading("3. Hessian in (gamma, omega)")
    print(f"{hess.pretty()}\n\nLaTeX:\n{hess.latex()}")
    heading("4. Generated Python for the velocity dx/dt (x.diff('t').python_source)")
    print(x.diff("t").python_source)
    return grad


def median_time(fn, repeats=3):
    """Median wall time of ``repeats`` calls of ``fn()``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def show_speed(grad, points):
    """Time pyexpr against numpy on ``points`` values; True when the results agree."""
    heading(f"5. Speed on {points:,} points (float64)")
    t = np.linspace(0.0, 20.0, points)
    p = tuple(PARAMS.values())
    start = time.perf_counter()
    x(t[:16], *p)
    grad(t[:16], *p)
    print(f"first calls, compiling both formulas to machine code (or loading them from the "
          f"disk cache): {time.perf_counter() - start:.3f} s")
    rows = [("x(t)", x, numpy_x, np.empty(points), np.empty(points)),
            ("gradient (4 x N)", grad, numpy_grad, np.empty((4, points)), np.empty((4, points)))]
    print(f"\n{'':18}{'pyexpr':>10}{'numpy':>10}{'speedup':>9}   max |difference|")
    ok = True
    for label, formula, reference, ours, theirs in rows:
        ours_s = median_time(lambda: formula(t, *p, out=ours))
        theirs_s = median_time(lambda: reference(t, *p, out=theirs))
        diff = float(np.max(np.abs(ours - theirs)))
        scale = float(np.max(np.abs(theirs)))
        agree = np.allclose(ours, theirs, rtol=1e-12, atol=1e-13 * scale)
        ok &= bool(agree)
        print(f"{label:18}{ours_s * 1e3:8.1f}ms{theirs_s * 1e3:8.1f}ms{theirs_s / ours_s:8.1f}x   "
              f"{diff:.1e} (of values up to {scale:.2g}){'' if agree else '  DISAGREE'}")
    print(f"\npyexpr ran on {thread_count(True)} thread(s) (set PYEXPR_NUM_THREADS); numpy on one. "
          f"Results {'agree' if ok else 'DO NOT agree'} to 1e-12 relative.")
    return ok


@px.jit
def rosen(v):
    """scipy.optimize.rosen, line for line: a vector of any length."""
    return np.sum(100.0 * (v[1:] - v[:-1]**2.0)**2.0 + (1 - v[:-1])**2.0)


def numpy_rosen_der(v):
    """scipy.optimize.rosen_der, as scipy writes it."""
    xm, xm_m1, xm_p1 = v[1:-1], v[:-2], v[2:]
    der = np.zeros_like(v)
    der[1:-1] = 200 * (xm - xm_m1**2) - 400 * (xm_p1 - xm**2) * xm - 2 * (1 - xm)
    der[0] = -400 * v[0] * (v[1] - v[0]**2) - 2 * (1 - v[0])
    der[-1] = 200 * (v[-1] - v[-2]**2)
    return der


def show_vectors(points):
    """A vector argument of any length: its sum, its gradient in index notation, timed."""
    heading("6. A vector of any length: scipy's Rosenbrock")
    print(textwrap.indent(inspect.getsource(rosen.__wrapped__), "    "))
    grad = rosen.grad()
    print(f"{rosen}\n\n{grad}\n")
    v = np.linspace(-1.0, 2.0, points)
    grad(v[:16])
    ours = median_time(lambda: grad(v))
    theirs = median_time(lambda: numpy_rosen_der(v))
    diff = float(np.max(np.abs(grad(v) - numpy_rosen_der(v))))
    scale = float(np.max(np.abs(numpy_rosen_der(v))))
    agree = diff <= 1e-12 * scale
    print(f"gradient at {points:,} points: pyexpr {ours * 1e3:.1f} ms, scipy's numpy "
          f"{theirs * 1e3:.1f} ms, {theirs / ours:.1f}x; max |difference| {diff:.1e} "
          f"(of values up to {scale:.2g}){'' if agree else '  DISAGREE'}")
    print("one compiled loop serves every length; the sum's order is fixed, so the bits are the "
          "same at any thread count")
    return agree


def read_next():
    heading("Where to read next")
    print("README.md, 'A short tour'          every Formula member and jit option\n"
          "README.md, 'What Python is accepted'  the Python subset, and the errors\n"
          "docs/cli.md                         python -m pyexpr show FILE.py:NAME --grad --latex\n"
          "examples/newton.py                  Kepler's equation by Newton's method\n"
          "examples/optimize_rosenbrock.py     scipy.optimize with exact gradient and Hessian\n"
          "examples/stiff_ode.py               stiff ODE (Van der Pol) with an exact Jacobian\n"
          "examples/uncertainty.py             propagating measurement uncertainty\n"
          "examples/plot_derivatives.py        a function and its derivatives, plotted\n"
          "examples/rosenbrock_nd.py           vectors of any length: Rosenbrock at n = 10^6\n"
          "examples/logistic_regression.py     a likelihood over a data matrix, Newton's method\n"
          "examples/reaction_diffusion.py      a PDE by the method of lines, its banded Jacobian\n"
          "python -m benchmarks                pyexpr against numpy, numexpr, numba, JAX, ...")
