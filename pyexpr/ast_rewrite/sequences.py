"""Vectors of any length while the function body runs: ``Vec``.

A ``Vec`` is a length (a sympy integer expression in the vectors' length
Symbols) and a rule giving the element at an index.  A parameter ``x`` of
open length is ``Vec(n, k -> x[k])``; a slice, an elementwise operation, a
ufunc or a generator expression over one is a new ``Vec`` with a new rule,
so ``x[1:] - x[:-1]**2`` is ``Vec(n - 1, k -> x[k + 1] - x[k]**2)``:
nothing is unrolled.  Reducing one (``sum``, ``np.sum``, ``np.prod``,
``np.mean``, ``np.dot``, ``@``, a loop accumulating with ``+=``) makes a
sympy ``Sum``/``Product`` over an index, checked first to read every vector
inside its bounds (``x[i - 1]`` at ``i = 0`` is refused: Python would wrap
around to the last element).
"""
import ast

import sympy

from .. import indexing, lengths
from . import needs, steps
from .values import as_expr, error, evaluated, evaluated_indices, is_condition, merge


class Vec:
    """``start``: element ``k`` stands for the index ``k + start`` of the range it came
    from (``range(i + 1, n)``), which a sum over it keeps as its own index.  ``stride``:
    ``(a, s, b)`` for a slice with a step (``x[a:b:s]``): element ``k`` is the parent's
    ``a + s*k``, and a sum runs over the parent's indices ``a <= i < b`` with ``i - a`` a
    multiple of ``s``.  ``axis``: None for a one-dimensional array, ``"column"`` for numpy's
    ``(n, 1)`` (``x[:, None]``, ``keepdims=True`` along rows), ``"row"`` for ``(1, n)``, which
    broadcast against each other into a matrix."""
    __slots__ = ("length", "at", "start", "stride", "axis")

    def __init__(self, length, at, start=sympy.S.Zero, stride=None, axis=None):
        self.length, self.at, self.start, self.stride, self.axis = length, remembered(at), start, stride, axis

    @staticmethod
    def of(length, index, body, start=sympy.S.Zero, stride=None):
        """The Vec whose element ``index`` is ``body``."""
        return Vec(length, lambda k: replaced(body, index, k), start, stride)


def remembered(at):
    """``at`` computing each element once: a local used twice (``b = a + a``) reads its
    parts' elements twice, and a chain of such locals would double the work at each link."""
    if getattr(at, "remembered", False):
        return at
    found = {}

    def element(*index):
        try:
            return found[index]
        except KeyError:
            value = found[index] = at(*index)
            return value
        except TypeError:                   # an index that is no dictionary key
            return at(*index)
    element.remembered = True
    return element


def replaced(value, index, k):
    """``value`` (an expression, or a tuple of them) with ``index`` made ``k``."""
    if isinstance(value, tuple):
        return tuple(replaced(v, index, k) for v in value)
    return value.xreplace({index: k}) if isinstance(value, sympy.Basic) else value


def is_vec(value):
    return isinstance(value, Vec)


class Array(tuple):
    """A numpy array whose length the code fixes at decoration (module data of up to
    ``DATA_MIN`` elements, ``np.array([...])``, ``np.arange(4)``, a vector parameter the
    function unpacks): a tuple, unrolled, whose operators and functions are numpy's,
    element by element (a Python tuple's ``+`` joins, its ``*`` repeats)."""
    __slots__ = ()

    def __getitem__(self, index):
        found = tuple.__getitem__(self, index)
        return type(self)(found) if isinstance(index, slice) else found


class IntArray(Array):
    """An Array numpy holds as integers (``np.arange(3)``, ``np.array([1, 2])``, an integer
    module array): what is stored in it must be an integer (numpy would truncate)."""
    __slots__ = ()


