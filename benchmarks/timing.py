"""Checked, interleaved timing: the measurement core every workload uses.

An ``Entry`` is one peer's way to compute a workload: ``call()`` runs it once
and returns its result.  ``measure(entries, reference, repeats)`` first runs
every entry once (the warm-up, which also compiles) and compares the result
with ``reference`` (numpy's): an entry whose result disagrees, or that raises,
is reported and never timed.  The entries that agree are then timed in turn,
``repeats`` rounds of one call each, the order rotated every round so slow
drifts of the machine spread over all of them; each gets the median.
The result is a list of ``Row``s in entry order.
"""
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

#: Largest accepted normwise relative difference max|a - b| / max|b|.
TOLERANCE = 1e-10


@dataclass
class Entry:
    """One peer's implementation of a workload."""
    peer: str                         # "pyexpr", "numexpr", ...
    call: Callable[[], Any]           # run once, return the result
    variant: str = ""                 # "@vectorize", "out= preallocated", ...
    threads: str = "1"
    convert: Callable[[Any], Any] = np.asarray     # result -> ndarray shaped like the reference
    extras: dict = field(default_factory=dict)     # extra report columns, e.g. compile time

    @property
    def label(self):
        return f"{self.peer} ({self.variant})" if self.variant else self.peer


@dataclass
class Row:
    """A measured (or rejected) entry, as the report shows it."""
    label: str
    peer: str
    threads: str
    seconds: float | None = None      # median time of one call
    status: str = "ok"                # "ok", "WRONG: ...", "failed: ..."
    max_diff: float | None = None     # normwise relative difference to the reference
    extras: dict = field(default_factory=dict)

    @property
    def ok(self):
        return self.status == "ok"


@dataclass
class Section:
    """One workload's results."""
    key: str
    title: str
    description: str
    rows: list
    unit: str = "ms"                  # how ``seconds`` is shown: "ms", "s", "us" or "ns"
    baseline: str | None = "numpy"    # the row label ratios are taken to
    reference: str = "numpy"          # what results were checked against
    notes: list = field(default_factory=list)
    chart: bool = True                # include in the ratio chart
    tolerance: float = TOLERANCE      # what the rows were checked to (normwise relative)


def relative_difference(result, reference):
    """max|result - reference| / max|reference| (nan where shapes or nan positions differ)."""
    a, b = np.asarray(result, dtype=float), np.asarray(reference, dtype=float)
    if a.shape != b.shape:
        return float("nan")
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    if (nan_a != nan_b).any():
        return float("nan")
    scale = float(np.max(np.abs(b[~nan_b]), initial=0.0)) or 1.0
    return float(np.max(np.abs(a[~nan_a] - b[~nan_b]), initial=0.0)) / scale


def check(entry, reference, tolerance=TOLERANCE):
    """``(status, difference)`` of one warm-up run of ``entry`` against ``reference``.

    status is "ok", "WRONG" (difference above ``tolerance``, or nan where the
    reference is not) or "failed: <the exception>".
    """
    try:
        result = entry.convert(entry.call())
    except Exception as exc:                       # a peer's failure is reported, not fatal
        return "failed: " + " ".join(f"{type(exc).__name__}: {exc}".split())[:160], None
    diff = relative_difference(result, reference)
    return ("ok" if diff <= tolerance else "WRONG"), diff


#: seconds between two timed calls: thread pools that spin after their work (numba's
#: parallel target, OpenMP) would otherwise slow down whichever entry runs next
PAUSE = 0.05


def measure(entries, reference, repeats, tolerance=TOLERANCE):
    """Rows for ``entries``: checked against ``reference`` (to ``tolerance``, normwise
    relative), then timed interleaved."""
    rows, live = {}, []
    for entry in entries:
        status, diff = check(entry, reference, tolerance)
        rows[id(entry)] = Row(entry.label, entry.peer, entry.threads, status=status,
                              max_diff=diff, extras=dict(entry.extras))
        if status == "ok":
            live.append(entry)
    times = {id(e): [] for e in live}
    for r in range(repeats):
        shift = r % len(live) if live else 0
        for entry in live[shift:] + live[:shift]:
            time.sleep(PAUSE)
            start = time.perf_counter()
            entry.call()
            times[id(entry)].append(time.perf_counter() - start)
    for entry in live:
        rows[id(entry)].seconds = median(times[id(entry)])
    return [rows[id(e)] for e in entries]


def median(values):
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else 0.5 * (ordered[n // 2 - 1] + ordered[n // 2])


def timed(fn):
    """``(result, seconds)`` of one call of ``fn()``."""
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start
