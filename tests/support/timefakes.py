"""Test doubles for time, shared by the unit and API tests."""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


class Sleeps:
    """A fake ``asyncio.sleep`` that records the delays and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


class VirtualTime:
    """A clock and a sleep on virtual time: when every task is blocked, the earliest
    sleeper wakes and the clock jumps to its wake-up time."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        fut = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(0.0, delay), self._seq, fut))
        self._seq += 1
        await fut

    async def run(self, coro: Awaitable[T]) -> T:
        task = asyncio.ensure_future(coro)
        while not task.done():
            for _ in range(50):  # let every runnable task reach its next sleep
                await asyncio.sleep(0)
            if task.done():
                break
            assert self._sleepers, "deadlock: every task waits and nobody sleeps"
            wake_at = self._sleepers[0][0]
            self.now = max(self.now, wake_at)
            while self._sleepers and self._sleepers[0][0] <= wake_at:
                heapq.heappop(self._sleepers)[2].set_result(None)
        return task.result()


def max_in_window(times: list[float], period: float) -> int:
    """The largest number of events inside any window [t, t + period)."""
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - period:
            lo += 1
        best = max(best, hi - lo + 1)
    return best
