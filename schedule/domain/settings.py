"""Site settings: what the clinical sources leave open, chosen per site in a TOML file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields

from schedule.domain.errors import SettingsError


@dataclass(frozen=True)
class Settings:
    """Site policy. Defaults are documented in the README; none of them is a label's number."""

    # Radiation-precaution variant (eu or us, L32-L36); None takes the regimen's default.
    precautions: str | None = None
    # Days after its target that an SSA injection still counts as on time (S10: no label says).
    ssa_late_tolerance_days: int = 7
    # The fewest days between two long-acting SSA injections of one course (no label gives a
    # minimum; every 4 weeks is the rhythm, S1/S5): an injection sooner is refused.
    ssa_min_interval_days: int = 21
    # How far above the regimen's full amount a recorded dose may be, in percent (Pluvicto's
    # label gives 7.4 GBq +/- 10%, R1; no source gives one for the others).
    dose_tolerance_percent: int = 10
    # Days after a toxicity hold begins that it comes up for review on the worklists.
    hold_review_days: int = 14
    # How far open-ended regimens (SSA alone) are projected past the start or the as-of date.
    horizon_days: int = 364
    # Length of a dose appointment in patients' calendars when the regimen gives none (minutes).
    appointment_minutes: int = 30
    # Where `prrt serve` is reached from patients' phones, e.g. https://calendar.example.org.
    feed_base_url: str = ""
    # Printed in patients' calendars.
    clinic_name: str = ""
    clinic_address: str = ""
    clinic_phone: str = ""
    clinic_email: str = ""


_INT_LIMITS = {
    "ssa_late_tolerance_days": (0, 90),
    "ssa_min_interval_days": (1, 90),
    "dose_tolerance_percent": (0, 100),
    "hold_review_days": (1, 365),
    "horizon_days": (28, 3660),
    "appointment_minutes": (5, 720),
}


def parse_settings(text: str, path: str) -> Settings:
    """Read the `[site]` table of a settings file; unknown keys and wrong types are errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: is not valid TOML: {exc}") from None
    site = data.get("site", {})
    if not isinstance(site, dict) or set(data) - {"site"}:
        raise SettingsError(f"{path}: put the settings in a [site] table")
    known = {f.name for f in fields(Settings)}
    values: dict[str, object] = {}
    for key, value in site.items():
        if key not in known:
            raise SettingsError(f"{path}: site.{key}: is not a known setting")
        if key in _INT_LIMITS:
            low, high = _INT_LIMITS[key]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise SettingsError(
                    f"{path}: site.{key}: must be a whole number from {low} to {high}"
                )
        elif not isinstance(value, str):
            raise SettingsError(f"{path}: site.{key}: must be a string")
        values[key] = value
    return Settings(**values)  # type: ignore[arg-type]  # keys and types checked above
