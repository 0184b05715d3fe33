"""Which of a course's events a worklist shows: `missed` (past their window with nothing
recorded, held doses past the maximum delay) or `due` (late, due or coming up, held doses up
for review, deadlines and late orders)."""

from __future__ import annotations

from datetime import date

from schedule.domain.model import Event, Flag, Kind, Status
from schedule.engine.views import CourseView
from schedule.tracking.selection import OpenHold

_MAY_BE_MISSED = (Status.MISSED, Status.OVERDUE, Status.HELD)
_STILL_TO_DO = (Status.PLANNED, Status.DUE, Status.OVERDUE, Status.MISSED, Status.HELD)


def wanted_events(
    view: CourseView, as_of: date, horizon: date, missed: bool, hold: OpenHold | None
) -> list[Event]:
    """The course's events that the list shows."""
    wanted_events = []
    after_order = view.regimen.after_order_series
    placed = (
        {e.number for e in view.events if e.series in view.regimen.order_series and e.given_on}
        if after_order
        else set()
    )
    series = view.regimen.dose.series
    for event in view.events:
        if missed and event.status not in _MAY_BE_MISSED:
            continue  # most events of a course: `missed` below wants none of them
        if event.series in after_order and event.number not in placed:
            continue  # a free-cancellation deadline matters once its order is placed
        # For a clinician to confirm: a delay past the label's limit, or its stop rule met.
        too_late = event.status in _STILL_TO_DO and (
            Flag.MAX_DELAY_EXCEEDED in event.flags or Flag.DISCONTINUE_PER_LABEL in event.flags
        )
        if missed:
            # An SSA injection past its window stays overdue until given (S9): missed too.
            past = event.status is Status.OVERDUE and event.window_end < as_of
            wanted = (
                event.status is Status.MISSED or past or (event.status is Status.HELD and too_late)
            )
        elif too_late:
            wanted = True  # for a clinician to confirm, whatever else it waits for
        elif event.status is Status.HELD:
            # A held dose comes up once its hold's review day has come.
            wanted = event.series == series and hold is not None and hold.review <= as_of
        elif event.status is Status.PLANNED:
            # Not open yet, its target within the horizon; an event waiting on a dose not given
            # yet stays out.
            wanted = (
                as_of < event.date
                and event.end <= horizon
                and (event.kind.recordable or event.kind is Kind.DEADLINE)
            )
        elif event.kind.recordable:
            # Late, or its window open and its target within the horizon (`--within 0`: only
            # what is late or due today).
            wanted = event.status is Status.OVERDUE or (
                event.status is Status.DUE and event.end <= horizon
            )
        else:
            # A deadline today or ahead; a passed order deadline while its dose waits (order-late).
            wanted = event.kind is Kind.DEADLINE and (
                event.status is Status.ACTIVE or Flag.ORDER_LATE in event.flags
            )
        if wanted:
            wanted_events.append(event)
    return wanted_events
