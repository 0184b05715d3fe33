"""Reading CSV files for the imports: rows as text with their line numbers, and the one error
that names the file, the line and the field."""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from schedule.domain.errors import COMMAND_ONLY_HINTS, Hint, InputError, PrrtError
from schedule.output.render import FORMULA_STARTS


class CsvError(InputError):
    """A bad CSV file or row; names the file, the line and the field. Its exit code is that of
    the error it places on a line (`cause`), else 2 (the file itself is malformed)."""

    def __init__(
        self,
        path: str,
        line: int | None,
        field: str | None,
        problem: str,
        cause: PrrtError | None = None,
        place: str = "line",  # what `line` counts: lines, or a Bundle's entries
    ) -> None:
        where = path + (f": {place} {line}" if line else "") + (f": {field}" if field else "")
        # A way out about the world (the patient's course ended) holds for a file as well;
        # one about an option of a command is worded for the file's columns instead.
        hint = cause.hint if cause is not None else None
        if hint in COMMAND_ONLY_HINTS:
            problem += _COLUMN_WAYS.get(hint, "")
            hint = None
        data = cause.data if cause is not None else {}
        super().__init__(f"{where}: {problem}", field=field, hint=hint, **data)
        if cause is not None:
            # The same error, the same exit code, from a command or a file: a row already
            # recorded is refused with 4 by `import doses` as by `record`.
            self.exit_code = cause.exit_code


# The ways out of `COMMAND_ONLY_HINTS`, worded for a file.
_COLUMN_WAYS = {
    Hint.OVERRIDE: "; if a clinician has a reason, put it in the override column",
    Hint.DROP_OVERRIDE: "; empty the override column",
    Hint.CHOOSE_COURSE: "; fill in the course column",
    Hint.NAME_TOXICITY: "; fill in the toxicity column",
    Hint.GIVE_GRADE: "; fill in the grade column (1 to 5)",
    Hint.PAST_START: ", or put yes in the past_start column if it is meant",
}


def placed_error(path: str, line: int, field: str, exc: PrrtError, place: str = "line") -> CsvError:
    """A library error placed on the line, under the field it names (else `field`)."""
    return CsvError(path, line, exc.field or field, exc.message, exc, place)


@dataclass(frozen=True)
class ImportResult:
    added: int
    unchanged: int
    dry_run: bool
    updated: int = 0  # stored rows whose details the file changed
    courses: int = 0  # further courses of stored patients


HOW_TO_SAVE_UTF8 = (
    "save it as UTF-8 (in Excel: Save As, 'CSV UTF-8 (Comma delimited)'; in LibreOffice: "
    "character set 'Unicode (UTF-8)')"
)


def unquote(cell: str) -> str:
    """A cell as it was before export neutralised it: a cell that a spreadsheet would run as a
    formula is written with a `'` in front (`schedule.output.render.csv_cell`).

    >>> unquote("'=1+1"), unquote("'-3"), unquote("'quoted'")
    ('=1+1', '-3', "'quoted'")
    """
    if len(cell) > 1 and cell[0] == "'" and cell[1] in FORMULA_STARTS:
        return cell[1:]
    return cell


def decode(name: str, data: bytes) -> str:
    """The text of a CSV file in UTF-8, with or without a byte-order mark; any other encoding
    is refused with the way to save the file as UTF-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CsvError(name, None, None, f"is UTF-16 text, not UTF-8; {HOW_TO_SAVE_UTF8}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CsvError(name, line, None, f"is not UTF-8 text; {HOW_TO_SAVE_UTF8}") from None


def column_name(cell: str) -> str:
    """A header cell as the column it names: any case, spaces or hyphens for underscores.

    >>> column_name(" Patient ID "), column_name("Patient_ID"), column_name("end-care")
    ('patient_id', 'patient_id', 'end_care')
    """
    return "_".join(cell.strip().lower().replace("-", " ").replace("_", " ").split())


def read_rows(
    path: Path, columns: Sequence[str], required: int
) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV file as (line number, {column: text}); the first `required` columns must be
    present, the others may be; a header names them in any case, with spaces or hyphens for
    underscores (`column_name`). UTF-8 with or without a byte-order mark, CRLF or LF line ends,
    commas or semicolons (as European spreadsheets write) between the cells."""
    header, rows = read_cells(path, columns, required)
    return [(line, dict(zip(header, cells, strict=True))) for line, cells in rows]


