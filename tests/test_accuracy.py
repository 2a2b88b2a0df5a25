"""The accuracy tool: ULP distances, sampling, exact values, ``px.accuracy`` and the CLI.

Every exact value here is checked against an independent reference (``math``,
a hand-derived closed form, or mpmath called directly), so a broken tool
cannot pass by agreeing with itself.
"""
import importlib.util
import itertools
import linecache
import math
import subprocess
import sys

import mpmath
import numpy as np
import pytest
import sympy

import pyexpr as px
from pyexpr.functions import cbrt as px_cbrt
from pyexpr.ulp import bits, exact_values, sample, ulps

x, y = sympy.symbols("x y", real=True)


# --- ulps ----------------------------------------------------------------------------

def test_ulps_counts_the_floats_between_two_values():
    one = 1.0
    assert ulps(one, one) == 0
    assert ulps(np.nextafter(one, 2), one) == 1
    assert ulps(one, np.nextafter(np.nextafter(one, 0), 0)) == 2
    assert ulps(0.0, -0.0) == 0
    # across zero: the smallest subnormals either side are 2 floats apart
    tiny = 5e-324
    assert ulps(tiny, -tiny) == 2
    # between 1 and 2 there are 2**52 floats
    assert ulps(2.0, 1.0) == 2.0 ** 52


def test_ulps_in_float32_and_with_nans():
    assert ulps(np.nextafter(np.float32(1), np.float32(2)), np.float32(1), "float32") == 1
    assert ulps(np.float32(2), np.float32(1), "float32") == 2.0 ** 23
    assert ulps(math.nan, math.nan) == 0
    assert ulps(math.nan, 1.0) == 2.0 ** 64
    assert ulps(1.0, math.nan, "float32") == 2.0 ** 32
    # the largest distance, -max to +max, is exact (no int64 overflow)
    big = np.finfo(np.float64).max
    assert ulps(big, -big) == 2.0 * (np.float64(big).view(np.int64))


def test_bits_are_log2_of_one_plus_ulps():
    assert list(bits([0, 1, 3, 2.0 ** 53 - 1])) == [0.0, 1.0, 2.0, 53.0]


# --- sample ----------------------------------------------------------------------------

def test_sample_stays_in_range_and_repeats_with_the_seed():
    got = sample({"x": (-3.0, 1e10), "y": (2.0, 2.0)}, 500, seed=4)
    assert got["x"].shape == (500,) and got["x"].min() >= -3 and got["x"].max() <= 1e10
    assert set(got["y"]) == {2.0}
    again = sample({"x": (-3.0, 1e10), "y": (2.0, 2.0)}, 500, seed=4)
    assert np.array_equal(got["x"], again["x"])
    assert not np.array_equal(got["x"], sample({"x": (-3.0, 1e10)}, 500, seed=5)["x"])


def test_sampling_over_the_floats_reaches_every_binade():
    got = sample({"x": (0.0, 1e300)}, 2000)["x"]
    exponents = np.frexp(got)[1]
    # uniform over the reals almost never gives anything below 1e290; over the floats,
    # a third of the points sit below 1.0
    assert np.mean(got < 1.0) > 0.25 and exponents.min() < -500
    uniform = sample({"x": (0.0, 1e300)}, 2000, how="uniform")["x"]
    assert np.mean(uniform < 1e297) < 0.01


def test_sample_uniform_over_every_float_does_not_overflow():
    got = sample({"x": (-math.inf, math.inf)}, 1000, how="uniform")["x"]
    assert np.isfinite(got).all() and got.min() < 0 < got.max()


def test_sample_float32_gives_float32_values():
    got = sample({"x": (-1.0, 1.0)}, 100, dtype="float32")["x"]
    assert got.dtype == np.float32 and np.abs(got).max() <= 1


def test_sample_keeps_the_points_where_the_condition_holds():
    got = sample({"x": (-1.0, 1.0), "y": (-1.0, 1.0)}, 300, where=lambda x, y: x < y)
    assert len(got["x"]) == 300 and (got["x"] < got["y"]).all()
    with pytest.raises(ValueError, match="satisfy the condition"):
        sample({"x": (-1.0, 1.0)}, 10, where=lambda x: x > 5)


