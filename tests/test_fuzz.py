"""The differential fuzzer of ``fuzzer.py`` in the suite, and what it found.

``test_random_formulas_agree_on_every_path`` runs ``PYEXPR_FUZZ`` formulas
(default ``COUNT``) from a fixed seed (``PYEXPR_FUZZ_SEED``) through every
path and fails on any mismatch no documented rule explains; its summary
(formulas, points, checks by path and by class) is printed at the end of the
run.  ``python tests/fuzzer.py --count 100000`` runs more.  The other tests
pin each bug the fuzzer found, and check that the classifier cannot pass a
wrong value.
"""
import math
import os

import mpmath
import numpy as np
import pytest

import fuzzer
import pyexpr as px

COUNT = 2000
SEED = 20261205
#: the summary of the last run, printed by conftest's terminal summary
SUMMARIES = []


def test_random_formulas_agree_on_every_path():
    count = int(os.environ.get("PYEXPR_FUZZ", COUNT))
    jobs = int(os.environ.get("PYEXPR_FUZZ_JOBS", 0)) or None
    summary, compiled = fuzzer.run(int(os.environ.get("PYEXPR_FUZZ_SEED", SEED)), count, jobs)
    text = summary.text() + ("\n  cuda (host): nvcc not found, CUDA C not compiled" if compiled is None else "")
    SUMMARIES.append(text)
    assert summary.formulas == count and summary.checks > 20 * count
    assert {"scalar", "array", "strided", "broadcast", "large", "float32 scalar", "float32 array",
            "gradient scalar", "gradient array"} <= set(summary.paths), summary.paths
    assert not summary.mismatches, text


def _check(source, points, **every):
    """The fuzzer's verdicts on one hand-written case at ``points``."""
    checker = fuzzer.Checker(0, every={**dict.fromkeys(fuzzer.EVERY, 1), **every})
    name = source.split("(")[0].split()[-1]
    checker.check(fuzzer.Case(source, name, len(points[0])), 0, points)
    return checker.summary


