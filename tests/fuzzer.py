"""A differential fuzzer: random Python formulas through every path of pyexpr.

Each formula is the source text of a ``def`` of one to four variables:
arithmetic, powers, ``abs``/``min``/``max``, conditional expressions and
``if``/``else`` statements (a share of their conditions tests for nan or infinity,
``TESTS``, or compares a value with itself), and the math functions of
``FUNCTIONS`` in their ``math.`` and ``np.`` spellings, nested up to
``MAX_DEPTH`` deep.  The *same*
text is executed three times:

* with the real ``math`` and ``numpy``, and decorated: pyexpr;
* with numpy float scalars, numpy's functions and nan-propagating ``min``/
  ``max`` (numpy's semantics, which pyexpr documents): the code as written,
  evaluated by numpy (``N``);
* with mpmath numbers at ``DIGITS`` digits and the real-valued mpmath
  functions: the exact value of the code as written (``E``).  An
  intermediate that is not real (log(-1)) is nan, as in floating point: it
  propagates, compares false (a condition on it takes the branch the code
  as written takes) and leaves ``E`` undefined only where the value needs it.

Each formula is made from its own number and the run's seed, so a run shared
among processes (``run``; one a CPU by default) finds the same verdicts.

Every pyexpr path (scalar calls, contiguous, strided, broadcast and large
arrays, float32, the gradient on scalars and arrays, and the CUDA C source
compiled for the host) gives ``P`` at a set of random and special points (the
costly paths on a share of the formulas, ``EVERY``: the gradient, half of a
formula's time, on every third one; ``--every-path`` checks all).  A
value agrees when it equals ``N`` or is within ``TOLERANCE`` ulps of ``E``.
Anything else must be explained by one of the documented rules of
``classify`` (in order):

``no less accurate``
    ``P`` is at most about as far from ``E`` as ``N`` is: the code as written
    loses accuracy here (cancellation, overflow of an intermediate), and
    pyexpr does no worse, or better (simplification avoided the overflow).
``branch within rounding``
    ``N`` at a neighbouring point (a few ulps away in one variable) equals
    ``P``: a condition, ``floor`` or similar decides differently within
    rounding of the input.
``undefined as written``
    ``E`` is undefined (a division by zero, a logarithm of a negative number,
    inf - inf in an intermediate, a nan input), and pyexpr computes the
    printed, simplified formula (over the reals, ``x/x`` is 1): ``P`` equals
    the printed formula evaluated by numpy (``S``), or lies within the printed
    formula's exact values at the point and its neighbours (an ill-conditioned
    printed formula: ``sqrt(sin(u))**-2`` is ``1/sin(u)``, of a u near 3e6),
    or is nan at finite inputs, or +-inf where an input is 0 (a pole:
    ``(y/x)**2`` at x = -0.0 and a subnormal y is inf where numpy's
    ``y**2/x**2`` is 0/0).  A derivative where the function itself has no
    value as written (a pole, a value that is not real) is undefined whatever it is.
``cancellation``
    ``N`` itself is more than CANCELLING ulps off, and ``P`` at most 16 times
    as far: the formula cancels here, and the order of its operations decides.
``rounding noise``
    ``P`` is no further from ``E`` than twice the spread of numpy's values at
    the point and its neighbours: the formula amplifies rounding so much that
    any order of operations scatters that far.
``exact printed value``
    ``P`` equals the printed formula's exact value (mpmath): a function's
    last-bit rounding decided a ``floor`` or a condition (floor(cos(1e-8)) is
    0 exactly; numpy's cos rounds up to 1).
``ill-conditioned``
    ``P`` lies within the exact values at the neighbouring points (those
    where it is defined, if ``E`` is not: sin(y**4) at y = 7.9e10 is
    anything in [-1, 1] within an ulp of y): the formula's condition there is
    worse than TOLERANCE ulps allow for.  Where those values lie CHAOTIC of
    their size apart or more (cos(u**3) of a u near 1e20: no digit of the
    value survives an ulp of input), a few samples of a range as wide: within
    that spread of them.
``near numpy, no exact value``
    where no exact value exists (a printed derivative mpmath cannot evaluate),
    ``P`` is within UNKNOWN_EXACT of ``N``, relatively: rounding in another
    order, which cannot be told from a small error without ``E``.
``derivative rounding``
    a compiled derivative within DERIVATIVE_ROUNDING of the exact value, at
    the scale of the larger of ``E``, ``N`` and 1: derivative formulas cancel
    (1/sqrt(1 - sin(t)**2)*cos(t) near pi/2), and in another order than numpy.
    Where the printed derivative has no exact value, within that distance of
    ``N`` (the same formula in numpy's order).
``vector functions' rounding``
    on an array path, where the scalar path agrees: ``P`` lies between the
    printed formula's exact values with every function glibc's vector code
    computes on arrays VECTOR_ULPS ulps above and below its exact value
    (documented bound), all of them up, all down, or alternately up and down
    (``cos(y) - cosh(x)`` near 0 is furthest off with the two apart): an
    intermediate amplifies that last bit (log10(cos(y)) for small y).
``functions' rounding``
    on any path: ``P`` lies between the printed formula's exact values
    with every function of that list SCALAR_ULPS ulps above and below its
    exact value (glibc's scalar functions are within that, not all correctly
    rounded): an intermediate amplifies the last bit (cos of a constant
    -log(7.5)/erfc(3) = -91211.3 turns erfc's last bit into the tenth digit).
``vector functions' rounding, no exact value``
    no exact value exists, an array path differs from numpy where the scalar
    path agrees: the vector functions' last bit (documented bounds) decided a
    floor or a condition (floor(cos(1e-8)) is 0 with a cos 1 ulp below 1).
``intermediate out of range``
    an input is extreme (|v| >= 1e100 or <= 1e-100: its powers leave the range), the
    exact value is a number, and ``P`` is 0 or inf (or nan: inf - inf, 0*inf of
    it): an intermediate left float64's range in pyexpr's order of operations
    (``x/(a*b)`` divides once by a product that overflows, where ``x/a/b`` would
    not; a derivative's tan(gamma(y))**2 + 1 at y = -1e-310 is nan, times a
    Heaviside of 0).
``sign of zero``
    ``P`` and ``N`` are zeros of different sign and ``S`` has ``P``'s sign
    (simplification over the reals does not keep the sign of zero).
``condition settled over the reals``
    an input is nan, and ``P`` equals ``S``: simplification decided a
    condition for every real number (``x <= x`` is True), which Python's
    comparison with nan does not.

``simplified formula less accurate (open)``
    ``P`` equals ``S`` and ``S`` is further from ``E`` than ``N`` is: the
    compiled code computes its formula, but simplification made the formula
    less accurate than the code as written (``tanh(acosh(a))`` as
    ``sqrt(a-1)*sqrt(a+1)/a``, ``sinh(y)/Piecewise(..., (y, ...))`` with the
    reciprocal moved into the branches).  Open work: counted and listed in the
    summary, not a failure.

Derivatives are checked twice: the printed derivative at ``DIGITS`` digits
against mpmath's numerical derivative of the exact function (a wrong
*symbolic* derivative), and the compiled derivative against the printed one
under the same rules, with ``N`` the printed derivative evaluated by numpy.
At a point where the exact function has a kink or a jump (its one-sided
derivatives differ, or a ``floor`` or ``ceil`` steps between the points of the
numerical derivative, however narrow the step) there is no derivative to
compare: ``not differentiable``.  Where the kinks of a ``min`` or ``max`` at a
tie cancel (``max(min(y, x), y)`` is ``y``), pyexpr's derivative takes each
``Heaviside(0)`` as 1/2 (the mean of the two sides' derivatives), which is not
the derivative: ``derivative at a tie`` where the printed derivative is the
exact one on both sides of the point.  Where the printed formula rounds a float
constant otherwise than the code as written (``(1e-3 + 2.0)*x**3 - x**3`` holds
1.001, the code 2.001 rounded to float64, then less 1) and the formula amplifies
it (in a cosine of x**3 at x = 3e4, 1e-16 of 4e13 is 4e-3 of a radian), the two
exact derivatives part: ``derivative of the printed formula`` where the printed
derivative is the numerical derivative of the printed formula's exact value (the
value itself is checked on its own paths).  And where sympy folded float constants
of the derivative at float64's precision (``1/0.1`` is 10.000000000000000555, ``10.0*0.1``
is 1.0) so that terms fail to cancel: ``float constants folded`` where the printed
derivative is within FOLDED_ULPS of the value's scale (over the variable's, from 1 up)
of the exact one.  Everything unexplained is a mismatch and fails the test.

Run more formulas than CI does::

    python tests/fuzzer.py --count 100000 --seed 7 [--every-path] [--cuda]

or the same cases in pieces, ``--first 0 --count 5000``, ``--first 5000 --count 5000``, ...
A case that takes longer than ``CASE_SECONDS`` is a mismatch ("no verdict"), and the run goes on.
"""
import argparse
import ast
import collections
import concurrent.futures
import contextlib
import itertools
import linecache
import math
import multiprocessing
import operator
import os
import random
import signal
import sys
import tempfile
import threading
import time
import warnings
import zlib

