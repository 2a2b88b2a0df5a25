"""Real-valued functions sympy lacks, as sympy ``Function`` classes.

``cbrt`` is the real cube root (``cbrt(-8) == -2``), unlike sympy's
``cbrt(x) = x**(1/3)`` which is the principal complex root for negative x.
``trunc`` rounds toward zero.  The others (``log1p``, ``expm1``, ``exp2``,
``log2``, ``log10``, ``hypot``) come from ``sympy.codegen.cfunctions`` and are
re-exported here so every module names them from one place.

``sinh``, ``cosh`` and ``tanh`` build sympy's own classes but record on each
node that it is real (and ``cosh`` positive), as every argument of a formula
is.  Without that, sympy answers ``is_real``/``is_finite`` for a hyperbolic
function of an argument not known to be real (``tanh(x/T)``: T may be 0) by
a full ``as_real_imag`` expansion, which is exponential in the nesting depth:
a fixed-point loop ``m = tanh((Tc*m + h)/T)`` never finished decorating.
``abs_`` leaves ``Abs`` of an argument not known to be real unevaluated, for
the same reason (sympy's ``Abs`` takes the argument's conjugate).
``min_`` and ``max_`` build ``Min``/``Max`` without sympy's search for
dominated arguments (``factor_terms`` on every pair of arguments: most of a
decoration's time, and exponential on arguments sharing subexpressions).

Walks that rebuild a formula keeping these facts are ``pyexpr.dag``'s.
"""
from functools import lru_cache

import math

import sympy
from sympy.codegen.cfunctions import exp2, expm1, hypot, log1p, log2, log10
from sympy.core.logic import fuzzy_and

__all__ = ["cbrt", "trunc", "exp2", "expm1", "hypot", "log1p", "log2", "log10",
           "sinh", "cosh", "tanh", "abs_", "min_", "max_", "real_fdiff", "xor", "as_sympy"]

_REAL_FACTS = {sympy.sinh: {"real": True}, sympy.cosh: {"real": True, "positive": True},
               sympy.tanh: {"real": True}, sympy.Abs: {"real": True, "nonnegative": True}}


def _is_number(self):
    """``Expr.is_number`` of a function application, remembered by the node: sympy's walks
    the whole argument every time, and asks it of each new node while building it, so
    ``sin(sin(...(x)))`` nested N deep took O(N**2) (a 3,000-deep loop of ``x = sin(x)``
    85 of its 89 s).  A node's arguments never change, nor does the answer."""
    found = self.__dict__.get("_pyexpr_is_number")
    if found is None:
        found = self.__dict__["_pyexpr_is_number"] = all(a.is_number for a in self.args)
    return found


if "is_number" not in sympy.Function.__dict__:
    # sympy's own rule, for function applications only (their classes have a __dict__)
    sympy.Function.is_number = property(_is_number)


def assume_real(expr):
    """``expr``, with the facts of ``_REAL_FACTS`` recorded on it if its class is listed, or
    the class it is a variant of (``stability.functions``: sympy's class, one evaluation less)."""
    cls = type(expr)
    facts = _REAL_FACTS.get(cls) or _REAL_FACTS.get(cls.__base__)
    if facts and expr._assumptions.get("real") is not True:
        known = expr._assumptions
        if known is expr.default_assumptions:       # shared by the class: never modify it
            known = known.copy()
        try:
            known.deduce_all_facts(facts)
        except Exception:   # sympy proved otherwise (an imaginary argument): keep its facts
            return expr
        expr._assumptions = known
    return expr


def sinh(x):
    return assume_real(sympy.sinh(x))


def cosh(x):
    return assume_real(sympy.cosh(x))


def tanh(x):
    return assume_real(sympy.tanh(x))


def _lattice(cls):
    def build(*args):
        """``cls`` of the arguments (or of one tuple): nested calls flattened, numbers
        folded into one, duplicates dropped, the rest left as they are."""
        if len(args) == 1 and isinstance(args[0], tuple):
            args = args[0]
        flat = []
        for a in map(sympy.sympify, args):
            flat.extend(a.args if isinstance(a, cls) else [a])
        if sympy.nan in flat:              # numpy's min and max propagate nan
            return sympy.nan
        numbers = [a for a in flat if a.is_Number]
        rest = list(dict.fromkeys(a for a in flat if not a.is_Number))
        if numbers:
            rest.append(cls(*numbers))
        if cls.zero in rest:
            return cls.zero
        rest = [a for a in rest if a != cls.identity]
        return rest[0] if len(rest) == 1 else cls(*rest, evaluate=False)
    return build


