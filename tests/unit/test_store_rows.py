"""``Store.order_rows``: the summaries stored beside the records are what
``summarize_record`` makes of the records, follow every write (this process's and
another's), are rebuilt when missing, unreadable or of another version, and damaged files
are reported like ``orders()`` reports them. ``cdtui orders --json`` shows the same."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from store_reads import order_files_read

from cdtui import cli
from cdtui.errors import StoreError
from cdtui.models import LabelInfo, Order, OrderRecord, TrackingPush
from cdtui.orders import summary as summary_mod
from cdtui.orders.enums import State
from cdtui.orders.summary import (
    SUMMARY_VERSION,
    OrderSummary,
    summarize_record,
    summary_from_json,
)
from cdtui.storage import meta, shards
from cdtui.storage.store import DEFAULT_SHARDS, Store, shard_index

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
    """The rows are the summaries of the records as a fresh store reads them."""
    records = Store(store.home).orders()
    assert store.order_rows() == [summarize_record(r) for r in records]


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
    monkeypatch.setattr(shards, "summarize_record", refuse)  # read as stored
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
    seen: list[OrderSummary] = []

    def label_and_look(rec: OrderRecord) -> OrderRecord:
        return with_label(rec)

    with store._locked():  # what a caller holding the lock sees
        store.update_order("C", label_and_look)
        seen = store.order_rows()
    assert next(r for r in seen if r.order_id == "C").labelled
    assert_rows_match_records(store)


def test_hand_edited_spellings_are_read_like_the_records(store: Store, tmp_path: Path) -> None:
    """A record edited by hand keeps the summary it was written with; without one, its
    summary is built from the record, read the way the model reads it."""
    path = shard_path(store, "1", "B")
    data = orjson.loads(path.read_bytes())
    doc = data["orders"]["B"]["order"]
    doc["salesChannel"] = doc.pop("sales_channel")  # the API's camelCase, accepted too
    doc["lines"][1]["quantity"] = "5"  # a string pydantic coerces
    path.write_bytes(orjson.dumps(data))
    row = next(r for r in Store(tmp_path).order_rows() if r.order_id == "B")
    assert row.item_quantity == 4  # as stored
    del data["orders"]["B"]["summary"]
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


# ---------------------------------------------------------------- stored summaries


def at(name: str) -> int:
    """The position of a field in a stored summary (after its version)."""
    return 1 + OrderSummary._fields.index(name)


def stored_docs(store: Store) -> dict[str, dict[str, Any]]:
    docs: dict[str, dict[str, Any]] = {}
    for path in (store.data_dir / "orders").glob("*/[0-9]*.json"):
        docs.update(orjson.loads(path.read_bytes())["orders"])
    return docs


def test_every_write_stores_the_summary_beside_the_record(store: Store) -> None:
    """Imports (prepared, no record built), updates by upsert and update_order all write
    the summary of what they wrote, with its version."""
    store.upsert_orders("1", "98979", [order("B", status="Shipped")])  # an update
    store.upsert_orders("1", "98979", store.prepare_orders("1", "98979", [order("N")]))
    records = {r.order_id: r for r in Store(store.home).orders()}
    docs = stored_docs(store)
    assert set(docs) == set(records)
    for oid, doc in docs.items():
        assert doc["summary"][0] == SUMMARY_VERSION
        assert list(doc)[-2:] == ["summary", "order"]
        assert doc["summary"] == summarize_record(records[oid]).as_json(), oid
    assert docs["A"]["summary"][at("labelled")] is True
    assert docs["B"]["summary"][at("state")] == "not_shippable"


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: s.pop("summary"),
        lambda s: s["summary"].__setitem__(0, SUMMARY_VERSION - 1),  # an older version
        lambda s: s["summary"].__setitem__(0, None),
        lambda s: s["summary"].__setitem__(at("item_quantity"), "4"),
        lambda s: s["summary"].__setitem__(at("labelled"), 1),
        lambda s: s["summary"].__setitem__(at("state"), "weird"),
        lambda s: s["summary"].__setitem__(at("ship_by"), "tomorrow"),
        lambda s: s["summary"].pop(),
        lambda s: s["summary"].append(1),
        lambda s: s.update(summary={"version": SUMMARY_VERSION}),  # an object
        lambda s: s["summary"].__setitem__(at("order_id"), "A"),
    ],
)
def test_a_missing_or_unreadable_summary_is_rebuilt_from_its_record(
    store: Store, tmp_path: Path, damage: Any
) -> None:
    path = shard_path(store, "1", "B")
    data = orjson.loads(path.read_bytes())
    damage(data["orders"]["B"])
    content = orjson.dumps(data)
    path.write_bytes(content)
    assert_rows_match_records(Store(tmp_path))
    assert_rows_match_records(store)
    assert path.read_bytes() == content  # reading writes nothing
    store.update_order("B", lambda r: r.model_copy(update={"error": "x"}))  # written again
    assert stored_docs(store)["B"]["summary"] == summarize_record(store.order("B")).as_json()


def test_an_older_store_gets_every_summary_once_after_a_backup(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store from before the summaries (or of an older SUMMARY_VERSION) has them all
    written again when it is opened, under the lock, after a backup; only once."""
    for path in (store.data_dir / "orders").glob("*/[0-9]*.json"):
        data = orjson.loads(path.read_bytes())
        for doc in data["orders"].values():
            del doc["summary"]
        path.write_bytes(orjson.dumps(data))
    meta_path = store.data_dir / "meta.json"
    raw = orjson.loads(meta_path.read_bytes())
    del raw["store"]["meta"]["summary_version"]
    meta_path.write_bytes(orjson.dumps(raw))
    opened = Store(tmp_path, clock=lambda: NOW)
    assert orjson.loads(meta_path.read_bytes())["store"]["meta"]["summary_version"] == (
        SUMMARY_VERSION
    )
    [backup] = (store.data_dir / "backups").iterdir()
    assert backup.name == "summaries-v0-20261126T100000"
    assert all(
        "summary" not in d
        for d in orjson.loads(
            (backup / "orders" / "1" / shard_path(store, "1", "B").name).read_bytes()
        )["orders"].values()
    )
    records = {r.order_id: r for r in opened.orders()}
    assert {oid: d["summary"] for oid, d in stored_docs(opened).items()} == {
        oid: summarize_record(r).as_json() for oid, r in records.items()
    }
    before = {p: p.stat().st_mtime_ns for p in (store.data_dir / "orders").rglob("*.json")}
    calls: list[int] = []
    monkeypatch.setattr(meta, "rebuild_summaries", lambda *a: calls.append(1))
    Store(tmp_path)
    assert calls == []
    assert {p: p.stat().st_mtime_ns for p in (store.data_dir / "orders").rglob("*.json")} == before


