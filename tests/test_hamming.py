"""Hamming's chapter 3 cases (``benchmarks/hamming.py``) through the accuracy benchmark:
the cases the textbook rewrites fix are accurate, and the measurement itself works."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import bench_hamming  # noqa: E402
from benchmarks.hamming import CASES  # noqa: E402

#: cases whose rewrite leaves under one bit of error on average (``docs/accuracy.md``)
FIXED = ["2sqrt", "2frac", "3frac", "2log", "exp2", "2sin", "2cos", "2tan", "2atan", "expm1",
         "qlog", "logq", "sintan", "invcot", "tanhf", "cos2"]


@pytest.mark.parametrize("name", FIXED)
def test_the_rewritten_case_is_accurate(name):
    (case,) = [c for c in CASES if c.name.startswith(name + " ")]
    errors, used, rewrites = bench_hamming.measure_case(case, points=200, seed=1)
    assert used > 150 and rewrites, (name, used, rewrites)
    assert errors["as written"] > 8, errors        # the case is hard as written
    assert errors["pyexpr"] < 1.0, errors
    if "expert" in errors:
        assert errors["pyexpr"] <= errors["expert"] + 0.5, errors


def test_the_quadratic_formula_is_no_worse_than_the_experts():
    (case,) = [c for c in CASES if c.name.startswith("quadm ")]
    errors, _, rewrites = bench_hamming.measure_case(case, points=200, seed=1)
    assert "conjugate" in rewrites and errors["pyexpr"] <= errors["expert"] + 1.0, errors


def test_the_report_is_a_markdown_table():
    rows = bench_hamming.run(50, 0, only=["2sqrt", "tanhf"])
    text = bench_hamming.markdown(rows)
    assert text.startswith("| case | points |") and "2sqrt (example 3.1)" in text
    assert "Mean over the 2 cases" in text
