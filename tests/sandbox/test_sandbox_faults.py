"""Fault injection and the sandbox-only helpers, over real HTTP."""

from __future__ import annotations

import time
from email.utils import format_datetime

import httpx
import orjson
import pytest
from sbhelpers import announce_payload, octopia, sendcloud

from cdtui.sandbox.server import SandboxServer


def _faults(server: SandboxServer, **changes) -> httpx.Response:
    return httpx.post(f"{server.url}/_sandbox/faults", json=changes)


def test_faults_are_set_and_read_over_http(sandbox: SandboxServer) -> None:
    resp = _faults(sandbox, octopia_5xx=0.25, retry_after=3, timeout_paths=["/announce"])
    assert resp.status_code == 200
    current = httpx.get(f"{sandbox.url}/_sandbox/faults").json()
    assert current["octopia_5xx"] == 0.25
    assert current["retry_after"] == 3
    assert current["slow_paths"] == ["/announce"]
    assert sandbox.world.faults.octopia_5xx == 0.25
    reset = _faults(sandbox, reset=True)
    assert reset.json()["octopia_5xx"] == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"octopia_5xx": 2},
        {"sendcloud_429": "often"},
        {"colour": "red"},
        {"slow_ms": -1},
        {"slow_paths": "x"},
    ],
)
def test_bad_fault_settings_are_refused_whole(sandbox: SandboxServer, changes) -> None:
    resp = _faults(sandbox, latency_ms=5, **changes)
    assert resp.status_code == 400
    assert resp.json()["error"]
    assert sandbox.world.faults.latency_ms == 0  # nothing applied


def test_octopia_5xx_is_a_problem_and_processes_nothing(sandbox: SandboxServer) -> None:
    order_id = sandbox.world.ready_order_ids()[0]
    with octopia(sandbox) as client:
        sandbox.world.faults.octopia_5xx = 1.0
        resp = client.post(
            f"/orders/{order_id}/shipments",
            json=[{"parcelNumber": "X", "carrierName": "UPS", "orderLineIds": ["1"]}],
        )
        sandbox.world.faults.octopia_5xx = 0.0
        ok = client.get(f"/orders/{order_id}")
    assert resp.status_code == 503
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert sandbox.world.shipment_posts == []
    assert ok.json()["status"] == "InPreparation"
    assert sandbox.world.stats["fault_5xx"] == 1


def test_injected_429_carries_retry_after_seconds_or_date(sandbox: SandboxServer) -> None:
    world = sandbox.world
    world.faults.update({"sendcloud_429": 1.0, "retry_after": 7})
    with sendcloud(sandbox) as client:
        seconds = client.get("/shipments")
        date = format_datetime(world.now(), usegmt=True)
        world.faults.retry_after = date
        dated = client.get("/shipments")
    assert seconds.status_code == 429
    assert seconds.headers["Retry-After"] == "7"
    assert dated.headers["Retry-After"] == date
    assert world.stats["429"] == 2
    assert world.stats["fault_429"] == 2


def test_fail_next_fails_exactly_that_many_calls(sandbox: SandboxServer) -> None:
    sandbox.world.faults.update({"fail_next": 2, "fail_api": "sendcloud", "fail_status": 502})
    with sendcloud(sandbox) as sc, octopia(sandbox) as oc:
        assert oc.get("/sellers").status_code == 200  # another API: untouched
        codes = [sc.get("/shipments").status_code for _ in range(3)]
    assert codes == [502, 502, 200]


def test_latency_applies_to_every_call(sandbox: SandboxServer) -> None:
    sandbox.world.faults.latency_ms = 150
    with octopia(sandbox) as client:
        start = time.perf_counter()
        client.get("/carriers")
        elapsed = time.perf_counter() - start
    assert elapsed >= 0.15


