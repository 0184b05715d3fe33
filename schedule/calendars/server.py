"""The feed server: a WSGI application that answers `GET /feeds/TOKEN.ics` with the patient's
calendar. Unknown, malformed and revoked tokens all get the same 404. Responses carry a strong
ETag (a hash of the calendar's text, never of the day) and `Last-Modified` (the latest
LAST-MODIFIED of its events). Conditional requests follow RFC 9110 (13.2.2): `If-None-Match`
decides when present (a matching tag, or `*` for a feed that exists, gets 304), else
`If-Modified-Since` does (304 when nothing changed since). A client that accepts gzip gets the
calendar gzipped (`Vary: Accept-Encoding`; the gzipped bytes have their own ETag, the text's
with `-gzip`, and either tag matches). A calendar is built, and gzipped, at most once per key
(the day, the facts: `Publisher.key`) while cached.
`?titles=plain` (or `discreet`) in the link chooses the titles for that patient's feed.

What a feed was last read as (its key and tags: `Known`) is kept with the store's change mark
(`store/changes.py`), the day and the wording's files: while none of them moved, a request is
decided from memory without a query; any write anywhere in the store (a dose, a revoke, by any
process) moves the mark, and the next request reads the token and its facts again in one query.
`FeedApp.quick` gives that answer without blocking when the mark is local (SQLite), so the HTTP
server (`http11.py`) can answer it at once instead of handing the request to a thread. A mark
that cannot be read at once (SQLite busy) is unknown and equals no other: the request goes to a
thread and reads the store, and nothing is answered from memory until the mark is read again.

Known limit: `Last-Modified` follows the events, so a change of the calendar's name alone (the
patient's name in a feed issued with it) leaves it as it was; the ETag changes.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy.exc import SQLAlchemyError

from schedule.calendars.feeds import PAGE_PREFIX, PATH_PREFIX, TOKEN_SHAPE, token_hash
from schedule.calendars.http11 import Answer, plain
from schedule.calendars.publisher import Publisher, Snapshot, site_digest
from schedule.domain.errors import PrrtError
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.i18n import catalogue
from schedule.patientview.titles import Titles
from schedule.store.changes import ChangeMark
from schedule.store.database import Store

StartResponse = Callable[..., Any]
CONTENT_TYPE = "text/calendar; charset=utf-8"
COMMON = [
    ("Cache-Control", "no-cache, private"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
]
VARY = ("Vary", "Accept-Encoding")
KNOWN = 16_384  # feeds remembered (a few hundred bytes each, no calendar text)


@dataclass(frozen=True)
class Tags:
    """What a conditional request is decided on: the calendar's ETag and when it last changed."""

    etag: str
    modified: datetime | None

    @cached_property
    def gzip_etag(self) -> str:
        return self.etag[:-1] + '-gzip"'

    @cached_property
    def last_modified(self) -> str | None:
        return format_datetime(self.modified, usegmt=True) if self.modified else None


@dataclass(frozen=True)
class Cached:
    """A calendar as served: its tags, its bytes and the same gzipped."""

    tags: Tags
    body: bytes
    gzipped: bytes


