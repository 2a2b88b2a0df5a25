"""What the names in a formula mean: Python objects -> sympy.

``FUNCTIONS`` maps a function *object* (``math.exp``, ``numpy.exp``,
``sympy.exp``, the builtin ``abs`` ...) to a callable building the sympy
expression, so a name is recognised by what it is bound to, whatever the
alias.  ``constant(value)`` turns a numeric global into a sympy number,
recognising pi, e and inf.
"""
import builtins
import math
import numbers
import sys

import numpy as np
import sympy

from .. import functions as pf
from .. import libm
from ..stability import functions as stable
from .conditionals import TABLE as CONDITIONALS


def _log(x, base=None):
    return sympy.log(x) if base is None else sympy.log(x) / sympy.log(base)


def _hypot(*args):
    return pf.hypot(*args) if len(args) == 2 else sympy.sqrt(sum(a**2 for a in args))


def _heaviside(x, h0=sympy.S.Half):
    return sympy.Heaviside(x, h0)


_min, _max = pf.min_, pf.max_
_LOG2 = sympy.log(2)


def _logaddexp2(a, b):
    return stable.logaddexp(a * _LOG2, b * _LOG2) / _LOG2


# (sympy builder, the Python objects that mean it)
_ENTRIES = [
    (stable.exp, ["math.exp", "np.exp", "sympy.exp"]),
    (_log, ["math.log", "np.log", "sympy.log"]),
    (pf.log2, ["math.log2", "np.log2"]),
    (pf.log10, ["math.log10", "np.log10"]),
    (pf.log1p, ["math.log1p", "np.log1p"]),
    (stable.expm1, ["math.expm1", "np.expm1"]),
    (pf.exp2, ["math.exp2", "np.exp2"]),
    (sympy.sqrt, ["math.sqrt", "np.sqrt", "sympy.sqrt"]),
    (pf.cbrt, ["math.cbrt", "np.cbrt"]),
    (sympy.cbrt, ["sympy.cbrt"]),
    (stable.sin, ["math.sin", "np.sin", "sympy.sin"]),
    (sympy.cos, ["math.cos", "np.cos", "sympy.cos"]),
    (sympy.tan, ["math.tan", "np.tan", "sympy.tan"]),
    (sympy.asin, ["math.asin", "np.arcsin", "sympy.asin"]),
    (stable.acos, ["math.acos", "np.arccos", "sympy.acos"]),
    (sympy.atan, ["math.atan", "np.arctan", "sympy.atan"]),
    (sympy.atan2, ["math.atan2", "np.arctan2", "sympy.atan2"]),
    (pf.sinh, ["math.sinh", "np.sinh", "sympy.sinh"]),
    (pf.cosh, ["math.cosh", "np.cosh", "sympy.cosh"]),
    (stable.tanh, ["math.tanh", "np.tanh", "sympy.tanh"]),
    (sympy.asinh, ["math.asinh", "np.arcsinh", "sympy.asinh"]),
    (sympy.acosh, ["math.acosh", "np.arccosh", "sympy.acosh"]),
    (sympy.atanh, ["math.atanh", "np.arctanh", "sympy.atanh"]),
    (_hypot, ["math.hypot", "np.hypot"]),
    (sympy.erf, ["math.erf", "sympy.erf"]),
    (stable.erfc, ["math.erfc", "sympy.erfc"]),
    (stable.logaddexp, ["np.logaddexp"]),
    (_logaddexp2, ["np.logaddexp2"]),
    (sympy.gamma, ["math.gamma", "sympy.gamma"]),
    (sympy.loggamma, ["math.lgamma", "sympy.loggamma"]),
    (pf.abs_, ["builtins.abs", "math.fabs", "np.abs", "np.fabs", "sympy.Abs"]),
    (sympy.sign, ["np.sign", "sympy.sign"]),
    (stable.floor, ["math.floor", "np.floor", "sympy.floor"]),
    (stable.ceiling, ["math.ceil", "np.ceil", "sympy.ceiling"]),
    (pf.trunc, ["math.trunc", "np.trunc"]),
    (libm.copysign, ["math.copysign", "np.copysign"]),
    (libm.fmod, ["math.fmod", "np.fmod"]),
    (libm.remainder, ["math.remainder"]),           # np.remainder is the floored one: Mod
    (libm.fma, ["math.fma"]),                       # Python 3.13 and later
    (sympy.Pow, ["builtins.pow", "math.pow", "np.power", "sympy.Pow"]),
    (_min, ["builtins.min", "np.minimum", "sympy.Min"]),
    (_max, ["builtins.max", "np.maximum", "sympy.Max"]),
    (libm.fmin, ["np.fmin"]),                       # a nan ignored, unlike np.minimum
    (libm.fmax, ["np.fmax"]),
    (sympy.Mod, ["np.mod", "np.remainder"]),
    (lambda x: x**2, ["np.square"]),
    (lambda x: 1 / x, ["np.reciprocal"]),
    (lambda x: -x, ["np.negative"]),
    (lambda x: x, ["builtins.float", "np.float64", "np.positive"]),
    # one factor (pi/180), not x*pi/180: x*180 would distribute 180 over a sum x - c
    (lambda x: x * (sympy.pi / 180), ["math.radians", "np.radians", "np.deg2rad"]),
    (lambda x: x * (180 / sympy.pi), ["math.degrees", "np.degrees", "np.rad2deg"]),
    (lambda x, lo, hi: _min(_max(x, lo), hi), ["np.clip"]),
    (_heaviside, ["np.heaviside", "sympy.Heaviside"]),
    (pf.isnan, ["math.isnan", "np.isnan"]),
    (pf.isinf, ["math.isinf", "np.isinf"]),
    (pf.isfinite, ["math.isfinite", "np.isfinite"]),
]

