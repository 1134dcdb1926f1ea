"""The label each real order needs, against the sandbox (which answers like the real APIs):
the demo seller's showcase holds one ready order of each kind."""

from __future__ import annotations

from decimal import Decimal

import pytest
from enginekit import Clock, read_file

from cdtui.engine import AddressOverride, Engine
from cdtui.errors import UsageError
from cdtui.orders.enums import PushStatus, State
from cdtui.sandbox import data
from cdtui.sandbox.records import ShipmentRec
from cdtui.sandbox.server import SandboxServer


def _shipment(sandbox: SandboxServer, order_id: str) -> ShipmentRec:
    ref = f"cdtui-{data.SELLER_ID}-{order_id}"
    [s] = [
        s
        for s in sandbox.world.shipments.values()
        if (s.external_reference_id or "").startswith(ref) and not s.failed
    ]
    return s


def _pushed_lines(sandbox: SandboxServer, order_id: str) -> list[list[str]]:
    return [
        parcel["orderLineIds"]
        for oid, body in sandbox.world.shipment_posts
        if oid == order_id
        for parcel in body
    ]


@pytest.fixture
async def shop(connected: Engine) -> Engine:
    await connected.sync()
    return connected


def _case(sandbox: SandboxServer, kind: str) -> str:
    return sandbox.world.showcase[kind]


async def test_a_plain_home_order_gets_the_cheapest_home_option(
    shop: Engine, sandbox: SandboxServer
) -> None:
    order_id = _case(sandbox, "home_thd")
    plan = await shop.label_plan(order_id)
    home = [v.option for v in plan.verdicts if not v.option.service_point]
    assert plan.verdicts and all(o.price is not None for o in home)  # quotes were asked for
    cheapest_home = min(home, key=lambda o: o.price or 0)
    cheapest_any = min((v.option for v in plan.verdicts), key=lambda o: o.price or 0)
    assert cheapest_any.service_point  # a relay option is cheaper: it must not be bought
    outcome = await shop.create_label(order_id)
    s = _shipment(sandbox, order_id)
    assert s.option.code == cheapest_home.code == outcome.shipping_option
    assert s.service_point is None and outcome.chosen_by == "cheapest"
    assert not s.option.code.startswith("chronopost")  # never express by accident
    assert sandbox.world.stats["label_downloads"] == 0  # the file came with the answer
    assert read_file(outcome.label_path).startswith(b"%PDF")


async def test_a_relay_order_ships_to_its_relay_point(shop: Engine, sandbox: SandboxServer) -> None:
    order_id = _case(sandbox, "relay")
    addr = shop.order(order_id).order.shipping_address
    assert addr is not None and addr.pickup_id
    plan = await shop.label_plan(order_id)
    assert plan.need.relay_id == addr.pickup_id
    assert plan.qualifying and all(
        o.service_point and o.carrier_code == "mondial_relay" for o in plan.qualifying
    )
    excluded = {v.option.code: v.excluded for v in plan.verdicts if v.excluded}
    assert any("goes to relay point" in (why or "") for why in excluded.values())
    outcome = await shop.create_label(order_id)
    s = _shipment(sandbox, order_id)
    assert s.service_point is not None
    assert s.service_point.carrier_service_point_id == addr.pickup_id
    assert s.option.code == outcome.shipping_option and s.option.carrier == "mondial_relay"
    rec = shop.order(order_id)
    assert rec.label and rec.label.relay_point_id == addr.pickup_id
    assert rec.state == State.TRACKING_SENT


async def test_a_relay_order_with_another_relay_network_refuses_mondial_relay(
    shop: Engine, sandbox: SandboxServer
) -> None:
    order_id = _case(sandbox, "relay")
    await shop.update_integration("1", relay_carrier="chronopost")
    plan = await shop.label_plan(order_id)
    assert all(o.carrier_code == "chronopost" for o in plan.qualifying)
    with pytest.raises(UsageError, match="does not run the relay network"):
        await shop.create_label(order_id, shipping_option="mondial_relay:point_relais")
    assert sandbox.world.stats["announce_requests"] == 0


async def test_signed_and_express_orders_get_their_service(
    shop: Engine, sandbox: SandboxServer
) -> None:
    signed = _case(sandbox, "home_shd")
    express = _case(sandbox, "home_ehd")
    await shop.create_label(signed)
    await shop.create_label(express)
    assert _shipment(sandbox, signed).option.signature
    assert _shipment(sandbox, express).option.delivery_deadline == "nextday"


