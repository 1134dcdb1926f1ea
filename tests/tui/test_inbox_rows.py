"""The inbox paints from the store's light rows and follows changes made elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_helpers import wait_for

from cdtui.models import LabelInfo, OrderRecord, State
from cdtui.storage.store import Store
from cdtui.tui.app import CdtuiApp
from cdtui.tui.messages import OrdersChanged
from cdtui.tui.screens.inbox import InboxScreen
from cdtui.tui.widgets.order_table import OrderTable


def shown(app: CdtuiApp) -> list[str]:
    screen = app.screen
    if not isinstance(screen, InboxScreen) or screen._loaded_generation < 1:
        return []
    return [r.order_id for r in screen.query_one(OrderTable).rows]


async def test_inbox_loads_without_building_records(
    synced_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    to_ship = {r.order_id for r in Store(synced_home).orders(state=State.TO_SHIP)}
    assert to_ship

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the inbox validated a full record to paint")

    monkeypatch.setattr(OrderRecord, "model_validate", refuse)
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: shown(app))
        assert set(shown(app)) == to_ship
        monkeypatch.undo()
        # the detail still opens on the full record
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, InboxScreen))


async def test_inbox_shows_a_change_made_by_another_process(synced_home: Path) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: shown(app))
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        first = shown(app)[0]

        def labelled(rec: OrderRecord) -> OrderRecord:
            rec.label = LabelInfo(
                external_reference_id=rec.external_reference_id(), shipment_id="shp-9"
            )
            return rec

        Store(synced_home).update_order(first, labelled)  # e.g. `cdtui label` in a shell
        app.post_message(OrdersChanged())
        await wait_for(pilot, lambda: shown(app) and first not in shown(app))
        await pilot.press("3")  # Label created
        await wait_for(pilot, lambda: first in shown(app))
        row = next(r for r in screen.query_one(OrderTable).rows if r.order_id == first)
        assert row.labelled and row.state == State.LABELLED