#: the same, for libraries a formula may use but pyexpr does not import: looked up by
#: name (``library_name``) once the function object turns up
_BY_NAME_ENTRIES = [
    (stable.sigmoid, ["scipy.special.expit"]),
    (sympy.loggamma, ["scipy.special.gammaln"]),
    (sympy.gamma, ["scipy.special.gamma"]),
    (lambda x: -stable.softplus(-x), ["scipy.special.log_expit"]),
    (stable.softplus, ["scipy.special.softplus"]),
    (stable.logit, ["scipy.special.logit"]),
    (stable.xlogy, ["scipy.special.xlogy"]),
    (stable.xlog1py, ["scipy.special.xlog1py"]),
    (stable.logaddexp, ["scipy.special.logsumexp"]),
    (sympy.erf, ["scipy.special.erf"]),
    (stable.erfc, ["scipy.special.erfc"]),
    (stable.erfcx, ["scipy.special.erfcx"]),
    (lambda x: stable.erfc(-x * (1 / sympy.sqrt(2))) / 2, ["scipy.special.ndtr"]),
    (lambda x: stable.log_erfc(-x * (1 / sympy.sqrt(2))) - sympy.log(2), ["scipy.special.log_ndtr"]),
]
BY_NAME = {name: (name.rpartition(".")[2], builder)
           for builder, names in _BY_NAME_ENTRIES for name in names}

_MODULES = {"math": math, "np": np, "sympy": sympy, "builtins": builtins}


def _resolve(dotted):
    mod, _, attr = dotted.partition(".")
    return getattr(_MODULES[mod], attr, None)


FUNCTIONS = {}
for _builder, _names in _ENTRIES:
    for _name in _names:
        _obj = _resolve(_name)
        if _obj is not None:            # math.cbrt and friends exist only on newer Pythons
            FUNCTIONS[_obj] = (_name.rpartition(".")[2], _builder)

#: pyexpr's own C functions by name: what ``from_sympy``'s text may call besides sympy's
#: names (``fdim`` has no Python spelling at all), and what a formula may call imported
#: from ``pyexpr.libm``
OWN = {name: getattr(libm, name) for name in libm.__all__}
FUNCTIONS.update({cls: (name, cls) for name, cls in OWN.items()})

#: pyexpr's functions by the names its printed formulas give them, which sympy lacks:
#: ``from_sympy``'s text may call them, so a printed formula reads back
PRINTED = {cls.__name__: cls for cls in (
    pf.expm1, pf.log1p, pf.hypot, pf.exp2, pf.log2, pf.log10, pf.trunc, stable.softplus,
    stable.sigmoid, stable.logit, stable.log1mexp, stable.logaddexp, stable.xlogy,
    stable.xlog1py, stable.erfcx, stable.derfcx, stable.log_erfc, pf.isnan, pf.isinf)}
FUNCTIONS.update({cls: (name, cls) for name, cls in PRINTED.items() if cls not in FUNCTIONS})

