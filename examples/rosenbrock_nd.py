"""Rosenbrock's function in n dimensions, as scipy writes it, for every n at once.

    f(x) = sum_{i=0}^{n-2} 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2

``scipy.optimize.rosen`` computes it with numpy slices.  Decorated with
``@px.jit``, the same code is one formula in an index: pyexpr prints it, its
gradient (one formula in ``j`` with the first and last elements as cases) and
its Hessian-vector product, and compiles each once, as loops, for every
length.  The script checks them against scipy's ``rosen``, ``rosen_der`` and
``rosen_hess_prod`` at n = 1,000,000, times them beside scipy's, and
minimizes at n = 100 with Newton-CG fed the exact gradient and ``hessp``.
Run:  python examples/rosenbrock_nd.py
"""
import time

import numpy as np
from scipy.optimize import minimize, rosen, rosen_der, rosen_hess_prod

import pyexpr as px


@px.jit
def rosenbrock(x):
    """scipy's rosen, line for line."""
    return np.sum(100.0 * (x[1:] - x[:-1]**2.0)**2.0 + (1 - x[:-1])**2.0)


grad = rosenbrock.grad()
hessp = rosenbrock.hessp()


def best_of(fn, *args, repeat=5):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    print(rosenbrock)
    print(grad)
    print(hessp)
    rng = np.random.default_rng(0)
    n = 10**6
    x, p = rng.uniform(-2, 2, n), rng.uniform(-1, 1, n)
    print(f"\nat n = {n}:")
    for name, ours, theirs, args in [("value", rosenbrock, rosen, (x,)),
                                     ("gradient", grad, rosen_der, (x,)),
                                     ("Hessian times p", hessp, rosen_hess_prod, (x, p))]:
        a, b = np.asarray(ours(*args)), np.asarray(theirs(*args))
        error = np.max(np.abs(a - b) / np.maximum(np.abs(b), 1.0))
        t_ours, t_theirs = best_of(ours, *args), best_of(theirs, *args)
        print(f"{name:16s} largest relative difference {error:.1e}; "
              f"pyexpr {t_ours * 1e3:7.2f} ms, scipy {t_theirs * 1e3:7.2f} ms")
    fit = minimize(rosenbrock, np.zeros(100), jac=grad, hessp=hessp, method="Newton-CG",
                   options={"xtol": 1e-12})
    print(f"\nNewton-CG at n = 100: {fit.nit} iterations, "
          f"largest |x - 1| = {np.max(np.abs(fit.x - 1)):.1e}, f = {fit.fun:.1e}")


if __name__ == "__main__":
    main()
