"""Issue 26's table: the feed server on uvicorn beside the HTTP/1.1 server prrt wrote itself
(the last commit that has it), in one run on this machine, on copies of one database.

Run: python bench/network.py [--patients 2000] [--clients 64] [--seconds 10] [--old COMMIT]

For each server: `prrt serve --workers W` on a free loopback port; one 200 per patient (the
calendar built for the first time: "200s, distinct patients"), then `--clients` client threads
in this process, each on its own keep-alive connection, sending If-None-Match round the feeds
for `--seconds` after `--warmup` seconds not counted ("304s"): requests a second, p50 and p99
latency, and the CPU the clients and the server used. The clients share the machine's cores
with the server, as phones' requests share them with the proxy in front of a real one.

The data: `bench/shape.py` (one Lutathera or lanreotide course per patient), entered through
`prrt import roster` and `prrt import doses`, as a clinic would.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from shape import ROOT, STAMP, Row, make_shape, prrt, say, table, write_csvs

BUILT = "schedule/calendars/http11.py"  # the hand-written server's parser: the old one has it


def old_commit() -> str:
    """The last commit that has the hand-written server: the parent of the one removing it."""
    removed = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%H", "--diff-filter=D", "--", BUILT],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    if not removed:
        raise SystemExit(f"no commit removes {BUILT}: give --old COMMIT")
    return f"{removed}^"


@contextmanager
def checkout(commit: str) -> Iterator[Path]:
    """The tree of `commit` in a temporary folder (run with the packages installed here)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit], capture_output=True, check=True
    ).stdout
    with tempfile.TemporaryDirectory(prefix="prrt-old-") as tmp:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        yield Path(tmp)


def issue_tokens(db: str, patients: list[str]) -> list[str]:
    """A feed token for each patient, through the function `prrt feed url` calls."""
    from schedule.calendars.feeds import issue
    from schedule.domain.course import Actor
    from schedule.store.database import Store

    store = Store.open(db, STAMP, create=False)
    actor = Actor("bench", datetime(2026, 11, 21, 9, tzinfo=UTC))
    try:
        return [issue(store, pid, False, actor, lambda _token: None) for pid in patients]
    finally:
        store.close()


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a running process and its children (the workers)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children")
    kids = children.read_text().split() if children.exists() else []
    return own + sum(proc_cpu(int(kid)) for kid in kids if Path(f"/proc/{kid}").exists())


