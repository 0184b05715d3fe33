"""Patients' calendars: `ics`, `feed url|revoke` and `serve`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from commands.app import App, now, today
from commands.output import progress, write_text

if TYPE_CHECKING:
    from schedule.web.asgi import Limits, Site
from schedule.domain.languages import LANGUAGES


@click.command()
@click.argument("patient_id", required=False)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, allow_dash=True),
    help="File [default: standard output].",
)
@click.option("--all", "everyone", is_flag=True, help="Every active patient, one file each.")
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="With --all: the folder for the PATIENT_ID.ics files.",
)
@click.option("--with-name", is_flag=True, help="Put the patient's name in the calendar's name.")
@click.option(
    "--titles",
    type=click.Choice(["discreet", "plain"]),
    help="What a lock screen shows: discreet (a clinic visit) or plain (the drug and therapy) "
    "[default: site.calendar_titles].",
)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES, case_sensitive=False),
    help="The calendar's language this time [default: the patient's, else site.lang].",
)
@click.pass_obj
def ics(
    app: App,
    patient_id: str | None,
    output: Path | None,
    everyone: bool,
    folder: Path | None,
    with_name: bool,
    titles: str | None,
    lang: str | None,
) -> None:
    """Write a patient's calendar as an .ics file for a phone (or --all into --dir).

    SEQUENCE is remembered per event, so an event that changed carries a higher one. An
    imported file does not update itself: give patients a feed ('prrt feed url') for that.
    """
    from schedule.patientview.titles import Titles
    from schedule.services.calendars import Form, calendar_folder, patient_calendar

    form = Form(with_name, Titles(titles) if titles else None, lang.lower() if lang else None)
    site = (app.store, app.catalog, app.settings, today(), now())
    if everyone:
        if patient_id or output:
            raise click.UsageError("--all writes every patient into --dir; drop PATIENT_ID / -o")
        if folder is None:
            raise click.UsageError("--all needs --dir FOLDER")
        with progress("writing calendars") as on_progress:
            result = calendar_folder(*site, folder, os.cpu_count() or 1, on_progress, form)
        failed = f"; {len(result.broken)} failed" if result.broken else ""
        click.echo(
            f"wrote {result.written} calendar{'' if result.written == 1 else 's'} to {folder}: "
            f"{result.new} new, {result.changed} changed; {result.unchanged} unchanged{failed}"
        )
        if result.broken:
            click.echo(
                f"prrt: warning: the calendars of {', '.join(result.broken)} cannot be computed "
                "from what is stored (a date out of range); their files were left as they were",
                err=True,
            )
        return
    if folder is not None:
        raise click.UsageError("--dir goes with --all; for one patient use -o FILE")
    if not patient_id:
        raise click.UsageError("give a PATIENT_ID, or --all --dir FOLDER")
    calendar = patient_calendar(*site, patient_id, form)
    write_text(
        output,
        calendar.text,
        f"wrote the calendar of {calendar.patient_id} ({calendar.events} events) to {output}",
    )


@click.group()
def feed() -> None:
    """Subscription links that keep a patient's phone calendar up to date."""


@feed.command("url")
@click.argument("patient_id")
@click.option(
    "--base",
    help="The server's address as phones reach it, e.g. https://calendar.example.org "
    "[default: site.feed_base_url].",
)
@click.option("--with-name", is_flag=True, help="Put the patient's name in the calendar's name.")
@click.option(
    "--qr",
    type=click.Path(path_type=Path, allow_dash=True),
    help="Also write the link as a QR code: FILE.png, FILE.svg, or '-' for the terminal.",
)
@click.option(
    "--titles",
    type=click.Choice(["discreet", "plain"]),
    help="What this patient's lock screen shows, kept in the link [default: site.calendar_titles].",
)
@click.pass_obj
def feed_url(
    app: App,
    patient_id: str,
    base: str | None,
    with_name: bool,
    qr: Path | None,
    titles: str | None,
) -> None:
    """Issue PATIENT_ID's webcal:// link (shown once: only a hash of it is stored), and the
    same link as https:// for calendars on the web."""
    from schedule.calendars.feeds import feed_url as make_url
    from schedule.calendars.feeds import issue

    base = base or app.settings.feed_base_url
    if not base:
        raise click.UsageError(
            "give --base URL (where phones reach 'prrt serve') or set site.feed_base_url"
        )
    make_url(base, "x" * 32)  # a bad base fails here, before any token exists
    if qr is not None and str(qr) != "-" and qr.suffix.lower() not in (".png", ".svg"):
        raise click.UsageError("--qr takes a .png or .svg file, or '-' for the terminal")

    def deliver(token: str) -> None:
        url = make_url(base, token, titles)
        if qr is not None:
            write_qr(url, qr)
        click.echo(url)
        web = make_url(base, token, titles, web=True)
        click.echo(
            f"{web} (for the web: Google Calendar's 'From URL', Outlook's 'Subscribe from web')"
        )
        from schedule.calendars.feeds import patient_links

        page = patient_links(base, token, titles).page
        click.echo(f"{page} (the patient's page: the dates, how to add them, the handout)")

    issue(app.store, patient_id, with_name, app.actor(), deliver)


