"""Subscription feeds: issuing and revoking links, QR codes, and the server run for real."""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from email.message import Message
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from schedule.store import tables
from schedule.store.database import Store
from tests.calendars import by_title, check_calendar
from tests.conftest import start_server

pytestmark = pytest.mark.usefixtures("config_dir")
LINK = re.compile(
    r"webcal://calendar\.example\.org/prrt/feeds/(?P<token>[A-Za-z0-9_-]{32})\.ics\n"
    r"https://calendar\.example\.org/prrt/feeds/(?P=token)\.ics \(for the web: Google Calendar's "
    r"'From URL', Outlook's 'Subscribe from web'\)\n"
    r"https://calendar\.example\.org/prrt/p/(?P=token) \(the patient's page: the dates, how to "
    r"add them, the handout\)\n"
)
BASE = "https://calendar.example.org/prrt/"


def tokens(db_url: str) -> list[dict[str, object]]:
    store = Store.open(db_url, "x")
    with store.read() as tx:
        rows = [dict(r._mapping) for r in tx.conn.execute(select(tables.feed_tokens))]
        audit = [r["action"] for r in tx.audit()]
    store.close()
    return [*rows, {"audit": audit}]


@freeze_time("2026-11-21 10:00:00")
def test_links_are_random_stored_hashed_shown_once_and_revocable(prrt, db_url: str) -> None:  # type: ignore[no-untyped-def]
    prrt("patient", "add", "P1", "--regimen", "lutathera", "--start", "2026-12-07")
    first = prrt("feed", "url", "P1", "--base", BASE)
    assert (first.exit_code, first.stderr) == (0, "")
    match = LINK.fullmatch(first.stdout)
    assert match, first.stdout
    token = match.group(1)
    assert len(base64.urlsafe_b64decode(token)) == 24  # 192 random bits
    *rows, audit = tokens(db_url)
    assert len(rows) == 1
    assert rows[0]["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(rows)  # only the hash is kept
    assert (rows[0]["created_by"], rows[0]["revoked_at"]) == ("coordinator", None)
    again = prrt("feed", "url", "P1", "--base", BASE)
    assert (again.exit_code, again.stdout, again.stderr) == (
        4, "",
        "prrt: P1 already has a feed link (issued 2026-11-21T10:00:00Z by coordinator); it is "
        "stored hashed and cannot be shown again: run 'prrt feed revoke P1', then "
        "'prrt feed url P1' for a new one\n",
    )  # fmt: skip
    revoked = prrt("feed", "revoke", "P1")
    assert (revoked.exit_code, revoked.stdout) == (0, "revoked the feed link of P1 (1 link)\n")
    fresh = prrt("feed", "url", "P1", "--base", BASE)
    new = LINK.fullmatch(fresh.stdout)
    assert new
    assert new.group(1) != token
    *rows, audit = tokens(db_url)
    assert [r["revoked_at"] is not None for r in rows] == [True, False]
    assert audit == {
        "audit": ["patient-add", "course-add", "feed-issue", "feed-revoke", "feed-issue"]
    }


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("feed", "url", "P1"), 2,
         "prrt: give --base URL (where phones reach 'prrt serve') or set site.feed_base_url "
         "(see 'prrt feed url --help')\n"),
        (("feed", "url", "P1", "--base", "ftp://example.org"), 2,
         "prrt: feed base 'ftp://example.org' is not valid; give the server's address as reached "
         "from patients' phones, e.g. https://calendar.example.org\n"),
        (("feed", "url", "P1", "--base", BASE, "--qr", "code.jpg"), 2,
         "prrt: --qr takes a .png or .svg file, or '-' for the terminal "
         "(see 'prrt feed url --help')\n"),
        (("feed", "url", "NOPE", "--base", BASE), 3,
         "prrt: unknown patient 'NOPE'; 'prrt patient list' shows the patients\n"),
        (("feed", "revoke", "P1"), 4, "prrt: P1 has no live feed link to revoke\n"),
    ],
)  # fmt: skip
def test_bad_feed_input_one_line_no_token(prrt, db_url: str, args, code, message) -> None:  # type: ignore[no-untyped-def]
    prrt("patient", "add", "P1", "--regimen", "lutathera", "--start", "2026-12-07")
    result = prrt(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (code, "", message)
    assert tokens(db_url)[:-1] == []


def test_qr_codes_as_png_svg_and_in_the_terminal(prrt, config_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (config_dir / "config.toml").write_text(f'[site]\nfeed_base_url = "{BASE}"\n')
    for pid in ("P1", "P2", "P3"):
        prrt(
            "patient",
            "add",
            pid,
            "--regimen",
            "lanreotide",
            "--start",
            "2026-11-02",
            "--past-start",
        )
    png = prrt("feed", "url", "P1", "--qr", str(tmp_path / "p1.png"))
    assert png.exit_code == 0
    assert LINK.fullmatch(png.stdout)
    assert (tmp_path / "p1.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    svg = prrt("feed", "url", "P2", "--qr", str(tmp_path / "p2.svg"))
    assert svg.exit_code == 0
    assert LINK.fullmatch(svg.stdout)
    drawing = (tmp_path / "p2.svg").read_text()
    assert "<svg" in drawing
    # A white background, so the code stays visible on a dark page (segno: light="white").
    assert re.search(r'<path fill="#fff" d="M0 0h\d+v\d+h-\d+z"/>', drawing), drawing[:400]
    terminal = prrt("feed", "url", "P3", "--qr", "-")
    *art, link, web, page = terminal.stdout.splitlines()
    assert LINK.fullmatch(f"{link}\n{web}\n{page}\n")
    assert len(art) > 10
    assert any("█" in line or "▀" in line for line in art)
    import segno

    # The drawing is the QR code of the very link printed under it.
    expected = segno.make(link, error="m")
    assert len(art) == -(-(expected.symbol_size(border=4)[1]) // 2)


# -- the server, started for real --------------------------------------------------------------


@pytest.fixture
def server(db_url: str, config_dir: Path) -> Iterator[str]:
    """`prrt serve` in its own process on a free loopback port; yields its base URL."""
    process, port = start_server(db_url)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def fetch(url: str, **headers: str) -> tuple[int, Message, bytes]:
    """Status, headers (names case-insensitive) and body."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_live_feed_200_304_update_404_and_revoked(
    run, db_url: str, server: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    # The server reads the real clock (it runs in its own process), so dates count from today.
    start = date.today() - timedelta(days=10)

    def prrt(*args: str):  # type: ignore[no-untyped-def]
        return run("--db", db_url, *args)

    prrt("patient", "add", "P1", "--regimen", "lutathera", "--start", start.isoformat())
    link, web, _page = prrt("feed", "url", "P1", "--base", server).stdout.splitlines()
    assert web.startswith(f"{server}/feeds/")  # the base's own scheme, for calendars on the web
    assert web.split(" ")[0] == link.replace("webcal://", "http://")
    assert link.startswith(server.replace("http://", "webcal://") + "/feeds/")
    url = link.replace("webcal://", "http://")
    # Last-Modified is given once the calendar's time is a second old (RFC 9110, 8.8.2.2):
    # a change later in the same second could not be told from it.
    time.sleep(1.1)
    status, headers, body = fetch(url)
    assert status == 200
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    etag = headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    seen = check_calendar(body, tmp_path, "feed-1.ics")
    dose = by_title(seen["events"], "Lutathera treatment 1 of 4: infusion at the clinic")
    assert (dose["sequence"], dose["start"]["iso"]) == (0, start.isoformat())
    not_modified = fetch(url, **{"If-None-Match": etag})
    assert (not_modified[0], not_modified[1]["ETag"], not_modified[2]) == (304, etag, b"")
    # Last-Modified and If-Modified-Since; If-None-Match: * for a live link; gzip when asked.
    stamp = headers["Last-Modified"]
    assert (headers["Vary"], stamp.endswith(" GMT")) == ("Accept-Encoding", True)
    assert fetch(url, **{"If-Modified-Since": stamp})[::2] == (304, b"")
    assert fetch(url, **{"If-None-Match": "*"})[::2] == (304, b"")
    status, zipped_headers, zipped = fetch(url, **{"Accept-Encoding": "gzip"})
    assert (status, zipped_headers["Content-Encoding"]) == (200, "gzip")
    assert gzip.decompress(zipped) == body
    assert zipped_headers["ETag"] == etag[:-1] + '-gzip"'
    again = fetch(url)
    assert (again[0], again[1]["ETag"], again[2]) == (200, etag, body)
    # A dose recorded shows in the next fetch, with a new ETag and a higher SEQUENCE.
    given = start + timedelta(days=1)
    assert prrt("record", "P1", "prrt-1", "--date", given.isoformat()).exit_code == 0
    status, headers, changed = fetch(url, **{"If-None-Match": etag})
    assert status == 200
    assert headers["ETag"] != etag
    seen = check_calendar(changed, tmp_path, "feed-2.ics")
    dose = by_title(seen["events"], "Lutathera treatment 1 of 4: infusion at the clinic")
    assert (dose["sequence"], dose["start"]["iso"]) == (1, given.isoformat())
    # Unknown, malformed and revoked links all get the same 404, which says nothing.
    unknown = fetch(f"{server}/feeds/{'A' * 32}.ics")
    assert (unknown[0], unknown[2]) == (404, b"Not Found\n")
    assert fetch(f"{server}/feeds/../../etc/passwd")[0] == 404
    assert fetch(f"{server}/")[0] == 404
    post = urllib.request.Request(url, data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(post, timeout=10)
    assert refused.value.code == 405
    assert prrt("feed", "revoke", "P1").exit_code == 0
    revoked = fetch(url)
    assert (revoked[0], revoked[2]) == (404, b"Not Found\n")