import mpmath
import numpy as np
import scipy.special
import sympy

import pyexpr as px
from pyexpr.dag import map_dag
from pyexpr.sharing import cse
from pyexpr.reference import ReferenceKernel

VARS = ("x", "y", "z", "w")
CONSTANTS = ("0.5", "2.0", "3.0", "1.5", "0.25", "10.0", "1e-3", "0.1", "7.5", "100.0", "1e5",
             "2", "3")
#: name -> source spellings (pyexpr must read each alike)
FUNCTIONS = {
    "sin": ["math.sin", "np.sin"], "cos": ["math.cos", "np.cos"], "tan": ["math.tan", "np.tan"],
    "asin": ["math.asin", "np.arcsin"], "acos": ["math.acos", "np.arccos"],
    "atan": ["math.atan", "np.arctan"], "sinh": ["math.sinh", "np.sinh"],
    "cosh": ["math.cosh", "np.cosh"], "tanh": ["math.tanh", "np.tanh"],
    "asinh": ["math.asinh", "np.arcsinh"], "acosh": ["math.acosh", "np.arccosh"],
    "atanh": ["math.atanh", "np.arctanh"], "exp": ["math.exp", "np.exp"],
    "expm1": ["math.expm1", "np.expm1"], "log": ["math.log", "np.log"],
    "log1p": ["math.log1p", "np.log1p"], "log2": ["math.log2", "np.log2"],
    "log10": ["math.log10", "np.log10"], "sqrt": ["math.sqrt", "np.sqrt"],
    "cbrt": ["math.cbrt", "np.cbrt"], "erf": ["math.erf"], "erfc": ["math.erfc"],
    "gamma": ["math.gamma"], "lgamma": ["math.lgamma"], "floor": ["math.floor", "np.floor"],
    "ceil": ["math.ceil", "np.ceil"], "fabs": ["math.fabs", "np.fabs", "abs"],
}
BINARY_FUNCTIONS = {"atan2": ["math.atan2", "np.arctan2"], "hypot": ["math.hypot", "np.hypot"],
                    "min": ["min", "np.minimum"], "max": ["max", "np.maximum"]}
#: the tests for nan and infinity a condition may be (``math.isnan(x)``); chosen by the
#: case's side stream (``Generator.side``), so the cases without them stay as they were
TESTS = {"isnan": ["math.isnan", "np.isnan"], "isinf": ["math.isinf", "np.isinf"],
         "isfinite": ["math.isfinite", "np.isfinite"]}
#: the share of conditions that test for nan or infinity, or compare a value with itself
SPECIAL_TESTS = 0.15
OPERATORS = ("+", "-", "*", "/")
COMPARISONS = ("<", "<=", ">", ">=")
POWERS = ("2", "3", "0.5", "1.5", "-1", "-2", "-0.5", "4")
MAX_DEPTH = 6
SPECIAL_POINTS = (0.0, -0.0, 1.0, -1.0, 0.5, 2.0, math.inf, -math.inf, math.nan, 1e-310, -1e-310,
                  1e300, -1e300, math.pi, 1e-8, 710.0, -745.0, 3.0)
DIGITS = 40
#: the printed (simplified) formula itself, evaluated by numpy, is as far off as pyexpr:
#: simplification made this value less accurate than the code as written (open work,
#: counted and listed, not a compiler mismatch)
SIMPLIFIED_WORSE = "simplified formula less accurate (open)"
TOLERANCE = 64                       # ulps: libm-level accuracy, compounded over a formula
CANCELLING = 256                     # ulps numpy's own error must reach to be cancellation
UNKNOWN_EXACT = 1e-11                # relative distance from numpy where no exact value exists
DERIVATIVE_ROUNDING = 1e-12          # a compiled derivative's distance from the exact one, at scale
LARGE = 1 << 16                      # elements of the large-array path (threads)
FOLDED_ULPS = 16                     # see _folded
CHAOTIC = 0.25                       # exact values this far apart a few ulps apart: no digit left
HUGE_BITS = 1 << 20                  # an exact intermediate beyond 2**HUGE_BITS is undefined


# --- formulas --------------------------------------------------------------------------------

class Generator:
    """Source text of random functions, reproducible from a seed."""

    def __init__(self, rng):
        self.rng = rng
        #: a stream of the case's own (``Checker``) deciding where a condition is a test
        self.side = None

    def leaf(self, names):
        return self.rng.choice(names) if self.rng.random() < 0.7 else self.rng.choice(CONSTANTS)

    def expr(self, names, depth):
        r = self.rng
        if depth <= 0 or r.random() < 0.15:
            return self.leaf(names)
        kind = r.random()
        sub = lambda: self.expr(names, depth - 1 - (r.random() < 0.4))
        if kind < 0.3:
            return f"({sub()} {r.choice(OPERATORS)} {sub()})"
        if kind < 0.6:
            return f"{r.choice(FUNCTIONS[r.choice(list(FUNCTIONS))])}({sub()})"
        if kind < 0.7:
            return f"{r.choice(BINARY_FUNCTIONS[r.choice(list(BINARY_FUNCTIONS))])}({sub()}, {sub()})"
        if kind < 0.8:
            return f"({sub()}) ** {r.choice(POWERS)}"
        if kind < 0.87:
            return f"(-{sub()})"
        return f"({sub()} if {self.condition(names, depth - 1)} else {sub()})"

    def condition(self, names, depth):
        a, op, b = self.expr(names, depth - 1), self.rng.choice(COMPARISONS), self.expr(names, depth - 1)
        side = self.side
        if side is None or side.random() >= SPECIAL_TESTS:
            return f"{a} {op} {b}"
        kind = side.random()
        if kind < 0.6:
            test = side.choice(TESTS[side.choice(list(TESTS))])
            return f"{'not ' if side.random() < 0.3 else ''}{test}({a})"
        return f"{a} {side.choice(('!=', '==', '<=', '<'))} {a}"      # nan's comparisons with itself

    def function(self, name):
        """``(source, number of variables)``"""
        r = self.rng
        names = VARS[:r.randint(1, 4)]
        depth = r.randint(1, MAX_DEPTH)
        form = r.random()
        if form < 0.6:
            body = f"    return {self.expr(names, depth)}\n"
        elif form < 0.8:
            body = (f"    t = {self.expr(names, depth - 1)}\n"
                    f"    return {self.expr(names + ('t',), depth)}\n")
        else:
            body = (f"    if {self.condition(names, depth - 1)}:\n"
                    f"        u = {self.expr(names, depth - 1)}\n"
                    f"    else:\n"
                    f"        u = {self.expr(names, depth - 1)}\n"
                    f"    return {self.expr(names + ('u',), depth - 1)}\n")
        return f"def {name}({', '.join(names)}):\n{body}", len(names)


