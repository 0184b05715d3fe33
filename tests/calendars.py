"""Checks every calendar the tests write: the project's own byte-level rules, then three parsers
that are not the one that wrote it: vobject (Radicale) with validation, Home Assistant's `ical`,
and ical.js (Thunderbird) run with node. A missing parser is a failure, never a skip."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
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


def check_home_assistant(text: str) -> None:
    """Home Assistant's parser (`ical`): strict about dates, alarms and stray characters."""
    from ical.calendar_stream import IcsCalendarStream

    calendar = IcsCalendarStream.calendar_from_ics(text)
    for event in calendar.events:
        assert event.uid, "every event has a UID"
        assert event.dtstamp, "every event has a DTSTAMP"


def node() -> str:
    found = shutil.which("node")
    assert found, "node is needed to run ical.js: install Node.js 18 or newer"
    assert (JS / "node_modules" / "ical.js").is_dir(), (
        f"ical.js is not installed: run 'npm ci --prefix {JS}'"
    )
    return found


def ical_js(*paths: Path) -> dict[str, Any]:
    """What ical.js read from each file; fails on a parse error or a broken rule. Its answer
    goes through a file: node may exit before a pipe takes more than 64 KiB."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as answer:
        done = subprocess.run(
            [node(), str(JS / "check.mjs"), *map(str, paths)],
            stdout=answer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
        answer.seek(0)
        text = answer.read()
    out: dict[str, Any] = json.loads(text) if text else {}
    assert done.returncode == 0, f"ical.js: {done.stderr or json.dumps(out)[:2000]}"
    return out


def check_calendar(data: bytes, folder: Path, name: str = "check.ics") -> dict[str, Any]:
    """All checks on one calendar; returns what ical.js read (calendar, events)."""
    check_bytes(data)
    text = data.decode("utf-8")
    check_vobject(text)
    check_home_assistant(text)
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
        check_home_assistant(data.decode("utf-8"))
    return ical_js(*paths)


def by_summary(events: list[dict[str, Any]], summary: str) -> dict[str, Any]:
    found = [e for e in events if e["summary"] == summary]
    assert len(found) == 1, f"{len(found)} events called {summary!r}"
    return found[0]


def by_title(events: list[dict[str, Any]], title: str) -> dict[str, Any]:
    """The event of the regimen's title `title`, whatever the lock screen shows: the summary
    with plain titles, the description's paragraph with discreet ones."""
    found = [
        e
        for e in events
        if e["summary"].split(": ", 1)[-1] == title
        or e["summary"] == title
        or f"{title}." in (e["description"] or "").split("\n\n")
    ]
    assert len(found) == 1, f"{len(found)} events titled {title!r}"
    return found[0]
