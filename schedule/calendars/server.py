"""The feed server: a WSGI application that answers `GET /feeds/TOKEN.ics` with the patient's
calendar. Unknown, malformed and revoked tokens all get the same 404. Responses carry a strong
ETag (a hash of the calendar's text, never of the day) and `Last-Modified` (the latest
LAST-MODIFIED of its events). Conditional requests follow RFC 9110 (13.2.2): `If-None-Match`
decides when present (a matching tag, or `*` for a feed that exists, gets 304), else
`If-Modified-Since` does (304 when nothing changed since). A client that accepts gzip gets the
calendar gzipped (`Vary: Accept-Encoding`; the gzipped bytes have their own ETag, the text's
with `-gzip`, and either tag matches). A calendar is built, and gzipped, at most once per key
(the day, the facts: `Publisher.key`) while cached; deciding on a 304 reads the token and the
key's facts in one read transaction, and never builds anything.
`?titles=plain` (or `discreet`) in the link chooses the titles for that patient's feed.

Known limit: `Last-Modified` follows the events, so a change of the calendar's name alone (the
patient's name in a feed issued with it) leaves it as it was; the ETag changes.

`listen` runs it under waitress with limits fit for an open network (`Limits`): many idle or
slow connections are held without a thread each and dropped after a short timeout, requests are
small, and a 304 keeps the connection open (waitress alone closes it).
"""

from __future__ import annotations

import gzip
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import parse_qs

from sqlalchemy.exc import SQLAlchemyError

from schedule.calendars.feeds import PAGE_PREFIX, PATH_PREFIX, TOKEN_SHAPE, token_hash
from schedule.calendars.publisher import Publisher, Snapshot, site_digest
from schedule.calendars.titles import Titles
from schedule.domain.errors import InputError, PrrtError
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
VARY = ("Vary", "Accept-Encoding")


@dataclass(frozen=True)
class Cached:
    """A calendar as served: its ETag, its bytes, the same gzipped, and when it last changed."""

    etag: str
    body: bytes
    gzipped: bytes
    modified: datetime | None

    @property
    def gzip_etag(self) -> str:
        return self.etag[:-1] + '-gzip"'

    @property
    def last_modified(self) -> str | None:
        return format_datetime(self.modified, usegmt=True) if self.modified else None


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
        self._bodies: OrderedDict[str, Cached] = OrderedDict()  # by `Publisher.key`
        self._lock = threading.Lock()
        self._namespace: str | None = None  # the UID namespace: never changes once read

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            return plain_response(
                start_response, "405 Method Not Allowed", [("Allow", "GET, HEAD")]
            )
        path = environ.get("PATH_INFO", "")
        head = method == "HEAD"
        try:
            if path.startswith(PAGE_PREFIX):  # the patient's page and handout (page.py)
                from schedule.calendars.page import serve_page

                return serve_page(self, path, environ, start_response, head)
            token = path[len(PATH_PREFIX) : -len(".ics")] if path.endswith(".ics") else ""
            if not path.startswith(PATH_PREFIX) or not TOKEN_SHAPE.fullmatch(token):
                return plain_response(start_response, "404 Not Found")
            return self.feed(token, environ, start_response, head)
        except (SQLAlchemyError, PrrtError) as exc:
            # The database's own text can hold a statement's parameters: log only its kind.
            cause = getattr(exc, "orig", None)
            kind = type(exc).__name__ + (f" ({type(cause).__name__})" if cause else "")
            environ["wsgi.errors"].write(f"prrt serve: the database failed: {kind}\n")
            return plain_response(
                start_response, "503 Service Unavailable", [("Retry-After", "60")]
            )

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
            state = tx.tokens.feed_state(token_hash(token))  # one query decides a 304
            if state is None:
                return plain_response(start_response, "404 Not Found")
            namespace = self._namespace or tx.published.namespace()
        owner = state.owner
        snapshot = Snapshot(
            namespace,
            [state.patient],
            {state.patient.id: state.courses},
            state.marks,
            state.revisions,
        )
        self._namespace = namespace
        titles = asked_titles(environ.get("QUERY_STRING", ""))
        key = publisher.key(snapshot, snapshot.patients[0], owner.with_name, titles)
        with self._lock:
            cached = self._bodies.get(key)
        if cached is None:
            calendar = publisher.patient(
                owner.patient_id, owner.with_name, titles, snapshot.namespace
            )
            body = calendar.text.encode("utf-8")
            key = calendar.key
            cached = Cached(calendar.etag, body, gzip.compress(body, mtime=0), calendar.modified)
            with self._lock:
                self._bodies[key] = cached
                while len(self._bodies) > self.cache_size:
                    self._bodies.popitem(last=False)
        zipped = _accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", ""))
        etag, body = (cached.gzip_etag, cached.gzipped) if zipped else (cached.etag, cached.body)
        stamp = [("Last-Modified", cached.last_modified)] if cached.last_modified else []
        if _not_modified(environ, cached):
            start_response("304 Not Modified", [("ETag", etag), *stamp, VARY, *COMMON])
            return []
        start_response(
            "200 OK",
            [
                ("Content-Type", CONTENT_TYPE),
                ("Content-Length", str(len(body))),
                *([("Content-Encoding", "gzip")] if zipped else []),
                ("ETag", etag),
                *stamp,
                VARY,
                ("Content-Disposition", 'inline; filename="calendar.ics"'),
                *COMMON,
            ],
        )
        return [] if head else [body]


