"""``Store.order_rows``: the light list-view rows agree with the full records, follow every
write (this process's and another's), and report damaged files like ``orders()`` does."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from cdtui.errors import StoreError
from cdtui.models import LabelInfo, Order, OrderRecord, TrackingPush
from cdtui.orders.enums import State
from cdtui.storage.store import DEFAULT_SHARDS, OrderRow, Store, shard_index

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)

ADDRESS = {
    "firstName": "Camille",
    "lastName": "Durand",
    "addressLine1": "12 rue de la Paix",
    "postalCode": "75002",
    "city": "Paris",
    "countryCode": "FR",
}


def line(n: int, **fields: Any) -> dict[str, Any]:
    return {
        "orderLineId": str(n),
        "status": "InPreparation",
        "quantity": 1,
        "offer": {"sellerProductId": f"SKU-{n}", "productTitle": f"Product {n}"},
        "delivery": {"shippedAtMax": f"2026-11-2{n}T16:00:00Z"},
        "shippingAddress": ADDRESS,
        **fields,
    }


def order(order_id: str, **fields: Any) -> Order:
    doc = {
        "orderId": order_id,
        "reference": f"REF-{order_id}",
        "salesChannel": {"id": "CDISFR", "name": "Cdiscount"},
        "purchasedAt": "2026-11-25T08:30:00Z",
        "createdAt": "2026-11-25T08:31:00Z",
        "status": "InPreparation",
        "lines": [line(1)],
        **fields,
    }
    return Order.model_validate(doc)


#: orders exercising every branch of the row: deadlines, addresses, lines, channels
ORDERS = [
    order("A"),
    order("B", shippedAtMax="2026-11-27T12:00:00Z", lines=[line(1), line(2, quantity=3)]),
    order("C", reference=None, salesChannel={"id": "RAKUFR"}, purchasedAt=None),
    order("D", salesChannel=None, lines=[], billingAddress={"companyName": "ACME", "city": "Lyon"}),
    order(
        "E",
        lines=[
            line(1, offer={"supplyMode": "Fulfillment", "productTitle": "Warehouse"}),
            line(2, status="Shipped", shippingAddress={"firstName": "Inès"}),
        ],
    ),
    order("F", status="Cancelled", lines=[line(1, status="Cancelled")]),
    order("G", status="WaitingAcceptance", lines=[line(1, status="WaitingAcceptance")]),
    order("H", lines=[line(1, offer={"sellerProductId": "SKU-9"}, shippingAddress=None)]),
]


def expected_row(rec: OrderRecord) -> OrderRow:
    """The row as the records' own properties describe it."""
    o = rec.order
    address = o.shipping_address or o.billing_address
    lines = o.shippable_lines or o.lines
    deadline = o.shipped_at_max or min(
        (ln.delivery.shipped_at_max for ln in o.lines if ln.delivery.shipped_at_max),
        default=None,
    )
    label = rec.label
    return OrderRow(
        order_id=rec.order_id,
        integration_id=rec.integration_id,
        seller_id=rec.seller_id,
        reference=rec.reference,
        channel_id=rec.channel_id,
        channel_name=(o.sales_channel.name or o.sales_channel.id) if o.sales_channel else "",
        marketplace_status=rec.marketplace_status,
        state=rec.state,
        attention=rec.attention,
        error=rec.error,
        ordered_at=o.purchased_at or o.created_at,
        ship_by=deadline,
        customer=(address.name or address.company_name or "") if address else "",
        country_code=address.country_code if address else None,
        postal_code=address.postal_code if address else None,
        city=address.city if address else None,
        item_lines=len(lines),
        item_quantity=sum(ln.quantity for ln in lines),
        item_title=(lines[0].offer.product_title or lines[0].sku) if lines else None,
        labelled=label is not None and label.active,
        carrier=label.carrier_name if label else None,
        tracking_number=label.tracking_number if label else None,
        tracking_url=label.tracking_url if label else None,
        label_path=label.label_path if label else None,
        push_status=rec.push.status.value if rec.push else None,
    )


def with_label(rec: OrderRecord) -> OrderRecord:
    rec.label = LabelInfo(
        external_reference_id=rec.external_reference_id(),
        shipment_id="shp-1",
        carrier_name="Colissimo",
        tracking_number="6A123",
        tracking_url="https://track/6A123",
        label_path="/labels/A.pdf",
        created_at=NOW,
    )
    rec.push = TrackingPush(carrier_name="Colissimo", parcel_number="6A123", line_ids=["1"])
    return rec


def shard_path(store: Store, integration_id: str, order_id: str) -> Path:
    index = shard_index(order_id, DEFAULT_SHARDS)
    return store.data_dir / "orders" / integration_id / f"{index:03d}.json"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path, clock=lambda: NOW)
    s.add_integration(name="Shop FR", seller_id="98979", login="demo-shop")
    s.add_integration(name="Shop BE", seller_id="55555", login="other")
    s.upsert_orders("1", "98979", ORDERS)
    s.upsert_orders("2", "55555", [order("Z"), order("Y")])
    s.update_order("A", with_label)
    return s


