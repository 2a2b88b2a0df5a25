"""Every construct of the accepted Python subset, checked against the plain function.

The oracle is the undecorated function itself (``f.__wrapped__``); formulas
are evaluated through the reference path (``ref_call``), at random points and
on arrays of points.  Structural checks pin what the translation must produce
(a ``Piecewise`` for a symbolic ``if``, none for a static one; inlined calls;
unrolled loops; frozen globals).
"""
import math
import time

import numpy as np
import pytest
import sympy

import pyexpr as px
import user_functions as U

x, y = sympy.symbols("x y", real=True)


def _id(case):
    return case[0].__name__ if case[0].__name__ != "<lambda>" else "lambda_formula"


@pytest.fixture(scope="module")
def formulas():
    return {fn: px.jit(fn) for fn, _ in U.SUBSET}


@pytest.mark.parametrize("case", U.SUBSET, ids=_id)
def test_value_matches_plain_function(case, formulas, ref_call, sample, plain):
    fn, domain = case
    f = formulas[fn]
    assert f.__wrapped__ is fn
    assert [str(a) for a in f.args][:len(domain)] == list(domain)
    rng = np.random.default_rng(7)
    points = [sample(domain, rng) for _ in range(25)]
    checked = 0
    for point in points:
        want = plain(fn, point)
        if want is None:
            continue
        got = ref_call(f, *point)
        assert np.shape(got) == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=f"at {point}")
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize("case", U.SUBSET, ids=_id)
def test_arrays_match_plain_function_pointwise(case, formulas, ref_call, sample, plain):
    fn, domain = case
    f = formulas[fn]
    rng = np.random.default_rng(11)
    points = np.array([sample(domain, rng) for _ in range(16)])
    got = ref_call(f, *points.T)
    assert got.shape == f.out_shape + (16,)
    for k, point in enumerate(points):
        want = plain(fn, point)
        if want is not None:
            np.testing.assert_allclose(got[..., k], want, rtol=1e-12, atol=1e-12)


# --- signatures ------------------------------------------------------------------------

def test_defaults_and_keyword_calls(ref_call):
    f = px.jit(U.with_defaults)
    assert f.defaults == {"a": sympy.Float(2.0), "b": 3}
    assert ref_call(f, 1.5) == U.with_defaults(1.5)
    assert ref_call(f, 1.5, 4.0) == U.with_defaults(1.5, 4.0)
    assert ref_call(f, 1.5, b=-1.0) == U.with_defaults(1.5, b=-1.0)
    assert ref_call(f, x=1.5, b=-1.0, a=0.5) == U.with_defaults(1.5, 0.5, -1.0)


def test_docstring_kept_and_not_translated():
    f = px.jit(U.with_docstring)
    assert f.__doc__ == U.with_docstring.__doc__
    assert f.expr == x + 1
    assert f.name == "with_docstring" and f.__qualname__ == "with_docstring"


def test_parameters_are_real_symbols_named_like_python():
    f = px.jit(U.gaussian)
    assert [a.name for a in f.args] == ["x", "mu", "sigma"]
    assert all(a.is_real for a in f.args)


# --- statements and returns ------------------------------------------------------------

def test_tuple_returns_set_out_shape():
    assert px.jit(U.tuple_return).out_shape == (2,)
    assert px.jit(U.tuple_return).outputs == (x + y, x * y)
    nested = px.jit(U.nested_tuple_return)
    assert nested.out_shape == (2, 2)
    assert nested.expr == sympy.ImmutableMatrix([[x, y], [x * y, x - y]])


def test_if_returns_become_one_piecewise():
    f = px.jit(U.if_elif_else_returns)
    assert f.expr == sympy.Piecewise((-x, x < -1), (x**2, x < 1), (2 * x - 1, True))


def test_early_return_then_more_code():
    f = px.jit(U.early_return)
    assert f.expr == sympy.Piecewise((x - y, x > y), (x * y + 1, True))


def test_variable_assigned_in_both_branches_is_merged():
    f = px.jit(U.merged_branches)
    assert f.expr == sympy.Piecewise((x * y, x > 0), (y - x, True)) + 1


def test_tuple_values_merge_elementwise():
    f = px.jit(U.tuple_branches)
    assert f.outputs == (sympy.Piecewise((x, x > y), (y, True)),
                         sympy.Piecewise((y, x > y), (x, True)))


def test_static_condition_leaves_no_piecewise():
    assert px.jit(U.static_if).expr == 2 * x


def test_numeric_conditions_follow_python_truth():
    # sympy's Float(0.0) == 0 and Float(1.0) == 1 are False: conditions compare as floats
    assert px.jit(U.static_float_conditions).expr == sympy.Piecewise((2 * x + 1, sympy.Ne(x, 0)),
                                                                     (2 * x, True))


