"""How long ``OctopiaClient.iter_orders`` takes to page N sandbox orders over HTTP.

This is the denominator of the import-overhead bar (store overhead ≤ 30 % over merely
fetching the pages). Run: ``python benchmarks/bench_paging.py [--orders 10000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from cdtui.octopia import OctopiaClient
from cdtui.sandbox.data import AGGREGATOR_CLIENT_ID, AGGREGATOR_CLIENT_SECRET, SELLER_ID
from cdtui.sandbox.server import SandboxServer


async def page_all(url: str) -> tuple[int, float]:
    """Page every order of the delegated seller; returns (orders, seconds)."""
    client = OctopiaClient(
        auth_url=f"{url}/auth/realms/maas/protocol/openid-connect/token",
        api_url=f"{url}/seller/v2",
        client_id=AGGREGATOR_CLIENT_ID,
        client_secret=AGGREGATOR_CLIENT_SECRET,
    )
    async with client:
        await client.check_credentials()  # the token is not part of the paging cost
        start = time.perf_counter()
        n = 0
        async for _ in client.iter_orders(SELLER_ID):
            n += 1
        return n, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with SandboxServer(orders=args.orders, seed=0) as server:
        times = []
        count = 0
        for _ in range(args.runs):
            count, seconds = asyncio.run(page_all(server.url))
            times.append(seconds)
    best, median = min(times), statistics.median(times)
    print(
        f"iter_orders: {count} orders in {median:.2f} s median, {best:.2f} s best "
        f"({args.runs} runs, {count / median:,.0f} orders/s, "
        f"{-(-count // 100)} pages of 100)"
    )


if __name__ == "__main__":
    main()
