"""Code written as numpy code: locals computed from vectors, small numpy arrays (module
level, ``np.array([...])``, ``np.arange``, unpacked parameters) that compute elementwise,
and the ``float`` annotation -- each against the same function run by numpy."""
import math
import runpy

import numpy as np
import pytest
import scipy.special as scipy_special

import pyexpr as px
from pyexpr.errors import PyExprError

SHIFT = np.array([0.5, -1.0, 2.0, 0.25])
FEW = np.linspace(-1.0, 2.0, 7)        # a few data points: data beside parameters


def shifted_sphere(x):
    z = x - 1.0
    return np.sum(z**2)


def shifted_rastrigin(x: px.Vector):
    # beside module data, an unannotated parameter is a number (as beside 8,000 points)
    z = x - SHIFT
    return np.sum(z**2 - 10 * np.cos(2 * np.pi * z) + 10)


def ends(x):
    y = x**2
    return y[0] + y[-1]


def indexed_and_whole(x, y):
    r = np.sum(x**2) + x[0]
    return np.sum(r * y)


def local_loop(x):
    z = 2 * x + 1
    total = 0.0
    for v in z:
        total += v**2
    return total


def chained(x):
    a = x + 1
    b = a * a
    c = b[1:] - b[:-1]
    return np.sum(c**2)


def augmented(x):
    z = x * 1.0
    z += 2.0
    return np.sum(z**2)


def normalized(x):
    r = np.sqrt(np.sum(x**2))
    u = x / r
    return np.sum(u[:-1] * u[1:])


def weighted(x):
    w = np.array([1.0, 2.0, 3.0])
    return np.sum(w * x)


def signs(x):
    w = np.array([1.0, -2.0, 3.0])
    return np.sum(np.where(w > 0, x, -x))


def ramp(t, y):
    a, b, c = y
    return -2 * y + np.arange(3) * t


def oscillator(t, y):
    y1, y2 = y
    return np.array([y2, -y1 + 0.1 * t])


def few_points(mu: float, sigma: float):
    r = (FEW - mu) / sigma
    return np.sum(r**2) / 2 + len(FEW) * np.log(sigma)


def table(x: px.Vector):
    A = np.array([[3.0, 10.0, 30.0], [0.1, 10.0, 35.0]])
    return np.sum(np.exp(-np.sum(A * (x - 0.5)**2, axis=1)))


def periodic_heat(u):
    return np.roll(u, 1) - 2 * u + np.roll(u, -1)


def far_neighbours(x):
    return np.sum(x * np.roll(x, shift=3))


def rolled_table(t):
    a = np.array([1.0, 2.0, 3.0])
    return np.sum(np.roll(a, 1) * np.arange(3)) * t


WEIGHTS = np.array([1.0, 2.0, 3.0])


def dotted(x):
    return np.dot(WEIGHTS, x) + x @ WEIGHTS + WEIGHTS @ x


def largest_weighted(x):
    return max(WEIGHTS * x) - min(x * np.array([3.0, 2.0, 1.0]))


def robertson(t, y):
    dy = np.zeros_like(y)
    dy[0] = -0.04 * y[0] + 1e4 * y[1] * y[2]
    dy[1] = 0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1]**2
    dy[2] = 3e7 * y[1]**2
    return dy


def filled_in_a_loop(t, y):
    a, b, c = y
    fresh = y * 1.0
    fresh += 1.0
    dy = np.empty(3)
    for i in range(3):
        dy[i] = -y[i] * (i + 1)
    dy[0] += t
    if t > 1:
        dy[1] = 0.0
    dy[1:] *= 2
    return dy + fresh[0] - y[0] - 1.0


def polynomial(x):
    return np.polyval(np.array([3.0, -2.0, 0.5, 1.0]), x) + np.polyval([1.0, 2.0], x)


def reversed_product(x):
    return np.sum(x[::-1] * x**2)


def extremes(x):
    return np.max(WEIGHTS * x) - np.amin(np.abs(x)) + np.min(x)


def norms(x):
    return np.linalg.norm(x, 1) + np.linalg.norm(x, ord=3) + np.linalg.norm(x, 2) + np.linalg.norm(x[:3], np.inf)