def test_a_summary_rebuild_leaves_a_damaged_file_alone(store: Store, tmp_path: Path) -> None:
    path = shard_path(store, "1", "B")
    data = orjson.loads(path.read_bytes())
    data["orders"]["B"]["order"]["status"] = None
    content = orjson.dumps(data)
    path.write_bytes(content)
    meta_path = store.data_dir / "meta.json"
    raw = orjson.loads(meta_path.read_bytes())
    raw["store"]["meta"]["summary_version"] = SUMMARY_VERSION - 1
    meta_path.write_bytes(orjson.dumps(raw))
    fresh = Store(tmp_path)
    assert path.read_bytes() == content
    with pytest.raises(StoreError, match=r"order B: order\.status"):
        fresh.order_rows()


# ---------------------------------------------------------------- one definition


def cli_common(rec: OrderRecord) -> dict[str, Any]:
    j = cli.order_json(rec)
    keys = ("reference", "ship_by", "customer", "country", "postal_code", "items")
    return {k: j[k] for k in (*keys, "relay_point", "delivery_mode")}


def row_common(row: OrderSummary) -> dict[str, Any]:
    return {
        "reference": row.reference,
        "ship_by": cli._dt(row.ship_by),
        "customer": row.customer or None,
        "country": row.country_code,
        "postal_code": row.postal_code,
        "items": row.item_quantity,
        "relay_point": {"id": row.relay_point_id, "name": row.relay_point_name}
        if row.relay_point_id
        else None,
        "delivery_mode": row.delivery_mode,
    }


def test_summarize_builds_the_fields_in_their_order() -> None:
    assert OrderSummary._fields == summary_mod.BUILT_FIELDS
    summary = summarize_record(
        OrderRecord(order_id="A", integration_id="1", seller_id="98979", order=ORDERS[0])
    )
    assert summary_from_json(summary.as_json()) == summary
    assert (summary.reference, summary.customer, summary.item_title) == (
        "REF-A",
        "Camille Durand",
        "Product 1",
    )


def test_the_cli_and_the_inbox_show_the_same_order(store: Store) -> None:
    relay = {**ADDRESS, "pickupId": " 12345 ", "pickupName": " Relais Presse "}
    store.upsert_orders(
        "1",
        "98979",
        [order("R", lines=[line(1, shippingAddress=relay, delivery={"mode": "RelayPoint"})])],
    )
    rows = {r.order_id: r for r in store.order_rows()}
    for rec in store.orders():
        assert cli_common(rec) == row_common(rows[rec.order_id]), rec.order_id
    assert cli_common(store.order("R"))["relay_point"] == {"id": "12345", "name": "Relais Presse"}
    assert cli_common(store.order("R"))["delivery_mode"] == "RelayPoint"


def test_the_customer_is_the_name_else_the_company(store: Store) -> None:
    company = {"companyName": "ACME SARL", "city": "Lyon", "countryCode": "FR"}
    store.upsert_orders("1", "98979", [order("K", lines=[line(1, shippingAddress=company)])])
    row = next(r for r in store.order_rows() if r.order_id == "K")
    assert row.customer == "ACME SARL"
    assert cli.order_json(store.order("K"))["customer"] == "ACME SARL"  # was None


