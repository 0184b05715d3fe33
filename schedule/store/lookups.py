"""Lookups that ignore the case of a patient ID.

`NET-003` and `net-003` are one patient to a person, and their calendar files (`ID.ics`) are one
file on macOS and Windows, so an ID that differs from a stored one only in case is refused.
IDs are ASCII (see `domain/patients.py`), so folding to lower case is the same on every database.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from schedule.domain.errors import ConflictError
from schedule.store import tables
from schedule.store.transaction import Tx


def same_id_any_case(tx: Tx, patient_id: str) -> str | None:
    """The stored patient ID equal to `patient_id` but for case, or None."""
    p = tables.patients.c
    row = tx.conn.execute(
        select(p.id).where(func.lower(p.id) == patient_id.lower()).order_by(p.id).limit(1)
    ).first()
    return None if row is None else str(row[0])


def ids_by_folded_case(tx: Tx) -> dict[str, str]:
    """Every stored patient ID, keyed by its lower-case form (for checking a whole roster)."""
    ids = tx.conn.execute(select(tables.patients.c.id)).scalars()
    return {str(pid).lower(): str(pid) for pid in ids}


def refuse_case_twin(tx: Tx, patient_id: str, known: dict[str, str] | None = None) -> None:
    """A `ConflictError` when a patient is stored under `patient_id` in another case.
    `known` is `ids_by_folded_case(tx)`, when many IDs are checked in one transaction."""
    stored = (
        known.get(patient_id.lower()) if known is not None else same_id_any_case(tx, patient_id)
    )
    if stored is not None and stored != patient_id:
        raise ConflictError(
            f"patient {patient_id!r} differs only in case from {stored!r}, already stored; "
            "IDs are compared without case",
            field="patient_id",
        )


def case_twins(ids: Iterable[str]) -> list[tuple[str, str]]:
    """Pairs of IDs in `ids` that differ only in case (the first seen, then the other).

    >>> case_twins(["NET-1", "NET-2", "net-1"])
    [('NET-1', 'net-1')]
    """
    seen: dict[str, str] = {}
    twins = []
    for pid in ids:
        first = seen.setdefault(pid.lower(), pid)
        if first != pid:
            twins.append((first, pid))
    return twins
