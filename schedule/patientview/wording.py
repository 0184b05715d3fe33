"""The words a patient's calendar uses for an event: plain words, with any term a patient may
not know explained where it appears.

The regimen's `title` and `description` are the care team's words (`show`, the worklists) and
stay as they are; the optional `patient_title` and `patient_description` of the same table are
what the patient reads. When a regimen gives none (a site's own file, say), the staff's text is
used. Each part of a regimen is found by the event's series: the main doses, the SSA injections
(after each dose, then the monthly ones), the events placed around each dose, the precautions
(the variant by its description) and the care after the course (by key).

Items that apply to one sex only (contraception, breastfeeding) are one event each for every
patient, worded to say whom they are for ("If you are a man: ..."): no patient attribute says
it, and none is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from schedule.domain.model import SSA_BRIDGE, SSA_SERIES, Event
from schedule.domain.pregnancy import PATIENT_DESCRIPTION, PATIENT_TITLE
from schedule.domain.pregnancy import SERIES as PREGNANCY_TEST
from schedule.domain.regimen import Regimen
from schedule.i18n import ENGLISH, Catalogue


@dataclass(frozen=True)
class Words:
    title: str
    description: str


@dataclass(frozen=True)
class Part:
    """The part of a regimen an event comes from: its catalogue key ("lutathera.dose") and
    the patient's English words (the staff's where the regimen gives none for the patient).
    `patient`: the regimen's own patient texts (title, description), "" where it has none."""

    key: str
    title: str
    description: str
    patient: tuple[str, str]


def patient_words(event: Event, regimen: Regimen, lang: Catalogue | None = None) -> Words:
    """The event's title and description as the patient reads them, in the language of `lang`
    (English when None).

    >>> from schedule.domain.regimen_file import load_catalog
    >>> from schedule.engine.calendar import build_calendar
    >>> from schedule.i18n import catalogue
    >>> from datetime import date
    >>> lutathera = load_catalog().get("lutathera")
    >>> first = {e.key: e for e in build_calendar(lutathera, date(2027, 3, 1))}
    >>> patient_words(first["prrt-2"], lutathera).title
    'Lutathera treatment 2 of 4: infusion at the clinic'
    >>> patient_words(first["ssa-5"], lutathera).title
    'Monthly hormone injection (octreotide)'
    >>> patient_words(first["prrt-2"], lutathera, catalogue("de")).title
    'Lutathera-Behandlung 2 von 4: Infusion in der Klinik'
    """
    part = regimen_part(event, regimen)
    title, description = part.patient if part is not None else ("", "")
    if lang is not None and lang.lang != ENGLISH and part is not None:
        title = _translated(lang, f"{part.key}.title", part.title) or title
        description = _translated(lang, f"{part.key}.description", part.description) or description
    shown = title.format(n=event.number, count=regimen.dose.count or "") if title else ""
    return Words(shown or event.title, description or event.description)


def _translated(lang: Catalogue, key: str, english: str) -> str:
    """The translation of `english` under `key`, only if the catalogue translated this very
    text: a site's regimen that words a part otherwise keeps its own English words."""
    full = f"regimens.{key}"
    if not english or lang.english.get(full) != english:
        return ""
    return lang.translated(full) or ""


def regimen_part(event: Event, regimen: Regimen) -> Part | None:
    """Where the event's patient words come from in its regimen (None: nowhere)."""
    dose, ssa, base = regimen.dose, regimen.ssa, regimen.id
    if event.series == dose.series:
        texts = (dose.patient_title, dose.patient_description)
        return Part(f"{base}.dose", *_or(texts, dose.title, dose.description), texts)
    if event.series in SSA_SERIES and ssa is not None:
        monthly = event.series == SSA_BRIDGE or (
            dose.count is not None and event.number > dose.count
        )
        if monthly:
            texts = (ssa.patient_maintenance_title, ssa.patient_description)
            title = ssa.maintenance_title
            key = f"{base}.ssa_monthly"
        else:
            texts, title, key = (
                (ssa.patient_title, ssa.patient_description),
                ssa.title,
                f"{base}.ssa",
            )
        return Part(key, *_or(texts, title, ssa.description), texts)
    if event.series == PREGNANCY_TEST:  # the same words for every radioligand regimen
        texts = (PATIENT_TITLE, PATIENT_DESCRIPTION)
        return Part(PREGNANCY_TEST, *texts, texts)
    for related in regimen.related:
        if related.series == event.series:
            texts = (related.patient_title, related.patient_description)
            staff = (related.title, related.description)
            return Part(f"{base}.{related.series}", *_or(texts, *staff), texts)
    for variant, items in regimen.precautions:
        for item in items:
            if item.series == event.series and item.description == event.description:
                texts = (item.patient_title, item.patient_description)
                key = f"{base}.precautions_{variant}.{item.series}"
                return Part(key, *_or(texts, item.title, item.description), texts)
    variants = [r for _, items in regimen.precautions for r in items if r.series == event.series]
    if variants:
        first = variants[0]
        texts = (first.patient_title, first.patient_description)
        variant = next(name for name, items in regimen.precautions if first in items)
        key = f"{base}.precautions_{variant}.{first.series}"
        return Part(key, *_or(texts, first.title, first.description), texts)
    for after in regimen.after_course:
        if after.key == event.key:
            texts = (after.patient_title, after.patient_description)
            return Part(f"{base}.{after.key}", *_or(texts, after.title, after.description), texts)
    return None


def _or(texts: tuple[str, str], title: str, description: str) -> tuple[str, str]:
    return texts[0] or title, texts[1] or description
