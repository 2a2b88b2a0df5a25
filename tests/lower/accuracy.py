"""Measure the ULP error of the vectorized functions against mpmath.

    python -m tests.lower.accuracy [--points 20000] [--fastmath]

For every op with a vector ABI variant (``vector_abi.VECTOR_FUNCTIONS``) and
both dtypes, ``sample`` draws inputs over wide ranges (``DOMAINS``: uniform
on the interesting interval, log-uniform magnitudes over the whole range of
the format, subnormals included, and ``SPECIALS``: signed zeros, subnormals, infinities, nan, huge
arguments).  ``measure`` runs them through the contiguous array kernel (the
SIMD path) and the scalar entry point (scalar libm), and sorts each point:

* *finite*: finite nonzero inputs whose exact result (mpmath, 160 bits) rounds to a
  finite nonzero value: the error of each path in units in the last place
  of the exact result (subnormal results: of the smallest spacing);
* *special*: everything else (non-finite inputs, domain errors, results
  that round to 0, inf or nan): the SIMD result must equal the scalar one
  exactly, sign of zero and infinity included (``special_mismatches``).

The test ``test_accuracy`` pins the bounds; this script prints the table
that ``docs/accuracy.md`` reports.
"""
import argparse
import math

import mpmath
import numpy as np

from pyexpr.ir import from_exprs
from pyexpr.cpu.codegen.vector_abi import VECTOR_FUNCTIONS

from .helpers import FLOAT_OPS, all_ops_program, compile_, run_kernel

mpmath.mp.prec = 160
FORMATS = {"float64": (53, -1022), "float32": (24, -126)}       # precision, smallest normal exponent

MP = {"exp": mpmath.exp, "exp2": lambda x: mpmath.power(2, x), "expm1": mpmath.expm1,
      "log": mpmath.log, "log2": lambda x: mpmath.log(x, 2), "log10": mpmath.log10,
      "log1p": mpmath.log1p, "sin": mpmath.sin, "cos": mpmath.cos, "tan": mpmath.tan,
      "asin": mpmath.asin, "acos": mpmath.acos, "atan": mpmath.atan, "sinh": mpmath.sinh,
      "cosh": mpmath.cosh, "tanh": mpmath.tanh, "asinh": mpmath.asinh, "acosh": mpmath.acosh,
      "atanh": mpmath.atanh, "cbrt": lambda x: mpmath.sign(x) * mpmath.cbrt(abs(x)),   # the real root
      "erf": mpmath.erf, "erfc": mpmath.erfc,
      "pow": mpmath.power, "atan2": mpmath.atan2, "hypot": mpmath.hypot}

SPECIALS = [0.0, -0.0, math.inf, -math.inf, math.nan, 5e-324, -5e-324, 1e-310, -1e-310,
            2.2250738585072014e-308, 1.0, -1.0, 0.5, -0.5, 2.0, 3.0, -3.0, 1e-8, math.pi / 2, math.pi,
            1e22, -1e22, 1e300, -1e300, 1.7976931348623157e308, -1.7976931348623157e308,
            1e-45, 1.17549435e-38, 3.4028235e38, 88.7, -103.9, 709.78, -745.1, 1e10]


class Limits:
    """The float format's range, for domains that scale with it."""

    def __init__(self, dtype):
        info = np.finfo(dtype)
        self.max, self.tiny = float(info.max), float(info.smallest_subnormal)
        self.ln_max, self.ln_tiny = math.log(self.max), math.log(self.tiny)
        self.log2_max, self.log2_tiny = math.log2(self.max), math.log2(self.tiny)
        self.erfc_max = 28.0 if dtype == "float64" else 11.0     # erfc underflows beyond


def _lin(lo, hi):
    """Uniform on [lo, hi]; bounds are numbers or functions of ``Limits``."""
    return lambda rng, n, lim: rng.uniform(_at(lo, lim), _at(hi, lim), n)


def _log(lo, hi, signed=False):
    """Magnitudes log-uniform on [lo, hi], random signs if ``signed``."""
    def draw(rng, n, lim):
        a, b = math.log10(_at(lo, lim)), math.log10(_at(hi, lim))
        mag = 10.0 ** rng.uniform(a, b, n)
        return mag * rng.choice([-1.0, 1.0], n) if signed else mag
    return draw


def _at(bound, lim):
    return bound(lim) if callable(bound) else bound


def _pair(gx, gy):
    return lambda rng, n, lim: (gx(rng, n, lim), gy(rng, n, lim))


