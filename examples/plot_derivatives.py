"""The Lennard-Jones potential, its force and its curvature, plotted.

Two neutral atoms at distance r interact through the Lennard-Jones potential

    V(r) = 4 eps ((sigma / r)^12 - (sigma / r)^6)

(Pauli repulsion at short range, van der Waals attraction at long range).
Its first derivative is minus the force between the atoms, F = -V'(r); its
second derivative at the minimum r_min = 2^(1/6) sigma is the spring constant
k = V''(r_min) = 36 * 2^(2/3) eps / sigma^2 of small vibrations of the pair.

pyexpr derives V' and V'' as formulas (printed below), evaluates all three on
a grid, finds the minimum by Newton's method on V', and draws the three
curves one above the other into a PNG.  Units: eps = sigma = 1 (argon:
eps = 0.997 kJ/mol, sigma = 3.40 angstrom).
Run:  python examples/plot_derivatives.py [OUTPUT.png]     (default: ./lennard_jones.png)
"""
import sys
from pathlib import Path

import numpy as np

import pyexpr as px

EPS, SIGMA = 1, 1


@px.jit
def V(r):
    """Lennard-Jones pair potential."""
    return 4 * EPS * ((SIGMA / r) ** 12 - (SIGMA / r) ** 6)


dV = V.diff("r")          # dV_dr: minus the force
d2V = V.diff("r", 2)      # d2V_dr2: the curvature


def minimum(start=1.0, tol=1e-15):
    """The r where V'(r) = 0, by Newton's method on V' with V'' as its derivative."""
    r = start
    for _ in range(100):
        step = dV(r) / d2V(r)
        r -= step
        if abs(step) < tol:
            return r
    raise RuntimeError("Newton's method did not converge")


def plot(path, r, curves, r_min):
    """Draw ``curves`` (label -> (values on ``r``, y-limits)) stacked, save a PNG at ``path``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(len(curves), 1, sharex=True, figsize=(6, 7))
    for ax, (label, (values, limits)) in zip(axes, curves.items()):
        ax.plot(r, values)
        ax.axhline(0.0, color="grey", linewidth=0.5)
        ax.axvline(r_min, color="grey", linestyle="--", linewidth=0.8)
        ax.set_ylabel(label)
        ax.set_ylim(*limits)
    axes[0].set_title("Lennard-Jones potential and its derivatives (eps = sigma = 1)")
    axes[-1].set_xlabel("r / sigma")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0] if argv else "lennard_jones.png")
    for formula in (V, dV, d2V):
        print(formula)
    print(f"\nLaTeX of V'':\n{d2V.latex()}\n")
    r_min = minimum()
    print(f"r_min = {r_min:.12f}   (2^(1/6) = {2 ** (1 / 6):.12f})")
    print(f"V(r_min) = {V(r_min):.12f}   (exact: -1)")
    print(f"k = V''(r_min) = {d2V(r_min):.10f}   (exact: 36 * 2^(2/3) = {36 * 2 ** (2 / 3):.10f})")
    r = np.linspace(0.9, 3.0, 2000)
    curves = {"V(r)": (V(r), (-1.2, 1.0)), "V'(r) = -F(r)": (dV(r), (-6.0, 4.0)),
              "V''(r)": (d2V(r), (-10.0, 80.0))}
    plot(path, r, curves, r_min)
    print(f"\nfigure saved to {path}")


if __name__ == "__main__":
    main()
