"""Cold-start time of `prrt --help` and `prrt plan ... --format csv` beside `import click`.

Run: python bench/startup.py [--runs N]
Each command runs N times in a fresh interpreter; the median wall time is reported, and each
prrt figure as a multiple of the `python -c "import click"` floor measured in the same run.
Goals: --help within 1.5x of the floor, plan within 3x.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def prrt_command() -> list[str]:
    """The installed console script next to this interpreter, else `python cli.py`."""
    script = Path(sys.executable).parent / "prrt"
    if script.exists():
        return [str(script)]
    found = shutil.which("prrt")
    return [found] if found else [sys.executable, str(ROOT / "cli.py")]


def median_seconds(cmd: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs + 1):  # the first run warms the file cache and is dropped
        start = time.perf_counter()
        subprocess.run(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as config:
        env = dict(os.environ, PRRT_CONFIG_DIR=config)
        floor = median_seconds([sys.executable, "-c", "import click"], args.runs, env)
        prrt = prrt_command()
        rows = [
            ("python -c 'import click'", floor, None),
            ("prrt --help", median_seconds([*prrt, "--help"], args.runs, env), 1.5),
            (
                "prrt plan lutathera --start 2027-03-01 --format csv",
                median_seconds(
                    [*prrt, "plan", "lutathera", "--start", "2027-03-01", "--format", "csv"],
                    args.runs,
                    env,
                ),
                3.0,
            ),
        ]
    print(f"runs per command: {args.runs} (median wall time), {os.cpu_count()} cores")
    for name, seconds, goal in rows:
        ratio = seconds / floor
        verdict = (
            "" if goal is None else f"  goal <= {goal:.1f}x: {'met' if ratio <= goal else 'MISSED'}"
        )
        print(f"{name:<55} {seconds * 1000:7.1f} ms  {ratio:4.2f}x{verdict}")


if __name__ == "__main__":
    main()
