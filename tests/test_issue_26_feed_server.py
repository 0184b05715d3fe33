"""Issue 26: the feed server on uvicorn, and feeds that change only when the schedule does.

Each numbered finding of the issue has its test, on SQLite and PostgreSQL: (1) a database that
never answers gives 503 within seconds and never holds up a bad token's 404; (2) a change in
the second of the last fetch is never hidden by If-Modified-Since; (3) a GET writes nothing and
waits on no writer; (4) reading a feed, another form of it, or exporting it changes no feed's
bytes; (5) the page's links come from the configuration (`test_issue_14_page.py`). Then the
HTTP server's limits, as a patient or an attacker meets them, and two servers on one database.
All on 127.0.0.1 only; no test measures speed (bench/network.py does).
"""

from __future__ import annotations

import http.client
import re
import signal
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import event, select

from schedule.calendars.feeds import issue
from schedule.domain.regimen_file import load_catalog
from schedule.domain.settings import Settings
from schedule.store import tables
from schedule.store.database import SERVER_WAITS, Store, Waits, postgresql_engine
from schedule.web.asgi import FeedServer, Limits
from schedule.web.feeds import Feeds
from tests.conftest import actor, private_schema, start_server
from tests.test_issue_11_calendars import sample_clinic, unfolded
from tests.web import feed_app, get

pytestmark = pytest.mark.usefixtures("config_dir")
BOUND = 15.0  # seconds: a generous bound on liveness, never a timing measurement


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = Store.open(db_url, "2026-11-23T00:00:00Z")
    yield opened
    opened.close()


def _clinic(run, db_url: str, store: Store) -> tuple[FeedServer, str, dict[str, datetime]]:  # type: ignore[no-untyped-def]
    sample_clinic(run, db_url)
    tokens: list[str] = []
    issue(store, "NET-003", False, actor(), tokens.append)
    clock = {"now": datetime(2026, 11, 24, 9, 0, tzinfo=UTC)}
    return feed_app(store, load_catalog(), Settings(), lambda: clock["now"]), tokens[0], clock


def _sequences(body: bytes) -> list[int]:
    return [int(x[9:]) for x in unfolded(body.decode()) if x.startswith("SEQUENCE:")]


def _published(store: Store) -> list[tuple[Any, ...]]:
    with store.read() as tx:
        rows = tx.conn.execute(select(tables.published).order_by(tables.published.c.uid))
        return [tuple(r) for r in rows]


# -- 1. a database that never answers -------------------------------------------------------


def test_a_postgresql_that_never_answers_gives_503_in_seconds_and_404s_at_once(
    silent_port: int,
) -> None:
    url = f"postgresql+psycopg://127.0.0.1:{silent_port}/test"
    store = Store(postgresql_engine(url, Waits(connect=1.0, statement=1.0, lock=1.0, pool=1.0)))
    feeds = Feeds.__new__(Feeds)  # the change mark is read lazily: nothing connects yet
    Feeds.__init__(feeds, store, load_catalog(), Settings(), lambda: datetime.now(UTC))
    app = FeedServer(feeds, Limits(threads=2, queue=4, deadline=3.0))
    try:
        began = time.monotonic()
        status, headers, _ = get(app, f"/feeds/{'A' * 32}.ics")
        assert (status, headers["Retry-After"]) == ("503 Service Unavailable", "30")
        assert get(app, "/healthz")[0] == "503 Service Unavailable"
        assert time.monotonic() - began < BOUND
        # Many at once: beyond the threads and their queue, a 503 at once; a malformed
        # token's 404 never waits on the database.
        answers: list[str] = []
        askers = [
            threading.Thread(target=lambda: answers.append(get(app, f"/feeds/{'B' * 32}.ics")[0]))
            for _ in range(8)
        ]
        for asker in askers:
            asker.start()
        began = time.monotonic()
        assert get(app, "/feeds/short.ics")[0] == "404 Not Found"
        assert get(app, "/anything")[0] == "404 Not Found"
        assert time.monotonic() - began < 1.0  # answered on the spot, not behind the others
        for asker in askers:
            asker.join(BOUND)
        assert answers == ["503 Service Unavailable"] * 8
    finally:
        app.close()
        store.close()


def test_serve_on_a_postgresql_that_never_answers_is_one_line_in_seconds(
    run, silent_port: int
) -> None:  # type: ignore[no-untyped-def]
    began = time.monotonic()
    result = run("--db", f"postgresql://127.0.0.1:{silent_port}/test", "serve", "--port", "0")
    assert time.monotonic() - began < BOUND
    assert result.exit_code == 5
    assert result.stderr.startswith("prrt: cannot open database postgresql+psycopg://127.0.0.1")
    assert result.stderr.count("\n") == 1


