"""How an ``OpenFormula`` prints: text with its cases (``f(x[n])[j] =`` and a line per
range of ``j``; a matrix output's per range of ``(j, l)``), LaTeX, and ``python_source``
(a ``def`` of plain loops); with the conditions on the lengths it holds for
(``n >= 3``, ``n % 2 == 0``)."""
from .deferred import deferred

# imported on first use: a formula from the disk cache calls without them
sympy = deferred("sympy")
indexing, printing, source_code, steps = (deferred(f"pyexpr.{m}") for m in ("indexing", "printing", "source_code",
                                                                           "ast_rewrite.steps"))


class OpenPrinting:
    """The printing half of ``OpenFormula`` (``open_vectors``), which it inherits."""

    def _text_signature(self, name=None, skip=None):
        """``f(x[n], y)``: with another ``name``, less the parameter ``skip``."""
        fixed = {sympy.Symbol(s, integer=True, nonnegative=True): v for s, v in self.exact}
        shown = [(n, k if k is None or isinstance(k, int) else
                  tuple(d.xreplace(fixed) for d in k) if isinstance(k, tuple) else k.xreplace(fixed))
                 for n, k in self.signature if n != skip]
        return f"{name or self.name}({', '.join(n if k is None else f'{n}[{_shape_text(k)}]' for n, k in shown)})"

    def _conditions(self, minimum=0):
        """What the formula holds for: ``n >= 3``, ``n % 2 == 0`` (text for the printed form)."""
        found = [f"{s} >= {v}" for s, v in indexing.least_pairs(self.out_shape[0], minimum)] if minimum else []
        found += [steps.condition_text(n, m, r) for n, m, r, _ in self.steps]
        return ", ".join(found)

    def __str__(self):
        conditions = self._conditions()
        if self.index is None:
            return f"{self._text_signature()} = {self.expr if len(self.out_shape) < 2 else list(self.outputs)}" + \
                (f"   (for {conditions})" if conditions else "")
        if self.column is not None:
            return self._matrix_text()
        minimum, pieces = self.cases()
        conditions = self._conditions(minimum)
        lines = [f"{self._text_signature()}[{self.index}] =" + (f"   (for {conditions})" if conditions else "")]
        for lo, hi, piece in pieces:
            lines.append(f"  {printing.range_text(self.index, lo, hi)}:  {piece}")
        return "\n".join(lines)

    def _matrix_text(self):
        rows, cols, found = self.cells()
        conditions = ", ".join(c for c in (self._conditions(rows), f"{self.out_shape[1]} >= {cols}" if cols > 1
                                           else "") if c)
        lines = [f"{self._text_signature()}[{self.index}, {self.column}] =" +
                 (f"   (for {conditions})" if conditions else "")]
        for jlo, jhi, llo, lhi, cell in found:
            lines.append(f"  {printing.range_text(self.index, jlo, jhi)}, "
                         f"{printing.range_text(self.column, llo, lhi)}:  {cell}")
        return "\n".join(lines)

    def cells(self):
        """Of a matrix output: ``(minimum rows, minimum columns, [(first row, last row, first
        column, last column, expression), ...])`` (``indexing.cells``)."""
        return indexing.cells(self.outputs[0], self.index, self.out_shape[0], self.column, self.out_shape[1])

    def cases(self):
        """``(minimum length, [(first, last, expression), ...])`` of a vector output (a
        Tuple of expressions per element where it has several columns)."""
        expr = self.outputs[0] if len(self.outputs) == 1 else sympy.Tuple(*self.outputs)
        return indexing.cases(expr, self.index, self.out_shape[0], where=self.steps)

    @property
    def expr(self):
        return self.outputs[0] if self.out_shape == () or self.index is not None \
            else sympy.Tuple(*self.outputs)

    def latex(self):
        args = ", ".join(sympy.latex(sympy.Symbol(n)) + ("" if k is None else rf" \in \mathbb{{R}}^{{{_shape_latex(k)}}}")
                         for n, k in self.signature)
        lhs = rf"{self._latex_name}\left({args}\right)"
        # what the formula holds for (n % 2 == 0) as LaTeX
        held = "".join(rf", \quad {sympy.latex(sympy.Symbol(n))} \bmod {m} " +
                       (f"= {r[0]}" if len(r) == 1 else rf"\in \{{{', '.join(map(str, r))}\}}")
                       for n, m, r, _ in self.steps)
        if self.index is None:
            return f"{lhs} = {sympy.latex(self.expr)}{held}"
        if self.column is not None:
            rows = [rf"{sympy.latex(p)} & {printing.range_latex(self.index, jlo, jhi)}, "
                    rf"{printing.range_latex(self.column, llo, lhi)}" for jlo, jhi, llo, lhi, p in self.cells()[2]]
            return rf"{lhs}_{{{self.index} {self.column}}} = \begin{{cases}} " + r" \\ ".join(rows) + \
                r" \end{cases}" + held
        _, pieces = self.cases()
        rows = [rf"{sympy.latex(p)} & {printing.range_latex(self.index, lo, hi)}" for lo, hi, p in pieces]
        if len(self.outputs) > 1:
            rows = [r.replace(r"\left(", r"\left[", 1) for r in rows]
        return rf"{lhs}_{{{self.index}}} = \begin{{cases}} " + r" \\ ".join(rows) + r" \end{cases}" + held

    def pretty(self):
        return sympy.pretty(self.expr)

    @property
    def python_source(self):
        """A ``def`` with plain loops (``sum(... for i in range(...))``), ``math`` only: it
        takes lists or numpy arrays; the data it reads is written in it as lists."""
        data = self.constants
        names = {n for n, _ in data}
        lengths = [k for _, k in self.signature if k is not None] + list(self.out_shape)
        indices = [self.index, self.column] + [lim[0] for r in sympy.sympify(self.expr).atoms(*indexing.KINDS)
                                               for lim in r.limits]
        given = {str(s) for k in lengths for s in sympy.sympify(k).free_symbols} | {str(i) for i in indices} | {"math"}
        clash = sorted(names & given)
        if clash:
            raise NotImplementedError(f"{self.name} reads data called {clash[0]}, a name python_source "
                                      "gives a length or an index; rename the array")
        if sum(array.size for _, array in data) > source_code.MAX_WRITTEN_DATA:
            raise NotImplementedError(f"{self.name} reads data ({', '.join(n for n, _ in data)}) of more "
                                      f"than {source_code.MAX_WRITTEN_DATA:,} numbers, which python_source "
                                      "does not write out; pass it as an argument")
        if self.index is None:
            return source_code.open_source(self.name, self.signature, self.outputs, steps=self.steps, data=data, defaults=self.defaults,
                                           needs=self.needs)
        if self.column is not None:
            rows, cols, cells = self.cells()
            least = _least((self.out_shape[0], rows), (self.out_shape[1], cols))
            return source_code.open_source(self.name, self.signature, (None,) + tuple(self.out_shape), self.index,
                                           cells, self.steps, self.column, least, data=data,
                                           defaults=self.defaults, needs=self.needs)
        minimum, pieces = self.cases()
        return source_code.open_source(self.name, self.signature, (None, self.out_shape[0]), self.index, pieces,
                                       self.steps, least=_least((self.out_shape[0], minimum)), data=data,
                                       defaults=self.defaults, needs=self.needs)


def _shape_text(length):
    return ", ".join(map(str, length)) if isinstance(length, tuple) else str(length)


def _shape_latex(length):
    return r" \times ".join(map(sympy.latex, length)) if isinstance(length, tuple) else sympy.latex(length)


def _least(*pairs):
    """``(length Symbol, least value)`` of the cases' minimums above 1: the written cases hold
    from there (a call below computes the formula written out; the printed code refuses)."""
    return tuple(p for length, minimum in pairs for p in indexing.least_pairs(length, minimum))
