"""A TOML table being validated: typed reads that name the file and the dotted field in every
complaint (used by the regimen reader)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from schedule.domain.errors import RegimenFileError


class TomlTable:
    """A TOML table being validated; every complaint names the file and the dotted field."""

    def __init__(self, path: str, data: Mapping[str, Any], prefix: str = "") -> None:
        self.path = path
        self.data = data
        self.prefix = prefix

    def fail(self, name: str, problem: str) -> RegimenFileError:
        return RegimenFileError(self.path, self.prefix + name, problem)

    def has(self, name: str) -> bool:
        return name in self.data

    def sub(self, name: str, required: bool = True) -> TomlTable | None:
        value = self.data.get(name)
        if value is None:
            if required:
                raise self.fail(name, "is missing")
            return None
        if not isinstance(value, dict):
            raise self.fail(name, "must be a table")
        return TomlTable(self.path, value, f"{self.prefix}{name}.")

    def need(self, name: str) -> TomlTable:
        table = self.sub(name)
        assert table is not None  # sub() raises for a missing required table
        return table

    def subs(self, name: str) -> list[TomlTable]:
        value = self.data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(name, "must be an array of tables ([[...]])")
        return [TomlTable(self.path, v, f"{self.prefix}{name}[{i}].") for i, v in enumerate(value)]

    def text(self, name: str, default: str | None = None) -> str:
        value = self.data.get(name, default)
        if value is None:
            raise self.fail(name, "is missing")
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, "must be a non-empty string")
        return value.strip()

    def optional_text(self, name: str) -> str:
        return self.text(name) if name in self.data else ""

    def integer(self, name: str, low: int | None = None, default: int | None = None) -> int:
        value = self.data.get(name, default)
        if value is None:
            raise self.fail(name, "is missing")
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, f"must be a whole number, not {value!r}")
        if low is not None and value < low:
            raise self.fail(name, f"must be at least {low}, not {value}")
        return value

    def number(self, name: str) -> Decimal:
        value = self.data.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(name, f"must be a number, not {value!r}")
        if value <= 0:
            raise self.fail(name, f"must be more than zero, not {value}")
        return Decimal(str(value))

    def source(self) -> str:
        return self.text("source")

    def choice(self, name: str, choices: Iterable[str], default: str | None = None) -> str:
        value = self.text(name, default)
        allowed = tuple(choices)
        if value not in allowed:
            raise self.fail(name, f"must be one of {', '.join(allowed)}, not {value!r}")
        return value

    def unknown(self, allowed: Iterable[str]) -> None:
        extra = sorted(set(self.data) - set(allowed))
        if extra:
            raise self.fail(extra[0], "is not a known field (check its spelling)")
