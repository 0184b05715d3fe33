"""Issue 12: feed 304s at scale. The server remembers each feed with the store's change mark, so
a 304 reads no table while nothing was written, and any write (by any process) is seen by the
next request; on SQLite those are answered on the event loop (`Feeds.quick`). The HTTP server
itself: `test_issue_26_feed_server.py`. No test measures time."""

from __future__ import annotations

import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from schedule.calendars.feeds import issue, revoke
from schedule.domain.regimen_file import load_catalog
from schedule.domain.settings import Settings
from schedule.store.changemark import ChangeMark
from schedule.store.database import Store
from schedule.web.asgi import FeedServer
from schedule.web.feeds import REASONS, Answer, Request
from tests.conftest import actor
from tests.test_issue_11_calendars import sample_clinic
from tests.web import feed_app, get

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
    etag = get(app, path)[1]["ETag"]
    assert get(app, path, if_none_match=etag)[0] == "304 Not Modified"  # remembered
    app.feeds.changes.close()  # dropped after an error: the next read opens another connection
    other = other_store(db_url)
    try:
        revoke(other, "NET-003", actor())
        # More writes elsewhere: the new connection's count climbs back to where the old one
        # was when the feed was remembered. Never the same mark: the link stays dead.
        for _ in range(12):
            assert get(app, path, if_none_match=etag)[0] == "404 Not Found"
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
    etag = get(app, path)[1]["ETag"]
    get(app, path, if_none_match=etag)  # remembered
    asked = environ(path, if_none_match=etag)
    assert app.feeds.quick(asked) is not None
    # Another program holds the database so that no one may read it (exclusive locking mode),
    # and the mark has to read it anew: the event loop must not wait the store's 60 s for it.
    app.feeds.changes.close()
    store.engine.dispose()
    holder = sqlite3.connect(db_url, isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("SELECT count(*) FROM sqlite_master").fetchone()
        done: list[Any] = []
        asking = threading.Thread(target=lambda: done.append(app.feeds.quick(asked)), daemon=True)
        asking.start()
        asking.join(BOUND)
        assert done == [None]  # the mark unknown: to a thread, never answered from memory
    finally:
        holder.close()
    assert app.feeds.quick(asked) is None  # a mark of another connection: read again first
    assert get(app, path, if_none_match=etag)[0] == "304 Not Modified"
    assert app.feeds.quick(asked) is not None


# -- the feed, remembered ----------------------------------------------------------------------


def _app(run, db_url: str, store: Store) -> tuple[FeedServer, str, dict[str, datetime]]:  # type: ignore[no-untyped-def]
    sample_clinic(run, db_url)
    tokens: list[str] = []
    issue(store, "NET-003", False, actor(), tokens.append)
    clock = {"now": datetime(2026, 11, 24, 9, 0, tzinfo=UTC)}
    return feed_app(store, load_catalog(), Settings(), lambda: clock["now"]), tokens[0], clock


def _statements(store: Store) -> tuple[list[str], Callable[[], None]]:
    seen: list[str] = []

    def saw(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement.split()[0].upper())

    event.listen(store.engine, "before_cursor_execute", saw)
    return seen, lambda: event.remove(store.engine, "before_cursor_execute", saw)


def environ(path: str, method: str = "GET", **headers: str) -> Request:
    sent = {name.replace("_", "-"): value for name, value in headers.items()}
    return Request(method, path, "", sent)


def test_a_304_reads_no_table_until_something_is_written(run, db_url: str, store: Store) -> None:  # type: ignore[no-untyped-def]
    app, token, _ = _app(run, db_url, store)
    path = f"/feeds/{token}.ics"
    status, headers, body = get(app, path)
    etag = headers["ETag"]
    assert status == "200 OK"
    # Building it wrote nothing: the mark did not move, and the next request is from memory.
    assert get(app, path, if_none_match=etag)[0] == "304 Not Modified"
    seen, stop = _statements(store)
    try:
        again = get(app, path, if_none_match=etag)
        assert again[0] == "304 Not Modified"
        if store.dialect == "sqlite":  # PostgreSQL's mark moves with other tests' writes too
            assert seen == []
        assert get(app, path) == (status, headers, body)  # the calendar, from memory
        seen.clear()
        # Another patient added, by another process: the mark moved; one query, still a 304.
        other = other_store(db_url)
        try:
            added = run("--db", db_url, "patient", "add", "--create", "NEW-1", "--regimen", "lanreotide",
                        "--start", "2026-11-02", "--past-start")  # fmt: skip
            assert added.exit_code == 0, added.stderr
            assert get(app, path, if_none_match=etag)[0] == "304 Not Modified"
            assert seen.count("SELECT") == 1
            assert not {"INSERT", "UPDATE", "DELETE"} & set(seen)
            # The patient's calendar changed (its language): seen by the very next request.
            edited = run("--db", db_url, "patient", "edit", "NET-003", "--lang", "de")
            assert edited.exit_code == 0, edited.stderr
            changed = get(app, path, if_none_match=etag)
            assert changed[0] == "200 OK"
            assert changed[1]["ETag"] != etag
            # The link revoked elsewhere: the next request gets the 404, the one for any link.
            revoke(other, "NET-003", actor())
            assert get(app, path, if_none_match=changed[1]["ETag"])[::2] == (
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
    assert app.feeds.quick(environ(path)) is None  # never read: to a thread
    _, headers, _ = get(app, path)
    etag = headers["ETag"]
    get(app, path, if_none_match=etag)  # remembered
    asked = {"if_none_match": etag}
    quick = app.feeds.quick(environ(path, **asked))
    if store.dialect == "postgresql":  # its mark is a round trip: never on the event loop
        assert quick is None
        return
    assert quick is not None
    assert _said(quick) == get(app, path, **asked)
    full = app.feeds.quick(environ(path, accept_encoding="gzip"))
    assert full is not None
    assert _said(full) == get(app, path, accept_encoding="gzip")
    head = app.feeds.quick(environ(path, "HEAD"))
    assert head is not None
    assert _said(head) == ("200 OK", headers, b"")
    assert app.feeds.quick(environ(f"/feeds/{'A' * 32}.ics")) is None  # unknown: to a thread
    assert app.feeds.quick(environ(f"/p/{token}")) is None  # the page reads the store each time
    clock["now"] = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a new day: read again
    assert app.feeds.quick(environ(path, **asked)) is None
    assert get(app, path, **asked)[0] in ("200 OK", "304 Not Modified")
    other = other_store(db_url)
    try:
        revoke(other, "NET-003", actor())
    finally:
        other.close()
    assert app.feeds.quick(environ(path, **asked)) is None
    assert get(app, path, **asked)[0] == "404 Not Found"


def _said(answer: Answer) -> tuple[str, dict[str, str], bytes]:
    return f"{answer.status} {REASONS[answer.status]}", dict(answer.headers), answer.body