def test_slow_after_processing_makes_the_client_time_out_but_the_write_happened(
    sandbox: SandboxServer,
) -> None:
    """The case idempotency exists for: the label was bought, the answer never came."""
    sandbox.world.faults.update(
        {"slow_ms": 800, "slow_paths": ["/shipments/announce"], "slow_methods": ["POST"]}
    )
    payload = announce_payload(ref="cdtui-98979-SLOW")
    with sendcloud(sandbox, timeout=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.post("/shipments/announce", json=payload)
        assert len(sandbox.world.shipments) == 1
        quick = client.get("/shipments", params={"external_reference_id": "cdtui-98979-SLOW"})
    assert quick.status_code == 200  # GETs are not slowed by a POST-only fault
    sandbox.world.faults.slow_ms = 0
    with sendcloud(sandbox) as client:
        retry = client.post("/shipments/announce", json=payload)
    assert retry.status_code == 409
    assert retry.json()["data"]["id"] == next(iter(sandbox.world.shipments))


def test_slow_before_processing_writes_nothing_in_time(sandbox: SandboxServer) -> None:
    sandbox.world.faults.update({"slow_ms": 300, "slow_before": True})
    with sendcloud(sandbox, timeout=0.1) as client, pytest.raises(httpx.ReadTimeout):
        client.post("/shipments/announce", json=announce_payload())
    time.sleep(0.4)  # past the delay: the abandoned request was dropped, not processed
    assert sandbox.world.shipments == {}
    sandbox.world.faults.slow_ms = 0
    with sendcloud(sandbox) as client:
        assert client.post("/shipments/announce", json=announce_payload()).status_code == 201


def test_malformed_json_keeps_the_status(sandbox: SandboxServer) -> None:
    with octopia(sandbox) as client:
        sandbox.world.faults.malformed_json = 1.0
        resp = client.get("/orders")
    assert resp.status_code == 200
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(resp.content)


def test_probabilities_are_seeded(sandbox_factory) -> None:
    def pattern() -> list[int]:
        server = sandbox_factory(orders=5, seed=4)
        server.world.faults.octopia_5xx = 0.5
        with octopia(server) as client:
            return [client.get("/carriers").status_code for _ in range(12)]

    first, second = pattern(), pattern()
    assert first == second
    assert {200, 503} == set(first)


# ---------------------------------------------------------------- sandbox helpers


def test_add_orders_now_and_state(sandbox: SandboxServer) -> None:
    before = httpx.get(f"{sandbox.url}/_sandbox/state").json()
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    earliest = sandbox.world.now().strftime(stamp)
    resp = httpx.post(f"{sandbox.url}/_sandbox/orders", json={"count": 3})
    latest = sandbox.world.now().strftime(stamp)
    after = httpx.get(f"{sandbox.url}/_sandbox/state").json()
    ids = resp.json()["order_ids"]
    assert resp.status_code == 201 and len(ids) == 3
    seller = "98979"
    assert after["sellers"][seller]["orders"] == before["sellers"][seller]["orders"] + 3
    for order_id in ids:  # made now (the second may turn during the request)
        order = sandbox.world.order(order_id)
        assert order["status"] == "InPreparation"
        assert order["createdAt"] == order["updatedAt"]
        assert earliest <= order["createdAt"] <= latest
    bad = httpx.post(f"{sandbox.url}/_sandbox/orders", json={"count": 1, "status": "Lost"})
    assert bad.status_code == 400


def test_unknown_order_cancel_and_clock(sandbox: SandboxServer) -> None:
    missing = httpx.post(f"{sandbox.url}/_sandbox/orders/NOPE/cancel")
    assert missing.status_code == 404
    before = sandbox.world.now()
    clock = httpx.post(f"{sandbox.url}/_sandbox/clock", json={"advance": 3600})
    assert clock.status_code == 200
    assert (sandbox.world.now() - before).total_seconds() >= 3600


def test_new_orders_keep_arriving(sandbox_factory) -> None:
    server = sandbox_factory(orders=10, new_order_every=60)
    with octopia(server) as client:
        start = client.get("/orders/count").json()
        server.world.advance(185)
        later = client.get("/orders/count").json()
    assert later == start + 3


def test_unknown_paths_answer_in_each_apis_error_shape(sandbox: SandboxServer) -> None:
    octo = httpx.get(f"{sandbox.octopia_url}/nothing-here")
    sc = httpx.get(f"{sandbox.sendcloud_url}/nothing-here")
    assert octo.status_code == 404
    assert octo.json()["status"] == 404
    assert sc.status_code == 404
    assert sc.json()["errors"][0]["status"] == "404"
