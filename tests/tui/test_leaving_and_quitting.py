"""Leaving screens at 80×24, keyboard only: nothing destructive without a fair warning
beforehand, no screen that cannot be left, and quitting said the same way everywhere.

Cancelling a label whose tracking was sent says, before the answer, that the
marketplace keeps showing the parcel; Escape on a form with edits asks "Discard your
changes?"; ctrl+q and ctrl+c quit from any screen (asking first about edits); Escape
on the first-run Setup quits; on forms, where letters are typed, the footer and the
help show ctrl+q.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import Input, Static
from textual.widgets._footer import FooterKey
from tui_helpers import type_text, wait_for

from cdtui.config import load_settings
from cdtui.engine import Engine
from cdtui.models import PushStatus, State
from cdtui.storage.store import Store
from cdtui.tui.app import CdtuiApp
from cdtui.tui.dialogs.confirm import ConfirmationModal, DiscardQuestion
from cdtui.tui.screens.connect import ConnectScreen
from cdtui.tui.screens.help import HelpScreen
from cdtui.tui.screens.inbox import InboxScreen
from cdtui.tui.screens.integration_settings import IntegrationSettingsScreen
from cdtui.tui.screens.integrations import IntegrationsScreen
from cdtui.tui.screens.setup import SetupScreen
from cdtui.tui.widgets.order_table import OrderTable

SIZE = (80, 24)


def footer(app: CdtuiApp) -> dict[str, str]:
    """key shown -> words, as the footer of the current screen shows them"""
    return {k.key_display: k.description for k in app.screen.query(FooterKey)}


def body(app: CdtuiApp) -> str:
    return " ".join(str(app.screen.query_one("#confirm-body", Static).render()).split())


@pytest.fixture
def labelled(synced_home: Path) -> str:
    """An order whose label was bought (its tracking is sent at once): its id."""
    home = synced_home

    async def go() -> str:
        store = Store(home)
        engine = Engine(load_settings(home), store)
        try:
            order_id = next(
                r.order_id
                for r in store.orders(state=State.TO_SHIP)
                if r.order.shipping_address and r.order.shipping_address.country_code == "FR"
            )
            outcome = await engine.create_label(order_id)
            assert outcome.ok, outcome.error
            return order_id
        finally:
            await engine.aclose()

    return asyncio.run(go())


async def inbox_on(pilot, order_id: str) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen._all)
    await pilot.press("0")  # every state
    table = app.screen.query_one(OrderTable)
    await wait_for(pilot, lambda: order_id in {r.order_id for r in table.rows})
    table.move_to(order_id)
    await pilot.pause()


# ---------------------------------------------------------------- a fair warning


async def test_cancelling_a_label_whose_tracking_was_sent_warns_before_the_answer(
    synced_home: Path, labelled: str
) -> None:
    order_id = labelled
    rec = Store(synced_home).order(order_id)
    assert rec.push is not None and rec.push.status == PushStatus.SENT
    app = CdtuiApp(synced_home)
    async with app.run_test(size=SIZE) as pilot:
        await inbox_on(pilot, order_id)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmationModal))
        said = body(app)
        assert "tracking was already sent" in said
        assert f"keeps showing parcel {rec.push.carrier_name} {rec.push.parcel_number}" in said
        await pilot.press("n")  # warned, the operator keeps it
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
    assert Store(synced_home).order(order_id).label.cancel_status is None  # type: ignore[union-attr]


async def test_escape_on_integration_settings_with_edits_asks_before_discarding(
    synced_home: Path,
) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, IntegrationsScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, IntegrationSettingsScreen))
        await pilot.press("escape")  # nothing edited: back at once
        await wait_for(pilot, lambda: isinstance(app.screen, IntegrationsScreen))

        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, IntegrationSettingsScreen))
        settings = app.screen
        await pilot.press("end")
        await type_text(pilot, " two")
        await pilot.press("escape")
        assert isinstance(app.screen, DiscardQuestion)
        assert "Discard your changes?" in str(app.screen.query_one(".dialog-title").render())
        await pilot.press("escape")  # Escape again keeps editing
        assert app.screen is settings
        assert settings.query_one("#name-input", Input).value == "Demo shop two"
        await pilot.press("escape", "y")
        await wait_for(pilot, lambda: isinstance(app.screen, IntegrationsScreen))
    assert Store(synced_home).integrations()[0].name == "Demo shop"


async def test_escape_on_setup_with_edits_asks_before_discarding(synced_home: Path) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.press("i", "u")
        await wait_for(pilot, lambda: isinstance(app.screen, SetupScreen))
        app.screen.query_one("#sender_country-input", Input).focus()
        await pilot.press("backspace", "backspace", "B", "E")
        await pilot.press("escape")
        assert isinstance(app.screen, DiscardQuestion)
        assert "installation setup" in body(app)
        await pilot.press("n")
        assert isinstance(app.screen, SetupScreen)
        await pilot.press("escape", "y")
        await wait_for(pilot, lambda: isinstance(app.screen, IntegrationsScreen))
    assert load_settings(synced_home).sender_country == "FR"


# ---------------------------------------------------------------- no trap


def first_run_app(home: Path) -> CdtuiApp:
    return CdtuiApp(home)


async def test_first_run_setup_escape_quits(cdtui_home: Path) -> None:
    app = first_run_app(cdtui_home)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, SetupScreen))
        assert footer(app)["esc"] == "Quit"
        await pilot.press("escape")
        await pilot.pause(0.2)
    assert app.return_code == 0


@pytest.mark.parametrize("key", ["ctrl+q", "ctrl+c"])
async def test_first_run_setup_quits_with_ctrl_keys_asking_about_edits(
    cdtui_home: Path, key: str
) -> None:
    app = first_run_app(cdtui_home)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, SetupScreen))
        assert footer(app)["^q"] == "Quit"
        await type_text(pilot, "my-client")
        await pilot.press(key)
        assert isinstance(app.screen, DiscardQuestion)
        assert "quit cdtui" in body(app)
        await pilot.press("n")  # keeps editing
        assert isinstance(app.screen, SetupScreen)
        assert app.screen.query_one("#octopia_client_id-input", Input).value == "my-client"
        await pilot.press(key, "y")
        await pilot.pause(0.2)
    assert app.return_code == 0


async def test_first_run_setup_escape_with_edits_asks_then_quits(cdtui_home: Path) -> None:
    app = first_run_app(cdtui_home)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, SetupScreen))
        await type_text(pilot, "my-client")
        await pilot.press("escape")
        assert isinstance(app.screen, DiscardQuestion)
        await pilot.press("y")
        await pilot.pause(0.2)
    assert app.return_code == 0


async def test_first_run_setup_help_says_how_to_quit(cdtui_home: Path) -> None:
    app = first_run_app(cdtui_home)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, SetupScreen))
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        rows = {desc: (keys, usable) for keys, desc, usable in app.screen._rows}
        assert rows["Quit"] == ("esc / ^q / ^c", True)
        assert "Back" not in rows  # Escape quits here, it is not a greyed-out Back


async def test_ctrl_q_quits_from_a_dialog(synced_home: Path) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen._all)
        await pilot.press("enter")  # the order detail, a modal dialog
        await wait_for(pilot, lambda: not isinstance(app.screen, InboxScreen))
        await pilot.press("ctrl+q")
        await pilot.pause(0.2)
    assert app.return_code == 0


async def test_connect_letters_are_typed_and_ctrl_q_quits(tui_home: Path) -> None:
    app = CdtuiApp(tui_home)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ConnectScreen))
        assert footer(app)["^q"] == "Quit"
        await pilot.press("q")
        assert app.screen.query_one("#name-input", Input).value == "q"
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        rows = {desc: (keys, usable) for keys, desc, usable in app.screen._rows}
        assert rows["Quit"] == ("^q / ^c", True)  # not q: it is typed into the field
        await pilot.press("escape", "ctrl+q")
        assert isinstance(app.screen, DiscardQuestion)  # the name typed
        await pilot.press("ctrl+q")  # asked, ctrl+q again quits
        await pilot.pause(0.2)
    assert app.return_code == 0


def test_readme_says_how_to_quit_as_the_app_does() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    keys = next(p for p in readme.split("\n\n") if "opens the command palette" in p)
    assert "`ctrl+q`" in keys and "any screen" in keys
