"""Random functions, written as Python source, through the front end.

A hypothesis strategy writes the source text of a ``def`` of x, y, z: nested
arithmetic, small integer and fractional powers, math and numpy functions kept
inside their domains (``math.exp(min(e, 50))``, ``math.log(1 + e*e)``,
``math.sqrt(e*e + 1)``), conditional expressions, and if/else statement
forms.  The text is registered in ``linecache`` under a fake file name, so
``inspect.getsource`` finds it, then executed and decorated.  The formula must
agree with the plain function (values), and its gradient with central
differences of the plain function.  Points where the plain function raises or
is not finite are skipped, and so are points next to a branch boundary (where a
tiny move of the point changes the plain value as much as the disagreement),
and, for derivatives, points at a kink or a branch boundary.
"""
import itertools
import linecache
import math

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import pyexpr as px

VARS = ("x", "y", "z")
CONSTANTS = ("0.5", "1.0", "2.0", "3.0", "1.5", "0.25", "2", "3")
_COUNTER = itertools.count()


_UNARY = ["(-{0})", "abs({0})", "({0}) ** 2", "({0}) ** 3", "abs({0}) ** 0.5",
          "(1 + ({0}) ** 2) ** 1.5", "(1 + ({0}) ** 2) ** -0.5",
          "math.exp(min({0}, 50))", "np.exp(min({0}, 50))", "math.log(1 + ({0}) * ({0}))",
          "math.sqrt(({0}) * ({0}) + 1)", "math.sin({0})", "np.cos({0})", "math.atan({0})",
          "math.tanh({0})", "math.floor({0})"]
_BINARY = ["({0} + {1})", "({0} - {1})", "({0} * {1})", "({0} / (1 + ({1}) ** 2))",
           "max({0}, {1})", "min({0}, {1})", "math.hypot({0}, {1})", "pow(abs({0}) + 1, {1} / 4)",
           "({0} if {0} > {1} else {1} * 2)", "({1} if {0} <= 0.5 else {0})"]
LEAVES = VARS + CONSTANTS


@st.composite
def expressions(draw, budget=6):
    """Source text of a random expression with at most ``budget`` operations."""
    kind = draw(st.integers(0, 2)) if budget > 0 else 0
    if kind == 0:
        return draw(st.sampled_from(LEAVES))
    if kind == 1:
        return draw(st.sampled_from(_UNARY)).format(draw(expressions(budget - 1)))
    left = draw(st.integers(0, budget - 1))
    return draw(st.sampled_from(_BINARY)).format(draw(expressions(left)),
                                                 draw(expressions(budget - 1 - left)))


EXPRESSIONS = expressions()

BODIES = [
    "    return {0}",
    "    t = {0}\n    return {1} + t * {2}",
    "    if {0} > {1}:\n        u = {2}\n    else:\n        u = {3}\n    return u * {4}",
    "    if {0} < {1}:\n        return {2}\n    t = {3}\n    return t - {4}",
    "    t = {0}\n    t += {1}\n    a, b = t, {2}\n    return ({3} if a > b else t * b)",
]


@st.composite
def functions(draw):
    body = draw(st.sampled_from(BODIES))
    parts = [draw(EXPRESSIONS) for _ in range(5)]
    return "import math\nimport numpy as np\n\n\ndef generated(x, y, z):\n" + body.format(*parts) + "\n"


def load(source):
    """Execute ``source`` as if from a file, so that ``inspect.getsource`` works."""
    filename = f"<pyexpr-hypothesis-{next(_COUNTER)}>"
    lines = source.splitlines(keepends=True)
    linecache.cache[filename] = (len(source), None, lines, filename)
    namespace = {"__name__": "generated_module"}
    exec(compile(source, filename, "exec"), namespace)
    return namespace["generated"]


def plain(fn, point):
    try:
        value = fn(*point)
    except (ArithmeticError, ValueError):
        return None
    return value if math.isfinite(value) else None


def near_a_jump(fn, point, value, gap):
    """Whether moving the point by 1e-9 changes the plain value by gap/2 or more."""
    for i, sign in itertools.product(range(len(point)), (-1, 1)):
        moved = list(point)
        moved[i] += sign * 1e-9 * max(1.0, abs(moved[i]))
        other = plain(fn, moved)
        if other is None or abs(other - value) >= gap / 2:
            return True
    return False