def test_sample_rejects_bad_ranges_and_methods():
    with pytest.raises(ValueError, match="lo <= hi"):
        sample({"x": (2.0, 1.0)}, 10)
    with pytest.raises(ValueError, match="'floats' or 'uniform'"):
        sample({"x": (0.0, 1.0)}, 10, how="normal")


# --- exact values ----------------------------------------------------------------------

def _exact(expr, *columns, dtype="float64"):
    names = [x, y][:len(columns)]
    return exact_values(expr, names, {s.name: np.asarray(c, float) for s, c in zip(names, columns)},
                        dtype)


def test_exact_values_agree_with_math_where_math_is_correctly_rounded():
    points = [0.5, 1.0, 2.0, 10.0]
    assert list(_exact(x + 1, points)) == [p + 1 for p in points]
    assert list(_exact(sympy.sqrt(x), points)) == [math.sqrt(p) for p in points]
    assert list(_exact(x * y, points, points)) == [p * p for p in points]


def test_exact_values_see_terms_a_float_sum_absorbs():
    # log(1 + exp(-600)) is exp(-600) to every digit; float64 arithmetic gives 0
    got = _exact(sympy.log(1 + sympy.exp(x)), [-600.0, -40.0])
    assert got[0] == math.exp(-600.0)
    assert got[1] == math.log1p(math.exp(-40.0))
    # the cancellation (x + 1e16) - 1e16 is exactly x
    assert _exact((x + sympy.Float(1e16)) - sympy.Float(1e16), [1.0])[0] == 1.0


def test_exact_values_of_exponentials_past_every_float_are_their_limits():
    # exp(sinh(1e4)) has an exponent of 4,300 digits: mpmath took minutes for it
    got = _exact(sympy.exp(sympy.sinh(1 / x)), [1e-4, -1e-4, 0.5])
    with mpmath.workprec(200):
        assert list(got) == [math.inf, 0.0, float(mpmath.exp(mpmath.sinh(2)))]
        got = _exact(sympy.log(sympy.cosh(sympy.exp(1 / x))) + sympy.exp(-sympy.exp(1 / x)), [1e-3, 0.5])
        assert list(got) == [math.inf, float(mpmath.log(mpmath.cosh(mpmath.exp(2))) + mpmath.exp(-mpmath.exp(2)))]


def test_exact_values_are_nan_where_the_value_is_not_real():
    got = _exact(sympy.log(x), [-1.0, 1.0])
    assert math.isnan(got[0]) and got[1] == 0.0
    # at a pole the exact value has no sign to round to
    assert math.isnan(_exact(1 / x, [0.0])[0])


def test_exact_values_of_branches_and_pyexpr_functions():
    got = _exact(sympy.Piecewise((x, x < 0), (x**2, True)), [-3.0, 3.0])
    assert list(got) == [-3.0, 9.0]
    assert list(_exact(sympy.Max(x, y), [1.0, 5.0], [2.0, 4.0])) == [2.0, 5.0]
    # pyexpr's cbrt is the real cube root; sympy's x**(1/3) is the principal (complex) one
    assert _exact(px_cbrt(x), [-27.0])[0] == -3.0
    assert math.isnan(_exact(x ** sympy.Rational(1, 3), [-27.0])[0])
    from pyexpr.stability.functions import softplus
    assert _exact(softplus(x), [800.0, -800.0])[0] == 800.0
    assert _exact(softplus(x), [-800.0])[0] == float(np.exp(np.float64(-800.0)))


def test_exact_values_round_to_float32():
    got = _exact(sympy.Integer(1) / 3 + x, [0.0], dtype="float32")
    assert got.dtype == np.float32 and got[0] == np.float32(1 / 3)


# --- px.accuracy -------------------------------------------------------------------------

_COUNTER = itertools.count()


def _function(text, args="x"):
    """A plain function whose source inspect can read (the front end parses it)."""
    source = f"import math\n\n\ndef f({args}):\n    return {text}\n"
    filename = f"<accuracy test {next(_COUNTER)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {}
    exec(compile(source, filename, "exec"), namespace)
    return namespace["f"]


def test_softplus_is_accurate_with_the_rewrites_and_not_without():
    report = px.accuracy(_function("math.log(1 + math.exp(x))"), x=(-800, 800), points=300)
    stable, written = report.row("f", True), report.row("f", False)
    assert stable.points == 300 and stable.max_ulps <= 2, report
    assert written.max_ulps > 1e6, report
    assert report.row("df/dx", True).max_ulps <= 2, report
    # the worst point of the formula as written is in the left tail, where 1 + exp(x)
    # rounds away what the logarithm needs
    point, computed, exact, errors = written.worst[0]
    assert point["x"] < -10 and errors == written.max_ulps
    assert computed != exact


