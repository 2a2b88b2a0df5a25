"""Every error of the front end: class, location, message and hint.

Rejected functions live in ``bad_functions.py``; each offending line carries a
``# <- name`` marker, from which the expected absolute line is read.
"""
import os
import subprocess
import sys
import traceback

import numpy as np
import pytest
import sympy

import bad_functions as B
import pyexpr as px
import user_functions as U

with open(B.__file__) as _f:
    LINES = _f.read().splitlines()


def marker_line(name):
    hits = [i for i, ln in enumerate(LINES, 1) if ln.rstrip().endswith(f"# <- {name}")]
    assert len(hits) == 1, name
    return hits[0]


# (function, marker, token the column points at, words the message must contain)
UNSUPPORTED = [
    (B.uses_while, "while", "while", ["while loops"]),
    (B.recursive, "recursion", "recursive", ["recursion", "recursive"]),
    (B.for_over_data, "for_data", "for", ["other than by accumulating", "s += term"]),
    (B.for_over_parameter_range, "range_param", "n", ["known when the function is decorated"]),
    (B.prints, "print", "print", ["I/O (print)"]),
    (B.unknown_call, "unknown_call", "math.factorial", ["pyexpr has no formula for math.factorial"]),
    (B.sinc_call, "sinc", "np.sinc", ["pyexpr has no formula for numpy.sinc",
                                      "sin(pi*x) / (pi*x)"]),
    (B.isclose_call, "isclose", "math.isclose", ["pyexpr has no formula for math.isclose",
                                                  "abs(a - b) <= max(rel_tol"]),
    (B.plain_call, "plain_call", "plain_helper", ["call to 'plain_helper', which is not a math "
                                                  "function or a formula", "decorate plain_helper"]),
    (B.numbers_anded, "numbers_anded", "0 & y", ["bitwise operators", "(x > 0) & (y < 1)"]),
    (B.xor_for_power, "xor_power", "x ^ 2", ["exclusive or", "x**2"]),
    (B.invert_constant, "invert_constant", "~(2 > 1)", ["Python's ~True is -2", "write `not`"]),
    (B.one_argument_where, "where1", "np.where(x > 0)", ["np.where takes 3 arguments",
                                                          "one-argument form gives indices"]),
    (B.select_mismatch, "select", "np.select", ["2 condition(s) and 1 choice(s)"]),
    (B.attribute_assignment, "attr_assign", "math.tau", ["attribute assignment"]),
    (B.item_assignment, "item_assign", "COUNTER[0]", ["item assignment"]),
    (B.uses_global, "global", "global", ["global statements"]),
    (B.nonlocal_inner, "nonlocal", "nonlocal", ["nonlocal statements"]),
    (B.uses_try, "try", "try", ["try statements"]),
    (B.uses_yield, "yield", "yield", ["yield"]),
    (B.star_args, "star_args", "xs", ["*args"]),
    (B.star_kwargs, "star_kwargs", "kw", ["**kwargs"]),
    (B.keyword_only, "kwonly", "y", ["keyword-only"]),
    (B.uses_string, "string", '"x"', ["strings"]),
    (B.uses_fstring, "fstring", 'f"{x}"', ["strings"]),
    (B.parameter_named_out, "param_out", "out", ["cannot be named 'out'", "rename the parameter"]),
    (B.fractional_arange, "fractional_arange", "np.arange", ["not a whole number", "np.arange(k)*step + start"]),
    (B.list_comprehension, "listcomp", "[v * v", ["a list over a vector of any length", "np.sum([... for v in x])"]),
    (B.nested_def, "nested_def", "def inner", ["nested function definitions"]),
    (B.nested_class, "nested_class", "class Inner", ["class definitions"]),
    (B.expression_statement, "expr_stmt", "x + 1", ["no effect"]),
    (B.string_global, "str_global", "NOT_A_NUMBER", ["NOT_A_NUMBER", "str"]),
    (B.one_sided, "one_sided", "y", ["only one side"]),
    (B.no_return, "no_return", "def no_return", ["does not return"]),
    (B.indented_while, "indented_while", "while", ["while loops"]),
    (B.branches_of_different_shapes, "shapes", "if x > 0", ["different shapes"]),
    (B.calls_helper_badly, "bad_inline_call", "helper(", ["takes 2 argument"]),
]


@pytest.mark.parametrize("fn, marker, token, words", UNSUPPORTED,
                         ids=[case[1] for case in UNSUPPORTED])
def test_unsupported_syntax_is_reported_at_the_users_line(fn, marker, token, words):
    with pytest.raises(px.UnsupportedSyntaxError) as info:
        px.jit(fn)
    err = info.value
    assert isinstance(err, SyntaxError) and isinstance(err, px.PyExprError)
    assert err.filename == B.__file__
    assert err.lineno == marker_line(marker)
    assert err.text == LINES[err.lineno - 1]
    assert err.text[err.offset - 1:].startswith(token), (err.offset, err.text)
    message = str(err)
    for word in words:
        assert word in message
    assert err.hint and err.hint in message                 # says what to write instead
    assert f"line {err.lineno}" in message and B.__file__ in message


