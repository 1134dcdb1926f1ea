"""Scan to ship, the pure part: what an order asks to be scanned and what each scan is."""

from __future__ import annotations

from typing import Any

import pytest

from cdtui.errors import NotFoundLocally, UsageError
from cdtui.models import LabelInfo, Order, OrderRecord, TrackingPush
from cdtui.orders.enums import PushStatus, State
from cdtui.orders.packing import Outcome, Packing, open_order, pack_lines, refusal
from cdtui.orders.states import derive_state

GTIN_A, GTIN_B = "3700000000011", "3700000000028"


def line(
    n: int,
    *,
    gtin: str | None = None,
    sku: str | None = None,
    quantity: int = 1,
    status: str = "InPreparation",
    supply: str = "Seller",
    title: str | None = None,
) -> dict[str, Any]:
    return {
        "orderLineId": str(n),
        "status": status,
        "quantity": quantity,
        "offer": {
            "productGtin": gtin,
            "sellerProductId": sku,
            "productTitle": title,
            "supplyMode": supply,
        },
        "delivery": {"mode": "THD"},
        "shippingAddress": {
            "firstName": "Jean",
            "lastName": "Dupont",
            "postalCode": "75011",
            "city": "Paris",
            "countryCode": "FR",
        },
    }


def record(*lines: dict[str, Any], status: str = "InPreparation", ref: str = "REF1") -> OrderRecord:
    order = Order.model_validate(
        {"orderId": "SCID1", "reference": ref, "status": status, "lines": list(lines)}
    )
    rec = OrderRecord(order_id="SCID1", integration_id="1", seller_id="98979", order=order)
    rec.state, rec.attention = derive_state(rec)
    return rec


def two_lines() -> OrderRecord:
    return record(
        line(1, gtin=GTIN_A, sku="SKU-A", quantity=2, title="Casque"),
        line(2, sku="Sku-b", title="Chargeur"),
    )


def test_lines_to_scan_are_the_merchants_lines_in_preparation_by_gtin_else_sku() -> None:
    rec = record(
        line(1, gtin=GTIN_A, sku="SKU-A", quantity=2, title="Casque"),
        line(2, sku="SKU-B"),
        line(3, gtin=GTIN_B, status="Cancelled"),
        line(4, gtin="3700000000035", supply="Fulfillment"),
    )
    lines = pack_lines(rec)
    assert [(ln.line_id, ln.code, ln.code_kind, ln.quantity, ln.title) for ln in lines] == [
        ("1", GTIN_A, "GTIN", 2, "Casque"),
        ("2", "SKU-B", "SKU", 1, "SKU-B"),
    ]


def test_each_item_counts_n_of_m_until_the_order_is_complete() -> None:
    packing = Packing(two_lines())
    assert (packing.scanned, packing.total, packing.complete) == (0, 3, False)
    first = packing.scan(f"  {GTIN_A}\n")
    assert first.outcome == Outcome.COUNTED and first.counted == 1
    assert first.message == "Casque: 1 of 2. 2 more to scan."
    sku = packing.scan("sku-B")  # a SKU whatever its case
    assert sku.outcome == Outcome.COUNTED and sku.message == "Chargeur: 1 of 1. 1 more to scan."
    last = packing.scan(GTIN_A)
    assert last.outcome == Outcome.COMPLETE and packing.complete
    assert last.message == "Casque: 2 of 2. Order REF1 complete (3 items)."
    assert packing.lines_text() == [
        f"✓ 2/2  Casque  (GTIN {GTIN_A})",
        "✓ 1/1  Chargeur  (SKU Sku-b)",
    ]


def test_wrong_item_and_too_many_are_refused_and_change_nothing() -> None:
    packing = Packing(two_lines())
    wrong = packing.scan(GTIN_B)
    assert wrong.outcome == Outcome.WRONG_ITEM and wrong.refused
    assert wrong.message == (
        f"Wrong item: {GTIN_B} is not in order REF1. Keep it out of the parcel."
    )
    # GTIN digits are exact: a shorter or padded code is another product
    assert packing.scan(GTIN_A[1:]).outcome == Outcome.WRONG_ITEM
    assert packing.scan("0" + GTIN_A).outcome == Outcome.WRONG_ITEM
    assert packing.scanned == 0
    packing.scan("SKU-B")
    again = packing.scan("SKU-B")
    assert again.outcome == Outcome.TOO_MANY and again.refused
    assert again.message == (
        "Too many: Chargeur is already 1 of 1 in order REF1. Keep it out of the parcel."
    )
    assert packing.counts == {"1": 0, "2": 1}
    assert packing.scan("   ").outcome == Outcome.NOTHING


