"""What a patient reads, in the patient's language: message catalogues and dates.

The messages live in TOML catalogues, one file per area and language, `{area}.{lang}.toml`
(`calendar.es.toml`, `regimens.de.toml`), in `catalogues/` beside this module. Every file found
is loaded. A file holds one table named for its area; the keys of that table, and of any table
nested in it, are the message names, so `calendar.not_done` is `not_done` in `[calendar]` and
`regimens.lutathera.dose.title` is `title` in `[regimens.lutathera.dose]`. Each message is a
`str.format` template (`"Done on {day}."`). Each file says, at its top, that it needs clinical
review before use: `reviewed = false` (a site that has had the words checked sets it to true,
with `reviewed_by`), and `Catalogue.unreviewed` lists the files that still say false.

A site reviews and replaces them: the files of the folder named by `site.catalogues` override
the shipped ones key by key (a key the site's file leaves out keeps the shipped text). A message
missing in a language falls back to English, never to an empty string; a key missing in English
is a programming error (`KeyError`), which the tests guard against.

>>> words = catalogue("de")
>>> words.date(datetime.date(2027, 3, 3))
'3. März 2027'
>>> catalogue("en").date(datetime.date(2027, 3, 3)), catalogue(None).lang
('3 March 2027', 'en')
>>> catalogue("xx")
Traceback (most recent call last):
...
schedule.domain.errors.InputError: language 'xx' is not one of de, en, es, fr
"""

from __future__ import annotations

import datetime
import os
import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from schedule.domain.errors import InputError, SettingsError
from schedule.domain.languages import LANGUAGES as LANGUAGES  # re-exported

if TYPE_CHECKING:
    from schedule.domain.settings import Settings

ENGLISH = "en"
# Babel's locale for each language. English is British: "3 March 2027", "09:00".
LOCALES = {"en": "en_GB", "es": "es", "fr": "fr", "de": "de"}
SHIPPED = Path(__file__).parent / "catalogues"
_NAME = re.compile(r"^(?P<area>[a-z][a-z0-9_]*)\.(?P<lang>[A-Za-z_-]+)\.toml$")
_HEADER_KEYS = {"reviewed", "reviewed_by"}

Messages = Mapping[str, str]


@dataclass(frozen=True)
class Catalogue:
    """The messages of one language (with the English ones to fall back on), and its dates.

    >>> catalogue("fr").text("calendar.done_on", day="3 mars 2027")
    'Fait le 3 mars 2027.'
    """

    lang: str
    messages: Messages = field(default_factory=dict, repr=False, compare=False)
    english: Messages = field(default_factory=dict, repr=False, compare=False)
    # The files read (path, modified time), so two catalogues from the same files compare equal.
    sources: tuple[tuple[str, int], ...] = ()
    unreviewed: tuple[str, ...] = ()  # the files still marked `reviewed = false`

    def text(self, key: str, **params: object) -> str:
        """The message `key` ("area.name") in this language, else in English, filled in. In
        French, "de" before a value that starts with a vowel is elided ("d'Ana"), and the
        space before ":", ";", "!" and "?" does not break.

        >>> catalogue("fr").text("calendar.name_for", patient="Ana")
        "Calendrier de traitement d'Ana"
        """
        template = self.messages.get(key) or self.english[key]
        if self.lang == "fr":
            template = _elide(template, params)
        return self._typeset(template.format(**params) if params else template)

    def _typeset(self, text: str) -> str:
        if self.lang != "fr":
            return text
        return _FRENCH_TIGHT.sub("\u00a0", _FRENCH_SPACE.sub("\u00a0", text))

    def number(self, value: float | Decimal) -> str:
        """A number as the language writes it: "7.4", "7,4"."""
        return _format_number(Decimal(str(value)), LOCALES[self.lang])

    def quantity(self, text: str) -> str:
        """A quantity written with a decimal point ("7.4 GBq") as the language writes it."""
        return _NUMBER.sub(lambda m: self.number(Decimal(m[0])), text)

    def zone(self, name: str) -> str:
        """A time zone by where it is ("Switzerland Time", "Schweiz (Ortszeit)"), not its
        database name ("Europe/Zurich")."""
        return _zone_name(name, LOCALES[self.lang])

    def translated(self, key: str) -> str | None:
        """The message `key` in this language only (English for English), or None."""
        found = self.messages.get(key)
        return self._typeset(found) if found else None

    @property
    def reviewed(self) -> bool:
        return not self.unreviewed

    def date(self, day: datetime.date, form: str = "long") -> str:
        """`day` as the language writes it: "full", "long", "medium" or "short"; in French the
        first of the month is "1er".

        >>> catalogue("fr").date(datetime.date(2027, 6, 1))
        '1er juin 2027'
        """
        text = _format_date(day, form, LOCALES[self.lang])
        if self.lang == "fr" and day.day == 1 and form in ("full", "long"):
            text = _FIRST.sub(r"\g<1>1er ", text, count=1)
        return text

    def time(self, at: datetime.time) -> str:
        """A time of day as the language writes it, short: "09:00", "9:00"."""
        return _format_time(at, LOCALES[self.lang])


