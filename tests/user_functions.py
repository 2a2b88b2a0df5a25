"""The user functions the front-end tests decorate: one per construct of the subset.

Every function here is plain Python and stays valid Python: the tests decorate
it with ``pyexpr.jit`` and compare the Formula against the function itself.
``SUBSET`` lists ``(function, domain)`` pairs, the domain mapping each
parameter to a sampling interval.  The few functions decorated here are the
helpers other functions call (calls to formulas are inlined).
"""
import math
from math import exp, sin, sqrt

import numpy as np
import sympy
from numpy import exp as e_exp

import pyexpr as px

SCALE = 2.5                  # a numeric global: frozen when a formula is decorated
OFFSET = 0.25
WEIGHTS = (1.0, 2.0, 3.0)    # a tuple global
N_TERMS = 4


# --- signatures -----------------------------------------------------------------

def two_args(x, y):
    return x * y + x


def with_defaults(x, a=2.0, b=3):
    return a * x + b


def with_docstring(x):
    """A docstring is not an expression statement."""
    return x + 1


# --- statements -------------------------------------------------------------------

def assignments(x, y):
    r = x * x + y * y
    s = r + 1
    s = s * 2            # rebinding
    return s - r


def tuple_unpacking(x, y):
    a, b = x + y, x - y
    (c, d), e = (a * b, a), b
    return c + d + e


def augmented(x, y):
    s = x
    s += y
    s -= 1
    s *= 2
    s /= 3
    s **= 2
    return s


def tuple_return(x, y):
    return x + y, x * y


def nested_tuple_return(x, y):
    return (x, y), (x * y, x - y)


def annotated(x: float) -> float:
    y: float = x * 2
    return y


# --- control flow -------------------------------------------------------------------

def if_elif_else_returns(x):
    if x < -1:
        return -x
    elif x < 1:
        return x * x
    else:
        return 2 * x - 1


def early_return(x, y):
    if x > y:
        return x - y
    z = x * y
    z = z + 1
    return z


def merged_branches(x, y):
    if x > 0:
        z = x * y
    else:
        z = y - x
    return z + 1


def branch_without_else(x):
    z = x
    if x > 1:
        z = 1 / x
    return z


def conditional_expression(x, y):
    return x if x > y else y * 2


def chained_comparison(x, y):
    return 1.0 if 0 < x < y <= 3 else 0.0


def boolean_operators(x, y):
    if (x > 0 and y > 0) or not x > -1:
        return x + y
    return x - y


def comparison_as_number(x):
    return x * (x > 0)


def tuple_branches(x, y):
    if x > y:
        return x, y
    return y, x


def static_if(x):
    if N_TERMS > 3:          # decided when decorated: no Piecewise
        return x * 2
    return x


def static_float_conditions(x):
    y = x
    if 0.0:                  # falsy, as in Python
        y = y + 100
    if 1.0 == 1:             # equal, as in Python
        y = y * 2
    if x:                    # a symbolic truth test: x != 0
        y = y + 1
    return y


def conditional_of_conditionals(x, y, z):
    a = x if x > y else 2 * y
    b = (a if a > z else z * 2) if z > a * 2 else a - 1
    return (b if b > a else 2 * a) + (1 if min(a, b) > 0 else 0)


# --- arithmetic -----------------------------------------------------------------------

def arithmetic(x, y):
    return x + y - x * y / (1 + y * y) + x ** 2 - -y


def floor_division(x, y):
    return x // y


def modulo(x, y):
    return x % y


def unary(x):
    return -x + (+x) * 2


def builtins_abs_min_max_pow(x, y):
    return abs(x) + min(x, y) + max(x, y, 0.5) + pow(abs(y) + 1, 1.5)


def min_of_tuple(x, y):
    return min((x, y, 1.0))


def float_powers(x):
    return abs(x) ** 0.5 + x ** 2.0 + (abs(x) + 1) ** -1.5


# --- functions and names ------------------------------------------------------------------

def math_functions(x):
    return math.exp(-x * x) + math.sin(x) + math.cos(x) + math.atan(x) + math.log(1 + x * x)


def numpy_functions(x):
    return np.exp(-x * x) + np.sin(x) + np.cos(x) + np.arctan(x) + np.log(1 + x * x)


def sympy_functions(x):
    return sympy.exp(-x * x) + sympy.sin(x) + sympy.cos(x) + sympy.atan(x) + sympy.log(1 + x * x)


def aliased_functions(x):
    return exp(-x * x) + e_exp(x / 4) + sin(x) + sqrt(1 + x * x)


def more_functions(x, y):
    return (math.hypot(x, y) + math.atan2(y, x) + math.tanh(x) + math.erf(x)
            + math.log1p(x * x) + math.expm1(x / 3) + math.log2(1 + y * y) + math.log10(2 + x)
            + math.floor(x) + math.ceil(y) + math.trunc(x) + np.sign(y) + math.fabs(x))


