"""Vector parameters and their lengths: fixed by the code, or open (``OPEN``).

A parameter is a vector when the function unpacks it (``a, b, c = y``), indexes or
slices it, takes its ``len``, iterates over it or hands it to ``zip``,
``enumerate``, ``sum``, ``np.sum`` and the like.  Its length is fixed by the code
when the function unpacks it (the number of names) or indexes it only with
non-negative constants (the largest index plus one); it is then a tuple of real
Symbols ``y_0, y_1, ...`` that the translator indexes, slices, unpacks and
iterates like any tuple, every loop over it unrolled.  Any other vector's
length is ``OPEN``: the translator makes it a ``sequences.Vec``, one formula
for every length, its loops and reductions kept as sums.  A local computed
elementwise from parameters (``z = x - 1.0``) is read through: ``np.sum(z**2)``
or ``z[0]`` use ``x`` as a vector (``_Names``).
"""
import ast

#: callables that take a whole sequence: a parameter handed to one is a vector
_SEQUENCE_CALLS = {"len", "zip", "enumerate", "sum", "tuple", "list", "sorted", "reversed",
                   "fsum", "prod", "dot", "inner", "mean", "fmean", "concatenate", "hstack", "append",
                   "diff", "norm", "var", "std", "cumsum", "outer", "roll", "logsumexp", "count_nonzero"}
#: attributes of numpy arrays a formula reads (methods and sizes)
_ARRAY_ATTRIBUTES = {"sum", "mean", "prod", "dot", "var", "std", "max", "min", "copy", "size", "shape"}
#: callables that reduce a sequence given alone: max(x), np.min(x)
_REDUCING = {"max", "min", "amax", "amin", "nanmax", "nanmin"}
#: callables that make one number of a whole sequence (without ``axis=``)
_SCALAR_CALLS = {"len", "sum", "fsum", "prod", "mean", "fmean", "norm", "var", "std", "logsumexp",
                 "count_nonzero"} | _REDUCING
#: new arrays of another's length: its values are not read
_LIKE = {"zeros_like", "ones_like", "empty_like", "full_like"}
#: the length of a vector the code does not fix
OPEN = "open"
#: a use that makes a parameter a vector unless another operand of the same call is one
_WEAK = "weak"
#: with a part's number, a weak use within one part of a concatenation: its own group
_PART = "part"
#: a matrix of any shape (indexed with two indices)
MATRIX = "matrix"


def lengths(source, is_data=lambda name: False, annotated=(), pinned=None):
    """``{parameter name: length}`` for the parameters used as vectors; ``source.error``
    where a vector's length is not fixed by the code.  ``is_data(name)``: whether a free
    name is a data array (a vector beside which parameters broadcast); ``annotated``: the
    parameters annotated as matrices, beside which the others broadcast too; ``pinned``:
    ``{name: "vector" or "number"}`` of the annotated parameters."""
    order = [a.arg for a in source.node.args.args]
    names = _Names(order, source.node, is_data)
    unpacked, indices, other, groups, matrices = {}, {}, {}, [], set()
    for node in ast.walk(source.node):
        weak = {}
        for name, use, where in _vector_uses(node, names):
            if use is MATRIX:
                matrices.add(name)
            elif use is _WEAK or isinstance(use, tuple):     # (a part of its own: _PART)
                weak.setdefault(use, []).append((name, where))
            elif isinstance(use, int) and isinstance(node, ast.Assign):
                unpacked.setdefault(name, {})[use] = node
            elif isinstance(use, int):
                indices.setdefault(name, []).append((use, where))
            else:
                other.setdefault(name, where)
        groups.extend(weak.values())
    strong = set(unpacked) | set(indices) | set(other) | set(annotated)
    # a parameter with a default is a number (a default is one), unless used as a vector
    defaulted = {a.arg for a in source.node.args.args[len(order) - len(source.node.args.defaults):]}
    compared = []
    for weak in groups:
        weak = [(name, where) for name, where in weak if name in strong or name not in defaulted]
        if weak and all(isinstance(where, _Compared) for _, where in weak):
            compared.append(weak)       # settled last: which of them is the vector
            continue
        weak = [(name, where) for name, where in weak if not isinstance(where, _Compared)]
        # np.sum((data - mu)/sigma): the operand used as a vector elsewhere is the vector,
        # the others broadcast; with none such, all of them are (np.sum(x**2)).  A vector
        # indexed with constants elsewhere is still whole here: of any length (x[0] + np.sum(x)).
        # Beside a vector the function unpacks (an array of its length), the others are
        # vectors too: read as numbers, a call's array would broadcast where numpy reduces.
        whole = not any(name in strong or name not in names for name, _ in weak) or \
            any(name in unpacked for name, _ in weak)
        for name, where in weak:
            if whole or name in strong:
                other.setdefault(name, where)
    for weak in compared:
        for name, where in _compared_vector(weak, strong | set(other), order, pinned):
            other.setdefault(name, where)
    used = set(unpacked) | set(indices) | set(other)
    return {name: MATRIX if name in matrices else
            _length(source, name, unpacked.get(name, {}), indices.get(name, []), other.get(name))
            for name in order if name in used | matrices}