def read_cells(
    path: Path, columns: Sequence[str], required: int
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """`read_rows` as the header's columns and each row's cells in their order (one for each
    column, as `read_rows` gives them): for a file of tens of thousands of rows, read without
    a dictionary each."""
    import csv

    name = str(path)
    with _opened(name) as handle:
        lines = _lines(name, handle)
        first = next(lines, "")
        sep = ";" if first.count(";") > first.count(",") else ","
        # The csv module rather than pandas: an import reads tens of thousands of rows, and it
        # knows each row's own line (a quoted cell may hold a line break). The file is read a
        # line at a time, never whole: an over-long line or cell is refused as it is read.
        reader = csv.reader(itertools.chain([first], lines), delimiter=sep, strict=True)
        return _cells(name, reader, columns, required)


def _cells(
    name: str, reader: Any, columns: Sequence[str], required: int
) -> tuple[list[str], list[tuple[int, list[str]]]]:  # long: the header's checks, then each row's
    """The header and the rows `reader` gives, checked against the header."""
    import csv

    try:
        found = next((cells for cells in reader if any(c.strip() for c in cells)), None)
        if found is None:
            raise CsvError(name, None, None, "the file is empty; it needs a header line")
        header = [column_name(c) for c in found]
        missing = [c for c in columns[:required] if c not in header]
        if missing:
            raise CsvError(
                name, 1, None, f"missing column {', '.join(missing)}; expected {','.join(columns)}"
            )
        unknown = [c for c in header if c not in columns]
        if unknown:
            raise CsvError(name, 1, unknown[0], f"unknown column; expected {','.join(columns)}")
        twice = sorted({c for c in header if header.count(c) > 1})
        if twice:
            raise CsvError(name, 1, twice[0], "column given twice")
        rows = []
        width = len(header)
        line = reader.line_num + 1
        for cells in reader:
            joined = "".join(cells)
            if joined.strip():  # not a blank line
                if len(cells) > width and "".join(cells[width:]).strip():
                    raise CsvError(
                        name, line, None,
                        f"has {len(cells)} cells but the header names {width} columns",
                    )  # fmt: skip
                if "'" not in joined:  # most rows: no cell quoted against formulas
                    values = list(map(str.strip, cells[:width]))
                else:
                    values = [(unquote(v) if v[:1] == "'" else v).strip() for v in cells[:width]]
                if len(values) < width:
                    values += [""] * (width - len(values))
                rows.append((line, values))
            line = reader.line_num + 1
    except csv.Error as exc:
        problem = str(exc) or type(exc).__name__
        if "field larger than field limit" in problem:
            raise CsvError(
                name, reader.line_num or None, None,
                f"a cell is longer than {csv.field_size_limit():,} characters",
            ) from None  # fmt: skip
        raise CsvError(
            name, reader.line_num or None, None, f"is not a readable CSV file ({problem})"
        ) from None
    return header, rows


# The longest line an import reads (a line holds many cells; each cell is at most the csv
# module's field limit, 131,072 characters): longer is refused as it is read, so a file of one
# endless line never fills the memory.
MAX_LINE = 1_048_576


@contextmanager
def _opened(name: str) -> Iterator[TextIO]:
    """The file as UTF-8 text (a byte-order mark is skipped), read as it goes; UTF-16 and a
    file that cannot be read are refused by name."""
    try:
        with open(name, "rb") as raw:
            if raw.read(2) in (b"\xff\xfe", b"\xfe\xff"):
                raise CsvError(name, None, None, f"is UTF-16 text, not UTF-8; {HOW_TO_SAVE_UTF8}")
            raw.seek(0)
            with io.TextIOWrapper(
                raw, encoding="utf-8-sig", errors="surrogateescape", newline=""
            ) as handle:
                yield handle
    except FileNotFoundError:
        raise CsvError(name, None, None, "no such file") from None
    except IsADirectoryError:
        raise CsvError(name, None, None, "cannot be read: it is a folder") from None
    except OSError as exc:
        raise CsvError(name, None, None, f"cannot be read: {exc.strerror or exc}") from None


def _lines(name: str, handle: TextIO) -> Iterator[str]:
    """The file's lines, each at most `MAX_LINE` characters; text that is not UTF-8 is refused
    with its line."""
    number = 0
    while True:
        line = handle.readline(MAX_LINE + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE:
            raise CsvError(name, number, None, f"a line is longer than {MAX_LINE:,} characters")
        if not line.isascii() and _NOT_UTF8.search(line):  # bytes kept as lone surrogates
            raise CsvError(name, number, None, f"is not UTF-8 text; {HOW_TO_SAVE_UTF8}")
        yield line


_NOT_UTF8 = re.compile("[\udc80-\udcff]")


COURSES_MAX = 10_000  # the highest course number, as `--course` takes it


def whole_number(text: str, low: int, high: int) -> int | None:
    """`text` as a whole number from `low` to `high` (ASCII digits only), else None; never
    converts thousands of digits (Python refuses past 4,300) nor a superscript digit.

    >>> whole_number("12", 1, 100), whole_number("9" * 5000, 1, 100), whole_number("²", 0, 9)
    (12, None, None)
    """
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(high)):
        return None
    value = int(text)
    return value if low <= value <= high else None


def course_number(path: str, line: int, text: str | None) -> int | None:
    """A row's `course` cell: its number (None when empty), or a refusal on its line."""
    if not text:
        return None
    number = whole_number(text, 1, COURSES_MAX)
    if number is None:
        problem = f"{text!r} is not a course number (1 to {COURSES_MAX})"
        raise CsvError(path, line, "course", problem)
    return number


def field_value(path: str, line: int, field: str, func: Any, *args: Any) -> Any:
    try:
        return func(*args)
    except PrrtError as exc:
        raise placed_error(path, line, field, exc) from None
