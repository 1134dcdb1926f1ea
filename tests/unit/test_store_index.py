"""The sync index (``cdtui/storage/index.py``): a cron sync that finds nothing new reads
no order file and writes none, and the index never makes the store lose an update —
missing, damaged, stale (a crash between the order files and the index, a file written
by something else) or inside a transaction, it is only a slower path."""

from __future__ import annotations

import logging
import random
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from store_reads import order_files_read

from cdtui.models import LabelInfo, Order, OrderRecord
from cdtui.orders.summary import OrderSummary
from cdtui.storage import fastmodels
from cdtui.storage import index as index_mod
from cdtui.storage.files import write_json
from cdtui.storage.store import KnownOrder, Store, UpsertResult, shard_index

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
SHARDS = 8


def order(order_id: str, status: str = "InPreparation", updated: str = "10:12:40") -> Order:
    return Order.model_validate(
        {
            "orderId": order_id,
            "reference": f"REF-{order_id}",
            "salesChannel": {"id": "CDISFR", "name": "Cdiscount"},
            "createdAt": "2026-11-26T09:58:02Z",
            "updatedAt": f"2026-11-26T{updated}Z",
            "status": status,
            "lines": [
                {
                    "orderLineId": "1",
                    "status": status,
                    "quantity": 1,
                    "offer": {"sellerProductId": "SKU-1"},
                    "shippingAddress": {"firstName": "Camille", "countryCode": "FR"},
                }
            ],
        }
    )


def labelled(rec: OrderRecord) -> OrderRecord:
    rec.label = LabelInfo(
        external_reference_id=rec.external_reference_id(), shipment_id="s1", created_at=NOW
    )
    return rec


IDS = [f"O{i}" for i in range(60)]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    store = Store(tmp_path, clock=lambda: NOW, shards=SHARDS)
    store.add_integration(name="Shop", seller_id="98979", login="demo")
    store.upsert_orders("1", "98979", store.prepare_orders("1", "98979", map(order, IDS)))
    return tmp_path


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the order files read from now on."""
    return order_files_read(monkeypatch)


def files(home: Path) -> dict[str, tuple[int, int, int]]:
    return {
        str(p.relative_to(home)): (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size)
        for p in (home / "data" / "orders").rglob("*")
        if p.is_file()
    }


def shard_of(home: Path, order_id: str) -> Path:
    return home / "data" / "orders" / "1" / f"{shard_index(order_id, SHARDS):03d}.json"


def counts(result: UpsertResult) -> tuple[int, int, int]:
    return result.imported, result.updated, result.unchanged


def without_index(home: Path, tmp_path: Path, batch: list[Order]) -> tuple[Any, ...]:
    """What the same upsert gives on a copy of the store with no index (the oracle)."""
    copy = tmp_path / "oracle"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(home / "data", copy / "data")
    for idx in (copy / "data" / "orders").glob("*/index"):
        idx.unlink()
    store = Store(copy, clock=lambda: NOW)
    result = store.upsert_orders("1", "98979", batch)
    return counts(result), {r.order_id: r for r in store.orders()}


# ---------------------------------------------------------------- the cron sync


def test_a_sync_that_finds_nothing_new_reads_no_order_file_and_writes_none(
    home: Path, reads: list[str]
) -> None:
    before = files(home)
    fresh = Store(home, clock=lambda: NOW)  # a cron `cdtui sync`
    result = fresh.upsert_orders("1", "98979", [order(i) for i in IDS[:30]])
    assert counts(result) == (0, 0, 30)
    assert fresh.orders_in_work(integration_id="1") == []
    assert fresh.damaged("1") == []
    assert reads == [] and files(home) == before


def test_orders_the_index_holds_as_they_are_are_not_made_records(
    home: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a sync that finds nothing new saves: no summary, state or record JSON is
    made for an order the index already holds as it is; a changed or new one is."""
    summarized: list[str] = []
    real = fastmodels.summarize
    monkeypatch.setattr(
        fastmodels, "summarize", lambda o, **kw: (summarized.append(o.order_id), real(o, **kw))[1]
    )
    fresh = Store(home, clock=lambda: NOW)
    batch = [order(i) for i in IDS[:30]] + [order("O3", "Shipped", "11:00:00"), order("N1")]
    prepared = fresh.prepare_orders("1", "98979", batch)
    assert sorted(summarized) == ["N1", "O3"]
    assert sum(isinstance(p, KnownOrder) for p in prepared) == 30
    result = fresh.upsert_orders("1", "98979", prepared)
    assert counts(result) == (1, 1, 29)  # O3 is there twice: the last copy wins
    assert Store(home).order("O3").marketplace_status == "Shipped"
    assert reads and set(reads) <= {shard_of(home, i).name for i in ("O3", "N1")}