def test_plain_functions_still_run():
    # the rejected functions are valid Python: the errors are about formulas only
    assert B.recursive(2.0, 3) == 8.0 and B.uses_while(8.0) == 1.0


def test_unknown_free_name_is_a_name_error_at_decoration():
    with pytest.raises(NameError) as info:
        px.jit(B.unknown_name)
    message = str(info.value)
    assert "not_defined_anywhere" in message
    assert B.__file__ in message and f"line {marker_line('unknown_name')}" in message


def test_unknown_module_attribute_is_a_name_error():
    with pytest.raises(NameError, match="no attribute 'not_a_function'"):
        px.jit(lambda x: np.not_a_function(x))


def test_errors_name_lambdas_in_this_file():
    with pytest.raises(px.UnsupportedSyntaxError, match="dicts") as info:
        px.jit(lambda x: {x: 1.0}[x])
    assert info.value.filename == __file__
    assert info.value.text.strip().startswith("px.jit(lambda x: {x: 1.0}[x])")
    assert info.value.text[info.value.offset - 1:].startswith("{x: 1.0}")


def test_non_numeric_default_is_rejected():
    def f(x, a=None):
        return x

    def g(x, a="one"):
        return x
    with pytest.raises(px.UnsupportedSyntaxError, match="default of a must be a number"):
        px.jit(f)
    with pytest.raises(px.UnsupportedSyntaxError, match="strings"):
        px.jit(g)


def test_functions_without_source_are_a_pyexpr_error():
    ns = {}
    exec("def g(x):\n    return x\n", ns)
    with pytest.raises(px.PyExprError, match="cannot read the source"):
        px.jit(ns["g"])


# --- jit options -----------------------------------------------------------------------------

@pytest.mark.parametrize("options, error, words", [
    ({"stable": "yes"}, ValueError, "stable"),
    ({"stabilize": True}, TypeError, "stabilize"),
    ({"fast": True}, TypeError, "fast"),
    ({"dtype": "int32"}, ValueError, "dtype"),
    ({"dtype": "complex128"}, ValueError, "dtype"),
    ({"target": "gpu"}, ValueError, "target"),
    ({"simplify": True}, ValueError, "simplify"),
    ({"simplify": "some"}, ValueError, "simplify"),
    ({"parallel": 1}, ValueError, "parallel"),
    ({"fastmath": "yes"}, ValueError, "fastmath"),
])
def test_bad_jit_options(options, error, words):
    with pytest.raises(error, match=words):
        px.jit(U.small, **options)
    with pytest.raises(error, match=words):
        px.jit(**options)


def test_good_jit_options_are_normalized():
    f = px.jit(U.small, dtype=np.float32, cache=False, parallel=False, fastmath=True)
    assert f.options["dtype"] == "float32" and f.options["cache"] is False


def test_jit_needs_a_function():
    with pytest.raises(TypeError, match="needs a Python function"):
        px.jit(3.0)


# --- bad call arguments (reference path; the same checks front every backend) ----------------

@pytest.fixture(scope="module")
def f():
    return px.jit(U.with_defaults)


@pytest.mark.parametrize("args, kwargs, words", [
    ((1.0, 2.0, 3.0, 4.0), {}, "takes 3 argument"),
    ((), {}, "missing 1 required argument"),
    ((1.0,), {"c": 2.0}, "unexpected keyword argument 'c'"),
    ((1.0, 2.0), {"a": 2.0}, "multiple values for argument 'a'"),
    (("1.0",), {}, "argument 'x' must be a real number"),
    ((None,), {}, "argument 'x' must be a real number"),
    ((1.0, 1j), {}, "argument 'a' must be a real number"),
    ((1.0, np.complex128(1.0)), {}, "argument 'a' must be a real number"),
    ((np.array([1.0, 2.0j]),), {}, "argument 'x' must hold real numbers"),
    ((["a", "b"],), {}, "argument 'x' must hold real numbers"),
    (([1.0, None],), {}, "argument 'x' must hold real numbers"),
    ((1.0,), {"b": "2"}, "argument 'b' must be a real number"),
])
def test_bad_arguments_are_type_errors(f, ref_call, args, kwargs, words):
    with pytest.raises(TypeError, match=words) as info:
        ref_call(f, *args, **kwargs)
    assert "with_defaults" in str(info.value)


def test_shapes_that_do_not_broadcast(f, ref_call):
    with pytest.raises(ValueError, match=r"do not broadcast: x\(3,\), a\(2,\)"):
        ref_call(f, np.zeros(3), np.zeros(2))


