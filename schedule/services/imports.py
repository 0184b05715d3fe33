"""The imports from CSV, all or nothing: the roster of patients (`import roster`) and the doses
given (`import doses`). Each file is read and every row checked before anything is kept; an
error names the file, the line and the field (`schedule.tracking.roster`,
`schedule.tracking.doses_file`, `schedule.tracking.transfer`)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from schedule.domain.course import Actor
from schedule.store.bulk import Prepared
from schedule.tracking.csvfiles import ImportResult
from schedule.tracking.doses_file import DoseRow, parse_doses
from schedule.tracking.roster import parse_roster, plan_roster, store_roster
from schedule.tracking.tracker import Tracker
from schedule.tracking.transfer import check_doses

Progress = Callable[[int, int], None]  # (rows checked, rows in the file)


def import_roster(
    tracker: Tracker,
    path: Path,
    actor: Actor,
    today: date | None,
    dry_run: bool,
    update: bool = False,
    past_start: bool = False,
    on_progress: Progress | None = None,
) -> ImportResult:
    """Patients' courses from the roster at `path`, in one write transaction. With `today`, a
    course the file adds whose start is more than `past_start_days` before it is refused,
    unless its row's `past_start` column says yes or `past_start` is given. `update`: the
    file's details (name, time zone, time, language, pregnancy) replace the stored ones; else
    a row that differs is refused (`RosterChangeError`)."""
    parsed = parse_roster(tracker, path, on_progress)
    with tracker.store.write() as tx:
        plan = plan_roster(tx, str(path), parsed, tracker.settings, update, today, past_start)
        if not dry_run:
            store_roster(tx, plan, actor)
    return plan.result(dry_run)


def import_doses(
    tracker: Tracker,
    path: Path,
    actor: Actor,
    today: date,
    dry_run: bool,
    on_progress: Progress | None = None,
    workers: int = 1,
) -> ImportResult:
    """Records from CSV, checked row by row in file order against the calendar as it stands
    with the earlier rows applied. A row identical to a stored record is left as it is.

    The checking runs in a read transaction, so readers and other writers go on meanwhile; the
    write is one short transaction that locks the courses it writes and checks again only if
    anything was recorded or added since (then against what is stored now). `workers` > 1
    spreads the checking of large files over that many processes."""
    with _uncollected():
        rows = parse_doses(path)
        return store_rows(tracker, str(path), rows, actor, today, dry_run, on_progress, workers)


def store_rows(
    tracker: Tracker,
    name: str,
    rows: list[DoseRow],
    actor: Actor,
    today: date,
    dry_run: bool,
    on_progress: Progress | None = None,
    workers: int = 1,
    place: str = "line",
    order: Mapping[int, int] | None = None,
) -> ImportResult:
    """The rows of doses read from `name` (a CSV file, or FHIR resources numbered by `place`),
    checked and stored as `import_doses` says."""
    # The values the write stores are made as the checked rows come back, while the workers
    # check others (none for a dry run).
    prepared = None if dry_run else Prepared(actor, tracker.store.dialect == "sqlite")
    with tracker.store.read() as tx:
        stamp = tx.last_ids()  # rises with every record or course added
        pending, unchanged = check_doses(
            tracker, tx, name, rows, today, on_progress, workers, place, order,
            prepared.add if prepared is not None else None,
        )  # fmt: skip
    if dry_run or not pending:
        return ImportResult(len(pending), unchanged, dry_run)
    with _uncollected(), tracker.store.write() as tx:
        tx.lock_courses(sorted({r.course_id for _, r in pending}))
        if tx.last_ids() != stamp:  # someone wrote meanwhile: check again against it
            pending, unchanged = check_doses(
                tracker, tx, name, rows, today, workers=workers, place=place, ranks=order
            )
        if pending:
            tx.add_records_bulk(pending, actor, "import-doses", prepared)
    return ImportResult(len(pending), unchanged, dry_run)


@contextmanager
def _uncollected() -> Iterator[None]:
    """No cycle collection meanwhile: reading a file's rows, checking them and writing their
    records make tens of thousands of objects that live until the end and no cycles, so the
    collector would only walk them again and again (a tenth of a second of the parts that
    run in one process; the checking's workers, forked meanwhile, never collect either, as
    with `iter_slices(collect=False)`). As it was after, even on a refusal."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