def test_a_known_order_whose_file_changed_before_the_upsert_is_compared_for_real(
    home: Path,
) -> None:
    """Prepared as known, then another process writes its file (a label saved) before
    this one's upsert: the order is checked again under the lock, nothing is lost."""
    syncing = Store(home, clock=lambda: NOW)
    prepared = syncing.prepare_orders("1", "98979", [order(i) for i in IDS])
    assert all(isinstance(p, KnownOrder) for p in prepared)
    Store(home).update_order("O5", labelled)  # the other process
    newer = order("O6", "Shipped", "11:00:00")  # and a change on the marketplace
    prepared += syncing.prepare_orders("1", "98979", [newer])
    result = syncing.upsert_orders("1", "98979", prepared)
    assert counts(result) == (0, 1, len(IDS) - 1)
    fresh = Store(home)
    assert fresh.order("O5").label is not None and fresh.order("O6").marketplace_status == "Shipped"
    assert {r.order_id for r in fresh.orders()} == set(IDS)


def test_only_the_files_of_changed_and_new_orders_are_read(home: Path, reads: list[str]) -> None:
    fresh = Store(home, clock=lambda: NOW)
    batch = [order(i) for i in IDS[:30]] + [order("O3", "Shipped", "11:00:00"), order("N1")]
    result = fresh.upsert_orders("1", "98979", batch)
    assert counts(result) == (1, 1, 29)
    assert sorted(set(reads)) == sorted({shard_of(home, i).name for i in ("O3", "N1")})
    assert Store(home).order("O3").marketplace_status == "Shipped"
    reads.clear()
    again = Store(home, clock=lambda: NOW).upsert_orders("1", "98979", batch)
    assert counts(again) == (0, 0, 31) and reads == []  # the index followed the writes


def test_orders_in_work_reads_only_the_files_holding_some(home: Path, reads: list[str]) -> None:
    Store(home).update_order("O5", labelled)  # a label save: its file's group goes stale
    reads.clear()
    fresh = Store(home)
    assert [r.order_id for r in fresh.orders_in_work()] == ["O5"]
    assert reads == [shard_of(home, "O5").name]
    # the next sync reads that file once and makes its group again: O5 is in work
    Store(home, clock=lambda: NOW).upsert_orders("1", "98979", list(map(order, IDS)))
    reads.clear()
    assert [r.order_id for r in Store(home).orders_in_work()] == ["O5"]
    assert reads == [shard_of(home, "O5").name]
    Store(home).update_order("O5", lambda r: r.model_copy(update={"label": None}))
    Store(home, clock=lambda: NOW).upsert_orders("1", "98979", list(map(order, IDS)))
    reads.clear()
    assert Store(home).orders_in_work() == [] and reads == []


def test_a_label_save_writes_its_order_file_only(home: Path, reads: list[str]) -> None:
    """The index is the sync's: a label save does not rewrite it (its file's group is
    left stale, ignored by the stamp rule), the next sync reads that one file. (The
    rows file beside the order file, its summaries for list views, is written too.)"""
    before = files(home)
    Store(home).update_order("O5", labelled)
    after = files(home)
    written = shard_of(home, "O5").relative_to(home)
    assert sorted(name for name in after if before.get(name) != after[name]) == [
        str(written),
        str(written.with_suffix(".rows")),
    ]
    reads.clear()
    result = Store(home, clock=lambda: NOW).upsert_orders("1", "98979", list(map(order, IDS)))
    assert counts(result) == (0, 0, len(IDS)) and reads == [shard_of(home, "O5").name]
    reads.clear()
    result = Store(home, clock=lambda: NOW).upsert_orders("1", "98979", list(map(order, IDS)))
    assert counts(result) == (0, 0, len(IDS)) and reads == []


