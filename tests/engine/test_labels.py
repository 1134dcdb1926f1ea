"""Labels against the sandbox: choices, idempotency, crash recovery, tracking push."""

from __future__ import annotations

import os
import sys
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from enginekit import Clock, read_file

from cdtui.claims import HOST
from cdtui.engine import Engine
from cdtui.errors import AnnouncementFailed, CdtuiError, ConfigError, UsageError
from cdtui.models import Carrier, LabelClaim, OrderRecord
from cdtui.orders.enums import PushStatus, State
from cdtui.orders.shipping import build_announce_payload, order_need
from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer


def _posts(server: SandboxServer, order_id: str) -> list[object]:
    return [body for oid, body in server.world.shipment_posts if oid == order_id]


def _shipments(server: SandboxServer, order_id: str) -> list[object]:
    ref = f"cdtui-{data.SELLER_ID}-{order_id}"
    return [
        s
        for s in server.world.shipments.values()
        if s.external_reference_id and s.external_reference_id.startswith(ref)
    ]


def _fails(rec: OrderRecord) -> bool:
    addr = rec.order.shipping_address
    return addr is not None and data.ANNOUNCE_FAIL_MARK in (addr.address_line1 or "")


def _plain_home(rec: OrderRecord) -> bool:
    """A tracked home delivery in mainland France, with nothing special about it."""
    need = order_need(rec)
    addr = rec.order.shipping_address
    return (
        addr is not None
        and need.mode in ("THD", "NTHD")
        and not need.relay
        and not rec.order.cancel_request_lines
        and not (addr.postal_code or "").startswith(("97", "98", "20"))
        and addr.postal_code != data.ANNOUNCE_FAIL_POSTAL_CODE
    )


async def _to_ship(engine: Engine, country: str | None = "FR") -> list[OrderRecord]:
    """Orders to ship; with ``country``, plain home deliveries to that country."""
    await engine.sync()
    recs = engine.orders(state=State.TO_SHIP)
    if country:
        recs = [
            r
            for r in recs
            if (r.order.shipping_address or object()).country_code == country  # type: ignore[union-attr]
            and _plain_home(r)
        ]
    assert recs
    return recs


async def test_label_end_to_end_sends_tracking_once(
    connected: Engine, sandbox: SandboxServer
) -> None:
    rec = (await _to_ship(connected))[0]
    outcome = await connected.create_label(rec.order_id)
    assert outcome.ok and outcome.tracking_sent and outcome.error is None
    assert outcome.tracking_number and outcome.carrier
    assert read_file(outcome.label_path).startswith(b"%PDF")
    stored = connected.order(rec.order_id)
    assert stored.state == State.TRACKING_SENT and stored.claim is None
    # the marketplace's own copy is read back at once: shipped, with the parcel
    assert stored.marketplace_status == "Shipped"
    assert outcome.tracking_number in stored.order.parcel_numbers
    [post] = _posts(sandbox, rec.order_id)
    assert post[0]["parcelNumber"] == outcome.tracking_number  # type: ignore[index]
    octopia_labels = {c["label"] for c in data.CARRIERS}
    assert post[0]["carrierName"] in octopia_labels  # type: ignore[index]
    assert post[0]["orderLineIds"] == [ln.order_line_id for ln in rec.order.shippable_lines]  # type: ignore[index]
    # a second attempt is refused without buying anything
    with pytest.raises(UsageError, match="tracking sent"):
        await connected.create_label(rec.order_id)
    assert len(_shipments(sandbox, rec.order_id)) == 1
    assert len(_posts(sandbox, rec.order_id)) == 1


async def test_label_in_zpl_and_printed_without_a_shell(
    sandbox: SandboxServer, engine_factory, tmp_path: Path
) -> None:
    out = tmp_path / "printed.txt"
    script = tmp_path / "fake lp.py"
    script.write_text(f"import sys, pathlib\npathlib.Path({str(out)!r}).write_text(sys.argv[-1])\n")
    engine = engine_factory(
        sandbox, label_format="zpl", print_command=f"{sys.executable} '{script}' -d 'Zebra; rm -rf'"
    )
    await engine.connect(name="Demo", seller_id="98979", login="demo-shop")
    rec = (await _to_ship(engine))[0]
    outcome = await engine.create_label(rec.order_id)
    assert outcome.label_path and outcome.label_path.endswith(".zpl")
    assert b"^XA" in read_file(outcome.label_path)
    assert out.read_text() == outcome.label_path


