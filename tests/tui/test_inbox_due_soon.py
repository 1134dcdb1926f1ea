"""Deadlines that shout in the TUI (80×24): the inbox counts the orders due soon in its
head line and lists them (late ones first) under the "Due soon" filter (9); a sync that
finds new orders to accept or orders due soon or late rings the bell once and says so
in a warning, and the next syncs stay quiet until something new crosses a threshold."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.widgets._toast import Toast
from tui_helpers import FROZEN, connect_and_sync, frozen_clock, inbox_loaded, screen_text, wait_for

from cdtui.config import load_settings
from cdtui.engine import Engine
from cdtui.orders.deadlines import Deadline
from cdtui.orders.enums import State
from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer
from cdtui.storage.store import Store
from cdtui.tui.app import CdtuiApp
from cdtui.tui.screens.inbox import InboxScreen
from cdtui.tui.widgets.line import FittedLine


def set_ship_by(sandbox: SandboxServer, order_id: str, hours: float) -> None:
    when = data.stamp(FROZEN + timedelta(hours=hours))

    def change(doc: dict[str, Any]) -> None:
        doc["shippedAtMax"] = when
        for line in doc["lines"]:
            line.setdefault("delivery", {})["shippedAtMax"] = when

    sandbox.world.update_order(order_id, change)


@pytest.fixture
def due_home(sandbox: SandboxServer, tui_home: Path) -> tuple[Path, list[str]]:
    """The world and the store at FROZEN (09:00 UTC); two orders to ship due at 10:00
    and 12:30, within the 4-hour margin."""
    sandbox.reset(orders=60, seed=1, clock=frozen_clock)
    connect_and_sync(tui_home, clock=frozen_clock)
    later = [
        r.order_id
        for r in Store(tui_home, clock=frozen_clock).order_rows(state=State.TO_SHIP)
        if r.ship_by is not None and r.ship_by > FROZEN + timedelta(days=1)
    ]
    soon = later[:2]
    set_ship_by(sandbox, soon[0], 1)
    set_ship_by(sandbox, soon[1], 3.5)
    sync(tui_home)
    return tui_home, soon


def sync(home: Path) -> None:
    """One more sync, without the UI."""

    async def go() -> None:
        engine = Engine(load_settings(home), Store(home, clock=frozen_clock), clock=frozen_clock)
        try:
            await engine.sync()
        finally:
            await engine.aclose()

    asyncio.run(go())


def head(app: CdtuiApp) -> str:
    return app.screen.query_one("#inbox-head", FittedLine).plain


def alerts_running(app: CdtuiApp) -> bool:
    return any(w.group == "alerts" and not w.is_finished for w in app.workers)


def toast_texts(app: CdtuiApp) -> list[str]:
    return [str(t.render()) for t in app.screen.query(Toast)]


async def test_due_soon_filter_count_and_one_bell(
    due_home: tuple[Path, list[str]], sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, soon = due_home
    rings: list[int] = []
    monkeypatch.setattr(CdtuiApp, "bell", lambda self: rings.append(1))
    syncs: list[int] = []
    finished = CdtuiApp.on_sync_finished

    def counted(self: CdtuiApp, message: Any) -> None:
        syncs.append(1)
        finished(self, message)

    monkeypatch.setattr(CdtuiApp, "on_sync_finished", counted)
    app = CdtuiApp(home, clock=frozen_clock)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_for(pilot, lambda: inbox_loaded(app))
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        rows = screen._all
        late = [r for r in rows if r.deadline == Deadline.LATE]
        assert late, "the sandbox has overdue orders"
        assert {r.order_id for r in rows if r.deadline == Deadline.DUE_SOON} == set(soon)
        # the head line, at 80 columns, says how many are due soon
        assert "2 due soon" in head(app), head(app)
        assert "2 due soon" in screen_text(app).splitlines()[0]

        # the filter: the late ones and the two due soon, by ship-by (late first)
        await pilot.press("9")
        await pilot.pause(0.1)
        assert head(app).startswith(f"Due soon ({len(late) + 2})"), head(app)
        shown = screen.table.rows
        assert [r.order_id for r in shown[-2:]] == soon
        assert {r.deadline for r in shown[:-2]} == {Deadline.LATE}
        text = screen_text(app)
        assert "today 10:00" in text and "today 12:30" in text

        # a sync finds them: one bell, one warning naming them
        assert rings == []
        await pilot.press("s")
        await wait_for(pilot, lambda: bool(rings) and bool(toast_texts(app)))
        await wait_for(pilot, lambda: inbox_loaded(app))
        assert rings == [1]
        (toast,) = toast_texts(app)
        assert "Orders need you" in toast and "2 due soon, within 4 h" in toast
        assert f"{len(late)} late" in toast and "to accept" in toast

        # the next syncs find nothing new: no bell
        for n in (2, 3):
            await pilot.press("s")
            await wait_for(pilot, lambda n=n: len(syncs) == n)  # type: ignore[misc]
            await wait_for(pilot, lambda: not alerts_running(app))
        assert rings == [1]

        # a new order to accept: one more bell, for it alone
        app.clear_notifications()
        (new_id,) = sandbox.world.add_orders(1, status="WaitingAcceptance")
        reference = sandbox.world.order(new_id)["reference"]
        await pilot.press("s")
        await wait_for(pilot, lambda: len(rings) == 2 and bool(toast_texts(app)))
        (toast,) = toast_texts(app)
        assert f"1 order to accept ({reference})" in toast
        assert "late" not in toast and "due soon" not in toast
        await pilot.pause(0.5)
        assert rings == [1, 1]
