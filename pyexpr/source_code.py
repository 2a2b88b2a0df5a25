"""Formulas as standalone Python source.

``python_source(name, args, outputs, out_shape)`` renders a ``def`` that uses
only the ``math`` module, with common subexpressions as locals, through
``astor`` (so it is valid Python by construction).  The printer adds the
spellings sympy's Python printer lacks (real cube root, truncation,
Heaviside, numpy-style sign, and the stable functions of
``stability.functions``, each as its stable formula inline).
``open_source`` does the same for a formula over vectors of any length, with
plain loops.
"""
import ast
import math

import astor
import sympy
from sympy.printing.precedence import precedence
from sympy.printing.pycode import PythonCodePrinter

from . import deep
from .errors import LoweringError
from .ir import composite
from .dag import substitute
from .functions import divided, negation_of
from .sharing import cse


#: x*y + z rounded once, needing only ``math`` (``math.fma`` is Python 3.13's): an infinite
#: or nan product is exact; a finite product plus an infinite z is z; else the exact
#: rational sum of the three floats' integer ratios, one int/int division (which Python
#: rounds correctly), inf beyond the largest double's rounding range, and for an exact 0
#: the IEEE sum of signed zeros (z == 0) or +0.
_FMA = ("math.fma(a, b, c) if hasattr(math, 'fma') else "
        "a * b + c if not (math.isfinite(a) and math.isfinite(b)) else "
        "c if not math.isfinite(c) else "
        "(lambda p, q, r: (lambda n, d: (a * b + c if c == 0 else 0.0) if n == 0 else "
        "(math.inf if n > 0 else -math.inf) if abs(n) >= (2**1024 - 2**970) * d else n / d)"
        "(p[0] * q[0] * r[1] + r[0] * p[1] * q[1], p[1] * q[1] * r[1]))"
        "(float(a).as_integer_ratio(), float(b).as_integer_ratio(), float(c).as_integer_ratio())")


#: integer powers up to this size print as products (the text doubles with each squaring)
MAX_PRODUCT_POWER = 8


