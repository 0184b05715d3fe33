"""Free text that people type (names, notes, who did it): what it may hold, checked at input so
that SQLite and PostgreSQL refuse the same things, and messages that never repeat it.

Control characters (a NUL byte, an escape sequence that moves a terminal's cursor) and lone
surrogates (bytes that were not UTF-8) are refused: PostgreSQL cannot store a NUL, and a terminal
would obey an escape sequence when the text is shown.
"""

from __future__ import annotations

import unicodedata

from schedule.domain.errors import InputError

USER_MAX = 64  # the audit trail's `who` column


def bad_character(value: str, allowed: str = "") -> str | None:
    """How the first forbidden character of `value` is described, or None when there is none.

    >>> bad_character("ok\\x1b[2K")
    'a control character (U+001B)'
    >>> bad_character("two\\nlines", allowed="\\n") is None
    True
    """
    for char in value:
        if char in allowed:
            continue
        category = unicodedata.category(char)
        if category == "Cc":
            return f"a control character (U+{ord(char):04X})"
        if category == "Cs":
            return "bytes that are not UTF-8"
    return None


def check_text(value: str, what: str, field: str, limit: int | None, allowed: str = "") -> str:
    """`value` unchanged, or an `InputError` that says what is wrong without repeating it."""
    if limit is not None and len(value) > limit:
        raise InputError(
            f"{what} is {len(value)} characters long; at most {limit} are allowed", field=field
        )
    problem = bad_character(value, allowed)
    if problem is not None:
        raise InputError(f"{what} holds {problem}; remove it", field=field)
    return value


def check_user(value: str) -> str:
    """Who makes a change, as the audit trail keeps it: at most 64 characters, no control ones.

    >>> check_user("coordinator")
    'coordinator'
    """
    return check_text(value, "user name", "user", USER_MAX)
