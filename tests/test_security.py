"""Text given to pyexpr is read, never run, and names cannot carry code into generated text.

``from_sympy`` parses strings with pyexpr's own front end (``sympy.sympify``
would ``eval`` them); a Formula's name and argument names must be
identifiers; and the code generators write names only as identifiers, so a
name holding a newline, ``*/`` or quotes cannot add LLVM or C of its own.
"""
import os

import pytest
import sympy

import pyexpr as px
from pyexpr.ir import from_exprs
from pyexpr.gpu import cuda_source
from pyexpr.cpu.codegen import llvm_ir

ATTACKS = ["__import__('pathlib').Path('pwned').touch() or x",
           "(lambda: __import__('os').system('touch pwned'))() + x",
           "[c for c in ().__class__.__base__.__subclasses__()][0] and x",
           "open('pwned', 'w') and x", "eval('1') + x", "exec('x = 1') or x",
           "x.__class__", "getattr(x, 'evalf')()"]


@pytest.mark.parametrize("text", ATTACKS)
def test_from_sympy_never_runs_text(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(px.PyExprError):
        px.from_sympy(text, ["x"])
    assert not os.path.exists(tmp_path / "pwned")


def test_from_sympy_reads_text_as_a_formula():
    f = px.from_sympy(["sin(x)**2 + y*exp(-x)", "Max(x, y) + pi"], ["x", "y"], name="g")
    assert str(f) == "g(x, y) = (y*exp(-x) + sin(x)**2, Max(x, y) + pi)"
    assert f(1.0, 2.0)[1] == pytest.approx(2.0 + 3.141592653589793)
    with pytest.raises(px.PyExprError, match="not a Python expression"):
        px.from_sympy("x +", ["x"])


def test_formula_outputs_are_never_sympified_text(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TypeError, match="not str"):
        px.Formula("f", [sympy.Symbol("x", real=True)], ["__import__('os').system('touch pwned')"])
    assert not os.path.exists(tmp_path / "pwned")


@pytest.mark.parametrize("name, args", [("f*/ int evil; /*", ["x"]), ("f", ["x*/ int evil; /*"]),
                                        ("f\ndefine void @evil() { ret void }", ["x"]),
                                        ("f", ["x\"\n%y"]), ("lambda", ["x"]), ("f", ["1x"])])
def test_names_must_be_identifiers(name, args):
    with pytest.raises(px.PyExprError, match="not a Python identifier"):
        px.from_sympy(sympy.Symbol("x", real=True) + 1, args, name=name)
    symbols = [sympy.Symbol(a, real=True) for a in args]
    with pytest.raises(ValueError, match="not a Python identifier"):
        px.Formula(name, symbols, [symbols[0] + 1])


def test_generated_text_writes_names_as_identifiers():
    """Below the Formula (which refuses such names), a Program with hostile names still
    gives LLVM IR and CUDA C with nothing of them but identifier characters."""
    a, b = sympy.Symbol('a*/ int evil; /*', real=True), sympy.Symbol('b"\n%z', real=True)
    program = from_exprs("f\ndefine void @evil() {\n ret void\n}", [a, b], [a * b + 1])
    ir_text = str(llvm_ir.build_module(program, parts=("scalar",)))
    defined = [line for line in ir_text.splitlines() if line.startswith("define")]
    assert defined and all('@"pyexpr_f_define_void__evil' in line for line in defined), defined
    assert "@evil(" not in ir_text and "int evil" not in ir_text and "\n%z" not in ir_text
    assert ir_text.splitlines()[0] == '; ModuleID = "pyexpr_f_define_void__evil______ret_void__"'
    source = cuda_source(program, "float64")
    assert source.count("*/") == source.count("/*")          # no comment closes early
    assert "int evil" not in source and "@evil" not in source
