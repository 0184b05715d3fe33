"""Medication codes of a regimen file (`[codes.dose]`, `[codes.ssa]`): what a hospital system
reads in a FHIR export. Each code names its source; a code not verified against one is left out
of the file and the drug is then exchanged by its text alone."""

from __future__ import annotations

from dataclasses import dataclass

from schedule.domain.toml_table import TomlTable

# The code systems a regimen file may name, with their canonical FHIR URIs.
SYSTEMS = {
    "atc": "http://www.whocc.no/atc",
    "rxnorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "snomed": "http://snomed.info/sct",
}
PARTS = ("dose", "ssa")  # the regimen's drugs: its main series, and the companion SSA


@dataclass(frozen=True)
class Coding:
    """One code of a drug: its system (a key of SYSTEMS), the code, its display and source."""

    system: str
    code: str
    display: str
    source: str

    @property
    def uri(self) -> str:
        return SYSTEMS[self.system]


Codes = tuple[tuple[str, tuple[Coding, ...]], ...]  # (part, its codings), parts in PARTS order


def codes_of(top: TomlTable) -> Codes:
    """The `[codes]` table: for each drug part, one coding per system."""
    table = top.sub("codes", required=False)
    if table is None:
        return ()
    table.unknown(PARTS)
    parts: list[tuple[str, tuple[Coding, ...]]] = []
    for part in PARTS:
        drug = table.sub(part, required=False)
        if drug is None:
            continue
        drug.unknown(tuple(SYSTEMS))
        codings = []
        for system in SYSTEMS:
            entry = drug.sub(system, required=False)
            if entry is None:
                continue
            entry.unknown(("code", "display", "source"))
            codings.append(
                Coding(system, entry.text("code"), entry.text("display"), entry.source())
            )
        parts.append((part, tuple(codings)))
    return tuple(parts)