def unrolled(ctx, vec):
    """The Array of ``vec``'s elements where its length is a number (written, or fixed by
    data or an Array it met), else None."""
    length = evaluated(vec.length.xreplace(ctx.equal).xreplace(ctx.exact)) if is_vec(vec) and vec.axis is None else None
    if length is None or not length.is_Integer:
        return None
    return Array(vec.at(sympy.Integer(k)) for k in range(int(length)))


def unrolled_short(ctx, vec):
    """``unrolled`` where the length is at most DATA_MIN: a maximum of a longer vector
    (of data's length) stays a reduction (``Max`` of 2,000 terms is quadratic to sympy,
    its derivative more so)."""
    found = unrolled(ctx, vec)
    return found if found is not None and len(found) <= DATA_MIN else None


def is_elementwise(value):
    """Whether operators on ``value`` act element by element: a vector, a matrix, an Array."""
    return isinstance(value, (Vec, Mat, Array))


def same_length(ctx, node, lengths):
    """The common length of ``lengths``; two parameters' lengths met in one elementwise
    operation are the same from then on (``ctx.equal``), the call checking it."""
    first = lengths[0]
    for other in lengths[1:]:
        a, b = (evaluated(x.xreplace(ctx.equal).xreplace(ctx.exact)) for x in (first, other))
        if a == b:
            continue
        diff = sympy.expand(a - b)
        symbols = [s for s in diff.free_symbols]
        if len(symbols) == 1 and symbols[0] in ctx.lengths and indexing.affine(diff, symbols[0]) \
                and abs(indexing.affine(diff, symbols[0])[0]) == 1:
            # a length met with data's (a number): the code fixes it, and the call checks it
            a_coef, c = indexing.affine(diff, symbols[0])
            ctx.exact[symbols[0]] = sympy.Integer(-c * a_coef)
            continue
        if len(symbols) == 2 and diff.is_Add and all(s in ctx.lengths for s in symbols) \
                and sympy.expand(diff.xreplace({symbols[1]: symbols[0]})) == 0:
            keep, drop = sorted(symbols, key=lambda s: ctx.lengths.index(s))
            for other, same in list(ctx.equal.items()):     # what stood for drop: keep now
                if same == drop:
                    ctx.equal[other] = keep
            ctx.equal[drop] = keep
            continue
        if _same_at_some_lengths(ctx, node, a, b):
            continue
        raise error(ctx, node, f"vectors of lengths {a} and {b} cannot be combined elementwise",
                    "slice them to the same length")
    return settled(ctx, first)


def _same_at_some_lengths(ctx, node, a, b):
    """Lengths with a division (``y[:len(y)//2]``, ``y[len(y)//2:]``) that agree only for
    some ``n % s``: the code runs only there, a condition each call checks."""
    order = needs.length_bounds(ctx, a, b) if lengths.rounded(sympy.Tuple(a, b)) else None
    agree = order and {r for r, (u, v) in enumerate(zip(order.values(a), order.values(b))) if u == v}
    if not agree:
        return False
    steps.require(ctx, node, order.n, order.period, agree, "numpy combines vectors only of the same length")
    return True


def settled(ctx, length):
    """``length`` as an integer multiple of its vector's length where the code's conditions
    on that length make it one (a concatenation's ``2*floor(n/2)`` is ``n`` for even ``n``)."""
    length = sympy.sympify(length)
    for n, (modulus, residues, _) in ctx.steps.items():
        if n in length.free_symbols:
            return lengths.affine_where(length, n, modulus, residues)
    return length


