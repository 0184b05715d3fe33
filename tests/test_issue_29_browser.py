"""Issue 29 in a real browser: the pages of a held patient (NET-005), a Pluvicto patient
(NET-009, dose 2 late) and a patient whose name is in four scripts (NET-020), served over HTTP
with a fixed clock and opened in Debian's headless Chromium without script; their handouts as
HTML (opened, and printed by Chromium) and as PDF (drawn with pypdfium2). The screenshots are
checked for the marks by their colours and places, not compared pixel by pixel."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from PIL import Image

from schedule.calendars.feeds import issue
from schedule.domain.course import Course, Patient
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.handout.html import render as render_html
from schedule.handout.pdf import render as render_pdf
from schedule.handout.timeline import NOT_DONE, PAUSED
from schedule.services.handout import patient_handout
from schedule.store.database import Store
from tests.calendars import JS, node
from tests.conftest import actor, sample_clinic
from tests.web import feed_app

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
NAME = "Ελένη Ирина 李小龍 김민준 فاطمة"
SITE = {"clinic_phone": "+41 44 555 01 00", "clinic_email": "care@example.org"}
AMBER, RED = (
    (int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16)) for c in (PAUSED, NOT_DONE)
)  # the marks' colours, as the timeline draws them


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(store: Store, catalog: Catalog, port: int, settings: Settings) -> Iterator[str]:
    """The feed server's application on a loopback port, in a thread, its clock at NOW."""
    import uvicorn

    app = feed_app(store, catalog, settings, lambda: NOW)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def chromium(width: int, *jobs: str) -> list[dict[str, Any]]:
    """What `shots.mjs` saw of each (URL, screenshot[, printed PDF]) job."""
    node()
    assert Path("/usr/bin/chromium").exists(), "run tests/system/packages.sh"
    done = subprocess.run(
        [node(), str(JS / "shots.mjs"), str(width), *jobs],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen: list[dict[str, Any]] = json.loads(done.stdout)
    return seen


def share(image: Image.Image, rgb: tuple[int, int, int], slack: int = 40) -> float:
    """The share of the image's pixels near the colour `rgb`."""
    pixels = image.convert("RGB")
    colours = pixels.getcolors(pixels.width * pixels.height) or []
    near = sum(
        n for n, c in colours if all(abs(a - b) <= slack for a, b in zip(c, rgb, strict=True))
    )
    return float(near) / (pixels.width * pixels.height)


def rows_with(image: Image.Image, rgb: tuple[int, int, int]) -> list[int]:
    """The rows of pixels (from the top) where the colour `rgb` is found."""
    pixels = image.convert("RGB")
    data, width = pixels.tobytes(), pixels.width
    return [
        y
        for y in range(pixels.height)
        if any(
            all(abs(data[(y * width + x) * 3 + i] - rgb[i]) <= 30 for i in range(3))
            for x in range(0, width, 2)
        )
    ]


@pytest.fixture
def clinic(run, tmp_path: Path) -> Store:  # type: ignore[no-untyped-def]
    db = sample_clinic(run, tmp_path / "clinic.db")
    store = Store.open(db, "2026-11-01T00:00:00Z")
    with store.write() as tx:
        tx.add_patient(Patient("NET-020", NAME, lang="de"), actor())
        tx.add_course(Course(0, "NET-020", 1, "lutathera", date(2027, 1, 4)), actor())
    return store


# long: three patients' pages, handouts and printouts, each looked at for its marks
def test_held_pluvicto_and_non_latin_patients_in_chromium(
    clinic: Store, catalog: Catalog, tmp_path: Path
) -> None:
    port = free_port()
    settings = Settings(feed_base_url=f"http://127.0.0.1:{port}", **SITE)
    tokens = {
        patient: issue(clinic, patient, patient == "NET-020", actor(), lambda _: None)
        for patient in ("NET-005", "NET-009", "NET-020")
    }
    jobs: list[str] = []
    for patient in tokens:
        jobs += [f"/p/{tokens[patient]}", str(tmp_path / f"{patient}-page.png")]
    with serving(clinic, catalog, port, settings) as base:
        pages = chromium(375, *[f"{base}{j}" if j.startswith("/p/") else j for j in jobs])
    held, pluvicto, named = pages
    assert [p["status"] for p in pages] == [200, 200, 200]
    assert all(p["scrollWidth"] <= 375 for p in pages)  # fits a phone
    # The held patient: paused marks first, in amber, with the sentence; the legend under.
    kinds = [m["kind"] for m in held["marks"]]
    assert kinds[0] == "m-paused"
    assert {m["background"] for m in held["marks"] if m["kind"] == "m-paused"} == {
        "rgb(242, 182, 0)"
    }
    assert "‖ Paused" in held["text"]
    assert "Paused: your care team will give you a new date." in held["text"]
    assert held["text"].index("The marks") > held["text"].index("Paused: your care team")
    shot = Image.open(tmp_path / "NET-005-page.png")
    assert share(shot, AMBER) > 0.001
    # The Pluvicto patient: a dose not done, crossed in red.
    assert "m-not_done" in [m["kind"] for m in pluvicto["marks"]]
    assert "✕ Not done" in pluvicto["text"]
    assert share(Image.open(tmp_path / "NET-009-page.png"), RED) > 0.0005
    # The name in four scripts: each drawn, in a font that has its letters.
    assert named["text"].startswith("Deutsch\nEnglish\nespañol\nfrançais\nBehandlungstermine für")
    assert NAME in named["text"]
    families = {f["familyName"] for f in named["h1Fonts"]}
    assert families & {"Droid Sans Fallback", "Noto Sans CJK SC", "WenQuanYi Zen Hei"}
    assert all(f["glyphCount"] > 0 for f in named["h1Fonts"])
    # The code to scan is near the top, above the buttons; Google's one tap is a button.
    for page in pages:
        assert page["code"][0] < min(
            link["top"] for link in page["links"] if link["href"].startswith("webcal:")
        )
        assert page["code"][0] < 700  # within the first screen of a phone
        google = [a for a in page["links"] if a["href"].startswith(GOOGLE)]
        assert len(google) == 1
    # The handouts: HTML opened and printed by Chromium, the PDF drawn.
    handouts = []
    for patient in tokens:
        found = patient_handout(clinic, catalog, settings, NOW.date(), patient, with_name=True)
        assert found is not None
        html = tmp_path / f"{patient}.html"
        html.write_text(render_html(found.handout, found.words), encoding="utf-8")
        handouts += [
            html.as_uri(),
            str(tmp_path / f"{patient}-html.png"),
            str(tmp_path / f"{patient}-print.pdf"),
        ]
        pdf = render_pdf(found.handout, found.words)
        (tmp_path / f"{patient}.pdf").write_bytes(pdf)
    seen = chromium(900, *handouts)
    assert "m-paused" in {m["kind"] for m in seen[0]["marks"]}
    assert "m-not_done" in {m["kind"] for m in seen[1]["marks"]}
    assert NAME in seen[2]["text"]
    for patient, colour in (("NET-005", AMBER), ("NET-009", RED)):
        printed = pdfium.PdfDocument(str(tmp_path / f"{patient}-print.pdf"))
        assert len(printed) >= 2
        for page in list(printed)[1:]:  # the header of the table on every printed page
            text = page.get_textpage().get_text_range()
            if "Your dates and what to do" not in text and "Date" in text:
                assert " ".join(text.split()[:5]) == "Date What What to do"
        printed.close()
        drawn = pdfium.PdfDocument(str(tmp_path / f"{patient}.pdf"))
        first = drawn[0].render(scale=1.5).to_pil()
        assert share(first, colour) > 0.0005, patient
        # The marks are in the timeline and in the table, not in one place only.
        found_rows = rows_with(first, colour)
        assert found_rows[-1] - found_rows[0] > first.height // 4, patient
        drawn.close()
    # The non-Latin name in the PDF: the title band has ink in each script's font.
    drawn = pdfium.PdfDocument(str(tmp_path / "NET-020.pdf"))
    text = " ".join(drawn[0].get_textpage().get_text_range().split())
    assert "Ελένη Ирина 李小龍 김민준" in text
    title = drawn[0].render(scale=2).to_pil().convert("L").crop((0, 80, 1190, 220))
    assert sum(title.histogram()[:100]) > 4000
    drawn.close()
    images = [Image.open(io.BytesIO((tmp_path / f"{p}-page.png").read_bytes())) for p in tokens]
    assert all(i.width == 375 and i.height > 1500 for i in images)


GOOGLE = "https://calendar.google.com/calendar/render?cid=webcal%3A%2F%2F127.0.0.1"
