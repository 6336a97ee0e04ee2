"""Stopping on SIGTERM and SIGINT: a training job checkpoints and stops, a sweep forwards the signal.

A scheduler (Slurm's `scancel`, Kubernetes' pod deletion, `kill`) sends SIGTERM and waits a grace
period before SIGKILL; Ctrl-C sends SIGINT. Inside `stop_requests()` the first of either is only
recorded: the training loop ends the current step, saves a checkpoint and raises `Stopped`, and
`run_side_by_side` passes the signal on to its jobs and waits for them. A second signal is not
caught: it ends the process the usual way (KeyboardInterrupt for SIGINT, termination for SIGTERM).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from typing import Callable, Iterator

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stopped(Exception):
    """The job stopped on a signal, after checkpointing (rerun the same command to resume)."""

    def __init__(self, signum: int, message: str):
        super().__init__(message)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """The shell's code for a process ended by the signal: 128 + its number (143 for SIGTERM)."""
        return 128 + self.signum


@contextlib.contextmanager
def stop_requests(on_signal: Callable[[int], None] | None = None) -> Iterator[list[int]]:
    """Within the block the first SIGTERM or SIGINT is appended to the yielded list (and
    `on_signal(signum)` called) instead of ending the process; the handlers before are restored after.

    Only the main thread may handle signals: elsewhere the list stays empty and nothing is installed.
    """
    requested: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield requested
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}

    def handle(signum, frame):
        if requested:  # a second signal: stop now, the usual way
            for s, handler in previous.items():
                signal.signal(s, handler if handler is not None else signal.SIG_DFL)
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            os.kill(os.getpid(), signum)
            return
        requested.append(signum)
        if on_signal is not None:
            on_signal(signum)

    for s in SIGNALS:
        signal.signal(s, handle)
    try:
        yield requested
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)


def name(signum: int) -> str:
    return signal.Signals(signum).name