def elementwise(ctx, node, fn, values):
    """``fn`` of the elements, a Vec if any value is one (the others broadcast)."""
    if any(isinstance(v, Array) for v in values):
        return _fixed_elementwise(ctx, node, fn, values)
    vecs = [v for v in values if is_vec(v)]
    axes = {v.axis == "column" for v in vecs}
    if any(is_mat(v) for v in values) or len(axes) == 2:     # a column beside a row: a matrix
        return _mat_elementwise(ctx, node, fn, values)
    if not vecs:
        return fn(*values)
    if any(v.stride is not None for v in vecs):
        length, stride = steps.combined(ctx, node, vecs, same_length)
    else:
        length, stride = same_length(ctx, node, [v.length for v in vecs]), None
    axis = "column" if True in axes else "row" if any(v.axis == "row" for v in vecs) else None
    return Vec(length, lambda k: fn(*(v.at(k) if is_vec(v) else v for v in values)), stride=stride, axis=axis)


def _fixed_elementwise(ctx, node, fn, values):
    """``fn`` of Arrays element by element, numbers and arrays of one element broadcast
    (a Python tuple beside one is an array, as numpy reads it); a vector of any length
    beside one takes its length, which the call then checks."""
    if any(is_mat(v) or is_vec(v) and (v.axis is not None or v.stride is not None) for v in values):
        raise error(ctx, node, "an array of a length fixed in the code combines only with numbers "
                    "and vectors", "index it, or give the vectors their length as a parameter")
    sizes = {len(v) for v in values if isinstance(v, tuple) and len(v) != 1}
    if len(sizes) > 1:
        raise error(ctx, node, f"arrays of lengths {' and '.join(map(str, sorted(sizes)))} cannot "
                    "be combined elementwise", "slice them to the same length")
    vecs = [v for v in values if is_vec(v)]
    if not sizes and vecs:          # arrays of one element broadcast along a vector
        return elementwise(ctx, node, fn, [v[0] if isinstance(v, tuple) else v for v in values])
    size = sizes.pop() if sizes else 1
    if vecs:
        same_length(ctx, node, [v.length for v in vecs] + [sympy.Integer(size)])

    def item(v, i):
        if isinstance(v, tuple):
            return v[i if len(v) > 1 else 0]
        return v.at(sympy.Integer(i)) if is_vec(v) else v
    return Array(fn(*(item(v, i) for v in values)) for i in range(size))


def as_matrix(vec):
    """A Vec of numpy's two dimensions (``(n, 1)``, ``(1, n)``) as the Mat it is."""
    if vec.axis == "column":
        return Mat(vec.length, sympy.S.One, lambda i, k: vec.at(i))
    return Mat(sympy.S.One, vec.length, lambda i, k: vec.at(k))


def transposed(vec):
    """``.T`` of a Vec: numpy's ``(n, 1)`` and ``(1, n)`` swap, a one-dimensional one stays."""
    flipped = {"column": "row", "row": "column"}.get(vec.axis)
    return vec if flipped is None else Vec(vec.length, vec.at, vec.start, vec.stride, flipped)


def shape(value):
    """numpy's shape of a Vec (a new axis counted) or a Mat."""
    if is_mat(value):
        return value.rows, value.cols
    return {"column": (value.length, sympy.S.One), "row": (sympy.S.One, value.length)}.get(value.axis, (value.length,))


def two_dimensional(value):
    """A Vec with a new axis as the Mat it is (for what numpy does along its axes), anything
    else as it is."""
    return as_matrix(value) if is_vec(value) and value.axis is not None else value


def with_axis(ctx, node, vec, axis):
    """``x[:, None]`` (``axis`` "column") or ``x[None, :]`` ("row") of a one-dimensional ``vec``."""
    if vec.axis is not None or vec.stride is not None:
        raise error(ctx, node, "a new axis is supported on a one-dimensional vector without a step")
    return Vec(vec.length, vec.at, vec.start, axis=axis)


def item(ctx, node, vec, index):
    """``vec[index]``: a constant index counts from the end when negative."""
    if isinstance(index, sympy.Integer) and index < 0 or needs.counts_back(ctx, vec, index):
        index = evaluated(vec.length + index)
    value = vec.at(index)
    needs.note_needs(ctx, value)
    return value


