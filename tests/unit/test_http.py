"""The shared retry policy, error mapping and write pacer (cdtui.http)."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import respx
from timefakes import Sleeps, VirtualTime, max_in_window

from cdtui.errors import (
    BadCredentials,
    BadResponse,
    Conflict,
    NotFound,
    RateLimited,
    Rejected,
    TimedOut,
    Unavailable,
)
from cdtui.http import (
    RetryPolicy,
    SlidingWindowLimiter,
    api_detail,
    json_of,
    parse_retry_after,
    raise_for_api,
    request,
)

URL = "https://api.example.test/v2/things"


@pytest.fixture
def router() -> respx.Router:
    return respx.Router(assert_all_called=False)


@pytest.fixture
async def client(router: respx.Router) -> httpx.AsyncClient:
    async with httpx.AsyncClient(transport=httpx.MockTransport(router.async_handler)) as c:
        yield c


POLICY = RetryPolicy(attempts=4, base_delay=0.5, max_delay=8.0, max_total=30.0)


# ---------------------------------------------------------------- Retry-After


NOW = datetime(2026, 11, 26, 10, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("1.5", 1.5),
        (" 7 ", 7.0),
        ("-3", 0.0),
        (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        (format_datetime(NOW - timedelta(seconds=30), usegmt=True), 0.0),
        ("Thu, 26 Nov 2026 10:01:00 GMT", 60.0),
        ("soon", None),
        ("nan", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_forms(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_backoff_grows_exponentially_within_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "uniform", lambda lo, hi: hi)
    policy = RetryPolicy(base_delay=0.5, max_delay=3.0)
    assert [policy.backoff(i) for i in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_backoff_jitter_stays_in_range() -> None:
    delays = [POLICY.backoff(2) for _ in range(200)]
    assert all(0 <= d <= 2.0 for d in delays)
    assert len({round(d, 3) for d in delays}) > 50  # jittered, not a constant


# ---------------------------------------------------------------- request: reads


async def test_read_5xx_is_retried_then_succeeds(router, client) -> None:
    route = router.get(URL).mock(
        side_effect=[httpx.Response(503), httpx.Response(502), httpx.Response(200, json=[1])]
    )
    sleeps = Sleeps()
    resp = await request(client, "GET", URL, api="Octopia", policy=POLICY, retry=True, sleep=sleeps)
    assert resp.json() == [1]
    assert route.call_count == 3
    assert len(sleeps.delays) == 2
    assert all(0 <= d <= 1.0 for d in sleeps.delays)


async def test_read_5xx_gives_up_after_the_attempts(router, client) -> None:
    route = router.get(URL).mock(
        return_value=httpx.Response(
            500, json={"title": "Internal", "detail": "database is down", "status": 500}
        )
    )
    with pytest.raises(Unavailable) as info:
        await request(client, "GET", URL, api="Octopia", policy=POLICY, retry=True, sleep=Sleeps())
    assert route.call_count == POLICY.attempts
    assert str(info.value) == "Octopia is unavailable (HTTP 500)"
    assert info.value.status == 500
    assert info.value.detail == "database is down"


async def test_read_retries_stop_at_the_time_budget(router, client, monkeypatch) -> None:
    monkeypatch.setattr(random, "uniform", lambda lo, hi: hi)
    route = router.get(URL).mock(return_value=httpx.Response(503))
    policy = RetryPolicy(attempts=10, base_delay=4.0, max_delay=8.0, max_total=13.0)
    sleeps = Sleeps()
    with pytest.raises(Unavailable):
        await request(client, "GET", URL, api="Sendcloud", policy=policy, retry=True, sleep=sleeps)
    # 4 + 8 = 12 s fits in 13 s; another 8 s does not
    assert sleeps.delays == [4.0, 8.0]
    assert route.call_count == 3


async def test_read_timeout_is_retried_then_reported(router, client) -> None:
    route = router.get(URL).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(TimedOut) as info:
        await request(client, "GET", URL, api="Octopia", policy=POLICY, retry=True, sleep=Sleeps())
    assert route.call_count == POLICY.attempts
    assert str(info.value) == "Octopia did not answer in time"


async def test_network_error_message_names_the_api_without_credentials(router, client) -> None:
    secret_url = "https://aggregator:s3cr3t-value@api.example.test/v2/things"
    router.get(URL).mock(side_effect=httpx.ConnectError(f"cannot connect to {secret_url}: refused"))
    with pytest.raises(Unavailable) as info:
        await request(client, "GET", URL, api="Octopia", policy=POLICY, retry=True, sleep=Sleeps())
    message = str(info.value)
    assert message.startswith("Octopia cannot be reached")
    assert "refused" in message
    assert "s3cr3t-value" not in message
    assert "s3cr3t-value" not in repr(info.value)


async def test_4xx_is_returned_for_the_caller_to_map(router, client) -> None:
    route = router.get(URL).mock(return_value=httpx.Response(404))
    resp = await request(
        client, "GET", URL, api="Octopia", policy=POLICY, retry=True, sleep=Sleeps()
    )
    assert resp.status_code == 404
    assert route.call_count == 1


# ---------------------------------------------------------------- request: writes


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        pytest.param({"return_value": httpx.Response(500)}, Unavailable, id="5xx"),
        pytest.param({"side_effect": httpx.ReadTimeout("slow")}, TimedOut, id="timeout"),
        pytest.param(
            {"side_effect": httpx.RemoteProtocolError("reset")}, Unavailable, id="broken-mid-way"
        ),
    ],
)
async def test_write_failure_is_raised_at_once(
    router, client, answer: dict[str, object], error: type[Exception]
) -> None:
    """A write that may have reached the server (5xx, timeout, broken mid-way) is not resent."""
    route = router.post(URL).mock(**answer)
    with pytest.raises(error):
        await request(
            client, "POST", URL, api="Octopia", policy=POLICY, retry=False, sleep=Sleeps()
        )
    assert route.call_count == 1


async def test_write_that_never_connected_is_retried(router, client) -> None:
    """A connection refused means nothing reached the server: safe to send again."""
    route = router.post(URL).mock(side_effect=[httpx.ConnectError("refused"), httpx.Response(201)])
    resp = await request(
        client, "POST", URL, api="Octopia", policy=POLICY, retry=False, sleep=Sleeps()
    )
    assert resp.status_code == 201
    assert route.call_count == 2


# ---------------------------------------------------------------- request: 429


async def test_429_waits_retry_after_seconds(router, client) -> None:
    route = router.post(URL).mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(201)]
    )
    sleeps = Sleeps()
    resp = await request(
        client, "POST", URL, api="Sendcloud", policy=POLICY, retry=False, sleep=sleeps
    )
    assert resp.status_code == 201
    assert sleeps.delays == [3.0]
    assert route.call_count == 2


async def test_429_waits_until_an_http_date(router, client) -> None:
    when = datetime.now(UTC) + timedelta(seconds=20)
    route = router.get(URL).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": format_datetime(when, usegmt=True)}),
            httpx.Response(200),
        ]
    )
    sleeps = Sleeps()
    await request(client, "GET", URL, api="Sendcloud", policy=POLICY, retry=True, sleep=sleeps)
    assert route.call_count == 2
    assert 17 <= sleeps.delays[0] <= 20


async def test_429_without_retry_after_backs_off(router, client) -> None:
    router.get(URL).mock(side_effect=[httpx.Response(429), httpx.Response(200)])
    sleeps = Sleeps()
    await request(client, "GET", URL, api="Octopia", policy=POLICY, retry=True, sleep=sleeps)
    assert len(sleeps.delays) == 1
    assert 0 <= sleeps.delays[0] <= POLICY.base_delay


async def test_429_longer_than_the_cap_is_raised(router, client) -> None:
    route = router.get(URL).mock(return_value=httpx.Response(429, headers={"Retry-After": "3600"}))
    sleeps = Sleeps()
    with pytest.raises(RateLimited) as info:
        await request(client, "GET", URL, api="Octopia", policy=POLICY, retry=True, sleep=sleeps)
    assert route.call_count == 1
    assert sleeps.delays == []
    assert info.value.retry_after == 3600
    assert "try again in 3600 s" in str(info.value)


async def test_429_forever_is_bounded(router, client) -> None:
    route = router.get(URL).mock(return_value=httpx.Response(429, headers={"Retry-After": "1"}))
    with pytest.raises(RateLimited):
        await request(client, "GET", URL, api="Octopia", policy=POLICY, retry=True, sleep=Sleeps())
    assert route.call_count == POLICY.attempts


# ---------------------------------------------------------------- logging


async def test_requests_are_logged_without_secrets(router, client, caplog) -> None:
    router.get(URL).mock(return_value=httpx.Response(200))
    caplog.set_level(logging.DEBUG, logger="cdtui")
    await request(
        client,
        "GET",
        URL,
        api="Octopia",
        policy=POLICY,
        retry=True,
        sleep=Sleeps(),
        headers={"Authorization": "Bearer tok-SECRET-123", "SellerId": "98979"},
        params={"pageIndex": "1"},
    )
    record = next(r for r in caplog.records if r.name == "cdtui.octopia")
    assert "GET /v2/things" in record.getMessage()
    assert "200" in record.getMessage()
    assert "tok-SECRET-123" not in caplog.text


# ---------------------------------------------------------------- mapping


def _resp(status: int, body: object = None, **kw) -> httpx.Response:
    if body is None:
        return httpx.Response(status, **kw)
    return httpx.Response(status, json=body, **kw)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, Rejected),
        (401, BadCredentials),
        (403, Rejected),
        (404, NotFound),
        (406, Rejected),
        (409, Conflict),
        (415, Rejected),
        (422, Rejected),
        (429, RateLimited),
        (500, Unavailable),
        (503, Unavailable),
    ],
)
def test_status_maps_to_an_error(status: int, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        raise_for_api(_resp(status), "Octopia")
    assert info.value.status == status
    assert str(info.value).startswith("Octopia")


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_success_is_not_an_error(status: int) -> None:
    raise_for_api(_resp(status), "Sendcloud")


def test_problem_json_detail_and_field_errors() -> None:
    body = {
        "type": "https://example/problem",
        "title": "Validation failed",
        "status": 400,
        "detail": "The order is not in InPreparation.",
        "errors": {"parcelNumber": ["is required"], "carrierName": ["unknown carrier"]},
    }
    with pytest.raises(Rejected) as info:
        raise_for_api(
            httpx.Response(400, json=body, headers={"content-type": "application/problem+json"}),
            "Octopia",
        )
    assert info.value.detail == (
        "The order is not in InPreparation.; parcelNumber: is required; "
        "carrierName: unknown carrier"
    )
    assert str(info.value) == f"Octopia rejected the request: {info.value.detail}"


def test_jsonapi_errors_with_pointers() -> None:
    body = {
        "errors": [
            {
                "status": "400",
                "code": "required",
                "detail": "This field is required.",
                "source": {"pointer": "/to_address/name"},
            },
            {"status": "400", "code": "invalid", "detail": "Bad postal code."},
        ]
    }
    assert api_detail(_resp(400, body)) == (
        "/to_address/name: This field is required.; Bad postal code."
    )


def test_plain_detail_and_html_bodies() -> None:
    assert api_detail(_resp(404, {"detail": "Parcel does not exist"})) == "Parcel does not exist"
    html = httpx.Response(502, text="<html><body>Bad gateway</body></html>")
    assert api_detail(html) is None
    assert api_detail(httpx.Response(400, text="x" * 1000)).endswith("…")


def test_json_of_rejects_malformed_json() -> None:
    with pytest.raises(BadResponse) as info:
        json_of(httpx.Response(200, text="{not json"), "Octopia")
    assert str(info.value) == "Octopia sent an answer that is not valid JSON (HTTP 200)"
    assert json_of(httpx.Response(200, json={"a": 1}), "Octopia") == {"a": 1}


# ---------------------------------------------------------------- pacing


async def _run_writes(
    vt: VirtualTime, n: int, workers: int, latency: float, rng: random.Random
) -> list[float]:
    """n paced writes by `workers` tasks; returns when the server saw each one."""
    limiter = SlidingWindowLimiter([(15, 1.0), (100, 60.0)], clock=vt.clock, sleep=vt.sleep)
    arrivals: list[float] = []
    queue = list(range(n))

    async def worker() -> None:
        while queue:
            queue.pop()
            async with limiter.slot():
                start = vt.now
                await vt.sleep(latency)
                # the server receives it somewhere during the round trip
                arrivals.append(start + rng.random() * (vt.now - start))

    await asyncio.gather(*(worker() for _ in range(workers)))
    return arrivals


@pytest.mark.parametrize(("workers", "latency"), [(1, 0.0), (1, 0.3), (20, 0.05), (50, 1.0)])
async def test_paced_writes_respect_both_sliding_windows(workers: int, latency: float) -> None:
    vt = VirtualTime()
    arrivals = await vt.run(_run_writes(vt, 350, workers, latency, random.Random(7)))
    assert len(arrivals) == 350
    assert max_in_window(arrivals, 60.0) <= 100
    assert max_in_window(arrivals, 1.0) <= 15
    # and still close to the limit: >= 90 writes in every full minute of the run
    full_minutes = int(max(arrivals) // 60)
    for minute in range(full_minutes):
        in_minute = [t for t in arrivals if minute * 60 <= t < (minute + 1) * 60]
        assert len(in_minute) >= 90, (minute, len(in_minute))


async def test_token_bucket_would_break_the_sliding_minute() -> None:
    """Why the limiter is not aiolimiter's bucket: the checker catches that pattern."""
    bucket_times = [i / 15 for i in range(100)] + [6.7 + 0.6 * i for i in range(60)]
    assert max_in_window(bucket_times, 60.0) > 100


async def test_a_burst_is_admitted_up_to_the_per_second_limit() -> None:
    vt = VirtualTime()
    limiter = SlidingWindowLimiter([(15, 1.0), (100, 60.0)], clock=vt.clock, sleep=vt.sleep)
    starts: list[float] = []

    async def burst() -> None:
        for _ in range(16):
            async with limiter.slot():
                starts.append(vt.now)

    await vt.run(burst())
    assert starts[:15] == [0.0] * 15
    assert starts[15] >= 1.0


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError):
        SlidingWindowLimiter([(0, 60.0)])