MAX, TINY = (lambda L: L.max), (lambda L: L.tiny)
SMALL = _log(TINY, 1.0, signed=True)
WIDE = _log(TINY, MAX, signed=True)
#: op -> generators (rng, n, Limits) -> x, or -> (x, y) for two-argument ops
DOMAINS = {
    "exp": [_lin(lambda L: L.ln_tiny - 5, lambda L: L.ln_max + 1), SMALL],
    "exp2": [_lin(lambda L: L.log2_tiny - 5, lambda L: L.log2_max + 1), SMALL],
    "expm1": [_lin(-40, lambda L: L.ln_max + 1), SMALL],
    **{op: [_log(TINY, MAX), _lin(0.5, 2.0)] for op in ("log", "log2", "log10")},
    "log1p": [_lin(-1, 2), _log(TINY, MAX), SMALL],
    **{op: [_lin(-10, 10), _log(1e-30, MAX, signed=True), _lin(-1e6, 1e6)]
       for op in ("sin", "cos", "tan")},
    **{op: [_lin(-1, 1), SMALL] for op in ("asin", "acos", "atanh")},
    "atan": [_lin(-10, 10), WIDE],
    **{op: [_lin(lambda L: -L.ln_max - 1, lambda L: L.ln_max + 1), SMALL] for op in ("sinh", "cosh")},
    "tanh": [_lin(-25, 25), SMALL], "asinh": [WIDE, _lin(-3, 3)],
    "acosh": [_log(1.0, MAX), _lin(1, 3)], "cbrt": [WIDE],
    "erf": [_lin(-6, 6), SMALL], "erfc": [_lin(-6, lambda L: L.erfc_max), SMALL],
    "pow": [_pair(_log(1e-10, 1e10), _lin(-30, 30)),
            _pair(_lin(0, 2), _lin(lambda L: -L.log2_max, lambda L: L.log2_max)),
            lambda r, n, L: (-_log(1e-3, 1e3)(r, n, L), np.round(_lin(-60, 60)(r, n, L)))],
    "atan2": [_pair(WIDE, WIDE), _pair(_lin(-2, 2), _lin(-2, 2))],
    "hypot": [_pair(WIDE, WIDE), _pair(_lin(-2, 2), _lin(-2, 2))],
}
assert set(DOMAINS) == set(VECTOR_FUNCTIONS) == set(MP)


def sample(op, dtype, points, seed=0):
    """``(x, y)`` arrays of ``dtype``: ``points`` random draws over the op's domains, then specials."""
    rng = np.random.default_rng([seed, FLOAT_OPS.index(op)])
    binary = VECTOR_FUNCTIONS[op][1] == 2
    per = -(-points // len(DOMAINS[op]))
    limits = Limits(dtype)
    drawn = [g(rng, per, limits) for g in DOMAINS[op]]
    if binary:
        xs = np.concatenate([d[0] for d in drawn] + [np.repeat(SPECIALS, len(SPECIALS))])
        ys = np.concatenate([d[1] for d in drawn] + [np.tile(SPECIALS, len(SPECIALS))])
    else:
        xs = np.concatenate(drawn + [SPECIALS])
        ys = np.zeros_like(xs)
    with np.errstate(over="ignore"):
        return xs.astype(dtype), ys.astype(dtype)


def ulp_error(got, exact, dtype):
    """``|got - exact|`` in units in the last place of ``exact`` in ``dtype``."""
    precision, emin = FORMATS[dtype]
    _, e = mpmath.frexp(exact)                    # |exact| in [2**(e-1), 2**e)
    spacing = mpmath.ldexp(1, max(int(e) - 1, emin) - precision + 1)
    return float(abs(mpmath.mpf(float(got)) - exact) / spacing)


def _exact(op, args):
    """mpmath's value, or None where it is not a real number (domain errors, non-finite input)
    or where a zero argument's sign matters (mpmath has no signed zeros)."""
    if not all(math.isfinite(a) and a != 0 for a in args):
        return None
    if op == "pow" and abs(args[1] * math.log2(abs(args[0]))) > 1100:
        return None                               # overflows or underflows even float64 (mpmath is slow there)
    try:
        value = MP[op](*map(mpmath.mpf, args))
    except (ValueError, ZeroDivisionError, OverflowError):     # OverflowError: erfc(1e300)
        return None
    if isinstance(value, mpmath.mpc):
        return None if value.imag != 0 else value.real
    return value if mpmath.isfinite(value) else None


def _is_special(exact, dtype):
    if exact is None:
        return True
    with np.errstate(over="ignore", under="ignore"):
        rounded = np.array(float(exact)).astype(dtype)
    return not np.isfinite(rounded) or rounded == 0


def _kernels(dtype, fastmath):
    program = all_ops_program()
    return compile_(program, dtype, fastmath=fastmath)


def measure(op, dtype, points, fastmath=False, seed=0):
    """``{"simd": max ulps, "scalar": max ulps, "finite": n, "special": n, "mismatches": [...]}``."""
    kernel = _kernels(dtype, fastmath)
    x, y = sample(op, dtype, points, seed)
    k = FLOAT_OPS.index(op)
    simd = run_kernel(kernel, x, y)[k]
    scalar = np.array([kernel.scalar(float(a), float(b))[k] for a, b in zip(x, y)], dtype)
    result = {"simd": 0.0, "scalar": 0.0, "finite": 0, "special": 0, "mismatches": [], "worst": None}
    for a, b, v, s in zip(x.tolist(), y.tolist(), simd.tolist(), scalar.tolist()):
        args = (a, b) if VECTOR_FUNCTIONS[op][1] == 2 else (a,)
        exact = _exact(op, args)
        if _is_special(exact, dtype):
            result["special"] += 1
            if not _same(v, s):
                result["mismatches"].append((args, v, s))
            continue
        result["finite"] += 1
        err = ulp_error(v, exact, dtype)
        if err > result["simd"]:
            result["simd"], result["worst"] = err, args
        result["scalar"] = max(result["scalar"], ulp_error(s, exact, dtype))
    return result


def _same(a, b):
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))


