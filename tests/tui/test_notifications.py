"""Messages never cover the work: routine ones on the status line, one toast at a time,
never over a dialog's buttons (80×24, notifications on)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button
from textual.widgets._toast import Toast
from tui_helpers import inbox_loaded, screen_text, wait_for

from cdtui.tui.app import CdtuiApp
from cdtui.tui.dialogs.confirm import ConfirmationModal

CONNECTED = "Demo shop (seller 98979) is connected; its orders are being imported."


def toasts(app: CdtuiApp) -> list[Toast]:
    return list(app.screen.query(Toast))


async def test_routine_messages_go_to_the_status_line(synced_home: Path) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_for(pilot, lambda: inbox_loaded(app))
        app.notify("3 new order(s), 0 updated.", title="Sync done")
        app.notify("Order 2611 accepted; it is now to ship.", title="Order accepted")
        await pilot.pause(0.2)
        status = screen_text(app).splitlines()[-2]
        assert "Order accepted: Order 2611 accepted" in status, status
        assert toasts(app) == [] and not app._notifications, "no toast over the orders"


async def test_one_toast_at_a_time(synced_home: Path) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_for(pilot, lambda: inbox_loaded(app))
        app.notify("Octopia answered 503.", title="Sync problem", severity="warning")
        app.notify("No label: the address has no street.", title="No label", severity="error")
        app.notify("The carrier did not answer.", title="Sync problem", severity="warning")
        await pilot.pause(0.2)
        shown = toasts(app)
        assert len(shown) == 1, [str(t.render()) for t in shown]
        assert "No label" in str(shown[0].render()), "the most severe of those at once"
        app.notify("Label file missing.", title="Label of 2611", severity="error")
        await pilot.pause(0.2)
        shown = toasts(app)
        assert len(shown) == 1 and "Label of 2611" in str(shown[0].render()), "the newest"


async def test_no_toast_covers_a_dialogs_buttons(synced_home: Path) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_for(pilot, lambda: inbox_loaded(app))
        # what is left on screen right after connecting: the news, a sync problem
        app.notify(CONNECTED, title="Your integration is ready", severity="warning")
        app.notify("Octopia answered 503 twice.", title="Sync problem", severity="warning")
        await pilot.press("space", "L")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmationModal))
        app.notify("The carrier did not answer.", title="Sync problem", severity="error")
        await pilot.pause(0.3)
        buttons = [b.region for b in app.screen.query(Button)]
        assert buttons and toasts(app)
        for toast in toasts(app):
            for button in buttons:
                assert not toast.region.overlaps(button), (toast.region, button)


async def test_a_message_too_long_for_the_status_line_is_a_toast(synced_home: Path) -> None:
    """A routine message with a file's path is not cut on the status line: it is shown
    whole, in a toast that wraps."""
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_for(pilot, lambda: inbox_loaded(app))
        where = "/tmp/cdtui-demo-qri5kq/labels/documents/2026-12-01"
        message = f"Picking list and slips saved in {where}: picklist-001727.pdf, slips-001727.pdf"
        app.notify(message, title="Documents")
        await pilot.pause(0.3)
        shown = toasts(app)
        assert len(shown) == 1, "too long for the line: a toast"
        text = "".join(str(shown[0].render()).split())
        assert "".join(message.split()) in text, text
        assert "slips-001727" not in screen_text(app).splitlines()[-2]
