"""Every backend's table of spellings against the op registry (``pyexpr.ir.ops``).

Adding an op is one registry row plus one spelling per backend; each test here
names the backend and the ops it lacks, so a row without its spellings fails
with a list of what to add where.
"""
import math
from importlib import import_module

import numpy as np
import pytest
import sympy

import pyexpr as px
from pyexpr import source_code
from pyexpr.ast_rewrite import names
from pyexpr.cpu.codegen import context, vector_abi, vector_ir
from pyexpr.gpu import cuda_c
from pyexpr.ir import from_exprs, interp
from pyexpr.ir.ops import COMPOSITE, COMPUTED, OPS
from pyexpr.libm import fdim
from pyexpr.reference import ReferenceKernel

X, Y, Z = sympy.symbols("x y z", real=True)
#: sample points, special values included (z, for fma, another order of the same pairs)
VALUES = np.array([-2.5, -1.0, -0.5, -0.0, 0.0, 0.3, 0.5, 1.0, 2.0, 7.25, 40.0, np.inf, -np.inf, np.nan])
XS, YS = (a.ravel() for a in np.meshgrid(VALUES, VALUES[::-1] + 0.25))
ZS = np.roll(XS, 37)


#: math.fma where Python has it (3.13), pyexpr's otherwise: the names table knows both
FMA = getattr(math, "fma", px.libm.fma)


def _resolve(dotted):
    module, _, name = dotted.rpartition(".")
    return getattr(import_module(module), name)


def _lacking(what, ops, where):
    return f"{what} has no spelling for {sorted(ops)}: add them to {where}"


def test_llvm_scalar_spells_every_op():
    spelled = set(context.FUNCTIONS) | set(context.OPERATORS)
    assert not set(COMPUTED) - spelled, _lacking(
        "the LLVM backend", set(COMPUTED) - spelled, "pyexpr.cpu.codegen.context (FUNCTIONS or OPERATORS)")
    assert spelled <= set(OPS), f"LLVM spellings of ops the registry lacks: {sorted(spelled - set(OPS))}"


def test_llvm_simd_says_how_each_op_runs_on_vectors():
    """On vectors an op is native (an operator or an intrinsic that is an instruction), a
    libmvec function, or explicitly computed lane by lane: never by accident."""
    def how(op):
        if op in context.OPERATORS:
            return "native"
        kind, spelling = context.FUNCTIONS.get(op, (None, None))
        if kind == "llvm" and spelling in vector_ir.INSTRUCTIONS:
            return "native"
        if op in vector_abi.VECTOR_FUNCTIONS:
            return "libmvec"
        if op in vector_ir.LANE_BY_LANE:
            return "lanes"
        return None
    unknown = {op for op in COMPUTED if how(op) is None}
    assert not unknown, _lacking("the SIMD code generator", unknown,
                                 "pyexpr.cpu.codegen.vector_abi.VECTOR_FUNCTIONS or vector_ir.LANE_BY_LANE")
    both = {op for op in vector_ir.LANE_BY_LANE if op in vector_abi.VECTOR_FUNCTIONS}
    assert not both, f"{sorted(both)} are both libmvec functions and lane by lane"


def test_llvm_costs_match_what_the_code_is():
    """The registry's cost column (threads, ``kernel.seconds_per_element``) agrees with the
    code generator: an "instruction" op is emitted inline or as an intrinsic that is one."""
    wrong = [op for op in COMPUTED if (OPS[op].cost == "instruction") != (
        op in context.OPERATORS or context.FUNCTIONS.get(op, (None, None))[1] in vector_ir.INSTRUCTIONS)]
    assert not wrong, f"the cost column of {wrong} in pyexpr.ir.ops disagrees with the LLVM spelling"


def test_cuda_spells_every_op():
    assert not set(COMPUTED) - set(cuda_c.SPELLINGS), _lacking(
        "the CUDA backend", set(COMPUTED) - set(cuda_c.SPELLINGS), "pyexpr.gpu.cuda_c.SPELLINGS")
    assert set(cuda_c.FAST_F32) <= set(cuda_c.SPELLINGS)


