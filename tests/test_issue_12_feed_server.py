"""Issue 12: feed 304s at scale. The server remembers each feed with the store's change mark, so
a 304 reads no table while nothing was written, and any write (by any process) is seen by the
next request; its own HTTP/1.1 server answers those from the event loop, and `--workers`
processes share the port. All on 127.0.0.1 only; no test measures time."""

from __future__ import annotations

import asyncio
import errno
import http.client
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from schedule.calendars.feeds import issue, revoke
from schedule.calendars.http11 import Connection, Site
from schedule.calendars.server import FeedApp
from schedule.calendars.serving import Limits, default_workers, listen
from schedule.calendars.workers import SETTLED, backoff, can_fork
from schedule.domain.errors import OutputError
from schedule.domain.regimen_file import load_catalog
from schedule.domain.settings import Settings
from schedule.store.changes import ChangeMark
from schedule.store.database import Store
from tests.conftest import ROOT, actor, start_server
from tests.test_issue_11_calendars import sample_clinic, wsgi

pytestmark = pytest.mark.usefixtures("config_dir")
BOUND = 15.0  # seconds: a generous bound on liveness, never a timing measurement
LINUX = sys.platform.startswith("linux")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = Store.open(db_url, "2026-11-23T00:00:00Z")
    yield opened
    opened.close()


def other_store(db_url: str) -> Store:
    """The same database through connections of its own, as another process would have."""
    return Store.open(db_url, "2026-11-23T00:00:00Z")


# -- the change mark ---------------------------------------------------------------------------


def test_the_change_mark_moves_with_every_commit_and_only_then(
    run, db_url: str, store: Store
) -> None:  # type: ignore[no-untyped-def]
    sample_clinic(run, db_url)
    mark = ChangeMark(store)
    assert mark.local == (store.dialect == "sqlite")
    first = mark.read()
    with store.read() as tx:
        tx.patients()
    if store.dialect == "sqlite":  # PostgreSQL's covers the whole server, where others write
        assert mark.read() == first
    other = other_store(db_url)
    try:
        issue(other, "NET-003", False, actor(), lambda _token: None)
        assert mark.read() != first
        second = mark.read()
        with store.write() as tx:  # through the pool of the store the mark reads
            tx.tokens.revoke_tokens("NET-003", actor())
        assert mark.read() != second
        # As after an error: read on a new connection, where SQLite's count starts over.
        mark.close()
        fresh = mark.read()
        assert mark.read() == fresh
        mark.close()
        assert mark.read() != fresh
    finally:
        other.close()
        mark.close()


def test_a_revoke_is_seen_after_the_mark_reads_on_a_new_connection(
    run, db_url: str, store: Store
) -> None:  # type: ignore[no-untyped-def]
    app, token, _ = _app(run, db_url, store)
    path = f"/feeds/{token}.ics"
    etag = wsgi(app, path)[1]["ETag"]
    assert wsgi(app, path, if_none_match=etag)[0] == "304 Not Modified"  # remembered
    app.changes.close()  # dropped after an error: the next read opens another connection
    other = other_store(db_url)
    try:
        revoke(other, "NET-003", actor())
        # More writes elsewhere: the new connection's count climbs back to where the old one
        # was when the feed was remembered. Never the same mark: the link stays dead.
        for _ in range(12):
            assert wsgi(app, path, if_none_match=etag)[0] == "404 Not Found"
            issue(other, "NET-001", False, actor(), lambda _token: None)
            revoke(other, "NET-001", actor())
    finally:
        other.close()


