"""API data is untrusted: what an order carries is shown as text, never obeyed.

An order's reference, customer name, city or product title can hold terminal escapes
(OSC 52 writes the clipboard, OSC 0 the window title, ``ESC[2J`` clears the screen), a
newline that forges a row, or Rich markup. The TUI shows all of it as visible text.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.segment import Segment
from rich.text import Text
from tui_helpers import connect_and_sync, type_text, wait_for

from cdtui.models import State
from cdtui.sandbox.server import SandboxServer
from cdtui.storage.store import Store
from cdtui.tui import format as fmt
from cdtui.tui.app import CdtuiApp
from cdtui.tui.dialogs.label import LabelDialog
from cdtui.tui.dialogs.order_detail import OrderDetailDialog
from cdtui.tui.screens.inbox import InboxScreen
from cdtui.tui.widgets.order_table import OrderTable

OSC52 = "\x1b]52;c;SGVsbG8=\x07"  # writes the clipboard
TITLE = "\x1b]0;pwned\x07"  # sets the window title
CLEAR = "\x1b[2J"  # clears the screen
REFERENCE = f"{OSC52}R-1\nFORGED"
MARKUP = "[bold red]X[/] [link=https://evil]y[/link]"

# what the operator reads instead: every control character as a visible escape
SHOWN_REFERENCE = r"\x1b]52;c;SGVsbG8=\x07R-1 FORGED"
SHOWN_NAME = r"Camille\x1b[2J"
SHOWN_CITY = r"Paris\x1b]0;pwned\x07"


def poison(sandbox: SandboxServer) -> str:
    """Make the showcase's home-delivery order hostile; its id."""
    order_id = sandbox.world.showcase["home_thd"]

    def hostile(doc: dict) -> None:  # type: ignore[type-arg]
        doc["reference"] = REFERENCE
        for line in doc["lines"]:
            address = line.get("shippingAddress") or {}
            address["firstName"] = f"Camille{CLEAR}"
            address["city"] = f"Paris{TITLE}"
            line["offer"]["productTitle"] = MARKUP

    sandbox.world.update_order(order_id, hostile)
    return order_id


@pytest.fixture
def hostile_home(tui_home: Path, sandbox: SandboxServer) -> tuple[Path, str]:
    order_id = poison(sandbox)
    connect_and_sync(tui_home)
    return tui_home, order_id


def test_safe_text_shows_controls_and_keeps_styles() -> None:
    shown_paris = r"Paris\x1b[2J"
    shown = fmt.safe_text(Text.assemble((f"Paris{CLEAR}", "red"), "\nnext line"))
    assert shown.plain == f"{shown_paris}\nnext line"  # the line break kept
    assert {str(span.style) for span in shown.spans} == {"red"}
    red = {i for span in shown.spans for i in range(span.start, span.end)}
    assert red == set(range(len(shown_paris)))  # the escape as red as what it stands for
    assert fmt.safe(REFERENCE) == SHOWN_REFERENCE and fmt.safe("plain") == "plain"


# ---------------------------------------------------------------- what the screen shows


def painted(app: CdtuiApp) -> list[list[Segment]]:
    """The current screen as composed for the terminal, line by line."""
    return [list(strip) for strip in app.screen._compositor.render_strips()]


def screen_lines(app: CdtuiApp) -> list[str]:
    return ["".join(s.text for s in line) for line in painted(app)]


def assert_harmless(app: CdtuiApp) -> str:
    """Nothing on screen is a control character or a link; the screen's text."""
    lines = screen_lines(app)
    text = "\n".join(lines)
    controls = [c for c in text if c != "\n" and (ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0)]
    assert not controls, f"control characters painted: {controls!r}"
    links = {s.style.link for line in painted(app) for s in line if s.style and s.style.link}
    assert not links, f"markup made links: {links}"
    return text


