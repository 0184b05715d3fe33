"""Issue 14, languages: what a patient's calendar says, in English, Spanish, French or German,
chosen per patient (`--lang`, stored) or by the site (`site.lang`), from message catalogues a
site can review and replace (`site.catalogues`), falling back to English, never to nothing.

The catalogues are checked key by key against English (a translator sees which key is missing);
calendars are read back by the independent parsers (tests/calendars.py), on SQLite and
PostgreSQL, and the expected dates are written out by hand, not computed with Babel."""

from __future__ import annotations

import re
import string
import tomllib
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import vobject
from freezegun import freeze_time

from schedule.calendars.feeds import issue
from schedule.calendars.publisher import Publisher
from schedule.domain.errors import InputError, SettingsError
from schedule.domain.options import PlanOptions
from schedule.domain.regimen_file import load_catalog
from schedule.domain.settings import Settings, parse_settings
from schedule.i18n import LANGUAGES, SHIPPED, catalogue
from schedule.store.database import Store
from tests.calendars import check_calendar
from tests.conftest import actor
from tests.test_issue_11_calendars import unfolded
from tests.web import feed_app, get

TODAY = "2027-03-10 09:00:00"
AREAS = ("calendar", "regimens")  # the areas this issue ships; others add theirs


def _messages(path: Path) -> dict[str, str]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    area = path.name.split(".")[0]
    out: dict[str, str] = {}

    def walk(prefix: str, table: dict[str, Any]) -> None:
        for name, value in table.items():
            if isinstance(value, dict):
                walk(f"{prefix}.{name}", value)
            else:
                out[f"{prefix}.{name}"] = value

    walk(area, data[area])
    return out


