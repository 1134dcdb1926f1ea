"""Scan to ship at 80×24, keyboard only: scans are typed as a USB scanner types them
(the characters, then Enter) against the sandbox-synced store; the label is bought in
the sandbox through the app's label run."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input
from tui_helpers import screen_text, type_text, wait_for

from cdtui.config import load_settings, save_settings
from cdtui.models import OrderRecord
from cdtui.orders.customs import EU_COUNTRIES
from cdtui.orders.enums import State
from cdtui.orders.packing import pack_lines
from cdtui.sandbox.server import SandboxServer
from cdtui.storage.store import Store
from cdtui.tui.app import CdtuiApp
from cdtui.tui.screens.inbox import InboxScreen
from cdtui.tui.screens.scan import ScanScreen

WRONG = "0000000000017"


def orders_to_pack(home: Path, count: int, *, several: bool = False) -> list[OrderRecord]:
    """Orders to ship a label can be bought for as they are (EU, no attention)."""
    found = []
    for rec in Store(home).orders(state=State.TO_SHIP):
        addr = rec.order.shipping_address
        if rec.attention or addr is None or addr.country_code not in EU_COUNTRIES:
            continue
        if (addr.postal_code or "").startswith(("97", "98")):
            continue
        if several and sum(ln.quantity for ln in pack_lines(rec)) < 2:
            continue
        found.append(rec)
        if len(found) == count:
            return found
    raise AssertionError("the seeded world has too few such orders to ship")


def items_of(rec: OrderRecord) -> list[str]:
    return [ln.code or "" for ln in pack_lines(rec) for _ in range(ln.quantity)]


async def scan(pilot, code: str) -> None:  # type: ignore[no-untyped-def]
    """What a USB scanner does: the code's characters, then Enter."""
    await type_text(pilot, code)
    await pilot.press("enter")


