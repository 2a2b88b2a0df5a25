"""``python -m pyexpr demo``: it runs, prints the formulas, times them and agrees with numpy.

The demo evaluates 10**7 points by default; the tests set ``PYEXPR_DEMO_N``
(documented in docs/cli.md) to keep them fast.
"""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from pyexpr import demo


def run_demo(*args, n="100000"):
    env = dict(os.environ, PYEXPR_DEMO_N=n)
    return subprocess.run([sys.executable, "-m", "pyexpr", "demo", *args], capture_output=True,
                          text=True, timeout=180, env=env)


@pytest.fixture(scope="module")
def output():
    result = run_demo()
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_prints_formula_gradient_hessian_and_source(output):
    x = demo.x
    assert str(x) in output
    assert x.latex() in output
    assert x.pretty() in output
    for var in demo.PARAMS:
        assert str(x.diff(var)) in output
    hess = x.hessian(wrt=("gamma", "omega"))
    assert hess.latex() in output
    assert x.diff("t").python_source.strip() in output


def test_times_against_numpy_and_agrees(output):
    assert "Speed on 100,000 points" in output
    rows = re.findall(r"^(x\(t\)|gradient \(4 x N\))\s+([\d.]+)ms\s+([\d.]+)ms\s+([\d.]+)x\s+"
                      r"([\d.e+-]+) \(of values", output, flags=re.M)
    assert [r[0] for r in rows] == ["x(t)", "gradient (4 x N)"]
    for _, ours, theirs, speedup, diff in rows:
        assert float(ours) > 0 and float(theirs) > 0 and float(speedup) > 0
        assert float(diff) < 1e-12
    assert "Results agree" in output


def test_ends_with_where_to_read_next(output):
    tail = output[output.index("Where to read next"):]
    assert "README.md" in tail and "docs/cli.md" in tail
    for example in ("newton.py", "optimize_rosenbrock.py", "stiff_ode.py", "uncertainty.py",
                    "plot_derivatives.py"):
        assert f"examples/{example}" in tail
        assert os.path.exists(os.path.join(os.path.dirname(__file__), "..", "examples", example))


def test_points_option_overrides_environment():
    result = run_demo("--points", "2000", n="50")
    assert result.returncode == 0, result.stderr
    assert "Speed on 2,000 points" in result.stdout


def test_numpy_twins_match_the_formulas():
    """The hand-written numpy the demo times against is the same mathematics."""
    t = np.linspace(0.0, 5.0, 101)
    p = tuple(demo.PARAMS.values())
    out, grad_out = np.empty_like(t), np.empty((4, t.size))
    demo.numpy_x(t, *p, out=out)
    demo.numpy_grad(t, *p, out=grad_out)
    assert np.allclose(out, demo.x(t, *p), rtol=1e-13, atol=1e-15)
    assert np.allclose(grad_out, demo.x.grad(wrt=tuple(demo.PARAMS))(t, *p), rtol=1e-13, atol=1e-15)


def test_points_from_env(monkeypatch):
    monkeypatch.setenv("PYEXPR_DEMO_N", "1_000")
    assert demo.points_from_env() == 1000
    monkeypatch.setenv("PYEXPR_DEMO_N", "not a number")
    assert demo.points_from_env() == demo.DEFAULT_POINTS


def test_shows_a_vector_of_any_length(output):
    assert str(demo.rosen) in output and str(demo.rosen.grad()) in output
    line = re.search(r"gradient at 100,000 points: pyexpr ([\d.]+) ms, scipy's numpy ([\d.]+) ms, "
                     r"([\d.]+)x; max \|difference\| ([\d.e+-]+)", output)
    assert line and float(line.group(4)) < 1e-6
    from scipy.optimize import rosen_der
    v = np.linspace(-1, 2, 50)
    np.testing.assert_allclose(demo.numpy_rosen_der(v), rosen_der(v), rtol=1e-15)
