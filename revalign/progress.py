"""What long commands show while they work: one line per step, and a bar for a step with
many parts (dbt's nodes) where the output is a terminal; elsewhere (a CI log, a pipe) a
line at each quarter instead of the bar, once the step has taken a few seconds. It goes
to stderr: a command's output stays its results.

The command line turns it on (:func:`reporting`); the library reports through
:func:`step` and :func:`count`, which do nothing when nobody listens (under Airflow a
task's log is its output). dbt's own log then goes to its file only: ``--verbose``
shows it on the console as well (:func:`verbose`).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

BAR = 30
QUIET_SECONDS = 5  # off a terminal, a step's quarters are told once it takes this long


class Reporter:
    def __init__(self, stream: TextIO, verbose: bool):
        self.stream = stream
        self.verbose = verbose
        self.tty = stream.isatty()
        self.lock = threading.Lock()
        self.started: dict[str, float] = {}
        self.quarters: dict[str, int] = {}

    def step(self, text: str) -> None:
        with self.lock:
            self.stream.write(text + "\n")
            self.stream.flush()

    def count(self, label: str, done: int, total: int) -> None:
        """``done`` of ``total`` parts of ``label``: the bar, or a line per quarter."""
        if total <= 0:
            return
        with self.lock:
            self.started.setdefault(label, time.monotonic())
            if self.tty:
                filled = BAR * min(done, total) // total
                bar = "#" * filled + "." * (BAR - filled)
                self.stream.write(f"\r  {label} [{bar}] {done}/{total}")
                if done >= total:
                    self.stream.write("\n")
            elif self.seconds(label) >= QUIET_SECONDS:  # a quick step needs no report
                quarter = 4 * min(done, total) // total
                if quarter > self.quarters.get(label, 0):
                    self.quarters[label] = quarter
                    self.stream.write(f"  {label}: {done}/{total}\n")
            self.stream.flush()

    def seconds(self, label: str) -> float:
        return time.monotonic() - self.started.get(label, time.monotonic())


_active: Reporter | None = None


@contextmanager
def reporting(stream: TextIO | None = None, verbose: bool = False) -> Iterator[Reporter]:
    """Report progress to ``stream`` (stderr: a command's output stays its results) for
    the duration of a command."""
    global _active
    previous, _active = _active, Reporter(stream or sys.stderr, verbose)
    try:
        yield _active
    finally:
        _active = previous


def active() -> Reporter | None:
    return _active


def verbose() -> bool:
    """Whether libraries' own logs (dbt's) should reach the console: yes unless a
    command reports progress without --verbose."""
    return _active is None or _active.verbose


def step(text: str) -> None:
    if _active is not None:
        _active.step(text)


def count(label: str, done: int, total: int) -> None:
    if _active is not None:
        _active.count(label, done, total)
