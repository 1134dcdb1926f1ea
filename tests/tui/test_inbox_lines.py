"""The inbox's state lines at 80×24: nothing that matters is cut, nothing stray is drawn."""

from __future__ import annotations

from pathlib import Path

from tui_helpers import inbox_loaded, screen_text, wait_for

from cdtui.models import State
from cdtui.sandbox import data
from cdtui.storage.store import Store
from cdtui.tui.app import CdtuiApp
from cdtui.tui.screens.inbox import InboxScreen
from cdtui.tui.widgets.order_table import OrderTable


def inbox(app: CdtuiApp) -> InboxScreen:
    screen = app.screen
    assert isinstance(screen, InboxScreen), screen
    return screen


def lines(app: CdtuiApp) -> list[str]:
    return screen_text(app).splitlines()


async def test_head_keeps_the_filters_and_drops_counts_at_80_columns(synced_home: Path) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: inbox_loaded(app))
        screen = inbox(app)
        head = lines(app)[0]
        assert head.strip().startswith("To ship (") and "late" in head and "…" not in head
        while screen.channel != data.CDISCOUNT:
            await pilot.press("C")
        await pilot.press("I")  # and one shop
        await pilot.pause()
        head = lines(app)[0]
        assert "channel Cdiscount" in head and "shop Demo shop" in head, head
        assert head.strip().startswith("To ship (") and "…" not in head, head
        assert "late" in head, "the most telling count still fits"

    # wider, every count is there
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(140, 24)) as pilot:
        await wait_for(pilot, lambda: inbox_loaded(app))
        while inbox(app).channel != data.CDISCOUNT:
            await pilot.press("C")
        await pilot.pause()
        head = lines(app)[0]
        for words in (
            "channel Cdiscount",
            "late",
            "due today",
            "need attention",
            "to ship",
            "sort",
        ):
            assert words in head, (words, head)


async def test_footer_keeps_quit_and_help_and_nothing_strays(synced_home: Path) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: inbox_loaded(app))

        async def footer_ok(*keys: str) -> None:
            """the footer shows these keys, q and ?, and ends with the palette hint"""
            await wait_for(pilot, lambda: all(k in lines(app)[-1] for k in keys), within=3)
            footer = lines(app)[-1].rstrip()
            assert footer.endswith("^p palette"), (keys, footer)
            assert "q Quit" in footer and "? Help" in footer, (keys, footer)

        await footer_ok("l Label")
        await pilot.press("space", "space")  # a selection adds "L Label selected"
        await footer_ok("l Label", "L Label selected")
        await pilot.press("2")  # to accept: a and r
        await footer_ok("L Label selected", "a Accept", "r Refuse")


async def test_the_table_reaches_the_status_line(synced_home: Path) -> None:
    """No horizontal scrollbar (a stray "▏" on a lost line) under the table."""
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: inbox_loaded(app))
        await pilot.press("0")
        await pilot.pause()
        table = inbox(app).query_one(OrderTable)
        last = lines(app)[-3]
        assert table.rows[table.size.height - 2].reference in last, last


async def test_results_of_a_bulk_run_do_not_run_into_the_bar(synced_home: Path) -> None:
    fine = [
        r
        for r in Store(synced_home).orders(state=State.TO_SHIP)
        if r.order.shipping_address is not None
        and r.order.shipping_address.country_code == "FR"
        and not r.order.shipping_address.pickup_id
        and data.ANNOUNCE_FAIL_MARK not in (r.order.shipping_address.address_line1 or "")
    ][:2]
    assert len(fine) == 2
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: inbox_loaded(app))
        screen = inbox(app)
        for rec in fine:
            screen.query_one(OrderTable).move_to(rec.order_id)
            await pilot.press("space")
        await pilot.press("L")
        await wait_for(pilot, lambda: app.screen is not screen)
        await pilot.press("y")
        await wait_for(pilot, lambda: "label(s) created" in screen_text(app))
        await pilot.pause()
        [line] = [ln for ln in lines(app) if "label(s) created" in ln]
        assert "2 label(s) created · w hides" in line
        assert "━" not in line and "%" not in line, line