def sliced(ctx, node, vec, lo, hi, step):
    if vec.axis is not None:
        raise error(ctx, node, "a slice of a vector with a new axis is not supported",
                    "slice it first: x[1:, None]")
    if step == -1 and lo is None and hi is None and vec.stride is None and vec.start == 0:
        return Vec(vec.length, lambda k: vec.at(evaluated(vec.length - 1 - k)))    # x[::-1]
    if step is not None and not (isinstance(step, sympy.Integer) and step >= 1):
        raise error(ctx, node, "a slice's step must be a positive constant (or x[::-1])",
                    "write the loop over range(len(x)) with the index you need")
    if step not in (None, 1) and vec.stride is not None:
        raise error(ctx, node, "a slice with a step of a slice with a step is not supported yet")
    lo, hi = (slice_end(ctx, node, vec, p, default) for p, default in ((lo, 0), (hi, vec.length)))
    if step in (None, 1):
        return Vec(evaluated(hi - lo), lambda k: vec.at(evaluated(k + lo)))
    if vec.start != 0 or vec.stride is not None:
        raise error(ctx, node, "a slice with a step of this vector is not supported yet",
                    "slice the parameter itself: x[::2]")
    return Vec(sympy.ceiling(evaluated(hi - lo) / step), lambda k: vec.at(evaluated(lo + step * k)),
               stride=(lo, step, hi))


def slice_end(ctx, node, vec, value, default):
    if value is None:
        return sympy.sympify(default)
    if isinstance(value, sympy.Expr) and not value.is_Integer:
        # len(x) - 2 as numpy reads it: the end counted from the vector's own length
        back = evaluated(value - vec.length)
        if back.is_Integer and back <= 0:
            # below that length Python counts it from the end again (x[:len(x) - 3] of two
            # elements is x[:-1]): the call needs the length where it is not negative
            needs.note_least(ctx, evaluated(vec.length + back), 0)
            return evaluated(vec.length + back)
    if isinstance(value, sympy.Expr) and lengths.rounded(value) and needs.divided_end(ctx, vec, value):
        return value                        # len(y) // 2
    if needs.moving(ctx, value):
        ctx.moving.append((value, node, "the slice end"))   # x[:i + 1]: checked where i's range is known
        return value
    if not (isinstance(value, sympy.Expr) and value.is_Integer):
        raise error(ctx, node, "a slice of a vector of any length needs constant bounds, its "
                    "length less a constant, or its length divided", "write x[1:], x[:-1], "
                    "x[2:len(x) - 2], x[:len(x) // 2] ...")
    return vec.length + value if value < 0 else value


def reduce(ctx, node, kind, vec):
    """``Sum`` (``Product``, ``Maximum``, ``Minimum``: ``kind`` "sum", "prod", "max", "min")
    of the elements of ``vec``."""
    if is_condition(sample(vec)):       # np.sum(x > 0): numpy counts the Trues
        truth = vec.at
        vec = Vec(vec.length, lambda k: as_expr(ctx, node, truth(k)), vec.start, vec.stride, vec.axis)
    if kind in ("max", "min"):
        needs.note_some(ctx, node, kind, vec)
    if vec.stride is not None:
        return steps.reduce(ctx, node, kind, vec, needs.check_reads, sample)
    index = indexing.fresh_index(vec.length, sample(vec), vec.start)
    body = vec.at(index)
    if isinstance(body, tuple):
        raise error(ctx, node, "cannot add up a vector of tuples")
    body = sympy.sympify(body)
    needs.check_reads(ctx, node, body, index, vec.length)
    # the range's own index: Sum(f(k), (k, i + 1, n - 1)), not Sum(f(k' + i + 1), (k', 0, n - i - 2))
    body = evaluated_indices(body.xreplace({index: index - vec.start})) if vec.start != 0 else body
    first, last = vec.start, evaluated(vec.start + vec.length - 1)
    if kind == "sum":
        return indexing.summed(body, index, first, last)
    return indexing.reduction(kind, body, (index, first, last))