#: callables with a meaning of their own in the translator (loops and reductions)
SPECIAL = {builtins.range: "range", builtins.sum: "sum", builtins.enumerate: "enumerate",
           builtins.zip: "zip", builtins.len: "len", builtins.tuple: "tuple",
           math.fsum: "sum", math.prod: "prod", np.sum: "np_sum", np.prod: "np_prod",
           np.mean: "np_mean", np.count_nonzero: "count_nonzero", np.dot: "dot", np.inner: "dot", np.arange: "arange",
           np.array: "array", np.asarray: "array", np.roll: "roll", np.zeros: "zeros",
           np.ones: "ones", np.empty: "empty", np.full: "full", np.zeros_like: "zeros_like",
           np.ones_like: "ones_like", np.empty_like: "empty_like", np.full_like: "full_like",
           np.max: "np_max", np.amax: "np_max", np.min: "np_min", np.amin: "np_min", np.polyval: "polyval",
           np.concatenate: "concatenate", np.hstack: "concatenate", np.append: "concatenate",
           np.diff: "diff", np.linalg.norm: "norm", np.var: "var", np.std: "std", np.cumsum: "cumsum",
           np.outer: "outer", np.trace: "trace"}

#: well-known callables with no formula meaning, and why
FORBIDDEN = {builtins.print: "I/O (print)", builtins.open: "I/O (open)",
             builtins.input: "I/O (input)", builtins.eval: "eval", builtins.exec: "exec"}

#: packages a formula's functions come from: their callables that pyexpr lacks are named as such
_LIBRARIES = ("math", "cmath", "numpy", "scipy", "sympy", "statistics", "builtins", "mpmath")

#: what to write instead of a library function pyexpr has no formula for
INSTEAD = {
    "erfcx": "write exp(x**2) * erfc(x) where x**2 stays below 709",
    "sinc": "write sin(pi*x) / (pi*x), in a conditional for x == 0",
    "round": "write floor(x + 0.5) (halves round up), or np.rint's rule with a conditional",
    "isclose": "write abs(a - b) <= max(rel_tol * max(abs(a), abs(b)), abs_tol), which differs "
               "from math.isclose only where an argument is infinite",
    "norm": "write sqrt(x**2 + y**2 + ...) with the components, or hypot(x, y)",
}


def understood():
    """``{module: sorted names}`` of every library name a formula may use (the README's list)."""
    dotted = [n.replace("np.", "numpy.", 1) for _, names in _ENTRIES for n in names]
    dotted += list(BY_NAME)
    for table in (SPECIAL, CONDITIONALS):
        dotted += [n for n in (library_name(obj) for obj in table) if n]
    dotted += ["math.pi", "math.e", "math.tau", "math.inf", "math.nan", "numpy.pi", "numpy.e",
               "numpy.inf", "numpy.nan", "sympy.pi", "sympy.E", "sympy.oo"]
    found = {}
    for name in dotted:
        module, _, attr = name.rpartition(".")
        found.setdefault(module, set()).add(attr)
    return {m: sorted(found[m], key=str.lower)
            for m in ("math", "numpy", "scipy.special", "sympy", "builtins")}


def library_name(obj):
    """``"numpy.logaddexp"`` for a callable of a math library (``_LIBRARIES``), else None."""
    name = getattr(obj, "__name__", None)
    module = getattr(obj, "__module__", None)
    if module is None and isinstance(obj, np.ufunc):     # scipy's ufuncs name no module
        module = next((m for m in ("numpy", "scipy.special")
                       if getattr(sys.modules.get(m), str(name), None) is obj), None)
    if not isinstance(module, str) or not isinstance(name, str) \
            or module.partition(".")[0] not in _LIBRARIES:
        return None
    return f"{_public(module, name, obj)}.{getattr(obj, '__qualname__', name)}"


def _public(module, name, obj):
    """The public package a function defined in a private module is exported from
    (``scipy.special._logsumexp`` -> ``scipy.special``)."""
    parent = module
    while "._" in parent:
        parent = parent[:parent.rindex("._")]
        if getattr(sys.modules.get(parent), name, None) is obj:
            return parent
    return module


_CONSTANTS = [(math.pi, sympy.pi), (math.e, sympy.E), (math.tau, 2 * sympy.pi)]


def is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool) \
        or isinstance(value, (np.floating, np.integer))


def constant(value):
    """A sympy number for a Python/numpy real; pi, e, tau and infinities become symbolic."""
    if isinstance(value, (bool, np.bool_)):
        return sympy.true if value else sympy.false
    if isinstance(value, (int, np.integer)):
        return sympy.Integer(int(value))
    value = float(value)
    for num, sym in _CONSTANTS:
        if value == num:
            return sym
    if math.isinf(value):
        return sympy.oo if value > 0 else -sympy.oo
    if math.isnan(value):
        return sympy.nan
    return sympy.Float(value)
