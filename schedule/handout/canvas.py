"""A picture drawn with Pillow: shapes and text placed in pixels of the finished picture, line
widths and type sizes in points, drawn at `SMOOTH` times the size and reduced at the end so
that every edge is smooth. The text is DejaVu Sans (shipped with matplotlib's data, found
without importing it: `fonts.dejavu`). Hatching follows matplotlib's patterns and density: `/`
and `\\` diagonal lines, `x` both, `.` dots, each character repeated to draw denser, in the
edge's colour.
"""

from __future__ import annotations

import functools
import io
import itertools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from schedule.handout.fonts import dejavu

if TYPE_CHECKING:
    from PIL import ImageFont

SMOOTH = 2  # drawn at twice the size, then reduced
HATCH_DENSITY = 6  # matplotlib's: a hatch character draws lines 2 / 6 inch apart (across)
HATCH_WIDTH = 1.0  # points
Point = tuple[float, float]


@functools.cache
def _font(pixels: int, bold: bool) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(str(dejavu(bold)), pixels)


class Canvas:
    """A white picture `width` x `height` pixels at `dpi` (pixels an inch)."""

    def __init__(self, width: int, height: int, dpi: int) -> None:
        from PIL import Image, ImageDraw

        self.width, self.height, self.dpi = width, height, dpi
        self._image = Image.new("RGB", (width * SMOOTH, height * SMOOTH), "white")
        self._draw = ImageDraw.Draw(self._image)

    def px(self, points: float) -> float:
        """`points` in pixels of the finished picture."""
        return points * self.dpi / 72

    def _w(self, points: float) -> int:
        return max(1, round(self.px(points) * SMOOTH))

    @staticmethod
    def _s(xy: Sequence[Point]) -> list[Point]:
        return [(x * SMOOTH, y * SMOOTH) for x, y in xy]

    def text_width(self, text: str, size: float, bold: bool = False) -> float:
        """The width of `text` set at `size` points, in pixels."""
        return float(self._fontof(size, bold).getlength(text)) / SMOOTH

    def _fontof(self, size: float, bold: bool) -> ImageFont.FreeTypeFont:
        return _font(round(self.px(size) * SMOOTH), bold)

    def text(self, at: Point, text: str, size: float, anchor: str, bold: bool = False) -> None:
        """`text` at `at`, placed by Pillow's `anchor` (`rm`: its right end, middle)."""
        font = self._fontof(size, bold)
        self._draw.text(self._s([at])[0], text, fill="black", font=font, anchor=anchor)

    def line(
        self, points: Sequence[Point], colour: str, width: float, dash: Point | None = None
    ) -> None:
        """A line through `points`, `width` points wide; `dash`: (on, off) in points."""
        if dash is None:
            self._draw.line(self._s(points), fill=colour, width=self._w(width), joint="curve")
            return
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            length = math.hypot(x1 - x0, y1 - y0)
            on, off = self.px(dash[0]), self.px(dash[1])
            start = 0.0
            while start < length:
                end = min(start + on, length)
                a, b = start / length, end / length
                piece = [(x0 + (x1 - x0) * a, y0 + (y1 - y0) * a)]
                piece.append((x0 + (x1 - x0) * b, y0 + (y1 - y0) * b))
                self._draw.line(self._s(piece), fill=colour, width=self._w(width))
                start = end + off

    def polygon(self, points: Sequence[Point], face: str, edge: str, width: float) -> None:
        """A closed shape filled with `face`, its outline centred on `points`."""
        self._draw.polygon(self._s(points), fill=face)
        self.line([*points, points[0], points[1]], edge, width)

    def circle(self, at: Point, radius: float, face: str, edge: str, width: float) -> None:
        """A disc of `radius` pixels, its outline centred on the circle."""
        (x, y), r, half = self._s([at])[0], radius * SMOOTH, self._w(width) / 2
        self._draw.ellipse((x - r - half, y - r - half, x + r + half, y + r + half), fill=edge)
        inner = r - half
        if inner > 0:
            self._draw.ellipse((x - inner, y - inner, x + inner, y + inner), fill=face)

    def box(
        self, corners: tuple[float, float, float, float], face: str, edge: str, hatch: str | None,
        width: float,
    ) -> None:  # fmt: skip
        """A rectangle (left, top, right, bottom) filled, hatched in the edge's colour, and
        outlined."""
        left, top, right, bottom = corners
        self._draw.rectangle(self._s([(left, top), (right, bottom)]), fill=face)
        if hatch:
            self._hatch(corners, hatch, edge)
        self.line([(left, top), (right, top), (right, bottom), (left, bottom), (left, top),
                   (right, top)], edge, width)  # fmt: skip

    def _hatch(self, corners: tuple[float, float, float, float], hatch: str, colour: str) -> None:
        left, top, right, bottom = corners
        rising = hatch.count("/") + hatch.count("x")
        falling = hatch.count("\\") + hatch.count("x")
        for sign, count in ((1, rising), (-1, falling)):
            if count:
                step = 2 * self.dpi / (count * HATCH_DENSITY)
                for a, b in _diagonals(corners, step, sign):
                    self._draw.line(self._s([a, b]), fill=colour, width=self._w(HATCH_WIDTH))
        dots = hatch.count(".")
        if dots:
            step = self.dpi / (dots * HATCH_DENSITY)
            radius = step * 0.15
            row = math.floor(top / step)
            while row * step <= bottom:
                shift = step / 2 if row % 2 else 0.0
                x = math.floor(left / step) * step + shift
                while x <= right:
                    if (
                        left + radius < x < right - radius
                        and top + radius < row * step < bottom - radius
                    ):
                        self.circle((x, row * step), radius, colour, colour, 0.1)
                    x += step
                row += 1

    def png(self) -> bytes:
        """The finished picture as PNG bytes (no metadata: the same picture, the same bytes)."""
        buffer = io.BytesIO()
        self._image.reduce(SMOOTH).save(buffer, format="PNG")
        return buffer.getvalue()


def _diagonals(
    corners: tuple[float, float, float, float], step: float, sign: int
) -> list[tuple[Point, Point]]:
    """The pieces inside the rectangle of the hatch lines every `step` pixels (across), from
    the picture's corner: `sign` 1 rising ("/": x + y constant, y downward), -1 falling
    ("\\": x - y constant)."""
    left, top, right, bottom = corners
    pieces = []
    if sign == 1:  # "/" on the page: x + y constant
        low, high = left + top, right + bottom
    else:  # "\\": x - y constant
        low, high = left - bottom, right - top
    c = math.ceil(low / step) * step
    while c <= high:
        if sign == 1:
            xa, xb = max(left, c - bottom), min(right, c - top)
            ends = ((xa, c - xa), (xb, c - xb))
        else:
            xa, xb = max(left, c + top), min(right, c + bottom)
            ends = ((xa, xa - c), (xb, xb - c))
        if xb > xa:
            pieces.append(ends)
        c += step
    return pieces
