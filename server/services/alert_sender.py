"""The per-process background sender of run alerts: a bounded queue and one daemon thread.

Finishing a run must not wait on a mail server (up to 15 s) or a webhook (5 s), so the run
service hands prepared alerts (:mod:`.alert_delivery`, plain data) to :func:`submit` and
answers at once. The thread starts with the first alert, never on import or in ``create_app``.

A delivery that fails transiently (a refused connection, a timeout, a 4xx SMTP or 5xx webhook
answer) is tried again after each of ``retry_delays``; one that still fails, or fails for
good, is logged with the user, the channel and the reason (never a password or a webhook's
token). While ``capacity`` alerts are waiting or being sent a new one is dropped with a
warning. At exit the queue is flushed for up to ``EXIT_FLUSH_SECONDS``.
"""

from __future__ import annotations

import atexit
import heapq
import itertools
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

from .alert_delivery import AlertNotSent

log = logging.getLogger(__name__)

CAPACITY = 1000
RETRY_DELAYS = (2.0, 10.0)
EXIT_FLUSH_SECONDS = 10.0


class Job(Protocol):
    channel: str
    username: str

    def send(self) -> None: ...


@dataclass(order=True)
class _Entry:
    due: float  # time.monotonic() at which to try
    seq: int  # keeps first-in first-out among entries due at the same time
    attempt: int = field(compare=False)
    job: Job = field(compare=False)


class AlertSender:
    """A bounded queue of alerts sent by one daemon thread of this process."""

    def __init__(self, capacity: int = CAPACITY, retry_delays=RETRY_DELAYS) -> None:
        self.capacity = capacity
        self.retry_delays = tuple(retry_delays)
        self._exit_hook = False
        self._reset()

    def _reset(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[_Entry] = []
        self._pending = 0  # waiting, being sent or waiting to be tried again
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def submit(self, job: Job) -> bool:
        """Queue ``job`` for sending; False, with a warning, when the queue is full."""
        with self._cond:
            if self._pending >= self.capacity:
                log.warning(
                    "alert to user %s via %s dropped: %d alerts are already waiting to be sent",
                    job.username,
                    job.channel,
                    self._pending,
                )
                return False
            self._pending += 1
            self._push(_Entry(time.monotonic(), next(self._seq), 1, job))
            self._start()
        return True

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until every queued alert is sent or given up on;
        True when none is left."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending == 0, timeout)

    def pending(self) -> int:
        with self._cond:
            return self._pending

    def _push(self, entry: _Entry) -> None:
        heapq.heappush(self._heap, entry)
        self._cond.notify_all()

    def _start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._work, name="outpost-alerts", daemon=True)
        self._thread.start()
        if not self._exit_hook:
            atexit.register(self._flush_at_exit)
            # A forked child inherits the queue but not the thread: it starts empty.
            os.register_at_fork(after_in_child=self._reset)
            self._exit_hook = True

    def _next(self) -> _Entry:
        with self._cond:
            while True:
                now = time.monotonic()
                if self._heap and self._heap[0].due <= now:
                    return heapq.heappop(self._heap)
                self._cond.wait(self._heap[0].due - now if self._heap else None)

    def _work(self) -> None:
        while True:
            entry = self._next()
            delay = self._attempt(entry)
            with self._cond:
                if delay is None:
                    self._pending -= 1
                    self._cond.notify_all()
                else:
                    due = time.monotonic() + delay
                    self._push(_Entry(due, next(self._seq), entry.attempt + 1, entry.job))

    def _attempt(self, entry: _Entry) -> float | None:
        """Send ``entry``'s alert once; the delay before trying again, or None when done."""
        job, attempt = entry.job, entry.attempt
        whose = f"alert to user {job.username} via {job.channel}"  # never the address's secret
        try:
            job.send()
        except AlertNotSent as exc:
            if exc.transient and attempt <= len(self.retry_delays):
                delay = self.retry_delays[attempt - 1]
                log.info("%s: attempt %d failed (%s); again in %g s", whose, attempt, exc, delay)
                return delay
            log.warning("%s not sent after %d attempt(s): %s", whose, attempt, exc)
        except Exception:  # a bug in one alert must not stop the thread sending the others
            log.exception("%s failed", whose)
        return None

    def _flush_at_exit(self) -> None:
        if self.flush(EXIT_FLUSH_SECONDS):
            return
        log.warning("the server stopped with %d run alert(s) not sent", self.pending())


sender = AlertSender()


def submit(job: Job) -> bool:
    """Queue ``job`` on this process's sender (see :class:`AlertSender`)."""
    return sender.submit(job)


def flush(timeout: float = EXIT_FLUSH_SECONDS) -> bool:
    """Wait until this process's queued alerts are sent or given up on (tests, shutdown)."""
    return sender.flush(timeout)