class MathPrinter(PythonCodePrinter):
    """sympy -> Python using only ``math``, strict: an unknown node raises."""

    def __init__(self):
        super().__init__({"fully_qualified_modules": True, "strict": True, "standard": "python3"})

    def _print_not_supported(self, expr):
        raise LoweringError(f"python_source: the math module has no spelling for "
                            f"{type(expr).__name__} (in {expr})")

    def _call(self, fn, *args):
        return f"math.{fn}(" + ", ".join(self._print(a) for a in args) + ")"

    def _print_cbrt(self, expr):
        x = self._print(expr.args[0])
        return f"math.copysign(abs({x}) ** (1.0 / 3.0), {x})"

    def _print_trunc(self, expr):
        return self._rounding("trunc", expr)

    def _print_isnan(self, expr):
        return self._call("isnan", *expr.args)

    def _print_isinf(self, expr):
        return self._call("isinf", *expr.args)

    def _rounding(self, fn, expr):
        """C's floor, ceil and trunc: -0 stays -0 (``math.floor`` gives an int, whose
        float is +0), and inf and nan pass through (``math.floor`` raises on them).  ``t/49``
        divides, as the compiled code does (``functions.divided``).  Of lengths and
        indices (``len(y) // 2``) it is Python's integer division."""
        whole = _integer_division(expr)
        if whole is not None:
            return whole
        body = f"math.copysign(float(math.{fn}(v)), v) if math.isfinite(v) else v"
        split = divided(expr.args[0])
        if split is not None:
            return f"(lambda v: {body})({self.parenthesize(split[0], 50)} / {float(split[1])!r})"
        return self._inline("v", body, expr)

    def _print_sign(self, expr):
        x = self._print(expr.args[0])
        # numpy's sign: +0 at +-0 and nan at nan (copysign(1.0, nan) is 1.0)
        return f"(0.0 if {x} == 0 else ({x} if {x} != {x} else math.copysign(1.0, {x})))"

    def _print_Heaviside(self, expr):
        x = self._print(expr.args[0])
        h0 = self._print(expr.args[1]) if len(expr.args) > 1 else "0.5"
        return f"(1.0 if {x} > 0 else (0.0 if {x} < 0 else {h0}))"

    def _print_Min(self, expr):
        return self._lattice("min", expr)

    def _print_Max(self, expr):
        return self._lattice("max", expr)

    def _lattice(self, fn, expr):
        # builtin min/max skip nan (comparisons with it are false); np.minimum/maximum and
        # the compiled code give nan
        args = ", ".join(self._print(a) for a in expr.args)
        return f"(lambda *v: math.nan if any(u != u for u in v) else {fn}(v))({args})"

    def _inline(self, params, body, expr):
        """``body`` (Python text in ``params``) applied to ``expr``'s arguments: each
        argument printed and evaluated once."""
        args = ", ".join(self._print(a) for a in expr.args)
        return f"(lambda {params}: {body})({args})"

    def _print_softplus(self, expr):
        return self._inline("v", "max(v, 0.0) + math.log1p(math.exp(-abs(v)))", expr)

    def _print_sigmoid(self, expr):
        return self._inline("v", "(lambda e: 1.0 / (1.0 + e) if v >= 0 else e / (1.0 + e))"
                            "(math.exp(-abs(v)))", expr)

    def _print_logit(self, expr):
        return self._inline("v", "math.log(v / (1.0 - v)) if abs(v - 0.5) > 0.25 else "
                            "math.log1p((2.0 * v - 1.0) / (1.0 - v))", expr)

    def _print_log1mexp(self, expr):
        return self._inline("v", f"math.log(-math.expm1(v)) if v > {-math.log(2.0)!r} else "
                            "math.log1p(-math.exp(v))", expr)

    def _print_logaddexp(self, expr):
        first, *others = expr.args
        text = self._print(first)
        for other in others:       # n-ary as a chain of the binary one, as compiled
            text = (f"(lambda a, b: a + {math.log(2.0)!r} if a == b else "
                    f"max(a, b) + math.log1p(math.exp(-abs(a - b))))({text}, {self._print(other)})")
        return text

    def _print_xlogy(self, expr):
        return self._inline("a, b", "0.0 if a == 0 and b == b else a * math.log(b)", expr)

    def _print_xlog1py(self, expr):
        return self._inline("a, b", "0.0 if a == 0 and b == b else a * math.log1p(b)", expr)

    def _print_erfcx(self, expr):
        return self._inline("v", _ERFCX, expr)

    def _print_derfcx(self, expr):
        fraction = "0.0"
        for k in range(composite.DERFCX_TERMS, 0, -1):
            fraction = f"{k / 2!r} / (v + {fraction})"
        return self._inline("v", f"2.0 * v * (lambda v: {_ERFCX})(v) - {2 * composite.INV_SQRT_PI!r} "
                            f"if v < {composite.DERFCX_FRACTION_FROM!r} else (lambda r: "
                            f"{-2 * composite.INV_SQRT_PI!r} * (r / (v + r)))({fraction})", expr)

    def _print_log_erfc(self, expr):
        return self._inline("v", "math.log1p(-math.erf(v)) if abs(v) < 0.5 else math.log(math.erfc(v)) "
                            f"if v < {composite.ERFCX_SERIES_FROM!r} else "
                            f"math.log((lambda v: {_ERFCX})(v)) - v * v", expr)

    def _print_fmax(self, expr):
        return self._inline("a, b", "b if a != a else (a if b != b else max(a, b))", expr)

    def _print_fmin(self, expr):
        return self._inline("a, b", "b if a != a else (a if b != b else min(a, b))", expr)

    def _print_copysign(self, expr):
        return self._call("copysign", *expr.args)

    def _print_fmod(self, expr):
        return self._call("fmod", *expr.args)

    def _print_remainder(self, expr):
        return self._call("remainder", *expr.args)

    def _print_fdim(self, expr):
        # C's fdim; Python has none.  a <= b is false where either is nan: then a - b, nan
        return self._inline("a, b", "0.0 if a <= b else a - b", expr)

    def _print_fma(self, expr):
        return self._inline("a, b, c", _FMA, expr)

    def _print_loggamma(self, expr):
        return self._call("lgamma", *expr.args)

    def _print_Pow(self, expr, rational=False):
        # small integer powers as the multiplications the code does (``ir.from_sympy``'s
        # binary powers: x*(x*x), (x*x)*(x*x)); Python's x ** 2 raises OverflowError where
        # the product is inf
        if expr.exp.is_Integer and 2 <= abs(expr.exp) <= MAX_PRODUCT_POWER:
            text = _binary_power(self.parenthesize(expr.base, precedence(expr)), abs(int(expr.exp)))
            return text if expr.exp > 0 else f"(1.0 / {text})"
        return super()._print_Pow(expr, rational)

    def _print_exp2(self, expr):
        return f"2.0 ** {self.parenthesize(expr.args[0], 100)}"

    def _print_floor(self, expr):
        return self._rounding("floor", expr)

    def _print_ceiling(self, expr):
        return self._rounding("ceil", expr)


