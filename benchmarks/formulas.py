"""The formulas the benchmarks compute, in each peer's own spelling.

Each elementwise workload is a ``Kernel``: the plain Python function (``math``
functions; pyexpr decorates it, numba compiles it), the same formula for an
array module ``xp`` (numpy or jax.numpy, as their users write it) and as a
numexpr string.  The gradient workload adds the gradient derived by hand;
the Hessian workload is a 10-argument function and its JAX form.
"""
from dataclasses import dataclass
from math import cos, exp, log, sin, sqrt
from typing import Callable


def linear(x, y):
    return 2.5 * x + y


def transcendental(x, y):
    return exp(-x**2) * sin(y) + cos(x * y)


def piecewise(x, y):
    return sqrt(x) * log(y) if x > 0.5 else x * y - 1


def transcendental_xp(xp, x, y):
    """``transcendental`` for an array module: numpy or jax.numpy."""
    return xp.exp(-x**2) * xp.sin(y) + xp.cos(x * y)


@dataclass(frozen=True)
class Kernel:
    key: str
    title: str
    kind: str
    python: Callable            # scalar Python (math module)
    xp: Callable                # (xp, x, y) -> array, for numpy and jax.numpy
    numexpr: str


KERNELS = (
    Kernel("linear", "2.5*x + y", "memory-bound", linear,
           lambda xp, x, y: 2.5 * x + y, "2.5*x + y"),
    Kernel("transcendental", "exp(-x**2)*sin(y) + cos(x*y)", "transcendental", transcendental,
           transcendental_xp, "exp(-x**2)*sin(y) + cos(x*y)"),
    Kernel("piecewise", "sqrt(x)*log(y) if x > 0.5 else x*y - 1", "piecewise", piecewise,
           lambda xp, x, y: xp.where(x > 0.5, xp.sqrt(x) * xp.log(y), x * y - 1),
           "where(x > 0.5, sqrt(x)*log(y), x*y - 1)"),
)


def transcendental_grad_python(x, y):
    """The gradient of ``transcendental``, derived by hand (for numba)."""
    e = exp(-x**2)
    s = sin(x * y)
    return -2.0 * x * e * sin(y) - y * s, e * cos(y) - x * s


def transcendental_grad_numpy(np, x, y):
    """The same with numpy, shared terms computed once: a (2, N) array."""
    e = np.exp(-x**2)
    s = np.sin(x * y)
    return np.stack([-2.0 * x * e * np.sin(y) - y * s, e * np.cos(y) - x * s])


def chain10(x0, x1, x2, x3, x4, x5, x6, x7, x8, x9):
    """A 10-argument test function with a dense Hessian: log(1 + |x|^2) + sum sin(x_i x_{i+1})."""
    xs = (x0, x1, x2, x3, x4, x5, x6, x7, x8, x9)
    return log(1 + sum(xs[i] ** 2 for i in range(10))) + sum(sin(xs[i] * xs[i + 1]) for i in range(9))


def chain10_vector(np, v):
    """``chain10`` of one vector ``v`` of length 10 (for jax.hessian)."""
    return np.log(1 + np.sum(v**2)) + np.sum(np.sin(v[:-1] * v[1:]))
