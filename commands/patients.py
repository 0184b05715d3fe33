"""Patients and courses: `patient add|list`, `course add`, `show`."""

from __future__ import annotations

from datetime import date, timedelta

import click

from commands.app import App, today
from commands.options import (
    ISO_DATE,
    as_of_option,
    course_option,
    course_spec_options,
    create_option,
    format_option,
    plan_options,
)
from commands.output import emit
from commands.worklists import STATES, filter_options, filters_of


@click.group()
def patient() -> None:
    """Add and list patients."""


@patient.command("add")
@click.argument("patient_id")
@course_spec_options
@click.option("--name", help="Shown to coordinators; in calendars only with --with-name.")
@click.option("--tz", help="IANA time zone for appointment times, e.g. Europe/Zurich.")
@click.option("--time", "appt_time", help="Usual appointment time, HH:MM.")
@click.option("--lang", help="What the patient sees is in: en, es, fr, de [default: site.lang].")
@click.option(
    "--pregnancy",
    help="Can the patient become pregnant: yes or no [default: not known, which counts as yes: "
    "a pregnancy test before each radioligand dose].",
)
@click.option(
    "--past-start",
    is_flag=True,
    help="Accept a start more than site.past_start_days (30) days ago (patients already in "
    "treatment).",
)
@create_option
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
    lang: str | None,
    pregnancy: str | None,
    past_start: bool,
) -> None:
    """Add a patient with a first course."""
    from schedule.domain.course import Patient
    from schedule.domain.patients import check_pregnancy
    from schedule.tracking.patients import check_lang

    course = app.tracker.add_patient(
        Patient(patient_id, name, tz, appt_time, check_lang(lang), check_pregnancy(pregnancy)),
        regimen,
        start,
        plan_options(interval, precautions),
        app.actor(),
        today(),
        past_start,
    )
    click.echo(f"added {patient_id}: course {course.number}, {course.regimen} from {course.start}")
    _warn_late_order(app, course.regimen, course.start)


@patient.command("list")
@as_of_option
@filter_options(STATES, "Only courses in this state.")
@format_option
@click.pass_obj
def patient_list(
    app: App,
    as_of: date | None,
    patient_id: str | None,
    name_part: str | None,
    regimen: str | None,
    kind: str | None,
    status: str | None,
    no_names: bool,
    fmt: str,
) -> None:
    """List patients, one row per course, with what comes next (--kind: the next event's)."""
    from schedule.services.worklists import patient_list as listing

    found = listing(
        app.store, app.catalog, app.settings, as_of or today(),
        filters_of(patient_id, name_part, regimen, kind, status), names=not no_names,
    )  # fmt: skip
    emit(found.rows, found.columns, fmt, found.table)


@click.group()
def course() -> None:
    """Add a course (a retreatment, a new SSA) to a patient."""


@course.command("add")
@click.argument("patient_id")
@course_spec_options
@click.option(
    "--replaces",
    type=click.IntRange(min=1),
    help="End this course of the patient's (recorded, with the reason) on the last safe day "
    "before the new one: for a PRRT course, 4 weeks before its first dose.",
)
@click.option(
    "--past-start",
    is_flag=True,
    help="Accept a start more than site.past_start_days (30) days ago (patients already in "
    "treatment).",
)
@click.pass_obj
def course_add(
    app: App,
    patient_id: str,
    regimen: str,
    start: date,
    interval: int | str | None,
    precautions: str | None,
    replaces: int | None,
    past_start: bool,
) -> None:
    """Start a new course for an existing patient."""
    added = app.tracker.add_course(
        patient_id,
        regimen,
        start,
        plan_options(interval, precautions),
        app.actor(),
        today(),
        replaces,
        past_start,
    )
    course = added.course
    click.echo(
        f"added course {course.number} to {course.patient_id}: {course.regimen} from {course.start}"
    )
    if added.ended is not None:
        old, stop = added.ended
        last = stop - timedelta(days=1)
        click.echo(
            f"course {old.number} ({old.regimen}) ends: nothing of it from {stop} on "
            f"(its last day is {last})"
        )
    if added.conflicts:
        numbers = sorted({c.course.number for c in added.conflicts})
        listed = ", ".join(c.words for c in added.conflicts)
        click.echo(
            f"prrt: warning: course {', '.join(map(str, numbers))} has {listed}, inside the "
            "long-acting SSA washout before a PRRT dose (L15, L19); end it with "
            "'prrt course add ... --replaces N', or reschedule what is still to come",
            err=True,
        )
    _warn_late_order(app, course.regimen, course.start)