POINTS = st.lists(st.tuples(*[st.floats(-2, 2, allow_nan=False)] * 3), min_size=3, max_size=3)
SETTINGS = settings(max_examples=200, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(source=functions(), points=POINTS)
def test_random_functions_value_and_gradient(source, points, ref_call, central_diff):
    fn = load(source)
    f = px.jit(fn)
    grad = f.grad()
    assert [str(a) for a in f.args] == list(VARS)
    checked = 0
    for point in points:
        want = plain(fn, point)
        if want is None or abs(want) > 1e100:
            continue
        got = ref_call(f, *point)
        gap = abs(got - want)
        if gap > 1e-9 * abs(want) + 1e-12:
            assert near_a_jump(fn, point, want, gap), f"{source}\nat {point}: {got} != {want}"
            continue
        checked += 1
        derivative = ref_call(grad, *point)
        for i in range(3):
            estimate = smooth_derivative(fn, point, i, central_diff)
            if estimate is None or on_a_boundary(grad, point, i, derivative[i], ref_call):
                continue                                  # a kink, a jump or a pole nearby
            fd, err = estimate
            assert abs(derivative[i] - fd) <= 1e-5 * abs(fd) + err + 1e-9, (
                f"{source}\nd/d{VARS[i]} at {point}: {derivative[i]} != {fd} (+-{err})")
    assume(checked)


def on_a_boundary(grad, point, i, value, ref_call):
    """Whether the formula's derivative changes abruptly next to the point: a branch
    boundary, where the a.e. derivative is that of whichever branch holds there
    (``y < abs(x)`` at x = y = 0), or a removable singularity (``abs(x)**0.5 * x``)."""
    for j, sign in itertools.product(range(len(point)), (-1, 1)):
        moved = list(point)
        moved[j] += sign * 1e-7 * max(1.0, abs(moved[j]))
        other = ref_call(grad, *moved)[i]
        if np.isnan(other) and np.isnan(value):
            continue
        if not abs(other - value) <= 1e-3 * (1 + abs(value)):
            return True
    return False


def smooth_derivative(fn, point, i, central_diff):
    """(central difference, error) where ``fn`` is smooth along ``i`` near the point, else None.

    Smooth means the second-order one-sided differences from the left and the
    right agree: at a kink they differ by the jump in slope, even where the
    central difference (the mean of the two slopes) looks consistent."""
    try:
        fd, err = central_diff(fn, point, i, scale=1e-3)
        h = 1e-4 * max(abs(point[i]), 1e-3)
        f = [plain(fn, [p + k * h if j == i else p for j, p in enumerate(point)])
             for k in (-2, -1, 0, 1, 2)]
    except (ArithmeticError, ValueError):
        return None
    if not np.isfinite(fd) or any(v is None for v in f):
        return None
    right = (-3 * f[2] + 4 * f[3] - f[4]) / (2 * h)
    left = (3 * f[2] - 4 * f[1] + f[0]) / (2 * h)
    rounding = 100 * np.finfo(float).eps * max(map(abs, f)) / h
    if abs(right - left) > 1e-6 * (1 + abs(fd)) + rounding or err > 1e-3 * (1 + abs(fd)):
        return None
    return fd, err


@settings(max_examples=40, deadline=None, database=None, derandomize=True)
@given(source=functions())
def test_random_functions_print_and_run_as_python(source):
    fn = load(source)
    f = px.jit(fn)
    assert str(f).startswith("generated(x, y, z) = ")
    assert f.latex() and f.pretty()
    ns = {}
    exec(f.python_source, ns)
    for point in [(0.3, -0.7, 1.1), (-1.2, 0.4, 0.9)]:
        want = plain(fn, point)
        if want is None:
            continue
        try:
            got = ns["generated"](*point)
        except (ArithmeticError, ValueError):
            continue
        if not math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12):
            assert near_a_jump(fn, point, want, abs(got - want)), f"{source}\n{got} != {want}"