# Cached: a folder of calendars writes the same few hundred days tens of thousands of times,
# and Babel formats each anew.
@lru_cache(maxsize=16384)
def _format_date(day: datetime.date, form: str, locale: str) -> str:
    from babel.dates import format_date

    return str(format_date(day, format=form, locale=locale))


@lru_cache(maxsize=1024)
def _format_number(value: Decimal, locale: str) -> str:
    from babel.numbers import format_decimal

    return str(format_decimal(value, locale=locale))


@lru_cache(maxsize=256)
def _zone_name(name: str, locale: str) -> str:
    from babel.dates import get_timezone, get_timezone_location

    return str(get_timezone_location(get_timezone(name), locale=locale))


# French: a space that does not break before ":", ";", "!" and "?", where there is one and
# where a word or a bracket runs into them (a time "09:00" and an address "https://" do not).
_FRENCH_SPACE = re.compile(r" (?=[:;!?](?:\s|$))")
_FRENCH_TIGHT = re.compile(r"(?<=[\w)»])(?=[:;!?](?:\s|$))")
_FIRST = re.compile(r"(^|\s)1 (?=\D)")
_NUMBER = re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])")
_ELIDED = re.compile(r"\bde \{(\w+)\}")
_VOWELS = "aeiouyàâäéèêëîïôöûüœæ"


def _elide(template: str, params: Mapping[str, object]) -> str:
    """ "de {name}" as "d'{name}" where the value starts with a vowel (French)."""

    def one(match: re.Match[str]) -> str:
        value = params.get(match[1])
        if isinstance(value, str) and value[:1].lower() in _VOWELS and value[:1]:
            return f"d'{{{match[1]}}}"
        return match[0]

    return _ELIDED.sub(one, template) if "de {" in template else template


@lru_cache(maxsize=1024)
def _format_time(at: datetime.time, locale: str) -> str:
    from babel.dates import format_time

    return str(format_time(at, format="short", locale=locale))


def check_language(value: str | None) -> str | None:
    """A language code from `LANGUAGES` (any case, spaces trimmed), or None when empty.

    >>> check_language(" DE "), check_language("")
    ('de', None)
    """
    if value is None or value.strip() == "":
        return None
    code = value.strip().lower()
    if code not in LANGUAGES:
        raise InputError(
            f"language {value!r} is not one of {', '.join(sorted(LANGUAGES))}", field="lang"
        )
    return code


def catalogue(lang: str | None, settings: Settings | None = None) -> Catalogue:
    """The catalogue of `lang`; None takes the site's default (`site.lang`), else English.
    The site's catalogue folder (`site.catalogues`), if any, overrides the shipped files."""
    code = check_language(lang) or (settings.lang if settings is not None else None) or ENGLISH
    code = check_language(code) or ENGLISH
    folder = settings.catalogue_folder if settings is not None else ""
    return _catalogue(code, _shipped(), _signature(Path(folder)) if folder else ())


# -- loading ----------------------------------------------------------------------------------

Signature = tuple[tuple[str, int], ...]


def _signature(folder: Path) -> Signature:
    """The catalogue files of `folder` with their modified times: the cache's key."""
    try:
        with os.scandir(folder) as found:
            files = [(e.path, e.stat().st_mtime_ns) for e in found if e.name.endswith(".toml")]
    except FileNotFoundError:
        raise SettingsError(f"{folder}: site.catalogues: no such folder") from None
    except NotADirectoryError:
        raise SettingsError(f"{folder}: site.catalogues: is not a folder") from None
    except OSError as exc:
        raise SettingsError(f"{folder}: site.catalogues: cannot be read: {exc}") from None
    return tuple(sorted(files))