def listed(x):
    return sum([v**2 - 10 * np.cos(2 * np.pi * v) for v in x]) + np.sum(np.array([abs(v) for v in x])) \
        + max([v * v for v in x[:2]])


def constant_ranges(x):
    # arrays of constants beside x: numpy reduces a vector x of their length
    return np.sum(np.arange(3) * x) + np.sum(np.cumsum(WEIGHTS) * x) + np.sum(np.diff(WEIGHTS**2) * x[1:])


def number_beside_arrays(x: float):
    return np.sum(WEIGHTS * x**np.arange(3))


def beside_unpacked(p, t):
    a, b = p
    return np.sum(p * t) + a


CASES = [(shifted_sphere, (np.arange(4.0),)), (shifted_rastrigin, (np.array([1.0, 2.0, 3.0, 4.0]),)),
         (ends, (np.arange(1.0, 5.0),)), (indexed_and_whole, (np.arange(1.0, 4.0), np.arange(2.0, 6.0))),
         (local_loop, (np.arange(3.0),)), (chained, (np.arange(5.0),)), (augmented, (np.arange(3.0),)),
         (normalized, (np.arange(1.0, 6.0),)), (weighted, (np.array([1.0, 2.0, 3.0]),)),
         (signs, (np.array([1.0, 2.0, 3.0]),)), (ramp, (0.5, np.array([1.0, 2.0, 3.0]))),
         (oscillator, (0.5, np.array([1.0, 2.0]))), (few_points, (0.3, 1.7)),
         (table, (np.array([0.1, 0.7, 0.4]),)), (periodic_heat, (np.arange(6.0)**1.5,)),
         (far_neighbours, (np.arange(5.0)**1.5,)), (rolled_table, (1.5,)),
         (dotted, (np.array([0.5, -1.0, 2.0]),)), (largest_weighted, (np.array([0.5, -1.0, 2.0]),)),
         (robertson, (0.0, np.array([1.0, 2e-5, 0.3]))), (filled_in_a_loop, (0.5, np.array([1.0, 2.0, 3.0]))),
         (filled_in_a_loop, (1.5, np.array([1.0, 2.0, 3.0]))), (polynomial, (np.linspace(-2.0, 2.0, 5),)),
         (polynomial, (0.75,)), (reversed_product, (np.arange(1.0, 6.0)**0.5,)),
         (extremes, (np.array([0.5, -1.0, 2.0]),)), (norms, (np.array([0.5, -1.0, 2.0, 0.25]),)),
         (listed, (np.array([0.5, -1.0, 2.0, 0.25]),)), (constant_ranges, (np.array([0.5, -1.0, 2.0]),)),
         (number_beside_arrays, (0.75,)), (beside_unpacked, (np.array([1.0, 2.0]), np.array([3.0, -4.0])))]


VECTOR_OUTPUTS = (ramp, oscillator, periodic_heat, robertson, filled_in_a_loop, polynomial)


@pytest.mark.parametrize("fn, args", CASES, ids=[fn.__name__ for fn, _ in CASES])
def test_numpy_style_code_agrees_with_numpy(fn, args):
    f = px.jit(fn)
    assert np.allclose(f(*args), fn(*args), rtol=1e-13, atol=1e-13)


def _differences(fn, args, k, h=1e-6):
    flat = np.atleast_1d(np.array(args[k], dtype=float))
    columns = []
    for i in range(flat.size):
        step = np.zeros_like(flat)
        step[i] = h
        at = [list(args), list(args)]
        at[0][k] = (flat + step).reshape(np.shape(args[k]))
        at[1][k] = (flat - step).reshape(np.shape(args[k]))
        columns.append((fn(*at[0]) - fn(*at[1])) / (2 * h))
    return np.array(columns)


#: the argument each gradient is taken by
WRT = {"indexed_and_whole": "x", "few_points": ("mu", "sigma"), "beside_unpacked": "p"}


@pytest.mark.parametrize("fn, args", [c for c in CASES if c[0] not in VECTOR_OUTPUTS],
                         ids=[fn.__name__ for fn, _ in CASES if fn not in VECTOR_OUTPUTS])
