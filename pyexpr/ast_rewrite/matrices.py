"""Matrices of any shape in a formula: their elements, rows and columns (``A[i, k]``,
``A[i]``, ``A[:, k]``), ``@``, and numpy's functions of whole matrices: ``np.outer``,
``np.trace`` and the reductions along one axis (``np.sum(A, axis=0)``, ``A.mean(axis=1)``).

A matrix of any shape is a ``sequences.Mat`` (rows, columns, element rule);
these make new ones, vectors (``Vec``) of sums over the other index, or sums,
so nothing is unrolled and the lowering sees the double sums it already
compiles.  An axis is a constant, as numpy's must be; an axis a value does
not have is refused as numpy's ``AxisError`` would be.
"""
import sympy

from . import needs, sequences as seq
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
    number), or None; other keywords than ``keepdims`` are refused."""
    found = [kw for kw in node.keywords if kw.arg == "axis"]
    others = [kw.arg for kw in node.keywords if kw.arg not in ("axis", "keepdims")]
    if others:
        raise error(ctx, node, f"keyword argument {others[0]!r} is not supported here",
                    "a formula's reductions take only axis= and keepdims=")
    where = found[0].value if found else node.args[positional] if len(node.args) > positional else None
    if where is None:
        return None
    value = visitor.visit(where)
    if value is None or isinstance(value, sympy.Integer):
        return None if value is None else int(value)
    raise error(ctx, where, "axis must be a constant integer (or None)")


def keeps_dims(ctx, node, visitor):
    """Whether a numpy reduction's ``keepdims`` is true (a constant)."""
    found = [kw.value for kw in node.keywords if kw.arg == "keepdims"]
    if not found:
        return False
    value = visitor.visit(found[0])
    if value not in (sympy.true, sympy.false, sympy.S.One, sympy.S.Zero):
        raise error(ctx, found[0], "keepdims must be True or False")
    return value in (sympy.true, sympy.S.One)


def along(ctx, node, kind, items, axis, keepdims=False):
    """``kind`` ("sum", "prod" or "mean") of ``items`` along ``axis``: of a matrix a
    vector (axis 0: one per column, 1: one per row; with ``keepdims`` a row or a column,
    which broadcasts as numpy's ``(1, n)`` and ``(m, 1)`` do), of a vector or tuple the whole."""
    items = seq.two_dimensional(items)
    if seq.is_mat(items):
        if axis not in (0, 1, -1, -2):
            raise error(ctx, node, f"axis {axis} is out of bounds for a matrix")
        by_rows = axis in (1, -1)
        count, other = (items.cols, items.rows) if by_rows else (items.rows, items.cols)

        def each(k):
            line = seq.Vec(count, (lambda m: items.at(k, m)) if by_rows else (lambda m: items.at(m, k)))
            total = seq.reduce(ctx, node, "prod" if kind == "prod" else "sum", line)
            return total / count if kind == "mean" else total
        return seq.Vec(other, each, axis=None if not keepdims else "column" if by_rows else "row")
    if keepdims:
        raise error(ctx, node, "keepdims=True is supported for a matrix's reductions along an axis")
    if axis not in (0, -1):
        raise error(ctx, node, f"axis {axis} is out of bounds for a vector")
    return None                                 # the caller's reduction of the whole


def mat_item(ctx, node, mat, index):
    """``A[i, k]``, ``A[i]``, ``A[i, :]``, ``A[:, k]``; a constant index counts from the end
    when negative."""
    parts = list(index) if isinstance(index, tuple) else [index]
    if len(parts) == 1:
        parts.append(slice(None))
    if len(parts) != 2:
        raise error(ctx, node, "a matrix takes two indices")

    def at(part, length):
        if isinstance(part, slice):
            if (part.start, part.stop, part.step) != (None, None, None):
                raise error(ctx, node, "slices of a matrix must be whole (:) so far")
            return None
        return length + part if isinstance(part, sympy.Integer) and part < 0 else part
    row, col = at(parts[0], mat.rows), at(parts[1], mat.cols)
    if row is not None and col is not None:
        value = mat.at(row, col)
        needs.note_needs(ctx, value)
        return value
    if row is not None:
        return seq.Vec(mat.cols, lambda k: mat.at(row, k))
    if col is not None:
        return seq.Vec(mat.rows, lambda k: mat.at(k, col))
    return mat


def matmul(ctx, node, a, b):
    """``A @ x``, ``x @ A``, ``A @ B`` and ``x @ y`` of matrices and vectors of any shape."""
    if any(seq.is_vec(v) and v.axis is not None for v in (a, b)):
        raise error(ctx, node, "@ of a vector with a new axis is not supported", "write A @ x, x @ A")
    if seq.is_mat(a) and seq.is_vec(b):
        seq.same_length(ctx, node, [a.cols, b.length])
        return seq.Vec(a.rows, lambda i: seq.reduce(ctx, node, "sum", seq.elementwise(
            ctx, node, lambda p, q: p * q, (seq.Vec(a.cols, lambda k: a.at(i, k)), b))))
    if seq.is_vec(a) and seq.is_mat(b):
        return matmul(ctx, node, b.T, a)
    if seq.is_mat(a) and seq.is_mat(b):
        seq.same_length(ctx, node, [a.cols, b.rows])
        return seq.Mat(a.rows, b.cols, lambda i, k: seq.reduce(ctx, node, "sum", seq.Vec(
            a.cols, lambda m: a.at(i, m) * b.at(m, k))))
    if seq.is_vec(a) and seq.is_vec(b):
        return seq.reduce(ctx, node, "sum", seq.elementwise(ctx, node, lambda p, q: p * q, (a, b)))
    raise error(ctx, node, "@ is supported between vectors and matrices",
                "write the sums out with sum(...) for anything else")


def matrix_sum(ctx, node, mat):
    """``np.sum(A)``: the sum over both indices."""
    return matrix_total(ctx, node, "sum", mat)


def matrix_total(ctx, node, kind, mat):
    """``np.sum(A)`` or ``np.prod(A)`` (``kind``): over both indices."""
    return seq.reduce(ctx, node, kind, seq.Vec(mat.rows, lambda i: seq.reduce(
        ctx, node, kind, seq.Vec(mat.cols, lambda k: mat.at(i, k)))))
