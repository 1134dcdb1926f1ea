"""The tracking queue after an outage: every pending update is tried on its own, a
failed import does not keep them waiting, and "unreachable" never waits an hour."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from enginekit import Clock

from cdtui.engine import Engine
from cdtui.models import OrderRecord
from cdtui.orders.enums import PushStatus
from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer

OCTOPIA_DOWN = {"fail_next": 1000, "fail_status": 503, "fail_api": "octopia"}


async def _pending(engine: Engine, sandbox: SandboxServer, kinds: list[str]) -> list[str]:
    """Labels whose tracking update could not be sent (Octopia down meanwhile)."""
    await engine.sync()
    ids = sorted(sandbox.world.showcase[k] for k in kinds)
    sandbox.world.faults.update(OCTOPIA_DOWN)
    for order_id in ids:
        outcome = await engine.create_label(order_id)
        assert outcome.ok and not outcome.tracking_sent
    sandbox.world.faults.reset()
    return ids


def _status(engine: Engine, order_id: str) -> PushStatus:
    push = engine.order(order_id).push
    assert push is not None
    return push.status


async def test_one_unreachable_update_does_not_hold_back_the_others(
    sandbox: SandboxServer, engine_factory: Callable[..., Engine], clock: Clock
) -> None:
    engine = engine_factory(sandbox, clock=clock, octopia_timeout=0.3)
    await engine.connect(name="Demo", seller_id=data.SELLER_ID, login=data.SELLER_LOGIN)
    first, *others = await _pending(engine, sandbox, ["home_thd", "home_nthd", "home_shd"])
    # the first order's calls time out (a storm on one path); the others go through
    sandbox.world.faults.update({"slow_ms": 1500, "slow_paths": [first], "slow_before": True})
    [report] = await engine.sync(manual=True)
    sandbox.world.faults.reset()
    assert _status(engine, first) == PushStatus.PENDING
    assert [_status(engine, o) for o in others] == [PushStatus.SENT, PushStatus.SENT]
    assert report.tracking_sent == 2 and any(
        first in e or "not sent yet" in e for e in report.errors
    )


async def test_a_failed_import_does_not_keep_tracking_updates_waiting(
    connected: Engine, sandbox: SandboxServer, clock: Clock
) -> None:
    ids = await _pending(connected, sandbox, ["home_thd", "home_nthd"])
    # the order listing fails for good (every retry), then Octopia answers again
    sandbox.world.faults.update({"fail_next": 6, "fail_status": 503, "fail_api": "octopia"})
    [report] = await connected.sync(manual=True)
    assert report.errors and "unavailable" in report.errors[0].lower()
    assert report.imported == 0
    assert [_status(connected, o) for o in ids] == [PushStatus.SENT, PushStatus.SENT]


async def test_an_unreachable_octopia_never_delays_an_update_beyond_the_sync_interval(
    connected: Engine, sandbox: SandboxServer, clock: Clock
) -> None:
    [order_id] = await _pending(connected, sandbox, ["home_thd"])

    def many_attempts(rec: OrderRecord) -> OrderRecord:
        assert rec.push is not None
        rec.push.attempts = 9  # the backoff alone would be an hour now
        return rec

    connected.store.update_order(order_id, many_attempts)
    sandbox.world.faults.update(OCTOPIA_DOWN)
    await connected.sync(manual=True)
    sandbox.world.faults.reset()
    push = connected.order(order_id).push
    assert push and push.status == PushStatus.PENDING and push.next_attempt_at
    interval = timedelta(seconds=connected.settings.sync_interval)
    assert push.next_attempt_at - clock() <= interval
    # after the outage, the next timer sync (one interval later) sends it
    clock.advance(seconds=connected.settings.sync_interval + 1)
    await connected.sync()
    assert _status(connected, order_id) == PushStatus.SENT


async def test_a_store_that_cannot_be_written_after_a_purchase_says_a_label_was_bought(
    connected: Engine, sandbox: SandboxServer
) -> None:
    """The disk fails between "label bought" and "saved": the message says a label was
    bought (with its tracking number) so nobody buys another, and the next run adopts it
    and sends its tracking once."""
    import asyncio
    import shutil

    import pytest

    from cdtui.errors import StoreError
    from cdtui.storage.store import shard_index

    await connected.sync()
    order_id = sandbox.world.showcase["home_thd"]
    shard = connected.settings.home / "data" / "orders" / "1"
    path = shard / f"{shard_index(order_id, 64):03d}.json"
    assert path.is_file()
    sandbox.world.faults.update({"slow_ms": 300, "slow_paths": ["/shipments/announce"]})
    task = asyncio.create_task(connected.create_label(order_id))
    while sandbox.world.stats["announced"] == 0:  # noqa: ASYNC110 - another thread's counter
        await asyncio.sleep(0.01)
    saved = path.with_suffix(".saved")
    path.rename(saved)
    path.mkdir()  # the store file cannot be read nor replaced any more
    with pytest.raises(StoreError) as err:
        await task
    sandbox.world.faults.reset()
    [shipment] = [
        s for s in sandbox.world.shipments.values() if order_id in (s.external_reference_id or "")
    ]
    tracking = shipment.parcels[0].tracking_number
    assert "A label WAS bought" in err.value.message and tracking in err.value.message
    assert "Do not buy another" in err.value.message
    shutil.rmtree(path)
    saved.rename(path)
    await connected.sync()  # the claim left behind is settled: the label is adopted
    rec = connected.order(order_id)
    assert rec.label and rec.label.tracking_number == tracking
    assert rec.push and rec.push.status == PushStatus.SENT
    assert (
        len(
            [
                s
                for s in sandbox.world.shipments.values()
                if order_id in (s.external_reference_id or "")
            ]
        )
        == 1
    )