def test_their_gradients_agree_with_differences(fn, args):
    f = px.jit(fn)
    wrt = WRT.get(fn.__name__)
    gradient = f.grad(wrt)(*args)
    if isinstance(wrt, tuple):
        reference = np.concatenate([_differences(fn, args, k) for k in range(len(wrt))])
    else:
        reference = _differences(fn, args, 0)
    assert np.allclose(gradient, reference, rtol=1e-6, atol=1e-6)


def test_a_gradient_by_an_arguments_symbol_is_by_its_name():
    f = px.jit(chained)
    assert np.array_equal(f.grad(f.args[0])(np.arange(5.0)), f.grad("x")(np.arange(5.0)))


def mismatched(x):
    a = np.array([1.0, 2.0])
    b = np.array([1.0, 2.0, 3.0])
    return np.sum(a * b * x)


def pinned(x):
    a = np.array([1.0, 2.0])
    return np.sum(a * x)


def python_tuple(a, b):
    t = (a, b)
    return np.sum(t * 2)


def ragged(x):
    A = np.array([[1.0, 2.0], [3.0]])
    return np.sum(A) * x


def integer_array(x):
    A = np.array([1.0, 2.0], dtype=int)
    return np.sum(A * x)


def test_a_vector_beside_a_small_array_has_its_length():
    f = px.jit(pinned)
    assert f(np.array([3.0, 4.0])) == 11.0
    with pytest.raises(ValueError, match=r"pinned\(\): argument 'x' must have length 2 .* not 3"):
        f(np.ones(3))
    with pytest.raises(ValueError, match=r"annotate it `x: float` if it is a number"):
        f(2.0)


def test_locals_used_twice_at_every_link_are_computed_once(tmp_path):
    # a = x + x; b = a + a; ...: each link reads the last twice, 2**40 reads written out
    lines = ["import numpy as np", "def doubled(x):", "    a0 = x + 1.0"]
    lines += [f"    a{k} = a{k - 1} + a{k - 1}" for k in range(1, 41)] + ["    return np.sum(a40)"]
    path = tmp_path / "doubled.py"
    path.write_text("\n".join(lines) + "\n")
    namespace = runpy.run_path(str(path))
    f = px.jit(namespace["doubled"])
    assert f(np.ones(3)) == namespace["doubled"](np.ones(3)) == 3 * 2.0**41


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_a_periodic_stencil_and_its_banded_jacobian(n):
    f = px.jit(periodic_heat)
    u = np.linspace(0.5, 2.0, n)**2
    assert np.allclose(f(u), periodic_heat(u), rtol=1e-14, atol=1e-14)
    expected = np.roll(np.eye(n), 1, axis=1) - 2 * np.eye(n) + np.roll(np.eye(n), -1, axis=1)
    assert np.array_equal(np.asarray(f.jacobian("u")(u)), expected)
    assert np.array_equal(f.jacobian("u", sparse=True)(u).toarray(), expected)


def test_a_roll_further_than_the_vector_is_long_is_refused():
    f = px.jit(far_neighbours)
    with pytest.raises(ValueError, match=r"far_neighbours\(\): argument 'x' of length 2 is too short"):
        f(np.ones(2))


def test_an_ode_right_hand_side_filled_item_by_item_has_its_jacobian():
    f = px.jit(robertson)
    y = np.array([1.0, 2e-5, 0.3])
    expected = np.array([[-0.04, 1e4 * y[2], 1e4 * y[1]],
                         [0.04, -1e4 * y[2] - 6e7 * y[1], -1e4 * y[1]],
                         [0.0, 6e7 * y[1], 0.0]])
    assert np.allclose(np.asarray(f.jacobian("y")(0.0, y)), expected, rtol=1e-14, atol=0)


def aliased(t, y):
    a, b = y
    dy = np.zeros(2)
    other = dy
    dy[0] = 1.0
    return other


def viewed(t: float):
    a = np.zeros(3)
    b = a[1:]
    a[1] = t
    return b[0]


def as_array(t: float):
    a = np.zeros(3)
    b = np.asarray(a)
    b[0] = t
    return a[0]


def in_a_list(t: float):
    a = np.zeros(2)
    both = [a, a]
    a[0] = t
    return both[0][0]


def in_a_lambda(t: float):
    a = np.zeros(2)
    g = lambda: a  # noqa: E731
    a[0] = t
    return g()[0]


def aliased_in_a_branch(t: float):
    a = np.zeros(2)
    if t > 0:
        b = a
    else:
        b = np.ones(2)
    b[0] = 5.0
    return a[0]


