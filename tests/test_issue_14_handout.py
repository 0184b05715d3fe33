"""Issue 14: `prrt handout ID -o FILE.pdf|FILE.html`, the patient's printable schedule. Read
back as a patient's printer would have it: the PDF's text with pypdf, its first page drawn
with pypdfium2, the HTML with the standard library's parser."""

from __future__ import annotations

import os
import re
import stat
from html.parser import HTMLParser
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from freezegun import freeze_time

CONFIG = """[site]
clinic_name = "Riverside Clinic"
clinic_phone = "+1 555 0100"
clinic_email = "care@example.org"
clinic_address = "1 Main Street, Springfield"
"""
BASE = "https://calendar.example.org/prrt"
STAFF_ONLY = ("Order Lutathera", "free of charge", "cancel the order")


@pytest.fixture
def patient(prrt, config_dir: Path):  # type: ignore[no-untyped-def]
    """NET-042 on Lutathera from 2026-12-07, with a name, an appointment time and a birth-date
    looking note that must never be printed."""
    (config_dir / "config.toml").write_text(CONFIG, encoding="utf-8")
    added = prrt(
        "patient", "add", "NET-042", "--regimen", "lutathera", "--start", "2026-12-07",
        "--name", "Ana Example", "--tz", "Europe/Madrid", "--time", "09:00",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    return prrt


# The coordinator is told that the handout lists a step whose last day has passed (issue 28).
PASSED_WASHOUT = (
    "prrt: warning: the handout lists ssa-washout-1 under 'before this visit' of prrt-1, but "
    "its last day, 2026-11-09, has passed; talk to the patient, and record it, reschedule the "
    "visit or skip it\n"
)


def pdf_text(path: Path) -> str:
    """The PDF's text with every run of white space made one space (cells wrap lines)."""
    reader = pypdf.PdfReader(path)
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def ink(image: object) -> float:
    """The share of dark pixels in a PIL image."""
    counts = image.convert("L").histogram()  # type: ignore[attr-defined]
    return sum(counts[:128]) / sum(counts)


@freeze_time("2026-11-21 10:00:00")
def test_pdf_has_the_dates_and_words_and_nothing_for_staff_or_to_identify(
    patient, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    before = os.umask(0)  # the most open umask: the file must still be 0600
    target = tmp_path / "handout.pdf"
    try:
        done = patient("handout", "NET-042", "-o", str(target))
    finally:
        os.umask(before)
    assert (done.exit_code, done.stdout, done.stderr) == (
        0, f"wrote the handout of NET-042 (en) to {target}\n", PASSED_WASHOUT,
    )  # fmt: skip
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    text = pdf_text(target)
    for words in (
        "Your treatment schedule",
        "Dates as planned on 21 November 2026.",
        "7 December 2026",  # treatment 1
        "1 February 2027",  # treatment 2, 8 weeks later
        "29 March 2027",  # treatment 3
        "Clinic visit (infusion) At 09:00",
        "Before this visit:",
        "Drink plenty of fluids the day before, the day of and the day after the infusion.",
        "Precautions at home Until 14 December 2026",
        "Phone: +1 555 0100",
        "Email: care@example.org",
        "Your treatment at a glance",  # the timeline (a picture: its words are not text)
        "Page 1",
    ):
        assert words in text, words
    # Discreet by default (the site's calendar_titles): no plain title, no clinic name.
    assert "Lutathera treatment 1 of 4" not in text
    assert "Riverside Clinic" not in text
    for words in (*STAFF_ONLY, "NET-042", "Ana Example", "Scan with your phone"):
        assert words not in text, words
    reader = pypdf.PdfReader(target)
    assert reader.metadata is not None
    assert reader.metadata.title == "Your treatment schedule"


@freeze_time("2026-11-21 10:00:00")
def test_first_page_is_drawn_and_the_timeline_has_ink(patient, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "handout.pdf"
    assert patient("handout", "NET-042", "-o", str(target)).exit_code == 0
    document = pdfium.PdfDocument(str(target))
    page = document[0]
    width, height = page.get_size()
    assert (round(width), round(height)) == (595, 842)  # A4
    scale = 100 / 72
    picture = page.render(scale=scale).to_pil()
    assert 0.01 < ink(picture) < 0.5  # printed, not blank, not black
    images = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))
    assert len(images) == 1  # the timeline
    left, bottom, right, top = images[0].get_bounds()
    assert right - left > 400  # across the page's text width
    chart = picture.crop(
        (
            int(left * scale),
            int((height - top) * scale),
            int(right * scale),
            int((height - bottom) * scale),
        )
    )
    assert ink(chart) > 0.02  # markers, bars and labels
    # Each row of the chart has marks: split it in five bands from the top.
    band = chart.height // 6
    assert all(
        ink(chart.crop((chart.width // 4, i * band, chart.width, (i + 1) * band))) > 0.003
        for i in range(5)
    )
    document.close()


@freeze_time("2026-11-21 10:00:00")
def test_the_code_to_scan_is_printed_only_with_the_live_feed_link(patient, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    issued = patient("feed", "url", "NET-042", "--base", BASE, "--titles", "plain")
    assert issued.exit_code == 0, issued.stderr
    webcal = issued.stdout.splitlines()[0]
    token = re.fullmatch(
        r"webcal://calendar\.example\.org/prrt/feeds/(.{32})\.ics\?titles=plain", webcal
    )
    assert token
    page = f"https://calendar.example.org/prrt/p/{token.group(1)}?titles=plain"

    # A feed exists but its link is not given: no code, and a note that says how.
    plain = tmp_path / "no-code.pdf"
    done = patient("handout", "NET-042", "-o", str(plain))
    assert (done.exit_code, done.stderr) == (
        0,
        PASSED_WASHOUT
        + "prrt: note: NET-042 has a feed link, stored hashed, so the handout has no code to "
        "scan; give it with --feed-url, or revoke it and issue a new one\n",
    )
    assert "Scan with your phone" not in pdf_text(plain)

    target = tmp_path / "code.pdf"
    done = patient("handout", "NET-042", "-o", str(target), "--feed-url", webcal)
    assert (done.exit_code, done.stderr) == (0, PASSED_WASHOUT)
    text = pdf_text(target)
    assert "Scan with your phone's camera to get these dates on your phone." in text
    assert page in "".join(text.split())  # the address under the code, wrapped or not
    # The link's choice of titles is the patient's: plain, with the clinic's name.
    assert "Lutathera treatment 1 of 4: infusion at the clinic" in text
    assert "Riverside Clinic" in text
    # The code is drawn: the top right corner of page 1 has ink where the code is.
    document = pdfium.PdfDocument(str(target))
    corner = document[0].render(scale=1).to_pil().crop((440, 40, 580, 180))
    assert ink(corner) > 0.25
    document.close()

    # The same in HTML: an inline SVG named for screen readers.
    html = tmp_path / "code.html"
    assert patient("handout", "NET-042", "-o", str(html), "--feed-url", webcal).exit_code == 0
    found = Page.read(html)
    assert found.svg_labels == [
        "Code to scan with a phone camera: it opens the page that puts these dates in your "
        "phone's calendar"
    ]
    assert page in found.hrefs

    # A dead link is refused, and nothing is written.
    assert patient("feed", "revoke", "NET-042").exit_code == 0
    dead = tmp_path / "dead.pdf"
    done = patient("handout", "NET-042", "-o", str(dead), "--feed-url", webcal)
    assert (done.exit_code, done.stdout, done.stderr) == (
        2, "",
        "prrt: NET-042 has no live feed link, so the link given is dead; issue one first, or "
        "leave the link out\n",
    )  # fmt: skip
    assert not dead.exists()


class Page(HTMLParser):
    """What a browser would find in an HTML handout: its language, text, links, table."""

    def __init__(self) -> None:
        super().__init__()
        self.lang = ""
        self.text: list[str] = []
        self.hrefs: list[str] = []
        self.svg_labels: list[str] = []
        self.cells = 0
        self.scripts = 0
        self.images: list[str] = []

    @classmethod
    def read(cls, path: Path) -> Page:
        found = cls()
        found.feed(path.read_text(encoding="utf-8"))
        return found

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang") or ""
        elif tag == "a":
            self.hrefs.append(values.get("href") or "")
        elif tag == "svg":
            self.svg_labels.append(values.get("aria-label") or "")
        elif tag == "td":
            self.cells += 1
        elif tag == "script":
            self.scripts += 1
        elif tag == "img":
            self.images.append(values.get("alt") or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())


@freeze_time("2026-11-21 10:00:00")
def test_html_in_the_patients_language(patient, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert patient("patient", "edit", "NET-042", "--lang", "es").exit_code == 0
    target = tmp_path / "hoja.html"
    done = patient("handout", "NET-042", "-o", str(target))
    assert (done.exit_code, done.stdout) == (0, f"wrote the handout of NET-042 (es) to {target}\n")
    found = Page.read(target)
    assert (found.lang, found.scripts, found.svg_labels) == ("es", 0, [])
    words = found.words
    for expected in (
        "Su calendario de tratamiento",
        "Fechas previstas el 21 de noviembre de 2026.",
        "7 de diciembre de 2026",
        "1 de febrero de 2027",
        "Cita en la clínica (infusión)",
        "A las 9:00",
        "Antes de esta visita:",
        "Teléfono: +1 555 0100",
        "Sus fechas y qué hacer",
    ):
        assert expected in words, expected
    for absent in (*STAFF_ONLY, "NET-042", "Ana Example", "Your treatment schedule"):
        assert absent not in words, absent
    assert found.images == [
        "Línea de tiempo de su tratamiento por meses: visitas a la clínica, inyecciones, análisis "
        "de sangre, pruebas de imagen y los días de precauciones en casa. La línea discontinua es "
        "hoy. La tabla de abajo da todas las fechas."
    ]
    assert found.cells > 30


@freeze_time("2026-11-21 10:00:00")
def test_pdf_in_german_by_lang_and_with_the_name_when_asked(patient, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "plan.pdf"
    done = patient("handout", "NET-042", "-o", str(target), "--lang", "DE", "--with-name")
    assert (done.exit_code, done.stdout) == (0, f"wrote the handout of NET-042 (de) to {target}\n")
    text = pdf_text(target)
    for expected in (
        "Behandlungsplan für Ana Example",
        "Termine nach dem Stand vom 21. November 2026.",
        "7. Dezember 2026",
        "1. Februar 2027",
        "Termin in der Klinik (Infusion) Um 09:00 Uhr",
        "Vor diesem Termin:",
        "Ihre Behandlung auf einen Blick",
        "Seite 1",
    ):
        assert expected in text, expected
    assert "NET-042" not in text


@freeze_time("2027-02-10 10:00:00")
def test_a_late_dose_says_not_done_yet(patient, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for event in ("prrt-1", "ssa-1"):
        assert patient("record", "NET-042", event, "--date", "2026-12-07").exit_code == 0
    target = tmp_path / "late.html"
    assert patient("handout", "NET-042", "-o", str(target)).exit_code == 0
    words = Page.read(target).words
    assert (
        "1 February 2027 ✕ Not done Clinic visit (infusion) Not done yet: please call the clinic."
    ) in words
    assert "7 December 2026" not in words  # done and past: in the timeline only


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["-o", "{tmp}/handout.docx"], 2,
            "prrt: -o takes a .pdf or .html file (the format follows the extension), not "
            "{tmp}/handout.docx (see 'prrt handout --help')",
        ),
        (
            ["-o", "{tmp}/handout.pdf", "--lang", "it"], 2,
            "prrt: Invalid value for '--lang': language 'it' is not one of de, en, es, fr "
            "(see 'prrt handout --help')",
        ),
        (
            ["-o", "{tmp}/handout.pdf", "--feed-url", "https://calendar.example.org/x"], 2,
            "prrt: 'https://calendar.example.org/x' is not a feed link; give the webcal:// or "
            "https:// link shown when it was issued",
        ),
        (
            ["-o", "{tmp}/handout.pdf", "--feed-url", BASE + "/feeds/" + "A" * 32 + ".ics"], 2,
            "prrt: NET-042 has no live feed link, so the link given is dead; issue one first, or "
            "leave the link out",
        ),
        (["-o", "{tmp}/x.pdf"], 6,
         "prrt: cannot write {tmp}/x.pdf: it is a folder; give the path of a file"),
    ],
)  # fmt: skip
@freeze_time("2026-11-21 10:00:00")
def test_bad_input_is_one_line_and_writes_nothing(
    patient, tmp_path: Path, args: list[str], code: int, message: str
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "out"
    folder.mkdir()
    given = [a.replace("{tmp}", str(folder)) for a in args]
    if code == 6:  # a folder named like a PDF: refused, left as it is
        (folder / "x.pdf").mkdir()
    done = patient("handout", "NET-042", *given)
    expected = message.replace("{tmp}", str(folder))
    assert (done.exit_code, done.stdout, done.stderr) == (code, "", expected + "\n")
    assert sorted(p.name for p in folder.iterdir()) == (["x.pdf"] if code == 6 else [])


@freeze_time("2026-11-21 10:00:00")
def test_unknown_patient(prrt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "handout.pdf"
    done = prrt("handout", "NET-999", "-o", str(target))
    assert (done.exit_code, done.stdout, done.stderr) == (
        3, "", "prrt: unknown patient 'NET-999'; 'prrt patient list' shows the patients\n"
    )  # fmt: skip
    assert not target.exists()
