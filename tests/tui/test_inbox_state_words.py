"""Every state reads in words, at 80×24 and in 16 colours (issue 11, items 11 and 14).

A not-shippable order says why in its row (a word in the state column) and in its
detail (a sentence); late, due today and needing attention are words ("late", "today",
"!") on every row, the cursor's included, where the cursor's colours win so that no red
sits on its green; in 16 colours the head line keeps the terminal's background, so its
red and yellow counts are never drawn on ANSI blue.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rich.segment import Segment
from textual.widgets import Input
from tui_helpers import FROZEN, connect_and_sync, frozen_clock, inbox_loaded, screen_text, wait_for

from cdtui.models import OrderRecord
from cdtui.orders.enums import State
from cdtui.sandbox.server import SandboxServer
from cdtui.storage.store import Store
from cdtui.tui.app import CdtuiApp
from cdtui.tui.dialogs.order_detail import OrderDetailDialog
from cdtui.tui.screens.inbox import InboxScreen
from cdtui.tui.widgets.order_table import OrderTable

SIZE = (80, 24)
#: the screen's lines: the head, the search row, the table's header, then its rows
FIRST_ROW = 3


@pytest.fixture
def home(tui_home: Path, sandbox: SandboxServer) -> Path:
    """The sandbox's 60 orders (seed 1) imported, world and store living at FROZEN."""
    sandbox.reset(orders=60, seed=1, clock=frozen_clock)
    connect_and_sync(tui_home, clock=frozen_clock)
    return tui_home


def records(home: Path) -> list[OrderRecord]:
    return list(Store(home).orders())


def line_of(app: CdtuiApp, reference: str) -> str:
    lines = [ln for ln in screen_text(app).splitlines() if f"  {reference} " in ln]
    assert len(lines) == 1, screen_text(app)
    return lines[0]


async def search(pilot: object, app: CdtuiApp, reference: str) -> None:
    """Show only ``reference`` (typed in the search field, as an operator does)."""
    search_field = app.screen.query_one("#search", Input)
    search_field.value = ""
    await pilot.press("slash", *reference, "enter")  # type: ignore[attr-defined]
    table = app.screen.query_one(OrderTable)
    await wait_for(pilot, lambda: [r.reference for r in table.rows] == [reference])  # type: ignore[arg-type]


#: how an order the sandbox made not shippable is recognised, its word and sentence
KINDS: list[tuple[str, Callable[[OrderRecord], bool], str, str]] = [
    (
        "warehouse",
        lambda r: all(not ln.merchant_ships for ln in r.order.lines),
        "warehouse",
        "Shipped by the marketplace's warehouse (",
    ),
    ("shipped", lambda r: r.order.status == "Shipped", "shipped", "Already shipped"),
    ("refused", lambda r: r.order.status == "Refused", "refused", "Refused (not accepted"),
    (
        "not ready",
        lambda r: r.order.status in ("Accepted", "Processing"),
        "not ready",
        "Not ready yet: the marketplace shows it ",
    ),
]


async def test_a_not_shippable_order_says_why_in_its_row_and_in_its_detail(home: Path) -> None:
    not_shippable = [r for r in records(home) if r.state == State.NOT_SHIPPABLE]
    chosen = [
        (next(r for r in not_shippable if match(r)), word, why) for _, match, word, why in KINDS
    ]
    app = CdtuiApp(home, clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: inbox_loaded(app))
        await pilot.press("8")  # Not shippable
        table = app.screen.query_one(OrderTable)
        await wait_for(pilot, lambda: table.rows and table.rows[0].state == State.NOT_SHIPPABLE)
        # no row is left saying only "not shippable": each says why
        rows = screen_text(app).splitlines()[FIRST_ROW : FIRST_ROW + len(table.rows)]
        assert rows and all(not ln.rstrip().endswith("not shippable") for ln in rows), rows
        for rec, word, why in chosen:
            await search(pilot, app, rec.reference)
            assert line_of(app, rec.reference).rstrip().endswith(f" {word}")
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, OrderDetailDialog))
            detail = screen_text(app)
            assert "State        not shippable" in detail
            assert f"Why          {why}" in detail, detail
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))


def cells(segments: list[Segment]) -> dict[str, Segment]:
    """A table row's cells by their text, stripped (the scrollbar left out)."""
    return {t: s for s in segments if (t := s.text.strip()) and t.strip("▁▂▃▄▅▆▇█")}


def late_cell(row: dict[str, Segment]) -> Segment:
    return next(s for text, s in row.items() if text.startswith("late "))


async def test_urgency_reads_in_words_on_every_row_and_under_the_cursor_in_16_colours(
    home: Path,
) -> None:
    to_ship = [s for s in Store(home).order_rows() if s.state == State.TO_SHIP and s.ship_by]
    late = {s.reference for s in to_ship if s.ship_by and s.ship_by < FROZEN}
    today = {
        s.reference
        for s in to_ship
        if s.ship_by and s.ship_by >= FROZEN and s.ship_by.date() == FROZEN.date()
    }
    attention = {s.reference for s in Store(home).order_rows() if s.attention or s.error}
    assert late and today and attention  # the world has each kind

    app = CdtuiApp(home, clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        app.theme = "ansi-dark"  # what the app picks on a 16-colour terminal
        await wait_for(pilot, lambda: inbox_loaded(app))
        await pilot.pause(0.1)
        table = app.screen.query_one(OrderTable)
        shown = [r.reference for r in table.rows[: 24 - FIRST_ROW - 2]]
        assert late | today <= set(shown)  # the late ones first, then today's
        for reference in shown:
            line = line_of(app, reference)
            if reference in late:
                assert " late " in line, line
            elif reference in today:
                assert " today " in line, line
            else:
                assert " late " not in line and " today " not in line, line
            assert ("! " in line) == (reference in attention), line

        strips = list(app.screen._compositor.render_strips())
        background = next(iter(strips[1])).style.bgcolor  # the search row: the terminal's
        # the head line: its red and yellow counts on the terminal's background, not blue
        head = [s for s in strips[0] if s.text.strip()]
        assert any("late" in s.text for s in head)
        assert all(s.style.bgcolor == background for s in head), head

        # the cursor row (a late order): one colour pair across it, the late cell bold
        assert table.cursor == 0 and shown[0] in late
        cursor = cells(list(strips[FIRST_ROW]))
        assert len({(s.style.color, s.style.bgcolor) for s in cursor.values()}) == 1, cursor
        assert late_cell(cursor).style.bold
        # on the row below (late too), the late cell keeps its colour
        below = cells(list(strips[FIRST_ROW + 1]))
        assert shown[1] in late
        assert late_cell(below).style.color != below[shown[1]].style.color

        await pilot.press("5")  # Needs attention: each row says "!" in its state
        await wait_for(pilot, lambda: {r.reference for r in table.rows} == attention)
        for reference in attention:
            assert "! " in line_of(app, reference)