def test_a_busy_sqlite_sends_the_request_to_a_thread_never_stale(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """SQLite only: PostgreSQL's mark is never read on the event loop."""
    db_url = str(tmp_path / "busy.db")
    store = Store.open(db_url, "x")
    try:
        _busy_sqlite(run, db_url, store)
    finally:
        store.close()


def _busy_sqlite(run, db_url: str, store: Store) -> None:  # type: ignore[no-untyped-def]
    app, token, _ = _app(run, db_url, store)
    path = f"/feeds/{token}.ics"
    etag = wsgi(app, path)[1]["ETag"]
    wsgi(app, path, if_none_match=etag)  # read again after its own publishing: remembered
    asked = environ(path, if_none_match=etag)
    assert app.quick(asked) is not None
    # Another program holds the database so that no one may read it (exclusive locking mode),
    # and the mark has to read it anew: the event loop must not wait the store's 60 s for it.
    app.changes.close()
    store.engine.dispose()
    holder = sqlite3.connect(db_url, isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("SELECT count(*) FROM sqlite_master").fetchone()
        done: list[Any] = []
        asking = threading.Thread(target=lambda: done.append(app.quick(asked)), daemon=True)
        asking.start()
        asking.join(BOUND)
        assert done == [None]  # the mark unknown: to a thread, never answered from memory
    finally:
        holder.close()
    assert app.quick(asked) is None  # a mark of another connection: read again first
    assert wsgi(app, path, if_none_match=etag)[0] == "304 Not Modified"
    assert app.quick(asked) is not None


# -- the feed, remembered ----------------------------------------------------------------------


def _app(run, db_url: str, store: Store) -> tuple[FeedApp, str, dict[str, datetime]]:  # type: ignore[no-untyped-def]
    sample_clinic(run, db_url)
    tokens: list[str] = []
    issue(store, "NET-003", False, actor(), tokens.append)
    clock = {"now": datetime(2026, 11, 24, 9, 0, tzinfo=UTC)}
    return FeedApp(store, load_catalog(), Settings(), lambda: clock["now"]), tokens[0], clock


def _statements(store: Store) -> tuple[list[str], Callable[[], None]]:
    seen: list[str] = []

    def saw(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement.split()[0].upper())

    event.listen(store.engine, "before_cursor_execute", saw)
    return seen, lambda: event.remove(store.engine, "before_cursor_execute", saw)


def environ(path: str, **headers: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
    }


def test_a_304_reads_no_table_until_something_is_written(run, db_url: str, store: Store) -> None:  # type: ignore[no-untyped-def]
    app, token, _ = _app(run, db_url, store)
    path = f"/feeds/{token}.ics"
    status, headers, body = wsgi(app, path)
    etag = headers["ETag"]
    assert status == "200 OK"
    # Publishing it stored its SEQUENCEs: a write, so the next request reads the feed again.
    assert wsgi(app, path, if_none_match=etag)[0] == "304 Not Modified"
    seen, stop = _statements(store)
    try:
        again = wsgi(app, path, if_none_match=etag)
        assert again[0] == "304 Not Modified"
        if store.dialect == "sqlite":  # PostgreSQL's mark moves with other tests' writes too
            assert seen == []
        assert wsgi(app, path) == (status, headers, body)  # the calendar, from memory
        seen.clear()
        # Another patient added, by another process: the mark moved; one query, still a 304.
        other = other_store(db_url)
        try:
            added = run("--db", db_url, "patient", "add", "NEW-1", "--regimen", "lanreotide",
                        "--start", "2026-11-02", "--past-start")  # fmt: skip
            assert added.exit_code == 0, added.stderr
            assert wsgi(app, path, if_none_match=etag)[0] == "304 Not Modified"
            assert seen.count("SELECT") == 1
            assert not {"INSERT", "UPDATE", "DELETE"} & set(seen)
            # The patient's calendar changed (its language): seen by the very next request.
            edited = run("--db", db_url, "patient", "edit", "NET-003", "--lang", "de")
            assert edited.exit_code == 0, edited.stderr
            changed = wsgi(app, path, if_none_match=etag)
            assert changed[0] == "200 OK"
            assert changed[1]["ETag"] != etag
            # The link revoked elsewhere: the next request gets the 404, the one for any link.
            revoke(other, "NET-003", actor())
            assert wsgi(app, path, if_none_match=changed[1]["ETag"])[::2] == (
                "404 Not Found",
                b"Not Found\n",
            )
        finally:
            other.close()
    finally:
        stop()


def test_quick_answers_what_the_application_would_from_memory_on_sqlite(
    run, db_url: str, store: Store
) -> None:  # type: ignore[no-untyped-def]
    app, token, clock = _app(run, db_url, store)
    path = f"/feeds/{token}.ics"
    assert app.quick(environ(path)) is None  # never read: to a thread
    _, headers, _ = wsgi(app, path)
    etag = headers["ETag"]
    wsgi(app, path, if_none_match=etag)  # read again after its own publishing
    asked = {"if_none_match": etag}
    quick = app.quick(environ(path, **asked))
    if store.dialect == "postgresql":  # its mark is a round trip: never on the event loop
        assert quick is None
        return
    assert quick is not None
    assert (quick[0], dict(quick[1]), quick[2]) == wsgi(app, path, **asked)
    full = app.quick(environ(path, accept_encoding="gzip"))
    assert full is not None
    assert (full[0], dict(full[1]), full[2]) == wsgi(app, path, accept_encoding="gzip")
    head = app.quick({**environ(path), "REQUEST_METHOD": "HEAD"})
    assert head is not None
    assert (head[0], dict(head[1]), head[2]) == ("200 OK", headers, b"")
    assert app.quick(environ(f"/feeds/{'A' * 32}.ics")) is None  # unknown: to a thread
    assert app.quick({**environ(path), "REQUEST_METHOD": "POST"}) is None
    assert app.quick(environ(f"/p/{token}")) is None  # the page reads the store each time
    clock["now"] = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a new day: read again
    assert app.quick(environ(path, **asked)) is None
    assert wsgi(app, path, **asked)[0] in ("200 OK", "304 Not Modified")
    other = other_store(db_url)
    try:
        revoke(other, "NET-003", actor())
    finally:
        other.close()
    assert app.quick(environ(path, **asked)) is None
    assert wsgi(app, path, **asked)[0] == "404 Not Found"


# -- the HTTP server ---------------------------------------------------------------------------


@pytest.fixture
def feed_server(run, db_url: str) -> Iterator[Callable[..., tuple[Any, int, str]]]:  # type: ignore[no-untyped-def]
    """Starts `prrt serve` with the options given; gives the process, its port and the path
    of P1's feed."""
    added = run("--db", db_url, "patient", "add", "P1", "--regimen", "lutathera",
                "--start", "2026-11-02", "--past-start")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    processes = []

    def serve(*options: str) -> tuple[Any, int, str]:
        process, port = start_server(db_url, *options)
        processes.append(process)
        run("--db", db_url, "feed", "revoke", "P1")
        link = run("--db", db_url, "feed", "url", "P1", "--base", f"http://127.0.0.1:{port}")
        assert link.exit_code == 0, link.stderr
        return process, port, "/" + link.stdout.splitlines()[0].split("/", 3)[3]

    try:
        yield serve
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=BOUND)


def exchange(port: int, data: bytes, *, shut: bool = True) -> bytes:
    """What the server answers to `data` sent at once on a new connection, read until the
    server closes it (the client closes its sending side after `data`, unless not `shut`)."""
    with socket.create_connection(("127.0.0.1", port), BOUND) as sock:
        sock.sendall(data)
        if shut:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return re.sub(rb"Date: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} [\d:]{8} GMT\r\n", b"",
                  b"".join(chunks))  # fmt: skip


NOT_FOUND = (
    b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: 10\r\nCache-Control: no-cache, private\r\n"
    b"X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n\r\nNot Found\n"
)


def refused(status: str) -> bytes:
    reason = status.split(" ", 1)[1]
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(reason) + 1}\r\nConnection: close\r\n\r\n{reason}\n"
    ).encode("ascii")


