"""SVG drawing for the report's charts, written element by element: rectangles filled with a
grey and a hatch (an SVG `<pattern>`), lines, circles and text that stays text, in DejaVu Sans.

Nothing here imports anything heavy: the widths of the text, needed for the layout, come from
the advance widths of DejaVu Sans and DejaVu Sans Bold below (the fonts matplotlib ships, in
thousandths of an em, characters ' ' to '~'), not from loading a font file. Every number is
written with at most two decimals and every id is the chart's name and a counter, so the same
chart gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

FONT_FAMILY = "'DejaVu Sans', sans-serif"
BLACK = "#000000"
WHITE = "#ffffff"
ASCENT = 0.93  # DejaVu Sans, in ems: above the baseline, and below it
DESCENT = 0.24
CAP_HEIGHT = 0.73

# fmt: off
_REGULAR = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636,
    636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698,
    770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732,
    684, 989, 685, 611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635, 615, 352, 635,
    634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592,
    525, 636, 337, 636, 838,
)
_BOLD = (
    348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696,
    696, 696, 696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838, 580, 1000, 774, 762, 734,
    830, 683, 683, 821, 837, 372, 372, 775, 637, 995, 837, 850, 733, 850, 770, 720, 682, 812,
    774, 1103, 771, 724, 725, 457, 365, 457, 838, 500, 500, 675, 716, 593, 716, 678, 435, 716,
    712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924, 645, 652,
    582, 712, 365, 712, 838,
)
# fmt: on
_OTHER = 700  # a character past '~': about the width of a capital


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width of one line of `text` at `size` points, from DejaVu Sans's advance widths."""
    table = _BOLD if bold else _REGULAR
    units = sum(table[o - 32] if 32 <= (o := ord(c)) <= 126 else _OTHER for c in text)
    return units * size / 1000


def num(value: float) -> str:
    """`value` with at most two decimals and no trailing zeros (the same bytes every time)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def grey(level: float) -> str:
    """A grey as `#rrggbb`, from 0 (black) to 1 (white), as matplotlib reads "0.85"."""
    return "#" + f"{int(level * 255 + 0.5):02x}" * 3


class Canvas:
    """One chart's SVG: its elements in drawing order and the hatch patterns they use, each
    pattern's id prefixed with the chart's name (several charts share one HTML page)."""

    def __init__(self, name: str, width: float, height: float) -> None:
        self.name = name
        self.width = width
        self.height = height
        self._body: list[str] = []
        self._patterns: dict[tuple[str, str], str] = {}

    def rect(
        self,
        box: tuple[float, float, float, float],
        fill: str,
        hatch: str = "",
        stroke: str = "none",
        line_width: float = 0.6,
    ) -> None:
        """A rectangle (x, y, width, height), filled with `fill` under `hatch` if any."""
        x, y, w, h = box
        paint = f"url(#{self._pattern(fill, hatch)})" if hatch else fill
        outline = f' stroke="{stroke}" stroke-width="{num(line_width)}"' if stroke != "none" else ""
        self._body.append(
            f'<rect x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}" '
            f'fill="{paint}"{outline}/>'
        )

    def path(
        self,
        points: Sequence[tuple[float, float]],
        line_width: float = 0.8,
        dashes: str = "",
        closed: bool = False,
    ) -> None:
        """A black line through `points` (dashed with `dashes`, an SVG dash array)."""
        steps = " L".join(f"{num(x)} {num(y)}" for x, y in points)
        dash = f' stroke-dasharray="{dashes}"' if dashes else ""
        self._body.append(
            f'<path d="M{steps}{" Z" if closed else ""}" fill="none" stroke="{BLACK}" '
            f'stroke-width="{num(line_width)}"{dash} stroke-linecap="square"/>'
        )

    def dot(self, x: float, y: float, radius: float) -> None:
        """A black marker."""
        self._body.append(f'<circle cx="{num(x)}" cy="{num(y)}" r="{num(radius)}" fill="{BLACK}"/>')

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: float = 9,
        anchor: str = "start",
        bold: bool = False,
        rotate: float = 0,
    ) -> None:
        """`text` with its baseline at `y`, anchored at `x` (start, middle or end), turned by
        `rotate` degrees clockwise around (x, y)."""
        attributes = [f'x="{num(x)}"', f'y="{num(y)}"']
        if size != 9:
            attributes.append(f'font-size="{num(size)}"')
        if anchor != "start":
            attributes.append(f'text-anchor="{anchor}"')
        if bold:
            attributes.append('font-weight="bold"')
        if rotate:
            attributes.append(f'transform="rotate({num(rotate)} {num(x)} {num(y)})"')
        self._body.append(f"<text {' '.join(attributes)}>{escape(text, quote=False)}</text>")

    def _pattern(self, fill: str, hatch: str) -> str:
        key = (fill, hatch)
        if key not in self._patterns:
            self._patterns[key] = f"{self.name}-hatch-{len(self._patterns) + 1}"
        return self._patterns[key]

    def svg(self, label: str) -> str:
        """The `<svg>` element: the patterns, then everything drawn, in DejaVu Sans 9 pt."""
        width, height = num(self.width), num(self.height)
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width}pt" '
            f'height="{height}pt" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(label)}">'
        )
        defs = [hatch_pattern(i, fill, hatch) for (fill, hatch), i in self._patterns.items()]
        parts = [head]
        if defs:
            parts += ["<defs>", *defs, "</defs>"]
        parts.append(f'<rect width="{width}" height="{height}" fill="{WHITE}"/>')
        parts.append(f'<g font-family="{FONT_FAMILY}" font-size="9" fill="{BLACK}">')
        parts += [*self._body, "</g>", "</svg>"]
        return "\n".join(parts)


# A hatch as matplotlib's SVG draws it: each '/' or '\\' adds 3 lines an inch (72 pt), each
# 'x' 3 of both; here a square tile as wide as the space between two lines.
def _spacing(hatch: str, marks: str) -> float:
    count = sum(hatch.count(m) for m in marks) * 3
    return 72 / count if count else 0.0


def hatch_pattern(pattern_id: str, fill: str, hatch: str) -> str:
    """An SVG `<pattern>` of `fill` crossed by black lines: '/' rising, '\\' falling, 'x'
    both, as dense as in matplotlib."""
    rising = _spacing(hatch, "/xX")
    falling = _spacing(hatch, "\\xX")
    tile = max(rising, falling)
    lines = []
    if rising:
        lines.append(_diagonals(tile, rising, up=True))
    if falling:
        lines.append(_diagonals(tile, falling, up=False))
    t = num(tile)
    return (
        f'<pattern id="{pattern_id}" patternUnits="userSpaceOnUse" width="{t}" height="{t}">'
        f'<rect width="{t}" height="{t}" fill="{fill}"/>'
        f'<path d="{" ".join(lines)}" stroke="{BLACK}" stroke-width="0.6" fill="none"/>'
        "</pattern>"
    )


def _diagonals(tile: float, step: float, up: bool) -> str:
    """Lines across the tile every `step`, carried one tile past each side so that they join
    at the tile's edges."""
    moves = []
    offset = -tile
    while offset <= tile + 1e-9:
        if up:
            moves.append(f"M{num(offset - 1)} {num(tile + 1)} L{num(offset + tile + 1)} {num(-1)}")
        else:
            moves.append(f"M{num(offset - 1)} {num(-1)} L{num(offset + tile + 1)} {num(tile + 1)}")
        offset += step
    return " ".join(moves)
