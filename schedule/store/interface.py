"""What the store's callers type against: the reads that every store gives, whichever way it
reaches the database, and what a part of an open transaction (the calendars' memory) needs of
the transaction it belongs to.

`database.Store` (SQLAlchemy Core, every database) and `fastpath.SqliteReader` (the standard
library's sqlite3, an SQLite file whose schema is current) are both a `ReadStore`; their
transactions (`transaction.Tx`, `fastpath.SqliteReadTx`) are both a `ReadTransaction`. The
protocols are checked by the type checker only: this module imports nothing of the store and
nothing heavy.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from schedule.domain.course import Actor, Course, Patient
    from schedule.domain.model import Fact


class ReadTransaction(Protocol):
    """One consistent view of every patient, course and standing fact: what the worklists and
    the clinic's load read."""

    def patients(self) -> list[Patient]:
        """Every patient, in ID order."""
        ...

    def courses(self) -> list[Course]:
        """Every course, in patient and number order."""
        ...

    def courses_by_patient(self) -> dict[str, list[Course]]:
        """Every course, by patient ID (a patient without courses is not a key)."""
        ...

    def facts(self, course_ids: Sequence[int] | None = None) -> dict[int, list[Fact]]:
        """The engine's facts by course (all courses for None), from the records that stand,
        in the order recorded."""
        ...


class ReadStore(Protocol):
    """A store that hands out read transactions, and can be used again in a forked process."""

    def read(self) -> AbstractContextManager[ReadTransaction]:
        """A read transaction: one consistent view; it takes no write lock."""
        ...

    def after_fork(self) -> None:
        """In a forked process: leave the parent's connections alone, open new ones."""
        ...

    def close(self) -> None: ...


class Transaction(Protocol):
    """What a part of an open transaction (`published.PublishedMemory`, `tokens.FeedTokens`)
    uses of the transaction it is reached through."""

    @property
    def conn(self) -> Connection: ...

    def writing(self) -> Connection:
        """The connection, for a write; a write inside a read transaction raises."""
        ...

    def add_audit(
        self,
        actor: Actor,
        action: str,
        patient_id: str | None,
        course_id: int | None = None,
        record_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None: ...


class Engined(Protocol):
    """A store as its change mark reads it (`fastpath.ChangeMark`): its engine and the kind of
    database."""

    engine: Engine
    dialect: str