def test_after_its_label_an_item_of_the_order_is_too_many_of_a_labelled_order() -> None:
    packing = Packing(two_lines())
    for code in (GTIN_A, "SKU-B", GTIN_A):
        packing.scan(code)
    assert packing.complete
    again = packing.labelled_scan(f" {GTIN_A}\n")
    assert again is not None and again.outcome == Outcome.TOO_MANY and again.refused
    assert again.message == (
        "Too many: Casque is of order REF1, already packed and labelled. "
        "Keep this item out of the parcel."
    )
    assert packing.labelled_scan("sku-b") is not None  # a SKU whatever its case
    # not one of its items (or nothing): not this order's to say
    assert packing.labelled_scan(GTIN_B) is None and packing.labelled_scan("  ") is None
    assert packing.counts == {"1": 2, "2": 1}


def test_a_refused_code_is_shown_printable_and_short() -> None:
    event = Packing(two_lines()).scan("\x1b]52;c;aGk=\x07" + "9" * 80)
    assert event.outcome == Outcome.WRONG_ITEM
    assert "\x1b" not in event.message and "\x07" not in event.message
    assert "…" in event.message and len(event.message) < 120


def test_same_product_on_two_lines_fills_one_then_the_other() -> None:
    packing = Packing(record(line(1, gtin=GTIN_A), line(2, gtin=GTIN_A, quantity=2)))
    outcomes = [packing.scan(GTIN_A).outcome for _ in range(4)]
    assert outcomes == [Outcome.COUNTED, Outcome.COUNTED, Outcome.COMPLETE, Outcome.TOO_MANY]


def test_verification_off_is_complete_at_once_and_a_line_without_code_is_by_eye() -> None:
    assert Packing(two_lines(), verify=False).complete
    packing = Packing(record(line(1, gtin=GTIN_A), line(2)))
    assert [ln.line_id for ln in packing.unscannable] == ["2"]
    assert packing.counts == {"1": 0, "2": 1}
    assert packing.scan(GTIN_A).outcome == Outcome.COMPLETE


class Finder:
    def __init__(self, *recs: OrderRecord) -> None:
        self.recs = {r.order_id: r for r in recs}

    def resolve_order(self, key: str) -> str:
        for rec in self.recs.values():
            if key in (rec.order_id, rec.reference):
                return rec.order_id
        raise NotFoundLocally(f"There is no order with id or reference {key!r} in the store.")

    def order(self, order_id: str) -> OrderRecord:
        return self.recs[order_id]


def test_open_order_by_reference_or_id_and_refuse_what_is_not_to_ship() -> None:
    rec = two_lines()
    assert open_order(Finder(rec), " REF1\n").order_id == "SCID1"
    assert open_order(Finder(rec), "SCID1").total == 3
    with pytest.raises(NotFoundLocally):
        open_order(Finder(rec), "REF2")
    with pytest.raises(UsageError, match="Scan an order"):
        open_order(Finder(rec), "  ")
    waiting = record(line(1, gtin=GTIN_A, status="WaitingAcceptance"), status="WaitingAcceptance")
    with pytest.raises(UsageError, match=r"^Order REF1 is to accept: accept it in the inbox"):
        open_order(Finder(waiting), "REF1")


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (
            lambda: record(line(1, status="Shipped"), status="Shipped"),
            "Order REF1 is not shippable: Already shipped.",
        ),
        (
            lambda: record(line(1, supply="Fulfillment")),
            "Order REF1 is not shippable: Shipped by the marketplace's warehouse (Fulfillment).",
        ),
        (
            lambda: record(line(1, status="Cancelled"), status="Cancelled"),
            "Order REF1 is cancelled: do not ship it.",
        ),
    ],
)
def test_refusal_says_the_state_and_why(make: Any, words: str) -> None:
    assert refusal(make()) == words


def test_a_labelled_order_is_refused_with_its_label() -> None:
    rec = two_lines()
    assert refusal(rec) is None
    rec.label = LabelInfo(
        external_reference_id="cdtui-98979-SCID1",
        shipment_id="shp-1",
        carrier_name="Colissimo",
        tracking_number="6A123",
    )
    rec.push = TrackingPush(parcel_number="6A123", carrier_name="Colissimo", status=PushStatus.SENT)
    rec.state, rec.attention = derive_state(rec)
    assert rec.state == State.TRACKING_SENT
    assert refusal(rec) == (
        "Order REF1 is tracking sent: its label (Colissimo 6A123) is bought and the "
        "tracking sent; reprint it from the inbox (o)."
    )
