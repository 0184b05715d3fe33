"""Issue 14: the patient's page, `GET /p/TOKEN` on the feed server, and its handout. Asked in
this process for the answers and headers; then opened for real in Debian's headless Chromium at a
phone's width, read without script, and checked by axe-core."""

from __future__ import annotations

import io
import json
import re
import socket
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from schedule.calendars.feeds import issue, revoke
from schedule.domain.course import Course, Patient
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.store.database import Store
from schedule.web.asgi import FeedServer
from schedule.web.page import POLICY
from tests.calendars import JS, node
from tests.conftest import actor, start_server
from tests.web import feed_app, get

pytestmark = pytest.mark.usefixtures("config_dir")
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
SITE = Settings(feed_base_url="https://calendar.example.org/prrt", clinic_phone="+1 555 0100")
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


def call(
    app: FeedServer, path: str, method: str = "GET", query: str = ""
) -> tuple[str, dict[str, str], bytes]:
    return get(app, path, query, method)


@pytest.fixture
def served(store: Store, catalog: Catalog) -> Iterator[tuple[FeedServer, str]]:
    """A feed app on the test's database, and P1's live token (P1 starts Lutathera on
    2026-12-07, speaks French)."""
    with store.write() as tx:
        tx.add_patient(Patient("P1", "Ana Example", lang="fr"), actor())
        tx.add_course(Course(0, "P1", 1, "lutathera", date(2026, 12, 7)), actor())
    token = issue(store, "P1", False, actor(), lambda _: None)
    return feed_app(store, catalog, SITE, lambda: NOW), token


def test_the_page_and_its_headers(served: tuple[FeedServer, str]) -> None:
    app, token = served
    status, headers, body = call(app, f"/p/{token}")
    assert status == "200 OK"
    assert headers == {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Length": str(len(body)),
        "Cache-Control": "no-cache, private",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": POLICY,
        "X-Frame-Options": "DENY",
        "Vary": "Accept-Language",  # issue 29: the page follows the browser's language
    }
    assert POLICY.startswith("default-src 'none'; style-src 'sha256-")
    assert "script" not in POLICY
    page = body.decode("utf-8")
    assert '<html lang="fr">' in page
    assert "<script" not in page
    assert "<h1>Vos dates de traitement</h1>" in page  # no name: the token was issued without
    assert "Ana Example" not in page
    assert "P1" not in page.replace(token, "")  # a random token may hold the letters
    base = "calendar.example.org/prrt"
    assert f'href="webcal://{base}/feeds/{token}.ics"' in page
    assert f"<code>https://{base}/feeds/{token}.ics</code>" in page
    assert f'href="{token}/handout.pdf" download' in page
    assert 'href="https://calendar.google.com/calendar/r/settings/addbyurl"' in page
    assert "7 décembre 2026" in page
    assert '<a href="tel:+15550100">Téléphone\u00a0: +1 555 0100</a>' in page
    assert "Order" not in page
    assert "free of charge" not in page
    # HEAD: the same headers, no body.
    head_status, head_headers, head_body = call(app, f"/p/{token}", "HEAD")
    assert (head_status, head_headers, head_body) == (status, headers, b"")


def test_titles_in_the_link_go_on_to_the_page_and_its_links(served: tuple[FeedServer, str]) -> None:
    app, token = served
    _, _, body = call(app, f"/p/{token}", query="titles=plain")
    page = body.decode("utf-8")
    assert f'href="webcal://calendar.example.org/prrt/feeds/{token}.ics?titles=plain"' in page
    assert f'href="{token}/handout.pdf?titles=plain"' in page
    assert (
        "<strong>Traitement par Lutathera 1 sur 4\u00a0: perfusion à la clinique</strong>" in page
    )
    _, _, discreet = call(app, f"/p/{token}")
    assert "Traitement par Lutathera 1 sur 4" not in discreet.decode("utf-8")


def test_the_handout_as_a_download(served: tuple[FeedServer, str]) -> None:
    import pypdf

    app, token = served
    status, headers, body = call(app, f"/p/{token}/handout.pdf")
    assert status == "200 OK"
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == 'attachment; filename="schedule.pdf"'
    assert headers["Referrer-Policy"] == "no-referrer"
    text = " ".join(
        " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(body)).pages).split()
    )
    assert "Votre calendrier de traitement" in text
    assert "7 décembre 2026" in text
    assert f"https://calendar.example.org/prrt/p/{token}" in "".join(text.split())


