"""The README's examples are run, so they cannot drift: every terminal session in it (a
```console block) is replayed command by command and its printed lines compared, and its table
of exit codes is checked by one command per code.

A session runs in a new, empty folder (with `samples/` in it), with no site settings and the
clock frozen on 2026-11-23 at 10:00 UTC; paths under that folder read `/home/me`. A comment on
the line before a block changes that: `<!-- example: today YYYY-MM-DD -->` freezes another day,
`<!-- not run: REASON -->` leaves the block out (what it needs cannot be made here: a server, a
site's closures). `export NAME=VALUE` sets a variable for the rest of the session; a line `...`
ends what is compared of a command's output. What a command writes on stderr comes before its
standard output. `PRRT_README` names another file to check (a draft).
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES
from freezegun import freeze_time

from schedule.domain import errors

README = Path(os.environ.get("PRRT_README", ROOT / "README.md"))
HOME = "/home/me"


@dataclass
class Session:
    line: int  # where the block starts in the README
    today: str = "2026-11-23"
    skipped: str | None = None
    steps: list[tuple[str, list[str]]] = field(default_factory=list)


def sessions(text: str) -> list[Session]:
    """The README's terminal sessions, each command with the lines it prints."""
    found: list[Session] = []
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if line.strip() != "```console":
            continue
        session = Session(number + 1)
        before = next((x.strip() for x in reversed(lines[:number]) if x.strip()), "")
        if (m := re.fullmatch(r"<!-- not run: (.+) -->", before)) is not None:
            session.skipped = m.group(1)
        elif (m := re.fullmatch(r"<!-- example: today (\d{4}-\d\d-\d\d) -->", before)) is not None:
            session.today = m.group(1)
        for body in lines[number + 1 :]:
            if body.strip() == "```":
                break
            if body.startswith("$ "):
                session.steps.append((body[2:], []))
            elif session.steps:
                session.steps[-1][1].append(body.rstrip())
        found.append(session)
    return found


def replay(run, session: Session, folder: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:  # type: ignore[no-untyped-def]
    """The session replayed: the differences between what it says and what prrt prints."""
    monkeypatch.chdir(folder)
    (folder / "samples").symlink_to(SAMPLES, target_is_directory=True)
    differences = []
    with freeze_time(f"{session.today} 10:00:00"):
        for command, expected in session.steps:
            words = shlex.split(command)
            if words[0] == "export":
                name, _, value = words[1].partition("=")
                monkeypatch.setenv(name, value)
                continue
            assert words[0] == "prrt", f"README line {session.line}: not a prrt command: {command}"
            result = run(*words[1:])
            printed = (result.stderr + result.stdout).replace(str(folder), HOME).splitlines()
            printed = [x.rstrip() for x in printed]
            if "..." in expected:
                expected = expected[: expected.index("...")]
                printed = printed[: len(expected)]
            if printed != expected:
                differences.append(
                    f"$ {command}\n--- the README says:\n" + "\n".join(expected)
                    + "\n--- prrt prints:\n" + "\n".join(printed)
                )  # fmt: skip
    return differences


ALL = sessions(README.read_text(encoding="utf-8"))


def test_the_readme_has_sessions_that_are_run() -> None:
    assert [s for s in ALL if s.skipped is None and s.steps]
    for session in ALL:
        assert session.steps, f"README line {session.line}: a console block with no command"


@pytest.mark.parametrize("session", ALL, ids=lambda s: f"line-{s.line}")
def test_the_readme_examples_print_what_it_says(  # type: ignore[no-untyped-def]
    run, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if session.skipped is not None:
        assert session.skipped.strip()  # a block left out says why, in the README itself
        return
    monkeypatch.delenv("PRRT_DB", raising=False)
    folder = tmp_path / "session"
    folder.mkdir()
    differences = replay(run, session, folder, monkeypatch)
    assert not differences, f"README line {session.line}:\n" + "\n\n".join(differences)


# -- the table of exit codes ----------------------------------------------------------------------


def exit_codes(text: str) -> dict[int, str]:
    """The README's table of exit codes: code -> meaning."""
    section = text.split("### Exit codes", 1)[1].split("\n#", 1)[0]
    return {
        int(m.group(1)): m.group(2).strip()
        for m in re.finditer(r"^\| (\d+) \| (.+) \|$", section, re.MULTILINE)
    }


def test_every_exit_code_is_in_the_readme_and_each_happens(  # type: ignore[no-untyped-def]
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = exit_codes(README.read_text(encoding="utf-8"))

    # Every code the library's errors carry is documented.
    def every(kind: type) -> list[type]:
        return [kind, *(k for sub in kind.__subclasses__() for k in every(sub))]

    assert {k.exit_code for k in every(errors.PrrtError)} <= set(table)
    db = str(tmp_path / "clinic.db")
    folder = tmp_path / "a-folder"
    folder.mkdir()
    with freeze_time("2026-11-23 10:00:00"):
        assert run("--db", db, "init").exit_code == 0
        assert run("--db", db, "import", "roster", str(SAMPLES / "roster.csv")).exit_code == 0
        assert run("--db", db, "import", "doses", str(SAMPLES / "doses.csv")).exit_code == 0
        on = ("--db", db)
        one_each = {
            0: ("plan", "lutathera", "--start", "2027-03-01"),
            1: (*on, "missed", "--fail-if-any"),
            2: ("plan", "lutathera", "--start", "2027-02-30"),
            3: (*on, "show", "NET-404"),
            4: (*on, "record", "NET-003", "prrt-1", "--date", "2026-11-20"),
            5: ("--db", str(tmp_path / "clnic.db"), "due"),
            6: (*on, "export", "doses", "-o", str(folder)),
        }
        for code, args in one_each.items():
            result = run(*args)
            assert result.exit_code == code, (code, args, result.stderr)
            assert code in (0, 1) or result.stderr.count("\n") == 1, (code, result.stderr)

        def bug(*args: object, **kwargs: object) -> None:
            raise RuntimeError("a bug")

        monkeypatch.setattr("schedule.services.worklists.due_list", bug)
        broken = run(*on, "due")
    assert (broken.exit_code, broken.stderr) == (
        70,
        "prrt: internal error (RuntimeError: a bug); run again with PRRT_DEBUG=1 to see the "
        "details, and report it\n",
    )
    assert set(table) == {*one_each, 70}