@dataclass
class Load:
    requests: int
    seconds: float
    latencies: list[float]
    other: dict[int, int]
    client_cpu: float
    server_cpu: float

    def line(self) -> str:
        lat = self.latencies
        p50, p99 = lat[len(lat) // 2] * 1000, lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
        return (
            f"{self.requests / self.seconds:,.0f}/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms "
            f"(CPU: server {self.server_cpu / self.seconds:.0%}, clients "
            f"{self.client_cpu / self.seconds:.0%} of a core)"
        )

    @property
    def p99(self) -> float:
        return self.latencies[min(len(self.latencies) - 1, int(len(self.latencies) * 0.99))]


def load(port: int, feeds: list[tuple[str, str]], clients: int, seconds: float,
         warmup: float, server_pid: int) -> Load:  # fmt: skip
    """`clients` keep-alive connections, each sending conditional GETs round the feeds one
    after the other, on one asyncio event loop (uvloop where installed): a client that costs
    a fraction of what threads cost, so that the figure is the server's."""
    import asyncio

    latencies: list[float] = []
    other: dict[int, int] = {}
    window = [0.0, 0.0]  # measured from, stop at
    asks = [
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: {etag}\r\n\r\n".encode()
        for path, etag in feeds
    ]

    async def client(i: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        n = i
        while (t := time.perf_counter()) < window[1]:
            writer.write(asks[n % len(asks)])
            n += 1
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = re.search(rb"(?i)content-length: *(\d+)", head)
            if length:
                await reader.readexactly(int(length.group(1)))
            if t >= window[0]:
                latencies.append(time.perf_counter() - t)
            if status != 304:
                other[status] = other.get(status, 0) + 1
        writer.close()

    async def run() -> None:
        now = time.perf_counter()
        window[:] = [now + warmup, now + warmup + seconds]
        await asyncio.gather(*(client(i) for i in range(clients)))

    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    cpu, server, began = time.process_time(), proc_cpu(server_pid), time.perf_counter()
    runner(run())
    wall = time.perf_counter() - began - warmup
    server_cpu = proc_cpu(server_pid) - server
    share = seconds / (seconds + warmup)  # the CPU of the measured part, roughly
    return Load(len(latencies), wall, sorted(latencies), other,
                (time.process_time() - cpu) * share, server_cpu * share)  # fmt: skip


def distinct(port: int, tokens: list[str], clients: int) -> tuple[float, list[tuple[str, str]]]:
    """Every patient's feed fetched once (a 200, its calendar built): responses a second, and
    each feed's path and ETag."""
    feeds: list[tuple[str, str]] = [("", "")] * len(tokens)
    share = [tokens[i::clients] for i in range(clients)]

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for k, token in enumerate(share[i]):
            path = f"/feeds/{token}.ics"
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{path}: {response.status}")
            feeds[i + k * clients] = (path, str(response.headers["ETag"]))
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(tokens) / (time.perf_counter() - began), feeds


def measure(
    cli: Path, db: str, tokens: list[str], args: argparse.Namespace, extra: list[str]
) -> tuple[float, Load]:
    server = subprocess.Popen(
        [sys.executable, str(cli), "--db", db, "serve", "--port", "0",
         "--workers", str(args.workers), *extra],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stderr is not None
        line = server.stderr.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not found:
            raise SystemExit(f"prrt serve did not start: {line!r}")
        port = int(found.group(1))
        threading.Thread(target=lambda: list(server.stderr or ()), daemon=True).start()
        time.sleep(1.0)  # the workers start
        rate, feeds = distinct(port, tokens, min(args.clients, 16))
        chosen = feeds[-args.feeds :]  # the latest built: in every server's cache (it keeps 256)
        result = load(port, chosen, args.clients, args.seconds, args.warmup, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    if result.other:
        raise SystemExit(f"the feed answered other than 304: {result.other}")
    return rate, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--workers", type=int, default=1, help="prrt serve --workers")
    parser.add_argument("--feeds", type=int, default=200, help="feeds the 304 load goes round")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--old", help="the commit of the old server [default: the last one]")
    args = parser.parse_args()
    commit = args.old or old_commit()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="prrt-bench-") as tmp, checkout(commit) as old:
        folder = Path(tmp)
        shape = make_shape(args.patients)
        roster, doses = write_csvs(shape, folder)
        db = folder / "new.db"
        prrt(str(db), "import", "roster", str(roster), "--past-start", "--create")
        prrt(str(db), "import", "doses", str(doses), ok=(0, 4))
        tokens = issue_tokens(str(db), [p for p, _, _ in shape.roster])
        shutil.copy(db, folder / "old.db")
        say(f"{len(tokens)} patients with a feed; old server: {commit}")
        servers = (
            ("hand-written", old / "cli.py", "old.db", []),
            ("uvicorn, h11", ROOT / "cli.py", "new.db", ["--http", "h11"]),
            ("uvicorn, httptools", ROOT / "cli.py", "new.db", ["--http", "httptools"]),
        )
        for name, cli, copy, extra in servers:
            rate, result = measure(cli, str(folder / copy), tokens, args, extra)
            say(f"{name}: 200s {rate:,.0f}/s; 304s {result.line()}")
            met = result.requests / result.seconds >= 2000 and result.p99 < 0.05
            goal = ">= 2,000/s, p99 < 50 ms"
            rows.append(Row(f"{name}: 304s, {args.clients} clients", result.line(), "-", goal, met))
            rows.append(Row(f"{name}: 200s, distinct patients", f"{rate:,.0f}/s", "-", "-", None))
    print(f"{args.patients} patients, {args.workers} worker(s), {os.cpu_count()} cores")
    print(table(rows))


if __name__ == "__main__":
    main()
