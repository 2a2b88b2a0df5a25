"""Logistic regression over a data matrix, fitted by Newton's method with exact derivatives.

The negative log-likelihood of labels y in {-1, 1} given features X and weights w,

    L(w) = sum_i log(1 + exp(-y_i * (X w)_i)) + (lambda / 2) |w|^2,

is written as numpy code over the module-level arrays X and y; pyexpr reads them as data
(a sum over the rows, the weights' length fixed by X's columns), prints the gradient in
index notation, and compiles the loss, the gradient and the Hessian-vector product as
loops.  The script fits the weights three ways: Newton's method written out here
with the exact Hessian (pyexpr's, from hessp), scipy's Newton-CG fed grad and hessp,
and scipy's L-BFGS with the gradient alone; all three must agree.
Run:  python examples/logistic_regression.py
"""
import numpy as np
from scipy.optimize import minimize

import pyexpr as px

RNG = np.random.default_rng(0)
TRUE_W = np.array([1.5, -2.0, 0.5, 0.0, 1.0])
X = RNG.normal(size=(2000, 5))
Y = np.where(RNG.random(2000) < 1 / (1 + np.exp(-X @ TRUE_W)), 1.0, -1.0)
LAM = 0.1


@px.jit
def loss(w):
    """Penalized negative log-likelihood of the labels Y given the features X."""
    return np.sum(np.log1p(np.exp(-Y * (X @ w)))) + 0.5 * LAM * np.dot(w, w)


grad = loss.grad()
hessp = loss.hessp()
hessian = loss.hessian()


def newton(w, steps=8):
    """Newton's method with the exact gradient and Hessian; the gradient norm per step."""
    norms = []
    for _ in range(steps):
        g = grad(w)
        norms.append(np.linalg.norm(g))
        w = w - np.linalg.solve(hessian(w), g)
    return w, norms


def main():
    print(loss)
    print(grad)
    w, norms = newton(np.zeros(5))
    print("\nNewton's method, |gradient| per step: " + ", ".join(f"{n:.1e}" for n in norms))
    cg = minimize(loss, np.zeros(5), jac=grad, hessp=hessp, method="Newton-CG", options={"xtol": 1e-12})
    bfgs = minimize(loss, np.zeros(5), jac=grad, method="L-BFGS-B", options={"gtol": 1e-10})
    print(f"weights (Newton):      {np.array2string(w, precision=6)}")
    print(f"weights (Newton-CG):   {np.array2string(cg.x, precision=6)}")
    print(f"weights (L-BFGS):      {np.array2string(bfgs.x, precision=6)}")
    print(f"largest difference: {max(np.abs(w - cg.x).max(), np.abs(w - bfgs.x).max()):.1e}")


if __name__ == "__main__":
    main()
