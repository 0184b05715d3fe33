"""Issue 30: an import of many patients writes the calendars' memory a row per course, not per
event, and builds no calendar (`store.published.Mark`). What readers are served must be what
the rows would have given: a roster import reads as if each calendar had been built and
remembered on the import's day, an import on remembered courses reads one more than any
reader could have had, the next write of one patient learns the states again, and no
SEQUENCE ever falls."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schedule.calendars.memory import MANY, _most
from schedule.domain.course import Course, Patient
from schedule.store.database import Store
from schedule.store.published import UNKNOWN, Change, PublishedEvent
from schedule.store.transaction import Tx
from tests.conftest import ServedEvent, actor, by_uid, served_calendars

DAY = "2026-11-20"
COUNT = MANY + 10


def _roster(path: Path, numbers: range) -> Path:
    """Patients with starts from 300 days before `DAY` to 40 days after it: some done, some
    with late doses (events waiting behind them), some not started."""
    lines = ["patient_id,regimen,start,past_start"]
    for n in numbers:
        regimen = "lanreotide" if n % 3 == 0 else "lutathera"
        start = date.fromisoformat(DAY) + timedelta(days=40 - n * 340 // COUNT)
        lines.append(f"P{n:03},{regimen},{start.isoformat()},yes")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _doses(path: Path, numbers: range, event: str, day: str) -> Path:
    lines = ["patient_id,event,date,dose"] + [f"P{n:03},{event},{day},120 mg" for n in numbers]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _no_uids(calendars: dict[str, list[ServedEvent]]) -> dict[str, list[tuple[object, ...]]]:
    """Each file's events without their UIDs (two databases draw different namespaces)."""
    return {k: [(e.sequence, e.modified, e.rest) for e in v] for k, v in calendars.items()}


