"""The clinic's report of a span of months (see `schedule.reports`): the span asked for, and
every table of it, from the store."""

from __future__ import annotations

from datetime import date, timedelta

from schedule.domain.closures import Closures
from schedule.domain.dates import add_months
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.reports.collect import Span, collect
from schedule.reports.tables import Report, build
from schedule.store.interface import ReadStore


def report_span(as_of: date, start: date | None, end: date | None, weeks: int) -> Span:
    """The span asked for: up to `end` (default the as-of date), from `start` (default the
    day after the same day twelve months before the end)."""
    last = end or as_of
    first = start or add_months(last, -12) + timedelta(days=1)
    return Span(first, last, as_of, weeks)


def clinic_report(
    store: ReadStore,
    catalog: Catalog,
    settings: Settings,
    closures: Closures | None,
    span: Span,
) -> Report:
    """Every table of the report of `span` (see `schedule.reports.tables`). `store`: any
    store's reads (on an SQLite file, `SqliteReader` reads without importing SQLAlchemy)."""
    return build(collect(store, catalog, settings, closures, span), span)