min_, max_ = _lattice(sympy.Min), _lattice(sympy.Max)
LATTICE = {sympy.Min: min_, sympy.Max: max_}


def abs_(x):
    """``Abs(x)``; of an argument not known to be real, left unevaluated (sympy's
    evaluation then builds and queries the conjugate, through every hyperbolic
    function inside)."""
    x = sympy.sympify(x)
    if x.is_number or x.is_extended_real:
        return assume_real(sympy.Abs(x))
    return assume_real(sympy.Abs(x, evaluate=False))


def real_fdiff(expr, argindex):
    """``expr.fdiff(argindex)``; for the hyperbolics built from real nodes, for
    ``Min``/``Max`` with ``min_``/``max_`` over the others, nan where an argument is
    provably not real (its float value is nan, as is the Min's: sympy's Heaviside
    raises)."""
    if type(expr) in LATTICE:
        arg = expr.args[argindex - 1]
        others = LATTICE[type(expr)](*(a for a in expr.args if a is not arg))
        step = arg - others if type(expr) is sympy.Max else others - arg
        return sympy.nan if step.is_extended_real is False else sympy.Heaviside(step)
    if isinstance(expr, sympy.tanh):       # 1 - tanh(x)**2 is 0 from |x| = 19 on: all of it cancels
        return cosh(expr.args[0]) ** -2
    if isinstance(expr, sympy.sinh):
        return cosh(expr.args[0])
    if isinstance(expr, sympy.cosh):
        return sinh(expr.args[0])
    return expr.fdiff(argindex)


def divided(expr):
    """``(top, q)`` where ``expr`` is ``top/q`` for an integer ``q`` that is not a power of
    two (``t/49``: ``t*(1/49)`` is not ``t/49`` rounded once; ``(t + 1)/3``: ``5/3 + 1/3`` is
    below 2), else None: the argument of floor and ceiling is computed as this division
    (98/49 is 2, 98*(1/49) below it)."""
    if expr.is_Add:         # (t - 2)/6, held as t/6 - 1/3: its terms over their common denominator
        parts = [t.as_coeff_Mul() for t in expr.args]
        if all(c.is_Rational for c, _ in parts):
            q = math.lcm(*(int(c.q) for c, _ in parts))
            if q & (q - 1):
                return sympy.Add(*[c * q * r for c, r in parts]), q
        return None
    coeff, rest = expr.as_coeff_Mul()
    if coeff.is_Rational and coeff.q & (coeff.q - 1) and rest is not sympy.S.One:
        return coeff.p * rest, coeff.q
    return None


def negation_of(term):
    """``u`` where ``term`` is ``-u`` as sympy holds it unevaluated (``Mul(-1, u)``), else None."""
    if isinstance(term, sympy.Mul) and term.args[0] == -1 and len(term.args) > 1:
        rest = term.args[1:]
        return rest[0] if len(rest) == 1 else sympy.Mul(*rest, evaluate=False)
    return None


def as_sympy(value):
    """``value`` as a sympy object, never by evaluating text: ``sympy.sympify`` runs
    Python on strings, so they are refused here (``from_sympy`` reads text safely)."""
    try:
        return sympy.sympify(value, strict=True)
    except sympy.SympifyError:
        raise TypeError(f"expected a sympy expression or a number, not {type(value).__name__} "
                        f"{value!r:.60}") from None


class Not(sympy.Not):
    """``not c`` as Python and numpy compute it on floats.

    sympy's ``Not(x < y)`` is ``x >= y``, which is False where x or y is nan,
    while ``not (x < y)`` is True there: this Not keeps a relation, or a
    combination of them, as it is (``~(x < y)``), and is lowered as the
    negation of the comparison.  Double negations and constants still fold.
    """

    @classmethod
    def eval(cls, arg):
        if isinstance(arg, sympy.Not):
            return arg.args[0]
        if arg.is_Relational or isinstance(arg, sympy.logic.boolalg.BooleanFunction):
            return None
        return sympy.Not(arg)


