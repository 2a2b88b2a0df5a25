"""The decorator ``jit`` and the direct constructor ``from_sympy``."""
import keyword
import sys

from .deferred import deferred, imported
from .errors import PyExprError, from_user
from .formula import Formula, check_options
from .interactive import follow_autoreload
from .isolation import building
from . import startup

# the front end, imported on first use (``front_end``)
sympy = deferred("sympy")
ast_rewrite, dag, deep, functions, open_vectors = (deferred(f"pyexpr.{m}") for m in
                                                   ("ast_rewrite", "dag", "deep", "functions", "open_vectors"))

#: the deepest nesting the front end makes room for (levels; about 0.25 GB of stack)
DEEPEST = 40_000


def jit(func=None, **options):
    """Turn a plain Python function into a ``Formula``.

    Use as ``@jit`` or ``@jit(dtype="float32", target="cuda", ...)``.  Options:
    ``target`` ("cpu" | "cuda"), ``dtype`` ("float64" | "float32"), ``simplify``
    ("canonical" | "full" | False), ``fastmath``, ``parallel``, ``cache``, ``stable``
    (the stability rewrites; ``f.rewrites`` lists those that fired).
    """
    full = check_options(options)
    if func is None:
        return lambda f: jit(f, **options)
    if isinstance(func, Formula):
        return _again(func, options)
    if not callable(func) or not hasattr(func, "__code__"):
        raise TypeError(f"jit() needs a Python function, not {type(func).__name__}")
    key = startup.source_key(func, full)
    fields = startup.load(key, func, full) if key is not None else None
    if fields is not None:                  # the symbolic side is read from the function as it is now
        snapshot = startup.frozen(func)
        kind = open_vectors.OpenFormula if fields["kind"] == "open" else Formula
        formula = kind.from_entry(fields, key, lambda: read_function(snapshot, options))
    else:                               # not in the disk cache: the front end reads it
        try:
            formula = read_function(func, options)
        except PyExprError as error:
            raise from_user(error)  # the user's line and pyexpr's message; PYEXPR_DEBUG=1 shows all
        formula._source_key = key
        if key is not None:
            formula._record()           # and again with its Program, when that is built
    formula.__wrapped__ = func
    formula.__module__ = getattr(func, "__module__", None)
    formula.__qualname__ = getattr(func, "__qualname__", formula.name)
    follow_autoreload()
    return formula


def _again(formula, options):
    """``formula`` with ``options`` changed."""
    with building():                # on an empty sympy cache: see ``isolation``
        if isinstance(formula, open_vectors.OpenFormula):
            f = formula
            return open_vectors.OpenFormula(f.name, f.args, f.written, f.out_shape, defaults=f.defaults,
                                            options={**f.options, **options}, signature=f.signature,
                                            index=f.index, needs=f.needs, constants=f.constants,
                                            exact=f.exact, steps=f.steps, column=f.column)
        return Formula(formula.name, formula.args, formula.written, formula.out_shape,
                       defaults=formula.defaults, options={**formula.options, **options},
                       signature=formula.signature)


def _parsed(func, simplify):
    """``parse_function`` of ``func``, given the room its formula's nesting needs.  sympy
    recurses once or more per level while the code builds its value (a loop of 10,000
    ``x = sin(x)`` is 10,000 levels), and that depth shows only as the code runs: a
    ``RecursionError`` runs it again with room for four times as many levels, so the
    tries cost at most a third more than the last."""
    depth = 0
    while True:
        try:
            return deep.run(ast_rewrite.parse_function, func, simplify, depth=depth)
        except RecursionError:
            if depth >= DEEPEST:
                raise PyExprError(f"{func.__name__}: the formula nests more than {DEEPEST:,} levels deep; "
                                  "split it into formulas that call each other") from None
            depth = min(max(4 * depth, 2500), DEEPEST)


def read_function(func, options):
    """The Formula of the Python function ``func``, by the front end."""
    front_end()
    with building():                # on an empty sympy cache: see ``isolation``
        parsed = _parsed(func, options.get("simplify", "canonical"))
        if any(isinstance(k, (sympy.Symbol, tuple)) for _, k in parsed.signature) or parsed.constants:
            return open_vectors.OpenFormula(parsed.name, parsed.args, parsed.outputs, parsed.out_shape,
                                            defaults=parsed.defaults, options=options, doc=parsed.doc,
                                            signature=parsed.signature, index=parsed.index,
                                            needs=parsed.needs, constants=parsed.constants,
                                            exact=parsed.exact, steps=parsed.steps, column=parsed.column)
        return Formula(parsed.name, parsed.args, parsed.outputs, parsed.out_shape,
                       defaults=parsed.defaults, options=options, doc=parsed.doc,
                       signature=parsed.signature)


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
    front_end()
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
    outputs = [dag.substitute(_expression(e, names, options), real) for e in items]
    free = dag.free_symbols(outputs) - set(real.values())
    if free:
        raise PyExprError(f"{name}: the expressions use symbols that are not arguments: "
                          + ", ".join(sorted(map(str, free))))
    with building():                # on an empty sympy cache: see ``isolation``
        return Formula(name, tuple(real.values()), outputs, shape, options=options)


def _expression(item, names, options):
    if isinstance(item, str):
        try:
            (expr,) = ast_rewrite.parse_text(item, names, options.get("simplify", "canonical"))
        except ValueError:
            raise PyExprError(f"from_sympy: the text {item!r} gives several values; give "
                              "one text per output") from None
        except PyExprError as error:
            raise from_user(error)
        return expr
    return functions.as_sympy(item)


#: what ``front_end`` imports
_FRONT_END = ("sympy", "pyexpr.ast_rewrite", "pyexpr.open_vectors")


def front_end():
    """Import sympy and the front end, if not yet done, while LLVM loads on a thread
    (``llvmcapi.start_preload``): a formula that is read is usually compiled next."""
    if _FRONT_END[-1] in sys.modules:
        return
    from .cpu.build import llvmcapi

    thread = llvmcapi.start_preload()
    try:
        for name in _FRONT_END:
            imported(name)
    finally:                            # no thread outlives these imports, even failed ones
        if thread is not None:
            thread.join()
