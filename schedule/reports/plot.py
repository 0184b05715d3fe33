"""A bar chart's frame on a `Canvas`: the layout of the title, the axes box, its ticks at round
numbers, tick labels (turned 45 degrees when asked), axis labels and a legend to the right,
sized from the text's widths the way matplotlib's tight layout sizes them.

Bars run up from categories along the bottom, or (`horizontal`) right from categories down
the left side, the first on top. `Plot.category` and `Plot.value` turn a category's index and
a value into the canvas's coordinates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from schedule.reports.svg import ASCENT, DESCENT, WHITE, Canvas, text_width

SIZE = (504.0, 216.0)  # 7 x 3 inches, in points
PAD = 6.0  # around the figure, and between the axes and their labels
TICK = 3.5  # a tick's length, and the gap from a tick to its label
FONT = 9.0
TITLE_FONT = 10.8
LEGEND_FONT = 8.0
LINE = FONT * (ASCENT + DESCENT)  # the height of a line of 9-point text
DASHES = "3.7,1.6"
_COS = math.sqrt(0.5)  # turned 45 degrees


@dataclass(frozen=True)
class Key:
    """A legend entry: a swatch of `fill` with `hatch`, or (`line`) a dashed line with a dot."""

    label: str
    fill: str = WHITE
    hatch: str = ""
    line: bool = False


@dataclass(frozen=True)
class Axes:
    """What a chart shows on its axes."""

    categories: Sequence[str]  # each may have several lines ('\n')
    top: float  # the largest value shown
    value_label: str = ""
    turn: bool = False  # category labels turned 45 degrees
    horizontal: bool = False
    keys: Sequence[Key] = ()
    rows: int = 0  # horizontal: room for at least this many categories


def nice_ticks(top: float, bins: int) -> list[float]:
    """Ticks from 0 to `top` at round steps (1, 2, 2.5 or 5 times a power of ten), at most
    `bins` steps, as matplotlib's default locator places them."""
    if top <= 0:
        return [0.0]
    magnitude = 10 ** math.floor(math.log10(top / max(bins, 1)))
    for step in (1, 2, 2.5, 5, 10, 20):
        size = step * magnitude
        if math.ceil(top / size - 1e-9) <= bins:
            break
    count = math.floor(top / size + 1e-9)
    return [round(k * size, 10) for k in range(count + 1)]


def tick_text(ticks: Sequence[float]) -> list[str]:
    """Tick labels with the same number of decimals, as few as the steps need."""
    decimals = max(len(f"{t:.6f}".rstrip("0").split(".")[1]) for t in ticks)
    return [f"{t:.{decimals}f}" for t in ticks]


