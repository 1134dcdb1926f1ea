"""The day report screen at 80×24: opened from the inbox with ``D``, today's labels and
their cost, ← and → between days, Escape back to the inbox."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from textual.widgets import DataTable
from tui_helpers import inbox_loaded, screen_text, wait_for

from cdtui.config import load_settings
from cdtui.engine import Engine
from cdtui.orders.enums import State
from cdtui.sandbox.server import SandboxServer
from cdtui.tui.app import CdtuiApp
from cdtui.tui.screens.help import HelpScreen
from cdtui.tui.screens.inbox import InboxScreen
from cdtui.tui.screens.report import ReportScreen


async def buy_labels(home: Path, count: int) -> list[str]:
    """Labels for ``count`` orders to ship in France, bought outside the UI."""
    engine = Engine(load_settings(home))
    try:
        ids = [
            r.order_id
            for r in engine.orders(state=State.TO_SHIP)
            if not r.attention
            and r.order.shipping_address is not None
            and r.order.shipping_address.country_code == "FR"
            and not (r.order.shipping_address.postal_code or "").startswith(("97", "98"))
        ][:count]
        outcomes = await engine.create_labels(ids)
        assert all(o.ok for o in outcomes), [o.error for o in outcomes]
        return ids
    finally:
        await engine.aclose()


def shown_report(app: CdtuiApp) -> ReportScreen | None:
    """The report screen once it shows the report of its day."""
    screen = app.screen
    shown = isinstance(screen, ReportScreen) and screen.report is not None
    return screen if shown and screen.report.day == screen.day else None  # type: ignore[union-attr]


async def test_the_report_screen_shows_today_and_moves_between_days(
    synced_home: Path, sandbox: SandboxServer
) -> None:
    ids = await buy_labels(synced_home, 2)
    cost = sum(
        (
            s.option.price(s.to_address["country_code"].upper(), s.parcels[0].weight)
            for s in sandbox.world.shipments.values()
        ),
        Decimal(0),
    )
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: inbox_loaded(app))
        await pilot.press("D")
        await wait_for(pilot, lambda: shown_report(app) is not None)
        screen = shown_report(app)
        assert screen is not None
        today = screen.day
        text = screen_text(app)
        assert f"Day report — {today:%A %d %B %Y} (today)" in text
        assert "Demo shop / Cdiscount" in text
        assert f"{cost:.2f} EUR" in text
        [row] = screen.report.rows  # type: ignore[union-attr]
        assert (row.labels_bought, row.orders_shipped) == (len(ids), len(ids))
        assert screen.query_one(DataTable).row_count == 1
        assert all(len(line) <= 80 for line in text.splitlines())

        # the day before: nothing; → comes back; → on today does nothing
        await pilot.press("left")
        await wait_for(pilot, lambda: (s := shown_report(app)) is not None and s.day < today)
        text = screen_text(app)
        assert "Nothing shipped, bought or cancelled that day" in text
        assert "(today)" not in text
        await pilot.press("right")
        await wait_for(pilot, lambda: (s := shown_report(app)) is not None and s.day == today)
        assert f"{cost:.2f} EUR" in screen_text(app)
        await pilot.press("right")
        await pilot.pause(0.2)
        assert screen.day == today

        # the key is in the help of the inbox
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert ("D", "Day report", True) in app.screen._rows  # type: ignore[attr-defined]