def constants(x):
    return math.pi * x + math.e + np.pi / 2 - min(x, math.inf)


def numeric_globals(x):
    return SCALE * x + OFFSET + sum(w * x for w in WEIGHTS)


def make_closure(k):
    def scaled(x):
        return k * x + 1
    return scaled


closure_of_3 = make_closure(3.0)


def make_mutable_closure():
    k = 2.0

    def scaled(x):
        return k * x

    def set_k(value):
        nonlocal k
        k = value
    return scaled, set_k


# --- calls to formulas, loops, lambdas ----------------------------------------------------

@px.jit
def helper_square(x):
    return x * x


@px.jit
def helper_polar(r, theta=0.0):
    return r * math.cos(theta), r * math.sin(theta)


def calls_formula(x, y):
    return helper_square(x) + helper_square(x + y)


def calls_multi_output(r, t):
    u, v = helper_polar(r, t)
    return u * v + helper_polar(r)[0]


def calls_with_keywords(r, t):
    u, v = helper_polar(theta=t, r=r)
    return u - v


def for_range_one(x):
    s = 0
    for i in range(4):
        s = s + x ** i
    return s


def for_range_two(x):
    s = 0
    for i in range(1, 4):
        s += i * x
    return s


def for_range_three(x):
    s = 1
    for i in range(10, 0, -3):
        s = s * (x + i)
    return s


def for_tuple_literal(x):
    s = 0
    for c in (1.5, -2, 0.25):
        s = s * x + c
    return s


def index_with_loop_counter(x):
    c = (1.0, 0.5, 0.25, 0.125)
    s = c[0]
    for i in range(2):
        s = s * x + c[i + 2] - c[-1 - i]
    return s


def for_range_global_bound(x):
    s = 0
    for i in range(N_TERMS):
        s += x ** i
    return s


def newton_sqrt(a):
    x = a
    for _ in range(6):
        x = 0.5 * (x + a / x)
    return x


def sum_generator(x):
    return sum(x ** k / (k + 1) for k in range(5))


def sum_nested_generator(x, y):
    return sum(x ** i * y ** j for i in range(3) for j in range(3) if i != j)


def sum_over_tuple(x):
    return sum((x, 2 * x, 3))


def prod_generator(x):
    return math.prod(x + k for k in range(1, 4))


def index_local_tuple(x, y):
    t = (x, y, x * y)
    return t[2] - t[0] + t[-1]


def local_lambda(x, y):
    sq = lambda v: v * v   # noqa: E731  (a lambda is part of the subset)
    return sq(x) + sq(y)


lambda_formula = lambda x, y: x * y + 1   # noqa: E731


def enumerate_zip(x):
    s = 0
    for i, c in enumerate(WEIGHTS):
        s += i * c * x
    for a, b in zip((1, 2), (3, 4)):
        s += a * b
    return s


# --- printing --------------------------------------------------------------------------

def small(x, y):
    return x * sin(y)


