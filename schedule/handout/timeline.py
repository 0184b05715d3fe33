"""The timeline picture of a course: one row each for treatment visits, injections, blood tests,
scans and the days of precautions at home, across the months, with today marked.

Readable in black and white: each row has its own marker shape (a diamond, a circle, a
triangle) or bar, and its name on the left; what became of each item has its own fill, the
same as its mark on the page and in the table (a legend under the picture names them): given
black, planned white, paused amber with dots, not done white crossed in red. Colour helps but
carries no meaning alone. Drawn with
matplotlib's Agg canvas (no pyplot, no display, safe in the server's threads); imported only
when a picture is drawn.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from schedule.handout.content import Item, Lane, Mark

if TYPE_CHECKING:
    from schedule.i18n import Catalogue

ORDER = (Lane.DOSES, Lane.INJECTIONS, Lane.LABS, Lane.SCANS, Lane.PRECAUTIONS)
MARKERS = {Lane.DOSES: "D", Lane.INJECTIONS: "o", Lane.SCANS: "^"}
WIDTH = 7.0  # inches: the text width of an A4 or Letter page
DPI = 200
# Each mark's fill, edge and hatching, for markers and bars alike.
PAUSED = "#f2b600"
NOT_DONE = "#c00000"
FILLS: dict[Mark, tuple[str, str, str | None]] = {
    Mark.GIVEN: ("black", "black", None),
    Mark.PLANNED: ("white", "black", None),
    Mark.PAUSED: (PAUSED, "black", ".."),
    Mark.NOT_DONE: ("white", NOT_DONE, "xx"),
}


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
    spans (hatched for the precautions), each filled by its mark."""
    for which in Mark:
        some = [i for i in mine if i.mark is which]
        if not some:
            continue
        face, edge, hatch = FILLS[which]
        if lane in MARKERS:
            xs = [date2num(i.first) for i in some]
            size = 9 if lane is Lane.DOSES else 7
            axes.plot(
                xs, [y] * len(xs), linestyle="none", marker=MARKERS[lane], markersize=size,
                markerfacecolor=face, markeredgecolor=edge, markeredgewidth=1.2, zorder=3,
            )  # fmt: skip
            if which is Mark.NOT_DONE:  # crossed out
                axes.plot(xs, [y] * len(xs), linestyle="none", marker="x", markersize=size,
                          color=NOT_DONE, markeredgewidth=1.6, zorder=4)  # fmt: skip
            continue
        spans = [(date2num(i.first), (i.last - i.first).days + 1) for i in some]
        if lane is Lane.PRECAUTIONS:
            hatch = hatch or "////"
        axes.broken_barh(
            spans,
            (y - 0.25, 0.5),
            facecolors="#555555" if which is Mark.GIVEN else face,
            edgecolors=edge,
            hatch=hatch,
            linewidth=0.8,
            zorder=2,
        )


def _legend(figure: Any, cat: Catalogue) -> None:
    """Under the picture: each mark's fill and name."""
    from matplotlib.lines import Line2D

    handles: list[Any] = []
    for which in Mark:
        face, edge, _ = FILLS[which]
        shape = Line2D([], [], linestyle="none", marker="D", markersize=8, markerfacecolor=face,
                       markeredgecolor=edge, markeredgewidth=1.2)  # fmt: skip
        if which is Mark.NOT_DONE:  # crossed out, as drawn
            cross = Line2D([], [], linestyle="none", marker="x", markersize=8, color=NOT_DONE,
                           markeredgewidth=1.6)  # fmt: skip
            handles.append((shape, cross))
        else:
            handles.append(shape)
    labels = [cat.text(f"handout.mark_{which.value}") for which in Mark]
    figure.legend(handles, labels, loc="lower center", ncol=len(handles), frameon=False,
                  fontsize=8, handletextpad=0.3, columnspacing=1.5)  # fmt: skip


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

    figure = Figure(figsize=(WIDTH, 0.5 * len(lanes) + 1.35), dpi=DPI)
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
    _legend(figure, cat)
    figure.tight_layout(rect=(0, 0.09, 1, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()