def test_interpreter_uses_the_registrys_functions():
    assert not set(COMPUTED) - set(interp.NUMPY), _lacking(
        "the interpreter", set(COMPUTED) - set(interp.NUMPY), "pyexpr.ir.interp.NUMPY")
    for op in COMPUTED:
        reference = OPS[op].numpy
        assert reference, f"{op} names no reference function in pyexpr.ir.ops"
        if reference.startswith(("numpy.", "pyexpr.ir.interp.")):
            assert interp.NUMPY[op] is _resolve(reference), f"interp.NUMPY[{op!r}] is not {reference}"
        else:                   # math functions, with C's nan and inf where math raises
            fn = _resolve(reference)
            for x in (0.3, 1.5, 4.0, -2.5):
                args = (x, 0.7, -1.9)[:OPS[op].arity]
                try:
                    want = fn(*args)
                except (ValueError, OverflowError):
                    continue
                assert interp.NUMPY[op](*args) == pytest.approx(want, rel=1e-15), (op, args)


def test_every_sympy_class_lowers_to_its_op():
    for op in COMPUTED:
        row = OPS[op]
        if row.sympy is None:
            continue
        cls = _resolve(row.sympy)
        program = from_exprs("t", [X, Y, Z], [_expression(cls, row)])
        assert op in {ins.op for ins in program.instrs}, f"{row.sympy} does not lower to {op}"


def _expression(cls, row, x=X, y=Y, z=Z):
    """A float-valued expression applying ``cls`` once to ``x`` (and ``y``, ``z``)."""
    args = (x, y, z)[:row.arity]
    if issubclass(cls, sympy.Function):
        return cls(*args, evaluate=False)
    if row.result == "b":
        if row.args == ("b",) * row.arity:      # And, Or, Not of conditions
            conditions = (x > 0.5, y < 1.0)[:row.arity]
            return sympy.Piecewise((x, cls(*conditions, evaluate=False)), (y, True))
        return sympy.Piecewise((x, cls(*args, evaluate=False)), (y, True))
    return cls(*args, evaluate=False)       # Min, Max


FUNCTION_ROWS = [op for op in COMPUTED if OPS[op].sympy and OPS[op].result == "f"]


@pytest.mark.parametrize("op", FUNCTION_ROWS)
def test_printed_python_and_lambdify_agree_with_the_interpreter(op):
    """The Python source printer and the reference path (``lambdify``) spell every function
    row; where the printed source computes a value (``math`` raises at domain errors),
    it is the interpreter's."""
    row = OPS[op]
    expr = _expression(_resolve(row.sympy), row)
    program = from_exprs("t", [X, Y, Z], [expr])
    want = interp.evaluate(program, XS, YS, ZS)[0]
    namespace = {}
    exec(source_code.python_source("t", [X, Y, Z], [expr], ()), namespace)
    reference = ReferenceKernel([X, Y, Z], [expr])
    for x, y, z, w in zip(XS, YS, ZS, want):
        args = (float(x), float(y), float(z))
        got = reference.scalar(*args)[0]
        assert _same(got, w, op in C_ROWS), f"lambdify: {op}{args[:row.arity]} = {got}, the interpreter {w}"
        try:
            printed = namespace["t"](*args)
        except (ValueError, OverflowError, ZeroDivisionError):
            continue
        assert _same(printed, w, op in C_ROWS), \
            f"python_source: {op}{args[:row.arity]} = {printed}, the interpreter {w}"


#: C's functions (``pyexpr.libm``), whose zeros' signs are compared too
C_ROWS = {op for op in COMPUTED if (OPS[op].sympy or "").startswith("pyexpr.libm.")}


def _same(a, b, signed_zeros=False):
    if signed_zeros and a == 0 and b == 0:
        return math.copysign(1, a) == math.copysign(1, b)
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12, abs=1e-300)


def test_the_front_end_reaches_every_function_row():
    """Each function row is reachable from Python: some math/numpy/sympy function in
    ``ast_rewrite.names.FUNCTIONS`` builds its sympy class."""
    built = set()
    for fname, builder in names.FUNCTIONS.values():
        for args in ((X,), (X, Y), (X, Y, Z)):
            try:
                built |= {type(e) for e in sympy.preorder_traversal(builder(*args))}
            except (TypeError, ValueError):
                pass
    # pyexpr's erfc and acos are subclasses of sympy's (keeping f(-x) as written)
    unreached = [op for op in FUNCTION_ROWS if issubclass(_resolve(OPS[op].sympy), sympy.Function)
                 and not any(issubclass(b, _resolve(OPS[op].sympy)) for b in built)]
    assert not unreached, f"no Python name means {unreached}: add one to pyexpr.ast_rewrite.names"


