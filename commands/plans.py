"""Commands that read the regimens alone: `regimens` and `plan` (no database)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from commands.app import App, now
from commands.options import ISO_DATE, Interval, format_option, plan_options
from commands.output import emit, write_text
from schedule.domain.languages import LANGUAGES


@click.command()
@format_option
@click.pass_obj
def regimens(app: App, fmt: str) -> None:
    """List the regimens available (built-in and the site's)."""
    from schedule.output.regimens import REGIMEN_COLUMNS, REGIMEN_TABLE, regimen_rows

    emit(regimen_rows(app.catalog), REGIMEN_COLUMNS, fmt, REGIMEN_TABLE)


@click.command()
@click.argument("regimen")
@click.option("--start", required=True, type=ISO_DATE, help="Day of the first dose.")
@click.option(
    "--interval",
    type=Interval(),
    help="Days between doses, if the regimen offers a choice; or 'month'.",
)
@click.option(
    "--precautions", help="Radiation-precaution variant, e.g. eu or us [default: site setting]."
)
@click.option("--until", type=ISO_DATE, help="End of the projection for open-ended (SSA) regimens.")
@click.option(
    "--ics",
    "ics_file",
    type=click.Path(path_type=Path, allow_dash=True),
    help="Write the patient's calendar (.ics) to this file ('-': standard output) instead.",
)
@click.option("--time", "appt_time", help="With --ics: dose appointments at HH:MM.")
@click.option("--tz", help="With --ics and --time: the IANA time zone, e.g. America/New_York.")
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES, case_sensitive=False),
    help="With --ics: the calendar's language [default: site.lang].",
)
@format_option
@click.pass_obj
def plan(
    app: App,
    regimen: str,
    start: date,
    interval: int | str | None,
    precautions: str | None,
    until: date | None,
    ics_file: Path | None,
    appt_time: str | None,
    tz: str | None,
    lang: str | None,
    fmt: str,
) -> None:
    """Print the treatment calendar of REGIMEN from a start date."""
    from schedule.engine.calendar import build_calendar

    if ics_file is None and (appt_time or tz):
        raise click.UsageError("--time and --tz apply to --ics only")
    if ics_file is None and lang:
        raise click.UsageError("--lang applies to --ics only")
    options = plan_options(interval, precautions, until)
    chosen = app.catalog.get(regimen)
    events = build_calendar(chosen, start, options=options, settings=app.settings)
    if ics_file is not None:
        from schedule.calendars.publisher import plan_calendar
        from schedule.domain.errors import InputError
        from schedule.patientview.appointment import appointment_for, check_slot

        if bool(appt_time) != bool(tz):
            raise InputError("give --time and --tz together (a time needs its time zone)")
        slot = appointment_for(appt_time, tz)
        check_slot(chosen, events, slot)
        text = plan_calendar(
            chosen, start, events, app.settings, now(), slot, lang=lang.lower() if lang else None
        )
        write_text(ics_file, text, f"wrote the calendar of {regimen} from {start} to {ics_file}")
        return
    from schedule.output.columns import EVENT_COLUMNS, event_row
    from schedule.output.render import EVENT_TABLE

    emit([event_row(e) for e in events], EVENT_COLUMNS, fmt, EVENT_TABLE)
