"""The state an operator sees for each kind of order (``derive_state``), branch by branch."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cdtui.models import LabelClaim, LabelInfo, Order, OrderRecord, TrackingEvent, TrackingPush
from cdtui.orders.enums import PushStatus, State
from cdtui.orders.states import (
    CANCELLED_LABEL_ATTENTION,
    NotShippable,
    derive_state,
    not_shippable_reason,
    not_shippable_why,
    order_state,
)
from cdtui.sandbox.world import World

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def line(
    status: str | None = "InPreparation",
    *,
    supply: str | None = "Seller",
    parcel: str | None = None,
    n: int = 1,
    mode: str = "THD",
) -> dict[str, Any]:
    return {
        "orderLineId": str(n),
        "status": status,
        "delivery": {"mode": mode},
        "offer": {"sellerProductId": f"SKU-{n}", "supplyMode": supply},
        "parcels": [{"parcelNumber": parcel, "carrierName": "Colissimo"}] if parcel else [],
    }


def record(
    status: str = "InPreparation",
    lines: list[dict[str, Any]] | None = None,
    *,
    label: str | None = None,
    claim: bool = False,
    push: PushStatus | None = None,
    delivered_event: bool = False,
    push_error: str | None = None,
) -> OrderRecord:
    """An order record; ``label`` is None, "active", "cancelled", "queued" or "refused"."""
    order = Order.model_validate(
        {"orderId": "A1", "status": status, "lines": [line()] if lines is None else lines}
    )
    rec = OrderRecord(order_id="A1", integration_id="1", seller_id="98979", order=order)
    if label is not None:
        rec.label = LabelInfo(
            external_reference_id="cdtui-98979-A1",
            shipment_id="shp-1",
            tracking_number="6A123",
            cancel_status=None if label == "active" else label,
        )
    if claim:
        rec.claim = LabelClaim(owner="h:1:u", at=NOW, external_reference_id="cdtui-98979-A1")
    if push is not None:
        rec.push = TrackingPush(
            status=push,
            carrier_name="Colissimo",
            parcel_number="6A123",
            last_error=push_error or ("Unknown carrier" if push == PushStatus.FAILED else None),
        )
    if delivered_event:
        rec.tracking_events = [TrackingEvent(status_code="delivered", event_at=NOW)]
    return rec


CASES = [
    # the marketplace's side alone
    ("ready, shipped by the merchant", record(), State.TO_SHIP, None),
    ("supply mode missing: the merchant's", record(lines=[line(supply=None)]), State.TO_SHIP, None),
    (
        "one merchant line among warehouse lines",
        record(lines=[line(supply="Fulfilment", parcel="W1"), line(n=2)]),
        State.TO_SHIP,
        None,
    ),
    (
        "only a warehouse ships it",
        record(lines=[line(supply="Fulfilment")]),
        State.NOT_SHIPPABLE,
        None,
    ),
    (
        "already carries the merchant's parcel",
        record(lines=[line(parcel="P1")]),
        State.NOT_SHIPPABLE,
        None,
    ),
    ("no line ready", record(lines=[line("CancelRequest")]), State.NOT_SHIPPABLE, None),
    ("no lines at all", record(lines=[]), State.NOT_SHIPPABLE, None),
    ("waiting for acceptance", record("WaitingAcceptance"), State.WAITING_ACCEPTANCE, None),
    ("shipped", record("Shipped", [line("Shipped")]), State.NOT_SHIPPABLE, None),
    ("delivered", record("Delivered", [line("Delivered")]), State.DELIVERED, None),
    ("cancelled", record("Cancelled", [line("Cancelled")]), State.CANCELLED, None),
    (
        "every line cancelled, order still in preparation",
        record(lines=[line("Cancelled"), line("Cancelled", n=2)]),
        State.CANCELLED,
        None,
    ),
    # cdtui's side
    ("purchase under way", record(claim=True), State.LABEL_PENDING, None),
    (
        "purchase under way on a cancelled order",
        record("Cancelled", [line("Cancelled")], claim=True),
        State.CANCELLED,
        None,
    ),
    (
        "labelled, update waiting",
        record(label="active", push=PushStatus.PENDING),
        State.LABELLED,
        "Tracking not yet on the marketplace: waiting to be sent",
    ),
    (
        "labelled, update failed for now",
        record(label="active", push=PushStatus.PENDING, push_error="Octopia is unavailable"),
        State.LABELLED,
        "Tracking not yet on the marketplace: Octopia is unavailable",
    ),
    ("labelled, claim not yet released", record(label="active", claim=True), State.LABELLED, None),
    ("label cancel refused: still active", record(label="refused"), State.LABELLED, None),
    ("tracking sent", record(label="active", push=PushStatus.SENT), State.TRACKING_SENT, None),
    (
        "tracking update refused",
        record(label="active", push=PushStatus.FAILED),
        State.LABELLED,
        "Tracking not yet on the marketplace: refused by Octopia: Unknown carrier",
    ),
    (
        "delivered by the carrier before the marketplace knows",
        record("Shipped", [line("Shipped")], label="active", delivered_event=True),
        State.DELIVERED,
        None,
    ),
    (
        "delivered by the carrier, tracking update still waiting",
        record("InPreparation", label="active", push=PushStatus.PENDING, delivered_event=True),
        State.DELIVERED,
        "Tracking not yet on the marketplace: waiting to be sent",
    ),
    (
        "delivered by the carrier, tracking update refused",
        record("InPreparation", label="active", push=PushStatus.FAILED, delivered_event=True),
        State.DELIVERED,
        "Tracking not yet on the marketplace: refused by Octopia: Unknown carrier",
    ),
    (
        "delivered on the marketplace, tracking update refused",
        record("Delivered", [line("Delivered")], label="active", push=PushStatus.FAILED),
        State.DELIVERED,
        "Tracking not yet on the marketplace: refused by Octopia: Unknown carrier",
    ),
    (
        "collected at the seller's shop",
        record(lines=[line(mode="ShopPickup")]),
        State.NOT_SHIPPABLE,
        "Collected at the seller's shop: no carrier label",
    ),
    (
        "collected at the shop (legacy RIM code)",
        record(lines=[line(mode="RIM")]),
        State.NOT_SHIPPABLE,
        "Collected at the seller's shop: no carrier label",
    ),
    (
        "a line with a cancellation request beside a line to ship",
        record(lines=[line(), line("CancelRequest", n=2)]),
        State.TO_SHIP,
        "Cancellation requested on line 2: shipped without it unless you include it "
        "(only when the customer asked)",
    ),
    (
        "cancelled after its label was bought",
        record("Cancelled", [line("Cancelled")], label="active"),
        State.CANCELLED,
        CANCELLED_LABEL_ATTENTION,
    ),
    (
        "cancelled, label cancelled too",
        record("Cancelled", [line("Cancelled")], label="cancelled"),
        State.CANCELLED,
        None,
    ),
    ("label being cancelled: ready again", record(label="queued"), State.TO_SHIP, None),
    (
        "label cancelled after its tracking was sent",
        record(
            "Shipped", [line("Shipped", parcel="6A123")], label="cancelled", push=PushStatus.SENT
        ),
        State.NOT_SHIPPABLE,
        "Label cancelled after its tracking was sent: the marketplace still shows parcel 6A123",
    ),
]


@pytest.mark.parametrize(
    ("rec", "state", "attention"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_state_and_attention(rec: OrderRecord, state: State, attention: str | None) -> None:
    assert derive_state(rec) == (state, attention)


@pytest.mark.parametrize(
    ("rec", "state"),
    [c[1:3] for c in CASES if c[1].label is None and c[1].claim is None and c[1].push is None],
    ids=[c[0] for c in CASES if c[1].label is None and c[1].claim is None and c[1].push is None],
)
def test_an_order_cdtui_has_not_started_on_shows_its_marketplace_state(
    rec: OrderRecord, state: State
) -> None:
    assert order_state(rec.order) == state


WAREHOUSE = "Shipped by the marketplace's warehouse ({})"
NOT_READY = "Not ready yet: the marketplace shows it {}; it is to ship once in preparation"


@pytest.mark.parametrize(
    ("rec", "word", "reason"),
    [
        (record(lines=[]), "no lines", "The marketplace sent the order without lines"),
        (record(lines=[line(supply="Fulfillment")]), "warehouse", WAREHOUSE.format("Fulfillment")),
        (
            record(lines=[line(supply="Xdock"), line(supply="Fulfillment", n=2)]),
            "warehouse",
            WAREHOUSE.format("Fulfillment, Xdock"),
        ),
        (record("Refused", [line("Refused")]), "refused", "Refused (not accepted by the seller)"),
        (record("Rejected", [line("Rejected")]), "rejected", "Rejected by the marketplace"),
        (
            record("Shipped", [line("Shipped", parcel="P9")]),
            "shipped",
            "Already shipped (parcel P9)",
        ),
        (record("Shipped", [line("Shipped")]), "shipped", "Already shipped"),
        (record(lines=[line(parcel="P1")]), "shipped", "Already shipped (parcel P1)"),
        (
            # the warehouse's line still in preparation, the merchant's shipped (no parcel)
            record(lines=[line("Shipped"), line(supply="Fulfillment", n=2)]),
            "shipped",
            "Already shipped",
        ),
        (
            record(lines=[line("Cancelled"), line("Delivered", n=2)]),
            "shipped",
            "Already shipped",
        ),
        (record("Accepted", [line("Accepted")]), "not ready", NOT_READY.format("Accepted")),
        (record("Processing", [line("Processing")]), "not ready", NOT_READY.format("Processing")),
        (
            record(lines=[line(mode="ShopPickup")]),
            "shop pickup",
            "Collected at the seller's shop: no carrier label",
        ),
        (
            record(lines=[line("CancelRequest")]),
            "cancel asked",
            "Only lines with a cancellation request",
        ),
        (
            record(lines=[line("CancelRequest"), line("Cancelled", n=2)]),
            "cancel asked",
            "Only lines with a cancellation request",
        ),
        (
            record(lines=[line("Cancelled"), line(supply="Fulfillment", n=2)]),
            "cancelled",
            "Your lines are cancelled; the rest is shipped by the marketplace's warehouse",
        ),
        (
            record(lines=[line("WaitingAcceptance")]),
            "not shippable",
            "No line of yours in preparation (marketplace: InPreparation; lines: "
            "WaitingAcceptance)",
        ),
    ],
)
def test_every_order_that_is_not_shippable_says_why(
    rec: OrderRecord, word: str, reason: str
) -> None:
    assert order_state(rec.order) == State.NOT_SHIPPABLE
    assert not_shippable_why(rec.order) == NotShippable(word, reason)
    assert not_shippable_reason(rec.order) == reason
    assert len(word) <= len("not shippable")  # fits the inbox's state column


def test_every_not_shippable_order_of_the_demo_says_why_in_plain_words() -> None:
    """The demo's world (``cdtui demo``: 200 orders, seed 0): no order is left with the
    catch-all "not shippable" — each says shipped, by the warehouse, refused, ..."""
    world = World(orders=200, seed=0)
    words = []
    for doc in world.orders():
        order = Order.model_validate(doc)
        if order_state(order) == State.NOT_SHIPPABLE:
            words.append(not_shippable_why(order).word)
    assert len(words) > 40
    assert "not shippable" not in words
    assert {"shipped", "warehouse", "refused", "rejected", "not ready"} <= set(words)
