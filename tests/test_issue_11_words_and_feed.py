"""Issue 11, the rest: plain words in what a patient reads (held, overdue and sex-specific items
included), and the feed's conditional and compressed responses (Last-Modified,
If-Modified-Since, If-None-Match: *, gzip) decided in few queries.

Every calendar written here is checked byte by byte and read by the independent parsers
(tests/calendars.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import event

from schedule.calendars.feeds import issue
from schedule.calendars.publisher import plan_calendar
from schedule.domain.options import PlanOptions
from schedule.domain.regimen_file import load_catalog
from schedule.domain.settings import Settings
from schedule.engine.calendar import build_calendar
from schedule.patientview.titles import Titles
from schedule.patientview.wording import patient_words
from schedule.store.database import Store
from schedule.web.asgi import FeedServer
from tests.calendars import by_title, check_calendar
from tests.conftest import actor
from tests.test_issue_11_calendars import PATIENTS, alarm_texts, sample_clinic, unfolded
from tests.web import feed_app, get

pytestmark = pytest.mark.usefixtures("config_dir")

# Terms a patient may not know: allowed only in the phrases that explain them.
JARGON = re.compile(r"\b(PRRT|SSA|LAR|SSTR|[Rr]estaging|[Rr]adioligand|IM|SC|somatostatin)\b")
EXPLAINED = (
    "(this treatment is called PRRT, peptide receptor radionuclide therapy)",
    "a PET scan with a tracer that shows the cells that have somatostatin receptors (SSTR PET)",
    "to see how the treatment has worked (restaging)",
    "is a long-acting somatostatin analogue: a man-made form of a natural hormone",
)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = Store.open(db_url, "2026-11-23T00:00:00Z")
    yield opened
    opened.close()


def _descriptions(text: str) -> list[str]:
    """Each event's DESCRIPTION, unfolded and unescaped enough to read words."""
    return [
        line.removeprefix("DESCRIPTION:").replace("\\n", " ").replace("\\,", ",")
        for line in unfolded(text)
        if line.startswith("DESCRIPTION:")
    ]


def test_what_a_patient_reads_has_no_unexplained_jargon(run, db_url: str) -> None:  # type: ignore[no-untyped-def]
    sample_clinic(run, db_url)
    with freeze_time("2026-11-23 08:00:00"):
        texts = [
            run("--db", db_url, "ics", pid, "--titles", plain).stdout_bytes.decode()
            for pid in PATIENTS
            for plain in ("plain", "discreet")
        ]
    shown = [
        line
        for text in texts
        for line in unfolded(text)
        if line.startswith(("SUMMARY:", "X-WR-CALNAME:", "NAME:", "LOCATION:"))
    ] + [line for text in texts for line in alarm_texts(text)]
    assert len(shown) > 1000
    assert [line for line in shown if JARGON.search(line)] == []
    descriptions = [d for text in texts for d in _descriptions(text)]
    left = set()
    for description in descriptions:
        for phrase in EXPLAINED:
            description = description.replace(phrase, "")
        left.update(JARGON.findall(description))
    assert left == set()
    assert not [text for text in texts if "PRRT dose" in text]  # the staff's words stay theirs


def test_staff_titles_stay_and_a_regimen_without_patient_words_falls_back(run) -> None:  # type: ignore[no-untyped-def]
    shown = run("plan", "lutathera", "--start", "2027-03-01")
    assert "PRRT dose 1 of 4: Lutathera infusion" in shown.stdout
    assert "Octreotide LAR 30 mg after PRRT dose 1" in shown.stdout
    lutathera = load_catalog().get("lutathera")
    events = {e.key: e for e in build_calendar(lutathera, date(2027, 3, 1))}
    words = patient_words(events["prrt-1"], lutathera)
    assert words.title == "Lutathera treatment 1 of 4: infusion at the clinic"
    assert "PRRT, peptide receptor radionuclide therapy" in words.description
    bare = replace(
        lutathera, dose=replace(lutathera.dose, patient_title="", patient_description="")
    )
    assert patient_words(events["prrt-1"], bare).title == "PRRT dose 1 of 4: Lutathera infusion"
    assert patient_words(events["prrt-1"], bare).description == events["prrt-1"].description
    # Each precaution variant keeps its own words.
    options = PlanOptions(precautions="us")
    us = {e.key: e for e in build_calendar(lutathera, date(2027, 3, 1), options=options)}
    assert "For about 3 days" in patient_words(us["precautions-1"], lutathera).description
    assert "For 7 days" in patient_words(events["precautions-1"], lutathera).description


