"""Formulas the CUDA backend is tested on, shared by the host tests and tests/gpu.

``op_programs()`` has one Program per op of ``OPS`` (built directly, so every
op is certainly present); ``CASES`` are realistic formulas built from sympy
through ``Program.from_exprs``, each with an input domain and tolerances.
``sample(case, n, rng)`` draws inputs, with nan and inf mixed in;
``op_inputs(rng)`` pairs every special value with every other;
``reference(program, inputs, dtype)`` is the interpreter's answer in ``dtype``.
"""
import dataclasses
from dataclasses import dataclass, field

import numpy as np
import sympy
from sympy import Abs, And, Heaviside, Max, Min, Mod, Or, Piecewise, atan2, ceiling, cos, erf, erfc
from sympy import exp, floor, gamma, log, loggamma, pi, sign, sin, sqrt, tanh

from pyexpr.ir import from_exprs
from pyexpr import functions as pf
from pyexpr import libm
from pyexpr.ir.interp import evaluate
from pyexpr.ir.ops import OPS
from pyexpr.ir.program import Builder, Program

SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 2.0,
                     1e-300, -1e-300, 1e300, 710.0, -745.5, 1e-5, 7.25, -3.5])


def _op_program(op):
    b = Builder(2)
    x, y = 0, 1
    signature = OPS[op].args, OPS[op].result
    if signature == (("f",), "f"):
        out = b.emit(op, x)
    elif signature == (("f", "f"), "f"):
        out = b.emit(op, x, y)
    elif signature == (("f", "f", "f"), "f"):        # fma(x, y, x): every program takes x, y
        out = b.emit(op, x, y, x)
    elif signature == (("f", "f"), "b"):
        out = b.emit("select", b.emit(op, x, y), x, y)
    elif op == "not":
        out = b.emit("select", b.emit("not", b.emit("lt", x, y)), x, y)
    elif op in ("and", "or"):
        cond = b.emit(op, b.emit("lt", x, y), b.emit("gt", x, b.const(0.25)))
        out = b.emit("select", cond, x, y)
    elif op == "select":
        out = b.emit("select", b.emit("ge", x, b.const(1.0)), y, b.const(float("nan")))
    else:
        raise AssertionError(f"no test program for op {op}")
    return Program(f"op_{op}", ("x", "y"), tuple(b.instrs), (out,)).check()


def op_programs():
    """{op: Program using it on arguments (x, y)} for every op except ``arg``/``const``."""
    return {op: _op_program(op) for op in OPS if op not in ("arg", "const")}


@dataclass
class Case:
    """A realistic formula: outputs of ``args``, a box domain, tolerances per dtype."""
    name: str
    args: str
    outputs: object                       # function of the Symbols -> expression or tuple
    domain: dict = field(default_factory=dict)    # arg name -> (lo, hi); default (-3, 3)
    rtol64: float = 1e-11
    atol64: float = 1e-13
    rtol32: float = 2e-4
    atol32: float = 2e-5

    def program(self):
        syms = sympy.symbols(self.args, real=True, seq=True)
        outs = self.outputs(*syms)
        outs = outs if isinstance(outs, tuple) else (outs,)
        return from_exprs(self.name, syms, outs)


def _norm_cdf(z):
    return (1 + erf(z / sqrt(2))) / 2


def _black_scholes(S, K, T, r, v):
    d1 = (log(S / K) + (r + v**2 / 2) * T) / (v * sqrt(T))
    return S * _norm_cdf(d1) - K * exp(-r * T) * _norm_cdf(d1 - v * sqrt(T))


def _planck(lam, T):
    h, c, kB = 6.62607015e-34, 299792458.0, 1.380649e-23
    return 2 * h * c**2 / lam**5 / (exp(h * c / (lam * kB * T)) - 1)


def _haversine(la1, lo1, la2, lo2):
    a = sin((la2 - la1) / 2)**2 + cos(la1) * cos(la2) * sin((lo2 - lo1) / 2)**2
    return 2 * 6371.0 * sympy.asin(sqrt(a))


def _student_t(x, nu):
    return gamma((nu + 1) / 2) / (sqrt(nu * pi) * gamma(nu / 2)) * (1 + x**2 / nu)**(-(nu + 1) / 2)


def _bench_grad(x, y):
    f = exp(-x**2) * sin(y) + cos(x * y)
    return (sympy.diff(f, x), sympy.diff(f, y))