async def test_weight_and_option_precedence(connected: Engine, sandbox: SandboxServer) -> None:
    recs = await _to_ship(connected)

    def shipment_of(rec: OrderRecord):  # type: ignore[no-untyped-def]
        [s] = _shipments(sandbox, rec.order_id)
        return s

    # installation default weight and the cheapest option that serves the order
    plan = await connected.label_plan(recs[0].order_id)
    assert plan.choice is not None and plan.choice.chosen_by == "cheapest"
    served = plan.qualifying
    assert plan.choice.option == min(served, key=lambda o: o.price or 0)
    outcome = await connected.create_label(recs[0].order_id)
    s = shipment_of(recs[0])
    assert s.parcels[0].weight == connected.settings.default_weight_kg
    assert s.option.code == plan.choice.option.code == outcome.shipping_option
    assert outcome.chosen_by == "cheapest"

    # per-SKU table beats the integration default, which beats the installation's
    sku = {ln.sku: Decimal("0.25") for ln in recs[1].order.shippable_lines}

    def with_weights(i):  # type: ignore[no-untyped-def]
        return i.model_copy(update={"sku_weights": sku, "default_weight_kg": Decimal("7")})

    connected.store.update_integration("1", with_weights)
    expected = sum(Decimal("0.25") * ln.quantity for ln in recs[1].order.shippable_lines)
    assert connected.label_weight(recs[1].order_id) == expected
    assert connected.label_weight(recs[2].order_id) in (Decimal(7), expected)

    # the integration's default option when it serves the destination
    await connected.update_integration("1", default_shipping_option="colissimo:home/signature")
    await connected.create_label(recs[1].order_id)
    s = shipment_of(recs[1])
    assert s.option.code == "colissimo:home/signature"
    assert s.parcels[0].weight == expected

    # ... but not when it cannot carry the parcel: the cheapest instead, and said so
    await connected.update_integration("1", default_shipping_option="postnord:mypack_home")
    plan = await connected.label_plan(recs[2].order_id)
    outcome = await connected.create_label(recs[2].order_id)
    assert plan.choice is not None
    assert shipment_of(recs[2]).option.code == plan.choice.option.code
    assert outcome.chosen_by == "cheapest"
    assert outcome.notes == ["default option postnord:mypack_home is not offered for this parcel"]

    # the command's choices win
    await connected.create_label(
        recs[3].order_id, shipping_option="chronopost:13/h", weight_kg=Decimal("3.2")
    )
    s = shipment_of(recs[3])
    assert s.option.code == "chronopost:13/h" and s.parcels[0].weight == Decimal("3.2")


async def test_labels_only_for_orders_to_ship(connected: Engine, sandbox: SandboxServer) -> None:
    await connected.sync()
    for state in (State.NOT_SHIPPABLE, State.CANCELLED, State.WAITING_ACCEPTANCE):
        rec = next(r for r in connected.orders(state=state) if not order_need(r).shop_pickup)
        with pytest.raises(UsageError, match="only for orders to ship"):
            await connected.create_label(rec.order_id)
    assert sandbox.world.shipments == {}


async def test_bad_label_input_changes_nothing(connected: Engine, sandbox: SandboxServer) -> None:
    rec = (await _to_ship(connected))[0]
    for kwargs in ({"weight_kg": Decimal(0)}, {"weight_kg": "abc"}, {"shipping_option": " "}):
        with pytest.raises(UsageError):
            await connected.create_label(rec.order_id, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="no order"):
        await connected.create_label("NOPE")
    assert connected.order(rec.order_id) == rec
    assert sandbox.world.shipments == {}


