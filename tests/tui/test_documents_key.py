"""p in the inbox: the picking list and packing slips of the selection (or of the order
under the cursor), written in a worker, printed with the print command, and where they
are said on the status line (80×24, keyboard only)."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader
from textual.widgets._toast import Toast
from tui_helpers import inbox_loaded, screen_text, wait_for

from cdtui.tui.app import CdtuiApp
from cdtui.tui.screens.inbox import InboxScreen


def status(app: CdtuiApp) -> str:
    """What the operator is told: the status line, or a toast when the message (a
    folder's path) is too long for it, spaces made single (a toast wraps)."""
    toasts = [str(t.render()) for t in app.screen.query(Toast)]
    return " ".join(" ".join([screen_text(app).splitlines()[-2], *toasts]).split())


def documents(home: Path) -> list[Path]:
    return sorted((home / "labels" / "documents").glob("*/*.pdf"))


def print_calls(log: Path) -> list[list[str]]:
    return [json.loads(ln) for ln in log.read_text().splitlines()]


def pdf_text(path: Path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(path).pages)


@pytest.fixture
def printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A print command that logs the file it is given: the log's path."""
    log = tmp_path / "printed.jsonl"
    script = tmp_path / "printer.py"
    script.write_text(
        "import json, pathlib, sys\n"
        f"with pathlib.Path({str(log)!r}).open('a') as f:\n"
        "    f.write(json.dumps(sys.argv[1:]) + '\\n')\n"
    )
    monkeypatch.setenv("CDTUI_PRINT_COMMAND", f"{sys.executable} {script}")
    return log


async def test_p_prints_a_picking_list_and_a_slip_per_selected_order(
    synced_home: Path, printed: Path
) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_for(pilot, lambda: inbox_loaded(app))
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        await pilot.press(*["space"] * 10)  # each selects and moves down
        chosen = [r for r in screen._all if r.order_id in screen.table.selected]
        assert len(chosen) == 10
        await pilot.press("p")
        await wait_for(pilot, lambda: "Picking list and" in status(app))
        assert "Picking list and 10 packing slips printed and saved in" in status(app), status(app)
        assert isinstance(app.screen, InboxScreen), "no dialog: the next key is the operator's"

    picklist, slips = documents(synced_home)
    assert picklist.name.startswith("picklist-") and slips.name.startswith("slips-")
    assert print_calls(printed) == [[str(picklist)], [str(slips)]], "each document printed once"
    assert "10 orders" in pdf_text(picklist)
    reader = PdfReader(slips)
    assert len(reader.pages) == 10
    for page, row in zip(reader.pages, chosen, strict=True):
        assert row.reference in page.extract_text(), "slips in the inbox's order"
    for path in (picklist, slips):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_without_a_selection_p_takes_the_cursor_order(synced_home: Path) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_for(pilot, lambda: inbox_loaded(app))
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        await pilot.press("down", "down")
        row = screen.table.cursor_row
        assert row is not None and not screen.table.selected
        await pilot.press("p")
        await wait_for(pilot, lambda: "Picking list and" in status(app))
        assert "Picking list and 1 packing slip saved in" in status(app), status(app)

    picklist, slips = documents(synced_home)
    assert len(PdfReader(slips).pages) == 1
    assert row.reference in pdf_text(slips) and row.reference in pdf_text(picklist)
    assert "1 order" in pdf_text(picklist)
