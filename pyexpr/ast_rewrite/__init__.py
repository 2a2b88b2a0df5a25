"""Front end: a decorated Python function -> sympy expressions.

``parse_function(func, simplify)`` captures the source (``source``), rejects
constructs outside the subset (``fence``), and translates the body by symbolic
execution (``translate``, ``evaluate``, ``calls``), resolving free names by
the objects they are bound to (``scope``, ``names``).  It returns a
``Parsed``: the function's name, its parameters as real sympy Symbols, their
numeric defaults, the output expressions and the output shape.

    >>> def f(x, y):
    ...     return x * y
    >>> parse_function(f).outputs          # doctest: +SKIP
    (x*y,)
"""
import math
import itertools
from dataclasses import dataclass

import numpy as np
import sympy
from sympy.core.parameters import evaluate as sympy_evaluate

from ..errors import PyExprError
from .. import annotations, indexing
from ..dag import without_ite
from ..functions import component_names, simplified
from . import fence, sequences, steps, vectors
from .evaluate import Context
from .values import as_expr
from .names import OWN, PRINTED, constant, is_number
from .scope import Scope
from .source import capture
from .translate import translate


@dataclass(frozen=True)
class Parsed:
    name: str
    args: tuple          # sympy Symbols (real=True), in parameter order
    defaults: dict       # parameter name -> sympy number
    outputs: tuple       # sympy expressions, flattened row-major
    out_shape: tuple
    doc: str
    signature: tuple = ()  # (parameter name, vector length or None), in parameter order
    index: object = None   # the index Symbol of a vector output of any length (out_shape (n,))
    needs: tuple = ()      # (vector name, least length its reads at fixed places need)
    constants: tuple = ()  # (name, numpy array): module-level data the formula reads
    exact: tuple = ()      # (length Symbol's name, the number data fixes it to)
    #: (length Symbol's name, modulus, residues, reasons): lengths the code runs at only
    #: modulo a step (``ast_rewrite.steps``)
    steps: tuple = ()
    column: object = None  # a matrix output's column index Symbol (out_shape (rows, cols))


def parse_function(func, simplify="canonical"):
    source = capture(func)
    fence.check(source)
    node = source.node
    ctx = Context(source, Scope.of(func))
    is_data = lambda name: sequences.is_data(ctx.scope.lookup(name))  # noqa: E731
    notes = getattr(func, "__annotations__", {})
    # a matrix annotated as one is an array beside which the other operands broadcast (a
    # vector so annotated leaves its partners as they are: (x - mu) @ P keeps x a vector)
    annotated = [a.arg for a in node.args.args if annotations.pinned(notes.get(a.arg)) == vectors.MATRIX]
    pinned = {a.arg: "number" if pin == annotations.NUMBER else "vector" for a in node.args.args
              if (pin := annotations.pinned(notes.get(a.arg))) is not None}
    sizes = _open_lengths(source, _pinned(source, func, vectors.lengths(source, is_data, annotated, pinned)))
    params = tuple(_parameter(source, a.arg, sizes.get(a.arg), ctx) for a in node.args.args)
    defaults = _defaults(source, func, params)
    index = column = None
    with sympy_evaluate(simplify is not False):
        value = translate(source, ctx.scope, params, ctx)
        if sequences.is_vec(value) and value.axis is not None:     # numpy's (n, 1) or (1, n)
            value = sequences.as_matrix(value)
        if sequences.is_vec(value):
            outputs, shape, index = _vector_output(ctx, node, value)
        elif sequences.is_mat(value):
            outputs, shape, index, column = _matrix_output(ctx, node, value)
        else:
            outputs, shape = _flatten(ctx, node, value)
    if ctx.exact:                           # lengths the data fixes: numbers in the formula
        fixed = {s: v for s, v in ctx.exact.items()}
        outputs = tuple(o.xreplace(ctx.equal).xreplace(fixed) for o in outputs)
        shape = tuple(sympy.sympify(s).xreplace(ctx.equal).xreplace(fixed) for s in shape)
    if ctx.equal:
        outputs = tuple(o.xreplace(ctx.equal) for o in outputs)
        shape = tuple(sympy.sympify(s).xreplace(ctx.equal) for s in shape)
        sizes = {k: v.xreplace(ctx.equal) if isinstance(v, sympy.Basic) else
                 tuple(d.xreplace(ctx.equal) for d in v) if isinstance(v, tuple) else v
                 for k, v in sizes.items()}
    if simplify == "full":
        outputs = tuple(simplified(o) for o in outputs)
    outputs = tuple(without_ite(o) for o in outputs)
    name = func.__name__ if func.__name__ != "<lambda>" else "f"
    flat = tuple(s for p in params for s in (p if isinstance(p, tuple) else (p,)))
    flat = tuple(indexing.vector(n) if isinstance(s, (sequences.Vec, sequences.Mat)) else s
                 for s, n in zip(flat, _names(node, params)))
    signature = tuple((a.arg, sizes.get(a.arg)) for a in node.args.args)
    constants = tuple((label, array) for label, (_, array) in ctx.constants.items())
    return Parsed(name, flat, defaults, outputs, shape, func.__doc__ or "", signature, index,
                  tuple(sorted(ctx.needs.items())), constants,
                  tuple((str(s), int(v)) for s, v in ctx.exact.items()), _steps(ctx, node), column)