async def test_missing_sender_address_is_a_clear_config_error(
    sandbox: SandboxServer, engine_factory
) -> None:
    engine = engine_factory(sandbox)
    engine.settings.sender_address_id = None
    await engine.connect(name="Demo", seller_id="98979", login="demo-shop")
    rec = (await _to_ship(engine))[0]
    with pytest.raises(ConfigError, match="sender-address-id"):
        await engine.create_label(rec.order_id)
    assert engine.order(rec.order_id).state == State.TO_SHIP


async def test_announcement_failure_is_shown_and_a_new_label_can_follow(
    connected: Engine, sandbox: SandboxServer
) -> None:
    await connected.sync()
    failing = [r for r in connected.orders(state=State.TO_SHIP) if _fails(r)]
    assert failing
    rec = failing[0]
    with pytest.raises(AnnouncementFailed):
        await connected.create_label(rec.order_id)
    stored = connected.order(rec.order_id)
    assert stored.state == State.TO_SHIP and stored.error and stored.label_generation == 1
    # the operator fixes the address on the marketplace side; a new reference is used
    sandbox.world.update_order(
        rec.order_id,
        lambda d: [
            ln["shippingAddress"].update(addressLine1="12 rue de la Paix")
            for ln in d["lines"]
            if ln["shippingAddress"]
        ],
    )
    await connected.sync()
    outcome = await connected.create_label(rec.order_id)
    assert outcome.ok and outcome.tracking_sent


async def test_concurrent_attempts_on_one_order_buy_one_label(
    connected: Engine, sandbox: SandboxServer, engine_factory, tmp_path: Path
) -> None:
    rec = (await _to_ship(connected))[0]
    sandbox.world.faults.update({"latency_ms": 150})
    import asyncio

    results = await asyncio.gather(
        connected.create_label(rec.order_id),
        connected.create_label(rec.order_id),
        return_exceptions=True,
    )
    oks = [r for r in results if not isinstance(r, BaseException)]
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(oks) == 1 and len(errors) == 1
    assert "right now" in str(errors[0])
    assert len(_shipments(sandbox, rec.order_id)) == 1
    assert len(_posts(sandbox, rec.order_id)) == 1


# ---------------------------------------------------------------- crash recovery


def _dead_claim(rec: OrderRecord, clock: Clock) -> LabelClaim:
    return LabelClaim(
        owner=f"{HOST}:999999999:dead",
        at=clock(),
        external_reference_id=rec.external_reference_id(),
    )


@pytest.mark.parametrize("via_label", [False, True])
async def test_crash_after_purchase_is_adopted_not_bought_again(
    connected: Engine, sandbox: SandboxServer, clock: Clock, via_label: bool
) -> None:
    rec = (await _to_ship(connected))[0]
    claim = _dead_claim(rec, clock)
    connected.store.update_order(rec.order_id, lambda r: r.model_copy(update={"claim": claim}))
    # the dead process had bought the label: the purchase reached Sendcloud
    payload = build_announce_payload(
        rec,
        option_code="colissimo:home",
        weight_kg=Decimal(1),
        sender_address_id=data.SENDER_ADDRESS_ID,
        label_format="pdf",
        external_reference_id=claim.external_reference_id,
    )
    await connected.sendcloud.announce(payload)
    assert connected.order(rec.order_id).state == State.LABEL_PENDING

    if via_label:  # the operator tries again: the label bought before is the answer
        outcome = await connected.create_label(rec.order_id)
        assert outcome.ok and outcome.tracking_sent
    else:
        await connected.sync()
    stored = connected.order(rec.order_id)
    assert stored.state == State.TRACKING_SENT and stored.claim is None
    assert stored.label and read_file(stored.label.label_path)
    assert len(_shipments(sandbox, rec.order_id)) == 1
    assert len(_posts(sandbox, rec.order_id)) == 1


