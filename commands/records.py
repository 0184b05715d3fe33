"""What coordinators record: `record`, `skip`, `reschedule`, `hold`, `resume`,
`discontinue`, `correct`, and the audit trail `history`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import click

from commands.app import App, today
from commands.options import DAY_DATE, ISO_DATE, course_option, format_option
from commands.output import emit

F = TypeVar("F", bound=Callable[..., Any])


def override_option(func: F) -> F:
    return click.option(
        "--override",
        metavar="REASON",
        help="A clinician's reason to record past a guard that refused (kept in the audit "
        "trail; the event is flagged 'override').",
    )(func)


def stored_id(app: App, patient_id: str) -> str:
    """The patient's ID as stored (IDs are found without case); an unknown one is refused here,
    with the closest stored IDs."""
    with app.store.read() as tx:
        return tx.require_patient(patient_id, hidden=True).id


@click.command()
@click.argument("patient_id")
@click.argument("event")
@click.option(
    "--date", "day", required=True, type=DAY_DATE, help="Day it was given (or today, yesterday)."
)
@click.option("--dose", help="Amount given: GBq, MBq or mCi for radioligands, mg for injections.")
@click.option("--note", default="", help="A free-text note.")
@course_option
@override_option
@click.pass_obj
def record(
    app: App,
    patient_id: str,
    event: str,
    day: date,
    dose: str | None,
    note: str,
    course_number: int | None,
    override: str | None,
) -> None:
    """Record EVENT (e.g. prrt-2, ssa-5, labs-3) as given, or an order (order-2) as placed."""
    patient_id = stored_id(app, patient_id)  # echoed as stored: net-003 is NET-003
    number = app.tracker.record(
        patient_id, event, day, dose, note, app.actor(), today(), course_number, override
    )
    click.echo(f"recorded {event.lower()} for {patient_id} on {day} (record {number})")


@click.command()
@click.argument("patient_id")
@click.argument("event")
@click.option("--reason", required=True, help="Why it is skipped.")
@course_option
@click.pass_obj
def skip(app: App, patient_id: str, event: str, reason: str, course_number: int | None) -> None:
    """Mark EVENT as skipped: it will not be given."""
    patient_id = stored_id(app, patient_id)  # echoed as stored: net-003 is NET-003
    number = app.tracker.skip(patient_id, event, reason, app.actor(), today(), course_number)
    click.echo(f"skipped {event.lower()} for {patient_id} (record {number})")


@click.command()
@click.argument("patient_id")
@click.argument("event")
@click.option("--date", "day", required=True, type=ISO_DATE, help="The new target day.")
@click.option("--reason", required=True, help="Why it moves.")
@course_option
@override_option
@click.pass_obj
def reschedule(
    app: App,
    patient_id: str,
    event: str,
    day: date,
    reason: str,
    course_number: int | None,
    override: str | None,
) -> None:
    """Move EVENT's target day (today or later); the later doses follow. A day the clinic is
    closed (site setting closures) needs --override."""
    patient_id = stored_id(app, patient_id)  # echoed as stored: net-003 is NET-003
    number = app.tracker.reschedule(
        patient_id, event, day, reason, app.actor(), today(), course_number, override
    )
    click.echo(f"rescheduled {event.lower()} for {patient_id} to {day} (record {number})")


def since_option(what: str) -> Callable[[F], F]:
    return click.option(
        "--date",
        "day",
        type=DAY_DATE,
        help=f"The day {what} (not in the future; or yesterday) [default: today].",
    )


@click.command()
@click.argument("patient_id")
@click.option(
    "--toxicity",
    metavar="TYPE",
    help="The adverse reaction: thrombocytopenia, anaemia, neutropenia, lymphopenia, "
    "other-haematological, renal, hepatic, xerostomia, gastrointestinal, "
    "other-non-haematological; or other (not a toxicity: say why with --reason).",
)
@click.option("--grade", type=int, help="The toxicity's CTCAE grade (1 to 5).")
@click.option("--reason", default="", help="Why (required without a toxicity).")
@since_option("the hold began")
@click.option(
    "--review",
    type=ISO_DATE,
    help="When the hold comes up on the worklists for review [default: the site's "
    "hold_review_days after it began].",
)
@course_option
@click.pass_obj
def hold(
    app: App,
    patient_id: str,
    toxicity: str | None,
    grade: int | None,
    reason: str,
    day: date | None,
    review: date | None,
    course_number: int | None,
) -> None:
    """Put the patient's course on hold: the next dose waits. A toxicity with its grade
    decides the next dose by the regimen's dose-modification table (`prrt explain`)."""
    patient_id = stored_id(app, patient_id)  # echoed as stored: net-003 is NET-003
    from schedule.domain.toxicity import parse_toxicity

    cause = parse_toxicity(toxicity) if toxicity is not None else None
    number, review_on = app.tracker.hold(
        patient_id, reason, app.actor(), today(), day, review, course_number, cause, grade
    )
    click.echo(
        f"{patient_id} is on hold from {day or today()}, for review on {review_on} "
        f"(record {number})"
    )
    stop = app.tracker.stop_rule(patient_id, today(), course_number)
    if stop is not None:
        key, rule = stop
        click.echo(
            f"{key} meets the label's stop rule: {rule}; a clinician confirms it with "
            f"'prrt discontinue {patient_id} --reason ...', or goes on with "
            f"'prrt resume {patient_id} --override REASON'"
        )


