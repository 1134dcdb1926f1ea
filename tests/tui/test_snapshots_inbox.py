"""The inbox's moments at 80×24 (and wider where it matters), against the sandbox with
time frozen: the bulk question, the 16-colour rows.

Update the stored SVGs with ``pytest tests/tui/test_snapshots_inbox.py --snapshot-update``
after checking the differences in ``snapshot_report.html``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from tui_helpers import connect_and_sync, frozen_clock, wait_for

from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer
from cdtui.tui.app import CdtuiApp
from cdtui.tui.dialogs.confirm import ConfirmationModal
from cdtui.tui.screens.inbox import InboxScreen

Before = Callable[[Pilot[object]], Awaitable[None]]


@pytest.fixture
def frozen_synced_home(tui_home: Path, sandbox: SandboxServer) -> Path:
    """Sandbox world and store both living at FROZEN, the demo seller connected."""
    sandbox.reset(orders=60, seed=1, clock=frozen_clock)
    connect_and_sync(tui_home, clock=frozen_clock)
    return tui_home


def app_for(home: Path) -> CdtuiApp:
    return CdtuiApp(home, clock=frozen_clock, demo_hint=(data.SELLER_ID, "demo-shop"))


def inbox_loaded(app: CdtuiApp) -> bool:
    return any(isinstance(s, InboxScreen) and s._loaded_generation >= 1 for s in app.screen_stack)


def keys_then(*names: str, until: Callable[[CdtuiApp], object]) -> Before:
    async def run_before(pilot: Pilot[object]) -> None:
        app = pilot.app
        assert isinstance(app, CdtuiApp)
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and inbox_loaded(app))
        await pilot.press(*names)
        await wait_for(pilot, lambda: until(app))
        await pilot.pause(0.1)

    return run_before


def test_bulk_question(snap_compare, frozen_synced_home: Path) -> None:  # type: ignore[no-untyped-def]
    # the four most urgent orders: three labels, one order outside the EU without HS code
    assert snap_compare(
        app_for(frozen_synced_home),
        terminal_size=(80, 24),
        run_before=keys_then(
            "space",
            "space",
            "space",
            "space",
            "L",
            until=lambda app: isinstance(app.screen, ConfirmationModal),
        ),
    )
