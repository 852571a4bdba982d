"""Admission control: at most N analyses at once, a bounded queue, and 503 beyond it.

A timed-out request answers 504 at once, but its slot is held until the analysis thread really ends, so
memory stays bounded by max_concurrent analyses whatever clients do.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Callable

import anyio


class Busy(Exception):
    """The queue is full: answer 503 with Retry-After."""


class AnalysisTimeout(Exception):
    """The analysis did not finish in time: answer 504."""


class Gate:
    def __init__(self, *, max_concurrent: int, max_queue: int, timeout_s: float) -> None:
        self.max_concurrent = max_concurrent
        self.max_queue = max_queue
        self.timeout_s = timeout_s
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self._lock = threading.Lock()
        self._waiting = 0
        self.rejected = 0

    @property
    def waiting(self) -> int:
        return self._waiting

    async def run(self, work: Callable[[], Any]) -> Any:
        """Run `work` in a thread once a slot is free; Busy when the queue is full, AnalysisTimeout on timeout."""
        with self._lock:
            if self._waiting >= self.max_concurrent + self.max_queue:
                self.rejected += 1
                raise Busy()
            self._waiting += 1
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()

        def job() -> None:
            try:
                self._slots.acquire()
                try:
                    result, error = work(), None
                except BaseException as exc:  # handed to the request below
                    result, error = None, exc
                finally:
                    self._slots.release()
            finally:
                with self._lock:
                    self._waiting -= 1
            loop.call_soon_threadsafe(_settle, future, result, error)

        threading.Thread(target=job, name="fakescope-analysis", daemon=True).start()
        try:
            with anyio.fail_after(self.timeout_s):
                return await asyncio.shield(future)
        except TimeoutError:
            raise AnalysisTimeout() from None


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