def test_comparisons_of_conditionals_decorate_fast_without_ite(has):
    start = time.perf_counter()
    f = px.jit(U.conditional_of_conditionals)
    assert time.perf_counter() - start < 5          # sympy's own folding took seconds to minutes
    assert not has(f.outputs, sympy.ITE)             # no code generator knows ITE
    assert f.program is not None


def test_chained_comparison_is_a_conjunction():
    f = px.jit(U.chained_comparison)
    (value, cond), _ = f.expr.args
    assert value == sympy.Float(1.0) and cond == sympy.And(x > 0, x < y, y <= 3)


# --- arithmetic ---------------------------------------------------------------------------

@pytest.mark.parametrize("a, b", [(-7.0, 2.0), (7.0, -2.0), (-7.5, -2.0), (7.5, 2.0),
                                  (-0.5, 3.0), (6.0, 3.0), (-6.0, 3.0)])
def test_floor_division_and_modulo_follow_python_signs(a, b, ref_call):
    assert ref_call(px.jit(U.floor_division), a, b) == a // b
    assert ref_call(px.jit(U.modulo), a, b) == a % b
    assert ref_call(px.jit(U.modulo), a, b) == np.mod(a, b)      # numpy: sign of the divisor


def test_float_exponents_written_as_halves_are_exact():
    f = px.jit(U.float_powers)
    assert f.expr == x**2 + sympy.sqrt(abs(x)) + (abs(x) + 1) ** sympy.Rational(-3, 2)


def test_function_aliases_give_the_same_expression():
    exprs = {px.jit(fn).expr for fn in (U.math_functions, U.numpy_functions, U.sympy_functions)}
    assert len(exprs) == 1
    # (as read: the stability pass makes the root hypot(x, 1))
    assert px.jit(U.aliased_functions, stable=False).expr == (sympy.exp(-x**2) + sympy.exp(x / 4) + sympy.sin(x)
                                                               + sympy.sqrt(x**2 + 1))


def test_constants_stay_symbolic():
    f = px.jit(U.constants)
    assert f.expr == sympy.pi * x + sympy.E + sympy.pi / 2 - x


def test_comparison_used_as_number():
    f = px.jit(U.comparison_as_number)
    assert f.expr == x * sympy.Piecewise((1, x > 0), (0, True))


# --- names: globals, closures, formulas -------------------------------------------------------

def test_numeric_globals_are_frozen_at_decoration(monkeypatch, ref_call):
    f = px.jit(U.numeric_globals)
    before = ref_call(f, 2.0)
    assert before == U.numeric_globals(2.0)
    monkeypatch.setattr(U, "SCALE", 100.0)
    monkeypatch.setattr(U, "WEIGHTS", (0.0,))
    assert U.numeric_globals(2.0) != before               # the plain function follows the global
    assert ref_call(f, 2.0) == before                      # the formula does not
    assert ref_call(px.jit(U.numeric_globals), 2.0) == U.numeric_globals(2.0)   # re-decorated


def test_closure_variables_are_frozen_at_decoration(ref_call):
    fn, set_k = U.make_mutable_closure()
    f = px.jit(fn)
    assert ref_call(f, 3.0) == 6.0
    set_k(5.0)
    assert fn(3.0) == 15.0
    assert ref_call(f, 3.0) == 6.0
    assert f.expr == sympy.Float(2.0) * x


def test_calls_to_formulas_are_inlined():
    assert px.jit(U.calls_formula).expr == x**2 + (x + y) ** 2
    r, t = sympy.symbols("r t", real=True)
    assert px.jit(U.calls_multi_output).expr == r**2 * sympy.sin(t) * sympy.cos(t) + r
    assert px.jit(U.calls_with_keywords).expr == r * sympy.cos(t) - r * sympy.sin(t)


def test_inlining_keeps_the_callee_unchanged():
    before = U.helper_polar.outputs
    px.jit(U.calls_multi_output)
    assert U.helper_polar.outputs == before


# --- loops, reductions, tuples, lambdas -----------------------------------------------------

def test_loops_are_unrolled():
    assert px.jit(U.for_range_one).expr == 1 + x + x**2 + x**3
    assert px.jit(U.for_range_two).expr == 6 * x
    assert px.jit(U.for_range_three).expr == (x + 10) * (x + 7) * (x + 4) * (x + 1)
    assert px.jit(U.for_range_global_bound).expr == 1 + x + x**2 + x**3
    assert not px.jit(U.newton_sqrt).expr.has(sympy.Piecewise)


def test_generator_sums_and_products():
    assert px.jit(U.sum_generator).expr == sum(x**k / (k + 1) for k in range(5))
    assert px.jit(U.prod_generator).expr == (x + 1) * (x + 2) * (x + 3)
    assert px.jit(U.sum_over_tuple).expr == 3 * x + 3


def test_indexing_a_local_tuple():
    assert px.jit(U.index_local_tuple).expr == 2 * x * y - x


def test_local_lambda_is_inlined():
    assert px.jit(U.local_lambda).expr == x**2 + y**2