async def test_hostile_order_is_shown_as_text_everywhere(
    hostile_home: tuple[Path, str],
) -> None:
    home, order_id = hostile_home
    to_ship = Store(home).orders(state=State.TO_SHIP)
    app = CdtuiApp(home)
    async with app.run_test(size=(200, 50), notifications=True) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen._all)
        table = app.screen.query_one(OrderTable)
        assert len(table.rows) == len(to_ship)
        table.move_to(order_id)
        await pilot.pause()

        # the inbox: one row, the reference's escapes and newline shown in its cell
        text = assert_harmless(app)
        rows = [ln for ln in screen_lines(app) if SHOWN_NAME in ln]
        assert len(rows) == 1, rows
        [row] = rows
        assert SHOWN_REFERENCE[:12] in row and SHOWN_CITY in row
        assert "[bold red]X[/] [link=https://evil]y" in row  # not markup: shown as typed
        assert "FORGED" not in text  # cut in its cell, never on a line of its own
        assert sum(1 for ln in screen_lines(app) if "Demo shop" in ln) == len(to_ship)

        # the detail
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, OrderDetailDialog))
        await pilot.pause()
        text = assert_harmless(app)
        assert f"Order {SHOWN_REFERENCE}" in text
        assert SHOWN_NAME in text and SHOWN_CITY in text
        assert "[bold red]X[/]" in text and "[link=https://evil]y[/link]" in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))

        # the label dialog
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LabelDialog) and app.screen.plan)
        await pilot.pause()
        text = assert_harmless(app)
        assert f"Label for order {SHOWN_REFERENCE}" in text
        assert SHOWN_NAME in text and SHOWN_CITY in text
        assert f"Contents: 1× {MARKUP}" in text

        # the address dialog: fields prefilled as shown, nothing counted as corrected
        await pilot.press("e")
        await pilot.pause()
        assert_harmless(app)
        assert SHOWN_REFERENCE in "\n".join(screen_lines(app))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, LabelDialog)
        assert "corrected" not in "\n".join(screen_lines(app)).lower()

        # buy it; then a toast that names the order
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: isinstance(app.screen, InboxScreen) and not app.labels_running
        )
        await pilot.press("0")  # every state: the order is labelled now
        await wait_for(pilot, lambda: order_id in {r.order_id for r in table.rows})
        table.move_to(order_id)
        await pilot.press("o")
        await wait_for(
            pilot, lambda: any(f"Label of {SHOWN_REFERENCE}" in ln for ln in screen_lines(app))
        )
        assert_harmless(app)

        # searching finds it by what is shown
        await pilot.press("slash")
        await type_text(pilot, "forged")
        await pilot.press("enter")
        await wait_for(pilot, lambda: [r.order_id for r in table.rows] == [order_id])


async def test_hostile_shop_data_is_shown_as_text(synced_home: Path) -> None:
    """The shop name the API gave, an API error kept as the last error, the name of the
    integration: in the integrations table (a DataTable, which reads markup), its
    settings (whose Name field is a Textual Input) and the inbox's Shop column."""
    store = Store(synced_home)
    [integ] = store.integrations()
    store.update_integration(
        integ.id,
        lambda i: i.model_copy(
            update={
                "name": f"Shop{TITLE} [b]x[/b]",
                "shop_name": f"Boutique{CLEAR}",
                "last_error": f"Octopia said {OSC52}[red]no[/red]",
            }
        ),
    )
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen._all)
        await pilot.pause()
        assert r"Shop\x1b" in assert_harmless(app)  # the Shop column (cut to fit)
        await pilot.press("i")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "IntegrationsScreen")
        await pilot.pause()
        text = assert_harmless(app)
        assert r"Shop\x1b]0;pwned\x07 [b]x[/b]" in text
        assert r"Octopia said \x1b]52;c;SGVsbG8=\x07[red]no[/red]" in text
        store.update_integration(integ.id, lambda i: i.model_copy(update={"last_error": None}))
        await pilot.press("e")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "IntegrationSettingsScreen")
        await pilot.pause()
        text = assert_harmless(app)  # the Name field shows the name as stored, less its controls
        assert r"Integration “Shop\x1b]0;pwned\x07 [b]x[/b]”" in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "IntegrationsScreen")
        app.screen.reload()  # type: ignore[attr-defined]
        await pilot.pause()
        assert r"Boutique\x1b[2J" in assert_harmless(app)


# ---------------------------------------------------------------- a real terminal


def _read_until(fd: int, done: Callable[[bytes], bool], seconds: float, out: bytearray) -> None:
    """Read what the app paints into ``out`` until ``done(out)`` or ``seconds`` pass (a
    terminal must be read, or the app blocks writing to it)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end and not done(bytes(out)):
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                out += os.read(fd, 65536)
            except OSError:  # the terminal closed: the app is gone
                return


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pseudo-terminals")
def test_hostile_order_never_writes_escapes_to_the_terminal(
    hostile_home: tuple[Path, str],
) -> None:
    home, _ = hostile_home
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDTUI_")}
    env.update(CDTUI_HOME=str(home), TERM="xterm-256color", COLUMNS="160", LINES="45")
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 45, 160, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "cdtui", "--no-mouse"],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
        start_new_session=True,
    )
    os.close(child)
    out = bytearray()
    try:
        _read_until(main, lambda b: b"Demo shop" in b, 60, out)
        assert b"Demo shop" in out, bytes(out[-2000:])
        for keys in ("/", "FORGED", "\r", "\r"):  # search for the order, open its detail
            os.write(main, keys.encode())
            _read_until(main, lambda b: False, 0.5, out)
        _read_until(main, lambda b: b"Ship to" in b, 20, out)
        assert b"Ship to" in out, bytes(out[-2000:])
        os.write(main, b"\x1b")  # close the detail
        _read_until(main, lambda b: False, 0.5, out)
        os.write(main, b"q")
        _read_until(main, lambda b: proc.poll() is not None, 20, out)
        code = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main)
    written = bytes(out)
    assert code == 0
    assert b"SGVsbG8=" in written and b"pwned" in written  # the order was on screen
    assert b"\x1b]52" not in written  # the clipboard untouched
    assert b"\x1b]0;pwned" not in written and b"pwned\x07" not in written  # the title too
    assert b"Camille\x1b[2J" not in written  # the screen not cleared by a name
