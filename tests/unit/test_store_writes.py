"""The store's write path: serialisation, several files written at once, failures."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from cdtui.errors import StoreError
from cdtui.models import LabelClaim, LabelInfo, Order, OrderRecord, TrackingEvent, TrackingPush
from cdtui.orders.enums import PushStatus, State
from cdtui.orders.states import derive_state
from cdtui.orders.summary import summarize_record, summary_from_json
from cdtui.storage import fastmodels, tinyfile
from cdtui.storage.store import PreparedOrder, Store, shard_index

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def order(order_id: str, **extra: Any) -> Order:
    return Order.model_validate(
        {
            "orderId": order_id,
            "reference": f"REF-{order_id}",
            "salesChannel": {"id": "CDISFR", "name": "Cdiscount"},
            "purchasedAt": "2026-11-26T09:58:02.120000+02:00",
            "createdAt": "2026-11-26T09:58:02Z",
            "updatedAt": "2026-11-26T10:12:40.5Z",
            "shippedAtMax": "2026-11-28T23:59:59",  # naive, as a sloppy API may send
            "status": "InPreparation",
            "billingAddress": {"firstName": "Zoë", "lastName": "Ørsted", "city": "Aarhus"},
            "totalPrice": {"offerPrice": 34.8, "sellingPrice": "1E+2"},
            "lines": [
                {
                    "orderLineId": 1,
                    "status": "InPreparation",
                    "quantity": 2,
                    "offer": {"sellerProductId": "SKU-1", "supplyMode": "Seller"},
                    "sellingPrice": {"unitSalesPrice": "0.10", "shippingCost": 4.9},
                    "delivery": {"shippedAtMax": "2026-11-28T12:00:00-03:30"},
                    "shippingAddress": {"firstName": "Camille", "addressLine1": 'a "quoted" \\'},
                    "parcels": [{"parcelNumber": "P1", "carrierName": "Colissimo"}],
                }
            ],
            **extra,
        }
    )


def full_record(order_id: str) -> OrderRecord:
    return OrderRecord(
        order_id=order_id,
        integration_id="1",
        seller_id="98979",
        order=order(order_id),
        state=State.LABELLED,
        attention="look",
        label=LabelInfo(
            external_reference_id="cdtui-98979-A",
            shipment_id="shp-1",
            weight_kg=Decimal("1.250"),
            created_at=NOW,
        ),
        claim=LabelClaim(owner="host:1:x", at=NOW, external_reference_id="cdtui-98979-A"),
        push=TrackingPush(
            status=PushStatus.FAILED,
            carrier_name="Colissimo",
            parcel_number="6A1",
            line_ids=["1"],
            next_attempt_at=NOW.astimezone(timezone(timedelta(hours=5, minutes=45))),
        ),
        tracking_events=[TrackingEvent(event_at=NOW, status_code="delivered")],
        tracking_refreshed_at=NOW,
        first_seen_at=NOW,
    )


def test_documents_are_the_bytes_pydantic_would_write() -> None:
    """The store serialises with orjson; the result must not differ from pydantic's."""
    rec = full_record("A")
    order_json = fastmodels._order_json(rec.order)
    assert order_json == rec.order.model_dump_json().encode()
    summary = summarize_record(rec)
    summary_json = orjson.dumps(summary.as_json())
    assert fastmodels._summary_json(summary) == summary_json
    record_json = fastmodels._record_json(rec, order_json, summary_json)
    local = rec.model_dump_json(exclude={"order"}).encode()
    assert (
        record_json == local[:-1] + b',"summary":' + summary_json + b',"order":' + order_json + b"}"
    )
    assert OrderRecord.model_validate_json(record_json) == rec
    assert summary_from_json(orjson.loads(record_json)["summary"]) == summary
    fastmodels._share_fields_sets(rec)  # shared field sets serialise the same
    assert fastmodels._order_json(rec.order) == order_json


@pytest.mark.parametrize("status", ["InPreparation", "Cancelled", "WaitingAcceptance"])
def test_a_prepared_order_is_the_record_pydantic_would_write(store: Store, status: str) -> None:
    odd = 'A"1\\é'  # an id that JSON must escape
    fetched = order(odd, status=status)
    [prepared] = store.prepare_orders("7", "98979", [fetched])
    expected = OrderRecord(
        order_id=odd, integration_id="7", seller_id="98979", order=fetched, first_seen_at=NOW
    )
    expected.state, expected.attention = derive_state(expected)
    assert OrderRecord.model_validate_json(prepared.record_json) == expected
    stored = orjson.loads(prepared.record_json)["summary"]
    assert summary_from_json(stored) == summarize_record(expected)
    assert orjson.loads(prepared.summary_json()) == stored  # what the rows file gets
    assert prepared.order_json() == fastmodels._order_json(fetched)
    assert (prepared.order_id, prepared.updated_at) == (odd, fetched.updated_at)