@lru_cache(maxsize=1)
def _shipped() -> Signature:
    """The shipped files, listed once: they change only with the code."""
    return _signature(SHIPPED)


@lru_cache(maxsize=64)
def _catalogue(lang: str, shipped: Signature, site: Signature) -> Catalogue:
    base, unreviewed = _read_folder(shipped, None)
    english = dict(base.get(ENGLISH, {}))
    chosen = dict(base.get(lang, {}))
    if site:
        overrides, site_unreviewed = _read_folder(site, english)
        english.update(overrides.get(ENGLISH, {}))
        chosen.update(overrides.get(lang, {}))
        replaced = {Path(p).name for p, _ in site}  # a site's file speaks for its own review
        unreviewed = {p for p in unreviewed if Path(p).name not in replaced} | site_unreviewed
    wanted = (lang, ENGLISH)
    return Catalogue(
        lang,
        MappingProxyType(english if lang == ENGLISH else chosen),
        MappingProxyType(english),
        shipped + site,
        tuple(sorted(Path(p).name for p in unreviewed if _lang_of(p) in wanted)),
    )


def _lang_of(path: str) -> str:
    match = _NAME.match(Path(path).name)
    return match["lang"] if match else ""


def _read_folder(
    files: Signature, english: Messages | None
) -> tuple[dict[str, dict[str, str]], set[str]]:
    """The messages of each language from the files of one folder, and the files not yet
    reviewed. `english`: the shipped English messages, when the folder is a site's."""
    site = english is not None
    out: dict[str, dict[str, str]] = {}
    unreviewed = set()
    for path, _ in files:
        match = _NAME.match(Path(path).name)
        if match is None or match["lang"] not in LANGUAGES:
            if site:
                raise SettingsError(
                    f"{path}: a catalogue is named AREA.LANG.toml, LANG one of "
                    f"{', '.join(sorted(LANGUAGES))}"
                )
            continue
        messages, reviewed = _read_file(Path(path), match["area"])
        if english is not None:
            _check_site(path, messages, english)
        if not reviewed:
            unreviewed.add(path)
        out.setdefault(match["lang"], {}).update(messages)
    return out, unreviewed


def _read_file(path: Path, area: str) -> tuple[dict[str, str], bool]:
    """The messages of one file, keyed "area.name", and whether it says it was reviewed."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: is not valid TOML: {exc}") from None
    extra = set(data) - _HEADER_KEYS - {area}
    if extra:
        raise SettingsError(f"{path}: put the messages in an [{area}] table, not {sorted(extra)}")
    reviewed = data.get("reviewed", False)
    if not isinstance(reviewed, bool):
        raise SettingsError(f"{path}: reviewed: must be true or false")
    messages: dict[str, str] = {}
    _flatten(path, area, data.get(area, {}), messages)
    return messages, reviewed


def _flatten(path: Path, prefix: str, table: object, out: dict[str, str]) -> None:
    if not isinstance(table, dict):
        raise SettingsError(f"{path}: {prefix}: must be a table of messages")
    for name, value in table.items():
        key = f"{prefix}.{name}"
        if isinstance(value, dict):
            _flatten(path, key, value, out)
        elif isinstance(value, str):
            out[key] = value
        else:
            raise SettingsError(f"{path}: {key}: must be a string")


def placeholders(template: str) -> frozenset[str]:
    """The `{names}` a message fills in.

    >>> sorted(placeholders("From {first} to {last}."))
    ['first', 'last']
    """
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def _check_site(path: str, messages: Messages, english: Messages) -> None:
    """A site's messages: known keys, no placeholder the English text does not fill in."""
    for key, text in messages.items():
        if key not in english:
            raise SettingsError(f"{path}: {key}: is not a known message")
        if not text.strip():
            raise SettingsError(f"{path}: {key}: is empty; leave it out to keep the shipped text")
        try:
            names = placeholders(text)
        except ValueError as exc:
            raise SettingsError(f"{path}: {key}: {exc}") from None
        unknown = names - placeholders(english[key])
        if unknown:
            raise SettingsError(f"{path}: {key}: unknown placeholder {{{sorted(unknown)[0]}}}")
