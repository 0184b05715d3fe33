"""Issue 29, the patient's page and handout, asked in this process: a held course shows its
marks and their legend (1), repeats keep what to do (4), rows keep together with their date
and the header on every page (5), names in other scripts have their letters (6), an http://
address stays http (7), the page speaks the reader's language (9), one tap adds the calendar
to Google, a phone number calls and an address writes (10), and a second button gives the
other titles (11). In a real browser: `test_issue_29_browser.py`."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from freezegun import freeze_time

from schedule.calendars.feeds import issue
from schedule.domain.course import Course, Patient
from schedule.domain.model import Kind
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.handout import fonts
from schedule.handout.content import Mark
from schedule.handout.timeline import NOT_DONE, PAUSED, png
from schedule.i18n import catalogue
from schedule.services.handout import patient_handout
from schedule.store.database import Store
from tests.conftest import actor, sample_clinic
from tests.web import feed_app, get

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
BASE = "https://calendar.example.org"
SITE = Settings(
    feed_base_url=BASE, clinic_phone="+41 44 555 01 00", clinic_email="care@example.org"
)
NAMES = {
    "Greek": "Ελένη Παπαδοπούλου",
    "Cyrillic": "Ирина Иванова",
    "Arabic": "فاطمة الزهراء",
    "CJK": "李小龍 さくら 김민준",
}


@pytest.fixture
def clinic(run, tmp_path: Path) -> Store:  # type: ignore[no-untyped-def]
    """The sample clinic in an SQLite file (NET-005 held since 2026-08-10, NET-009 on
    Pluvicto with dose 2 late), and NET-020, whose name mixes four scripts and an emoji."""
    db = sample_clinic(run, tmp_path / "clinic.db")
    store = Store.open(db, "2026-11-01T00:00:00Z")
    with store.write() as tx:
        tx.add_patient(Patient("NET-020", " ".join(NAMES.values()) + " 🌷", lang="de"), actor())
        tx.add_course(Course(0, "NET-020", 1, "lutathera", date(2027, 1, 4)), actor())
        tx.add_patient(Patient("NET-021", "Éloïse Martin", lang="fr"), actor())
        tx.add_course(Course(0, "NET-021", 1, "lutathera", date(2027, 1, 4)), actor())
    return store


def token_of(store: Store, patient: str, with_name: bool = False) -> str:
    return issue(store, patient, with_name, actor(), lambda _: None)


def page_of(store: Store, catalog: Catalog, path: str, query: str = "", **headers: str) -> str:
    app = feed_app(store, catalog, SITE, lambda: NOW)
    status, _, body = get(app, path, query, **headers)
    assert status == "200 OK"
    return body.decode("utf-8")


def colour_share(picture: object, rgb: tuple[int, int, int], slack: int = 40) -> float:
    """The share of a PIL image's pixels near the colour `rgb`."""
    image = picture.convert("RGB")  # type: ignore[attr-defined]
    near = sum(
        count
        for count, pixel in image.getcolors(image.width * image.height)
        if all(abs(a - b) <= slack for a, b in zip(pixel, rgb, strict=True))
    )
    return float(near) / (image.width * image.height)


def rgb(hex_colour: str) -> tuple[int, int, int]:
    value = int(hex_colour.lstrip("#"), 16)
    return value >> 16, (value >> 8) & 0xFF, value & 0xFF


