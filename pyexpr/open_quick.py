"""The quick path of an ``OpenFormula``'s calls: what scipy's solvers pass, checked little.

``quick(formula, args)`` takes a positional call on numbers and C-contiguous arrays of
the formula's dtype (scipy's ``f(x)``, ``jac(x)``, ``hessp(x, p)``), checks only the
lengths the formula constrains, and runs the compiled loops through their one-thread
builtin entry (``cpu.loops``), or returns None for the general path (``open_calls``),
which binds, checks and explains.  ``head(formula, general)`` is the ``__call__``
installed after a first such call: the plan (``plan``: per parameter its kind, the
length checks, the data) and the runner (``runner``: the kernel and its entry) bound
in one function, so that a call on one vector costs a few attribute reads, one
allocation and the machine code's own call.
"""
from operator import itemgetter

import numpy as np

from . import calling


def quick(formula, args):
    """The result of a positional call on numbers and C-contiguous arrays of the dtype
    (what scipy's solvers pass), with no checks beyond those; None for any other call,
    which the general path then takes (and explains where it fails)."""
    plan = formula.__dict__.get("_plan")
    if plan is None:
        plan = formula._plan = _plan_of(formula)
    kinds, checks, dtype, threads, data, data_sizes, no_scalars, shape = plan
    if len(args) != len(kinds):
        return None
    scalars, vectors, sizes = [], [], []
    for kind, value in zip(kinds, args):
        if kind == 0:
            if type(value) not in (float, int, np.float64) \
                    or type(value) is int and not -2**63 <= value < 2**63:    # (the general path
                return None                                                    # says if too large)
            scalars.append(value)
        elif kind < 0:                  # a vector of the fixed length -kind: its components
            if type(value) is not np.ndarray or value.shape != (-kind,) or value.dtype != dtype:
                return None
            scalars.extend(value.tolist())
        elif type(value) is not np.ndarray or value.ndim != kind or value.dtype != dtype \
                or not value.flags.c_contiguous:
            return None
        else:
            vectors.append(value)
            sizes += value.shape
    if checks and not _lengths_ok(checks, sizes, data_sizes):
        return None
    runner = formula.__dict__.get("_runner")
    if runner is None:              # compiled here, where a call first needs it
        runner = formula._runner = _runner_of(formula, len(vectors) + len(data), threads, data_sizes)
    kernel, entry, below = runner
    scalars = np.array(scalars, dtype) if scalars else no_scalars
    result = np.empty(shape or result_shape(formula, sizes + data_sizes), dtype)
    # (max(..., default=0) costs 200 ns more)
    if entry is not None and (threads <= 1 or not sizes or max(sizes) < below):
        if entry(scalars, result, *vectors, *data):       # the machine code's own call
            return None
    elif kernel.run(scalars, [*vectors, *data], result, threads, sizes + data_sizes) is not None:
        return None
    if not shape:
        return result
    out_shape = formula._call_form.out_shape
    return result[0] if out_shape == () else result.reshape(out_shape)


def _lengths_ok(checks, sizes, data_sizes):
    """Whether the lengths ``sizes`` (then the data's) meet the plan's conditions: equal
    lengths, the fixed reads' least lengths, the lengths data fixes, the length
    conditions of stepped slices and the program's least lengths."""
    equal, needs, exact, steps, minimum = checks
    # plain loops: a generator in any() costs more than these few tests (this is scipy's call)
    for a, b in equal:
        if sizes[a] != sizes[b]:
            return False
    for v, k in needs:
        if sizes[v] < k:
            return False
    for v, k in exact:
        if sizes[v] != k:
            return False
    for v, m, r in steps:
        if sizes[v] % m not in r:
            return False
    sizes = sizes + data_sizes
    for v, k in minimum:
        if sizes[v] < k:
            return False
    return True


def head(formula, general):
    """The ``__call__`` installed after a first quick call: ``quick`` with the plan and
    the runner bound (one vector argument, scipy's ``f(x)``, with nothing looked up);
    ``general(formula, args, kwargs, out)`` takes every call it does not."""
    kinds, data, entry = formula._plan[0], formula._plan[4], formula._runner[1]
    if entry is None or data or not set(kinds) <= {0, 1} or 1 not in kinds:
        return staticmethod(lambda *args, out=None, **kwargs: _other(formula, general, args, kwargs, out))
    python = _vectors_head(formula, general) if kinds != (1,) else _vector_head(formula, general)
    machine = _machine_head(formula, python.__func__)
    return python if machine is None else machine


