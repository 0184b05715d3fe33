"""The timeline picture of a course: one row each for treatment visits, injections, blood tests,
scans and the days of precautions at home, across the months, with today marked.

Readable in black and white: each row has its own marker shape (a diamond, a circle, a square,
a triangle) or hatching, and its name on the left, so no colour carries meaning. Drawn with
matplotlib's Agg canvas (no pyplot, no display, safe in the server's threads); imported only
when a picture is drawn.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from schedule.handout.content import Item, Lane

if TYPE_CHECKING:
    from schedule.i18n import Catalogue

ORDER = (Lane.DOSES, Lane.INJECTIONS, Lane.LABS, Lane.SCANS, Lane.PRECAUTIONS)
MARKERS = {Lane.DOSES: "D", Lane.INJECTIONS: "o", Lane.SCANS: "^"}
WIDTH = 7.0  # inches: the text width of an A4 or Letter page
DPI = 200


def month_label(day: date, lang: str) -> str:
    """ "Mar 2027" in the language (Babel's `yMMM` skeleton)."""
    from babel.dates import format_skeleton

    return str(format_skeleton("yMMM", day, locale=lang))


def months(first: date, last: date, most: int = 9) -> list[date]:
    """First days of months from `first` to `last`, every one, two, three... months so that at
    most `most` are labelled.

    >>> [d.isoformat() for d in months(date(2027, 1, 20), date(2027, 4, 2))]
    ['2027-02-01', '2027-03-01', '2027-04-01']
    """
    found = []
    day = date(first.year, first.month, 1)
    while day <= last:
        if day >= first:
            found.append(day)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    step = max(1, -(-len(found) // most))
    return found[::step]


def _draw_lane(
    axes: Any, lane: Lane, y: float, mine: list[Item], date2num: Callable[[date], float]
) -> None:
    """One lane's items at height `y`: markers for a day's doses and injections, bars for the
    spans (hatched for the precautions)."""
    if lane in MARKERS:
        axes.plot(
            [date2num(i.first) for i in mine],
            [y] * len(mine),
            linestyle="none",
            marker=MARKERS[lane],
            markersize=9 if lane is Lane.DOSES else 7,
            markerfacecolor="white" if lane is Lane.INJECTIONS else "black",
            markeredgecolor="black",
            markeredgewidth=1.2,
            zorder=3,
        )
        return
    spans = [(date2num(i.first), (i.last - i.first).days + 1) for i in mine]
    hatched = lane is Lane.PRECAUTIONS
    axes.broken_barh(
        spans,
        (y - 0.25, 0.5),
        facecolors="white" if hatched else "#555555",
        edgecolors="black",
        hatch="////" if hatched else None,
        linewidth=0.8,
        zorder=2,
    )


def png(items: Sequence[Item], today: date, cat: Catalogue, lang: str) -> bytes | None:
    """The picture as PNG bytes, or None when there is nothing to draw."""
    from matplotlib.figure import Figure

    shown = [i for i in items if i.lane is not None]
    if not shown:
        return None
    lanes = [lane for lane in ORDER if any(i.lane is lane for i in shown)]
    first = min(min(i.first for i in shown), today) - timedelta(days=7)
    last = max(max(i.last for i in shown), today) + timedelta(days=7)

    def date2num(day: date) -> float:  # days from `first`: no date axis needed
        return float((day - first).days)

    figure = Figure(figsize=(WIDTH, 0.5 * len(lanes) + 1.0), dpi=DPI)
    axes = figure.add_subplot()
    for row, lane in enumerate(lanes):
        y = len(lanes) - 1 - row
        axes.axhline(y, color="#bbbbbb", linewidth=0.6, zorder=0)
        _draw_lane(axes, lane, y, [i for i in shown if i.lane is lane], date2num)
    axes.axvline(date2num(today), color="black", linestyle="dashed", linewidth=1.2, zorder=4)
    axes.annotate(
        cat.text("handout.today"),
        (date2num(today), len(lanes) - 0.45),
        xytext=(3, 0),
        textcoords="offset points",
        fontsize=8,
        fontweight="bold",
    )
    axes.set_yticks(range(len(lanes)))
    axes.set_yticklabels([cat.text(f"handout.lane_{lane.value}") for lane in reversed(lanes)])
    axes.set_ylim(-0.7, len(lanes) - 0.3)
    axes.set_xlim(date2num(first), date2num(last))
    ticks = months(first, last)
    axes.set_xticks([date2num(d) for d in ticks])
    axes.set_xticklabels([month_label(d, lang) for d in ticks], fontsize=8)
    axes.tick_params(axis="y", labelsize=9, length=0)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()
