"""numpy's array constructors and arrangements in a formula: ``range``/``np.arange``,
``np.array``, ``np.zeros``/``ones``/``empty``/``full`` and their ``_like`` forms (of a fixed
length an Array, of a vector's length a Vec, either of which the function may then fill
item by item), ``np.roll`` and ``np.polyval``; ``SPECIAL`` names them for ``calls``."""
import ast

import sympy

from . import sequences as seq
from .arguments import items as _items, sequence_or_value as _sequence_or_value
from .values import as_expr, error, static_int


def _range(ctx, node, env, visitor, values=None):
    values = _items(ctx, node, env, visitor, (1, 2, 3)) if values is None else values
    if any(isinstance(v, sympy.Expr) and not v.is_number for v in values) \
            and all(isinstance(v, sympy.Expr) and v.is_integer for v in values):
        return seq.symbolic_range(ctx, node, values)
    bounds = [static_int(ctx, a, v) for a, v in zip(node.args, values)]
    return tuple(sympy.Integer(i) for i in range(*bounds))


def _arange(ctx, node, env, visitor):
    """``np.arange``: ``range``'s integers, an array (numpy's operators) where they are fixed;
    bounds and step that are whole numbers written as floats (``np.arange(1.0, len(x) + 1.0)``,
    ``dtype=float``) count the same, as numpy's floats."""
    floats = [kw for kw in node.keywords if kw.arg == "dtype" and is_float_type(kw.value)]
    if len(floats) != len(node.keywords):
        raise error(ctx, node, "np.arange takes its bounds, a step and dtype=float in a formula")
    if not 1 <= len(node.args) <= 3:
        raise error(ctx, node, "expected 1 or 2 or 3 argument(s)")
    values = [_sequence_or_value(ctx, a, env, visitor) for a in node.args]
    whole = [_whole(v) for v in values]
    if any(w is None for w in whole):
        raise error(ctx, node, "np.arange with a bound or step that is not a whole number has a length "
                    "rounding decides", "write np.arange(k)*step + start with a whole k")
    found = _range(ctx, node, env, visitor, whole)
    fixed = seq.Array if floats or whole != values else seq.IntArray
    return fixed(found) if isinstance(found, tuple) else found


def _whole(value):
    """``value`` with its floats that are whole numbers as integers (``len(x) + 1.0`` as
    ``n + 1``); None where one is not whole; other values as they are."""
    if not isinstance(value, sympy.Expr):
        return value
    floats = value.atoms(sympy.Float)
    if any(not float(f).is_integer() for f in floats):
        return None
    return value.xreplace({f: sympy.Integer(int(f)) for f in floats}) if floats else value


def _array(ctx, node, env, visitor):
    """``np.array([...])`` of numbers or expressions: an Array (its length fixed); of rows of
    numbers, or of more numbers than ``DATA_MIN``, data as a module-level array is, named by
    the local it is assigned to."""
    import numpy as np
    if len(node.args) != 1 or any(kw.arg != "dtype" or not is_float_type(kw.value) for kw in node.keywords):
        raise error(ctx, node, "np.array takes one list (and dtype=float) in a formula",
                    "write np.array([a, b, c]) or np.array([[1.0, 2.0], [3.0, 4.0]])")
    value = _sequence_or_value(ctx, node.args[0], env, visitor)
    if seq.is_vec(value):               # a copy (its items may be assigned: not the argument's)
        return seq.Vec(value.length, value.at, value.start, value.stride, value.axis)
    if not isinstance(value, tuple):
        return value                    # a matrix or a number is an array already
    rows = [v for v in value if isinstance(v, tuple)]
    numbers = all(isinstance(v, sympy.Number) for row in (rows or [value]) for v in row)
    if rows and (len(rows) < len(value) or len({len(r) for r in rows}) > 1 or not numbers):
        raise error(ctx, node, "np.array of rows takes rows of numbers of one length",
                    "write the rows' expressions as arrays of their own")
    if numbers and (rows or len(value) > seq.DATA_MIN):
        array = np.array([[float(v) for v in r] for r in rows] if rows else [float(v) for v in value])
        return seq.data(ctx, node, _assigned_name(ctx, node), array)
    integers = not node.keywords and all(isinstance(v, sympy.Integer) for v in value)
    return (seq.IntArray if integers else seq.Array)(as_expr(ctx, node, v) for v in value)