@click.command()
@click.argument("patient_id")
@click.option("--reason", default="", help="An optional note.")
@since_option("the hold ended")
@course_option
@override_option
@click.pass_obj
def resume(
    app: App,
    patient_id: str,
    reason: str,
    day: date | None,
    course_number: int | None,
    override: str | None,
) -> None:
    """End a hold; the next dose waits until it can be ordered, at the amount the regimen's
    dose-modification table expects. Where the label's stop rule is met, only with
    --override."""
    patient_id = stored_id(app, patient_id)  # echoed as stored: net-003 is NET-003
    number = app.tracker.resume(
        patient_id, reason, app.actor(), today(), day, course_number, override
    )
    click.echo(f"{patient_id} resumed on {day or today()} (record {number})")


@click.command()
@click.argument("patient_id")
@click.option("--reason", required=True, help="Why the course stops.")
@since_option("the course stopped")
@click.option(
    "--end-care",
    is_flag=True,
    help="The patient also leaves the clinic's after-course care (maintenance injections, "
    "follow-up labs and scans end too).",
)
@course_option
@click.pass_obj
def discontinue(
    app: App,
    patient_id: str,
    reason: str,
    day: date | None,
    end_care: bool,
    course_number: int | None,
) -> None:
    """Stop a course: its remaining doses and what goes with them are cancelled; the care
    after the course goes on unless --end-care."""
    patient_id = stored_id(app, patient_id)  # echoed as stored: net-003 is NET-003
    number = app.tracker.discontinue(
        patient_id, reason, app.actor(), today(), day, end_care, course_number
    )
    care = "; after-course care ends too" if end_care else ""
    click.echo(f"discontinued {patient_id}'s course on {day or today()}{care} (record {number})")


@click.command()
@click.argument("patient_id")
@click.argument("record_id", metavar="RECORD")
@click.option("--reason", required=True, help="What was wrong.")
@course_option
@click.pass_obj
def correct(
    app: App, patient_id: str, record_id: str, reason: str, course_number: int | None
) -> None:
    """Mark RECORD entered-in-error (it stays in the history): a record's number, C2 for
    course 2 itself, P for the patient, as 'prrt history' shows them. A course or a patient
    entered in error is left out of every list, worklist and feed until 'prrt reinstate'."""
    patient_id = stored_id(app, patient_id)  # echoed as stored: net-003 is NET-003
    from schedule.tracking.entries import mark_in_error, parse_reference

    ref = parse_reference(record_id)
    if ref.record is not None:
        number = app.tracker.correct(
            patient_id, ref.record, reason, app.actor(), today(), course_number
        )
        click.echo(f"marked record {ref.record} of {patient_id} entered-in-error (record {number})")
        return
    stored = mark_in_error(app.tracker, patient_id, ref.course, reason, app.actor())
    what = "patient" if ref.course is None else f"course {ref.course} of"
    click.echo(
        f"marked {what} {stored} entered-in-error; 'prrt reinstate {stored} "
        f"{record_id.upper()} --reason ...' puts it back"
    )


@click.command()
@click.argument("patient_id")
@click.argument("ref", metavar="P|Cn")
@click.option("--reason", required=True, help="Why it is put back.")
@click.pass_obj
def reinstate(app: App, patient_id: str, ref: str, reason: str) -> None:
    """Put back a patient (P) or a course (C2: course 2) marked entered-in-error."""
    patient_id = stored_id(app, patient_id)  # echoed as stored: net-003 is NET-003
    from schedule.domain.errors import InputError
    from schedule.tracking.entries import parse_reference, reinstate

    found = parse_reference(ref)
    if found.record is not None:
        raise InputError(
            f"record {found.record} is not entered in error as a whole: give P for the "
            "patient or C and a course's number; a corrected record is recorded again"
        )
    stored = reinstate(app.tracker, patient_id, found.course, reason, app.actor())
    what = "patient" if found.course is None else f"course {found.course} of"
    click.echo(f"reinstated {what} {stored}")


@click.command()
@click.argument("patient_id")
@format_option
@click.pass_obj
def history(app: App, patient_id: str, fmt: str) -> None:
    """The audit trail of a patient: who changed what, and when."""
    from schedule.tracking.history import HISTORY_COLUMNS, HISTORY_TABLE, history_rows

    emit(history_rows(app.store, patient_id), HISTORY_COLUMNS, fmt, HISTORY_TABLE)