async def test_crash_before_purchase_releases_the_order(
    connected: Engine, sandbox: SandboxServer, clock: Clock
) -> None:
    rec = (await _to_ship(connected))[0]
    connected.store.update_order(
        rec.order_id, lambda r: r.model_copy(update={"claim": _dead_claim(rec, clock)})
    )
    # label_pending orders are reconciled first, even by `label` itself
    outcome = await connected.create_label(rec.order_id)
    assert outcome.ok and outcome.tracking_sent
    assert len(_shipments(sandbox, rec.order_id)) == 1


async def test_a_live_claim_of_another_process_is_respected(
    connected: Engine, sandbox: SandboxServer, clock: Clock
) -> None:
    rec = (await _to_ship(connected))[0]
    live = LabelClaim(owner=f"{HOST}:{os.getppid()}:other", at=clock(), external_reference_id="x")
    connected.store.update_order(rec.order_id, lambda r: r.model_copy(update={"claim": live}))
    with pytest.raises(Exception, match="Another cdtui is creating"):
        await connected.create_label(rec.order_id)
    await connected.sync()
    assert connected.order(rec.order_id).claim == live
    assert sandbox.world.shipments == {}
    # once old, the claim is stale and gets settled
    clock.advance(minutes=11)
    await connected.sync()
    assert connected.order(rec.order_id).state == State.TO_SHIP


async def test_a_label_another_process_is_finishing_is_not_reported_as_ours(
    connected: Engine, sandbox: SandboxServer, clock: Clock
) -> None:
    """Two operators: the second must not report the first one's label as its own."""
    rec = (await _to_ship(connected))[0]
    await connected.create_label(rec.order_id)
    label = connected.order(rec.order_id).label
    assert label is not None
    # the other process has saved its label and still holds the order (push in flight)
    live = LabelClaim(
        owner=f"{HOST}:{os.getppid()}:other",
        at=clock(),
        external_reference_id=label.external_reference_id,
    )
    connected.store.update_order(rec.order_id, lambda r: r.model_copy(update={"claim": live}))
    with pytest.raises(CdtuiError):
        await connected.create_label(rec.order_id)
    assert len(_shipments(sandbox, rec.order_id)) == 1


async def test_timeout_on_announce_does_not_buy_twice(
    connected: Engine, sandbox: SandboxServer
) -> None:
    rec = (await _to_ship(connected))[0]
    # Sendcloud processes the purchase, then answers too late for the client
    sandbox.world.faults.update({"slow_ms": 2500, "slow_paths": ["/shipments/announce"]})
    outcome = await connected.create_label(rec.order_id)
    sandbox.world.faults.reset()
    assert outcome.ok
    assert len(_shipments(sandbox, rec.order_id)) == 1
    assert len(_posts(sandbox, rec.order_id)) == 1


# ---------------------------------------------------------------- tracking push


async def test_push_failures_are_retried_with_backoff_until_sent(
    connected: Engine, sandbox: SandboxServer, clock: Clock
) -> None:
    rec = (await _to_ship(connected))[0]
    sandbox.world.faults.update({"fail_next": 200, "fail_status": 503, "fail_api": "octopia"})
    outcome = await connected.create_label(rec.order_id)
    assert outcome.ok and not outcome.tracking_sent and "will retry" in (outcome.error or "")
    stored = connected.order(rec.order_id)
    assert (
        stored.state == State.LABELLED and stored.push and stored.push.status == PushStatus.PENDING
    )
    first_due = stored.push.next_attempt_at
    assert first_due is not None
    sandbox.world.faults.reset()
    await connected.sync()  # not due yet
    assert connected.order(rec.order_id).push.status == PushStatus.PENDING  # type: ignore[union-attr]
    assert _posts(sandbox, rec.order_id) == []
    clock.advance(seconds=31)
    [report] = await connected.sync()
    assert report.tracking_sent == 1
    assert connected.order(rec.order_id).state == State.TRACKING_SENT
    assert len(_posts(sandbox, rec.order_id)) == 1


