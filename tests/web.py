"""The feed server's application, asked in this process (no socket): what a request gets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.store.database import Store
from schedule.web.asgi import FeedServer, Limits
from schedule.web.feeds import REASONS, Feeds, Request


def feed_app(
    store: Store,
    catalog: Catalog,
    settings: Settings,
    clock: Callable[[], datetime],
    base_url: str | None = None,
) -> FeedServer:
    return FeedServer(Feeds(store, catalog, settings, clock), Limits(), base_url)


def get(
    app: FeedServer, path: str, query: str = "", method: str = "GET", **headers: str
) -> tuple[str, dict[str, str], bytes]:
    """(status line's code and reason, headers, body) of `method path?query` with `headers`
    (given as if_none_match=...)."""
    sent = {name.replace("_", "-").lower(): value for name, value in headers.items()}
    answer = asyncio.run(app.respond(Request(method, path, query, sent)))
    return f"{answer.status} {REASONS[answer.status]}", dict(answer.headers), answer.body
