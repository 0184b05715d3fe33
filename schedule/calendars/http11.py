"""HTTP/1.1 for the feed server, on asyncio: one `Connection` per client socket.

Only what a calendar feed needs, and strict about the rest. A request is its head (request line
and headers, at most `max_request_header_size` bytes) and, for a method that has one, a body of
at most `max_request_body_size` bytes given by `Content-Length` (`Transfer-Encoding` gets 411; a
body is read and handed on, the feed answers 405 to anything but GET and HEAD). A malformed
head gets 400 (a bare CR, whitespace before a colon, a folded line, two different lengths, no
`Host` in HTTP/1.1), a head too large 431, a body too large 413, another HTTP version 505; each
of these closes the connection. Every response has a length, so every one of them (a 304 too)
keeps an HTTP/1.1 connection open unless the client asked to close or the server is stopping;
HTTP/1.0 closes unless it asked to keep it alive. Pipelined requests are answered in order.

Lines end in CRLF, or in LF alone (RFC 9112, 2.2); a CR anywhere else is refused. A request is
answered at once, on the event loop, when the site's `quick` can answer it from memory (a
feed's 304); anything else runs the WSGI application in the site's thread pool, and the
connection reads no further request until it is answered. A client that sends faster than it
reads is paused, not buffered without end. The site's sweep closes connections that are `stale`:
idle, or sending one request, for longer than the timeout (a request is timed from its first
byte, so one trickled a byte at a time is closed too).
"""

from __future__ import annotations

import asyncio
import re
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from functools import partial
from io import BytesIO
from typing import Any, TextIO
from urllib.parse import unquote_to_bytes

Answer = tuple[str, list[tuple[str, str]], bytes]  # status, headers, body: a whole response
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]
TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # a method or a header's name (RFC 9110)
BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")  # control characters other than tab
NO_BODY = ("1", "204", "304")  # statuses that never carry a body
HEAD_END = re.compile(rb"\n\r?\n")  # the empty line after a head: CRLF or LF (RFC 9112, 2.2)
LINGER = 2.0  # seconds a refused connection may go on sending before it is closed


def plain(status: str, headers: list[tuple[str, str]] | None = None) -> Answer:
    """A plain-text answer whose body is its status's reason (`Not Found`), with `headers`
    after its type and length: the server's refusals, and the feed application's 404 and 503."""
    body = (status.split(" ", 1)[1] + "\n").encode("ascii")
    length = ("Content-Length", str(len(body)))
    return status, [("Content-Type", "text/plain; charset=utf-8"), length, *(headers or [])], body


class Refused(Exception):
    """A request that is answered with `status` and the connection closed."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


@dataclass
class Site:
    """What every connection of one server shares."""

    app: WSGIApp
    quick: Callable[[dict[str, Any]], Answer | None] | None
    loop: asyncio.AbstractEventLoop
    run: Callable[[Callable[[], Answer]], asyncio.Future[Answer]]  # in the thread pool
    environ: dict[str, Any]  # the server's part of every request's environ
    header_limit: int
    body_limit: int
    log: TextIO = sys.stderr
    connections: set[Connection] = field(default_factory=set)
    closed: Callable[[], None] = lambda: None  # told when a connection ends
    stopping: bool = False  # the server stops: close each connection after its answer
    _date: tuple[int, str] = (0, "")

    def date(self) -> str:
        """The Date header's value, made once a second."""
        now = int(time.time())
        if self._date[0] != now:
            self._date = (now, formatdate(now, usegmt=True))
        return self._date[1]


