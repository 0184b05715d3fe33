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

from schedule.domain.model import Event
from schedule.domain.regimen import Regimen


@dataclass(frozen=True)
class Words:
    title: str
    description: str


def patient_words(event: Event, regimen: Regimen) -> Words:
    """The event's title and description as the patient reads them.

    >>> from schedule.domain.regimen_file import load_catalog
    >>> from schedule.engine.calendar import build_calendar
    >>> from datetime import date
    >>> lutathera = load_catalog().get("lutathera")
    >>> first = {e.key: e for e in build_calendar(lutathera, date(2027, 3, 1))}
    >>> patient_words(first["prrt-2"], lutathera).title
    'Lutathera treatment 2 of 4: infusion at the clinic'
    >>> patient_words(first["ssa-5"], lutathera).title
    'Monthly hormone injection (octreotide)'
    """
    title, description = _texts(event, regimen)
    shown = title.format(n=event.number, count=regimen.dose.count or "") if title else ""
    return Words(shown or event.title, description or event.description)


def _texts(event: Event, regimen: Regimen) -> tuple[str, str]:
    dose, ssa = regimen.dose, regimen.ssa
    if event.series == dose.series:
        return dose.patient_title, dose.patient_description
    if event.series == "ssa" and ssa is not None:
        monthly = dose.count is not None and event.number > dose.count
        title = ssa.patient_maintenance_title if monthly else ssa.patient_title
        return title, ssa.patient_description
    for related in regimen.related:
        if related.series == event.series:
            return related.patient_title, related.patient_description
    variants = [r for _, items in regimen.precautions for r in items if r.series == event.series]
    if variants:
        chosen = next((r for r in variants if r.description == event.description), variants[0])
        return chosen.patient_title, chosen.patient_description
    for item in regimen.after_course:
        if item.key == event.key:
            return item.patient_title, item.patient_description
    return "", ""