def test_a_report_prints_a_table_and_the_worst_points():
    report = px.accuracy(_function("math.exp(x) - 1"), x=(-1e-10, 1e-10), points=100)
    text = str(report)
    assert text.startswith("accuracy of f (float64, 100 points, x in [-1e-10, 1e-10])")
    assert "| output | stable | max ULPs |" in text and "| df/dx | False |" in text
    assert "worst points of f (stable=False):" in text
    assert report.markdown().count("\n") == 1 + len(report.rows)


def test_accuracy_takes_formulas_and_every_argument_range():
    f = px.jit(_function("math.sqrt(x*x + y*y)", "x, y"))
    report = px.accuracy(f, points=200, stable=True, derivatives=False)
    assert [r.what for r in report.rows] == ["f"] and report.rows[0].stable
    # x and y range over all the floats: hypot neither overflows nor underflows
    assert report.ranges["x"] == (-np.finfo(float).max, np.finfo(float).max)
    assert report.rows[0].max_ulps <= 2, report
    naive = px.accuracy(f, points=200, stable=False, derivatives=False)
    assert naive.rows[0].max_ulps > 1e6, naive


def test_accuracy_of_several_outputs_and_in_float32():
    def pair(x):
        return x + 1, x * 3
    report = px.accuracy(px.jit(pair, dtype="float32"), x=(-2, 2), points=100, stable=True)
    assert report.dtype == "float32"
    assert [r.what for r in report.rows] == ["pair[0]", "pair[1]", "dpair/dx[0]", "dpair/dx[1]"]
    assert all(r.max_ulps <= 1 for r in report.rows), report


def test_accuracy_with_a_precondition():
    report = px.accuracy(_function("math.sqrt(x - y)", "x, y"), x=(0, 10), y=(0, 10), points=100,
                         where=lambda x, y: x >= y, derivatives=False)
    assert report.row("f").max_ulps <= 1, report


def test_accuracy_names_an_unknown_argument():
    with pytest.raises(ValueError, match=r"z not an argument of f\(x\)"):
        px.accuracy(_function("x + 1"), z=(0, 1))


# --- the command line ------------------------------------------------------------------

def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "pyexpr", "accuracy", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("accuracy")
    (path / "model.py").write_text("import math\n\n\ndef softplus(x):\n"
                                   "    return math.log(1 + math.exp(x))\n")
    return path


def test_cli_prints_the_report(folder):
    done = run_cli("model.py:softplus", "--range", "x=-800:800", "--points", "200", cwd=folder)
    assert done.returncode == 0, done.stderr
    spec = importlib.util.spec_from_file_location("accuracy_model", folder / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # the same table the API gives for the same function
    want = px.accuracy(module.softplus, x=(-800, 800), points=200)
    assert want.markdown() in done.stdout
    assert "| dsoftplus/dx | False |" in done.stdout


def test_cli_float32_without_derivatives(folder):
    done = run_cli("model.py", "--range", "x=-50:50", "--points", "100", "--dtype", "float32",
                   "--no-derivatives", "--uniform", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert "(float32, 100 points, x in [-50, 50])" in done.stdout
    assert "dsoftplus" not in done.stdout


@pytest.mark.parametrize("args, message", [
    (["--range", "x=1"], "not NAME=LO:HI: 'x=1'"),
    (["--range", "x=2:1"], "lo <= hi"),
    (["--range", "z=0:1"], "--range z: not an argument of softplus(x)"),
    (["--points", "0"], "--points"),
])
def test_cli_usage_errors_exit_2(folder, args, message):
    done = run_cli("model.py:softplus", *args, cwd=folder)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert done.stdout == ""


def test_cli_refuses_a_formula_of_vectors_of_any_length(tmp_path):
    (tmp_path / "vectors.py").write_text("import numpy as np\n\n\ndef energy(x):\n"
                                         "    return np.sum(x[1:] * x[:-1])\n")
    done = run_cli("vectors.py:energy", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "energy takes vectors of any length (x); accuracy measures formulas of numbers" in done.stderr