async def test_a_shop_pickup_gets_no_label(shop: Engine, sandbox: SandboxServer) -> None:
    order_id = _case(sandbox, "shop_pickup")
    rec = shop.order(order_id)
    assert rec.state == State.NOT_SHIPPABLE
    assert rec.attention == "Collected at the seller's shop: no carrier label"
    with pytest.raises(UsageError, match="collected at the seller's shop"):
        await shop.create_label(order_id)
    outcomes = await shop.create_labels([order_id])
    assert not outcomes[0].ok
    assert sandbox.world.stats["announce_requests"] == 0


async def test_a_gb_order_needs_an_hs_code_then_ships_with_customs(
    shop: Engine, sandbox: SandboxServer
) -> None:
    order_id = _case(sandbox, "onbuy_gb")
    rec = shop.order(order_id)
    skus = [ln.sku for ln in rec.order.shippable_lines]
    with pytest.raises(UsageError, match=r"needs an HS code .* --sku-hs-code"):
        await shop.create_label(order_id)
    assert sandbox.world.stats["announce_requests"] == 0  # refused before buying
    assert shop.order(order_id).state == State.TO_SHIP
    await shop.update_integration(
        "1", sku_hs_codes={skus[0]: "8518.30"}, default_hs_code="392690", origin_country="CN"
    )
    outcome = await shop.create_label(order_id)
    s = _shipment(sandbox, order_id)
    assert s.customs_information is not None
    assert s.customs_information["invoice_number"] == rec.reference
    assert s.customs_information["export_reason"] == "commercial_goods"
    items = s.parcels[0].items
    assert items[0]["hs_code"] == "851830" and items[0]["origin_country"] == "CN"
    assert all(i["price"]["currency"] == "GBP" and i["weight"]["value"] for i in items)
    assert read_file(outcome.customs_path).startswith(b"%PDF")
    assert sandbox.world.stats["customs_downloads"] == 1
    assert shop.order(order_id).label.customs_path == outcome.customs_path  # type: ignore[union-attr]


async def test_european_street_forms_get_their_house_number(
    shop: Engine, sandbox: SandboxServer
) -> None:
    expected = {"es_floor": "12", "de_letter": "12a", "be_bus": "12", "nl_suffix": "12-A"}
    for kind, number in expected.items():
        order_id = _case(sandbox, kind)
        await shop.create_label(order_id, shipping_option="dpd:classic")
        assert _shipment(sandbox, order_id).to_address["house_number"] == number, kind


async def test_the_operator_corrects_an_address_for_one_label(
    shop: Engine, sandbox: SandboxServer
) -> None:
    order_id = _case(sandbox, "es_floor")
    before = shop.order(order_id).order
    fix = AddressOverride(house_number="14", address_line_2="3º izquierda")
    await shop.create_label(order_id, shipping_option="gls:business_parcel", address=fix)
    s = _shipment(sandbox, order_id)
    assert s.to_address["house_number"] == "14" and s.to_address["address_line_2"] == "3º izquierda"
    rec = shop.order(order_id)
    assert rec.label and rec.label.address_override == {
        "address_line_2": "3º izquierda",
        "house_number": "14",
    }
    # never sent to the marketplace: the order's own address is unchanged there
    assert sandbox.world.order(order_id)["lines"][0]["shippingAddress"]["addressLine1"] == (
        before.lines[0].shipping_address.address_line1  # type: ignore[union-attr]
    )


async def test_cancel_request_lines_only_when_the_operator_includes_them(
    shop: Engine, sandbox: SandboxServer
) -> None:
    by_customer = _case(sandbox, "cancel_request")
    by_seller = _case(sandbox, "cancel_request_seller")
    rec = shop.order(by_customer)
    asked = [ln.order_line_id for ln in rec.order.cancel_request_lines]
    assert asked and rec.attention and "Cancellation requested" in rec.attention
    # by default the line is left out of the parcel and of the push
    outcome = await shop.create_label(by_seller)
    assert outcome.tracking_sent
    [lines] = _pushed_lines(sandbox, by_seller)
    assert not set(lines) & {
        ln.order_line_id for ln in shop.order(by_seller).order.lines if ln.status == "CancelRequest"
    }
    # included on request (the customer asked): shipped with the others
    outcome = await shop.create_label(by_customer, include_cancel_requests=True)
    assert outcome.tracking_sent
    [lines] = _pushed_lines(sandbox, by_customer)
    assert set(asked) <= set(lines)
    assert shop.order(by_customer).label.included_cancel_requests == asked  # type: ignore[union-attr]