def test_a_locked_sqlite_gives_503_within_the_deadline(run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "locked.db")
    store = Store.open(db, "x", waits=SERVER_WAITS)
    try:
        app, token, _ = _clinic(run, db, store)
        app = FeedServer(app.feeds, Limits(threads=2, queue=4, deadline=2.0))
        app.feeds.changes.close()
        store.engine.dispose()
        holder = sqlite3.connect(db, isolation_level=None)
        try:  # another program holds the file so that no one may even read it
            holder.execute("PRAGMA locking_mode=EXCLUSIVE")
            holder.execute("BEGIN EXCLUSIVE")
            began = time.monotonic()
            assert get(app, f"/feeds/{token}.ics")[0] == "503 Service Unavailable"
            assert time.monotonic() - began < BOUND
        finally:
            holder.close()
        assert get(app, f"/feeds/{token}.ics")[0] == "200 OK"
    finally:
        store.close()


# -- 2. If-Modified-Since never hides a change ----------------------------------------------


def test_a_change_in_the_second_of_a_fetch_is_never_answered_304(
    run, db_url: str, store: Store
) -> None:  # type: ignore[no-untyped-def]
    app, token, clock = _clinic(run, db_url, store)
    path = f"/feeds/{token}.ics"
    for n in range(8):
        with freeze_time(f"2026-11-24 10:0{n}:00.100"):
            moved = run("--db", db_url, "reschedule", "NET-003", "prrt-2", "--date",
                        f"2026-12-{10 + n}", "--reason", "bed")  # fmt: skip
            assert moved.exit_code == 0, moved.stderr
        clock["now"] = datetime(2026, 11, 24, 10, n, 0, 500_000, tzinfo=UTC)
        status, headers, first = get(app, path)
        assert status == "200 OK"
        assert "Last-Modified" not in headers  # half a second old: not a strong validator yet
        with freeze_time(f"2026-11-24 10:0{n}:00.800"):  # the same second
            moved = run("--db", db_url, "reschedule", "NET-003", "prrt-2", "--date",
                        f"2026-12-{20 + n}", "--reason", "bed")  # fmt: skip
            assert moved.exit_code == 0, moved.stderr
        stamp = f"Tue, 24 Nov 2026 10:0{n}:00 GMT"  # what a second-rounding server gave
        clock["now"] = datetime(2026, 11, 24, 10, n, 0, 900_000, tzinfo=UTC)
        status, _, body = get(app, path, if_modified_since=stamp)
        assert (status, body != first) == ("200 OK", True)
        clock["now"] = datetime(2026, 11, 24, 10, n, 2, tzinfo=UTC)
        status, headers, _ = get(app, path)
        assert headers["Last-Modified"] == stamp  # now a second old: given, and it holds
        assert get(app, path, if_modified_since=stamp)[0] == "304 Not Modified"


# -- 3. a GET writes nothing ------------------------------------------------------------------