def test_a_shared_order_is_not_walked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    rec = OrderRecord.model_validate_json(full_record("A").model_dump_json())  # as read
    fastmodels._share_fields_sets(rec)
    rec = rec.model_copy(update={"label": full_record("A").label})  # as a write makes it
    walked: list[object] = []
    real = fastmodels._share
    monkeypatch.setattr(fastmodels, "_share", lambda m: (walked.append(m), real(m)))
    fastmodels._share_fields_sets(rec)
    assert rec.order not in walked and rec.label in walked
    line = rec.order.lines[0]
    assert line.offer.__pydantic_fields_set__ is fastmodels._ALL_FIELDS[type(line.offer)]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path, clock=lambda: NOW, shards=8)


def ids_over_shards(count: int, shards: int = 8) -> list[str]:
    ids = [f"O{i}" for i in range(count)]
    assert len({shard_index(i, shards) for i in ids}) == shards
    return ids


def test_an_import_writes_every_file_and_fsyncs_each(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    integ = store.add_integration(name="Shop", seller_id="98979", login="demo").id
    ids = ids_over_shards(80)
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    result = store.upsert_orders(integ, "98979", [order(i) for i in ids])
    assert result.imported == 80
    assert len(synced) >= 8 + 1  # every order file, then its folder
    files = sorted((tmp_path / "data" / "orders" / integ).iterdir())
    # each order file and its rows file (the summaries alone, for list views)
    names = [name for i in range(8) for name in (f"{i:03d}.json", f"{i:03d}.rows")]
    assert [f.name for f in files] == [*names, "index"]
    fresh = Store(tmp_path)
    assert sorted(r.order_id for r in fresh.orders()) == sorted(ids)
    # a parcel on the merchant's line: not to ship; the stored state is the derived one
    assert {(r.state, r.attention) for r in fresh.orders()} == {(State.NOT_SHIPPABLE, None)}
    assert all((r.state, r.attention) == derive_state(r) for r in fresh.orders())
    # the cached records and rows of this process agree with the files
    assert [r.order_id for r in store.orders()] == [r.order_id for r in fresh.orders()]
    rows = getattr(store, "order_rows", None)
    if rows is not None:
        assert [r.order_id for r in rows()] == [r.order_id for r in fresh.orders()]
    before = {f: f.stat().st_mtime_ns for f in files}
    assert store.upsert_orders(integ, "98979", [order(i) for i in ids]).unchanged == 80
    assert {f: f.stat().st_mtime_ns for f in files} == before


def test_one_file_failing_among_several(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The others are written, the failed one keeps its old content, nothing is lost."""
    integ = store.add_integration(name="Shop", seller_id="98979", login="demo").id
    ids = ids_over_shards(40)
    store.upsert_orders(integ, "98979", [order(i) for i in ids[:8]])
    bad = shard_index(ids[8], 8)
    bad_path = tmp_path / "data" / "orders" / integ / f"{bad:03d}.json"
    old_bytes = bad_path.read_bytes() if bad_path.exists() else None
    real = tinyfile.atomic_write

    def failing(path: Path, data: bytes, **kw: Any) -> None:
        if path == bad_path:
            raise OSError(28, "No space left on device")
        real(path, data, **kw)

    monkeypatch.setattr(tinyfile, "atomic_write", failing)
    with pytest.raises(StoreError, match="No space left"):
        store.upsert_orders(integ, "98979", [order(i) for i in ids])
    monkeypatch.undo()
    assert (bad_path.read_bytes() if bad_path.exists() else None) == old_bytes
    assert not list(bad_path.parent.glob(".*.tmp"))
    in_bad = {i for i in ids[8:] if shard_index(i, 8) == bad}
    for source in (store, Store(tmp_path)):
        stored = {r.order_id for r in source.orders()}
        assert stored == set(ids) - in_bad
    # the next sync brings the rest, once
    result = store.upsert_orders(integ, "98979", [order(i) for i in ids])
    assert result.imported == len(in_bad) and result.unchanged == len(ids) - len(in_bad)
    assert sorted(r.order_id for r in Store(tmp_path).orders()) == sorted(ids)


def test_imported_records_match_the_files_and_later_changes_are_seen(store: Store) -> None:
    """New orders are cached without a digest and with every field declared set (as if
    read back from the file): the cache equals a fresh read, an unchanged repeat writes
    nothing and a changed one is stored."""
    integ = store.add_integration(name="Shop", seller_id="98979", login="demo").id
    ids = ids_over_shards(40)
    prepared = store.prepare_orders(integ, "98979", [order(i) for i in ids])
    assert store.upsert_orders(integ, "98979", prepared).imported == 40
    cached = {r.order_id: r for r in store.orders()}
    fresh = {r.order_id: r for r in Store(store.home).orders()}
    assert cached == fresh
    full = fastmodels._ALL_FIELDS[OrderRecord]
    assert all(r.__pydantic_fields_set__ is full for r in cached.values())
    assert all(
        r.model_dump(exclude_unset=True) == fresh[oid].model_dump(exclude_unset=True)
        for oid, r in cached.items()
    )
    again = store.upsert_orders(integ, "98979", [order(i) for i in ids])
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 40)
    changed = order(ids[3], status="Shipped")
    assert store.upsert_orders(integ, "98979", [changed, order(ids[4])]).updated == 1
    assert Store(store.home).order(ids[3]).order.status == "Shipped"
    assert store.upsert_orders(integ, "98979", [changed]).unchanged == 1


def test_imported_orders_are_read_into_records_only_when_asked(store: Store) -> None:
    """An import caches each new order as the JSON it wrote: a sync's look for orders in
    work reads none of them, a label on one reads that one, a full list reads the rest."""
    integ = store.add_integration(name="Shop", seller_id="98979", login="demo").id
    ids = ids_over_shards(40)
    store.upsert_orders(integ, "98979", store.prepare_orders(integ, "98979", map(order, ids)))

    def unread() -> int:
        return sum(
            isinstance(v, PreparedOrder)
            for shard in store._shards.values()
            for v in shard.view()[0].values()
        )

    assert unread() == 40 and store.orders_in_work() == []
    store.update_order(ids[7], lambda r: r.model_copy(update={"label": full_record(ids[7]).label}))
    assert unread() == 39
    assert [r.order_id for r in store.orders_in_work(integration_id=integ)] == [ids[7]]
    assert store.counts(integ)["labelled"] == 1 and unread() == 39  # rows, not records
    assert len(store.orders()) == 40 and unread() == 0


def test_prepared_orders_only_go_to_their_own_integration(store: Store) -> None:
    a = store.add_integration(name="A", seller_id="98979", login="demo").id
    b = store.add_integration(name="B", seller_id="11111", login="other").id
    prepared = store.prepare_orders(a, "98979", [order("X1")])
    with pytest.raises(ValueError):
        store.upsert_orders(b, "11111", prepared)
    assert store.orders() == []


def test_another_process_write_replaces_what_an_import_left_unread(store: Store) -> None:
    """Orders an import cached as JSON are dropped with the file they sit in when another
    process rewrites it: this process then sees that process's change, and nothing of
    its own is lost or written again."""
    integ = store.add_integration(name="Shop", seller_id="98979", login="demo").id
    ids = ids_over_shards(40)
    store.upsert_orders(integ, "98979", store.prepare_orders(integ, "98979", map(order, ids)))
    other = Store(store.home, clock=lambda: NOW)
    other.update_order(ids[5], lambda r: r.model_copy(update={"label": full_record(ids[5]).label}))
    assert [r.order_id for r in store.orders_in_work()] == [ids[5]]
    again = store.upsert_orders(integ, "98979", [order(i) for i in ids])
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 40)
    assert store.order(ids[5]).label is not None and len(store.orders()) == 40


@pytest.mark.parametrize("seed", range(6))
def test_two_stores_on_one_folder_agree_whatever_the_order_of_operations(
    tmp_path: Path, seed: int
) -> None:
    """Random imports (prepared and plain), marketplace changes, labels, cancellations
    and reads, from two store objects on one folder (as two processes): after every
    step both see exactly what a fresh store reads from the files, and every state is
    the one ``derive_state`` gives."""
    import random

    rng = random.Random(seed)
    a = Store(tmp_path, clock=lambda: NOW, shards=4)
    integ = a.add_integration(name="Shop", seller_id="98979", login="demo").id
    b = Store(tmp_path, clock=lambda: NOW, shards=4)
    ids = [f"R{i}" for i in range(30)]
    statuses = ["InPreparation", "Shipped", "Cancelled", "WaitingAcceptance"]
    label = full_record("x").label

    def fetched(oid: str) -> Order:
        return order(oid, status=rng.choice(statuses), reference=f"REF-{rng.randrange(3)}")

    for _ in range(40):
        store = rng.choice([a, b])
        step = rng.randrange(5)
        if step == 0:
            batch = [fetched(i) for i in rng.sample(ids, 8)]
            store.upsert_orders(integ, "98979", store.prepare_orders(integ, "98979", batch))
        elif step == 1:
            store.upsert_orders(integ, "98979", [fetched(i) for i in rng.sample(ids, 5)])
        elif step in (2, 3):
            known = [r.order_id for r in store.order_rows()]
            if known:
                target = rng.choice(known)
                change = {"label": label if step == 2 else None}
                store.update_order(target, lambda r, change=change: r.model_copy(update=change))
        else:
            store.orders_in_work()
        fresh = Store(tmp_path)
        truth = {r.order_id: r for r in fresh.orders()}
        for view in (a, b):
            # the lists that read no record, then (now and then) the records themselves
            assert view.order_rows() == fresh.order_rows()
            assert [r.order_id for r in view.orders_in_work()] == sorted(
                oid for oid, r in truth.items() if r.label is not None
            )
            one = rng.choice(ids)
            assert view.find_order(one) == truth.get(one)
            if rng.random() < 0.3:
                assert {r.order_id: r for r in view.orders()} == truth
        assert all((r.state, r.attention) == derive_state(r) for r in truth.values())
