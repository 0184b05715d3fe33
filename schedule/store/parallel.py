"""Spreading work over patients across forked processes, each with its own connections: the
standard process pool, its workers forked so that they inherit what is loaded without copying
it (and the task, a closure, without pickling it)."""

from __future__ import annotations

import gc
import multiprocessing as mp
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from schedule.store.interface import ReadStore

T = TypeVar("T")
PARALLEL_FROM = 2000  # patients; below this a second process costs more than it saves

# Set in each worker by `_start_worker` (never in the parent): what `_run_slice` runs.
_worker_task: Callable[[int, int], Any] | None = None


def _start_worker(
    task: Callable[[int, int], Any], store: ReadStore | None, collect: bool = True
) -> None:
    global _worker_task
    if store is not None:  # None: the task works on what the parent read, never the database
        store.after_fork()
    if not collect:
        gc.disable()  # the worker ends with the pool: what it frees, refcounting frees
    _worker_task = task


def _run_slice(low: int, high: int) -> Any:
    assert _worker_task is not None
    return _worker_task(low, high)


def _slices(count: int, step: int) -> list[tuple[int, int]]:
    return [(i, min(i + step, count)) for i in range(0, count, step)]


def iter_slices(
    task: Callable[[int, int], T],
    store: ReadStore | None,
    count: int,
    workers: int,
    step: int,
    collect: bool = True,
) -> Iterator[T]:
    """`task` over slices of `step` items, in order, as each is done. In one process when
    `workers` is 1, the count is small, or the platform cannot fork. `collect=False`: the
    workers never run the cycle collector, for a task that makes no reference cycles and
    keeps much of what it makes (the collector would walk it again and again: a tenth of a
    worklist's time)."""
    slices = _slices(count, max(step, 1))
    if workers <= 1 or count < PARALLEL_FROM or "fork" not in mp.get_all_start_methods():
        for low, high in slices:
            yield task(low, high)
        return
    gc.freeze()  # what is loaded so far stays out of the workers' collections
    pool = ProcessPoolExecutor(
        workers,
        mp_context=mp.get_context("fork"),
        initializer=_start_worker,
        initargs=(task, store, collect),
    )
    try:
        yield from pool.map(_run_slice, [low for low, _ in slices], [high for _, high in slices])
    finally:
        pool.shutdown(cancel_futures=True)
        gc.unfreeze()
