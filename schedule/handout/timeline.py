"""The timeline picture of a course: one row each for treatment visits, injections, blood tests,
scans and the days of precautions at home, across the months, with today marked.

Readable in black and white: each row has its own marker shape (a diamond, a circle, a
triangle) or bar, and its name on the left; what became of each item has its own fill, the
same as its mark on the page and in the table (a legend under the picture names them): given
black, planned white, paused amber with dots, not done white crossed in red. Colour helps but
carries no meaning alone.

Laid out as it was when matplotlib drew it (the same sizes in points, marker shapes, hatching
and legend, the margins of its tight layout), now drawn with Pillow (`canvas.py`): importing
matplotlib took longer than making the whole handout.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from schedule.handout.canvas import Canvas, Point
from schedule.handout.content import Item, Lane, Mark

if TYPE_CHECKING:
    from schedule.i18n import Catalogue

ORDER = (Lane.DOSES, Lane.INJECTIONS, Lane.LABS, Lane.SCANS, Lane.PRECAUTIONS)
MARKERS = {Lane.DOSES: "D", Lane.INJECTIONS: "o", Lane.SCANS: "^"}
SIZES = {Lane.DOSES: 9.0, Lane.INJECTIONS: 7.0, Lane.SCANS: 7.0}  # points
LOW, HIGH = -0.7, 0.7  # the rows' span: from 0.7 under the last row to 0.7 over the first
PAD = 10.8  # points around the picture (1.08 of matplotlib's 10-point type)
LEGEND = 0.09  # the share of the height under the plot, for the legend
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


@dataclass(frozen=True)
class _Frame:
    """Where the plot sits in the picture (pixels) and its scales: days from `first` across,
    rows (the first row on top is `rows - 1`) up."""

    left: float
    right: float
    top: float
    bottom: float
    first: date
    days: int
    rows: int

    def x(self, day: date | float) -> float:
        count = day if isinstance(day, float) else float((day - self.first).days)
        return self.left + count / self.days * (self.right - self.left)

    def y(self, row: float) -> float:
        share = (row - LOW) / (self.rows - 1 + HIGH - LOW)
        return self.bottom - share * (self.bottom - self.top)


Ticks = Sequence[tuple[date, str]]  # the months' first days and names


def _frame(
    canvas: Canvas, names: Sequence[str], first: date, last: date, ticks: Ticks,
    today: tuple[date, str],
) -> _Frame:  # fmt: skip
    """The plot's place: the rows' names on the left, the months' names under it, the legend
    at the bottom, and the last month's name and the word for today within the picture."""
    pad = canvas.px(PAD)
    left = pad + max(canvas.text_width(n, 9) for n in names) + canvas.px(3.5)
    bottom = canvas.height * (1 - LEGEND) - pad - canvas.px(8 * 1.17 + 7)
    days = (last - first).days
    right = canvas.width - pad
    # Text that would reach past the right margin moves the plot's right end in.
    reach = [((d - first).days / days, canvas.text_width(t, 8) / 2) for d, t in ticks[-1:]]
    word = canvas.px(3) + canvas.text_width(today[1], 8, bold=True)
    reach.append(((today[0] - first).days / days, word))
    for share, beyond in reach:
        if share > 0 and left + share * (right - left) + beyond > canvas.width - pad:
            right = left + (canvas.width - pad - beyond - left) / share
    return _Frame(left, right, pad, bottom, first, days, len(names))


def _marker(canvas: Canvas, shape: str, at: Point, size: float, fill: tuple[str, str]) -> None:
    """A marker `size` points across as matplotlib draws it (`D`, `o`, `^`, `x`), its edge
    1.2 points wide (1.6 for the cross)."""
    (x, y), half, (face, edge) = at, canvas.px(size) / 2, fill
    if shape == "D":
        reach = half * math.sqrt(2)
        points = [(x, y - reach), (x + reach, y), (x, y + reach), (x - reach, y)]
        canvas.polygon(points, face, edge, 1.2)
    elif shape == "o":
        canvas.circle(at, half, face, edge, 1.2)
    elif shape == "^":
        canvas.polygon([(x, y - half), (x + half, y + half), (x - half, y + half)], face, edge, 1.2)
    else:
        canvas.line([(x - half, y - half), (x + half, y + half)], edge, 1.6)
        canvas.line([(x - half, y + half), (x + half, y - half)], edge, 1.6)