# --- the three readings of one text ---------------------------------------------------------

class _Constants(ast.NodeTransformer):
    """Float literals as numpy scalars of one type, so the text has numpy's semantics
    (1.0/0.0 is inf, not ZeroDivisionError)."""

    def __init__(self, type_name):
        self.type_name = type_name

    def visit_Constant(self, node):
        if isinstance(node.value, float):
            call = ast.parse(f"np.{self.type_name}({node.value!r})", mode="eval").body
            return ast.copy_location(call, node)
        return node


class _RealPowers(ast.NodeTransformer):
    """``a ** b`` as ``_pow(a, b)``: mpmath's power of a negative base is complex, which no
    comparison orders (numpy's is nan, which compares false: its branch is taken)."""

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Pow):
            call = ast.Call(ast.Name("_pow", ast.Load()), [node.left, node.right], [])
            return ast.copy_location(call, node)
        return node


def _exact_reading(source, filename):
    """The text's tree for the exact reading, its lines where the text's are in ``filename``."""
    tree = _RealPowers().visit(ast.parse(source))
    ast.increment_lineno(tree, 3)
    return compile(ast.fix_missing_locations(tree), filename, "exec")


class _Functions:
    """An object with the attributes the formulas' ``math.``/``np.`` spellings read."""

    def __init__(self, table):
        self.__dict__.update(table)


def _c99(fn, dtype, pole=lambda v: math.nan, overflow=lambda v: math.inf):
    """A ``math`` function of floats with C's values where math raises."""
    def call(v):
        try:
            return dtype(fn(float(v)))
        except OverflowError:
            return dtype(overflow(float(v)))
        except ValueError:
            return dtype(pole(float(v)))
    return call


def _numpy_functions(dtype):
    t = dtype.type
    gamma_pole = lambda v: math.copysign(math.inf, v) if v == 0 else math.nan
    # gamma(-1e-310) overflows to -inf, as tgamma's does: gamma is negative where floor(v) is odd
    gamma_overflow = lambda v: -math.inf if v < 0 and math.floor(v) % 2 else math.inf
    special = {"erf": lambda v: t(scipy.special.erf(v)), "erfc": lambda v: t(scipy.special.erfc(v)),
               "gamma": _c99(math.gamma, t, gamma_pole, gamma_overflow), "lgamma": _c99(math.lgamma, t, lambda v: math.inf)}
    fns = {"sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos,
           "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "asinh": np.arcsinh,
           "acosh": np.arccosh, "atanh": np.arctanh, "exp": np.exp, "expm1": np.expm1, "log": np.log,
           "log1p": np.log1p, "log2": np.log2, "log10": np.log10, "sqrt": np.sqrt, "cbrt": np.cbrt,
           "floor": np.floor, "ceil": np.ceil, "fabs": np.fabs, "atan2": np.arctan2,
           "hypot": np.hypot, "min": np.minimum, "max": np.maximum, **special,
           "isnan": np.isnan, "isinf": np.isinf, "isfinite": np.isfinite}
    return fns


def _real(value):
    """An mpmath result as a real mpf, or None where it is not a real number."""
    if isinstance(value, mpmath.mpc):
        if value.imag != 0:
            return None
        value = value.real
    if not isinstance(value, mpmath.mpf):
        value = mpmath.mpf(value)
    return None if mpmath.isnan(value) else value


def _mp_real(fn, as_written):
    """``fn`` of real numbers only, giving real numbers only; of constants (Python numbers,
    no variable in them) ``as_written``, in float64 as Python computes them."""
    real = _real_valued(fn)

    def call(*args):
        if not any(isinstance(a, (mpmath.mpf, mpmath.mpc)) for a in args):
            return float(as_written(*(np.float64(a) for a in args)))
        return real(*args)
    return call


def _real_valued(fn):
    """``fn`` giving a real number or nan (see ``_Undefined.check``); nan of nan."""
    def call(*args):
        args = [_Undefined.check(a) for a in args]
        if any(mpmath.isnan(a) for a in args):
            return mpmath.nan
        return _Undefined.check(fn(*args))
    return call


class _Undefined(Exception):
    """The exact value of an intermediate is beyond what mpmath can compute in time."""

    seen = 0                            # intermediates that were not real, so far

    @staticmethod
    def check(value):
        """``value`` as a real number; nan where it is none (log(-1)): as in floating
        point, nan propagates and compares false, so a condition on an undefined value
        takes the branch the code as written takes, and a value that needs none exists."""
        real = _real(value)
        if real is None:
            _Undefined.seen += 1
            return mpmath.nan
        if mpmath.isfinite(real) and real != 0 and abs(mpmath.mag(real)) > HUGE_BITS:
            raise _Undefined
        return real


class Tainted(mpmath.mpf):
    """An exact value of the code as written reached through an intermediate that is not
    real (a condition on it was false): simplification over the reals may read the
    formula otherwise there, so ``undefined as written`` applies as where none exists."""


def _extremum(pick):
    """``min`` or ``max`` as pyexpr computes them (nan if any argument is)."""
    def call(*values):
        values = [_Undefined.check(v) for v in values]
        return mpmath.nan if any(mpmath.isnan(v) for v in values) else pick(values)
    return call


def _periodic(fn):
    """A periodic function of an argument beyond float64's range (an intermediate that
    overflowed as written) would need millions of digits: undefined; of an infinity, nan
    (as in floating point: cos(lgamma(-0.0)) compares false)."""
    def call(v):
        if mpmath.isinf(v):
            return mpmath.nan
        if abs(v) > 2 ** 1100:
            raise _Undefined
        return fn(v)
    return call


def _bounded(fn, below=None, above=None, limit=1e5):
    """``fn``, whose value beyond ``limit`` lies past every float (exp(1e511), erfc(1e300))
    and would take mpmath minutes at the digits it needs: there the value of ``below``
    (at -inf) or ``above`` (at +inf), which may be infinite, or undefined (None)."""
    def call(*args):
        if len(args) == 1 and abs(args[0]) > limit:
            value = below if args[0] < 0 else above
            if value is None:
                raise _Undefined
            return mpmath.mpf(value)
        return fn(*args)
    return call


_INF = mpmath.inf
#: name -> (value toward -inf, value toward +inf[, limit]); erf's and erfc's limit is the
#: square root of exp's, as their derivatives hold exp(-x**2): both are limits from the
#: same x on (exp(-x**2) was 0 from x = 317, where erfc(x) was exact: a derivative
#: exp(-x**2)/erfc(x)**1.5 of 0 where it is -x)
_LIMITS = {"exp": (0, _INF), "expm1": (-1, _INF), "sinh": (-_INF, _INF), "cosh": (_INF, _INF),
           "tanh": (-1, 1), "erf": (-1, 1, 1e5 ** 0.5), "erfc": (2, 0, 1e5 ** 0.5), "gamma": (None, _INF)}


def _mp_log_abs_gamma(v):
    if v == mpmath.floor(v) and v <= 0:
        return mpmath.inf
    return mpmath.log(abs(mpmath.gamma(v)))


def _mp_cbrt(v):
    return mpmath.sign(v) * mpmath.cbrt(abs(v))


class _Steps:
    """The values the exact floor and ceil take, listed while ``taken`` is a list (the
    points of one numerical derivative): where they differ between the points, the
    function jumps between them, however small its step (floor(x**48) at x = -43320 is
    an integer step 1e-219 wide, which 40 digits cannot see)."""
    taken = None

    @classmethod
    def of(cls, fn):
        def step(v):
            value = fn(v)
            if cls.taken is not None:
                cls.taken.append(value)
            return value
        return step


