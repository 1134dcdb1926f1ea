"""Both clients against the sandbox over real HTTP on loopback.

``sandbox`` (tests/conftest.py) serves a fresh seeded world to every test;
``sandbox_factory`` starts one with other options (order counts for paging edges).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from cdtui.errors import (
    AnnouncementFailed,
    BadCredentials,
    BadResponse,
    DelegationMissing,
    NotFound,
)
from cdtui.http import RetryPolicy
from cdtui.octopia import OctopiaClient, ShippedElsewhere
from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer
from cdtui.sendcloud import SendcloudClient

FAST = RetryPolicy(attempts=6, base_delay=0.01, max_delay=0.05, max_total=5.0)
SELLER = data.SELLER_ID


def octopia_for(
    srv: SandboxServer, *, secret: str = data.AGGREGATOR_CLIENT_SECRET, timeout: float = 10.0
) -> OctopiaClient:
    return OctopiaClient(
        auth_url=srv.auth_url,
        api_url=srv.octopia_url,
        client_id=data.AGGREGATOR_CLIENT_ID,
        client_secret=secret,
        timeout=timeout,
        policy=FAST,
    )


def sendcloud_for(
    srv: SandboxServer, *, secret: str = data.SENDCLOUD_SECRET_KEY, timeout: float = 10.0
) -> SendcloudClient:
    return SendcloudClient(
        api_url=srv.sendcloud_url,
        public_key=data.SENDCLOUD_PUBLIC_KEY,
        secret_key=secret,
        timeout=timeout,
        policy=FAST,
    )


@pytest.fixture
async def octopia(sandbox: SandboxServer) -> AsyncIterator[OctopiaClient]:
    async with octopia_for(sandbox) as client:
        yield client


@pytest.fixture
async def sendcloud(sandbox: SandboxServer) -> AsyncIterator[SendcloudClient]:
    async with sendcloud_for(sandbox) as client:
        yield client


def ready_order(srv: SandboxServer, status: str = "InPreparation") -> str:
    """A Cdiscount order of the delegated seller in ``status`` that carriers accept."""
    world = srv.world
    ids = (
        world.ready_order_ids(SELLER)
        if status == "InPreparation"
        else world.order_ids(SELLER, status=status)
    )
    for order_id in ids:
        doc = world.order(order_id)
        address = doc["lines"][0].get("shippingAddress") or {}
        refused = data.ANNOUNCE_FAIL_MARK in str(address.get("addressLine1", "")).upper()
        if doc["salesChannel"]["id"] == data.CDISCOUNT and not refused:
            return order_id
    raise LookupError(f"the sandbox has no {status} Cdiscount order")


def announce_payload(
    ref: str, *, postal_code: str = "75002", option: str = "colissimo:home"
) -> dict[str, Any]:
    return {
        "to_address": {
            "name": "Camille Durand",
            "address_line_1": "12 rue de la Paix",
            "house_number": "12",
            "postal_code": postal_code,
            "city": "Paris",
            "country_code": "FR",
        },
        "from_address": {"sender_address_id": data.SENDER_ADDRESS_ID},
        "ship_with": {
            "type": "shipping_option_code",
            "properties": {"shipping_option_code": option},
        },
        "order_number": f"ORD-{ref}",
        "external_reference_id": ref,
        "parcels": [{"weight": {"value": "1.250", "unit": "kg"}}],
        "label_details": {"mime_type": "application/pdf", "dpi": 72},
    }


# ---------------------------------------------------------------- Octopia


async def test_credentials_good_and_bad(sandbox, octopia):
    await octopia.check_credentials()
    async with octopia_for(sandbox, secret="wrong") as bad:
        with pytest.raises(BadCredentials):
            await bad.check_credentials()


async def test_seller_and_delegation(octopia):
    profile = await octopia.seller(SELLER)
    assert (profile.seller_id, profile.login) == (SELLER, data.SELLER_LOGIN)
    with pytest.raises(DelegationMissing) as info:
        await octopia.seller(data.OTHER_SELLER_ID)
    assert data.OTHER_SELLER_ID in str(info.value)


async def test_subscriptions_and_carriers(octopia):
    subs = {s.sales_channel_id: s.active for s in await octopia.subscriptions(SELLER)}
    assert subs["CDISFR"] is True
    assert subs["DARTFR"] is False
    carriers = await octopia.carriers(SELLER)
    assert len(carriers) == len(data.CARRIERS)
    assert "colissimo" in {c.key for c in carriers}


async def test_iter_orders_returns_every_order_once(sandbox_factory):
    srv = sandbox_factory(orders=250)
    async with octopia_for(srv) as client:
        ids = [o.order_id async for o in client.iter_orders(SELLER)]
        assert await client.count_orders(SELLER) == len(ids)
    assert len(ids) == len(set(ids)) == 250
    assert set(ids) == set(srv.world.order_ids(SELLER))


async def test_status_filter(sandbox, octopia):
    got = {o.order_id async for o in octopia.iter_orders(SELLER, status="InPreparation")}
    assert got == set(sandbox.world.order_ids(SELLER, status="InPreparation"))
    assert await octopia.count_orders(SELLER, status="InPreparation") == len(got)


@pytest.mark.parametrize("total", [0, 200])
async def test_paging_on_exact_multiples(sandbox_factory, total):
    srv = sandbox_factory(orders=total)
    async with octopia_for(srv) as client:
        pages = [p async for p in client.order_pages(SELLER)]
    assert sum(len(p.orders) for p in pages) == total
    assert [p.raw_count for p in pages] == [100] * (total // 100) + [0]


async def test_expired_token_is_renewed_transparently(sandbox, octopia):
    await octopia.carriers(SELLER)
    issued = sandbox.world.stats["tokens"]
    sandbox.world.advance(7300)  # the sandbox's token expires; the client does not know
    assert await octopia.carriers(SELLER)
    assert sandbox.world.stats["tokens"] == issued + 1


async def test_push_shipment_exactly_once(sandbox, octopia):
    order_id = ready_order(sandbox)
    kwargs = {
        "parcel_number": "6A99900000001",
        "carrier_name": "Colissimo",
        "tracking_url": "https://tracking.example/6A99900000001",
        "line_ids": [ln["orderLineId"] for ln in sandbox.world.order(order_id)["lines"]],
    }
    assert await octopia.push_shipment(SELLER, order_id, **kwargs) == "sent"
    assert await octopia.push_shipment(SELLER, order_id, **kwargs) == "already_done"
    posts = [p for p in sandbox.world.shipment_posts if p[0] == order_id]
    assert len(posts) == 1
    order = await octopia.order(SELLER, order_id)
    assert "6A99900000001" in order.parcel_numbers


async def test_push_of_another_parcel_to_a_shipped_order_is_refused(sandbox, octopia):
    order_id = ready_order(sandbox)
    lines = [ln["orderLineId"] for ln in sandbox.world.order(order_id)["lines"]]
    kwargs = {"carrier_name": "Colissimo", "tracking_url": None, "line_ids": lines}
    await octopia.push_shipment(SELLER, order_id, parcel_number="6A99900000003", **kwargs)
    assert (await octopia.order(SELLER, order_id)).status == "Shipped"
    with pytest.raises(ShippedElsewhere) as info:
        await octopia.push_shipment(SELLER, order_id, parcel_number="6A99900000004", **kwargs)
    assert str(info.value) == (
        "The marketplace shows parcel 6A99900000003, not ours (6A99900000004)"
    )
    assert len([p for p in sandbox.world.shipment_posts if p[0] == order_id]) == 1


async def test_push_shipment_after_a_timeout_is_not_repeated(sandbox):
    """The sandbox applies the push, then answers too late: the client re-reads."""
    order_id = ready_order(sandbox)
    sandbox.world.faults.update(
        {"slow_ms": 1500, "slow_paths": ["/shipments"], "slow_methods": ["POST"]}
    )
    lines = [ln["orderLineId"] for ln in sandbox.world.order(order_id)["lines"]]
    async with octopia_for(sandbox, timeout=0.4) as client:
        result = await client.push_shipment(
            SELLER,
            order_id,
            parcel_number="6A99900000002",
            carrier_name="Colissimo",
            tracking_url=None,
            line_ids=lines,
        )
    assert result == "already_done"
    assert len([p for p in sandbox.world.shipment_posts if p[0] == order_id]) == 1


async def test_approval(sandbox, octopia):
    order_id = ready_order(sandbox, "WaitingAcceptance")
    await octopia.set_approval(SELLER, order_id, True)
    assert sandbox.world.order(order_id)["status"] == "InPreparation"


@pytest.mark.parametrize("status", [503, 429])
async def test_reads_ride_out_5xx_and_429(sandbox, octopia, status):
    await octopia.check_credentials()
    sandbox.world.faults.update(
        {"fail_next": 2, "fail_status": status, "fail_api": "octopia", "retry_after": 0}
    )
    ids = [o.order_id async for o in octopia.iter_orders(SELLER)]
    assert len(ids) == len(sandbox.world.order_ids(SELLER))
    assert sandbox.world.faults.fail_next == 0  # both failures were served


async def test_random_faults_do_not_lose_orders(sandbox_factory):
    srv = sandbox_factory(orders=400)
    srv.world.faults.update({"octopia_5xx": 0.3, "octopia_429": 0.1, "retry_after": 0})
    async with octopia_for(srv) as client:
        ids = [o.order_id async for o in client.iter_orders(SELLER)]
    assert sorted(ids) == sorted(srv.world.order_ids(SELLER))
    assert srv.world.stats["fault_5xx"] + srv.world.stats["fault_429"] > 0


async def test_malformed_json_is_a_clear_error(sandbox, octopia):
    await octopia.carriers(SELLER)  # token first
    sandbox.world.faults.update({"malformed_json": 1.0})
    with pytest.raises(BadResponse) as info:
        await octopia.carriers(SELLER)
    assert str(info.value) == "Octopia sent an answer that is not valid JSON (HTTP 200)"


async def test_unknown_order(octopia):
    with pytest.raises(NotFound):
        await octopia.order(SELLER, "NO-SUCH-ORDER")


# ---------------------------------------------------------------- Sendcloud


async def test_sendcloud_keys_good_and_bad(sandbox, sendcloud):
    await sendcloud.check_credentials()
    async with sendcloud_for(sandbox, secret="nope") as bad:
        with pytest.raises(BadCredentials):
            await bad.check_credentials()


async def test_shipping_options_cheapest_first(sendcloud):
    options = await sendcloud.shipping_options(
        from_country="FR",
        from_postal_code="69001",
        to_country="FR",
        to_postal_code="75002",
        weight_kg=Decimal("1.25"),
    )
    assert options
    prices = [o.price for o in options]
    assert None not in prices
    assert prices == sorted(prices)
    assert "colissimo:home" in {o.code for o in options}


async def test_announce_label_and_idempotent_repeat(sandbox, sendcloud):
    first = await sendcloud.announce(announce_payload("live-idem-1"))
    assert first.tracking_number and first.parcel_id and first.carrier_name == "Colissimo"
    assert first.label_file is not None and first.label_file.startswith(b"%PDF")
    again = await sendcloud.announce(announce_payload("live-idem-1"))
    assert again.shipment_id == first.shipment_id
    assert again.tracking_number == first.tracking_number
    found = await sendcloud.find_shipments(external_reference_id="live-idem-1")
    assert [s.shipment_id for s in found] == [first.shipment_id]
    assert (await sendcloud.get_shipment(first.shipment_id)).parcel_id == first.parcel_id


async def test_announcement_failure_carries_the_carrier_message(sendcloud):
    payload = announce_payload("live-fail-1", postal_code=data.ANNOUNCE_FAIL_POSTAL_CODE)
    with pytest.raises(AnnouncementFailed) as info:
        await sendcloud.announce(payload)
    assert "00000" in info.value.detail
    assert info.value.shipment_id is not None


async def test_announce_after_a_timeout_finds_the_label(sandbox):
    sandbox.world.faults.update(
        {"slow_ms": 1500, "slow_paths": ["/shipments/announce"], "slow_methods": ["POST"]}
    )
    before = sandbox.world.stats["announced"]
    async with sendcloud_for(sandbox, timeout=0.4) as client:
        shipment = await client.announce(announce_payload("live-timeout-1"))
    assert shipment.external_reference_id == "live-timeout-1"
    assert shipment.tracking_number
    assert sandbox.world.stats["announced"] == before + 1


async def test_label_documents(sendcloud):
    shipment = await sendcloud.announce(announce_payload("live-doc-1"))
    assert shipment.parcel_id
    pdf = await sendcloud.label_document(shipment.parcel_id, paper_size="A4")
    zpl = await sendcloud.label_document(shipment.parcel_id, fmt="zpl")
    assert pdf.startswith(b"%PDF")
    assert b"^XA" in zpl
    with pytest.raises(NotFound):
        await sendcloud.label_document("999")


async def test_tracking_moves_on(sandbox, sendcloud):
    shipment = await sendcloud.announce(announce_payload("live-track-1"))
    assert shipment.tracking_number
    first = await sendcloud.tracking(shipment.tracking_number)
    sandbox.world.advance(sandbox.world.tracking_step_seconds * 3)
    later = await sendcloud.tracking(shipment.tracking_number)
    assert len(later) > len(first) >= 1
    assert [e.event_at for e in later] == sorted(e.event_at for e in later)
    with pytest.raises(NotFound):
        await sendcloud.tracking("NOPE123")


async def test_cancel_then_cancel_again(sendcloud):
    shipment = await sendcloud.announce(announce_payload("live-cancel-1"))
    first = await sendcloud.cancel(shipment.shipment_id)
    assert first.status == "cancelled"
    # Sendcloud answers 409 again; the client reads the shipment back: already cancelled
    second = await sendcloud.cancel(shipment.shipment_id)
    assert second.status == "cancelled"
    assert "already" in second.message


async def test_cancel_queued_then_cancel_again_is_still_queued(sendcloud):
    shipment = await sendcloud.announce(announce_payload("live-cancel-2", option="ups:standard"))
    first = await sendcloud.cancel(shipment.shipment_id)
    assert first.status == "queued"
    second = await sendcloud.cancel(shipment.shipment_id)  # 409, read back: requested
    assert second.status == "queued"


async def test_burst_of_writes_is_paced_under_the_limit(sandbox):
    """20 writes at once: the 16th waits for the next second; the sandbox sees no 429."""

    async def options(client: SendcloudClient) -> None:
        await client.shipping_options(
            from_country="FR",
            from_postal_code=None,
            to_country="FR",
            to_postal_code=None,
            weight_kg=Decimal("1"),
        )

    async with sendcloud_for(sandbox) as client:
        start = time.monotonic()
        await asyncio.gather(*(options(client) for _ in range(20)))
        elapsed = time.monotonic() - start
    assert sandbox.world.stats["429"] == 0
    assert sandbox.world.stats["sendcloud_requests"] == 20
    assert elapsed >= 1.0
