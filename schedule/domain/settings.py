"""Site settings: what the clinical sources leave open, chosen per site in a TOML file."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path

from schedule.domain.errors import SettingsError
from schedule.domain.languages import LANGUAGES


@dataclass(frozen=True)
class Settings:
    """Site policy. Defaults are documented in the README; none of them is a label's number."""

    # Radiation-precaution variant (eu or us, L32-L36); None takes the regimen's default.
    precautions: str | None = None
    # Days after its target that an SSA injection still counts as on time (S10: no label says).
    ssa_late_tolerance_days: int = 7
    # Days before its target that an SSA injection already counts as on time (S10: no label
    # says). 7: the window opens 21 days after a 28-day rhythm's previous injection, where the
    # spacing guard (`ssa_min_interval_days`, 21) stops refusing, so what the guard lets
    # through is never flagged early; and as wide as the late tolerance.
    ssa_early_tolerance_days: int = 7
    # The fewest days between two long-acting SSA injections of one course (no label gives a
    # minimum; every 4 weeks is the rhythm, S1/S5): an injection sooner is refused.
    ssa_min_interval_days: int = 21
    # How far above the regimen's full amount a recorded dose may be, in percent (Pluvicto's
    # label gives 7.4 GBq +/- 10%, R1; no source gives one for the others).
    dose_tolerance_percent: int = 10
    # Long-acting SSA injections go on every 4 weeks while a radioligand course is on hold
    # (bridging, engine/bridging.py); false: none are planned during a hold.
    ssa_bridging: bool = True
    # Interim blood counts between radioligand doses where a regimen offers them (Pluvicto:
    # "before and during treatment", R17, names no days): false plans none.
    interim_blood_counts: bool = False
    # Days after a toxicity hold begins that it comes up for review on the worklists.
    hold_review_days: int = 14
    # Days before a radioligand dose that its pregnancy test may be taken and still count (for a
    # patient who can become pregnant or whose status is not known; domain.md 3b names no
    # interval: the EU text asks for a validated test before the dose, so a recent one).
    pregnancy_test_days: int = 7
    # A course start more days than this in the past is refused unless `--past-start` (or the
    # roster's `past_start` column) says it is meant: a mistyped year (2020 for 2026) would
    # otherwise make every dose of the course "missed".
    past_start_days: int = 30
    # A course start more days than this ahead is refused: a mistyped year (2062 for 2026).
    future_start_days: int = 365
    # How far open-ended regimens (SSA alone) are projected past the start or the as-of date.
    horizon_days: int = 364
    # Length of a dose appointment in patients' calendars when the regimen gives none (minutes).
    appointment_minutes: int = 30
    # Where `prrt serve` is reached from patients' phones, e.g. https://calendar.example.org.
    feed_base_url: str = ""
    # What patients' calendars show where a phone's lock screen shows it (titles, alarms, the
    # calendar's name, the place): "discreet" (a clinic visit, a blood test; no drug, therapy or
    # clinic name) or "plain" (the full titles). The details stay in each event's description.
    calendar_titles: str = "discreet"
    # Printed in patients' calendars.
    clinic_name: str = ""
    clinic_address: str = ""
    clinic_phone: str = ""
    clinic_email: str = ""
    # FHIR export: the system of the patients' identifiers (e.g. the hospital's record-number
    # system URI), the condition the drugs are given for (mCODE requires a reason: "SYSTEM|CODE",
    # e.g. a SNOMED CT code; "" sends the text alone) and its text.
    fhir_patient_system: str = "urn:prrt:patient"
    fhir_reason_code: str = ""
    fhir_reason_text: str = "Cancer treated by this plan"
    # Clinic days. `closures`: an iCalendar file, or a folder of them, naming the days the clinic
    # is closed (relative to the configuration folder unless absolute; "" for none).
    closures: str = ""
    # Infusion capacity: chairs, hours each chair is staffed a day, and the chairs of particular
    # weekdays (`chairs_by_weekday = { saturday = 0, sunday = 0 }`), kept as (weekday, chairs)
    # with Monday 0.
    chairs: int = 2
    chair_hours: int = 10
    chairs_by_weekday: tuple[tuple[int, int], ...] = ()
    # The language of what patients see when a patient has none stored (en, es, fr, de).
    lang: str = "en"
    # A folder of the site's reviewed message catalogues (`{area}.{lang}.toml`) that replace
    # the shipped ones key by key (relative to the configuration folder unless absolute; ""
    # for none). Kept as read; `catalogue_folder` resolves it.
    catalogues: str = ""
    # The configuration folder the relative paths above are read from (set on reading).
    config_dir: str = ""

    @property
    def catalogue_folder(self) -> str:
        """`catalogues` as a path: relative to the configuration folder unless absolute."""
        if not self.catalogues:
            return ""
        path = Path(self.catalogues).expanduser()
        return str(path if path.is_absolute() else Path(self.config_dir) / path)

    def chairs_on(self, day: date) -> int:
        """The chairs staffed on `day`'s weekday."""
        return dict(self.chairs_by_weekday).get(day.weekday(), self.chairs)