def test_sex_specific_items_say_whom_they_are_for(tmp_path: Path) -> None:
    lutathera = load_catalog().get("lutathera")
    us = Settings(precautions="us")  # the sex-specific end dates are the US variant's (L39)
    events = build_calendar(lutathera, date(2027, 3, 1), settings=us)
    now = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    text = plan_calendar(lutathera, date(2027, 3, 1), events, us, now, None, Titles.PLAIN)
    seen = check_calendar(text.encode(), tmp_path)
    summaries = {e["summary"] for e in seen["events"]}
    assert {
        "If you are a man: contraception may end today (4 months after the last Lutathera "
        "treatment)",
        "If you are a woman: contraception may end today (7 months after the last Lutathera "
        "treatment)",
        "If you breastfeed: the time without breastfeeding ends today (2.5 months after the last "
        "Lutathera treatment)",
    } <= summaries
    assert not [s for s in summaries if "contraception for men" in s or "for women (" in s]
    men = next(e for e in seen["events"] if e["summary"].startswith("If you are a man"))
    assert men["description"].startswith("For men only: use contraception until 4 months")


@freeze_time("2026-11-23 08:00:00")
def test_a_held_dose_says_the_team_will_call_and_an_overdue_one_to_call_the_clinic(
    run, db_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    sample_clinic(run, db_url)
    held = check_calendar(run("--db", db_url, "ics", "NET-005").stdout_bytes, tmp_path, "5.ics")
    dose = by_title(held["events"], "Lutathera treatment 3 of 4: infusion at the clinic")
    assert dose["summary"] == "Paused: Clinic visit (infusion)"
    assert dose["description"].startswith("Paused: your care team will give you a new date.\n\n")
    assert (dose["status"], dose["alarms"]) == ("TENTATIVE", [])  # no alarm for a paused day
    late = check_calendar(run("--db", db_url, "ics", "NET-003").stdout_bytes, tmp_path, "3.ics")
    dose = by_title(late["events"], "Lutathera treatment 2 of 4: infusion at the clinic")
    assert dose["summary"] == "Not done yet: Clinic visit (infusion)"
    assert dose["description"].startswith("Not done yet: please call the clinic.\n\n")


# -- the feed: conditional requests and gzip ---------------------------------------------------


def _feed(run, db_url: str, store: Store) -> tuple[FeedServer, str, dict[str, datetime]]:  # type: ignore[no-untyped-def]
    sample_clinic(run, db_url)
    tokens: list[str] = []
    issue(store, "NET-003", False, actor(), tokens.append)
    clock = {"now": datetime(2026, 11, 24, 9, 0, tzinfo=UTC)}
    app = feed_app(store, load_catalog(), Settings(), lambda: clock["now"])
    return app, f"/feeds/{tokens[0]}.ics", clock


def _latest_modified(body: bytes) -> datetime:
    stamps = re.findall(rb"LAST-MODIFIED:(\d{8}T\d{6}Z)", body)
    return max(datetime.strptime(s.decode(), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) for s in stamps)


def test_last_modified_and_if_modified_since(run, db_url: str, store: Store) -> None:  # type: ignore[no-untyped-def]
    app, path, clock = _feed(run, db_url, store)
    status, headers, body = get(app, path)
    assert status == "200 OK"
    stamp = headers["Last-Modified"]
    assert stamp == format_datetime(_latest_modified(body), usegmt=True)
    assert stamp.endswith(" GMT")
    assert headers["Vary"] == "Accept-Encoding"
    etag = headers["ETag"]
    same = get(app, path, if_modified_since=stamp)
    assert same == ("304 Not Modified", {**_conditional(etag, stamp)}, b"")
    later = format_datetime(_latest_modified(body) + timedelta(days=3), usegmt=True)
    assert get(app, path, if_modified_since=later)[0] == "304 Not Modified"
    earlier = format_datetime(_latest_modified(body) - timedelta(seconds=1), usegmt=True)
    assert get(app, path, if_modified_since=earlier)[:2] == ("200 OK", headers)
    assert get(app, path, if_modified_since="yesterday")[0] == "200 OK"  # not a date: ignored
    # If-None-Match decides when both are sent (RFC 9110, 13.2.2).
    assert get(app, path, if_none_match='"other"', if_modified_since=stamp)[0] == "200 OK"
    # Something new: a later Last-Modified, and the old stamp gets the calendar again.
    clock["now"] = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    with freeze_time("2026-11-25 09:00:00"):
        moved = run("--db", db_url, "reschedule", "NET-003", "prrt-2", "--date", "2026-11-30",
                    "--reason", "bed")  # fmt: skip
    assert moved.exit_code == 0, moved.stderr
    status, headers, body = get(app, path, if_modified_since=stamp)
    assert status == "200 OK"
    assert "Last-Modified" not in headers  # changed this very second: no time to go by yet
    clock["now"] = datetime(2026, 11, 25, 9, 0, 1, tzinfo=UTC)
    status, headers, body = get(app, path, if_modified_since=stamp)
    assert status == "200 OK"
    assert headers["Last-Modified"] == "Wed, 25 Nov 2026 09:00:00 GMT"
    assert _latest_modified(body) == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _conditional(etag: str, stamp: str) -> dict[str, str]:
    return {
        "ETag": etag,
        "Last-Modified": stamp,
        "Vary": "Accept-Encoding",
        "Cache-Control": "no-cache, private",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


def test_if_none_match_star_is_304_for_a_feed_that_exists(run, db_url: str, store: Store) -> None:  # type: ignore[no-untyped-def]
    app, path, _ = _feed(run, db_url, store)
    status, headers, _ = get(app, path, if_none_match="*")
    assert status == "304 Not Modified"
    assert headers == _conditional(get(app, path)[1]["ETag"], headers["Last-Modified"])
    unknown = get(app, f"/feeds/{'A' * 32}.ics", if_none_match="*")
    assert unknown[::2] == ("404 Not Found", b"Not Found\n")


def test_gzip_when_the_client_accepts_it(run, db_url: str, store: Store) -> None:  # type: ignore[no-untyped-def]
    app, path, _ = _feed(run, db_url, store)
    _, plain_headers, plain = get(app, path)
    status, headers, zipped = get(app, path, accept_encoding="deflate, gzip;q=0.8")
    assert status == "200 OK"
    assert (headers["Content-Encoding"], headers["Vary"]) == ("gzip", "Accept-Encoding")
    assert gzip.decompress(zipped) == plain
    assert len(zipped) < len(plain) / 3
    assert headers["Content-Length"] == str(len(zipped))
    assert headers["ETag"] == plain_headers["ETag"][:-1] + '-gzip"'  # another representation
    assert headers["Last-Modified"] == plain_headers["Last-Modified"]
    assert get(app, path, accept_encoding="gzip")[2] == zipped  # the same bytes each time
    for refused in ("gzip;q=0", "identity", "br, *;q=0", ""):
        status, headers, body = get(app, path, accept_encoding=refused)
        assert ("Content-Encoding" not in headers, body) == (True, plain)
    # Either tag matches: a phone that switched encodings still gets its 304, with the tag of
    # what it would get now.
    gzip_tag = plain_headers["ETag"][:-1] + '-gzip"'
    for tag in (plain_headers["ETag"], gzip_tag):
        status, headers, _ = get(app, path, accept_encoding="gzip", if_none_match=tag)
        assert (status, headers["ETag"]) == ("304 Not Modified", gzip_tag)


def test_a_304_for_a_known_feed_reads_no_table_and_writes_nothing(
    run, db_url: str, store: Store
) -> None:  # type: ignore[no-untyped-def]
    app, path, _ = _feed(run, db_url, store)
    etag = get(app, path)[1]["ETag"]
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.split()[0].upper())

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        assert get(app, path, if_none_match=etag)[0] == "304 Not Modified"
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    # Building the calendar wrote nothing, so the store's change mark did not move: the feed
    # is answered from memory, with no statement through the store at all. (PostgreSQL's mark
    # covers the whole server, where other tests write: then the feed is read again, in one
    # query, and still nothing is written.)
    if store.dialect == "sqlite":
        assert statements == []
    assert statements in ([], ["SELECT"])