def merged(ctx, node, cond, a, b):
    """``values.merge`` of the values of two paths, vectors of any length too (an array
    filled differently on each path): element by element."""
    if not (is_vec(a) or is_vec(b)):
        return merge(ctx, node, cond, a, b)
    if not (is_vec(a) and is_vec(b)) or a.axis or b.axis or a.stride or b.stride:
        raise error(ctx, node, "the branches give values of different shapes",
                    "give a vector of the same length on every path")
    length = same_length(ctx, node, [a.length, b.length])
    return Vec(length, lambda k: merge(ctx, node, cond, a.at(k), b.at(k)))


def sample(vec):
    probe = sympy.Symbol("probe", integer=True)
    value = vec.at(probe)
    return sympy.Tuple(*value) if isinstance(value, tuple) else sympy.sympify(value)


def concatenated(ctx, node, parts):
    """``np.concatenate(parts)`` of vectors and tuples: element ``k`` is a Piecewise
    over where ``k`` falls (the cases of a vector output: its first and last elements)."""
    pieces, start = [], sympy.S.Zero
    if any(is_vec(p) and p.stride is not None for p in parts):
        raise error(ctx, node, "np.concatenate of slices with a step is not supported yet",
                    "return the pieces from formulas of their own")
    if any(is_mat(p) or is_vec(p) and p.axis is not None for p in parts):
        raise error(ctx, node, "np.concatenate of matrices (or vectors with a new axis) is not supported yet",
                    "concatenate one-dimensional vectors")
    for part in parts:
        if is_vec(part):
            # x[1:] of no elements has none, not -1: the call needs the length where it is not
            # negative (numpy's concatenation would be longer than the formula's)
            needs.note_least(ctx, part.length, 0)
            pieces.append((start, part.length, part.at))
            start = settled(ctx, sympy.expand(start + part.length))
        elif isinstance(part, tuple):
            for item in part:
                pieces.append((start, sympy.S.One, lambda k, item=item: item))
                start = start + 1
        else:
            raise error(ctx, node, "np.concatenate takes a sequence of vectors and lists of numbers",
                        "write np.concatenate(([first], x[1:-1], [last]))")
    if not any(is_vec(p) for p in parts):
        return Array(item for part in parts for item in part)

    def at(k):
        branches = []
        for first, length, element in pieces:
            value = element(sympy.expand(k - first))
            if isinstance(value, tuple):
                raise error(ctx, node, "cannot concatenate vectors of tuples")
            branches.append((value, sympy.Lt(k, first + length)))
        branches[-1] = (branches[-1][0], sympy.true)
        return sympy.Piecewise(*branches)
    return Vec(start, at)


def symbolic_range(ctx, node, bounds):
    """``range(...)`` whose bounds are not all constants: a Vec of its integers."""
    step = bounds[2] if len(bounds) == 3 else sympy.S.One
    if not (isinstance(step, sympy.Integer) and step >= 1):
        raise error(ctx, node, "range() over a length takes a positive constant step",
                    "write range(0, len(x), 2)")
    lo, hi = (bounds[0], bounds[1]) if len(bounds) >= 2 else (sympy.S.Zero, bounds[0])
    for b in (lo, hi):
        if not (isinstance(b, sympy.Expr) and b.is_integer):
            raise error(ctx, node, "range() bounds must be integers known when the function is "
                        "decorated, or lengths of vectors (len(x) - 1)", "write range(N) with a constant "
                        "N, or range(len(x))")
    if step != 1:
        if not lo.is_Integer:
            raise error(ctx, node, "range() with a step over a length needs a constant start",
                        "write range(0, len(x), 2)")
        return Vec(sympy.ceiling(evaluated(hi - lo) / step), lambda k: evaluated(lo + step * k),
                   stride=(lo, step, hi))
    return Vec(evaluated(hi - lo), lambda k: evaluated(k + lo), evaluated(lo))


