"""What coordinators record: `record`, `skip`, `reschedule`, `hold`, `resume`,
`discontinue`, `correct`, and the audit trail `history`."""

from __future__ import annotations

from datetime import date

import click

from commands.app import (
    ISO_DATE,
    App,
    course_option,
    emit,
    format_option,
    today,
)


@click.command()
@click.argument("patient_id")
@click.argument("event")
@click.option("--date", "day", required=True, type=ISO_DATE, help="Day it was given.")
@click.option("--dose", help="Amount given: GBq, MBq or mCi for radioligands, mg for injections.")
@click.option("--note", default="", help="A free-text note.")
@course_option
@click.pass_obj
def record(
    app: App,
    patient_id: str,
    event: str,
    day: date,
    dose: str | None,
    note: str,
    course_number: int | None,
) -> None:
    """Record EVENT (e.g. prrt-2, ssa-5, labs-3) as given."""
    number = app.tracker.record(
        patient_id, event, day, dose, note, app.actor(), today(), course_number
    )
    click.echo(f"recorded {event} for {patient_id} on {day} (record {number})")


@click.command()
@click.argument("patient_id")
@click.argument("event")
@click.option("--reason", required=True, help="Why it is skipped.")
@course_option
@click.pass_obj
def skip(app: App, patient_id: str, event: str, reason: str, course_number: int | None) -> None:
    """Mark EVENT as skipped: it will not be given."""
    number = app.tracker.skip(patient_id, event, reason, app.actor(), today(), course_number)
    click.echo(f"skipped {event} for {patient_id} (record {number})")


@click.command()
@click.argument("patient_id")
@click.argument("event")
@click.option("--date", "day", required=True, type=ISO_DATE, help="The new target day.")
@click.option("--reason", required=True, help="Why it moves.")
@course_option
@click.pass_obj
def reschedule(
    app: App, patient_id: str, event: str, day: date, reason: str, course_number: int | None
) -> None:
    """Move EVENT's target day; the later doses follow."""
    number = app.tracker.reschedule(
        patient_id, event, day, reason, app.actor(), today(), course_number
    )
    click.echo(f"rescheduled {event} for {patient_id} to {day} (record {number})")


@click.command()
@click.argument("patient_id")
@click.option("--reason", required=True, help="The toxicity or other cause.")
@click.pass_obj
def hold(app: App, patient_id: str, reason: str) -> None:
    """Put the patient's course on hold (toxicity): the next dose waits."""
    number = app.tracker.hold(patient_id, reason, app.actor(), today())
    click.echo(f"{patient_id} is on hold from {today()} (record {number})")


@click.command()
@click.argument("patient_id")
@click.option("--reason", default="", help="An optional note.")
@click.pass_obj
def resume(app: App, patient_id: str, reason: str) -> None:
    """End a hold; the next dose is flagged for the reduced activity."""
    number = app.tracker.resume(patient_id, reason, app.actor(), today())
    click.echo(f"{patient_id} resumed on {today()} (record {number})")


@click.command()
@click.argument("patient_id")
@click.option("--reason", required=True, help="Why the course stops.")
@click.pass_obj
def discontinue(app: App, patient_id: str, reason: str) -> None:
    """Stop the patient's current course; what is left of it is cancelled."""
    number = app.tracker.discontinue(patient_id, reason, app.actor(), today())
    click.echo(f"discontinued {patient_id}'s course on {today()} (record {number})")


@click.command()
@click.argument("patient_id")
@click.argument("record_id", type=click.IntRange(min=1))
@click.option("--reason", required=True, help="What was wrong.")
@click.pass_obj
def correct(app: App, patient_id: str, record_id: int, reason: str) -> None:
    """Mark record RECORD_ID entered-in-error (it stays in the history)."""
    number = app.tracker.correct(patient_id, record_id, reason, app.actor(), today())
    click.echo(f"marked record {record_id} of {patient_id} entered-in-error (record {number})")


@click.command()
@click.argument("patient_id")
@format_option
@click.pass_obj
def history(app: App, patient_id: str, fmt: str) -> None:
    """The audit trail of a patient: who changed what, and when."""
    from schedule.tracking.worklists import HISTORY_COLUMNS, HISTORY_TABLE, history_rows

    emit(history_rows(app.store, patient_id), HISTORY_COLUMNS, fmt, HISTORY_TABLE)