def test_unknown_revoked_and_malformed_tokens_get_the_feeds_own_404(
    served: tuple[FeedServer, str], store: Store
) -> None:
    app, token = served
    expected = call(app, "/feeds/" + "A" * 32 + ".ics")
    assert expected[0] == "404 Not Found"
    for path in (
        "/p/" + "A" * 32,  # well formed, unknown
        "/p/short",
        "/p/" + token + "x",
        "/p/" + token + "/other.pdf",
        "/p/" + token + "/",
        "/p/" + token + "/handout.pdf/x",
        "/p/",
        "/p/../feeds/" + token + ".ics",
    ):
        assert call(app, path) == expected, path
    revoke(store, "P1", actor())
    assert call(app, f"/p/{token}") == expected
    assert call(app, f"/p/{token}/handout.pdf") == expected
    assert call(app, f"/p/{token}", "POST")[0] == "405 Method Not Allowed"


def test_without_a_configured_address_the_page_gives_no_links_and_says_why(
    store: Store, catalog: Catalog
) -> None:
    with store.write() as tx:
        tx.add_patient(Patient("P1", "Ana Example"), actor())
        tx.add_course(Course(0, "P1", 1, "lutathera", date(2026, 12, 7)), actor())
    token = issue(store, "P1", False, actor(), lambda _: None)
    app = feed_app(store, catalog, Settings(), lambda: NOW)  # no feed_base_url, no --base-url
    answer = get(app, f"/p/{token}", host="evil.example", x_forwarded_host="evil.example")
    page = answer[2].decode("utf-8")
    assert answer[0] == "200 OK"
    assert "evil.example" not in page
    assert "webcal://" not in page
    assert token + ".ics" not in page
    assert "the clinic has not set the calendar&#x27;s web address" in page
    assert "set site.feed_base_url in config.toml, or start the server with --base-url" in page
    # Given to the server, the address is the links' whatever the request says.
    app = feed_app(store, catalog, Settings(), lambda: NOW, "https://cal.example.org")
    page = get(app, f"/p/{token}", host="evil.example")[2].decode("utf-8")
    assert f'href="webcal://cal.example.org/feeds/{token}.ics"' in page
    assert "evil.example" not in page


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- in a real browser --------------------------------------------------------------------------


def test_in_chromium_at_375_pixels_without_script(run, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    node()
    assert (JS / "node_modules" / "playwright-core").is_dir(), f"run 'npm ci --prefix {JS}'"
    start = (date.today() + timedelta(days=20)).isoformat()
    added = run(
        "--db", db_url, "patient", "add", "--create", "P1", "--regimen", "lutathera", "--start", start,
        "--lang", "de", "--tz", "Europe/Berlin", "--time", "09:30",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    port = free_port()  # the links' address is configured, never taken from a request
    process, _ = start_server(db_url, "--port", str(port), "--base-url", f"http://127.0.0.1:{port}")
    try:
        link = run("--db", db_url, "feed", "url", "P1", "--base", f"http://127.0.0.1:{port}")
        assert link.exit_code == 0, link.stderr
        token = TOKEN.search(link.stdout)
        assert token
        url = f"http://127.0.0.1:{port}/p/{token.group(0)}"
        shot = tmp_path / "page.png"
        done = subprocess.run(
            [node(), str(JS / "page_check.mjs"), url, str(shot)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert (seen["status"], seen["lang"], seen["title"]) == (200, "de", "Ihre Behandlungstermine")
    assert seen["csp"] == POLICY
    assert seen["scripts"] == 0
    assert seen["scrollWidth"] <= 375  # fits a phone: nothing to scroll sideways
    assert seen["main"] == 1
    assert seen["headings"][0] == "H1"
    assert seen["headings"].count("H1") == 1
    first = date.fromisoformat(start)
    text = " ".join(seen["text"].split())
    from schedule.i18n import catalogue

    german = catalogue("de")
    for expected in (
        "Ihre Behandlungstermine",
        f"{german.date(first, 'long')} ○ Geplant Termin in der Klinik (Infusion) Um 09:30 Uhr",
        "Zu Google Kalender hinzufügen",
        f"http://127.0.0.1:{port}/feeds/{token.group(0)}.ics",
    ):
        assert expected in text, expected
    links = {a["text"]: a for a in seen["links"]}
    webcal = f"webcal://127.0.0.1:{port}/feeds/{token.group(0)}.ics"
    assert links["Zu Apple Kalender oder Outlook hinzufügen"]["href"] == webcal
    assert links["Google Kalender öffnen"]["href"] == (
        "https://calendar.google.com/calendar/r/settings/addbyurl"
    )
    assert links["Plan zum Ausdrucken herunterladen (PDF)"]["href"] == (
        f"{token.group(0)}/handout.pdf"
    )
    for name in (
        "Zu Apple Kalender oder Outlook hinzufügen",
        "Plan zum Ausdrucken herunterladen (PDF)",
    ):
        assert links[name]["height"] >= 44  # a tap target
    assert seen["qr"] == [
        {"label": "Code zum Scannen mit der Handykamera: Er öffnet diese Seite", "width": 192}
    ]
    assert seen["violations"] == []
    assert {"color-contrast", "html-has-lang", "document-title", "landmark-one-main"} <= set(
        seen["passes"]
    )
    assert shot.stat().st_size > 10_000
