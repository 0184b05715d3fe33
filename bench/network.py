"""Issue 12's table: imports, worklists, `ics --all` and feed 304s, each beside its floor.

Run: python bench/network.py [--courses 10000] [--big 50000] [--only NAME ...] [--pg URL]
NAMEs: import-sqlite, import-pg, missed, missed-big, ics, feed (default: all of them).

Data shape (issue 12): N patients with one course each, 2/3 Lutathera and 1/3 lanreotide,
starts spread evenly over the 500 days before the as-of day 2026-11-21. The doses CSV holds
what a clinic would have entered: Lutathera prrt-k with its companion ssa-k on the dose day
(k = 1..4, every 56 days, now and then a few days late), then the monthly ssa after the course;
lanreotide ssa-k every 28 days (a few days late now and then). About 3% of doses are never
recorded: that dose is missed, and since `import doses` refuses a later dose of the series
while an earlier one is pending (the order guard; rightly: a clinic that lost a patient records
nothing more), the course's history stops there (lost to follow-up). A share of the courses
also stops being followed here after a while (moved to another centre, or not entered yet);
`LOST_PER_MONTH` is tuned so that 10,000 courses give ~47,000 rows, as the issue measured. No
labs, orders or scans are recorded, so every lab and scan that has come due is on `missed`.

Each figure is measured in a fresh process (wall seconds; peak RSS of that process and the
processes it waited for, from `getrusage(RUSAGE_CHILDREN)` in a small wrapper process, as
`bench/tracking.py` measures: for `ics --all`, whose workers are processes, the
largest one, not their sum). The feed load is 64 client threads in this process on 127.0.0.1
only, bounded by `--seconds` and `--max-requests` after `--warmup` seconds not counted (each of
`prrt serve`'s workers builds a calendar once in its own memory); its own CPU time is reported
beside the server's (its workers' included), so that a client-bound figure shows. PostgreSQL
runs in a private schema of the `--pg` database, created here and dropped at the end; no other
table is touched.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AS_OF = date(2026, 11, 21)
SPAN_DAYS = 500
NOT_RECORDED = 0.03  # a dose never recorded: missed, and the course's history ends there
LOST_PER_MONTH = 0.145  # tuned: share of courses no longer followed here, per 28 days
PG_DEFAULT = "postgresql+psycopg://127.0.0.1:5432/test"
NAMES = ("import-sqlite", "import-pg", "missed", "missed-big", "ics", "feed")
PRRT = [sys.executable, str(ROOT / "cli.py")]


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# -- the data ---------------------------------------------------------------------------------


@dataclass
class Shape:
    roster: list[tuple[str, str, date]] = field(default_factory=list)  # id, regimen, start
    doses: list[tuple[str, str, date, str]] = field(default_factory=list)  # id, event, day, dose


def course_history(rng: random.Random, regimen: str, start: date) -> list[tuple[str, date, str]]:
    """(event, day, dose) of what was given, as a clinic would have entered it by AS_OF."""
    out: list[tuple[str, date, str]] = []
    # the day this course stops being followed here (exponential, LOST_PER_MONTH per 28 days)
    followed_until = start + timedelta(days=rng.expovariate(LOST_PER_MONTH / 28))

    def give(events: list[tuple[str, str]], day: date) -> bool:
        """Record `events` on `day`; False when the history ends here."""
        if day > AS_OF or day > followed_until:
            return False
        if rng.random() < NOT_RECORDED:
            return False
        out.extend((event, day, dose) for event, dose in events)
        return True

    if regimen == "lanreotide":
        day, k = start, 1
        while give([(f"ssa-{k}", "120 mg")], day):
            day += timedelta(days=28 + rng.choice((0, 0, 0, 0, 0, 1, 2, 4)))
            k += 1
        return out
    day = start
    for k in range(1, 5):
        if not give([(f"prrt-{k}", "7.4 GBq"), (f"ssa-{k}", "30 mg")], day):
            return out
        last = day
        day += timedelta(days=56 + rng.choice((0, 0, 0, 0, 1, 2, 3, 7)))
    day, k = last + timedelta(days=28), 5
    while k <= 17 and give([(f"ssa-{k}", "30 mg")], day):
        day += timedelta(days=28 + rng.choice((0, 0, 0, 1, 3)))
        k += 1
    return out


def make_shape(courses: int, seed: int = 12) -> Shape:
    rng = random.Random(seed)
    shape = Shape()
    for i in range(courses):
        pid = f"N{i:06d}"
        regimen = "lanreotide" if i % 3 == 2 else "lutathera"
        start = AS_OF - timedelta(days=rng.randint(0, SPAN_DAYS - 1))
        shape.roster.append((pid, regimen, start))
        for event, day, dose in course_history(rng, regimen, start):
            shape.doses.append((pid, event, day, dose))
    # the file in date order, as a clinic's export would be (the import checks in file order)
    shape.doses.sort(key=lambda r: (r[2], r[0], not r[1].startswith("prrt")))
    return shape


def write_csvs(shape: Shape, folder: Path) -> tuple[Path, Path]:
    roster, doses = folder / "roster.csv", folder / "doses.csv"
    with roster.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["patient_id", "regimen", "start"])
        writer.writerows((p, r, s.isoformat()) for p, r, s in shape.roster)
    with doses.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["patient_id", "event", "date", "dose", "note", "type"])
        writer.writerows((p, e, d.isoformat(), q, "", "") for p, e, d, q in shape.doses)
    return roster, doses


# -- measuring --------------------------------------------------------------------------------


@dataclass
class Run:
    wall: float
    peak_mb: float
    cpu: float
    out: str


WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "with open(sys.argv[1], 'wb') as out, open(sys.argv[2], 'wb') as err:\n"
    "    t = time.perf_counter()\n"
    "    code = subprocess.run(sys.argv[3:], stdout=out, stderr=err).returncode\n"
    "    wall = time.perf_counter() - t\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(wall, u.ru_maxrss / 1024, u.ru_utime + u.ru_stime, code)\n"
)


def run(cmd: list[str], ok: tuple[int, ...] = (0,)) -> Run:
    """One command in a fresh process: wall seconds, peak RSS (MB) of it and of the processes
    it waited for, CPU seconds, and its standard output. Started from a small wrapper process
    (as `bench/tracking.py` does): a child forked from this process, which holds the data,
    would count this process's memory in its own peak."""
    with tempfile.TemporaryDirectory() as tmp:
        out, err = Path(tmp) / "out", Path(tmp) / "err"
        result = subprocess.run(
            [sys.executable, "-c", WRAPPER, str(out), str(err), *cmd],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        text, problem = out.read_text(), err.read_text()
    wall, peak, cpu, code = result.stdout.split()
    if int(code) not in ok:
        raise SystemExit(f"{' '.join(cmd)} failed ({code}):\n{problem}{text[-2000:]}")
    return Run(float(wall), float(peak), float(cpu), text)


def prrt(db: str, *args: str, ok: tuple[int, ...] = (0,)) -> Run:
    return run([*PRRT, "--db", db, *args], ok)


def expect_import(result: Run, rows: int) -> None:
    found = re.match(r"imported (\d+) records; (\d+) already stored", result.out)
    if not found or int(found.group(1)) != rows:
        raise SystemExit(f"import doses did not import {rows} records: {result.out!r}")


def median_time(fn: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


# -- floors -----------------------------------------------------------------------------------

STAMP = "2026-11-21T09:00:00Z"


def floor_values(shape: Shape, course_ids: dict[str, int]) -> tuple[list[tuple], list[tuple]]:
    """The rows `import doses` stores for the shape: records, and audit rows without their
    record id (filled in by the caller)."""
    records, audit = [], []
    for pid, event, day, dose in shape.doses:
        cid = course_ids[pid]
        records.append((cid, "given", event, day.isoformat(), dose, "", STAMP, "bench"))
        detail = {
            "course_id": cid, "type": "given", "event": event, "day": day.isoformat(),
            "dose": dose, "note": "", "corrects": None, "override": None, "review": None,
            "end_care": None,
        }  # fmt: skip
        audit.append((STAMP, "bench", "given", pid, cid, json.dumps(detail, sort_keys=True)))
    return records, audit


RECORDS_SQL = (
    "INSERT INTO records (id, course_id, type, event, day, dose, note, recorded_at, recorded_by)"
    " VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})"
)
AUDIT_SQL = (
    "INSERT INTO audit (at, who, action, patient_id, course_id, record_id, detail)"
    " VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p})"
)


def sqlite_floor(path: Path, shape: Shape) -> float:
    """Seconds of a plain executemany of the shape's records plus one audit row each, in one
    transaction, on `path` (a copy of the database before the import)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    ids = dict(conn.execute("SELECT patient_id, id FROM courses").fetchall())
    records, audit = floor_values(shape, ids)
    t = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM records").fetchone()[0]
    conn.executemany(RECORDS_SQL.format(p="?"), [(first + i, *r) for i, r in enumerate(records)])
    conn.executemany(
        AUDIT_SQL.format(p="?"), [(*a[:5], first + i, a[5]) for i, a in enumerate(audit)]
    )
    conn.execute("COMMIT")
    seconds = time.perf_counter() - t
    conn.close()
    return seconds


def pg_dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def pg_floor(url: str, schema: str, shape: Shape) -> float:
    """Seconds of a psycopg executemany of the same rows (records and audit) in one
    transaction, rolled back so that the import that follows finds the database as it was."""
    import psycopg

    with psycopg.connect(pg_dsn(url), options=f"-csearch_path={schema}") as conn:
        ids = dict(conn.execute("SELECT patient_id, id FROM courses").fetchall())
        records, audit = floor_values(shape, ids)
        t = time.perf_counter()
        with conn.cursor() as cur:
            cur.execute("SELECT coalesce(max(id), 0) + 1 FROM records")
            row = cur.fetchone()
            assert row is not None
            first = row[0] + 1_000_000  # ids the import will never use
            cur.executemany(
                RECORDS_SQL.format(p="%s"),
                [
                    (first + i, *r[:3], date.fromisoformat(r[3]), *r[4:])
                    for i, r in enumerate(records)
                ],
            )
            cur.executemany(
                AUDIT_SQL.format(p="%s"), [(*a[:5], first + i, a[5]) for i, a in enumerate(audit)]
            )
        seconds = time.perf_counter() - t
        conn.rollback()
    return seconds


@contextmanager
def pg_schema(url: str) -> Iterator[tuple[str, str]]:
    """A new, empty schema (the `--db` URL that uses it, and its name); dropped afterwards."""
    import psycopg

    schema = f"prrt_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_dsn(url), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{schema}", schema
    finally:
        with psycopg.connect(pg_dsn(url), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        say(f"dropped schema {schema}")


def facts_floor(db: str) -> float:
    """Median seconds (of 3) to read every course's facts in-process, as `missed` does."""
    from schedule.store.database import Store

    store = Store.open(db, STAMP, create=False)
    try:

        def read() -> None:
            with store.read() as tx:
                tx.facts()

        return median_time(read, 3)
    finally:
        store.close()


# -- the figures ------------------------------------------------------------------------------


@dataclass
class Row:
    operation: str
    measured: str
    floor: str
    goal: str
    met: bool | None


def import_sqlite(folder: Path, shape: Shape, db: Path, rows: list[Row]) -> None:
    roster, doses = write_csvs(shape, folder)
    n = len(shape.doses)
    r = prrt(str(db), "import", "roster", str(roster), "--past-start")
    say(f"import roster ({len(shape.roster)} patients): {r.wall:.1f} s; {r.out.strip()}")
    before = folder / "before-import.db"
    shutil.copyfile(db, before)
    floor = sqlite_floor(before, shape)
    say(f"floor: executemany of {n} records + {n} audit rows: {floor:.2f} s")
    r = prrt(str(db), "import", "doses", str(doses))
    expect_import(r, n)
    say(f"import doses, SQLite: {r.wall:.1f} s, peak {r.peak_mb:.0f} MB; {r.out.strip()}")
    rows.append(
        Row(
            f"import doses, SQLite ({n} rows)",
            f"{r.wall:.1f} s ({n / r.wall:.0f} rows/s), {r.peak_mb:.0f} MB",
            f"executemany records + audit: {floor:.2f} s",
            "< 5 s",
            r.wall < 5,
        )
    )


def import_pg(folder: Path, shape: Shape, url: str, rows: list[Row]) -> None:
    roster, doses = write_csvs(shape, folder)
    n = len(shape.doses)
    with pg_schema(url) as (db, schema):
        r = prrt(db, "import", "roster", str(roster), "--past-start")
        say(f"import roster into PostgreSQL schema {schema}: {r.wall:.1f} s")
        floor = pg_floor(url, schema, shape)
        say(f"floor: psycopg executemany of {n} records + {n} audit rows: {floor:.2f} s")
        r = prrt(db, "import", "doses", str(doses))
        expect_import(r, n)
        say(f"import doses, PostgreSQL: {r.wall:.1f} s, peak {r.peak_mb:.0f} MB")
    rows.append(
        Row(
            f"import doses, PostgreSQL ({n} rows)",
            f"{r.wall:.1f} s ({n / r.wall:.0f} rows/s), {r.peak_mb:.0f} MB",
            f"psycopg executemany records + audit: {floor:.2f} s",
            "< 10 s",
            r.wall < 10,
        )
    )


def missed_runs(db: str) -> tuple[float, float, int]:
    """Median wall (of 3), peak MB, and rows listed of `missed --as-of AS_OF`."""
    args = ("missed", "--as-of", AS_OF.isoformat(), "-f", "csv")
    runs = [prrt(db, *args) for _ in range(3)]
    listed = {r.out.count("\n") - 1 for r in runs}
    assert len(listed) == 1, f"missed listed different rows: {listed}"
    return statistics.median(r.wall for r in runs), max(r.peak_mb for r in runs), listed.pop()


def missed(db: str, courses: int, rows: list[Row]) -> float:
    wall, peak, listed = missed_runs(db)
    floor = facts_floor(db)
    say(f"missed: {wall:.2f} s, {peak:.0f} MB, {listed} rows; reading the facts {floor:.2f} s")
    rows.append(
        Row(
            f"missed --as-of, SQLite ({courses} courses, {listed} rows)",
            f"{wall:.2f} s (median of 3), {peak:.0f} MB",
            f"reading the facts: {floor:.2f} s",
            "< 1 s, < 300 MB",
            wall < 1 and peak < 300,
        )
    )
    return wall


def build_direct(db: Path, folder: Path, shape: Shape) -> None:
    """The shape's roster through `prrt import roster`, its doses through the import's own bulk
    write (`Tx.add_records_bulk`: records, claims, audit) without the row-by-row check, which
    `import-sqlite` measures; the rows are the same generator's."""
    from schedule.domain.course import Actor, Record
    from schedule.domain.model import RecordType
    from schedule.store.database import Store

    roster, _ = write_csvs(shape, folder)
    prrt(str(db), "import", "roster", str(roster), "--past-start")
    store = Store.open(str(db), STAMP)
    actor = Actor("bench", datetime(2026, 11, 21, 9, tzinfo=UTC))
    try:
        with store.write() as tx:
            ids = {c.patient_id: c.id for c in tx.courses()}
            items = [
                (pid, Record(0, ids[pid], RecordType.GIVEN, day, event, dose))
                for pid, event, day, dose in shape.doses
            ]
            tx.add_records_bulk(items, actor, "import-doses")
    finally:
        store.close()


def missed_big(folder: Path, big: int, small_courses: int, small_wall: float | None,
               rows: list[Row]) -> None:  # fmt: skip
    shape = make_shape(big, seed=13)
    db = folder / "big.db"
    t = time.perf_counter()
    build_direct(db, folder, shape)
    say(
        f"big database: {big} courses, {len(shape.doses)} records ({time.perf_counter() - t:.0f} s)"
    )
    wall, peak, listed = missed_runs(str(db))
    floor = facts_floor(str(db))
    say(f"missed, {big} courses: {wall:.2f} s, {peak:.0f} MB, {listed} rows")
    linear = None
    ratio_text = ""
    if small_wall:
        ratio = wall / small_wall
        scale = big / small_courses
        linear = ratio <= scale * 1.25
        ratio_text = f"; {ratio:.1f}x the {small_courses} figure for {scale:.0f}x the courses"
    rows.append(
        Row(
            f"missed, {big} courses ({listed} rows)",
            f"{wall:.2f} s, {peak:.0f} MB{ratio_text}",
            f"reading the facts: {floor:.2f} s",
            "< 5 s, < 1 GB, linear",
            wall < 5 and peak < 1024 and linear is not False,
        )
    )


def ics_all(folder: Path, db: str, patients: int, rows: list[Row]) -> None:
    out = folder / "calendars"
    shutil.rmtree(out, ignore_errors=True)
    first = prrt(db, "ics", "--all", "--dir", str(out))
    files = len(list(out.glob("*.ics")))
    say(f"ics --all, first run: {first.wall:.1f} s, {first.peak_mb:.0f} MB; {first.out.strip()}")
    again = prrt(db, "ics", "--all", "--dir", str(out))
    say(f"ics --all, nothing changed: {again.wall:.1f} s; {again.out.strip()}")
    if not re.search(rf"{files} unchanged", again.out):
        raise SystemExit(f"the second ics --all run changed files: {again.out!r}")
    rows.append(
        Row(
            f"ics --all first run, {patients} patients ({files} files)",
            f"{first.wall:.1f} s, {first.peak_mb:.0f} MB (CPU {first.cpu:.1f} s)",
            "",
            "< 15 s",
            first.wall < 15,
        )
    )
    rows.append(
        Row(
            "ics --all again, nothing changed",
            f"{again.wall:.1f} s, {again.peak_mb:.0f} MB",
            "",
            "(none in the issue)",
            None,
        )
    )


# -- the feed load ----------------------------------------------------------------------------


def issue_tokens(db: str, patients: list[str]) -> list[str]:
    """A feed token for each patient, through the function `prrt feed url` calls."""
    from schedule.calendars.feeds import issue
    from schedule.domain.course import Actor
    from schedule.store.database import Store

    store = Store.open(db, STAMP, create=False)
    actor = Actor("bench", datetime(2026, 11, 21, 9, tzinfo=UTC))
    tokens: list[str] = []
    try:
        for pid in patients:
            tokens.append(issue(store, pid, False, actor, lambda _token: None))
    finally:
        store.close()
    return tokens


def token_floor(db: str, token: str) -> tuple[float, float]:
    """Median seconds (of 1000) of one token lookup in an open read transaction: the bare
    SELECT on the driver's cursor, and through `tokens.token_owner` (what the server calls)."""
    from schedule.calendars.feeds import token_hash
    from schedule.store.database import Store

    store = Store.open(db, STAMP, create=False)
    digest = token_hash(token)
    bare = (
        "SELECT id, patient_id, with_name, created_at, created_by FROM feed_tokens"
        " WHERE token_hash = ? AND revoked_at IS NULL"
    )
    try:
        with store.read() as tx:
            assert tx.tokens.token_owner(digest) is not None
            cursor = tx.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]

            def query() -> None:
                cursor.execute(bare, (digest,))
                assert cursor.fetchone() is not None

            sql = median_time(query, 1000)
            cursor.close()
            api = median_time(lambda: tx.tokens.token_owner(digest), 1000)
    finally:
        store.close()
    return sql, api


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a running process and its running children (the
    server's workers), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children")
    kids = children.read_text().split() if children.exists() else []
    return own + sum(proc_cpu(int(kid)) for kid in kids)


@dataclass
class Load:
    requests: int
    seconds: float
    latencies: list[float]
    other: dict[int, int]
    reconnects: int
    client_cpu: float
    server_cpu: float


def load(host: str, port: int, feeds: list[tuple[str, str]], clients: int, seconds: float,
         limit: int, server_pid: int, warmup: float = 0.0) -> Load:  # fmt: skip
    """`clients` threads, each on its own keep-alive connection, sending conditional GETs
    (If-None-Match) round the feeds until `seconds` have passed or `limit` requests are sent,
    after `warmup` seconds of the same load that are not counted (each of the server's workers
    builds the calendars it is asked for once, in its own memory)."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    other: dict[int, int] = {}
    reconnects = [0] * clients
    per_client = max(1, limit // clients)
    start = threading.Barrier(clients + 1)
    lock = threading.Lock()
    measure_from, stop_at = [0.0], [0.0]

    def client(i: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        mine = latencies[i]
        start.wait()
        n = i
        while len(mine) < per_client and time.perf_counter() < stop_at[0]:
            path, etag = feeds[n % len(feeds)]
            n += 1
            t = time.perf_counter()
            conn.request("GET", path, headers={"If-None-Match": etag})
            response = conn.getresponse()
            response.read()
            if t >= measure_from[0]:
                mine.append(time.perf_counter() - t)
            if response.status != 304:
                with lock:
                    other[response.status] = other.get(response.status, 0) + 1
            if response.will_close:
                reconnects[i] += 1
                conn.close()
        conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    t = time.perf_counter()
    measure_from[0] = t + warmup
    stop_at[0] = t + warmup + seconds
    start.wait()
    time.sleep(max(0.0, measure_from[0] - time.perf_counter()))
    cpu0, server0 = time.process_time(), proc_cpu(server_pid)
    t = time.perf_counter()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    wall = time.perf_counter() - t
    flat = sorted(x for mine in latencies for x in mine)
    return Load(
        len(flat),
        wall,
        flat,
        other,
        sum(reconnects),
        time.process_time() - cpu0,
        proc_cpu(server_pid) - server0,
    )


def feed(db: str, patients: list[str], args: argparse.Namespace, rows: list[Row]) -> None:
    chosen = patients[: args.feeds]
    tokens = issue_tokens(db, chosen)
    floor, api = token_floor(db, tokens[0])
    say(
        f"issued {len(tokens)} feed tokens; one token query: {floor * 1e6:.0f} us (bare SELECT), "
        f"{api * 1e6:.0f} us (FeedTokens.token_owner)"
    )
    workers = ["--workers", str(args.workers)] if args.workers else []
    server = subprocess.Popen(
        [*PRRT, "--db", db, "serve", "--host", "127.0.0.1", "--port", "0",
         "--threads", str(args.threads), *workers],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stderr is not None
        line = server.stderr.readline()
        found = re.search(r"http://(127\.0\.0\.1):(\d+)/", line)
        if not found:
            raise SystemExit(f"prrt serve did not start: {line!r}")
        host, port = found.group(1), int(found.group(2))
        # Keep reading the server's stderr: a full pipe would stop the server mid-load.
        logged: list[str] = []
        drain = threading.Thread(target=lambda: logged.extend(server.stderr or ()), daemon=True)
        drain.start()
        feeds = []
        conn = http.client.HTTPConnection(host, port, timeout=60)
        t = time.perf_counter()
        for token in tokens:
            path = f"/feeds/{token}.ics"
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status != 200 or not response.headers.get("ETag"):
                raise SystemExit(f"{path}: {response.status}, no ETag")
            feeds.append((path, response.headers["ETag"]))
            if response.will_close:
                conn.close()
        conn.close()
        say(f"fetched {len(feeds)} feeds once (200s): {time.perf_counter() - t:.1f} s")
        result = load(host, port, feeds, args.clients, args.seconds, args.max_requests,
                      server.pid, args.warmup)  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)
    shown = re.search(r" in (\d+) processes", line)
    processes = int(shown.group(1)) if shown else 1
    say(f"server log: {len(logged)} lines" + (f": {logged[:5]}" if logged else ""))
    lat = result.latencies
    rate = result.requests / result.seconds
    p50 = lat[len(lat) // 2] * 1000
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
    say(
        f"feed 304s: {result.requests} requests in {result.seconds:.1f} s = {rate:.0f}/s, "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {lat[-1] * 1000:.0f} ms; non-304: "
        f"{result.other or 'none'}; reconnects {result.reconnects}; CPU: client "
        f"{result.client_cpu:.1f} s, server {result.server_cpu:.1f} s"
    )
    if result.other:
        raise SystemExit(f"the feed answered other than 304: {result.other}")
    rows.append(
        Row(
            f"feed 304s, serve --workers {processes}, {args.clients} clients",
            f"{rate:.0f}/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms ({result.requests} requests, "
            f"all 304; CPU client {result.client_cpu / result.seconds:.0%}, server "
            f"{result.server_cpu / result.seconds:.0%} of a core, "
            f"{result.server_cpu / result.requests * 1e6:.0f} us a request)",
            f"one token query: {floor * 1e6:.0f} us ({api * 1e6:.0f} us via token_owner)",
            f">= 1,000/s, p99 < 50 ms at {args.clients} clients",
            rate >= 1000 and p99 < 50,
        )
    )


# -- main -------------------------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    head = ("operation", "measured", "floor measured beside it", "goal", "")
    body = [
        (r.operation, r.measured, r.floor, r.goal, {True: "met", False: "MISSED", None: "-"}[r.met])
        for r in rows
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cells) + " |" for cells in body]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=50_000, help="0 skips missed-big")
    parser.add_argument("--only", nargs="+", choices=NAMES, metavar="NAME")
    parser.add_argument("--pg", default=PG_DEFAULT, help=f"[default: {PG_DEFAULT}]")
    parser.add_argument("--feeds", type=int, default=200, help="patients with a feed token")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--threads", type=int, default=16, help="prrt serve --threads")
    parser.add_argument("--workers", type=int, help="prrt serve --workers [default: its own]")
    parser.add_argument("--seconds", type=float, default=10.0, help="feed load duration")
    parser.add_argument("--warmup", type=float, default=2.0, help="feed load not counted first")
    parser.add_argument("--max-requests", type=int, default=200_000)
    args = parser.parse_args()
    chosen = set(args.only or NAMES)
    if args.big <= 0:
        chosen.discard("missed-big")
    t0 = time.perf_counter()
    shape = make_shape(args.courses)
    n_lut = sum(1 for _, r, _ in shape.roster if r == "lutathera")
    print(
        f"data: {args.courses} courses ({n_lut} Lutathera, {args.courses - n_lut} lanreotide), "
        f"starts over the {SPAN_DAYS} days before {AS_OF}, {len(shape.doses)} dose rows "
        f"({len(shape.doses) / args.courses:.2f} per course), no labs recorded; "
        f"{os.cpu_count()} cores",
        flush=True,
    )
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="prrt-bench-") as tmp:
        folder = Path(tmp)
        db = folder / "bench.db"
        needs_db = chosen & {"import-sqlite", "missed", "missed-big", "ics", "feed"}
        if needs_db:
            if "import-sqlite" in chosen:
                import_sqlite(folder, shape, db, rows)
            else:
                build_direct(db, folder, shape)
                say(f"built {db.name} without the import (import-sqlite not chosen)")
        if "import-pg" in chosen:
            import_pg(folder, shape, args.pg, rows)
        small_wall = missed(str(db), args.courses, rows) if "missed" in chosen else None
        if "missed-big" in chosen:
            missed_big(folder, args.big, args.courses, small_wall, rows)
        if "ics" in chosen:
            ics_all(folder, str(db), args.courses, rows)
        if "feed" in chosen:
            feed(str(db), [p for p, _, _ in shape.roster], args, rows)
    print(table(rows))
    print(f"total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