def test_lambda_formula_is_named_f():
    f = px.jit(U.lambda_formula)
    assert f.name == "f" and f.expr == x * y + 1


def test_lambdas_alike_on_one_line_are_told_apart():
    a, b = px.jit(lambda x: x + 1), px.jit(lambda x: x * 2)
    c, d = px.jit(lambda x: (x + 1) * 3), px.jit(lambda x: (x - 1) * 3)
    assert (a.expr, b.expr, c.expr, d.expr) == (x + 1, 2 * x, 3 * x + 3, 3 * x - 3)


def test_lambdas_inside_longer_statements():
    """A lambda's line may be a dict entry or a keyword argument of a call spanning lines."""
    table = {
        "sum": px.jit(lambda x, y: x + y, parallel=False),
        "product": px.jit(lambda x, y: x * y),
    }
    options = dict(
        square=px.jit(lambda x: x**2),
    )
    listed = [
        px.jit(lambda x: x - 1), px.jit(lambda y: 2 * y),
    ]
    other = {
        "model": px.jit(lambda x: x + 1), "key": (
            lambda x: 3 * x),
    }
    assert other["model"].expr == x + 1              # not the lambda on the next line
    assert table["sum"].expr == x + y and table["product"].expr == x * y
    assert options["square"].expr == x**2
    assert [f.expr for f in listed] == [x - 1, 2 * y]


def test_jit_with_options_as_decorator_factory():
    f = px.jit(dtype="float32", simplify=False)(U.simplifiable)
    assert f.options["dtype"] == "float32" and f.options["simplify"] is False


# --- simplify modes ------------------------------------------------------------------------------

def test_simplify_canonical_is_sympy_automatic_evaluation():
    assert px.jit(U.simplifiable).expr == 2 * x


def test_simplify_false_keeps_the_expression_as_written(ref_call):
    f = px.jit(U.simplifiable, simplify=False)
    assert str(f) == "simplifiable(x) = -x + ((x + x) + (x*x)/x)"
    assert ref_call(f, 1.75) == pytest.approx(U.simplifiable(1.75), rel=1e-15)
    ns = {}
    exec(f.python_source, ns)
    assert ns["simplifiable"](1.75) == pytest.approx(U.simplifiable(1.75), rel=1e-15)
    assert f.diff("x").expr == 2


@pytest.mark.parametrize("case", U.SUBSET, ids=_id)
def test_simplify_false_keeps_values(case, ref_call, sample, plain):
    fn, domain = case
    f = px.jit(fn, simplify=False)
    rng = np.random.default_rng(5)
    for _ in range(8):
        point = sample(domain, rng)
        want = plain(fn, point)
        if want is not None:
            np.testing.assert_allclose(ref_call(f, *point), want, rtol=1e-12, atol=1e-12)


def test_simplify_false_keeps_a_product_with_repeated_factors_right(ref_call):
    # sympy.cse miscompiles unevaluated x*x beside 2*x; formulas rebuild before code generation
    f = px.jit(U.if_elif_else_returns, simplify=False)
    assert ref_call(f, 2.5) == U.if_elif_else_returns(2.5)
    assert f.program is not None


def test_simplify_full_applies_sympy_simplify(ref_call):
    f = px.jit(U.arithmetic, simplify="full")
    canonical = px.jit(U.arithmetic).expr
    assert f.expr == sympy.simplify(canonical)
    assert ref_call(f, 0.5, -1.25) == pytest.approx(U.arithmetic(0.5, -1.25), rel=1e-14)


# --- the decorator on Formulas, and decoration time --------------------------------------------

def test_jit_of_a_formula_changes_options_only():
    f = px.jit(U.small)
    g = px.jit(f, dtype="float32")
    assert g.outputs == f.outputs and g.options["dtype"] == "float32"


def test_decorating_a_30_line_function_is_fast(capsys):
    px.jit(U.thirty_lines)              # sympy's caches warm
    start = time.perf_counter()
    f = px.jit(U.thirty_lines)
    elapsed = time.perf_counter() - start
    with capsys.disabled():
        print(f"\n[timing] decorating a 30-line function: {elapsed * 1e3:.1f} ms")
    assert elapsed < 5.0                # the issue wants well under a second
    assert f.outputs


def test_fixed_point_iteration_of_tanh_decorates_and_differentiates(ref_call):
    # sympy's tanh assumptions expand exponentially when nested; pyexpr records they are real
    f = px.jit(U.fixed_point_tanh)
    assert math.isclose(ref_call(f, 2.0, 0.5), U.fixed_point_tanh(2.0, 0.5), rel_tol=1e-12)
    g = f.grad()
    h = 1e-6
    fd = (U.fixed_point_tanh(2.0 + h, 0.5) - U.fixed_point_tanh(2.0 - h, 0.5)) / (2 * h)
    assert ref_call(g, 2.0, 0.5)[0] == pytest.approx(fd, rel=1e-6)