def _integer_division(expr):
    """``(n // 2)`` (``-(-(n + 1) // 2)`` for a ceiling) where ``expr`` rounds a fraction of
    integer Symbols (a vector's length, an index); None otherwise."""
    p, s = sympy.fraction(sympy.together(expr.args[0]))
    if not (s.is_Integer and s > 1 and p.free_symbols and all(v.is_integer for v in p.free_symbols)
            and sympy.Poly(p, *p.free_symbols).is_linear and all(c.is_Integer for c in sympy.Poly(p).coeffs())):
        return None
    text = sympy.pycode(p) if not isinstance(expr, sympy.ceiling) else sympy.pycode(-p)
    whole = f"(({text}) // {int(s)})"
    return whole if isinstance(expr, sympy.floor) else f"(-{whole})" if isinstance(expr, sympy.ceiling) else None


def _binary_power(base, n):
    """``base**n`` as ``ir.from_sympy._int_pow`` multiplies it out (binary powers)."""
    result, square = None, base
    while n:
        if n & 1:
            result = square if result is None else f"({result} * {square})"
        n >>= 1
        if n:
            square = f"({square} * {square})"
    return result


class WrittenPrinter(MathPrinter):
    """Unevaluated sums and products (``simplify=False``) with every grouping in
    parentheses, left to right, as ``ir.from_sympy`` computes them."""
    as_written = True

    def _print_Pow(self, expr, rational=False):
        # a square is one multiplication as computed; other powers C's pow, as Python's **
        if expr.exp == 2:
            base = self._print(expr.base)
            return f"({base} * {base})"
        return PythonCodePrinter._print_Pow(self, expr, rational)

    def _print_Add(self, expr):
        text = self._print(expr.args[0])
        for term in expr.args[1:]:
            negated = negation_of(term)
            text = f"({text} - {self._print(negated)})" if negated is not None else \
                f"({text} + {self._print(term)})"
        return text

    def _print_Mul(self, expr):
        negated = negation_of(expr)
        if negated is not None:
            return f"(-{self._print(negated)})"
        text = None
        for factor in expr.args:
            text = self._times(text, factor)
        return text

    def _times(self, text, factor):
        if factor.is_Rational and not factor.is_Integer:
            top = text if factor.p == 1 else f"({text or '1.0'} * {factor.p})"
            return f"({top or '1.0'} / {factor.q})"
        if factor.is_Pow and factor.exp == -1:
            return f"({text or '1.0'} / {self._print(factor.base)})"
        value = self._print(factor)
        return value if text is None else f"({text} * {value})"

#: erfcx as ir.composite computes it: x**2 split exactly (h + l) below 9, the
#: asymptotic series above
_ERFCX = ("(lambda h: (math.exp(h) * (1.0 + (lambda a, b, c: %s)(v, v, -h)) if h < 709.7827 "
          "else math.inf) * math.erfc(v) if v < %r else %r / v * %s)(v * v)"
          % (_FMA, composite.ERFCX_SERIES_FROM, composite.INV_SQRT_PI,
             "".join(f"({c!r} + 0.5 / h * " for c in composite.ERFCX_SERIES[:-1])
             + repr(composite.ERFCX_SERIES[-1]) + ")" * (len(composite.ERFCX_SERIES) - 1)))


@deep.sized(lambda name, args, outputs, *rest, **options: outputs)
def python_source(name, args, outputs, out_shape, defaults=None, as_written=False, vectors=None):
    """A ``def`` computing ``outputs``; ``defaults`` maps parameter names to numbers;
    ``as_written``: unevaluated arithmetic in its own grouping (``simplify=False``);
    ``vectors`` maps a vector parameter to its components, which it is unpacked into."""
    printer = WrittenPrinter() if as_written else MathPrinter()
    temps = sympy.numbered_symbols("_t")
    body, values = _statements(printer, list(outputs), temps)
    if out_shape == ():
        result = values[0]
    elif len(out_shape) == 1:
        result = "(" + ", ".join(values) + ",)"
    else:
        n = out_shape[1]
        rows = ["(" + ", ".join(values[i:i + n]) + ",)" for i in range(0, len(values), n)]
        result = "(" + ", ".join(rows) + ",)"
    defaults, vectors = defaults or {}, vectors or {}
    owner = {str(c): v for v, cs in vectors.items() for c in cs}
    params = list(dict.fromkeys(owner.get(str(a), str(a)) for a in args))
    params = [f"{p}={_default_text(printer, defaults[p])}" if p in defaults else p for p in params]
    unpacked = [f"{', '.join(map(str, cs))}, = {v}" for v, cs in vectors.items()]
    lines = [f"def {name}({', '.join(params)}):"]
    lines += [f"    {ln}" for ln in unpacked + body] + [f"    return {result}"]
    tree = ast.parse("import math\n\n\n" + "\n".join(lines))
    # one statement per line, unwrapped: astor's default wraps long lines mid-call
    return astor.to_source(tree, pretty_source="".join)