def test_requests_in_order_and_bad_ones_refused_with_the_connection_closed(
    feed_server: Callable[..., tuple[Any, int, str]],
) -> None:
    _, port, path = feed_server("--workers", "1")
    unknown = f"/feeds/{'A' * 32}.ics".encode()
    get = b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n"
    # Pipelined: answered in order, the feed from a thread between two 404s.
    answer = exchange(port, get % unknown + get % path.encode() + get % b"/nothing")
    first, rest = answer[: len(NOT_FOUND)], answer[len(NOT_FOUND) :]
    assert first == NOT_FOUND
    assert rest.startswith(b"HTTP/1.1 200 OK\r\nContent-Type: text/calendar; charset=utf-8\r\n")
    assert rest.endswith(b"END:VCALENDAR\r\n" + NOT_FOUND)
    for sent, status in [
        (b"GET /\r\n\r\n", "400 Bad Request"),
        (b"GET / HTTP/1.1\r\n\r\n", "400 Bad Request"),  # no Host
        (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", "400 Bad Request"),
        (b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", "400 Bad Request"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", "400 Bad Request"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
         "400 Bad Request"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", "400 Bad Request"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: " + b"1" * 5000 + b"\r\n\r\n",
         "413 Content Too Large"),  # more digits than int() reads: still one line of answer
        (b"GET / HTTP/1.1\nHost: x\nX: a\rb\n\n", "400 Bad Request"),  # a bare CR, LF heads too
        (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", "505 HTTP Version Not Supported"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
         "411 Length Required"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n\r\n" + b"x" * 1025,
         "413 Content Too Large"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"x" * 17_000 + b"\r\n\r\n",
         "431 Request Header Fields Too Large"),
    ]:  # fmt: skip
        assert exchange(port, sent + get % unknown) == refused(status), sent[:60]
    # A small body is read and the method refused; the connection goes on.
    post = b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"
    post %= path.encode()
    answer = exchange(port, post + get % unknown)
    assert answer.startswith(b"HTTP/1.1 405 Method Not Allowed\r\n")
    assert b"Allow: GET, HEAD\r\n" in answer
    assert answer.endswith(b"Method Not Allowed\n" + NOT_FOUND)
    padded = post.replace(b"Length: 3", b"Length: " + b"0" * 5000 + b"3")  # the same length
    assert exchange(port, padded + get % unknown) == answer
    # HTTP/1.0 closes after its answer unless it asks to keep the connection.
    assert exchange(port, b"GET /x HTTP/1.0\r\n\r\n" + get % unknown) == NOT_FOUND.replace(
        b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"
    )
    kept = exchange(port, b"GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + get % unknown)
    assert kept == NOT_FOUND.replace(b"\r\n\r\n", b"\r\nConnection: keep-alive\r\n\r\n") + NOT_FOUND


def test_lines_that_end_in_lf_alone_are_read_as_lines(
    feed_server: Callable[..., tuple[Any, int, str]],
) -> None:
    _, port, path = feed_server("--workers", "1")
    unknown = f"/feeds/{'A' * 32}.ics".encode()
    closing = NOT_FOUND.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
    # Answered at once, the connection still open on the client's side (RFC 9112, 2.2).
    lf = b"GET %s HTTP/1.1\nHost: x\nConnection: close\n\n" % unknown
    assert exchange(port, lf, shut=False) == closing
    # Pipelined, each request with its own line ends, the feed's among them.
    heads = [
        b"GET %s HTTP/1.1\nHost: x\n\n",
        b"\nGET %s HTTP/1.1\r\nHost: x\r\n\r\n",  # an empty line before a request: skipped
        b"GET %s HTTP/1.1\r\nHost: x\n\r\n",
        b"GET %s HTTP/1.1\nHost: x\r\n\n",
    ]
    answer = exchange(port, b"".join(h % unknown for h in heads) + heads[0] % path.encode())
    assert answer.startswith(NOT_FOUND * 4 + b"HTTP/1.1 200 OK\r\n")
    assert answer.endswith(b"END:VCALENDAR\r\n")


def test_while_stopping_an_answer_from_memory_closes_the_connection() -> None:
    loop = asyncio.new_event_loop()
    try:
        site = Site(
            app=lambda environ, start_response: [],
            quick=lambda environ: ("304 Not Modified", [("ETag", '"x"')], b""),
            loop=loop,
            run=lambda work: loop.run_in_executor(None, work),
            environ={},
            header_limit=16_384,
            body_limit=1_024,
        )
        sent = Transport()
        conn = Connection(site)
        conn.connection_made(sent)
        conn.data_received(b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (b"Connection: close" in sent.data, sent.ended) == (False, False)
        site.stopping = True
        conn.data_received(b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sent.data.count(b"HTTP/1.1 304 Not Modified\r\n") == 2
        assert sent.data.endswith(b"Connection: close\r\n\r\n")
        assert sent.ended  # its last answer: nothing more is written
    finally:
        loop.close()


class Transport(asyncio.Transport):
    """What a connection writes, kept."""

    def __init__(self) -> None:
        super().__init__()
        self.data = bytearray()
        self.ended = self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 40_000) if name == "peername" else default

    def write(self, data: Any) -> None:
        self.data += data

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.ended = True

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0


def test_head_gives_the_headers_and_keeps_the_connection(
    feed_server: Callable[..., tuple[Any, int, str]],
) -> None:
    _, port, path = feed_server("--workers", "1")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=BOUND)
    try:
        conn.request("GET", path)
        full = conn.getresponse()
        body = full.read()
        sock = conn.sock
        for _ in range(2):  # from a thread, then from memory
            conn.request("HEAD", path)
            head = conn.getresponse()
            assert (head.status, head.read(), conn.sock is sock) == (200, b"", True)
            assert head.getheader("Content-Length") == str(len(body))
            assert head.getheader("ETag") == full.getheader("ETag")
    finally:
        conn.close()


def test_at_the_connection_limit_new_connections_wait_their_turn(
    feed_server: Callable[..., tuple[Any, int, str]],
) -> None:
    _, port, path = feed_server("--workers", "1", "--connection-limit", "2")
    held = [socket.create_connection(("127.0.0.1", port), BOUND) for _ in range(2)]
    try:
        for sock in held:  # both accepted and answered
            sock.sendall(b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 404 Not Found\r\n")
        waiting = http.client.HTTPConnection("127.0.0.1", port, timeout=BOUND)
        waiting.connect()  # into the system's queue
        waiting.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        held.pop().close()  # a place frees: the waiting one is accepted and answered
        response = http.client.HTTPResponse(waiting.sock)
        response.begin()
        assert response.status == 200
        waiting.close()
    finally:
        for sock in held:
            sock.close()


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _workers(pid: int, count: int, gone: tuple[int, ...] = ()) -> list[int]:
    """The `count` workers of `pid`, none of them one of `gone`, once they are all forked (the
    'serving' line comes before the forks): looked for every 10 ms, for up to BOUND."""
    deadline = time.monotonic() + BOUND
    while True:
        now = _children(pid)
        if (len(now) == count and not set(gone) & set(now)) or time.monotonic() > deadline:
            assert (len(now), set(gone) & set(now)) == (count, set())
            return now
        time.sleep(0.01)


def _ask(conns: list[http.client.HTTPConnection], path: str, etag: str | None) -> list[int]:
    statuses = []
    for conn in conns:
        conn.request("GET", path, headers={"If-None-Match": etag} if etag else {})
        response = conn.getresponse()
        response.read()
        statuses.append(response.status)
    return statuses


@pytest.mark.skipif(not LINUX, reason="reads the workers from /proc")
def test_workers_share_the_port_see_a_revoke_at_once_and_stop_together(
    run, db_url: str, feed_server: Callable[..., tuple[Any, int, str]]
) -> None:  # type: ignore[no-untyped-def]
    process, port, path = feed_server("--workers", "2")
    workers = _workers(process.pid, 2)
    conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=BOUND) for _ in range(16)]
    try:
        first = _ask(conns[:1], path, None)
        assert first == [200]
        conns[0].request("GET", path)
        etag = conns[0].getresponse()
        etag.read()
        tag = etag.getheader("ETag")
        assert tag
        assert set(_ask(conns, path, tag)) == {304}
        assert set(_ask(conns, path, tag)) == {304}  # from each worker's memory
        # Every connection is served by one of the workers; both hold some of them.
        held = {w: _clients(w, port) for w in workers}
        assert sum(held.values()) == 16
        assert all(held.values()), held
        assert run("--db", db_url, "feed", "revoke", "P1").exit_code == 0
        assert set(_ask(conns, path, tag)) == {404}
    finally:
        for conn in conns:
            conn.close()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=BOUND) == 0
    assert [w for w in workers if Path(f"/proc/{w}").exists() and _alive(w)] == []