def _compared_vector(weak, vectors, order, pinned):
    """Of the parameters a reduction only compares (np.sum(x > a), np.sum((x > lo) & (x <
    hi))), the vector: those that are vectors elsewhere or annotated so; else the first
    in the signature not annotated a number (scipy's f(x, *args)), the others thresholds."""
    pinned = pinned or {}
    names = [name for name, _ in weak if pinned.get(name) != "number"]
    known = [name for name in names if name in vectors or pinned.get(name) == "vector"]
    chosen = set(known) if known else {min(names, key=order.index)} if names else set()
    return [(name, where) for name, where in weak if name in chosen]


def _length(source, name, unpacked, indices, other):
    if len(unpacked) > 1:
        node = list(unpacked.values())[1]
        raise source.error(node, f"{name} is unpacked into {' and '.join(map(str, unpacked))} "
                           "names: a vector has one length", "unpack it once")
    if unpacked:
        return next(iter(unpacked))
    negative = [node for i, node in indices if i < 0]
    if other is None and not negative:
        return max(i for i, _ in indices) + 1
    return OPEN


def _vector_uses(node, names):
    """``(name, use, where)`` for each parameter ``node`` uses as a vector: ``use`` is the
    number of names it is unpacked into (an Assign), a constant index, or None;
    ``where`` the node an error points at.  A local computed elementwise from parameters
    (``z = x - 1.0``) used as a vector makes them weak uses (``_Names``)."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in names.values:
        # du[0] of du = np.zeros_like(u): u is an array, whatever else the code does with it
        for value in names.values[node.value.id]:
            if isinstance(value, ast.Call) and _callee(value.func) in _LIKE and value.args \
                    and _is_param(value.args[0], names):
                yield value.args[0].id, _WEAK, value.args[0]
    local = _local_subject(node, names)
    if local is not None:
        for found in names.expanded(local.id):
            yield found.id, _WEAK, found
    elif isinstance(node, ast.Assign) and _is_param(node.value, names):
        for target in node.targets:
            if isinstance(target, (ast.Tuple, ast.List)):
                starred = any(isinstance(e, ast.Starred) for e in target.elts)
                yield node.value.id, None if starred else len(target.elts), node.value
    elif isinstance(node, ast.Subscript) and _is_param(node.value, names) and any(
            map(is_new_axis, node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice])):
        yield node.value.id, None, node                 # x[:, None]: a vector given a new axis
    elif isinstance(node, ast.Subscript) and _is_param(node.value, names) \
            and isinstance(node.slice, ast.Tuple) and len(node.slice.elts) == 2:
        yield node.value.id, MATRIX, node
    elif isinstance(node, ast.Subscript) and _is_param(node.value, names):
        index = node.slice
        constant = isinstance(index, ast.Constant) and type(index.value) is int
        negative = isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub) \
            and isinstance(index.operand, ast.Constant) and type(index.operand.value) is int
        yield node.value.id, index.value if constant else (-index.operand.value if negative else None), node
    elif isinstance(node, (ast.For, ast.comprehension)) and _is_param(node.iter, names):
        yield node.iter.id, None, node.iter
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        for side in (node.left, node.right):          # both sides of @ are vectors or matrices
            for found in _elementwise_names(side, names):
                yield found.id, None if found is side else _WEAK, found
    elif isinstance(node, ast.Starred) and _is_param(node.value, names):
        yield node.value.id, None, node.value
    elif isinstance(node, ast.Call) and _callee(node.func) == "concatenate" and node.args \
            and isinstance(node.args[0], (ast.Tuple, ast.List)):
        # np.concatenate((a, x, b)): numpy concatenates arrays only, so a parameter there is one
        for k, part in enumerate(node.args[0].elts):
            # each part an array of its own: no broadcasting between them (np.sin(y) beside x)
            for found in _elementwise_names(part, names):
                yield found.id, None if found is part else (_PART, k), found
    elif isinstance(node, ast.Call) and _callee(node.func) in _SEQUENCE_CALLS:
        # np.sum(x**2) as much as len(x): a parameter in an elementwise expression given
        # as the sequence; not in a generator, tuple or subscript (sum(x*k for k in ...),
        # len((x, y)) and sum(x[i] for i in ...) take scalars)
        for arg in node.args:
            for found in _elementwise_names(arg, names):
                yield found.id, None if found is arg else _WEAK, found
    elif isinstance(node, ast.Attribute) and node.attr in _ARRAY_ATTRIBUTES:
        # x.sum(), x.size, (x**2).mean(): the receiver is an array
        for found in _elementwise_names(node.value, names):
            yield found.id, None if found is node.value else _WEAK, found
    elif isinstance(node, ast.Call) and _callee(node.func) in _REDUCING and len(node.args) == 1:
        # max(x), max(w * x) of one argument: a sequence (of two or more, numbers compared)
        for found in _elementwise_names(node.args[0], names):
            yield found.id, None if found is node.args[0] else _WEAK, found


#: calls whose result is an array whatever their arguments are: a number beside one broadcasts
_ARRAY_CALLS = {"outer", "cumsum", "diff", "concatenate", "hstack", "append", "arange", "roll"}


class _Array:
    """An operand that is an array by its form (``np.outer(...)``, ``A @ x``, ``A[:, 0]``):
    named by no parameter, so the parameters beside it may be numbers, as beside data."""
    id = ""

    def __init__(self, node):
        self.node = node


def _elementwise_names(node, names, inside=False):
    """The parameters (and data arrays) an elementwise expression reads as a whole.
    ``inside``: a local's value (``_Names.expanded``), whose locals are yielded by name and
    where a reduction such as ``np.sum(x**2)`` is a number, not a use of ``x`` beside the
    local's other operands."""
    if _is_param(node, names) or isinstance(node, ast.Name) and names.is_data(node.id):
        yield node
    elif isinstance(node, ast.Name) and node.id in names.values:
        yield from [node.id] if inside else names.expanded(node.id)
    elif inside and _reduces(node):
        return
    elif isinstance(node, ast.Call) and _callee(node.func) in _ARRAY_CALLS and _reads_arrays(node, names) or \
            isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult) or \
            isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Tuple):
        yield _Array(node)
    elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice) \
            and _is_param(node.value, names):
        yield node.value          # a slice is a vector: the other operands may broadcast
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "astype":
        yield from _elementwise_names(node.func.value, names, inside)     # (x > 0).astype(float)
    elif isinstance(node, ast.Compare):
        # numpy compares elementwise, but a parameter compared with a vector is its
        # threshold (np.where(x > a, x, 0.0)): a parameter here counts only where no
        # operand outside a comparison does (np.sum(x > 0), np.sum(x != x); ``lengths``)
        for child in ast.iter_child_nodes(node):
            yield from (_Compared(f) if _is_param(f, names) else f
                        for f in _elementwise_names(child, names, inside))
    elif isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Call)):
        for child in ast.iter_child_nodes(node):
            yield from _elementwise_names(child, names, inside)


