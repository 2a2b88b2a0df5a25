"""Calling an ``OpenFormula``: binding, checks, batches, and the compiled loops' run.

``call(formula, args, kwargs, out)`` takes a quick path for positional calls on numbers
and C-contiguous arrays of the dtype (what scipy's solvers pass), and otherwise binds the
arguments (defaults, keywords), routes dask and xarray arguments to ``lazy``, treats
extra trailing axes as a batch, checks each argument naming the formula and the argument
(a number where an array is given, which numpy would combine elementwise, is a
``TypeError`` with the annotation to write; a wrong shape, non-numbers, vectors that must
share a length and do not, a vector too short for the code's reads, a length the data
fixes: ``ValueError``/``TypeError``), and runs the formula's kernel; below the length its
cases hold for, the formula written out at that length (``OpenFormula.at_lengths``).
"""
from dataclasses import dataclass

import numpy as np

from . import calling
from .deferred import deferred
from .lazy import lazy_call
from .open_quick import head, quick, result_shape, threads

# only where a call needs the formula written out, or explains
sympy, steps = deferred("sympy"), deferred("pyexpr.ast_rewrite.steps")


@dataclass(frozen=True)
class CallForm:
    """What a call of an ``OpenFormula`` reads of its symbolic side, as plain values: a
    formula from the disk cache (``open_entry``) has these without sympy."""
    #: (parameter, None | a fixed length | its length's name | (its rows', columns' names))
    signature: tuple
    #: numbers; a vector output's length as its text
    out_shape: tuple
    #: a vector (or matrix) output: ``index is not None``; a matrix output
    rows: bool
    cols: bool
    #: how many outputs (of one point: a vector output's element has as many)
    outputs: int


def call_form(formula):
    """The ``CallForm`` of an ``OpenFormula`` made by the front end."""
    def length(k):
        return k if k is None or isinstance(k, int) else tuple(map(str, k)) if isinstance(k, tuple) else str(k)

    def size(d):
        return int(d) if isinstance(d, int) or getattr(d, "is_Integer", False) else str(d)
    return CallForm(tuple((n, length(k)) for n, k in formula.signature), tuple(map(size, formula.out_shape)),
                    formula.index is not None, formula.column is not None, len(formula.outputs))


def call(formula, args, kwargs, out):
    """``formula(*args, out=out, **kwargs)`` (see the module docstring)."""
    if out is None and (kwargs or len(args) < len(formula._call_form.signature)):
        # f(x=x0), f(x) of f(x, lam=0.1): made positional, for the quick path
        full = calling.positional(formula, args, kwargs)
        if full is not None:
            args, kwargs = full, {}
    if not kwargs and out is None:
        result = quick(formula, args)
        if result is not None:
            if "_fast_call_class" not in type(formula).__dict__:    # later calls come straight here
                formula._install_call(formula.kernel(), head(formula, _general))
            return result
    return _general(formula, args, kwargs, out)


def _general(formula, args, kwargs, out):
    """The call ``quick`` does not take: bound, checked, batched, or lazy."""
    result = lazy_call(formula, args, kwargs, out)         # dask and xarray arguments
    if result is not None:
        return result
    values = calling.bind(formula, args, kwargs, [n for n, _ in formula._call_form.signature])
    batch = _batch_shape(formula, values)
    if batch:
        return _batched(formula, values, batch, out)
    return _core_call(formula, values, out)


def _core_dims(length):
    return 0 if length is None else 2 if isinstance(length, tuple) else 1


def _batch_shape(formula, values):
    """The shape of the axes beyond each argument's own (a vector's one, a matrix's two,
    a number's none), broadcast together; () for a call of one point."""
    extra = []
    for (name, length), value in zip(formula._call_form.signature, values):
        try:
            shape = np.shape(value)
        except ValueError:                  # numpy's message would not name the formula
            raise TypeError(f"{formula.name}(): argument {name!r} is a ragged list (rows of "
                            f"different lengths), not an array") from None
        if length is None and shape:
            # numpy would combine an array here with the vectors elementwise; the formula
            # takes a number: refuse rather than give numpy's code another meaning
            raise TypeError(f"{formula.name}(): argument {name!r} is a number in this formula (the "
                            f"code uses it beside vectors only elementwise), not an array of "
                            f"shape {shape}; annotate it `{name}: pyexpr.Vector` if it is a vector")
        core = _core_dims(length)
        if len(shape) > core:
            extra.append(shape[core:])
    if not extra:
        return ()
    try:
        return np.broadcast_shapes(*extra)
    except ValueError:
        raise ValueError(f"{formula.name}(): the extra axes of the arguments, "
                         f"{' and '.join(map(str, extra))}, do not broadcast") from None


