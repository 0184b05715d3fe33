"""How a table's cells are laid out in a terminal of a given width (`lay_out`), and the colour
of the rows that need attention (`tint`).

Fitting a table to the terminal, in this order, until its lines fit:
1. the columns that may be shortened (`squeeze`, text such as titles and names) are cut, the
   highest `squeeze` first, each down to its `floor`, with an ellipsis;
2. the columns that may go below (`below`: a title, a name, a dose) leave the line one by one
   (the highest `squeeze` first, then from the right) and are written on the lines under it,
   whole, folded at the terminal's width, so nothing of them is lost;
3. only then, the columns that may be dropped (`drop`) are left out, the highest first.
A number, a date or a key is never cut: columns that hold them are neither squeezed nor dropped
unless the table says so. Without a width (a pipe, a file) every column is shown in full.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

SEPARATOR = "  "
NARROWEST = 8  # a squeezed column keeps at least this much (or its header, or its floor)


class Laid(Protocol):
    """What the layout reads of a column (`render.Column`)."""

    @property
    def header(self) -> str: ...
    @property
    def squeeze(self) -> int: ...
    @property
    def floor(self) -> int: ...
    @property
    def drop(self) -> int: ...
    @property
    def below(self) -> bool: ...


@dataclass(frozen=True)
class Layout:
    """The columns on the line (with their widths) and those written under it."""

    shown: tuple[int, ...]
    widths: tuple[int, ...]
    under: tuple[int, ...] = ()


def _floor(column: Laid, full: int) -> int:
    return min(full, max(len(column.header), column.floor or NARROWEST))


def _line(widths: Sequence[int], shown: Sequence[int]) -> int:
    return sum(widths[i] for i in shown) + len(SEPARATOR) * (len(shown) - 1)


def _shorten(
    table: Sequence[Laid], full: Sequence[int], shown: list[int], width: int
) -> tuple[int, ...]:
    """The widths of `shown` with the squeezable ones cut, highest `squeeze` first."""
    widths = list(full)
    for i in sorted((i for i in shown if table[i].squeeze), key=lambda i: -table[i].squeeze):
        excess = _line(widths, shown) - width
        if excess <= 0:
            break
        widths[i] = max(_floor(table[i], full[i]), widths[i] - excess)
    return tuple(widths)


def lay_out(table: Sequence[Laid], full: Sequence[int], width: int) -> Layout:
    """The layout of a table whose columns are `full` characters wide at most in `width`."""
    shown = list(range(len(table)))
    widths = _shorten(table, full, shown, width)
    if _line(widths, shown) <= width:
        return Layout(tuple(shown), widths)
    under: list[int] = []
    for i in sorted((i for i in shown if table[i].below), key=lambda i: (-table[i].squeeze, -i)):
        shown.remove(i)
        under.append(i)
        widths = _shorten(table, full, shown, width)
        if _line(widths, shown) <= width:
            return Layout(tuple(shown), widths, tuple(sorted(under)))
    for i in sorted((i for i in shown if table[i].drop), key=lambda i: -table[i].drop):
        widths = _shorten(table, full, shown, width)
        if _line(widths, shown) <= width:
            break
        shown.remove(i)
    widths = _shorten(table, full, shown, width)
    return Layout(tuple(shown), widths, tuple(sorted(under)))


def clip(text: str, width: int) -> str:
    """`text` shortened to `width` characters, with an ellipsis when cut."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "\u2026"


def lines_of(cells: Sequence[str], layout: Layout, width: int | None) -> list[str]:
    """One row's lines: its cells on the line, and those laid under it folded below, indented
    under the second column."""
    line = SEPARATOR.join(
        clip(cells[i], layout.widths[i]).ljust(layout.widths[i]) for i in layout.shown
    )
    found = [line.rstrip()]
    below = SEPARATOR.join(cells[i] for i in layout.under if cells[i])
    if below:
        indent = " " * (layout.widths[layout.shown[0]] + len(SEPARATOR) if layout.shown else 2)
        room = max(width or 80, len(indent) + 20)
        found += textwrap.wrap(
            below, room, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
        )
    return found


# The rows that need a coordinator's attention, by their status, coloured in a terminal (SGR
# codes: red for missed, yellow for overdue, magenta for held).
_COLOURS = {"missed": "31", "overdue": "33", "held": "35"}


def tint(lines: list[str], status: object) -> list[str]:
    """`lines` of a row coloured by its status (unchanged for any other status)."""
    code = _COLOURS.get(str(status)) if status is not None else None
    if code is None:
        return lines
    return [f"\x1b[{code}m{line}\x1b[0m" for line in lines]