_INT_LIMITS = {
    "ssa_late_tolerance_days": (0, 90),
    "ssa_early_tolerance_days": (0, 90),
    "ssa_min_interval_days": (1, 90),
    "dose_tolerance_percent": (0, 100),
    "hold_review_days": (1, 365),
    "pregnancy_test_days": (1, 28),
    "past_start_days": (0, 3660),
    "future_start_days": (1, 3660),
    "horizon_days": (28, 3660),
    "appointment_minutes": (5, 720),
    "chairs": (0, 500),
    "chair_hours": (1, 24),
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CHOICES = {"calendar_titles": ("discreet", "plain"), "lang": tuple(sorted(LANGUAGES))}
_BOOLS = {"ssa_bridging", "interim_blood_counts"}
BOOL_SETTINGS = frozenset(_BOOLS)  # what a regimen file's `setting` may name
_INTERNAL = {"config_dir"}
# FHIR settings that are URIs: an absolute URI (a scheme, a colon, no spaces); a reason code
# also names its code after a bar.
_URIS = {
    "fhir_patient_system": re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+"),
    "fhir_reason_code": re.compile(r"([A-Za-z][A-Za-z0-9+.-]*:[^\s|]+\|[^\s|]+)?"),
}
_URI_HINTS = {
    "fhir_patient_system": "must be an absolute URI, e.g. 'https://hospital.example.org/mrn'",
    "fhir_reason_code": "must be 'SYSTEM|CODE', e.g. 'http://snomed.info/sct|CODE', or ''",
}  # set on reading, never written in the file


def parse_settings(text: str, path: str) -> Settings:
    """Read the `[site]` table of a settings file; unknown keys and wrong types are errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: is not valid TOML: {exc}") from None
    site = data.get("site", {})
    if not isinstance(site, dict) or set(data) - {"site"}:
        raise SettingsError(f"{path}: put the settings in a [site] table")
    known = {f.name for f in fields(Settings)} - _INTERNAL
    values: dict[str, object] = {"config_dir": str(Path(path).parent)}
    for key, value in site.items():
        if key not in known:
            raise SettingsError(f"{path}: site.{key}: is not a known setting")
        if key == "chairs_by_weekday":
            values[key] = _weekday_chairs(value, path)
            continue
        if key in _INT_LIMITS:
            low, high = _INT_LIMITS[key]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise SettingsError(
                    f"{path}: site.{key}: must be a whole number from {low} to {high}"
                )
        elif key in _BOOLS:
            if not isinstance(value, bool):
                raise SettingsError(f"{path}: site.{key}: must be true or false")
        elif not isinstance(value, str):
            raise SettingsError(f"{path}: site.{key}: must be a string")
        elif key in _CHOICES and value not in _CHOICES[key]:
            choices = " or ".join(repr(c) for c in _CHOICES[key])
            raise SettingsError(f"{path}: site.{key}: must be {choices}, not {value!r}")
        elif key in _URIS and not _URIS[key].fullmatch(value):
            raise SettingsError(f"{path}: site.{key}: {_URI_HINTS[key]}, not {value!r}")
        values[key] = value
    return Settings(**values)  # type: ignore[arg-type]  # keys and types checked above


def _weekday_chairs(value: object, path: str) -> tuple[tuple[int, int], ...]:
    """`{ saturday = 0 }` as ((5, 0),): weekday names in English, chairs as for `chairs`."""
    where = f"{path}: site.chairs_by_weekday"
    if not isinstance(value, dict):
        raise SettingsError(f"{where}: must be a table such as {{ saturday = 0 }}")
    low, high = _INT_LIMITS["chairs"]
    pairs = []
    for name, chairs in value.items():
        if name.lower() not in WEEKDAYS:
            raise SettingsError(f"{where}: {name!r} is not a weekday (monday ... sunday)")
        if isinstance(chairs, bool) or not isinstance(chairs, int) or not low <= chairs <= high:
            raise SettingsError(f"{where}.{name}: must be a whole number from {low} to {high}")
        pairs.append((WEEKDAYS.index(name.lower()), chairs))
    return tuple(sorted(dict(pairs).items()))


def read_settings(path: Path) -> Settings:
    """The site's settings from its file (`config.toml`): the defaults when there is none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot be read: {exc}") from None
    return parse_settings(text, str(path))