@pytest.mark.parametrize("source, points", [
    # sympy's Not(x < y) is x >= y: False at nan, where `not (x < y)` is True
    ("def f(x, y):\n    return 1.0 if not (x < y) else 2.0\n", [(math.nan, 1.0), (0.0, 1.0)]),
    ("def f(x, y, z):\n    return (z - 10.0) if (y if x < 1 else x) < (3.0 if np.sqrt(y) > x else z) else x\n",
     [(0.25, -2.0, 710.0), (2.0, 4.0, 1.0)]),
    # constants sympy holds as zoo or imaginary: numpy's inf and nan
    ("def f(x):\n    return x if np.arctan(x) <= math.acos(1.5) else -x\n", [(1.0,), (-2.0,)]),
    ("def f(x):\n    return x / 0.0 + math.log(0.0)\n", [(1.0,), (-1.0,), (0.0,)]),
    ("def f(x, y):\n    return np.maximum(3.0 + y, np.arctanh(3)) + x\n", [(1.0, 2.0)]),
    ("def f(x, y):\n    return x + y if x + math.cos(y) > math.acos((100.0 if x >= 1e5 else 3)) else x\n",
     [(1.0, 2.0)]),
    # x**-0.5 is pow's inside a product too (+0 at -inf), and cse keeps it one power
    ("def f(w):\n    return np.log10((w ** -0.5) / 100.0)\n", [(-math.inf,), (-0.0,), (4.0,)]),
    ("def f(x):\n    return x ** -0.5 + x ** 0.5\n", [(-0.0,), (-math.inf,), (2.0,)]),
    # the derivative of max is a Heaviside, nan where its argument is
    ("def f(x, y):\n    return min(np.minimum(x, 0.1), y ** 1.5)\n", [(-3.1, -2.5), (0.5, 2.0)]),
    # constants past float64's range are inf (sin of a 43,000-digit exp(1e5) never returned)
    ("def f(x):\n    return x + math.sin(math.exp(1e5))\n", [(1.0,)]),
    ("def f(z):\n    return z if math.lgamma(z) >= math.lgamma(-10.0) else -z\n", [(2.0,), (-0.5,)]),
    # -x - 1 is computed as printed: +0 at x = -1, not -(x + 1)
    ("def f(x, y):\n    return 2 - (3 + x) + 0 * y\n", [(-1.0, 1.0), (2.0, 1.0)]),
    # sqrt(-10.0) left in a branch by simplification is nan, not a LoweringError
    ("def f(x, y):\n    return x - (-(y if 1e-3 <= y else 10.0)) ** 0.5\n", [(1.0, -4.0), (1.0, 4.0)]),
    # nested comparisons of conditional expressions: their derivatives took minutes
    ("def f(x, y, z):\n    t = (((z - y)) ** -2 if (z if z <= 1e5 else z) > math.acos(x) else "
     "((z if 3.0 < z else 1.5) if 3.0 < 7.5 else (z if z >= z else y))) if (-(100.0 * 0.1)) >= "
     "math.atan2(math.gamma(z), (1.5 * x)) else ((z * y)) ** -2\n"
     "    return math.log(((t / math.atan2(t, x)) - (x if t <= t else (y if y >= z else t))))\n",
     [(0.5, 1.0, 2.0), (-0.5, 3.0, 0.25)]),
    # a sum rounds in its printed order: -x + Piecewise(...) + atan2(x, 0) cancels first
    ("def f(x):\n    return (((x if 7.5 >= x else math.acos(x)) + (-x)) + math.atan2(x, (x - x)))\n",
     [(-7087905.996477672,), (2.0,)]),
    # min of zeros of both signs is -0 (IEEE 754-2019), also in the reference kernel
    ("def f(x, y):\n    return min(x, y) + max(y, x)\n", [(-0.0, 0.0), (0.0, -0.0), (math.nan, 1.0)]),
    # an integer beyond int64 in a branch (ceil(1e5)**2**2): the reference made numpy objects
    ("def f(x, y):\n    return (x / y) if y < 0.5 else ((math.ceil(1e5)) ** 2) ** 2\n", [(1.0, 2.0), (1.0, 0.25)]),
    # a condition on an undefined value (acosh(0.36)) is false: the exact reading takes the
    # branch the code takes, and its derivative is of the branch taken
    ("def f(x, y):\n    u = 1.0 if 1.7 >= x / math.acosh(math.fabs(y)) else 2.0\n"
     "    return math.lgamma(math.erfc(x)) / math.log(x) / 10.0 + u\n", [(2.0522439501123432e-07, 0.36112085614499456)]),
    # the gradient's conditions folded into sympy's ITE, which had no code generator
    ("def f(x):\n    if x > np.expm1((math.sinh(1.5)) ** 0.5):\n"
     "        u = (x + (np.hypot(math.tan(x), x) + np.log10(math.atanh(x))))\n    else:\n"
     "        u = min(np.arctan2(x, (1e-3 - x)), (x - x))\n"
     "    return (u if 3 >= (100.0 if u < 10.0 else (u + x)) else np.exp((u if u > x else u)))\n",
     [(-2.4332693856959233,), (0.5,), (3.0,)]),
    # a comparison of a value sympy proves not real (sqrt(min(-3, x))) is nan's: false, not a
    # TypeError at decoration
    ("def f(x, y):\n    return x if math.cosh(y) * min(-3.0, x) ** 0.5 / x < y else -x\n",
     [(1.0, 0.5), (-4.0, 2.0)]),
    # exp(sinh(1/y)) near y = 0: the exact values of the series pass and the reference
    # took mpmath minutes (exponents of thousands of digits); past float64 they are limits
    ("def f(x, y):\n    return ((math.log1p((0.25 * x)) / np.exp(np.sinh((y) ** -1)))) ** 0.5\n",
     [(2.0, 1e-4), (2.0, 0.5), (0.5, -1e-3)]),
    # cos(-log(7.5)/erfc(3)): glibc's erfc(3) is an ulp off, which the cosine of -91211.3
    # turns into the tenth digit (the reference's scipy erfc is correctly rounded there)
    ("def f(x, z):\n    return np.cos(min(x ** 0.5, (-np.log(7.5)) / math.erfc(z if z >= 3.0 else 3)))\n",
     [(4.0, 1.0), (4.0, 3.5)]),
    # Min of a value sympy holds as imaginary ((-2x**2)**-0.5): its derivative is nan, not
    # sympy's Heaviside raising on a complex argument
    ("def f(x):\n    return np.minimum((((x + x) * (-x))) ** -0.5, x)\n", [(2.0,), (-1.0,)]),
    # branches whose conditions sympy's Piecewise folds without end (RecursionError): kept
    # as written
    ("def f(x):\n    t = (((-(x / x)) if x < x else (0.1 if 10.0 < x else x)) + ((-x) * (math.atan2(x, 2.0) "
     "- np.sqrt(x))))\n    return ((math.lgamma(((t / x) if 0.25 > x else x)) if t > (np.tanh(x) if x > t else "
     "math.log2(t)) else t) / math.erfc(((-x) if (x if x >= 2.0 else t) < (x) ** 4 else np.log10((-3)))))\n",
     [(7579.8974034118855,), (0.1,), (3.0,)]),
    # log1p of a constant, held by sympy as the log of an exact rational, rounded once
    ("def f(y):\n    return y ** 0.5 / math.log1p(1e-3)\n", [(3.0486933101243228,), (0.25,)]),
    # a comparison of max(asin(7.5) if ... else x, ...): sympy's piecewise_fold raised on the
    # Max of a non-real constant ("not comparable") at decoration
    ("def f(x, y):\n    t = max((np.arcsin(7.5) if (y * x) <= math.hypot(x, 2) else x), (y / math.cbrt(x)))\n"
     "    return -math.atan(y) if np.arctan(x) ** -0.5 >= np.arcsin(t) else 0.25\n",
     [(79.96557815503222, 3.141592653589793), (0.5, 0.25), (2.0, -1.0)]),
    # found by a run of 20,000 (seed 20261207): a tie of min and max whose kinks cancel
    # (max(min(y, x), y) is y): the derivative at x = y takes each Heaviside(0) as 1/2
    ("def f(x, y):\n    t = (((y) ** 0.5 * ((y if 0.1 >= x else y)) ** 4) - (x - max(np.minimum(y, x), y)))\n"
     "    return (t * (-(t) ** 0.5))\n", [(3.0, 3.0), (2.0, 3.0)]),
    # floor of 1e222: 40 digits see no step, the numerical derivative must (a jump between its points)
    ("def f(x, y):\n    return np.floor(((((x) ** 4 + 3)) ** 3) ** 4) + 0 * y\n",
     [(-43320.15651359612, 0.6651849708019775), (-1.0, 3.7334497082334783), (0.5, 1.0)]),
    # exp(-x**2)/erfc(x)**1.5 at x = 710: the reference's limits of exp and erfc agree
    ("def f(x):\n    return -math.asinh(math.erfc(x) ** -0.5)\n", [(710.0,), (5.0,)]),
    # gamma(-1e-310) overflows to -inf (tgamma's sign): ceil(-0.0) is -0.0
    ("def f(x, z):\n    return (math.cbrt((10.0 / 1e-3)) * np.ceil(((x) ** 3 / math.gamma(z))))\n",
     [(0.4680774993965615, -1e-310), (0.5, 2.5)]),
    # sin(y**4) at y = 7.9e10: anything within an ulp of y, undefined exactly, defined nearby
    ("def f(x, y):\n    u = np.sin(3.0 if x >= 3.0 else y ** 4)\n    return math.sqrt(u) / y\n",
     [(-3.5084658460712443, 78626604957.00227), (0.5, 2.0)]),
    # float32: the vector cos of 4e-7 an ulp below 1, acos of it 3e-4 (functions' rounding)
    ("def f(x, y):\n    return math.acos(np.fabs(np.cos(x)))\n",
     [(-4.3270449623378227e-07, -41225588.0), (0.5, 1.0), (-2.5, 3.0)]),
    # a pole: (1.5*y)**2/x**2 at x = -0.0, y subnormal: inf, numpy's printed order 0/0
    ("def f(x, y):\n    return (-(((y * 1.5)) ** 2 / x))\n", [(-0.0, -1e-310), (2.0, 3.0)]),
    # an if/else whose branches end alike: sympy's Piecewise put the Or of their conditions
    # in conjunctive normal form (decoration did not end in 300 s)
    ("def f(x, y, z):\n"
     "    if math.log10((math.log10(math.atan2(z, 2)) * abs(1.5))) < np.log2((math.log2(np.sin(x))) ** 2):\n"
     "        u = (((x - math.log10(x)) + (y if y <= z else x)) if ((-10.0) - math.hypot(1e-3, x)) <= (z / 3.0) "
     "else ((np.tanh(x)) ** -0.5 / ((1.5 / y) / np.hypot(100.0, math.gamma(z)))))\n"
     "    else:\n"
     "        u = (np.floor((math.acos(y) if (x if z < y else x) < (0.25 + z) else (z + x))) if (-(3) ** -0.5) >= "
     "np.cos(np.minimum(np.arctanh(z), math.gamma(100.0))) else math.cosh(np.log10(z)))\n"
     "    return ((y if (u * u) < (y / 1e5) else (y if u < u else np.ceil(z)))) ** -2\n",
     [(0.5, 3.4079058038485046, 1e-310), (2.0, 0.5, 3.0)]),
    # the printed derivative at 40 digits: floor(erf(12)) is 1 there, 0 exactly
    ("def f(x):\n    if (math.tanh(x)) ** 3 <= math.erfc(math.lgamma(x)):\n        u = (((-x) / (-x)) / x)\n"
     "    else:\n        u = ((x * np.maximum(x, (100.0) ** -0.5)) + 3.0)\n"
     "    return (math.floor(math.erf(u)) / ((x if 7.5 > u else u) if 1e-3 >= x else u))\n", [(3.0,), (0.5,)]),
    # the series pass measures erfc(c/y) near y = 0: mpmath's erfc(1e300) raised OverflowError
    ("def f(x, y):\n    return (0.5 / math.erfc((math.acosh(1.5) / y)))\n", [(1e-08, 446.5300298864563), (1.0, 0.5)]),
    # du/u with a branch of u that is 0: sympy's 1/0 was zoo, which no code generator knows
    ("def f(x):\n    if math.tanh(x) >= x:\n        u = ((x + x) / math.log10(np.maximum(x, x)))\n    else:\n"
     "        u = math.tanh(np.floor((0.5) ** 3))\n    return np.log10(((0.1 - 2) * (u if u < u else x)))\n",
     [(-3.519137012383206,), (-math.inf,), (0.5,)]),
    # the printed derivative's exact reference: sympy's cse re-evaluated its Piecewise
    # conditions without end (a long run hung here)
    ("def f(x, y, z):\n    if (-(np.minimum(y, z) if math.exp(0.25) >= (x - 0.1) else ((-1e-3) * 2.0))) >= np.log(z):\n"
     "        u = math.asin((math.fabs(np.arcsin(z))) ** 2)\n    else:\n"
     "        u = (((math.exp(y) - np.tanh(np.arctanh(3))) if (z - (-10.0)) < math.gamma(np.arccosh(2)) else "
     "np.arctanh(y)) * (((3 - y) if np.cosh(z) > 1.5 else (z if 2.0 < y else abs(2)))) ** -1)\n"
     "    return ((math.floor((u if z > x else u)) - (z + 1.5)) if (math.atan2(7.5, x) / math.hypot(u, x)) >= "
     "(math.cos(z) * (u * 3)) else (z if (10.0 * 1e-3) <= np.hypot(u, x) else np.sinh(y)))\n",
     [(0.5, 0.25, 2.0), (3.0, -1.0, 0.5)]),
    # the gradient of a Piecewise whose condition compares sums with an infinity on both
    # sides (atanh(x/x)**0.5 is oo): sympy's canonical form flips such a relation at each
    # call, and the Piecewise rebuilt itself until the RecursionError
    ("def f(x):\n    if ((x if 0.1 <= x else 1e-3)) ** 4 >= (math.hypot((2 - x), 1e-3) - math.exp((x + x))):\n"
     "        u = ((math.atanh((x / x))) ** 0.5 - ((-x)) ** -0.5)\n    else:\n"
     "        u = ((2.0 * (-x)) + ((x / 10.0) - (3) ** 1.5))\n"
     "    return (math.atan((x if u > u else u)) if np.arccosh(x) > ((1.5 if u >= x else x) + u) else np.exp(u))\n",
     [(2.0,), (-0.5,), (0.5,)]),
    ("def f(x, y):\n    return np.maximum((((math.exp(2.0) - (x + np.floor(7.5))) if (-(0.5 * y)) <= ((x + x) if 3 >= x "
     "else (10.0 * y)) else np.cosh(np.arcsin(y))) if (np.exp(y) if np.arccosh(0.5) < math.expm1(x) else "
     "math.lgamma(x)) < ((-10.0) - (-1e5)) else (math.sqrt(7.5)) ** -2), (((np.arccos(x) if x > x else (x) ** -1)) "
     "** 0.5 * 2.0))\n", [(0.5, 0.25), (2.0, 3.0), (-1.0, 0.5)]),
    # the exact reading's power of a negative base was complex, which no comparison orders
    # (numpy's nan takes the else branch); cos(u**3) of a u near 1e20 has no digit left
    ("def f(x):\n    if (math.gamma(math.log2(x))) ** 1.5 > (3 if x <= (x) ** 0.5 else 0.25):\n"
     "        u = min(((math.atan2(x, x) / (x + x)) if x <= (x) ** 4 else math.exp(x)), "
     "np.tan(((100.0 / (x if x < x else 2))) ** 3))\n    else:\n"
     "        u = (((math.cos((x) ** 2) if x <= (x) ** -1 else min(0.5, 3.0)) - np.hypot((1e5 - 1e-3), "
     "math.log10(x))) + ((1e5 if 7.5 >= 1.5 else (x / x))) ** 4)\n"
     "    return (-math.cos(((2 if 0.25 >= x else u)) ** 3))\n", [(0.7662125855698756,), (0.5,)]),
    # undefined as written (sqrt of a negative sine), ill-conditioned as printed (1/sin(u) of
    # u = 2.7e6); and the cosine of 710 - cosh(710) to the power 1.5
    ("def f(x, y, z):\n    t = np.sin((((y - 0.25)) ** 1.5 / (x / x)))\n    return ((np.sqrt(t) / (z * z))) ** -2\n",
     [(-0.006678684162421213, 19616.362548904868, 0.46396595976224475), (1.0, 2.0, 0.5)]),
    ("def f(x, y, z):\n    return ((2 * math.cos(((x if 2.0 > y else z) - np.cosh(x))))) ** 1.5\n",
     [(710.0, 0.0002028791405345077, 0.9779723076635554), (0.5, 1.0, 2.0)]),
    # the printed formula holds 1e-3 + 2.0 unrounded, the code rounds it; x**3 = 4e13 in a
    # cosine parts the two exact derivatives in the third digit
    ("def f(x):\n    return (-np.cos((((-x) / (x) ** -2) + (((x if 7.5 >= x else 1e-3) + 2.0) * (x) ** 3))))\n",
     [(33810.72459692306,), (2.0,)]),
    # sympy folds 1/0.1 and 10.0*0.1 at float64's precision: a derivative 7e-17 where it is 0
    ("def f(x):\n    if math.sinh(x) <= ((x / x) * (1.5 if x >= x else x)):\n"
     "        u = ((x + x) if (x) ** 2 > (x if x <= 1e-3 else 1e5) else (10.0 * x))\n    else:\n"
     "        u = ((1e5 * x) if np.arctan2(x, 1.5) <= x else np.hypot(x, 3.0))\n"
     "    return ((u if 3 < u else (x * 0.5)) / (np.fabs(x) / 0.1))\n", [(0.7536054590407124,), (4.0,)]),
    # the derivative where the function has no value (acos of inf): pow(-inf, -0.5) is 0
    ("def f(x, y, z):\n    return np.arccos(((y * (x * x))) ** 3)\n",
     [(-1.0, 1.8277223896198727e+105, 3.0), (0.5, 0.5, 1.0)]),
    # gamma(-1e-310) overflows, tan of it is nan, times a Heaviside of 0 in the derivative
    ("def f(x, y, z, w):\n    if math.erf(z) >= (((w + z) + x) - np.hypot(3.0, y)):\n"
     "        u = math.asinh(np.log10(np.log(100.0)))\n    else:\n"
     "        u = math.tan((3.0 - (x if z > x else np.arctan2(10.0, 2.0))))\n"
     "    return np.tan(np.minimum(math.gamma(y), math.hypot(z, u)))\n",
     [(-3.495201117240393, -1e-310, -1.6034554315136207e-07, -3.172542068531328), (0.5, 1.5, 0.25, 2.0)]),
    # a comparison of a side that was zoo (atan2(x, x - x)/...) became nan, which sympy's
    # relations refuse ("Invalid NaN comparison" at decoration): false, as numpy's
    ("def f(x):\n    if (-((x if 1e5 <= x else x) * math.exp(x))) <= (math.log1p(x) + math.acos(np.maximum(x, 0.25))):\n"
     "        u = (math.tan(math.atan2(x, (x - x))) / ((2.0 / (x) ** 0.5) if ((x + x) if x > x else x) <= x "
     "else np.cos(2.0)))\n    else:\n        u = x\n"
     "    return np.log10((-(math.atan2(3.0, x) if u >= 2 else x)))\n", [(2.2761225541731473,), (-0.5,)]),
    # max(u, acosh(u)) of a branch u = erfc(13): a Max of a constant that is not real, which
    # float() refused ("not comparable") at decoration, and the reference kernel's nan in it
    ("def f(x):\n    if (-((0.1) ** 1.5) ** 2) < math.log(math.sin(x)):\n        u = math.erfc((10.0 + 3))\n"
     "    else:\n        u = np.exp(x)\n"
     "    return (math.floor(x) if max(u, np.arccosh(u)) <= math.erf((x) ** 3) else (min(u, 10.0)) ** 4)\n",
     [(0.3744303787357327,), (0.5,), (2.0,)]),
    # a comparison with log10(-3), whose realness sympy does not decide: kept as a relation,
    # sympy's canonical form expanded it exponentially (decoration did not end in 300 s)
    ("def f(x, y, z):\n    if math.floor(np.log1p((y if 100.0 > y else 1.5))) < math.log10((-(3 if 3.0 > z else 3.0))):\n"
     "        u = (math.cos(np.arctan(np.ceil(y))) * (np.arctan((10.0 if 0.1 > 7.5 else (y) ** -1)) / "
     "math.asinh((y) ** -1)))\n    else:\n        u = math.atanh((((y) ** 4 - y) * min(y, x)))\n"
     "    return np.log10(math.fabs((((y - 100.0) if 0.5 > y else (z + u)) * (math.asinh(z) / np.minimum(y, z)))))\n",
     [(-2.478082434649914, 1.450710241340059, 6183.106434676486), (0.5, 0.25, 2.0)]),
    # cos(lgamma(-0.0)) is cos(inf), nan, whose comparison takes the else branch
    ("def f(x, y):\n    if np.maximum((x - x), x) > np.cos(math.lgamma(y)):\n        u = y\n    else:\n"
     "        u = math.erfc(3.0)\n    return (np.cos((u) ** -2) if (y - np.tan(u)) <= u else math.sinh(math.erf(y)))\n",
     [(0.29465093327210656, -0.0), (0.5, 2.0)]),
    # the vector cos and cosh rounded apart, cancelling
    ("def f(x, y):\n    return ((math.cos(y) - np.cosh(x))) ** 4\n",
     [(0.14714449198811153, -0.24180287498931907), (1.0, 2.0)]),
    # lgamma(-1e5), a pole, in a branch lifted out of a comparison: sympy raised "gamma
    # function pole" at decoration; C's lgamma is inf there
    ("def f(x):\n    if (np.log2(x) + math.acos(np.arcsinh(3.0))) > np.arctanh((-abs(x))):\n"
     "        u = (-(x / (x - x)))\n    else:\n"
     "        u = math.lgamma(((-1e5) if 2.0 > math.log10(x) else 3.0))\n"
     "    return (-((x if 0.25 <= u else x)) ** -2)\n", [(-2.406440280236848e-05,), (0.5,), (200.0,)]),
    # hypot of lgamma(-asin(3.0)), a complex constant in sympy: mpmath's hypot raised
    # AttributeError when a comparison lifted its Piecewise; numpy's value is nan
    ("def f(x, y, z):\n    t = math.lgamma((-np.arcsin((3.0 if y > 0.1 else 0.25))))\n"
     "    return z if math.hypot((y if z > x else t), 0.501) <= (2.0 - x) else -z\n",
     [(1e-310, -0.7216281729027907, -745.0), (0.5, 2.0, 1.0), (0.5, 0.05, 0.25)]),
    # cosh of ceil(expm1(100.0)), an exact 2.7e43: asking whether expm1 of it is real made
    # mpmath's exp raise OverflowError at decoration (fuzz84107 of a long run); numpy: inf
    ("def f(x, y, z):\n    return math.fabs(np.expm1(math.cosh(math.ceil(np.expm1(100.0)))))\n",
     [(-1.6095060543569275, 1e+300, 1.298352071607776), (0.5, 2.0, 1.0)]),
    # the gradient holds nan and -oo in its branches: sympy's cse raised "Invalid NaN
    # comparison" at its first call (fuzz85663 of a long run); compiled without sharing
    ("def f(x):\n    return (((0.5 if 2 <= x else x) if ((x if 1e5 <= 1e5 else x) - 0.25) < "
     "np.minimum(x, (x * 0.5)) else ((x * (x if x <= x else x)) * math.gamma(1e5))) * "
     "(math.log((7.5 * (x - x))) * x))\n", [(-745.0,), (0.5,), (3.0,)]),
    # a test for nan or infinity beside a conditional value in a condition: sympy's logic
    # rewrote it as sets and normal forms of its argument (AttributeError at decoration)
    ("def f(x):\n    if not math.isfinite((min(2.0, x) if x <= x else ((x * 1e5) + x))):\n"
     "        u = math.sqrt(x)\n    else:\n        u = x\n    return u + 1.5\n",
     [(2.0,), (math.nan,), (math.inf,), (-3.0,)]),
    ("def f(x, y, z, w):\n    if math.atan(max((-x), (y * x))) > ((np.expm1(0.1) / (-w)) if w <= (7.5) ** -2 "
     "else (math.asin(w) + np.minimum(x, 0.1))):\n"
     "        u = np.minimum(((math.cos(np.maximum(y, y)) - math.sqrt(0.5))) ** -1, x)\n    else:\n"
     "        u = math.cbrt(math.lgamma((math.log10(y) + (z + 7.5))))\n"
     "    return (((2.0 - 1.5)) ** 1.5 if (math.sqrt(y) * (math.atanh(w)) ** 3) >= (math.ceil(3) - ((y - 0.1) "
     "if z <= x else u)) else ((abs(z)) ** 2 if np.isinf((u if np.isinf(u) else 2.0)) else "
     "np.arctanh(math.lgamma(x))))\n",
     [(-1.3743148436222157, -1.0, 6.092322921621373e-06, -9889.562165271647), (0.5, 2.0, 1.0, 0.3)]),
])


