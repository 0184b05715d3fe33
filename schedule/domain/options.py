"""Per-course choices a regimen allows, and the check that a course asks only for those."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from schedule.domain.errors import InputError
from schedule.domain.regimen import Regimen


@dataclass(frozen=True)
class PlanOptions:
    """Per-course choices a regimen allows."""

    interval_days: int | None = None  # one of the regimen's interval choices; None: its default
    calendar_month: bool = False  # "monthly" as calendar months, clamped at month ends
    precautions: str | None = None  # precaution variant; None: site setting, then regimen default
    until: date | None = None  # projection end for open-ended regimens


DEFAULT_OPTIONS = PlanOptions()


def check_options(regimen: Regimen, options: PlanOptions) -> None:
    """Refuse options the regimen does not offer, with the choices it does."""
    dose = regimen.dose
    if options.interval_days is not None and options.interval_days not in dose.interval_choices:
        allowed = ", ".join(str(c) for c in dose.interval_choices)
        raise InputError(
            f"regimen {regimen.id!r} allows an interval of {allowed} days, "
            f"not {options.interval_days}"
        )
    if options.calendar_month and not dose.calendar_month:
        raise InputError(f"regimen {regimen.id!r} has no calendar-month option")
    if options.calendar_month and options.interval_days is not None:
        raise InputError("give either an interval in days or calendar months, not both")
    variants = regimen.precaution_variants
    if options.precautions is not None and options.precautions not in variants:
        if not variants:
            raise InputError(f"regimen {regimen.id!r} has no precaution variants")
        raise InputError(
            f"precautions {options.precautions!r} unknown for {regimen.id!r}; "
            f"choose {' or '.join(variants)}"
        )