_MPMATH = {"sin": _periodic(mpmath.sin), "cos": _periodic(mpmath.cos), "tan": _periodic(mpmath.tan), "asin": mpmath.asin,
           "acos": mpmath.acos, "atan": mpmath.atan, "sinh": mpmath.sinh, "cosh": mpmath.cosh,
           "tanh": mpmath.tanh, "asinh": mpmath.asinh, "acosh": mpmath.acosh, "atanh": mpmath.atanh,
           "exp": mpmath.exp, "expm1": mpmath.expm1, "log": mpmath.log, "log1p": mpmath.log1p,
           "log2": lambda v: mpmath.log(v, 2), "log10": mpmath.log10, "sqrt": mpmath.sqrt,
           "cbrt": _mp_cbrt, "erf": mpmath.erf, "erfc": mpmath.erfc, "gamma": mpmath.gamma,
           "lgamma": _bounded(_mp_log_abs_gamma, None, _INF, 1e300), "floor": _Steps.of(mpmath.floor),
           "ceil": _Steps.of(mpmath.ceil), "fabs": abs,
           "atan2": mpmath.atan2, "hypot": mpmath.hypot,
           "min": _extremum(min), "max": _extremum(max)}
_MPMATH.update({name: _bounded(_MPMATH[name], *limits) for name, limits in _LIMITS.items()})
#: the tests as they are: of nan too (a function of real values is nan of nan)
_MP_TESTS = {"isnan": mpmath.isnan, "isinf": mpmath.isinf, "isfinite": mpmath.isfinite}


def _namespaces(table, real):
    """The ``math`` and ``np`` objects and builtins under which a text runs with ``table``'s
    functions (name -> callable)."""
    spell = {}
    for name, spellings in {**FUNCTIONS, **BINARY_FUNCTIONS, **TESTS}.items():
        for spelling in spellings:
            spell[spelling] = table[name]
    modules = collections.defaultdict(dict)
    builtins_ = {}
    for spelling, fn in spell.items():
        if "." in spelling:
            module, attr = spelling.split(".")
            modules[module][attr] = fn
        else:
            builtins_[spelling] = fn
    np_table = dict(modules["np"], float64=np.float64, float32=np.float32) if real else modules["np"]
    return {"math": _Functions(modules["math"]), "np": _Functions(np_table), **builtins_}


def _loaded(source, filename, namespace):
    exec(compile(source, filename, "exec") if isinstance(source, str) else source, namespace)
    return namespace


def digits(point):
    """Working digits at ``point``: DIGITS more than the spread of its magnitudes (and 1's,
    the constants' scale), so that ``(x + y) - x`` keeps ``y`` however far apart they are."""
    logs = [0.0] + [math.log10(abs(v)) for v in point if v != 0 and math.isfinite(v)]
    return DIGITS + int(max(logs) - min(logs))


class Case:
    """One generated function, read three ways."""

    _counter = itertools.count()

    def __init__(self, source, name, n_vars):
        self.source, self.name, self.n_vars = source, name, n_vars
        filename = f"<pyexpr-fuzz-{next(self._counter)}>"
        text = "import math\nimport numpy as np\n\n" + source
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        self.plain = _loaded(text, filename, {"__name__": "fuzz"})[name]
        self._numpy = {dtype: self._with_numpy(np.dtype(dtype)) for dtype in ("float64", "float32")}
        as_written = _numpy_functions(np.dtype("float64"))
        self._exact = _loaded(_exact_reading(source, filename), filename, dict(_namespaces(
            {**{k: _mp_real(v, as_written[k]) for k, v in _MPMATH.items()}, **_MP_TESTS}, real=False),
            _pow=_mp_real(operator.pow, operator.pow)))[name]

    def _with_numpy(self, dtype):
        tree = _Constants(dtype.name).visit(ast.parse(self.source))
        namespace = _namespaces(_numpy_functions(dtype), real=True)
        exec(compile(ast.fix_missing_locations(tree), "<fuzz-numpy>", "exec"), namespace)
        fn, t = namespace[self.name], dtype.type
        return lambda *xs: t(fn(*(t(x) for x in xs)))

    def numpy(self, point, dtype="float64"):
        """The text evaluated by numpy at ``point``."""
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return float(self._numpy[dtype](*point))
            except (ZeroDivisionError, OverflowError, ValueError, TypeError):
                return math.nan

    def exact(self, point, extra=0):
        """The exact value at ``point`` (an mpf, +-inf included; a ``Tainted`` one where an
        intermediate was not real), or None."""
        seen = _Undefined.seen
        with mpmath.workdps(digits(point) + extra), np.errstate(all="ignore"):
            try:
                value = _real(self._exact(*(mpmath.mpf(v) for v in point)))
            except (_Undefined, ZeroDivisionError, TypeError, ValueError, OverflowError):
                return None
        return Tainted(value) if value is not None and _Undefined.seen != seen else value

    def derivative(self, point, i, extra=40):
        """The exact function's derivative along variable ``i``: ``(value, one-sided values)``
        at ``extra`` digits more than ``digits(point)``, or None where it has none."""
        return numerical_derivative(self.exact, point, i, extra)


def numerical_derivative(value_at, point, i, extra=40):
    """The derivative along variable ``i`` of ``value_at(point, extra=digits)`` (an mpf or
    None): ``(value, one-sided values)`` at ``extra`` digits more than ``digits(point)``, or
    None where it has none."""
    steps = []

    def along(t):
        _Steps.taken = []
        try:
            value = value_at(point[:i] + (t,) + point[i + 1:], extra=extra)
        finally:
            steps.append(_Steps.taken)
            _Steps.taken = None
        if value is None or mpmath.isinf(value) or isinstance(value, Tainted):
            raise _Undefined
        return value
    at = mpmath.mpf(point[i])
    h = min(abs(at) or 1, 1) * mpmath.mpf(10) ** -30   # truncation error ~h**2: none left
    with mpmath.workdps(digits(point) + extra):        # rounding error ~10**-digits / h
        try:                                       # three values make all three quotients
            below, here, above = (along(at + k * h) for k in (-1, 0, 1))
        except (_Undefined, ZeroDivisionError, TypeError, ValueError, OverflowError):
            return None
        if not steps[0] == steps[1] == steps[2]:        # a jump: one-sided values apart
            return mpmath.nan, [mpmath.mpf(-1), mpmath.mpf(1)]
        return (above - below) / (2 * h), [(above - here) / h, (here - below) / h]


TIE = "derivative at a tie"
OF_THE_FORMULA = "derivative of the printed formula"


FOLDED = "float constants folded"


def _folded(printed, exact, value, x):
    """Whether the printed derivative is as far from the exact one as sympy's folding of
    float constants at float64's precision leaves: FOLDED_ULPS of the value's scale over
    the variable's (10.0*x/(abs(x)/0.1) has terms 10.000000000000000555/abs(x) and 10/abs(x)
    that do not cancel to the 0 of the code as written)."""
    scale = abs(value) / max(abs(x), 1)
    return printed is not None and abs(printed - exact) <= FOLDED_ULPS * np.finfo(float).eps * scale


def _of_the_formula(value, printed, point, i):
    """Whether ``printed`` (the printed derivative's exact value by variable ``i``) is the
    derivative of ``value`` (the printed formula's exact outputs, of a point)."""
    derivative = numerical_derivative(lambda q, extra: value(*q, extra=extra)[0], point, i)
    return derivative is not None and printed is not None and _close(*derivative[1]) and \
        _close(printed, derivative[0])


def _at_a_tie(case, gradient, exact, point, i):
    """Whether the printed derivative by variable ``i`` has a Heaviside (a min, max or abs
    differentiated) and is the exact derivative on both sides of ``point`` (a relative
    1e-9 away): the point is a tie whose kinks cancel (max(min(y, x), y) is y), where each
    Heaviside(0) is 1/2, the mean of its sides' derivatives (see ``TIE``)."""
    if not gradient.outputs[i].has(sympy.Heaviside):
        return False
    for side in (-1, 1):
        moved = list(point)
        moved[i] = point[i] * (1 + side * 1e-9) if point[i] else side * 1e-9
        want, got = case.derivative(tuple(moved), i), exact(*moved)[i]
        if want is None or got is None or not _close(*want[1]) or not _close(got, want[0]):
            return False
    return True