class Plot:
    """The axes box of one chart, laid out on `canvas` for `axes`."""

    def __init__(self, canvas: Canvas, title: str, axes: Axes) -> None:
        self.canvas = canvas
        self.title = title
        self.axes = axes
        self.count = len(axes.categories)
        self.legend_width = _legend_width(axes.keys)
        top = PAD + TITLE_FONT * (ASCENT + DESCENT) + PAD
        right = canvas.width - PAD - (self.legend_width + 4 if axes.keys else 0)
        if axes.horizontal:
            bottom = canvas.height - PAD - 2 * LINE - 2 * TICK
            labels = [line for c in axes.categories for line in c.split("\n")]
            left = PAD + max((text_width(t, FONT) for t in labels), default=0) + 2 * TICK
            self.ticks = nice_ticks(axes.top, min(max(int((right - left) / (FONT * 3)), 1), 9))
        else:
            bottom = canvas.height - PAD - self._category_room() - 2 * TICK
            self.ticks = nice_ticks(axes.top, min(max(int((bottom - top) / (FONT * 2)), 1), 9))
            widest = max(text_width(t, FONT) for t in tick_text(self.ticks))
            left = PAD + (LINE + 2 if axes.value_label else 0) + widest + 2 * TICK
        if not self.count:  # an empty chart: no ticks, the box fills the figure
            left, bottom = PAD, canvas.height - PAD
        self.box = (left, top, right, bottom)

    def _category_room(self) -> float:
        """The height the category labels take below the axes."""
        labels = self.axes.categories
        if self.axes.turn:
            widest = max((text_width(t, FONT) for t in labels), default=0)
            return _COS * (widest + LINE)
        return max((t.count("\n") + 1 for t in labels), default=1) * LINE

    def category(self, index: float) -> float:
        """Where the middle of category `index` is, across the bars."""
        left, top, right, bottom = self.box
        if self.axes.horizontal:
            rows = max(self.count, self.axes.rows)
            return top + (index + 0.5) / rows * (bottom - top)
        margin = 0.05 * (self.count - 1 + 0.8)
        low, high = -0.4 - margin, self.count - 1 + 0.4 + margin
        return left + (index - low) / (high - low) * (right - left)

    def band(self) -> float:
        """How wide a category is, on the canvas."""
        return abs(self.category(1) - self.category(0))

    def value(self, amount: float) -> float:
        """Where `amount` is, along the bars."""
        left, top, right, bottom = self.box
        share = amount / self.axes.top if self.axes.top else 0.0
        if self.axes.horizontal:
            return left + share * (right - left)
        return bottom - share * (bottom - top)

    def bar(self, index: float, low: float, high: float, fill: str, hatch: str = "") -> None:
        """A bar 0.8 of its category wide, from `low` to `high`, edged in black."""
        middle, half = self.category(index), 0.4 * self.band()
        start, end = sorted((self.value(low), self.value(high)))
        if self.axes.horizontal:
            box = (start, middle - half, end - start, 2 * half)
        else:
            box = (middle - half, start, 2 * half, end - start)
        self.canvas.rect(box, fill, hatch, stroke="#000000")

    def draw_axes(self) -> None:
        """The frame, the ticks and their labels, the axis label, the title and the legend."""
        left, top, right, bottom = self.box
        canvas = self.canvas
        canvas.path([(left, top), (right, top), (right, bottom), (left, bottom)], closed=True)
        title_base = top - PAD - DESCENT * TITLE_FONT
        canvas.text(left, title_base, self.title, TITLE_FONT, bold=True)
        if self.count:
            self._category_ticks()
            self._value_ticks()
        if self.axes.keys:
            self._legend(right + 4, top)

    def _category_ticks(self) -> None:
        left, _, _, bottom = self.box
        for index, label in enumerate(self.axes.categories):
            at = self.category(index)
            if self.axes.horizontal:
                self.canvas.path([(left, at), (left - TICK, at)])
                base = at + FONT * (ASCENT - DESCENT) / 2
                self.canvas.text(left - 2 * TICK, base, label, anchor="end")
                continue
            self.canvas.path([(at, bottom), (at, bottom + TICK)])
            if self.axes.turn:
                x = at - _COS * DESCENT * FONT
                y = bottom + 2 * TICK + _COS * ASCENT * FONT
                self.canvas.text(x, y, label, anchor="end", rotate=-45)
                continue
            for line, part in enumerate(label.split("\n")):
                y = bottom + 2 * TICK + ASCENT * FONT + line * LINE
                self.canvas.text(at, y, part, anchor="middle")

    def _value_ticks(self) -> None:
        left, top, right, bottom = self.box
        canvas = self.canvas
        for tick, label in zip(self.ticks, tick_text(self.ticks), strict=True):
            at = self.value(tick)
            if self.axes.horizontal:
                canvas.path([(at, bottom), (at, bottom + TICK)])
                canvas.text(at, bottom + 2 * TICK + ASCENT * FONT, label, anchor="middle")
            else:
                canvas.path([(left, at), (left - TICK, at)])
                base = at + FONT * (ASCENT - DESCENT) / 2
                canvas.text(left - 2 * TICK, base, label, anchor="end")
        if not self.axes.value_label:
            return
        if self.axes.horizontal:
            base = bottom + 2 * TICK + LINE + PAD / 2 + ASCENT * FONT
            canvas.text((left + right) / 2, base, self.axes.value_label, anchor="middle")
        else:
            x = PAD + ASCENT * FONT
            canvas.text(x, (top + bottom) / 2, self.axes.value_label, anchor="middle", rotate=-90)

    def _legend(self, x: float, y: float) -> None:
        """matplotlib's legend in 8-point text: a framed column of swatches and labels."""
        border, row, gap = 0.4 * LEGEND_FONT, LEGEND_FONT * (ASCENT + DESCENT), 0.5 * LEGEND_FONT
        height = 2 * border + len(self.axes.keys) * (row + gap) - gap
        canvas = self.canvas
        canvas.rect((x, y, self.legend_width, height), WHITE, stroke="#000000", line_width=0.8)
        for index, key in enumerate(self.axes.keys):
            middle = y + border + index * (row + gap) + row / 2
            handle = x + border
            if key.line:
                canvas.path([(handle, middle), (handle + 16, middle)], 1.0, DASHES)
                canvas.dot(handle + 8, middle, 1.5)
            else:
                box = (handle, middle - 2.8, 16, 5.6)
                canvas.rect(box, key.fill, key.hatch, stroke="#000000")
            base = middle + LEGEND_FONT * (ASCENT - DESCENT) / 2
            canvas.text(handle + 16 + 6.4, base, key.label, LEGEND_FONT)


def _legend_width(keys: Sequence[Key]) -> float:
    if not keys:
        return 0.0
    widest = max(text_width(k.label, LEGEND_FONT) for k in keys)
    return 2 * 0.4 * LEGEND_FONT + 16 + 6.4 + widest


def box_behind(canvas: Canvas, x: float, y: float, text: str, size: float) -> None:
    """A white box under `text` centred at (x, y), so a count stays legible on a hatch."""
    width, height = text_width(text, size) + 0.2 * size, (ASCENT + DESCENT) * size
    canvas.rect((x - width / 2, y - height / 2, width, height), WHITE)


def centred(y: float, size: float) -> float:
    """The baseline that centres a line of `size`-point text on `y`."""
    return y + size * (ASCENT - DESCENT) / 2
