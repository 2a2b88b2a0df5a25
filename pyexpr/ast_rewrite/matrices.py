"""numpy's functions of whole matrices in a formula: ``np.outer``, ``np.trace`` and the
reductions along one axis (``np.sum(A, axis=0)``, ``A.mean(axis=1)``).

A matrix of any shape is a ``sequences.Mat`` (rows, columns, element rule);
these make new ones, vectors (``Vec``) of sums over the other index, or sums,
so nothing is unrolled and the lowering sees the double sums it already
compiles.  An axis is a constant, as numpy's must be; an axis a value does
not have is refused as numpy's ``AxisError`` would be.
"""
import sympy

from . import sequences as seq
from .values import as_expr, error


def outer(ctx, node, a, b):
    """``np.outer(x, y)``: the matrix ``x[i]*y[k]`` (tuples give a tuple of rows)."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return tuple(tuple(as_expr(ctx, node, p) * as_expr(ctx, node, q) for q in b) for p in a)
    if not (seq.is_vec(a) and seq.is_vec(b)):
        raise error(ctx, node, "np.outer takes two vectors of any length (or two tuples of numbers)",
                    "annotate a vector parameter `x: pyexpr.Vector`")
    if a.stride is not None or b.stride is not None:
        raise error(ctx, node, "np.outer of a slice with a step is not supported yet")
    return seq.Mat(a.length, b.length, lambda i, k: a.at(i) * b.at(k))


def trace(ctx, node, mat):
    """``np.trace(A)`` of a square matrix: the sum of ``A[i, i]``."""
    if not seq.is_mat(mat):
        raise error(ctx, node, "np.trace takes a matrix", "annotate the argument `A: pyexpr.Matrix`")
    size = seq.same_length(ctx, node, [mat.rows, mat.cols])
    return seq.reduce(ctx, node, "sum", seq.Vec(size, lambda i: mat.at(i, i)))


def axis_of(ctx, node, visitor, positional):
    """The constant ``axis`` of a numpy reduction (keyword, or ``positional`` argument
    number), or None; other keywords are refused."""
    found = [kw for kw in node.keywords if kw.arg == "axis"]
    others = [kw.arg for kw in node.keywords if kw.arg != "axis"]
    if others:
        raise error(ctx, node, f"keyword argument {others[0]!r} is not supported here",
                    "a formula's reductions take only axis=")
    where = found[0].value if found else node.args[positional] if len(node.args) > positional else None
    if where is None:
        return None
    value = visitor.visit(where)
    if value is None or isinstance(value, sympy.Integer):
        return None if value is None else int(value)
    raise error(ctx, where, "axis must be a constant integer (or None)")


def along(ctx, node, kind, items, axis):
    """``kind`` ("sum", "prod" or "mean") of ``items`` along ``axis``: of a matrix a
    vector (axis 0: one per column, 1: one per row), of a vector or tuple the whole."""
    if seq.is_mat(items):
        if axis not in (0, 1, -1, -2):
            raise error(ctx, node, f"axis {axis} is out of bounds for a matrix")
        by_rows = axis in (1, -1)
        count, other = (items.cols, items.rows) if by_rows else (items.rows, items.cols)

        def each(k):
            line = seq.Vec(count, (lambda m: items.at(k, m)) if by_rows else (lambda m: items.at(m, k)))
            total = seq.reduce(ctx, node, "prod" if kind == "prod" else "sum", line)
            return total / count if kind == "mean" else total
        return seq.Vec(other, each)
    if axis not in (0, -1):
        raise error(ctx, node, f"axis {axis} is out of bounds for a vector")
    return None                                 # the caller's reduction of the whole
