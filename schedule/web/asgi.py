"""The feed server's ASGI application: `GET /feeds/TOKEN.ics` (`feeds.py`), the patient's page
under `/p/TOKEN` (`page.py`) and `GET /healthz` for a load balancer. An established ASGI server
runs it (`serve.py`: uvicorn); this module decides what each request gets, and bounds every wait:

- What memory can answer (a known feed on SQLite, whose change mark is read without waiting on
  a server) and every request that needs no database (a malformed token's 404, a 405) is
  answered on the event loop at once.
- Everything else runs in a pool of `Limits.threads` threads, at most `Limits.queue` at a time
  (running or waiting): beyond that, a request gets 503 with `Retry-After` at once. Each has
  `Limits.deadline` seconds: past it the client gets the 503, whatever the thread still waits
  on. The store itself gives up on a database that does not answer (`SERVER_WAITS`), so a
  thread waits at most that long.
- A database that fails gets 503 with `Retry-After`; the log names only the kind of failure
  (the database's own text can hold a statement's parameters).

`create()` builds the application in a server's worker process from what `prrt serve` put in
the environment (`ENVIRONMENT`): several workers, or several machines, each build their own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from schedule.calendars.feeds import PAGE_PREFIX
from schedule.web.feeds import Answer, Feeds, Request, feed_token, plain

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

ENVIRONMENT = "PRRT_SERVE"  # what `prrt serve` hands to each worker process (JSON)
RETRY = [("Retry-After", "30")]
log = logging.getLogger("prrt.serve")


@dataclass(frozen=True)
class Limits:
    """What one server process takes on at once, and how long a request may take."""

    threads: int = 16  # requests that read the database or build, at once
    queue: int = 64  # requests in the threads or waiting for one; beyond: 503 at once
    deadline: float = 10.0  # seconds a request may take before its client gets a 503


@dataclass(frozen=True)
class Site:
    """Where a worker finds everything: the database, the site's files, the public address."""

    db: str
    config_dir: str
    regimen_files: tuple[str, ...] = ()
    base_url: str | None = None
    limits: Limits = field(default_factory=Limits)


class FeedServer:
    """The ASGI application (see the module)."""

    def __init__(self, feeds: Feeds, limits: Limits, base_url: str | None = None) -> None:
        self.feeds = feeds
        self.limits = limits
        self.base_url = base_url or feeds.settings.feed_base_url
        self._pool = ThreadPoolExecutor(limits.threads, thread_name_prefix="prrt-serve")
        self._busy = 0  # requests given to the pool and not finished
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        request = Request(
            scope["method"], scope["path"], scope["query_string"].decode("latin-1"), headers
        )
        answer = await self.respond(request)
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers],
            }
        )
        await send({"type": "http.response.body", "body": answer.body})

    async def respond(self, request: Request) -> Answer:
        if request.method not in ("GET", "HEAD"):
            return plain(405, [("Allow", "GET, HEAD")], request.head)
        if request.path == "/healthz":
            return await self._in_thread(self._health, request)
        if request.path.startswith(PAGE_PREFIX):
            from schedule.web.page import page_request

            found = page_request(request.path)
            if found is None:
                return plain(404, head=request.head)
            return await self._in_thread(self._page, *found, request)
        token = feed_token(request.path)
        if token is None:
            return plain(404, head=request.head)
        quick = self.feeds.quick(request)
        if quick is not None:
            return quick
        return await self._in_thread(self.feeds.answer, token, request)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.feeds.close()

    # -- work in threads -----------------------------------------------------------------------

    async def _in_thread(self, work: Callable[..., Answer], *args: Any) -> Answer:
        request: Request = args[-1]  # every piece of work takes the request last
        with self._lock:
            if self._busy >= self.limits.queue:
                return plain(503, RETRY, request.head)
            self._busy += 1
        future: Future[Answer] = self._pool.submit(self._guarded, work, *args)
        future.add_done_callback(self._done)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.limits.deadline)
        except TimeoutError:
            log.warning("prrt serve: a request took over %ss: answered 503", self.limits.deadline)
            return plain(503, RETRY, request.head)

    def _done(self, _future: Future[Answer]) -> None:
        with self._lock:
            self._busy -= 1

    def _guarded(self, work: Callable[..., Answer], *args: Any) -> Answer:
        """`work(*args)`, with a database that fails answered 503 (see the module)."""
        from sqlalchemy.exc import SQLAlchemyError

        from schedule.domain.errors import PrrtError

        request: Request = args[-1]
        try:
            return work(*args)
        except (SQLAlchemyError, PrrtError) as exc:
            cause = getattr(exc, "orig", None)
            kind = type(exc).__name__ + (f" ({type(cause).__name__})" if cause else "")
            log.warning("prrt serve: the database failed: %s", kind)
            return plain(503, RETRY, request.head)

    def _health(self, request: Request) -> Answer:
        """200 when the database answers a query now, else (through `_guarded`) 503."""
        from sqlalchemy import text

        with self.feeds.store.read() as tx:
            tx.conn.execute(text("SELECT 1")).scalar_one()
        body = b"" if request.head else b"ok\n"
        headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "3")]
        return Answer(200, [*headers, ("Cache-Control", "no-store")], body)

    def _page(self, token: str, pdf: bool, request: Request) -> Answer:
        from schedule.web.page import answer_page

        return answer_page(self.feeds, self.base_url, token, pdf, request)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


def create(now: Callable[[], datetime]) -> FeedServer:
    """The application of one worker process, from `ENVIRONMENT` (set by the server's runner),
    on the caller's clock `now` (uvicorn calls the caller's factory in each worker)."""
    from schedule.domain.regimen_file import load_catalog
    from schedule.domain.settings import read_settings
    from schedule.store.database import SERVER_WAITS, Store

    site = site_from(os.environ[ENVIRONMENT])
    config = Path(site.config_dir)
    settings = read_settings(config / "config.toml")
    catalog = load_catalog([config / "regimens"], [Path(p) for p in site.regimen_files])
    store = Store.open(site.db, now().isoformat(), create=False, waits=SERVER_WAITS)
    return FeedServer(Feeds(store, catalog, settings, now), site.limits, site.base_url)


def site_to(site: Site) -> str:
    return json.dumps(asdict(site))


def site_from(text: str) -> Site:
    raw = json.loads(text)
    return Site(
        raw["db"],
        raw["config_dir"],
        tuple(raw["regimen_files"]),
        raw["base_url"],
        Limits(**raw["limits"]),
    )
