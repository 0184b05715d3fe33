"""Issue 26: what a calendar remembers between changes (`calendars/memory.py`). SEQUENCE is
derived from the store's memory and the day alike by every reader, never falls, rises once per
change a subscriber can see, and only the transactions that change a schedule write it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from schedule.calendars.ical import Revision
from schedule.calendars.memory import ORIGIN, State, served
from schedule.store.published import PublishedEvent

EARLIER = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
DAYS = st.dates(min_value=date(2026, 11, 2), max_value=date(2027, 12, 31))


def test_an_event_never_remembered_starts_at_zero_plus_what_the_day_set() -> None:
    assert served(None, State("a", None, None)) == Revision(0, ORIGIN)
    late = State("a", date(2026, 12, 2), None)
    assert served(None, late, EARLIER) == Revision(1, datetime(2026, 12, 2, tzinfo=UTC))


def test_the_same_state_keeps_its_revision_and_a_change_adds_one() -> None:
    stored = PublishedEvent(3, "a:", EARLIER)
    assert served(stored, State("a", None, None)) == Revision(3, EARLIER)
    assert served(stored, State("b", None, None)) == Revision(
        4, EARLIER
    )  # not explained: time kept
    waiting = State("a", None, date(2026, 11, 20))
    assert served(stored, waiting) == Revision(4, datetime(2026, 11, 20, tzinfo=UTC))
    both = State("a", date(2026, 11, 25), date(2026, 11, 20))
    assert served(stored, both) == Revision(5, datetime(2026, 11, 25, tzinfo=UTC))
    # Remembered with its marks: they add nothing more.
    assert served(PublishedEvent(5, "a:LW", EARLIER), both) == Revision(5, EARLIER)
    # A mark gone without a write to explain it is a change too.
    assert served(PublishedEvent(5, "a:LW", EARLIER), State("a", None, None)) == Revision(
        6, EARLIER
    )


@given(
    sequence=st.integers(0, 50),
    late=st.none() | DAYS,
    waiting=st.none() | DAYS,
    later=st.integers(0, 400),
)
def test_the_day_alone_never_lowers_a_revision(
    sequence: int, late: date | None, waiting: date | None, later: int
) -> None:
    """Without a write, a state only gains marks as days pass (a dose becomes late, events
    start waiting): what is served then never has a lower SEQUENCE or an earlier time."""
    stored = PublishedEvent(sequence, "base:", EARLIER)
    before = State("base", late, waiting)
    gained = State(
        "base",
        late or date(2026, 11, 2) + timedelta(days=later),
        waiting or date(2026, 11, 2) + timedelta(days=later),
    )
    first, then = served(stored, before), served(stored, gained)
    assert first.sequence >= sequence
    assert then.sequence >= first.sequence
    assert then.modified >= first.modified
    assert served(stored, before) == first  # derived: the same every time it is asked


def test_the_state_follows_what_any_form_of_the_feed_shows() -> None:
    """A date, a time, a status the patient reads, a dose given or the patient's language
    change an event's state; what no form shows (planned or due) does not, and the same event
    always has the same state (it is hashed from text: the same in every process)."""
    from zoneinfo import ZoneInfo

    from schedule.calendars.memory import state_of
    from schedule.domain.model import Status
    from schedule.domain.regimen_file import load_catalog
    from schedule.engine.calendar import build_calendar
    from schedule.patientview.appointment import Appointment

    day = date(2027, 3, 1)
    event = build_calendar(load_catalog().get("lutathera"), day, as_of=day)[0]
    base = state_of(event, None, None, day, "en").base
    assert state_of(event, None, None, day, "en").base == base
    assert state_of(event._replace(status=Status.DUE), None, None, day, "en").base == base
    nine = Appointment(datetime(2027, 3, 1, 9).time(), ZoneInfo("Europe/Zurich"))
    ten = Appointment(datetime(2027, 3, 1, 10).time(), ZoneInfo("Europe/Zurich"))
    changed = [
        state_of(event._replace(date=day + timedelta(days=7)), None, None, day, "en"),
        state_of(event._replace(status=Status.CANCELLED), None, None, day, "en"),
        state_of(event._replace(status=Status.HELD), None, None, day, "en"),
        state_of(event._replace(given_on=day), None, None, day, "en"),
        state_of(event, nine, None, day, "en"),
        state_of(event, ten, None, day, "en"),
        state_of(event, None, None, day, "fr"),
    ]
    assert len({base, *(s.base for s in changed)}) == len(changed) + 1


# -- written by the writes that change a schedule, never by reading -------------------------


def _published(db: str) -> dict[str, tuple[int, str]]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return {
            u: (s, f)
            for u, s, f in conn.execute("SELECT uid, sequence, fingerprint FROM published")
        }


def test_each_write_raises_what_it_changed_by_one_and_nothing_else(run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from freezegun import freeze_time

    db = str(tmp_path / "m.db")

    def prrt(*args: str) -> None:
        done = run("--db", db, *args)
        assert done.exit_code == 0, done.stderr

    with freeze_time("2026-12-01 09:00:00"):
        prrt("patient", "add", "--create", "P1", "--regimen", "lutathera", "--start", "2026-12-14")
        first = _published(db)
        assert first
        assert {s for s, _ in first.values()} == {0}
        prrt("feed", "url", "P1", "--base", "https://cal.example.org")  # no schedule change
        prrt("ics", "P1", "-o", str(tmp_path / "a.ics"), "--lang", "de", "--titles", "plain")
        assert _published(db) == first
    with freeze_time("2026-12-10 09:00:00"):
        prrt("reschedule", "P1", "prrt-1", "--date", "2026-12-16", "--reason", "bed")
    moved = _published(db)
    changed = {u for u in first if moved[u] != first[u]}
    assert changed
    assert all(moved[u][0] == first[u][0] + 1 for u in changed)
    assert set(moved) >= set(first)
    with freeze_time("2026-12-10 10:00:00"):  # a second write that changes nothing shown
        prrt("patient", "edit", "P1", "--name", "Ana Example")
    assert _published(db) == moved


def test_an_import_of_many_patients_never_lowers_a_sequence_and_raises_what_it_changed(
    run, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """More than `MANY` patients in one write: no calendar is built for them, and an event that
    changed is served more than any reader could have been (a jump, never a fall)."""
    from freezegun import freeze_time

    from schedule.calendars.memory import MANY
    from tests.conftest import by_uid, served_calendars

    db = str(tmp_path / "many.db")
    count = MANY + 10
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "patient_id,regimen,start,past_start\n"
        + "".join(f"P{n:03},lanreotide,2026-11-02,yes\n" for n in range(count)),
        encoding="utf-8",
    )
    doses = tmp_path / "doses.csv"
    doses.write_text(
        "patient_id,event,date,dose\n"
        + "".join(f"P{n:03},ssa-1,2026-11-0{2 + n % 3},120 mg\n" for n in range(count)),
        encoding="utf-8",
    )
    with freeze_time("2026-11-20 09:00:00"):
        assert run("--db", db, "import", "roster", "--create", str(roster)).exit_code == 0
        before = by_uid(served_calendars(run, db, tmp_path / "before"))
        assert len(before) >= count  # every patient's events served
        done = run("--db", db, "import", "doses", str(doses))
        assert done.exit_code == 0, done.stderr
        after = by_uid(served_calendars(run, db, tmp_path / "after"))
    assert set(after) >= set(before)
    changed = [u for u in before if after[u].rest != before[u].rest]
    assert len(changed) >= count  # at least each patient's first injection, now given
    assert all(after[u].sequence > before[u].sequence for u in changed)
    assert all(after[u].sequence >= before[u].sequence for u in before)