def test_1_a_held_course_shows_paused_on_the_page_the_handout_and_the_timeline(
    clinic: Store, catalog: Catalog
) -> None:
    from PIL import Image

    token = token_of(clinic, "NET-005")
    page = page_of(clinic, catalog, f"/p/{token}")
    first = page.index("<h3>")
    assert page.index('class="mark m-paused"', first) < page.index("14 December 2026")
    assert "Paused: your care team will give you a new date." in page
    assert page.count('class="mark m-paused"') > 5
    assert 'class="mark m-given"' not in page[first : page.index("</ol>")]  # only what is to come
    legend = page[page.index("The marks") :]
    for word in ("✓ Done", "○ Planned", "‖ Paused", "✕ Not done"):
        assert word in legend
    found = patient_handout(clinic, catalog, SITE, TODAY, "NET-005", lang="en")
    assert found is not None
    items = {i.key: i for i in found.handout.items}
    assert (items["prrt-2"].mark, items["prrt-3"].mark, items["prrt-4"].mark) == (
        Mark.GIVEN, Mark.PAUSED, Mark.PAUSED,
    )  # fmt: skip
    picture = png(found.handout.items, TODAY, found.words, "en")
    assert picture is not None
    assert colour_share(Image.open(io.BytesIO(picture)), rgb(PAUSED)) > 0.002
    # A course that goes to plan has no paused mark; one with a late dose has its cross.
    planned = patient_handout(clinic, catalog, SITE, TODAY, "NET-001", lang="en")
    late = patient_handout(clinic, catalog, SITE, TODAY, "NET-009", lang="en")
    assert planned is not None
    assert late is not None
    assert Mark.PAUSED not in {i.mark for i in planned.handout.items}
    assert Mark.NOT_DONE in {i.mark for i in late.handout.items}
    calm = png(planned.handout.items, TODAY, planned.words, "en")
    crossed = png(late.handout.items, TODAY, late.words, "en")
    assert calm is not None
    assert crossed is not None
    # The legend under the picture draws every mark once: the rest of the picture is marks.
    assert colour_share(Image.open(io.BytesIO(calm)), rgb(PAUSED)) < 0.0005
    assert colour_share(Image.open(io.BytesIO(crossed)), rgb(NOT_DONE)) > 0.0008


def test_4_repeated_blood_tests_and_injections_keep_what_to_do(
    clinic: Store, catalog: Catalog
) -> None:
    for patient in ("NET-001", "NET-011"):
        found = patient_handout(clinic, catalog, SITE, TODAY, patient, lang="fr")
        assert found is not None
        repeated = [
            i for d in found.handout.days for i in d.items if i.kind in (Kind.LAB, Kind.DOSE)
        ]
        assert len(repeated) > 6
        assert all(i.details for i in repeated), [i.key for i in repeated if not i.details]


def pages_text(data: bytes) -> list[str]:
    document = pdfium.PdfDocument(data)
    texts = [" ".join(p.get_textpage().get_text_range().split()) for p in document]
    document.close()
    return texts


@freeze_time(NOW)
def test_5_rows_stay_whole_each_with_its_date_under_the_header(
    clinic: Store, catalog: Catalog
) -> None:
    from schedule.handout.pdf import render

    found = patient_handout(clinic, catalog, SITE, TODAY, "NET-001", lang="fr")
    assert found is not None
    pages = pages_text(render(found.handout, found.words))
    header = "Date Quoi Ce qu'il faut faire"
    table = [i for i, text in enumerate(pages) if header in text]
    assert len(table) >= 3
    assert table == list(range(table[0], len(pages)))
    day = r"\d{1,2}(er)? [a-zéû]+ \d{4}"
    for text in pages[table[0] + 1 :]:  # each later page starts on a whole row, with its date
        after = text.split(header, 1)[1].strip()
        assert re.match(day, after), after[:60]
    everything = " ".join(pages)
    assert "1er juin 2027" in everything  # French dates (8)
    assert "Avant cette visite :" in everything  # (the space does not break: NBSP)


@freeze_time(NOW)
def test_6_names_in_other_scripts_have_their_letters_in_the_pdf(
    clinic: Store, catalog: Catalog, tmp_path: Path
) -> None:
    import pypdf

    from schedule.handout.pdf import render

    for script, name in NAMES.items():
        assert fonts.missing(name) == "", script
    found = patient_handout(clinic, catalog, SITE, TODAY, "NET-020", with_name=True)
    assert found is not None
    data = render(found.handout, found.words)
    first = pages_text(data)[0]
    for script in ("Greek", "Cyrillic", "CJK"):
        assert NAMES[script] in first, script
    used = {
        str(font.get_object()["/BaseFont"]).split("+")[-1]
        for page in pypdf.PdfReader(io.BytesIO(data)).pages
        for font in page["/Resources"]["/Font"].values()
    }
    # DejaVu Sans has the Arabic letters; Chinese and Japanese, Korean and the emoji come from
    # the fallback fonts.
    assert {"DejaVuSans-Bold", "DroidSansFallback", "WenQuanYiZenHei-0", "Symbola"} < used
    assert set(NAMES["Arabic"].replace(" ", "")) <= set(first)
    # The heading is drawn: the band of the title has ink across its width.
    picture = pdfium.PdfDocument(data)[0].render(scale=2).to_pil().convert("L")
    band = picture.crop((0, 90, picture.width, 200))
    assert sum(band.histogram()[:100]) > 4000
    # Found by file name under the folders, wherever the package put it; else None.
    assert fonts.find(["DroidSansFallbackFull.ttf"], [tmp_path]) is None
    assert fonts.find(["DroidSansFallbackFull.ttf"]) is not None
    assert fonts.missing("李\U000e0001") == "\U000e0001"