class _Special(sympy.logic.boolalg.BooleanFunction):
    """A test of a value for a float that is not a finite number.  sympy's real symbols
    stand for finite numbers, so it decides ``x != x`` False and ``x == oo`` False for
    every x: written ``isnan(x)`` and ``isinf(x)``, the tests are kept, and lowered as
    the comparisons that make them on floats (``x != x``; ``|x| == inf``).  Constants
    are decided at once."""
    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_Number or x.is_NumberSymbol:
            return sympy.true if x in cls.special else sympy.false
        if isinstance(x, sympy.Piecewise):     # the test of the branch taken, in logic:
            clauses, before = [], []            # sympy's fold and rewrite of it as ITE lost
            for value, cond in x.args:          # branches (isinf of a value isnan chose)
                clauses.append(sympy.And(cond, *(Not(c) for c in before), cls(value)))
                before.append(cond)
            return sympy.Or(*clauses)
        return None

    # an atom to sympy's logic (its argument is a number, not a condition to rewrite):
    # a Piecewise in a condition beside it is folded to normal form and read as sets
    def to_nnf(self, simplify=True):
        return self

    def _eval_as_set(self):
        raise NotImplementedError(f"{self} as a set of reals")


class isnan(_Special):
    """True where ``x`` is nan (numpy's ``isnan``)."""
    special = (sympy.nan,)


class isinf(_Special):
    """True where ``x`` is +inf or -inf (numpy's ``isinf``)."""
    special = (sympy.oo, -sympy.oo)


def isfinite(x):
    """True where ``x`` is neither nan nor infinite (numpy's ``isfinite``)."""
    return Not(sympy.Or(isnan(x), isinf(x)))


def is_infinity(x, sign):
    """True where ``x`` is the infinity of ``sign``: ``x == oo`` (sign 1), ``x == -oo`` (-1)."""
    return sympy.And(isinf(x), x > 0 if sign > 0 else x < 0)


def simplified(expr):
    """``sympy.simplify(expr)`` with each ``isnan``/``isinf`` test hidden as a symbol while it
    runs (sympy's logic simplification takes only relations and symbols as atoms), and each
    sum (product, extreme) holding one, or holding cases, kept whole: a test of ``x[i]``
    hidden as a symbol would no longer depend on ``i``, and sympy would take it out of the
    sum; it takes a case of ``x[i] > 1`` out of ``np.mean((x > 1)*x)``'s sum, the sum's
    index then free outside it."""
    from sympy.concrete.expr_with_intlimits import ExprWithIntLimits    # Sum, Product, extremes
    held = [r for r in expr.atoms(ExprWithIntLimits) if r.has(_Special, sympy.Piecewise)]
    hidden = {r: sympy.Dummy(f"r{k}") for k, r in enumerate(held)}     # (a sum in one: inside it)
    outside = expr.xreplace(hidden) if hidden else expr
    hidden.update({t: sympy.Dummy(f"t{k}") for k, t in enumerate(outside.atoms(_Special))})
    plain = sympy.simplify(outside.xreplace(hidden) if hidden else expr)
    return plain.xreplace({d: t for t, d in hidden.items()}) if hidden else plain


def settled_piecewise(pairs):
    """A Piecewise of new values under a Piecewise's own conditions (a derivative, a factor
    moved into the branches): the conditions are settled, so sympy's simplification of
    them, which takes minutes on the nested conditions that comparing conditional
    expressions makes, is not redone; only branches all alike fold."""
    if len({value for value, _ in pairs}) == 1:
        return pairs[0][0]
    return piecewise_as_written(pairs)


def piecewise_as_written(pairs):
    """``Piecewise(*pairs)`` with nothing evaluated: sympy's ``ExprCondPair`` lifts every
    Piecewise out of a condition that holds one (``piecewise_fold``), which makes 2**n
    branches of a condition on a value a loop accumulates under ``if``s."""
    return sympy.Basic.__new__(sympy.Piecewise, *(as_written_pair(e, c) for e, c in pairs))


def as_written_pair(expr, cond):
    """``ExprCondPair(expr, cond)``, ``cond`` as it is (see ``piecewise_as_written``)."""
    return sympy.Tuple.__new__(sympy.functions.elementary.piecewise.ExprCondPair,
                               sympy.sympify(expr), sympy.sympify(cond))


