"""The decorator ``jit`` and the direct constructor ``from_sympy``."""
import keyword

import sympy

from .ast_rewrite import parse_function, parse_text
from .errors import PyExprError, from_user
from .formula import Formula, check_options
from .functions import as_sympy, free_symbols, substitute
from .interactive import follow_autoreload
from .isolation import building
from .open_vectors import OpenFormula


def jit(func=None, **options):
    """Turn a plain Python function into a ``Formula``.

    Use as ``@jit`` or ``@jit(dtype="float32", target="cuda", ...)``.  Options:
    ``target`` ("cpu" | "cuda"), ``dtype`` ("float64" | "float32"), ``simplify``
    ("canonical" | "full" | False), ``fastmath``, ``parallel``, ``cache``, ``stable``
    (the stability rewrites; ``f.rewrites`` lists those that fired).
    """
    check_options(options)
    if func is None:
        return lambda f: jit(f, **options)
    with building():                # on an empty sympy cache: see ``isolation``
        if isinstance(func, OpenFormula):
            return OpenFormula(func.name, func.args, func.written, func.out_shape, defaults=func.defaults,
                               options={**func.options, **options}, signature=func.signature,
                               index=func.index, needs=func.needs, constants=func.constants,
                               exact=func.exact, steps=func.steps, column=func.column)
        if isinstance(func, Formula):
            return Formula(func.name, func.args, func.written, func.out_shape,
                           defaults=func.defaults, options={**func.options, **options},
                           signature=func.signature)
        if not callable(func) or not hasattr(func, "__code__"):
            raise TypeError(f"jit() needs a Python function, not {type(func).__name__}")
        try:
            parsed = parse_function(func, options.get("simplify", "canonical"))
        except PyExprError as error:
            raise from_user(error)  # the user's line and pyexpr's message; PYEXPR_DEBUG=1 shows all
        if any(isinstance(k, (sympy.Symbol, tuple)) for _, k in parsed.signature) or parsed.constants:
            formula = OpenFormula(parsed.name, parsed.args, parsed.outputs, parsed.out_shape,
                                  defaults=parsed.defaults, options=options, doc=parsed.doc,
                                  signature=parsed.signature, index=parsed.index, needs=parsed.needs,
                                  constants=parsed.constants, exact=parsed.exact, steps=parsed.steps,
                                  column=parsed.column)
        else:
            formula = Formula(parsed.name, parsed.args, parsed.outputs, parsed.out_shape,
                              defaults=parsed.defaults, options=options, doc=parsed.doc,
                              signature=parsed.signature)
        formula.__wrapped__ = func
        formula.__module__ = getattr(func, "__module__", None)
        formula.__qualname__ = getattr(func, "__qualname__", parsed.name)
        follow_autoreload()
        return formula


def from_sympy(exprs, args, name="f", **options):
    """A Formula from sympy expressions of the Symbols ``args``.

    ``exprs`` is one expression, a sequence (out_shape ``(m,)``) or a matrix
    (``(m, n)``).  Symbols that are not declared real are replaced by real
    Symbols of the same name, so derivatives of ``abs`` and friends stay real.
    An expression given as text is read by pyexpr's own front end, as a
    formula's source is: parsed, never run (``sympy.sympify`` would ``eval``
    it).  The name and the argument names must be Python identifiers: they
    become the formula's parameters and appear in generated code.
    """
    args = [sympy.Symbol(a, real=True) if isinstance(a, str) else a for a in args]
    for what in [name] + [getattr(a, "name", a) for a in args]:
        if not (isinstance(what, str) and what.isidentifier() and not keyword.iskeyword(what)):
            raise PyExprError(f"from_sympy: {what!r} is not a Python identifier; the formula's "
                              "name and its arguments' names must be (they are its parameters)")
    real = {a: a if a.is_real else sympy.Symbol(a.name, real=True) for a in args}
    if isinstance(exprs, sympy.MatrixBase):
        shape, items = exprs.shape, list(exprs)
    elif isinstance(exprs, (list, tuple, sympy.Tuple)):
        shape, items = (len(exprs),), list(exprs)
    else:
        shape, items = (), [exprs]
    names = [a.name for a in args]
    outputs = [substitute(_expression(e, names, options), real) for e in items]
    free = free_symbols(outputs) - set(real.values())
    if free:
        raise PyExprError(f"{name}: the expressions use symbols that are not arguments: "
                          + ", ".join(sorted(map(str, free))))
    with building():                # on an empty sympy cache: see ``isolation``
        return Formula(name, tuple(real.values()), outputs, shape, options=options)


def _expression(item, names, options):
    if isinstance(item, str):
        try:
            (expr,) = parse_text(item, names, options.get("simplify", "canonical"))
        except ValueError:
            raise PyExprError(f"from_sympy: the text {item!r} gives several values; give "
                              "one text per output") from None
        except PyExprError as error:
            raise from_user(error)
        return expr
    return as_sympy(item)
