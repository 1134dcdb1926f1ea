"""The inbox in 16 colours at 80×24 (the ``ansi-dark`` theme the app picks on such a
terminal, as the other snapshots are), against the sandbox with time frozen: the
not-shippable orders, each saying why in its state column; the head line's counts on
the terminal's background.

Update the stored SVGs with ``pytest tests/tui/test_snapshots_16_colours.py
--snapshot-update`` after checking the differences in ``snapshot_report.html``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from tui_helpers import connect_and_sync, frozen_clock, inbox_loaded, wait_for

from cdtui.orders.enums import State
from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer
from cdtui.tui.app import CdtuiApp
from cdtui.tui.widgets.order_table import OrderTable

Before = Callable[[Pilot[object]], Awaitable[None]]


@pytest.fixture
def frozen_synced_home(tui_home: Path, sandbox: SandboxServer) -> Path:
    """Sandbox world and store both living at FROZEN, the demo seller connected."""
    sandbox.reset(orders=60, seed=1, clock=frozen_clock)
    connect_and_sync(tui_home, clock=frozen_clock)
    return tui_home


def in_16_colours(*names: str, state: State) -> Before:
    """The inbox in ``ansi-dark``, then ``names`` pressed until the first row is ``state``."""

    async def run_before(pilot: Pilot[object]) -> None:
        app = pilot.app
        assert isinstance(app, CdtuiApp)
        app.theme = "ansi-dark"
        await wait_for(pilot, lambda: inbox_loaded(app))
        await pilot.press(*names)
        table = app.screen.query_one(OrderTable)
        await wait_for(pilot, lambda: table.rows and table.rows[0].state == state)
        await pilot.pause(0.1)

    return run_before


def app_for(home: Path) -> CdtuiApp:
    return CdtuiApp(home, clock=frozen_clock, demo_hint=(data.SELLER_ID, "demo-shop"))


def test_not_shippable_in_16_colours(snap_compare, frozen_synced_home: Path) -> None:  # type: ignore[no-untyped-def]
    # each order says why: shipped, warehouse, refused, not ready, ...
    assert snap_compare(
        app_for(frozen_synced_home),
        terminal_size=(80, 24),
        run_before=in_16_colours("8", state=State.NOT_SHIPPABLE),
    )
