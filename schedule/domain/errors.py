"""One error hierarchy for the library; the CLI maps each class to an exit code in one place."""

from __future__ import annotations


class PrrtError(Exception):
    """Base of every error the library raises on purpose. `exit_code` is the CLI's exit status."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

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
        super().__init__(f"{path}: {field}: {problem}")
        self.path = path
        self.field = field
        self.problem = problem


class SettingsError(PrrtError):
    """The site settings file is malformed."""


class ConflictError(PrrtError):
    """The request contradicts what is stored (a duplicate record, a discontinued course)."""

    exit_code = 4


class StoreError(PrrtError):
    """The database cannot be opened, migrated or written."""

    exit_code = 5