def test_found_by_the_fuzzer(source, points):
    summary = _check(source, points)
    assert not summary.mismatches, summary.text()
    assert summary.classes["agree"] > 0


def test_a_derivative_with_nan_in_its_branches_prints():
    """sympy cannot sort a sum of Piecewise terms holding nan; printing keeps their order."""
    case = fuzzer.Case("def f(x):\n    if x ** 1.5 >= np.sqrt(7.5):\n        u = np.arctanh(4.0)\n"
                       "    else:\n        u = math.gamma(x)\n    return (u + 7.5) / (u if 0.25 >= x else x)\n",
                       "f", 1)
    gradient = px.jit(case.plain).grad()
    assert "nan" in str(gradient) and "polygamma" in gradient.latex() and gradient.pretty()
    assert gradient(0.5)[0] == pytest.approx(float(mpmath.diff(lambda t: (mpmath.gamma(t) + 7.5) / t, 0.5)))


def test_a_wrong_value_is_a_mismatch():
    exact = mpmath.mpf(2)
    never = lambda: iter(())
    assert fuzzer.classify(2.0, 2.0, exact, never, lambda: 2.0) == "agree"
    assert fuzzer.classify(2.0 + 1e-12, 2.0, exact, never, lambda: 2.0) is None
    assert fuzzer.classify(math.nan, 2.0, exact, never, lambda: 2.0) is None
    # the printed formula computes nan here too: simplification's doing, listed apart
    assert fuzzer.classify(math.nan, 2.0, exact, never, lambda: math.nan) == fuzzer.SIMPLIFIED_WORSE
    assert fuzzer.classify(-0.0, 0.0, mpmath.mpf(0), never, lambda: 0.0) is None
    # explained only where numpy's own value is as far off, or a rounding of the input decides
    assert fuzzer.classify(2.5, 3.0, exact, never, lambda: 2.5) == "no less accurate"
    assert fuzzer.classify(5.0, 2.0, exact, lambda: iter([5.0]), lambda: 5.0) == "branch within rounding"
    # an undefined exact value admits inf only at a pole (an input of 0)
    assert fuzzer.classify(math.inf, math.nan, None, never, lambda: math.nan, point=(-0.0, 1.0)) == \
        "undefined as written"
    assert fuzzer.classify(math.inf, math.nan, None, never, lambda: math.nan, point=(0.5, 1.0)) is None


