"""The store's memory of patients' calendars: what was last published for each event, what an
import of many patients left each course's events to read as (`Mark`), each course's
publication revision. Reached through an open transaction (`tx.published`), inside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import (
    ARRAY,
    Boolean,
    ColumnElement,
    Integer,
    and_,
    any_,
    bindparam,
    case,
    func,
    literal_column,
    select,
)

from schedule.domain.dates import utc_iso
from schedule.domain.model import RecordType
from schedule.store import tables
from schedule.store.fastpath import insert_many

if TYPE_CHECKING:
    from schedule.store.interface import Transaction as Tx


class PublishedEvent(NamedTuple):
    """What was last published under one UID."""

    sequence: int
    fingerprint: str
    modified: datetime


class Change(NamedTuple):
    """An event whose publication changed: its course and what is published now."""

    course_id: int
    published: PublishedEvent


# The state of an event whose state an import forgot (`calendars.memory`): it equals no state
# (a state's base is hexadecimal), so every reader serves it as changed, one more than stored;
# with both marks the day can set ("L", "W"), the day adds nothing to it.
UNKNOWN = "?:LW"
# The most SEQUENCE a reader can have been served for an event nothing was remembered of: 0,
# plus one for each mark the day can set; of an event of a course marked new (a roster's), one
# more for a change of the site (`Mark.site`).
UNSEEN_MOST, NEW_MOST = 2, 3


class Mark(NamedTuple):
    """What an import of many patients left one course's events to read as (`forgotten`),
    rather than write a row for each event."""

    times: int  # imports that forgot its remembered events since a write learned them again
    # The SEQUENCE stored, as `UNKNOWN`, for an event of it without a row; None: a course
    # nothing was remembered of (a roster's), whose events read as remembered at `at` as they
    # read on `day`, if the site's calendars are still made as `site` says (`calendars.memory`).
    blank: int | None
    at: datetime  # when: the import's time
    day: date  # and its day
    site: str  # `calendars.site.site_digest` then ("" for a forgotten course)


class Remembered(NamedTuple):
    """What the store remembers of some courses' events, as every reader must read it:
    `events` by UID (those of a course an import forgot as `forget` would have rewritten them:
    the most SEQUENCE a reader can have been served, `UNKNOWN`, the import's time), and each
    marked course's `Mark`, which says what an event of it without a row reads as (`of`)."""

    events: dict[str, PublishedEvent]
    marks: dict[int, Mark]

    def of(self, uid: str, course_id: int) -> PublishedEvent | None:
        """What is remembered of one event of a course (None: nothing)."""
        found = self.events.get(uid)
        if found is None:
            mark = self.marks.get(course_id)
            if mark is not None and mark.blank is not None:
                return PublishedEvent(mark.blank, UNKNOWN, mark.at)
        return found


_MARK_COLUMNS = ("course_id", "times", "blank", "at", "day", "site")


def _among(
    column: ColumnElement[int], ids: Sequence[int] | None, dialect: str
) -> list[ColumnElement[bool]]:
    """`column IN ids` (no condition for None); on PostgreSQL `= ANY(array)`, one parameter
    rather than one per id (an import's 10,000 courses: 0.02 s a statement, not 0.15 s); on
    SQLite the ids written into the statement (whole numbers: nothing to escape), which
    SQLAlchemy would expand into a parameter each (0.02 s a statement)."""
    if ids is None:
        return []
    if dialect == "postgresql":
        return [column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))]
    listed = ",".join(str(int(i)) for i in ids)
    name = f"{column.table.name}.{column.name}"
    return [literal_column(f"{name} IN ({listed})", Boolean)]


