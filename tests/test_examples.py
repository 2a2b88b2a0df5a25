"""Each script in examples/ runs as a user runs it and prints what it computed, correctly.

Every example runs as a subprocess in a temporary working directory; the
expected formula text comes from importing the example module here, and the
numbers are checked against independent computations (scipy's brentq,
closed forms, hand-derived error propagation).
"""
import importlib.util
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name, tmp_path, *args):
    result = subprocess.run([sys.executable, str(EXAMPLES / name), *args], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def load(name):
    spec = importlib.util.spec_from_file_location(f"_example_{name[:-3]}", EXAMPLES / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def number(pattern, text):
    match = re.search(pattern, text, flags=re.M)
    assert match, f"{pattern!r} not in output:\n{text}"
    return float(match.group(1))


def test_every_example_has_docstring_and_main():
    for path in sorted(EXAMPLES.glob("*.py")):
        text = path.read_text()
        assert text.startswith('"""'), path.name
        assert 'if __name__ == "__main__":' in text and "def main(" in text, path.name


def test_newton_kepler(tmp_path):
    brentq = pytest.importorskip("scipy.optimize").brentq
    module = load("newton.py")
    out = run_example("newton.py", tmp_path)
    assert str(module.kepler) in out and str(module.dkepler) in out
    rows = re.findall(r"^\s+[\d.]+\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+", out, flags=re.M)
    assert len(rows) == 6
    e = module.ECCENTRICITY
    for M, E, _ in rows:
        M, E = float(M), float(E)
        root = brentq(lambda v: v - e * math.sin(v) - M, 0.0, 2 * math.pi, xtol=1e-15)
        assert abs(E - root) < 1e-6 * max(1.0, abs(root)) + 1e-12   # printed to 15 digits, M to 6
        assert abs(E - e * math.sin(E) - M) < 1e-6
    assert number(r"max residual ([\d.e+-]+)", out) < 1e-12
    assert number(r"largest \|Newton - brentq\| = ([\d.e+-]+)", out) < 1e-12
    a = module.SEMI_MAJOR_AU
    assert number(r"perihelion ([\d.]+) AU", out) == pytest.approx(a * (1 - e), abs=2e-3)
    assert number(r"aphelion ([\d.]+) AU", out) == pytest.approx(a * (1 + e), abs=2e-3)


def test_optimize_rosenbrock(tmp_path):
    pytest.importorskip("scipy.optimize")
    module = load("optimize_rosenbrock.py")
    out = run_example("optimize_rosenbrock.py", tmp_path)
    assert str(module.rosenbrock) in out and str(module.grad) in out
    assert module.hess.latex() in out
    x = number(r"minimizer \(trust-exact\): x = ([-\d.]+)", out)
    y = number(r"minimizer \(trust-exact\): x = [-\d.]+, y = ([-\d.]+)", out)
    assert x == pytest.approx(1.0, abs=1e-8) and y == pytest.approx(1.0, abs=1e-8)
    assert re.search(r"^trust-exact .* yes$", out, flags=re.M)
    assert re.search(r"^Newton-CG .* yes$", out, flags=re.M)


def test_stiff_ode_van_der_pol(tmp_path):
    pytest.importorskip("scipy.integrate")
    module = load("stiff_ode.py")
    out = run_example("stiff_ode.py", tmp_path)
    assert str(module.van_der_pol) in out and str(module.jacobian) in out
    mu = module.MU
    predicted = (3 - 2 * math.log(2)) * mu + 3 * 2.338107410459767 * mu ** (-1 / 3)
    measured = number(r"period measured \(Radau, exact Jacobian\): ([\d.]+)", out)
    assert measured == pytest.approx(predicted, rel=1e-4)
    assert len(re.findall(r"^(Radau|BDF) +(exact \(pyexpr\)|finite differences)", out, re.M)) == 4


def test_uncertainty_pendulum(tmp_path):
    module = load("uncertainty.py")
    out = run_example("uncertainty.py", tmp_path)
    sigma_formula = module.propagate(module.g)
    assert str(module.g) in out and str(sigma_formula) in out and sigma_formula.latex() in out
    (L, sL), (T, sT), (th, sth) = module.MEASURED.values()
    corr = 1 + th**2 / 16
    g = 4 * math.pi**2 * L * corr**2 / T**2
    partials = (g / L, -2 * g / T, 4 * math.pi**2 * L * 2 * corr * (th / 8) / T**2)
    sigma = math.sqrt(sum((d * s) ** 2 for d, s in zip(partials, (sL, sT, sth))))
    assert number(r"^g\s+= ([\d.]+) m/s\^2", out) == pytest.approx(g, abs=2e-6)
    assert number(r"sigma_g = ([\d.]+) m/s\^2", out) == pytest.approx(sigma, abs=2e-6)
    simulated = number(r"Monte Carlo \(10\^6 draws\): sigma_g = ([\d.]+)", out)
    assert simulated == pytest.approx(sigma, rel=0.02)


def test_plot_derivatives(tmp_path):
    pytest.importorskip("matplotlib")
    module = load("plot_derivatives.py")
    out = run_example("plot_derivatives.py", tmp_path, "lj.png")
    for formula in (module.V, module.dV, module.d2V):
        assert str(formula) in out
    assert number(r"r_min = ([\d.]+)", out) == pytest.approx(2 ** (1 / 6), abs=1e-11)
    assert number(r"k = V''\(r_min\) = ([\d.]+)", out) == pytest.approx(36 * 2 ** (2 / 3), abs=1e-9)
    png = tmp_path / "lj.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_plot_derivatives_default_path(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    load("plot_derivatives.py").main([])
    assert (tmp_path / "lennard_jones.png").exists()
    assert "figure saved to lennard_jones.png" in capsys.readouterr().out


def test_dask_cluster(tmp_path):
    pytest.importorskip("distributed")
    pytest.importorskip("scipy")
    out = run_example("dask_cluster.py", tmp_path, "--values", "2e6", "--chunk", "5e5")
    assert "wave(x, y) = cos(x*y) + exp(-x**2)*sin(y)" in out and "100% Completed" in out
    offs = [float(v) for v in re.findall(r"off by ([\d.]+) standard errors", out)]
    assert len(offs) == 3 and max(offs) < 5, out


def test_robertson(tmp_path):
    pytest.importorskip("scipy.integrate")
    module = load("robertson.py")
    out = run_example("robertson.py", tmp_path)
    assert str(module.rober) in out and str(module.jacobian) in out
    assert str(module.rober).startswith("rober(t, y[3]) = ")
    assert len(re.findall(r"^(Radau|BDF) +(exact \(pyexpr\)|finite differences)", out, re.M)) == 4
    assert number(r"largest relative difference from the reference: ([\d.e+-]+)", out) < 1e-3
    assert abs(number(r"mass a \+ b \+ c - 1 at the end: ([\d.e+-]+)", out)) < 1e-12


def test_rosenbrock_in_n_dimensions(tmp_path):
    module = load("rosenbrock_nd.py")
    out = run_example("rosenbrock_nd.py", tmp_path)
    assert str(module.rosenbrock) in out and str(module.grad) in out and str(module.hessp) in out
    for name in ("value", "gradient", "Hessian times p"):
        assert number(rf"^{name}\s+largest relative difference ([\d.e+-]+);", out) < 1e-11
    assert number(r"largest \|x - 1\| = ([\d.e+-]+)", out) < 1e-6


def test_likelihood_standard_errors(tmp_path):
    module = load("likelihood.py")
    out = run_example("likelihood.py", tmp_path)
    assert str(module.nll) in out
    for name in ("mu", "sigma"):
        line = re.search(rf"^{name}\s+= ([\d.]+) \+- ([\d.]+)\s+\(closed form ([\d.]+) \+- ([\d.]+)\)",
                         out, flags=re.M)
        value, error, closed, closed_error = map(float, line.groups())
        assert value == pytest.approx(closed, abs=1e-5) and error == pytest.approx(closed_error, rel=1e-3)


def test_reaction_diffusion_with_its_sparse_jacobian(tmp_path):
    module = load("reaction_diffusion.py")
    out = run_example("reaction_diffusion.py", tmp_path)
    assert str(module.rhs) in out and "J[j, k] is 0 unless k - j is one of [-1, 0, 1]" in out
    ours = number(r"^exact sparse Jacobian:\s+front at x = ([\d.]+)", out)
    plain = number(r"^finite-difference Jacobian:\s+front at x = ([\d.]+)", out)
    assert ours == pytest.approx(plain, abs=1e-4)
    # Fisher-KPP fronts travel at 2*sqrt(D*r) = 2 once formed: about 40 units in 20 time units
    assert 35 < ours < 50
    assert number(r"largest difference of the two solutions: ([\d.e+-]+)", out) < 1e-5


def test_logistic_regression(tmp_path):
    module = load("logistic_regression.py")
    out = run_example("logistic_regression.py", tmp_path)
    assert str(module.loss) in out and str(module.grad) in out
    assert "loss(w[5])" in out and "(k, 0, 1999)" in out
    steps = re.search(r"per step: (.*)$", out, flags=re.M).group(1).split(", ")
    assert float(steps[-1]) < 1e-9
    assert number(r"largest difference: ([\d.e+-]+)", out) < 1e-4
