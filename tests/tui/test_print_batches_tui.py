"""Print batches in the TUI at 80×24: a bulk run prints its labels once and says so; P
offers today's batches (the last one first) and prints the chosen one again."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from recording_printer import RecordingPrinter
from textual.widgets import OptionList, Static
from tui_helpers import inbox_loaded, screen_text, wait_for

from cdtui.models import State
from cdtui.storage.store import Store
from cdtui.tui.app import CdtuiApp
from cdtui.tui.dialogs.batches import BatchesDialog
from cdtui.tui.dialogs.confirm import ConfirmationModal
from cdtui.tui.screens.inbox import InboxScreen
from cdtui.tui.widgets.order_table import OrderTable


def inbox(app: CdtuiApp) -> InboxScreen:
    return next(s for s in app.screen_stack if isinstance(s, InboxScreen))


def panel_text(app: CdtuiApp) -> str:
    screen = inbox(app)
    return " ".join(
        str(screen.query_one(f"#{n}", Static).render()) for n in ("run-text", "run-results")
    )


def dialog_text(app: CdtuiApp) -> str:
    """The batch dialog's title, status line and rows, as shown."""
    screen = app.screen
    if not isinstance(screen, BatchesDialog):
        return ""
    parts = [str(w.render()) for w in screen.query(Static)]
    listing = screen.query_one(OptionList)
    parts += [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
    return "\n".join(parts)


def french_orders(home: Path, n: int) -> list[str]:
    return [
        r.order_id
        for r in Store(home).orders(state=State.TO_SHIP)
        if r.order.shipping_address is not None
        and r.order.shipping_address.country_code == "FR"
        and not r.order.shipping_address.pickup_id
        and "FAIL" not in (r.order.shipping_address.address_line1 or "").upper()
    ][:n]


async def test_bulk_run_prints_once_and_p_prints_the_batch_again(
    synced_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    printer = RecordingPrinter(tmp_path)
    monkeypatch.setenv("CDTUI_PRINT_COMMAND", printer.command)
    ids = french_orders(synced_home, 3)
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: inbox_loaded(app))
        table = inbox(app).query_one(OrderTable)
        for order_id in ids:
            table.move_to(order_id)
            await pilot.press("space")
        await pilot.press("L")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmationModal), within=20)
        await pilot.press("y")
        await wait_for(pilot, lambda: "Printed in one go" in panel_text(app), within=30)
        # one call of the print command for the three labels, with their merged PDF
        assert len(printer.calls) == 1
        reader = PdfReader(io.BytesIO(printer.copy(1)))
        assert len(reader.pages) == 3
        labels = [Store(synced_home).order(i).label for i in ids]
        text = "\n".join(page.extract_text() for page in reader.pages)
        assert all(lb is not None and lb.tracking_number in text for lb in labels)
        assert "3 labels on 3 A6 pages" in panel_text(app)
        assert "P prints it again" in panel_text(app)

        # P: today's batches, the last one highlighted; Enter prints it again
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, BatchesDialog))
        await wait_for(pilot, lambda: app.screen.query_one(OptionList).option_count == 1)
        shown = dialog_text(app)
        assert "Print a batch again" in shown and "3 labels on 3 A6 pages" in shown
        assert "3 orders: " in shown and "3 labels on 3 A6 pages, printed ×1" in shown
        assert app.engine is not None
        [batch] = app.engine.batches.all()
        assert str(batch.path).replace(" ", "") in unwrapped(screen_text(app))
        assert "Enter prints" in screen_text(app) and "No print command" not in shown
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(printer.calls) == 2, within=15)
        assert isinstance(app.screen, InboxScreen)
        assert printer.copy(2) == printer.copy(1)
        assert printer.calls[1] == printer.calls[0]

        # Escape closes the dialog without printing
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, BatchesDialog))
        await pilot.press("escape")
        await pilot.pause(0.3)
        assert isinstance(app.screen, InboxScreen) and len(printer.calls) == 2