def _statements(printer, exprs, temps):
    """(lines, printed values) computing ``exprs``, common subexpressions as locals.

    Each outermost ``Piecewise`` becomes an if/elif/else block computing it
    into a local, with its own subexpressions inside its branch, so a branch's
    ``math.sqrt(1 - z**2)`` only runs where the branch is taken.
    """
    pieces = {}
    _find_pieces(exprs, pieces, set(), temps)
    opaque = [substitute(e, pieces) for e in exprs]
    steps, reduced = cse(opaque, symbols=temps, as_written=getattr(printer, "as_written", False))
    lines = []
    for piece, local in pieces.items():
        lines += _piece_block(printer, piece, printer._print(local), temps)
    lines += [f"{printer._print(sym)} = {printer._print(expr)}" for sym, expr in steps]
    return lines, [printer._print(e) for e in reduced]


def _find_pieces(exprs, pieces, seen, temps):
    for e in exprs:
        if e in seen:
            continue
        seen.add(e)
        if isinstance(e, sympy.Piecewise):
            pieces.setdefault(e, next(temps))
        elif not e.is_Atom:
            _find_pieces(e.args, pieces, seen, temps)


def _piece_block(printer, piece, local, temps):
    lines = []
    for i, (value, cond) in enumerate(piece.args):
        if cond == sympy.true:
            lines.append("else:" if i else "if True:")
        else:
            lines.append(f"{'elif' if i else 'if'} {printer._print(cond)}:")
        body, (result,) = _statements(printer, [value], temps)
        lines += [f"    {ln}" for ln in body] + [f"    {local} = {result}"]
        if cond == sympy.true:
            return lines
    return lines + ["else:", f"    {local} = math.nan"]


class LoopPrinter(MathPrinter):
    """Sums, products, extremes and elements of vectors of any length as Python: ``sum(...
    for i in range(lo, hi + 1))``, ``math.prod(...)``, ``max`` of a list (nan if a term is),
    ``x[i]``, ``A[i][k]``."""

    def _reduction(self, fn, expr):
        loops = " ".join(f"for {self._print(i)} in range({self._print(lo)}, {self._print(hi + 1)})"
                         for i, lo, hi in reversed(expr.limits))
        return f"{fn}({self._print(expr.function)} {loops})"

    def _print_Sum(self, expr):
        return self._reduction("sum", expr)

    def _print_Product(self, expr):
        return self._reduction("math.prod", expr)

    def _print_Maximum(self, expr):
        return self._extreme("max", expr)

    def _print_Minimum(self, expr):
        return self._extreme("min", expr)

    def _extreme(self, fn, expr):
        # numpy's np.max: nan if a term is (the builtin's answer depends on where the nan is)
        terms = self._reduction("", expr)
        return f"(lambda v: math.nan if any(u != u for u in v) else {fn}(v))([{terms[1:-1]}])"

    def _print_Indexed(self, expr):
        return self._print(expr.base.label) + "".join(f"[{self._print(i)}]" for i in expr.indices)


#: data of more numbers than this is not written into ``python_source`` as lists
MAX_WRITTEN_DATA = 10_000


def _listed(value):
    """A float array as Python list text, read back bit for bit (``math.inf`` for inf)."""
    if getattr(value, "ndim", 0):
        return "[" + ", ".join(_listed(v) for v in value) + "]"
    x = float(value)
    return repr(x) if math.isfinite(x) else "math.nan" if math.isnan(x) else ("-" if x < 0 else "") + "math.inf"


