"""Optional tables of a regimen file, read for `regimen_file.parse_regimen`: the
dose-modification table (`[modifications]`) and the pregnancy test (`pregnancy_test`)."""

from __future__ import annotations

from schedule.domain.modifications import Modifications, parse_modifications
from schedule.domain.regimen import DoseSpec
from schedule.domain.toml_table import TomlTable


def modifications_of(top: TomlTable, dose: DoseSpec) -> Modifications | None:
    table = top.sub("modifications", required=False)
    return None if table is None else parse_modifications(table, dose.reduced is not None)


def pregnancy_source_of(top: TomlTable) -> str:
    table = top.sub("pregnancy_test", required=False)
    if table is None:
        return ""
    table.unknown(("source",))
    return table.source()
