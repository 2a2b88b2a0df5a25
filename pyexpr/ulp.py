"""How accurate a compiled formula is: errors in ULPs against mpmath.

``accuracy(f, x=(lo, hi), ...)`` samples points, evaluates the compiled
formula (and each first partial derivative, with and without the stability
rewrites) and compares with the exact value of the formula as written,
computed by mpmath at a precision raised until the result rounds to the same
float twice.  The error of one value is the number of floats between it and
the exact value rounded (its ULPs); *bits* are ``log2(1 + ULPs)``, the measure
floating-point accuracy studies average (0 is exact, 53 is none left in
float64).  A nan where the exact value is a number (or the reverse) counts as
every bit lost.

Points are drawn uniformly over the *floats* in each range by default (every
binade as likely as any other: tiny and huge arguments are where formulas
fail), or uniformly over the reals (``sample="uniform"``).

The parts are public for measuring other code the same way: ``sample``,
``exact_values`` and ``ulps``.
"""
from dataclasses import dataclass, field

import numpy as np
import sympy

from .exact import bits, exact_values, from_ordinal, ordinal, ulps
from .dag import evaluated


# --- sampling -------------------------------------------------------------------------

def sample(ranges, points, seed=0, dtype="float64", how="floats", where=None):
    """``{name: array}`` of ``points`` points, each name's values inside its
    ``(lo, hi)`` (infinite ends stand for the largest finite float) and, with
    ``where``, where ``where(**values)`` is true."""
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(seed)
    chosen, have = {name: [] for name in ranges}, 0
    for _ in range(100):
        batch = {name: _draw(rng, lo, hi, 2 * points, dtype, how) for name, (lo, hi) in ranges.items()}
        keep = np.ones(2 * points, bool) if where is None else \
            np.broadcast_to(np.asarray(where(**batch), bool), (2 * points,))
        for name in ranges:
            chosen[name].append(batch[name][keep])
        have += int(keep.sum())
        if have >= points:
            return {name: np.concatenate(parts)[:points] for name, parts in chosen.items()}
    raise ValueError(f"fewer than {points} of the sampled points satisfy the condition "
                     f"({have} after 100 tries); widen the ranges or relax it")


def _draw(rng, lo, hi, n, dtype, how):
    big = float(np.finfo(dtype).max)
    lo, hi = (min(max(float(v), -big), big) for v in (lo, hi))
    if not lo <= hi:
        raise ValueError(f"a range needs lo <= hi, not ({lo}, {hi})")
    if how == "uniform":
        # halved, so that hi - lo cannot overflow
        return (2 * (lo / 2 + rng.random(n) * (hi / 2 - lo / 2))).astype(dtype)
    if how != "floats":
        raise ValueError(f"sample {how!r} is not 'floats' or 'uniform'")
    first, last = (int(o) for o in ordinal([lo, hi], dtype))
    return from_ordinal(rng.integers(first, last, n, endpoint=True), dtype)

# --- the report ----------------------------------------------------------------------------

@dataclass
class Row:
    """One compiled output measured: ``what`` is the formula's or a partial's name."""
    what: str
    stable: bool
    points: int
    max_ulps: float
    mean_ulps: float
    mean_bits: float
    max_bits: float
    worst: list = field(default_factory=list)   # (point dict, computed, exact, ulps), worst first


@dataclass
class Report:
    name: str
    dtype: str
    ranges: dict
    rows: list

    def row(self, what, stable=True):
        for row in self.rows:
            if row.what == what and row.stable == stable:
                return row
        raise KeyError(f"no row {what!r} with stable={stable}")

    def markdown(self):
        lines = ["| output | stable | max ULPs | mean ULPs | mean bits | max bits |",
                 "| --- | --- | ---: | ---: | ---: | ---: |"]
        lines += [f"| {r.what} | {r.stable} | {_count(r.max_ulps)} | {_count(r.mean_ulps)} | "
                  f"{r.mean_bits:.2f} | {r.max_bits:.1f} |" for r in self.rows]
        return "\n".join(lines)

    def __str__(self):
        domain = ", ".join(f"{k} in [{lo:g}, {hi:g}]" for k, (lo, hi) in self.ranges.items())
        lines = [f"accuracy of {self.name} ({self.dtype}, {self.rows[0].points} points, {domain}) "
                 "against mpmath", self.markdown(), ""]
        for r in self.rows:
            if r.worst and r.max_ulps > 0:
                lines.append(f"worst points of {r.what} (stable={r.stable}):")
                lines += [f"  {_point(p)}: computed {c!r}, exact {e!r}, {_count(u)} ULPs"
                          for p, c, e, u in r.worst]
        return "\n".join(lines)