def _draw_lane(canvas: Canvas, frame: _Frame, lane: Lane, row: int, mine: list[Item]) -> None:
    """One lane's items on `row`: markers for a day's doses and injections, bars for the
    spans (hatched for the precautions), each filled by its mark."""
    y = frame.y(row)
    for which in Mark:
        some = [i for i in mine if i.mark is which]
        face, edge, hatch = FILLS[which]
        if lane in MARKERS:
            for item in some:
                at = (frame.x(item.first), y)
                _marker(canvas, MARKERS[lane], at, SIZES[lane], (face, edge))
                if which is Mark.NOT_DONE:  # crossed out
                    _marker(canvas, "x", at, SIZES[lane], (NOT_DONE, NOT_DONE))
            continue
        if lane is Lane.PRECAUTIONS:
            hatch = hatch or "////"
        for item in some:
            start = float((item.first - frame.first).days)
            span = (frame.x(start), frame.y(row + 0.25))
            end = (frame.x(start + (item.last - item.first).days + 1), frame.y(row - 0.25))
            fill = "#555555" if which is Mark.GIVEN else face
            canvas.box((*span, *end), fill, edge, hatch, 0.8)


def _axes(
    canvas: Canvas, frame: _Frame, names: Sequence[str], ticks: Sequence[tuple[date, str]]
) -> None:
    """The bottom line with the months' ticks and names, and each row's name on the left."""
    canvas.line([(frame.left, frame.bottom), (frame.right, frame.bottom)], "black", 0.8)
    for day, label in ticks:
        x = frame.x(day)
        canvas.line([(x, frame.bottom), (x, frame.bottom + canvas.px(3.5))], "black", 0.8)
        canvas.text((x, frame.bottom + canvas.px(7)), label, 8, "mt")
    for row, name in enumerate(names):
        canvas.text((frame.left - canvas.px(3.5), frame.y(len(names) - 1 - row)), name, 9, "rm")


def _legend(canvas: Canvas, cat: Catalogue) -> None:
    """Under the picture, centred: each mark's diamond and name."""
    em = canvas.px(8)
    labels = [cat.text(f"handout.mark_{which.value}") for which in Mark]
    widths = [2 * em + 0.3 * em + canvas.text_width(label, 8) for label in labels]
    x = (canvas.width - sum(widths) - 1.5 * em * (len(widths) - 1)) / 2
    y = canvas.height - em * (0.5 + 0.4) - em * 1.17 / 2
    for which, label, width in zip(Mark, labels, widths, strict=True):
        face, edge, _ = FILLS[which]
        _marker(canvas, "D", (x + em, y), 8, (face, edge))
        if which is Mark.NOT_DONE:
            _marker(canvas, "x", (x + em, y), 8, (NOT_DONE, NOT_DONE))
        canvas.text((x + 2.3 * em, y), label, 8, "lm")
        x += width + 1.5 * em


def png(items: Sequence[Item], today: date, cat: Catalogue, lang: str) -> bytes | None:
    """The picture as PNG bytes, or None when there is nothing to draw."""
    shown = [i for i in items if i.lane is not None]
    if not shown:
        return None
    lanes = [lane for lane in ORDER if any(i.lane is lane for i in shown)]
    first = min(min(i.first for i in shown), today) - timedelta(days=7)
    last = max(max(i.last for i in shown), today) + timedelta(days=7)
    canvas = Canvas(round(WIDTH * DPI), round((0.5 * len(lanes) + 1.35) * DPI), DPI)
    names = [cat.text(f"handout.lane_{lane.value}") for lane in lanes]
    ticks = [(d, month_label(d, lang)) for d in months(first, last)]
    word = cat.text("handout.today")
    frame = _frame(canvas, names, first, last, ticks, (today, word))
    for row in range(len(lanes)):
        y = frame.y(row)
        canvas.line([(frame.left, y), (frame.right, y)], "#bbbbbb", 0.6)
    for row, lane in enumerate(lanes):
        mine = [i for i in shown if i.lane is lane]
        _draw_lane(canvas, frame, lane, len(lanes) - 1 - row, mine)
    x = frame.x(today)
    canvas.line([(x, frame.top), (x, frame.bottom)], "black", 1.2, dash=(3.7 * 1.2, 1.6 * 1.2))
    canvas.text((x + canvas.px(3), frame.y(len(lanes) - 0.45)), word, 8, "ls", bold=True)
    _axes(canvas, frame, names, ticks)
    _legend(canvas, cat)
    return canvas.png()
