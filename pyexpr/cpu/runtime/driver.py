"""Run a compiled array kernel over N-d arrays of any layout, on threads.

``run(kernel, inputs, outs, threads)`` takes the ctypes function of a
program's ``_array`` entry point (see ``llvm_ir``), input arrays already
broadcast to the common shape ``S`` (zero strides allowed) and writable
output arrays of shape ``S`` (any strides), and fills the outputs.

It reduces any layout to as few 2-d (rows x columns) calls as it can:
size-1 axes are dropped, axes the first output walks backwards are flipped,
axes are ordered by the first output's stride (Fortran order becomes C
order) and neighbouring axes that are one run of memory for every operand
are merged.  C- or F-contiguous arrays and broadcast scalars thus become a
single row that the kernel runs unit-stride; other layouts become one call
per 2-d slab.  An input that overlaps an output other than element for
element is copied first, as numpy does.

With ``threads > 1`` and at least ``MIN_PARALLEL`` elements, the calls are
split into equal pieces (``PIECES_PER_THREAD``) that ``threads`` threads take
from a shared queue and run concurrently (ctypes releases the GIL); how many
threads a call gets is the caller's choice (``cpu.CPUKernel`` weighs the
work).  Each element is computed by the same code either way, so results
are bit-identical to one thread.  ``thread_count`` reads
``PYEXPR_NUM_THREADS``, then ``OMP_NUM_THREADS`` (which dask's worker
processes set to 1: the cluster already runs one task per core).  Outputs larger than the last level cache are
written by the ``stream`` kernel where there is one (``run``).
"""
import ctypes
import math
import os
import threading

import numpy as np


MIN_PARALLEL = 1 << 16
#: Outputs of at least this many bytes in one call are stored past the cache
#: (``stream`` of ``run``): the last level cache's size, where Linux tells it.
STREAM_BYTES = 32 << 20
#: A parallel call is cut into up to this many pieces per thread (of at least
#: MIN_PIECE elements), which the threads take in turn: a thread whose core is
#: busy with other work takes fewer, instead of holding up the call.
PIECES_PER_THREAD = 4
MIN_PIECE = 1 << 15
#: Splits along a row fall on multiples of this many elements (cache lines, vector widths).
ALIGN = 64