CASES = [
    Case("axpy", "x y", lambda x, y: 2.5 * x + y),
    Case("expsincos", "x y", lambda x, y: exp(-x**2) * sin(y) + cos(x * y)),
    Case("piecewise_bench", "x y", lambda x, y: Piecewise((sqrt(x) * log(y), x > 0.5), (x * y - 1, True)),
         {"x": (0, 2), "y": (0.1, 4)}, atol32=1e-4),
    Case("gaussian", "x mu s", lambda x, mu, s: exp(-(x - mu)**2 / (2 * s**2)) / (s * sqrt(2 * pi)),
         {"s": (0.5, 3)}),
    Case("black_scholes", "S K T r v", _black_scholes,
         {"S": (50, 150), "K": (50, 150), "T": (0.1, 2), "r": (0, 0.1), "v": (0.1, 0.5)},
         atol64=1e-10, atol32=5e-3),
    Case("planck", "lam T", _planck, {"lam": (2e-7, 3e-6), "T": (3000, 10000)}, atol64=0),
    Case("rosenbrock", "x y", lambda x, y: (1 - x)**2 + 100 * (y - x**2)**2, {}, atol32=1e-2),
    Case("sigmoid_softplus", "x", lambda x: (1 / (1 + exp(-x)), log(1 + exp(x))), {"x": (-20, 20)}),
    Case("polar", "r t", lambda r, t: (r * cos(t), r * sin(t)), {"r": (0, 5), "t": (-4, 4)}),
    Case("lennard_jones", "r eps s", lambda r, e, s: 4 * e * ((s / r)**12 - (s / r)**6),
         {"r": (0.9, 3), "eps": (0.5, 2), "s": (0.8, 1.2)}, atol32=1e-3),
    Case("damped", "t A g w phi", lambda t, A, g, w, p: A * exp(-g * t) * cos(w * t + p),
         {"t": (0, 10), "g": (0, 1), "w": (0, 6)}, atol32=1e-4),
    Case("hill", "x k n", lambda x, k, n: x**n / (k**n + x**n), {"x": (0.01, 5), "k": (0.5, 2), "n": (0.5, 4)}),
    Case("maxwell", "v a", lambda v, a: sqrt(2 / pi) * v**2 / a**3 * exp(-v**2 / (2 * a**2)),
         {"v": (0, 10), "a": (0.5, 3)}),
    Case("haversine", "la1 lo1 la2 lo2", _haversine, {k: (-1.5, 1.5) for k in ("la1", "lo1", "la2", "lo2")},
         rtol64=1e-9, atol32=0.5, rtol32=2e-3),
    Case("huber", "r d", lambda r, d: Piecewise((r**2 / 2, Abs(r) <= d), (d * (Abs(r) - d / 2), True)),
         {"d": (0.5, 2)}),
    Case("leaky_relu", "x", lambda x: Max(0, x) + 0.01 * Min(0, x)),
    Case("smoothstep", "x", lambda x: Piecewise((0, x < 0), (3 * x**2 - 2 * x**3, x <= 1), (1, True)),
         {"x": (-0.5, 1.5)}),
    Case("log_binomial", "n k", lambda n, k: loggamma(n + 1) - loggamma(k + 1) - loggamma(n - k + 1),
         {"n": (10, 50), "k": (0.5, 9.5)}, atol64=1e-11, atol32=1e-3),
    Case("student_t", "x nu", _student_t, {"nu": (1, 30)}),
    Case("magnitude_angle", "x y", lambda x, y: (pf.hypot(x, y), atan2(y, x))),
    Case("wrap_angle", "x", lambda x: Mod(x + pi, 2 * pi) - pi, {"x": (-20, 20)}, atol64=1e-12,
         atol32=1e-4),                 # 710 + pi in float32 is off by up to half an ulp, 3e-5
    Case("grad_expsincos", "x y", _bench_grad),
    Case("van_der_waals", "V T", lambda V, T: 8.314 * T / (V - 3.2e-5) - 0.1378 / V**2,
         {"V": (1e-4, 1e-2), "T": (200, 600)}, rtol64=1e-9, rtol32=1e-3),
    Case("rounding", "x y", lambda x, y: floor(x) * sign(y) + ceiling(x * y) - pf.trunc(y), {},
         atol32=1.0),                  # float32 may land on the other side of an integer
    Case("heaviside_or", "x y", lambda x, y: x * Heaviside(x) + Piecewise((y, Or(x > 1, y < 0)), (x, True))),
    Case("tails", "x y", lambda x, y: (erfc(x) / 2, pf.cbrt(x**3 + y), pf.expm1(x) - pf.log1p(y**2)),
         {"x": (-3, 6)}),
    # erfc of a constant times x carries the product's rounding (fma, exp): ops the kernel
    # must spell as the interpreter computes them, over the whole tail
    Case("normal_tail", "x", lambda x: erfc(-x * sqrt(2) / 2) / 2, {"x": (-37, 3)}),
    # nan and inf tests: x != x and |y| == inf, which fast-math would fold (not the default)
    Case("special_tests", "x y", lambda x, y: Piecewise((0, pf.isnan(x)), (-1, And(pf.isinf(y), y > 0)),
                                                        (x * y, True))),
    Case("band", "x y", lambda x, y: Piecewise((tanh(x * y), And(x > -1, x < 1, y > 0)), (pf.exp2(x), True))),
    # fma(x, y, -(x*y)) is the rounding error of x*y, which x*y - x*y (two roundings) loses:
    # float64 compares it with no absolute tolerance (in float32 the reference's product is exact)
    Case("fused", "x y z", lambda x, y, z: (libm.fma(x, y, z), libm.fma(x, y, -(x * y)),
                                            libm.copysign(libm.fmod(x, y), z) + libm.remainder(y, x),
                                            libm.fdim(x, y)), atol64=0, atol32=1e-6),
]


