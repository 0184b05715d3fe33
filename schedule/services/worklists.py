"""The lists across all patients, each with its columns and table view for the shared renderer:
what is due (`due`), what was missed (`missed`), the clinic's days against its capacity
(`days`) and the patients with what comes next (`patient list`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from schedule.domain.closures import Closures
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.output.formats import joined_texts
from schedule.output.render import Column
from schedule.tracking.days import DAY_COLUMNS, DAY_TABLE, clinic_days, day_rows
from schedule.tracking.selection import EVERYTHING, Filters
from schedule.tracking.worklists import (
    WORKLIST_COLUMNS,
    WORKLIST_TABLE,
    worklist_rows,
    worklist_texts,
)

if TYPE_CHECKING:
    from schedule.output.columns import TypedRow
    from schedule.store.database import Store
    from schedule.store.interface import ReadStore


@dataclass(frozen=True)
class Listing:
    """Rows, their columns (CSV and JSON) and their table view; or, for a list asked for in
    a program's format, its whole text (`text`) and how many rows it has."""

    rows: Sequence[TypedRow]  # made text at the output edge (`output.render`)
    columns: Sequence[str]
    table: tuple[Column, ...]
    text: str | None = None  # the rows already written (`rows` is then empty)
    written: int = 0  # how many rows `text` has

    @property
    def count(self) -> int:
        """How many rows the list has."""
        return self.written if self.text is not None else len(self.rows)


def _named(table: tuple[Column, ...], names: bool) -> tuple[Column, ...]:
    """The table view, without its name column when names are left out (a shared screen)."""
    return table if names else tuple(c for c in table if c.field != "name")


def due_list(
    reader: ReadStore,
    catalog: Catalog,
    settings: Settings,
    closures: Closures | None,
    as_of: date,
    within: int,
    filters: Filters = EVERYTHING,
    names: bool = True,
    workers: int = 1,
) -> Listing:
    """What is due, late or coming up within `within` days, held courses up for review, and
    doses past the maximum delay, with the doses on days over capacity flagged."""
    rows = worklist_rows(
        reader, catalog, settings, as_of, missed=False, within=within, workers=workers,
        filters=filters, names=names, closures=closures, capacity=True,
    )  # fmt: skip
    return Listing(rows, WORKLIST_COLUMNS, _named(WORKLIST_TABLE, names))


def missed_list(
    reader: ReadStore,
    catalog: Catalog,
    settings: Settings,
    closures: Closures | None,
    as_of: date,
    filters: Filters = EVERYTHING,
    names: bool = True,
    workers: int = 1,
    fmt: str | None = None,
) -> Listing:
    """Every missed dose, lab or scan, and every held dose past the maximum delay, most
    overdue first. `fmt` "csv" or "json": the list's text in that format, each worker
    writing its own rows (`worklist_texts`)."""
    if fmt is not None:
        texts = worklist_texts(
            reader, catalog, settings, as_of, True, fmt, workers, filters, names, closures
        )
        text = joined_texts(texts, WORKLIST_COLUMNS, fmt)
        return Listing((), WORKLIST_COLUMNS, _named(WORKLIST_TABLE, names), text, len(texts))
    rows = worklist_rows(
        reader, catalog, settings, as_of, missed=True, workers=workers, filters=filters,
        names=names, closures=closures,
    )  # fmt: skip
    return Listing(rows, WORKLIST_COLUMNS, _named(WORKLIST_TABLE, names))


def day_list(
    store: ReadStore,
    catalog: Catalog,
    settings: Settings,
    closures: Closures | None,
    first: date,
    last: date,
    today: date,
    all_days: bool = False,
) -> Listing:
    """Each clinic day from `first` to `last`: the infusions and injections planned, the
    chair-hours they need against the capacity. Closed days with nothing planned only with
    `all_days`."""
    found = clinic_days(store, catalog, settings, closures, first, last, today)
    return Listing(day_rows(found, all_days), DAY_COLUMNS, DAY_TABLE)


def visit_list(
    store: ReadStore,
    catalog: Catalog,
    settings: Settings,
    closures: Closures | None,
    first: date,
    last: date,
    today: date,
    names: bool = True,
) -> Listing:
    """The clinic list: every dose visit from `first` to `last` in the order of each day, with
    the patient, the event, the time and a suggested chair."""
    from schedule.tracking.visits import VISIT_COLUMNS, VISIT_TABLE, clinic_list

    rows = clinic_list(store, catalog, settings, closures, first, last, today, names)
    return Listing(rows, VISIT_COLUMNS, _named(VISIT_TABLE, names))


def patient_list(
    store: Store,
    catalog: Catalog,
    settings: Settings,
    as_of: date,
    filters: Filters = EVERYTHING,
    names: bool = True,
) -> Listing:
    """One row per course: its state and the next thing to do."""
    # Imported here: it reads through SQLAlchemy, which `due` and `missed` never import.
    from schedule.tracking.patient_list import PATIENT_COLUMNS, PATIENT_TABLE, patient_rows

    rows = patient_rows(store, catalog, settings, as_of, filters, names)
    return Listing(rows, PATIENT_COLUMNS, _named(PATIENT_TABLE, names))
