"""What the commands write: the one renderer call for every listing (`emit`), files, and
progress on long work."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from commands.options import EXCEL_BOM

if TYPE_CHECKING:
    from schedule.output.columns import Row, TypedRow
    from schedule.output.render import Column


def terminal_width() -> int | None:
    """The width to fit tables to: the terminal's when standard output is one (`COLUMNS`, when
    set, wins, as `shutil.get_terminal_size` reads it), else None: a pipe or a file gets every
    column in full, whatever `COLUMNS` says."""
    if not sys.stdout.isatty():
        return None
    import shutil

    return shutil.get_terminal_size().columns


def emit(
    rows: Sequence[Row | TypedRow],
    columns: Sequence[str],
    fmt: str,
    table: Sequence[Column],
    text: str | None = None,
) -> None:
    """The rows in `fmt` (CSV with --excel); `text`: the rows already written in the format
    `written_format` chose."""
    from schedule.output.render import render

    if click.get_current_context().meta.get("prrt.excel"):
        if fmt == "json":
            raise click.UsageError("--excel writes CSV; it cannot be combined with --format json")
        click.echo(EXCEL_BOM + (text or render(rows, columns, "csv", table)), nl=False)
        return
    if text is not None:
        click.echo(text, nl=False)
        return
    if fmt == "table":
        from schedule.output.render import render_table

        tinted = colour()
        # color=True: click would strip the codes again where it cannot see a terminal itself.
        text = render_table(rows, table, terminal_width(), tinted)
        click.echo(text, nl=False, color=True if tinted else None)
        return
    click.echo(render(rows, columns, fmt, table), nl=False)


def written_format(fmt: str) -> str | None:
    """The format in which a listing can be written where its rows are made, before `emit`
    (csv, json; CSV with --excel), or None: a table, or what `emit` refuses."""
    if click.get_current_context().meta.get("prrt.excel"):
        return None if fmt == "json" else "csv"
    return fmt if fmt in ("csv", "json") else None


def colour() -> bool:
    """Whether tables colour the rows that need attention (overdue, missed, held): only on a
    terminal, and never when `NO_COLOR` is set (https://no-color.org) or the terminal is dumb."""
    import os

    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout.isatty()


def write_text(target: Path | None, text: str, done: str) -> None:
    """`text` to standard output (None or '-') byte for byte, or atomically to a file."""
    if target is None or str(target) == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.buffer.flush()
        return
    from schedule.output.files import write_atomic

    write_atomic(target, text)
    click.echo(done)


@contextmanager
def progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr while long work runs, when stderr is a terminal; nothing at all
    when it is a pipe or a file. The library calls what this yields with (done, to do); the bar
    appears at the first call, so work that turns out to be empty shows none."""
    if not sys.stderr.isatty():
        yield _no_progress
        return
    with ExitStack() as stack:
        bars: list[Any] = []

        def update(done: int, total: int) -> None:
            if not bars:
                bar = click.progressbar(length=total, label=label, file=sys.stderr)
                bars.append(stack.enter_context(bar))
            bar = bars[0]
            if done >= total or done - bar.pos >= max(1, total // 100):  # at most 100 redraws
                bar.update(done - bar.pos)

        yield update


def _no_progress(done: int, total: int) -> None:
    pass
