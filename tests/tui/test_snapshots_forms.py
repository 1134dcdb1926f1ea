"""What a wrong value looks like at 80×24: the form's wrong fields highlighted, each with
its problem, and the label dialog with a weight that is not one (no stale options).

Update the stored SVGs with ``pytest tests/tui/test_snapshots_forms.py --snapshot-update``
after checking the differences in ``snapshot_report.html``.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from textual.pilot import Pilot
from textual.widgets import Input
from tui_helpers import connect_and_sync, frozen_clock, wait_for

from cdtui.models import State
from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer
from cdtui.storage.store import Store
from cdtui.tui.app import CdtuiApp
from cdtui.tui.dialogs.label import LabelDialog
from cdtui.tui.screens.inbox import InboxScreen
from cdtui.tui.screens.setup import SetupScreen
from cdtui.tui.widgets.order_table import OrderTable


@pytest.fixture
def frozen_synced_home(tui_home: Path, sandbox: SandboxServer) -> Path:
    sandbox.reset(orders=60, seed=1, clock=frozen_clock)
    connect_and_sync(tui_home, clock=frozen_clock)
    return tui_home


def app_for(home: Path) -> CdtuiApp:
    return CdtuiApp(home, clock=frozen_clock, demo_hint=(data.SELLER_ID, "demo-shop"))


def test_setup_wrong_fields_highlighted(snap_compare, cdtui_home: Path) -> None:  # type: ignore[no-untyped-def]
    (cdtui_home / "config.json").write_bytes(orjson.dumps({"labels_dir": "/srv/labels"}))

    async def save_empty(pilot: Pilot[object]) -> None:
        app = pilot.app
        await wait_for(pilot, lambda: isinstance(app.screen, SetupScreen))
        app.screen.query_one("#sender_country-input", Input).value = "ZZ"
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)

    assert snap_compare(app_for(cdtui_home), terminal_size=(80, 24), run_before=save_empty)


def test_label_dialog_with_a_weight_that_is_not_one(  # type: ignore[no-untyped-def]
    snap_compare, frozen_synced_home: Path
) -> None:
    order_id = next(
        r.order_id
        for r in Store(frozen_synced_home, clock=frozen_clock).orders(state=State.TO_SHIP)
        if r.order.shipping_address and r.order.shipping_address.country_code == "FR"
    )

    async def bad_weight(pilot: Pilot[object]) -> None:
        app = pilot.app
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and bool(app.screen._all))
        app.screen.query_one(OrderTable).move_to(order_id)
        await pilot.pause()
        await pilot.press("l")

        def planned() -> bool:
            screen = app.screen
            return isinstance(screen, LabelDialog) and screen.plan is not None

        await wait_for(pilot, planned)
        app.screen.query_one("#weight", Input).value = "1.2.3"
        await pilot.press("w", "enter")  # Enter on it says why
        await pilot.pause(0.2)

    assert snap_compare(app_for(frozen_synced_home), terminal_size=(80, 24), run_before=bad_weight)