def test_a_decorated_function_compiles_every_function_row():
    """End to end, through each backend that runs here: one formula calling every function."""
    @px.jit
    def every(x, y):
        return (math.exp(x) + math.expm1(x) + math.log(y) + math.log1p(y) + math.log2(y)
                + math.log10(y) + math.sqrt(y) + np.cbrt(x) + np.exp2(x) + math.sin(x) + math.cos(x)
                + math.tan(x) + math.asin(x / 4) + math.acos(x / 4) + math.atan(x) + math.sinh(x)
                + math.cosh(x) + math.tanh(x) + math.asinh(x) + math.acosh(y + 1) + math.atanh(x / 4)
                + math.erf(x) + math.erfc(x) + math.gamma(y) + math.lgamma(y) + math.floor(x)
                + math.ceil(x) + math.trunc(x) + abs(x) + np.sign(x) + math.atan2(x, y)
                + math.hypot(x, y) + x % y + min(x, y) + max(x, y) + math.copysign(x, y)
                + math.fmod(x, y) + math.remainder(x, y) + fdim(x, y) + FMA(x, y, x) + np.fmax(x, y)
                + np.fmin(x, y))
    ops = {ins.op for ins in every.program.instrs}
    assert {op for op in FUNCTION_ROWS} - ops <= {"pow"}, sorted(set(FUNCTION_ROWS) - ops)
    plain = every.__wrapped__
    for x, y in [(0.5, 1.5), (-1.25, 3.0), (2.0, 0.75)]:
        want = float(plain(x, y))          # (pyexpr.libm's classes give sympy numbers)
        assert every(x, y) == pytest.approx(want, rel=1e-13)
        assert every(np.array([x]), np.array([y]))[0] == pytest.approx(want, rel=1e-13)
        assert "pyexpr_every" in cuda_c.cuda_source(every.program)


#: ordinary points, away from every jump (fmod's and remainder's quotients, fdim's x == y)
#: and on both sides of fdim's and copysign's
DIFF_POINTS = [(-2.6, 0.9, 0.35), (0.4, 1.3, -1.1), (1.3, -0.35, 2.5), (5.6, 2.2, -0.6)]


def test_derivatives_of_pyexprs_own_functions_come_from_the_registry():
    """A row whose sympy class is pyexpr's own carries its derivative in each argument; the
    class uses it, and it matches central differences of the reference function."""
    ours = [op for op in COMPUTED if (OPS[op].sympy or "").startswith(("pyexpr.functions.", "pyexpr.libm."))
            and _resolve(OPS[op].sympy).__module__ in ("pyexpr.functions", "pyexpr.libm")]
    assert {"cbrt", "copysign", "fmod", "remainder", "fdim", "fma"} <= set(ours)
    for op in ours:
        row = OPS[op]
        assert row.derivative, f"{op}: pyexpr's own class needs a derivative in pyexpr.ir.ops"
        cls, fn = _resolve(row.sympy), _resolve(row.numpy)
        params = (X, Y, Z)[:row.arity]
        for k, wrt in enumerate(params):
            d = sympy.diff(cls(*params), wrt)
            for point in DIFF_POINTS:
                at = point[:row.arity]
                h = 1e-6 * max(1.0, abs(at[k]))
                up, down = (tuple(v + (s * h if j == k else 0) for j, v in enumerate(at)) for s in (1, -1))
                slope = (float(fn(*up)) - float(fn(*down))) / (2 * h)
                assert float(d.subs(dict(zip(params, at)))) == pytest.approx(slope, rel=1e-6, abs=1e-9), \
                    (op, str(wrt), at)


# --- composites: the stable functions ``ir.composite`` writes with other ops -----------------
def _composite_call(op, x=X, y=Y):
    row = OPS[op]
    return _resolve(row.sympy)(*(x, y)[:row.arity], evaluate=False)