def _machine_head(formula, python):
    """The loop module's own head (``loopcall_ir.define_head``) where its checks are all a
    call needs: vectors of one length with a least one, a float or a vector of that
    length back; ``python`` (the bound path) takes what it declines."""
    kinds, checks, _, _, _, _, _, shape = formula._plan
    one, _, limit, same = _bound(formula)
    least, lengths_ok = _one_length(checks, kinds.count(1))
    result = 0 if one and shape == 1 else 1 if same else None
    if lengths_ok is not None or result is None:
        return None
    names, defaults = calling.positional_table(formula)
    return formula._runner[0].head(python, [len(kinds), least, min(limit, 1 << 62), result, *kinds],
                                   names, [defaults.get(n) for n in names])


def _vector_head(formula, general):
    """``head`` for one vector argument, scipy's ``f(x)``."""
    kinds, checks, dtype, _, _, _, no_scalars, shape = formula._plan
    entry = formula._runner[1]
    one, out_shape, limit, same = _bound(formula)
    least, lengths_ok = _least_length(checks)
    ndarray, empty = np.ndarray, np.empty

    def call(*args, out=None, **kwargs):
        if len(args) == 1 and out is None and not kwargs:
            x = args[0]
            if type(x) is ndarray and x.ndim == 1 and x.dtype is dtype and x.flags.c_contiguous \
                    and least <= x.shape[0] < limit and (lengths_ok is None or lengths_ok(x.shape)):
                result = empty(shape or (x.shape if same else result_shape(formula, x.shape)), dtype)
                if not entry(no_scalars, result, x):        # else: too short, said below
                    return result if not shape else result[0] if one else result.reshape(out_shape)
        return _other(formula, general, args, kwargs, out)
    return staticmethod(call)               # a class's __call__: not bound to the formula


def _other(formula, general, args, kwargs, out):
    """A call the bound path does not take: ``quick``, else the general path."""
    if out is None and (kwargs or len(args) < len(formula._call_form.signature)):
        # rosen(x=x0), rhs(t, y=y0), f(x) of f(x, lam=0.1): made positional, for the
        # installed head (a call it declines again comes back here with all its arguments)
        full = calling.positional(formula, args, kwargs)
        if full is not None:
            return formula(*full)
    if not kwargs and out is None:
        result = quick(formula, args)
        if result is not None:
            return result
    return general(formula, args, kwargs, out)


def _bound(formula):
    """(a single output, out_shape, the longest vector the one-thread entry takes, whether
    a vector output is as long as the first vector argument)."""
    n_threads, shape = formula._plan[3], formula._plan[7]
    limit = formula._runner[2] if n_threads > 1 else float("inf")   # longer: threads, by quick
    out_shape = formula._call_form.out_shape
    return out_shape == (), out_shape, limit, shape is None and _same_length(formula)


def _vectors_head(formula, general):
    """``head`` for numbers and vectors (``hessp(x, p)``, ``rhs(t, y)``), no data."""
    kinds, checks, dtype, _, _, _, no_scalars, shape = formula._plan
    entry = formula._runner[1]
    one, out_shape, limit, same = _bound(formula)
    vectors_of, scalars_of = (_picker(k for k, kind in enumerate(kinds) if kind == wanted) for wanted in (1, 0))
    n, m = len(kinds), kinds.count(1)
    least, lengths_ok = _one_length(checks, m)
    ndarray, empty = np.ndarray, np.empty

    def call(*args, out=None, **kwargs):
        if len(args) == n and out is None and not kwargs:
            vectors, sizes = vectors_of(args), []
            for v in vectors:
                if type(v) is not ndarray or v.ndim != 1 or v.dtype is not dtype or not v.flags.c_contiguous:
                    break
                sizes.append(v.shape[0])
            else:
                scalars = scalars_of(args)
                for value in scalars:
                    if type(value) is not float and type(value) is not np.float64:
                        break
                else:
                    if least <= sizes[0] < limit and (sizes.count(sizes[0]) == m if lengths_ok is None
                                                      else lengths_ok(sizes)):
                        result = empty(shape or (sizes[0] if same else result_shape(formula, sizes)), dtype)
                        if not entry(np.array(scalars, dtype) if scalars else no_scalars, result, *vectors):
                            return result if not shape else result[0] if one else result.reshape(out_shape)
        return _other(formula, general, args, kwargs, out)
    return staticmethod(call)


def _picker(positions):
    """A function of a tuple giving the tuple of its items at ``positions`` (C-level:
    a comprehension is a function call of its own)."""
    positions = tuple(positions)
    if len(positions) > 1:
        return itemgetter(*positions)
    if positions:
        (k,) = positions
        return lambda args: (args[k],)
    return lambda args: ()


