"""The benchmark harness: ``python -m benchmarks --quick`` runs and checks every result.

These tests check correctness and the report's content, never speed.
"""
import importlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import peers as peer_lib, report, timing  # noqa: E402

SECTIONS = ["linear-1t", "transcendental-1t", "piecewise-1t", "linear-2t", "transcendental-2t",
            "piecewise-2t", "gradient", "scalar", "small", "calls", "ivp-robertson-radau", "ivp-robertson-bdf",
            "ivp-vanderpol-radau", "ivp-vanderpol-bdf", "minimize-trust-ncg-100", "minimize-trust-exact-100",
            "least-squares", "quad", "first-call", "hessian", "sizes", "build-order", "cluster",
            "rosen", "likelihood", "logsumexp", "pairwise", "matrix", "first-vector"]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    result = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out, result.stdout


def test_report_says_every_workload_was_checked(quick_run):
    out, _ = quick_run
    text = (out / "report.md").read_text()
    data = json.loads((out / "results.json").read_text())
    assert [s["key"] for s in data["sections"]] == SECTIONS
    assert text.count("\nChecked: yes: ") == len(SECTIONS)
    for section in data["sections"]:
        assert f"## {section['title']}" in text
    assert f"Every workload's results were checked: {len(SECTIONS)} workloads" in text


def test_pyexpr_entries_agree_and_are_timed(quick_run):
    out, _ = quick_run
    data = json.loads((out / "results.json").read_text())
    for section in data["sections"]:
        ours = [r for r in section["rows"] if r["peer"] == "pyexpr"]
        assert ours, section["key"]
        for row in ours:
            assert row["status"] == "ok", (section["key"], row)
            assert row["seconds"] > 0 and row["max_diff"] <= section["tolerance"] <= 1e-6
        baseline = [r for r in section["rows"] if r["label"] == section["baseline"]]
        assert section["baseline"] is None or baseline[0]["status"] == "ok"


def test_missing_peers_are_reported_as_skipped(quick_run):
    out, stdout = quick_run
    text = (out / "report.md").read_text()
    for name in peer_lib.OPTIONAL:
        try:
            importlib.import_module(name)
        except ImportError:
            assert f"Skipped: {name}: not installed" in text
            assert f"skipping {name}: not installed" in stdout
        else:
            assert f"Skipped: {name}" not in text


def test_chart_is_written_with_matplotlib(quick_run):
    out, _ = quick_run
    text = (out / "report.md").read_text()
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "No chart: matplotlib is not installed" in text
    else:
        assert (out / "speedup.png").read_bytes()[:4] == b"\x89PNG"
        assert "![speedup over numpy](speedup.png)" in text


# --- the measurement core, in process -------------------------------------------------------

def counting(value, calls):
    def call():
        calls.append(1)
        return value
    return call


def test_measure_rejects_wrong_and_failing_entries_without_timing_them():
    reference = np.arange(5.0)
    calls = {"good": [], "wrong": []}

    def broken():
        raise RuntimeError("no\ncompiler")
    entries = [timing.Entry("good", counting(reference.copy(), calls["good"])),
               timing.Entry("wrong", counting(reference + 1e-6, calls["wrong"])),
               timing.Entry("broken", broken)]
    rows = timing.measure(entries, reference, repeats=4)
    assert [r.status for r in rows] == ["ok", "WRONG", "failed: RuntimeError: no compiler"]
    assert rows[0].seconds is not None and rows[1].seconds is None and rows[2].seconds is None
    assert len(calls["good"]) == 1 + 4 and len(calls["wrong"]) == 1
    section = timing.Section("s", "title", "description", rows)
    line = report.checked_line(section)
    assert line.startswith("Checked: yes: 1 of 3 entries agree with numpy")
    assert "wrong (WRONG)" in line and "broken (failed: RuntimeError: no compiler)" in line


def test_relative_difference_catches_nan_and_shape_mismatch():
    assert timing.relative_difference([1.0, np.nan], [1.0, 2.0]) != timing.relative_difference(
        [1.0, 2.0], [1.0, 2.0])
    assert np.isnan(timing.relative_difference([1.0, np.nan], [1.0, 2.0]))
    assert np.isnan(timing.relative_difference(np.zeros(3), np.zeros(4)))
    assert timing.relative_difference([1.0, np.nan], [1.0, np.nan]) == 0.0


def test_peer_not_installed_is_skipped_with_reason(monkeypatch):
    real = importlib.import_module

    def fake(name, *args):
        if name == "numexpr":
            raise ImportError("No module named 'numexpr'")
        return real(name, *args)
    monkeypatch.setattr(peer_lib.importlib, "import_module", fake)
    found = peer_lib.Peers(exclude=("jax", "numba", "symengine"))
    assert found.get("numexpr") is None
    assert found.skipped["numexpr"].startswith("not installed")
    assert found.skipped["jax"] == "excluded on the command line"
    x, y = np.linspace(0.1, 1, 8), np.linspace(0.2, 2, 8)
    from benchmarks import formulas
    labels = [e.label for e in peer_lib.elementwise_entries(formulas.KERNELS[0], x, y, 1, found)]
    assert labels == ["numpy", "pyexpr (out=)", "sympy (lambdify numpy)"]
