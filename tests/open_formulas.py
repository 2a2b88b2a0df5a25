"""Functions of vectors and matrices of any length, as a scientist writes them with numpy:
shared by the tests of the LLVM loops and of their CUDA C."""
import numpy as np

import pyexpr as px


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1]**2.0)**2.0 + (1 - x[:-1])**2.0)


def nll(mu, sigma, data):
    return np.sum(0.5 * ((data - mu) / sigma)**2 + np.log(sigma)) + 0.5 * len(data) * np.log(2 * np.pi)


def dot_mean(x, y):
    return x @ y + np.dot(x, x) / len(x) - np.mean(y) + x[0] * y[-1]


def running(x):
    t = 1.0
    for xi in x:
        t *= 1 + 0.01 * xi
    return t


def residuals(p, t: px.Vector, y: px.Vector):
    a, b, c = p
    return a * np.exp(-b * t) + c - y


def pair_energy(x):
    total = 0.0
    for i in range(len(x)):
        for k in range(len(x)):
            total += 1.0 / (1.0 + (x[i] - x[k])**2)
    return total


def below_diagonal(x):
    total = 0.0
    for i in range(len(x)):
        for k in range(i):
            total += (x[i] - x[k])**2
    return total


def quadratic_form(x, A: px.Matrix):
    return x @ A @ x


def linear_residuals(A: px.Matrix, x, b: px.Vector):
    return A @ x - b


def least_squares(x, A: px.Matrix, b: px.Vector):
    return np.sum((A @ x - b)**2)


def cumulative_energy(x):
    return np.sum(np.cumsum(x)**2)


def even_energy(x):
    return np.sum(np.exp(-x[::2]) * x[::2]**2)


def extended_rosen(x):
    """The extended Rosenbrock function (More, Garbow and Hillstrom): pairs (x[2k], x[2k+1])."""
    return np.sum(100 * (x[1::2] - x[::2]**2)**2 + (1 - x[::2])**2)


def softmax_rows(A: px.Matrix):
    """A matrix output: each row's softmax, its sum once per row."""
    return np.exp(A) / np.sum(np.exp(A), axis=1, keepdims=True)


def row_centred(A: px.Matrix, w: px.Vector):
    """Each row less its mean, times w: the row's mean is a sum inside the row's sum."""
    return (A - A.mean(axis=1, keepdims=True)) @ w


def stepped_residuals(x):
    """A vector output over a slice with a step: its length is ceiling((n - 1)/2)."""
    return 10 * (x[1::2] - x[::2]**2)


def product_of(A: px.Matrix, B: px.Matrix):
    """A matrix output whose cells are sums along both of its indices."""
    return np.exp(A @ B / 4)


def factorization(U: px.Matrix, V: px.Matrix, R: px.Matrix):
    """A sum three deep: U @ V.T inside the double sum (a temporary matrix)."""
    return np.sum((R - U @ V.T)**2)


def kernel(x: px.Vector, ell, sigma):
    """A Gaussian process's squared-exponential covariance: a matrix output of scalars too."""
    d = x[:, None] - x[None, :]
    return sigma**2 * np.exp(-0.5 * d**2 / ell**2)


def periodic_heat(u):
    """A periodic stencil: numpy's rolls."""
    return np.roll(u, 1) - 2*u + np.roll(u, -1)


def gaussian_bumps(x: px.Vector):
    """A table of rows written in the function (data), a local computed from it."""
    centres = np.array([[0.0, 0.5, 1.0], [1.0, 0.5, 0.0]])
    d = x - centres
    return np.sum(np.exp(-np.sum(d**2, axis=1)))


def stable_logsumexp(x):
    """log(sum(exp(x))) without overflow: the largest element taken out first."""
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def spread(x):
    """Extremes of a vector of any length: numpy's max and min, an infinity norm."""
    return x.max() - np.min(x[1:]) + 0.5 * np.linalg.norm(x, np.inf)


def heat_rhs(t, u):
    """The method of lines as written: an array filled slice by slice, its ends apart."""
    du = np.zeros_like(u)
    du[1:-1] = (u[2:] - 2*u[1:-1] + u[:-2]) * 100.0
    du[0] = (u[1] - 2*u[0]) * 100.0 + t
    du[-1] = (u[-2] - 2*u[-1]) * 100.0
    return du


def brusselator(t, y):
    """Two species packed in one state, split at half its length (the code runs at even
    lengths only)."""
    n = len(y) // 2
    u, v = y[:n], y[n:]
    du = 1.0 + u**2 * v - 4.0 * u + t
    dv = 3.0 * u - u**2 * v
    return np.concatenate([du, dv])


def halves(x):
    """Bounds at a third and a quarter of the length, any length."""
    q = len(x) // 4
    return np.sum(x[q:len(x) - q] ** 2) - np.sum(np.sin(x[: len(x) // 3])) + x[-(len(x) // 3) - 1]


def quarters(x):
    """A slice between two divisions of the length (a bound chaining them) and one at
    the length's remainder."""
    return np.sum(x[len(x) // 4:len(x) // 2] ** 2) + np.sum(x[len(x) // 3:2 * len(x) // 3]) + x[len(x) % 2]


def drawdown(x):
    """Maxima over ranges that move with the loop (prefix maxima), and sums over slices
    that do."""
    total = 0.0
    for i in range(len(x)):
        total += np.max(x[:i + 1]) - x[i]
    return total + 0.1 * sum(np.sum(x[i:i + 3] ** 2) for i in range(len(x) - 2))


def product_of_all(x):
    return np.prod(x)


def schwefel_2_22(x):
    return np.sum(np.abs(x)) + np.prod(np.abs(x))


def griewank(x):
    i = np.arange(1, len(x) + 1)
    return np.sum(x**2) / 4000 - np.prod(np.cos(x / np.sqrt(i))) + 1


def product_of_steps(x):
    return np.prod(x[1:] - x[:-1])


def windowed_products(x):
    return sum(np.prod(x[i:i + 3]) for i in range(len(x) - 2))


def reversed_product(x):
    return np.prod(x[::-1] + x)


def even_product(x):
    return np.prod(x[::2])


def even_squares(x):
    return np.sum(x[::2]**2)


def masked_mean(x):
    return np.mean((x > 1)*x)


def masked_even_sum(x):
    return np.sum(x[::2] * (x[::2] > 1))
