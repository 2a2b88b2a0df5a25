"""The cancellation examples and problems of Hamming's *Numerical Methods for
Scientists and Engineers*, chapter 3, as Python.

Each case is the formula as the book writes it (``written``: plain Python
with numpy spellings, so the same function runs on numpy arrays as written
and is read by ``px.jit``), the expert's rewrite where the book gives one
(``alt``: numpy code, run as written), the domain of each argument and the
precondition the points must meet.  Domains and preconditions follow the
published floating-point benchmark collections of the same cases; an
argument without a domain ranges over every finite float.
"""
from dataclasses import dataclass, field

import numpy as np

BIG = float(np.finfo(np.float64).max)


@dataclass(frozen=True)
class Case:
    name: str
    written: object
    alt: object = None
    ranges: dict = field(default_factory=dict)
    where: object = None


# --- rearrangement ---------------------------------------------------------------------

def sqrt_difference(x):
    return np.sqrt(x + 1) - np.sqrt(x)


def sqrt_difference_alt(x):
    return 1 / (np.sqrt(x + 1) + np.sqrt(x))


def inverse_sqrt_difference(x):
    return 1 / np.sqrt(x) - 1 / np.sqrt(x + 1)


def inverse_sqrt_difference_alt(x):
    return 1 / ((x + 1) * np.sqrt(x) + x * np.sqrt(x + 1))


def two_fractions(x):
    return 1 / (x + 1) - 1 / x


def three_fractions(x):
    return 1 / (x + 1) - 2 / x + 1 / (x - 1)


def three_fractions_alt(x):
    return 2 / (x * (x * x - 1))


def cbrt_difference(x):
    return np.cbrt(x + 1) - np.cbrt(x)


def log_difference(n):
    return np.log(n + 1) - np.log(n)


def log_difference_alt(n):
    series = 1 / n - 1 / (2 * n**2) + 1 / (3 * n**3) - 1 / (4 * n**4)
    return np.where(n >= 1e3, series, np.log(1 + 1 / n))


def cosh_minus_one(x):
    return np.exp(x) - 2 + np.exp(-x)


def cosh_minus_one_alt(x):
    return 4 * np.sinh(x / 2) ** 2


# --- the quadratic formula -------------------------------------------------------------

def quadratic_plus(a, b, c):
    return (-b + np.sqrt(b * b - 4 * (a * c))) / (2 * a)


def quadratic_plus_alt(a, b, c):
    d = np.sqrt(b * b - 4 * (a * c))
    return np.where(b < 0, (-b + d) / (2 * a), c / (a * ((-b - d) / (2 * a))))


def quadratic_minus(a, b, c):
    return (-b - np.sqrt(b * b - 4 * (a * c))) / (2 * a)


def quadratic_minus_alt(a, b, c):
    d = np.sqrt(b * b - 4 * (a * c))
    return np.where(b < 0, c / (a * ((-b + d) / (2 * a))), (-b - d) / (2 * a))


def half_quadratic_minus(a, b, c):
    return (-b - np.sqrt(b * b - a * c)) / a


def half_quadratic_plus(a, b, c):
    return (-b + np.sqrt(b * b - a * c)) / a


# --- trigonometry ------------------------------------------------------------------------

def sin_difference(x, eps):
    return np.sin(x + eps) - np.sin(x)


def sin_difference_alt(x, eps):
    return 2 * np.cos(x + eps / 2) * np.sin(eps / 2)


def cos_difference(x, eps):
    return np.cos(x + eps) - np.cos(x)


def cos_difference_alt(x, eps):
    return -2 * np.sin(x + eps / 2) * np.sin(eps / 2)


def tan_difference(x, eps):
    return np.tan(x + eps) - np.tan(x)


def tan_difference_alt(x, eps):
    return np.sin(eps) / (np.cos(x) * np.cos(x + eps))


def half_angle_tangent(x):
    return (1 - np.cos(x)) / np.sin(x)


def half_angle_tangent_alt(x):
    return np.tan(x / 2)


def atan_difference(n):
    return np.arctan(n + 1) - np.arctan(n)


def atan_difference_alt(n):
    return np.arctan(1 / (1 + n * (n + 1)))


def sin_over_tan(x):
    return (x - np.sin(x)) / (x - np.tan(x))


def sin_over_tan_alt(x):
    series = -0.5 + 9 * x**2 / 40 - 27 * x**4 / 2800 + 27 * x**6 / 112000
    return np.where(np.abs(x) <= 1, series, (x - np.sin(x)) / (x - np.tan(x)))


# --- series ----------------------------------------------------------------------------

def exp_minus_one(x):
    return np.exp(x) - 1


