"""The store in one process: integrations, orders, no-op writes, damaged files, schema."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from cdtui.errors import NotFoundLocally, StoreError, UsageError
from cdtui.models import LabelClaim, LabelInfo, Order, OrderRecord, TrackingPush
from cdtui.orders.enums import PushStatus, State
from cdtui.orders.states import CANCELLED_LABEL_ATTENTION
from cdtui.storage import fastmodels, files, tinyfile
from cdtui.storage import meta as meta_mod
from cdtui.storage.files import atomic_write
from cdtui.storage.store import DEFAULT_SHARDS, SCHEMA_VERSION, Store, shard_index

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def order(
    order_id: str,
    status: str = "InPreparation",
    *,
    updated: str = "2026-11-26T10:12:40Z",
    channel: str = "CDISFR",
    lines: int = 1,
) -> Order:
    """An order as the Octopia client hands it over (validated from camelCase JSON)."""
    return Order.model_validate(
        {
            "orderId": order_id,
            "reference": f"REF-{order_id}",
            "salesChannel": {"id": channel, "name": "Cdiscount"},
            "createdAt": "2026-11-26T09:58:02Z",
            "updatedAt": updated,
            "status": status,
            "totalPrice": {"offerPrice": 34.8, "sellingPrice": 34.8},
            "lines": [
                {
                    "orderLineId": str(n),
                    "status": status,
                    "quantity": 1,
                    "offer": {"sellerProductId": f"SKU-{n}", "supplyMode": "Seller"},
                    "sellingPrice": {"unitSalesPrice": 29.9, "shippingCost": 4.9},
                    "shippingAddress": {
                        "firstName": "Camille",
                        "lastName": "Durand",
                        "addressLine1": "12 rue de la Paix",
                        "postalCode": "75002",
                        "city": "Paris",
                        "countryCode": "FR",
                    },
                    "parcels": [],
                }
                for n in range(1, lines + 1)
            ],
        }
    )


def data_files(home: Path) -> dict[str, tuple[int, int, int]]:
    """Every file under data/ with (inode, mtime_ns, size): any rewrite changes it."""
    return {
        str(p.relative_to(home)): (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size)
        for p in (home / "data").rglob("*")
        if p.is_file() and p.name != ".lock"
    }


def shard_path(store: Store, integration_id: str, order_id: str) -> Path:
    index = shard_index(order_id, DEFAULT_SHARDS)
    return store.data_dir / "orders" / integration_id / f"{index:03d}.json"


def with_label(rec: OrderRecord) -> OrderRecord:
    rec.label = LabelInfo(
        external_reference_id=rec.external_reference_id(),
        shipment_id="shp-1",
        carrier_name="Colissimo",
        tracking_number="6A123",
        created_at=NOW,
    )
    rec.push = TrackingPush(carrier_name="Colissimo", parcel_number="6A123", line_ids=["1"])
    return rec


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path, clock=lambda: NOW)


@pytest.fixture
def integ_id(store: Store) -> str:
    return store.add_integration(name="Shop FR", seller_id="98979", login="demo-shop").id


# ---------------------------------------------------------------- integrations


def test_integrations_lifecycle(store: Store, tmp_path: Path) -> None:
    a = store.add_integration(name="Shop FR", seller_id="98979", login="demo-shop")
    b = store.add_integration(name="Shop BE", seller_id="55555", login="other", channels=["1"])
    assert (a.id, b.id) == ("1", "2")
    assert [i.name for i in store.integrations()] == ["Shop FR", "Shop BE"]

    renamed = store.update_integration("2", lambda i: i.model_copy(update={"name": "Belgium"}))
    assert renamed.name == "Belgium"
    assert store.integration("2").name == "Belgium"
    unchanged = store.update_integration("2", lambda i: None)
    assert unchanged.name == "Belgium"

    integ = store.integration("1")
    integ.last_error = "Octopia is unavailable"
    store.save_integration(integ)
    assert Store(tmp_path).integration("1").last_error == "Octopia is unavailable"

    store.upsert_orders("1", "98979", [order("A1"), order("A2")])
    assert store.delete_integration("1") == 2
    assert [i.id for i in store.integrations()] == ["2"]
    assert not (store.data_dir / "orders" / "1").exists()
    assert store.find_order("A1") is None
    # ids are never reused, even after a delete
    assert store.add_integration(name="Again", seller_id="1", login="x").id == "3"
    # nor when meta.json was restored from an older backup and orders of 4 exist
    (store.data_dir / "orders" / "4").mkdir()
    assert store.add_integration(name="Later", seller_id="1", login="x").id == "5"


def test_unknown_integration_is_not_found(store: Store) -> None:
    for call in (
        lambda: store.integration("9"),
        lambda: store.delete_integration("9"),
        lambda: store.upsert_orders("9", "1", [order("A")]),
        lambda: store.orders(integration_id="../../etc"),
        lambda: store.update_integration("9", lambda i: i),
    ):
        with pytest.raises(NotFoundLocally, match="no integration"):
            call()


def test_integration_names_are_unique(store: Store, integ_id: str) -> None:
    with pytest.raises(UsageError, match="already exists"):
        store.add_integration(name="  shop   fr ", seller_id="2", login="y")
    other = store.add_integration(name="Other", seller_id="2", login="y")
    with pytest.raises(UsageError, match="already exists"):
        store.update_integration(other.id, lambda i: i.model_copy(update={"name": "SHOP FR"}))
    assert store.integration(other.id).name == "Other"


def test_invalid_integration_fields_are_a_usage_error(store: Store) -> None:
    with pytest.raises(UsageError, match="seller_id"):
        store.add_integration(name="X", login="y")
    assert store.integrations() == []


def test_returned_integrations_are_copies(store: Store, integ_id: str) -> None:
    store.integration(integ_id).name = "changed"
    store.integrations()[0].name = "changed"
    assert store.integration(integ_id).name == "Shop FR"


# ---------------------------------------------------------------- upsert


def test_upsert_imports_updates_and_leaves_identical_orders(store: Store, integ_id: str) -> None:
    first = store.upsert_orders(integ_id, "98979", [order("A"), order("B"), order("C")])
    assert (first.imported, first.updated, first.unchanged) == (3, 0, 0)
    assert sorted(first.changed_ids) == ["A", "B", "C"]

    second = store.upsert_orders(
        integ_id,
        "98979",
        [order("A"), order("B", "Shipped", updated="2026-11-26T11:00:00Z"), order("D")],
    )
    assert (second.imported, second.updated, second.unchanged) == (1, 1, 1)
    assert sorted(second.changed_ids) == ["B", "D"]
    assert store.order("B").marketplace_status == "Shipped"
    assert store.order("B").state == State.NOT_SHIPPABLE
    rec = store.order("A")
    assert (rec.integration_id, rec.seller_id, rec.first_seen_at) == (integ_id, "98979", NOW)
    assert rec.state == State.TO_SHIP
    assert rec.reference == "REF-A"


def test_repeated_order_in_one_batch_counts_once(store: Store, integ_id: str) -> None:
    res = store.upsert_orders(integ_id, "1", [order("A"), order("A", "Shipped")])
    assert (res.imported, res.updated, res.unchanged) == (1, 0, 0)
    assert store.order("A").marketplace_status == "Shipped"  # the last copy wins
    assert len(store.orders()) == 1


def test_batch_across_shards_is_handled_in_its_own_order(
    store: Store, integ_id: str, tmp_path: Path
) -> None:
    store.upsert_orders(integ_id, "98979", [order(f"O{i}") for i in range(0, 200, 2)])
    batch = [  # new and known orders interleaved over many shards; O4 changes
        order(f"O{i}", "Shipped") if i == 4 else order(f"O{i}") for i in range(200)
    ]
    res = store.upsert_orders(integ_id, "98979", batch)
    assert (res.imported, res.updated, res.unchanged) == (100, 1, 99)
    assert res.changed_ids == ["O1", "O3", "O4", *(f"O{i}" for i in range(5, 200, 2))]
    fresh = Store(tmp_path)
    assert {r.order_id for r in fresh.orders()} == {f"O{i}" for i in range(200)}
    assert fresh.order("O4").marketplace_status == "Shipped"
    for i in (1, 4, 199):
        doc = orjson.loads(shard_path(store, integ_id, f"O{i}").read_bytes())
        assert f"O{i}" in doc["orders"]


def test_noop_upsert_writes_nothing(store: Store, integ_id: str, tmp_path: Path) -> None:
    orders = [order(f"O{i}") for i in range(300)]
    store.upsert_orders(integ_id, "98979", orders)
    before = data_files(tmp_path)
    again = [order(f"O{i}") for i in range(300)]  # equal documents, new objects
    res = store.upsert_orders(integ_id, "98979", again)
    assert (res.imported, res.updated, res.unchanged) == (0, 0, 300)
    assert data_files(tmp_path) == before
    # also from a fresh process's view of the same files
    res = Store(tmp_path).upsert_orders(integ_id, "98979", again)
    assert res.unchanged == 300
    assert data_files(tmp_path) == before


def test_one_change_rewrites_one_order_file(store: Store, integ_id: str, tmp_path: Path) -> None:
    store.upsert_orders(integ_id, "1", [order(f"O{i}") for i in range(300)])
    before = data_files(tmp_path)
    store.update_order("O7", lambda r: r.model_copy(update={"error": "boom"}))
    after = data_files(tmp_path)
    changed = sorted(name for name in after if before.get(name) != after[name])
    # the order file and the rows file beside it; not the sync index (only a sync's
    # upserts bring it up to date)
    written = shard_path(store, integ_id, "O7").relative_to(tmp_path)
    assert changed == [str(written), str(written.with_suffix(".rows"))]


def test_update_keeps_local_fields_and_recomputes_state(store: Store, integ_id: str) -> None:
    store.upsert_orders(integ_id, "1", [order("A")])
    store.update_order("A", with_label)
    assert store.order("A").state == State.LABELLED

    res = store.upsert_orders(integ_id, "1", [order("A", "Cancelled", updated="2026-11-27T08:00Z")])
    assert res.updated == 1
    rec = store.order("A")
    assert rec.label is not None and rec.label.tracking_number == "6A123"
    assert rec.push is not None and rec.push.status == PushStatus.PENDING
    assert rec.first_seen_at == NOW
    assert rec.state == State.CANCELLED
    assert rec.attention == CANCELLED_LABEL_ATTENTION


def test_orders_filters_counts_and_pending_pushes(store: Store, integ_id: str) -> None:
    other = store.add_integration(name="Other", seller_id="2", login="o").id
    store.upsert_orders(integ_id, "1", [order("A"), order("B"), order("W", "WaitingAcceptance")])
    store.upsert_orders(other, "2", [order("X"), order("Y", "Cancelled")])
    store.update_order("B", with_label)

    assert [r.order_id for r in store.orders()] == ["A", "B", "W", "X", "Y"]
    assert [r.order_id for r in store.orders(integration_id=other)] == ["X", "Y"]
    assert [r.order_id for r in store.orders(state=State.TO_SHIP)] == ["A", "X"]
    assert [r.order_id for r in store.orders(integration_id=integ_id, state=State.TO_SHIP)] == ["A"]
    assert [r.order_id for r in store.pending_pushes()] == ["B"]
    counts = store.counts()
    assert counts["to_ship"] == 2 and counts["labelled"] == 1
    assert counts["waiting_acceptance"] == 1 and counts["cancelled"] == 1
    assert counts["delivered"] == 0 and set(counts) == {s.value for s in State}
    assert store.counts(other)["to_ship"] == 1


def test_orders_list_reflects_every_change(store: Store, integ_id: str) -> None:
    store.upsert_orders(integ_id, "1", [order("A"), order("B")])
    assert {r.state for r in store.orders()} == {State.TO_SHIP}
    store.update_order("A", with_label)
    assert {r.order_id: r.state for r in store.orders()} == {
        "A": State.LABELLED,
        "B": State.TO_SHIP,
    }


# ---------------------------------------------------------------- update_order


def test_update_order_claim_and_release(store: Store, integ_id: str) -> None:
    store.upsert_orders(integ_id, "1", [order("A")])

    def claim(rec: OrderRecord) -> OrderRecord | None:
        if rec.claim is not None:
            return None
        rec.claim = LabelClaim(owner="me", at=NOW, external_reference_id="ref")
        return rec

    claimed = store.update_order("A", claim)
    assert claimed.state == State.LABEL_PENDING
    assert store.order("A").claim is not None
    # a second claim sees the first one and changes nothing
    assert store.update_order("A", claim).claim.owner == "me"
    assert store.order("A").state == State.LABEL_PENDING


def test_update_order_none_or_exception_writes_nothing(
    store: Store, integ_id: str, tmp_path: Path
) -> None:
    store.upsert_orders(integ_id, "1", [order("A")])
    before = data_files(tmp_path)
    assert store.update_order("A", lambda r: None).order_id == "A"
    assert store.update_order("A", lambda r: r).order_id == "A"  # unchanged copy
    store.update_integration(integ_id, lambda i: i)

    def fail(rec: OrderRecord) -> OrderRecord:
        rec.error = "half-done"
        raise RuntimeError("label purchase failed")

    with pytest.raises(RuntimeError):
        store.update_order("A", fail)
    assert data_files(tmp_path) == before
    assert store.order("A").error is None


def test_update_order_refuses_to_move_an_order(store: Store, integ_id: str) -> None:
    store.upsert_orders(integ_id, "1", [order("A")])
    with pytest.raises(ValueError, match="cannot change"):
        store.update_order("A", lambda r: r.model_copy(update={"order_id": "B"}))
    with pytest.raises(NotFoundLocally, match="no order Z"):
        store.update_order("Z", lambda r: r)
    with pytest.raises(NotFoundLocally):
        store.order("Z")
    assert store.find_order("Z") is None


def test_returned_records_are_copies(store: Store, integ_id: str) -> None:
    store.upsert_orders(integ_id, "1", [order("A")])
    rec = store.order("A")
    rec.error = "local change"
    rec.order.lines[0].status = "Shipped"
    assert store.order("A").error is None
    assert store.order("A").order.lines[0].status == "InPreparation"


def test_data_survives_reopening(store: Store, integ_id: str, tmp_path: Path) -> None:
    store.upsert_orders(integ_id, "98979", [order("A", lines=3), order("B")])
    store.update_order("A", with_label)
    again = Store(tmp_path)
    assert again.order("A") == store.order("A")
    assert again.order("A").order == order("A", lines=3)
    assert [r.order_id for r in again.orders()] == ["A", "B"]


# ---------------------------------------------------------------- damaged files


def damage_and_check(path: Path, content: bytes, action: Callable[[], Any]) -> str:
    path.write_bytes(content)
    with pytest.raises(StoreError) as err:
        action()
    assert path.read_bytes() == content  # never overwritten
    message = str(err.value)
    assert str(path) in message and "damaged" in message and "left untouched" in message
    return message


@pytest.mark.parametrize(
    "content",
    [b"", b'{"orders": {"A": {"order_id": "A"', b"[]", b'{"orders": []}', b'{"other": {}}'],
)
def test_damaged_order_file_stops_reads_and_writes(
    store: Store, integ_id: str, tmp_path: Path, content: bytes
) -> None:
    store.upsert_orders(integ_id, "1", [order("A")])
    path = shard_path(store, integ_id, "A")
    damage_and_check(path, content, lambda: store.orders())
    damage_and_check(path, content, lambda: store.upsert_orders(integ_id, "1", [order("A")]))
    damage_and_check(path, content, lambda: Store(tmp_path).order("A"))


def test_invalid_record_is_reported_with_its_order(
    store: Store, integ_id: str, tmp_path: Path
) -> None:
    store.upsert_orders(integ_id, "1", [order("A")])
    path = shard_path(store, integ_id, "A")
    data = orjson.loads(path.read_bytes())
    data["orders"]["A"]["order"]["status"] = None
    message = damage_and_check(path, orjson.dumps(data), lambda: store.order("A"))
    assert "order A" in message and "order.status" in message
    damage_and_check(path, orjson.dumps(data), lambda: store.update_order("A", with_label))


def test_damaged_meta_stops_opening(store: Store, integ_id: str, tmp_path: Path) -> None:
    meta = store.data_dir / "meta.json"
    for content in (b"{garbage", b'{"store": {}}', b'{"store": {"meta": {"schema_version": "1"}}}'):
        damage_and_check(meta, content, lambda: Store(tmp_path))
    damage_and_check(meta, b"{garbage", lambda: store.integrations())


def test_missing_meta_with_orders_is_refused(store: Store, integ_id: str, tmp_path: Path) -> None:
    store.upsert_orders(integ_id, "1", [order("A")])
    (store.data_dir / "meta.json").unlink()
    with pytest.raises(StoreError, match=r"meta\.json is missing while order files exist"):
        Store(tmp_path)
    assert not (store.data_dir / "meta.json").exists()


# ---------------------------------------------------------------- crash leftovers


def test_leftover_temp_files_are_ignored_and_cleaned(
    store: Store, integ_id: str, tmp_path: Path
) -> None:
    store.upsert_orders(integ_id, "1", [order("A")])
    path = shard_path(store, integ_id, "A")
    torn = path.with_name(f".{path.name}.1234.abcd.tmp")
    torn.write_bytes(b'{"orders": {"A": {"ord')  # a writer killed mid-write
    reopened = Store(tmp_path)
    assert not torn.exists()
    assert reopened.order("A").order_id == "A"


def test_orphan_order_folder_of_deleted_integration_is_removed(
    store: Store, integ_id: str, tmp_path: Path
) -> None:
    store.upsert_orders(integ_id, "1", [order("A")])
    keep = store.data_dir / "orders" / integ_id
    # a process that crashed between removing the integration and its files
    orphan = store.data_dir / "orders" / "0"
    keep.rename(orphan)
    (store.data_dir / "orders" / integ_id).mkdir()
    Store(tmp_path)
    assert not orphan.exists()


@pytest.mark.parametrize("fail_on", ["write", "fsync", "replace"])
def test_failed_write_leaves_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_on: str
) -> None:
    path = tmp_path / "f.json"
    path.write_bytes(b"old")
    real = getattr(os, fail_on)

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, fail_on, crash)
    with pytest.raises(OSError):
        atomic_write(path, b"new content")
    monkeypatch.setattr(os, fail_on, real)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_disk_full_is_a_store_error_and_nothing_changes(
    store: Store, integ_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.upsert_orders(integ_id, "1", [order("A")])
    before = data_files(tmp_path)

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tinyfile, "atomic_write", full)
    with pytest.raises(StoreError, match=r"Could not write the store file .*No space left"):
        store.update_order("A", with_label)
    with pytest.raises(StoreError, match="No space left"):
        store.upsert_orders(integ_id, "1", [order("B")])
    monkeypatch.undo()
    assert data_files(tmp_path) == before
    assert store.order("A").label is None
    assert store.find_order("B") is None
    # and the store works again once the disk has room
    store.update_order("A", with_label)
    assert Store(tmp_path).order("A").state == State.LABELLED


# ---------------------------------------------------------------- schema


def test_new_store_records_schema_version(store: Store) -> None:
    meta = orjson.loads((store.data_dir / "meta.json").read_bytes())
    assert meta["store"]["meta"]["schema_version"] == SCHEMA_VERSION


def test_store_from_newer_cdtui_is_refused(store: Store, tmp_path: Path) -> None:
    meta_path = store.data_dir / "meta.json"
    meta = orjson.loads(meta_path.read_bytes())
    meta["store"]["meta"]["schema_version"] = SCHEMA_VERSION + 1
    meta_path.write_bytes(orjson.dumps(meta))
    before = data_files(tmp_path)
    with pytest.raises(StoreError, match=r"newer cdtui .*Upgrade cdtui"):
        Store(tmp_path)
    # a running cdtui that sees the upgrade stops too
    with pytest.raises(StoreError, match="newer cdtui"):
        store.integrations()
    assert data_files(tmp_path) == before


def test_older_store_is_backed_up_and_migrated(
    store: Store, integ_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.upsert_orders(integ_id, "98979", [order("A"), order("B")])
    old_meta = (store.data_dir / "meta.json").read_bytes()
    seen: list[Path] = []

    def v1_to_v2(data_dir: Path) -> None:
        # e.g. a new field filled in on every integration
        meta = files.read_json(data_dir / "meta.json")
        for integ in meta["integrations"].values():
            integ["shop_name"] = "migrated"
        files.write_json(data_dir / "meta.json", meta)
        seen.append(data_dir)

    monkeypatch.setattr(meta_mod, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setattr(meta_mod, "MIGRATIONS", {SCHEMA_VERSION: v1_to_v2})
    upgraded = Store(tmp_path, clock=lambda: NOW)
    assert seen == [store.data_dir]
    assert upgraded.integration(integ_id).shop_name == "migrated"
    assert [r.order_id for r in upgraded.orders()] == ["A", "B"]
    meta = orjson.loads((store.data_dir / "meta.json").read_bytes())
    assert meta["store"]["meta"]["schema_version"] == SCHEMA_VERSION + 1
    backup = store.data_dir / "backups" / f"v{SCHEMA_VERSION}-20261126T100000"
    assert (backup / "meta.json").read_bytes() == old_meta
    assert len(list((backup / "orders").rglob("*.json"))) >= 1
    # opening again does not migrate twice
    Store(tmp_path)
    assert len(seen) == 1


def test_missing_migration_is_refused(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(meta_mod, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setattr(meta_mod, "MIGRATIONS", {})
    with pytest.raises(StoreError, match="cannot upgrade a store at schema"):
        Store(tmp_path)


# ---------------------------------------------------------------- layout


def test_files_are_private_and_orders_are_sharded(
    store: Store, integ_id: str, tmp_path: Path
) -> None:
    store.upsert_orders(integ_id, "1", [order(f"O{i}") for i in range(500)])
    files = list((store.data_dir / "orders" / integ_id).glob("*.json"))
    assert len(files) == DEFAULT_SHARDS
    assert max(len(orjson.loads(f.read_bytes())["orders"]) for f in files) < 30
    for f in [*files, store.data_dir / "meta.json"]:
        assert f.stat().st_mode & 0o077 == 0


def test_meta_removed_while_running_is_reported(store: Store, integ_id: str) -> None:
    (store.data_dir / "meta.json").unlink()
    with pytest.raises(StoreError, match=r"meta\.json disappeared while cdtui was running"):
        store.integrations()
    with pytest.raises(StoreError, match="disappeared"):
        store.add_integration(name="New", seller_id="1", login="x")
    assert not (store.data_dir / "meta.json").exists()


def test_unusable_data_folder_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a folder")
    with pytest.raises(StoreError, match="Could not create the data folder"):
        Store(tmp_path)


def test_interrupted_migration_keeps_the_first_backup_and_resumes(
    store: Store, integ_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = (store.data_dir / "meta.json").read_bytes()
    attempts: list[int] = []

    def step(data_dir: Path) -> None:
        meta = files.read_json(data_dir / "meta.json")
        meta["integrations"][integ_id]["shop_name"] = "half-migrated"
        files.write_json(data_dir / "meta.json", meta)
        attempts.append(1)
        if len(attempts) == 1:
            raise KeyboardInterrupt  # the process dies mid-migration

    monkeypatch.setattr(meta_mod, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setattr(meta_mod, "MIGRATIONS", {SCHEMA_VERSION: step})
    with pytest.raises(KeyboardInterrupt):
        Store(tmp_path, clock=lambda: NOW)
    upgraded = Store(tmp_path, clock=lambda: NOW)
    assert upgraded.integration(integ_id).shop_name == "half-migrated"
    backups = sorted((store.data_dir / "backups").iterdir())
    assert [b.name for b in backups] == [
        f"v{SCHEMA_VERSION}-20261126T100000",
        f"v{SCHEMA_VERSION}-20261126T100000-2",
    ]
    assert (backups[0] / "meta.json").read_bytes() == original


def test_cached_records_share_their_fields_sets(
    store: Store, integ_id: str, tmp_path: Path
) -> None:
    """The memory saving covers every model of a record (update this walk with models.py)."""
    from pydantic import BaseModel

    store.upsert_orders(integ_id, "1", [order("A", lines=2), order("B")])
    store.update_order("A", with_label)
    for source in (store, Store(tmp_path)):  # imported here, and read back from the file
        for rec in source.orders():
            stack: list[BaseModel] = [rec]
            seen = 0
            while stack:
                model = stack.pop()
                seen += 1
                full = fastmodels._ALL_FIELDS.get(type(model))
                if model.model_fields_set == set(type(model).model_fields):
                    assert model.__pydantic_fields_set__ is full, type(model).__name__
                for value in model.__dict__.values():
                    items = value if isinstance(value, list) else [value]
                    stack.extend(v for v in items if isinstance(v, BaseModel))
            assert seen >= 8


def test_an_invalid_record_stops_every_write_to_its_file(
    store: Store, integ_id: str, tmp_path: Path
) -> None:
    """Orders read from a file are validated when they are needed, but always before the
    file is written again: a neighbour's write is refused and the file kept as it is."""
    index = shard_index("A", DEFAULT_SHARDS)
    neighbour = next(f"N{i}" for i in range(1000) if shard_index(f"N{i}", DEFAULT_SHARDS) == index)
    store.upsert_orders(integ_id, "1", [order("A"), order(neighbour)])
    path = shard_path(store, integ_id, "A")
    data = orjson.loads(path.read_bytes())
    data["orders"][neighbour]["order"]["status"] = None
    damaged = orjson.dumps(data)
    fresh = Store(tmp_path)  # another process, reading the file from now on
    path.write_bytes(damaged)
    assert fresh.orders_in_work() == []  # nothing there needs the damaged order
    message = damage_and_check(path, damaged, lambda: fresh.update_order("A", with_label))
    assert f"order {neighbour}" in message
    damage_and_check(path, damaged, lambda: fresh.orders())
