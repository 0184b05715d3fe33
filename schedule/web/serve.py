"""Running the feed server: uvicorn serves the application (`asgi.py`) on a socket bound here.

The socket is bound before anything runs, so that a port in use or an address not on this
machine is known at once (and said in one line). uvicorn then runs `Listening.workers` worker
processes on it (its own supervisor: a worker that dies is replaced; SIGTERM or SIGINT stops
them all, each answering the requests under way for at most `GRACE` seconds), each building its
own application from the environment (`asgi.create`, through the caller's factory: the caller
owns the clock). HTTP is parsed by httptools (llhttp,
Node.js's parser: strict; a request with both Content-Length and Transfer-Encoding, two
lengths, an unknown coding or a malformed line gets 400), or with `--http h11` by h11, which
also refuses a request whose headers are still incomplete past `header_limit` bytes (at about
half the requests a second: bench/network.py). uvicorn closes a connection idle for
`idle_timeout` seconds after an answer and answers 503 beyond `connection_limit` connections at
once. What it does not do, the TLS proxy in front of it must (README, "Running the feed
server"): TLS, a deadline for a request's headers (slow clients), a limit on their size (with
httptools), rate limits.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from schedule.web.asgi import ENVIRONMENT, Site, site_to

GRACE = 10  # seconds a stop waits for the requests under way
MOST_WORKERS = 4  # by default: each holds up to `Limits.threads` database connections


@dataclass(frozen=True)
class Listening:
    """How the server listens: processes, connections, and the limits of one request."""

    workers: int = 1
    connection_limit: int = 500  # connections (and requests) at once, per process: then 503
    idle_timeout: int = 20  # seconds a connection may stay idle between requests
    backlog: int = 1024  # connections the system queues before they are accepted
    header_limit: int = 16_384  # bytes of a request's line and headers; a phone sends < 2 KiB
    http: str = "httptools"  # the HTTP/1.1 parser: httptools, or h11 (half the speed; limits
    # the size of a request's headers itself)


def default_workers() -> int:
    """One worker per core this process may run on, less one, and at most `MOST_WORKERS`: a
    feed server shares its machine with the TLS proxy in front of it and often the database,
    and each worker holds database connections of its own (PostgreSQL allows 100 by default)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(MOST_WORKERS, cores - 1))


def bind(host: str, port: int, backlog: int = Listening.backlog) -> socket.socket:
    """A TCP socket bound to `host`:`port` (0: a free port) and listening (connections wait in
    the system's queue until the server accepts them); `OSError` when the address cannot be had
    (`socket.gaierror` when `host` is no host)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def run(site: Site, sock: socket.socket, listening: Listening, factory: str) -> None:
    """Serve on `sock` until stopped (SIGTERM, SIGINT). `factory`: "module:function", which
    each worker calls for its application (`asgi.create` on the caller's clock)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    os.environ[ENVIRONMENT] = site_to(site)
    config = uvicorn.Config(
        factory,
        factory=True,
        workers=listening.workers,
        http=listening.http,
        loop="auto",  # uvloop where installed
        lifespan="on",
        limit_concurrency=listening.connection_limit,
        backlog=listening.backlog,
        timeout_keep_alive=listening.idle_timeout,
        timeout_graceful_shutdown=GRACE,
        h11_max_incomplete_event_size=listening.header_limit,
        server_header=False,
        proxy_headers=False,
        access_log=False,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    if listening.workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        server.run(sockets=[sock])
