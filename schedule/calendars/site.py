"""What a site's calendars are made with besides the store's facts: a hash of the code's
version, the calendar format, the site's settings and its regimens (`site_digest`). Every
calendar key holds it (`publisher.py`), and the calendars' memory compares it to tell a change
that no write explains (`memory.py`)."""

from __future__ import annotations

import hashlib

from schedule import __version__
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings

FORMAT = 2  # raise when what a calendar says changes shape: every key changes with it


def site_digest(settings: Settings, catalog: Catalog) -> str:
    """A hash of the code's version, the site's settings and its regimens."""
    return digest(FORMAT, __version__, settings, catalog)


def digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:32]