def _names(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


# -- the catalogues ---------------------------------------------------------------------------


@pytest.mark.parametrize("area", AREAS)
def test_every_english_message_is_a_non_empty_string(area: str) -> None:
    english = _messages(SHIPPED / f"{area}.en.toml")
    assert len(english) > 20
    assert [k for k, v in english.items() if not isinstance(v, str) or not v.strip()] == []


@pytest.mark.parametrize("lang", [x for x in LANGUAGES if x != "en"])
@pytest.mark.parametrize("area", AREAS)
def test_each_translation_has_exactly_the_english_keys_and_placeholders(
    area: str, lang: str
) -> None:
    english = _messages(SHIPPED / f"{area}.en.toml")
    translated = _messages(SHIPPED / f"{area}.{lang}.toml")
    assert sorted(english.keys() - translated.keys()) == [], "not translated yet"
    assert sorted(translated.keys() - english.keys()) == [], "not in English"
    assert [k for k, v in translated.items() if not v.strip()] == []
    assert [k for k in english if _names(english[k]) != _names(translated[k])] == []
    assert [k for k in english if english[k] == translated[k]] == []  # nothing left in English


def test_every_catalogue_file_says_it_needs_clinical_review() -> None:
    files = sorted(SHIPPED.glob("*.toml"))
    assert {f.name for f in files} >= {f"{a}.{x}.toml" for a in AREAS for x in LANGUAGES}
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "NEEDS CLINICAL REVIEW BEFORE USE" in text.split("\n\n")[0], path.name
        assert tomllib.loads(text)["reviewed"] is False, path.name
    assert set(catalogue("de").unreviewed) >= {"calendar.de.toml", "calendar.en.toml"}
    assert not catalogue("de").reviewed


def test_the_regimen_words_translated_are_the_shipped_regimens_words() -> None:
    """regimens.en.toml is the English each translation was made from: it must say what the
    shipped regimens say, or their translations silently stop showing."""
    from schedule.engine.calendar import build_calendar
    from schedule.patientview.wording import regimen_part

    words = catalogue("en")
    catalog = load_catalog()
    seen = set()
    for regimen in catalog.regimens:
        variants = regimen.precaution_variants or (None,)
        events = [
            e
            for variant in variants
            for e in build_calendar(
                regimen,
                date(2027, 3, 1),
                options=PlanOptions(precautions=variant),
                pregnancy_test=True,
                settings=Settings(interim_blood_counts=True),  # every part a regimen offers
            )
        ]
        for event in events:
            if event.series in regimen.staff_series:
                continue
            part = regimen_part(event, regimen)
            assert part is not None, event.key
            assert words.text(f"regimens.{part.key}.title") == part.title, event.key
            if part.description:
                assert words.text(f"regimens.{part.key}.description") == part.description
            seen.add(f"regimens.{part.key}.title")
    shipped = {k for k in _messages(SHIPPED / "regimens.en.toml") if k.endswith(".title")}
    assert shipped == seen  # every variant's words too (issue 24)


def test_dates_and_times_in_each_language() -> None:
    day = date(2027, 3, 3)
    assert [catalogue(x).date(day) for x in LANGUAGES] == [
        "3 March 2027", "3 de marzo de 2027", "3 mars 2027", "3. März 2027",
    ]  # fmt: skip
    assert catalogue("de").date(day, "full") == "Mittwoch, 3. März 2027"
    assert catalogue("fr").date(day, "short") == "03/03/2027"
    from datetime import time

    assert [catalogue(x).time(time(9, 5)) for x in LANGUAGES] == ["09:05", "9:05", "09:05", "09:05"]


def test_a_missing_translation_falls_back_to_english_and_an_unknown_key_is_an_error() -> None:
    german = catalogue("de")
    assert german.text("calendar.not_done") == "Noch nicht erledigt: Bitte rufen Sie die Klinik an."
    gaps = {k: v for k, v in german.messages.items() if k != "calendar.not_done"}
    gaps["calendar.waiting"] = ""  # an empty message is missing too, never shown empty
    partial = replace(german, messages=MappingProxyType(gaps))
    assert partial.text("calendar.not_done") == "Not done yet: please call the clinic."
    assert partial.text("calendar.waiting") == (
        "Waiting for an earlier step: the new date will be confirmed."
    )
    assert partial.text("calendar.dose", dose="30 mg") == "Dosis: 30 mg."
    with pytest.raises(KeyError):
        german.text("calendar.no_such_message")


def test_the_language_is_the_one_asked_else_the_sites_else_english() -> None:
    assert catalogue(None).lang == "en"
    assert catalogue(None, Settings(lang="fr")).lang == "fr"
    assert catalogue("ES", Settings(lang="fr")).lang == "es"
    with pytest.raises(InputError, match=r"^language 'it' is not one of de, en, es, fr$"):
        catalogue("it")


def test_site_settings_lang_and_catalogues(tmp_path: Path) -> None:
    path = str(tmp_path / "config.toml")
    read = parse_settings('[site]\nlang = "de"\ncatalogues = "words"\n', path)
    assert (read.lang, read.catalogue_folder) == ("de", str(tmp_path / "words"))
    absolute = parse_settings(f'[site]\ncatalogues = "{tmp_path / "x"}"\n', path)
    assert absolute.catalogue_folder == str(tmp_path / "x")
    with pytest.raises(SettingsError, match=r"site\.lang: must be 'de' or 'en' or 'es' or 'fr'"):
        parse_settings('[site]\nlang = "it"\n', path)
    with pytest.raises(SettingsError, match=r"site\.config_dir: is not a known setting"):
        parse_settings('[site]\nconfig_dir = "/"\n', path)


# -- a site's own catalogues ------------------------------------------------------------------


def _site(config_dir: Path, files: dict[str, str], extra: str = "") -> Settings:
    folder = config_dir / "words"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    text = f'[site]\ncatalogues = "words"\n{extra}'
    (config_dir / "config.toml").write_text(text, encoding="utf-8")
    return parse_settings(text, str(config_dir / "config.toml"))


def test_a_site_catalogue_overrides_one_key_and_keeps_the_rest(config_dir: Path) -> None:
    settings = _site(
        config_dir,
        {"calendar.de.toml": 'reviewed = true\nreviewed_by = "Dr. B"\n'
         '[calendar]\nnot_done = "Noch offen: Bitte melden Sie sich in der Klinik."\n'},
    )  # fmt: skip
    german = catalogue("de", settings)
    assert german.text("calendar.not_done") == "Noch offen: Bitte melden Sie sich in der Klinik."
    assert german.text("calendar.waiting") == (
        "Wartet auf einen früheren Schritt: Der neue Termin wird noch bestätigt."
    )
    assert "calendar.de.toml" not in german.unreviewed  # the site's file says it was reviewed
    assert "regimens.de.toml" in german.unreviewed
    assert catalogue("fr", settings).text("calendar.not_done") == (
        "Pas encore fait\u00a0: merci d'appeler la clinique."  # a space that does not break
    )


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("calendar.de.toml", "[calendar\n", "is not valid TOML"),
        ("calendar.de.toml", '[calendar]\nnot_dun = "x"\n', "calendar.not_dun: is not a known message"),
        ("calendar.de.toml", '[calendar]\nnot_done = ""\n', "calendar.not_done: is empty"),
        ("calendar.de.toml", '[calendar]\ndose = "{amount}"\n', "unknown placeholder {amount}"),
        ("calendar.de.toml", "[calendar]\ndose = 3\n", "calendar.dose: must be a string"),
        ("calendar.de.toml", '[other]\ndose = "x"\n', "put the messages in an [calendar] table"),
        ("calendar.it.toml", '[calendar]\ndose = "x"\n', "a catalogue is named AREA.LANG.toml"),
    ],
)  # fmt: skip
def test_a_malformed_site_catalogue_is_one_line_naming_the_file(
    prrt, config_dir: Path, name: str, text: str, problem: str
) -> None:  # type: ignore[no-untyped-def]
    _site(config_dir, {name: text})
    with freeze_time(TODAY):
        prrt("patient", "add", "P1", "--regimen", "lutathera", "--start", "2027-03-03")
        result = prrt("ics", "P1", "--lang", "de")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"prrt: {config_dir / 'words' / name}: ")
    assert problem in result.stderr
    assert result.stderr.count("\n") == 1


