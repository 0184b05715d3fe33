"""The feed server: a WSGI application that answers `GET /feeds/TOKEN.ics` with the patient's
calendar. Unknown, malformed and revoked tokens all get the same 404. Responses carry a strong
ETag (the calendar's key), and a matching `If-None-Match` gets 304 without building anything.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from schedule.calendars.feeds import PATH_PREFIX, TOKEN_SHAPE, token_hash
from schedule.calendars.publisher import Publisher, site_digest
from schedule.domain.errors import PrrtError
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.store.database import Store

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
CONTENT_TYPE = "text/calendar; charset=utf-8"
COMMON = [
    ("Cache-Control", "no-cache, private"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
]


class FeedApp:
    """`clock()` gives the current time (aware); today is its date in the server's zone."""

    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        settings: Settings,
        clock: Callable[[], datetime],
        cache: int = 256,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.settings = settings
        self.site_digest = site_digest(settings, catalog)
        self.clock = clock
        self.cache_size = cache
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            return _plain(start_response, "405 Method Not Allowed", [("Allow", "GET, HEAD")])
        path = environ.get("PATH_INFO", "")
        token = path[len(PATH_PREFIX) : -len(".ics")] if path.endswith(".ics") else ""
        if not path.startswith(PATH_PREFIX) or not TOKEN_SHAPE.fullmatch(token):
            return _plain(start_response, "404 Not Found")
        try:
            return self.feed(token, environ, start_response, method == "HEAD")
        except (SQLAlchemyError, PrrtError) as exc:
            environ["wsgi.errors"].write(f"prrt serve: {type(exc).__name__}: {exc}\n")
            return _plain(start_response, "503 Service Unavailable", [("Retry-After", "60")])

    def feed(
        self, token: str, environ: dict[str, Any], start_response: StartResponse, head: bool
    ) -> Iterable[bytes]:
        now = self.clock()
        publisher = Publisher(
            self.store,
            self.catalog,
            self.settings,
            now.astimezone().date(),
            now,
            known_site_digest=self.site_digest,
        )
        with self.store.read() as tx:
            owner = tx.tokens.token_owner(token_hash(token))
            if owner is None:
                return _plain(start_response, "404 Not Found")
            snapshot = publisher.snapshot(tx, owner.patient_id)
        key = publisher.key(snapshot, snapshot.patients[0], owner.with_name)
        etag = f'"{key}"'
        if etag in _etags(environ.get("HTTP_IF_NONE_MATCH", "")):
            start_response("304 Not Modified", [("ETag", etag), *COMMON])
            return []
        with self._lock:
            body = self._bodies.get(key)
        if body is None:
            calendar = publisher.patient(owner.patient_id, owner.with_name)
            key, body = calendar.key, calendar.text.encode("utf-8")
            etag = calendar.etag
            with self._lock:
                self._bodies[key] = body
                while len(self._bodies) > self.cache_size:
                    self._bodies.popitem(last=False)
        start_response(
            "200 OK",
            [
                ("Content-Type", CONTENT_TYPE),
                ("Content-Length", str(len(body))),
                ("ETag", etag),
                ("Content-Disposition", 'inline; filename="calendar.ics"'),
                *COMMON,
            ],
        )
        return [] if head else [body]


def _etags(header: str) -> set[str]:
    tags = {t.strip() for t in header.split(",") if t.strip()}
    return tags | {t[2:] for t in tags if t.startswith("W/")}


def _plain(
    start_response: StartResponse, status: str, extra: list[tuple[str, str]] | None = None
) -> list[bytes]:
    body = (status.split(" ", 1)[1] + "\n").encode("ascii")
    start_response(
        status,
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            *(extra or []),
            *COMMON,
        ],
    )
    return [body]