def xor(a, b):
    """Exclusive or of two conditions, written with And/Or/Not (no code generator needs Xor)."""
    return sympy.Or(sympy.And(a, Not(b)), sympy.And(Not(a), b))


def registry_derivative(op, args, argindex=1):
    """The derivative in its ``argindex``-th argument that the op registry (``ir.ops``)
    gives for one of pyexpr's classes, at the arguments ``args``.

    The registry's text is pyexpr's own, never user input; it is parsed with
    pyexpr's classes as its names."""
    return _parsed_derivative(op)[argindex - 1].xreplace(dict(zip(_PARAMS, args)))


_PARAMS = sympy.Dummy("x"), sympy.Dummy("y"), sympy.Dummy("z")


@lru_cache(maxsize=None)
def _parsed_derivative(op):
    """The registry's derivatives of ``op``, one per argument in ``_PARAMS``, parsed once."""
    from importlib import import_module
    from .ir.ops import OPS
    names = {p.name: p for p in _PARAMS}
    for row in OPS.values():
        if (row.sympy or "").startswith("pyexpr."):
            module, _, name = row.sympy.rpartition(".")
            names[name] = getattr(import_module(module), name)
    texts = OPS[op].derivative
    return tuple(sympy.sympify(t, locals=names) for t in ((texts,) if isinstance(texts, str) else texts))


def latex_power(text, exp=None):
    """``text`` raised to ``exp`` where LaTeX's printer passes one: it prints a power of a
    function by handing the exponent to the function's own ``_latex``."""
    return text if exp is None else r"\left(%s\right)^{%s}" % (text, exp)


class PrintedAs:
    """A function printed as the expression ``printed_as()`` gives, in every printer, and
    parenthesized as that expression would be (a power of ``product(a, b)`` prints
    ``(a*b)**2``, not ``a*b**2``: sympy's printers parenthesize a function as an atom)."""

    @property
    def precedence(self):
        from sympy.printing.precedence import precedence
        return precedence(self.printed_as())

    def _printed(self, printer, *args, exp=None, **kwargs):
        text = printer._print(self.printed_as(), *args, **kwargs)
        return latex_power(text, exp) if printer.printmethod == "_latex" else text

    _sympystr = _latex = _pretty = _pythoncode = _numpycode = _mpmathcode = _printed


class product(PrintedAs, sympy.Function):
    """``a*b`` kept as two factors: the running product of a derivative through a
    formula nested thousands deep.  The derivative of a map iterated n times is a
    product of n factors each as deep as its level; as one sympy product it is
    re-sorted at every level, comparing factors structurally (time ~n^3: 300 steps
    of ``x = sin(x) + y`` took 86 s).  ``calculus`` makes one where a product it
    builds is deeper than ``sharing.PIECE``; it prints, lowers and differentiates
    as the product it is."""
    nargs = 2

    @classmethod
    def eval(cls, a, b):
        if a.is_zero or b.is_zero:
            return sympy.S.Zero
        if a == 1 or b == 1:
            return b if a == 1 else a
        if a.is_Number and b.is_Number:
            return a * b
        return None

    def fdiff(self, argindex=1):
        return self.args[1] if argindex == 1 else self.args[0]

    def _eval_is_real(self):
        return fuzzy_and(a.is_real for a in self.args)

    def as_product(self):
        return sympy.Mul(*self.args, evaluate=False)

    printed_as = as_product


class cbrt(sympy.Function):
    """Real cube root."""
    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_Number:
            root = sympy.Abs(arg) ** sympy.Rational(1, 3)
            return -root if arg.is_negative else root

    def fdiff(self, argindex=1):
        return registry_derivative("cbrt", self.args)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _latex(self, printer, exp=None):
        return latex_power(r"\sqrt[3]{%s}" % printer._print(self.args[0]), exp)


class trunc(sympy.Function):
    """Round toward zero; its derivative is 0 almost everywhere."""
    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_Number:
            return sympy.sign(arg) * sympy.floor(sympy.Abs(arg))

    def fdiff(self, argindex=1):
        return registry_derivative("trunc", self.args)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_integer(self):
        return self.args[0].is_real


def component_names(name, length):
    """The names of a vector parameter's components: ``y_0, y_1, ...``."""
    return tuple(f"{name}_{i}" for i in range(length))
