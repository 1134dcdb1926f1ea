"""Every screen at 80×24 and 120×40, against the sandbox, with time frozen.

Update the stored SVGs with ``pytest tests/tui/test_snapshots.py --snapshot-update``
after checking the differences in ``snapshot_report.html``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import orjson
import pytest
from textual.pilot import Pilot
from textual.widgets import Input
from tui_helpers import connect_and_sync, frozen_clock, type_text, wait_for

from cdtui.config import save_settings
from cdtui.models import OrderRecord, State
from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer
from cdtui.storage.store import Store
from cdtui.tui.app import CdtuiApp
from cdtui.tui.demo import demo_settings
from cdtui.tui.dialogs.channels import ChannelSelectionDialog
from cdtui.tui.dialogs.confirm import ConfirmationModal
from cdtui.tui.dialogs.label import LabelDialog
from cdtui.tui.dialogs.order_detail import OrderDetailDialog
from cdtui.tui.screens.connect import ConnectScreen
from cdtui.tui.screens.help import HelpScreen
from cdtui.tui.screens.inbox import InboxScreen
from cdtui.tui.screens.integration_settings import IntegrationSettingsScreen
from cdtui.tui.screens.integrations import IntegrationsScreen
from cdtui.tui.screens.setup import SetupScreen
from cdtui.tui.widgets.order_table import OrderTable

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]

Before = Callable[[Pilot[object]], Awaitable[None]]


@pytest.fixture
def frozen_home(tui_home: Path, sandbox: SandboxServer) -> Path:
    """Sandbox world and store both living at FROZEN; the seller not connected yet."""
    sandbox.reset(orders=60, seed=1, clock=frozen_clock)
    return tui_home


@pytest.fixture
def frozen_synced_home(frozen_home: Path) -> Path:
    connect_and_sync(frozen_home, clock=frozen_clock)
    return frozen_home


def app_for(home: Path) -> CdtuiApp:
    return CdtuiApp(home, clock=frozen_clock, demo_hint=(data.SELLER_ID, "demo-shop"))


def until(screen_type: type, extra: Callable[[CdtuiApp], object] | None = None) -> Before:
    async def run_before(pilot: Pilot[object]) -> None:
        app = pilot.app
        assert isinstance(app, CdtuiApp)

        def ready() -> bool:
            screen = app.screen
            if not isinstance(screen, screen_type):
                return False
            for inbox in app.screen_stack:
                if isinstance(inbox, InboxScreen) and inbox._loaded_generation < 1:
                    return False
            return extra is None or bool(extra(app))

        await wait_for(pilot, ready)
        await pilot.pause(0.1)

    return run_before


def then(*steps: Before) -> Before:
    async def run_before(pilot: Pilot[object]) -> None:
        for step in steps:
            await step(pilot)

    return run_before


def keys(*names: str) -> Before:
    async def run_before(pilot: Pilot[object]) -> None:
        await pilot.press(*names)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_setup_first_run(snap_compare, cdtui_home: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    # Only a labels folder is set: the form shows the defaults and empty credentials.
    (cdtui_home / "config.json").write_bytes(orjson.dumps({"labels_dir": "/srv/labels"}))
    assert snap_compare(app_for(cdtui_home), terminal_size=size, run_before=until(SetupScreen))


@pytest.mark.parametrize("size", SIZES)
def test_connect(snap_compare, frozen_home: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app_for(frozen_home), terminal_size=size, run_before=until(ConnectScreen))


@pytest.mark.parametrize("size", SIZES)
def test_channel_selection(snap_compare, frozen_home: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def open_channels(pilot: Pilot[object]) -> None:
        seller = pilot.app.screen.query_one("#seller-input", Input)
        assert seller.value == data.SELLER_ID  # the sandbox's seller is filled in
        seller.value = ""
        seller.focus()
        await type_text(pilot, data.SELLER_ID)
        await pilot.press("ctrl+o")

    assert snap_compare(
        app_for(frozen_home),
        terminal_size=size,
        run_before=then(
            until(ConnectScreen),
            open_channels,
            until(ChannelSelectionDialog, lambda app: app.screen._loaded),
        ),
    )


@pytest.mark.parametrize("size", SIZES)
def test_inbox(snap_compare, frozen_synced_home: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(
        app_for(frozen_synced_home), terminal_size=size, run_before=until(InboxScreen)
    )


@pytest.mark.parametrize("size", SIZES)
def test_inbox_all_states_with_selection(  # type: ignore[no-untyped-def]
    snap_compare, frozen_synced_home: Path, size: tuple[int, int]
) -> None:
    assert snap_compare(
        app_for(frozen_synced_home),
        terminal_size=size,
        run_before=then(until(InboxScreen), keys("0", "space", "space", "b")),
    )


@pytest.mark.parametrize("size", SIZES)
def test_order_detail(snap_compare, frozen_synced_home: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(
        app_for(frozen_synced_home),
        terminal_size=size,
        run_before=then(until(InboxScreen), keys("enter"), until(OrderDetailDialog)),
    )


@pytest.mark.parametrize("size", SIZES)
def test_label_dialog(snap_compare, frozen_synced_home: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(
        app_for(frozen_synced_home),
        terminal_size=size,
        run_before=then(
            until(InboxScreen), keys("l"), until(LabelDialog, lambda app: app.screen.plan)
        ),
    )


def first_to_ship(home: Path, wanted: Callable[[OrderRecord], bool]) -> str:
    for rec in Store(home, clock=frozen_clock).orders(state=State.TO_SHIP):
        if wanted(rec):
            return rec.order_id
    raise AssertionError("the seeded world has no such order to ship")


def is_relay(rec: OrderRecord) -> bool:
    addr = rec.order.shipping_address
    return addr is not None and bool(addr.pickup_id)


def is_gb(rec: OrderRecord) -> bool:
    return rec.channel_id == "ONBUGB"


def label_dialog_on(order_id: str, *more: str) -> Before:
    """The label dialog of this order, planned, after the keys ``more``."""

    async def move(pilot: Pilot[object]) -> None:
        pilot.app.screen.query_one(OrderTable).move_to(order_id)
        await pilot.pause()

    def planned(app: CdtuiApp) -> bool:
        return app.screen.plan is not None and not app.screen._loading

    return then(
        until(InboxScreen),
        move,
        keys("l"),
        until(LabelDialog, planned),
        keys(*more),
        until(LabelDialog, planned),
    )


def test_label_dialog_relay_order(snap_compare, frozen_synced_home: Path) -> None:  # type: ignore[no-untyped-def]
    order_id = first_to_ship(frozen_synced_home, is_relay)
    assert snap_compare(
        app_for(frozen_synced_home),
        terminal_size=(80, 24),
        run_before=label_dialog_on(order_id),
    )


def test_label_dialog_relay_order_all_options(snap_compare, frozen_synced_home: Path) -> None:  # type: ignore[no-untyped-def]
    order_id = first_to_ship(frozen_synced_home, is_relay)
    assert snap_compare(
        app_for(frozen_synced_home),
        terminal_size=(80, 24),
        run_before=label_dialog_on(order_id, "a", "down", "down"),
    )


def test_label_dialog_gb_order_without_hs_code(snap_compare, frozen_synced_home: Path) -> None:  # type: ignore[no-untyped-def]
    order_id = first_to_ship(frozen_synced_home, is_gb)
    assert snap_compare(
        app_for(frozen_synced_home),
        terminal_size=(80, 24),
        run_before=label_dialog_on(order_id),
    )


def test_label_dialog_gb_order_with_hs_code(snap_compare, frozen_synced_home: Path) -> None:  # type: ignore[no-untyped-def]
    store = Store(frozen_synced_home, clock=frozen_clock)
    [integ] = store.integrations()
    store.update_integration(integ.id, lambda i: i.model_copy(update={"default_hs_code": "851830"}))
    order_id = first_to_ship(frozen_synced_home, is_gb)
    assert snap_compare(
        app_for(frozen_synced_home),
        terminal_size=(80, 24),
        run_before=label_dialog_on(order_id),
    )


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, frozen_synced_home: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(
        app_for(frozen_synced_home),
        terminal_size=size,
        run_before=then(until(InboxScreen), keys("question_mark"), until(HelpScreen)),
    )


@pytest.mark.parametrize("size", SIZES)
def test_integrations(snap_compare, frozen_synced_home: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(
        app_for(frozen_synced_home),
        terminal_size=size,
        run_before=then(until(InboxScreen), keys("i"), until(IntegrationsScreen)),
    )


@pytest.mark.parametrize("size", SIZES)
def test_integration_settings_and_disconnect(  # type: ignore[no-untyped-def]
    snap_compare, frozen_synced_home: Path, size: tuple[int, int]
) -> None:
    assert snap_compare(
        app_for(frozen_synced_home),
        terminal_size=size,
        run_before=then(
            until(InboxScreen),
            keys("i"),
            until(IntegrationsScreen),
            keys("enter"),
            until(IntegrationSettingsScreen),
            keys("ctrl+r"),
            until(ConfirmationModal),
        ),
    )


@pytest.mark.parametrize("size", SIZES)
def test_integration_settings(  # type: ignore[no-untyped-def]
    snap_compare, frozen_synced_home: Path, size: tuple[int, int]
) -> None:
    assert snap_compare(
        app_for(frozen_synced_home),
        terminal_size=size,
        run_before=then(
            until(InboxScreen),
            keys("i"),
            until(IntegrationsScreen),
            keys("enter"),
            until(IntegrationSettingsScreen),
        ),
    )


def test_demo_settings_point_at_the_sandbox(tmp_path: Path, sandbox: SandboxServer) -> None:
    settings = demo_settings(tmp_path, sandbox.url)
    save_settings(settings)
    assert settings.octopia_api_url == sandbox.octopia_url
    assert settings.sendcloud_api_url == sandbox.sendcloud_url
    assert settings.sender_address_id == data.SENDER_ADDRESS_ID