def test_a_roster_import_reads_as_if_every_calendar_had_been_built(
    run, config_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """One roster of more than `MANY` patients (marks, nothing built) and the same roster in
    parts of at most `MANY` (each calendar built and remembered, as every roster import was
    before): every file reads the same, event by event, on the import's day and after, again
    after a record of one patient, and again after a change of the site's settings that
    changes every event (one more, the time kept)."""
    marked, built = str(tmp_path / "marked.db"), str(tmp_path / "built.db")
    with freeze_time(f"{DAY} 09:00:00"):
        roster = _roster(tmp_path / "all.csv", range(COUNT))
        assert run("--db", marked, "import", "roster", "--create", str(roster)).exit_code == 0
        for part in (range(COUNT // 2), range(COUNT // 2, COUNT)):
            roster = _roster(tmp_path / f"part{part.start}.csv", part)
            assert run("--db", built, "import", "roster", "--create", str(roster)).exit_code == 0
    with Store.open(marked, "x", create=False).read() as tx:
        assert tx.published.last_published(None) == {}  # nothing built, nothing stored
        marks = tx.published.marks(None)
    assert len(marks) == COUNT
    assert {(m.times, m.blank, m.day) for m in marks.values()} == {(0, None, date(2026, 11, 20))}
    for n, day in enumerate(("2026-11-20 10:00", "2026-11-21 08:00", "2027-01-05 08:00")):
        with freeze_time(day):
            first = served_calendars(run, marked, tmp_path / f"m{n}")
            assert _no_uids(first) == _no_uids(served_calendars(run, built, tmp_path / f"b{n}"))
    zero = [e for events in first.values() for e in events if e.sequence == 0]
    assert zero
    assert {e.modified for e in zero} == {"20261120T090000Z"}  # the import's time
    with freeze_time("2027-01-05 09:00:00"):  # a write of one patient learns the states again
        for db in (marked, built):
            done = run("--db", db, "record", "P020", "prrt-1", "--date", "2027-01-04")
            assert done.exit_code == 0, done.stderr
        again = served_calendars(run, marked, tmp_path / "m-again")
        assert _no_uids(again) == _no_uids(served_calendars(run, built, tmp_path / "b-again"))
    changed = [e for e in by_uid(again).values() if e != by_uid(first)[e.uid]]
    assert changed
    assert all(e.sequence == by_uid(first)[e.uid].sequence + 1 for e in changed)
    with Store.open(marked, "x", create=False).read() as tx:
        assert len(tx.published.marks(None)) == COUNT - 1  # the new mark of P020's course went
    (config_dir / "config.toml").write_text('[site]\nlang = "fr"\n', encoding="utf-8")
    with freeze_time("2027-01-05 10:00:00"):
        files = served_calendars(run, marked, tmp_path / "m-fr")
        assert _no_uids(files) == _no_uids(served_calendars(run, built, tmp_path / "b-fr"))
    french = by_uid(files)
    assert set(french) == set(by_uid(again))
    for uid, event in french.items():
        assert event.sequence == by_uid(again)[uid].sequence + 1
        assert event.modified == by_uid(again)[uid].modified
    # An import of many on these courses: each event one more than any reader can have had,
    # never less than the rows would give (without them, the most an event can have had).
    lines = ["patient_id,event,date,dose"]
    for n in range(8, COUNT):  # the courses started: their first dose given on its day
        start = date.fromisoformat(DAY) + timedelta(days=40 - n * 340 // COUNT)
        first = "ssa-1,{},120 mg" if n % 3 == 0 else "prrt-1,{},7.4 GBq"
        lines += [] if n == 20 else [f"P{n:03}," + first.format(start.isoformat())]
    doses = tmp_path / "doses.csv"
    doses.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with freeze_time("2027-01-06 09:00:00"):
        for db in (marked, built):
            done = run("--db", db, "import", "doses", str(doses))
            assert done.exit_code == 0, done.stderr
        files = served_calendars(run, marked, tmp_path / "m-doses")
        rows = _no_uids(served_calendars(run, built, tmp_path / "b-doses"))
    touched = {f"P{n:03}.ics" for n in range(8, COUNT) if n != 20}
    for name, events in files.items():
        assert all(e.sequence > french[e.uid].sequence for e in events if e.uid in french) == (
            name in touched
        )
    for name, events in _no_uids(files).items():
        assert [e[1:] for e in events] == [e[1:] for e in rows[name]]  # the same times, texts
        assert all(e[0] >= r[0] for e, r in zip(events, rows[name], strict=True))


def test_a_roster_import_reads_zero_then_a_record_learns_it(
    prrt, run, db_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """On either database: a roster of more than `MANY` patients not started yet stores a mark
    per course and no event; every event reads SEQUENCE 0 at the import's time; a record of one
    patient raises what it changed by one, keeps the rest, and stores that patient's events."""
    lines = ["patient_id,regimen,start"] + [f"P{n:03},lutathera,2026-12-07" for n in range(COUNT)]
    roster = tmp_path / "roster.csv"
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with freeze_time(f"{DAY} 09:00:00"):
        assert prrt("import", "roster", str(roster)).exit_code == 0
        first = by_uid(served_calendars(run, db_url, tmp_path / "a"))
        done = prrt("reschedule", "P007", "prrt-1", "--date", "2026-12-09", "--reason", "bed")
        assert done.exit_code == 0, done.stderr
        files = served_calendars(run, db_url, tmp_path / "b")
    then = by_uid(files)
    assert len(first) > COUNT
    assert {(e.sequence, e.modified) for e in first.values()} == {(0, "20261120T090000Z")}
    changed = {u for u, e in then.items() if e != first[u]}
    assert changed
    assert {(then[u].sequence, then[u].modified) for u in changed} == {(1, "20261120T090000Z")}
    store = Store.open(db_url, "x", create=False)
    try:
        with store.read() as tx:
            stored, marks = tx.published.last_published(None), tx.published.marks(None)
            mine = [c.id for c in tx.courses("P007")]
    finally:
        store.close()
    assert len(marks) == COUNT - 1
    assert mine[0] not in marks
    assert set(stored) == {e.uid for e in files["P007.ics"]}  # learnt: every event it shows


def test_an_import_on_remembered_courses_reads_one_more_than_any_reader_had(
    prrt, run, db_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Remembered courses (two rosters of at most `MANY`), then imports of doses of all of them:
    each event reads as its row rewritten to `UNKNOWN` read before marks (the most a reader
    can have been served, plus one, at the import's time), one more with each import; a write
    of one patient keeps what was served, raises what changed by one; nothing ever falls."""
    lines = ["patient_id,regimen,start,past_start"]
    lines += [f"P{n:03},lanreotide,2026-11-10,yes" for n in range(COUNT)]  # ssa-1 late
    for part in (slice(1, COUNT // 2 + 1), slice(COUNT // 2 + 1, None)):
        roster = tmp_path / f"roster{part.start}.csv"
        roster.write_text("\n".join([lines[0], *lines[part]]) + "\n", encoding="utf-8")
        with freeze_time(f"{DAY} 09:00:00"):
            assert prrt("import", "roster", str(roster)).exit_code == 0
    rows = _rows(db_url)
    assert len(rows) > COUNT  # each calendar built and remembered
    with freeze_time(f"{DAY} 10:00:00"):
        served0 = by_uid(served_calendars(run, db_url, tmp_path / "s0"))
        doses = _doses(tmp_path / "d1.csv", range(COUNT), "ssa-1", "2026-11-19")
        done = prrt("import", "doses", str(doses))
        assert done.exit_code == 0, done.stderr
        served1 = by_uid(served_calendars(run, db_url, tmp_path / "s1"))
    assert len(set(served1) & set(served0)) > COUNT  # (an injection far ahead may move away)
    for uid, event in served1.items():
        assert event.sequence == (_most(rows[uid]) + 1 if uid in rows else 3)
        if uid in served0:
            assert event.sequence > served0[uid].sequence
        assert event.modified == "20261120T100000Z"
    with freeze_time("2026-12-20 09:00:00"):
        doses = _doses(tmp_path / "d2.csv", range(COUNT), "ssa-2", "2026-12-17")
        done = prrt("import", "doses", str(doses))
        assert done.exit_code == 0, done.stderr
        served2 = by_uid(served_calendars(run, db_url, tmp_path / "s2"))
        assert all(served2[u].sequence == e.sequence + 1 for u, e in served1.items())
        mine = {e.uid for e in served_calendars(run, db_url, tmp_path / "p")["P000.ics"]}
        done = prrt("reschedule", "P000", "ssa-3", "--date", "2027-01-18", "--reason", "bed")
        assert done.exit_code == 0, done.stderr
        served3 = by_uid(served_calendars(run, db_url, tmp_path / "s3"))
    assert set(served3) >= set(served2)
    moved = 0
    for uid, before in served2.items():
        if uid not in mine:
            assert served3[uid] == before  # not touched by the write
        elif served3[uid].rest == before.rest:
            assert served3[uid] == before  # learnt as it was served
        else:
            moved += 1
            assert served3[uid].sequence == before.sequence + 1
    assert moved
    with freeze_time("2027-03-01 09:00:00"):
        later = by_uid(served_calendars(run, db_url, tmp_path / "s4"))
    assert all(later[u].sequence >= e.sequence for u, e in served3.items() if u in later)


def _rows(db_url: str) -> dict[str, PublishedEvent]:
    store = Store.open(db_url, "x", create=False)
    try:
        with store.read() as tx:
            return tx.published.last_published(None)
    finally:
        store.close()


# -- the store's marks, against the rows they stand for ----------------------------------------

T0 = datetime(2026, 11, 1, 9, tzinfo=UTC)
ROWS = st.lists(
    st.tuples(st.integers(0, 30), st.sampled_from(["", "L", "W", "LW"]), st.booleans()),
    min_size=1,
    max_size=8,
)


class _Rollback(Exception):
    pass


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS, times=st.integers(1, 3), old=st.booleans())
def test_a_mark_reads_as_the_rows_rewritten_and_a_write_that_learns_lowers_nothing(
    store: Store, rows: list[tuple[int, str, bool]], times: int, old: bool
) -> None:
    """Each forget of a course reads as the old rewrite of every row (`_most`, `UNKNOWN`, the
    import's time), an event without a row as the most it can have been served plus one; a
    write that learns the course stores what it shows, keeps every other row as it read, and
    nothing reads lower than before. (Each example is rolled back.)"""
    try:
        with store.write() as tx:
            _check_marks(tx, rows, times, old)
            raise _Rollback
    except _Rollback:
        pass


def _check_marks(tx: Tx, rows: list[tuple[int, str, bool]], times: int, old: bool) -> None:
    tx.add_patient(Patient("P1"), actor())
    course = tx.add_course(Course(0, "P1", 1, "lutathera", date(2026, 1, 1)), actor())
    stored = {
        f"u{i}": PublishedEvent(seq, UNKNOWN if old and i == 0 else f"ab12:{marks}", T0)
        for i, (seq, marks, _) in enumerate(rows)
    }
    tx.published.save_published({u: Change(course.id, e) for u, e in stored.items()}, ())
    expected = dict(stored)
    for n in range(1, times + 1):
        now = T0 + timedelta(days=n)
        tx.published.forget([course.id], now, now.date())
        expected = {u: PublishedEvent(_most(e), UNKNOWN, now) for u, e in expected.items()}
        read = tx.published.remembered([course.id])
        assert read.events == expected
        assert read.of("none", course.id) == PublishedEvent(n + 1, UNKNOWN, now)
    shown = {f"u{i}" for i, (_, _, show) in enumerate(rows) if show}
    changes = {
        u: Change(course.id, PublishedEvent(read.events[u].sequence + 1, "cd34:", now))
        for u in shown
    }
    tx.published.save_learned(dict(changes), read, [course.id])
    after = tx.published.remembered([course.id])
    for uid, event in read.events.items():
        assert after.events[uid] == (changes[uid].published if uid in shown else event)
    assert after.of("none", course.id) == read.of("none", course.id)
    assert tx.published.marks([course.id])[course.id].times == 0
