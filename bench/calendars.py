"""Calendar figures on 10,000 patients.

Run: python bench/calendars.py [--patients N] [--requests N]
Builds the same database as bench/tracking.py, then reports:
- `prrt ics --all --dir DIR` on an empty folder and a database that never published: wall time
  and peak memory, beside the time icalendar needs to serialise the very same events (each
  written file read back with `Calendar.from_ical`, untimed; only `to_ical()` is timed).
  Goal: within 1.25x.
- the same command again with nothing changed. Goal: under 5% of the first run.
- `prrt serve` answering one patient's feed: requests per second with 304s (If-None-Match)
  and with full bodies, measured with wrk where installed, else with Python client threads.
"""

from __future__ import annotations

import argparse
import http.client
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tracking import build, measure  # noqa: E402


def icalendar_seconds(folder: Path) -> tuple[float, int]:
    """Seconds icalendar's `to_ical()` takes for every calendar in `folder`, and the events."""
    from icalendar import Calendar

    total, events = 0.0, 0
    for path in sorted(folder.glob("*.ics")):
        calendar = Calendar.from_ical(path.read_bytes())
        events += len(calendar.walk("VEVENT"))
        t = time.perf_counter()
        calendar.to_ical()
        total += time.perf_counter() - t
    return total, events


def load(host: str, port: int, path: str, headers: dict[str, str], seconds: float) -> float:
    """Requests per second: with wrk (Debian package `wrk`) when installed, 2 threads and 8
    keep-alive connections; else from 4 Python threads, each on its own connection."""
    if shutil.which("wrk"):
        extra = [a for k, v in headers.items() for a in ("-H", f"{k}: {v}")]
        out = subprocess.run(
            ["wrk", "-t2", "-c8", f"-d{seconds:.0f}s", *extra, f"http://{host}:{port}{path}"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        if "Non-2xx or 3xx responses" in out:
            raise SystemExit(f"feed answered errors:\n{out}")
        found = re.search(r"Requests/sec:\s+([\d.]+)", out)
        if not found:
            raise SystemExit(f"cannot read wrk's output:\n{out}")
        return float(found.group(1))
    counts = [0] * 4
    stop = time.perf_counter() + seconds

    def client(i: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        while time.perf_counter() < stop:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status not in (200, 304):
                raise SystemExit(f"feed answered {response.status}")
            counts[i] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    t = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - t)


def feed_figures(prrt: list[str], db: str, seconds: float) -> None:
    server = subprocess.Popen(
        [*prrt, "--db", db, "serve", "--port", "0", "--threads", "4"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        found = re.search(r"http://(127\.0\.0\.1):(\d+)/", server.stderr.readline())
        if not found:
            raise SystemExit("prrt serve did not start")
        host, port = found.group(1), int(found.group(2))
        # Keep reading what the server writes, so that a full pipe never stops it.
        threading.Thread(target=server.stderr.read, daemon=True).start()
        base = f"http://{host}:{port}"
        link = subprocess.run(
            [*prrt, "--db", db, "feed", "url", "B00000", "--base", base],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()[0]  # fmt: skip: the webcal:// link
        path = link.split(f"{host}:{port}", 1)[1]
        conn = http.client.HTTPConnection(host, port, timeout=10)
        conn.request("GET", path)
        first = conn.getresponse()
        body = first.read()
        etag = first.headers["ETag"]
        conn.close()
        client = "wrk -t2 -c8" if shutil.which("wrk") else "4 Python keep-alive clients"
        not_modified = load(host, port, path, {"If-None-Match": etag}, seconds)
        full = load(host, port, path, {}, seconds)
        print(
            f"prrt serve, one patient's feed ({len(body)} bytes): {not_modified:.0f} req/s with "
            f"304s, {full:.0f} req/s with full bodies ({client}, {seconds:.0f} s each)"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5.0, help="per feed load run")
    args = parser.parse_args()
    prrt = [sys.executable, str(ROOT / "cli.py")]
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        n_records = build(db, args.patients)
        print(f"database: {args.patients} patients, {n_records} records")
        folder = Path(tmp) / "calendars"
        command = [*prrt, "--db", db, "ics", "--all", "--dir", str(folder)]
        first, peak = measure(command)
        serialise, events = icalendar_seconds(folder)
        files = len(list(folder.glob("*.ics")))
        ratio = first / serialise
        print(
            f"prrt ics --all (first run): {first:.2f} s, peak {peak:.0f} MB, {files} files, "
            f"{events} events"
        )
        print(
            f"icalendar to_ical() of the same {events} events: {serialise:.2f} s; "
            f"ratio {ratio:.2f}x  goal <= 1.25x: {'met' if ratio <= 1.25 else 'MISSED'}"
        )
        again, peak_again = measure(command)
        share = again / first
        print(
            f"prrt ics --all (nothing changed): {again:.2f} s, peak {peak_again:.0f} MB = "
            f"{share:.1%} of the first  goal < 5%: {'met' if share < 0.05 else 'MISSED'}"
        )
        feed_figures(prrt, db, args.seconds)


if __name__ == "__main__":
    main()
