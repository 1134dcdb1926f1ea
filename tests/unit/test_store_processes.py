"""The store shared by several processes: no lost update, one claim wins, crash safety."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cdtui.errors import StoreError
from cdtui.models import LabelClaim, Order, OrderRecord
from cdtui.orders.enums import State
from cdtui.storage.store import Store

ctx = multiprocessing.get_context("fork")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def order(order_id: str, updated: str = "2026-11-26T10:00:00Z") -> Order:
    return Order.model_validate(
        {
            "orderId": order_id,
            "updatedAt": updated,
            "status": "InPreparation",
            "salesChannel": {"id": "CDISFR"},
            "lines": [
                {
                    "orderLineId": "1",
                    "status": "InPreparation",
                    "offer": {"sellerProductId": "SKU-1", "productTitle": "x" * 400},
                    "shippingAddress": {"postalCode": "75002", "countryCode": "FR"},
                }
            ],
        }
    )


def bump(rec: OrderRecord) -> OrderRecord:
    rec.label_generation += 1
    return rec


@pytest.fixture
def home(tmp_path: Path) -> Path:
    store = Store(tmp_path)
    store.add_integration(name="Shop", seller_id="98979", login="demo-shop")
    store.upsert_orders("1", "98979", [order("A"), *(order(f"O{i}") for i in range(200))])
    return tmp_path


def run_all(*procs: multiprocessing.process.BaseProcess, timeout: float = 60) -> None:
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout)
        assert p.exitcode == 0, f"worker exited with {p.exitcode}"


# ---------------------------------------------------------------- workers


def _bumper(home: Path, times: int) -> None:
    store = Store(home)
    for _ in range(times):
        store.update_order("A", bump)


def _resyncer(home: Path, times: int) -> None:
    store = Store(home)
    for i in range(times):
        store.upsert_orders("1", "98979", [order("A", f"2026-11-26T11:{i:02d}:00Z")])


def _claimer(home: Path, order_id: str, barrier: object, wins: object) -> None:
    store = Store(home)
    me = f"pid:{os.getpid()}"

    def claim(rec: OrderRecord) -> OrderRecord:
        if rec.claim is not None:
            raise RuntimeError(f"already claimed by {rec.claim.owner}")
        time.sleep(0.01)  # widen the window a racing process would need
        rec.claim = LabelClaim(owner=me, at=NOW, external_reference_id="ref")
        return rec

    barrier.wait()  # type: ignore[attr-defined]
    try:
        store.update_order(order_id, claim)
    except RuntimeError:
        return
    wins.put((order_id, me))  # type: ignore[attr-defined]


def _writer_forever(home: Path, wrote: Any = None) -> None:
    store = Store(home)
    i = 0
    while True:
        store.update_order("A", bump)
        if wrote is not None:
            wrote.set()
        i += 1
        store.upsert_orders("1", "98979", [order(f"O{i % 200}", f"2026-11-27T{i % 24:02d}:00:00Z")])


def _lock_holder(home: Path, held: object, seconds: float) -> None:
    with Store(home)._locked():
        held.set()  # type: ignore[attr-defined]
        time.sleep(seconds)


def _slow_writer(home: Path, held: object, seconds: float) -> None:
    """A long transaction (a sync rewriting every order file) holding the store lock."""
    store = Store(home)

    def slow(rec: OrderRecord) -> OrderRecord:
        held.set()  # type: ignore[attr-defined]
        time.sleep(seconds)
        rec.label_generation += 1
        return rec

    store.update_order("A", slow)


def _late_writer(home: Path) -> None:
    store = Store(home)
    new = store.add_integration(name="Second", seller_id="55555", login="other-shop")
    store.upsert_orders(new.id, "55555", [order("Z")])
    store.update_order("A", bump)


# ---------------------------------------------------------------- tests


def test_concurrent_updates_lose_nothing(home: Path) -> None:
    procs = [ctx.Process(target=_bumper, args=(home, 25)) for _ in range(3)]
    procs.append(ctx.Process(target=_resyncer, args=(home, 25)))
    run_all(*procs)
    rec = Store(home).order("A")
    assert rec.label_generation == 75  # every increment of every process
    assert rec.order.updated_at == datetime(2026, 11, 26, 11, 24, tzinfo=UTC)  # last resync


def test_only_one_of_racing_claims_wins(home: Path) -> None:
    order_ids = ["O1", "O2", "O3", "O4", "O5"]
    wins = ctx.Queue()
    for order_id in order_ids:
        barrier = ctx.Barrier(4)
        run_all(
            *(ctx.Process(target=_claimer, args=(home, order_id, barrier, wins)) for _ in range(4))
        )
    winners = [wins.get(timeout=5) for _ in order_ids]
    assert wins.empty()
    assert sorted(w[0] for w in winners) == order_ids  # exactly one winner per order
    store = Store(home)
    for order_id, owner in winners:
        rec = store.order(order_id)
        assert rec.claim is not None and rec.claim.owner == owner
        assert rec.state == State.LABEL_PENDING


def test_each_process_sees_the_others_writes(home: Path) -> None:
    store = Store(home)
    assert [i.id for i in store.integrations()] == ["1"]
    assert len(store.orders()) == 201  # cached now
    run_all(ctx.Process(target=_late_writer, args=(home,)))
    assert [i.name for i in store.integrations()] == ["Shop", "Second"]
    assert len(store.orders()) == 202
    assert store.order("Z").integration_id == "2"
    assert store.order("A").label_generation == 1
    assert store.counts()["to_ship"] == 202


def test_a_held_lock_ends_in_a_clear_error(home: Path) -> None:
    store = Store(home, lock_timeout=0.3)
    held = ctx.Event()
    holder = ctx.Process(target=_lock_holder, args=(home, held, 1))
    holder.start()
    try:
        assert held.wait(10)
        started = time.monotonic()
        with pytest.raises(StoreError, match=r"writing the store \(.*\) for more than 0.3s") as err:
            store.update_order("A", bump)
        assert time.monotonic() - started < 2
        assert "delete" not in err.value.message  # the message does not invite it
        assert store.order("A").label_generation == 0  # reads do not wait for the lock
    finally:
        holder.join(10)
    assert store.update_order("A", bump).label_generation == 1


def test_killed_writer_leaves_a_store_that_opens(tmp_path: Path) -> None:
    """SIGKILL a process in the middle of its writes, again and again.

    With a single order file of ~200 orders every write rewrites ~100 KB, so the kills
    land inside writes; each time the store must open with every order readable and
    the counter never going back.
    """
    store = Store(tmp_path, shards=1)
    store.add_integration(name="Shop", seller_id="98979", login="demo-shop")
    store.upsert_orders("1", "98979", [order("A"), *(order(f"O{i}") for i in range(200))])
    rng = random.Random(7)
    last = 0
    for _ in range(12):
        wrote = ctx.Event()
        writer = ctx.Process(target=_writer_forever, args=(tmp_path, wrote))
        writer.start()
        # once it has written (however slow the machine), kill it at a random instant
        # (the writer tells: opening the store here would wait for its lock)
        assert wrote.wait(30), "the writer wrote nothing in 30 s"
        time.sleep(rng.uniform(0.0, 0.2))
        os.kill(writer.pid, signal.SIGKILL)  # type: ignore[arg-type]
        writer.join(10)
        reopened = Store(tmp_path)
        count = reopened.order("A").label_generation
        assert count >= last
        last = count
        assert len(reopened.orders()) == 201
        assert not list((tmp_path / "data").rglob("*.tmp"))
    assert last >= 12  # the writer did work between kills


def test_deleting_the_lock_file_does_not_let_a_second_writer_in(home: Path) -> None:
    """An operator "fixing" a lock timeout by deleting data/.lock while a sync writes:
    the next process must still wait for the sync, not write beside it."""
    held = ctx.Event()
    writer = ctx.Process(target=_slow_writer, args=(home, held, 1.5))
    writer.start()
    try:
        assert held.wait(10)
        for path in (home / "data").glob(".lock*"):  # the lock file of older versions
            path.unlink()
        assert not list((home / "data").glob(".lock*"))
        with pytest.raises(StoreError, match=r"writing the store \(.*\) for more than"):
            Store(home, lock_timeout=0.3).update_order("A", bump)
    finally:
        writer.join(10)
    assert writer.exitcode == 0
    store = Store(home)
    assert store.order("A").label_generation == 1  # the sync's write is there
    assert store.update_order("A", bump).label_generation == 2  # and the lock works again


def test_a_writer_never_replaces_a_file_changed_since_it_read_it(home: Path) -> None:
    """Whatever happens to the lock, a writer does not erase another writer's work:
    here the first store's lock is made useless, a second store writes the same order
    file in the middle of the first one's change, and the first write is refused."""

    class NoLock:
        lock_file = "none"

        def acquire(self) -> None:
            pass

        def release(self) -> None:
            pass

    first, second = Store(home), Store(home)
    first._lock = NoLock()  # type: ignore[assignment]

    def meanwhile(rec: OrderRecord) -> OrderRecord:
        second.update_order("A", lambda r: r.model_copy(update={"error": "second"}))
        rec.label_generation += 1
        return rec

    with pytest.raises(StoreError, match="changed it since it was read; nothing was written"):
        first.update_order("A", meanwhile)
    assert first.update_order("A", bump).label_generation == 1  # fine with a fresh read
    fresh = Store(home).order("A")
    assert fresh.error == "second" and fresh.label_generation == 1