# -- patients' calendars ----------------------------------------------------------------------

# What each language's calendar says, written out by hand: the dose of 3 March 2027 as given,
# the blood tests from 3 to 17 February, the calendar's name.
EXPECTED = {
    "de": {
        "name": "Behandlungskalender für Eva",
        "infusion": "Termin in der Klinik (Infusion)",
        "dose": "Lutathera-Behandlung 1 von 4: Infusion in der Klinik.",
        "done": "Erledigt am 3. März 2027.",
        "labs": "Vom 3. Februar 2027 bis 17. Februar 2027.",
        "alarm": "Morgen: Termin in der Klinik, etwa 5 Stunden; dazu eine Spritze; ab jetzt keine "
        "kurz wirkende Spritze; viel trinken",
        "late": "Noch nicht erledigt: Blutabnahme",
    },
    "es": {
        "name": "Calendario de tratamiento de Eva",
        "infusion": "Cita en la clínica (infusión)",
        "dose": "Tratamiento con Lutathera 1 de 4: infusión en la clínica.",
        "done": "Hecho el 3 de marzo de 2027.",
        "labs": "Del 3 de febrero de 2027 al 17 de febrero de 2027.",
        "alarm": "Mañana: cita en la clínica, unas 5 horas; también una inyección; ninguna "
        "inyección de acción corta desde ahora; beba mucho líquido",
        "late": "Aún sin hacer: Análisis de sangre",
    },
    "fr": {
        "name": "Calendrier de traitement d'Eva",  # elided (issue 29)
        "infusion": "Rendez-vous à la clinique (perfusion)",
        "dose": "Traitement par Lutathera 1 sur 4\u00a0: perfusion à la clinique.",
        "done": "Fait le 3 mars 2027.",
        "labs": "Du 3 février 2027 au 17 février 2027.",
        "alarm": "Demain\u00a0: rendez-vous à la clinique, environ 5 heures\u00a0; une injection aussi\u00a0; "
        "plus d'injection à action courte à partir de maintenant\u00a0; buvez beaucoup",
        "late": "Pas encore fait\u00a0: Prise de sang",
    },
    "en": {
        "name": "Treatment calendar for Eva",
        "infusion": "Clinic visit (infusion)",
        "dose": "Lutathera treatment 1 of 4: infusion at the clinic.",
        "done": "Done on 3 March 2027.",
        "labs": "From 3 February 2027 to 17 February 2027.",
        "alarm": "Tomorrow: clinic visit, about 5 hours; an injection too; no short-acting "
        "injection from now on; drink plenty of fluids",
        "late": "Not done yet: Blood test",
    },
}