def _compound_programs():
    import sympy

    x, y = sympy.symbols("x y", real=True)
    return {
        "exp(-x**2)*sin(y) + cos(x*y)": (
            from_exprs("wave", [x, y], [sympy.exp(-x**2) * sympy.sin(y) + sympy.cos(x * y)]),
            lambda a, b: mpmath.exp(-a**2) * mpmath.sin(b) + mpmath.cos(a * b)),
        "Piecewise(sqrt(x)*log(y), x > 0.5; x*y - 1)": (
            from_exprs("branch", [x, y], [sympy.Piecewise((sympy.sqrt(x) * sympy.log(y), x > 0.5),
                                                                  (x * y - 1, True))]),
            lambda a, b: mpmath.sqrt(a) * mpmath.log(b) if a > 0.5 else a * b - 1),
        "sum(sin(k*x) * y**k / k, k=1..6)": (       # long sums: what reassociation may reorder
            from_exprs("series", [x, y], [sum(sympy.sin(k * x) * y**k / k for k in range(1, 7))]),
            lambda a, b: sum(mpmath.sin(k * a) * b**k / k for k in range(1, 7))),
    }


def compound(points, dtype="float64", floor=1e-3):
    """Max ulps against mpmath of whole formulas on [0, 1]^2 (|exact| >= floor), fastmath off and on."""
    rng = np.random.default_rng(5)
    x, y = (rng.uniform(0, 1, points).astype(dtype) for _ in range(2))
    rows = {}
    for label, (program, exact_fn) in _compound_programs().items():
        exact = [exact_fn(mpmath.mpf(float(a)), mpmath.mpf(float(b))) for a, b in zip(x, y)]
        errors = []
        for fastmath in (False, True):
            got = run_kernel(compile_(program, dtype, fastmath=fastmath), x, y)[0]
            errors.append(max(ulp_error(g, e, dtype) for g, e in zip(got, exact) if abs(e) >= floor))
        rows[label] = errors
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20000)
    parser.add_argument("--fastmath", action="store_true")
    parser.add_argument("--compound", action="store_true", help="whole formulas, fastmath off and on")
    args = parser.parse_args()
    if args.compound:
        print("| formula | dtype | fastmath=False | fastmath=True |\n| --- | --- | --- | --- |")
        for dtype in ("float64", "float32"):
            for label, (plain, fast) in compound(args.points, dtype).items():
                print(f"| `{label}` | {dtype} | {plain:.2f} | {fast:.2f} |")
        return
    print("| op | float64 SIMD | float64 scalar | float32 SIMD | float32 scalar | points | "
          "special-value mismatches |\n| --- | --- | --- | --- | --- | --- | --- |")
    for op in VECTOR_FUNCTIONS:
        cells, mismatches, count = [], [], 0
        for dtype in ("float64", "float32"):
            r = measure(op, dtype, args.points, args.fastmath)
            cells += [f"{r['simd']:.2f}", f"{r['scalar']:.2f}"]
            mismatches += [f"{dtype} {m}" for m in r["mismatches"][:3]]
            count = r["finite"] + r["special"]
        print(f"| {op} | " + " | ".join(cells) + f" | {count} | {'; '.join(mismatches) or 'none'} |")


if __name__ == "__main__":
    main()
