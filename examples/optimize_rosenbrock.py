"""Minimizing Rosenbrock's function with exact gradient and Hessian from pyexpr.

Rosenbrock's "banana" function

    f(x, y) = (a - x)^2 + b (y - x^2)^2,    a = 1, b = 100,

has its minimum f = 0 at (a, a^2) = (1, 1) at the bottom of a long, curved,
flat valley: a classic test of optimizers.  Second-order methods need the
gradient and the Hessian; writing them by hand is where bugs creep in.
pyexpr derives both symbolically (printed below) and compiles them, and they
plug straight into ``scipy.optimize.minimize`` as ``jac=`` and ``hess=``.

The script runs trust-exact and Newton-CG with the exact derivatives, and
BFGS with finite-difference gradients for comparison, from the textbook
start (-1.2, 1), and prints each minimizer and its cost in evaluations.
Run:  python examples/optimize_rosenbrock.py
"""
import numpy as np
from scipy.optimize import minimize

import pyexpr as px

A, B = 1, 100
START = np.array([-1.2, 1.0])


@px.jit
def rosenbrock(x, y):
    """Rosenbrock's banana function, minimum 0 at (1, 1)."""
    return (A - x) ** 2 + B * (y - x**2) ** 2


grad = rosenbrock.grad()          # out_shape (2,)
hess = rosenbrock.hessian()       # out_shape (2, 2)


def fun(v):
    """The objective in scipy's convention: one vector argument."""
    return rosenbrock(*v)


def jac(v):
    return grad(*v)


def hessian(v):
    return hess(*v)


def run(method, **derivatives):
    """``minimize`` from START with ``method``; the OptimizeResult."""
    return minimize(fun, START, method=method, tol=1e-12, **derivatives)


def main():
    print(rosenbrock)
    print(grad)
    print(hess.pretty())
    print(f"\nLaTeX of the Hessian:\n{hess.latex()}\n")
    runs = [("trust-exact", "exact gradient and Hessian", dict(jac=jac, hess=hessian)),
            ("Newton-CG", "exact gradient and Hessian", dict(jac=jac, hess=hessian)),
            ("BFGS", "finite-difference gradient", {})]
    print(f"{'method':12} {'derivatives':28} {'minimizer':>36} {'f':>9} {'nfev':>5} {'njev':>5} "
          f"{'nhev':>5}  converged")
    for method, label, derivatives in runs:
        r = run(method, **derivatives)
        x, y = r.x
        print(f"{method:12} {label:28} ({x:.12f}, {y:.12f}) {r.fun:9.1e} {r.nfev:5d} "
              f"{getattr(r, 'njev', 0):5d} {getattr(r, 'nhev', 0):5d}  "
              f"{'yes' if r.success else 'no: ' + r.message}")
    best = run("trust-exact", jac=jac, hess=hessian)
    if not best.success:
        raise SystemExit(f"trust-exact did not converge: {best.message}")
    error = float(np.max(np.abs(best.x - [A, A**2])))
    print(f"\nminimizer (trust-exact): x = {best.x[0]:.12f}, y = {best.x[1]:.12f}; "
          f"distance to (1, 1): {error:.1e}")
    print(f"Hessian at the minimum (condition number {np.linalg.cond(hess(*best.x)):.0f}):\n"
          f"{hess(*best.x)}")


if __name__ == "__main__":
    main()
