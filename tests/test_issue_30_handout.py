"""Issue 30: `prrt handout` on an SQLite file reads the patient through the light reader (no
SQLAlchemy import) and draws its timeline with Pillow (no matplotlib import): the picture keeps
its size, its marks and its bytes. That the readers read what the store reads, refusals and
handouts included, is tested on both databases in test_issue_30_pg_reader.py."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.handout.timeline import DPI, NOT_DONE, PAUSED, WIDTH, png
from schedule.services.handout import patient_handout
from schedule.store.database import Store
from tests.conftest import loaded_after, sample_clinic

TODAY = date(2026, 12, 7)


@pytest.fixture
def clinic(run, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    """The sample clinic, NET-002 entered in error."""
    db = sample_clinic(run, tmp_path / "clinic.db")
    done = run("--db", db, "correct", "NET-002", "P", "--reason", "wrong person")
    assert done.exit_code == 0, done.stderr
    return db


@pytest.mark.parametrize("suffix", [".pdf", ".html"])
def test_a_handout_imports_neither_matplotlib_nor_sqlalchemy(
    clinic: str, tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / f"handout{suffix}"
    done = loaded_after(
        ["--db", clinic, "handout", "NET-001", "-o", str(out)], ("matplotlib", "sqlalchemy")
    )
    assert done.code == 0, done.stderr
    assert done.modules == []
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