def _filled(fill, like=False):
    """``np.zeros(3)``, ``np.ones``, ``np.empty`` (nan: numpy leaves it unset), ``np.full(3,
    v)``, and their ``_like`` forms: an Array of a length fixed at decoration, whose items
    the function may then assign (``dy[0] = ...``)."""
    def filled(ctx, node, env, visitor):
        count = 2 if fill is None else 1
        if len(node.args) != count or any(kw.arg != "dtype" or not is_float_type(kw.value) for kw in node.keywords):
            raise error(ctx, node, f"expected {count} argument(s) (and dtype=float)")
        shape = visitor.visit(node.args[0])
        value = visitor.visit(node.args[1]) if fill is None else fill
        integer = isinstance(value, sympy.Integer) and not node.keywords
        if like:
            if seq.is_vec(shape) and shape.axis is None:
                return seq.Vec(shape.length, lambda k: value)
            if seq.is_array(shape):
                raise error(ctx, node, "an array like a matrix is not supported yet",
                            "compute its elements elementwise, e.g. 0*A + value")
            if isinstance(shape, seq.IntArray) and fill is None and not integer:
                raise error(ctx, node, "an array like an integer array holds integers: numpy would "
                            "truncate the value", "pass dtype=float")
            if not isinstance(shape, tuple):
                return value
            integer = isinstance(shape, seq.IntArray) and not node.keywords
            return (seq.IntArray if integer else seq.Array)([value] * len(shape))
        if isinstance(shape, tuple) and len(shape) == 1:
            shape = shape[0]
        if isinstance(shape, sympy.Expr) and not shape.is_number:
            if not _is_length(ctx, shape):
                raise error(ctx, node, "an array's length must be a constant or a vector's length "
                            "(len(x), len(x) - 1)", "write np.zeros(len(x)) or np.zeros_like(x)")
            return seq.Vec(shape, lambda k: value)
        kind = seq.IntArray if fill is None and integer else seq.Array     # np.full(3, 2): integers
        return kind([value] * static_int(ctx, node.args[0], shape))
    return filled


def _is_length(ctx, expr):
    """Whether ``expr`` is a length: an integer plus whole multiples of vectors' lengths."""
    expr = sympy.expand(expr)
    for n in expr.free_symbols:
        if n not in ctx.lengths or not expr.coeff(n).is_Integer:
            return False
    return sympy.expand(expr - sum(expr.coeff(n) * n for n in expr.free_symbols)).is_Integer


def _polyval(ctx, node, env, visitor):
    """``np.polyval(c, x)``: Horner's rule over the coefficients, highest power first."""
    coefficients, x = _items(ctx, node, env, visitor, (2,))
    if not isinstance(coefficients, tuple) or not coefficients:
        raise error(ctx, node, "np.polyval takes its coefficients as a list or array of a fixed length")
    terms = [as_expr(ctx, node, c) for c in coefficients]

    def horner(value):
        total = terms[0]
        for c in terms[1:]:
            total = total * value + c
        return total
    return seq.elementwise(ctx, node, horner, (x,))


def _roll(ctx, node, env, visitor):
    """``np.roll(x, s)`` of a vector by a constant: numpy's ``concatenate((x[-s:], x[:-s]))``,
    the vector at least ``|s|`` long (as a read of ``x[-|s|]`` needs: shorter, numpy's
    roll would wrap around more than once)."""
    shift = [kw.value for kw in node.keywords if kw.arg == "shift"]
    if len(node.args) + len(shift) != 2 or any(kw.arg not in ("shift", "axis") for kw in node.keywords) \
            or any(kw.arg == "axis" and not _is_none_or_zero(kw.value) for kw in node.keywords):
        raise error(ctx, node, "np.roll takes a vector and a constant shift in a formula",
                    "write np.roll(x, 1)")
    items = visitor.visit(node.args[0])
    s = static_int(ctx, (node.args[1:] + shift)[0], visitor.visit((node.args[1:] + shift)[0]))
    if isinstance(items, tuple):
        k = -s % len(items) if items else 0
        return seq.Array(items[k:] + items[:k])
    if not seq.is_vec(items) or items.axis is not None:
        raise error(ctx, node, "np.roll of a matrix is not supported yet", "roll its rows or columns")
    if items.stride is not None or items.start != 0:
        raise error(ctx, node, "np.roll of a slice with a step is not supported yet", "roll the vector itself")
    if s == 0:
        return items
    seq.item(ctx, node, items, sympy.Integer(-abs(s)))
    cut = sympy.Integer(-s)
    return seq.concatenated(ctx, node, [seq.sliced(ctx, node, items, cut, None, None),
                                        seq.sliced(ctx, node, items, None, cut, None)])


def _is_none_or_zero(node):
    return isinstance(node, ast.Constant) and node.value in (None, 0) and node.value is not False


def is_float_type(node):
    return isinstance(node, ast.Name) and node.id == "float" or \
        isinstance(node, ast.Attribute) and node.attr in ("float64", "double", "float_")


def _assigned_name(ctx, node):
    """The local ``node``'s value is assigned to (``A = np.array(...)``), else a name of its line."""
    for statement in ast.walk(ctx.source.node):
        if isinstance(statement, ast.Assign) and statement.value is node \
                and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
            return statement.targets[0].id
    return f"array_{node.lineno}_{node.col_offset}"


SPECIAL = {"range": _range, "arange": _arange, "array": _array, "roll": _roll, "polyval": _polyval,
           "zeros": _filled(sympy.S.Zero), "ones": _filled(sympy.S.One), "empty": _filled(sympy.nan),
           "full": _filled(None), "zeros_like": _filled(sympy.S.Zero, True),
           "ones_like": _filled(sympy.S.One, True), "empty_like": _filled(sympy.nan, True),
           "full_like": _filled(None, True)}
