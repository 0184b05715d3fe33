"""Issue 30's table: a clinic that records only doses (labs and orders never), so that `missed`
lists most of what came due; every output format, SQLite and PostgreSQL, 10,000 and 50,000
courses; `handout` and `report -o` on the sample clinic.

Run: python bench/unrecorded.py [--courses 10000] [--big 50000] [--only NAME ...] [--pg URL]
NAMEs: import-sqlite, import-pg, missed, missed-pg, missed-big, missed-big-pg, handout, report
(default: all of them; missed-pg needs import-pg, which keeps its schema for it).

The data: `bench/shape.py` with `LOST` (courses no longer followed here, per 28 days) chosen so
that 10,000 courses give the issue's 42,5xx dose rows. Each figure is one command in a fresh
process (`shape.run`): wall seconds (the median of `RUNS`), the peak RSS of the process and the
processes it waited for, and the CPU seconds of all of them (the figure that moves least on a
machine shared with other work).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager as ContextManager
from contextlib import ExitStack, contextmanager
from pathlib import Path

from clinic import pg_schema  # the folder is on the path when run as a script
from shape import (
    AS_OF,
    PG_DEFAULT,
    ROOT,
    SPAN_DAYS,
    Row,
    Run,
    Shape,
    build_direct,
    expect_import,
    make_shape,
    prrt,
    say,
    table,
    write_csvs,
)  # fmt: skip

NAMES = (
    "import-sqlite", "import-pg", "missed", "missed-pg", "missed-big", "missed-big-pg",
    "handout", "report",
)  # fmt: skip
LOST = 0.18
RUNS = 3
FORMATS = ("table", "csv", "json")
SAMPLES = ROOT / "samples"


def median_run(make: Callable[[], Run]) -> tuple[Run, float, float, float]:
    """`RUNS` runs: the last, the median wall, the largest peak (MB), the median CPU."""
    runs = [make() for _ in range(RUNS)]
    wall = statistics.median(r.wall for r in runs)
    return runs[-1], wall, max(r.peak_mb for r in runs), statistics.median(r.cpu for r in runs)


def imports(
    fresh: Callable[[], ContextManager[str]],
    label: str,
    shape: Shape,
    folder: Path,
    goal: float,
    rows: list[Row],
    stack: ExitStack,
) -> str:
    """`import roster` then `import doses` of the shape, `RUNS` times, each into a new empty
    database that `fresh` makes (its --db): the median wall and CPU of each, the largest peak.
    The last database is kept open on `stack` for what follows; its --db is returned."""
    roster, doses = write_csvs(shape, folder)
    runs: dict[str, list[Run]] = {"roster": [], "doses": []}
    target = ""
    for n in range(RUNS):
        with ExitStack() as this_run:  # the last run's database stays for what follows
            target = (stack if n == RUNS - 1 else this_run).enter_context(fresh())
            runs["roster"].append(
                prrt(target, "import", "roster", str(roster), "--past-start", "--create")
            )
            r = prrt(target, "import", "doses", str(doses))
            expect_import(r, len(shape.doses))
            runs["doses"].append(r)
            say(f"import doses, {label}: {r.wall:.1f} s (CPU {r.cpu:.1f} s), {r.peak_mb:.0f} MB")
    for what, n, unit, aim in (
        ("roster", len(shape.roster), "patients", None), ("doses", len(shape.doses), "rows", goal)
    ):  # fmt: skip
        wall = statistics.median(r.wall for r in runs[what])
        cpu = statistics.median(r.cpu for r in runs[what])
        peak = max(r.peak_mb for r in runs[what])
        rows.append(
            Row(f"import {what}, {label} ({n} {unit})",
                f"{wall:.1f} s (median of {RUNS}), CPU {cpu:.1f} s, {peak:.0f} MB", "",
                "(met before)" if aim is None else f"< {aim:g} s",
                None if aim is None else wall < aim)
        )  # fmt: skip
    return target


@contextmanager
def sqlite_file(folder: Path) -> Iterator[str]:
    """A new SQLite file's --db, in `folder`; removed afterwards."""
    db = folder / f"import-{uuid.uuid4().hex[:8]}.db"
    try:
        yield str(db)
    finally:
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            path.unlink(missing_ok=True)


def missed(
    db: str, label: str, courses: int, goal: float, rows: list[Row], most_mb: float | None = 150
) -> dict[str, float]:
    """`missed --as-of AS_OF` in every format; the median wall of each. `goal` (seconds) and
    `most_mb` are the CSV run's."""
    walls = {}
    for fmt in FORMATS:
        args = ("missed", "--as-of", AS_OF.isoformat(), "-f", fmt)
        last, wall, peak, cpu = median_run(lambda args=args: prrt(db, *args))
        listed = last.out.count("\n") - 1 if fmt != "json" else last.out.count('"patient_id"')
        walls[fmt] = wall
        say(f"missed -f {fmt}, {label}, {courses} courses: {wall:.2f} s, {peak:.0f} MB, {listed}")
        met = (wall < goal and (most_mb is None or peak < most_mb)) if fmt == "csv" else None
        rows.append(
            Row(f"missed -f {fmt}, {label}, {courses} courses ({listed} rows)",
                f"{wall:.2f} s (median of {RUNS}), CPU {cpu:.2f} s, {peak:.0f} MB", "",
                (f"< {goal:g} s" + (f", < {most_mb:g} MB" if most_mb else "")) if fmt == "csv"
                else "", met)
        )  # fmt: skip
    return walls


