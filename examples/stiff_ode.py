"""A stiff ODE, the Van der Pol oscillator at mu = 1000, with an exact Jacobian.

Van der Pol's relaxation oscillator (a triode circuit; a model of heartbeats)

    y0' = y1
    y1' = mu (1 - y0^2) y1 - y0

is extremely stiff for large mu: slow drifts along a curve alternate with
jumps that take a time of order 1/mu.  Explicit solvers need steps of that
size everywhere; implicit ones (Radau, BDF) take long steps but solve a
linear system with the Jacobian d(y')/dy at every step.  pyexpr derives the
Jacobian symbolically from the right-hand side and compiles it, and
``scipy.integrate.solve_ivp`` takes it as ``jac=``.

The script integrates two periods with Radau and BDF, with the exact Jacobian
and with scipy's finite-difference one, prints the work each needed, and
measures the period from the zero crossings of y0: relaxation theory predicts
T = (3 - 2 ln 2) mu + 3 a mu^(-1/3) + O(log(mu)/mu), a = 2.3381 (the first zero
of the Airy function), about 1614.4 for mu = 1000.
Run:  python examples/stiff_ode.py
"""
import time
from math import log

import numpy as np
from scipy.integrate import solve_ivp

import pyexpr as px

MU = 1000.0
Y0 = (2.0, 0.0)
T_END = 2500.0
AIRY_ZERO = 2.338107410459767


@px.jit
def van_der_pol(y0, y1, mu):
    """Right-hand side of the Van der Pol system."""
    return y1, mu * (1 - y0**2) * y1 - y0


jacobian = van_der_pol.jacobian(wrt=("y0", "y1"))      # out_shape (2, 2)


def rhs(t, y):
    return van_der_pol(y[0], y[1], MU)


def jac(t, y):
    return jacobian(y[0], y[1], MU)


def downward_crossing(t, y):
    """Event: y0 crosses zero going down (once per period)."""
    return y[0]


downward_crossing.direction = -1


def predicted_period(mu):
    """The asymptotic relaxation period of Van der Pol's oscillator."""
    return (3 - 2 * log(2)) * mu + 3 * AIRY_ZERO * mu ** (-1 / 3) - 2 / 3 * log(mu) / mu


def integrate(method, exact_jacobian):
    """``(solution, seconds)`` for one run of solve_ivp over [0, T_END]."""
    start = time.perf_counter()
    sol = solve_ivp(rhs, (0.0, T_END), Y0, method=method, rtol=1e-6, atol=1e-9,
                    jac=jac if exact_jacobian else None, events=downward_crossing)
    if not sol.success:
        raise RuntimeError(f"{method} failed: {sol.message}")
    return sol, time.perf_counter() - start


def main():
    print(van_der_pol)
    print(jacobian)
    print(jacobian.pretty())
    print(f"\nmu = {MU:g}, y(0) = {Y0}, t in [0, {T_END:g}]\n")
    print(f"{'method':7} {'Jacobian':18} {'steps':>6} {'nfev':>7} {'njev':>5} {'nlu':>5} "
          f"{'time':>7}  period")
    periods = []
    for method in ("Radau", "BDF"):
        for exact in (True, False):
            sol, seconds = integrate(method, exact)
            crossings = sol.t_events[0]
            period = float(np.diff(crossings)[0])
            periods.append(period)
            print(f"{method:7} {'exact (pyexpr)' if exact else 'finite differences':18} "
                  f"{sol.t.size - 1:6d} {sol.nfev:7d} {sol.njev:5d} {sol.nlu:5d} "
                  f"{seconds:6.2f}s  {period:.4f}")
    predicted = predicted_period(MU)
    print(f"\nperiod measured (Radau, exact Jacobian): {periods[0]:.4f}")
    print(f"period predicted by relaxation theory:   {predicted:.4f} "
          f"(relative difference {abs(periods[0] - predicted) / predicted:.1e})")


if __name__ == "__main__":
    main()
