"""What the store's callers type against: the reads that every store gives, whichever way it
reaches the database, and what a part of an open transaction (the calendars' memory) needs of
the transaction it belongs to.

`database.Store` (SQLAlchemy Core, every database) and `fastpath.SqliteReader` (the standard
library's sqlite3, an SQLite file whose schema is current) are both a `ReadStore` and a
`PatientStore`; their transactions (`transaction.Tx`, `fastpath.ReadTx`) are both a
`ReadTransaction` and a `PatientTransaction`. The
protocols are checked by the type checker only: this module imports nothing of the store and
nothing heavy.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from schedule.domain.course import Actor, Course, Patient, Record
    from schedule.domain.model import Fact
    from schedule.store.rows import FeedToken


class ReadTransaction(Protocol):
    """One consistent view of every patient, course and standing fact: what the worklists, the
    clinic's load and the report read."""

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


class TokenReads(Protocol):
    """The live feed links (`tx.tokens`)."""

    def active_token(self, patient_id: str) -> FeedToken | None:
        """The patient's live link (the newest), or None."""
        ...

    def token_owner(self, token_hash: str) -> FeedToken | None:
        """The live link of this hash, or None."""
        ...


class PatientTransaction(Protocol):
    """One consistent view of a patient's courses, records and feed links: what the handout and
    the patient's page read."""

    @property
    def tokens(self) -> TokenReads: ...

    def require_patient(self, patient_id: str) -> Patient:
        """The patient of this ID (compared without case); an unknown one, or one entered in
        error, is refused with the way out."""
        ...

    def courses(self, patient_id: str | None = None) -> list[Course]:
        """The patient's courses (every course for None), in patient and number order."""
        ...

    def records(self, course_ids: Sequence[int]) -> dict[int, list[Record]]:
        """Records by course, in the order recorded."""
        ...


class PatientStore(Protocol):
    """A store that hands out `PatientTransaction`s: `database.Store`, and on an SQLite file
    whose schema is current `fastpath.SqliteReader`."""

    def read(self) -> AbstractContextManager[PatientTransaction]:
        """A read transaction: one consistent view; it takes no write lock."""
        ...


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
    """A store as its change mark reads it (`changemark.ChangeMark`): its engine and the kind of
    database."""

    engine: Engine
    dialect: str