def _batched(formula, values, batch, out):
    """Extra trailing axes (solve_ivp's ``vectorized=True`` passes ``y`` of shape
    ``(n, k)``): the formula at each point of them, its result's axes first."""
    arrays = []
    for (name, length), value in zip(formula._call_form.signature, values):
        value = np.asarray(value)
        core = _core_dims(length)
        shape = value.shape[:core] + batch
        arrays.append(np.broadcast_to(value.reshape(value.shape[:core] + (1,) * (
            len(batch) - (value.ndim - core)) + value.shape[core:]), shape))
    results = None
    for point in np.ndindex(*batch):
        result = np.asarray(_core_call(formula, [a[(Ellipsis,) + point] for a in arrays], None))
        if results is None:
            results = np.empty(result.shape + batch, result.dtype)
        results[(Ellipsis,) + point] = result
    return _into(formula, out, results)


def _core_call(formula, values, out):
    dtype = np.dtype(formula.options["dtype"])
    scalars, vectors, lengths = [], [], {}
    for (name, length), value in zip(formula._call_form.signature, values):
        if length is None:
            scalars.append(scalar(formula, name, value))
            continue
        if isinstance(length, int):
            scalars.extend(fixed(formula, name, value, length))
            continue
        dims = length if isinstance(length, tuple) else (length,)
        array = vector(formula, name, value, dtype, len(dims))
        for symbol, size in zip(dims, array.shape):
            known = lengths.setdefault(symbol, (name, size))
            if known[1] != size and known[0] == name:
                raise ValueError(f"{formula.name}(): argument {name!r} must be square (the code uses its "
                                 f"rows and columns together), not of shape {np.shape(value)}")
            if known[1] != size:
                what = f"have the same length ({symbol})" if len(dims) == 1 and not any(
                    isinstance(k, tuple) for n, k in formula._call_form.signature if n == known[0]) \
                    else f"agree in {symbol}"
                raise ValueError(f"{formula.name}(): {known[0]!r} and {name!r} must {what}, "
                                 f"not {known[1]} and {size}")
        vectors.append(array)
    vectors += formula._data(dtype)
    for symbol, value in formula.exact:
        have = next((v[1] for k, v in lengths.items() if str(k) == symbol), value)
        if have != value:
            owner = next(v[0] for k, v in lengths.items() if str(k) == symbol)
            raise ValueError(f"{formula.name}(): argument {owner!r} must have length {value} (the "
                             f"code combines it with data of that length), not {have}")
    for symbol, modulus, residues, reasons in formula.steps:
        owner, have = next((v for k, v in lengths.items() if str(k) == symbol), (None, None))
        if owner is not None and have % modulus not in residues:
            # the vector whose own length it is (a matrix may share it as its columns)
            owner = next((n for n, k in formula._call_form.signature if str(k) == symbol), owner)
            raise ValueError(f"{formula.name}(): argument {owner!r} of length {have}: the code runs only "
                             f"where {steps.condition_text(f'len({owner})', modulus, residues)} "
                             f"({'; '.join(reasons)})")
    for name, need in formula.needs:
        have = len(values[[n for n, _ in formula._call_form.signature].index(name)])
        if have < need:
            # (an element read at a fixed place, a store there, or the max of a slice)
            raise ValueError(f"{formula.name}(): argument {name!r} of length {have} is too short: "
                             f"the code needs {need} element{'s' if need > 1 else ''} "
                             f"(it reads {name}[{need - 1}] or {name}[-{need}], or stores or takes a "
                             "maximum there)")
    sizes = [d for v in vectors for d in v.shape]
    if formula.program.below_minimum(sizes):
        return _fixed_call(formula, lengths, scalars, vectors, out)
    form = formula._call_form
    if form.rows:
        result = out_array(formula, out, result_shape(formula, sizes), dtype)
    else:
        result = np.empty(max(form.outputs, 1), dtype)
    failed = formula.kernel().run(np.array(scalars or [0.0], dtype), vectors, result, threads(formula))
    if failed is not None:
        raise _too_short(formula, failed, [d for v in vectors for d in v.shape])
    if form.rows:
        return result
    return _into(formula, out, dtype.type(result[0]) if form.out_shape == ()
                 else result.reshape(form.out_shape))


def _into(formula, out, result):
    """``result``, or ``out`` holding it where one is given (checked as ``out_array`` checks)."""
    if out is None:
        return result
    result = np.asarray(result)
    out_array(formula, out, result.shape, result.dtype)[...] = result
    return out


