"""Spreading work over patients across forked processes, each with its own connections."""

from __future__ import annotations

import gc
import multiprocessing as mp
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from schedule.store.database import Store
    from schedule.store.reader import SqliteReader

T = TypeVar("T")
PARALLEL_FROM = 2000  # patients; below this a second process costs more than it saves

_TASK: tuple[Callable[[int, int], Any], Store | SqliteReader] | None = None


def _run_task(low: int, high: int) -> Any:
    assert _TASK is not None
    task, store = _TASK
    store.after_fork()
    # A short-lived worker that makes many small acyclic objects: the cycle collector would
    # only walk them (and touch the parent's pages, copying them) without freeing anything.
    gc.disable()
    return task(low, high)


def _run_pair(bounds: tuple[int, int]) -> Any:
    return _run_task(*bounds)


def _slices(count: int, step: int) -> list[tuple[int, int]]:
    return [(i, min(i + step, count)) for i in range(0, count, step)]


def iter_slices(
    task: Callable[[int, int], T],
    store: Store | SqliteReader,
    count: int,
    workers: int,
    step: int,
) -> Iterator[T]:
    """`task` over slices of `step` items, in order, as each is done. In one process when
    `workers` is 1, the count is small, or the platform cannot fork."""
    global _TASK
    slices = _slices(count, max(step, 1))
    if workers <= 1 or count < PARALLEL_FROM or "fork" not in mp.get_all_start_methods():
        for low, high in slices:
            yield task(low, high)
        return
    _TASK = (task, store)  # forked workers inherit it, and what is loaded, without copying
    gc.freeze()  # what is loaded so far stays out of the workers' collections
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            yield from pool.imap(_run_pair, slices)
    finally:
        _TASK = None
        gc.unfreeze()
