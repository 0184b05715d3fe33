"""`prrt explain`: why an event has its date, window, status and flags."""

from __future__ import annotations

import json
from datetime import date, timedelta

import click

from commands.app import App, today
from commands.options import as_of_option, course_option


@click.command()
@click.argument("patient_id")
@click.argument("event")
@course_option
@as_of_option
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text",
    show_default=True, help="text for people; json gives the same as data.",
)  # fmt: skip
@click.pass_obj
def explain(
    app: App, patient_id: str, event: str, course_number: int | None, as_of: date | None, fmt: str
) -> None:
    """Why EVENT of PATIENT_ID has its date, window, status and each flag: the facts used and
    the rule, with its source id in the regimen file (--course N: another course than the
    latest that has the event)."""
    from schedule.output.render import visible
    from schedule.tracking.explain import explain_event, explanation_row

    day = as_of or today()
    closures, crowded = app.clinic_days(day - timedelta(days=366), day + timedelta(days=366))
    found = explain_event(
        app.store,
        app.catalog,
        app.settings,
        patient_id,
        event,
        course_number,
        day,
        closures,
        crowded,
    )
    if fmt == "json":
        click.echo(json.dumps(explanation_row(found), indent=2))
        return
    e = found.event
    click.echo(
        f"{e.key} of {found.patient_id}, course {found.course} ({found.regimen}), "
        f"as of {found.as_of}: {e.title}"
    )
    for reason in found.reasons:
        click.echo(visible(reason.line))