def module_array(t: float):
    d = WEIGHTS
    d[0] = t
    return WEIGHTS[0] + d[0]


def added_in_place(t: float):
    a = np.zeros(2)
    b = a
    a += t
    return b[0]


def argument_added_in_place(t: float, y):
    a, b = y
    z = y
    z += t
    return y


def integers_stored(t: float):
    a = np.array([1, 2, 3])
    a[0] = t
    return a


def integers_like(t: float):
    return np.full_like(np.arange(3), t)


def kinds_in_branches(t: float, y):
    a, b = y
    r = (a, b) if t > 0 else np.array([b, a])
    return r


def changes_its_argument(t, y):
    a, b = y
    y[0] = 1.0
    return y


def max_along(x):
    return np.max(x, 0)


def max_of_a_matrix(A: px.Matrix):
    return np.max(A)


@pytest.mark.parametrize("fn, message", [
    (mismatched, r"arrays of lengths 2 and 3 cannot be combined elementwise"),
    (python_tuple, r"a tuple cannot be used as a number here"),
    (ragged, r"np.array of rows takes rows of numbers of one length"),
    (integer_array, r"np.array takes one list \(and dtype=float\)"),
    (aliased, r"dy is changed in place \(line \d+\) and another name or a container holds it: numpy's "
              r"change would be seen here too; copy it where it is read whole: np.array\(dy\)"),
    (viewed, r"a is changed in place \(line \d+\) and a slice of it is a view"),
    (as_array, r"b is changed in place \(line \d+\) and is also bound to a value that may be another array's"),
    (in_a_list, r"a is changed in place \(line \d+\) and another name or a container holds it"),
    (in_a_lambda, r"a is changed in place \(line \d+\) and a lambda holds it"),
    (aliased_in_a_branch, r"b is changed in place"),
    (module_array, r"d is changed in place"),
    (added_in_place, r"a is changed in place \(line \d+\) and another name or a container holds it"),
    (argument_added_in_place, r"z is an argument: z \+= changes the caller's array in numpy"),
    (integers_stored, r"a is an integer array: numpy would truncate the value stored"),
    (integers_like, r"an array like an integer array holds integers: numpy would truncate the value"),
    (kinds_in_branches, r"the branches give an array on one path and a tuple on the other"),
    (changes_its_argument, r"y is an argument: a formula cannot change it"),
    (max_along, r"np.max takes one array in a formula \(no axis\)"),
    (max_of_a_matrix, r"max of a matrix is not supported yet"),
])
def test_what_numpy_would_not_compute_alike_is_refused_at_its_line(fn, message):
    with pytest.raises(PyExprError, match=message) as caught:
        px.jit(fn)
    assert "test_numpy_style.py, line" in str(caught.value)


def floor_divided(t):
    return t // 49 + math.floor(t / 3) + math.ceil(t / 7) + math.trunc(-t / 49) + t // 2 + (t + 1) // 3 \
        + math.ceil((2 * t - 5) / 7) + (t - 2) // 6 + (t - 7) // 49


def test_division_inside_floor_ceil_and_trunc_rounds_once_as_numpy():
    # t*(1/49) is 1.9999999999999998 at t = 98: its floor was 1 where 98 // 49 is 2; (t + 1)//3,
    # held as floor(t/3 + 1/3), was 5*(1/3) + 1/3 = 1.9999999999999998 at t = 5, its floor 1
    f = px.jit(floor_divided)
    t = np.arange(-3000.0, 3000.0)
    expected = t // 49 + np.floor(t / 3) + np.ceil(t / 7) + np.trunc(-t / 49) + t // 2 + (t + 1) // 3 \
        + np.ceil((2 * t - 5) / 7) + (t - 2) // 6 + (t - 7) // 49
    assert np.array_equal(f(t), expected)
    assert f(98.0) == floor_divided(98.0)
    namespace = {}
    exec(f.python_source, namespace)
    assert all(namespace["floor_divided"](v) == e for v, e in zip(t[::7], expected[::7]))


def nan_ignoring(x, y):
    return np.fmax(x, y) + np.fmin(x, 2 * y) + np.maximum(x, y)


def larger_of_two(x, y):
    return np.fmax(x, y)


