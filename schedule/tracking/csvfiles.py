"""Reading CSV files for the imports: rows as text with their line numbers, and the one error
that names the file, the line and the field."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schedule.domain.errors import Hint, InputError, PrrtError


class CsvError(InputError):
    """A bad CSV file or row; names the file, the line and the field."""

    def __init__(
        self,
        path: str,
        line: int | None,
        field: str | None,
        problem: str,
        cause: PrrtError | None = None,
    ) -> None:
        where = path + (f": line {line}" if line else "") + (f": {field}" if field else "")
        # A way out about the world (the patient's course ended) holds for a file as well;
        # one about an option of a command does not.
        hint = cause.hint if cause is not None and cause.hint is not Hint.GIVE_REASON else None
        data = cause.data if cause is not None else {}
        super().__init__(f"{where}: {problem}", field=field, hint=hint, **data)


def placed_error(path: str, line: int, field: str, exc: PrrtError) -> CsvError:
    """A library error placed on the line, under the field it names (else `field`)."""
    return CsvError(path, line, exc.field or field, exc.message, exc)


@dataclass(frozen=True)
class ImportResult:
    added: int
    unchanged: int
    dry_run: bool


def read_rows(
    path: Path, columns: Sequence[str], required: int
) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV file as (line number, {column: text}); the first `required` columns must be
    present, the others may be."""
    import pandas as pd

    name = str(path)
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8"
        )
    except FileNotFoundError:
        raise CsvError(name, None, None, "no such file") from None
    except pd.errors.EmptyDataError:
        raise CsvError(name, None, None, "the file is empty; it needs a header line") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        problem = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CsvError(name, None, None, f"is not a readable UTF-8 CSV file ({problem})") from None
    header = [str(c).strip() for c in frame.columns]
    missing = [c for c in columns[:required] if c not in header]
    if missing:
        raise CsvError(
            name, 1, None, f"missing column {', '.join(missing)}; expected {','.join(columns)}"
        )
    unknown = [c for c in header if c not in columns]
    if unknown:
        raise CsvError(name, 1, unknown[0], f"unknown column; expected {','.join(columns)}")
    frame.columns = header
    return [
        (index + 2, {str(c): str(v).strip() for c, v in row.items()})
        for index, row in enumerate(frame.to_dict("records"))
    ]


def field_value(path: str, line: int, field: str, func: Any, *args: Any) -> Any:
    try:
        return func(*args)
    except PrrtError as exc:
        raise placed_error(path, line, field, exc) from None
