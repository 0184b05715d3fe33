"""Issue 12: `ics --all` builds each event's text once per distinct event (`bodies.py`), hashes
UIDs from a shared beginning, and builds and publishes in its worker processes. Every shortcut
gives the plain path's bytes: `entry(...).body()`, `uid_for`, `Event._replace`, and whole
calendars written one at a time from `course_entries` and `write_calendar`."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from hypothesis import given
from hypothesis import strategies as st

from schedule.calendars.bodies import Bodies, Uids
from schedule.calendars.entries import course_entries, entry, head
from schedule.calendars.folder import file_name, write_folder
from schedule.calendars.ical import uid_for, write_calendar
from schedule.calendars.memory import revisions, shown_events
from schedule.calendars.publisher import Publisher
from schedule.domain.model import Event, Status
from schedule.domain.pregnancy import hidden_from
from schedule.domain.regimen_file import load_catalog
from schedule.domain.settings import Settings
from schedule.engine.calendar import build_calendar
from schedule.i18n import LANGUAGES, catalogue
from schedule.patientview.appointment import Appointment, appointment
from schedule.patientview.settled import _moved, settled_courses
from schedule.patientview.titles import Titles
from schedule.store.database import Store
from tests.conftest import SAMPLES, add_broken_course

CATALOG = load_catalog()
REGIMENS = CATALOG.ids()  # every shipped regimen
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)

SITES = [
    Settings(),
    Settings(
        clinic_name="NET Clinic, Bern",
        clinic_address="Freiburgstrasse 18; 3010 Bern",
        clinic_phone="+41 31 632 21 11",
        clinic_email="net@example.org",
        appointment_minutes=45,
    ),
]
SLOTS = [
    None,
    Appointment(time(9, 0), ZoneInfo("Europe/Zurich")),
    Appointment(time(2, 30), ZoneInfo("America/New_York")),
]


# An event as a course may hold it: any status, given on some day or not, moved, provisional.
changes = st.lists(
    st.tuples(
        st.integers(0, 10_000),  # which event
        st.sampled_from(list(Status)),
        st.one_of(st.none(), st.integers(-5, 40)),  # given so many days after its day
        st.integers(-3, 3),  # moved by so many days
        st.booleans(),  # provisional
    ),
    min_size=1,
    max_size=25,
)


@given(
    regimen_id=st.sampled_from(REGIMENS),
    start=st.dates(date(2025, 1, 1), date(2028, 12, 31)),
    site=st.sampled_from(SITES),
    slot=st.sampled_from(SLOTS),
    titles=st.sampled_from(list(Titles)),
    lang=st.sampled_from(sorted(LANGUAGES)),
    altered=changes,
)
def test_a_reused_body_is_the_plain_paths_byte_for_byte(
    regimen_id: str,
    start: date,
    site: Settings,
    slot: Appointment | None,
    titles: Titles,
    lang: str,
    altered: list[tuple[int, Status, int | None, int, bool]],
) -> None:
    regimen = CATALOG.get(regimen_id)
    events = build_calendar(regimen, start, as_of=start + timedelta(days=120), settings=site)
    words = catalogue(lang, site)
    bodies = Bodies(site, titles, words)
    body_of = bodies.course(regimen, slot)
    seen: list[tuple[Event, bool]] = []
    for index, status, given_after, moved, provisional in altered:
        event = events[index % len(events)]
        day = event.date + timedelta(days=moved)
        given_on = None if given_after is None else event.date + timedelta(days=given_after)
        event = event._replace(date=day, end=max(day, event.end), status=status, given_on=given_on)
        seen.append((event, provisional))
    for _ in range(2):  # the second time from what the first kept
        for event, provisional in seen:
            plain = entry(event, regimen, site, slot, titles, provisional, words).body()
            assert body_of(event, provisional) == plain


def test_bodies_of_every_event_of_every_regimen_match_in_every_language() -> None:
    """Each regimen's whole calendar, timed and all-day, plain and discreet, in each language;
    each body asked for twice, through one `Bodies` per language and titles."""
    for site in SITES:
        for lang in sorted(LANGUAGES):
            words = catalogue(lang, site)
            for titles in Titles:
                bodies = Bodies(site, titles, words)
                for regimen_id in REGIMENS:
                    regimen = CATALOG.get(regimen_id)
                    events = build_calendar(regimen, date(2027, 3, 1), settings=site)
                    for slot in SLOTS:
                        body_of = bodies.course(regimen, slot)
                        for event in (*events, *events):
                            plain = entry(event, regimen, site, slot, titles, False, words).body()
                            assert body_of(event, False) == plain


def test_bodies_forgotten_when_too_many_are_kept_are_built_again_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import schedule.calendars.bodies as bodies_module

    monkeypatch.setattr(bodies_module, "WHOLES", 5)
    monkeypatch.setattr(bodies_module, "RESTS", 3)
    site, words = SITES[0], catalogue("es")
    bodies = Bodies(site, Titles.PLAIN, words)
    regimen = CATALOG.get("lutathera")
    events = build_calendar(regimen, date(2027, 3, 1), as_of=date(2027, 6, 1))
    body_of = bodies.course(regimen, SLOTS[1])
    for event in (*events, *reversed(events), *events):
        plain = entry(event, regimen, site, SLOTS[1], Titles.PLAIN, False, words).body()
        assert body_of(event, False) == plain
    assert len(bodies._wholes) <= 5


def test_every_part_of_an_event_that_its_words_or_dates_depend_on_is_told_apart() -> None:
    """Through one `Bodies`: each event, then the same event with one thing changed (its day,
    its end, the day given, its status, whether it waits, its texts), then a regimen with the
    same id and another visit length: each gives its own plain body."""
    site = SITES[1]
    words = catalogue("fr", site)
    bodies = Bodies(site, Titles.DISCREET, words)
    lutathera = CATALOG.get("lutathera")
    longer = dataclasses.replace(
        lutathera, dose=dataclasses.replace(lutathera.dose, visit_hours=Decimal("7.5"))
    )
    events = build_calendar(lutathera, date(2027, 3, 1), as_of=date(2027, 5, 1), settings=site)
    for regimen in (lutathera, longer, lutathera):
        for slot in SLOTS:
            body_of = bodies.course(regimen, slot)
            for event in events:
                day = event.date + timedelta(days=2)
                variants = [
                    (event, False),
                    (event, True),
                    (event._replace(date=day, end=max(day, event.end)), False),
                    (event._replace(end=event.end + timedelta(days=3)), False),
                    (event._replace(given_on=event.date), False),
                    (event._replace(given_on=day, status=Status.GIVEN), False),
                    (event._replace(status=Status.HELD), False),
                    (event._replace(status=Status.MISSED), True),
                    (event._replace(title=event.title + " (2)"), False),
                    (event._replace(description="Bring your letter."), False),
                    (event._replace(dose="3.7 GBq"), False),
                    (event._replace(number=event.number + 1), False),
                ]
                for variant, provisional in variants:
                    plain = entry(variant, regimen, site, slot, Titles.DISCREET, provisional, words)
                    text = plain.body()
                    assert body_of(variant, provisional) == text


@given(
    namespace=st.text(min_size=1, max_size=40),
    parts=st.lists(st.one_of(st.integers(), st.text(max_size=10)), max_size=3),
    keys=st.lists(st.text(max_size=20), min_size=1, max_size=5),
)
def test_uids_from_a_shared_beginning_are_uid_for(
    namespace: str, parts: list[object], keys: list[str]
) -> None:
    uid_of = Uids(namespace, *parts)
    for key in keys:
        assert uid_of(key) == uid_for(namespace, *parts, key)


def test_a_moved_event_is_replace_with_every_field() -> None:
    events = build_calendar(CATALOG.get("lutathera"), date(2027, 3, 1))
    assert any(e.description for e in events)
    for event in events:
        day, end = event.date + timedelta(days=3), event.end + timedelta(days=4)
        moved = _moved(event, day, end)
        expected = event._replace(date=day, end=end)
        assert tuple(moved) == tuple(expected)  # every field, the description included
        assert Event._fields[7:9] == ("date", "end")


# -- whole folders ------------------------------------------------------------------------------


@pytest.fixture
def clinic(run, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    """The sample clinic: twelve patients, four regimens, appointment times in two zones,
    doses given, held, skipped and discontinued."""
    db = str(tmp_path / "clinic.db")
    with freeze_time("2026-11-21"):
        assert (
            run("--db", db, "import", "roster", "--create", str(SAMPLES / "roster.csv")).exit_code
            == 0
        )
        assert run("--db", db, "import", "doses", str(SAMPLES / "doses.csv")).exit_code == 0
    return db


def publisher(db: str, titles: Titles, lang: str | None = None) -> Publisher:
    made = Publisher(Store.open(db, NOW.isoformat()), CATALOG, Settings(), NOW.date(), NOW)
    made.titles, made.lang = titles, lang
    return made


def plain_calendars(db: str, titles: Titles, lang: str | None) -> dict[str, bytes]:
    """Each active patient's calendar the plain way: settled courses, `course_entries`,
    `Entry.body`, `write_calendar`, each event's revision as the store remembers it."""
    made = publisher(db, titles, lang)
    with made.store.read() as tx:
        snap = made.snapshot(tx)
        records = tx.records(None)
        stopped = tx.published.discontinued_courses()
        last = tx.published.remembered(None)
    out = {}
    for patient in snap.patients:
        if all(c.id in stopped for c in snap.courses[patient.id]):
            continue  # no file for a patient whose care here has ended
        words = made.words(patient)
        slot = appointment(patient)
        shown = shown_events(CATALOG, made.settings, snap.namespace, patient,
                             snap.courses[patient.id], records, NOW.date())  # fmt: skip
        revised = dict(
            zip([s.uid for s in shown], revisions(shown, last, made.site_digest), strict=True)
        )
        events = []
        for course in settled_courses(
            CATALOG, made.settings, patient, snap.courses[patient.id], records, NOW.date()
        ):
            view = course.view
            regimen = CATALOG.get(view.course.regimen)
            for uid, item in course_entries(
                snap.namespace, (view.course.id,), view.events, regimen, made.settings, slot,
                titles, course.provisional, words, hidden_from(regimen, patient),
            ):  # fmt: skip
                events.append((uid, revised[uid], item.body()))
        calendar = head(made.settings, patient, False, titles, words)
        out[file_name(patient.id)] = write_calendar(calendar, events).encode("utf-8")
    made.store.close()
    return out