def test_fmax_and_fmin_ignore_a_nan_as_numpys_do_on_every_path():
    # they were np.maximum and np.minimum, which propagate it: fmax(nan, 2.0) was nan
    f = px.jit(nan_ignoring)
    values = np.array([np.nan, -np.inf, -1.0, -0.0, 0.0, 0.5, 2.0, np.inf])
    x, y = np.meshgrid(values, values)
    with np.errstate(invalid="ignore"):
        expected = nan_ignoring(x, y)
        assert np.array_equal(f(x, y), expected, equal_nan=True)
        assert np.array_equal(px.jit(nan_ignoring, dtype="float32")(x.astype(np.float32), y.astype(np.float32)),
                              nan_ignoring(x.astype(np.float32), y.astype(np.float32)), equal_nan=True)
        assert all(np.array_equal(f(a, b), e, equal_nan=True) for a, b, e in zip(x.flat, y.flat, expected.flat))
        namespace = {}
        exec(f.python_source, namespace)
        assert all(np.array_equal(namespace["nan_ignoring"](a, b), e, equal_nan=True)
                   for a, b, e in zip(x.flat, y.flat, expected.flat))
    assert px.jit(larger_of_two)(np.nan, 2.0) == 2.0 and px.jit(larger_of_two)(2.0, np.nan) == 2.0
    assert list(f.grad()(3.0, 1.0)) == [2.0, 2.0] and list(f.grad()(1.0, 3.0)) == [1.0, 2.0]


def renamed(x):
    t = 2 * x
    s = t
    return s + 1


def test_a_local_named_again_is_no_use_as_a_vector():
    f = px.jit(renamed)
    assert f(3.0) == 7.0
    assert np.array_equal(f(np.array([1.0, 2.0])), [3.0, 5.0])      # a number, broadcast


def sum_over_two(x, y):
    return np.sum(np.concatenate([x, y])**2)


def joined(x, y):
    return np.concatenate([x**2, 2 * y])


def largest_of_two(x, y):
    return np.max(np.concatenate([x, y]))


def two_species(u, v):
    """Two arrays of one length filled, then packed as solve_ivp's state: numpy copies them."""
    du = np.zeros_like(u)
    du[1:] = u[:-1] * v[1:]
    return np.concatenate([du, -v * u])


@pytest.mark.parametrize("nx, ny", [(1, 1), (2, 3), (5, 2), (40, 17)])
def test_concatenations_of_vectors_of_different_lengths_compute_as_numpy(nx, ny):
    """The cases of a concatenation's index lie at sums of lengths (n_x, n_x + n_y), in an
    order that holds for every length (``indexing._cases_of_several``)."""
    rng = np.random.default_rng(nx * 100 + ny)
    x, y = rng.normal(size=nx), rng.normal(size=ny)
    for fn in (sum_over_two, joined, largest_of_two):
        np.testing.assert_allclose(px.jit(fn)(x, y), fn(x, y), rtol=1e-14, err_msg=fn.__name__)
    u, v = rng.normal(size=(2, nx))
    np.testing.assert_allclose(px.jit(two_species)(u, v), two_species(u, v), rtol=1e-14)


def shifted_join(x, y):
    return np.concatenate([x[1:], y]) * 2.0


def weighted_three(x, y):
    return np.sum(np.concatenate([x, y, x]) ** 2 * np.arange(2 * len(x) + len(y)))


def trimmed_join(x, y):
    z = np.concatenate([x[1:-1], y[2:]])
    return np.sum(z * np.arange(len(z)))


def around(x, y):
    return np.sum(np.concatenate([y[:-1], x, y[1:]]) ** 3)