def _steps(ctx, node):
    """``Parsed.steps`` of the conditions ``ctx.steps`` holds; one on a length that data
    fixes is checked here."""
    found = []
    for n, (modulus, residues, why) in ctx.steps.items():
        n = n.xreplace(ctx.equal)
        value = n.xreplace(ctx.exact)
        if value.is_Integer:
            if int(value) % modulus not in residues:
                raise ctx.source.error(node, f"the code runs only where {steps.condition_text(n, modulus, residues)}, "
                                       f"and data fixes {n} to {value}")
            continue
        found.append((str(n), modulus, tuple(sorted(residues)), tuple(dict.fromkeys(reason for _, _, reason in why))))
    return tuple(found)


def _names(node, params):
    """The parameter name behind each entry of the flattened parameters."""
    return [a.arg for a, p in zip(node.args.args, params) for _ in (p if isinstance(p, tuple) else (p,))]


def _pinned(source, func, sizes):
    """``sizes`` with the parameters annotated ``pyexpr.Vector`` or ``Vector[k]`` pinned, and
    those annotated ``float`` numbers."""
    sizes = dict(sizes)
    for a in source.node.args.args:
        pin = annotations.pinned(getattr(func, "__annotations__", {}).get(a.arg))
        if pin is None:
            continue
        if pin == annotations.NUMBER:       # beside data or arrays of a fixed length: broadcast
            sizes.pop(a.arg, None)
            continue
        found = sizes.get(a.arg, pin)
        # constant indices (x[0]) leave a vector's length open; unpacking fixes it
        fixed = found != vectors.OPEN and (pin != vectors.OPEN or vectors.unpacks(source, a.arg))
        if found != pin and fixed and pin != vectors.MATRIX:
            raise source.error(a, f"{a.arg} is annotated {'Vector' if pin == vectors.OPEN else f'Vector[{pin}]'}"
                               f" but the code fixes its length to {found}", "make them agree")
        sizes[a.arg] = pin
    return sizes


def _open_lengths(source, sizes):
    """``sizes`` with each open length a Symbol: ``n`` for a single vector, else ``n_x``."""
    taken = {a.arg for a in source.node.args.args}
    opened = [name for name, k in sizes.items() if k in (vectors.OPEN, vectors.MATRIX)]
    alone = len(opened) == 1 and not {"m", "n"} & taken

    def symbol(name, k):
        if k == vectors.MATRIX:
            return tuple(indexing.length_symbol(s if alone else f"{s}_{name}") for s in "mn")
        return indexing.length_symbol("n" if alone else f"n_{name}") if k == vectors.OPEN else k
    return {name: symbol(name, k) for name, k in sizes.items()}


def _vector_output(ctx, node, vec):
    """A returned vector of any length: its element at an index ``j``, and that index."""
    j = indexing.index_symbol("j")
    if "j" in ctx.param_names or sequences.sample(vec).has(j):
        j = indexing.fresh_index(vec.length, sequences.sample(vec), avoid=set(ctx.param_names))
    return (as_expr(ctx, node, vec.at(j)),), (vec.length,), j


def _matrix_output(ctx, node, mat):
    """A returned matrix of any shape: its element at ``(j, l)``, the shape and both indices."""
    sample = sympy.sympify(mat.at(sympy.Symbol("probe_r", integer=True), sympy.Symbol("probe_c", integer=True)))
    avoid = set(ctx.param_names)
    j, l = (indexing.index_symbol(n) for n in "jl")
    if {"j", "l"} & avoid or sample.has(j) or sample.has(l):
        j = indexing.fresh_index(sample, avoid=avoid | {"j", "l"})
        l = indexing.fresh_index(sample, j, avoid=avoid | {"j", "l"})
    return (as_expr(ctx, node, mat.at(j, l)),), (mat.rows, mat.cols), j, l