def _exact(op, *values):
    """The composite's value from its definition at 400 digits (1 + 1e-300 is not 1 there;
    mpmath's exp has no overflow)."""
    cls = _resolve(OPS[op].sympy)
    if any(math.isnan(v) for v in values):
        return math.nan
    value = sympy.N(cls.definition(*(sympy.Float(v, 400) for v in values)), 400)
    if value is sympy.zoo:              # log(0): the sign of the infinity is scipy's to say
        return None
    return float(value) if value.is_extended_real else math.nan


def test_every_composite_has_an_expansion_a_printing_and_a_reference():
    from pyexpr.ir import composite
    from pyexpr.reference import _STABLE
    assert set(composite.EXPANSIONS) == set(COMPOSITE), "pyexpr.ir.composite.EXPANSIONS"
    lacking = [op for op in COMPOSITE if not hasattr(source_code.MathPrinter, f"_print_{op}")]
    assert not lacking, _lacking("python_source", lacking, "pyexpr.source_code.MathPrinter")
    assert set(COMPOSITE) <= set(_STABLE), _lacking("the reference", set(COMPOSITE) - set(_STABLE),
                                                    "pyexpr.reference._STABLE")


def test_the_front_end_or_a_rule_reaches_every_composite():
    """... or a derivative of one that is reached (erfcx's is derfcx)."""
    from pyexpr.functions import _parsed_derivative
    from pyexpr.stability.rules import RULES
    built = {type(e) for rule in RULES for e in sympy.preorder_traversal(rule.replacement)}
    built |= {type(e) for op in COMPOSITE for d in _parsed_derivative(op)
              for e in sympy.preorder_traversal(d)}
    for fname, builder in list(names.FUNCTIONS.values()) + list(names.BY_NAME.values()):
        for args in ((X,), (X, Y)):
            try:
                built |= {type(e) for e in sympy.preorder_traversal(builder(*args))}
            except (TypeError, ValueError):
                pass
    unreached = [op for op in COMPOSITE if _resolve(OPS[op].sympy) not in built]
    assert not unreached, f"no Python name and no rule means {unreached}: add one to " \
        "pyexpr.ast_rewrite.names or pyexpr.stability.rules"


#: points where the naive formulas overflow, underflow or cancel, and ordinary ones
COMPOSITE_POINTS = [-800.0, -40.0, -1.0, -1e-9, -0.0, 0.0, 1e-300, 1e-9, 0.25, 0.5, 0.500001,
                    0.75, 0.999999, 1.0, 2.0, 37.0, 800.0, np.inf, -np.inf, np.nan]
_PAIRS = [(x, y) for x in COMPOSITE_POINTS for y in (-800.0, -1.0, 0.0, 0.5, 1e-12, 3.0, 800.0, np.inf, np.nan)]


def _ulps(got, want):
    if math.isnan(want) or math.isnan(got):
        return 0 if math.isnan(want) and math.isnan(got) else math.inf
    if got == want:
        return 0
    if math.isinf(want) or math.isinf(got):
        return math.inf
    return abs(got - want) / math.ulp(want) if want else abs(got) / math.ulp(0.0)


@pytest.mark.parametrize("op", COMPOSITE)
def test_composites_are_accurate_on_every_path(op):
    """Interpreter, compiled scalar and array code, printed Python and the reference all
    within 2 ULP of the definition at 400 digits (``-800`` and ``800`` included), and at
    the special values agree with scipy/numpy where they name one."""
    expr = _composite_call(op)
    program = from_exprs("t", [X, Y], [expr])
    xs, ys = (np.array(a) for a in zip(*_PAIRS))
    interpreted = interp.evaluate(program, xs, ys)[0]
    f = px.from_sympy(expr, [X, Y], name="t")
    compiled, array = [f(x, y) for x, y in _PAIRS], f(xs, ys)
    namespace = {}
    exec(source_code.python_source("t", [X, Y], [expr], ()), namespace)
    reference = _resolve(OPS[op].numpy) if OPS[op].numpy else None
    for i, (x, y) in enumerate(_PAIRS):
        args = (x, y)[:OPS[op].arity]
        want = _exact(op, *args) if all(math.isfinite(a) for a in args) else None
        if want is None and reference is None and op == "log1mexp" and args == (0.0,):
            want = -math.inf
        if want is None and reference is not None:
            with np.errstate(all="ignore"):
                want = float(reference(*args))
        if want is None:
            continue
        for path, got in (("interpreter", interpreted[i]), ("scalar", compiled[i]), ("array", array[i])):
            assert _ulps(float(got), want) <= 2, f"{op}{args}: {path} {got}, exact {want}"
        try:
            printed = namespace["t"](x, y)
        except (ValueError, OverflowError, ZeroDivisionError):
            continue
        assert _ulps(printed, want) <= 2, f"{op}{args}: python_source {printed}, exact {want}"


