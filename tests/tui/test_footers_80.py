"""Every screen and dialog at 80×24: the footer's last line holds whole key entries
only — the way out (q / ^q Quit or esc) and help (? / f1) among them — then the palette
hint (not over a dialog, whose footer lists its own keys), with no cut entry and no
stray character. The help shows one scrollbar, the problem screen's q quits, and the
order detail gives the product title most of the width."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.screen import ModalScreen, Screen
from tui_helpers import inbox_loaded, screen_text, wait_for

from cdtui.orders.enums import State
from cdtui.storage.store import Store
from cdtui.tui.app import CdtuiApp
from cdtui.tui.dialogs.address import AddressDialog
from cdtui.tui.dialogs.batches import BatchesDialog
from cdtui.tui.dialogs.channels import ChannelSelectionDialog
from cdtui.tui.dialogs.confirm import ConfirmationModal
from cdtui.tui.dialogs.label import LabelDialog
from cdtui.tui.dialogs.order_detail import OrderDetailDialog
from cdtui.tui.screens.connect import ConnectScreen
from cdtui.tui.screens.help import HelpScreen
from cdtui.tui.screens.integration_settings import IntegrationSettingsScreen
from cdtui.tui.screens.integrations import IntegrationsScreen
from cdtui.tui.screens.problem import ProblemScreen
from cdtui.tui.screens.report import ReportScreen
from cdtui.tui.screens.scan import ScanScreen
from cdtui.tui.screens.setup import SetupScreen
from cdtui.tui.widgets.order_table import OrderTable

PALETTE_HINT = "▏^p palette"


def entries(screen: Screen[object]) -> set[str]:
    """``key description`` of every key the footer may show on ``screen``."""
    app = screen.app
    return {
        f"{app.get_key_display(b)} {b.description}"
        for _, b, _, _ in screen.active_bindings.values()
        if b.show and b.description
    }


def footer_entries(line: str, possible: set[str]) -> list[str]:
    """The whole entries the footer ``line`` is made of (fails on anything else)."""
    keys = line.rstrip().removesuffix(PALETTE_HINT).strip()  # no palette over a dialog
    found: list[str] = []
    while keys:
        # the longest entry that starts here, followed by a space or the end
        match = max(
            (e for e in possible if keys == e or keys.startswith(e + " ")),
            key=len,
            default=None,
        )
        assert match is not None, f"cut entry or stray text at {keys!r} in {line!r}"
        found.append(match)
        keys = keys[len(match) :].lstrip()
    return found


def whole_screen(app: CdtuiApp) -> list[str]:
    """What the terminal shows, line by line: a dialog's box over the screen beneath,
    which shows around it (cell by cell, as the terminal composes them)."""
    top = app.screen
    strips = top._compositor.render_strips()
    if not isinstance(top, ModalScreen):
        return [strip.text for strip in strips]
    under = bottom_screen(app)._compositor.render_strips()
    boxes = [child.region for child in top.children if child.display]
    return [
        "".join(
            (mine if any(box.contains(x, y) for box in boxes) else theirs).crop(x, x + 1).text
            for x in range(app.size.width)
        )
        for y, (mine, theirs) in enumerate(zip(strips, under, strict=True))
    ]


def bottom_screen(app: CdtuiApp) -> Screen[object]:
    """The screen whose footer is on the last line (a dialog shows the one beneath)."""
    for screen in reversed(app.screen_stack):
        if not isinstance(screen, ModalScreen):
            return screen
    raise AssertionError("no screen")


async def check_footer(pilot: Pilot[object], *, way_out: tuple[str, ...]) -> str:
    """The last line at 80 columns: whole entries, one of ``way_out`` and a help key."""
    app: CdtuiApp = pilot.app  # type: ignore[assignment]
    await pilot.pause(0.2)
    # the footer is composed again when the keys that apply change (the orders read, a
    # cursor moved): between two compositions a frame may hold a blank last line, so
    # the line is read once it is drawn
    line = ""

    def drawn() -> bool:
        nonlocal line
        line = whole_screen(app)[-1]
        return line.strip() != ""

    await wait_for(pilot, drawn)
    # a dialog covers the middle: the last line is the footer of the screen beneath
    found = footer_entries(line, entries(app.screen))  # a dialog has a footer of its own
    assert any(e in found for e in way_out), (way_out, line)
    if not isinstance(app.screen, HelpScreen):  # where ? (Esc, q) closes the help
        assert {"? Help", "f1 Help"} & set(found), line
    return line


Opener = Callable[[Pilot[object]], Awaitable[None]]


async def to_inbox(pilot: Pilot[object]) -> None:
    await wait_for(pilot, lambda: inbox_loaded(pilot.app))


async def press_until(pilot: Pilot[object], key: str, kind: type) -> None:
    await to_inbox(pilot)
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, kind))


async def shops_then(pilot: Pilot[object], key: str, kind: type) -> None:
    await press_until(pilot, "i", IntegrationsScreen)
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, kind))


async def label_then_address(pilot: Pilot[object]) -> None:
    await press_until(pilot, "l", LabelDialog)
    await pilot.press("e")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, AddressDialog))


async def settings_edited_then_escape(pilot: Pilot[object]) -> None:
    await shops_then(pilot, "enter", IntegrationSettingsScreen)
    await pilot.press("x", "escape")  # into the focused field, then leave: asked first
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmationModal))


async def settings_then_channels(pilot: Pilot[object]) -> None:
    await shops_then(pilot, "enter", IntegrationSettingsScreen)
    await pilot.press("ctrl+o")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ChannelSelectionDialog))


async def problem(pilot: Pilot[object]) -> None:
    await to_inbox(pilot)
    await pilot.app.push_screen(ProblemScreen("The data store cannot be opened", "damaged"))
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ProblemScreen))


#: name: (how to get there from the start, the entries that lead out: one must show)
OPENERS: dict[str, tuple[Opener, tuple[str, ...]]] = {
    "inbox": (to_inbox, ("q Quit",)),
    "shops": (lambda p: press_until(p, "i", IntegrationsScreen), ("q Quit",)),
    "settings": (lambda p: shops_then(p, "enter", IntegrationSettingsScreen), ("^q Quit",)),
    "setup": (lambda p: shops_then(p, "u", SetupScreen), ("^q Quit",)),
    "connect": (lambda p: shops_then(p, "n", ConnectScreen), ("^q Quit",)),
    "channels": (settings_then_channels, ("esc Cancel",)),
    "confirm": (settings_edited_then_escape, ("n No",)),
    "report": (lambda p: press_until(p, "D", ReportScreen), ("q Quit",)),
    "scan": (lambda p: press_until(p, "S", ScanScreen), ("^q Quit",)),
    "help": (lambda p: press_until(p, "question_mark", HelpScreen), ("esc Close",)),
    "detail": (lambda p: press_until(p, "enter", OrderDetailDialog), ("esc Close",)),
    "label": (lambda p: press_until(p, "l", LabelDialog), ("esc Cancel",)),
    "address": (label_then_address, ("esc Cancel",)),
    "batches": (lambda p: press_until(p, "P", BatchesDialog), ("esc Cancel",)),
    "problem": (problem, ("q Quit",)),
}


@pytest.mark.parametrize("name", sorted(OPENERS))
async def test_footer_fits_80_columns(synced_home: Path, name: str) -> None:
    opener, way_out = OPENERS[name]
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await opener(pilot)
        await check_footer(pilot, way_out=way_out)


async def test_order_detail_gives_the_product_title_the_width(synced_home: Path) -> None:
    """The longest product title of the seeded orders reads on one line of the detail at
    80 columns (its first 50 characters at least), its SKU beside the line's facts."""
    records = Store(synced_home).orders(state=State.TO_SHIP)
    rec, line = max(
        ((r, ln) for r in records for ln in r.order.lines if ln.offer.product_title),
        key=lambda pair: len(pair[1].offer.product_title or ""),
    )
    title = line.offer.product_title or ""
    assert len(title) > 30, title  # a title that the old layout cut into 3-10 columns
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_inbox(pilot)
        app.screen.query_one(OrderTable).move_to(rec.order_id)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, OrderDetailDialog))
        await pilot.pause(0.2)
        shown = ""
        for _ in range(6):  # the lines come below the order's head: scroll through
            shown += screen_text(app) + "\n"
            await pilot.press("pagedown")
        assert title[:50] in shown, (title, shown)
        assert f"SKU {line.sku}" in shown