def sample(case_or_names, n, rng, domain=None, specials=True):
    """Inputs (float64 arrays) for ``case_or_names``: uniform in its domain, with specials in front."""
    if isinstance(case_or_names, Case):
        names, domain = case_or_names.args.split(), case_or_names.domain
    else:
        names, domain = case_or_names, domain or {}
    arrays = []
    for k, name in enumerate(names):
        lo, hi = domain.get(name, (-3.0, 3.0))
        values = rng.uniform(lo, hi, n)
        if specials:
            m = min(n, len(SPECIALS))
            values[:m] = np.roll(SPECIALS, 3 * k)[:m]     # different special combinations per argument
        arrays.append(values)
    return arrays


#: constants whose exact printing the tests check (the last two: nan and inf spellings).
CONSTANTS = [np.pi, 0.1, 1 / 3, -2.5, 1e-310, 5e-324, 1.7976931348623157e308, 6.62607015e-34, 1e22,
             -0.0, 123456789.123456789, np.nan, -np.inf]


def constants_program():
    """Outputs every value of ``CONSTANTS`` (and ``x * pi``) from one argument."""
    b = Builder(1)
    outs = tuple(b.const(c) for c in CONSTANTS) + (b.emit("mul", 0, b.const(np.pi)),)
    return Program("consts", ("x",), tuple(b.instrs), outs).check()


#: (dtype, fastmath) combinations every formula is generated for.
VARIANTS = [("float64", False), ("float32", False), ("float32", True)]


def tag(dtype, fastmath):
    return {"float64": "f64", "float32": "f32"}[dtype] + ("_fast" if fastmath else "")


def renamed(program, suffix):
    """The same program under a unique name, so extern "C" kernels don't collide in one TU."""
    return dataclasses.replace(program, name=f"{program.name}_{suffix}")


def op_inputs(rng, n=2000):
    """All pairs of special values, uniform values, and values of every magnitude with both signs."""
    gx, gy = np.meshgrid(SPECIALS, SPECIALS)
    wide = rng.choice([-1.0, 1.0], (2, n)) * 10.0 ** rng.uniform(-12, 12, (2, n))
    x = np.concatenate([gx.ravel(), rng.uniform(-5, 5, n), wide[0]])
    y = np.concatenate([gy.ravel(), rng.uniform(-5, 5, n), wide[1]])
    return x, y


def reference(program, inputs, dtype):
    """(inputs rounded to ``dtype`` as float64, the interpreter's outputs on them rounded to ``dtype``)."""
    with np.errstate(all="ignore"):
        rounded = [np.asarray(a, dtype=dtype).astype(np.float64) for a in inputs]
        return rounded, [r.astype(dtype) for r in evaluate(program, *rounded)]