def linear(rows: list[Row], small: dict[str, float], big: dict[str, float], n: int, m: int) -> None:
    """How the median walls grew from `m` courses to `n`, per format."""
    scale, sizes = n / m, f"{n:,} / {m:,}"
    for fmt in FORMATS:
        if fmt in small and fmt in big:
            ratio = big[fmt] / small[fmt]
            rows.append(
                Row(f"missed -f {fmt}: {sizes} courses", f"{ratio:.1f}x for {scale:.0f}x",
                    "", "linear", ratio <= scale * 1.25)
            )  # fmt: skip


def sample_clinic(folder: Path) -> str:
    db = str(folder / "sample.db")
    prrt(db, "import", "roster", str(SAMPLES / "roster.csv"), "--past-start", "--create")
    prrt(db, "import", "doses", str(SAMPLES / "doses.csv"))
    return db


def handout_and_report(folder: Path, chosen: set[str], rows: list[Row]) -> None:
    db = sample_clinic(folder)
    runs: list[tuple[str, tuple[str, ...], float]] = []
    if "handout" in chosen:
        for ext in ("pdf", "html"):
            out = str(folder / f"handout.{ext}")
            runs.append((f"handout NET-001 -o .{ext}", ("handout", "NET-001", "-o", out), 0.8))
    if "report" in chosen:
        runs.append(("report -o, sample clinic", ("report", "-o", str(folder / "r.html")), 1.0))
    for label, args, goal in runs:
        _, wall, peak, cpu = median_run(lambda args=args: prrt(db, *args))
        say(f"{label}: {wall:.2f} s, CPU {cpu:.2f} s, {peak:.0f} MB")
        rows.append(
            Row(label, f"{wall:.2f} s (median of {RUNS}), CPU {cpu:.2f} s, {peak:.0f} MB", "",
                f"< {goal:g} s", wall < goal)
        )  # fmt: skip


@contextmanager
def pg_url(url: str) -> Iterator[str]:
    """A new, empty PostgreSQL schema's --db (dropped afterwards)."""
    with pg_schema(url) as (schema_url, _):
        yield schema_url


Walls = dict[str, dict[str, float]]  # "sqlite", "pg" -> format -> median wall


def big_figures(
    folder: Path, args: argparse.Namespace, chosen: set[str], small: Walls, rows: list[Row]
) -> None:
    shape = make_shape(args.big, seed=13, lost=LOST)
    if "missed-big" in chosen:
        db = folder / "big.db"
        t = time.perf_counter()
        build_direct(db, folder, shape)
        say(f"big SQLite database: {len(shape.doses)} records ({time.perf_counter() - t:.0f} s)")
        big = missed(str(db), "SQLite", args.big, 5, rows, None)
        linear(rows, small.get("sqlite", {}), big, args.big, args.courses)
    if "missed-big-pg" in chosen:
        with pg_schema(args.pg) as (url, _):
            build_direct(url, folder, shape)
            big = missed(url, "PostgreSQL", args.big, 5, rows, None)
            linear(rows, small.get("pg", {}), big, args.big, args.courses)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=50_000)
    parser.add_argument("--only", nargs="+", choices=NAMES, metavar="NAME")
    parser.add_argument("--pg", default=PG_DEFAULT, help=f"[default: {PG_DEFAULT}]")
    args = parser.parse_args()
    chosen = set(args.only or NAMES)
    t0 = time.perf_counter()
    shape = make_shape(args.courses, lost=LOST)
    print(
        f"data: {args.courses} courses, starts over the {SPAN_DAYS} days before {AS_OF}, "
        f"{len(shape.doses)} dose rows, no labs or orders recorded; {os.cpu_count()} cores; "
        f"load average {os.getloadavg()[0]:.1f} at the start",
        flush=True,
    )
    rows: list[Row] = []
    small: Walls = {}
    with tempfile.TemporaryDirectory(prefix="prrt-bench-") as tmp:
        folder = Path(tmp)
        if chosen & {"import-sqlite", "missed"}:
            with ExitStack() as stack:
                if "import-sqlite" in chosen:
                    fresh = lambda: sqlite_file(folder)  # noqa: E731
                    db = imports(fresh, "SQLite", shape, folder, 3, rows, stack)
                else:
                    db = str(folder / "bench.db")
                    build_direct(Path(db), folder, shape)
                if "missed" in chosen:
                    small["sqlite"] = missed(db, "SQLite", args.courses, 1, rows)
        if "import-pg" in chosen:
            with ExitStack() as stack:
                fresh = lambda: pg_url(args.pg)  # noqa: E731
                url = imports(fresh, "PostgreSQL", shape, folder, 6, rows, stack)
                if "missed-pg" in chosen:
                    small["pg"] = missed(url, "PostgreSQL", args.courses, 1, rows)
        big_figures(folder, args, chosen, small, rows)
        if chosen & {"handout", "report"}:
            handout_and_report(folder, chosen, rows)
        shutil.rmtree(folder / "calendars", ignore_errors=True)
    print(table(rows))
    load = os.getloadavg()[0]
    print(f"total {time.perf_counter() - t0:.0f} s; load average {load:.1f} at the end")


if __name__ == "__main__":
    main()