def _in_range(value):
    """A value float64 holds: where the function is astronomically large (gamma(710),
    expm1(60780)), a numerical derivative needs as many digits as it has."""
    return value is not None and abs(value) < 1e300


def moderate(point):
    """Whether the exact derivative at ``point`` is within reach of DIGITS digits: where
    the magnitudes span hundreds of decades, an intermediate's (x**2 at 1e188) drowns the
    rest, and the printed derivative is checked at ordinary points instead."""
    return all(v == 0 or 1e-30 <= abs(v) <= 1e30 for v in point)


# --- comparing -------------------------------------------------------------------------------

def ulps(value, exact, dtype="float64"):
    """How far ``value`` (a float) is from ``exact`` (an mpf or None), in ulps of ``dtype`` at
    ``exact``; inf where one is not a number or a different infinity."""
    if exact is None or math.isnan(value):
        return math.inf
    info = np.finfo(dtype)
    if abs(exact) > info.max:               # rounds to an infinity
        exact = mpmath.inf if exact > 0 else -mpmath.inf
    if mpmath.isinf(exact) or math.isinf(value):
        return 0.0 if value == exact else math.inf
    spacing = max(float(np.spacing(np.array(abs(float(exact)), dtype=dtype))), float(info.smallest_subnormal))
    return float(abs(mpmath.mpf(value) - exact) / spacing)


def same(a, b):
    """Equal as numpy prints them: nan equals nan, zeros equal whatever their sign."""
    return a == b or (math.isnan(a) and math.isnan(b))


def agrees(p, n, e, dtype="float64"):
    """``p`` is numpy's ``n`` (to the sign of zero, or within TOLERANCE ulps) or the exact ``e``;
    ``n`` None (no value: the printed formula's numpy evaluation failed) agrees with nothing."""
    if n is None:
        return False
    if math.isnan(p) and math.isnan(n) or p == n and math.copysign(1, p) == math.copysign(1, n):
        return True
    if p == n == 0:                         # zeros of different sign: an exact 0 has none
        return False
    return (math.isfinite(n) and p != 0 and ulps(p, mpmath.mpf(n), dtype) <= TOLERANCE
            or ulps(p, e, dtype) <= TOLERANCE)


def neighbours(point, dtype="float64"):
    """Points a few ulps of ``dtype`` away from ``point`` in one variable."""
    t = np.dtype(dtype).type
    for i, v in enumerate(point):
        if not math.isfinite(v):
            continue
        for direction in (math.inf, -math.inf):
            moved = t(v)
            for _ in range(4):
                moved = np.nextafter(moved, t(direction))
                yield point[:i] + (float(moved),) + point[i + 1:]


def classify(p, n, e, at_neighbours, printed, exact_near=None, dtype="float64", point=(),
             signless=False, printed_exact=None, scalar=None, undefined=False):
    """Why ``p`` may differ from ``n`` (numpy) and ``e`` (exact): a rule's name, or None where
    nothing documented explains it.  ``at_neighbours()`` yields numpy's values near the point,
    ``printed()`` is the printed formula evaluated by numpy there, ``exact_near()`` the exact
    values near the point; ``signless``: zeros of either sign are alike (derivatives);
    ``printed_exact(r, at)`` the printed formula's exact value (at ``at``, the point by
    default, with functions' rounding ``r``: see ``_rounded``); ``scalar`` the scalar path's
    value where ``p`` comes from an array path; ``undefined``: the function whose
    derivative ``p`` is has no value as written at the point."""
    if agrees(p, n, e, dtype) or signless and p == n == 0:
        return "agree"
    near = e if e is not None and mpmath.isfinite(e) else n    # numpy's where no exact value
    if signless and near is not None and math.isfinite(near) and math.isfinite(p) and \
            abs(p - near) <= DERIVATIVE_ROUNDING * max(abs(near), abs(n) if math.isfinite(n) else 0, 1):
        return "derivative rounding"
    if p == n == 0 and e is not None and e != 0:
        return "no less accurate"           # a zero of either sign, as far from e
    if p == n == 0:                         # zeros of different sign
        return "sign of zero" if math.copysign(1, p) == math.copysign(1, printed()) else None
    if e is not None and ulps(p, e, dtype) <= 2 * ulps(n, e, dtype) + TOLERANCE:
        return "no less accurate"
    if e is not None and CANCELLING <= ulps(n, e, dtype) and ulps(p, e, dtype) <= 16 * ulps(n, e, dtype):
        return "cancellation"
    nearby = [m for m in at_neighbours()]
    if any(agrees(p, m, None, dtype) for m in nearby):
        return "branch within rounding"
    if e is not None and _noisy(p, e, [n, *nearby]):
        return "rounding noise"
    if exact_near is not None and _between(p, [e, *exact_near()], dtype):
        return "ill-conditioned"            # (e may be undefined where its neighbours are not)
    if printed_exact is not None and ulps(p, printed_exact(), dtype) <= TOLERANCE:
        return "exact printed value"
    if scalar is not None and printed_exact is not None and agrees(scalar, n, e, dtype) and \
            _between(p, _rounded_apart(printed_exact, VECTOR_ULPS, dtype), dtype):
        return "vector functions' rounding"
    if printed_exact is not None and _between(p, _rounded_apart(printed_exact, SCALAR_ULPS, dtype), dtype):
        return "functions' rounding"
    s = printed()
    finite = all(math.isfinite(v) for v in point)
    if undefined or (e is None or isinstance(e, Tainted)) and (
            agrees(p, s, None, dtype) or math.isnan(p) and finite or math.isinf(p) and 0 in point
            or printed_exact is not None and _between(p, [printed_exact(0, q) for q in (
                point, *neighbours(point, dtype))], dtype)):
        return "undefined as written"
    if e is None and math.isfinite(n) and abs(p - n) <= UNKNOWN_EXACT * abs(n):
        return "near numpy, no exact value"
    if e is None and scalar is not None and agrees(scalar, n, None, dtype):
        return "vector functions' rounding, no exact value"
    if not finite and agrees(p, s, None, dtype):
        return "condition settled over the reals"
    if e is not None and agrees(p, s, None, dtype) and ulps(s, e, dtype) > ulps(n, e, dtype):
        return SIMPLIFIED_WORSE
    if e is not None and (e != 0 and p in (0, math.inf, -math.inf) or math.isnan(p)) and any(
            abs(v) >= 1e100 or 0 < abs(v) <= 1e-100 for v in point):
        return "intermediate out of range"
    return None


def _noisy(p, e, values):
    """``p`` is no further from ``e`` than twice the spread of numpy's values at and near the
    point: the formula amplifies rounding (1/sqrt(1 - sin(t)**2) near t = pi/2) so much
    that its float evaluations scatter that far, whatever the order of operations."""
    values = [v for v in values if math.isfinite(v)]
    if len(values) < 2 or not math.isfinite(p):
        return False
    return abs(p - e) <= 2 * (max(values) - min(values))


def _rounded_apart(printed_exact, ulps, dtype):
    """The printed formula's exact values with its functions ``ulps`` above and below their
    exact values: all up, all down, and alternately up and down (two of them apart)."""
    r = ulps * float(np.finfo(dtype).eps)
    return [printed_exact(0), printed_exact(r), printed_exact(-r),
            printed_exact(r, alternate=True), printed_exact(-r, alternate=True)]


def _between(p, values, dtype):
    """``p`` lies within the exact values (to TOLERANCE ulps): rounding an input by a few
    ulps moves the exact value as far as ``p`` is off."""
    values = [v for v in values if v is not None and not mpmath.isinf(v)]
    if not values or not math.isfinite(p):
        return False
    lo, hi = min(values), max(values)
    size = min(max(abs(float(lo)), abs(float(hi))), float(np.finfo(dtype).max) / 2)   # (1e44 in float32)
    spacing = float(np.spacing(np.array(size, dtype=dtype)))
    if hi - lo >= CHAOTIC * size and max(-lo, hi) <= float(np.finfo(dtype).max):
        # a few ulps of input leave no digit (cos(x**3) at 1e20); not at a pole
        spacing = max(spacing, float(hi - lo) / TOLERANCE)    # a few samples of a wider range
    return lo - TOLERANCE * spacing <= p <= hi + TOLERANCE * spacing