async def test_a_failed_read_after_the_push_leaves_it_sent(
    connected: Engine, sandbox: SandboxServer
) -> None:
    """The read-back after a push is a courtesy: if Octopia fails it, the update still
    counts as sent (once) and the order keeps the parcel it was given locally."""
    rec = (await _to_ship(connected))[0]
    real = connected.octopia.order
    calls = 0

    async def order_then_fail(seller_id: str, order_id: str):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls > 1:  # the read before the post works; the one after it fails
            raise CdtuiError("Octopia is unavailable")
        return await real(seller_id, order_id)

    connected.octopia.order = order_then_fail  # type: ignore[method-assign]
    outcome = await connected.create_label(rec.order_id)
    assert outcome.ok and outcome.tracking_sent and outcome.error is None
    stored = connected.order(rec.order_id)
    assert stored.state == State.TRACKING_SENT and stored.marketplace_status == "InPreparation"
    assert outcome.tracking_number in stored.order.parcel_numbers
    assert len(_posts(sandbox, rec.order_id)) == 1 and calls == 2


async def test_a_refused_push_asks_the_operator(
    connected: Engine, sandbox: SandboxServer, clock: Clock
) -> None:
    rec = (await _to_ship(connected))[0]
    sandbox.world.faults.update({"fail_next": 100, "fail_status": 503, "fail_api": "octopia"})
    await connected.create_label(rec.order_id)
    sandbox.world.faults.reset()
    # meanwhile a line is cancelled on the marketplace: Octopia refuses the update
    sandbox.world.update_order(rec.order_id, lambda d: d["lines"][0].update(status="Refused"))
    clock.advance(minutes=1)
    await connected.sync()
    stored = connected.order(rec.order_id)
    assert stored.push and stored.push.status == PushStatus.FAILED
    assert stored.attention and stored.attention.startswith(
        "Tracking not yet on the marketplace: refused by Octopia"
    )


async def test_unmapped_carrier_keeps_the_label_and_waits_for_a_mapping(
    connected: Engine, sandbox: SandboxServer, clock: Clock
) -> None:
    rec = (await _to_ship(connected))[0]
    nobody = [Carrier(code="x", label="Nobody")]
    connected.labels.pushes._carriers[data.SELLER_ID] = (clock(), nobody)
    outcome = await connected.create_label(rec.order_id)
    assert outcome.ok and outcome.label_path and not outcome.tracking_sent
    assert "--carrier-map" in (outcome.error or "")
    stored = connected.order(rec.order_id)
    assert stored.state == State.LABELLED and "--carrier-map" in (stored.error or "")
    assert _posts(sandbox, rec.order_id) == []
    assert stored.label and stored.label.carrier_code
    connected.settings.carrier_map = {stored.label.carrier_code: "Colissimo"}
    [report] = await connected.sync()
    assert report.tracking_sent == 1
    [post] = _posts(sandbox, rec.order_id)
    assert post[0]["carrierName"] == "Colissimo"  # type: ignore[index]


async def test_tracking_refresh_follows_the_parcel(
    connected: Engine, sandbox: SandboxServer, clock: Clock
) -> None:
    rec = (await _to_ship(connected))[0]
    await connected.create_label(rec.order_id)
    sandbox.world.advance(3 * 86400)
    clock.advance(minutes=6)
    [report] = await connected.sync()
    assert report.tracking_refreshed >= 1
    stored = connected.order(rec.order_id)
    assert stored.tracking_events
    assert stored.state == State.DELIVERED
    clock.advance(minutes=6)
    [report] = await connected.sync()
    assert report.tracking_refreshed == 0  # delivered parcels are left alone


async def test_cancelled_order_after_label_asks_to_cancel_it(
    connected: Engine, sandbox: SandboxServer
) -> None:
    rec = (await _to_ship(connected))[0]
    sandbox.world.faults.update({"fail_next": 100, "fail_status": 503, "fail_api": "octopia"})
    await connected.create_label(rec.order_id)
    sandbox.world.faults.reset()
    sandbox.world.cancel_order(rec.order_id)
    await connected.sync()
    stored = connected.order(rec.order_id)
    assert stored.state == State.CANCELLED
    assert stored.attention and "cancel the label" in stored.attention
    result = await connected.cancel_label(rec.order_id)
    assert result.status in ("cancelled", "queued")
    stored = connected.order(rec.order_id)
    assert stored.attention is None and stored.label and stored.label.cancel_status == result.status
    assert stored.push and stored.push.status == PushStatus.DROPPED