def _fixed_call(formula, lengths, scalars, vectors, out):
    """A vector output shorter than its cases need: the formula written out at that length."""
    formula._materialize()              # (a formula from the disk cache: its symbolic side)
    symbols = {str(s): s for _, k in formula.signature if k is not None and not isinstance(k, int)
               for s in (k if isinstance(k, tuple) else (k,))}
    sizes = {symbols[k]: v[1] for k, v in lengths.items()}
    shape = formula.out_shape if formula.index is None else \
        tuple(max(int(sympy.sympify(d).subs(sizes)), 0) for d in formula.out_shape[:2 if formula.column else 1]) \
        + tuple(formula.out_shape[2 if formula.column else 1:])
    if formula.index is not None and 0 in shape:       # no elements (x[1:] of an empty x): nothing to write out
        return _into(formula, out, np.empty(shape, formula.options["dtype"]))
    key = tuple(sorted((str(k), v) for k, v in sizes.items()))
    written = formula._fixed.get(key)
    if written is None:
        written = formula._fixed[key] = formula.at_lengths(sizes)
    arguments = iter(vectors[:len(vectors) - len(formula.constants)])   # the data is written out as numbers
    values, flat = iter(scalars), []
    for _, length in formula._call_form.signature:     # in the parameters' order, as at_lengths takes them
        if length is None or isinstance(length, int):
            flat += [next(values) for _ in range(1 if length is None else length)]
        else:
            flat += list(np.ravel(next(arguments)))
    result = np.asarray(written.call_args(*flat), dtype=formula.options["dtype"])
    if formula.index is None:
        return _into(formula, out, result[()] if formula.out_shape == () else result.reshape(shape))
    return _into(formula, out, result.reshape(shape))


def _too_short(formula, failed, sizes):
    from .ir.loops import reads
    load, lo, hi, i, c = reads(formula.program.stages[failed[0]], sizes)[failed[1]]
    name = formula.program.vector_names[load.vector]
    shape = tuple(sizes[slot] for _, _, slot in load.dims())
    where = "".join(
        f"[{min(ends)}]" if min(ends) == max(ends) else f"[{min(ends)}..{max(ends)}]"
        for ends in ({a * lo + off.value(sizes, i, c), a * (hi - 1) + off.value(sizes, i, c)}
                     for a, off, _ in load.dims()))
    size = shape[0] if len(shape) == 1 else "x".join(map(str, shape))
    return ValueError(f"{formula.name}(): argument {name!r} of {'length' if len(shape) == 1 else 'shape'} "
                      f"{size} is too short: {formula._text_signature()} reads {name}{where}")


def scalar(formula, name, value):
    array = _numbers(formula, name, value, np.float64, "is a number")
    if array.ndim != 0:
        raise TypeError(f"{formula.name}(): argument {name!r} is a number, not {type(value).__name__}")
    return float(array)


def _numbers(formula, name, value, dtype, should):
    """``value`` as an array of ``dtype``, its numbers read as an elementwise formula reads
    them (ints beyond int64 and Fractions as floats, an int too large for a float64 an
    ``OverflowError``); anything else (strings, Decimals) a ``TypeError`` saying the
    argument ``should`` be something else."""
    try:
        array = calling.real_objects(formula, name, np.asarray(value))
        odd = calling.not_real(array)
    except ValueError:                               # a ragged list
        array, odd = None, None
    if array is None or array.dtype.kind not in "biuf":      # strings and objects are no numbers
        held = f" of {odd}" if odd and odd != type(value).__name__ else ""
        raise TypeError(f"{formula.name}(): argument {name!r} {should}, not {type(value).__name__}{held}")
    return np.asarray(array, dtype=dtype)


def vector(formula, name, value, dtype, ndim=1):
    what = "a vector" if ndim == 1 else "a matrix"
    array = _numbers(formula, name, value, dtype, f"must be {what} of numbers")
    if array.ndim != ndim:
        raise ValueError(f"{formula.name}(): argument {name!r} must be {'one' if ndim == 1 else 'two'}-"
                         f"dimensional ({what} of any {'length' if ndim == 1 else 'shape'}), not of "
                         f"shape {array.shape}" + (f"; annotate it `{name}: float` if it is a number"
                                                   if array.ndim == 0 else ""))
    return np.ascontiguousarray(array)


def out_array(formula, out, shape, dtype):
    if out is None:
        return np.empty(shape, dtype)
    if not (isinstance(out, np.ndarray) and out.shape == shape and out.dtype == dtype
            and out.flags.c_contiguous):
        raise ValueError(f"{formula.name}(): out must be a contiguous {dtype} array of shape {shape}")
    return out


def fixed(formula, name, value, length):
    array = _numbers(formula, name, value, np.float64, "must be a vector of numbers")
    if array.shape != (length,):
        raise ValueError(f"{formula.name}(): argument {name!r} is a vector of {length} (the code "
                         f"fixes it), not of shape {array.shape}")
    return array.tolist()
