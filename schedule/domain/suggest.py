"""Did-you-mean: the known names closest to one mistyped (`NET-10O` for `NET-100`, `prtt-2`
for `prrt-2`), compared without case, with the standard library's `difflib`."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# How alike a known name must be to be offered (difflib's ratio, 0 to 1): close enough for a
# typed letter or two, not so loose that any ID of the same shape is offered.
CUTOFF = 0.75


def closest(word: str, known: Iterable[str], limit: int = 3) -> list[str]:
    """The known names closest to `word`, best first, compared without case.

    >>> closest("NET-10O", ["NET-100", "NET-200", "ABC-1"])
    ['NET-100']
    >>> closest("lutathera", ["Lutathera", "lanreotide"])
    ['Lutathera']
    >>> closest("zzz", ["NET-100"])
    []
    >>> closest("prrt-7", ["prrt-1", "prrt-2"])  # another number is not a typing slip
    []
    """
    folded: dict[str, str] = {}
    shape = _letters(word)
    for name in known:
        # One that differs only in its numbers is another one, not a slip of typing.
        if _letters(name) != shape or name.casefold() == word.casefold():
            folded.setdefault(name.casefold(), name)
    found = difflib.get_close_matches(word.casefold(), list(folded), n=limit, cutoff=CUTOFF)
    return [folded[f] for f in found]


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """ " (did you mean 'X'?)" (or 'X' or 'Y') for the closest known names, else "".

    >>> did_you_mean("prtt-2", ["prrt-1", "prrt-2", "ssa-1"])
    " (did you mean 'prrt-2'?)"
    """
    found = closest(word, known)
    if not found:
        return ""
    return " (did you mean " + " or ".join(repr(f) for f in found) + "?)"


def _letters(name: str) -> str:
    """What is left of a name without its digits, folded: `prrt-` for `PRRT-7`."""
    return "".join(c for c in name.casefold() if not c.isdigit())