def asked_titles(query: str) -> Titles | None:
    """The titles a link asks for (`?titles=plain`); None (the site's) for anything else."""
    asked = parse_qs(query).get("titles", [""])[-1]
    return Titles(asked) if asked in ("plain", "discreet") else None


def _etags(header: str) -> set[str]:
    tags = {t.strip() for t in header.split(",") if t.strip()}
    return tags | {t[2:] for t in tags if t.startswith("W/")}


def _not_modified(environ: dict[str, Any], cached: Cached) -> bool:
    """RFC 9110, 13.2.2: `If-None-Match` when present (`*`: the feed exists, as it does
    here; else a tag of either encoding), else `If-Modified-Since` against Last-Modified."""
    match = environ.get("HTTP_IF_NONE_MATCH")
    if match is not None:
        tags = _etags(match)
        return "*" in tags or bool(tags & {cached.etag, cached.gzip_etag})
    since = _http_date(environ.get("HTTP_IF_MODIFIED_SINCE", ""))
    if since is None or cached.modified is None:
        return False
    return cached.modified.replace(microsecond=0) <= since


def _http_date(text: str) -> datetime | None:
    """An HTTP date (IMF-fixdate, or the obsolete forms), in UTC; None when it is not one."""
    try:
        when = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)  # "-0000": UTC


def _accepts_gzip(header: str) -> bool:
    """Whether `Accept-Encoding` accepts gzip: named (or `*`) without `q=0`."""
    weights: dict[str, float] = {}
    for part in header.lower().split(","):
        name, *params = (p.strip() for p in part.split(";"))
        weight = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    weight = float(param[2:])
                except ValueError:
                    weight = 0.0
        if name:
            weights[name] = weight
    return weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0))) > 0


def plain_response(
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


# -- running it ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """What one server accepts. Feed requests are small GETs answered from memory or one read
    transaction, so a thread is needed only for a whole request; connections waiting on a slow
    or idle client cost a socket, not a thread, and are closed after `channel_timeout`."""

    threads: int = 16  # many phones at once: more threads answer more 304s a second
    connection_limit: int = 500  # open connections at once; more wait in the listen backlog
    channel_timeout: int = 20  # seconds a connection may stay idle or half-sent
    cleanup_interval: int = 5  # seconds between checks for idle connections
    backlog: int = 1024  # connections the system queues while the limit is reached
    max_request_header_size: int = 16_384  # bytes; a phone sends well under 2 KiB
    max_request_body_size: int = 1_024  # bytes; a feed request has no body


class Server(Protocol):
    effective_port: int

    def run(self) -> None: ...

    def close(self) -> None: ...


def listen(app: FeedApp, host: str, port: int, limits: Limits) -> Server:
    """A waitress server for `app` on `host:port`, not yet running; `OSError` when the address
    cannot be used (a port in use, no permission)."""
    from waitress.channel import HTTPChannel
    from waitress.server import BaseWSGIServer, create_server
    from waitress.task import WSGITask

    class KeepAliveTask(WSGITask):
        """Waitress closes every response without a Content-Length, including a 304, which must
        not carry one (RFC 9110); a 304 to an HTTP/1.1 client that did not ask to close keeps
        the connection, so a phone's next request reuses it."""

        def set_close_on_finish(self) -> None:
            keep = (
                self.status.startswith("304")
                and self.version == "1.1"
                and getattr(self.request, "headers", {}).get("CONNECTION", "").lower() != "close"
                and not self.close_on_finish
            )
            if not keep:
                super().set_close_on_finish()

    class KeepAliveChannel(HTTPChannel):
        task_class = KeepAliveTask

    # Waitress warns of its task queue's depth whenever every thread is busy: with many phones
    # asking at once that is every request, and writing the warning costs more than a 304.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    sockets: dict[int, Any] = {}
    try:
        server = create_server(
            app,
            map=sockets,
            host=host,
            port=port,
            ident="prrt",
            asyncore_use_poll=True,  # select() fails past 1024 open sockets
            **vars(limits),
        )
    except ValueError:  # waitress's word for a host that does not resolve or parse
        raise InputError(f"{host!r} is not a host name or address to listen on") from None
    for dispatcher in list(sockets.values()):
        if isinstance(dispatcher, BaseWSGIServer):
            dispatcher.channel_class = KeepAliveChannel
    return server  # type: ignore[return-value]  # every server type has these three
