"""FHIR figures (issue 27): `prrt fhir export --all` of a clinic of N patients in the Bulk Data
format (goal: 10,000 patients under 30 s), and `prrt fhir import` of its doses given and tests
taken into a database holding the same roster. The clinic is bench/shape.py's.

    python bench/fhir.py [--patients 10000]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from shape import Row, build_direct, make_shape, prrt, say, table, write_csvs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    args = parser.parse_args()
    shape = make_shape(args.patients)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = folder / "clinic.db"
        say(f"building {args.patients} patients, {len(shape.doses)} doses")
        build_direct(db, folder, shape)
        out = folder / "bulk"
        say("fhir export --all")
        done = prrt(str(db), "fhir", "export", "--all", "--out", str(out))
        size = sum(p.stat().st_size for p in out.iterdir()) / 1e6
        rows.append(
            Row(
                f"fhir export --all, {args.patients} patients",
                f"{done.wall:.1f} s, {done.peak_mb:.0f} MB, {size:.0f} MB written",
                "",
                "< 30 s" if args.patients == 10_000 else "",
                done.wall < 30 if args.patients == 10_000 else None,
            )
        )
        given = folder / "given.ndjson"
        given.write_bytes(
            (out / "MedicationAdministration.ndjson").read_bytes()
            + (out / "Procedure.ndjson").read_bytes()
        )
        other = folder / "other.db"
        roster, _ = write_csvs(shape, folder)
        prrt(str(other), "import", "roster", str(roster), "--past-start", "--create")
        say("fhir import")
        back = prrt(str(other), "fhir", "import", str(given))
        rows.append(
            Row(
                f"fhir import, {len(shape.doses)} resources",
                f"{back.wall:.1f} s, {back.peak_mb:.0f} MB",
                "",
                "",
                None,
            )
        )
        same = prrt(str(db), "export", "doses").out == prrt(str(other), "export", "doses").out
        say(f"export doses identical after the round trip: {same}")
    print(table(rows))


if __name__ == "__main__":
    main()