def test_out_of_the_wrong_shape_or_kind(f, ref_call):
    with pytest.raises(ValueError, match=r"out has shape \(2,\), expected \(3,\)"):
        ref_call(f, np.zeros(3), out=np.empty(2))
    with pytest.raises(ValueError, match="read-only"):
        out = np.empty(3)
        out.flags.writeable = False
        ref_call(f, np.zeros(3), out=out)
    with pytest.raises(TypeError, match="out must be a numpy array"):
        ref_call(f, np.zeros(3), out=[0.0, 0.0, 0.0])
    with pytest.raises(TypeError, match="cannot write float64"):
        ref_call(f, np.zeros(3), out=np.empty(3, dtype=np.int64))


def test_multi_output_out_shape_includes_the_outputs(ref_call):
    g = px.jit(U.tuple_return)
    with pytest.raises(ValueError, match=r"expected \(2, 4\)"):
        ref_call(g, np.zeros(4), 1.0, out=np.empty(4))


@pytest.mark.llvm
def test_bad_arguments_through_the_default_backend(f):
    with pytest.raises(TypeError, match="argument 'x'"):
        f("1.0")
    with pytest.raises(TypeError, match="takes 3 argument"):
        f(1.0, 2.0, 3.0, 4.0)
    with pytest.raises(ValueError, match="do not broadcast"):
        f(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="out has shape"):
        f(np.zeros(3), out=np.empty(4))


# --- calculus arguments --------------------------------------------------------------------------

def test_calculus_argument_errors():
    g = px.jit(U.small)
    with pytest.raises(ValueError, match="'z' is not an argument of small"):
        g.diff("z")
    with pytest.raises(ValueError, match="count must follow a variable"):
        g.diff(2)
    with pytest.raises(ValueError, match="count must follow a variable"):
        g.diff("x", 0)
    with pytest.raises(TypeError, match="at least one variable"):
        g.diff()
    with pytest.raises(ValueError, match="single-output"):
        px.jit(U.tuple_return).grad()
    with pytest.raises(ValueError, match="single-output"):
        px.jit(U.tuple_return).hessian()


# --- the decorator and the first call are the boundary: the user's line, not pyexpr's frames ---

PACKAGE = os.path.dirname(px.__file__)


def _pyexpr_frames(error):
    return [f.name for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith(PACKAGE)]


@pytest.mark.parametrize("fn, error", [(B.uses_while, px.UnsupportedSyntaxError),
                                       (B.unknown_name, NameError), (B.sinc_call, px.PyExprError)])
def test_decoration_errors_carry_no_internal_frames(fn, error, monkeypatch):
    monkeypatch.delenv("PYEXPR_DEBUG", raising=False)
    with pytest.raises(error) as info:
        px.jit(fn)
    assert _pyexpr_frames(info.value) == ["jit"]        # the frame that raises it, nothing below
    assert info.value.__suppress_context__
    monkeypatch.setenv("PYEXPR_DEBUG", "1")
    with pytest.raises(error) as info:
        px.jit(fn)
    assert len(_pyexpr_frames(info.value)) > 3          # debugging keeps every frame


def test_first_call_errors_carry_no_code_generator_frames(monkeypatch):
    monkeypatch.delenv("PYEXPR_DEBUG", raising=False)
    x, y = sympy.symbols("x y", real=True)
    f = px.from_sympy(sympy.besselj(x, y), [x, y], name="bessel")
    with pytest.raises(px.LoweringError, match="besselj") as info:
        f(1.0, 2.0)
    assert _pyexpr_frames(info.value)[-1] == "kernel"


BAD_SCRIPT = "import pyexpr as px\n\n@px.jit\ndef f(x):\n    while x > 1:\n        x = x / 2\n    return x\n"


@pytest.mark.parametrize("debug", ["", "1"])
def test_the_printed_traceback_ends_at_the_users_line(tmp_path, debug):
    script = tmp_path / "bad_model.py"
    script.write_text(BAD_SCRIPT)
    env = {**os.environ, "PYTHONPATH": os.path.dirname(PACKAGE), "PYEXPR_DEBUG": debug}
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env)
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("pyexpr.errors.UnsupportedSyntaxError: while loops are not supported")
    assert f'File "{script}", line 5' in result.stderr and "    while x > 1:" in lines
    if debug:
        assert "ast_rewrite" in result.stderr
    else:
        assert "ast_rewrite" not in result.stderr and len(lines) <= 12, result.stderr


def test_an_error_names_the_function_it_is_in():
    """A file holds many functions: the message says which one the construct is in."""
    with pytest.raises(px.UnsupportedSyntaxError) as info:
        px.jit(B.prints)
    assert str(info.value).endswith(", in prints)") and info.value.function == "prints"
