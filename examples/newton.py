"""Kepler's equation by Newton's method, with the exact derivative from pyexpr.

A body on an elliptic orbit of eccentricity e is, at a time t after
perihelion, at the *eccentric anomaly* E that solves Kepler's equation

    E - e sin(E) = M,        M = 2 pi t / P   (the mean anomaly, P the period).

It has no closed-form solution.  Newton's method

    E <- E - f(E) / f'(E),   f(E) = E - e sin(E) - M

converges quadratically; pyexpr gives f' = 1 - e cos(E) as a formula and
both f and f' compiled, so the iteration runs on a whole array of times at
once.  From E follow the true anomaly nu and the distance r = a (1 - e cos E).

This script solves it for Halley's comet (e = 0.967, a = 17.8 AU, P = 75.3
years), checks each root against scipy.optimize.brentq, and then solves a
million mean anomalies in one vectorized Newton loop.
Run:  python examples/newton.py
"""
import time
from math import sin

import numpy as np
from scipy.optimize import brentq

import pyexpr as px

ECCENTRICITY = 0.967      # Halley's comet
SEMI_MAJOR_AU = 17.8
PERIOD_YEARS = 75.3


@px.jit
def kepler(E, M, e):
    """Kepler's equation as a root-finding problem: zero at the eccentric anomaly."""
    return E - e * sin(E) - M


dkepler = kepler.diff("E")      # dkepler_dE(E, M, e) = 1 - e*cos(E), a new Formula


def solve(M, e, tol=1e-14, max_iter=50):
    """Eccentric anomaly for mean anomaly ``M`` (a float or an array): ``(E, iterations)``.

    Newton's method on ``kepler`` with ``kepler.diff("E")``; the start E = pi
    converges for every M in [0, 2 pi] and e < 1.
    """
    E = np.full_like(np.asarray(M, dtype=float), np.pi)
    for iteration in range(1, max_iter + 1):
        step = kepler(E, M, e) / dkepler(E, M, e)
        E = E - step
        if np.max(np.abs(step)) < tol:
            return E, iteration
    raise RuntimeError(f"Newton's method did not converge in {max_iter} iterations")


def position(E, e, a):
    """True anomaly (radians) and distance from the Sun for eccentric anomaly E."""
    nu = 2.0 * np.arctan2(np.sqrt(1 + e) * np.sin(E / 2), np.sqrt(1 - e) * np.cos(E / 2))
    return nu, a * (1 - e * np.cos(E))


def main():
    e = ECCENTRICITY
    print(kepler)
    print(dkepler)
    print(f"\nHalley's comet: e = {e}, a = {SEMI_MAJOR_AU} AU, P = {PERIOD_YEARS} years")
    print(f"{'years after perihelion':>24} {'M':>10} {'E (Newton)':>20} {'E (brentq)':>20} "
          f"{'|diff|':>8} {'r (AU)':>8}")
    worst = 0.0
    for years in (0.5, 2.0, 10.0, 37.65, 60.0, 74.0):
        M = 2 * np.pi * years / PERIOD_YEARS
        E, iterations = solve(M, e)
        E = float(E)
        reference = brentq(lambda v: v - e * np.sin(v) - M, 0.0, 2 * np.pi, xtol=1e-15)
        worst = max(worst, abs(E - reference))
        _, r = position(E, e, SEMI_MAJOR_AU)
        print(f"{years:24.2f} {M:10.6f} {E:20.15f} {reference:20.15f} {abs(E - reference):8.1e} "
              f"{r:8.3f}")
    print(f"largest |Newton - brentq| = {worst:.1e}")

    M = np.linspace(0.0, 2 * np.pi, 1_000_000)
    start = time.perf_counter()
    E, iterations = solve(M, e)
    elapsed = time.perf_counter() - start
    residual = np.max(np.abs(kepler(E, M, e)))
    print(f"\n{M.size:,} mean anomalies solved in {elapsed:.2f} s, {iterations} Newton steps, "
          f"max residual {residual:.1e}")
    _, r = position(E, e, SEMI_MAJOR_AU)
    print(f"perihelion {r.min():.3f} AU, aphelion {r.max():.3f} AU")


if __name__ == "__main__":
    main()