@pytest.fixture
def bells(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    rung: list[int] = []
    monkeypatch.setattr(CdtuiApp, "bell", lambda self: rung.append(1))
    return rung


def inbox_ready(app: CdtuiApp) -> bool:
    """the inbox shows the stored orders"""
    screen = app.screen
    return isinstance(screen, InboxScreen) and bool(screen._all) and not app.syncing


def label_shown(screen: ScanScreen) -> bool:
    """the scan screen shows a bought label"""
    return screen.packing is None and screen.last_label is not None and not screen.busy


def label_of(screen: ScanScreen) -> str | None:
    """the order whose bought label the scan screen shows"""
    last = screen.last_label
    return last.order_id if label_shown(screen) and last is not None else None


async def open_scan_mode(pilot) -> ScanScreen:  # type: ignore[no-untyped-def]
    app = pilot.app
    await wait_for(pilot, lambda: inbox_ready(app))
    await pilot.press("S")
    await wait_for(pilot, lambda: isinstance(app.screen, ScanScreen))
    screen = app.screen
    assert isinstance(screen, ScanScreen)
    assert isinstance(app.focused, Input) and app.focused.id == "scan-input"
    return screen


async def test_slip_then_items_buy_the_label_and_the_next_scan_is_ready(
    synced_home: Path, sandbox: SandboxServer, bells: list[int]
) -> None:
    rec, following = orders_to_pack(synced_home, 2, several=True)
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_scan_mode(pilot)
        await scan(pilot, rec.reference)
        await wait_for(pilot, lambda: screen.packing is not None)
        shown = screen_text(app)
        assert f"Order {rec.reference}" in shown
        summary = screen.packing.summary if screen.packing else None
        assert summary is not None and summary.customer in shown
        assert f"0 of {len(items_of(rec))} item(s) scanned" in shown
        await wait_for(pilot, lambda: screen.option is not None)
        assert "Option: " in screen_text(app) and not screen.option_problem

        rung = len(bells)
        await scan(pilot, WRONG)
        await wait_for(pilot, lambda: len(bells) == rung + 1)
        shown = screen_text(app)
        assert "WRONG ITEM" in shown and WRONG in shown
        assert screen.kind == "error"
        assert screen.packing is not None and screen.packing.scanned == 0

        items = items_of(rec)
        for code in items[:-1]:
            await scan(pilot, code)
        await wait_for(pilot, lambda: screen.packing and screen.packing.scanned == len(items) - 1)
        assert f"{len(items) - 1} of {len(items)} item(s) scanned" in screen_text(app)
        await scan(pilot, items[-1])
        await wait_for(pilot, lambda: label_shown(screen))
        shown = screen_text(app)
        assert "LABEL BOUGHT" in shown and "tracking sent to the marketplace" in shown
        assert "Ready: scan the next order." in shown
        assert len(bells) == rung + 1, "no bell for a label bought"
        stored = Store(synced_home).order(rec.order_id)
        assert stored.state == State.TRACKING_SENT
        assert stored.label is not None and stored.label.tracking_number in shown
        assert [s for s in sandbox.world.shipments.values() if s.order_number == rec.reference]

        # ready for the next order, the focus still in the scan field
        assert isinstance(app.focused, Input) and app.focused.id == "scan-input"
        await scan(pilot, following.reference)
        await wait_for(pilot, lambda: screen.packing is not None)
        assert f"Order {following.reference}" in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
    assert Store(synced_home).order(following.order_id).state == State.TO_SHIP


async def test_a_scanner_faster_than_the_store_and_too_many_and_unknown_orders(
    synced_home: Path, bells: list[int]
) -> None:
    (rec,) = orders_to_pack(synced_home, 1)
    labelled = Store(synced_home).orders(state=State.NOT_SHIPPABLE)[0]
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_scan_mode(pilot)
        rung = len(bells)
        await scan(pilot, "NO-SUCH-ORDER")
        await wait_for(pilot, lambda: len(bells) == rung + 1)
        assert "REFUSED" in screen_text(app) and "NO-SUCH-ORDER" in screen_text(app)
        await scan(pilot, labelled.reference)
        await wait_for(pilot, lambda: len(bells) == rung + 2)
        assert "is not shippable" in screen_text(app)
        # the slip and every item typed at once: the items wait for the order
        first = pack_lines(rec)[0]
        await scan(pilot, rec.reference)
        for code in [first.code or ""] * first.quantity:
            await scan(pilot, code)
        if len(pack_lines(rec)) == 1:  # complete: bought; one more is another parcel
            await wait_for(pilot, lambda: label_shown(screen))
            return
        await wait_for(pilot, lambda: screen.packing and screen.packing.scanned == first.quantity)
        await scan(pilot, first.code or "")
        await wait_for(pilot, lambda: len(bells) == rung + 3)
        assert "TOO MANY" in screen_text(app)


async def test_confirmation_waits_for_enter_and_verification_off_needs_the_slip_only(
    synced_home: Path, sandbox: SandboxServer, bells: list[int]
) -> None:
    settings = load_settings(synced_home)
    save_settings(settings.model_copy(update={"scan_verify": False, "scan_confirm": True}))
    rec, other = orders_to_pack(synced_home, 2)
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_scan_mode(pilot)
        assert "items not checked · Enter buys" in screen_text(app)
        await scan(pilot, rec.reference)
        await wait_for(pilot, lambda: screen.packing is not None)
        assert screen.packing is not None and screen.packing.complete
        assert "Press Enter to buy its label" in screen_text(app)
        await pilot.pause(0.3)
        assert Store(synced_home).order(rec.order_id).state == State.TO_SHIP
        await pilot.press("enter")  # the one key the operator presses
        await wait_for(pilot, lambda: label_shown(screen))
        # another slip scanned instead of Enter sets the complete order aside, unbought
        await scan(pilot, other.reference)
        await wait_for(pilot, lambda: screen.packing is not None)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
    assert Store(synced_home).order(rec.order_id).state == State.TRACKING_SENT
    assert Store(synced_home).order(other.order_id).state == State.TO_SHIP
    assert not bells


async def test_scan_mode_is_in_the_inbox_help_and_palette(synced_home: Path) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: inbox_ready(app))
        await pilot.press("question_mark")
        await pilot.pause()
        assert "Scan to ship" in screen_text(app)
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "scan")
        await wait_for(pilot, lambda: "Scan to ship" in screen_text(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ScanScreen))
        await pilot.press("f1")
        await wait_for(pilot, lambda: "Leave scan mode" in screen_text(app))


