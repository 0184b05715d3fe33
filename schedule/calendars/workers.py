"""The worker processes of a feed server that serves from more than one (`serving.py`).

The process started forks the workers and only watches them (`Supervisor`). The stop signals
and SIGCHLD are blocked meanwhile and taken by `sigtimedwait`, so no handler can run between a
fork and its record, and SIGCHLD has its default action (were it ignored, as a parent may leave
it, the system would reap the workers itself). A worker that dies is replaced: at once when it
had run for a while (`SETTLED` seconds); after one that died sooner, a second later, then twice
the last wait, up to `LONGEST`, so that one that cannot start is not restarted in a busy loop.
A fork that fails at the start is an error (`OutputError`); one that fails while replacing a
worker is logged and tried again a second later. On SIGTERM or SIGINT every worker is sent
SIGTERM and waited for (`grace` seconds, then SIGKILL).
"""

from __future__ import annotations

import os
import signal
import time
import traceback
from collections.abc import Callable
from contextlib import suppress
from typing import TextIO

from schedule.domain.errors import OutputError

Mask = set[int | signal.Signals]  # what pthread_sigmask takes and gives
Work = Callable[[int, int, Mask], None]  # a worker's life: its number, parent, mask to restore
STOPS = (signal.SIGTERM, signal.SIGINT)
SETTLED = 10.0  # seconds a worker runs before its end no longer counts as failing at start
LONGEST = 60.0  # seconds: the longest wait before a worker that keeps failing is replaced


def can_fork() -> bool:
    needed = ((os, "fork"), (signal, "pthread_sigmask"), (signal, "sigtimedwait"))
    return all(hasattr(module, name) for module, name in needed)


class Supervisor:
    """Runs `count` workers, each `work` in a process of its own, until a stop signal."""

    def __init__(self, count: int, work: Work, log: TextIO) -> None:
        self.count, self.work, self.log = count, work, log
        self.children: dict[int, tuple[int, float]] = {}  # pid: its number, when it started
        self.due: dict[int, float] = {}  # numbers of workers to start again: when
        self.delays = dict.fromkeys(range(count), 0.0)  # the last wait before each one's start
        self.mask: Mask = set()

    def run(self, grace: float) -> None:
        watched = {*STOPS, signal.SIGCHLD}
        previous = signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        self.mask = signal.pthread_sigmask(signal.SIG_BLOCK, watched)
        try:
            for number in range(self.count):
                try:
                    self._fork(number)
                except OSError as exc:
                    reason = exc.strerror or exc
                    raise OutputError(f"cannot start worker processes: {reason}") from None
            while True:
                wait = min([1.0, *(at - time.monotonic() for at in self.due.values())])
                got = signal.sigtimedwait(watched, max(0.0, wait))  # None: a tick
                if got is not None and got.si_signo in STOPS:
                    break
                self._replace()
        finally:
            self._stop(grace)
            while pending := signal.sigpending() & set(STOPS):  # a second Ctrl-C: taken here
                signal.sigwait(pending)
            signal.pthread_sigmask(signal.SIG_SETMASK, self.mask)
            if previous is not None:
                signal.signal(signal.SIGCHLD, previous)

    def _replace(self) -> None:
        """Note the workers that ended, and start those whose wait is over."""
        for pid, status in reap(self.children):
            number, started = self.children.pop(pid)
            delay = self.delays[number] = backoff(self.delays[number], time.monotonic() - started)
            self.due[number] = time.monotonic() + delay
            later = f" in {delay:g} s" if delay else ""
            self.log.write(
                f"prrt serve: worker {pid} stopped ({describe(status)}); starting another{later}\n"
            )
        for number, at in list(self.due.items()):
            if at <= time.monotonic():
                try:
                    self._fork(number)
                    del self.due[number]
                except OSError as exc:  # tried again at the next tick
                    self.log.write(f"prrt serve: cannot start a worker: {exc.strerror or exc}\n")
                    self.due[number] = time.monotonic() + 1

    def _fork(self, number: int) -> None:
        parent = os.getpid()
        self.log.flush()  # nothing written before the fork is written twice
        pid = os.fork()
        if pid:
            self.children[pid] = (number, time.monotonic())
            return
        code = 1
        try:  # the worker: never returns into the caller's code
            self.work(number, parent, self.mask)
            code = 0
        except BaseException:  # reported, and the parent starts another
            self.log.write("prrt serve: a worker failed:\n" + traceback.format_exc())
        finally:
            self.log.flush()
            os._exit(code)

    def _stop(self, grace: float) -> None:
        for pid in self.children:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while self.children and time.monotonic() < deadline:
            for pid, _ in reap(self.children):
                self.children.pop(pid)
            time.sleep(0.02)
        for pid in self.children:
            _signal(pid, signal.SIGKILL)
            with suppress(ChildProcessError):
                os.waitpid(pid, 0)


def backoff(delay: float, lived: float) -> float:
    """The wait before replacing a worker that ran `lived` seconds, the wait before its own
    start having been `delay`: none after one that ran a while; after one that died soon, a
    second, then twice the last wait, up to `LONGEST`."""
    return 0.0 if lived >= SETTLED else min(LONGEST, max(1.0, delay * 2))


def reap(children: dict[int, tuple[int, float]]) -> list[tuple[int, int | None]]:
    """The children that have ended, with their wait status (None: reaped by the system)."""
    ended: list[tuple[int, int | None]] = []
    for pid in children:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # gone already, and its status with it
            ended.append((pid, None))
            continue
        if done:
            ended.append((pid, status))
    return ended


def describe(status: int | None) -> str:
    if status is None:
        return "status unknown"
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"


def _signal(pid: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, sig)
