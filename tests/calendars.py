"""Checks every calendar the tests write: the project's own byte-level rules, then two parsers
that are not the one that wrote it: vobject (Radicale) with validation, and ical.js (Thunderbird)
run with node. A missing parser is a failure, never a skip."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import vobject

JS = Path(__file__).resolve().parent / "ical_js"


def check_bytes(data: bytes) -> None:
    """CRLF only, lines of at most 75 octets, UTF-8 that no fold splits, no empty lines."""
    assert data.endswith(b"\r\n"), "the file must end with CRLF"
    assert b"\n" not in data.replace(b"\r\n", b""), "bare LF"
    assert b"\r" not in data.replace(b"\r\n", b""), "bare CR"
    lines = data[:-2].split(b"\r\n")
    for number, line in enumerate(lines, 1):
        assert line, f"line {number} is empty"
        assert len(line) <= 75, f"line {number} has {len(line)} octets"
        line.decode("utf-8")  # a fold inside a character leaves a half on each line
        assert line != b" ", f"line {number} is an empty continuation"
    data.decode("utf-8")


def check_vobject(text: str) -> None:
    count = 0
    for component in vobject.readComponents(text, validate=True):
        component.validate(raiseException=True)
        count += 1
    assert count == 1, "one VCALENDAR per file"


def node() -> str:
    found = shutil.which("node")
    assert found, "node is needed to run ical.js: install Node.js 18 or newer"
    assert (JS / "node_modules" / "ical.js").is_dir(), (
        f"ical.js is not installed: run 'npm ci --prefix {JS}'"
    )
    return found


def ical_js(*paths: Path) -> dict[str, Any]:
    """What ical.js read from each file; fails on a parse error or a broken rule."""
    done = subprocess.run(
        [node(), str(JS / "check.mjs"), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out: dict[str, Any] = json.loads(done.stdout) if done.stdout else {}
    assert done.returncode == 0, f"ical.js: {done.stderr or json.dumps(out)[:2000]}"
    return out


def check_calendar(data: bytes, folder: Path, name: str = "check.ics") -> dict[str, Any]:
    """All checks on one calendar; returns what ical.js read (calendar, events)."""
    check_bytes(data)
    text = data.decode("utf-8")
    check_vobject(text)
    path = folder / name
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)
    return ical_js(path)[str(path)]


def check_files(*paths: Path) -> dict[str, Any]:
    """All checks on calendar files already written; one node run for all of them."""
    for path in paths:
        data = path.read_bytes()
        check_bytes(data)
        check_vobject(data.decode("utf-8"))
    return ical_js(*paths)


def by_summary(events: list[dict[str, Any]], summary: str) -> dict[str, Any]:
    found = [e for e in events if e["summary"] == summary]
    assert len(found) == 1, f"{len(found)} events called {summary!r}"
    return found[0]
