"""Issue 16: the feed server on an open network. A 304 keeps the connection open; idle and
half-sent connections cost no thread, so a flood of them does not stop other phones, and a
connection idle after its answers is closed after the channel timeout (one that never finishes
a request is the TLS proxy's to close: README, "Running the feed server"); a port in use is one
line and exit 6. All on 127.0.0.1 only."""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import start_server

pytestmark = pytest.mark.usefixtures("config_dir")
BOUND = 15.0  # seconds: a generous bound on liveness, never a timing measurement


@pytest.fixture
def serve_feed(run, db_url: str) -> Iterator[Callable[..., tuple[int, str]]]:  # type: ignore[no-untyped-def]
    """Starts `prrt serve` with the options given; gives its port and the path of P1's feed."""
    start = (date.today() - timedelta(days=10)).isoformat()
    added = run(
        "--db",
        db_url,
        "patient",
        "add",
        "--create",
        "P1",
        "--regimen",
        "lutathera",
        "--start",
        start,
    )
    assert added.exit_code == 0, added.stderr
    processes = []

    def serve(*options: str) -> tuple[int, str]:
        process, port = start_server(db_url, *options)
        processes.append(process)
        run("--db", db_url, "feed", "revoke", "P1")
        link = run("--db", db_url, "feed", "url", "P1", "--base", f"http://127.0.0.1:{port}")
        assert link.exit_code == 0, link.stderr
        webcal = link.stdout.splitlines()[0]  # then the https:// form, for the web
        return port, "/" + webcal.split("/", 3)[3]

    try:
        yield serve
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture
def feed(serve_feed: Callable[..., tuple[int, str]]) -> tuple[int, str]:
    """A server with the default limits."""
    return serve_feed()


def test_304_keeps_the_connection_open(feed: tuple[int, str]) -> None:
    port, path = feed
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=BOUND)
    try:
        conn.request("GET", path)
        first = conn.getresponse()
        body = first.read()
        etag = first.getheader("ETag")
        assert (first.status, first.will_close) == (200, False)
        assert etag
        sock = conn.sock
        for _ in range(3):
            conn.request("GET", path, headers={"If-None-Match": etag})
            again = conn.getresponse()
            assert (again.status, again.read(), again.getheader("Connection")) == (304, b"", None)
            assert again.getheader("ETag") == etag
            assert not again.will_close
            assert conn.sock is sock  # the same connection, still open
        conn.request("GET", path)
        last = conn.getresponse()
        assert (last.status, last.read(), conn.sock is sock) == (200, body, True)
        # A client that asks to close still gets the connection closed.
        conn.request("GET", path, headers={"If-None-Match": etag, "Connection": "close"})
        closing = conn.getresponse()
        assert (closing.status, closing.will_close) == (304, True)
    finally:
        conn.close()


def get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=BOUND)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_idle_and_slow_connections_do_not_stop_other_phones(feed: tuple[int, str]) -> None:
    port, path = feed
    with ExitStack() as stack:
        for number in range(120):  # more than the 100 of waitress, the server prrt had before
            sock = stack.enter_context(socket.create_connection(("127.0.0.1", port), BOUND))
            if number % 2:  # half of them send half a request and stop
                sock.sendall(b"GET /feeds/")
        for _ in range(3):
            began = time.monotonic()
            assert get(port, path) == 200
            assert time.monotonic() - began < BOUND


def test_idle_connections_are_closed_after_the_channel_timeout(
    serve_feed: Callable[..., tuple[int, str]],
) -> None:
    port, path = serve_feed("--channel-timeout", "2")
    with ExitStack() as stack:
        idle = []
        for _ in range(20):
            sock = stack.enter_context(socket.create_connection(("127.0.0.1", port), BOUND))
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: a\r\n\r\n".encode("ascii"))
            idle.append(sock)  # answered, then silent: a phone that went away
        assert [number for number, sock in enumerate(idle) if not _closed(sock)] == []
        assert get(port, path) == 200


def _closed(sock: socket.socket) -> bool:
    """True when the server has closed its end (a read returns end of file or a reset)."""
    sock.settimeout(BOUND)
    try:
        while sock.recv(1024):
            pass  # an error response the server may send before closing
    except ConnectionResetError:
        pass
    except TimeoutError:
        return False
    return True


def test_a_port_in_use_is_one_line_and_exit_6(run, db_url: str) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("--db", db_url, "serve", "--port", str(port))
    assert (result.exit_code, result.stdout, result.stderr) == (
        6,
        "",
        f"prrt: cannot listen on 127.0.0.1:{port}: Address already in use; give another --host "
        "or --port\n",
    )
    bad = run("--db", db_url, "serve", "--host", "no such host!")
    assert (bad.exit_code, bad.stderr) == (
        2,
        "prrt: 'no such host!' is not a host name or address to listen on\n",
    )


def test_serve_help_documents_the_limits(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shown = run("serve", "--help").stdout
    assert "--connection-limit INTEGER RANGE" in shown
    assert "--channel-timeout INTEGER RANGE" in shown
