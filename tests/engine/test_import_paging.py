"""A first sync pages with several pages in flight against the sandbox over real HTTP
(with latency, so the requests really overlap): every order once, each page asked
for once, no extra request for a window that fits in one page, a 429 on pages in
flight waited out together."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from enginekit import FAST, Clock

from cdtui.config import load_settings
from cdtui.engine import Engine
from cdtui.octopia import PAGE_CONCURRENCY, OctopiaClient
from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer
from cdtui.sync import SyncProgress


class Recorder(httpx.AsyncBaseTransport):
    """(path, pageIndex, start, end, status) of every request it carries."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.events: list[tuple[str, int, float, float, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        start = time.monotonic()
        response = await self.inner.handle_async_request(request)
        index = int(request.url.params.get("pageIndex", 0))
        self.events.append((request.url.path, index, start, time.monotonic(), response.status_code))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()

    def pages(self, since: float = 0.0) -> list[tuple[str, int, float, float, int]]:
        return [e for e in self.events if e[0].endswith("/orders") and e[2] >= since]

    def counts(self) -> int:
        return sum(1 for e in self.events if e[0].endswith("/orders/count"))

    def max_overlap(self, since: float = 0.0) -> int:
        spans = [(s, e) for _, _, s, e, _ in self.pages(since)]
        return max((sum(1 for s2, e2 in spans if s2 <= s < e2) for s, _ in spans), default=0)


@pytest.fixture
async def recorded(
    sandbox_factory: Callable[..., SandboxServer], tmp_path: Path
) -> AsyncIterator[Callable[..., tuple[Engine, Recorder, SandboxServer]]]:
    """An engine whose Octopia client records its requests, on a sandbox of its own."""
    made: list[Engine] = []

    def make(**options: Any) -> tuple[Engine, Recorder, SandboxServer]:
        server = sandbox_factory(**options)
        recorder = Recorder()
        settings = load_settings(
            tmp_path / f"home{len(made)}",
            octopia_auth_url=server.auth_url,
            octopia_api_url=server.octopia_url,
            octopia_client_id=data.AGGREGATOR_CLIENT_ID,
            octopia_client_secret=data.AGGREGATOR_CLIENT_SECRET,
            sendcloud_api_url=server.sendcloud_url,
            sendcloud_public_key=data.SENDCLOUD_PUBLIC_KEY,
            sendcloud_secret_key=data.SENDCLOUD_SECRET_KEY,
            sender_address_id=data.SENDER_ADDRESS_ID,
        )
        octopia = OctopiaClient(
            auth_url=server.auth_url,
            api_url=server.octopia_url,
            client_id=data.AGGREGATOR_CLIENT_ID,
            client_secret=data.AGGREGATOR_CLIENT_SECRET,
            policy=FAST,
            timeout=5,
            transport=recorder,
        )
        engine = Engine(settings, octopia=octopia, clock=Clock())
        made.append(engine)
        return engine, recorder, server

    yield make
    for engine in made:
        await engine.aclose()


async def test_a_first_sync_of_several_pages_imports_every_order_once(recorded) -> None:
    engine, recorder, server = recorded(orders=640, seed=3, latency_ms=30)
    await engine.connect(name="Demo", seller_id=data.SELLER_ID, login=data.SELLER_LOGIN)
    recorder.events.clear()
    progress: list[int] = []
    [report] = await engine.sync(
        progress=lambda p: progress.append(p.done) if p.phase == "import" else None
    )
    world_ids = set(server.world.order_ids(data.SELLER_ID))
    stored = [r.order_id for r in engine.orders()]
    assert report.errors == []
    assert len(world_ids) > 500  # several pages
    assert report.imported == len(stored) == len(set(stored)) == len(world_ids)
    assert set(stored) == world_ids
    # each page asked for once, several on the wire at once, never more than the width
    indexes = Counter(i for _, i, *_ in recorder.pages())
    assert sorted(indexes) == list(range(1, len(world_ids) // 100 + 2))
    assert set(indexes.values()) == {1}
    assert 2 <= recorder.max_overlap() <= PAGE_CONCURRENCY
    # the pager's count and the sync's completeness count
    assert recorder.counts() == 2
    assert progress == sorted(progress) and progress[-1] == len(world_ids)


async def test_an_incremental_sync_that_fits_in_one_page_pays_no_extra_request(
    recorded,
) -> None:
    engine, recorder, server = recorded(orders=300, seed=4, latency_ms=10)
    await engine.connect(name="Demo", seller_id=data.SELLER_ID, login=data.SELLER_LOGIN)
    await engine.sync()
    server.world.add_orders(3)
    recorder.events.clear()
    [report] = await engine.sync()
    assert report.errors == [] and report.imported == 3
    # one page (short), and only the sync's own completeness count
    assert [i for _, i, *_ in recorder.pages()] == [1]
    assert recorder.counts() == 1


async def test_a_429_on_the_pages_in_flight_is_waited_out_together(recorded) -> None:
    engine, recorder, server = recorded(orders=900, seed=6, latency_ms=30)
    await engine.connect(name="Demo", seller_id=data.SELLER_ID, login=data.SELLER_LOGIN)
    recorder.events.clear()
    world = server.world
    armed: list[bool] = []

    def after_first_page(p: SyncProgress) -> None:
        # the next pages are in flight or about to be: the server says "slow down"
        # to the next four calls, with Retry-After: 1
        if p.phase == "import" and not armed:
            armed.append(True)
            world.faults.update({"fail_next": 4, "fail_status": 429, "fail_api": "octopia"})

    [report] = await engine.sync(progress=after_first_page)
    assert report.errors == []
    world_ids = set(world.order_ids(data.SELLER_ID))
    stored = [r.order_id for r in engine.orders()]
    assert len(stored) == len(set(stored)) and set(stored) == world_ids
    refused = [e for e in recorder.events if e[4] == 429]
    assert 1 <= len(refused) <= 4
    first_429 = min(e[3] for e in refused)
    # nothing sent while the Retry-After runs (slack for a busy loop) ...
    waited = [e for e in recorder.events if first_429 + 0.25 < e[2] < first_429 + 0.9]
    assert waited == []
    # ... and after it, one page at a time
    assert recorder.max_overlap(since=first_429) == 1