@dataclass(frozen=True)
class Known:
    """A feed as last read: valid while the store's change mark, the day and the wording's
    files are the same as then. `key` finds the calendar's bytes in the cache."""

    mark: object
    today: date
    lang: str
    sources: tuple[tuple[str, int], ...]
    patient_id: str
    with_name: bool
    key: str
    tags: Tags | None  # None: read, not built yet


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
        self._known: OrderedDict[tuple[str, Titles | None], Known] = OrderedDict()
        self._lock = threading.Lock()
        self._namespace: str | None = None  # the UID namespace: never changes once read
        self.changes = ChangeMark(store)

    def before_fork(self) -> None:
        """In the process about to fork workers: no connection open, so none crosses a fork."""
        self.changes.close()
        self.store.engine.dispose()

    def after_fork(self) -> None:
        """In a forked worker: new connections, the same memory (a fork copies it)."""
        self.store.after_fork()
        self.changes = ChangeMark(self.store)
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the connection the change mark is read through (the store is the caller's)."""
        self.changes.close()

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
            token = feed_token(path)
            if token is None:
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

    def quick(self, environ: dict[str, Any]) -> Answer | None:
        """The answer to a feed request from memory, when the change mark is local (so
        checking it waits on nothing) and the feed is known and unchanged; else None, and the
        request goes to the application in a thread."""
        if not self.changes.local or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        token = feed_token(environ.get("PATH_INFO", ""))
        if token is None:
            return None
        titles = asked_titles(environ.get("QUERY_STRING", ""))
        known = self._recall(token_hash(token), titles)
        if known is None:
            return None
        return self._answer(known, environ, environ["REQUEST_METHOD"] == "HEAD")

    def feed(
        self, token: str, environ: dict[str, Any], start_response: StartResponse, head: bool
    ) -> Iterable[bytes]:
        titles = asked_titles(environ.get("QUERY_STRING", ""))
        hashed = token_hash(token)
        known = self._recall(hashed, titles) or self._read(hashed, titles)
        if known is None:
            return plain_response(start_response, "404 Not Found")
        answer = self._answer(known, environ, head)
        if answer is None:  # not built yet, or no longer in the cache
            answer = self._answer(known, environ, head, self._build(known, hashed, titles))
        assert answer is not None
        status, headers, body = answer
        start_response(status, headers)
        return [body]

    # -- memory --------------------------------------------------------------------------------

    def _recall(self, hashed: str, titles: Titles | None) -> Known | None:
        """What is known of the feed, if it is still true now."""
        with self._lock:
            known = self._known.get((hashed, titles))
        if known is None or known.today != self.clock().astimezone().date():
            return None
        if catalogue(known.lang, self.settings).sources != known.sources:
            return None  # the site's wording files changed
        return known if self.changes.read() == known.mark else None

    def _read(self, hashed: str, titles: Titles | None) -> Known | None:
        """The feed's state from the store, in one query; None for an unknown or revoked one."""
        mark = self.changes.read()  # before the read: a write after it moves the mark
        now = self.clock()
        publisher = self._publisher(now)
        with self.store.read() as tx:
            state = tx.tokens.feed_state(hashed)  # one query
            if state is None:
                return None
            namespace = self._namespace or tx.published.namespace()
        self._namespace = namespace
        patient, owner = state.patient, state.owner
        snapshot = Snapshot(
            namespace, [patient], {patient.id: state.courses}, state.marks, state.revisions
        )
        key = publisher.key(snapshot, patient, owner.with_name, titles)
        with self._lock:
            cached = self._bodies.get(key)
        words = publisher.words(patient)
        known = Known(
            mark, now.astimezone().date(), words.lang, words.sources,
            owner.patient_id, owner.with_name, key, cached.tags if cached else None,
        )  # fmt: skip
        if cached is not None:
            self._remember(hashed, titles, known)
        return known

    def _build(self, known: Known, hashed: str, titles: Titles | None) -> Cached:
        """Build the calendar of a feed known now, keep it, and remember its tags."""
        namespace = self._namespace
        publisher = self._publisher(self.clock())
        calendar = publisher.patient(known.patient_id, known.with_name, titles, namespace)
        body = calendar.text.encode("utf-8")
        tags = Tags(calendar.etag, calendar.modified)
        cached = Cached(tags, body, gzip.compress(body, mtime=0))
        with self._lock:
            self._bodies[calendar.key] = cached
            while len(self._bodies) > self.cache_size:
                self._bodies.popitem(last=False)
        # Publishing can raise the courses' revisions, which are part of the key: keep the
        # calendar's own. (That write moves the mark: the next request reads the feed again.)
        self._remember(hashed, titles, replace(known, key=calendar.key, tags=tags))
        return cached

    def _remember(self, hashed: str, titles: Titles | None, known: Known) -> None:
        with self._lock:
            self._known[(hashed, titles)] = known
            self._known.move_to_end((hashed, titles))
            while len(self._known) > KNOWN:
                self._known.popitem(last=False)

    def _publisher(self, now: datetime) -> Publisher:
        return Publisher(
            self.store,
            self.catalog,
            self.settings,
            now.astimezone().date(),
            now,
            known_site_digest=self.site_digest,
        )

    def _answer(
        self, known: Known, environ: dict[str, Any], head: bool, cached: Cached | None = None
    ) -> Answer | None:
        """The response to a feed known now: a 304, or the calendar when its bytes are in the
        cache; None when they must be built first."""
        tags = cached.tags if cached else known.tags
        if tags is None:
            return None  # read, not built yet
        zipped = _accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", ""))
        etag = tags.gzip_etag if zipped else tags.etag
        stamp = tags.last_modified
        dated = [("Last-Modified", stamp)] if stamp else []
        if _not_modified(environ, tags):
            return "304 Not Modified", [("ETag", etag), *dated, VARY, *COMMON], b""
        if cached is None:
            with self._lock:
                cached = self._bodies.get(known.key)
            if cached is None:
                return None
        body = cached.gzipped if zipped else cached.body
        headers = [
            ("Content-Type", CONTENT_TYPE),
            ("Content-Length", str(len(body))),
            *([("Content-Encoding", "gzip")] if zipped else []),
            ("ETag", etag),
            *dated,
            VARY,
            ("Content-Disposition", 'inline; filename="calendar.ics"'),
            *COMMON,
        ]
        return "200 OK", headers, b"" if head else body


def feed_token(path: str) -> str | None:
    """The token of a feed's path (`/feeds/TOKEN.ics`); None for any other path."""
    token = path[len(PATH_PREFIX) : -len(".ics")] if path.endswith(".ics") else ""
    if not path.startswith(PATH_PREFIX) or not TOKEN_SHAPE.fullmatch(token):
        return None
    return token


def asked_titles(query: str) -> Titles | None:
    """The titles a link asks for (`?titles=plain`); None (the site's) for anything else."""
    if not query:
        return None
    asked = parse_qs(query).get("titles", [""])[-1]
    return Titles(asked) if asked in ("plain", "discreet") else None


def _etags(header: str) -> set[str]:
    tags = {t.strip() for t in header.split(",") if t.strip()}
    return tags | {t[2:] for t in tags if t.startswith("W/")}


def _not_modified(environ: dict[str, Any], tags: Tags) -> bool:
    """RFC 9110, 13.2.2: `If-None-Match` when present (`*`: the feed exists, as it does
    here; else a tag of either encoding), else `If-Modified-Since` against Last-Modified."""
    match = environ.get("HTTP_IF_NONE_MATCH")
    if match is not None:
        sent = _etags(match)
        return "*" in sent or tags.etag in sent or tags.gzip_etag in sent
    since = _http_date(environ.get("HTTP_IF_MODIFIED_SINCE", ""))
    if since is None or tags.modified is None:
        return False
    return tags.modified.replace(microsecond=0) <= since


def _http_date(text: str) -> datetime | None:
    """An HTTP date (IMF-fixdate, or the obsolete forms), in UTC; None when it is not one."""
    try:
        when = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)  # "-0000": UTC


def _accepts_gzip(header: str) -> bool:
    """Whether `Accept-Encoding` accepts gzip: named (or `*`) without `q=0`."""
    if not header:
        return False
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
    status, headers, body = plain(status, [*(extra or []), *COMMON])
    start_response(status, headers)
    return [body]