#: what a scrollbar's thumb is drawn with (its ends in eighths of a cell)
THUMB = set("▁▂▃▄▅▆▇█")


async def test_help_shows_one_scrollbar(synced_home: Path) -> None:
    """At 80×24 the help's list scrolls with its own bar; the inbox's bar beneath does
    not show beside it (the dialog takes the width)."""
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_until(pilot, "question_mark", HelpScreen)
        await pilot.pause(0.2)
        lines = whole_screen(app)
        columns = {x for line in lines[:-1] for x, char in enumerate(line) if char in THUMB}
        assert columns and max(columns) - min(columns) <= 1, "\n".join(lines)


async def test_q_quits_the_problem_screen(synced_home: Path) -> None:
    """The screen shown when cdtui cannot start says "Press q to quit": q does."""
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await problem(pilot)
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running)


@pytest.mark.parametrize(
    ("name", "title", "key_row"),
    [
        ("detail", "Order detail", "esc / q Close"),
        ("batches", "Print batches", "Print again"),
        ("confirm", "Question", "y Yes"),
    ],
)
async def test_the_help_key_a_dialog_shows_opens_its_help(
    synced_home: Path, name: str, title: str, key_row: str
) -> None:
    """? in a dialog (as its footer says) lists that dialog's keys; Esc goes back to it."""
    opener, _ = OPENERS[name]
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await opener(pilot)
        dialog = app.screen
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause(0.1)
        shown = screen_text(app)
        assert f"Keys — {title}" in shown, shown
        assert key_row in " ".join(shown.split()), shown
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is dialog)
