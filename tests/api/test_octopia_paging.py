"""OctopiaClient.order_pages with pages kept in flight: order, stale counts, 429s, early
stops. A fake Octopia (respx side effects on virtual time) records when each request
starts and ends, so the tests can see what was in flight at once."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field

import httpx
import pytest
import respx
from apifakes import AUTH_URL, CLIENT_SECRET, FAST, OCTOPIA_URL, SELLER, VirtualTime, order_doc

from cdtui.errors import BadResponse, Unavailable
from cdtui.octopia import PAGE_CONCURRENCY, OctopiaClient, OrderPage

ORDERS = f"{OCTOPIA_URL}/orders"
LATENCY = 0.05  # virtual seconds a request takes


@dataclass
class Call:
    what: str  # "page" or "count"
    index: int  # the page index (0 for the count)
    start: float
    end: float | None = None
    status: int | None = None
    cancelled: bool = False


@dataclass
class FakeOctopia:
    """Octopia's paging on virtual time: ``ids`` may change between requests."""

    vt: VirtualTime
    ids: list[str]
    #: what /orders/count says (None: the truth at the time it is asked)
    count: int | None = None
    #: statuses answered first, per page index (e.g. {3: [429]})
    fail: dict[int, list[int]] = field(default_factory=dict)
    retry_after: str = "1"
    #: pages that never answer (until cancelled)
    hang: set[int] = field(default_factory=set)
    #: called with each page index just before it is answered
    on_page: Callable[[int], None] | None = None
    calls: list[Call] = field(default_factory=list)

    def install(self, router: respx.Router) -> None:
        router.get(f"{ORDERS}/count").mock(side_effect=self._count)
        router.get(ORDERS).mock(side_effect=self._page)

    async def _wait(self, call: Call, hang: bool = False) -> None:
        self.calls.append(call)
        try:
            if hang:
                await asyncio.get_running_loop().create_future()
            await self.vt.sleep(LATENCY)
        except asyncio.CancelledError:
            call.cancelled = True
            raise
        finally:
            call.end = self.vt.now

    async def _count(self, request: httpx.Request) -> httpx.Response:
        call = Call("count", 0, self.vt.now)
        await self._wait(call)
        call.status = 200
        return httpx.Response(200, json=len(self.ids) if self.count is None else self.count)

    async def _page(self, request: httpx.Request) -> httpx.Response:
        index = int(request.url.params["pageIndex"])
        size = int(request.url.params["pageSize"])
        call = Call("page", index, self.vt.now)
        await self._wait(call, hang=index in self.hang)
        failures = self.fail.get(index)
        if failures:
            call.status = failures.pop(0)
            headers = {"Retry-After": self.retry_after} if call.status == 429 else {}
            return httpx.Response(call.status, json={"title": "no"}, headers=headers)
        if self.on_page:
            self.on_page(index)
        start = (index - 1) * size
        items = [order_doc(i) for i in self.ids[start : start + size]]
        call.status = 200
        return httpx.Response(200, json={"itemsPerPage": size, "items": items})

    # ---- what the tests look at

    def pages(self) -> list[Call]:
        return [c for c in self.calls if c.what == "page"]

    def page_indexes(self) -> list[int]:
        return [c.index for c in self.pages()]

    def max_in_flight(self, after: float = float("-inf"), what: str = "page") -> int:
        """Most requests of that kind on the wire at once, among those started at or
        after ``after``."""
        spans = [
            (c.start, c.end if c.end is not None else float("inf"))
            for c in self.calls
            if c.what == what and c.start >= after
        ]
        best = 0
        for start, _ in spans:
            best = max(best, sum(1 for s, e in spans if s <= start < e))
        return best


def ids(n: int) -> list[str]:
    return [f"O{i:05d}" for i in range(n)]


@pytest.fixture
def vt() -> VirtualTime:
    return VirtualTime()


@pytest.fixture
async def client(
    router: respx.Router, token_route, vt: VirtualTime
) -> AsyncIterator[OctopiaClient]:
    octopia = OctopiaClient(
        auth_url=AUTH_URL,
        api_url=OCTOPIA_URL,
        client_id="cdtui-aggregator",
        client_secret=CLIENT_SECRET,
        policy=FAST,
        transport=httpx.MockTransport(router.async_handler),
        clock=vt.clock,
        sleep=vt.sleep,
    )
    async with octopia:
        yield octopia