@pytest.mark.parametrize(("titles", "lang"), [(Titles.DISCREET, None), (Titles.PLAIN, "de")])
@pytest.mark.parametrize("workers", [1, 2])
def test_a_folder_is_the_plain_paths_in_one_process_or_two(
    clinic: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, titles: Titles, lang: str | None,
    workers: int,
) -> None:  # fmt: skip
    import schedule.store.parallel as parallel

    db = str(tmp_path / "copy.db")
    shutil.copy(clinic, db)
    expected = plain_calendars(db, titles, lang)
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 1)  # fork even for twelve patients
    out = tmp_path / "cal"
    made = publisher(db, titles, lang)
    result = write_folder(made, out, workers)
    assert (result.new, result.broken) == (len(expected), []) == (11, [])
    assert {p.name: p.read_bytes() for p in out.glob("*.ics")} == expected
    again = write_folder(made, out, workers)  # the store knows them all: nothing to write
    assert (again.written, again.unchanged) == (0, len(expected))
    made.store.close()


def test_a_calendar_that_cannot_be_computed_alone_in_its_batch_is_left_out(
    clinic: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A patient whose course has a date out of range keeps the file it had, and the others
    are written, even when it is the only patient of a batch (one patient at a time here)."""
    from schedule.calendars import folder as folder_module

    add_broken_course(clinic)
    monkeypatch.setattr(folder_module, "BATCH", 1)
    made = publisher(clinic, Titles.DISCREET)
    result = write_folder(made, tmp_path / "cal")
    assert (result.new, result.broken) == (11, ["BAD"])
    made.store.close()