def assert_rows_match_records(store: Store) -> None:
    records = store.orders()
    assert store.order_rows() == [expected_row(r) for r in records]


def test_rows_agree_with_records_in_the_same_order(store: Store, tmp_path: Path) -> None:
    assert_rows_match_records(store)
    assert_rows_match_records(Store(tmp_path))  # read cold, from the files
    rows = {r.order_id: r for r in store.order_rows()}
    assert rows["A"].labelled and rows["A"].state == State.LABELLED
    assert rows["A"].carrier == "Colissimo" and rows["A"].push_status == "pending"
    assert rows["B"].ship_by == datetime(2026, 11, 27, 12, tzinfo=UTC)
    assert (rows["B"].item_lines, rows["B"].item_quantity) == (2, 4)
    assert rows["C"].reference == "C" and rows["C"].channel_name == "RAKUFR"
    assert rows["D"].customer == "ACME" and rows["D"].channel_id == ""
    assert rows["E"].customer == "Camille Durand" and rows["E"].state == State.NOT_SHIPPABLE
    assert rows["H"].item_title == "SKU-9" and rows["H"].customer == ""


def test_rows_filter_by_integration_and_state(store: Store) -> None:
    assert [r.order_id for r in store.order_rows(integration_id="2")] == ["Y", "Z"]
    to_ship = store.order_rows(state=State.TO_SHIP)
    assert [r.order_id for r in to_ship] == [r.order_id for r in store.orders(state=State.TO_SHIP)]


def test_a_cold_listing_builds_no_record(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = Store(tmp_path)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("order_rows validated a record")

    monkeypatch.setattr(OrderRecord, "model_validate", refuse)
    assert len(fresh.order_rows()) == len(ORDERS) + 2
    monkeypatch.undo()
    assert_rows_match_records(fresh)  # and the records are still there when asked


def test_rows_follow_writes_of_this_process_and_of_another(store: Store, tmp_path: Path) -> None:
    store.order_rows()  # cached
    store.update_order("B", with_label)
    assert_rows_match_records(store)
    assert next(r for r in store.order_rows() if r.order_id == "B").labelled

    other = Store(tmp_path)  # a second process on the same data
    other.upsert_orders("2", "55555", [order("X")])
    other.update_order("B", lambda r: r.model_copy(update={"error": "Carrier refused"}))
    rows = {r.order_id: r for r in store.order_rows()}
    assert "X" in rows and rows["B"].error == "Carrier refused"
    assert_rows_match_records(store)

    store.delete_integration("2")
    assert {r.integration_id for r in store.order_rows()} == {"1"}


def test_rows_inside_a_write_see_the_staged_change(store: Store) -> None:
    seen: list[OrderRow] = []

    def label_and_look(rec: OrderRecord) -> OrderRecord:
        return with_label(rec)

    with store._locked():  # what a caller holding the lock sees
        store.update_order("C", label_and_look)
        seen = store.order_rows()
    assert next(r for r in seen if r.order_id == "C").labelled
    assert_rows_match_records(store)


def test_hand_edited_spellings_are_read_like_the_records(store: Store, tmp_path: Path) -> None:
    path = shard_path(store, "1", "B")
    data = orjson.loads(path.read_bytes())
    doc = data["orders"]["B"]["order"]
    doc["salesChannel"] = doc.pop("sales_channel")  # the API's camelCase, accepted too
    doc["lines"][1]["quantity"] = "5"  # a string pydantic coerces
    path.write_bytes(orjson.dumps(data))
    fresh = Store(tmp_path)
    assert_rows_match_records(fresh)
    row = next(r for r in fresh.order_rows() if r.order_id == "B")
    assert row.channel_id == "CDISFR" and row.item_quantity == 6


@pytest.mark.parametrize("content", [b"", b"[]", b'{"orders": []}', b'{"orders": {"B": 3}}'])
def test_damaged_file_stops_the_rows(store: Store, tmp_path: Path, content: bytes) -> None:
    path = shard_path(store, "1", "B")
    path.write_bytes(content)
    for reader in (store, Store(tmp_path)):
        with pytest.raises(StoreError, match=r"damaged.*left untouched") as err:
            reader.order_rows()
        assert str(path) in str(err.value)
    assert path.read_bytes() == content


def test_invalid_record_stops_rows_then_writes(store: Store, tmp_path: Path) -> None:
    path = shard_path(store, "1", "B")
    data = orjson.loads(path.read_bytes())
    data["orders"]["B"]["order"]["status"] = None
    content = orjson.dumps(data)
    path.write_bytes(content)
    fresh = Store(tmp_path)
    with pytest.raises(StoreError, match=r"order B: order\.status"):
        fresh.order_rows()
    with pytest.raises(StoreError, match=r"order B: order\.status"):
        fresh.upsert_orders("1", "98979", [order("B")])
    assert path.read_bytes() == content
