"""Tables of a regimen file read in their own module for `regimen_file.parse_regimen`: the
dose interval (`[dose.interval]`), and the optional dose-modification table
(`[modifications]`) and pregnancy test (`pregnancy_test`)."""

from __future__ import annotations

from schedule.domain.modifications import Modifications, parse_modifications
from schedule.domain.regimen import DoseSpec
from schedule.domain.toml_table import TomlTable


def modifications_of(top: TomlTable, dose: DoseSpec) -> Modifications | None:
    table = top.sub("modifications", required=False)
    return None if table is None else parse_modifications(table, dose.reduced is not None)


def pregnancy_source_of(top: TomlTable) -> str:
    table = top.sub("pregnancy_test", required=False)
    if table is None:
        return ""
    table.unknown(("source",))
    return table.source()


def interval_of(interval: TomlTable) -> tuple[int, int, tuple[int, ...], bool, str]:
    """The dose interval: its days, months (0: in days), the choices of days a course may
    make, whether a month is a calendar month, and its source."""
    interval.unknown(("days", "months", "choices", "calendar_month", "source"))
    source = interval.source()
    days = interval.integer("days", low=1)
    months = interval.integer("months", low=1) if interval.has("months") else 0
    choices_raw = interval.data.get("choices", [days])
    if not isinstance(choices_raw, list) or not all(
        isinstance(c, int) and not isinstance(c, bool) and c > 0 for c in choices_raw
    ):
        raise interval.fail("choices", "must be a list of whole numbers of days")
    if days not in choices_raw:
        raise interval.fail("choices", f"must include the default interval {days}")
    calendar_month = interval.data.get("calendar_month", False)
    if not isinstance(calendar_month, bool):
        raise interval.fail("calendar_month", "must be true or false")
    if months and calendar_month:
        raise interval.fail("calendar_month", "is implied by `months`: leave it out")
    return days, months, tuple(sorted(set(choices_raw))), calendar_month, source