async def test_a_cancel_that_answers_409_already_cancelled_is_recorded(
    shop: Engine, sandbox: SandboxServer
) -> None:
    order_id = _case(sandbox, "home_thd")
    await shop.create_label(order_id)
    shipment_id = shop.order(order_id).label.shipment_id  # type: ignore[union-attr]
    # cancelled from the Sendcloud panel meanwhile: cdtui's own cancel then gets a 409
    await shop.sendcloud.cancel(shipment_id)  # type: ignore[arg-type]
    result = await shop.cancel_label(order_id)
    assert result.status in ("cancelled", "queued")
    rec = shop.order(order_id)
    assert rec.label and not rec.label.active
    assert rec.state == State.NOT_SHIPPABLE  # its tracking was sent: the attention says so


async def test_a_manual_sync_retries_pending_tracking_now(
    shop: Engine, sandbox: SandboxServer, clock: Clock
) -> None:
    order_id = _case(sandbox, "home_nthd")
    sandbox.world.faults.update({"fail_next": 100, "fail_status": 503, "fail_api": "octopia"})
    outcome = await shop.create_label(order_id)
    sandbox.world.faults.reset()
    assert not outcome.tracking_sent
    rec = shop.order(order_id)
    assert rec.push and rec.push.status == PushStatus.PENDING and rec.push.next_attempt_at
    assert rec.attention and rec.attention.startswith("Tracking not yet on the marketplace")
    await shop.sync()  # the timer keeps the backoff
    assert shop.order(order_id).push.status == PushStatus.PENDING  # type: ignore[union-attr]
    await shop.sync(manual=True)  # the operator asked: now
    rec = shop.order(order_id)
    assert rec.push and rec.push.status == PushStatus.SENT and rec.state == State.TRACKING_SENT
    assert rec.attention is None


async def test_delivered_never_hides_a_tracking_update_not_on_the_marketplace(
    shop: Engine, sandbox: SandboxServer, clock: Clock
) -> None:
    order_id = _case(sandbox, "home_thd")
    sandbox.world.faults.update({"fail_next": 100, "fail_status": 503, "fail_api": "octopia"})
    await shop.create_label(order_id)
    sandbox.world.advance(10 * sandbox.world.tracking_step_seconds)  # the carrier delivers
    clock.advance(hours=2)
    await shop.sync()
    rec = shop.order(order_id)
    assert rec.delivered and rec.state == State.DELIVERED
    assert rec.push and rec.push.status == PushStatus.PENDING
    assert rec.attention and rec.attention.startswith("Tracking not yet on the marketplace")
    sandbox.world.faults.reset()
    await shop.sync(manual=True)
    rec = shop.order(order_id)
    assert rec.push and rec.push.status == PushStatus.SENT and rec.attention is None


async def test_rules_choose_before_the_cheapest_and_say_so(
    shop: Engine, sandbox: SandboxServer
) -> None:
    await shop.update_integration(
        "1",
        rules=[
            "mode=THD,country=FR -> gone:option",
            "country=FR,weight=0-5 -> colissimo:home",
        ],
    )
    assert [r["option"] for r in shop.store.integration("1").shipping_rules] == [
        "gone:option",
        "colissimo:home",
    ]
    order_id = _case(sandbox, "home_thd")
    outcome = await shop.create_label(order_id, weight_kg=Decimal(1))
    assert _shipment(sandbox, order_id).option.code == "colissimo:home"
    assert outcome.chosen_by == "rule 2 (country=FR,weight=0-5 -> colissimo:home)"
    assert outcome.notes == [
        "rule 1 (country=FR,mode=THD -> gone:option) names gone:option, which Sendcloud "
        "does not offer for this parcel"
    ]
    assert shop.order(order_id).label.chosen_by == outcome.chosen_by  # type: ignore[union-attr]
    # a bad rule changes nothing
    with pytest.raises(UsageError):
        await shop.update_integration("1", rules=["mode=SHD colissimo:home"], clear_rules=True)
    assert len(shop.store.integration("1").shipping_rules) == 2


