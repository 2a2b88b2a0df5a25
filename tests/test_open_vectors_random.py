"""Random numpy functions of a vector of any length, against themselves.

A hypothesis strategy writes a ``def`` of a vector ``x`` and a scalar ``a``:
elementwise expressions over slices of ``x`` of one length (``x[1:]``,
``x[:-1]``), numpy ufuncs kept inside their domains, reduced by ``np.sum``,
``np.mean`` or ``np.dot``, or returned as a vector.  The plain function, run
by numpy on arrays, is the oracle: the compiled formula must give its values
at several lengths (across the chunk boundary of the summation order too),
its gradient by ``x`` (one formula in ``j``) central differences of the plain
function, and its gradient by ``a`` likewise.
"""
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pyexpr as px
from test_hypothesis_frontend import load

_ATOMS = ("x[1:]", "x[:-1]", "a", "0.5", "2.0", "1.5")
_UNARY = ["(-{0})", "abs({0})", "({0}) ** 2", "np.exp(np.minimum({0}, 5.0))", "np.log(1 + ({0}) ** 2)",
          "np.sqrt(({0}) ** 2 + 1)", "np.sin({0})", "np.cos({0})", "np.arctan({0})", "np.tanh({0})"]
_BINARY = ["({0} + {1})", "({0} - {1})", "({0} * {1})", "({0} / (1 + ({1}) ** 2))",
           "np.maximum({0}, {1})", "np.hypot({0}, {1})"]
_FORMS = ["    return np.sum({0})", "    return np.sum({0}) + a * np.mean({1})",
          "    return np.dot({0}, {1})", "    return {0} * x[1:]",
          "    total = 0.0\n    for i in range(len(x) - 1):\n        total += ({0})\n    return total"]


@st.composite
def elementwise(draw, budget=4, atoms=_ATOMS):
    kind = draw(st.integers(0, 2)) if budget > 0 else 0
    if kind == 0:
        return draw(st.sampled_from(atoms))
    if kind == 1:
        return draw(st.sampled_from(_UNARY)).format(draw(elementwise(budget - 1, atoms)))
    left = draw(st.integers(0, budget - 1))
    return draw(st.sampled_from(_BINARY)).format(draw(elementwise(left, atoms)),
                                                 draw(elementwise(budget - 1 - left, atoms)))


@st.composite
def sources(draw):
    form = draw(st.sampled_from(_FORMS))
    parts = [draw(elementwise()) for _ in range(2)]
    # every part a vector (numpy's sum of a number is the number; pyexpr's sum needs a sequence)
    parts = [p if "x[" in p else f"({p} + x[1:])" for p in parts]
    if "for i in" in form:      # the loop's term reads elements, not slices
        parts = [p.replace("x[1:]", "x[i + 1]").replace("x[:-1]", "x[i]") for p in parts]
    body = form.format(*parts)
    return "import numpy as np\n\n\ndef generated(x, a):\n" + body + "\n"


def _check(got, want, what, source):
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9, err_msg=f"{what}\n{source}")


