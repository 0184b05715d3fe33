"""Free text that people type (names, notes, who did it): what it may hold, checked at input so
that SQLite and PostgreSQL refuse the same things, and messages that never repeat it.

Control characters (a NUL byte, an escape sequence that moves a terminal's cursor, a mark that
reverses the text after it) and lone surrogates (bytes that were not UTF-8) are refused:
PostgreSQL cannot store a NUL, and a terminal would obey an escape sequence when the text is
shown.
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
    >>> bad_character("Ana\\u202eelpmaxE")
    'a control character (U+202E, which reorders the text around it)'
    """
    for char in value:
        if char in allowed:
            continue
        category = unicodedata.category(char)
        if category == "Cc":
            return f"a control character (U+{ord(char):04X})"
        if category == "Cs":
            return "bytes that are not UTF-8"
        if char in BIDI_CONTROLS:
            return f"a control character (U+{ord(char):04X}, which reorders the text around it)"
    return None


# The marks that reorder the text around them (Unicode's bidirectional controls): a name
# holding U+202E shows reversed in a table and on the handout ("Trojan Source", CVE-2021-42574).
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


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