def test_concatenations_of_slices_and_repeated_parts_with_their_derivatives():
    """Bounds that are lengths less a constant among several lengths (a gap of n_x - 1), and
    a vector met twice: values and gradients by each vector at every small pair of lengths;
    a part that numpy would leave empty where the formula's length is negative is refused."""
    for fn in (shifted_join, weighted_three, trimmed_join, around):
        f = px.jit(fn)
        scalar = fn is not shifted_join
        by = {w: (f.grad(wrt=w) if scalar else f.jacobian(wrt=w)) for w in "xy"}
        for nx in range(6):
            for ny in range(6):
                rng = np.random.default_rng(10 * nx + ny)
                x, y = rng.uniform(-1, 1, nx), rng.uniform(-1, 1, ny)
                try:
                    want = fn(x, y)
                except (IndexError, ValueError):
                    continue
                try:
                    got = f(x, y)
                except ValueError as refused:
                    assert "too short" in str(refused) and (nx < 2 or ny < 2), (fn.__name__, nx, ny)
                    continue
                np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13, err_msg=f"{fn.__name__} {nx} {ny}")
                for w, k in (("x", 0), ("y", 1)):
                    args = [x, y]
                    if not len(args[k]):
                        continue
                    steps = np.eye(len(args[k])) * 1e-6
                    numeric = np.array([(fn(*[a + s if i == k else a for i, a in enumerate(args)])
                                         - fn(*[a - s if i == k else a for i, a in enumerate(args)])) / 2e-6
                                        for s in steps]).T
                    np.testing.assert_allclose(by[w](x, y), numeric, atol=1e-7,
                                               err_msg=f"{fn.__name__} by {w} at {nx}, {ny}")


def parts_of_their_own(x, y):
    return np.concatenate([x**2, np.sin(y), x[1:] - x[:-1]])


def test_each_part_of_a_concatenation_is_an_array_of_its_own():
    # np.sin(y) beside x was read as a number (numpy does not broadcast between the parts)
    f = px.jit(parts_of_their_own)
    assert [length is not None for _, length in f.signature] == [True, True]
    x, y = np.arange(4.0), np.arange(3.0)
    np.testing.assert_allclose(f(x, y), parts_of_their_own(x, y), rtol=1e-15)


def mean_of_a_reversed_slice(x):
    return np.mean(x[len(x) // 2:len(x) // 3]) + np.mean(x[2:1])


def test_a_mean_of_no_elements_is_nan():
    f = px.jit(mean_of_a_reversed_slice)
    for n in range(0, 10):
        assert np.isnan(f(np.arange(1.0, n + 1))), n


SMALL_DATA = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0])
SMALL_TIMES = np.linspace(0.0, 1.0, 8)


def logistic_on_small_data(w0: float, w1: float):
    z = w0 + w1 * SMALL_TIMES
    y = np.where(SMALL_DATA > 3, 1.0, 0.0)
    return np.sum(np.logaddexp(0, z) - y * z)


def poisson_on_small_data(a: float, b: float):
    mu = np.exp(a + b * SMALL_TIMES)
    return np.sum(mu - SMALL_DATA * np.log(mu) + scipy_special.gammaln(SMALL_DATA + 1))


def logsumexp_of_a_vector(x):
    return scipy_special.logsumexp(x) + scipy_special.logsumexp(2.0 * x)


def test_likelihoods_over_small_data_tables():
    """np.where of a condition per element of a small (unrolled) data array, scipy's
    gammaln, scipy's logsumexp of a vector (stabilized as np.log(np.sum(np.exp(x))))."""
    for fn, args in ((logistic_on_small_data, (0.1, 0.5)), (poisson_on_small_data, (0.5, 1.0))):
        f = px.jit(fn)
        assert f(*args) == pytest.approx(fn(*args), rel=1e-13), fn.__name__
        h = 1e-6
        numeric = [(fn(*(a + h * (k == m) for m, a in enumerate(args))) -
                    fn(*(a - h * (k == m) for m, a in enumerate(args)))) / (2 * h) for k in range(2)]
        np.testing.assert_allclose(f.grad()(*args), numeric, rtol=1e-6)
    f = px.jit(logsumexp_of_a_vector)
    x = np.array([800.0, 801.0, 799.0, 10.0])
    assert f(x) == pytest.approx(logsumexp_of_a_vector(x), rel=1e-15)
    np.testing.assert_allclose(f.grad()(x), scipy_special.softmax(x) + 2 * scipy_special.softmax(2 * x),
                               rtol=1e-12, atol=1e-300)


def test_jacobian_through_a_concatenation_matches_differences():
    f = px.jit(two_species)
    u, v = np.random.default_rng(2).normal(size=(2, 6))
    for wrt, k in (("u", 0), ("v", 1)):
        steps = np.eye(6) * 1e-6
        args = [u, v]
        numeric = np.array([(f(*[a + s if i == k else a for i, a in enumerate(args)])
                             - f(*[a - s if i == k else a for i, a in enumerate(args)])) / 2e-6
                            for s in steps]).T
        np.testing.assert_allclose(f.jacobian(wrt=wrt)(u, v), numeric, atol=1e-8)


