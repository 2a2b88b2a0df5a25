"""numba's entries of the scipy loops (``scipy_loops``): the same functions as a numba
user writes them, ``@njit`` (the Rosenbrock derivatives as loops), and the integrand
as a ``@cfunc`` for ``LowLevelCallable``; compiled before they are timed."""
import math

import numpy as np

#: the entries' notes in the report, per section kind
LABELS = {"ivp": "@njit by hand", "minimize": "@njit loops by hand", "quad": "@cfunc as a LowLevelCallable"}


def robertson(t, y):
    a, b, c = y[0], y[1], y[2]
    return np.array([-0.04 * a + 1e4 * b * c, 0.04 * a - 1e4 * b * c - 3e7 * b**2, 3e7 * b**2])


def robertson_jac(t, y):
    b, c = y[1], y[2]
    return np.array([[-0.04, 1e4 * c, 1e4 * b],
                     [0.04, -1e4 * c - 6e7 * b, -1e4 * b],
                     [0.0, 6e7 * b, 0.0]])


MU = 1000.0


def vanderpol(t, y):
    u, v = y[0], y[1]
    return np.array([v, MU * (1 - u**2) * v - u])


def vanderpol_jac(t, y):
    u, v = y[0], y[1]
    return np.array([[0.0, 1.0], [-2 * MU * u * v - 1, MU * (1 - u**2)]])


def rosen(x):
    total = 0.0
    for i in range(x.shape[0] - 1):
        total += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return total


def rosen_der(x):
    n = x.shape[0]
    der = np.zeros(n)
    for i in range(n - 1):
        d = x[i + 1] - x[i] ** 2
        der[i] += -400.0 * x[i] * d - 2.0 * (1.0 - x[i])
        der[i + 1] += 200.0 * d
    return der


def rosen_hess_prod(x, p):
    n = x.shape[0]
    hp = np.zeros(n)
    for i in range(n):
        diagonal = 2.0 if i < n - 1 else 0.0
        if i < n - 1:
            diagonal += 1200.0 * x[i] ** 2 - 400.0 * x[i + 1]
            hp[i] += -400.0 * x[i] * p[i + 1]
        if i > 0:
            diagonal += 200.0
            hp[i] += -400.0 * x[i - 1] * p[i - 1]
        hp[i] += diagonal * p[i]
    return hp


def rosen_hess(x):
    n = x.shape[0]
    h = np.zeros((n, n))
    for i in range(n):
        diagonal = 0.0
        if i < n - 1:
            diagonal += 1200.0 * x[i] ** 2 - 400.0 * x[i + 1] + 2.0
            h[i, i + 1] = h[i + 1, i] = -400.0 * x[i]
        if i > 0:
            diagonal += 200.0
        h[i, i] = diagonal
    return h


def integrand(x):
    return math.exp(-x * x) * math.cos(3 * x) / (1 + x * x)


def compiled(numba, minimize_sizes=()):
    """The functions above, compiled: ``{name: function}`` (``quad`` the integrand as a
    ``cfunc``'s ``LowLevelCallable``)."""
    jitted = {name: numba.njit(fn) for name, fn in (
        ("robertson", robertson), ("robertson_jac", robertson_jac), ("vanderpol", vanderpol),
        ("vanderpol_jac", vanderpol_jac), ("rosen", rosen), ("rosen_der", rosen_der),
        ("rosen_hess_prod", rosen_hess_prod), ("rosen_hess", rosen_hess))}
    x, p, y3, y2 = np.linspace(0.5, 1.5, 5), np.ones(5), np.array([1.0, 0.0, 0.0]), np.array([2.0, 0.0])
    for name, args in (("robertson", (0.0, y3)), ("robertson_jac", (0.0, y3)), ("vanderpol", (0.0, y2)),
                       ("vanderpol_jac", (0.0, y2)), ("rosen", (x,)), ("rosen_der", (x,)),
                       ("rosen_hess_prod", (x, p)), ("rosen_hess", (x,))):
        jitted[name](*args)                     # compiled here, not in the timing
    from scipy import LowLevelCallable
    jitted["quad"] = LowLevelCallable(numba.cfunc("float64(float64)")(integrand).ctypes)
    return jitted