class _Compared:
    """A parameter read in a comparison (``x > a``): a vector only where no operand of the
    same call is read outside one (``lengths``)."""

    def __init__(self, node):
        self.node, self.id = node, node.id

    def __getattr__(self, name):            # where an error points: the parameter's node
        return getattr(self.node, name)


def _reads_arrays(call, names):
    """Whether an array-making call reads parameters or data (``np.arange(1, len(x) + 1)``,
    of any length): an array of constants (``np.arange(3)``) is one of a fixed length,
    beside which a parameter is a vector of that length, as numpy would combine it --
    read as a number, the formula would broadcast a call's array where numpy reduces it."""
    return any(isinstance(n, ast.Name) and (n.id in names or names.is_data(n.id) or n.id in names.values)
               for n in ast.walk(call))


def is_new_axis(part):
    """Whether a subscript's part is ``None`` or ``np.newaxis`` (``x[:, None]``, ``x[None]``)."""
    return isinstance(part, ast.Constant) and part.value is None or \
        isinstance(part, ast.Attribute) and part.attr == "newaxis"


class _Names:
    """The parameters of a function, the data arrays beside them (``is_data``) and the
    values assigned to its other names: ``z = x - 1.0`` makes ``z`` a vector wherever
    ``x`` is one, so ``np.sum(z**2)`` and ``z[0]`` are uses of ``x`` as a vector."""

    def __init__(self, order, function, is_data):
        self.params, self.is_data, self.values, self._expanded = set(order), is_data, {}, {}
        for node in ast.walk(function):
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value is not None:
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    for name, value in _pairs(target, node.value):
                        if name.id not in self.params:
                            self.values.setdefault(name.id, []).append(value)

    def __contains__(self, name):
        return name in self.params

    def expanded(self, name):
        """The parameters and arrays the values of the local ``name`` read elementwise,
        through the locals they read (each once: ``a = x + x; b = a + a; ...`` is no
        longer to walk than it is to read)."""
        if name not in self._expanded:
            found, todo, visited = [], [name], {name}
            while todo:
                for value in self.values[todo.pop()]:
                    for item in _elementwise_names(value, self, inside=True):
                        if not isinstance(item, str):
                            found.append(item)
                        elif item not in visited:
                            visited.add(item)
                            todo.append(item)
            self._expanded[name] = found
        return self._expanded[name]