def write_qr(url: str, target: Path) -> None:
    from schedule.handout.qr import make

    code = make(url)
    if str(target) == "-":
        code.terminal(out=sys.stdout, compact=True)
        return
    import io

    from schedule.output.files import write_atomic_bytes

    buffer = io.BytesIO()
    # A white background: a transparent one vanishes on a dark page or screen.
    code.save(buffer, kind=target.suffix.lower()[1:], scale=8, border=4, light="white")
    write_atomic_bytes(target, buffer.getvalue())


@feed.command("revoke")
@click.argument("patient_id")
@click.pass_obj
def feed_revoke(app: App, patient_id: str) -> None:
    """Make PATIENT_ID's link dead at once; 'prrt feed url' issues a new one."""
    from schedule.calendars.feeds import revoke

    revoked = revoke(app.store, patient_id, app.actor())
    click.echo(f"revoked the feed link of {patient_id} ({len(revoked)} link)")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Processes that serve, sharing the port.  [default: one per core, less one, at most 4]",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=16,
    show_default=True,
    help="Threads per process for requests that read the database or build a calendar.",
)
@click.option(
    "--connection-limit",
    type=click.IntRange(1, 10_000),
    default=500,
    show_default=True,
    help="Connections at once per process; beyond it a request gets 503.",
)
@click.option(
    "--channel-timeout",
    type=click.IntRange(1, 3600),
    default=20,
    show_default=True,
    help="Seconds a connection may stay idle between requests before it is closed.",
)
@click.option(
    "--http",
    "parser",
    type=click.Choice(["httptools", "h11"]),
    default="httptools",
    show_default=True,
    help="The HTTP/1.1 parser: httptools (fast; the TLS proxy limits the size of a request's "
    "headers) or h11 (limits them itself, at about half the speed).",
)
@click.option(
    "--base-url",
    help="The server's address as phones reach it, e.g. https://calendar.example.org, for the "
    "links of the patient's page [default: site.feed_base_url].",
)
@click.pass_obj
def serve(
    app: App,
    host: str,
    port: int,
    workers: int | None,
    threads: int,
    connection_limit: int,
    channel_timeout: int,
    parser: str,
    base_url: str | None,
) -> None:
    """Serve patients' calendar feeds (GET /feeds/TOKEN.ics), their pages (/p/TOKEN) and a
    health check (/healthz) until stopped (SIGTERM, Ctrl-C).

    Put it behind a TLS reverse proxy for phones outside the clinic's network; the proxy adds
    TLS, rate limits and request time limits. Several servers, on several machines, may share
    one PostgreSQL database behind one load balancer: they serve the same bytes.
    """
    import socket

    from schedule.web.asgi import Limits
    from schedule.web.serve import Listening, bind, default_workers, run

    site = _site(app, base_url, Limits(threads=threads, queue=threads * 4))
    listening = Listening(
        workers or default_workers(), connection_limit, channel_timeout, http=parser
    )
    try:
        sock = bind(host, port, listening.backlog)
    except socket.gaierror:
        from schedule.domain.errors import InputError

        raise InputError(f"{host!r} is not a host name or address to listen on") from None
    except OSError as exc:  # a port in use, an address not on this machine, no permission
        from schedule.domain.errors import OutputError  # exit 6, as the README says

        raise OutputError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; give another --host or --port"
        ) from None
    address = f"http://{host}:{sock.getsockname()[1]}"
    processes = f" in {listening.workers} processes" if listening.workers > 1 else ""
    click.echo(
        f"prrt: serving feeds on {address}/feeds/TOKEN.ics{processes}; Ctrl-C stops", err=True
    )
    if not site.base_url:
        click.echo(
            "prrt: no public address: the patients' pages give no links until site.feed_base_url "
            "is set or --base-url is given",
            err=True,
        )
    try:
        run(site, sock, listening, "commands.app:feed_server")
    finally:
        sock.close()


def _site(app: App, base_url: str | None, limits: Limits) -> Site:
    """What each of the server's workers builds its application from, checked here: the
    database (missing, or not prrt's, is refused before serving), the site's files, and the
    public address (a malformed one is refused here, never on a request)."""
    from schedule.calendars.feeds import feed_url
    from schedule.web.asgi import Site

    base = base_url or app.settings.feed_base_url
    if base:
        feed_url(base, "x" * 32)
    app.store  # noqa: B018
    app.catalog  # noqa: B018
    regimens = tuple(str(p) for p in app.regimen_files)
    return Site(app.db_target, str(app.config_dir), regimens, base, limits)
