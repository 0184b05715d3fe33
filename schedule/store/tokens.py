"""Subscription tokens, kept only as hashes, and what a feed's cache key is read from in one
query. Reached through an open transaction (`tx.tokens`), inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, bindparam, func, select

from schedule.domain.course import Actor, Course, Patient
from schedule.store import tables
from schedule.store.rows import FeedToken, course_of

if TYPE_CHECKING:
    from schedule.store.interface import Transaction as Tx


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