def _clients(pid: int, port: int) -> int:
    """How many connections to `port` the process `pid` holds open."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":  # established
                inodes.add(f"socket:[{fields[9]}]")
    return sum(1 for fd in Path(f"/proc/{pid}/fd").iterdir() if os.readlink(fd) in inodes)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not LINUX, reason="reads the workers from /proc")
def test_a_worker_that_dies_is_replaced(
    feed_server: Callable[..., tuple[Any, int, str]],
) -> None:
    process, port, path = feed_server("--workers", "2")
    workers = _workers(process.pid, 2)
    os.kill(workers[0], signal.SIGKILL)
    _workers(process.pid, 2, gone=(workers[0],))
    for _ in range(8):  # new connections, spread over both
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=BOUND)
        assert _ask([conn], path, None) == [200]
        conn.close()
    process.send_signal(signal.SIGINT)  # Ctrl-C stops it too
    assert process.wait(timeout=BOUND) == 0
    assert process.stderr is not None
    # Started a moment ago: replaced after a second (one that ran for a while: at once).
    assert re.fullmatch(
        rf"prrt serve: worker {workers[0]} stopped \(signal 9\); starting another( in 1 s)?\n",
        process.stderr.read(),
    )


@pytest.mark.skipif(not LINUX, reason="reads the workers from /proc")
def test_workers_are_replaced_when_sigchld_was_left_ignored(db_url: str) -> None:
    # A parent (a shell, a service manager) may leave SIGCHLD ignored; the system would then
    # reap the workers itself. The supervisor takes it back while it runs.
    ignoring = "import os, signal, sys; signal.signal(signal.SIGCHLD, signal.SIG_IGN); "
    ignoring += "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
    command = [sys.executable, "-c", ignoring, str(ROOT / "cli.py"), "--db", db_url, "serve"]
    process = subprocess.Popen(
        [*command, "--port", "0", "--workers", "2"], stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stderr is not None
        assert "serving feeds on" in process.stderr.readline()
        workers = _workers(process.pid, 2)
        os.kill(workers[0], signal.SIGKILL)
        _workers(process.pid, 2, gone=(workers[0],))
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=BOUND) == 0
        assert f"worker {workers[0]} stopped (signal 9); starting another" in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=BOUND)


def test_workers_that_cannot_be_forked_are_one_line_and_exit_6(
    run, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    if not can_fork():
        pytest.skip("no worker processes here")
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    handler = signal.getsignal(signal.SIGCHLD)

    def fork() -> int:
        raise OSError(errno.EAGAIN, os.strerror(errno.EAGAIN))

    monkeypatch.setattr(os, "fork", fork)
    result = run("--db", db_url, "serve", "--port", "0", "--workers", "2")
    assert (result.exit_code, result.stdout) == (6, "")
    assert re.fullmatch(
        r"prrt: serving feeds on http://127\.0\.0\.1:\d+/feeds/TOKEN\.ics in 2 processes; "
        r"Ctrl-C stops\nprrt: cannot start worker processes: Resource temporarily unavailable\n",
        result.stderr,
    )
    assert (signal.pthread_sigmask(signal.SIG_BLOCK, []), signal.getsignal(signal.SIGCHLD)) == (
        blocked,
        handler,
    )  # as they were


def test_no_database_connection_crosses_a_fork(
    run, db_url: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    if not can_fork():
        pytest.skip("no worker processes here")
    app, token, _ = _app(run, db_url, store)
    wsgi(app, f"/feeds/{token}.ics")  # the store's pool and the mark's connection in use
    at_fork = []

    def fork() -> int:
        at_fork.append((store.engine.pool.checkedin(), app.changes._conn))
        raise OSError(errno.ENOMEM, os.strerror(errno.ENOMEM))

    monkeypatch.setattr(os, "fork", fork)
    server = listen(app, "127.0.0.1", 0, Limits(), workers=2)
    try:
        with pytest.raises(
            OutputError, match=r"^cannot start worker processes: Cannot allocate memory$"
        ):
            server.run()
    finally:
        server.close()
    assert at_fork == [(0, None)]


def test_a_worker_that_keeps_failing_waits_longer_each_time() -> None:
    waits = [0.0]
    for _ in range(8):
        waits.append(backoff(waits[-1], lived=0.5))
    assert waits == [0, 1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff(60, lived=SETTLED) == 0  # one that ran a while is replaced at once


def test_default_workers_one_per_core_less_one_at_most_four(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not can_fork():
        assert default_workers() == 1
        return
    found = []
    for cores in (1, 2, 3, 5, 6, 64):
        monkeypatch.setattr(
            os, "sched_getaffinity", lambda _, n=cores: set(range(n)), raising=False
        )
        monkeypatch.setattr(os, "cpu_count", lambda n=cores: n)
        found.append(default_workers())
    assert found == [1, 1, 2, 4, 4, 4]


@pytest.mark.skipif(not LINUX, reason="SO_REUSEPORT as Linux has it")
def test_a_port_held_by_sockets_that_share_it_is_in_use() -> None:
    app: Any = None  # never served
    with socket.socket() as taken:  # as another server's workers hold their port
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match="Address already in use") as refused:
            listen(app, "127.0.0.1", port, Limits(), workers=2).close()
    assert refused.value.errno == errno.EADDRINUSE


@pytest.mark.skipif(not LINUX, reason="SO_REUSEPORT as Linux has it")
def test_another_server_with_workers_on_the_same_port_is_refused(
    feed_server: Callable[..., tuple[Any, int, str]], db_url: str
) -> None:
    process, port, _ = feed_server("--workers", "2")
    command = [sys.executable, str(ROOT / "cli.py"), "--db", db_url, "serve", "--port", str(port)]
    second = subprocess.run(
        [*command, "--workers", "2"], capture_output=True, text=True, timeout=BOUND
    )
    assert (second.returncode, second.stderr) == (
        6,
        f"prrt: cannot listen on 127.0.0.1:{port}: Address already in use; give another --host "
        "or --port\n",
    )
    assert process.poll() is None


@pytest.mark.skipif(not LINUX, reason="SO_REUSEPORT as Linux has it")
def test_where_sockets_cannot_share_a_port_the_workers_share_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    setsockopt = socket.socket.setsockopt

    def refusing(sock: socket.socket, level: int, option: int, *value: Any) -> None:
        if option == socket.SO_REUSEPORT:
            raise OSError(errno.ENOPROTOOPT, os.strerror(errno.ENOPROTOOPT))
        setsockopt(sock, level, option, *value)

    monkeypatch.setattr(socket.socket, "setsockopt", refusing)
    app: Any = None  # never served
    server = listen(app, "127.0.0.1", 0, Limits(), workers=2)
    try:
        assert (len(server.sockets), server.workers) == (1, 2)
    finally:
        server.close()


def test_one_process_stops_on_sigterm(feed_server: Callable[..., tuple[Any, int, str]]) -> None:
    process, port, path = feed_server("--workers", "1")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=BOUND)
    assert _ask([conn], path, None) == [200]  # an idle keep-alive connection does not hold it
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=BOUND) == 0
    conn.close()


def test_serve_help_documents_workers(run) -> None:  # type: ignore[no-untyped-def]
    shown = run("serve", "--help").stdout
    assert "--workers INTEGER RANGE" in " ".join(shown.split())
    assert "[default: one per core, less one, at most 4]" in " ".join(shown.split())
