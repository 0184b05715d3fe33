"""The feeds: `GET /feeds/TOKEN.ics` answered with the patient's calendar, whatever serves HTTP
(`asgi.py`). Unknown, malformed and revoked tokens all get the same 404. Responses carry a
strong ETag (a hash of the calendar's bytes) and, once it is at least a second old,
`Last-Modified` (the latest LAST-MODIFIED of its events). Conditional requests follow RFC 9110
(13.2.2): `If-None-Match` decides when present (a matching tag, or `*` for a feed that exists,
gets 304), else `If-Modified-Since` does. A client that accepts gzip gets the calendar gzipped
(`Vary: Accept-Encoding`; the gzipped bytes have their own ETag, the text's with `-gzip`, and
either tag matches). `?titles=plain` (or `discreet`) in the link chooses the titles.

Serving only reads. Each event's SEQUENCE and time come from what the writes that changed the
schedule remembered (`calendars/memory.py`), so any number of servers on one database give the
same bytes and tags for the same feed, and asking for one form of a feed never changes another.

What a feed was last read as (its key and tags: `Known`) is kept with the store's change mark
(`store/fastpath.py`), the day and the wording's files: while none of them moved, a request is
answered from memory without a query (`quick`, when the mark is local: SQLite); any write
anywhere in the store moves the mark, and the next request reads the token and its facts again
in one query. A calendar is built, and gzipped, at most once per key (`Publisher.key`) while
cached.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from functools import cached_property
from typing import NamedTuple
from urllib.parse import parse_qs

from schedule.calendars.feeds import PATH_PREFIX, TOKEN_SHAPE, token_hash
from schedule.calendars.publisher import Publisher, Snapshot, site_digest
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.i18n import catalogue
from schedule.patientview.titles import Titles
from schedule.services.calendars import Form, patient_calendar
from schedule.store.changemark import ChangeMark
from schedule.store.database import Store

CONTENT_TYPE = "text/calendar; charset=utf-8"
COMMON = [
    ("Cache-Control", "no-cache, private"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
]
VARY = ("Vary", "Accept-Encoding")
KNOWN = 16_384  # feeds remembered (a few hundred bytes each, no calendar text)
STRONG_AFTER = timedelta(seconds=1)  # RFC 9110, 8.8.2.2: a time at least this old is strong


class Request(NamedTuple):
    """What a feed or page request is decided on: the method, the path, the query string and
    the headers (names in lower case)."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]

    @property
    def head(self) -> bool:
        return self.method == "HEAD"


class Answer(NamedTuple):
    status: int
    headers: list[tuple[str, str]]
    body: bytes


REASONS = {200: "OK", 304: "Not Modified", 404: "Not Found", 405: "Method Not Allowed",
           503: "Service Unavailable"}  # fmt: skip


def plain(status: int, extra: list[tuple[str, str]] | None = None, head: bool = False) -> Answer:
    """A short text answer (a 404, a 503): its reason phrase as the body."""
    body = f"{REASONS.get(status, '')}\n".encode("ascii")
    headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
        *(extra or []),
        *COMMON,
    ]
    return Answer(status, headers, b"" if head else body)


@dataclass(frozen=True)
class Tags:
    """What a conditional request is decided on: the calendar's ETag and when it last changed."""

    etag: str
    modified: datetime | None

    @cached_property
    def gzip_etag(self) -> str:
        return self.etag[:-1] + '-gzip"'

    def last_modified(self, now: datetime) -> str | None:
        """`Last-Modified`, only once the time is a second older than `now` (the response's
        Date): a change later in the same second then always shows as a later time."""
        if self.modified is None or now - self.modified < STRONG_AFTER:
            return None
        return format_datetime(self.modified.astimezone(UTC), usegmt=True)


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


class Feeds:
    """The feeds of one store. `clock()` gives the current time (aware); today is its date in
    the server's zone. Safe to call from several threads."""

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

    def close(self) -> None:
        """Close the connection the change mark is read through (the store is the caller's)."""
        self.changes.close()

    def quick(self, request: Request) -> Answer | None:
        """The answer to a feed request from memory, when the change mark is local (so
        checking it waits on nothing) and the feed is known and unchanged; else None, and the
        request goes to `answer` in a thread."""
        if not self.changes.local:
            return None
        token = feed_token(request.path)
        if token is None:
            return None
        known = self._recall(token_hash(token), asked_titles(request.query))
        return None if known is None else self._answer(known, request)

    def answer(self, token: str, request: Request) -> Answer:
        """The answer to a feed request, reading the store when memory does not tell."""
        titles = asked_titles(request.query)
        hashed = token_hash(token)
        known = self._recall(hashed, titles) or self._read(hashed, titles)
        if known is None:
            return plain(404, head=request.head)
        answer = self._answer(known, request)
        if answer is None:  # not built yet, or no longer in the cache
            answer = self._answer(known, request, self._build(known, hashed, titles))
        assert answer is not None
        return answer

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
        now = self.clock()
        form = Form(known.with_name, titles)
        calendar = patient_calendar(
            self.store, self.catalog, self.settings, now.astimezone().date(), now,
            known.patient_id, form, self._namespace,
        )  # fmt: skip
        body = calendar.text.encode("utf-8")
        tags = Tags(calendar.etag, calendar.modified)
        cached = Cached(tags, body, gzip.compress(body, mtime=0))
        with self._lock:
            self._bodies[calendar.key] = cached
            while len(self._bodies) > self.cache_size:
                self._bodies.popitem(last=False)
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
        self, known: Known, request: Request, cached: Cached | None = None
    ) -> Answer | None:
        """The response to a feed known now: a 304, or the calendar when its bytes are in the
        cache; None when they must be built first."""
        tags = cached.tags if cached else known.tags
        if tags is None:
            return None  # read, not built yet
        zipped = accepts_gzip(request.headers.get("accept-encoding", ""))
        etag = tags.gzip_etag if zipped else tags.etag
        stamp = tags.last_modified(self.clock())
        dated = [("Last-Modified", stamp)] if stamp else []
        if not_modified(request.headers, tags, stamp):
            return Answer(304, [("ETag", etag), *dated, VARY, *COMMON], b"")
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
        return Answer(200, headers, b"" if request.head else body)


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


def not_modified(headers: Mapping[str, str], tags: Tags, last_modified: str | None) -> bool:
    """RFC 9110, 13.2.2: `If-None-Match` when present (`*`: the feed exists, as it does
    here; else a tag of either encoding), else `If-Modified-Since` against the time, only when
    that time is strong enough to be given as `Last-Modified` now."""
    match = headers.get("if-none-match")
    if match is not None:
        sent = _etags(match)
        return "*" in sent or tags.etag in sent or tags.gzip_etag in sent
    since = http_date(headers.get("if-modified-since", ""))
    if since is None or tags.modified is None or last_modified is None:
        return False
    return tags.modified.replace(microsecond=0) <= since


def http_date(text: str) -> datetime | None:
    """An HTTP date (IMF-fixdate, or the obsolete forms), in UTC; None when it is not one."""
    try:
        when = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)  # "-0000": UTC


def accepts_gzip(header: str) -> bool:
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