def loop_index(ctx, target, vec, taken):
    """The index Symbol of a loop over ``vec``: the loop variable's own name where it is
    a plain name no other value uses, else a fresh one."""
    avoid = {str(t) for t in taken}
    if isinstance(target, ast.Name) and target.id not in avoid and target.id not in ctx.param_names:
        name = target.id
        probe = indexing.index_symbol(name)
        if not sample(vec).has(probe):
            return probe
    return indexing.fresh_index(vec.length, sample(vec), avoid=avoid | set(ctx.param_names))


class Mat:
    """A matrix of any shape while the body runs: ``rows``, ``cols`` and the element
    ``at(i, k)``.  Indexing gives elements, rows and columns (Vecs); ``@`` gives the
    sums over the shared index; ``.T`` swaps the indices."""
    __slots__ = ("rows", "cols", "at")

    def __init__(self, rows, cols, at):
        self.rows, self.cols, self.at = rows, cols, remembered(at)

    @property
    def T(self):
        return Mat(self.cols, self.rows, lambda i, k: self.at(k, i))


def is_mat(value):
    return isinstance(value, Mat)


def is_array(value):
    """A vector or a matrix of any length."""
    return isinstance(value, (Vec, Mat))


def _mat_elementwise(ctx, node, fn, values):
    """``fn`` of the elements of matrices of one shape, a vector broadcast along the rows
    (its length the columns', as numpy broadcasts ``(n,)`` against ``(m, n)``), a column
    (``(m, 1)``) along the columns, numbers along both; a column beside a row alone is
    their outer matrix (``x[:, None] - y``)."""
    mats, vecs = [v for v in values if is_mat(v)], [v for v in values if is_vec(v)]
    if any(v.stride is not None for v in vecs):
        raise error(ctx, node, "a slice with a step cannot be combined with a matrix yet")
    columns = [v for v in vecs if v.axis == "column"]
    rows = same_length(ctx, node, [m.rows for m in mats] + [v.length for v in columns])
    cols = same_length(ctx, node, [m.cols for m in mats] + [v.length for v in vecs if v.axis != "column"])

    def at(i, k):
        return fn(*(v.at(i, k) if is_mat(v) else v.at(i) if is_vec(v) and v.axis == "column"
                    else v.at(k) if is_vec(v) else v for v in values))
    return Mat(rows, cols, at)


#: numpy arrays of more elements than this (or of two dimensions) are data: a vector (or
#: matrix) of constants read by index in loops; smaller ones are tuples, unrolled
DATA_MIN = 16


def is_data(obj):
    import numpy as np
    return isinstance(obj, np.ndarray) and (obj.ndim == 2 or obj.ndim == 1 and obj.size > DATA_MIN)


def data(ctx, node, name, array):
    """A module-level numpy array as data: a ``Vec`` (or ``Mat``) of its elements, read
    from the array the formula keeps, of the array's own length."""
    import numpy as np
    if array.dtype.kind not in "biuf":
        raise error(ctx, node, f"{name} is an array of {array.dtype}, not of numbers")
    label = name.rpartition(".")[2]
    if label in ctx.param_names:
        raise error(ctx, node, f"the data {name} and a parameter have the same name", "rename one")
    found = ctx.constants.get(label)
    if found is not None and found[1] is not array and not np.array_equal(found[1], array):
        raise error(ctx, node, f"two arrays are called {label}", "rename one")
    if found is None:
        found = ctx.constants[label] = (indexing.vector(label), array)
    base = found[0]
    if array.ndim == 2:
        rows, cols = (sympy.Integer(d) for d in array.shape)
        return Mat(rows, cols, lambda i, k: base[i, k])
    ctx.length_of[base] = sympy.Integer(array.size)
    return Vec(sympy.Integer(array.size), lambda k: base[k])
