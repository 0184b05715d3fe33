"""Dose quantities: activities (GBq, MBq, mCi) and masses (mg), parsed strictly."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property, lru_cache

from schedule.domain.errors import InputError

# Factor to the base unit of each dimension: MBq for activity, mg for mass. 1 mCi = 37 MBq exactly.
_UNITS: dict[str, tuple[str, Decimal]] = {
    "gbq": ("activity", Decimal(1000)),
    "mbq": ("activity", Decimal(1)),
    "mci": ("activity", Decimal(37)),
    "mg": ("mass", Decimal(1)),
}
_CANONICAL = {"gbq": "GBq", "mbq": "MBq", "mci": "mCi", "mg": "mg"}
_QUANTITY = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*", re.ASCII)
# A decimal comma, as European spreadsheets write it: `7,4 GBq`. One or two digits after the
# comma can only be decimals; three (`7,400 MBq`) could be a thousands separator, and are
# refused with the two readings to choose from.
_DECIMAL_COMMA = re.compile(r"\s*(\d+),(\d+)\s*([A-Za-z]+)\s*", re.ASCII)
# Digits a dose may have, before and after the point together: far more than any activity or
# mass is given with, and short enough that the stored text (a column of 32 characters) holds
# every one of them, so no dose is ever rounded to fit.
MAX_DIGITS = 12
_MAX_TEXT = 40  # longer than any dose written with MAX_DIGITS digits and spaces


@dataclass(frozen=True)
class Quantity:
    """An amount with its unit, e.g. 7.4 GBq. Kept as typed (no rounding) and compared by value."""

    value: Decimal
    unit: str
    text: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.text:
            object.__setattr__(self, "text", f"{self.value.normalize():f} {self.unit}")

    @property
    def dimension(self) -> str:
        return _UNITS[self.unit.lower()][0]

    @cached_property
    def base(self) -> Decimal:
        """The amount in MBq (activity) or mg (mass); kept (an import's guards ask it of the
        few amounts a clinic gives for every row)."""
        return self.value * _UNITS[self.unit.lower()][1]

    def __str__(self) -> str:
        return self.text

    def comparable(self, other: Quantity) -> bool:
        return self.dimension == other.dimension

    @classmethod
    def parse(cls, text: str) -> Quantity:
        """Parse `7.4 GBq`, `7400MBq`, `200 mCi` or `30 mg`.

        >>> str(Quantity.parse("200mci"))
        '200 mCi'
        >>> str(Quantity.parse("7,4 GBq"))  # a decimal comma
        '7.4 GBq'
        """
        return _parse(text)


@lru_cache(maxsize=1024)
def _parse(text: str) -> Quantity:
    """Cached: stored doses repeat a handful of texts many thousands of times."""
    if len(text) > _MAX_TEXT:
        raise InputError(
            f"dose is {len(text)} characters long; write a number and a unit, e.g. '7.4 GBq'"
        )
    comma = _DECIMAL_COMMA.fullmatch(text)
    if comma is not None:
        whole, part, unit_text = comma.groups()
        if len(part) > 2:
            raise InputError(
                f"dose {text!r} is ambiguous: write {whole}{part} {unit_text} or "
                f"{whole}.{part} {unit_text}"
            )
        text = f"{whole}.{part} {unit_text}"
    match = _QUANTITY.fullmatch(text)
    unit = match.group(2).lower() if match else ""
    if not match or unit not in _UNITS:
        raise InputError(
            f"dose {text!r} is not understood; write a number and a unit "
            "(GBq, MBq or mCi for radioligands, mg for injections), e.g. '7.4 GBq'"
        )
    digits = sum(c.isdigit() for c in match.group(1))
    if digits > MAX_DIGITS:
        raise InputError(
            f"dose {text!r} has {digits} digits; at most {MAX_DIGITS} are allowed "
            "(a dose is never rounded)"
        )
    try:
        value = Decimal(match.group(1))
    except InvalidOperation:  # pragma: no cover - the regex admits only decimals
        raise InputError(f"dose {text!r} has no valid number") from None
    if value <= 0:
        raise InputError(f"dose {text!r} must be more than zero")
    return Quantity(value, _CANONICAL[unit])
