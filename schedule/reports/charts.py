"""The report's charts as SVG text, drawn with matplotlib so that they read printed in black
and white: every series has its own hatching and grey, counts are written on the bars, and the
capacity line has markers; no colour carries a meaning alone.

Figures are made without pyplot (no window, no global state). Each chart salts matplotlib's
SVG ids with its own name, so several charts can share one HTML page without clashing ids.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any

from schedule.reports.tables import BUCKETS, Report

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# The look of each dose outcome: (label, fill grey, hatch). White to black as things go worse.
OUTCOME_STYLE = {
    "on_time": ("on time", "white", ""),
    "early": ("early", "0.85", "\\\\\\"),
    "late": ("late", "0.6", "////"),
    "missed": ("missed", "0.25", "xx"),
}
BUCKET_LABELS = {
    "before_target": "before\ntarget",
    "on_target": "on\ntarget",
    "late_1_7": "1-7 d\nlate",
    "late_8_14": "8-14 d\nlate",
    "late_15_28": "15-28 d\nlate",
    "late_over_28": "over\n28 d late",
}
CHARTS = ("doses", "days_late", "holds", "load")
TITLES = {
    "doses": "Doses by month of their target date",
    "days_late": "Days from target to given, doses given",
    "holds": "Toxicity holds and their length",
    "load": "Infusion chair-hours per week against capacity",
}
_RC = {
    "svg.fonttype": "none",  # text stays text: smaller, searchable, prints crisp
    "font.size": 9,
    "font.family": "DejaVu Sans",
    "hatch.color": "black",
    "hatch.linewidth": 0.6,
    "axes.edgecolor": "black",
    "axes.labelcolor": "black",
    "axes.facecolor": "white",
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "text.color": "black",
    "xtick.color": "black",
    "ytick.color": "black",
    "legend.edgecolor": "black",
    "legend.framealpha": 1.0,
}


def all_charts(report: Report) -> dict[str, str]:
    """Every chart of the report as SVG text (the `<svg>` element alone), by name."""
    draw: dict[str, Callable[[Axes, Report], None]] = {
        "doses": _doses,
        "days_late": _days_late,
        "holds": _holds,
        "load": _load,
    }
    return {name: svg(name, partial(_on, draw[name], report)) for name in CHARTS}


def _on(draw: Callable[[Axes, Report], None], report: Report, axes: Axes) -> None:
    draw(axes, report)


@contextmanager
def _style(name: str) -> Iterator[None]:
    import matplotlib as mpl
    from cycler import cycler

    rc: dict[Any, Any] = {**_RC, "svg.hashsalt": f"prrt-report-{name}"}
    rc["axes.prop_cycle"] = cycler(color=["black", "0.4", "0.7"])
    with mpl.rc_context(rc):
        yield


def svg(name: str, draw: Callable[[Axes], None], size: tuple[float, float] = (7.0, 3.0)) -> str:
    """One chart drawn by `draw` on a fresh axes, as an `<svg>` element (no XML prolog, no
    date in its metadata, so the same report gives the same bytes)."""
    with _style(name):
        from matplotlib.figure import Figure

        figure: Figure = Figure(figsize=size)
        axes = figure.subplots()
        draw(axes)
        axes.set_title(TITLES.get(name, name), loc="left", fontweight="bold")
        figure.tight_layout()
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return _own_ids(text[text.index("<svg") :].strip(), f"{name}-")


def _own_ids(text: str, prefix: str) -> str:
    """Every id of the SVG, and every reference to one, prefixed with the chart's name: the
    artists' ids (`figure_1`, `patch_1`) are the same in every chart, and one page holds all."""
    ids = set(re.findall(r'\bid="([^"]+)"', text))
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m[1]}"', text)
    return re.sub(
        r'(url\(#|href="#)([^)"]+)',
        lambda m: m[1] + (prefix + m[2] if m[2] in ids else m[2]),
        text,
    )