def test_a_get_writes_nothing_and_waits_on_no_writer(run, db_url: str, store: Store) -> None:  # type: ignore[no-untyped-def]
    app, token, _ = _clinic(run, db_url, store)
    path = f"/feeds/{token}.ics"
    before = _published(store)
    written: list[str] = []

    def saw(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.split()[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            written.append(statement)

    event.listen(store.engine, "before_cursor_execute", saw)
    other = Store.open(db_url, "x")
    try:
        with other.write() as tx:  # another writer holds the write lock meanwhile
            tx.lock_patient("NET-003")
            tx.conn.execute(tables.patients.update().values(lang="de").where(
                tables.patients.c.id == "NET-001"))  # fmt: skip
            for query in ("", "titles=plain", "titles=discreet"):
                assert get(app, path, query)[0] == "200 OK"  # the first fetch: built, not stored
                assert get(app, path, query, accept_encoding="gzip")[0] == "200 OK"
    finally:
        other.close()
        event.remove(store.engine, "before_cursor_execute", saw)
    assert written == []
    assert _published(store) == before


# -- 4. reading never changes a feed ----------------------------------------------------------


def test_forms_of_a_feed_and_exports_leave_every_feed_as_it_was(
    run, db_url: str, store: Store, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    app, token, _ = _clinic(run, db_url, store)
    path = f"/feeds/{token}.ics"
    seen: dict[str, set[str]] = {"": set(), "titles=plain": set()}
    bodies: dict[str, bytes] = {}
    for _ in range(3):
        for query in seen:
            _, headers, body = get(app, path, query)
            seen[query].add(headers["ETag"])
            bodies[query] = body
    assert {q: len(tags) for q, tags in seen.items()} == {"": 1, "titles=plain": 1}
    assert _sequences(bodies[""]) == _sequences(bodies["titles=plain"])
    before = _published(store)
    with freeze_time("2026-11-24 09:00:00"):
        for options in (["--titles", "plain"], ["--lang", "fr"], ["--with-name"], []):
            out = tmp_path / "one.ics"
            done = run("--db", db_url, "ics", "NET-003", "-o", str(out), *options)
            assert done.exit_code == 0, done.stderr
        done = run("--db", db_url, "ics", "--all", "--dir", str(tmp_path / "all"))
        assert done.exit_code == 0, done.stderr
    assert _published(store) == before
    for query in seen:
        _, headers, body = get(app, path, query)
        assert (headers["ETag"], body) == (next(iter(seen[query])), bodies[query])
    # A change to the schedule raises SEQUENCE once, in every form alike.
    with freeze_time("2026-11-24 10:00:00"):
        moved = run("--db", db_url, "reschedule", "NET-003", "prrt-2", "--date", "2026-12-02",
                    "--reason", "bed")  # fmt: skip
        assert moved.exit_code == 0, moved.stderr
    plain, discreet = get(app, path, "titles=plain")[2], get(app, path)[2]
    assert _sequences(plain) == _sequences(discreet) != _sequences(bodies[""])
    assert max(_sequences(plain)) == max(_sequences(bodies[""])) + 1


# -- the HTTP server ---------------------------------------------------------------------------


@pytest.fixture
def feed_server(run, db_url: str) -> Iterator[Callable[..., tuple[Any, int, str]]]:  # type: ignore[no-untyped-def]
    """Starts `prrt serve` with the options given; gives the process, its port and the path
    of P1's feed (one link for all the servers started)."""
    added = run("--db", db_url, "patient", "add", "--create", "P1", "--regimen", "lutathera",
                "--start", "2026-11-02", "--past-start")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    link = run("--db", db_url, "feed", "url", "P1", "--base", "http://127.0.0.1:1")
    assert link.exit_code == 0, link.stderr
    path = "/" + link.stdout.splitlines()[0].split("/", 3)[3]
    processes = []

    def serve(*options: str) -> tuple[Any, int, str]:
        process, port = start_server(db_url, *options)
        processes.append(process)
        return process, port, path

    try:
        yield serve
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=BOUND)


def exchange(port: int, data: bytes, shut: bool = True) -> bytes:
    """What the server answers to `data` sent at once on a new connection, read until the
    server closes it (the client closes its sending side after `data`, unless not `shut`)."""
    chunks = []
    with socket.create_connection(("127.0.0.1", port), BOUND) as sock:
        try:
            sock.sendall(data)
            if shut:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # refused before it was all sent: what the server said is still to read
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
    return b"".join(chunks)


def statuses(answer: bytes) -> list[int]:
    return [int(code) for code in re.findall(rb"^HTTP/1\.1 (\d{3}) ", answer, re.MULTILINE)]


ASK = b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n"
LAST = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
BOTH = (  # a length and chunks: what request smuggling is made of
    b"POST /feeds/x.ics HTTP/1.1\r\nHost: x\r\nContent-Length: %s\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
)
MALFORMED = (
    # Codings it does not know; a length given twice, differently; no request line.
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    b"NOT HTTP AT ALL\r\n\r\n",
)


def test_pipelined_requests_in_order_bad_ones_refused(
    feed_server: Callable[..., tuple[Any, int, str]],
) -> None:
    _, port, path = feed_server("--workers", "1")  # httptools, the default parser
    unknown = f"/feeds/{'A' * 32}.ics".encode()
    answer = exchange(port, ASK % unknown + ASK % path.encode() + LAST, shut=False)
    assert statuses(answer) == [404, 200, 200]
    assert answer.index(b"END:VCALENDAR") < answer.rindex(b"ok\n")
    for length in (b"5", b"40", b"0"):  # refused, whatever the length says
        assert statuses(exchange(port, BOTH % length + LAST, shut=False)) == [400]
    for sent in MALFORMED:
        assert statuses(exchange(port, sent)) == [400], sent[:60]


def test_with_h11_headers_past_the_limit_are_refused_and_chunks_frame_a_body(
    feed_server: Callable[..., tuple[Any, int, str]],
) -> None:
    _, port, path = feed_server("--workers", "1", "--http", "h11")
    assert statuses(exchange(port, ASK % path.encode() + LAST, shut=False)) == [200, 200]
    # h11 stops waiting for the end of the headers at 16 KiB of incomplete input (headers that
    # arrive whole are bounded by what is read at once: the proxy's limit is what holds).
    huge = b"GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 1_000_000 + b"\r\n\r\n"
    assert statuses(exchange(port, huge)) == [400]
    # With a length and chunks, the chunks frame the body whatever the length says (RFC 9112,
    # 6.3): the request after it is read as the same request each time.
    for length in (b"5", b"40", b"0"):
        assert statuses(exchange(port, BOTH % length + LAST, shut=False)) == [405, 200]
    for sent in MALFORMED:
        assert statuses(exchange(port, sent)) == [400], sent[:60]


def test_head_and_304_keep_the_connection_and_sigterm_stops_the_server(
    feed_server: Callable[..., tuple[Any, int, str]],
) -> None:
    process, port, path = feed_server("--workers", "1")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=BOUND)
    try:
        conn.request("HEAD", path)
        head = conn.getresponse()
        assert (head.status, head.read(), head.will_close) == (200, b"", False)
        etag = head.getheader("ETag")
        sock = conn.sock
        for _ in range(3):
            conn.request("GET", path, headers={"If-None-Match": str(etag)})
            again = conn.getresponse()
            assert (again.status, again.read(), conn.sock is sock) == (304, b"", True)
    finally:
        conn.close()
    process.send_signal(signal.SIGTERM)  # stops gracefully, then ends as the signal asked
    assert process.wait(timeout=BOUND) in (0, -signal.SIGTERM)
    assert process.stderr is not None
    assert "Traceback" not in process.stderr.read()


def test_beyond_the_connection_limit_a_request_gets_503(
    feed_server: Callable[..., tuple[Any, int, str]],
) -> None:
    _, port, path = feed_server("--workers", "1", "--connection-limit", "4")
    held = [socket.create_connection(("127.0.0.1", port), BOUND) for _ in range(6)]
    try:
        time.sleep(0.5)  # accepted by the server
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=BOUND)
        conn.request("GET", path)
        assert conn.getresponse().status == 503
        conn.close()
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:  # the held connections gone: served again
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=BOUND)
        conn.request("GET", path)
        status = conn.getresponse().status
        conn.close()
        if status == 200:
            break
        time.sleep(0.2)
    assert status == 200


