"""Issue 30: `prrt handout` on an SQLite file reads the patient through the light reader (no
SQLAlchemy import) and draws its timeline with Pillow (no matplotlib import). What the reader
gives must be what the full store gives, refusals included; the picture keeps its size, its
marks and its bytes."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from schedule.calendars.feeds import issue, revoke, token_hash
from schedule.domain.errors import PrrtError
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.handout.timeline import DPI, NOT_DONE, PAUSED, WIDTH, png
from schedule.services.handout import patient_handout
from schedule.store.database import Store
from schedule.store.fastpath import SqliteReader
from tests.conftest import ROOT, actor, sample_clinic

TODAY = date(2026, 12, 7)


@pytest.fixture
def clinic(run, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    """The sample clinic, NET-002 entered in error."""
    db = sample_clinic(run, tmp_path / "clinic.db")
    done = run("--db", db, "correct", "NET-002", "P", "--reason", "wrong person")
    assert done.exit_code == 0, done.stderr
    return db


def _refusal(read: Callable[[], object]) -> str:
    """The refusal `read` raises, with its kind (and so its exit code)."""
    with pytest.raises(PrrtError) as refused:
        read()
    return f"{type(refused.value).__name__}: {refused.value}"


def test_the_reader_reads_one_patient_as_the_store_does(clinic: str) -> None:
    store = Store.open(clinic, "2026-12-07T09:00:00Z", create=False)
    issue(store, "NET-003", False, actor(), lambda _: None)
    revoke(store, "NET-003", actor())
    token = issue(store, "NET-003", True, actor(), lambda _: None)
    reader = SqliteReader.open(clinic)
    assert reader is not None
    try:
        with store.read() as tx, reader.read() as light:
            for asked in ("NET-001", "net-003", "NET-009"):
                patient = tx.require_patient(asked)
                assert light.require_patient(asked) == patient
                courses = tx.courses(patient.id)
                assert light.courses(patient.id) == courses
                ids = [c.id for c in courses]
                assert light.records(ids) == tx.records(ids)
                assert light.tokens.active_token(patient.id) == tx.tokens.active_token(patient.id)
            assert light.records([]) == {}
            owner = light.tokens.token_owner(token_hash(token))
            assert owner == tx.tokens.token_owner(token_hash(token))
            assert owner is not None
            assert (owner.patient_id, owner.with_name) == ("NET-003", True)
            assert light.tokens.token_owner(token_hash("x" * 32)) is None
            for wrong in ("NET-0O1", "NET-002"):  # a typo; a patient entered in error
                expected = _refusal(lambda w=wrong: tx.require_patient(w))
                assert _refusal(lambda w=wrong: light.require_patient(w)) == expected
            assert "did you mean" in _refusal(lambda: light.require_patient("NET-0O1"))
    finally:
        reader.close()
        store.close()


def test_the_handout_is_the_same_read_either_way(
    clinic: str, catalog: Catalog, tmp_path: Path
) -> None:
    store = Store.open(clinic, "2026-12-07T09:00:00Z", create=False)
    reader = SqliteReader.open(clinic)
    assert reader is not None
    try:
        for patient in ("NET-001", "NET-005", "NET-009"):
            full = patient_handout(store, catalog, Settings(), TODAY, patient)
            light = patient_handout(reader, catalog, Settings(), TODAY, patient)
            assert full is not None
            assert light is not None
            assert light.handout == full.handout
    finally:
        reader.close()
        store.close()


@pytest.mark.parametrize("suffix", [".pdf", ".html"])
def test_a_handout_imports_neither_matplotlib_nor_sqlalchemy(
    clinic: str, tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / f"handout{suffix}"
    script = (
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "import cli\n"
        f"sys.argv = ['prrt', '--db', {clinic!r}, 'handout', 'NET-001', '-o', {str(out)!r}]\n"
        "try:\n"
        "    cli.main()\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print(sorted(m for m in ('matplotlib', 'sqlalchemy') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"
    assert out.stat().st_size > 10_000


def test_the_timeline_keeps_its_size_marks_and_bytes(clinic: str, catalog: Catalog) -> None:
    from PIL import Image

    from schedule.handout.content import Lane

    store = Store.open(clinic, "2026-12-07T09:00:00Z", create=False)
    try:
        found = patient_handout(store, catalog, Settings(), TODAY, "NET-005", lang="de")
    finally:
        store.close()
    assert found is not None
    items = found.handout.items
    picture = png(items, TODAY, found.words, "de")
    assert picture is not None
    assert png(items, TODAY, found.words, "de") == picture  # the same handout, the same bytes
    image = Image.open(io.BytesIO(picture)).convert("RGB")
    lanes = {i.lane for i in items if i.lane is not None}
    assert Lane.PRECAUTIONS in lanes
    # 7 inches wide, half an inch a lane and 1.35 inches of margins and legend, at DPI.
    assert image.size == (round(WIDTH * DPI), round((0.5 * len(lanes) + 1.35) * DPI))
    colours = {rgb for _, rgb in image.getcolors(image.width * image.height) or []}
    paused = tuple(int(PAUSED[i : i + 2], 16) for i in (1, 3, 5))
    red = tuple(int(NOT_DONE[i : i + 2], 16) for i in (1, 3, 5))
    assert paused in colours  # the paused marks
    assert red in colours  # the legend's crossed-out mark
    # Smooth edges: many shades of grey, not two colours.
    assert len({c for c in colours if c[0] == c[1] == c[2]}) > 50
    assert png([], TODAY, found.words, "de") is None