def sample_statistics(x):
    return np.std(x, ddof=1) + np.var(x, ddof=1) * x.std(ddof=1) + np.sum(np.diff(x, n=2) ** 2) + np.sum(np.diff(x, 3))


def test_sample_variance_and_higher_differences():
    """numpy's ddof= (the sample variance divides by n - 1) and np.diff's n (applied n times,
    positional or keyword), of vectors of any length and of tuples."""
    f = px.jit(sample_statistics)
    for n in (4, 5, 9, 100):
        x = np.random.default_rng(n).normal(size=n)
        assert f(x) == pytest.approx(sample_statistics(x), rel=1e-13)
        h = 1e-6
        numeric = [(sample_statistics(x + h * e) - sample_statistics(x - h * e)) / (2 * h) for e in np.eye(n)]
        np.testing.assert_allclose(f.grad()(x), numeric, rtol=1e-5, atol=1e-6)
    g = px.jit(lambda_free_std)
    assert g(1.0, 2.0, 4.0) == pytest.approx(np.std((1.0, 2.0, 4.0), ddof=1), rel=1e-15)
    with pytest.raises(PyExprError, match="ddof= must be a constant non-negative integer"):
        px.jit(negative_ddof)


def lambda_free_std(a, b, c):
    return np.std((a, b, c), ddof=1)


def negative_ddof(x):
    return np.var(x, ddof=-1)


EIGHT = np.array([1.0, 2.5, 0.3, 4.1, 2.2, 3.3, 1.7, 0.9])


def thresholds(x, a, lo, hi):
    return np.sum(np.where(x > a, x, 0.0)) + np.sum(x * (x > a)) + np.sum(np.where((x > lo) & (x < hi), x**2, 0.0))


def test_a_number_compared_with_a_vector_stays_a_number():
    f = px.jit(thresholds)
    x = np.array([1.0, -2.0, 3.0, 0.5])
    assert f(x, 0.7, 0.0, 2.0) == pytest.approx(thresholds(x, 0.7, 0.0, 2.0), rel=1e-15)


def counted(x):
    return np.sum(x > 0) + np.sum((x > 1).astype(float) * x) + np.mean((EIGHT > 2).astype(np.float64)) \
        + np.count_nonzero(x) + 10 * np.count_nonzero(x < -0.5) + 100 * np.count_nonzero(EIGHT - 2.5)


def counted_numbers(x, y):
    return (x > y).astype(float) * y + np.sum((SHIFT > 0.3).astype(float))


def test_comparisons_of_arrays_count_and_convert_as_numpy_does():
    f = px.jit(counted)
    for x in (np.array([1.0, -2.0, 3.0, 0.5]), np.zeros(0), np.array([-1.0]), np.linspace(-3.0, 3.0, 50),
              np.array([0.0, -0.0, 2.0, -3.0])):
        assert f(x) == pytest.approx(counted(x), rel=1e-15), x
    stats = px.jit(lambda x: np.var(x > 0) + 10 * np.std(x > 0.5, ddof=1) + 100 * np.dot(x > 0, x) + (x > 1).var())
    x = np.array([1.0, -2.0, 3.0, 0.5, 0.75])
    assert stats(x) == pytest.approx(np.var(x > 0) + 10 * np.std(x > 0.5, ddof=1) + 100 * np.dot(x > 0, x)
                                     + (x > 1).var(), rel=1e-14)
    nonzero = px.jit(lambda x: np.count_nonzero(x) + 10 * np.count_nonzero(x > 0))
    assert nonzero(np.array([0.0, np.nan, -0.0, 2.0, np.inf])) == 3 + 20      # nan is not zero
    g = px.jit(counted_numbers)
    for x, y in ((3.0, 2.0), (1.0, 2.0), (2.0, 2.0)):
        assert g(x, y) == counted_numbers(np.float64(x), np.float64(y))
    with pytest.raises(PyExprError, match="astype"):
        px.jit(lambda x: np.sum(x.astype(np.float32)))
