"""Fakes shared by the API client tests: constants, clocks, order documents."""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Awaitable
from typing import Any, TypeVar

from cdtui.http import RetryPolicy

T = TypeVar("T")

AUTH_URL = "https://auth.octopia.test/auth/realms/maas/protocol/openid-connect/token"
OCTOPIA_URL = "https://api.octopia.test/seller/v2"
SENDCLOUD_URL = "https://panel.sendcloud.test/api/v3"
CLIENT_SECRET = "aggregator-SECRET-7f3a"
SENDCLOUD_SECRET = "sc-SECRET-key-91bd"
SELLER = "98979"

FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02, max_total=1.0)


class Sleeps:
    """A fake ``asyncio.sleep`` that records the delays and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


class Clock:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


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


def order_doc(
    order_id: str,
    *,
    status: str = "InPreparation",
    parcels: list[dict[str, Any]] | None = None,
    channel: str = "CDISFR",
) -> dict[str, Any]:
    """An order document shaped like the live API's."""
    return {
        "orderId": order_id,
        "reference": f"REF-{order_id}",
        "salesChannel": {"id": channel, "name": "Cdiscount"},
        "status": status,
        "createdAt": "2026-11-26T09:58:02Z",
        "updatedAt": "2026-11-26T10:12:40Z",
        "lines": [
            {
                "orderLineId": "1",
                "status": status,
                "quantity": 1,
                "offer": {"sellerProductId": "SKU-1", "supplyMode": "Seller"},
                "shippingAddress": {
                    "firstName": "Camille",
                    "lastName": "Durand",
                    "addressLine1": "12 rue de la Paix",
                    "postalCode": "75002",
                    "city": "Paris",
                    "countryCode": "FR",
                },
                "parcels": parcels or [],
            }
        ],
    }
