"""The handout: a patient's printable schedule, and the patient's page that shows the same. The
patient's facts are read in one transaction and built into a `Handout` (data) for the caller to
render: `prrt handout` writes it as PDF or HTML, the feed server's page shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from schedule.calendars.feeds import patient_links, token_hash, web_base
from schedule.domain.errors import InputError
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.handout.content import Handout, build
from schedule.patientview.titles import Titles

if TYPE_CHECKING:
    from schedule.i18n import Catalogue
    from schedule.store.interface import PatientStore


@dataclass(frozen=True)
class FeedLink:
    """A patient's feed link: the server's public address, the token, and the titles the link
    asks for (None: the site's)."""

    base: str | None  # None: not configured, and the handout gives no links
    token: str
    titles: Titles | None = None


@dataclass(frozen=True)
class PatientHandout:
    handout: Handout
    words: Catalogue  # the language it is in, for the renderer
    has_feed: bool  # the patient has a live feed link


def patient_handout(
    store: PatientStore,
    catalog: Catalog,
    settings: Settings,
    today: date,
    patient_id: str | None,
    link: FeedLink | None = None,
    lang: str | None = None,
    titles: Titles | None = None,
    with_name: bool | None = None,
    preferred: str | None = None,
) -> PatientHandout | None:
    """The handout of `patient_id` as of `today`, with the code to scan of `link` if given.

    `link` is refused unless it is the patient's live one (revoked, another patient's or
    mistyped): a handout never prints a dead link. `UnknownError` for a patient not stored.
    With `patient_id` None, the handout is that of the patient whose live link `link` is (the
    patient's page), and None when no live link has its token.

    `lang`: a checked language (None: the patient's, else `preferred` (the reader's, from
    their browser), else the site's). `titles`: None for the
    link's, else the site's. `with_name`: the name in the title (None: as the link was issued).
    """
    from schedule.i18n import catalogue
    # long: the checks of a given link, then the links with either titles

    token = link.token if link is not None else None
    with store.read() as tx:
        owner = tx.tokens.token_owner(token_hash(token)) if token else None
        has_feed = False
        if patient_id is None:
            if owner is None:
                return None
            patient_id = owner.patient_id
            has_feed = True
        patient = tx.require_patient(patient_id)
        if not has_feed:
            has_feed = tx.tokens.active_token(patient.id) is not None
        courses = tx.courses(patient.id)
        records = tx.records([c.id for c in courses])
    if token and not has_feed:
        raise InputError(
            f"{patient.id} has no live feed link, so the link given is dead; issue one first, "
            "or leave the link out"
        )
    if token and (owner is None or owner.patient_id != patient.id):
        raise InputError(
            f"the link given is not {patient.id}'s live feed link; give the one issued last, "
            "or revoke it and issue a new one"
        )
    words = catalogue(lang or patient.lang or preferred, settings)
    shown = titles or (link.titles if link else None) or Titles(settings.calendar_titles)
    links = other = None
    if link is not None and link.base:
        asked = link.titles.value if link.titles else None
        base = web_base(link.base, settings.feed_base_url)
        links = patient_links(base, link.token, asked)
        flip = Titles.PLAIN if shown is Titles.DISCREET else Titles.DISCREET
        other = patient_links(base, link.token, flip.value)
    if with_name is None:
        with_name = owner is not None and owner.with_name
    built = build(
        catalog, settings, patient, courses, records, today, words, shown, with_name, links, other
    )
    return PatientHandout(built, words, has_feed)
