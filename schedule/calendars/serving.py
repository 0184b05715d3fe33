"""Running the feed server: the listening sockets, each process's event loop, the limits, and
what each worker process runs (`workers.py` forks and watches them).

`listen` binds the socket, so that a port in use or a bad address is known before anything
runs. `Server.run` serves until SIGTERM or SIGINT. With one worker it serves in this process.
With more (POSIX with `sigtimedwait`: elsewhere one), this process forks that many workers and
only watches them (`workers.py`): a worker that dies is replaced, and a stop is passed on to
all of them. On Linux each worker has a socket of its own on the port (SO_REUSEPORT), among
which the system spreads new connections evenly; elsewhere, or where the option is refused,
they share one. The port is first bound alone, so that one already in use is refused even when
its sockets would let others join. This process keeps every socket open, so connections waiting
in a socket's queue outlive a worker that dies.

Each serving process runs one event-loop thread, which accepts connections, reads and writes
them all (`http11.py`) and answers feed requests it can answer from memory (`FeedApp.quick`),
and a pool of `threads` threads for the requests that read the database or build something.
Open connections are limited (`connection_limit`, shared out among the workers): at the limit a
process stops accepting and new connections wait in the system's queue (`backlog`). Every
`cleanup_interval` seconds, connections idle, or sending one request, for `channel_timeout`
seconds are closed (`Connection.stale`). On a stop: no new connections, idle ones closed,
requests under way answered (for at most `GRACE` seconds). A worker whose parent is gone stops
by itself at its next sweep.
"""

from __future__ import annotations

import asyncio
import errno
import os
import signal
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from schedule.calendars.http11 import Connection, Site
from schedule.calendars.workers import STOPS, Mask, Supervisor, can_fork
from schedule.domain.errors import InputError

if TYPE_CHECKING:
    from schedule.calendars.server import FeedApp

GRACE = 10.0  # seconds a stop waits for the requests under way
SHORT_OF = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)  # accept() may say
MOST_WORKERS = 4  # by default: each holds up to 16 database connections (README, `prrt serve`)


@dataclass(frozen=True)
class Limits:
    """What one server accepts. Feed requests are small GETs, most answered from memory on the
    event loop; a thread is needed only for one that reads the database or builds a calendar.
    A connection waiting on a slow or idle client costs a socket, not a thread."""

    threads: int = 16  # per process: requests that read the database or build
    connection_limit: int = 500  # open connections at once, all processes together
    channel_timeout: int = 20  # seconds a connection may stay idle or half-sent
    cleanup_interval: int = 5  # seconds between checks for idle connections
    backlog: int = 1024  # connections the system queues while the limit is reached
    max_request_header_size: int = 16_384  # bytes; a phone sends well under 2 KiB
    max_request_body_size: int = 1_024  # bytes; a feed request has no body


def default_workers() -> int:
    """One worker per core this process may run on, less one, and at most `MOST_WORKERS`: a
    feed server shares its machine with the TLS proxy in front of it and often the database,
    and each worker holds database connections of its own (PostgreSQL allows 100 by default).
    One where processes cannot be forked. Measured on 2 cores with 64 clients on the same
    machine, one worker answered 304s with a p99 of about 35 ms where two, competing with the
    clients for the cores, took 55."""
    if not can_fork():
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(MOST_WORKERS, cores - 1))


def listen(
    app: FeedApp, host: str, port: int, limits: Limits, workers: int = 1, log: TextIO = sys.stderr
) -> Server:
    """A server for `app` on `host:port`, bound and listening but not yet serving; `OSError`
    when the address cannot be used (a port in use, no permission)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError):
        raise InputError(f"{host!r} is not a host name or address to listen on") from None
    workers = workers if can_fork() else 1
    # Linux spreads new connections evenly over sockets that share a port (SO_REUSEPORT): one
    # for each worker. Elsewhere the workers share one socket, and whichever wakes first
    # accepts (a worker may get more of the connections than the others).
    spread = workers > 1 and sys.platform.startswith("linux")
    family, kind, proto, _, address = found[0]
    if spread:  # SO_REUSEPORT would join a port held with it (another server's workers): so
        # the port is first taken alone, which fails when anything listens on it.
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
            address = probe.getsockname()
    sockets: list[socket.socket] = []
    try:
        while len(sockets) < (workers if spread else 1):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            if os.name == "posix":  # elsewhere this would let another program share the port
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if spread:  # only processes of the same user can join (Linux)
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                except OSError:  # refused here (a sandbox): the workers share this socket
                    spread = False
            sock.bind(address)
            address = sock.getsockname()  # the port given, when 0 asked for any
            sock.listen(limits.backlog)
            sock.setblocking(False)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return Server(app, sockets, limits, workers, log)


class Server:
    """The listening sockets and the number of workers that will serve them."""

    def __init__(
        self,
        app: FeedApp,
        sockets: list[socket.socket],
        limits: Limits,
        workers: int,
        log: TextIO,
    ) -> None:
        self.app = app
        self.sockets = sockets
        self.limits = limits
        self.workers = workers
        self.log = log
        self.effective_port: int = sockets[0].getsockname()[1]

    def run(self) -> None:
        """Serve until SIGTERM or SIGINT (or KeyboardInterrupt where signals cannot be
        caught), then stop as the module says."""
        if self.workers == 1:
            serve_here(self.app, self.sockets[0], self.limits, 1, self.log)
        else:
            self._supervise()

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()

    def _supervise(self) -> None:
        self.app.before_fork()  # no connection of this process crosses a fork
        Supervisor(self.workers, self._work, self.log).run(grace=GRACE + 5)

    def _work(self, number: int, parent: int, mask: Mask) -> None:
        """Worker `number`'s life, in the process forked for it."""
        self.app.after_fork()
        sock = self.sockets[number % len(self.sockets)]
        serve_here(self.app, sock, self.limits, self.workers, self.log, parent, mask)


