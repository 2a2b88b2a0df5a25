"""The benchmark report: markdown, a PNG chart of speedups over numpy, and JSON.

``write(sections, context, out_dir)`` writes ``report.md``, ``speedup.png``
(when matplotlib is installed; else the report says so) and
``results.json`` into ``out_dir`` and returns the report's path.  Every
section ends with a ``Checked:`` line saying what its results were compared
with and which entries, if any, were rejected (a rejected entry is never
timed); the report ends with the line ``Every workload's results were
checked`` followed by the totals.
"""
import json
import math
from pathlib import Path

UNITS = {"ms": (1e3, "{:.2f} ms"), "s": (1.0, "{:.3f} s"), "us": (1e6, "{:.2f} us"),
         "ns": (1e9, "{:.0f} ns")}


def fmt_time(seconds, unit):
    if seconds is None:
        return "—"
    scale, pattern = UNITS[unit]
    return pattern.format(seconds * scale)


def baseline_seconds(section):
    for row in section.rows:
        if row.label == section.baseline and row.seconds:
            return row.seconds
    return None


def speedup(section, row):
    """Baseline time / row time (> 1: faster than the baseline), or None."""
    base = baseline_seconds(section)
    return base / row.seconds if base and row.seconds else None


def table(section):
    extras = list(dict.fromkeys(k for row in section.rows for k in row.extras))
    ratio_head = f"vs {section.baseline}" if section.baseline else None
    head = ["peer", "threads", "per call" if section.unit in ("ns", "us") else "time"]
    head += ([ratio_head] if ratio_head else []) + extras + ["check"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in section.rows:
        cells = [row.label, row.threads, fmt_time(row.seconds, section.unit)]
        if ratio_head:
            ratio = speedup(section, row)
            cells.append(f"{ratio:.2f}x" if ratio else "—")
        cells += [row.extras.get(k, "") for k in extras]
        check = f"ok ({row.max_diff:.1e})" if row.ok else row.status
        cells.append(check.replace("|", "/"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def checked_line(section):
    """The ``Checked:`` line of a section."""
    bad = [row for row in section.rows if not row.ok]
    good = len(section.rows) - len(bad)
    worst = max((r.max_diff for r in section.rows if r.ok and r.max_diff is not None), default=0.0)
    line = (f"Checked: yes: {good} of {len(section.rows)} entries agree with {section.reference} "
            f"(largest relative difference {worst:.1e})")
    if bad:
        line += "; rejected and not timed: " + ", ".join(f"{r.label} ({r.status})" for r in bad)
    return line + "."


def section_text(section):
    parts = [f"## {section.title}", "", section.description, "", table(section), "",
             checked_line(section)]
    parts += [f"\nNote: {note}." for note in section.notes]
    return "\n".join(parts)


def markdown(sections, context, chart_name):
    lines = ["# pyexpr benchmarks", "",
             f"Mode: {context['mode']}. Machine: {context['machine']}. Python {context['python']}.",
             "", "Peers: " + ", ".join(f"{k} {v}" for k, v in context["versions"].items()) + "."]
    for name, why in context["skipped"].items():
        lines.append(f"Skipped: {name}: {why}.")
    lines += ["", "Method: every peer runs in one process on the same inputs. Each entry runs "
              "once first (compiling, where it compiles) and its result is compared with the "
              "reference (numpy unless the section says otherwise); only entries that agree to "
              "1e-10 (max |difference| / max |reference|) are timed. Timing is interleaved: "
              f"{context['repeats']} rounds, one call of each entry per round, the order rotated, "
              "a 50 ms pause before each call (so that thread pools still spinning after one "
              "entry's call do not slow down the next); the table shows the median. Ratios are the baseline's time over the entry's "
              "(above 1: faster)."]
    lines += ["", f"![speedup over numpy]({chart_name})" if chart_name else
              "No chart: " + context.get("chart_missing", "matplotlib is not installed") + "."]
    lines += ["", *(section_text(s) + "\n" for s in sections)]
    rejected = sum(not r.ok for s in sections for r in s.rows)
    entries = sum(len(s.rows) for s in sections)
    lines.append(f"Every workload's results were checked: {len(sections)} workloads, "
                 f"{entries - rejected} of {entries} entries agree with their reference, "
                 f"{rejected} rejected.")
    return "\n".join(lines) + "\n"


def bar_label(row):
    if row.threads.isdigit():
        return row.label + ("" if row.threads == "1" else f" [{row.threads} threads]")
    return f"{row.label} [{row.threads}]"


def chart(sections, path):
    """Bars of the speedup over each chart section's baseline; False without matplotlib.

    Bars start at 1x: right of it is faster than the baseline, left slower.
    """
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FuncFormatter
    except ImportError:
        return False
    panels = [(s, [(bar_label(r), speedup(s, r)) for r in s.rows
                   if r.label != s.baseline and speedup(s, r)])
              for s in sections if s.chart and baseline_seconds(s)]
    panels = [(s, bars) for s, bars in panels if bars]
    if not panels:
        return False
    heights = [0.5 + 0.24 * len(bars) for _, bars in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, sum(heights) + 0.8), squeeze=False,
                             gridspec_kw={"height_ratios": heights})
    for ax, (section, bars) in zip(axes[:, 0], panels):
        labels, values = zip(*bars)
        colors = ["tab:orange" if label.startswith("pyexpr") else "tab:blue" for label in labels]
        ax.barh(range(len(values)), [v - 1 for v in values], left=1, color=colors)
        for i, v in enumerate(values):
            ax.text(v, i, f" {v:.2g}x " , va="center", ha="left" if v >= 1 else "right",
                    fontsize=6)
        ax.set_yticks(range(len(values)), labels, fontsize=7)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlim(min(*values, 1) / 2.5, max(*values, 1) * 2.5)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}x"))
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
        ax.axvline(1.0, color="black", linewidth=0.8)
        ax.set_title(f"{section.title} (vs {section.baseline})", fontsize=8, loc="left")
        ax.tick_params(axis="x", labelsize=7)
    axes[-1, 0].set_xlabel("speedup over the baseline (log scale; right of 1x is faster)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def as_json(sections, context):
    def row(r):
        return {"label": r.label, "peer": r.peer, "threads": r.threads, "seconds": r.seconds,
                "status": r.status, "max_diff": None if r.max_diff is None or
                math.isnan(r.max_diff) else r.max_diff, "extras": r.extras}
    return {"context": context, "sections": [
        {"key": s.key, "title": s.title, "unit": s.unit, "baseline": s.baseline,
         "reference": s.reference, "tolerance": s.tolerance, "rows": [row(r) for r in s.rows]}
        for s in sections]}


def write(sections, context, out_dir):
    """Write report.md, speedup.png and results.json into ``out_dir``; the report's path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    chart_name = "speedup.png" if chart(sections, out / "speedup.png") else None
    path = out / "report.md"
    path.write_text(markdown(sections, context, chart_name))
    (out / "results.json").write_text(json.dumps(as_json(sections, context), indent=1))
    return path