def symptom(p, n):
    if math.isnan(p) != math.isnan(n):
        return "nan vs number" if math.isnan(p) else "number vs nan"
    if p == n == 0:
        return "sign of zero"
    if math.isinf(p) or math.isinf(n):
        return "inf"
    return "value"


# --- running ---------------------------------------------------------------------------------

def points(rng, n_vars, count):
    def one():
        r = rng.random()
        if r < 0.3:
            return rng.choice(SPECIAL_POINTS)
        if r < 0.7:
            return rng.uniform(-4, 4)
        if r < 0.95:
            return rng.choice((-1, 1)) * 10 ** rng.uniform(-8, 8)
        return rng.choice((-1, 1)) * 10 ** rng.uniform(-300, 300)
    return [tuple(one() for _ in range(n_vars)) for _ in range(count)]


class Summary:
    def __init__(self):
        self.formulas = self.points = self.checks = 0
        self.rejected = 0
        self.classes = collections.Counter()
        self.paths = collections.Counter()
        self.mismatches = []
        self.simplified_worse = []
        self.started = time.perf_counter()

    def merge(self, other):
        """Adds the counts and findings of ``other`` (another share of the same run)."""
        for name in ("formulas", "points", "checks", "rejected"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.classes.update(other.classes)
        self.paths.update(other.paths)
        self.mismatches += other.mismatches
        self.simplified_worse += other.simplified_worse

    def record(self, case, path, point, verdict, p, n, e):
        self.checks += 1
        self.paths[path] += 1
        self.classes[verdict or symptom(p, n)] += 1
        item = (case.source, path, point, p, n, None if e is None else float(e))
        if verdict is None:
            self.mismatches.append(item)
        elif verdict == SIMPLIFIED_WORSE:
            self.simplified_worse.append(item)

    def text(self):
        lines = [f"fuzzer: {self.formulas} formulas ({self.rejected} refused with pyexpr's own "
                 f"errors), {self.points} points, {self.checks} checks in "
                 f"{time.perf_counter() - self.started:.1f} s",
                 "  paths: " + ", ".join(f"{k} {v}" for k, v in sorted(self.paths.items())),
                 "  by class: " + ", ".join(f"{k} {v}" for k, v in self.classes.most_common()),
                 f"  {SIMPLIFIED_WORSE}: {len(self.simplified_worse)}, in "
                 f"{len({m[0] for m in self.simplified_worse})} formulas",
                 *self._listed(self.simplified_worse, 3),
                 f"  unexplained mismatches: {len(self.mismatches)}",
                 *self._listed(self.mismatches, 20)]
        return "\n".join(lines)

    @staticmethod
    def _listed(items, most):
        """Each formula's first item, ``most`` formulas at most."""
        shown, lines = set(), []
        for source, path, point, p, n, e in items:
            if source in shown or len(shown) == most:
                continue
            shown.add(source)
            lines.append(f"  --- {path} at {point}: pyexpr {p!r}, numpy {n!r}, exact {e!r}\n"
                         + "\n".join("      " + line for line in source.splitlines()))
        return lines


#: pyexpr's own functions in printed derivatives, at DIGITS digits
_PRINTED = {
    "sin": _periodic(mpmath.sin), "cos": _periodic(mpmath.cos), "tan": _periodic(mpmath.tan),
    **{name: _bounded(getattr(mpmath, name), *limits) for name, limits in _LIMITS.items()},
    "cbrt": _mp_cbrt, "trunc": lambda v: mpmath.floor(v) if v >= 0 else mpmath.ceil(v),
    "exp2": lambda v: mpmath.mpf(2) ** v, "expm1": mpmath.expm1, "log1p": mpmath.log1p,
    "log2": lambda v: mpmath.log(v, 2), "log10": mpmath.log10, "hypot": mpmath.hypot,
    "loggamma": _mp_log_abs_gamma, "sign": mpmath.sign,
    "Heaviside": lambda v, h=mpmath.mpf(0.5): h if v == 0 else mpmath.mpf(v > 0),
    "softplus": lambda v: mpmath.log1p(mpmath.exp(v)), "sigmoid": lambda v: 1 / (1 + mpmath.exp(-v)),
    "logit": lambda v: mpmath.log(v / (1 - v)), "log1mexp": lambda v: mpmath.log(-mpmath.expm1(v)),
    "logaddexp": lambda *v: mpmath.log(mpmath.fsum(mpmath.exp(t) for t in v)),
    "xlogy": lambda a, b: mpmath.mpf(0) if a == 0 else a * mpmath.log(b),
    "xlog1py": lambda a, b: mpmath.mpf(0) if a == 0 else a * mpmath.log1p(b),
    "erfcx": _bounded(lambda v: mpmath.exp(v * v) * mpmath.erfc(v), _INF, 0),
    "derfcx": _bounded(lambda v: 2 * v * mpmath.exp(v * v) * mpmath.erfc(v) - 2 / mpmath.sqrt(mpmath.pi),
                       -_INF, 0),
    "log_erfc": _bounded(lambda v: mpmath.log(mpmath.erfc(v)), mpmath.log(2), -_INF),
    "Max": _extremum(max), "Min": _extremum(min),
    # complex in mpmath where the argument is outside the real domain
    "log": mpmath.log, "acos": mpmath.acos, "asin": mpmath.asin, "acosh": mpmath.acosh,
    "atanh": mpmath.atanh, "atan": mpmath.atan, "asinh": mpmath.asinh, "atan2": mpmath.atan2,
}


def _lazily(make, formula):
    """``make(formula)``, made on its first call (lambdify costs milliseconds: only where
    a value needs it)."""
    made = []

    def call(*point, **options):
        if not made:
            made.append(make(formula))
        return made[0](*point, **options)
    return call


def _printed_exactly(formula):
    """The printed outputs of ``formula`` at DIGITS digits: a function of mpf values (of
    None where sympy cannot make one: its ``replace`` compares a Piecewise's nan)."""
    try:
        return _printed_functions(formula)
    except Exception:
        return lambda *point, perturb=0, extra=0: [None] * len(formula.outputs)


def _shared(expr):
    """lambdify's ``cse``: ``(steps, expr reduced)`` by pyexpr's."""
    steps, (reduced,) = cse([expr])
    return steps, reduced


def _printed_functions(formula):
    # each function of _PRINTED by a name no printer knows: sympy's printers write
    # log2(z)**2 as log(z)/log(2)**2
    own = {f"fz_{name}": _real_valued(_rounded(fn) if name in _VECTOR else fn)
           for name, fn in _PRINTED.items()}
    own["fz_pow"] = _real_valued(operator.pow)      # a negative base's: nan, as numpy's

    def rename(e, args):                    # each shared subexpression once (a DAG), and
        if isinstance(e, sympy.Function) and type(e).__name__ in _PRINTED:   # not evaluated
            return sympy.Function(f"fz_{type(e).__name__}")(*args)
        if isinstance(e, sympy.Pow) and not e.exp.is_Integer:
            return sympy.Function("fz_pow")(*args)
        if args == e.args:
            return e
        try:
            return e.func(*args, evaluate=False)
        except TypeError:                   # ExprCondPair and others that never evaluate
            return e.func(*args)
    done = {}
    renamed = [map_dag(o, done, rename) for o in formula.outputs]
    # pyexpr's cse, which rebuilds nothing with evaluation (sympy's re-evaluated a
    # derivative's Piecewise conditions, distributing And over Or without end)
    fns = [sympy.lambdify(formula.args, o, modules=[own, "mpmath"], cse=_shared) for o in renamed]

    def one(fn, point):
        try:
            return _real(fn(*(mpmath.mpf(p) for p in point)))
        except Exception:                 # complex intermediates reach real-only functions
            return None

    def value(*point, perturb=0, extra=20, alternate=False):
        _ROUNDING[:] = [perturb, alternate]
        try:
            with mpmath.workdps(digits(point) + extra):
                return [one(fn, point) for fn in fns]
        finally:
            _ROUNDING[:] = [0, False]
    return value


#: the functions whose array path is glibc's vector code (docs/accuracy.md: within 4 ulps)
_VECTOR = frozenset(("sin", "cos", "tan", "exp", "expm1", "exp2", "log", "log1p", "log2", "log10",
                     "sinh", "cosh", "tanh", "asin", "acos", "atan", "asinh", "acosh", "atanh",
                     "erf", "erfc", "cbrt", "atan2", "hypot", "gamma", "loggamma"))
#: the relative error every _VECTOR function's exact value is given while it is set
#: (alternating in sign from call to call where the second item is true: two functions
#: rounded apart, cos(y) - cosh(x) near 0)
_ROUNDING = [0, False]
VECTOR_ULPS = 4
SCALAR_ULPS = 2


def _rounded(fn):
    def call(*args):
        value = fn(*args)
        if not _ROUNDING[0]:
            return value
        if _ROUNDING[1]:
            _ROUNDING[0] = -_ROUNDING[0]
        return value * (1 + _ROUNDING[0])
    return call


def _close(a, b):
    """Two exact derivatives agree: to 7 digits, as the constants of the code as written
    are float64's and the formula's are sympy's (log(expm1(2.0)) may differ by an ulp),
    which a derivative can amplify; a wrong derivative is off in its first digits."""
    return a == b or abs(a - b) <= mpmath.mpf(10) ** -7 * (abs(a) + abs(b)) + mpmath.mpf(10) ** -30


#: path -> check one case in ``n``: the expensive paths run on a share of the cases (the
#: gradient, half a case's time, on every third one: ``--every-path`` runs all on each)
EVERY = {"float32": 3, "gradient": 3, "gradient array": 2, "large": 8, "cuda": 10}


#: seconds one case may take: past them it is a mismatch ("no verdict"), and the run goes on
CASE_SECONDS = 300


@contextlib.contextmanager
def _time_limit(seconds):
    """Raise TimeoutError in the block after ``seconds`` (where a timer signal can: the main
    thread of a process on a system with SIGALRM; elsewhere no limit)."""
    if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum, frame):
        raise TimeoutError(f"no verdict in {seconds} s")
    before = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