def _fetch(port: int, path: str) -> tuple[int, str, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=BOUND)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, str(response.getheader("ETag")), response.read()
    finally:
        conn.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A private schema on the PostgreSQL server (the one kind of database several machines
    share)."""
    yield from private_schema()


@pytest.mark.postgres
def test_two_servers_on_one_postgresql_serve_the_same_bytes_before_and_after_a_change(
    run, pg_url: str
) -> None:  # type: ignore[no-untyped-def]
    added = run("--db", pg_url, "patient", "add", "--create", "P1", "--regimen", "lutathera",
                "--start", "2026-11-02", "--past-start")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    link = run("--db", pg_url, "feed", "url", "P1", "--base", "http://127.0.0.1:1")
    path = "/" + link.stdout.splitlines()[0].split("/", 3)[3]
    servers = [start_server(pg_url, "--workers", "2"), start_server(pg_url, "--workers", "1")]
    try:
        first, second = (port for _, port in servers)
        before = [_fetch(port, path) for port in (first, second, first, second)]
        assert len(set(before)) == 1
        assert before[0][0] == 200
        done = run("--db", pg_url, "record", "P1", "prrt-1", "--date", "2026-11-02")
        assert done.exit_code == 0, done.stderr
        after = [_fetch(port, path) for port in (second, first, second, first)]
        assert len(set(after)) == 1
        assert after[0][0] == 200
        assert after[0][1] != before[0][1]
        assert b"SEQUENCE:1\r\n" in after[0][2]
        assert [_fetch(port, "/healthz")[0] for port in (first, second)] == [200, 200]
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=BOUND)


def test_serve_help_documents_its_options(run) -> None:  # type: ignore[no-untyped-def]
    shown = run("serve", "--help").stdout
    for option in ("--workers", "--connection-limit", "--channel-timeout", "--base-url"):
        assert option in shown
    assert "/healthz" in shown
