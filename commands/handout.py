"""The patient's printed schedule: `handout`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from commands.app import App, today
from commands.errors import fail_line
from commands.options import ISO_DATE

FORMATS = (".pdf", ".html")


@click.command()
@click.argument("patient_id")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="FILE.pdf or FILE.html: the format follows the extension.",
)
@click.option("--lang", help="en, es, fr or de [default: the patient's, else site.lang].")
@click.option("--as-of", type=ISO_DATE, help="Dates as planned on this day [default: today].")
@click.option(
    "--titles",
    type=click.Choice(["discreet", "plain"]),
    help="Discreet (a clinic visit) or plain (the drug and therapy) titles [default: the feed "
    "link's, else site.calendar_titles].",
)
@click.option("--with-name", is_flag=True, help="Put the patient's name in the title.")
@click.option(
    "--feed-url",
    help="The patient's live feed link (as 'prrt feed url' showed it), for the code to scan.",
)
@click.pass_obj
def handout(
    app: App,
    patient_id: str,
    output: Path,
    lang: str | None,
    as_of: date | None,
    titles: str | None,
    with_name: bool,
    feed_url: str | None,
) -> None:
    """Write PATIENT_ID's printable schedule: a timeline, the dates with what to do before
    each, the clinic's contacts and, with --feed-url, the code to scan to get the dates on a
    phone. Only what the patient's calendar shows: no staff deadline, no patient ID.

    A feed link is stored hashed, so prrt cannot print it again: give it with --feed-url, or
    revoke it and issue a new one ('prrt feed revoke', 'prrt feed url').
    """
    from schedule.calendars.feeds import parse_feed_link
    from schedule.domain.errors import InputError
    from schedule.i18n import check_language
    from schedule.output.files import check_replaceable, write_atomic_bytes
    from schedule.patientview.titles import Titles
    from schedule.services.handout import FeedLink, patient_handout

    kind = output.suffix.lower()
    if kind not in FORMATS:
        raise click.UsageError(
            f"-o takes a .pdf or .html file (the format follows the extension), not {output}"
        )
    check_replaceable(output)  # a folder or a device is refused before any work
    try:
        chosen = check_language(lang)
    except InputError as exc:
        raise click.BadParameter(exc.message, param_hint="'--lang'") from None
    link = None
    if feed_url is not None:
        base, token, link_titles = parse_feed_link(feed_url)
        link = FeedLink(base, token, Titles(link_titles) if link_titles else None)
    shown = Titles(titles) if titles else None
    found = patient_handout(
        app.reader, app.catalog, app.settings, as_of or today(), patient_id, link, chosen, shown,
        with_name,
    )  # fmt: skip
    assert found is not None  # a patient named is found, or refused
    built, words = found.handout, found.words
    write_atomic_bytes(output, _rendered(built, words, kind))
    click.echo(f"wrote the handout of {patient_id} ({words.lang}) to {output}")
    _warn_coordinator(app, built)
    if kind == ".pdf":
        _warn_missing_letters(built)
    if found.has_feed and link is None:
        fail_line(
            f"note: {patient_id} has a feed link, stored hashed, so the handout has no code to "
            "scan; give it with --feed-url, or revoke it and issue a new one"
        )


def _rendered(built: Any, words: Any, kind: str) -> bytes:
    """The handout as a PDF file's bytes or an HTML file's."""
    if kind == ".pdf":
        from schedule.handout.pdf import render

        return render(built, words)
    from schedule.handout.html import render as render_html

    return render_html(built, words).encode("utf-8")


def _warn_missing_letters(built: Any) -> None:
    """Letters of the name, the heading or the clinic's contacts that no installed font has:
    the PDF draws them as empty boxes."""
    from schedule.handout.fonts import missing

    texts = [built.name or "", built.heading, *(c.text for c in built.contacts)]
    lacking = missing(" ".join(texts))
    if lacking:
        fail_line(
            f"warning: no installed font has {lacking!r}: the PDF shows them as empty boxes; "
            "install a font with them (e.g. fonts-noto-core), or give the handout as .html"
        )


def _warn_coordinator(app: App, built: Any) -> None:
    """What the handout cannot tell the patient as it should, on stderr: no way to reach the
    clinic (its site settings are empty), and a step listed before a visit whose last day has
    already passed (the patient cannot do it as printed)."""
    if not built.contacts:
        fail_line(
            "warning: the handout gives no way to reach the clinic (a generic sentence in its "
            "place): set clinic_phone, clinic_email or clinic_address under [site] in "
            f"{app.config_dir / 'config.toml'}"
        )
    for step in built.passed:
        fail_line(
            f"warning: the handout lists {step.step} under 'before this visit' of {step.dose}, "
            f"but its last day, {step.last}, has passed; talk to the patient, and record it, "
            "reschedule the visit or skip it"
        )