class Connection(asyncio.Protocol):
    def __init__(self, site: Site) -> None:
        self.site = site
        self.buffer = bytearray()
        self.busy = False  # a request is with the application
        self.closing = False  # answered for the last time; what comes in is dropped
        self.eof = False
        self.read_paused = False
        self.write_paused = False
        self.http10 = False  # the request being answered is HTTP/1.0
        self.scanned = 0  # how far the buffer is known to hold no end of a head
        self.continued = False  # `100 Continue` sent for the request being read
        self.last = site.loop.time()
        self.begun: float | None = None  # when the request being read began to arrive
        self.transport: asyncio.Transport | None = None
        self.peer = ("", 0)

    # -- asyncio's calls -----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = (str(peer[0]), int(peer[1])) if isinstance(peer, tuple) else ("", 0)
        self.site.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.site.connections.discard(self)
        self.site.closed()

    def data_received(self, data: bytes) -> None:
        self.last = self.site.loop.time()
        if self.closing:
            return
        if self.begun is None:
            self.begun = self.last
        self.buffer += data
        if not self.busy:
            self.process()
        if len(self.buffer) > self.site.header_limit + self.site.body_limit and self.transport:
            self.transport.pause_reading()  # a request is pending: take no more until it is done
            self.read_paused = True

    def eof_received(self) -> bool:
        self.eof = True
        if not self.busy:
            self.process()
        return self.busy or self.write_paused  # keep it open to write what is still due

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        self.process()

    def stale(self, now: float, timeout: float) -> bool:
        """Nothing being answered, and idle, or reading one request, for `timeout` seconds."""
        since = self.last if self.begun is None else self.begun
        return not self.busy and now - since > timeout

    @property
    def idle(self) -> bool:
        """Waiting for a client (a request not begun or half-sent), nothing being answered."""
        return not self.busy

    def close(self) -> None:
        if self.transport is not None:
            if self.transport.get_write_buffer_size():
                self.transport.abort()  # a client that stopped reading
            else:
                self.transport.close()

    # -- requests ------------------------------------------------------------------------------

    def process(self) -> None:
        """Answer every whole request in the buffer, in order, while nothing is pending."""
        while not (self.busy or self.closing or self.write_paused):
            try:
                request = self.parse()
            except Refused as refusal:
                self.refuse(refusal.status)
                return
            if request is None:
                break
            environ, keep = request
            head = environ["REQUEST_METHOD"] == "HEAD"
            answer = None
            if self.site.quick is not None:
                try:
                    answer = self.site.quick(environ)
                except Exception:  # the application decides, and reports it
                    answer = None
            if answer is not None:
                self.respond(answer, head, keep)
                continue
            self.busy = True
            done = self.site.run(partial(call, self.site.app, environ))
            done.add_done_callback(partial(self.answered, head=head, keep=keep))
        if self.read_paused and not self.busy and self.transport is not None:
            self.read_paused = False
            self.transport.resume_reading()
        if self.eof and not (self.busy or self.write_paused or self.closing):
            self.closing = True
            if self.transport is not None:
                self.transport.close()

    def answered(self, future: asyncio.Future[Answer], *, head: bool, keep: bool) -> None:
        self.busy = False
        self.begun = self.site.loop.time() if self.buffer else None  # sent while it was busy
        if self.closing:
            return
        try:
            answer = future.result()
        except Exception:  # the application failed: a 500, and a log
            self.site.log.write("prrt serve: the application failed:\n" + traceback.format_exc())
            self.refuse("500 Internal Server Error")
            return
        self.respond(answer, head, keep)
        self.process()

    def parse(self) -> tuple[dict[str, Any], bool] | None:
        """The first whole request in the buffer (consumed): its environ and whether the
        connection stays open after it; None while it is incomplete."""
        buffer = self.buffer
        while buffer[:1] == b"\n" or buffer[:2] == b"\r\n":  # empty lines before a request
            del buffer[: 1 if buffer[:1] == b"\n" else 2]
            self.scanned = 0
        found = HEAD_END.search(buffer, max(0, self.scanned - 2))
        if found is None:
            if len(buffer) > self.site.header_limit:
                raise Refused("431 Request Header Fields Too Large")
            self.scanned = len(buffer)  # a client sending a byte at a time is not read anew
            return None
        end, start = found.span()
        if end > self.site.header_limit:
            raise Refused("431 Request Header Fields Too Large")
        head = bytes(buffer[:end])  # up to the LF that ends its last line
        if head.endswith(b"\r") and head.count(b"\r") == head.count(b"\n") + 1:
            lines = head[:-1].split(b"\r\n")  # CRLF throughout (else a bare CR: refused below)
        else:  # some lines end in LF alone
            lines = [x[:-1] if x.endswith(b"\r") else x for x in head.split(b"\n")]
        environ = self.request_line(lines[0])
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or not TOKEN.fullmatch(name) or b"\r" in line:
                raise Refused("400 Bad Request")  # also a folded line, which starts blank
            value = value.strip(b" \t")
            if BAD_VALUE.search(value):
                raise Refused("400 Bad Request")
            key = name.decode("ascii").upper()
            if "_" in key:
                continue  # would read as another header once dashes become underscores
            key = key.replace("-", "_")
            key = key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key
            text = value.decode("latin-1")
            if key in environ:
                if key not in ("HTTP_HOST", "CONTENT_LENGTH"):
                    environ[key] += "," + text
                elif environ[key] != text:  # two hosts, or two lengths: which one is meant?
                    raise Refused("400 Bad Request")
                continue
            environ[key] = text
        http11 = environ["SERVER_PROTOCOL"] == "HTTP/1.1"
        if http11 and "HTTP_HOST" not in environ:
            raise Refused("400 Bad Request")
        if "HTTP_TRANSFER_ENCODING" in environ:
            raise Refused("411 Length Required")
        length = environ.get("CONTENT_LENGTH", "0")
        if not length.isdigit() or not length.isascii():
            raise Refused("400 Bad Request")
        digits = length.lstrip("0") or "0"  # int() refuses more than 4300 digits: a ValueError
        if len(digits) > len(str(self.site.body_limit)):
            raise Refused("413 Content Too Large")
        size = int(digits)
        if size > self.site.body_limit:
            raise Refused("413 Content Too Large")
        if len(buffer) < start + size:
            self.scanned = 0  # the head is read again when the body is in
            expects = environ.get("HTTP_EXPECT", "").lower() == "100-continue"
            if expects and http11 and not self.continued and self.transport is not None:
                self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                self.continued = True
            return None
        environ["wsgi.input"] = BytesIO(bytes(buffer[start : start + size]))
        del buffer[: start + size]
        self.begun = self.site.loop.time() if buffer else None
        self.scanned = 0
        self.continued = False
        words = {w.strip().lower() for w in environ.get("HTTP_CONNECTION", "").split(",")}
        keep = "close" not in words if http11 else "keep-alive" in words
        self.http10 = not http11
        return environ, keep

    def request_line(self, line: bytes) -> dict[str, Any]:
        parts = line.split(b" ")
        if len(parts) != 3 or not TOKEN.fullmatch(parts[0]) or not parts[1]:
            raise Refused("400 Bad Request")
        method, target, version = parts
        if version not in (b"HTTP/1.1", b"HTTP/1.0"):
            if re.fullmatch(rb"HTTP/\d(\.\d)?", version):
                raise Refused("505 HTTP Version Not Supported")
            raise Refused("400 Bad Request")
        if target.startswith((b"http://", b"https://")):  # the absolute form: its path
            target = b"/" + target.split(b"/", 3)[3] if target.count(b"/") >= 3 else b"/"
        if not target.startswith(b"/") or BAD_VALUE.search(target) or b"#" in target:
            raise Refused("400 Bad Request")
        path, _, query = target.partition(b"?")
        return {
            **self.site.environ,
            "REQUEST_METHOD": method.decode("ascii"),
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query.decode("latin-1"),
            "SERVER_PROTOCOL": version.decode("ascii"),
            "REMOTE_ADDR": self.peer[0],
            "REMOTE_PORT": str(self.peer[1]),
            "wsgi.errors": self.site.log,
        }

    # -- responses -----------------------------------------------------------------------------

    def respond(self, answer: Answer, head: bool, keep: bool) -> None:
        status, headers, body = answer
        if self.transport is None or self.transport.is_closing():
            return
        keep = keep and not self.site.stopping  # a stop under way: this answer is the last
        lines = [f"HTTP/1.1 {status}"]
        lines += [f"{name}: {value}" for name, value in headers]
        bodiless = status.startswith(NO_BODY)
        if not bodiless and not head and not any(n.lower() == "content-length" for n, _ in headers):
            lines.append(f"Content-Length: {len(body)}")
        lines.append(f"Date: {self.site.date()}")
        if not keep:
            lines.append("Connection: close")
        elif self.http10:
            lines.append("Connection: keep-alive")
        text = "\r\n".join(lines) + "\r\n\r\n"
        self.transport.write(text.encode("latin-1") + (b"" if head or bodiless else body))
        self.last = self.site.loop.time()
        if not keep:
            self.finish()

    def refuse(self, status: str) -> None:
        self.respond(plain(status), head=False, keep=False)

    def finish(self) -> None:
        """Close after the last answer: stop writing, drop what the client still sends for a
        moment (closing at once could reset the connection before it reads the answer)."""
        self.closing = True
        self.buffer.clear()
        transport = self.transport
        if transport is None:
            return
        if self.read_paused:
            transport.resume_reading()
        if transport.can_write_eof():
            transport.write_eof()
            self.site.loop.call_later(LINGER, transport.close)
        else:
            transport.close()


def call(app: WSGIApp, environ: dict[str, Any]) -> Answer:
    """Run a WSGI application on one request; its whole answer."""
    seen: list[Any] = []
    chunks: list[bytes] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        if exc_info and seen:
            raise exc_info[1].with_traceback(exc_info[2])
        seen[:] = [status, headers]
        return chunks.append

    result = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return seen[0], seen[1], b"".join(chunks)
