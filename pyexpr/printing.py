"""Formulas as text: sympy strings, LaTeX, pretty print, standalone Python.

``python_source(name, args, outputs, out_shape)`` renders a ``def`` that uses
only the ``math`` module, with common subexpressions as locals, through
``astor`` (so it is valid Python by construction).  The printer adds the
spellings sympy's Python printer lacks (real cube root, truncation,
Heaviside, numpy-style sign).
"""
import ast

import astor
import sympy
from sympy.printing.pretty.pretty import PrettyPrinter
from sympy.printing.pretty.stringpict import prettyForm
from sympy.printing.pycode import PythonCodePrinter


class MathPrinter(PythonCodePrinter):
    """sympy -> Python using only ``math``, strict: an unknown node raises."""

    def __init__(self):
        super().__init__({"fully_qualified_modules": True, "strict": True, "standard": "python3"})

    def _call(self, fn, *args):
        return f"math.{fn}(" + ", ".join(self._print(a) for a in args) + ")"

    def _print_cbrt(self, expr):
        x = self._print(expr.args[0])
        return f"math.copysign(abs({x}) ** (1.0 / 3.0), {x})"

    def _print_trunc(self, expr):
        return f"float(math.trunc({self._print(expr.args[0])}))"

    def _print_sign(self, expr):
        x = self._print(expr.args[0])
        return f"(0.0 if {x} == 0 else math.copysign(1.0, {x}))"

    def _print_Heaviside(self, expr):
        x = self._print(expr.args[0])
        h0 = self._print(expr.args[1]) if len(expr.args) > 1 else "0.5"
        return f"(1.0 if {x} > 0 else (0.0 if {x} < 0 else {h0}))"

    def _print_loggamma(self, expr):
        return self._call("lgamma", *expr.args)

    def _print_exp2(self, expr):
        return f"2.0 ** {self.parenthesize(expr.args[0], 100)}"

    def _print_floor(self, expr):
        return f"float({self._call('floor', *expr.args)})"

    def _print_ceiling(self, expr):
        return f"float({self._call('ceil', *expr.args)})"


def python_source(name, args, outputs, out_shape):
    printer = MathPrinter()
    temps, reduced = sympy.cse(list(outputs), symbols=sympy.numbered_symbols("_t"), order="none")
    body = [f"{printer._print(sym)} = {printer._print(expr)}" for sym, expr in temps]
    values = [printer._print(e) for e in reduced]
    if out_shape == ():
        result = values[0]
    elif len(out_shape) == 1:
        result = "(" + ", ".join(values) + ",)"
    else:
        n = out_shape[1]
        rows = ["(" + ", ".join(values[i:i + n]) + ",)" for i in range(0, len(values), n)]
        result = "(" + ", ".join(rows) + ",)"
    lines = [f"def {name}({', '.join(str(a) for a in args)}):"]
    lines += [f"    {ln}" for ln in body] + [f"    return {result}"]
    tree = ast.parse("import math\n\n\n" + "\n".join(lines))
    # one statement per line, unwrapped: astor's default wraps long lines mid-call
    return astor.to_source(tree, pretty_source="".join)


def pretty(lhs, expr):
    printer = PrettyPrinter({"use_unicode": True})
    left = printer._print(lhs)
    return str(prettyForm(*left.right(" = ", printer._print(expr))).render(wrap_line=False))
