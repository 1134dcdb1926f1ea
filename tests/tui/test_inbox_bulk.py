"""A bulk label run asks with the facts: the option each label gets, the price, what
cannot be labelled and why, found in a worker while the inbox keeps answering."""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal
from pathlib import Path

from textual.widgets import Static
from tui_helpers import inbox_loaded, wait_for

from cdtui.models import State
from cdtui.sandbox import data
from cdtui.storage.store import Store
from cdtui.tui import format as fmt
from cdtui.tui.app import CdtuiApp
from cdtui.tui.dialogs.confirm import ConfirmationModal
from cdtui.tui.screens.inbox import InboxScreen
from cdtui.tui.widgets.order_table import OrderTable


def inbox(app: CdtuiApp) -> InboxScreen:
    return next(s for s in app.screen_stack if isinstance(s, InboxScreen))


def panel_text(app: CdtuiApp) -> str:
    screen = inbox(app)
    if not screen.query_one("#run-panel").display:
        return ""
    return " ".join(
        str(screen.query_one(f"#{n}", Static).render()) for n in ("run-text", "run-results")
    )


def chosen_orders(home: Path) -> tuple[list[str], str]:
    """Two plain French orders (a label each) and a GB one (no HS code: no label)."""
    to_ship = Store(home).orders(state=State.TO_SHIP)
    plain = [
        r.order_id
        for r in to_ship
        if r.order.shipping_address is not None
        and r.order.shipping_address.country_code == "FR"
        and not r.order.shipping_address.pickup_id
        and data.ANNOUNCE_FAIL_MARK not in (r.order.shipping_address.address_line1 or "")
    ]
    gb = next(r.order_id for r in to_ship if r.channel_id == "ONBUGB")
    return plain[:2], gb


class Gate:
    """Holds every label plan until opened: what the operator sees meanwhile."""

    def __init__(self, app: CdtuiApp) -> None:
        assert app.engine is not None
        self.real = app.engine.label_plan
        self.opened = asyncio.Event()
        self.asked: list[str] = []

        async def held(order_id: str, **kwargs: object) -> object:
            self.asked.append(order_id)
            await self.opened.wait()
            return await self.real(order_id, **kwargs)

        app.engine.label_plan = held  # type: ignore[method-assign]


async def select(pilot, ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    table = inbox(pilot.app).query_one(OrderTable)
    for order_id in ids:
        table.move_to(order_id)
        await pilot.press("space")


async def test_bulk_question_says_options_prices_and_what_cannot_be_labelled(
    synced_home: Path,
) -> None:
    plain, gb = chosen_orders(synced_home)
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: inbox_loaded(app))
        screen = inbox(app)
        table = screen.query_one(OrderTable)
        await select(pilot, [*plain, gb])
        gate = Gate(app)
        await pilot.press("L")
        await wait_for(pilot, lambda: "Checking shipping options 0/3" in panel_text(app))

        # the inbox keeps answering while the plans are fetched
        before = table.cursor
        await pilot.press("up")
        assert table.cursor == before - 1
        await pilot.press("L")  # a second bulk question waits for the first
        gate.opened.set()
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmationModal))
        await pilot.pause()
        assert sorted(gate.asked) == sorted([*plain, gb]), "each order planned once"

        body = str(app.screen.query_one("#confirm-body", Static).render())
        plans = [await gate.real(i) for i in plain]
        options = Counter(p.choice.option.name for p in plans)
        total = sum((p.choice.option.price or Decimal(0) for p in plans), Decimal(0))
        assert "Create 2 labels with these shipping options:" in body, body
        for name, count in options.items():
            assert f"{count} × {name}" in body, body
        assert f"Total {fmt.money(total)}" in body, body
        reference = next(r.reference for r in screen._all if r.order_id == gb)
        assert "1 order cannot be labelled and will be skipped:" in body, body
        assert f"{reference} goes outside the EU and needs an HS code" in body, body

        await pilot.press("y")
        await wait_for(pilot, lambda: "label(s) created" in panel_text(app), within=20)
        await wait_for(pilot, lambda: not app.labels_running)
        assert "2 label(s) created" in panel_text(app)
        labelled = {r.order_id for r in Store(synced_home).orders() if r.label is not None}
        assert labelled == set(plain), "the order that cannot be labelled was not tried"


async def test_escape_stops_the_bulk_question(synced_home: Path) -> None:
    plain, _ = chosen_orders(synced_home)
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: inbox_loaded(app))
        await select(pilot, plain)
        gate = Gate(app)
        await pilot.press("L")
        await wait_for(pilot, lambda: "Checking shipping options" in panel_text(app))
        await pilot.press("escape")
        await pilot.pause()
        assert panel_text(app) == "" and not inbox(app).planning
        gate.opened.set()
        await pilot.pause(0.3)
        assert isinstance(app.screen, InboxScreen), "no question after Escape"


async def test_no_question_when_nothing_can_be_labelled(synced_home: Path) -> None:
    _, gb = chosen_orders(synced_home)
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: inbox_loaded(app))
        await select(pilot, [gb])
        await pilot.press("L")
        await wait_for(pilot, lambda: "can be labelled" in panel_text(app))
        text = panel_text(app)
        assert "None of the selected orders can be labelled" in text
        assert "needs an HS code" in text
        assert isinstance(app.screen, InboxScreen)