def exp_minus_one_alt(x):
    return np.expm1(x)


def log_growth(n):
    return (n + 1) * np.log(n + 1) - n * np.log(n) - 1


def log_growth_alt(n):
    return np.log(n + 1) - (1 / (2 * n) - (1 / (3 * (n * n)) - 4 / n**3))


def inverse_cotangent(x):
    return 1 / x - 1 / np.tan(x)


def inverse_cotangent_alt(x):
    return (x / 3) * (1 + x * x / 15)


def log_ratio(x):
    return np.log(1 - x) / np.log(1 + x)


def log_ratio_alt(x):
    return np.log1p(-x) / np.log1p(x)


def one_minus_cos_over_square(x):
    return (1 - np.cos(x)) / (x * x)


def exp_quotient(a, b, eps):
    return eps * (np.exp((a + b) * eps) - 1) / ((np.exp(a * eps) - 1) * (np.exp(b * eps) - 1))


def exp_quotient_alt(a, b, eps):
    return 1 / a + 1 / b


def log_quotient(eps):
    return np.log((1 - eps) / (1 + eps))


def log_quotient_alt(eps):
    return np.log1p(-eps) - np.log1p(eps)


def sqrt_exp_quotient(x):
    return np.sqrt((np.exp(2 * x) - 1) / (np.exp(x) - 1))


def root_difference(x, n):
    return (x + 1) ** (1 / n) - x ** (1 / n)


def _small_step(x, eps):
    return (1e-16 * np.abs(x) < eps) & (eps < np.abs(x))


_TRIG = {"x": (-1e4, 1e4), "eps": (0.0, 1e4)}

CASES = [
    Case("2sqrt (example 3.1)", sqrt_difference, sqrt_difference_alt, {"x": (1.0, 1e100)}),
    Case("2isqrt (example 3.6)", inverse_sqrt_difference, inverse_sqrt_difference_alt,
         {"x": (1.0, 1e100)}),
    Case("2frac (problem 3.3.1)", two_fractions),
    Case("3frac (problem 3.3.3)", three_fractions, three_fractions_alt),
    Case("2cbrt (problem 3.3.4)", cbrt_difference, None, {"x": (-1e5, 1e5)}),
    Case("2log (problem 3.3.6)", log_difference, log_difference_alt, {"n": (1.0, 1e40)}),
    Case("exp2 (problem 3.3.7)", cosh_minus_one, cosh_minus_one_alt, {"x": (-710.0, 710.0)}),
    Case("quadp (p. 42, +)", quadratic_plus, quadratic_plus_alt),
    Case("quadm (p. 42, -)", quadratic_minus, quadratic_minus_alt),
    Case("quad2m (problem 3.2.1, -)", half_quadratic_minus),
    Case("quad2p (problem 3.2.1, +)", half_quadratic_plus),
    Case("2sin (example 3.3)", sin_difference, sin_difference_alt, _TRIG, _small_step),
    Case("2cos (problem 3.3.5)", cos_difference, cos_difference_alt, _TRIG, _small_step),
    Case("2tan (problem 3.3.2)", tan_difference, tan_difference_alt, _TRIG, _small_step),
    Case("tanhf (example 3.4)", half_angle_tangent, half_angle_tangent_alt),
    Case("2atan (example 3.5)", atan_difference, atan_difference_alt, {"n": (1.0, 1e100)}),
    Case("sintan (problem 3.4.5)", sin_over_tan, sin_over_tan_alt, {"x": (-1e5, 1e5)}),
    Case("expm1 (example 3.7)", exp_minus_one, exp_minus_one_alt, {"x": (-0.5, 0.5)}),
    Case("logs (example 3.8)", log_growth, log_growth_alt, {"n": (6.8e15, BIG)}),
    Case("invcot (example 3.9)", inverse_cotangent, inverse_cotangent_alt, {"x": (-0.026, 0.026)}),
    Case("qlog (example 3.10)", log_ratio, log_ratio_alt, {"x": (-0.5, 0.5)}),
    Case("cos2 (problem 3.4.1)", one_minus_cos_over_square),
    Case("expq3 (problem 3.4.2)", exp_quotient, exp_quotient_alt,
         {"a": (-710.0, 710.0), "b": (-710.0, 710.0), "eps": (0.0, 710.0)},
         lambda a, b, eps: (a <= b) & (1e-27 * np.abs(a) <= eps) & (eps <= np.abs(a))),
    Case("logq (problem 3.4.3)", log_quotient, log_quotient_alt, {"eps": (-1.0, 1.0)}),
    Case("sqrtexp (problem 3.4.4)", sqrt_exp_quotient),
    Case("2nthrt (problem 3.4.6)", root_difference),
]