# ---------------------------------------------------------------- never an update lost


def test_a_file_changed_behind_the_index_is_compared_for_real(
    home: Path, tmp_path: Path, reads: list[str]
) -> None:
    """An older cdtui (or a hand edit) rewrote an order file without the index: its group
    no longer matches the file's stamp, so the marketplace's copy is compared with what
    the file holds — here it differs, and the marketplace's copy is stored."""
    path = shard_of(home, "O7")
    data = orjson.loads(path.read_bytes())
    data["orders"]["O7"]["order"]["status"] = "Shipped"
    data["orders"]["O7"]["summary"][1 + OrderSummary._fields.index("marketplace_status")] = (
        "Shipped"
    )
    write_json(path, data)
    batch = [order(i) for i in IDS]
    oracle = without_index(home, tmp_path, batch)
    fresh = Store(home, clock=lambda: NOW)
    result = fresh.upsert_orders("1", "98979", batch)
    assert (counts(result), {r.order_id: r for r in fresh.orders()}) == oracle
    assert counts(result) == (0, 1, 59)
    assert Store(home).order("O7").marketplace_status == "InPreparation"
    reads.clear()  # the group was made again: the next sync reads nothing
    assert counts(Store(home).upsert_orders("1", "98979", batch)) == (0, 0, 60) and not reads


