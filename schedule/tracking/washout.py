"""The long-acting SSA injections of a patient's other courses that fall inside the washout
before a PRRT course's doses (L15, L19): what `course add` warns about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from schedule.domain.course import Course
from schedule.domain.model import SSA_SERIES, Status
from schedule.engine.views import CourseView


@dataclass(frozen=True)
class Conflict:
    """An injection of another course inside the washout before a PRRT dose: given on `day`,
    or planned for it, or still due since it (`status` overdue or missed: it can be given any
    day from today)."""

    course: Course
    event: str
    day: date
    status: Status

    @property
    def words(self) -> str:
        """ "ssa-3 given on 2026-11-25", "ssa-4 planned on 2026-12-20", "ssa-2 overdue since
        2026-10-01 (still due)"."""
        if self.status is Status.GIVEN:
            return f"{self.event} given on {self.day}"
        if self.status in (Status.OVERDUE, Status.MISSED):
            return f"{self.event} {self.status.value} since {self.day} (still due)"
        return f"{self.event} planned on {self.day}"


def washout_conflicts(views: list[CourseView], course_id: int, today: date) -> tuple[Conflict, ...]:
    """Every long-acting SSA injection of the other courses inside the washout before a dose of
    course `course_id` (L15, L19): given there, planned there, or still due and so possible
    from today on (a missed one the coordinator may still give)."""
    new = next(v for v in views if v.course.id == course_id)
    ssa, series = new.regimen.ssa, new.regimen.dose.series
    if ssa is None:
        return ()
    doses = [e.effective_date for e in new.events if e.series == series and _live(e.status)]
    found = []
    for view in views:
        if view.course.id == course_id:
            continue
        for e in view.events:
            if e.series not in SSA_SERIES or not _live(e.status):
                continue
            day = e.given_on or max(e.date, today)
            if any(0 < (d - day).days < ssa.washout_days for d in doses):
                found.append(Conflict(view.course, e.key, e.given_on or e.date, e.status))
    return tuple(found)


def _live(status: Status) -> bool:
    """An event that happened or still can (neither skipped nor cancelled)."""
    return status is not Status.SKIPPED and status is not Status.CANCELLED
