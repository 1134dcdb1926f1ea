"""The inbox search at 80×24: accents and case ignored whichever way they are typed."""

from __future__ import annotations

from pathlib import Path

from textual import events
from tui_helpers import screen_text, type_text, wait_for

from cdtui.models import State
from cdtui.storage.store import Store
from cdtui.tui.app import CdtuiApp
from cdtui.tui.screens.inbox import InboxScreen
from cdtui.tui.screens.inbox_view import FILTERS_BY_KEY, filter_rows
from cdtui.tui.widgets import order_table
from cdtui.tui.widgets.order_table import OrderTable


def loaded(app: CdtuiApp) -> bool:
    """the inbox shows the synced orders"""
    screen = app.screen
    return isinstance(screen, InboxScreen) and screen._loaded_generation >= 1 and bool(screen._all)


async def search(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    field = pilot.app.screen.query_one("#search")
    field.value = ""
    await pilot.press("slash")
    await type_text(pilot, text)
    await pilot.press("enter")
    await pilot.pause()


async def test_search_ignores_accents_and_case_both_ways(synced_home: Path) -> None:
    everything = Store(synced_home).order_rows()
    wanted = {o.order_id for o in everything if "Lefèvre" in o.customer}
    to_ship = {o.order_id for o in everything if o.state == State.TO_SHIP}
    assert wanted & to_ship and wanted - to_ship, "the seeded world has Lefèvres in two states"

    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        table = app.screen.query_one(OrderTable)
        # the search box reads as a label and its hint, not "Searchreference"
        assert "Search reference, customer" in screen_text(app)
        await pilot.press("0")  # every state
        found: dict[str, set[str]] = {}
        for typed in ("lefevre", "Lefèvre", "LEFÈVRE", "LEFEVRE", "lefèvre"):
            await search(pilot, typed)
            found[typed] = {r.order_id for r in table.rows}
        assert all(ids == wanted for ids in found.values()), found

        await search(pilot, "zz-nobody")
        assert table.rows == []
        shown = screen_text(app)
        assert "No order matches 'zz-nobody'" in shown
        await pilot.press("1")  # to ship: the message says how to widen
        await pilot.pause()
        shown = " ".join(screen_text(app).split())  # the message wraps at 80 columns
        assert (
            "No order matches 'zz-nobody' in To ship: 0 searches every state, Esc clears the "
            "search." in shown
        )


async def test_sorting_by_customer_ignores_accents(synced_home: Path) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        await pilot.press("0")  # every state
        table = app.screen.query_one(OrderTable)
        await pilot.press("b")  # the order date: no column for it at 80 columns
        await pilot.pause()
        assert "Sorted by order date (newest first)" in screen_text(app)
        while table.sort_key != "customer":
            await pilot.press("b")
        await pilot.pause()
        names = [r.cells["customer"] for r in table.rows]
        assert any(n[:1] in "ÉÍÖØ" for n in names), "the seeded world has accented initials"
        keys = [order_table.fold(n) for n in names]
        assert keys == sorted(keys), "Émilie is among the E's, not after Zoé"


def test_fold_reads_letters_as_typed_without_accents() -> None:
    fold = order_table.fold
    assert fold("Søren Ødegård") == fold("SOREN odegard") == "soren odegard"
    assert fold("Nguyễn Groß") == "nguyen gross"
    assert fold("Ｐａｒｉｓ ﬁ") == "paris fi"


async def test_search_of_accented_names_from_a_plain_query(synced_home: Path) -> None:
    """Every accented word of the customers, typed without its accents, finds the same
    orders as typed with them (the haystack and the query folded alike)."""
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        rows = app.screen._all
        fold = order_table.fold
        every = FILTERS_BY_KEY["0"]
        words = {w for r in rows for w in r.cells["customer"].split() if not w.isascii()}
        assert len(words) >= 3
        for word in words:
            plain = "".join(c for c in fold(word) if c.isascii())
            if len(plain) < len(fold(word)):
                continue  # a letter with no plain spelling (none in the seeded names)
            with_accents = filter_rows(rows, every, None, None, word.upper())
            without = filter_rows(rows, every, None, None, plain)
            assert with_accents and with_accents == without, word


async def test_keys_typed_in_one_burst_after_slash_go_to_the_search(synced_home: Path) -> None:
    """A fast typist (or a busy moment, keys queued): ``/`` then ``lefevre`` arrive
    together. Every letter after the ``/`` is search text, none a command (``l``
    label, ``f`` filter, ``r`` refuse)."""
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        filter_before = screen.state_filter
        for key in ["slash", *"lefevre"]:  # posted at once, processed after
            app.post_message(events.Key(key, "/" if key == "slash" else key))
        await wait_for(pilot, lambda: screen._search == "lefevre")
        assert screen.state_filter == filter_before and app.screen is screen


async def test_a_slash_typed_in_the_search_is_text(synced_home: Path) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: loaded(app))
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        await pilot.press("0")
        table = screen.query_one(OrderTable)
        day = table.rows[0].cells["date"][:5]  # "26/11"
        assert "/" in day
        await pilot.press("slash")
        await type_text(pilot, day)
        await wait_for(pilot, lambda: screen._search == day)
        assert table.rows and all(day in r.haystack for r in table.rows)
        assert any(r.cells["date"].startswith(day) for r in table.rows)