async def test_a_carrier_that_needs_a_tracking_url_never_gets_a_push_without_one(
    shop: Engine, sandbox: SandboxServer
) -> None:
    """Octopia lists ``additionalParametersRequired: ["trackingUrl"]`` for Mondial Relay:
    an update without a URL would be refused, so it waits with a clear reason."""
    order_id = _case(sandbox, "relay")
    sandbox.world.faults.update({"fail_next": 100, "fail_status": 503, "fail_api": "octopia"})
    await shop.create_label(order_id)
    sandbox.world.faults.reset()

    def drop_url(rec):  # type: ignore[no-untyped-def]
        assert rec.push is not None
        rec.push.tracking_url = None
        return rec

    shop.store.update_order(order_id, drop_url)
    await shop.sync(manual=True)
    rec = shop.order(order_id)
    assert rec.push and rec.push.status == PushStatus.PENDING
    assert "needs a tracking URL" in (rec.attention or "")
    assert _pushed_lines(sandbox, order_id) == []  # nothing posted


async def test_a_cancelled_label_never_comes_back_after_a_reconnect(
    shop: Engine, sandbox: SandboxServer, clock: Clock
) -> None:
    """Label → cancel → disconnect → connect again → label: the new purchase must not be
    handed the old cancelled shipment (Sendcloud's 409 on a reused reference)."""
    order_id = _case(sandbox, "home_thd")
    sandbox.world.faults.update({"fail_next": 100, "fail_status": 503, "fail_api": "octopia"})
    first = await shop.create_label(order_id)  # its tracking update is still waiting
    sandbox.world.faults.reset()
    assert (await shop.cancel_label(order_id)).status in ("cancelled", "queued")
    shop.disconnect("1", force=True)
    await shop.connect(name="Demo again", seller_id=data.SELLER_ID, login=data.SELLER_LOGIN)
    await shop.sync()
    second = await shop.create_label(order_id)
    assert second.tracking_number and second.tracking_number != first.tracking_number
    posted = [
        p["parcelNumber"]
        for oid, body in sandbox.world.shipment_posts
        if oid == order_id
        for p in body
    ]
    assert posted == [second.tracking_number]  # the cancelled parcel never reached Octopia
    rec = shop.order(order_id)
    assert rec.label and rec.label.tracking_number == second.tracking_number


async def test_a_reference_held_by_a_cancelled_shipment_is_never_adopted(
    shop: Engine, sandbox: SandboxServer
) -> None:
    """Whatever the reason a reference is already used by a cancelled shipment, that
    shipment is not this order's label: a new generation buys a new one."""
    order_id = _case(sandbox, "home_nthd")
    rec = shop.order(order_id)
    integ = shop.store.integration(rec.integration_id)
    taken = rec.external_reference_id(integ.created_at)
    plan = await shop.label_plan(order_id)
    assert plan.choice is not None and plan.address is not None
    from cdtui.orders.shipping import build_announce_payload

    stale = await shop.sendcloud.announce(
        build_announce_payload(
            rec,
            option_code=plan.choice.option.code,
            weight_kg=plan.weight,
            sender_address_id=data.SENDER_ADDRESS_ID,
            label_format="pdf",
            external_reference_id=taken,
        )
    )
    await shop.sendcloud.cancel(stale.shipment_id)
    outcome = await shop.create_label(order_id)
    assert outcome.tracking_sent and outcome.tracking_number != stale.tracking_number
    rec = shop.order(order_id)
    assert rec.label and rec.label.external_reference_id == f"{taken}-1"
    posted = [
        p["parcelNumber"]
        for oid, body in sandbox.world.shipment_posts
        if oid == order_id
        for p in body
    ]
    assert posted == [outcome.tracking_number]  # the cancelled parcel never reached Octopia


async def test_an_order_shipped_elsewhere_is_not_taken_for_our_tracking(
    shop: Engine, sandbox: SandboxServer
) -> None:
    """The marketplace shows the order shipped with another parcel (another tool, the
    seller's back office): that is not our update done — the operator is told."""
    order_id = _case(sandbox, "home_thd")
    sandbox.world.faults.update({"fail_next": 100, "fail_status": 503, "fail_api": "octopia"})
    outcome = await shop.create_label(order_id)
    sandbox.world.faults.reset()

    def shipped_elsewhere(doc):  # type: ignore[no-untyped-def]
        doc["status"] = "Shipped"
        for line in doc["lines"]:
            line["status"] = "Shipped"
            line["parcels"] = [{"parcelNumber": "OTHER123", "carrierName": "DHL"}]

    sandbox.world.update_order(order_id, shipped_elsewhere)
    await shop.sync(manual=True)
    rec = shop.order(order_id)
    assert rec.push and rec.push.status == PushStatus.FAILED
    assert rec.state != State.TRACKING_SENT
    assert "shows parcel OTHER123, not ours" in (rec.attention or "")
    assert outcome.tracking_number in (rec.attention or "")
    assert _pushed_lines(sandbox, order_id) == []