class PublishedMemory:
    """What was last published for each event, each course's publication revision, and the
    UID namespace; reached as `tx.published`."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    def _in(
        self, column: ColumnElement[int], ids: Sequence[int] | None
    ) -> list[ColumnElement[bool]]:
        return _among(column, ids, self.tx.conn.dialect.name)

    def namespace(self) -> str:
        query = select(tables.calendar_meta.c.value).where(
            tables.calendar_meta.c.name == "uid_namespace"
        )
        return str(self.tx.conn.execute(query).scalar_one())

    def last_published(self, course_ids: Sequence[int] | None) -> dict[str, PublishedEvent]:
        t = tables.published
        query = select(t.c.uid, t.c.sequence, t.c.fingerprint, t.c.modified_at).where(
            *self._in(t.c.course_id, course_ids)
        )
        return _events(self.tx.conn.execute(query).fetchall())

    def remembered(self, course_ids: Sequence[int] | None) -> Remembered:
        """What is remembered of the courses' events (all for None), as readers read it: a row
        of a course whose `Mark` counts imports (`times`) reads as `forget` would have made it
        (`Remembered`)."""
        marks = self.marks(course_ids)
        if not any(m.times for m in marks.values()):
            return Remembered(self.last_published(course_ids), marks)
        t, m = tables.published, tables.forgotten
        lacks = [case((t.c.fingerprint.like(f"%:%{x}%"), 0), else_=1) for x in ("L", "W")]
        gone = m.c.times > 0  # NULL (not true) without a mark
        query = (
            select(
                t.c.uid,
                case((gone, t.c.sequence + m.c.times + lacks[0] + lacks[1]), else_=t.c.sequence),
                case((gone, UNKNOWN), else_=t.c.fingerprint),
                case((gone, m.c.at), else_=t.c.modified_at),
            )
            .select_from(t.outerjoin(m, m.c.course_id == t.c.course_id))
            .where(*self._in(t.c.course_id, course_ids))
        )
        return Remembered(_events(self.tx.conn.execute(query).fetchall()), marks)

    def marks(self, course_ids: Sequence[int] | None) -> dict[int, Mark]:
        m = tables.forgotten
        query = select(m.c.course_id, m.c.times, m.c.blank, m.c.at, m.c.day, m.c.site).where(
            *self._in(m.c.course_id, course_ids)
        )
        return {
            c: Mark(times, blank, datetime.fromisoformat(at), date.fromisoformat(day), site)
            for c, times, blank, at, day, site in self.tx.conn.execute(query).fetchall()
        }

    def save_published(self, changes: dict[str, Change], before: Iterable[str]) -> dict[int, int]:
        """Store changed events ({uid: (course_id, (sequence, fingerprint, modified))}); `before`
        holds the UIDs already stored. Raises the revision of every course touched and returns the
        new revisions."""
        if not changes:
            return {}
        t = tables.published
        known = set(before)
        stamps: dict[datetime, str] = {}  # a run stamps thousands of events with a few moments
        rows = [
            {"uid": uid, "course_id": course_id, "sequence": seq, "fingerprint": fp,
             "modified_at": stamps.get(mod) or stamps.setdefault(mod, utc_iso(mod))}
            for uid, (course_id, (seq, fp, mod)) in changes.items()
        ]  # fmt: skip
        new = [tuple(r.values()) for r in rows if r["uid"] not in known]
        if new:  # a roster import's hundreds of thousands: through the driver
            insert_many(self.tx.writing(), t.name, tuple(rows[0]), new)
        old = [{**r, "u": r["uid"]} for r in rows if r["uid"] in known]  # "uid" is a SET column
        if old:
            self.tx.writing().execute(
                t.update()
                .where(t.c.uid == bindparam("u"))
                .values(
                    sequence=bindparam("sequence"),
                    fingerprint=bindparam("fingerprint"),
                    modified_at=bindparam("modified_at"),
                ),
                old,
            )
        courses = sorted({course_id for course_id, _ in changes.values()})
        current = self.revisions(courses)
        p = tables.publications
        fresh = [{"course_id": c, "revision": 1} for c in courses if c not in current]
        if fresh:
            self.tx.writing().execute(p.insert(), fresh)
        bumped = [{"c": c, "revision": current[c] + 1} for c in courses if c in current]
        if bumped:
            self.tx.writing().execute(
                p.update()
                .where(p.c.course_id == bindparam("c"))
                .values(revision=bindparam("revision")),
                bumped,
            )
        return {c: current.get(c, 0) + 1 for c in courses}

    def remembered_courses(self, course_ids: Sequence[int]) -> set[int]:
        """Those of `course_ids` whose events the memory holds."""
        p = tables.publications
        query = select(p.c.course_id).where(*self._in(p.c.course_id, list(course_ids)))
        return set(self.tx.conn.execute(query).scalars().all())

    def forget(self, course_ids: Sequence[int], now: datetime, today: date) -> None:
        """An import forgets what is remembered of every event of `course_ids` (courses with a
        publication revision), a row per course however many events: each course's `Mark`
        counts one more import (its rows read as `remembered` says), an event of it without a
        row is stored as the most SEQUENCE a reader can have been served for it (one more than
        stored when the mark had a `blank`, else `NEW_MOST` for a course marked new, else
        `UNSEEN_MOST`), all stamped `now` (`today`).
        Raises each course's revision."""
        if not course_ids:
            return
        m, p = tables.forgotten, tables.publications
        ids, stamp, day = list(course_ids), utc_iso(now), today.isoformat()
        query = select(m.c.course_id).where(*self._in(m.c.course_id, ids))
        marked = set(self.tx.conn.execute(query).scalars())
        if marked:
            self.tx.writing().execute(
                m.update()
                .where(*self._in(m.c.course_id, sorted(marked)))
                .values(times=m.c.times + 1, blank=func.coalesce(m.c.blank + 1, NEW_MOST),
                        at=stamp, day=day, site="")
            )  # fmt: skip
        fresh = [(c, 1, UNSEEN_MOST, stamp, day, "") for c in ids if c not in marked]
        if fresh:
            insert_many(self.tx.writing(), m.name, _MARK_COLUMNS, fresh)
        self.tx.writing().execute(
            p.update().where(*self._in(p.c.course_id, ids)).values(revision=p.c.revision + 1)
        )

    def mark_new(self, course_ids: Sequence[int], now: datetime, today: date, site: str) -> None:
        """Courses nothing is remembered of (no publication revision), of an import of many
        patients (a roster): until a write learns them, their events read as remembered `now`
        as they read `today`, on the `site` (`Mark`); each course's revision starts at 1.
        Nothing is built."""
        if not course_ids:
            return
        stamp, day = utc_iso(now), today.isoformat()
        m, p = tables.forgotten, tables.publications
        marks = [(c, 0, None, stamp, day, site) for c in course_ids]
        insert_many(self.tx.writing(), m.name, _MARK_COLUMNS, marks)
        insert_many(
            self.tx.writing(), p.name, ("course_id", "revision"), [(c, 1) for c in course_ids]
        )

    def forget_courses(
        self, course_ids: Sequence[int], now: datetime, today: date, site: str
    ) -> None:
        """An import of many patients: of `course_ids`, those remembered (`forget`) forget their
        events' states, the others are marked new (`mark_new`)."""
        known = self.remembered_courses(course_ids)
        self.forget(sorted(known), now, today)
        self.mark_new(sorted(set(course_ids) - known), now, today, site)

    def save_learned(
        self, changes: dict[str, Change], last: Remembered, learned: Sequence[int]
    ) -> None:
        """`save_published` for a write that stores every event it shows of `learned` (marked
        courses; `last`: what was remembered before it): each remembered event of them it does
        not show (hidden, or gone) is stored as it reads now, forgotten, so that what it reads
        as never falls. Their rows then read as they are again; a mark that says what an event
        without a row reads as stays for that."""
        forgotten = [c for c in learned if last.marks[c].times]
        if forgotten:
            t = tables.published
            query = select(t.c.uid, t.c.course_id).where(*self._in(t.c.course_id, forgotten))
            for uid, course_id in self.tx.conn.execute(query).all():
                if uid not in changes:
                    changes[uid] = Change(course_id, last.events[uid])
        self.save_published(changes, last.events.keys())
        if learned:
            m, ids = tables.forgotten, list(learned)
            self.tx.writing().execute(
                m.delete().where(*self._in(m.c.course_id, ids), m.c.blank.is_(None))
            )
            self.tx.writing().execute(
                m.update().where(*self._in(m.c.course_id, ids), m.c.times > 0).values(times=0)
            )

    def revisions(self, course_ids: Sequence[int] | None) -> dict[int, int]:
        p = tables.publications
        query = select(p.c.course_id, p.c.revision).where(*self._in(p.c.course_id, course_ids))
        return dict(self.tx.conn.execute(query).all())

    def record_marks(self, course_ids: Sequence[int] | None) -> dict[int, tuple[int, int]]:
        """(count, highest id) of each course's records: records are only ever added, so these
        change whenever anything was recorded or corrected."""
        r = tables.records
        query = (
            select(r.c.course_id, func.count(), func.max(r.c.id))
            .where(*self._in(r.c.course_id, course_ids))
            .group_by(r.c.course_id)
        )
        return {c: (n, top) for c, n, top in self.tx.conn.execute(query).all()}

    def discontinued_courses(self) -> set[int]:
        """Courses a standing `discontinued` record ends (one not marked entered-in-error)."""
        r = tables.records
        wrong = select(r.c.corrects).where(
            and_(r.c.type == RecordType.ENTERED_IN_ERROR.value, r.c.corrects.is_not(None))
        )
        query = select(r.c.course_id).where(
            r.c.type == RecordType.DISCONTINUED.value, r.c.id.not_in(wrong)
        )
        return set(self.tx.conn.execute(query).scalars().all())


def _events(rows: Iterable[Any]) -> dict[str, PublishedEvent]:
    return {
        uid: PublishedEvent(sequence, fingerprint, datetime.fromisoformat(modified))
        for uid, sequence, fingerprint, modified in rows
    }
