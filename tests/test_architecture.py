"""The layers hold: the domain and the engine stay pure and cheap to import, modules stay
small, and the library's messages never name a command or an option (the CLI adds the hints)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SCHEDULE = ROOT / "schedule"
HEAVY = ("click", "sqlalchemy", "pandas", "asyncio", "icalendar", "psycopg", "segno")


def _modules(package: str) -> list[str]:
    folder = SCHEDULE / package
    return [f"schedule.{package}.{p.stem}" for p in sorted(folder.glob("*.py"))]


@pytest.mark.parametrize("package", ["domain", "engine"])
def test_pure_layers_import_nothing_heavy(package: str) -> None:
    modules = _modules(package)
    assert len(modules) > 3
    code = (
        "import sys\n"
        f"for name in {modules!r}: __import__(name)\n"
        f"print(','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.strip() == ""


def _sources() -> list[Path]:
    return sorted(SCHEDULE.rglob("*.py"))


def test_modules_are_small_and_named_for_what_they_hold() -> None:
    sizes = {p.relative_to(ROOT).as_posix(): len(p.read_text().splitlines()) for p in _sources()}
    assert {name: n for name, n in sizes.items() if n > 400} == {}
    assert not [name for name in sizes if Path(name).stem in ("utils", "helpers", "misc")]


def _strings(tree: ast.AST) -> list[str]:
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_library_messages_name_no_command_or_option() -> None:
    found = [
        f"{path.relative_to(ROOT)}: {text!r}"
        for path in _sources()
        for text in _strings(ast.parse(path.read_text()))
        if "'prrt " in text or " --" in text or text.startswith("--")
    ]
    assert found == []