def gaussian(x, mu=0.0, sigma=1.0):
    return exp(-((x - mu) / sigma) ** 2 / 2) / (sigma * sqrt(2 * math.pi))


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def piecewise_constant(x, y):
    return math.floor(x) * y + np.sign(x) * y * y + x % 1.5 + (x // y) + math.ceil(y)


def simplifiable(x):
    return x + x + (x * x) / x - x


def fixed_point_tanh(T, h=0.1):
    """Mean-field magnetisation by 30 fixed-point steps: tanh nested 30 deep."""
    m = 1.0
    for _ in range(30):
        m = math.tanh((m + h) / T)
    return m


def kepler(M, e):
    """Position on a Kepler orbit: 8 Newton steps for E - e*sin(E) = M."""
    E = M
    for _ in range(8):
        E = E - (E - e * math.sin(E) - M) / (1 - e * math.cos(E))
    return math.cos(E) - e, math.sqrt(1 - e * e) * math.sin(E)


def ten_args(a, b, c, d, e, f, g, h, i, j):
    """About 50 operations of 10 arguments: the hessian() benchmark."""
    s1 = a * b + c * d - e / (1 + f * f)
    s2 = math.exp(-g * g) * math.sin(h + i) + math.log(1 + j * j)
    s3 = math.sqrt(a * a + b * b + 1) * math.cos(c - d) + math.tanh(e * f)
    s4 = (g + h) ** 3 / (2 + i * i) - math.atan(j * a)
    s5 = s1 * s2 + s3 / (1 + s4 * s4) + math.hypot(b, g) * math.exp(-c * c / 4)
    return s5 + s1 * s3 - s2 * s4 + (a - j) ** 2 * (b + i) + d * e * f


def thirty_lines(x, y, z):
    """A longer function: the decoration-time benchmark."""
    r2 = x * x + y * y + z * z
    r = sqrt(r2 + 1e-12)
    theta = math.acos(z / r)
    phi = math.atan2(y, x)
    s = sin(theta) * math.cos(phi)
    c = math.cos(theta)
    w = exp(-r2 / 2)
    a, b = s * w, c * w
    total = 0.0
    for k in range(1, 4):
        total += a ** k / k - b ** k / (k + 1)
    if r > 2:
        scale = 1 / r
    elif r > 1:
        scale = 1 / r2
    else:
        scale = 1.0
    u = total * scale
    v = math.log1p(r2) - math.tanh(u)
    q = max(u, v, 0.1)
    p = min(abs(u - v), 3.0)
    g = q / (1 + p)
    g += math.hypot(a, b)
    g *= 1.5
    h = g - math.floor(g)
    k2 = sum(h ** j for j in range(3))
    out1 = g + k2
    out2 = u * v - p
    return out1, out2, out1 * out2


# --- (function, domain) for the value checks ----------------------------------------------

R = (-3.0, 3.0)
POS = (0.2, 4.0)

SUBSET = [
    (two_args, {"x": R, "y": R}),
    (with_defaults, {"x": R}),
    (with_docstring, {"x": R}),
    (assignments, {"x": R, "y": R}),
    (tuple_unpacking, {"x": R, "y": R}),
    (augmented, {"x": R, "y": R}),
    (tuple_return, {"x": R, "y": R}),
    (nested_tuple_return, {"x": R, "y": R}),
    (annotated, {"x": R}),
    (if_elif_else_returns, {"x": R}),
    (early_return, {"x": R, "y": R}),
    (merged_branches, {"x": R, "y": R}),
    (branch_without_else, {"x": R}),
    (conditional_expression, {"x": R, "y": R}),
    (chained_comparison, {"x": (-1.0, 4.0), "y": (-1.0, 4.0)}),
    (boolean_operators, {"x": R, "y": R}),
    (comparison_as_number, {"x": R}),
    (tuple_branches, {"x": R, "y": R}),
    (static_if, {"x": R}),
    (static_float_conditions, {"x": R}),
    (conditional_of_conditionals, {"x": R, "y": R, "z": R}),
    (arithmetic, {"x": R, "y": R}),
    (floor_division, {"x": (-7.0, 7.0), "y": (-3.0, 3.0)}),
    (modulo, {"x": (-7.0, 7.0), "y": (-3.0, 3.0)}),
    (unary, {"x": R}),
    (builtins_abs_min_max_pow, {"x": R, "y": R}),
    (min_of_tuple, {"x": R, "y": R}),
    (float_powers, {"x": R}),
    (math_functions, {"x": R}),
    (numpy_functions, {"x": R}),
    (aliased_functions, {"x": R}),
    (more_functions, {"x": (-1.5, 3.0), "y": R}),
    (constants, {"x": R}),
    (numeric_globals, {"x": R}),
    (closure_of_3, {"x": R}),
    (calls_formula, {"x": R, "y": R}),
    (calls_multi_output, {"r": POS, "t": R}),
    (calls_with_keywords, {"r": POS, "t": R}),
    (for_range_one, {"x": R}),
    (for_range_two, {"x": R}),
    (for_range_three, {"x": R}),
    (for_tuple_literal, {"x": R}),
    (for_range_global_bound, {"x": R}),
    (index_with_loop_counter, {"x": R}),
    (newton_sqrt, {"a": POS}),
    (sum_generator, {"x": R}),
    (sum_nested_generator, {"x": R, "y": R}),
    (sum_over_tuple, {"x": R}),
    (prod_generator, {"x": R}),
    (index_local_tuple, {"x": R, "y": R}),
    (local_lambda, {"x": R, "y": R}),
    (lambda_formula, {"x": R, "y": R}),
    (enumerate_zip, {"x": R}),
    (small, {"x": R, "y": R}),
    (gaussian, {"x": R, "mu": R, "sigma": POS}),
    (rosenbrock, {"x": R, "y": R}),
    (piecewise_constant, {"x": R, "y": POS}),
    (simplifiable, {"x": POS}),
    (fixed_point_tanh, {"T": (0.3, 3.0), "h": (0.0, 0.2)}),
    (kepler, {"M": R, "e": (0.0, 0.6)}),
    (ten_args, {n: (-1.0, 1.0) for n in "abcdefghij"}),
    (thirty_lines, {"x": R, "y": R, "z": R}),
]


def power_of_a_square(x, y):
    return (x**2) ** (y**2 + 1)


def kinked_power(x):
    return (abs(x) + 1) ** -1.5


def odd_cube(x):
    return np.sign(x) * abs(x) ** 3


def masked_square(x, y):
    return np.sign(x) ** 2 * y ** 2
