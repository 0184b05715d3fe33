"""Subscription links: a random token per patient, stored only as a hash, revocable.

A token is 192 random bits (`secrets`), never derived from the patient's ID. Because only its
hash is kept, a link is shown once, when issued; a lost link is revoked and a new one issued.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from schedule.domain.course import Actor
from schedule.domain.errors import ConflictError, Hint, InputError
from schedule.patientview.links import Links

if TYPE_CHECKING:
    from schedule.store.database import Store

TOKEN_BYTES = 24  # 192 bits; the issue asks for at least 128
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32}")  # what token_urlsafe(24) gives
PATH_PREFIX = "/feeds/"
PAGE_PREFIX = "/p/"  # the patient's page (`web/page.py`)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def feed_url(base: str, token: str, titles: str | None = None, web: bool = False) -> str:
    """The `webcal://` link for a token under `base` (the server's public http(s) address);
    `titles` ("plain" or "discreet") overrides the site's calendar titles for this link.
    `web`: the same link with the base's own scheme (`https://`), which the web versions of
    Google Calendar and Outlook take where a phone takes `webcal://`."""
    try:
        parts = urlsplit(base.strip())
        parts.port  # noqa: B018  # a malformed host or port raises here
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise InputError(
            f"feed base {base!r} is not valid; give the server's address as reached from "
            "patients' phones, e.g. https://calendar.example.org"
        )
    path = parts.path.rstrip("/")
    choice = f"?titles={titles}" if titles else ""
    scheme = parts.scheme if web else "webcal"
    return f"{scheme}://{parts.netloc}{path}{PATH_PREFIX}{token}.ics{choice}"


def issue(
    store: Store,
    patient_id: str,
    with_name: bool,
    actor: Actor,
    deliver: Callable[[str], None],
) -> str:
    """Make a new token for the patient and hand it to `deliver` (print it, draw its QR code)
    before the transaction commits: if delivering fails, no token exists."""
    with store.write() as tx:
        patient_id = tx.require_patient(patient_id).id
        tx.lock_patient(patient_id)
        current = tx.tokens.active_token(patient_id)
        if current is not None:
            raise ConflictError(
                f"{patient_id} already has a feed link (issued {current.created_at} by "
                f"{current.created_by}); it is stored hashed and cannot be shown again",
                hint=Hint.REISSUE_FEED,
                patient=patient_id,
            )
        token = secrets.token_urlsafe(TOKEN_BYTES)
        tx.tokens.add_token(patient_id, token_hash(token), with_name, actor)
        deliver(token)
    return token


def revoke(store: Store, patient_id: str, actor: Actor) -> list[int]:
    """Make the patient's live link dead. The record of it stays, marked revoked."""
    with store.write() as tx:
        patient_id = tx.require_patient(patient_id).id
        tx.lock_patient(patient_id)
        revoked = tx.tokens.revoke_tokens(patient_id, actor)
    if not revoked:
        raise ConflictError(f"{patient_id} has no live feed link to revoke")
    return revoked


def patient_links(base: str, token: str, titles: str | None = None) -> Links:
    """The links of a token under the server's public address `base`."""
    web = feed_url(base, token, titles, web=True)
    head, _, tail = web.partition(f"{PATH_PREFIX}{token}.ics")
    return Links(f"{head}{PAGE_PREFIX}{token}{tail}", feed_url(base, token, titles), web)


def parse_feed_link(url: str) -> tuple[str, str, str | None]:
    """(base, token, titles) of a feed link as `feed url` shows it (webcal:// or http(s)://).
    A webcal:// link does not say whether its server speaks https or http: its base keeps
    "webcal://", for `web_base` to settle."""
    parts = urlsplit(url.strip())
    path = parts.path
    at = path.rfind(PATH_PREFIX)
    token = path[at + len(PATH_PREFIX) : -len(".ics")] if path.endswith(".ics") else ""
    titles = parts.query.removeprefix("titles=") if parts.query else None
    if (
        parts.scheme not in ("webcal", "https", "http")
        or at < 0
        or not TOKEN_SHAPE.fullmatch(token)
        or titles not in (None, "plain", "discreet")
    ):
        raise InputError(
            f"{url!r} is not a feed link; give the webcal:// or https:// link shown "
            "when it was issued"
        )
    return f"{parts.scheme}://{parts.netloc}{path[:at]}", token, titles


def web_base(base: str, site_base: str = "") -> str:
    """The http(s) address of a feed link's base: as given when it is http:// or https://
    (http stays http: a server without TLS); for webcal://, the scheme of the site's own
    address (`feed_base_url`) when it is the same server, else https.

    >>> web_base("webcal://cal.example.org", "http://cal.example.org/")
    'http://cal.example.org'
    >>> web_base("webcal://cal.example.org"), web_base("http://cal.example.org")
    ('https://cal.example.org', 'http://cal.example.org')
    """
    if not base.startswith("webcal://"):
        return base
    rest = base.removeprefix("webcal://")
    site = urlsplit(site_base.strip())
    same = f"{site.netloc}{site.path.rstrip('/')}" == rest
    scheme = site.scheme if same and site.scheme in ("http", "https") else "https"
    return f"{scheme}://{rest}"
