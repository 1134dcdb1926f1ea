"""Another process changes the store (``cdtui label`` in a shell, a second operator): the
inbox follows by itself, and a label it can no longer buy is said to be done elsewhere."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static
from tui_helpers import inbox_loaded, screen_text, wait_for

from cdtui.models import LabelInfo, OrderRecord, State
from cdtui.sandbox import data
from cdtui.storage.store import Store
from cdtui.tui.app import CdtuiApp
from cdtui.tui.dialogs.label import LabelDialog
from cdtui.tui.screens.inbox import InboxScreen
from cdtui.tui.widgets.order_table import OrderTable


def inbox(app: CdtuiApp) -> InboxScreen:
    screen = app.screen
    assert isinstance(screen, InboxScreen), screen
    return screen


def shown(app: CdtuiApp) -> list[str]:
    for screen in app.screen_stack:
        if isinstance(screen, InboxScreen):
            return [r.order_id for r in screen.query_one(OrderTable).rows]
    return []


def label_elsewhere(home: Path, order_id: str) -> None:
    """What another cdtui process does when it buys a label (the store, not this app)."""

    def labelled(rec: OrderRecord) -> OrderRecord:
        rec.label = LabelInfo(
            external_reference_id=rec.external_reference_id(),
            shipment_id="shp-elsewhere",
            carrier_name="Colissimo",
            tracking_number="6A-ELSEWHERE",
        )
        return rec

    Store(home).update_order(order_id, labelled)


def plain_french(home: Path) -> list[str]:
    """Orders to ship home in France: no customs, no relay, nothing to decide."""
    return [
        r.order_id
        for r in Store(home).orders(state=State.TO_SHIP)
        if r.order.shipping_address is not None
        and r.order.shipping_address.country_code == "FR"
        and not r.order.shipping_address.pickup_id
        and data.ANNOUNCE_FAIL_MARK not in (r.order.shipping_address.address_line1 or "")
    ]


def run_text(app: CdtuiApp) -> str:
    screen = next(s for s in app.screen_stack if isinstance(s, InboxScreen))
    return " ".join(
        str(screen.query_one(f"#{name}", Static).render()) for name in ("run-text", "run-results")
    )


async def test_the_inbox_follows_another_process_by_itself(synced_home: Path) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: inbox_loaded(app))
        first = shown(app)[0]
        label_elsewhere(synced_home, first)  # no message to the app: it must look
        await wait_for(pilot, lambda: first not in shown(app), within=5)
        await pilot.press("3")  # label created
        await wait_for(pilot, lambda: first in shown(app))
        row = next(r for r in inbox(app).query_one(OrderTable).rows if r.order_id == first)
        assert row.labelled and row.state == State.LABELLED


async def test_a_label_bought_elsewhere_meanwhile_is_not_a_failure(synced_home: Path) -> None:
    order_id = plain_french(synced_home)[0]
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: inbox_loaded(app))
        screen = inbox(app)
        screen.query_one(OrderTable).move_to(order_id)
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LabelDialog) and app.screen.plan)
        label_elsewhere(synced_home, order_id)  # while the operator reads the dialog
        await pilot.press("enter")
        await wait_for(pilot, lambda: not app.labels_running and "created" in run_text(app))
        await pilot.pause()
        text = run_text(app)
        assert "0 label(s) created · 1 already labelled by another process" in text, text
        assert "failed" not in text and "retries" not in text, text
        assert screen.failures == {}, "nothing to retry"
        assert "already labelled by another process" in screen_text(app)


async def test_a_bulk_run_tells_labelled_elsewhere_from_failed(synced_home: Path) -> None:
    first, second = plain_french(synced_home)[:2]
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: inbox_loaded(app))
        screen = inbox(app)
        for order_id in (first, second):
            screen.query_one(OrderTable).move_to(order_id)
            await pilot.press("space")
        await pilot.press("L")
        await wait_for(pilot, lambda: app.screen is not screen)
        label_elsewhere(synced_home, second)
        await pilot.press("y")
        await wait_for(pilot, lambda: not app.labels_running and "created" in run_text(app))
        await pilot.pause()
        text = run_text(app)
        assert "1 label(s) created · 1 already labelled by another process · w hides" in text
        assert "failed" not in text, text
        assert screen.failures == {}
