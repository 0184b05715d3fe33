"""The links a patient is given (made from a feed token in `calendars/feeds.py`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Links:
    """A patient's links: the page (what the code opens), the `webcal://` subscription for
    phones and the same feed as https:// for calendars on the web."""

    page: str
    webcal: str
    web: str
