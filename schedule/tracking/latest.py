"""What an import's checks keep of the calendars and checks they made (`transfer.py`): the
latest few hundred."""

from __future__ import annotations

from typing import Any, TypeVar

_Key = tuple[Any, ...]  # what a calendar or a check is kept by
_V = TypeVar("_V")

# Lean calendars kept: patients alike come close together in a file in date order (they
# began on one day), so the few hundred latest are those met again.
KEPT = 512


class Latest(dict[_Key, _V]):
    """A mapping that keeps at least the latest `KEPT` values set, and at most twice as
    many: when it holds that many, they become the older half (`older`), searched after the
    newer and dropped at the next turn. Cheaper than dropping the oldest at each value set
    (what a worker does for tens of thousands of rows)."""

    def __init__(self) -> None:
        super().__init__()
        self.older: dict[_Key, _V] = {}

    def get(self, key: _Key, default: Any = None) -> Any:
        found = super().get(key, _NONE)
        if found is _NONE:
            found = self.older.get(key, _NONE)
            if found is _NONE:
                return default
            super().__setitem__(key, found)  # newer again: it is met again
        return found

    def __setitem__(self, key: _Key, value: _V) -> None:
        if len(self) >= KEPT:
            self.older = dict(self)
            self.clear()
        super().__setitem__(key, value)


_NONE: Any = object()  # not found
