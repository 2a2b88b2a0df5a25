"""Robertson's stiff chemical kinetics, written as solve_ivp wants it: rhs(t, y).

Three species react at rates eleven orders of magnitude apart (Robertson 1966):

    A -> B          0.04
    B + B -> C + B  3e7
    B + C -> A + C  1e4

so the concentrations y = (a, b, c) obey

    a' = -0.04 a + 1e4 b c
    b' =  0.04 a - 1e4 b c - 3e7 b^2
    c' =  3e7 b^2

The right-hand side below is plain Python of a vector y (unpacked into its three
components), decorated with pyexpr; ``rober.jacobian(wrt="y")`` is the exact
3 x 3 Jacobian, printed and compiled, which Radau and BDF take as ``jac=``.  The
script integrates to t = 4e10 (the classic test runs that far: b settles near
2e-13, a decays like 1/t), compares the work with scipy's finite-difference
Jacobian, and checks that a + b + c stays 1 (the reactions conserve mass) and
that the exact-Jacobian result agrees with a tight-tolerance reference run.
Run:  python examples/robertson.py
"""
import time

import numpy as np
from scipy.integrate import solve_ivp

import pyexpr as px

Y0 = [1.0, 0.0, 0.0]
T_END = 4e10


@px.jit
def rober(t, y):
    """Robertson's reaction rates."""
    a, b, c = y
    return (-0.04 * a + 1e4 * b * c,
            0.04 * a - 1e4 * b * c - 3e7 * b**2,
            3e7 * b**2)


jacobian = rober.jacobian(wrt="y")


def solve(method, jac, rtol=1e-6, atol=1e-10):
    start = time.perf_counter()
    result = solve_ivp(rober, (0.0, T_END), Y0, method=method, jac=jac, rtol=rtol,
                       atol=[1e-8, 1e-14, 1e-6] if atol is None else atol)
    return result, time.perf_counter() - start


def main():
    print(rober)
    print(jacobian)
    print()
    print(f"{'solver':7s} {'Jacobian':22s} {'steps':>6s} {'rhs calls':>9s} {'jac calls':>9s} {'seconds':>8s}")
    results = {}
    for method in ("Radau", "BDF"):
        for label, jac in (("exact (pyexpr)", jacobian), ("finite differences", None)):
            result, seconds = solve(method, jac, atol=None)
            assert result.success, result.message
            results[method, label] = result
            print(f"{method:7s} {label:22s} {result.t.size - 1:6d} {result.nfev:9d} "
                  f"{result.njev:9d} {seconds:8.3f}")
    reference, _ = solve("Radau", jacobian, rtol=1e-10, atol=[1e-12, 1e-20, 1e-12])
    final = results["Radau", "exact (pyexpr)"].y[:, -1]
    print()
    print(f"y(4e10) = {final[0]:.6e} {final[1]:.6e} {final[2]:.6e}")
    print(f"reference {reference.y[0, -1]:.6e} {reference.y[1, -1]:.6e} {reference.y[2, -1]:.6e}")
    print(f"largest relative difference from the reference: "
          f"{np.max(np.abs(final - reference.y[:, -1]) / np.abs(reference.y[:, -1])):.2e}")
    print(f"mass a + b + c - 1 at the end: {final.sum() - 1:.2e}")


if __name__ == "__main__":
    main()
