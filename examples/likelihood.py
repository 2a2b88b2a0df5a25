"""A maximum-likelihood fit over a data vector, with standard errors from the Hessian.

The negative log-likelihood of data under a normal distribution,

    nll(mu, sigma, data) = sum_i (data[i] - mu)^2 / (2 sigma^2) + log(sigma) + log(2 pi)/2,

is written once with numpy over the data vector, of any length.  pyexpr keeps
the sum a sum: its gradient by (mu, sigma) is two sums over the data, and the
Hessian by (mu, sigma) three more, all compiled as loops.  The fit minimizes
with the exact gradient, and the standard errors are the square roots of the
diagonal of the inverse Hessian at the optimum; for the normal distribution
they are known in closed form (sigma/sqrt(n) and sigma/sqrt(2n)), which the
script prints beside them.
Run:  python examples/likelihood.py
"""
import numpy as np
from scipy.optimize import minimize

import pyexpr as px


@px.jit
def nll(mu, sigma, data):
    """Negative log-likelihood of ``data`` under N(mu, sigma^2)."""
    return np.sum(0.5 * ((data - mu) / sigma)**2 + np.log(sigma)) + 0.5 * len(data) * np.log(2 * np.pi)


grad = nll.grad(wrt=("mu", "sigma"))
hess = nll.hessian(wrt=("mu", "sigma"))


def main():
    print(nll)
    print(grad)
    data = np.random.default_rng(1).normal(3.0, 2.0, 100_000)
    fit = minimize(lambda v: nll(v[0], v[1], data), [0.0, 1.0],
                   jac=lambda v: grad(v[0], v[1], data), method="L-BFGS-B",
                   bounds=[(None, None), (1e-6, None)])
    mu, sigma = fit.x
    h = hess(mu, sigma, data)
    errors = np.sqrt(np.diag(np.linalg.inv(h)))
    n = data.size
    print(f"\nmu    = {mu:.6f} +- {errors[0]:.6f}   (closed form {data.mean():.6f} +- {sigma / np.sqrt(n):.6f})")
    print(f"sigma = {sigma:.6f} +- {errors[1]:.6f}   (closed form {data.std():.6f} +- {sigma / np.sqrt(2 * n):.6f})")


if __name__ == "__main__":
    main()
