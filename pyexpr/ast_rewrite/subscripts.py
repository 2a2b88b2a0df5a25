"""Indexing, slicing and the attributes of the values a formula holds: tuples (known at
decoration), vectors of any length (``x[i]``, ``x[1:]``, ``x[::2]``, ``x[:, None]``) and
matrices (``A[i, k]``, ``A[i]``, ``A[:, k]``), and an array's ``.T``, ``.shape``, ``.size``
and methods (``x.sum()``, a ``Callee``)."""
import ast

import sympy

from . import matrices, sequences as seq
from .scope import Callee
from .values import error, static_int
from .vectors import is_new_axis

#: numpy array methods a vector or matrix of any length has in a formula
METHODS = ("sum", "mean", "prod", "dot", "var", "std", "max", "min", "copy")


def attribute(ctx, node, base):
    """``x.sum()`` and the other methods (a Callee), ``x.size``, ``x.shape``, ``A.T``."""
    attr = node.attr
    if attr in METHODS or attr == "astype":         # astype of numbers, tuples and conditions too
        return Callee("method", attr, base)
    if attr == "T":
        return base.T if seq.is_mat(base) else seq.transposed(base)
    if attr == "size":
        return base.length if seq.is_vec(base) else base.rows * base.cols
    if attr == "shape":
        return seq.shape(base)
    raise error(ctx, node, f"arrays of any length in a formula have no attribute {attr!r}",
                f"use {', '.join('.' + m + '()' for m in METHODS)}, .T, .size or .shape")


def subscript(ctx, node, visit):
    """``node`` (a Subscript) of the value its ``value`` evaluates to (``visit``)."""
    items = seq.two_dimensional(visit(node.value))       # x[:, None][0] indexes a matrix
    if seq.is_vec(items):
        return _vector_subscript(ctx, node, items, visit)
    if seq.is_mat(items):
        return matrices.mat_item(ctx, node, items, _matrix_index(ctx, node.slice, visit))
    if not isinstance(items, tuple):
        raise error(ctx, node, "only tuples and vectors can be indexed in a formula")
    if isinstance(node.slice, ast.Slice):
        return items[slice(*(None if p is None else static_int(ctx, p, visit(p)) for p in _ends(node.slice)))]
    index = static_int(ctx, node.slice, visit(node.slice))
    if not -len(items) <= index < len(items):
        raise error(ctx, node, f"index {index} is out of range for a tuple of {len(items)}")
    return items[index]


def _ends(part):
    return part.lower, part.upper, part.step


def _slice_values(part, visit):
    return [None if p is None else visit(p) for p in _ends(part)]


def _matrix_index(ctx, index, visit):
    values = []
    for part in index.elts if isinstance(index, ast.Tuple) else [index]:
        if isinstance(part, ast.Slice):
            values.append(slice(*_slice_values(part, visit)))
            continue
        value = visit(part)
        if not (isinstance(value, sympy.Expr) and value.is_integer):
            raise error(ctx, part, "a matrix's index must be an integer")
        values.append(value)
    return tuple(values)


def _vector_subscript(ctx, node, vec, visit):
    parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    if any(is_new_axis(p) for p in parts):
        return _new_axis(ctx, node, vec, parts, visit)
    if isinstance(node.slice, ast.Slice):
        return seq.sliced(ctx, node, vec, *_slice_values(node.slice, visit))
    index = visit(node.slice)
    if not (isinstance(index, sympy.Expr) and index.is_integer):
        raise error(ctx, node.slice, "a vector's index must be an integer: a constant, "
                    "a loop counter, len(x) - 1, ...")
    return seq.item(ctx, node, vec, index)


def _new_axis(ctx, node, vec, parts, visit):
    """``x[:, None]`` (a column), ``x[None, :]`` or ``x[None]`` (a row), ``x[1:, None]``."""
    kinds = ["new" if is_new_axis(p) else "slice" if isinstance(p, ast.Slice) else "index" for p in parts]
    if kinds not in (["slice", "new"], ["new", "slice"], ["new"]):
        raise error(ctx, node, "a vector takes one new axis (None) beside one slice",
                    "write x[:, None] (a column) or x[None, :] (a row)")
    if "slice" in kinds:
        vec = seq.sliced(ctx, node, vec, *_slice_values(parts[kinds.index("slice")], visit))
    return seq.with_axis(ctx, node, vec, "column" if kinds[0] == "slice" else "row")