def _count(value):
    return f"{value:.3g}" if value >= 1e6 else f"{value:.2f}".rstrip("0").rstrip(".")


def _point(values):
    return ", ".join(f"{k}={v!r}" for k, v in values.items())


def measure(what, stable, computed, exact, points, dtype, worst=3):
    """The ``Row`` of ``computed`` against ``exact`` at ``points``."""
    errors = ulps(computed, exact, dtype)
    order = np.argsort(-errors, kind="stable")[:worst]
    worst_points = [({k: float(v[i]) for k, v in points.items()}, float(computed[i]),
                     float(exact[i]), float(errors[i])) for i in order]
    b = bits(errors)
    return Row(what, stable, len(errors), float(errors.max()), float(errors.mean()),
               float(b.mean()), float(b.max()), worst_points)


def accuracy(f, points=1000, seed=0, derivatives=True, stable=(True, False), sample_by="floats",
             where=None, worst=3, **ranges):
    """Measure ``f`` (a Formula or a function to decorate) over ``ranges``
    (``x=(lo, hi)`` per argument; an argument left out ranges over every finite
    float): the formula and, with ``derivatives``, each first partial, for each
    value of ``stable`` asked for.  ``where(**values)`` keeps only the points
    where it is true (a precondition).  Returns a ``Report``; ``print`` it."""
    from .formula import Formula
    from .jit import jit
    if not isinstance(f, Formula):
        f = jit(f)
    dtype = np.dtype(f.options["dtype"])
    unknown = set(ranges) - set(f.arg_names)
    if unknown:
        raise ValueError(f"accuracy(): {', '.join(sorted(unknown))} not an argument of "
                         f"{f._signature()}")
    big = float(np.finfo(dtype).max)
    ranges = {a: tuple(float(v) for v in ranges.get(a, (-big, big))) for a in f.arg_names}
    at = sample(ranges, points, seed, dtype, sample_by, where)
    inputs = [at[a] for a in f.arg_names]
    exact = _exact_outputs(f, at, derivatives, dtype)
    rows = []
    for flag in ((stable,) if isinstance(stable, bool) else stable):
        variant = f if f.options["stable"] == flag else jit(f, stable=flag)
        for what, formula in _compiled(variant, derivatives):
            values = np.asarray(formula(*inputs), dtype=dtype).reshape(len(formula.outputs), -1) \
                if len(formula.outputs) > 1 else np.asarray(formula(*inputs), dtype=dtype)[None]
            for k, label in enumerate(_labels(what, len(formula.outputs))):
                rows.append(measure(label, flag, values[k], exact[label], at, dtype, worst))
    return Report(f.name, dtype.name, ranges, rows)


def _labels(what, n):
    return [what] if n == 1 else [f"{what}[{k}]" for k in range(n)]


def _compiled(f, derivatives):
    yield f.name, f
    if derivatives:
        for a in f.arg_names:
            yield f"d{f.name}/d{a}", f.diff(a)


def _exact_outputs(f, at, derivatives, dtype):
    exact = {}
    outputs = [evaluated(o) for o in f.written]
    for label, expr in zip(_labels(f.name, len(outputs)), outputs):
        exact[label] = exact_values(expr, f.args, at, dtype)
    if derivatives:
        for a in f.args:
            labels = _labels(f"d{f.name}/d{a.name}", len(outputs))
            for label, expr in zip(labels, outputs):
                exact[label] = exact_values(sympy.diff(expr, a), f.args, at, dtype)
    return exact