def test_6_without_the_fonts_the_pdf_is_still_written_and_says_what_it_lacks(
    clinic: Store, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    from schedule.handout.pdf import render

    gone = fonts.Fallback("PrrtGone", ("no-such-font.ttf",))
    monkeypatch.setattr(fonts, "FALLBACKS", (gone,))
    assert fonts.missing(NAMES["CJK"]) == "".join(sorted(set(NAMES["CJK"].replace(" ", ""))))
    assert list(fonts.runs("Ana 李")) == [(None, "Ana 李")]  # left in DejaVu Sans
    found = patient_handout(clinic, catalog, SITE, TODAY, "NET-020", with_name=True)
    assert found is not None
    assert NAMES["Greek"] in pages_text(render(found.handout, found.words))[0]


@freeze_time(NOW)
def test_7_an_http_address_stays_http(run, clinic: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "clinic.db")
    issued = run("--db", db, "feed", "url", "NET-001", "--base", "http://cal.example.org")
    assert issued.exit_code == 0, issued.stderr
    webcal, web = issued.stdout.split()[0], issued.stdout.splitlines()[1].split()[0]
    assert web.startswith("http://cal.example.org/feeds/")
    (tmp_path / "config" / "config.toml").write_text(
        '[site]\nfeed_base_url = "http://cal.example.org"\n', encoding="utf-8"
    )
    for link in (web, webcal):
        target = tmp_path / "handout.html"
        done = run("--db", db, "handout", "NET-001", "-o", str(target), "--feed-url", link)
        assert done.exit_code == 0, done.stderr
        html = target.read_text(encoding="utf-8")
        assert 'href="http://cal.example.org/p/' in html
        assert "https://cal.example.org" not in html
    from schedule.calendars.feeds import web_base

    assert web_base("webcal://cal.example.org") == "https://cal.example.org"  # no hint: TLS


def test_9_the_page_in_the_readers_language(clinic: Store, catalog: Catalog) -> None:
    french = token_of(clinic, "NET-021")
    assert '<html lang="fr">' in page_of(clinic, catalog, f"/p/{french}", accept_language="de")
    bare = token_of(clinic, "NET-002")  # no language of its own: the browser's
    assert '<html lang="es">' in page_of(
        clinic, catalog, f"/p/{bare}", accept_language="es;q=0.9, ja"
    )
    assert '<html lang="en">' in page_of(clinic, catalog, f"/p/{bare}", accept_language="ja")
    german = page_of(clinic, catalog, f"/p/{french}", "lang=de", accept_language="es")
    assert '<html lang="de">' in german
    assert "Ihre Behandlungstermine" in german
    feed = f'href="webcal://calendar.example.org/feeds/{french}.ics"'
    assert feed in german  # the calendar keeps the patient's language: no lang in its link
    assert f'href="{french}/handout.pdf?lang=de"' in german
    nav = german[german.index('<nav class="lang"') : german.index("</nav>")]
    assert '<strong lang="de" aria-current="page">Deutsch</strong>' in nav
    for code, name in (("en", "English"), ("es", "español"), ("fr", "français")):
        assert f'<a href="{french}?lang={code}" hreflang="{code}" lang="{code}">{name}</a>' in nav
    plain = page_of(clinic, catalog, f"/p/{french}", "lang=es&titles=plain")
    assert f'href="{french}?lang=fr&amp;titles=plain"' in plain
    assert '<html lang="fr">' in page_of(clinic, catalog, f"/p/{french}", "lang=xx")
    app = feed_app(clinic, catalog, SITE, lambda: NOW)
    for path in (f"/p/{bare}", f"/p/{bare}/handout.pdf"):
        assert get(app, path, accept_language="de")[1]["Vary"] == "Accept-Language"
    handout = get(app, f"/p/{bare}/handout.pdf", "lang=fr")[2]
    assert "Votre calendrier de traitement" in " ".join(pages_text(handout)[0].split())


def test_10_one_tap_google_calls_mails_and_the_code_near_the_top(
    clinic: Store, catalog: Catalog
) -> None:
    token = token_of(clinic, "NET-001")
    page = page_of(clinic, catalog, f"/p/{token}")
    webcal = f"webcal%3A%2F%2Fcalendar.example.org%2Ffeeds%2F{token}.ics"
    assert f'href="https://calendar.google.com/calendar/render?cid={webcal}"' in page
    assert '<a href="tel:+41445550100">Phone: +41 44 555 01 00</a>' in page
    assert '<a href="mailto:care@example.org">Email: care@example.org</a>' in page
    assert page.index('role="img"') < page.index('id="add"') < page.index('id="coming"')
    assert "@media print{a.button,nav.lang{display:none}}" in page


def test_11_a_second_button_with_the_other_titles(clinic: Store, catalog: Catalog) -> None:
    token = token_of(clinic, "NET-001")
    discreet = page_of(clinic, catalog, f"/p/{token}")
    plain_feed = f"webcal://calendar.example.org/feeds/{token}.ics?titles=plain"
    assert (
        f'<a class="button second" href="{plain_feed}">'
        "Add with the treatment&#x27;s name in each title</a>"
    ) in discreet
    assert (
        "Then your lock screen and notifications show the treatment&#x27;s name to anyone who "
        "sees your phone."
    ) in discreet
    plain = page_of(clinic, catalog, f"/p/{token}", "titles=plain")
    discreet_feed = f"webcal://calendar.example.org/feeds/{token}.ics?titles=discreet"
    assert f'<a class="button second" href="{discreet_feed}">Add with discreet titles</a>' in plain
    for lang in ("de", "es", "fr"):
        words = catalogue(lang)
        assert words.text("page.plain_hint") != catalogue("en").text("page.plain_hint")


def test_the_marks_have_words_in_every_language() -> None:
    for lang in ("en", "de", "es", "fr"):
        words = catalogue(lang)
        marks = [words.text(f"handout.mark_{m.value}") for m in Mark]
        assert len(set(marks)) == 4
        assert all(marks)
        assert all(m.split()[0].rstrip(".") in words.text("handout.legend") for m in marks)
    assert date(2026, 12, 7) == TODAY


@freeze_time("2026-11-23")
def test_the_coordinator_is_warned_of_letters_no_font_has(prrt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A name with a letter no installed font has: the PDF is written, and the command says
    which letters will print as boxes (an HTML handout leaves them to the browser)."""
    added = prrt("patient", "add", "NET-050", "--regimen", "lanreotide", "--start", "2026-12-01",
                 "--name", "Ana \U00013000 Example")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    pdf = prrt("handout", "NET-050", "--with-name", "-o", str(tmp_path / "h.pdf"))
    assert pdf.exit_code == 0
    assert "no installed font has '\U00013000'" in pdf.stderr
    html = prrt("handout", "NET-050", "--with-name", "-o", str(tmp_path / "h.html"))
    assert "no installed font" not in html.stderr
    plain = prrt("handout", "NET-050", "-o", str(tmp_path / "plain.pdf"))  # no name printed
    assert "no installed font" not in plain.stderr


def test_arabic_is_joined_and_laid_out_right_to_left() -> None:
    """Arabic letters take their joined forms and each line the order read on the page (the
    PDF draws left to right as the characters come); other text is left as it is."""
    # سلمى: seen, lam, meem, alef maksura; drawn left to right as final alef maksura, medial
    # meem, medial lam, initial seen.
    assert fonts.visual("Ana \u0633\u0644\u0645\u0649 Example") == (
        "Ana \ufef0\ufee4\ufee0\ufeb3 Example"
    )
    assert fonts.visual("Zoë Łukasz 李") == "Zoë Łukasz 李"
    assert fonts.visual("a\n\u0644\u0627") == "a\n\ufefb"  # lam-alef ligature, line kept


@freeze_time("2026-11-23")
def test_an_arabic_name_prints_joined_in_the_pdf(prrt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import pypdf

    added = prrt("patient", "add", "NET-051", "--regimen", "lanreotide", "--start", "2026-12-01",
                 "--name", "\u0633\u0644\u0645\u0649 Haddad")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    out = tmp_path / "h.pdf"
    done = prrt("handout", "NET-051", "--with-name", "-o", str(out))
    assert done.exit_code == 0
    assert "no installed font" not in done.stderr
    text = pypdf.PdfReader(str(out)).pages[0].extract_text()
    assert set("\ufef0\ufee4\ufee0\ufeb3") <= set(text)  # the joined forms are drawn
    assert not set("\u0633\u0644\u0645\u0649") & set(text)  # no letter left unjoined
