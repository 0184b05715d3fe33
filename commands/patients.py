"""Patients and courses: `patient add|list`, `course add`, `show`."""

from __future__ import annotations

from datetime import date

import click

from commands.app import (
    App,
    as_of_option,
    course_spec_options,
    emit,
    format_option,
    plan_options,
    today,
)


@click.group()
def patient() -> None:
    """Add and list patients."""


@patient.command("add")
@click.argument("patient_id")
@course_spec_options
@click.option("--name", help="Shown to coordinators; in calendars only with --with-name.")
@click.option("--tz", help="IANA time zone for appointment times, e.g. Europe/Zurich.")
@click.option("--time", "appt_time", help="Usual appointment time, HH:MM.")
@click.pass_obj
def patient_add(
    app: App,
    patient_id: str,
    regimen: str,
    start: date,
    interval: int | str | None,
    precautions: str | None,
    name: str | None,
    tz: str | None,
    appt_time: str | None,
) -> None:
    """Add a patient with a first course."""
    from schedule.domain.course import Patient

    course = app.tracker.add_patient(
        Patient(patient_id, name, tz, appt_time),
        regimen,
        start,
        plan_options(interval, precautions),
        app.actor(),
    )
    click.echo(f"added {patient_id}: course {course.number}, {course.regimen} from {course.start}")


@patient.command("list")
@as_of_option
@format_option
@click.pass_obj
def patient_list(app: App, as_of: date | None, fmt: str) -> None:
    """List patients, one row per course, with what comes next."""
    from schedule.tracking.worklists import PATIENT_COLUMNS, PATIENT_TABLE, patient_rows

    rows = patient_rows(app.store, app.catalog, app.settings, as_of or today())
    emit(rows, PATIENT_COLUMNS, fmt, PATIENT_TABLE)


@click.group()
def course() -> None:
    """Add a course (a retreatment, a new SSA) to a patient."""


@course.command("add")
@click.argument("patient_id")
@course_spec_options
@click.pass_obj
def course_add(
    app: App,
    patient_id: str,
    regimen: str,
    start: date,
    interval: int | str | None,
    precautions: str | None,
) -> None:
    """Start a new course for an existing patient."""
    course = app.tracker.add_course(
        patient_id, regimen, start, plan_options(interval, precautions), app.actor()
    )
    click.echo(
        f"added course {course.number} to {patient_id}: {course.regimen} from {course.start}"
    )


@click.command()
@click.argument("patient_id")
@as_of_option
@format_option
@click.pass_obj
def show(app: App, patient_id: str, as_of: date | None, fmt: str) -> None:
    """A patient's calendar, with each event's status as of a day."""
    from schedule.tracking.worklists import SHOW_COLUMNS, SHOW_TABLE, show_rows

    rows = show_rows(app.store, app.catalog, app.settings, patient_id, as_of or today())
    emit(rows, SHOW_COLUMNS, fmt, SHOW_TABLE)
