"""Functions that test values for nan and infinity, for tests/test_special_values.py."""
import math

import numpy as np

import pyexpr as px


def with_itself(x):
    return (1.0 if x != x else 0.0) + (2.0 if x == x else 0.0) + (4.0 if x <= x else 0.0) \
        + (8.0 if x < x else 0.0) + (16.0 if x >= x else 0.0) + (32.0 if x > x else 0.0)


def with_infinities(x):
    total = 0.0
    for k, bound in enumerate((math.inf, -math.inf)):
        total += (1.0 if x == bound else 0.0) * 2.0**(6 * k) + (1.0 if x != bound else 0.0) * 2.0**(6 * k + 1) \
            + (1.0 if x < bound else 0.0) * 2.0**(6 * k + 2) + (1.0 if x <= bound else 0.0) * 2.0**(6 * k + 3) \
            + (1.0 if x > bound else 0.0) * 2.0**(6 * k + 4) + (1.0 if bound >= x else 0.0) * 2.0**(6 * k + 5)
    return total


def tests(x, y):
    a = 0.0 if math.isnan(x) else x * y
    b = 1.0 if np.isinf(y) else 2.0
    c = 4.0 if math.isfinite(x * y) else 8.0
    return a + b + c


def of_an_expression(x, y):
    return 1.0 if x * y != x * y else 0.0


def ignoring_nan(x):
    return np.sum(np.where(np.isnan(x), 0.0, x**2))


def nan_count(x):
    return np.sum(x != x)


def infinite_count(x):
    return np.sum(x == np.inf) + 10 * np.count_nonzero(np.isinf(x))


def finite_mean(x):
    return np.sum(np.where(np.isfinite(x), x, 0.0)) / np.count_nonzero(np.isfinite(x))


def skipping_nan(x):
    s = 0.0
    for v in x:
        if not math.isnan(v):
            s += np.sin(v)
    return s


def masked_sum(x):
    return np.sum((x > 1) * x**2)


def masked_product(x):
    return np.prod((x > 0) * x + 1.0)


def masked_max(x):
    return np.max((x > 0) * x)


def weighted_where(x, y):
    return np.sum(np.where(x > 0, x, 0.0) * y)


def masked_square(x):
    return (x > 1) * x**2


def count_above(x, a):
    return np.sum(x > a)


def in_band(x, lo, hi):
    return np.sum((x > lo) & (x < hi))


def share_below(x, a):
    return np.mean(a > x)


def above_and_squares(a, x):
    return np.sum(x > a) + np.sum(x**2)


def above_annotated(a: float, x):
    return np.sum(x > a)


def band_of_a_vector(lo, hi, x: px.Vector):
    return np.sum((x > lo) & (x < hi))


def nonzero_of_a_matrix(A: px.Matrix):
    return np.count_nonzero(A > 0.2)


def infinity_of_a_chosen_value(x, y):
    v = x if x > 0 else y
    w = y if math.isnan(v) else v
    return 0.0 if math.isinf(w) else w


def nan_of_a_chosen_value(x, y):
    v = x if x > 0 else y
    u = v if not math.isinf(v) else 0.0
    return u if math.isnan(u) else -u