def test_exact_values_past_float32s_range_bound_an_ill_conditioned_value():
    """np.minimum(np.sin(math.gamma(np.arcsinh(-z))), x**-1) at x = 0 in float32: the exact
    values beside x = 0 are -7e44 and sin's; a spacing taken at 7e44 was inf (and nan)."""
    values = [mpmath.mpf("-7.1e44"), mpmath.mpf("0.9997311")]
    with np.errstate(all="raise"):
        assert fuzzer._between(0.9567384719848633, values, "float32")
        assert not fuzzer._between(1e38, values, "float32")


def test_values_no_digit_of_which_survives_an_ulp_of_input_bound_by_their_spread():
    """cos(u**3) of a u near 1e20: the exact values a few ulps of u apart are a few samples
    of [-1, 1]; a value within their spread of them is ill-conditioned, not one beyond."""
    samples = [mpmath.mpf("-0.6"), mpmath.mpf("0.1"), mpmath.mpf("0.4")]
    assert fuzzer._between(0.95, samples, "float64")
    assert not fuzzer._between(1.5, samples, "float64")
    close = [mpmath.mpf("0.5"), mpmath.mpf("0.5") + mpmath.mpf(1e-15)]
    assert not fuzzer._between(0.51, close, "float64")


def test_vector_rounding_explains_only_what_four_ulps_can():
    """log10(cos(y)) at small y amplifies cos's last bit ~1,500 times: an array path whose
    vector cos is 4 ulps off may be that far from exact where the scalar path agrees;
    beyond it, or where the scalar path disagrees too, it is a mismatch."""
    y = 0.0359
    printed = lambda r=0, alternate=False: mpmath.log10(mpmath.cos(y) * (1 + (-r if alternate else r)))
    with mpmath.workdps(40):
        exact = printed()
        shifted = float(printed(3 * 2.0 ** -52))            # cos 3 ulps high
        far = float(printed(40 * 2.0 ** -52))
    never = lambda: iter(())
    numpy_value = float(exact)
    judged = lambda p, scalar: fuzzer.classify(p, numpy_value, exact, never, lambda: numpy_value,
                                               printed_exact=printed, scalar=scalar)
    assert judged(shifted, numpy_value) == "vector functions' rounding"
    assert judged(far, numpy_value) is None
    assert judged(shifted, shifted) is None                  # not the vector functions' doing