def _parameter(source, name, length, ctx):
    """A parameter's Symbol, a vector's tuple of Symbols ``name_0, name_1, ...``, or
    a vector of any length's ``Vec``."""
    if length is None:
        return sympy.Symbol(name, real=True)
    if isinstance(length, sympy.Symbol):
        base = indexing.vector(name)
        ctx.length_of[base] = length
        return sequences.Vec(length, lambda k: base[k])
    if isinstance(length, tuple):
        base = indexing.vector(name)
        ctx.shape_of[base] = length
        return sequences.Mat(*length, lambda i, k: base[i, k])
    taken = {a.arg for a in source.node.args.args}
    components = tuple(sympy.Symbol(c, real=True) for c in component_names(name, length))
    clash = [str(c) for c in components if str(c) in taken]
    if clash:
        raise source.error(source.node, f"the components of the vector {name} are named "
                           f"{name}_0, {name}_1, ...: another parameter is called {clash[0]}",
                           "rename that parameter")
    return sequences.Array(components)


def _defaults(source, func, params):
    values = func.__defaults__ or ()
    nodes = source.node.args.defaults
    named = params[len(params) - len(values):]
    result = {}
    for sym, value, node in zip(named, values, nodes):
        if isinstance(sym, (tuple, sequences.Vec, sequences.Mat)):
            raise source.error(node, "a vector parameter cannot have a default", "remove the default")
        if not is_number(value):
            raise source.error(node, f"the default of {sym} must be a number, not {value!r}",
                               "give a numeric default or none")
        # the number Python made of the default (2*np.pi is the float 6.283...), not the
        # symbol it equals: a default is passed to the compiled code as a float
        result[str(sym)] = constant(value) if isinstance(value, (bool, int, np.bool_, np.integer)) \
            or not math.isfinite(value) else sympy.Float(float(value))
    return result


def _flatten(ctx, node, value):
    """(outputs, out_shape) for a returned expression, tuple, or tuple of equal tuples."""
    if not isinstance(value, tuple):
        return (as_expr(ctx, node, value),), ()
    if value and all(isinstance(v, tuple) for v in value) and len({len(v) for v in value}) == 1:
        rows = [[as_expr(ctx, node, x) for x in row] for row in value]
        return tuple(x for row in rows for x in row), (len(rows), len(rows[0]))
    if not value:
        raise ctx.source.error(node, "the formula returns an empty tuple")
    return tuple(as_expr(ctx, node, v) for v in value), (len(value),)


def _warm_sympy():
    """Build and differentiate one small expression of real Symbols.

    sympy fills its assumption and evaluation caches on first use (about
    0.1 s); doing it while pyexpr is imported (which takes about a second for
    sympy anyway) makes the first decoration as quick as the later ones.
    """
    t = sympy.Dummy("t", real=True)
    sympy.diff(sympy.exp(-t**2 / 2 + 1) * sympy.sin(t) / (t + 1), t)


_warm_sympy()


def parse_text(text, params, simplify="canonical"):
    """The outputs of the Python expression ``text`` in the names ``params``, read by the
    same front end as a function (it is parsed, never run: strings reach no ``eval``)."""
    import keyword
    import linecache
    import types
    if not isinstance(text, str):
        raise TypeError(f"expected the text of an expression, not {type(text).__name__}")
    bad = [p for p in params if not p.isidentifier() or keyword.iskeyword(p)]
    if bad:
        raise PyExprError(f"argument names must be Python identifiers, not {', '.join(map(repr, bad))}")
    filename = f"<pyexpr text {next(_TEXTS)}>"
    source = f"lambda {', '.join(params)}: (\n{text}\n)\n"
    try:
        code = compile(source, filename, "eval", dont_inherit=True)
    except SyntaxError as exc:
        raise PyExprError(f"{text!r} is not a Python expression ({exc.msg})") from None
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        function = types.FunctionType(code.co_consts[0], dict(_TEXT_NAMES))
        return parse_function(function, simplify).outputs
    finally:
        linecache.cache.pop(filename, None)


_TEXTS = itertools.count()
#: the names a text may use: sympy's, as sympy.sympify reads them, pyexpr's C functions
#: sympy lacks (``fdim(x, y)``, ``fma(x, y, z)``, ...) and the other names pyexpr prints
#: (``expm1``, ``softplus``, ``erfcx``, ...)
_TEXT_NAMES = {**{k: v for k, v in vars(sympy).items() if not k.startswith("_")}, **OWN, **PRINTED}
