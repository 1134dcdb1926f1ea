"""Write an SVG of every cdtui screen into ``screenshots/``, from the app on the sandbox.

Run: ``python scripts/screenshots.py [--out screenshots] [--size 100x30]``.
Everything happens in a throwaway CDTUI_HOME against a sandbox on loopback; the
sandbox's clock is frozen so the pictures are the same from one run to the next.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from cdtui.config import load_settings, save_settings
from cdtui.engine import Engine
from cdtui.models import OrderRecord
from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer
from cdtui.storage.store import Store
from cdtui.tui.app import CdtuiApp
from cdtui.tui.demo import demo_settings
from cdtui.tui.dialogs.channels import ChannelSelectionDialog
from cdtui.tui.dialogs.confirm import ConfirmationModal
from cdtui.tui.dialogs.label import LabelDialog
from cdtui.tui.dialogs.order_detail import OrderDetailDialog
from cdtui.tui.screens.connect import ConnectScreen
from cdtui.tui.screens.help import HelpScreen
from cdtui.tui.screens.inbox import InboxScreen
from cdtui.tui.screens.integration_settings import IntegrationSettingsScreen
from cdtui.tui.screens.integrations import IntegrationsScreen
from cdtui.tui.screens.setup import SetupScreen
from cdtui.tui.widgets.order_table import OrderTable

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
Step = Callable[[Pilot[object]], Awaitable[None]]


def clock() -> datetime:
    return NOW


async def poll(pilot: Pilot[object], condition: Callable[[], object], within: float = 20) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the app did not reach the expected state: {condition}")
        await pilot.pause(0.05)


def on(screen_type: type, extra: Callable[[CdtuiApp], object] | None = None) -> Step:
    async def step(pilot: Pilot[object]) -> None:
        app = pilot.app
        assert isinstance(app, CdtuiApp)

        def ready() -> bool:
            if not isinstance(app.screen, screen_type):
                return False
            inboxes = [s for s in app.screen_stack if isinstance(s, InboxScreen)]
            if any(s._loaded_generation < 1 for s in inboxes):
                return False
            return extra is None or bool(extra(app))

        await poll(pilot, ready)
        await pilot.pause(0.2)

    return step


def press(*keys: str) -> Step:
    async def step(pilot: Pilot[object]) -> None:
        await pilot.press(*keys)

    return step


async def open_channels(pilot: Pilot[object]) -> None:
    pilot.app.screen.query_one("#seller-input", Input).value = data.SELLER_ID
    await pilot.press("ctrl+o")


async def select_three(pilot: Pilot[object]) -> None:
    """Select two ordinary orders and one that cannot get a label."""
    app = pilot.app
    screen = app.screen
    assert isinstance(app, CdtuiApp) and isinstance(screen, InboxScreen)
    assert app.engine is not None
    records = {r.order_id: r for r in app.engine.orders()}
    table = screen.query_one(OrderTable)

    def refused(order_id: str) -> bool:
        address = records[order_id].order.shipping_address
        return address is not None and data.ANNOUNCE_FAIL_MARK in (address.address_line1 or "")

    def french_home(order_id: str) -> bool:
        address = records[order_id].order.shipping_address
        return address is not None and address.country_code == "FR" and not address.pickup_id

    # refused by the carrier, or sent outside the EU without HS codes
    failing = [r.order_id for r in table.rows if refused(r.order_id)]
    failing += [r.order_id for r in table.rows if is_gb(records[r.order_id])]
    fine = [r.order_id for r in table.rows if r.order_id not in failing and french_home(r.order_id)]
    chosen = [*failing[:1], *fine[:2]]
    for order_id in chosen:
        table.move_to(order_id)
        await pilot.press("space")


def cursor_to(wanted: Callable[[OrderRecord], bool]) -> Step:
    """Move the inbox cursor to the first order shown that is ``wanted``."""

    async def step(pilot: Pilot[object]) -> None:
        app = pilot.app
        assert isinstance(app, CdtuiApp) and app.engine is not None
        records = {r.order_id: r for r in app.engine.orders()}
        table = app.screen.query_one(OrderTable)
        found = [r.order_id for r in table.rows if wanted(records[r.order_id])]
        if not found:
            raise RuntimeError("no order of that kind in the sandbox's world")
        table.move_to(found[0])
        await pilot.pause()

    return step


def is_relay(rec: OrderRecord) -> bool:
    address = rec.order.shipping_address
    return address is not None and bool(address.pickup_id)


def is_gb(rec: OrderRecord) -> bool:
    return rec.channel_id == "ONBUGB"


def planned(app: CdtuiApp) -> bool:
    screen = app.screen
    return isinstance(screen, LabelDialog) and screen.plan is not None and not screen._loading


def labels_done(app: CdtuiApp) -> bool:
    return not app.labels_running and bool(getattr(app.screen, "failures", None))


SHOTS: list[tuple[str, bool, list[Step]]] = [
    # name, needs the seller connected, steps
    ("01-setup", False, []),
    ("02-connect", False, [on(ConnectScreen)]),
    (
        "03-channels",
        False,
        [on(ConnectScreen), open_channels, on(ChannelSelectionDialog, lambda a: a.screen._loaded)],
    ),
    ("04-inbox", True, [on(InboxScreen)]),
    ("05-order-detail", True, [on(InboxScreen), press("enter"), on(OrderDetailDialog)]),
    (
        "06-label-dialog",
        True,
        [on(InboxScreen), cursor_to(is_relay), press("l"), on(LabelDialog, planned)],
    ),
    (
        "06b-label-dialog-customs",
        True,
        [on(InboxScreen), cursor_to(is_gb), press("l"), on(LabelDialog, planned)],
    ),
    (
        "06c-label-dialog-all-options",
        True,
        [
            on(InboxScreen),
            cursor_to(is_relay),
            press("l"),
            on(LabelDialog, planned),
            press("a", "down", "down"),
            on(LabelDialog, planned),
        ],
    ),
    (
        "07-bulk-labels",
        True,
        [
            on(InboxScreen),
            select_three,
            press("L"),
            on(ConfirmationModal),
            press("y"),
            on(InboxScreen, labels_done),
        ],
    ),
    ("08-help", True, [on(InboxScreen), press("question_mark"), on(HelpScreen)]),
    ("09-integrations", True, [on(InboxScreen), press("i"), on(IntegrationsScreen)]),
    (
        "10-integration-settings",
        True,
        [
            on(InboxScreen),
            press("i"),
            on(IntegrationsScreen),
            press("enter"),
            on(IntegrationSettingsScreen),
        ],
    ),
    (
        "11-disconnect",
        True,
        [on(InboxScreen), press("i"), on(IntegrationsScreen), press("d"), on(ConfirmationModal)],
    ),
]


async def connect(home: Path) -> None:
    store = Store(home, clock=clock)
    async with Engine(load_settings(home), store, clock=clock) as engine:
        await engine.connect(name="Demo shop", seller_id=data.SELLER_ID, login="demo-shop")
        await engine.sync()


async def shoot(home: Path, steps: list[Step], out: Path, size: tuple[int, int]) -> None:
    app = CdtuiApp(home, clock=clock, demo_hint=(data.SELLER_ID, "demo-shop"))
    async with app.run_test(size=size) as pilot:
        if not steps:
            await poll(pilot, lambda: isinstance(app.screen, SetupScreen))
            await pilot.pause(0.2)
        for step in steps:
            await step(pilot)
        app.save_screenshot(str(out))


def plain_environment() -> None:
    """Times in UTC and no CDTUI_* variable of the caller's shell: the same pictures on
    every machine."""
    os.environ["TZ"] = "UTC"
    time.tzset()
    for key in [k for k in os.environ if k.startswith("CDTUI_")]:
        del os.environ[key]


def fresh_home(prefix: str = "cdtui-shot-") -> Path:
    """A new empty CDTUI_HOME, set in the environment."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["CDTUI_HOME"] = str(home)
    return home


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent.parent / "screenshots")
    parser.add_argument("--size", default="100x30", help="terminal size, e.g. 80x24")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    args.out.mkdir(parents=True, exist_ok=True)
    plain_environment()
    with SandboxServer(orders=120, seed=0, clock=clock) as server:
        for name, connected, steps in SHOTS:
            home = fresh_home()
            try:
                server.reset(orders=120, seed=0, clock=clock)
                if name == "01-setup":  # a first run; only the labels folder is set
                    (home / "config.json").write_text('{"labels_dir": "/srv/cdtui/labels"}')
                else:
                    save_settings(demo_settings(home, server.url))
                if connected:
                    asyncio.run(connect(home))
                target = args.out / f"{name}.svg"
                asyncio.run(shoot(home, steps, target, (width, height)))
                print(f"wrote {target}")
            finally:
                shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