def _usable_cpus():
    """The CPUs this process may run on (a container or ``taskset`` may allow fewer
    than the machine has)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


#: asking the kernel can cost microseconds: read once
_CPUS = _usable_cpus()
#: the variables that set the threads of a parallel call, first one set wins
THREAD_VARIABLES = ("PYEXPR_NUM_THREADS", "OMP_NUM_THREADS")


def _cache_bytes(path="/sys/devices/system/cpu/cpu0/cache"):
    """The size of the last level cache in bytes, or None."""
    sizes = {}
    try:
        for index in os.listdir(path):
            with open(os.path.join(path, index, "level")) as level, \
                    open(os.path.join(path, index, "size")) as size:
                text = size.read().strip()
                unit = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
                sizes[int(level.read())] = int(text.rstrip("KMG")) * unit
    except (OSError, ValueError):
        return None
    return sizes[max(sizes)] if sizes else None


STREAM_BYTES = _cache_bytes() or STREAM_BYTES
_pool = None
_pool_size = 0
_pool_lock = threading.Lock()


def thread_count(parallel=True):
    """Threads to use: 1 unless ``parallel``; else the first of ``THREAD_VARIABLES`` that is
    set, or the CPUs this process may use.  ``OMP_NUM_THREADS`` counts because schedulers
    that run one task per core (dask's workers, MPI launchers) set it to say so: threads of
    our own on top would only compete for the same cores."""
    if not parallel:
        return 1
    for name in THREAD_VARIABLES:
        value = os.environ.get(name, "").split(",")[0]     # OpenMP's "4,2" nests: take the outer
        try:
            return max(1, int(value))
        except ValueError:
            continue            # unset or not a number: as if unset
    return _CPUS


def run(kernel, inputs, outs, threads=1, stream=None):
    """Fill ``outs`` with the kernel's outputs on ``inputs`` (see the module docstring).

    ``stream``, a kernel of the same program that stores with non-temporal
    stores, replaces ``kernel`` when the outputs are larger than the cache
    (``STREAM_BYTES``).
    """
    shape = outs[0].shape
    size = math.prod(shape)
    if size == 0:
        return
    if stream is not None and size * sum(o.itemsize for o in outs) >= STREAM_BYTES:
        kernel = stream
    inputs = [_unaliased(a, outs) for a in inputs]
    ops = [*inputs, *outs]
    strides = _c_strides(shape, ops[0].itemsize)
    if all(a.strides == strides for a in ops):          # the common case: one unit-stride row
        items = [([_address(a) for a in ops], 1, size, [ops[0].itemsize] * len(ops), [0] * len(ops))]
    else:
        items = _slabs(*_collapse(ops, shape, first_out=len(inputs)))
    if threads > 1 and size >= MIN_PARALLEL:
        parts = _partition(items, size, max(threads, min(threads * PIECES_PER_THREAD, size // MIN_PIECE)))
        _run_parallel(kernel, parts, threads)
    else:
        _run_items(kernel, items)


def _unaliased(a, outs):
    for o in outs:
        if np.may_share_memory(a, o) and not (_address(a) == _address(o) and a.strides == o.strides):
            return a.copy()
    return a


def _c_strides(shape, itemsize):
    strides = []
    for n in reversed(shape):
        strides.append(itemsize)
        itemsize *= n
    return tuple(reversed(strides))


def _array_interface_address(a):
    return a.__array_interface__["data"][0]


def _struct_address(a):
    return _POINTER.from_address(id(a) + _DATA_OFFSET).value


def _data_field_works():
    """Whether numpy arrays keep their data pointer right after the object header.

    That is numpy's C ABI (``PyArrayObject_fields.data``), read in a tenth of
    the time ``__array_interface__`` takes; checked on arrays and views here
    rather than assumed.
    """
    base = np.arange(6.0)
    samples = [base, base[1:], base[::-2], base.reshape(2, 3).T, np.empty(0)]
    try:
        return all(_struct_address(a) == _array_interface_address(a) for a in samples)
    except (ValueError, OverflowError):
        return False


_POINTER, _DATA_OFFSET = ctypes.c_size_t, object.__basicsize__
_address = _struct_address if _data_field_works() else _array_interface_address


def _collapse(ops, shape, first_out):
    """``(bases, dims)``: base addresses and ``[size, [stride per operand]]`` per axis, outermost first."""
    bases = [_address(a) for a in ops]
    dims = [[n, [a.strides[d] for a in ops]] for d, n in enumerate(shape) if n != 1]
    for n, strides in dims:
        if strides[first_out] < 0:
            # iterate this axis backwards: elementwise work does not care about order
            bases = [b + (n - 1) * s for b, s in zip(bases, strides)]
            strides[:] = [-s for s in strides]
    dims.sort(key=lambda d: -abs(d[1][first_out]))
    merged = []
    for n, strides in dims:
        if merged and all(o == s * n for o, s in zip(merged[-1][1], strides)):
            merged[-1] = [merged[-1][0] * n, strides]
        else:
            merged.append([n, strides])
    return bases, merged


def _slabs(bases, dims):
    """The calls ``(bases, rows, cols, inner_strides, outer_strides)`` covering ``dims``."""
    k = len(bases)
    while len(dims) < 2:
        dims.insert(0, [1, [0] * k])
    (rows, outer), (cols, inner) = dims[-2], dims[-1]
    if len(dims) == 2:                      # the common case: one call
        return [(bases, rows, cols, inner, outer)]
    items = []
    for index in np.ndindex(*(n for n, _ in dims[:-2])):
        offsets = [sum(i * d[1][j] for i, d in zip(index, dims)) for j in range(k)]
        items.append(([b + o for b, o in zip(bases, offsets)], rows, cols, inner, outer))
    return items


def _run_items(kernel, items):
    for bases, rows, cols, inner, outer in items:
        k = len(bases)
        kernel(rows, cols, (ctypes.c_int64 * k)(*bases), (ctypes.c_int64 * (2 * k))(*inner, *outer))


def _partition(items, size, parts):
    """Split the calls into ``parts`` lists of about ``size / parts`` elements each."""
    target = -(-size // parts)
    pieces = [piece for item in items for piece in _pieces(item, target)]
    groups, group, filled = [], [], 0
    for piece in pieces:
        group.append(piece)
        filled += piece[1] * piece[2]
        if filled >= target:
            groups.append(group)
            group, filled = [], 0
    return groups + [group] if group else groups


def _pieces(item, target):
    """Cut one call into calls of at most about ``target`` elements."""
    bases, rows, cols, inner, outer = item
    if rows * cols <= target:
        return [item]
    if rows > 1:
        step = max(1, target // cols)
        return [([b + r * s for b, s in zip(bases, outer)], min(step, rows - r), cols, inner, outer)
                for r in range(0, rows, step)]
    step = -(-target // ALIGN) * ALIGN
    return [([b + c * s for b, s in zip(bases, inner)], 1, min(step, cols - c), inner, outer)
            for c in range(0, cols, step)]


def _run_parallel(kernel, groups, threads):
    """Run the groups on ``threads`` threads (the caller's among them), each taking the next."""
    run_tasks([lambda group=group: _run_items(kernel, group) for group in groups], threads)


def run_tasks(tasks, threads):
    """Call each of ``tasks`` (callables that release the GIL) on up to ``threads`` threads,
    the caller's among them; returns when all are done."""
    queue, lock = iter(tasks), threading.Lock()

    def work():
        while True:
            with lock:
                task = next(queue, None)
            if task is None:
                return
            task()

    threads = min(threads, len(tasks))
    pool = _executor(threads - 1) if threads > 1 else None
    futures = [pool.submit(work) for _ in range(threads - 1)]
    work()
    for f in futures:
        f.result()


def _executor(workers):
    from concurrent.futures import ThreadPoolExecutor   # imported on first use: it costs milliseconds
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < workers:
            # a larger pool replaces the old one, which is not shut down: another thread may be
            # submitting to it; its idle workers exit once it is no longer referenced
            _pool_size = max(workers, _CPUS - 1, 1)
            _pool = ThreadPoolExecutor(max_workers=_pool_size, thread_name_prefix="pyexpr")
        return _pool