async def test_three_orders_packed_by_scans_alone_two_keys_for_the_session(
    synced_home: Path, sandbox: SandboxServer, bells: list[int]
) -> None:
    """Keystrokes in scan mode: S opens it and Esc leaves; between them the scanner does
    everything (slip, items; the label follows without a key)."""
    orders = orders_to_pack(synced_home, 3)
    app = CdtuiApp(synced_home)
    operator_keys = scans = 0
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_scan_mode(pilot)
        operator_keys += 1  # S
        for rec in orders:
            for code in [rec.reference, *items_of(rec)]:
                await scan(pilot, code)
                scans += 1
            await wait_for(pilot, lambda: label_of(screen) == rec.order_id)  # noqa: B023
        await pilot.press("escape")
        operator_keys += 1
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
    store = Store(synced_home)
    assert [store.order(r.order_id).state for r in orders] == [State.TRACKING_SENT] * 3
    assert operator_keys == 2 and not bells
    assert scans == sum(1 + len(items_of(r)) for r in orders)


async def test_a_label_refused_says_why_rings_and_enter_tries_again(
    synced_home: Path, sandbox: SandboxServer, bells: list[int]
) -> None:
    """A British order without HS codes: the option line warns at once, the purchase is
    refused with the reason in red, and the order stays complete for another try."""
    gb = next(
        r
        for r in Store(synced_home).orders(state=State.TO_SHIP)
        if r.channel_id == "ONBUGB" and not r.attention
    )
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_scan_mode(pilot)
        await scan(pilot, gb.reference)
        await wait_for(pilot, lambda: screen.packing is not None and screen.option is not None)
        assert screen.option_problem
        for code in items_of(gb):
            await scan(pilot, code)
        await wait_for(pilot, lambda: screen.kind == "error" and not screen.busy)
        shown = screen_text(app)
        assert "NO LABEL" in shown and "Press Enter to try again" in shown
        assert len(bells) == 1
        assert screen.packing is not None and screen.packing.complete
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(bells) == 2 and not screen.busy)
    assert Store(synced_home).order(gb.order_id).state == State.TO_SHIP
    assert not [s for s in sandbox.world.shipments.values() if s.order_number == gb.reference]


async def test_an_item_after_its_label_is_too_many_and_the_inbox_counts_every_label(
    synced_home: Path, sandbox: SandboxServer, bells: list[int]
) -> None:
    """The label bought, the same item scanned again belongs to the order just labelled
    (too many, keep it out), not an unknown order; back in the inbox, the run panel
    counts the two labels bought in scan mode, not the last one alone."""
    first, second = orders_to_pack(synced_home, 2)
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_scan_mode(pilot)
        for code in [first.reference, *items_of(first)]:
            await scan(pilot, code)
        await wait_for(pilot, lambda: label_of(screen) == first.order_id)
        await scan(pilot, items_of(first)[-1])
        await wait_for(pilot, lambda: len(bells) == 1 and not screen.busy)
        assert screen.kind == "error"
        assert screen.message.startswith("✗ TOO MANY: ")
        assert f"is of order {first.reference}, already packed and labelled" in screen.message
        assert "Keep this item out of the parcel." in screen.message
        shown = screen_text(app)
        assert "TOO MANY" in shown and "There is no order" not in shown
        assert label_of(screen) == first.order_id  # still shows the label bought
        for code in [second.reference, *items_of(second)]:
            await scan(pilot, code)
        await wait_for(pilot, lambda: label_of(screen) == second.order_id)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await wait_for(pilot, lambda: "label(s) created" in screen_text(app))
        shown = screen_text(app)
        assert "2 label(s) created in scan mode" in shown
        assert "1 label(s) created" not in shown
    store = Store(synced_home)
    assert [store.order(r.order_id).state for r in (first, second)] == [State.TRACKING_SENT] * 2
    assert len(bells) == 1