def _pairs(target, value):
    """The names an assignment binds and the values it gives them: ``u, v = y[:n], y[n:]``
    gives each name its own part."""
    if isinstance(target, ast.Name):
        return [(target, value)]
    if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)) \
            and len(target.elts) == len(value.elts) and not any(isinstance(e, ast.Starred) for e in value.elts):
        return [pair for t, v in zip(target.elts, value.elts) for pair in _pairs(t, v)]
    return []


def _local_subject(node, names):
    """The local name ``node`` uses as a vector: unpacked, indexed, sliced, iterated,
    starred or reduced alone (``max(z)``); None where there is none."""
    if isinstance(node, ast.Assign) and any(isinstance(t, (ast.Tuple, ast.List)) for t in node.targets) \
            or isinstance(node, (ast.Subscript, ast.Starred)):
        subject = node.value            # a, b = z unpacks; s = z only names it again
    elif isinstance(node, (ast.For, ast.comprehension)):
        subject = node.iter
    elif isinstance(node, ast.Call) and _callee(node.func) in _REDUCING and len(node.args) == 1:
        subject = node.args[0]
    else:
        return None
    return subject if isinstance(subject, ast.Name) and subject.id in names.values else None


def _reduces(node):
    """Whether ``node`` is a call that makes one number of a whole array (``np.sum(x**2)``),
    or a new array that reads only another's length (``np.zeros_like(y)``)."""
    if isinstance(node, ast.Call) and _callee(node.func) in _LIKE:
        return True
    if not isinstance(node, ast.Call) or node.keywords:
        return False
    if isinstance(node.func, ast.Attribute) and node.func.attr in _ARRAY_ATTRIBUTES and not node.args:
        return True                                                 # z.sum()
    return _callee(node.func) in _SCALAR_CALLS and len(node.args) == 1


def _is_param(node, names):
    return isinstance(node, ast.Name) and node.id in names


def _callee(func):
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def unpacks(source, name):
    """Whether the function unpacks the parameter ``name`` (``a, b, c = name``)."""
    return any(isinstance(node, ast.Assign) and _is_param(node.value, {name})
               and any(isinstance(t, (ast.Tuple, ast.List)) for t in node.targets)
               for node in ast.walk(source.node))
