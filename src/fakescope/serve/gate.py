"""Admission control: at most N analyses at once, a bounded queue, and 503 beyond it.

Analyses run on a fixed pool of `max_concurrent` threads: a thread per request would give each its own
glibc memory arena and let memory grow with the number of requests in flight. A timed-out request answers
504 at once; if its analysis has not started it is cancelled, otherwise its thread finishes and is reused.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future, ThreadPoolExecutor
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
        self._pool = ThreadPoolExecutor(max_workers=max_concurrent, thread_name_prefix="fakescope-analysis")
        self._lock = threading.Lock()
        self._waiting = 0
        self.rejected = 0

    @property
    def waiting(self) -> int:
        """Requests admitted and not yet finished (running or queued)."""
        return self._waiting

    def _release(self, _: Future) -> None:
        with self._lock:
            self._waiting -= 1

    async def run(self, work: Callable[[], Any]) -> Any:
        """Run `work` on the pool; Busy when the queue is full, AnalysisTimeout after timeout_s."""
        with self._lock:
            if self._waiting >= self.max_concurrent + self.max_queue:
                self.rejected += 1
                raise Busy()
            self._waiting += 1
        future = self._pool.submit(work)
        future.add_done_callback(self._release)  # runs on completion and on cancellation alike
        try:
            with anyio.fail_after(self.timeout_s):
                return await asyncio.wrap_future(future)
        except TimeoutError:
            future.cancel()  # frees the queue place if the analysis has not started
            raise AnalysisTimeout() from None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