def unwrapped(text: str) -> str:
    """The screen's text with the dialog's borders, spaces and line ends taken out, so
    a path the dialog wraps over several lines reads as one."""
    return "".join(ch for ch in text if ch not in "│╭╮╰╯─ \n")


async def test_p_without_a_print_command_lists_the_batches_and_where_they_are(
    synced_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = french_orders(synced_home, 2)
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: inbox_loaded(app))
        table = inbox(app).query_one(OrderTable)
        for order_id in ids:
            table.move_to(order_id)
            await pilot.press("space")
        await pilot.press("L")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmationModal), within=20)
        await pilot.press("y")
        await wait_for(pilot, lambda: "Kept, not printed" in panel_text(app), within=30)
        engine = app.engine
        assert engine is not None
        [batch] = engine.batches.all()
        assert batch.path.is_file()

        # P lists the batch: its time, order count, size and full path (wrapped, not cut)
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, BatchesDialog))
        await wait_for(pilot, lambda: app.screen.query_one(OptionList).option_count == 1)
        await pilot.pause(0.1)
        shown = screen_text(app)
        assert "Print batches" in shown and "Today's batch." in shown
        made = batch.created_at.astimezone().strftime("%H:%M") if batch.created_at else ""
        refs = [str(o["reference"]) for o in batch.orders]
        assert f"{made}  2 orders: {refs[0]} +1" in shown
        assert "2 labels on 2 A6 pages, not printed" in shown
        assert len(str(batch.path)) > 76  # longer than the dialog is wide
        assert str(batch.path).replace(" ", "") in unwrapped(shown)
        assert "No print command" in shown and "Setup (i, then u)" in shown

        # Enter prints nothing and says where the file is and how to print it
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, BatchesDialog)
        status = str(app.screen.query_one("#batches-status", Static).render())
        assert "no print command is set" in status and str(batch.path) in status
        assert "Enter prints it" in status
        assert engine.batches.get(batch.id).prints == []
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert isinstance(app.screen, InboxScreen)


async def test_p_with_no_batch_yet_says_so(
    synced_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CDTUI_PRINT_COMMAND", RecordingPrinter(tmp_path).command)
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: inbox_loaded(app))
        await pilot.press("P")
        await wait_for(pilot, lambda: "No print batch yet" in dialog_text(app))
        await pilot.press("enter")  # nothing to print: the dialog stays
        assert isinstance(app.screen, BatchesDialog)
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert isinstance(app.screen, InboxScreen)


async def test_with_batch_documents_one_print_holds_list_slips_and_labels(
    synced_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    printer = RecordingPrinter(tmp_path)
    monkeypatch.setenv("CDTUI_PRINT_COMMAND", printer.command)
    monkeypatch.setenv("CDTUI_BATCH_DOCUMENTS", "true")
    monkeypatch.setenv("CDTUI_PRINT_PAPER", "A4")
    ids = french_orders(synced_home, 5)
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: inbox_loaded(app))
        table = inbox(app).query_one(OrderTable)
        for order_id in ids:
            table.move_to(order_id)
            await pilot.press("space")
        await pilot.press("L")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmationModal), within=20)
        await pilot.press("y")
        await wait_for(pilot, lambda: "Printed in one go" in panel_text(app), within=40)
    assert len(printer.calls) == 1
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(printer.copy(1))).pages]
    assert "Picking list" in pages[0]
    store = Store(synced_home)
    labelled = [rec for i in ids if (rec := store.order(i)).label is not None]
    assert len(labelled) >= 2
    sheets = -(-len(labelled) // 4)  # four labels a sheet, after the list and the slips
    slips, labels = pages[1:-sheets], pages[-sheets:]
    assert all(any(r.reference in p for p in slips) for r in labelled), "a slip each"
    sheet_text = "\n".join(labels)
    assert all(r.label and r.label.tracking_number in sheet_text for r in labelled)
    assert sum(p.count("SHIP TO") for p in labels) == len(labelled)
    assert labels[0].count("SHIP TO") == min(4, len(labelled))