def open_source(name, signature, outputs, index=None, cases=None, steps=(), column=None, least=(), data=(),
                defaults=None, needs=()):
    """A ``def`` computing a formula over vectors of any length (``OpenFormula``) with plain
    loops: each length read with ``len`` (a matrix's with ``len(A), len(A[0])``), a vector
    output a list over ``index`` whose element picks its case (``cases``: ranges of the
    index and their expressions); a length the code does not run at (``steps``: ``(name,
    modulus, residues, reasons)``) a ValueError, as the formula's call raises.  With
    ``column``, a matrix output: a list of rows, ``cases`` its cells
    ``(first row, last row, first column, last column, expression)``; ``least``: the
    ``(length Symbol, value)`` below which the cases do not hold, a ValueError there;
    ``data``: ``(name, array)`` of the data the formula reads, written as lists; ``defaults``
    the parameters' defaults; ``needs``: ``(vector, least length)`` the call checks (its
    reads at fixed places, ends that would count from the back), a ValueError below."""
    printer = LoopPrinter()
    defaults = defaults or {}
    params = [f"{n}={_default_text(printer, defaults[n])}" if n in defaults else n for n, _ in signature]
    lines, known = [f"{n} = {_listed(a)}" for n, a in data], set()
    for n, length in signature:
        if isinstance(length, int):
            lines.append(f"{', '.join(f'{n}_{k}' for k in range(length))}, = {n}")
            continue
        dims = length if isinstance(length, tuple) else () if length is None else (length,)
        for symbol, read in zip(dims, (f"len({n})", f"len({n}[0])")):
            if symbol not in known:
                known.add(symbol)
                lines.append(f"{printer._print(symbol)} = {read}")
    for vector, k in needs:
        lines.append(f"if len({vector}) < {k}:")
        lines.append(f"    raise ValueError({f'{name}(): argument {vector!r} is too short: the code needs {k} elements'!r})")
    for symbol, value in least:
        text = printer._print(symbol)
        lines.append(f"if {text} < {value}:")
        lines.append(f"    raise ValueError({f'{name}(): this code holds for {text} >= {value} (its cases); call the formula below that'!r})")
    for symbol, modulus, residues, reasons in steps:
        lines.append(f"if {symbol} % {modulus} not in {tuple(residues)}:")
        allowed = " or ".join(map(str, residues))
        why = "; ".join(reasons)
        lines.append(f"    raise ValueError({f'{name}(): the code runs only where {symbol} % {modulus} is {allowed} ({why})'!r})")
    if column is not None:
        j, l = printer._print(index), printer._print(column)
        element = None
        for jlo, jhi, llo, lhi, cell in reversed(cases):
            test = f"{_range_test(printer, j, jlo, jhi)} and {_range_test(printer, l, llo, lhi)}"
            element = printer.doprint(cell) if element is None else f"({printer.doprint(cell)} if {test} else {element})"
        rows, cols = (_count_text(printer, d) for d in outputs[1:])
        result = f"[[{element} for {l} in range({cols})] for {j} in range({rows})]"
    elif index is None:
        values = [printer.doprint(o) for o in outputs]
        result = values[0] if len(values) == 1 else "(" + ", ".join(values) + ",)"
    else:
        j = printer._print(index)
        element = None
        for lo, hi, piece in reversed(cases):
            value = printer.doprint(piece) if not isinstance(piece, sympy.Tuple) else \
                "(" + ", ".join(printer.doprint(p) for p in piece) + ",)"
            test = _range_test(printer, j, lo, hi)
            element = value if element is None else f"({value} if {test} else {element})"
        rows = _count_text(printer, outputs[1]) if len(outputs) > 1 else None
        result = f"[{element} for {j} in range({rows})]"
    lines = [f"def {name}({', '.join(params)}):"] + [f"    {ln}" for ln in lines] + [f"    return {result}"]
    tree = ast.parse("import math\n\n\n" + "\n".join(lines))
    return astor.to_source(tree, pretty_source="".join)


def _default_text(printer, value):
    """A default as Python reads it back the same: a float's every digit (sympy prints 15)."""
    if isinstance(value, sympy.Float):
        return repr(float(value))
    return printer._print(value)


def _range_test(printer, index, lo, hi):
    return f"{index} == {printer._print(lo)}" if lo == hi else \
        f"{printer._print(lo)} <= {index} <= {printer._print(hi)}"


def _count_text(printer, count):
    """A vector's length for ``range``: an int also where it is a ceiling (``x[::2]``'s)."""
    text = printer._print(count)
    return f"int({text})" if sympy.sympify(count).has(sympy.ceiling, sympy.floor) else text