class Checker:
    """Runs cases through pyexpr's paths and records every verdict in a Summary."""

    POINTS = 8

    def __init__(self, seed, summary=None, every=None):
        self.seed = seed
        self.rng = random.Random(seed)
        self.generator = Generator(self.rng)
        self.summary = summary or Summary()
        #: path -> check one case in ``n`` (the expensive paths run on a share of the cases)
        self.every = {**EVERY, **(every or {})}
        self.cuda_cases = []

    def run(self, count):
        return self.run_cases(range(count))

    def run_cases(self, numbers):
        """The cases numbered ``numbers``: each from a generator seeded by the run's seed
        and its number, so any share of a run, in any process, makes the same cases."""
        for k in numbers:
            self.rng.seed(f"{self.seed}/{k}")
            self.generator.side = random.Random(f"{self.seed}/{k}/tests")
            source, n_vars = self.generator.function(f"fuzz{k}")
            case = Case(source, f"fuzz{k}", n_vars)
            try:
                with _time_limit(CASE_SECONDS):
                    self.check(case, k)
            except Exception as exc:    # in a reference or the checks (a hang): listed with its case
                self.summary.record(case, f"checking ({type(exc).__name__}: {exc})"[:200], (),
                                    None, math.nan, math.nan, None)
        return self.summary

    def _due(self, path, k):
        """Whether case ``k`` runs ``path``: one in ``every[path]``, picked by a hash so that
        the paths' shares are independent and spread evenly over ``run``'s processes."""
        return zlib.crc32(f"{path}/{k}".encode()) % self.every[path] == 0

    def check(self, case, k, pts=None):
        """Every path of ``case`` (the ``k``-th) at ``pts``, or at random and special points."""
        self.summary.formulas += 1
        pts = pts or points(self.rng, case.n_vars, self.POINTS)
        self.summary.points += len(pts)
        try:
            formula = px.jit(case.plain, cache=False)
            first = formula(*pts[0])
        except px.PyExprError:
            self.summary.rejected += 1
            return
        except Exception as exc:                       # a crash: pyexpr's errors only
            self.summary.record(case, f"decoration ({type(exc).__name__}: {exc})"[:200], pts[0],
                                None, math.nan, math.nan, None)
            return
        del first
        refs = [(case.numpy(p), case.exact(p)) for p in pts]
        printed = self._printed(formula)
        self._values(case, formula, pts, refs, printed, k)
        if self._due("float32", k):
            self._float32(case, pts)
        if self._due("gradient", k):
            self._gradient(case, formula, pts, k)
        if self._due("cuda", k):
            self.cuda_cases.append((case, formula, pts, refs))

    @staticmethod
    def _printed(formula, dtype="float64"):
        """The printed formula evaluated by numpy (pyexpr's reference kernel), as a function
        of a point; nan where sympy cannot print it for numpy (a sum of Piecewise terms
        holding nan: its sort keys compare the nan)."""
        kernel = []

        def at(point):
            if not kernel:
                try:
                    kernel.append(ReferenceKernel(formula.args, formula.outputs, dtype).scalar)
                except TypeError:
                    kernel.append(lambda *p: (None,) * len(formula.outputs))
            return kernel[0](*point)
        return at

    def judge(self, case, path, point, p, n, e, numpy_at, printed, exact_at, dtype="float64",
              signless=False, printed_exact=None, scalar=None, undefined=False):
        nearby = lambda: (numpy_at(q) for q in neighbours(point, dtype))
        exact_near = lambda: [exact_at(q) for q in neighbours(point, dtype)]
        if n is None:                       # see _printed
            self.summary.classes["no numpy reference"] += 1
            return
        verdict = classify(float(p), n, e, nearby, lambda: printed(point), exact_near, dtype,
                           point, signless,
                           printed_exact and (lambda r=0, at=point, alternate=False: printed_exact(
                               *at, perturb=r, alternate=alternate)[0]),
                           scalar, undefined)
        self.summary.record(case, path, point, verdict, float(p), n, e)

    def _values(self, case, formula, pts, refs, printed, k):
        exactly = _lazily(_printed_exactly, formula)
        scalars = [formula(*point) for point in pts]
        judge = lambda path, i, p: self.judge(case, path, pts[i], p, *refs[i], case.numpy,
                                              lambda q: printed(q)[0], case.exact,
                                              printed_exact=exactly,
                                              scalar=None if path == "scalar" else scalars[i])
        for i, value in enumerate(scalars):
            judge("scalar", i, value)
        cols = [np.array(c) for c in zip(*pts)]
        for path, args in self._layouts(cols, k):
            result = np.asarray(formula(*args))
            for i, p in enumerate(result.reshape(len(pts), -1).T[0] if path != "large" else ()):
                judge(path, i, p)
            if path == "large":
                tiles = result.reshape(-1, len(pts))
                for i in range(len(pts)):
                    for p in np.unique(tiles[:, i]):
                        judge(path, i, p)
        self._other_calls(formula, pts, cols, judge)

    @staticmethod
    def _other_calls(formula, pts, cols, judge):
        """The call forms the builtin entries take besides floats and arrays of one shape:
        numpy scalars, numbers beside an array, ``out=`` (after the calls above, the entries
        are installed where they will be)."""
        for i, point in enumerate(pts):
            judge("numpy scalars", i, formula(*(np.float64(v) for v in point)))
            if point:
                mixed = np.asarray(formula(np.full(2, point[0]), *point[1:]))
                judge("number beside an array", i, mixed.reshape(-1, 2)[0, 0])
        if cols:
            out = np.empty(len(pts))
            for i, p in enumerate(np.asarray(formula(*cols, out=out)).reshape(len(pts), -1).T[0]):
                judge("out=", i, p)

    def _layouts(self, cols, k):
        n = len(cols[0])
        strided = []
        for c in cols:
            wide = np.full(2 * n, np.nan)
            wide[::2] = c
            strided.append(wide[::2])
        yield "array", cols
        yield "strided", strided
        yield "broadcast", [np.broadcast_to(c[:, None], (n, 3)) for c in cols]
        if self._due("large", k):
            yield "large", [np.tile(c, LARGE // n) for c in cols]

    def _float32(self, case, pts):
        try:
            formula = px.jit(case.plain, dtype="float32", cache=False)
        except px.PyExprError:
            return
        with np.errstate(over="ignore"):
            pts32 = [tuple(float(np.float32(v)) for v in p) for p in pts]
        printed, exactly = self._printed(formula, "float32"), _lazily(_printed_exactly, formula)
        numpy_at = lambda q: case.numpy(q, "float32")
        scalars = [formula(*point) for point in pts32]
        for point, p in zip(pts32, scalars):
            self.judge(case, "float32 scalar", point, p, numpy_at(point), case.exact(point), numpy_at,
                       lambda q: printed(q)[0], case.exact, "float32", printed_exact=exactly)
        result = formula(*[np.array(c, dtype=np.float32) for c in zip(*pts32)])
        for point, p, scalar in zip(pts32, np.asarray(result), scalars):
            self.judge(case, "float32 array", point, p, numpy_at(point), case.exact(point), numpy_at,
                       lambda q: printed(q)[0], case.exact, "float32", printed_exact=exactly, scalar=scalar)

    def _gradient(self, case, formula, pts, k):
        try:
            gradient = formula.grad()
            exact = _printed_exactly(gradient)
            numpy_printed = self._printed(gradient)
        except px.PyExprError:
            return
        except Exception as exc:
            self.summary.record(case, f"gradient ({type(exc).__name__}: {exc})"[:200], pts[0],
                                None, math.nan, math.nan, None)
            return
        finite = [p for p in pts if all(math.isfinite(v) for v in p)]
        formula_exact = _lazily(_printed_exactly, formula)
        try:
            arrays = np.asarray(gradient(*[np.array(c) for c in zip(*finite)])).reshape(
                case.n_vars, -1) if finite and self._due("gradient array", k) else None
            gradient(*finite[0]) if finite else None
        except Exception as exc:            # a derivative of a compiled formula must compile
            self.summary.record(case, f"gradient ({type(exc).__name__}: {exc})"[:200], pts[0],
                                None, math.nan, math.nan, None)
            return
        for j, point in enumerate(finite):
            compiled = np.asarray(gradient(*point)).reshape(-1)
            printed = exact(*point)
            undefined = case.exact(point) is None       # (a pole, a value not real)
            for i in range(case.n_vars):
                derivative = case.derivative(point, i)
                if derivative is not None and not _close(*derivative[1]):
                    self.summary.classes["not differentiable"] += 1
                    continue
                if derivative is not None and printed[i] is None:
                    self.summary.classes["symbolic check not evaluable"] += 1
                elif derivative is not None and moderate(point) and _in_range(case.exact(point)):
                    ok = _close(printed[i], derivative[0])
                    if not ok:              # a large term may drown the rest at 40 digits more,
                        derivative = case.derivative(point, i, extra=400) or derivative
                        again = exact(*point, extra=400)[i]   # and floor(erf(12)) is 1 at 40
                        ok = again is not None and _close(again, derivative[0])
                    verdict = "agree" if ok else TIE if _at_a_tie(case, gradient, exact, point, i) else \
                        OF_THE_FORMULA if _of_the_formula(formula_exact, printed[i], point, i) else \
                        FOLDED if _folded(printed[i], derivative[0], case.exact(point), point[i]) else None
                    self.summary.record(case, f"derivative (symbolic) by {VARS[i]}", point, verdict,
                                        float(printed[i]) if printed[i] is not None else math.nan,
                                        float(derivative[0]), derivative[0])
                n_at = lambda q, i=i: numpy_printed(q)[i]
                e_at = lambda q, i=i: exact(*q)[i]
                for path, value in (("gradient scalar", compiled[i]),
                                    ("gradient array", None if arrays is None else arrays[i, j])):
                    if value is not None:
                        self.judge(case, path, point, value, n_at(point), printed[i], n_at, n_at, e_at,
                                   signless=True, undefined=undefined)

    def finish_cuda(self, workdir):
        """The CUDA C of the collected cases, compiled for the host by nvcc, against the
        references (None where nvcc is missing)."""
        sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent / "gpu_codegen"))
        import cuda_host
        if cuda_host.NVCC is None or not self.cuda_cases:
            return None
        entries = {f"fuzz_cuda_{k}": (f.program, "float64", False)
                   for k, (_, f, _, _) in enumerate(self.cuda_cases)}
        host = cuda_host.HostLibrary(entries)
        library = host.load(cuda_host.finish_nvcc(
            cuda_host.start_nvcc(host.source(), workdir, "fuzz", cuda_host.HostLibrary.FLAGS)))
        for k, (case, formula, pts, refs) in enumerate(self.cuda_cases):
            out = library.run(f"fuzz_cuda_{k}", *[np.array(c) for c in zip(*pts)])[0]
            printed, exactly = self._printed(formula), _printed_exactly(formula)
            for i, p in enumerate(out):
                self.judge(case, "cuda (host)", pts[i], p, *refs[i], case.numpy,
                           lambda q: printed(q)[0], case.exact, printed_exact=exactly)
        return len(self.cuda_cases)