async def test_cancel_label_returns_the_order_to_ship_only_without_tracking(
    connected: Engine, sandbox: SandboxServer
) -> None:
    recs = await _to_ship(connected)
    sent, unsent = recs[0], recs[1]
    await connected.create_label(sent.order_id)
    sandbox.world.faults.update({"fail_next": 100, "fail_status": 503, "fail_api": "octopia"})
    await connected.create_label(unsent.order_id)
    sandbox.world.faults.reset()
    result = await connected.cancel_label(unsent.order_id)
    assert result.status in ("cancelled", "queued")
    assert connected.order(unsent.order_id).state == State.TO_SHIP
    result = await connected.cancel_label(sent.order_id)
    stored = connected.order(sent.order_id)
    assert stored.state != State.TO_SHIP  # the marketplace already has the parcel
    assert stored.attention and "still shows parcel" in stored.attention
    await connected.sync()
    assert connected.order(sent.order_id).state != State.TO_SHIP
    # a new label for the released order gets a new reference: exactly two shipments
    outcome = await connected.create_label(unsent.order_id)
    assert outcome.ok
    assert len(_shipments(sandbox, unsent.order_id)) == 2
    assert (
        Counter(s.external_reference_id for s in _shipments(sandbox, unsent.order_id)).most_common(
            1
        )[0][1]
        == 1
    )
    with pytest.raises(UsageError, match="no label"):
        await connected.cancel_label(recs[2].order_id)


async def test_bulk_labels_with_faults_and_429s_lose_nothing(
    connected: Engine, sandbox: SandboxServer, clock: Clock
) -> None:
    recs = await _to_ship(connected, country=None)
    ids = [r.order_id for r in recs[:12]]
    sandbox.world.faults.update(
        {"sendcloud_5xx": 0.15, "octopia_5xx": 0.15, "sendcloud_429": 0.1, "retry_after": 0}
    )
    progress: list[tuple[int, int]] = []
    outcomes = await connected.create_labels(ids, progress=lambda d, t: progress.append((d, t)))
    assert [o.order_id for o in outcomes] == ids and progress[-1] == (len(ids), len(ids))
    sandbox.world.faults.reset()
    for _ in range(4):  # later syncs settle whatever the faults left pending
        clock.advance(minutes=15)
        await connected.sync()
    for oid in ids:
        rec = connected.order(oid)
        bought = _shipments(sandbox, oid)
        assert len([s for s in bought if not s.failed]) <= 1
        if rec.label is not None:
            assert rec.state in (State.TRACKING_SENT, State.DELIVERED), rec
            assert len(_posts(sandbox, oid)) == 1
        else:
            assert rec.state == State.TO_SHIP and not [s for s in bought if not s.failed]
    assert any(connected.order(i).label for i in ids)
    assert timedelta(0) <= clock.offset


async def test_cancel_waits_while_another_process_works_on_the_order(
    connected: Engine, sandbox: SandboxServer, clock: Clock
) -> None:
    rec = (await _to_ship(connected))[0]
    await connected.create_label(rec.order_id)
    live = LabelClaim(owner=f"{HOST}:{os.getppid()}:other", at=clock(), external_reference_id="x")
    connected.store.update_order(rec.order_id, lambda r: r.model_copy(update={"claim": live}))
    with pytest.raises(Exception, match="being worked on"):
        await connected.cancel_label(rec.order_id)
    [shipment] = _shipments(sandbox, rec.order_id)
    assert shipment.cancel_requested_at is None  # type: ignore[attr-defined]
    connected.store.update_order(rec.order_id, lambda r: r.model_copy(update={"claim": None}))
    result = await connected.cancel_label(rec.order_id)
    assert result.status in ("cancelled", "queued")
    assert connected.order(rec.order_id).claim is None
    with pytest.raises(UsageError, match="already"):
        await connected.cancel_label(rec.order_id)
