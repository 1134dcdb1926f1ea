"""Write the print batch screenshots into ``screenshots/`` (80×24, from the sandbox).

Run: ``python scripts/batch_screenshots.py [--out screenshots]``. Like
``scripts/screenshots.py`` (whose sandbox setup and frozen clock it reuses): a throwaway
CDTUI_HOME, a sandbox on loopback, A4 paper and ``true`` as the print command (it takes
the file and prints nothing). Five orders are labelled in one run (one batch, one print),
then ``P`` offers the batch again.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from textual.widgets import OptionList, Static

from cdtui.config import save_settings
from cdtui.orders.enums import State
from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer
from cdtui.storage.store import Store
from cdtui.tui.app import CdtuiApp
from cdtui.tui.demo import demo_settings
from cdtui.tui.dialogs.batches import BatchesDialog
from cdtui.tui.dialogs.confirm import ConfirmationModal
from cdtui.tui.screens.inbox import InboxScreen
from cdtui.tui.widgets.order_table import OrderTable
from screenshots import clock, connect, fresh_home, plain_environment, poll


def _panel(app: CdtuiApp) -> str:
    screen = next(s for s in app.screen_stack if isinstance(s, InboxScreen))
    return str(screen.query_one("#run-results", Static).render())


async def shoot(home: Path, out: Path) -> None:
    ids = [
        r.order_id
        for r in Store(home, clock=clock).orders(state=State.TO_SHIP)
        if not r.attention
        and r.order.shipping_address is not None
        and r.order.shipping_address.country_code == "FR"
        and data.ANNOUNCE_FAIL_MARK not in (r.order.shipping_address.address_line1 or "")
    ][:5]
    app = CdtuiApp(home, clock=clock, demo_hint=(data.SELLER_ID, "demo-shop"))
    async with app.run_test(size=(80, 24)) as pilot:
        await poll(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen._all)
        table = app.screen.query_one(OrderTable)
        for order_id in ids:
            table.move_to(order_id)
            await pilot.press("space")
        await pilot.press("L")
        await poll(pilot, lambda: isinstance(app.screen, ConfirmationModal))
        await pilot.press("y")
        await poll(pilot, lambda: "Printed in one go" in _panel(app), within=60)
        await pilot.pause(0.3)
        app.save_screenshot(str(out / "batch-1-bulk-run.svg"))
        await pilot.press("P")
        await poll(
            pilot,
            lambda: (
                isinstance(app.screen, BatchesDialog)
                and app.screen.query_one(OptionList).option_count > 0
            ),
        )
        await pilot.pause(0.3)
        app.save_screenshot(str(out / "batch-2-print-again.svg"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent.parent / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    plain_environment()
    home = fresh_home()
    os.environ["CDTUI_PRINT_COMMAND"] = "true"
    os.environ["CDTUI_PRINT_PAPER"] = "A4"
    try:
        with SandboxServer(orders=120, seed=0, clock=clock) as server:
            save_settings(demo_settings(home, server.url))
            asyncio.run(connect(home))
            asyncio.run(shoot(home, args.out))
        print(f"wrote {args.out}/batch-1-bulk-run.svg, batch-2-print-again.svg")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