def _share(seed, count, jobs, job, cuda, every=None, first=0):
    """One worker's share of a run: cases ``first + job``, ``first + job + jobs``, ... below
    ``first + count``, with the CUDA C of its collected cases compiled for the host where ``cuda``."""
    checker = Checker(seed, every=every)
    checker.run_cases(range(first + job, first + count, jobs))
    compiled = None
    if cuda:
        with tempfile.TemporaryDirectory() as workdir:
            compiled = checker.finish_cuda(workdir)
    return checker.summary, compiled


def run(seed, count, jobs=None, cuda=True, every=None, first=0):
    """``(summary, cuda cases compiled or None)`` of ``count`` cases from ``seed`` (numbered
    from ``first``: a long run can go in pieces that make the same cases), shared
    among ``jobs`` processes (default: one a CPU this process may use), each path on the
    share of cases ``every`` gives (default ``EVERY``).  Each case is made from its own
    number, so the verdicts do not depend on ``jobs``."""
    jobs = max(1, min(count, jobs or len(os.sched_getaffinity(0))))
    summary = Summary()
    if jobs == 1:
        shares = [_share(seed, count, 1, 0, cuda, every, first)]
    else:                       # spawned: a forked child would inherit LLVM's and the pools' threads
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context) as pool:
            shares = list(pool.map(_share, *zip(*[(seed, count, jobs, j, cuda, every, first) for j in range(jobs)])))
    compiled = [c for _, c in shares if c is not None]
    for share, _ in shares:
        summary.merge(share)
    return summary, (sum(compiled) if compiled else None)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--first", type=int, default=0, help="number of the first case (a run in pieces)")
    parser.add_argument("--cuda", action="store_true", help="compile a share of the cases' CUDA C with nvcc")
    parser.add_argument("--jobs", type=int, default=None, help="processes (default: one a CPU)")
    parser.add_argument("--every-path", action="store_true", help="every path on every case (see EVERY)")
    args = parser.parse_args(argv)
    every = dict.fromkeys(EVERY, 1) if args.every_path else None
    summary, _ = run(args.seed, args.count, args.jobs, args.cuda, every, args.first)
    print(summary.text())
    return 1 if summary.mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
