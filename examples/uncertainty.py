"""Propagating measurement uncertainty: g from a pendulum, with its error bar.

A pendulum of length L swinging with a small amplitude theta0 has period
T = 2 pi sqrt(L / g) (1 + theta0^2 / 16 + ...), so a measurement of L, T and
theta0 gives

    g = 4 pi^2 L (1 + theta0^2 / 16)^2 / T^2.

Each measured quantity x_i has a standard uncertainty sigma_i.  For small,
independent errors the first-order ("delta method", GUM) uncertainty of a
result f is

    sigma_f = sqrt( sum_i (df/dx_i * sigma_i)^2 ).

``propagate(f)`` builds that formula from ``f.grad()``: a new pyexpr Formula
of the measured values and their uncertainties, printed here as text and
LaTeX (ready for a lab report) and compiled.  A Monte Carlo simulation, a
million draws of (L, T, theta0) evaluated with the compiled g, checks the
linear propagation.
Run:  python examples/uncertainty.py
"""
from math import pi

import numpy as np
import sympy

import pyexpr as px

# A student's measurement: length to the bob's centre, period timed over 20 swings.
MEASURED = {"L": (1.0000, 0.0010),        # m
            "T": (2.0064, 0.0050),        # s
            "theta0": (0.10, 0.02)}       # rad


@px.jit
def g(L, T, theta0):
    """Gravitational acceleration from a pendulum's length, period and amplitude."""
    return 4 * pi**2 * L * (1 + theta0**2 / 16) ** 2 / T**2


def propagate(formula):
    """The Formula ``sigma_<name>(x..., sigma_x...)`` of first-order error propagation.

    sigma = sqrt(sum_i (d formula / d x_i * sigma_x_i)^2) over every argument
    x_i, with the partials taken from ``formula.grad()``.
    """
    sigmas = [sympy.Symbol(f"sigma_{a.name}", positive=True) for a in formula.args]
    partials = formula.grad().outputs
    total = sympy.sqrt(sum((d * s) ** 2 for d, s in zip(partials, sigmas)))
    return px.from_sympy(total, [*formula.args, *sigmas], name=f"sigma_{formula.name}")


def monte_carlo(formula, measured, draws=1_000_000, seed=1):
    """Standard deviation of ``formula`` over normal draws of its measured arguments."""
    rng = np.random.default_rng(seed)
    samples = [rng.normal(mean, sd, draws) for mean, sd in measured.values()]
    return float(np.std(formula(*samples)))


def main():
    sigma_g = propagate(g)
    print(g)
    print(g.grad())
    print(sigma_g)
    print(f"\nLaTeX:\n{sigma_g.latex()}\n")

    values = [mean for mean, _ in MEASURED.values()]
    errors = [sd for _, sd in MEASURED.values()]
    for (name, (mean, sd)), partial in zip(MEASURED.items(), g.grad()(*values)):
        print(f"{name:7} = {mean:.4f} +/- {sd:.4f}   {'dg/d' + name:>10} = {partial:+10.5f}   "
              f"contribution {abs(partial) * sd:.6f} m/s^2")
    g_value, sigma = g(*values), sigma_g(*values, *errors)
    print(f"\ng       = {g_value:.6f} m/s^2")
    print(f"sigma_g = {sigma:.6f} m/s^2   (relative {sigma / g_value:.2e})")
    print(f"result: g = {g_value:.3f} +/- {sigma:.3f} m/s^2")
    simulated = monte_carlo(g, MEASURED)
    print(f"Monte Carlo (10^6 draws): sigma_g = {simulated:.6f} m/s^2 "
          f"(linear propagation differs by {abs(simulated - sigma) / sigma:.2%})")


if __name__ == "__main__":
    main()
