"""The main flow of each screen, driven by keys, checked in the store and the sandbox."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from textual.widgets import Input, Static
from tui_helpers import type_text, wait_for

from cdtui.models import PushStatus, State
from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer
from cdtui.storage.store import Store
from cdtui.tui.app import CdtuiApp
from cdtui.tui.dialogs.confirm import ConfirmationModal
from cdtui.tui.dialogs.label import LabelDialog
from cdtui.tui.screens.connect import ConnectScreen
from cdtui.tui.screens.help import HelpScreen
from cdtui.tui.screens.inbox import InboxScreen
from cdtui.tui.screens.integration_settings import IntegrationSettingsScreen
from cdtui.tui.screens.integrations import IntegrationsScreen
from cdtui.tui.widgets.order_table import OrderTable


def inbox(app: CdtuiApp) -> InboxScreen:
    screen = app.screen
    assert isinstance(screen, InboxScreen), screen
    return screen


def loaded(app: CdtuiApp) -> bool:
    """the inbox shows the orders read after the last sync"""
    return (
        isinstance(app.screen, InboxScreen)
        and not app.syncing
        and app.screen._loaded_generation == app.screen._generation
        and bool(app.screen._all)
    )


async def fill_connect(pilot, name: str, seller: str, login: str) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    for field, value in (("name", name), ("seller", seller), ("login", login)):
        widget = app.screen.query_one(f"#{field}-input", Input)
        widget.value = ""
        widget.focus()
        await type_text(pilot, value)


async def test_connect_sync_label_and_tracking_sent(tui_home: Path, sandbox: SandboxServer) -> None:
    app = CdtuiApp(tui_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ConnectScreen))
        await fill_connect(pilot, "Demo shop", data.SELLER_ID, "demo-shop")
        await pilot.press("enter")
        await wait_for(pilot, lambda: loaded(app))

        store = Store(tui_home)
        [integ] = store.integrations()
        assert (integ.name, integ.seller_id, integ.channels) == ("Demo shop", "98979", "all")
        to_ship = store.orders(state=State.TO_SHIP)
        assert to_ship, "the sync imported orders to ship"
        table = app.screen.query_one(OrderTable)
        assert len(table.rows) == len(to_ship)

        order_id = table.cursor_order_id
        assert order_id is not None
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LabelDialog) and app.screen.plan)
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: isinstance(app.screen, InboxScreen) and not app.labels_running
        )

        rec = Store(tui_home).order(order_id)
        assert rec.label is not None and rec.label.tracking_number
        assert rec.push is not None and rec.push.status == PushStatus.SENT
        assert rec.state == State.TRACKING_SENT
        posted = [body for oid, body in sandbox.world.shipment_posts if oid == order_id]
        assert len(posted) == 1
        assert posted[0][0]["parcelNumber"] == rec.label.tracking_number
        assert order_id not in {r.order_id for r in table.rows}, "left the to-ship view"


async def test_connect_explains_failures_and_keeps_what_was_typed(tui_home: Path) -> None:
    app = CdtuiApp(tui_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ConnectScreen))
        screen = app.screen
        message = screen.query_one("#connect-message", Static)

        await fill_connect(pilot, "Shop", "98a", "x")
        assert "digits only" in str(screen.query_one("#seller .field-msg", Static).render())
        await pilot.press("ctrl+s")
        assert "correct" in str(message.render())

        await fill_connect(pilot, "Other", "55555", "other-shop")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not screen.busy and str(message.render()))
        assert "has not delegated access" in str(message.render())
        assert screen.query_one("#seller-input", Input).value == "55555"

        await fill_connect(pilot, "Mine", data.SELLER_ID, "someone-else")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "does not belong" in str(message.render()))
        assert screen.query_one("#login-input", Input).value == "someone-else"
        assert screen.query_one("#name-input", Input).value == "Mine"
        assert Store(tui_home).integrations() == []


async def test_bulk_labels_with_one_failing_order(synced_home: Path) -> None:
    store = Store(synced_home)
    to_ship = store.orders(state=State.TO_SHIP)
    failing = [
        r
        for r in to_ship
        if data.ANNOUNCE_FAIL_MARK in (r.order.shipping_address.address_line1 or "")
    ]
    # French home orders: no customs data needed, nothing else to decide
    fine = [
        r
        for r in to_ship
        if r not in failing
        and r.order.shipping_address.country_code == "FR"
        and not r.order.shipping_address.pickup_id
    ][:2]
    assert failing and len(fine) == 2, "the seeded world has orders that fail"
    chosen = [failing[0], *fine]

    app = CdtuiApp(synced_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        screen = inbox(app)
        for rec in chosen:
            screen.query_one(OrderTable).move_to(rec.order_id)
            await pilot.press("space")
        assert screen.query_one(OrderTable).selected == {r.order_id for r in chosen}
        await pilot.press("L")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmationModal))
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, InboxScreen) and not app.labels_running and screen.failures
            ),
        )

        results = str(screen.query_one("#run-results", Static).render())
        assert failing[0].reference in results
        assert "2 label(s) created" in str(screen.query_one("#run-text", Static).render())
        fresh = Store(synced_home)
        assert fresh.order(failing[0].order_id).label is None
        for rec in fine:
            assert fresh.order(rec.order_id).state == State.TRACKING_SENT

        # R retries only what failed; it fails again, for the same reason, and is listed.
        await pilot.press("R")
        await wait_for(pilot, lambda: not app.labels_running)
        await pilot.pause(0.2)
        assert list(screen.failures) == [failing[0].order_id]


async def test_integration_settings_update_and_disconnect(synced_home: Path) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, IntegrationsScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, IntegrationSettingsScreen))
        name = app.screen.query_one("#name-input", Input)
        name.value = ""
        await type_text(pilot, "Main shop")
        app.screen.query_one("#weight-input", Input).value = "0.75"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: Store(synced_home).integrations()[0].name == "Main shop")
        integ = Store(synced_home).integrations()[0]
        assert integ.default_weight_kg == Decimal("0.75")

        orders = len(Store(synced_home).orders(integration_id=integ.id))
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmationModal))
        body = str(app.screen.query_one("#confirm-body", Static).render())
        assert f"Its {orders} order(s) will be removed" in body
        assert "No tracking update is waiting" in body
        await pilot.press("n")  # changed my mind: nothing happens
        assert Store(synced_home).integrations()
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmationModal))
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, IntegrationsScreen))
        assert Store(synced_home).integrations() == []
        assert Store(synced_home).orders() == []


async def test_accept_and_refuse(synced_home: Path, sandbox: SandboxServer) -> None:
    waiting = Store(synced_home).orders(state=State.WAITING_ACCEPTANCE)
    assert len(waiting) >= 2, "the seeded world has orders waiting for acceptance"
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        screen = inbox(app)
        await pilot.press("2")
        table = screen.query_one(OrderTable)
        assert {r.order_id for r in table.rows} == {r.order_id for r in waiting}

        first = table.cursor_order_id
        await pilot.press("a")
        await wait_for(pilot, lambda: first not in {r.order_id for r in table.rows})
        second = table.cursor_order_id
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmationModal))
        await pilot.press("y")
        await wait_for(pilot, lambda: second not in {r.order_id for r in table.rows})

    store = Store(synced_home)
    assert store.order(first).state != State.WAITING_ACCEPTANCE
    assert store.order(second).marketplace_status == "Refused"
    posts = {oid: body for oid, body in sandbox.world.approval_posts}
    assert posts[first] == {"approval_status": "Accepted"}
    assert posts[second] == {"approval_status": "Refused"}


async def test_quit_during_a_sync_is_clean(synced_home: Path, sandbox: SandboxServer) -> None:
    sandbox.world.faults.latency_ms = 300  # every call slow: the sync is mid-way at quit
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.press("s")
        await wait_for(pilot, lambda: app.syncing)
        await pilot.pause(0.4)
        await pilot.press("q")
    assert app.return_code == 0
    assert Store(synced_home).orders(), "the store still opens, orders intact"


async def test_help_lists_every_key_of_the_screen(synced_home: Path) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(f"{keys} {desc}" for keys, desc, _ in app.screen._rows)
        for words in (
            "Label selected",
            "Accept",
            "Refuse",
            "Cancel label",
            "Retry failed",
            "Search",
            "Sync",
            "Quit",
        ):
            assert words in text
        await pilot.press("escape")
        assert isinstance(app.screen, InboxScreen)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Label", "Select", "Search", "Sync", "Installation setup"} <= titles


async def test_search_filters_as_you_type(synced_home: Path) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        screen = inbox(app)
        table = screen.query_one(OrderTable)
        target = table.rows[3]
        await pilot.press("slash")
        await type_text(pilot, target.reference)
        await wait_for(pilot, lambda: [r.order_id for r in table.rows] == [target.order_id])
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: len(table.rows) > 1)


async def test_text_from_users_and_apis_is_shown_verbatim(synced_home: Path) -> None:
    """Square brackets in a shop name or an API message are text, not markup."""
    store = Store(synced_home)
    integ = store.integrations()[0]
    store.update_integration(integ.id, lambda i: i.model_copy(update={"name": "Shop [/b] [x]"}))
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        app.notify("to_address[name]: This field is required [/bold]", severity="error")
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, IntegrationsScreen))
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, IntegrationSettingsScreen))
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmationModal))
        body = app.screen.query_one("#confirm-body", Static)
        assert "Shop [/b] [x]" in str(body.render())
        await pilot.press("n")
        await pilot.pause()
    assert Store(synced_home).integrations()[0].name == "Shop [/b] [x]"
