"""The store's memory of patients' calendars: what was last published for each event, each
course's publication revision, and the subscription tokens (hashed). Reached through an open
transaction (`tx.published`, `tx.tokens`), inside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, func, select

from schedule.domain.course import Actor, Course, Patient
from schedule.domain.dates import utc_iso
from schedule.domain.model import RecordType
from schedule.store import tables
from schedule.store.fastpath import insert_many
from schedule.store.rows import FeedToken, course_of

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


def _in(column: ColumnElement[int], ids: Sequence[int] | None) -> list[ColumnElement[bool]]:
    return [] if ids is None else [column.in_(list(ids))]


class PublishedMemory:
    """What was last published for each event, each course's publication revision, and the
    UID namespace; reached as `tx.published`."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    def namespace(self) -> str:
        query = select(tables.calendar_meta.c.value).where(
            tables.calendar_meta.c.name == "uid_namespace"
        )
        return str(self.tx.conn.execute(query).scalar_one())

    def last_published(self, course_ids: Sequence[int] | None) -> dict[str, PublishedEvent]:
        t = tables.published
        query = select(t.c.uid, t.c.sequence, t.c.fingerprint, t.c.modified_at).where(
            *_in(t.c.course_id, course_ids)
        )
        return {
            uid: PublishedEvent(sequence, fingerprint, datetime.fromisoformat(modified))
            for uid, sequence, fingerprint, modified in self.tx.conn.execute(query).fetchall()
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
        query = select(p.c.course_id).where(p.c.course_id.in_(list(course_ids)))
        return set(self.tx.conn.execute(query).scalars().all())

    def forget_states(self, course_ids: Sequence[int], fingerprint: str, now: datetime) -> None:
        """Every remembered event of `course_ids` gets `fingerprint` (a state no calendar has),
        stamped `now`, and the most SEQUENCE a reader can have been served from it: one for a
        change, one for each mark ("L", "W") the row lacks (`calendars.memory`). Raises each
        course's revision. Two statements, however many events."""
        if not course_ids:
            return
        t, p = tables.published, tables.publications
        ids = list(course_ids)
        lacks = [case((t.c.fingerprint.like(f"%:%{m}%"), 0), else_=1) for m in ("L", "W")]
        self.tx.writing().execute(
            t.update()
            .where(t.c.course_id.in_(ids))
            .values(
                sequence=t.c.sequence + 1 + lacks[0] + lacks[1],
                fingerprint=fingerprint,
                modified_at=utc_iso(now),
            )
        )
        self.tx.writing().execute(
            p.update().where(p.c.course_id.in_(ids)).values(revision=p.c.revision + 1)
        )

    def revisions(self, course_ids: Sequence[int] | None) -> dict[int, int]:
        p = tables.publications
        query = select(p.c.course_id, p.c.revision).where(*_in(p.c.course_id, course_ids))
        return dict(self.tx.conn.execute(query).all())

    def record_marks(self, course_ids: Sequence[int] | None) -> dict[int, tuple[int, int]]:
        """(count, highest id) of each course's records: records are only ever added, so these
        change whenever anything was recorded or corrected."""
        r = tables.records
        query = (
            select(r.c.course_id, func.count(), func.max(r.c.id))
            .where(*_in(r.c.course_id, course_ids))
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


# -- feed tokens ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedState:
    """What `FeedTokens.feed_state` reads: the token, its patient and the courses' marks."""

    owner: FeedToken
    patient: Patient
    courses: list[Course]
    marks: dict[int, tuple[int, int]]
    revisions: dict[int, int]


class FeedTokens:
    """Subscription tokens, kept only as hashes; reached as `tx.tokens`."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    def active_token(self, patient_id: str) -> FeedToken | None:
        t = tables.feed_tokens
        query = (
            select(t.c.id, t.c.patient_id, t.c.with_name, t.c.created_at, t.c.created_by)
            .where(t.c.patient_id == patient_id, t.c.revoked_at.is_(None))
            .order_by(t.c.id.desc())
        )
        row = self.tx.conn.execute(query).first()
        return FeedToken(*row) if row else None

    def token_owner(self, token_hash: str) -> FeedToken | None:
        t = tables.feed_tokens
        query = select(t.c.id, t.c.patient_id, t.c.with_name, t.c.created_at, t.c.created_by).where(
            t.c.token_hash == token_hash, t.c.revoked_at.is_(None)
        )
        row = self.tx.conn.execute(query).first()
        return FeedToken(*row) if row else None

    def feed_state(self, token_hash: str) -> FeedState | None:
        """Everything a feed's cache key is made of, in one query: the token's owner, the
        patient, each course with its records' (count, highest id) and publication revision
        (not the courses entered in error). None for a token unknown or revoked, or a patient
        entered in error."""
        # A feed answers many requests a second, most of them 304s: one statement, built
        # once, which SQLAlchemy compiles once per kind of database (its compiled cache).
        rows = self.tx.conn.execute(_feed_state_query(), {"token_hash": token_hash}).fetchall()
        if not rows:
            return None
        first = rows[0]
        owner = FeedToken(first[0], first[1], bool(first[2]), first[3], first[4])
        name, tz, appt_time, lang = first[5:9]
        patient = Patient(owner.patient_id, name, tz, appt_time, lang, first[20])
        courses, marks, revisions = [], {}, {}
        for row in rows:
            if row[0] != owner.id:
                break  # one token per hash; the first if ever more
            if row[9] is None:
                continue  # a patient without courses
            course = course_of(row[9:17])
            courses.append(course)
            if row[17]:
                marks[course.id] = (row[17], row[18])
            if row[19] is not None:
                revisions[course.id] = row[19]
        return FeedState(owner, patient, courses, marks, revisions)

    def add_token(self, patient_id: str, token_hash: str, with_name: bool, actor: Actor) -> int:
        result = self.tx.writing().execute(
            tables.feed_tokens.insert().values(
                patient_id=patient_id,
                token_hash=token_hash,
                with_name=with_name,
                created_at=actor.stamp,
                created_by=actor.who,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        token_id = int(key[0])
        detail = {"feed": token_id, "with_name": with_name}
        self.tx.add_audit(actor, "feed-issue", patient_id, detail=detail)
        return token_id

    def revoke_tokens(self, patient_id: str, actor: Actor) -> list[int]:
        t = tables.feed_tokens
        ids = list(
            self.tx.conn.execute(
                select(t.c.id).where(t.c.patient_id == patient_id, t.c.revoked_at.is_(None))
            ).scalars()
        )
        if ids:
            self.tx.conn.execute(
                t.update()
                .where(t.c.id.in_(ids))
                .values(revoked_at=actor.stamp, revoked_by=actor.who)
            )
            self.tx.add_audit(actor, "feed-revoke", patient_id, detail={"feeds": ids})
        return ids


@cache
def _feed_state_query() -> Select[Any]:
    """The one query of `FeedTokens.feed_state`, built once."""
    t, p, c, r, pub = (
        tables.feed_tokens, tables.patients, tables.courses, tables.records,
        tables.publications,
    )  # fmt: skip
    count = select(func.count()).where(r.c.course_id == c.c.id).scalar_subquery()
    top = select(func.max(r.c.id)).where(r.c.course_id == c.c.id).scalar_subquery()
    columns = (
        t.c.id, t.c.patient_id, t.c.with_name, t.c.created_at, t.c.created_by,
        p.c.name, p.c.tz, p.c.appt_time, p.c.lang,
        *tables.COURSE_COLUMNS, count, top, pub.c.revision, p.c.pregnancy,
    )  # fmt: skip
    return (
        select(*columns)
        .select_from(
            t.join(p, p.c.id == t.c.patient_id)
            .outerjoin(c, (c.c.patient_id == p.c.id) & c.c.in_error.is_(None))
            .outerjoin(pub, pub.c.course_id == c.c.id)
        )
        .where(
            t.c.token_hash == bindparam("token_hash"),
            t.c.revoked_at.is_(None),
            p.c.in_error.is_(None),  # a patient entered in error has no feed
        )
        .order_by(t.c.id, c.c.number)
    )