def serve_here(
    app: FeedApp,
    sock: socket.socket,
    limits: Limits,
    workers: int,
    log: TextIO,
    parent: int | None = None,
    mask: Mask | None = None,
) -> None:
    """Serve on `sock` in this process until a stop signal (see the module). `parent`: the
    process that forked this worker; `mask`: the signal mask to restore once the handlers are
    in place."""
    loop = asyncio.SelectorEventLoop()  # Windows' default (Proactor) cannot watch a socket
    pool = ThreadPoolExecutor(limits.threads, thread_name_prefix="prrt-serve")
    try:
        gate = Gate(app, sock, limits, workers, log, loop, pool)
        loop.run_until_complete(gate.serve(parent, mask))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        loop.close()


class Gate:
    """The listening socket of one process and its connections, within the limits."""

    def __init__(
        self,
        app: FeedApp,
        sock: socket.socket,
        limits: Limits,
        workers: int,
        log: TextIO,
        loop: asyncio.AbstractEventLoop,
        pool: ThreadPoolExecutor,
    ) -> None:
        host, port = sock.getsockname()[:2]
        self.sock, self.limits, self.loop, self.log = sock, limits, loop, log
        self.limit = -(-limits.connection_limit // workers)  # this process's share
        self.open = 0  # accepted and not yet closed
        self.listening = self.stopping = False
        self.site = Site(
            app=app,
            quick=app.quick,
            loop=loop,
            run=lambda work: loop.run_in_executor(pool, work),
            environ={
                "SERVER_NAME": str(host),
                "SERVER_PORT": str(port),
                "SCRIPT_NAME": "",
                "wsgi.version": (1, 0),
                "wsgi.url_scheme": "http",
                "wsgi.multithread": True,
                "wsgi.multiprocess": workers > 1,
                "wsgi.run_once": False,
            },
            header_limit=limits.max_request_header_size,
            body_limit=limits.max_request_body_size,
            log=log,
            closed=self.closed,
        )

    async def serve(self, parent: int | None, mask: Mask | None) -> None:
        stop = asyncio.Event()
        for sig in STOPS:
            with suppress(NotImplementedError, RuntimeError):  # none here: KeyboardInterrupt
                self.loop.add_signal_handler(sig, stop.set)
        if mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        self.start()
        sweep = self.loop.create_task(self.sweep(parent, stop))
        try:
            await stop.wait()
        finally:
            sweep.cancel()
            await self.stop()

    def start(self) -> None:
        if not self.listening and not self.stopping:
            self.loop.add_reader(self.sock, self.accept)
            self.listening = True

    def pause(self) -> None:
        if self.listening:
            self.loop.remove_reader(self.sock)
            self.listening = False

    def accept(self) -> None:
        for _ in range(16):
            if self.open >= self.limit:
                self.pause()  # the rest wait in the system's queue
                return
            try:
                client, _ = self.sock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return  # another worker took it, or the client gave up
            except OSError as exc:
                if exc.errno not in SHORT_OF:
                    raise
                self.log.write(f"prrt serve: cannot accept a connection: {exc.strerror}\n")
                self.pause()
                self.loop.call_later(1.0, self.start)
                return
            self.open += 1
            self.loop.create_task(self.connect(client))

    async def connect(self, client: socket.socket) -> None:
        try:
            client.setblocking(False)
            if client.family in (socket.AF_INET, socket.AF_INET6):
                client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            await self.loop.connect_accepted_socket(lambda: Connection(self.site), client)
        except OSError:
            client.close()
            self.closed()

    def closed(self) -> None:
        self.open -= 1
        if self.open < self.limit:
            self.start()

    async def sweep(self, parent: int | None, stop: asyncio.Event) -> None:
        """Close connections stale past the timeout; stop when the parent is gone."""
        while True:
            await asyncio.sleep(self.limits.cleanup_interval)
            now = self.loop.time()
            for conn in list(self.site.connections):
                if conn.stale(now, self.limits.channel_timeout):
                    conn.close()
            if parent is not None and os.getppid() != parent:
                stop.set()

    async def stop(self) -> None:
        self.stopping = self.site.stopping = True
        self.pause()
        deadline = self.loop.time() + GRACE
        while self.loop.time() < deadline:
            for conn in list(self.site.connections):
                if conn.idle:
                    conn.close()
            if not self.site.connections:
                break
            await asyncio.sleep(0.02)
        for conn in list(self.site.connections):
            if conn.transport is not None:
                conn.transport.abort()
        await asyncio.sleep(0)  # let the transports close
