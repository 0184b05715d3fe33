"""The QR code of a link, drawn as vectors: an inline SVG for web pages, a ReportLab drawing for
the PDF. Black on white with a quiet zone of 4 modules, so every phone's camera reads it.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from schedule.domain.errors import InputError

if TYPE_CHECKING:
    from reportlab.graphics.shapes import Drawing, Rect
    from reportlab.lib.colors import Color
    from segno import QRCode

BORDER = 4  # modules of white around the code


def make(url: str) -> QRCode:
    """The code of `url`, error correction M (every QR code the project draws)."""
    import segno
    from segno import DataOverflowError

    try:
        return segno.make(url, error="m")
    except DataOverflowError:
        raise InputError(
            f"the link is {len(url)} characters long, too long for a QR code; use a shorter "
            "server address"
        ) from None


def modules(url: str) -> list[list[bool]]:
    """The code's dark modules, row by row."""
    return [[bool(cell) for cell in row] for row in make(url).matrix]


def svg(url: str, label: str, size: int = 200) -> str:
    """An inline `<svg>` of the code, `size` CSS pixels wide, named by `label` for screen
    readers (role img)."""
    rows = modules(url)
    width = len(rows) + 2 * BORDER
    path = "".join(
        f"M{x + BORDER} {y + BORDER}h1v1h-1z"
        for y, row in enumerate(rows)
        for x, dark in enumerate(row)
        if dark
    )
    name = escape(label)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{name}" '
        f'width="{size}" height="{size}" viewBox="0 0 {width} {width}" '
        f'shape-rendering="crispEdges"><title>{name}</title>'
        f'<rect width="{width}" height="{width}" fill="#fff"/>'
        f'<path fill="#000" d="{path}"/></svg>'
    )


def drawing(url: str, size: float) -> Drawing:
    """A ReportLab drawing of the code, `size` points wide."""
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    rows = modules(url)
    width = len(rows) + 2 * BORDER
    unit = size / width
    out = Drawing(size, size)
    out.add(_rect(0, 0, size, size, colors.white))
    for y, row in enumerate(rows):
        top = size - (y + BORDER + 1) * unit
        x = 0
        while x < len(row):  # one rectangle per run of dark modules
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            out.add(_rect((start + BORDER) * unit, top, (x - start) * unit, unit, colors.black))
    return out


def _rect(x: float, y: float, width: float, height: float, fill: Color) -> Rect:
    from reportlab.graphics.shapes import Rect

    shape = Rect(x, y, width, height)
    shape.fillColor = fill
    shape.strokeColor = None
    return shape