async def read_all(client: OctopiaClient, vt: VirtualTime, **kw) -> list[OrderPage]:
    async def go() -> list[OrderPage]:
        async with aclosing(client.order_pages(SELLER, **kw)) as pages:
            return [p async for p in pages]

    return await vt.run(go())


def flat(pages: list[OrderPage]) -> list[str]:
    return [o.order_id for p in pages for o in p.orders]


# ---------------------------------------------------------------- order and width


async def test_pages_come_in_order_with_four_in_flight(router, client, vt):
    fake = FakeOctopia(vt, ids(1_000))
    fake.install(router)
    pages = await read_all(client, vt)
    assert flat(pages) == ids(1_000)  # in order, each once
    assert [p.raw_count for p in pages] == [100] * 10 + [0]
    assert sorted(fake.page_indexes()) == list(range(1, 12))  # no page twice, none extra
    assert fake.max_in_flight() == PAGE_CONCURRENCY
    # page 1 alone, then the count with page 2; ~ 11 pages / 4 wide in far fewer
    # round trips than 11 + 1
    first, second = fake.pages()[:2]
    assert second.start >= first.end
    [count] = [c for c in fake.calls if c.what == "count"]
    assert count.start == second.start
    assert vt.now <= 6 * LATENCY


async def test_pages_arriving_out_of_order_are_handed_over_in_order(router, client, vt):
    fake = FakeOctopia(vt, ids(800))
    fake.install(router)
    slow = {2: 0.3, 3: 0.2, 4: 0.1}  # later pages arrive first

    original = fake._wait

    async def wait(call: Call, hang: bool = False) -> None:
        await original(call, hang)
        if call.what == "page" and call.index in slow:
            await vt.sleep(slow[call.index])

    fake._wait = wait  # type: ignore[method-assign]
    seen: list[int] = []

    async def go() -> list[str]:
        out: list[str] = []
        async with aclosing(client.order_pages(SELLER)) as pages:
            async for page in pages:
                seen.append(int(page.orders[0].order_id[1:]) // 100 + 1 if page.orders else 0)
                out.extend(o.order_id for o in page.orders)
        return out

    assert await vt.run(go()) == ids(800)
    assert seen == [1, 2, 3, 4, 5, 6, 7, 8, 0]


async def test_a_slow_reader_has_at_most_four_pages_asked_ahead(router, client, vt):
    fake = FakeOctopia(vt, ids(1_200))
    fake.install(router)
    ahead: list[int] = []

    async def go() -> list[str]:
        out: list[str] = []
        async with aclosing(client.order_pages(SELLER)) as pages:
            async for page in pages:
                await vt.sleep(1.0)  # storing takes long: the pages ahead must wait
                handed = len(out) // 100 + 1
                ahead.append(max(fake.page_indexes()) - handed)
                out.extend(o.order_id for o in page.orders)
        return out

    assert await vt.run(go()) == ids(1_200)
    assert max(ahead) == PAGE_CONCURRENCY
    assert sorted(fake.page_indexes()) == list(range(1, 14))


@pytest.mark.parametrize("total", [0, 1, 99])
async def test_a_window_that_fits_in_one_page_costs_one_request(router, client, vt, total):
    fake = FakeOctopia(vt, ids(total))
    fake.install(router)
    pages = await read_all(client, vt)
    assert flat(pages) == ids(total)
    assert [(c.what, c.index) for c in fake.calls] == [("page", 1)]  # no count


async def test_a_full_first_page_then_a_short_one_costs_one_count(router, client, vt):
    fake = FakeOctopia(vt, ids(130))
    fake.install(router)
    assert flat(await read_all(client, vt)) == ids(130)
    assert sorted((c.what, c.index) for c in fake.calls) == [
        ("count", 0),
        ("page", 1),
        ("page", 2),
    ]


async def test_a_count_that_is_a_multiple_of_the_page_size_ends_on_an_empty_page(
    router, client, vt
):
    fake = FakeOctopia(vt, ids(300))
    fake.install(router)
    pages = await read_all(client, vt)
    assert [p.raw_count for p in pages] == [100, 100, 100, 0]
    assert sorted(fake.page_indexes()) == [1, 2, 3, 4]


async def test_concurrency_one_is_plain_sequential_paging(router, client, vt):
    fake = FakeOctopia(vt, ids(450))
    fake.install(router)
    assert flat(await read_all(client, vt, concurrency=1)) == ids(450)
    assert fake.max_in_flight() == 1
    assert [c.what for c in fake.calls] == ["page"] * 5  # no count either


# ---------------------------------------------------------------- a count that is wrong


async def test_a_count_too_low_still_reads_every_page_until_a_short_one(router, client, vt):
    # orders entered the window after the count: pages past it come one at a time
    fake = FakeOctopia(vt, ids(760), count=250)
    fake.install(router)
    pages = await read_all(client, vt)
    assert flat(pages) == ids(760)
    assert sorted(fake.page_indexes()) == list(range(1, 9))
    planned_end = 250 // 100 + 1
    beyond = [c for c in fake.pages() if c.index > planned_end]
    assert beyond and fake.max_in_flight(after=min(c.start for c in beyond)) == 1


async def test_orders_added_while_paging_are_read(router, client, vt):
    fake = FakeOctopia(vt, ids(300))
    added = [f"N{i:03d}" for i in range(150)]

    def grow(index: int) -> None:
        if index == 2 and added[0] not in fake.ids:
            fake.ids.extend(added)  # after the count was taken

    fake.on_page = grow
    fake.install(router)
    pages = await read_all(client, vt)
    got = flat(pages)
    assert got == ids(300) + added
    assert len(got) == len(set(got))


async def test_a_count_too_high_stops_at_the_first_short_page(router, client, vt):
    # orders left the result: the short page ends the query, the pages asked for
    # beyond it are dropped (their errors too) and nothing is left in flight
    fake = FakeOctopia(vt, ids(150), count=2_000, fail={i: [503] * 9 for i in range(3, 12)})
    fake.install(router)
    pages = await read_all(client, vt)
    assert flat(pages) == ids(150)
    assert [p.raw_count for p in pages] == [100, 50]
    assert all(c.end is not None for c in fake.calls)
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_a_count_that_fails_leaves_the_paging_sequential(router, client, vt):
    fake = FakeOctopia(vt, ids(420))
    fake.install(router)
    router.get(f"{ORDERS}/count").mock(return_value=httpx.Response(200, content=b'"many"'))
    assert flat(await read_all(client, vt)) == ids(420)
    assert fake.max_in_flight() == 1


async def test_the_same_page_twice_is_still_refused(router, client, vt):
    fake = FakeOctopia(vt, ids(100), count=5_000)
    fake.install(router)
    # a server that ignores pageIndex: every page is page 1
    router.get(ORDERS).mock(
        return_value=httpx.Response(200, json={"items": [order_doc(i) for i in ids(100)]})
    )
    with pytest.raises(BadResponse, match="same page"):
        await read_all(client, vt)
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_a_page_that_fails_raises_in_its_turn(router, client, vt):
    fake = FakeOctopia(vt, ids(1_000), fail={4: [503] * 9})
    fake.install(router)
    got: list[str] = []

    async def go() -> None:
        async with aclosing(client.order_pages(SELLER)) as pages:
            async for page in pages:
                got.extend(o.order_id for o in page.orders)

    with pytest.raises(Unavailable):
        await vt.run(go())
    assert got == ids(300)  # pages 1-3, then page 4's error; later pages never handed over
    assert asyncio.all_tasks() == {asyncio.current_task()}


# ---------------------------------------------------------------- 429


def _backoffs(fake: FakeOctopia) -> list[tuple[float, float]]:
    """(when a 429 came back, when its Retry-After ends)."""
    return [(c.end, c.end + 1.0) for c in fake.calls if c.status == 429 and c.end is not None]


async def test_a_429_during_prefetch_pauses_everything_then_pages_one_at_a_time(router, client, vt):
    fake = FakeOctopia(vt, ids(1_500), fail={4: [429]})
    fake.install(router)
    pages = await read_all(client, vt)
    assert flat(pages) == ids(1_500)
    [(hit, resume)] = _backoffs(fake)
    # nothing is sent while the Retry-After runs
    assert not [c for c in fake.calls if hit < c.start < resume]
    # after it: one page at a time for the rest of the query
    assert fake.max_in_flight(after=hit) == 1
    assert fake.page_indexes().count(4) == 2  # the 429 was retried once


async def test_429s_on_every_page_in_flight_do_not_come_back_as_a_burst(router, client, vt):
    fake = FakeOctopia(vt, ids(1_000), fail={i: [429] for i in range(3, 7)})
    fake.install(router)
    pages = await read_all(client, vt)
    assert flat(pages) == ids(1_000)
    hits = _backoffs(fake)
    assert len(hits) == 4  # pages 3-6 were all in flight when the server said stop
    first = min(h for h, _ in hits)
    end = max(r for _, r in hits)
    assert not [c for c in fake.calls if first < c.start < end]  # silence meanwhile
    assert fake.max_in_flight(after=first) == 1  # the retries went one by one
    assert sorted(set(fake.page_indexes())) == list(range(1, 12))


# ---------------------------------------------------------------- leaving early


async def test_leaving_early_cancels_the_requests_in_flight(router, client, vt, caplog):
    caplog.set_level(logging.WARNING, logger="asyncio")
    fake = FakeOctopia(vt, ids(1_000), hang={2, 3, 4, 5})
    fake.install(router)

    async def go() -> list[str]:
        async with aclosing(client.order_pages(SELLER)) as pages:
            async for page in pages:
                await asyncio.sleep(0)  # the pages ahead (and the count) are sent
                for _ in range(20):
                    await asyncio.sleep(0)
                return [o.order_id for o in page.orders]
        return []

    assert await vt.run(go()) == ids(100)
    in_flight = [c for c in fake.pages() if c.index > 1]
    assert in_flight and all(c.cancelled for c in in_flight)
    assert asyncio.all_tasks() == {asyncio.current_task()}
    gc.collect()
    await asyncio.sleep(0)
    assert not [r for r in caplog.records if "destroyed" in r.getMessage()]


async def test_an_error_in_the_reader_cancels_the_requests_in_flight(router, client, vt):
    fake = FakeOctopia(vt, ids(1_000), hang={3, 4, 5})
    fake.install(router)

    async def go() -> None:
        async with aclosing(client.order_pages(SELLER)) as pages:
            async for page in pages:
                if page.orders[0].order_id == "O00100":
                    for _ in range(20):
                        await asyncio.sleep(0)  # pages 3-6 are on the wire
                    raise RuntimeError("the store refused")

    with pytest.raises(RuntimeError, match="store refused"):
        await vt.run(go())
    ahead = [c for c in fake.pages() if c.index >= 3]
    assert sorted(c.index for c in ahead) == [3, 4, 5, 6]
    assert all(c.cancelled for c in ahead)
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_a_cancelled_reader_leaves_nothing_pending(router, client, vt):
    fake = FakeOctopia(vt, ids(1_000), hang={2, 3, 4, 5})
    fake.install(router)

    async def reader() -> None:
        async with aclosing(client.order_pages(SELLER)) as pages:
            async for _ in pages:
                pass

    async def go() -> None:
        task = asyncio.create_task(reader())
        for _ in range(30):
            await asyncio.sleep(0)
        await vt.sleep(1)  # page 1 arrives, pages 2-5 hang
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    await vt.run(go())
    assert all(c.cancelled for c in fake.pages() if c.index > 1)
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_iter_orders_left_early_closes_its_pages(router, client, vt):
    fake = FakeOctopia(vt, ids(1_000), hang={2, 3, 4, 5})
    fake.install(router)

    async def go() -> list[str]:
        out: list[str] = []
        async with aclosing(client.iter_orders(SELLER)) as orders:
            async for order in orders:
                out.append(order.order_id)
                if len(out) == 100:
                    for _ in range(20):
                        await asyncio.sleep(0)  # pages 2-5 are on the wire
                    break
        return out

    assert await vt.run(go()) == ids(100)
    assert all(c.cancelled for c in fake.pages() if c.index > 1)
    assert asyncio.all_tasks() == {asyncio.current_task()}