def test_ship_by_is_the_orders_else_the_earliest_lines(store: Store) -> None:
    store.upsert_orders(
        "1",
        "98979",
        [order("S", lines=[line(4), line(2)])],  # no order-level deadline
    )
    row = next(r for r in store.order_rows() if r.order_id == "S")
    assert row.ship_by == datetime(2026, 11, 22, 16, tzinfo=UTC)
    assert cli.order_json(store.order("S"))["ship_by"] == "2026-11-22T16:00:00Z"  # was None
    b = cli.order_json(store.order("B"))  # the order's own deadline wins
    assert b["ship_by"] == "2026-11-27T12:00:00Z"


def test_items_are_the_lines_a_label_covers(store: Store) -> None:
    """The merchant's lines in preparation: a line with a cancellation request, or one
    the warehouse ships, is not counted (while one is ready to ship)."""
    lines = [
        line(1, quantity=1),
        line(2, quantity=2, status="CancelRequest"),
        line(3, quantity=4, offer={"sellerProductId": "W", "supplyMode": "Fulfillment"}),
    ]
    store.upsert_orders("1", "98979", [order("I", lines=lines)])
    row = next(r for r in store.order_rows() if r.order_id == "I")
    assert (row.item_lines, row.item_quantity, row.item_title) == (1, 1, "Product 1")
    assert cli.order_json(store.order("I"))["items"] == 1  # was 7 (every line)
    only_request = [line(1, quantity=2, status="CancelRequest")]
    store.upsert_orders("1", "98979", [order("J", lines=only_request)])
    row = next(r for r in store.order_rows() if r.order_id == "J")
    assert row.item_quantity == 2  # nothing to ship: every line is shown


# ---------------------------------------------------------------- the rows files


def test_a_cold_listing_reads_the_rows_files_not_the_order_files(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What makes the inbox's first paint fast: the summaries alone are read."""
    written = sorted((tmp_path / "data" / "orders").glob("*/*.json"))
    assert [p.with_suffix(".rows").exists() for p in written] == [True] * len(written)
    read = order_files_read(monkeypatch)
    fresh = Store(tmp_path)
    rows = fresh.order_rows()
    assert read == []
    monkeypatch.undo()
    assert rows == [summarize_record(r) for r in Store(tmp_path).orders()]
    assert next(r for r in rows if r.order_id == "A").carrier == "Colissimo"


def test_a_listing_from_rows_files_follows_another_process(store: Store, tmp_path: Path) -> None:
    reader = Store(tmp_path)
    assert len(reader.order_rows()) == len(ORDERS) + 2  # from the rows files
    writer = Store(tmp_path)  # a second process: a label, then a new order
    writer.update_order("B", with_label)
    writer.upsert_orders("1", "98979", [order("N")])
    rows = {r.order_id: r for r in reader.order_rows()}
    assert rows["B"].labelled and rows["B"].carrier == "Colissimo"
    assert "N" in rows
    assert_rows_match_records(reader)


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda raw: raw[: len(raw) // 2], id="torn"),
        pytest.param(lambda raw: raw.replace(b"Cdiscount", b"Rakuten!!"), id="crc"),
        pytest.param(lambda raw: b"", id="empty"),
        pytest.param(
            lambda raw: raw.replace(b'"summary_version":', b'"summary_version":9'), id="v"
        ),
    ],
)
def test_a_damaged_rows_file_is_not_believed(store: Store, tmp_path: Path, spoil: Any) -> None:
    rows_file = shard_path(store, "1", "B").with_suffix(".rows")
    rows_file.write_bytes(spoil(rows_file.read_bytes()))
    assert_rows_match_records(Store(tmp_path))


def test_a_rows_file_of_other_content_is_not_believed(store: Store, tmp_path: Path) -> None:
    """An order file written without its rows file (a crash between the two, a copy
    from a backup, a hand edit): the rows file no longer matches it and is ignored."""
    path = shard_path(store, "1", "B")
    rows_file = path.with_suffix(".rows")
    old_rows = rows_file.read_bytes()
    store.update_order("B", lambda r: r.model_copy(update={"error": "Carrier refused"}))
    rows_file.write_bytes(old_rows)  # as if the process died before writing it
    fresh = Store(tmp_path)
    assert next(r for r in fresh.order_rows() if r.order_id == "B").error == "Carrier refused"
    assert_rows_match_records(fresh)


def test_an_unwritable_rows_file_does_not_fail_the_write(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shards, "write_rows", full_disk)
    store.update_order("B", with_label)  # the order file is what counts
    assert "could not write" in caplog.text
    monkeypatch.undo()
    fresh = Store(tmp_path)
    assert next(r for r in fresh.order_rows() if r.order_id == "B").labelled
    assert_rows_match_records(fresh)


def test_an_order_file_without_rows_file_gets_one_when_listed(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store from an older cdtui (or rewritten by a migration): the first listing
    reads the order files and leaves their rows files, the next reads only those."""
    for rows_file in (tmp_path / "data" / "orders").glob("*/*.rows"):
        rows_file.unlink()
    first = Store(tmp_path).order_rows()
    assert len(list((tmp_path / "data" / "orders").glob("*/*.rows"))) == len(
        list((tmp_path / "data" / "orders").glob("*/*.json"))
    )
    read = order_files_read(monkeypatch)
    assert Store(tmp_path).order_rows() == first
    assert read == []
