"""Worklist and import figures on 10,000 courses.

Run: python bench/tracking.py [--courses N] [--db URL]
Builds a database of N courses with realistic histories (Lutathera at every stage, lanreotide,
octreotide LAR and Pluvicto; mostly on time, some late, some missed, some on hold), then
reports wall time and peak memory of `prrt missed` (median of 3 runs) and of importing an
N-row roster into an empty database. Goals: `missed` under 2 s and 400 MB; the import under 10 s.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from schedule.domain.course import Actor  # noqa: E402
from schedule.store import tables  # noqa: E402
from schedule.store.database import Store  # noqa: E402

AS_OF = date(2026, 11, 21)
MIX = (("lutathera", 0.4), ("lanreotide", 0.3), ("octreotide-lar", 0.2), ("pluvicto", 0.1))


def measure(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one command, in a fresh wrapper process."""
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
        "wall = time.perf_counter() - t\n"
        "print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, code)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, check=True
    )
    wall, peak, code = out.stdout.split()
    if code not in ("0", "1"):
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {code}")
    return float(wall), float(peak)


def history(
    rng: random.Random, regimen: str, start: date
) -> list[tuple[str, str, date, str | None]]:
    """(type, event, day, dose) records of a course up to AS_OF."""
    out: list[tuple[str, str, date, str | None]] = []

    def add(event: str, day: date, dose: str | None) -> bool:
        if day > AS_OF:
            return False
        if rng.random() < 0.03:  # now and then something is not recorded: missed
            return True
        out.append(("given", event, day, dose))
        return True

    if regimen in ("lanreotide", "octreotide-lar"):
        dose = "120 mg" if regimen == "lanreotide" else "30 mg"
        day, k = start, 1
        while add(f"ssa-{k}", day, dose):
            day += timedelta(days=28 + rng.choice((0, 0, 0, 1, 2, 5)))
            k += 1
        return out
    interval, count = (56, 4) if regimen == "lutathera" else (42, 6)
    day = start
    for k in range(1, count + 1):
        if regimen == "lutathera":
            add(f"labs-{k}", day - timedelta(days=20), None)
        if k == 3 and rng.random() < 0.02:
            out.append(("hold", "", day - timedelta(days=10), None))
            return out
        if not add(f"{'prrt' if regimen == 'lutathera' else 'rlt'}-{k}", day, "7.4 GBq"):
            return out
        if regimen == "lutathera":
            add(f"ssa-{k}", day, "30 mg")
        day += timedelta(days=interval + rng.choice((0, 0, 1, 2, 3, 7)))
    if regimen == "lutathera":
        ssa_day = day - timedelta(days=interval) + timedelta(days=28)
        n = count + 1
        while ssa_day <= start + timedelta(days=540) and add(f"ssa-{n}", ssa_day, "30 mg"):
            ssa_day += timedelta(days=28 + rng.choice((0, 0, 1, 3)))
            n += 1
    return out


def build(db: str, courses: int, seed: int = 5177) -> int:
    rng = random.Random(seed)
    store = Store.open(db, "2026-11-01T00:00:00Z")
    stamp = Actor("bench", datetime(2026, 11, 1, tzinfo=UTC)).stamp
    patients, course_rows, records = [], [], []
    for i in range(courses):
        regimen = rng.choices([m for m, _ in MIX], [w for _, w in MIX])[0]
        start = AS_OF - timedelta(days=rng.randint(-30, 720))
        pid = f"B{i:05d}"
        patients.append(
            {"id": pid, "name": None, "tz": None, "appt_time": None, "created_at": stamp}
        )
        course_rows.append(
            {"id": i + 1, "patient_id": pid, "number": 1, "regimen": regimen, "start": start,
             "interval_days": None, "calendar_month": False, "precautions": None,
             "created_at": stamp}
        )  # fmt: skip
        for kind, event, day, dose in history(rng, regimen, start):
            records.append(
                {"course_id": i + 1, "type": kind, "event": event or None, "day": day, "dose": dose,
                 "note": "", "corrects": None, "recorded_at": stamp, "recorded_by": "bench"}
            )  # fmt: skip
    with store.write() as tx:
        tx.conn.execute(tables.patients.insert(), patients)
        tx.conn.execute(tables.courses.insert(), course_rows)
        tx.conn.execute(tables.records.insert(), records)
    store.close()
    return len(records)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, default=10_000)
    args = parser.parse_args()
    prrt = [sys.executable, str(ROOT / "cli.py")]
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "bench.db")
        t = time.perf_counter()
        n_records = build(db, args.courses)
        built = time.perf_counter() - t
        print(f"database: {args.courses} courses, {n_records} records (built in {built:.1f} s)")
        runs = [
            measure([*prrt, "--db", db, "missed", "--as-of", AS_OF.isoformat()]) for _ in range(3)
        ]
        listed = subprocess.run(
            [*prrt, "--db", db, "missed", "--as-of", AS_OF.isoformat(), "-f", "csv"],
            capture_output=True, text=True, check=True,
        ).stdout.count("\n") - 1  # fmt: skip
        wall = statistics.median(r[0] for r in runs)
        peak = max(r[1] for r in runs)
        print(
            f"prrt missed: {wall:.2f} s (median of 3), peak {peak:.0f} MB, {listed} rows listed"
            f"  goal < 2 s and < 400 MB: {'met' if wall < 2 and peak < 400 else 'MISSED'}"
        )
        roster = Path(folder) / "roster.csv"
        rng = random.Random(7)
        with roster.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["patient_id", "regimen", "start", "name"])
            for i in range(args.courses):
                regimen = rng.choices([m for m, _ in MIX], [w for _, w in MIX])[0]
                writer.writerow(
                    [f"R{i:05d}", regimen, AS_OF - timedelta(days=rng.randint(0, 700)), ""]
                )
        empty = str(Path(folder) / "import.db")
        wall, peak = measure(
            [*prrt, "--db", empty, "import", "roster", str(roster), "--past-start", "--create"]
        )
        print(
            f"prrt import roster ({args.courses} rows): {wall:.2f} s, peak {peak:.0f} MB"
            f"  goal < 10 s: {'met' if wall < 10 else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
