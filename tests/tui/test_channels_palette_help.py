"""The channel dialog, the command palette and the help, at 80×24.

Ticked and unticked channels read differently without colour (``[x]`` / ``[ ]``), the
cursor starts where ↓ reaches a channel, and saved channels are shown by name. The
palette finds the app's actions by the names people look for; help lists each key
once; keys that cannot act (no integration yet) are not offered.
"""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandList, CommandPalette
from textual.widgets import Input, Static
from textual.widgets._footer import FooterKey
from tui_helpers import wait_for

from cdtui.sandbox import data
from cdtui.storage.store import Store
from cdtui.tui.app import CdtuiApp
from cdtui.tui.dialogs.channels import ChannelList, ChannelSelectionDialog
from cdtui.tui.screens.connect import ConnectScreen
from cdtui.tui.screens.help import HelpScreen
from cdtui.tui.screens.inbox import InboxScreen
from cdtui.tui.screens.integration_settings import IntegrationSettingsScreen
from cdtui.tui.screens.integrations import IntegrationsScreen

SIZE = (80, 24)


def rows(listing: ChannelList) -> list[str]:
    """the list's lines as the terminal shows them (no colour)"""
    return [
        "".join(s.text for s in listing.render_line(y)).rstrip()
        for y in range(listing.option_count)
    ]


def said(app: CdtuiApp, selector: str) -> str:
    return " ".join(str(app.screen.query_one(selector, Static).render()).split())


async def open_channels(pilot) -> ChannelList:  # type: ignore[no-untyped-def]
    app = pilot.app
    await pilot.press("ctrl+o")
    await wait_for(
        pilot, lambda: isinstance(app.screen, ChannelSelectionDialog) and app.screen._loaded
    )
    await pilot.pause()
    return app.screen.query_one(ChannelList)


async def test_channel_rows_read_ticked_or_not_without_colour(tui_home: Path) -> None:
    app = CdtuiApp(tui_home, demo_hint=(data.SELLER_ID, "demo-shop"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ConnectScreen))
        listing = await open_channels(pilot)
        shown = rows(listing)
        assert shown[0].startswith("[x] All sales channels")
        assert all(row.startswith("[ ] ") for row in shown[1:]), shown
        assert listing.highlighted == 0
        await pilot.press("down")  # the first ↓ reaches the first channel
        assert listing.highlighted == 1
        await pilot.press("space")
        shown = rows(listing)
        assert shown[0].startswith("[ ] All sales channels")
        assert shown[1].startswith("[x] Cdiscount")
        assert all(row.startswith("[ ] ") for row in shown[2:])


async def test_channels_chosen_are_shown_by_name(tui_home: Path) -> None:
    app = CdtuiApp(tui_home, demo_hint=(data.SELLER_ID, "demo-shop"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ConnectScreen))
        await open_channels(pilot)
        await pilot.press("down", "space", "down", "space", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConnectScreen))
        assert said(app, "#channels-value") == "Cdiscount, Rakuten"
        app.screen.query_one("#name-input", Input).value = "Two channels"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        [integ] = Store(tui_home).integrations()
        assert integ.channels == ["CDISFR", "RAKUFR"]

        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, IntegrationsScreen))
        table = app.screen.query_one("#integrations")
        await wait_for(
            pilot, lambda: str(table.get_cell(integ.id, "channels")) == "Cdiscount, Rakuten"
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, IntegrationSettingsScreen))
        await wait_for(pilot, lambda: said(app, "#channels-value") == "Cdiscount, Rakuten")

        listing = await open_channels(pilot)  # the cursor on the first ticked channel
        assert listing.highlighted == 1
        assert rows(listing)[2].startswith("[x] Rakuten")


async def test_palette_finds_the_app_actions_by_name_from_the_inbox(synced_home: Path) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen._all)
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        palette = app.screen
        for query, title in (
            ("sync", "Sync"),
            ("shops", "Shops (integrations)"),
            ("integrations", "Shops (integrations)"),
            ("connect", "Connect a seller"),
        ):
            search = palette.query_one(Input)
            search.value = query

            def found(title: str = title) -> bool:
                results = palette.query_one(CommandList)
                prompts = [
                    str(results.get_option_at_index(i).prompt) for i in range(results.option_count)
                ]
                return any(title in p for p in prompts)

            await wait_for(pilot, found, within=5)


async def test_help_on_shops_lists_each_key_once(synced_home: Path) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, IntegrationsScreen))
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        keys = [k for row, _, _ in app.screen._rows for k in row.split(" / ")]
        assert keys.count("n") == 1
        assert len(keys) == len(set(keys)), keys


async def test_shops_without_integration_offer_no_key_that_needs_one(tui_home: Path) -> None:
    app = CdtuiApp(tui_home)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ConnectScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, IntegrationsScreen))
        await pilot.pause()
        offered = {k.key_display for k in app.screen.query(FooterKey)}
        assert "n" in offered
        assert not offered & {"e", "⏎", "enter", "y", "d"}, offered