def _patient(prrt, *lang: str) -> None:  # type: ignore[no-untyped-def]
    with freeze_time(TODAY):
        added = prrt("patient", "add", "P1", "--regimen", "lutathera", "--start", "2027-03-03",
                     "--name", "Eva", *lang)  # fmt: skip
        assert added.exit_code == 0, added.stderr
        done = prrt("record", "P1", "prrt-1", "--date", "2027-03-03")
        assert done.exit_code == 0, done.stderr


def _ics(prrt, tmp_path: Path, *args: str) -> tuple[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    with freeze_time(TODAY):
        result = prrt("ics", "P1", "--with-name", *args)
    assert result.exit_code == 0, result.stderr
    data = result.stdout_bytes
    return data.decode("utf-8"), check_calendar(data, tmp_path, f"p1{len(args)}.ics")


@pytest.mark.parametrize("lang", ["de", "es", "fr", "en"])
def test_a_patients_calendar_in_their_language_read_back_by_the_parsers(
    prrt, tmp_path: Path, lang: str
) -> None:  # type: ignore[no-untyped-def]
    _patient(prrt, "--lang", lang)
    text, seen = _ics(prrt, tmp_path)
    want = EXPECTED[lang]
    assert (seen["calendar"]["name"], seen["calendar"]["xWrCalname"]) == (want["name"],) * 2
    events = seen["events"]
    dose = [e for e in events if e["description"].startswith(want["dose"])]
    assert [e["summary"] for e in dose] == [want["infusion"]]
    assert want["done"] in dose[0]["description"].split("\n\n")
    assert any(want["labs"] in e["description"].split("\n\n") for e in events)
    summaries = {e["summary"] for e in events}
    assert want["late"] not in summaries  # the labs before a given dose are history, not late
    later = [a["description"] for e in events for a in e["alarms"]]
    assert want["alarm"] in later
    # vobject (Radicale) reads the same words.
    (parsed,) = vobject.readComponents(text)
    assert want["infusion"] in {str(e.summary.value) for e in parsed.vevent_list}
    if lang != "en":
        english = EXPECTED["en"]
        assert not (
            {english["infusion"], english["name"]} & (summaries | {seen["calendar"]["name"]})
        )


def test_an_english_patient_reads_what_they_read_before(prrt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _patient(prrt)
    before, _ = _ics(prrt, tmp_path)
    with freeze_time(TODAY):
        assert prrt("patient", "edit", "P1", "--lang", "en").exit_code == 0
    after, seen = _ics(prrt, tmp_path)
    assert after == before
    assert _ics(prrt, tmp_path, "--lang", "EN")[0] == before
    assert "Done on 3 March 2027." in after.replace("\r\n ", "")
    assert seen["calendar"]["name"] == "Treatment calendar for Eva"


def test_ics_lang_overrides_the_patients_for_one_export(prrt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _patient(prrt, "--lang", "de")
    text, seen = _ics(prrt, tmp_path, "--lang", "fr")
    assert seen["calendar"]["name"] == EXPECTED["fr"]["name"]
    assert EXPECTED["fr"]["done"] in text.replace("\r\n ", "")
    with freeze_time(TODAY):
        refused = prrt("ics", "P1", "--lang", "it")
    assert refused.exit_code == 2
    assert refused.stderr.startswith("prrt: Invalid value for '--lang': 'it' is not one of ")
    assert _ics(prrt, tmp_path)[1]["calendar"]["name"] == EXPECTED["de"]["name"]  # stored: de


def test_the_sites_language_for_patients_without_one(
    prrt, config_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    (config_dir / "config.toml").write_text('[site]\nlang = "es"\n', encoding="utf-8")
    _patient(prrt)
    assert _ics(prrt, tmp_path)[1]["calendar"]["name"] == EXPECTED["es"]["name"]
    with freeze_time(TODAY):
        assert prrt("patient", "edit", "P1", "--lang", "de").exit_code == 0
    assert _ics(prrt, tmp_path)[1]["calendar"]["name"] == EXPECTED["de"]["name"]


def test_a_site_catalogue_changes_the_calendar(prrt, config_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _site(config_dir, {"calendar.de.toml": '[calendar]\nname_for = "Termine von {patient}"\n'})
    _patient(prrt, "--lang", "de")
    text, seen = _ics(prrt, tmp_path)
    assert seen["calendar"]["name"] == "Termine von Eva"
    assert EXPECTED["de"]["done"] in text.replace("\r\n ", "")


def _stored_lang(db_url: str) -> str | None:
    store = Store.open(db_url, "2027-03-10T09:00:00Z")
    try:
        with store.read() as tx:
            return tx.require_patient("P1").lang
    finally:
        store.close()


def test_patient_edit_and_add_refuse_a_language_without_catalogues(prrt, db_url: str) -> None:  # type: ignore[no-untyped-def]
    _patient(prrt, "--lang", "de")
    with freeze_time(TODAY):
        refused = prrt("patient", "edit", "P1", "--lang", "it")
        added = prrt("patient", "add", "P2", "--regimen", "lutathera", "--start", "2027-03-03",
                     "--lang", "xx")  # fmt: skip
        listed = prrt("patient", "list", "--format", "json")
    assert (refused.exit_code, refused.stdout) == (2, "")
    assert refused.stderr == "prrt: language 'it' is not one of de, en, es, fr\n"
    assert (added.exit_code, added.stderr) == (
        2,
        "prrt: language 'xx' is not one of de, en, es, fr\n",
    )
    assert _stored_lang(db_url) == "de"
    assert "P2" not in listed.stdout


def test_plan_ics_in_a_language(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with freeze_time(TODAY):
        result = run("plan", "lutathera", "--start", "2027-03-03", "--ics", "-", "--lang", "fr")
        refused = run("plan", "lutathera", "--start", "2027-03-03", "--lang", "fr")
    assert result.exit_code == 0, result.stderr
    seen = check_calendar(result.stdout_bytes, tmp_path, "plan.ics")
    assert seen["calendar"]["name"] == "Calendrier de traitement"
    assert EXPECTED["fr"]["infusion"] in {e["summary"] for e in seen["events"]}
    assert refused.exit_code == 2
    assert refused.stderr == "prrt: --lang applies to --ics only (see 'prrt plan --help')\n"


# -- keys and feeds ---------------------------------------------------------------------------


def test_the_calendars_key_and_the_feeds_etag_change_with_the_language(prrt, db_url: str) -> None:  # type: ignore[no-untyped-def]
    _patient(prrt)
    store = Store.open(db_url, "2027-03-10T09:00:00Z")
    try:
        tokens: list[str] = []
        issue(store, "P1", False, actor(), tokens.append)
        now = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
        app = feed_app(store, load_catalog(), Settings(), lambda: now)
        path = f"/feeds/{tokens[0]}.ics"
        publisher = Publisher(store, load_catalog(), Settings(), date(2027, 3, 10), now)
        with store.read() as tx:
            snap = publisher.snapshot(tx, "P1")
        english_key = publisher.key(snap, snap.patients[0])
        with freeze_time(TODAY):
            status, headers, body = get(app, path)
            assert status == "200 OK"
            assert "NAME:Treatment calendar" in unfolded(body.decode("utf-8"))
            assert get(app, path, if_none_match=headers["ETag"])[0] == "304 Not Modified"
            assert prrt("patient", "edit", "P1", "--lang", "de").exit_code == 0
            status, german, text = get(app, path, if_none_match=headers["ETag"])
        assert status == "200 OK"
        assert german["ETag"] != headers["ETag"]
        assert "NAME:Behandlungskalender" in unfolded(text.decode("utf-8"))
        with store.read() as tx:
            snap = publisher.snapshot(tx, "P1")
        assert publisher.key(snap, snap.patients[0]) != english_key
        german_key = publisher.key(snap, snap.patients[0])
        publisher.lang = "en"  # one export in English: another key for the same state
        assert publisher.key(snap, snap.patients[0]) != german_key
        publisher.lang = None
        assert publisher.key(snap, snap.patients[0]) == german_key
    finally:
        store.close()


def test_no_empty_line_and_no_english_left_in_a_german_calendar(prrt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _patient(prrt, "--lang", "de")
    text, seen = _ics(prrt, tmp_path)
    english = re.compile(
        r"\b(Tomorrow|Today|From today|Not done yet|On hold|Cancelled|Dose|Done on|From \d|"
        r"Questions|Treatment calendar|Blood test|Clinic visit|Reminder|(?<!-)Scan)\b"
    )
    lines = [line for line in unfolded(text) if line.startswith(("SUMMARY:", "DESCRIPTION:"))]
    assert len(lines) > 50
    assert [line for line in lines if english.search(line)] == []
    assert all(e["summary"] for e in seen["events"])
