"""cdtui.http.RateGate: the concurrent requests of one client wait out a 429 together,
then retry one at a time until a request sent after the 429 gets through."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx
from timefakes import VirtualTime

from cdtui.http import RateGate, RetryPolicy, request

URL = "https://api.example.test/v2/things"
POLICY = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.02, max_total=30.0)


class Server:
    """Answers on virtual time; ``script`` maps a request name to its answers."""

    def __init__(self, vt: VirtualTime, script: dict[str, list[tuple[float, int]]]) -> None:
        self.vt = vt
        self.script = script
        self.log: list[tuple[str, float, float, int]] = []  # (name, start, end, status)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        name = request.url.params["name"]
        start = self.vt.now
        took, status = self.script[name].pop(0)
        await self.vt.sleep(took)
        self.log.append((name, start, self.vt.now, status))
        headers = {"Retry-After": "1"} if status == 429 else {}
        return httpx.Response(status, headers=headers)

    def max_overlap(self, after: float) -> int:
        spans = [(s, e) for _, s, e, _ in self.log if s >= after]
        return max((sum(1 for s2, e2 in spans if s2 <= s < e2) for s, _ in spans), default=0)


@pytest.fixture
def vt() -> VirtualTime:
    return VirtualTime()


async def run(vt: VirtualTime, server: Server, plan: list[tuple[str, float]]) -> None:
    router = respx.Router()
    router.get(URL).mock(side_effect=server)
    gate = RateGate()
    async with httpx.AsyncClient(transport=httpx.MockTransport(router.async_handler)) as c:

        async def one(name: str, at: float) -> None:
            await vt.sleep(at)
            resp = await request(
                c,
                "GET",
                URL,
                api="Test",
                policy=POLICY,
                retry=True,
                sleep=vt.sleep,
                gate=gate,
                params={"name": name},
            )
            assert resp.status_code == 200

        async def all_of() -> None:
            await asyncio.gather(*(one(n, at) for n, at in plan))

        await vt.run(all_of())
    assert gate.hits == sum(1 for *_, st in server.log if st == 429)


async def test_nothing_is_sent_while_a_429_is_waited_out(vt):
    server = Server(vt, {"a": [(0.05, 429), (0.05, 200)], "b": [(0.05, 200)]})
    await run(vt, server, [("a", 0.0), ("b", 0.5)])  # b comes during a's Retry-After
    starts = {(name, status): start for name, start, _, status in server.log}
    assert starts[("b", 200)] >= 1.05  # held at the gate until a's wait was over
    assert server.max_overlap(after=1.0) == 1  # a's retry, then b


async def test_a_request_already_on_the_wire_does_not_reopen_the_flood(vt):
    # a gets a 429; b, sent before it, comes back fine a little later: that proves
    # nothing about the rate now, so after the wait a, c and d still go one by one
    server = Server(
        vt,
        {
            "a": [(0.05, 429), (0.05, 200)],
            "b": [(0.1, 200)],
            "c": [(0.05, 200)],
            "d": [(0.05, 200)],
        },
    )
    await run(vt, server, [("a", 0.0), ("b", 0.0), ("c", 0.5), ("d", 0.5)])
    assert server.max_overlap(after=1.0) == 1
    assert not [s for name, s, _, _ in server.log if 0.05 < s < 1.05]


async def test_after_a_request_sent_after_the_429_gets_through_requests_overlap_again(vt):
    server = Server(
        vt,
        {
            "a": [(0.05, 429), (0.05, 200)],
            "b": [(0.05, 200)],
            "c": [(0.05, 200)],
        },
    )
    await run(vt, server, [("a", 0.0), ("b", 2.0), ("c", 2.0)])
    assert server.max_overlap(after=2.0) == 2  # b and c side by side


async def test_429s_of_every_request_in_flight_are_retried_one_by_one(vt):
    names = "abcd"
    server = Server(vt, {n: [(0.05, 429), (0.05, 200)] for n in names})
    await run(vt, server, [(n, 0.0) for n in names])
    assert sum(1 for *_, st in server.log if st == 429) == 4
    assert server.max_overlap(after=0.06) == 1
    retries = sorted(s for _, s, _, st in server.log if st == 200)
    assert retries[0] >= 1.05 and len(retries) == 4
