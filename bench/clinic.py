"""Issue 12's table: imports, worklists and `ics --all`, each beside its floor (the feed server:
`bench/network.py`).

Run: python bench/clinic.py [--courses 10000] [--big 50000] [--only NAME ...] [--pg URL]
NAMEs: import-sqlite, import-pg, missed, missed-big, ics (default: all of them).

The data: `bench/shape.py`. Each figure is measured in a fresh process (wall seconds; peak RSS
of that process and the processes it waited for, from `getrusage(RUSAGE_CHILDREN)` in a small
wrapper process, as `bench/tracking.py` measures: for `ics --all`, whose workers are processes,
the largest one, not their sum). PostgreSQL runs in a private schema of the `--pg` database,
created here and dropped at the end; no other table is touched.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from shape import (  # the folder is on the path when run as a script
    AS_OF,
    PG_DEFAULT,
    SPAN_DAYS,
    STAMP,
    Row,
    Shape,
    build_direct,
    expect_import,
    make_shape,
    median_time,
    prrt,
    say,
    table,
    write_csvs,
)  # fmt: skip

NAMES = ("import-sqlite", "import-pg", "missed", "missed-big", "ics")


# -- floors -----------------------------------------------------------------------------------


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


def import_sqlite(folder: Path, shape: Shape, db: Path, rows: list[Row]) -> None:
    roster, doses = write_csvs(shape, folder)
    n = len(shape.doses)
    r = prrt(str(db), "import", "roster", str(roster), "--past-start", "--create")
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
        r = prrt(db, "import", "roster", str(roster), "--past-start", "--create")
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


# -- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=50_000, help="0 skips missed-big")
    parser.add_argument("--only", nargs="+", choices=NAMES, metavar="NAME")
    parser.add_argument("--pg", default=PG_DEFAULT, help=f"[default: {PG_DEFAULT}]")
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
        needs_db = chosen & {"import-sqlite", "missed", "missed-big", "ics"}
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
    print(table(rows))
    print(f"total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