@course.command("edit")
@click.argument("patient_id")
@click.option("--start", required=True, type=ISO_DATE, help="The new day of the first dose.")
@course_option
@click.option(
    "--past-start",
    is_flag=True,
    help="Accept a start more than site.past_start_days (30) days ago.",
)
@click.pass_obj
def course_edit(
    app: App, patient_id: str, start: date, course_number: int | None, past_start: bool
) -> None:
    """Change a course's start while nothing of it is recorded (audited; the calendar is
    planned again and each moved event's SEQUENCE rises)."""
    from schedule.tracking.entries import change_start

    changed, old = change_start(
        app.tracker, patient_id, start, app.actor(), today(), course_number, past_start
    )
    if old == changed.start:
        click.echo(f"course {changed.number} of {changed.patient_id} unchanged")
        return
    click.echo(
        f"moved the start of course {changed.number} of {changed.patient_id}: {old} -> {start}"
    )
    _warn_late_order(app, changed.regimen, changed.start)


def _warn_late_order(app: App, regimen_id: str, start: date) -> None:
    """A warning on stderr when the first dose's order deadline has already passed."""
    from schedule.tracking.starts import late_first_order

    day = today()
    if (day - start).days > app.settings.past_start_days:
        return  # a course already under way (--past-start): its first order is history
    regimen = app.catalog.get(regimen_id)
    late = late_first_order(regimen, start, day)
    if late is not None:
        click.echo(
            f"prrt: warning: the order deadline of {regimen.dose.series}-1 ({late.event}) was "
            f"{late.deadline}: ordered today, the dose can be given from {late.first_day} (L41); "
            "it is on 'prrt due' as order-late",
            err=True,
        )


@click.command()
@click.argument("patient_id")
@as_of_option
@click.option("--no-names", is_flag=True, help="Leave the patient's name out (a shared screen).")
@format_option
@click.pass_obj
def show(app: App, patient_id: str, as_of: date | None, no_names: bool, fmt: str) -> None:
    """A patient's calendar, with each event's status as of a day."""
    from schedule.output.render import visible
    from schedule.tracking.worklists import SHOW_COLUMNS, SHOW_TABLE, show_rows

    day = as_of or today()
    # Days over capacity in the next half year (it takes every patient's calendar).
    closures, crowded = app.clinic_days(day, day + timedelta(days=183))
    rows = show_rows(
        app.store,
        app.catalog,
        app.settings,
        patient_id,
        day,
        names=not no_names,
        closures=closures,
        crowded=crowded,
    )
    if fmt == "table" and rows and rows[0].name:
        click.echo(f"{rows[0].patient_id}  {visible(rows[0].name)}")
    emit(rows, SHOW_COLUMNS, fmt, SHOW_TABLE)


@patient.command("edit")
@click.argument("patient_id")
@click.option("--name", help="New name; '' clears it.")
@click.option("--tz", help="New IANA time zone, e.g. Europe/Zurich; '' clears it.")
@click.option("--time", "appt_time", help="New usual appointment time, HH:MM; '' clears it.")
@click.option("--lang", help="What the patient sees is in: en, es, fr, de ('' for site.lang).")
@click.option(
    "--pregnancy", help="Can the patient become pregnant: yes, no ('' for not known: ask)."
)
@click.pass_obj
def patient_edit(
    app: App,
    patient_id: str,
    name: str | None,
    tz: str | None,
    appt_time: str | None,
    lang: str | None,
    pregnancy: str | None,
) -> None:
    """Change a patient's details (audited); a new time zone or time moves the appointments."""
    from schedule.tracking.patients import edit_patient

    given = {"name": name, "tz": tz, "time": appt_time, "lang": lang, "pregnancy": pregnancy}
    changes = {field: value for field, value in given.items() if value is not None}
    if not changes:
        raise click.UsageError(
            "nothing to change; give --name, --tz, --time, --lang or --pregnancy"
        )
    edit = edit_patient(app.store, patient_id, changes, app.actor(), app.catalog, app.settings)
    if not edit.changes:
        click.echo(f"{patient_id} unchanged")
        return
    shown = "; ".join(
        f"{field} {change['old'] or '(none)'} -> {change['new'] or '(none)'}"
        for field, change in edit.changes.items()
    )
    click.echo(f"edited {patient_id}: {shown}")
