"""The one place where every error becomes one line on stderr and an exit code (`PrrtGroup`),
and the words of the ways out the library's errors point to (`HINTS`)."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from typing import Any

import click

EXIT_INTERNAL = 70
EXIT_FILE = 6

# The ways out that the library's errors point to (`schedule.domain.errors.Hint`), worded for
# the command line; the library itself never names a command or an option.
HINTS = {
    "list-patients": "; 'prrt patient list' shows the patients",
    "add-course": "; add one with 'prrt course add'",
    "new-course-exists": "; to start a new course use 'prrt course add {patient}'",
    "new-course-other": "; add a new course with 'prrt course add {patient}'",
    "new-course-ended": "; start a new one with 'prrt course add {patient}'",
    "show-events": "; 'prrt show {patient}' lists the events",
    "correct-record": (
        "; if that is wrong, run 'prrt correct {patient} {record} --reason ...' first"
    ),
    "resume": "; 'prrt resume {patient}' ends it",
    "history": "; 'prrt history {patient}' lists them",
    "reissue-feed": (
        ": run 'prrt feed revoke {patient}', then 'prrt feed url {patient}' for a new one"
    ),
    "give-reason": "; give --reason TEXT",
    "override": '; if a clinician has a reason, add --override "REASON"',
    "drop-override": "; drop --override",
    "record-or-skip": (
        "; record it first ('prrt record {patient} {event} --date ...') or skip it "
        "('prrt skip {patient} {event} --reason ...')"
    ),
    "choose-course": "; add --course N",
    "name-toxicity": "; name it with --toxicity TYPE",
    "give-grade": "; give --grade 1 to 5",
    "past-start": ", or pass --past-start if it is meant",
    "reinstate": "; 'prrt reinstate {patient} {ref} --reason ...' puts it back",
    "import-again": "; delete the wrong line, then run 'prrt import doses {path}' again",
    "create-database": (
        "; 'prrt --db {path} init' creates it, or give the database meant with --db (or $PRRT_DB)"
    ),
    "upgrade-database": ": run 'prrt --db {path} init' once where the file can be written",
}


# Input echoed in an error is cut to this many characters (a 100,000-character ID pasted by
# mistake is named by its start and its length, not printed in full).
ECHO_LIMIT = 200
# A run that starts after a blank or a quote: a file's name after its folder's `/` is whole.
_LONG_WORD = re.compile("(?<![^\\s'\"])[^\\s'\"/]{" + str(ECHO_LIMIT + 1) + ",}")


def shorten(message: str) -> str:
    """`message` with every run of more than `ECHO_LIMIT` characters (no blank, no quote) cut.

    >>> shorten("unknown patient '" + "A" * 300 + "'; add it")[-40:]
    "AAAAAAAAAAAAA… (300 characters)'; add it"
    """
    return _LONG_WORD.sub(
        lambda found: f"{found.group()[:80]}\u2026 ({len(found.group())} characters)", message
    )


def fail_line(message: str) -> None:
    click.echo(f"prrt: {shorten(message)}", err=True)


class PrrtGroup(click.Group):
    """Runs a command and turns every error into one line on stderr and an exit code."""

    def main(  # type: ignore[override]  # always exits, like click's standalone mode
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> None:
        from schedule.domain.errors import PrrtError

        code = 0
        try:
            from commands.failures import refuse_undecodable

            refuse_undecodable(sys.argv[1:] if args is None else args)
            result = super().main(args, prog_name or "prrt", complete_var, False, **extra)
            code = result if isinstance(result, int) else 0
        except click.exceptions.NoArgsIsHelpError as exc:
            # A group without its subcommand (`prrt`, `prrt patient`): the help, as --help.
            click.echo(exc.ctx.get_help() if exc.ctx else exc.format_message())
            code = 0
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            fail_line(exc.format_message().replace("\n", " ") + hint)
            code = exc.exit_code
        except click.ClickException as exc:
            fail_line(exc.format_message())
            code = exc.exit_code
        except click.Abort:
            fail_line("aborted")
            code = 1
        except PrrtError as exc:
            fail_line(exc.message + (HINTS[exc.hint.value].format(**exc.data) if exc.hint else ""))
            code = exc.exit_code
        except BrokenPipeError:
            # The reader went away (`prrt plan ... | head`): stop quietly.
            sys.stderr.close()
            code = 0
        except OSError as exc:  # standard output or a file that cannot be written
            where = f" {exc.filename}" if exc.filename else " standard output"
            fail_line(f"cannot read or write{where}: {exc.strerror or exc}")
            code = EXIT_FILE
        except Exception as exc:  # a bug: still no traceback for the user unless asked
            if os.environ.get("PRRT_DEBUG"):
                raise
            from commands.failures import database_failure

            message, code = database_failure(exc) or (
                f"internal error ({type(exc).__name__}: {exc}); "
                "run again with PRRT_DEBUG=1 to see the details, and report it",
                EXIT_INTERNAL,
            )
            fail_line(message)
        sys.exit(code)
