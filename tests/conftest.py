from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings

from schedule.regimen import Catalog, Regimen, load_catalog

settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def lutathera(catalog: Catalog) -> Regimen:
    return catalog.get("lutathera")


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty, private configuration folder, so no test reads the user's own."""
    folder = tmp_path / "config"
    folder.mkdir()
    monkeypatch.setenv("PRRT_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def run(config_dir: Path):  # type: ignore[no-untyped-def]
    """Invoke the CLI in-process; stdout and stderr come back separately."""
    from cli import cli

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


D = date.fromisoformat
