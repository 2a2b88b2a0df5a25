"""``python -m pyexpr show`` and ``--help`` as a user runs them: subprocesses, output, exit codes.

The expected formula text comes from the public API in this process, so the
tests check that the CLI prints what ``str(f)``, ``f.latex()`` ... print.
"""
import importlib.util
import math
import subprocess
import sys

import pytest

import pyexpr as px

MODEL = '''\
import pyexpr as px
from math import exp, sin, log


@px.jit
def energy(x, y):
    return exp(-x**2) * sin(y) + log(1 + x * y)


def plain(a, b=2.0):
    return a**b + 3 * a

not_a_function = 3
'''

BAD_FILES = {
    # name: (source, exit code, the start of the single stderr line)
    "loop.py": ("def f(x):\n    while x > 1:\n        x = x / 2\n    return x\n", 1, "loop.py:2:5: "),
    "decorated.py": ("import pyexpr as px\n\n\n@px.jit\ndef f(x):\n    print(x)\n    return x\n",
                     1, "decorated.py:6:5: "),
    "free.py": ("def f(x):\n    return x * undefined_thing\n", 1, "free.py: NameError: "),
    "syntax.py": ("def f(x) return x\n", 1, "syntax.py:1:"),
    "raises.py": ("raise RuntimeError('broken\\nmodule')\n", 1, "raises.py: importing it raised "),
}


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "pyexpr", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli")
    (path / "model.py").write_text(MODEL)
    (path / "single.py").write_text("def only(t):\n    return t**3\n")
    (path / "two.py").write_text("def a(t):\n    return t\n\n\ndef b(t):\n    return 2 * t\n")
    for name, (source, _, _) in BAD_FILES.items():
        (path / name).write_text(source)
    return path


@pytest.fixture(scope="module")
def model(folder):
    spec = importlib.util.spec_from_file_location("_test_cli_model", folder / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_help_lists_subcommands(folder):
    result = run_cli("--help", cwd=folder)
    assert result.returncode == 0
    assert "demo" in result.stdout and "show" in result.stdout
    show_help = run_cli("show", "--help", cwd=folder)
    assert show_help.returncode == 0
    for flag in ("--diff", "--grad", "--hessian", "--latex", "--python", "--llvm", "--cuda"):
        assert flag in show_help.stdout
    assert "--diff x y" in show_help.stdout          # the documented meaning of several names


def test_no_command_is_a_usage_error(folder):
    result = run_cli(cwd=folder)
    assert result.returncode == 2
    assert "usage" in result.stdout


def test_show_formula_and_calculus(folder, model):
    f = model.energy
    result = run_cli("show", "model.py:energy", "--diff", "x", "--diff", "x", "y", "--diff", "y",
                     "2", "--grad", "--hessian", "--latex", cwd=folder)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for formula in (f, f.diff("x"), f.diff("x", "y"), f.diff("y", 2), f.grad(), f.hessian()):
        assert str(formula) in lines
        assert formula.latex() in lines
    assert result.stderr == ""


def test_show_python_source_runs(folder, model):
    result = run_cli("show", "model.py:energy", "--diff", "x", "--python", cwd=folder)
    assert result.returncode == 0, result.stderr
    source = result.stdout.split("# Python of denergy_dx\n", 1)[1]
    namespace = {}
    exec(compile(source, "<cli>", "exec"), namespace)
    x, y = 0.3, 1.7
    expected = -2 * x * math.exp(-x**2) * math.sin(y) + y / (1 + x * y)
    assert namespace["denergy_dx"](x, y) == pytest.approx(expected, rel=1e-14)


def test_show_plain_function_is_jitted(folder, model):
    result = run_cli("show", "model.py:plain", "--pretty", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert str(px.jit(model.plain)) in result.stdout.splitlines()
    assert "# pretty of plain" in result.stdout


def test_show_without_name_picks_the_only_function(folder, model):
    result = run_cli("show", "single.py", "--diff", "t", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "only(t) = t**3"
    assert "donly_dt(t) = 3*t**2" in result.stdout
    only_formula = run_cli("show", "model.py", cwd=folder)      # one Formula among functions
    assert only_formula.stdout.splitlines()[0] == str(model.energy)
    rewrites = [f"  {r}" for r in model.energy.rewrites]        # followed by its stability rewrites
    assert only_formula.stdout.splitlines()[2:] == rewrites


def test_show_llvm_and_cuda(folder):
    result = run_cli("show", "model.py:energy", "--llvm", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "# LLVM IR of energy" in result.stdout and "define " in result.stdout
    cuda = run_cli("show", "model.py:energy", "--cuda", cwd=folder)
    assert cuda.returncode in (0, 1)
    if cuda.returncode == 0:
        assert "__global__" in cuda.stdout
    else:                                             # no CUDA code generator in this build
        assert len(cuda.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args, needle", [
    (("show", "missing.py:f"), "no such file: missing.py"),
    (("show", "model.py:nothere"), "has no function 'nothere' (its functions and formulas: energy, plain"),
    (("show", "model.py:not_a_function"), "is a int, not a function"),
    (("show", "two.py"), "name the function as two.py:NAME (candidates: a, b)"),
    (("show", "model.py:energy", "--diff", "z"), "--diff z: not an argument of energy(x, y)"),
    (("show", "model.py:energy", "--diff", "x", "0"), "a count must follow a variable"),
    (("show", "model.py:energy", "--bogus"), "unrecognized arguments: --bogus"),
    (("frobnicate",), "invalid choice"),
])
def test_usage_errors_exit_2_with_one_line(folder, args, needle):
    result = run_cli(*args, cwd=folder)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_formula_errors_exit_1_with_one_line(folder, name):
    _, code, start = BAD_FILES[name]
    result = run_cli("show", f"{name}:f", cwd=folder)
    assert result.returncode == code
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(start), lines[0]


def test_unsupported_syntax_message_names_the_construct(folder):
    result = run_cli("show", "loop.py:f", cwd=folder)
    assert "while" in result.stderr


def test_main_in_process_returns_status(folder, capsys, monkeypatch):
    from pyexpr import cli
    monkeypatch.chdir(folder)
    assert cli.main(["show", "model.py:energy", "--grad"]) == 0
    assert "grad_energy(x, y) = " in capsys.readouterr().out
    assert cli.main(["show", "loop.py:f"]) == 1
    assert capsys.readouterr().err.startswith("loop.py:2:5: ")