def test_a_compiled_mismatch_fails_the_run(monkeypatch):
    """Break calls on purpose (all through ``Formula.__call__``: no fast path is installed
    here): the run must report them."""
    real_call = px.Formula.__call__
    monkeypatch.setattr(px.Formula, "_install_call", lambda self, kernel, head: None)

    def off_by_a_little(self, *args, **kwargs):
        result = real_call(self, *args, **kwargs)
        return result * (1 + 1e-9) if np.ndim(result) else result
    monkeypatch.setattr(px.Formula, "__call__", off_by_a_little)
    summary = _check("def f(x, y):\n    return np.sin(x) * y + 1.0\n", [(0.5, 2.0), (1.5, -3.0)])
    assert {m[1] for m in summary.mismatches} >= {"gradient scalar", "gradient array"}


def test_a_shared_reciprocal_is_a_division_at_each_use():
    """fuzz1197: ``1.5/tanh(z)`` in one branch and ``-y/tanh(z)`` in another shared
    ``1/tanh(z)``, which overflows at a subnormal z where ``-y/tanh(z)`` is 1e302."""
    source = ("def f(x, y, z):\n    t = (math.tanh(z) if x <= y else (-y))\n"
              "    return ((1.5 if t >= 2.0 else t) / math.tanh(z))\n")
    summary = _check(source, [(3.732552852791215e-07, 1e-08, -1e-310), (0.5, 0.25, 2.0)])
    assert not summary.mismatches and not summary.simplified_worse, summary.text()
