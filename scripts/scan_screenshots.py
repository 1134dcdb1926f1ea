"""Write the scan mode's screenshots into ``screenshots/`` (80×24, from the sandbox).

Run: ``python scripts/scan_screenshots.py [--out screenshots]``. Like
``scripts/screenshots.py`` (whose sandbox setup and frozen clock it reuses): a throwaway
CDTUI_HOME, a sandbox on loopback. Scans are typed as a USB scanner types them.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from cdtui.config import save_settings
from cdtui.orders.enums import State
from cdtui.orders.packing import pack_lines
from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer
from cdtui.storage.store import Store
from cdtui.tui.app import CdtuiApp
from cdtui.tui.demo import demo_settings
from cdtui.tui.screens.inbox import InboxScreen
from cdtui.tui.screens.scan import ScanScreen
from screenshots import clock, connect, fresh_home, plain_environment, poll


async def shoot(home: Path, out: Path) -> None:
    store = Store(home, clock=clock)
    rec = next(
        r
        for r in store.orders(state=State.TO_SHIP)
        if not r.attention
        and r.order.shipping_address is not None
        and r.order.shipping_address.country_code == "FR"
        and sum(ln.quantity for ln in pack_lines(r)) >= 2
    )
    codes = [ln.code or "" for ln in pack_lines(rec) for _ in range(ln.quantity)]
    app = CdtuiApp(home, clock=clock, demo_hint=(data.SELLER_ID, "demo-shop"))
    app.bell = lambda: None  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:

        async def scan(code: str) -> None:
            await pilot.press(*code, "enter")

        await poll(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen._all)
        await pilot.press("S")
        await poll(pilot, lambda: isinstance(app.screen, ScanScreen))
        screen = app.screen
        assert isinstance(screen, ScanScreen)
        await scan(rec.reference)
        await poll(pilot, lambda: screen.packing is not None and screen.option is not None)
        await scan(codes[0])
        await scan("3700000000998")
        await poll(pilot, lambda: screen.kind == "error")
        await pilot.pause(0.2)
        app.save_screenshot(str(out / "scan-1-wrong-item.svg"))
        for code in codes[1:]:
            await scan(code)
        await poll(pilot, lambda: screen.last_label is not None and not screen.busy)
        await pilot.pause(0.2)
        app.save_screenshot(str(out / "scan-2-label-bought.svg"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent.parent / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    plain_environment()
    home = fresh_home()
    try:
        with SandboxServer(orders=120, seed=0, clock=clock) as server:
            save_settings(demo_settings(home, server.url))
            asyncio.run(connect(home))
            asyncio.run(shoot(home, args.out))
        print(f"wrote {args.out}/scan-1-wrong-item.svg, scan-2-label-bought.svg")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
