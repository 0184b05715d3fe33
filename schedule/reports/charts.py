"""The report's charts as SVG text, drawn so that they read printed in black and white: every
series has its own hatching and grey, counts are written on the bars, and the capacity line is
dashed with markers; no colour carries a meaning alone.

The SVG is written element by element (`svg.Canvas`, laid out by `plot.Plot`): drawing the
same charts with matplotlib cost about 0.7 s of CPU a report, most of it importing matplotlib
(`python bench/unrecorded.py --only report`, issue 30). Every id in a chart starts with the
chart's name, so several charts can share one HTML page, and the same report gives the same
bytes.
"""

from __future__ import annotations

from collections.abc import Callable

from schedule.reports.plot import DASHES, SIZE, Axes, Key, Plot, box_behind, centred
from schedule.reports.svg import DESCENT, WHITE, Canvas, grey
from schedule.reports.tables import BUCKETS, Report

# The look of each dose outcome: (label, fill grey, hatch). White to black as things go worse.
OUTCOME_STYLE = {
    "on_time": ("on time", 1.0, ""),
    "early": ("early", 0.85, "\\\\\\"),
    "late": ("late", 0.6, "////"),
    "missed": ("missed", 0.25, "xx"),
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
LABEL_FONT = 7.0  # the counts written on the bars


def all_charts(report: Report) -> dict[str, str]:
    """Every chart of the report as SVG text (the `<svg>` element alone), by name."""
    draw: dict[str, Callable[[Canvas, Report], None]] = {
        "doses": _doses,
        "days_late": _days_late,
        "holds": _holds,
        "load": _load,
    }
    charts = {}
    for name in CHARTS:
        canvas = Canvas(name, *SIZE)
        draw[name](canvas, report)
        charts[name] = canvas.svg(TITLES[name])
    return charts


def _empty(canvas: Canvas, what: str) -> None:
    plot = Plot(canvas, TITLES[canvas.name], Axes(categories=(), top=0))
    plot.draw_axes()
    left, top, right, bottom = plot.box
    canvas.text((left + right) / 2, centred((top + bottom) / 2, 9), what, anchor="middle")


def _above(plot: Plot, index: int, value: float, text: str = "") -> None:
    """`value` written just above the top of its bar."""
    base = plot.value(value) - 2 - DESCENT * LABEL_FONT
    plot.canvas.text(plot.category(index), base, text or f"{value:g}", LABEL_FONT, "middle")


def _doses(canvas: Canvas, report: Report) -> None:
    frame = report.frames["doses"]
    if frame.empty:
        _empty(canvas, "no doses due in this span")
        return
    months = frame.groupby("month")[list(OUTCOME_STYLE)].sum()
    stacks = [[float(months[o].iloc[i]) for o in OUTCOME_STYLE] for i in range(len(months))]
    keys = [Key(label, grey(level), hatch) for label, level, hatch in OUTCOME_STYLE.values()]
    axes = Axes(
        categories=[str(m) for m in months.index],
        top=max(sum(s) for s in stacks) * 1.05 or 1.0,
        value_label="doses",
        turn=True,
        keys=keys,
    )
    plot = Plot(canvas, TITLES["doses"], axes)
    labels = []
    for index, stack in enumerate(stacks):
        low = 0.0
        for value, key in zip(stack, keys, strict=True):
            if value:
                plot.bar(index, low, low + value, key.fill, key.hatch)
                labels.append((index, (plot.value(low) + plot.value(low + value)) / 2, value))
            low += value
    plot.draw_axes()
    for index, y, value in labels:
        x, text = plot.category(index), f"{value:g}"
        box_behind(canvas, x, y, text, LABEL_FONT)
        canvas.text(x, centred(y, LABEL_FONT), text, LABEL_FONT, "middle")


def _days_late(canvas: Canvas, report: Report) -> None:
    frame = report.frames["days_late"]
    if frame.empty:
        _empty(canvas, "no dose given in this span")
        return
    values = [float(frame[b].sum()) for b in BUCKETS]
    axes = Axes(
        categories=[BUCKET_LABELS[b] for b in BUCKETS],
        top=max(values) * 1.2 + 1,
        value_label="doses given",
    )
    plot = Plot(canvas, TITLES["days_late"], axes)
    for index, value in enumerate(values):
        if value:
            plot.bar(index, 0, value, grey(0.8), "////")
    plot.draw_axes()
    for index, value in enumerate(values):
        if value:
            _above(plot, index, value)


def _holds(canvas: Canvas, report: Report) -> None:
    frame = report.frames["holds"]
    if frame.empty:
        _empty(canvas, "no toxicity hold in this span")
        return
    labels = [f"{p} course {c}" for p, c in zip(frame["patient_id"], frame["course"], strict=True)]
    days = [float(d) for d in frame["days"]]
    still = [e == "open" for e in frame["ended_by"]]
    axes = Axes(
        categories=labels,
        top=max(days) * 1.35 + 1,
        value_label="days on hold",
        horizontal=True,
        rows=4,  # a few holds stay thin bars
    )
    plot = Plot(canvas, TITLES["holds"], axes)
    for index, (value, open_) in enumerate(zip(days, still, strict=True)):
        plot.bar(index, 0, value, WHITE if open_ else grey(0.6), "////" if open_ else "")
    plot.draw_axes()
    for index, (value, open_) in enumerate(zip(days, still, strict=True)):
        text = f"{value:g} d{' (still open)' if open_ else ''}"
        base = centred(plot.category(index), LABEL_FONT)
        canvas.text(plot.value(value) + 3, base, text, LABEL_FONT)


def _load(canvas: Canvas, report: Report) -> None:
    frame = report.frames["load"]
    if frame.empty:
        _empty(canvas, "no weeks")
        return
    hours = [float(h) for h in frame["chair_hours"]]
    capacity = [float(c) for c in frame["capacity"]]
    over = [bool(o) for o in frame["over_capacity"]]
    planned, beyond = Key("chair-hours planned", grey(0.85)), Key("over capacity", grey(0.3), "xx")
    axes = Axes(
        categories=[str(w) for w in frame["week"]],
        top=max([*hours, *capacity]) * 1.25 + 1,
        value_label="chair-hours",
        turn=True,
        keys=(Key("capacity", line=True), planned, beyond),
    )
    plot = Plot(canvas, TITLES["load"], axes)
    for index, (value, flagged) in enumerate(zip(hours, over, strict=True)):
        style = beyond if flagged else planned
        if value:
            plot.bar(index, 0, value, style.fill, style.hatch)
    _capacity(plot, capacity)
    plot.draw_axes()
    for index, (value, flagged) in enumerate(zip(hours, over, strict=True)):
        if value:
            _above(plot, index, value)
        if flagged:
            x, y = plot.category(index), plot.value(value) - 11
            canvas.text(x, y, "OVER", LABEL_FONT, "middle", bold=True)


def _capacity(plot: Plot, capacity: list[float]) -> None:
    """The capacity of each week as a dashed step line (steps half-way between weeks), with
    a dot on each week's value."""
    points = [(plot.category(0), plot.value(capacity[0]))]
    for index in range(1, len(capacity)):
        middle = plot.category(index - 0.5)
        points += [(middle, plot.value(capacity[index - 1])), (middle, plot.value(capacity[index]))]
    points.append((plot.category(len(capacity) - 1), plot.value(capacity[-1])))
    plot.canvas.path(points, 1.0, DASHES)
    for index, value in enumerate(capacity):
        plot.canvas.dot(plot.category(index), plot.value(value), 1.5)
