"""JAX's entries of the scipy loops (``scipy_loops``): the functions as a JAX user writes
them, ``jax.numpy`` under ``jax.jit``, their derivatives from JAX's transforms
(``jacfwd`` for the Jacobians, ``grad``, a Hessian-vector product as the
forward derivative of the gradient, ``hessian``), each result handed to scipy as
a numpy array; compiled before they are timed.  JAX runs on the CPU, in float64."""
import numpy as np

#: the entries' notes in the report, per section kind
LABELS = {"ivp": "jax.jit, jacfwd", "minimize": "jax.jit of grad, hvp / hessian",
          "quad": "jax.jit function, called by quad per point"}


def compiled(jax, minimize_sizes):
    """``{name: function}`` as ``scipy_numba.compiled`` gives them (``quad`` the callable
    handed to ``quad``), JAX's, compiled for the Rosenbrock sizes ``minimize_sizes``."""
    jnp = jax.numpy
    mu = 1000.0

    def robertson(t, y):
        a, b, c = y[0], y[1], y[2]
        return jnp.stack([-0.04 * a + 1e4 * b * c, 0.04 * a - 1e4 * b * c - 3e7 * b**2, 3e7 * b**2])

    def vanderpol(t, y):
        u, v = y[0], y[1]
        return jnp.stack([v, mu * (1 - u**2) * v - u])

    def rosen(x):
        return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)

    def integrand(x):
        return jnp.exp(-x * x) * jnp.cos(3 * x) / (1 + x * x)

    gradient = jax.grad(rosen)
    made = {"robertson": jax.jit(robertson), "robertson_jac": jax.jit(jax.jacfwd(robertson, argnums=1)),
            "vanderpol": jax.jit(vanderpol), "vanderpol_jac": jax.jit(jax.jacfwd(vanderpol, argnums=1)),
            "rosen": jax.jit(rosen), "rosen_der": jax.jit(gradient),
            "rosen_hess_prod": jax.jit(lambda x, p: jax.jvp(gradient, (x,), (p,))[1]),
            "rosen_hess": jax.jit(jax.hessian(rosen))}
    as_numpy = {name: _numpy(fn) for name, fn in made.items()}
    jitted_integrand = jax.jit(integrand)
    as_numpy["quad"] = lambda x: float(jitted_integrand(x))
    _warm(as_numpy, minimize_sizes)
    return as_numpy


def _numpy(fn):
    def call(*args):
        return np.asarray(fn(*args))
    return call


def _warm(fns, sizes):
    """Compile each for the shapes the sections call it with (JAX compiles per shape)."""
    y3, y2 = np.array([1.0, 0.0, 0.0]), np.array([2.0, 0.0])
    for name, args in (("robertson", (0.0, y3)), ("robertson_jac", (0.0, y3)), ("vanderpol", (0.0, y2)),
                       ("vanderpol_jac", (0.0, y2))):
        fns[name](*args)
    for n in sizes:
        x = np.linspace(0.5, 1.5, n)
        for name, args in (("rosen", (x,)), ("rosen_der", (x,)), ("rosen_hess_prod", (x, np.ones(n)))):
            fns[name](*args)
    fns["rosen_hess"](np.linspace(0.5, 1.5, sizes[0]))
    fns["quad"](0.5)
