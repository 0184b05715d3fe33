"""One error path: files that cannot be written, and the same rule worded the same from the
command line and from a CSV import."""

from __future__ import annotations

from pathlib import Path

import pytest
from freezegun import freeze_time

pytestmark = pytest.mark.usefixtures("config_dir")


def test_every_hint_of_the_library_has_words_on_the_command_line() -> None:
    from cli import HINTS
    from schedule.domain.errors import Hint

    assert set(HINTS) == {hint.value for hint in Hint}


@freeze_time("2026-11-21 10:00:00")
def test_an_output_file_that_cannot_be_written_is_one_line_exit_6(prrt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    prrt("patient", "add", "P1", "--regimen", "lutathera", "--start", "2026-12-07")
    missing = tmp_path / "missing" / "x.csv"
    result = prrt("export", "doses", "-o", str(missing))
    assert (result.exit_code, result.stdout) == (6, "")
    assert result.stderr == f"prrt: cannot write {missing}: No such file or directory\n"
    assert not missing.parent.exists()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = prrt("ics", "--all", "--dir", str(blocker / "calendars"))
    assert (result.exit_code, result.stdout) == (6, "")
    assert result.stderr == f"prrt: cannot write {blocker / 'calendars'}: Not a directory\n"
    result = prrt("ics", "P1", "-o", str(missing))
    assert (result.exit_code, result.stderr) == (
        6,
        f"prrt: cannot write {missing}: No such file or directory\n",
    )


EXPORT_HEADER = (
    "patient_id,event,date,dose,note,course,type,override,review,end_care,toxicity,grade\n"
)


@freeze_time("2026-11-21 10:00:00")
@pytest.mark.parametrize(
    ("args", "row", "field"),
    [
        (("record", "P1", "labs-1", "--date", "2026-11-30"), "P1,labs-1,2026-11-30,,,", "date"),
        (("record", "P1", "labs-1", "--date", "2026-11-20", "--dose", "1 mg"),
         "P1,labs-1,2026-11-20,1 mg,,", "dose"),
        (("record", "P1", "hydration-1", "--date", "2026-11-20"), "P1,hydration-1,2026-11-20,,,",
         "event"),
        (("record", "P1", "prrt-1", "--date", "2026-11-20", "--dose", "30 mg"),
         "P1,prrt-1,2026-11-20,30 mg,,", "dose"),
        (("record", "P1", "labs-1", "--date", "2026-11-20", "--override", "ok"),
         "P1,labs-1,2026-11-20,,,,ok", "override"),  # nothing to override: wording differs
    ],
)  # fmt: skip
def test_the_command_line_and_csv_refuse_in_the_same_words(  # type: ignore[no-untyped-def]
    prrt, tmp_path: Path, args: tuple[str, ...], row: str, field: str
) -> None:
    prrt("patient", "add", "P1", "--regimen", "lutathera", "--start", "2026-12-07")
    typed = prrt(*args)
    doses = tmp_path / "doses.csv"
    doses.write_text(f"patient_id,event,date,dose,note,type,override\n{row}\n")
    imported = prrt("import", "doses", str(doses))
    assert typed.exit_code != 0
    assert imported.exit_code == 2
    problem = typed.stderr.removeprefix("prrt: ").replace(
        "; drop --override", "; empty the override column"
    )
    assert imported.stderr == f"prrt: {doses}: line 2: {field}: {problem}"
    assert prrt("export", "doses").stdout == EXPORT_HEADER