def _one_length(checks, m):
    """``(least length, None)`` where the checks of ``m`` vectors say only that they share
    one length of at least that (no data: every slot is a vector's), else ``(0, check)``."""
    if checks is None:             # nothing to check: vectors of any lengths, one or several
        return (0, None) if m == 1 else (0, lambda sizes: True)
    everything = lambda sizes: _lengths_ok(checks, sizes, [])       # noqa: E731
    equal, needs, exact, steps, minimum = checks
    if exact or steps or sorted(equal) != [(0, b) for b in range(1, m)]:
        return 0, everything
    return max([k for _, k in needs + minimum], default=0), None


def _least_length(checks):
    """``(least length, None)`` where the checks of a formula of one vector are only least
    lengths (no data: every slot is the vector's), else ``(0, the full check)``."""
    if checks is None:
        return 0, None
    equal, needs, exact, steps, minimum = checks
    if exact or steps:
        return 0, lambda sizes: _lengths_ok(checks, sizes, ())
    return max([k for _, k in needs + minimum], default=0), None


def _same_length(formula):
    """Whether a vector output is as long as the one vector argument: ``rows`` is
    ``len0``, no columns."""
    rows = formula.program.rows
    form = formula._call_form
    return not form.cols and form.out_shape[1:] == () and rows.terms == ((0, 1),) \
        and (rows.const, rows.outer, rows.div, rows.lane) == (0, 0, 1, 0)


def result_shape(formula, sizes):
    """The shape of a vector (or matrix) output at the argument lengths ``sizes``."""
    lp = formula.program
    rows = max(lp.rows.value(sizes), 0)
    if formula._call_form.cols:
        return rows, max(lp.cols.value(sizes), 0)
    return (rows,) + tuple(formula._call_form.out_shape[1:])


def _plan_of(formula):
    """(per parameter 0 or its number of dimensions, the length checks (``_quick_checks``,
    None where there are none), dtype, threads, the data arrays and their lengths, the
    scalars' array when there are none, the result's shape where it is fixed); a kind of
    None makes every call take the general path."""
    kinds, slots, first, equal = [], [], {}, []
    dtype = np.dtype(formula.options["dtype"])
    form = formula._call_form
    for name, length in form.signature:
        if isinstance(length, int):             # a fixed-length vector: numbers, -length of them
            kinds.append(-length)
            continue
        dims = () if length is None else length if isinstance(length, tuple) else (length,)
        kinds.append(len(dims))
        for symbol in dims:
            slot = len(slots)
            slots.append((name, symbol))
            if symbol in first:
                equal.append((first[symbol], slot))
            first.setdefault(symbol, slot)
    position = {name: k for k, (name, _) in reversed(list(enumerate(slots)))}
    if any(name not in position for name, _ in formula.needs):
        return ((None,), None, dtype, 1, (), [], None, None)       # (general path)
    needs = tuple((position[name], k) for name, k in formula.needs)
    checks = (tuple(equal), needs, exact_slots(formula), step_slots(formula), formula.program.minimum)
    data = formula._data(dtype)
    shape = None if form.rows else max(form.outputs, 1)
    return tuple(kinds), checks if any(checks) else None, dtype, threads(formula), tuple(data), \
        [d for a in data for d in a.shape], np.zeros(1, dtype), shape


def _runner_of(formula, vectors, threads, data_sizes):
    """(the kernel, its one-thread entry for ``vectors`` arrays or None, the lengths of
    the arguments below which the entry is taken): data as long as that always runs on
    threads (where there are several), through ``run``."""
    kernel = formula.kernel()
    entry, below = kernel.one_thread_entry(vectors)
    if threads > 1 and max(data_sizes, default=0) >= below:
        entry = None
    return kernel, entry, below


def _slots(formula):
    """{length's name: its first slot}, the slots numbered as a call's lengths are
    (each dimension of each vector argument in order)."""
    slot_of, slot = {}, 0
    for _, length in formula._call_form.signature:
        if length is not None and not isinstance(length, int):
            for symbol in (length if isinstance(length, tuple) else (length,)):
                slot_of.setdefault(str(symbol), slot)
                slot += 1
    return slot_of


def step_slots(formula):
    """``(slot, modulus, residues)`` of each condition of ``formula.steps``."""
    slot_of = _slots(formula)
    return tuple((slot_of[n], m, frozenset(r)) for n, m, r, _ in formula.steps if n in slot_of)


def exact_slots(formula):
    """``(slot, length)`` of each length the formula's data fixes."""
    slot_of = _slots(formula)
    return tuple((slot_of[n], v) for n, v in formula.exact if n in slot_of)


def threads(formula):
    from .cpu.runtime.driver import thread_count
    return thread_count(formula.options["parallel"])
