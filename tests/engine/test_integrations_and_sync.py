"""Connect, update, disconnect and sync against the sandbox over real HTTP."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from enginekit import read_file

from cdtui.engine import Engine
from cdtui.errors import DelegationMissing, NotFoundLocally, UsageError
from cdtui.orders.enums import State
from cdtui.orders.states import SHOP_PICKUP_ATTENTION
from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer
from cdtui.sync import SyncProgress


def _order_files(home: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in (home / "data" / "orders").rglob("*.json")}


# ---------------------------------------------------------------- connect


async def test_connect_says_ready_and_lists_the_integration(engine: Engine) -> None:
    integ = await engine.connect(name="Demo", seller_id="98979", login="DEMO-SHOP")
    assert integ.login == "demo-shop" and integ.shop_name == "Demo Shop"
    assert integ.channels == "all"
    assert [i.id for i in engine.store.integrations()] == [integ.id]


async def test_connect_refuses_without_delegation_and_explains_the_steps(engine: Engine) -> None:
    with pytest.raises(DelegationMissing, match="My aggregator only needs my SellerID"):
        await engine.connect(name="X", seller_id=data.OTHER_SELLER_ID, login="other-shop")
    assert engine.store.integrations() == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"login": "someone-else"}, "does not belong"),
        ({"seller_id": "98a79"}, "digits only"),
        ({"name": "  "}, "needs a name"),
        ({"login": ""}, "login is required"),
        ({"channels": ["NOPE"]}, "not subscribed"),
        ({"channels": ["DARTFR"]}, "not subscribed"),  # subscription inactive
        ({"channels": "all,CDISFR"}, "cannot be combined"),
    ],
)
async def test_connect_bad_input_changes_nothing(
    engine: Engine, fields: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {"name": "Demo", "seller_id": "98979", "login": "demo-shop"}
    args.update(fields)
    with pytest.raises(UsageError, match=message):
        await engine.connect(**args)  # type: ignore[arg-type]
    assert engine.store.integrations() == []


async def test_connect_refuses_a_duplicate_name_or_seller(connected: Engine) -> None:
    with pytest.raises(UsageError, match="already exists"):
        await connected.connect(
            name=" demo ", seller_id=data.SECOND_SELLER_ID, login="atelier-nord"
        )
    with pytest.raises(UsageError, match="already connected"):
        await connected.connect(name="Again", seller_id=data.SELLER_ID, login="demo-shop")
    assert len(connected.store.integrations()) == 1


async def test_update_integration_checks_and_saves(connected: Engine) -> None:
    integ = await connected.update_integration(
        "1",
        name="Renamed",
        channels="CDISFR,RAKUFR",
        default_weight_kg="2,5",
        default_shipping_option="colissimo:home",
    )
    assert integ.name == "Renamed" and integ.channels == ["CDISFR", "RAKUFR"]
    stored = connected.store.integration("1")
    assert str(stored.default_weight_kg) == "2.500"
    assert stored.default_shipping_option == "colissimo:home"
    for bad in ({"channels": "DARTFR"}, {"default_weight_kg": "-1"}, {"name": ""}, {}):
        with pytest.raises(UsageError):
            await connected.update_integration("1", **bad)  # type: ignore[arg-type]
    assert connected.store.integration("1") == stored
    with pytest.raises(NotFoundLocally):
        await connected.update_integration("9", name="x")


# ---------------------------------------------------------------- sync


async def test_first_sync_imports_every_order_once_and_a_second_writes_nothing(
    connected: Engine, sandbox: SandboxServer
) -> None:
    phases: list[str] = []
    [report] = await connected.sync(progress=lambda p: phases.append(p.phase))
    world_ids = set(sandbox.world.order_ids(data.SELLER_ID))
    stored = connected.orders()
    assert report.errors == []
    assert report.imported == len(world_ids) == len(stored)
    assert {r.order_id for r in stored} == world_ids
    assert "import" in phases and phases[-1] == "done"
    ready = set(sandbox.world.ready_order_ids(data.SELLER_ID))
    # ready on the marketplace, but the buyer collects them at the shop: no label
    pickups = {r.order_id for r in stored if r.attention == SHOP_PICKUP_ATTENTION}
    assert pickups and pickups <= ready
    assert {r.order_id for r in stored if r.state == State.TO_SHIP} == ready - pickups
    integ = connected.store.integration("1")
    assert integ.last_sync_at is not None and integ.last_error is None

    before = _order_files(connected.settings.home)
    [again] = await connected.sync()
    assert (again.imported, again.updated, again.errors) == (0, 0, [])
    assert _order_files(connected.settings.home) == before  # no store rewrite


async def test_channel_selection_imports_only_those_channels(
    engine: Engine, sandbox: SandboxServer
) -> None:
    await engine.connect(
        name="Rakuten only", seller_id="98979", login="demo-shop", channels=["RAKUFR"]
    )
    await engine.sync()
    expected = {
        o["orderId"]
        for o in sandbox.world.orders(data.SELLER_ID)
        if o["salesChannel"]["id"] == "RAKUFR"
    }
    assert expected
    assert {r.order_id for r in engine.orders()} == expected


async def test_orders_changing_while_paging_are_neither_lost_nor_duplicated(
    sandbox_factory, engine_factory
) -> None:
    server = sandbox_factory(orders=450, seed=5)
    engine = engine_factory(server)
    await engine.connect(name="Demo", seller_id="98979", login="demo-shop")
    world = server.world
    changed: list[str] = []
    stamp = world.now().strftime("%Y-%m-%dT%H:%M:%SZ")

    def on_progress(p: SyncProgress) -> None:
        # after the first page: orders already read move to the end of the list (the
        # pages shift under the reader), customers cancel, new orders arrive
        if p.phase == "import" and not changed:
            oldest = sorted(world.orders(), key=lambda d: d["createdAt"])[:4]
            for doc in oldest:
                world.update_order(doc["orderId"], lambda d: d.update(createdAt=stamp))
            victims = world.ready_order_ids()[:5]
            for oid in victims:
                world.cancel_order(oid)
            changed.extend(victims)
            changed.extend(world.add_orders(7))

    [report] = await engine.sync(progress=on_progress)
    assert report.errors == []
    stored = {r.order_id: r for r in engine.orders()}
    assert set(stored) == set(world.order_ids())  # one run: nothing skipped
    await engine.sync()
    stored = {r.order_id: r for r in engine.orders()}
    docs = {o["orderId"]: o for o in world.orders(data.SELLER_ID)}
    assert set(stored) == set(docs)
    assert all(stored[i].marketplace_status == docs[i]["status"] for i in docs)
    assert all(stored[i].state == State.CANCELLED for i in changed[:5])


async def test_a_failing_integration_does_not_stop_the_others(
    connected: Engine, sandbox: SandboxServer
) -> None:
    # a seller whose delegation was revoked after it was connected
    connected.store.add_integration(
        name="Revoked", seller_id=data.OTHER_SELLER_ID, login="other-shop"
    )
    reports = await connected.sync()
    by_id = {r.id: r for r in reports}
    assert by_id["1"].errors == [] and by_id["1"].imported > 0
    assert by_id["2"].errors and "access" in by_id["2"].errors[0]
    revoked = connected.store.integration("2")
    assert revoked.last_error and revoked.last_success_started_at is None
    assert connected.store.integration("1").last_error is None


async def test_network_down_is_recorded_and_the_next_run_catches_up(
    connected: Engine, sandbox: SandboxServer
) -> None:
    sandbox.world.faults.update({"fail_next": 50, "fail_status": 503, "fail_api": "octopia"})
    [report] = await connected.sync()
    assert report.errors and connected.store.integration("1").last_error
    assert connected.orders() == []
    sandbox.world.faults.reset()
    [report] = await connected.sync()
    assert report.errors == [] and report.imported == len(sandbox.world.order_ids())
    assert connected.store.integration("1").last_error is None


async def test_injected_5xx_429_and_malformed_pages_lose_nothing(
    connected: Engine, sandbox: SandboxServer
) -> None:
    sandbox.world.faults.update(
        {"octopia_5xx": 0.2, "octopia_429": 0.15, "retry_after": 0, "malformed_json": 0.05}
    )
    for _ in range(6):
        await connected.sync()
        if connected.store.integration("1").last_error is None:
            break
    sandbox.world.faults.reset()
    await connected.sync()
    ids = [r.order_id for r in connected.orders()]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(sandbox.world.order_ids())


async def test_disconnect_refuses_while_tracking_waits_unless_forced(
    connected: Engine, sandbox: SandboxServer
) -> None:
    await connected.sync()
    oid = sandbox.world.showcase["home_thd"]
    sandbox.world.faults.update({"fail_next": 100, "fail_status": 503, "fail_api": "octopia"})
    outcome = await connected.create_label(oid)
    sandbox.world.faults.reset()
    assert outcome.ok and not outcome.tracking_sent and outcome.label_path
    orders, waiting = connected.disconnect_impact("1")
    assert waiting == 1 and orders == len(connected.orders())
    with pytest.raises(UsageError, match="1 tracking update"):
        connected.disconnect("1")
    assert connected.store.integration("1")
    assert connected.disconnect("1", force=True) == orders
    assert connected.store.integrations() == [] and connected.orders() == []
    assert read_file(outcome.label_path)  # label files stay


async def test_accept_and_refuse_reach_the_marketplace_and_the_store(
    connected: Engine, sandbox: SandboxServer
) -> None:
    await connected.sync()
    waiting = [r.order_id for r in connected.orders(state=State.WAITING_ACCEPTANCE)]
    assert len(waiting) >= 2
    accepted = await connected.approve(waiting[0], True)
    refused = await connected.approve(waiting[1], False)
    assert accepted.marketplace_status == "InPreparation" and accepted.state == State.TO_SHIP
    assert refused.marketplace_status == "Refused" and refused.state == State.NOT_SHIPPABLE
    assert Counter(oid for oid, _ in sandbox.world.approval_posts) == {waiting[0]: 1, waiting[1]: 1}
    with pytest.raises(UsageError, match="not waiting"):
        await connected.approve(waiting[0], True)
    assert len(sandbox.world.approval_posts) == 2
