"""Regimens are data: the built-in files validate, cite sources, and bad files are named."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from schedule.domain.errors import RegimenFileError, UnknownError
from schedule.domain.regimen import Catalog
from schedule.domain.regimen_file import load_catalog, parse_regimen
from schedule.domain.units import Quantity

MINIMAL = """
format = 1
id = "test-ssa"
name = "Test SSA"
[dose]
series = "ssa"
kind = "long-acting-ssa"
drug = "Testdrug"
title = "Injection {n}"
amount = { value = 10, unit = "mg", source = "test" }
interval = { days = 28, source = "test" }
window = { before = 0, after = 3, source = "test" }
"""


def test_builtin_regimens(catalog: Catalog) -> None:
    assert catalog.ids() == (
        "degarelix", "goserelin-12w", "goserelin-28d", "lanreotide", "leuprolide-1m",
        "leuprolide-3m", "leuprolide-4m", "leuprolide-6m", "lutathera", "octreotide-lar",
        "pluvicto", "triptorelin-12w", "triptorelin-24w", "triptorelin-4w",
    )  # fmt: skip


def _numbers_have_sources(node: object, path: str, problems: list[str]) -> None:
    if isinstance(node, dict):
        numbers = [
            k for k, v in node.items() if isinstance(v, int | float) and not isinstance(v, bool)
        ]
        skip = {"format"} if path == "" else set()
        if set(numbers) - skip and "source" not in node:
            problems.append(f"{path}: {numbers} without a source")
        for key, value in node.items():
            _numbers_have_sources(value, f"{path}.{key}", problems)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _numbers_have_sources(item, f"{path}[{i}]", problems)


def test_every_clinical_number_in_builtin_files_cites_a_source() -> None:
    folder = resources.files("schedule.domain") / "regimens"
    problems: list[str] = []
    names = [f.name for f in folder.iterdir() if f.name.endswith(".toml")]
    assert len(names) == 14
    for name in names:
        found: list[str] = []
        _numbers_have_sources(tomllib.loads((folder / name).read_text()), "", found)
        problems += [f"{name}{p}" for p in found]
    assert problems == []


def test_lutathera_numbers_match_the_label(catalog: Catalog) -> None:
    dose = catalog.get("lutathera").dose
    assert dose.amount == Quantity(Decimal("7.4"), "GBq")  # L3
    assert dose.reduced == Quantity(Decimal("3.7"), "GBq")  # L7
    assert dose.count == 4  # L6
    assert dose.interval_days == 56  # L4
    assert (dose.window.before, dose.window.after) == (7, 7)  # L4, 2024 PI
    assert dose.max_delay_days == 112  # L12: 16 weeks past the planned date
    assert dose.amount_source.startswith("L3")


def test_lanreotide_intervals_are_selectable(catalog: Catalog) -> None:
    dose = catalog.get("lanreotide").dose
    assert dose.interval_days == 28  # S5
    assert dose.interval_choices == (28, 42, 56)  # S7
    assert dose.window.after is None  # S10: the site's setting


def test_unknown_regimen_lists_the_known_ones(catalog: Catalog) -> None:
    with pytest.raises(UnknownError, match="known regimens: degarelix, goserelin-12w"):
        catalog.get("lutetium")


INTERVAL = 'interval = { days = 28, source = "test" }'


@pytest.mark.parametrize(
    ("old", "new", "field", "problem"),
    [
        (INTERVAL, "interval = { days = 28 }", "dose.interval.source", "is missing"),
        (
            INTERVAL,
            'interval = { days = "28", source = "x" }',
            "dose.interval.days",
            "must be a whole number",
        ),
        (
            INTERVAL,
            'interval = { days = 0, source = "x" }',
            "dose.interval.days",
            "must be at least 1, not 0",
        ),
        (
            INTERVAL,
            'interval = { days = 28, source = "x", every = 2 }',
            "dose.interval.every",
            "is not a known field",
        ),
        (
            'kind = "long-acting-ssa"',
            'kind = "tablet"',
            "dose.kind",
            "must be one of radioligand, long-acting-ssa",
        ),
        ('unit = "mg"', 'unit = "pills"', "dose.amount.unit", "must be GBq, MBq, mCi or mg"),
        ('title = "Injection {n}"', 'title = ""', "dose.title", "must be a non-empty string"),
    ],
)
def test_malformed_file_names_file_field_and_problem(
    old: str, new: str, field: str, problem: str
) -> None:
    assert old in MINIMAL
    with pytest.raises(RegimenFileError) as info:
        parse_regimen(MINIMAL.replace(old, new), "site/test.toml")
    assert str(info.value).startswith(f"site/test.toml: {field}: {problem}")


def test_invalid_toml_is_named() -> None:
    with pytest.raises(RegimenFileError, match=r"^bad\.toml: \(file\): is not valid TOML"):
        parse_regimen("id = ", "bad.toml")


def test_site_file_replaces_builtin_with_same_id(tmp_path: Path) -> None:
    site = tmp_path / "regimens"
    site.mkdir()
    text = (resources.files("schedule.domain") / "regimens" / "lanreotide.toml").read_text()
    (site / "lanreotide.toml").write_text(text.replace("days = 28, choices", "days = 42, choices"))
    (site / "extra.toml").write_text(MINIMAL)
    catalog = load_catalog([site])
    assert catalog.get("lanreotide").dose.interval_days == 42
    assert catalog.get("lanreotide").path == str(site / "lanreotide.toml")
    assert "test-ssa" in catalog.ids()


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(RegimenFileError, match=r"nope\.toml: \(file\): cannot be read"):
        load_catalog(files=[missing])