def test_a_crash_between_the_order_files_and_the_index(
    home: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The order file is written, the index is not (the process dies, or the disk is
    full): the write still succeeds, and the next sync compares that file for real."""
    store = Store(home, clock=lambda: NOW)

    def dies(self: index_mod.OrderIndex) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(index_mod.OrderIndex, "save", dies)
    with caplog.at_level(logging.WARNING):
        changed = store.upsert_orders("1", "98979", [order("O9", "Shipped", "12:00:00")])
    assert changed.updated == 1 and "could not write the sync index" in caplog.text
    monkeypatch.undo()
    fresh = Store(home, clock=lambda: NOW)
    back = fresh.upsert_orders("1", "98979", [order("O9")])  # the marketplace changed back
    assert counts(back) == (0, 1, 0)
    assert Store(home).order("O9").marketplace_status == "InPreparation"
    same = Store(home, clock=lambda: NOW).upsert_orders("1", "98979", [order("O9")])
    assert counts(same) == (0, 0, 1)


@pytest.mark.parametrize("content", [b"", b"{garbage", b"[]", b'{"version": 99, "shards": {}}'])
def test_a_missing_or_damaged_index_is_rebuilt_from_the_order_files(
    home: Path, reads: list[str], content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    path = home / "data" / "orders" / "1" / "index"
    path.write_bytes(content)
    batch = [order(i) for i in IDS[:10]]
    with caplog.at_level(logging.WARNING):
        assert counts(Store(home, clock=lambda: NOW).upsert_orders("1", "98979", batch)) == (
            0,
            0,
            10,
        )
    assert "sync index" in caplog.text
    assert len(set(reads)) == SHARDS  # every file read once, to make its group again
    reads.clear()
    assert counts(Store(home).upsert_orders("1", "98979", batch)) == (0, 0, 10) and not reads
    path.unlink()
    assert counts(Store(home).upsert_orders("1", "98979", batch)) == (0, 0, 10)
    assert path.exists()


def test_inside_a_transaction_staged_changes_win_over_the_index(home: Path) -> None:
    store = Store(home, clock=lambda: NOW)
    with store._locked():
        store.update_order("O4", lambda r: r.model_copy(update={"order": order("O4", "Shipped")}))
        result = store.upsert_orders("1", "98979", [order("O4")])
    assert counts(result) == (0, 1, 0)
    assert Store(home).order("O4").marketplace_status == "InPreparation"


def test_another_process_writes_are_seen_through_the_index(home: Path) -> None:
    a = Store(home, clock=lambda: NOW)
    b = Store(home, clock=lambda: NOW)
    assert counts(a.upsert_orders("1", "98979", [order("O1")])) == (0, 0, 1)
    b.upsert_orders("1", "98979", [order("O1", "Shipped", "13:00:00")])
    assert counts(a.upsert_orders("1", "98979", [order("O1", "Shipped", "13:00:00")])) == (0, 0, 1)
    assert counts(a.upsert_orders("1", "98979", [order("O1")])) == (0, 1, 0)
    assert b.order("O1").marketplace_status == "InPreparation"


# ---------------------------------------------------------------- damage


def test_a_damaged_record_is_reported_by_every_sync(home: Path, reads: list[str]) -> None:
    """A file changed since the index was written is read and checked; one holding a
    damaged record never gets a group, so every sync reads it and reports it again."""
    path = shard_of(home, "O2")
    data = orjson.loads(path.read_bytes())
    data["orders"]["O2"]["order"] = "garbage"
    path.write_bytes(orjson.dumps(data))
    others = [order(i) for i in IDS if shard_of(home, i) != path]
    for _ in range(2):
        reads.clear()
        fresh = Store(home, clock=lambda: NOW)
        assert counts(fresh.upsert_orders("1", "98979", others)) == (0, 0, len(others))
        [report] = fresh.damaged("1")
        assert "damaged order O2" in report and str(path) in report
        assert set(reads) == {path.name}  # only that file, each time
    index = orjson.loads((path.parent / "index").read_bytes())
    assert str(shard_index("O2", SHARDS)) not in index["shards"]


def test_the_index_holds_what_the_files_hold(home: Path) -> None:
    """Each group: the file's stamp, its orders in work, each order's updatedAt and the
    first 8 bytes of the digest of its document as stored."""
    Store(home).update_order("O5", labelled)
    Store(home, clock=lambda: NOW).upsert_orders("1", "98979", list(map(order, IDS)))
    index = orjson.loads((home / "data" / "orders" / "1" / "index").read_bytes())
    assert index["version"] == index_mod.INDEX_VERSION
    records = {r.order_id: r for r in Store(home).orders()}
    for number, group in index["shards"].items():
        path = home / "data" / "orders" / "1" / f"{int(number):03d}.json"
        st = path.stat()
        assert group["stamp"] == [st.st_ino, st.st_mtime_ns, st.st_size]
        in_file = orjson.loads(path.read_bytes())["orders"]
        assert set(group["orders"]) == set(in_file)
        assert group["work"] == sum(records[i].label is not None for i in in_file)
        for oid, text in group["orders"].items():
            updated, digest = text.split(" ")
            assert updated == records[oid].order.updated_at.isoformat()
            assert len(digest) == 16 and int(digest, 16) >= 0


# ---------------------------------------------------------------- whatever happens


@pytest.mark.parametrize("seed", range(4))
def test_with_or_without_the_index_every_upsert_gives_the_same_result(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Random marketplace changes, labels, files rewritten behind the index, index writes
    that fail, indexes deleted, from two stores on one folder: each upsert gives exactly
    what the same upsert gives on a copy of the store without any index."""
    rng = random.Random(seed)
    stores = [Store(home, clock=lambda: NOW), Store(home, clock=lambda: NOW)]
    statuses = ["InPreparation", "Shipped", "Cancelled"]
    real_save = index_mod.OrderIndex.save

    def sometimes_fails(self: index_mod.OrderIndex) -> None:
        if rng.random() < 0.2:
            raise OSError(5, "Input/output error")
        real_save(self)

    monkeypatch.setattr(index_mod.OrderIndex, "save", sometimes_fails)
    for _ in range(25):
        step = rng.randrange(4)
        store = rng.choice(stores)
        if step == 0:
            store.update_order(rng.choice(IDS), labelled)
        elif step == 1:  # another program rewrites a file (same content, new stamp)
            path = shard_of(home, rng.choice(IDS))
            write_json(path, orjson.loads(path.read_bytes()))
        elif step == 2:
            (home / "data" / "orders" / "1" / "index").unlink(missing_ok=True)
        batch = [
            order(i, rng.choice(statuses), f"1{rng.randrange(2)}:00:00")
            for i in rng.sample(IDS, 15)
        ]
        oracle = without_index(home, tmp_path, batch)
        result = store.upsert_orders("1", "98979", batch)
        assert (counts(result), {r.order_id: r for r in Store(home).orders()}) == oracle
