"""Issue 29, the patient's calendar: no alarm on a tentative event (2), alarms that say what
they are about, one for each visit (3), repeats that keep their instructions (4), numbers,
dates, elisions and zone names as each language writes them (8), and a calendar name with
", ; \\" that every parser the suite uses reads alike (12). Calendars of the sample clinic,
read back by icalendar, vobject, Home Assistant's `ical`, recurring-ical-events and ical.js."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events
import vobject
from freezegun import freeze_time

from schedule.calendars.ical import Head, escape_text, name_text
from schedule.i18n import catalogue
from tests.calendars import check_calendar, ical_js
from tests.conftest import sample_clinic

TODAY = "2026-12-07 10:00:00"
LOCK_SCREEN_WORDS = ("Lutathera", "octreotide", "Pluvicto", "radiation", "PRRT", "hormone")


@pytest.fixture
def clinic(run, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    """The sample clinic (`samples/`) in an SQLite file: NET-001 starts Lutathera on
    2026-12-14 at 09:00 in Zurich, NET-005's dose 3 is on hold since 2026-08-10, NET-011 has
    finished its course."""
    return sample_clinic(run, tmp_path / "clinic.db")


def calendar(run, db: str, tmp_path: Path, patient: str, *options: str) -> icalendar.Calendar:  # type: ignore[no-untyped-def]
    target = tmp_path / f"{patient}.ics"
    done = run("--db", db, "ics", patient, "-o", str(target), *options)
    assert done.exit_code == 0, done.stderr
    return icalendar.Calendar.from_ical(target.read_bytes())


def alarms(cal: icalendar.Calendar) -> list[tuple[icalendar.Event, str]]:
    return [(e, str(a["DESCRIPTION"])) for e in cal.walk("VEVENT") for a in e.walk("VALARM")]


def day_of(event: icalendar.Event) -> date:
    start = event["DTSTART"].dt
    return start if not hasattr(start, "date") else start.date()


@freeze_time(TODAY)
def test_2_a_tentative_event_rings_no_alarm(run, clinic: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cal = calendar(run, clinic, tmp_path, "NET-005")
    tentative = [e for e in cal.walk("VEVENT") if e["STATUS"] == "TENTATIVE"]
    assert len(tentative) > 20  # the held dose and all that waits behind it
    assert all(not e.walk("VALARM") for e in tentative)
    injection = [e for e in tentative if day_of(e) == date(2026, 12, 14)]
    assert [str(e["SUMMARY"]) for e in injection] == ["Clinic visit (injection)"]
    # What still rings is confirmed.
    assert all(e["STATUS"] == "CONFIRMED" for e, _ in alarms(cal))


@freeze_time(TODAY)
def test_3_one_alarm_for_a_visit_that_says_what_it_is_about(
    run, clinic: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    cal = calendar(run, clinic, tmp_path, "NET-001")
    ringing = alarms(cal)
    around = [text for e, text in ringing if date(2026, 12, 13) <= day_of(e) <= date(2026, 12, 14)]
    # The reminders of the day before and the injection after the infusion ring with it.
    assert around == [
        "Tomorrow 09:00: clinic visit, about 5 hours; an injection too; no short-acting "
        "injection from now on; drink plenty of fluids",
        "From today: precautions at home start",
        "From today: precautions at home start",
    ]
    day_before = [e for e in cal.walk("VEVENT") if day_of(e) == date(2026, 12, 13)]
    assert len(day_before) == 2
    assert all(not e.walk("VALARM") for e in day_before)
    texts = {text for _, text in ringing}
    assert not any(t.endswith(("Reminder", "Clinic visit (injection)")) for t in texts)
    assert not any(word in t for t in texts for word in LOCK_SCREEN_WORDS)
    assert {
        "Tomorrow: last day for a monthly injection before the next visit",
        "From today: blood test",
        "From today: test before the next visit",
        "Tomorrow: your injection",
        "Tomorrow: scan at the clinic",
        "Today: contraception may end",
    } <= texts
    # In the patient's language, with the same words in every visit's alarm.
    german = calendar(run, clinic, tmp_path, "NET-001", "--lang", "de")
    assert (
        "Morgen 09:00 Uhr: Termin in der Klinik, etwa 5 Stunden; dazu eine Spritze; ab jetzt "
        "keine kurz wirkende Spritze; viel trinken"
    ) in {text for _, text in alarms(german)}


@freeze_time(TODAY)
def test_3_plain_titles_ring_with_the_plain_title(run, clinic: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cal = calendar(run, clinic, tmp_path, "NET-001", "--titles", "plain")
    texts = [text for _, text in alarms(cal)]
    assert (
        "Tomorrow 09:00: Lutathera treatment 1 of 4: infusion at the clinic; an injection too; "
        "no short-acting injection from now on; drink plenty of fluids"
    ) in texts


@freeze_time(TODAY)
def test_4_repeated_blood_tests_keep_their_description(run, clinic: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for titles in ("plain", "discreet"):
        cal = calendar(run, clinic, tmp_path, "NET-011", "--titles", titles)
        follow_ups = [
            e for e in cal.walk("VEVENT") if "after the last Lutathera treatment" in str(e)
            and "Blood tests" in str(e.get("SUMMARY", "")) + str(e.get("DESCRIPTION", ""))
        ]  # fmt: skip
        assert len(follow_ups) == 4
        for event in follow_ups:
            assert "Blood counts, kidney tests and liver tests" in str(event["DESCRIPTION"])


@freeze_time(TODAY)
def test_8_numbers_zones_and_french_typography_in_the_calendar(
    run, clinic: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    english = calendar(run, clinic, tmp_path, "NET-001")
    descriptions = " ".join(str(e["DESCRIPTION"]) for e in english.walk("VEVENT"))
    assert "Appointment at 09:00, Switzerland Time." in descriptions
    assert "Europe/Zurich" not in descriptions
    french = calendar(run, clinic, tmp_path, "NET-001", "--lang", "fr", "--with-name")
    assert str(french["X-WR-CALNAME"]) == "Calendrier de traitement d'Ana Example"
    text = " ".join(str(e["DESCRIPTION"]) for e in french.walk("VEVENT"))
    assert "Rendez-vous à 09:00, heure\u00a0: Suisse." in text
    assert " :" not in text
    assert " ;" not in text
    german = calendar(run, clinic, tmp_path, "NET-002", "--lang", "de")
    text = " ".join(str(e["DESCRIPTION"]) for e in german.walk("VEVENT"))
    assert "Dosis: 7,4 GBq." in text
    assert "7.4" not in text


def test_8_the_words_of_each_language() -> None:
    french, german, spanish = catalogue("fr"), catalogue("de"), catalogue("es")
    assert french.date(date(2027, 6, 1)) == "1er juin 2027"
    assert french.date(date(2027, 6, 2)) == "2 juin 2027"
    assert french.date(date(2027, 6, 1), "full") == "mardi 1er juin 2027"
    assert french.text("handout.title_for", name="Ana") == "Calendrier de traitement d'Ana"
    assert french.text("handout.title_for", name="Éloïse") == "Calendrier de traitement d'Éloïse"
    assert french.text("handout.title_for", name="Jean") == "Calendrier de traitement de Jean"
    assert french.text("calendar.dose", dose=french.quantity("3.7 GBq")) == "Dose\u00a0: 3,7 GBq."
    assert (german.quantity("7.4 GBq"), spanish.quantity("7.4 GBq")) == ("7,4 GBq", "7,4 GBq")
    assert catalogue("en").quantity("7.4 GBq and 30 mg") == "7.4 GBq and 30 mg"
    assert german.zone("Europe/Zurich") == "Schweiz (Ortszeit)"
    assert spanish.zone("America/New_York") == "hora de Estados Unidos (Nueva York)"
    for key in ("regimens.lutathera.contraception-men.description",
                "regimens.lutathera.contraception-women.description"):  # fmt: skip
        assert "siehe jene Erinnerung" in german.text(key)


# -- 12: a calendar name with , ; \ -------------------------------------------------------------

NAME = "Doe, Jane; A\\B"


def what_each_shows(text: str, folder: Path, file: str) -> dict[str, tuple[str, str]]:
    """NAME and X-WR-CALNAME as each parser the suite uses reads them."""
    from ical.calendar_stream import IcsCalendarStream

    shown = {}
    cal = icalendar.Calendar.from_ical(text)
    shown["icalendar"] = (str(cal["NAME"]), str(cal["X-WR-CALNAME"]))
    read = vobject.readOne(text)
    shown["vobject"] = (read.contents["name"][0].value, read.contents["x-wr-calname"][0].value)
    home = IcsCalendarStream.calendar_from_ics(text)
    extras = {e.name: e.value for e in home.extras}
    shown["ical"] = (home.name[0], extras["x-wr-calname"])
    path = folder / file
    path.write_bytes(text.encode("utf-8"))
    js = ical_js(path)[str(path)]["calendar"]
    shown["ical.js"] = (js["name"], js["xWrCalname"])
    return shown


def small_calendar(name_line: str) -> str:
    event = (
        "BEGIN:VEVENT\r\nUID:1@prrt\r\nDTSTAMP:20261207T000000Z\r\n"
        "DTSTART;VALUE=DATE:20261214\r\nDTEND;VALUE=DATE:20261215\r\nSUMMARY:x\r\nEND:VEVENT\r\n"
    )
    return f"{name_line}{event}END:VCALENDAR\r\n"


def test_12_the_calendar_name_reads_alike_in_every_parser(tmp_path: Path) -> None:
    written = small_calendar(Head(NAME).text())
    expected = name_text(NAME)
    assert expected == "Doe\u201a Jane; A\uff3cB"
    shown = what_each_shows(written, tmp_path, "chosen.ics")
    assert shown == dict.fromkeys(("icalendar", "vobject", "ical", "ical.js"), (expected,) * 2)
    cal = icalendar.Calendar.from_ical(written)
    assert len(recurring_ical_events.of(cal).between(date(2026, 12, 1), date(2027, 1, 1))) == 1
    assert str(cal.calendar_name) == expected
    # Why: the name escaped as TEXT keeps its backslashes in two parsers, and unescaped,
    # vobject cuts it at the comma.
    escaped = what_each_shows(
        small_calendar(Head("x").text().replace("NAME:x", f"NAME:{escape_text(NAME)}")),
        tmp_path,
        "escaped.ics",
    )
    assert escaped["icalendar"][0] == escaped["ical.js"][1] == "Doe\\, Jane\\; A\\\\B"
    assert escaped["vobject"][0] == NAME
    raw = what_each_shows(
        small_calendar(Head("x").text().replace("NAME:x", f"NAME:{NAME}")), tmp_path, "raw.ics"
    )
    assert raw["vobject"][0] == "Doe"
    assert raw["icalendar"][0] == raw["ical.js"][0] == NAME


@freeze_time(TODAY)
def test_12_a_patients_name_with_a_comma_in_a_real_calendar(
    run, clinic: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    added = run(
        "--db", clinic, "patient", "add", "NET-030", "--regimen", "lutathera",
        "--start", (date(2026, 12, 7) + timedelta(days=40)).isoformat(), "--name", NAME,
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    target = tmp_path / "named.ics"
    done = run("--db", clinic, "ics", "NET-030", "--with-name", "-o", str(target))
    assert done.exit_code == 0, done.stderr
    seen = check_calendar(target.read_bytes(), tmp_path, "named-check.ics")
    name = "Treatment calendar for Doe\u201a Jane; A\uff3cB"
    assert (seen["calendar"]["name"], seen["calendar"]["xWrCalname"]) == (name, name)
    text = target.read_text(encoding="utf-8")
    assert what_each_shows(text, tmp_path, "named-again.ics")["vobject"] == (name, name)


def test_4_every_event_a_patient_sees_says_what_to_do_in_every_regimen() -> None:
    from schedule.domain.regimen_file import load_catalog
    from schedule.domain.settings import Settings
    from schedule.engine.calendar import PlanOptions, build_calendar
    from schedule.patientview.wording import patient_words

    catalog = load_catalog()
    for regimen in catalog.regimens:
        for variant in regimen.precaution_variants or (None,):
            events = build_calendar(
                regimen, date(2027, 3, 1), options=PlanOptions(precautions=variant),
                pregnancy_test=True, settings=Settings(interim_blood_counts=True),
            )  # fmt: skip
            for event in events:
                if event.series not in regimen.staff_series:
                    for lang in ("en", "de", "es", "fr"):
                        words = patient_words(event, regimen, catalogue(lang))
                        assert words.description, (regimen.id, event.key, lang)
    lutathera = catalog.get("lutathera")
    follow_up = next(
        e for e in build_calendar(lutathera, date(2027, 3, 1)) if e.key == "followup-labs-2"
    )
    assert patient_words(follow_up, lutathera, catalogue("de")).description.startswith("Blutbild")
