"""One error hierarchy for the library; the CLI maps each class to an exit code in one place.

Messages say what is wrong in the library's own words and never name a command or an option:
an error that has a way out carries a `Hint` and the values the hint needs (`data`), and the
interface in front (the command line) words the way out. `field` names the input the error is
about (a CSV column, a record's field), so an import can place it on its line.
"""

from __future__ import annotations

import enum
from typing import Any


class Hint(enum.Enum):
    """A way out of an error, worded by the interface (see `cli.HINTS`)."""

    LIST_PATIENTS = "list-patients"  # an unknown patient
    ADD_COURSE = "add-course"  # the patient has no course yet
    NEW_COURSE_EXISTS = "new-course-exists"  # data: patient (adding a patient already stored)
    NEW_COURSE_OTHER = "new-course-other"  # data: patient (a roster row with another course)
    NEW_COURSE_ENDED = "new-course-ended"  # data: patient (the course was discontinued)
    SHOW_EVENTS = "show-events"  # data: patient
    CORRECT_RECORD = "correct-record"  # data: patient, record
    RESUME = "resume"  # data: patient
    HISTORY = "history"  # data: patient
    REISSUE_FEED = "reissue-feed"  # data: patient
    GIVE_REASON = "give-reason"
    OVERRIDE = "override"  # a guard a clinician may pass with a reason
    DROP_OVERRIDE = "drop-override"  # an override given where no guard refused
    RECORD_OR_SKIP = "record-or-skip"  # data: patient, event (an earlier dose still pending)
    CHOOSE_COURSE = "choose-course"  # more than one active course
    CREATE_DATABASE = "create-database"  # data: path (an SQLite file that does not exist)
    UPGRADE_DATABASE = "upgrade-database"  # data: path (an older schema, opened read-only)
    NAME_TOXICITY = "name-toxicity"  # a grade given with no toxicity
    GIVE_GRADE = "give-grade"  # a toxicity given with no grade
    PAST_START = "past-start"  # a start long past, meant all the same
    REINSTATE = "reinstate"  # data: patient, ref (P or Cn: a patient or course entered in error)
    IMPORT_AGAIN = "import-again"  # data: path (two lines of one file for one event)


# Ways out that name an option of a command: an import words its own (a column) instead.
COMMAND_ONLY_HINTS = frozenset(
    {
        Hint.GIVE_REASON,
        Hint.OVERRIDE,
        Hint.DROP_OVERRIDE,
        Hint.CHOOSE_COURSE,
        Hint.NAME_TOXICITY,
        Hint.GIVE_GRADE,
        Hint.PAST_START,
    }
)


class PrrtError(Exception):
    """Base of every error the library raises on purpose. `exit_code` is the CLI's exit status."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        hint: Hint | None = None,
        **data: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.hint = hint
        self.data = data

    def __str__(self) -> str:
        return self.message


class InputError(PrrtError):
    """A value typed by the user is malformed (a date, a dose, an option)."""


class DateError(InputError):
    """A date that is not a real ISO `YYYY-MM-DD` calendar date."""


class UnknownError(PrrtError):
    """Something named does not exist: a regimen, a patient, an event key."""

    exit_code = 3


class RegimenFileError(PrrtError):
    """A regimen file that cannot be read or does not validate; names file, field and problem."""

    def __init__(self, path: str, field: str, problem: str) -> None:
        super().__init__(f"{path}: {field}: {problem}", field=field)
        self.path = path
        self.problem = problem


class SettingsError(PrrtError):
    """The site settings file is malformed."""


class ConflictError(PrrtError):
    """The request contradicts what is stored (a duplicate record, a discontinued course)."""

    exit_code = 4


class GuardError(ConflictError):
    """A record refused because it could hurt a patient (order, spacing, amount, window).
    `overridable`: a clinician may have a reason, and an override with it lets it through."""

    def __init__(self, message: str, *, overridable: bool, **kwargs: Any) -> None:
        if overridable:
            kwargs.setdefault("hint", Hint.OVERRIDE)
        super().__init__(message, **kwargs)
        self.overridable = overridable


class StoreError(PrrtError):
    """The database cannot be opened, migrated or written."""

    exit_code = 5


class OutputError(PrrtError):
    """A file or folder the output was meant for cannot be written."""

    exit_code = 6