@settings(max_examples=40, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(source=sources())
def test_random_vector_formulas_agree_with_numpy(source):
    plain = load(source)
    f = px.jit(plain)
    a = 0.7
    rng = np.random.default_rng(0)
    for n in (2, 3, 9, 40, 20_001):
        x = rng.uniform(-1.5, 1.5, n)
        want = np.asarray(plain(x, a), dtype=float)
        if not np.all(np.isfinite(want)):
            continue
        _check(np.asarray(f(x, a)), want, f"value at n = {n}", source)
    if f.index is not None:
        return
    for n in (2, 5):
        x, h = rng.uniform(-1.5, 1.5, n), 1e-6
        numeric = [(plain(x + h * e, a) - plain(x - h * e, a)) / (2 * h) for e in np.eye(n)]
        np.testing.assert_allclose(f.grad("x")(x, a), numeric, rtol=1e-5, atol=1e-5, err_msg=source)
        da = (plain(x, a + h) - plain(x, a - h)) / (2 * h)
        np.testing.assert_allclose(f.grad("a")(x, a)[0], da, rtol=1e-5, atol=1e-5, err_msg=source)


_PAIR_TERMS = ["({0} - {1})", "({0} * {1})", "np.exp(-(({0}) - ({1})) ** 2)", "({0} / (1 + ({1}) ** 2))",
               "np.hypot({0}, {1})", "np.maximum({0}, {1})"]
_PAIR_FORMS = [
    "    total = 0.0\n    for i in range(len(x)):\n        for k in range(len(x)):\n            total += {0}\n    return total",
    "    total = 0.0\n    for i in range(len(x)):\n        for k in range(i):\n            total += {0}\n    return total",
    "    total = 0.0\n    for i in range(len(x)):\n        for k in range(i + 1, len(x)):\n            total += {0}\n    return total",
    "    return sum(sum({0} for k in range(len(x))) for i in range(len(x)))",
]


@st.composite
def pair_sources(draw):
    term = draw(st.sampled_from(_PAIR_TERMS)).format(
        draw(st.sampled_from(["x[i]", "a * x[i]", "x[i] ** 2"])), draw(st.sampled_from(["x[k]", "a", "x[k] + a"])))
    outer = draw(st.sampled_from(["{0}", "x[i] * {0}", "np.sin({0})"]))
    form = draw(st.sampled_from(_PAIR_FORMS))
    return "import numpy as np\n\n\ndef generated(x, a):\n" + form.format(outer.format(term)) + "\n"


def _pairs_numpy(source, x, a):
    """The plain function run as written (its loops in Python)."""
    return load(source)(list(x), a)


@settings(max_examples=25, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(source=pair_sources())
def test_random_double_sums_agree_with_python(source):
    f = px.jit(load(source))
    rng = np.random.default_rng(1)
    for n in (1, 2, 7, 40):
        x = rng.uniform(-1.5, 1.5, n)
        _check(f(x, 0.7), _pairs_numpy(source, x, 0.7), f"value at n = {n}", source)
    x, h = rng.uniform(-1.5, 1.5, 6), 1e-6
    plain = load(source)
    numeric = [(plain(list(x + h * e), 0.7) - plain(list(x - h * e), 0.7)) / (2 * h) for e in np.eye(6)]
    np.testing.assert_allclose(f.grad("x")(x, 0.7), numeric, rtol=1e-5, atol=1e-5, err_msg=source)


_MATRIX_FORMS = ["    return np.sum(({0}) * x)", "    return x @ A @ ({0})", "    return A @ ({0}) - a * x[0]",
                 "    return np.sum(A @ x) + np.dot({0}, {0})", "    return A.T @ ({0})"]


@st.composite
def matrix_sources(draw):
    vector = draw(st.sampled_from(["A @ x", "x @ A", "A.T @ x", "np.sin(A @ x)", "np.exp(-(A @ x) ** 2)",
                                   "A @ x + a * x", "A[0] * x", "A[:, 1] + x"]))
    body = draw(st.sampled_from(_MATRIX_FORMS)).format(vector)
    return "import numpy as np\nimport pyexpr as px\n\n\ndef generated(x: px.Vector, A: px.Matrix, a):\n" + body + "\n"


@settings(max_examples=30, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(source=matrix_sources())
def test_random_matrix_formulas_agree_with_numpy(source):
    plain = load(source)
    f = px.jit(plain)
    rng = np.random.default_rng(2)
    for n in (2, 3, 17):
        x, A = rng.uniform(-1, 1, n), rng.uniform(-1, 1, (n, n))
        _check(np.asarray(f(x, A, 0.4)), np.asarray(plain(x, A, 0.4), dtype=float), f"n = {n}", source)
    if f.index is None:
        x, A, h = rng.uniform(-1, 1, 5), rng.uniform(-1, 1, (5, 5)), 1e-6
        numeric = [(plain(x + h * e, A, 0.4) - plain(x - h * e, A, 0.4)) / (2 * h) for e in np.eye(5)]
        np.testing.assert_allclose(f.grad("x")(x, A, 0.4), numeric, rtol=1e-5, atol=1e-5, err_msg=source)


_WHOLE_ATOMS = ("A", "B", "x", "a", "0.5")
_WHOLE_FORMS = ["    return np.sum({0})", "    return np.sum(np.sum({0}, axis=1) ** 2)",
                "    return x @ np.mean({0}, axis=0)", "    return y @ ({0}) @ x",
                "    return np.sum(({0}) * ({1}))", "    return np.sum({0}, axis=0) + x",
                "    return ({0}) - ({1}).T.T"]


@st.composite
def _matrix_sources(draw, atoms, forms, depth, needed, matrix, params):
    """A ``def generated(params)`` returning a form of two elementwise expressions of
    ``atoms``, each holding one of the names ``needed`` (else multiplied by ``matrix``)."""
    parts = [draw(elementwise(depth, atoms)) for _ in range(2)]
    parts = [p if any(name in p for name in needed) else f"({matrix} * {p})" for p in parts]
    body = draw(st.sampled_from(forms)).format(*parts)
    return f"import numpy as np\nimport pyexpr as px\n\n\ndef generated({params}):\n{body}\n"


def whole_matrix_sources():
    # whole matrices A, B (m x n), the vector x (n, broadcast along the rows) and numbers
    return _matrix_sources(_WHOLE_ATOMS, _WHOLE_FORMS, 3, ("A", "B"), "A",
                           "A: px.Matrix, B: px.Matrix, x: px.Vector, y: px.Vector, a")


def _matrix_differences(plain, args, k, h=1e-6):
    """Central differences of ``plain`` by each element of its matrix argument ``k``."""
    A, grad = args[k], np.zeros_like(args[k])
    for at in np.ndindex(*A.shape):
        step = np.zeros_like(A)
        step[at] = h
        grad[at] = (plain(*args[:k], A + step, *args[k + 1:]) - plain(*args[:k], A - step, *args[k + 1:])) / (2 * h)
    return grad


@settings(max_examples=30, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(source=whole_matrix_sources())
def test_random_whole_matrix_expressions_agree_with_numpy(source):
    """Elementwise operations and ufuncs on whole matrices, reduced by np.sum (whole or
    along an axis), np.mean(axis=0) or y @ M @ x, or returned: values, and gradients by x
    and a of the numbers."""
    plain = load(source)
    f = px.jit(plain)
    rng = np.random.default_rng(3)
    for m, n in ((1, 2), (3, 2), (4, 17)):
        A, B = rng.uniform(-1, 1, (m, n)), rng.uniform(-1, 1, (m, n))
        x, y = rng.uniform(-1, 1, n), rng.uniform(-1, 1, m)
        _check(np.asarray(f(A, B, x, y, 0.4)), np.asarray(plain(A, B, x, y, 0.4), dtype=float),
               f"shape {(m, n)}", source)
    if f.index is None:
        A, B, h = rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (3, 4)), 1e-6
        x, y = rng.uniform(-1, 1, 4), rng.uniform(-1, 1, 3)
        numeric = [(plain(A, B, x + h * e, y, 0.4) - plain(A, B, x - h * e, y, 0.4)) / (2 * h) for e in np.eye(4)]
        np.testing.assert_allclose(f.grad("x")(A, B, x, y, 0.4), numeric, rtol=1e-5, atol=1e-5, err_msg=source)
        da = (plain(A, B, x, y, 0.4 + h) - plain(A, B, x, y, 0.4 - h)) / (2 * h)
        np.testing.assert_allclose(f.grad("a")(A, B, x, y, 0.4)[0], da, rtol=1e-5, atol=1e-5, err_msg=source)
        np.testing.assert_allclose(f.grad("A")(A, B, x, y, 0.4), _matrix_differences(plain, (A, B, x, y, 0.4), 0),
                                   rtol=1e-5, atol=1e-5, err_msg=source)     # by the matrix: a formula in (j, l)


_PRODUCT_ATOMS = ("(X @ Y.T)", "R", "a", "0.5")
_PRODUCT_FORMS = ["    return np.sum({0})", "    return np.sum(np.sum({0}, axis=1) ** 2)",
                  "    return np.sum(({0}) * ({1}))", "    return ({0}) @ w"]


def product_sources():
    return _matrix_sources(_PRODUCT_ATOMS, _PRODUCT_FORMS, 2, ("X",), "(X @ Y.T)",
                           "X: px.Matrix, Y: px.Matrix, R: px.Matrix, w: px.Vector, a")


@settings(max_examples=25, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(source=product_sources())
def test_random_formulas_of_a_matrix_product(source):
    """Expressions of X @ Y.T (a sum over a third index) reduced or multiplied by w: values,
    and gradients by X (sums three deep, through temporary matrices) against differences."""
    plain = load(source)
    f = px.jit(plain)
    rng = np.random.default_rng(4)
    for m, n, r in ((1, 1, 1), (3, 4, 2), (40, 30, 5)):
        X, Y, R = rng.uniform(-1, 1, (m, r)), rng.uniform(-1, 1, (n, r)), rng.uniform(-1, 1, (m, n))
        w = rng.uniform(-1, 1, n)
        _check(np.asarray(f(X, Y, R, w, 0.4)), np.asarray(plain(X, Y, R, w, 0.4), dtype=float),
               f"shape {(m, n, r)}", source)
    if f.index is None:
        args = (rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, (4, 2)), rng.uniform(-1, 1, (3, 4)),
                rng.uniform(-1, 1, 4), 0.4)
        np.testing.assert_allclose(f.grad("X")(*args), _matrix_differences(plain, args, 0), rtol=1e-5, atol=1e-5,
                                   err_msg=source)