@pytest.mark.parametrize("op", COMPOSITE)
def test_composite_derivatives_match_central_differences(op):
    row = OPS[op]
    assert row.derivative, f"{op}: a composite needs its derivative in pyexpr.ir.ops"
    expr = _composite_call(op)
    points = [(0.3, 0.7), (0.1, 2.5), (0.8, 0.2)] if op == "logit" or row.arity == 2 else \
        [(-2.7, 0), (-0.4, 0), (-1.3, 0), (-5.6, 0)] if op == "log1mexp" else \
        [(-2.7, 0), (0.4, 0), (1.3, 0), (5.6, 0)]
    for wrt in (X, Y)[:row.arity]:
        d = sympy.diff(expr, wrt)
        for x, y in points:
            h = 1e-6
            at = {X: x, Y: y}
            shifted = [_exact(op, *[(at[s] + (k * h if s == wrt else 0)) for s in (X, Y)[:row.arity]])
                       for k in (1, -1)]
            assert float(d.subs(at)) == pytest.approx((shifted[0] - shifted[1]) / (2 * h), rel=1e-6), \
                (op, str(wrt), x, y)


# --- C's functions (pyexpr.libm): names, text, numbers, one rounding --------------------------
def test_c_functions_evaluate_numbers_exactly_but_never_to_a_negative_zero():
    from pyexpr.libm import copysign, fma, fmod, remainder
    assert (fmod(7, 3), fmod(-7, 3), remainder(5, 2), remainder(7, 2), fdim(1, 3)) == (1, -1, 1, -1, 0)
    assert float(fma(0.1, 10, -1)) == 5.551115123125783e-17          # 0.1*10 - 1 is 0.0
    assert float(copysign(3, -0.5)) == -3.0 and fmod(1, 0) is sympy.nan
    for held in (fmod(-4, 2), remainder(-4, 2), copysign(0, -1)):   # C gives -0: sympy has none
        assert type(held) in (fmod, remainder, copysign), held


def test_fma_stays_one_rounding_from_text_to_python_source():
    """``fma`` is kept through sympy's simplification and printed as exact Python; ``fdim``,
    which Python lacks, is read from ``from_sympy``'s text."""
    both = px.from_sympy("fma(x, y, z) + fdim(x, y)", ["x", "y", "z"], simplify="full")
    assert {"fma", "fdim"} <= {ins.op for ins in both.program.instrs}
    assert "mul" not in {ins.op for ins in both.program.instrs}
    f = px.from_sympy("fma(x, y, z)", ["x", "y", "z"], simplify="full")
    namespace = {}
    exec(f.python_source, namespace)
    rng = np.random.default_rng(6)
    x, y = rng.uniform(-3, 3, 200), rng.uniform(-3, 3, 200)
    specials = [0.0, -0.0, math.inf, -math.inf, math.nan, 5e-324, 1.7976931348623157e308, -1e300]
    triples = [(a, b, -(a * b)) for a, b in zip(x, y)] + [(a, b, c) for a in specials for b in specials
                                                          for c in specials]
    for a, b, c in triples:
        want = interp.fma_one(a, b, c)
        for path, got in (("python_source", namespace["f"](a, b, c)), ("compiled", f(a, b, c))):
            same = math.isnan(got) if math.isnan(want) else got == want and \
                math.copysign(1, got) == math.copysign(1, want)
            assert same, f"{path}: fma({a}, {b}, {c}) = {got}, not {want}"
