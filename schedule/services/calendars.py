"""A patient's calendar: one `.ics` (`patient_calendar`), a folder of every active patient's
(`calendar_folder`). Both only read: each event's SEQUENCE and LAST-MODIFIED come from what the
writes that changed the schedule remembered (`calendars/memory.py`). The feed server answers a
feed with `patient_calendar` too (`web/feeds.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from schedule.calendars.folder import FolderResult, write_folder
from schedule.calendars.publisher import Calendar, Publisher
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.patientview.titles import Titles
from schedule.store.database import Store


@dataclass(frozen=True)
class Form:
    """How a calendar is written this time: the patient's name in its name, the titles, the
    language (None: the site's titles; the patient's language, else the site's)."""

    with_name: bool = False
    titles: Titles | None = None
    lang: str | None = None


def _publisher(
    store: Store, catalog: Catalog, settings: Settings, today: date, now: datetime, form: Form
) -> Publisher:
    made = Publisher(store, catalog, settings, today, now, form.with_name)
    made.titles, made.lang = form.titles, form.lang
    return made


def patient_calendar(
    store: Store,
    catalog: Catalog,
    settings: Settings,
    today: date,
    now: datetime,
    patient_id: str,
    form: Form = Form(),
    namespace: str | None = None,
) -> Calendar:
    """The calendar of `patient_id` as of `today` (all courses), read in one transaction.
    `namespace`: the store's UID namespace when already known (it never changes)."""
    made = _publisher(store, catalog, settings, today, now, form)
    return made.patient(patient_id, namespace=namespace)


def calendar_folder(
    store: Store,
    catalog: Catalog,
    settings: Settings,
    today: date,
    now: datetime,
    folder: Path,
    workers: int,
    on_progress: Callable[[int, int], None] | None = None,
    form: Form = Form(),
) -> FolderResult:
    """`PATIENT.ics` for every active patient in `folder`, rewriting only what changed."""
    made = _publisher(store, catalog, settings, today, now, form)
    return write_folder(made, folder, workers, on_progress)
