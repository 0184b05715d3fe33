"""Statuses as of a date: the ladders an event climbs by itself, and how an event placed around
a dose follows the state of that dose."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from schedule.domain.model import Status


def ladder_status(as_of: date | None, start: date, target: date, end: date) -> Status:
    """A recordable event not recorded: planned, due, overdue, then missed past its window."""
    if as_of is None or as_of < start:
        return Status.PLANNED
    if as_of <= target:
        return Status.DUE
    if as_of <= end:
        return Status.OVERDUE
    return Status.MISSED


def info_status(as_of: date | None, start: date, end: date) -> Status:
    """An informational event: planned, active from its start to its end, then past."""
    if as_of is None or as_of < start:
        return Status.PLANNED
    return Status.ACTIVE if as_of <= end else Status.PAST


class ParentDose(NamedTuple):
    """The dose that events around it hang on: its status, and the days to count from before
    it (its target, or the day given) and after it (the day given, or when it can still be).
    A named tuple: one is made for every dose of every course."""

    status: Status
    before: date
    after: date

    @property
    def cancelled(self) -> bool:
        """Skipped or cancelled: the dose will not happen."""
        return self.status in (Status.SKIPPED, Status.CANCELLED)

    def dependent_status(self, own: Status, follows: bool, cancel: bool = True) -> Status:
        """The status of an event not recorded itself, given the state of its dose."""
        if self.status is Status.GIVEN:
            return own
        if (cancel and self.cancelled) or self.status is Status.CANCELLED:
            return Status.CANCELLED
        if self.status is Status.HELD:
            return Status.HELD
        if follows:
            return Status.PLANNED  # it comes after a dose not given yet
        return own
