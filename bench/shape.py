"""The data the benchmarks share: a network's patients and doses (`make_shape`), written as CSVs
or stored (`build_direct`), and commands timed in fresh processes (`run`, `prrt`).

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
"""

from __future__ import annotations

import compileall
import csv
import functools
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
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
PRRT = [sys.executable, str(ROOT / "cli.py")]


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# -- the data ---------------------------------------------------------------------------------


@dataclass
class Shape:
    roster: list[tuple[str, str, date]] = field(default_factory=list)  # id, regimen, start
    doses: list[tuple[str, str, date, str]] = field(default_factory=list)  # id, event, day, dose


def course_history(
    rng: random.Random, regimen: str, start: date, lost: float = LOST_PER_MONTH
) -> list[tuple[str, date, str]]:
    """(event, day, dose) of what was given, as a clinic would have entered it by AS_OF."""
    out: list[tuple[str, date, str]] = []
    # the day this course stops being followed here (exponential, `lost` per 28 days)
    followed_until = start + timedelta(days=min(rng.expovariate(lost / 28), 3 * SPAN_DAYS))

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


def make_shape(courses: int, seed: int = 12, lost: float = LOST_PER_MONTH) -> Shape:
    """`courses` courses; `lost`: the share of courses no longer followed here, per 28 days."""
    rng = random.Random(seed)
    shape = Shape()
    for i in range(courses):
        pid = f"N{i:06d}"
        regimen = "lanreotide" if i % 3 == 2 else "lutathera"
        start = AS_OF - timedelta(days=rng.randint(0, SPAN_DAYS - 1))
        shape.roster.append((pid, regimen, start))
        for event, day, dose in course_history(rng, regimen, start, lost):
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


@functools.cache
def compiled() -> None:
    """The checkout's bytecode, written once before the first command, as an installed prrt
    has it (pip compiles a package as it installs it): where PYTHONDONTWRITEBYTECODE is set,
    every command would otherwise compile each of prrt's modules again."""
    for folder in ("schedule", "commands"):
        compileall.compile_dir(ROOT / folder, quiet=1)


def run(cmd: list[str], ok: tuple[int, ...] = (0,)) -> Run:
    """One command in a fresh process: wall seconds, peak RSS (MB) of it and of the processes
    it waited for, CPU seconds, and its standard output. Started from a small wrapper process
    (as `bench/tracking.py` does): a child forked from this process, which holds the data,
    would count this process's memory in its own peak."""
    compiled()
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


STAMP = "2026-11-21T09:00:00Z"


def build_direct(db: Path, folder: Path, shape: Shape) -> None:
    """The shape's roster through `prrt import roster`, its doses through the import's own bulk
    write (`Tx.add_records_bulk`: records, claims, audit) without the row-by-row check, which
    `import-sqlite` measures; the rows are the same generator's."""
    from schedule.domain.course import Actor, Record
    from schedule.domain.model import RecordType
    from schedule.store.database import Store

    roster, _ = write_csvs(shape, folder)
    prrt(str(db), "import", "roster", str(roster), "--past-start", "--create")
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


@dataclass
class Row:
    operation: str
    measured: str
    floor: str
    goal: str
    met: bool | None


def table(rows: list[Row]) -> str:
    head = ("operation", "measured", "floor measured beside it", "goal", "")
    body = [
        (r.operation, r.measured, r.floor, r.goal, {True: "met", False: "MISSED", None: "-"}[r.met])
        for r in rows
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cells) + " |" for cells in body]
    return "\n".join(lines)