def _empty(ax: Axes, what: str) -> None:
    ax.text(0.5, 0.5, what, ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _label_bars(ax: Axes, bars: Any, values: Sequence[float], inside: bool = False) -> None:
    """The value of each bar, written on it (inside a stacked segment, above a single bar)."""
    for bar, value in zip(bars, values, strict=True):
        if not value:
            continue
        text = f"{value:g}"
        if inside:
            x = bar.get_x() + bar.get_width() / 2
            y = bar.get_y() + bar.get_height() / 2
            box = {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"}
            ax.text(x, y, text, ha="center", va="center", fontsize=7, bbox=box)
        else:
            ax.annotate(
                text,
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
            )


def _hatch(bars: Any, hatches: Sequence[str]) -> None:
    """A hatch per bar (a list of hatches is not taken by every matplotlib version)."""
    for bar, hatch in zip(bars, hatches, strict=True):
        bar.set_hatch(hatch or None)


def _doses(ax: Axes, report: Report) -> None:
    frame = report.frames["doses"]
    if frame.empty:
        _empty(ax, "no doses due in this span")
        return
    months = frame.groupby("month")[list(OUTCOME_STYLE)].sum()
    x = list(range(len(months)))
    bottom = [0.0] * len(months)
    for outcome, (label, grey, hatch) in OUTCOME_STYLE.items():
        values = [float(v) for v in months[outcome]]
        bars = ax.bar(
            x, values, bottom=bottom, label=label, color=grey, edgecolor="black",
            hatch=hatch, linewidth=0.6,
        )  # fmt: skip
        _label_bars(ax, bars, values, inside=True)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_xticks(x, [str(m) for m in months.index], rotation=45, ha="right")
    ax.set_ylabel("doses")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)


def _days_late(ax: Axes, report: Report) -> None:
    frame = report.frames["days_late"]
    if frame.empty:
        _empty(ax, "no dose given in this span")
        return
    values = [float(frame[b].sum()) for b in BUCKETS]
    x = list(range(len(BUCKETS)))
    bars = ax.bar(x, values, color="0.8", edgecolor="black", hatch="////", linewidth=0.6)
    _label_bars(ax, bars, values)
    ax.set_xticks(x, [BUCKET_LABELS[b] for b in BUCKETS])
    ax.set_ylabel("doses given")
    ax.set_ylim(0, max(values) * 1.2 + 1)


def _holds(ax: Axes, report: Report) -> None:
    frame = report.frames["holds"]
    if frame.empty:
        _empty(ax, "no toxicity hold in this span")
        return
    labels = [f"{p} course {c}" for p, c in zip(frame["patient_id"], frame["course"], strict=True)]
    y = list(range(len(frame)))
    days = [float(d) for d in frame["days"]]
    still = [e == "open" for e in frame["ended_by"]]
    bars = ax.barh(
        y, days, color=["white" if s else "0.6" for s in still], edgecolor="black",
        linewidth=0.6,
    )  # fmt: skip
    _hatch(bars, ["////" if s else "" for s in still])
    for bar, value, open_ in zip(bars, days, still, strict=True):
        ax.annotate(
            f"{value:g} d{' (still open)' if open_ else ''}",
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=7,
        )
    ax.set_yticks(y, labels)
    ax.set_ylim(max(len(y), 4) - 0.5, -0.5)  # first hold on top; a few holds stay thin bars
    ax.set_xlabel("days on hold")
    ax.set_xlim(0, max(days) * 1.35 + 1)


def _load(ax: Axes, report: Report) -> None:
    frame = report.frames["load"]
    if frame.empty:
        _empty(ax, "no weeks")
        return
    x = list(range(len(frame)))
    hours = [float(h) for h in frame["chair_hours"]]
    over = [bool(o) for o in frame["over_capacity"]]
    bars = ax.bar(
        x, hours, color=["0.3" if o else "0.85" for o in over], edgecolor="black",
        linewidth=0.6, label="chair-hours planned",
    )  # fmt: skip
    _hatch(bars, ["xx" if o else "" for o in over])
    _label_bars(ax, bars, hours)
    ax.step(
        x, [float(c) for c in frame["capacity"]], where="mid", color="black", linestyle="dashed",
        marker="o", markersize=3, linewidth=1, label="capacity",
    )  # fmt: skip
    for i, flagged in enumerate(over):
        if flagged:
            ax.annotate(
                "OVER", (i, hours[i]), xytext=(0, 11), textcoords="offset points",
                ha="center", fontsize=7, fontweight="bold",
            )  # fmt: skip
    ax.set_xticks(x, [str(w) for w in frame["week"]], rotation=45, ha="right")
    ax.set_ylabel("chair-hours")
    top = max([*hours, *(float(c) for c in frame["capacity"])])
    ax.set_ylim(0, top * 1.25 + 1)
    from matplotlib.patches import Patch

    swatch = Patch(facecolor="0.3", edgecolor="black", hatch="xx", label="over capacity")
    handles, _ = ax.get_legend_handles_labels()
    ax.legend(handles=[*handles, swatch], loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
