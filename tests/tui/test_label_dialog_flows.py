"""The label each real order needs, driven by keys: relay points, options that cannot
serve an order, address corrections, lines with a cancellation request, customs data,
shipping rules; checked in the store and in what the sandbox received.

Orders are found by what they are (a ``pickupId``, the OnBuy channel, a line with a
cancellation request), never by id: the sandbox's seeded world may change.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from textual.widgets import Input, OptionList, Static, TextArea
from tui_helpers import type_text, wait_for

from cdtui.models import OrderRecord, State
from cdtui.orders.shipping import rules_of
from cdtui.sandbox.records import ShipmentRec
from cdtui.sandbox.server import SandboxServer
from cdtui.storage.store import Store
from cdtui.tui.app import CdtuiApp
from cdtui.tui.dialogs.address import AddressDialog
from cdtui.tui.dialogs.confirm import ConfirmationModal
from cdtui.tui.dialogs.label import LabelDialog
from cdtui.tui.dialogs.label_text import CORRECTED
from cdtui.tui.dialogs.order_detail import order_details
from cdtui.tui.screens.inbox import InboxScreen
from cdtui.tui.screens.integration_settings import IntegrationSettingsScreen
from cdtui.tui.screens.integrations import IntegrationsScreen
from cdtui.tui.widgets.order_table import OrderTable


def to_ship(home: Path, wanted: Callable[[OrderRecord], bool], what: str) -> OrderRecord:
    for rec in Store(home).orders(state=State.TO_SHIP):
        if wanted(rec):
            return rec
    raise AssertionError(f"the seeded world has no order to ship that is {what}")


def is_relay(rec: OrderRecord) -> bool:
    addr = rec.order.shipping_address
    return addr is not None and bool(addr.pickup_id)


def is_french_home(rec: OrderRecord) -> bool:
    addr = rec.order.shipping_address
    return (
        addr is not None
        and addr.country_code == "FR"
        and not addr.pickup_id
        and not rec.order.cancel_request_lines
        and all(ln.delivery.mode == "THD" for ln in rec.order.shippable_lines)
    )


def is_gb(rec: OrderRecord) -> bool:
    return rec.channel_id == "ONBUGB"


def has_cancel_request(rec: OrderRecord) -> bool:
    return bool(rec.order.cancel_request_lines) and not is_relay(rec)


def detail(home: Path, rec: OrderRecord) -> str:
    """The order detail dialog's text for the stored order."""
    console = Console(width=300, record=True, file=io.StringIO())
    console.print(order_details(Store(home).order(rec.order_id), datetime.now(UTC)))
    return " ".join(console.export_text().split())


def saved_file(path: str) -> bool:
    return Path(path).is_file() and Path(path).stat().st_size > 0


def text(app: CdtuiApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def shipments_of(sandbox: SandboxServer, rec: OrderRecord) -> list[ShipmentRec]:
    return [s for s in sandbox.world.shipments.values() if s.order_number == rec.reference]


def inbox_ready(app: CdtuiApp) -> bool:
    """the inbox shows the stored orders"""
    screen = app.screen
    return isinstance(screen, InboxScreen) and bool(screen._all) and not app.syncing


def dialog_planned(app: CdtuiApp) -> bool:
    """the label dialog shows a plan it is not replacing"""
    screen = app.screen
    return isinstance(screen, LabelDialog) and screen.plan is not None and not screen._loading


def labels_done(app: CdtuiApp) -> bool:
    """the label run is over and the inbox is back"""
    return isinstance(app.screen, InboxScreen) and not app.labels_running


async def open_label_dialog(pilot, rec: OrderRecord) -> LabelDialog:  # type: ignore[no-untyped-def]
    app = pilot.app
    await wait_for(pilot, lambda: inbox_ready(app))
    app.screen.query_one(OrderTable).move_to(rec.order_id)
    assert app.screen.query_one(OrderTable).cursor_order_id == rec.order_id
    await pilot.press("l")
    await wait_for(pilot, lambda: dialog_planned(app))
    dialog = app.screen
    assert isinstance(dialog, LabelDialog)
    return dialog


async def test_relay_order_gets_a_label_to_its_relay_point(
    synced_home: Path, sandbox: SandboxServer
) -> None:
    rec = to_ship(synced_home, is_relay, "going to a relay point")
    addr = rec.order.shipping_address
    assert addr is not None and addr.pickup_id
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_label_dialog(pilot, rec)
        assert f"relay point {addr.pickup_id}" in text(app, "#label-need")
        assert dialog.plan is not None and dialog.plan.choice is not None
        shown = dialog.plan.qualifying
        assert shown and all(o.service_point for o in shown), "only service-point options"
        assert "Chosen by: " in text(app, "#label-choice")
        await pilot.press("enter")
        await wait_for(pilot, lambda: labels_done(app))

    [shipment] = shipments_of(sandbox, rec)
    assert shipment.option.service_point
    assert shipment.service_point is not None
    assert shipment.service_point.carrier_service_point_id == addr.pickup_id
    label = Store(synced_home).order(rec.order_id).label
    assert label is not None and label.relay_point_id == addr.pickup_id
    shown = detail(synced_home, rec)
    assert f"Delivery relay point {addr.pickup_id}" in shown
    assert f"Sent to Relay point {addr.pickup_id}" in shown
    assert f"Option {shipment.option.code}" in shown and "Chosen by" in shown


async def test_weight_typed_replans_and_is_the_parcel_weight(
    synced_home: Path, sandbox: SandboxServer
) -> None:
    rec = to_ship(synced_home, is_french_home, "a French home delivery")
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_label_dialog(pilot, rec)
        await pilot.press("w")
        weight = dialog.query_one("#weight", Input)
        assert weight.has_focus
        await pilot.press("a")  # a letter is the dialog's key, not part of the weight
        assert weight.value == f"{dialog.plan.weight.normalize():f}"  # type: ignore[union-attr]
        assert "(✗: cannot)" in text(app, "#options-status")
        weight.value = "2,5"
        await wait_for(pilot, lambda: dialog_planned(app) and dialog.plan.weight == Decimal("2.5"))  # type: ignore[union-attr]
        assert "for 2.5 kg" in text(app, "#options-status")
        await pilot.press("enter")
        await wait_for(pilot, lambda: labels_done(app))
    [shipment] = shipments_of(sandbox, rec)
    assert [p.weight for p in shipment.parcels] == [Decimal("2.5")]


async def test_another_option_than_the_preselected_one_is_bought(
    synced_home: Path, sandbox: SandboxServer
) -> None:
    rec = to_ship(synced_home, is_french_home, "a French home delivery")
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_label_dialog(pilot, rec)
        plan = dialog.plan
        assert plan is not None and plan.choice is not None and len(plan.qualifying) > 1
        second = plan.qualifying[1]
        assert second.code != plan.choice.option.code
        await pilot.press("down")
        assert text(app, "#label-choice").startswith("Your choice")
        await pilot.press("enter")  # the engine checks it first, then the dialog closes
        await wait_for(pilot, lambda: labels_done(app))
    [shipment] = shipments_of(sandbox, rec)
    assert shipment.option.code == second.code


async def test_all_options_show_why_one_cannot_serve_and_enter_refuses_it(
    synced_home: Path, sandbox: SandboxServer
) -> None:
    rec = to_ship(synced_home, is_relay, "going to a relay point")
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_label_dialog(pilot, rec)
        plan = dialog.plan
        assert plan is not None
        listing = dialog.query_one("#options", OptionList)
        assert listing.option_count == len(plan.qualifying), "only those that serve it"
        await pilot.press("a")
        assert listing.option_count == len(plan.verdicts) > len(plan.qualifying)
        assert "a shows" not in text(app, "#options-status")
        [door] = [v for v in plan.verdicts if v.option.code == "colissimo:home"]
        assert door.excluded and "relay point" in door.excluded
        listing.highlighted = [v.option.code for v in plan.verdicts].index(door.option.code)
        await pilot.pause()
        assert door.excluded in text(app, "#label-choice")
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert app.screen is dialog, "an option that cannot serve the order is never bought"
        assert door.excluded in text(app, "#label-choice")
        await pilot.press("a")
        assert listing.option_count == len(plan.qualifying)
        await pilot.press("escape")
    assert shipments_of(sandbox, rec) == []


async def test_address_corrected_for_the_label_only(
    synced_home: Path, sandbox: SandboxServer
) -> None:
    rec = to_ship(synced_home, is_french_home, "a French home delivery")
    marketplace_before = sandbox.world.order(rec.order_id)["lines"][0]["shippingAddress"]
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_label_dialog(pilot, rec)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, AddressDialog))
        number = app.screen.query_one("#address-house_number", Input)
        number.value = ""
        number.focus()
        await type_text(pilot, "12 ter")
        await pilot.press("enter")
        await wait_for(pilot, lambda: dialog_planned(app) and dialog.plan.override)  # type: ignore[union-attr]
        assert dialog.plan is not None and dialog.plan.address is not None
        assert dialog.plan.address["house_number"] == "12 ter"
        shown = text(app, "#label-to")
        assert CORRECTED in shown and "house no. 12 ter" in shown
        await pilot.press("enter")
        await wait_for(pilot, lambda: labels_done(app))

    [shipment] = shipments_of(sandbox, rec)
    assert shipment.to_address["house_number"] == "12 ter"
    label = Store(synced_home).order(rec.order_id).label
    assert label is not None and label.address_override == {"house_number": "12 ter"}
    after = sandbox.world.order(rec.order_id)["lines"][0]["shippingAddress"]
    assert after == marketplace_before, "the marketplace never sees the correction"
    assert "corrected for this label (never sent to the marketplace) — house number: 12 ter" in (
        detail(synced_home, rec)
    )


async def test_a_bad_address_correction_is_explained_and_changes_nothing(
    synced_home: Path,
) -> None:
    rec = to_ship(synced_home, is_french_home, "a French home delivery")
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_label_dialog(pilot, rec)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, AddressDialog))
        app.screen.query_one("#address-house_number", Input).value = "123456789"[:8]
        app.screen.query_one("#address-city", Input).value = "x" * 30 + "\x07"
        await pilot.press("enter")
        assert isinstance(app.screen, AddressDialog)
        assert "control characters" in text(app, "#address-message")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is dialog and dialog._override is None
        assert CORRECTED not in text(app, "#label-to")


async def test_lines_with_a_cancellation_request_only_when_included(
    synced_home: Path, sandbox: SandboxServer
) -> None:
    rec = to_ship(synced_home, has_cancel_request, "with a line whose cancellation was asked")
    asked = [ln.order_line_id for ln in rec.order.cancel_request_lines]
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_label_dialog(pilot, rec)
        plan = dialog.plan
        assert plan is not None and plan.cancel_request_lines == asked
        assert not set(asked) & set(plan.line_ids)
        attention = text(app, "#label-cancel-requests")
        assert "Cancellation requested on line" in attention and "[ ]" in attention
        lines = len(plan.line_ids)
        assert text(app, "#label-contents").startswith(
            f"Contents: {lines} lines" if lines > 1 else "Contents: "
        )
        await pilot.press("c")
        await wait_for(
            pilot, lambda: dialog_planned(app) and set(asked) <= set(dialog.plan.line_ids)
        )  # type: ignore[union-attr]
        assert "[x]" in text(app, "#label-cancel-requests")
        assert f"Contents: {len(dialog.plan.line_ids)} lines" in text(app, "#label-contents")  # type: ignore[union-attr]
        await pilot.press("enter")
        await wait_for(pilot, lambda: labels_done(app))

    label = Store(synced_home).order(rec.order_id).label
    assert label is not None and label.included_cancel_requests == asked
    [shipment] = shipments_of(sandbox, rec)
    shipped = sum(len(p.items) for p in shipment.parcels)
    assert shipped == len(rec.order.shippable_lines), "every line went in the parcel"
    assert f"lines with a cancellation request: {', '.join(asked)}" in detail(synced_home, rec)


async def test_gb_order_needs_hs_codes_then_gets_a_customs_label(
    synced_home: Path, sandbox: SandboxServer
) -> None:
    rec = to_ship(synced_home, is_gb, "sold on OnBuy (Great Britain)")
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 30)) as pilot:
        dialog = await open_label_dialog(pilot, rec)
        assert "customs: outside the EU" in text(app, "#label-need")
        problem = text(app, "#label-problem")
        assert "needs an HS code" in problem
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert app.screen is dialog, "Enter refuses, saying why"
        assert "needs an HS code" in text(app, "#label-problem")
        await pilot.press("escape")

        # the shop's settings: a default HS code for every SKU
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, IntegrationsScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, IntegrationSettingsScreen))
        hs = app.screen.query_one("#hs-input", Input)
        hs.focus()
        await type_text(pilot, "8518.30")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: Store(synced_home).integrations()[0].default_hs_code)
        assert Store(synced_home).integrations()[0].default_hs_code == "851830"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, IntegrationsScreen))
        await pilot.press("escape")

        dialog = await open_label_dialog(pilot, rec)
        assert dialog.plan is not None and dialog.plan.problem is None
        assert dialog.plan.customs_items and dialog.plan.choice is not None
        assert not dialog.query_one("#label-problem", Static).display
        await pilot.press("enter")
        await wait_for(pilot, lambda: labels_done(app))

    [shipment] = shipments_of(sandbox, rec)
    assert shipment.has_customs
    assert {i["hs_code"] for p in shipment.parcels for i in p.items} == {"851830"}
    label = Store(synced_home).order(rec.order_id).label
    assert label is not None and label.customs_path
    assert saved_file(label.customs_path), "the customs declaration is saved beside the label"
    assert f"Customs {label.customs_path}" in detail(synced_home, rec)


async def test_settings_save_rules_in_order_and_refuse_a_bad_one(synced_home: Path) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: inbox_ready(app))
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, IntegrationsScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, IntegrationSettingsScreen))
        screen = app.screen
        rules = screen.query_one("#rules", TextArea)
        rules.focus()
        await type_text(pilot, "mode=relay -> mondial_relay:point_relais")
        await pilot.press("enter")
        await type_text(pilot, "country=XX1 -> dpd:classic")
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        assert "Rule line 2" in text(app, "#rules-msg")
        assert "two-letter country" in text(app, "#rules-msg")
        assert rules_of(Store(synced_home).integrations()[0]) == [], "nothing saved"

        rules.text = (
            "mode=relay -> mondial_relay:point_relais\n\nCOUNTRY=gb , weight=0-2 -> dpd:classic"
        )
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: rules_of(Store(synced_home).integrations()[0]))
        saved = [r.text() for r in rules_of(Store(synced_home).integrations()[0])]
        assert saved == [
            "mode=relay -> mondial_relay:point_relais",
            "country=GB,weight=0-2 -> dpd:classic",
        ]
        await wait_for(pilot, lambda: not screen.busy)
        assert rules.text == "\n".join(saved), "listed as the engine keeps them"
        assert text(app, "#rules-msg") == ""

        # the SKU table: an empty table removes what was there
        table = screen.query_one("#sku-hs", TextArea)
        table.text = "SKU-CASQ-01=851830\nSKU-LAMP-03 = 9405.20"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: Store(synced_home).integrations()[0].sku_hs_codes)
        assert Store(synced_home).integrations()[0].sku_hs_codes == {
            "SKU-CASQ-01": "851830",
            "SKU-LAMP-03": "940520",
        }
        await wait_for(pilot, lambda: not screen.busy)
        table.text = "SKU-LAMP-03=940520"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(Store(synced_home).integrations()[0].sku_hs_codes) == 1)


async def test_rules_choose_the_option_and_the_dialog_says_so(synced_home: Path) -> None:
    store = Store(synced_home)
    integ = store.integrations()[0]
    store.update_integration(
        integ.id,
        lambda i: i.model_copy(
            update={
                "shipping_rules": [
                    {"mode": "relay", "option": "chronopost:shop2shop"},
                    {"country": "FR", "option": "colissimo:home"},
                ]
            }
        ),
    )
    rec = to_ship(synced_home, is_relay, "going to a relay point")
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_label_dialog(pilot, rec)
        choice = text(app, "#label-choice")
        # the relay rule names a carrier that does not run this relay network
        assert "Note: rule 1 (mode=relay -> chronopost:shop2shop) cannot be used" in choice
        assert "Chosen by: cheapest" in choice
        await pilot.press("escape")
        home = to_ship(synced_home, is_french_home, "a French home delivery")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        dialog = await open_label_dialog(pilot, home)
        assert dialog.plan is not None and dialog.plan.choice is not None
        assert dialog.plan.choice.option.code == "colissimo:home"
        assert "Chosen by: rule 2 (country=FR -> colissimo:home)" in text(app, "#label-choice")


async def test_bulk_labels_never_include_a_shop_pickup(
    synced_home: Path, sandbox: SandboxServer
) -> None:
    store = Store(synced_home)
    pickups = [
        r
        for r in store.orders(state=State.NOT_SHIPPABLE)
        if r.order.status == "InPreparation" and all(ln.shop_pickup for ln in r.order.lines)
    ]
    assert pickups, "the seeded world has orders collected at the seller's shop"
    pickup = pickups[0]
    assert pickup.attention and "seller's shop" in pickup.attention
    home = to_ship(synced_home, is_french_home, "a French home delivery")
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: inbox_ready(app))
        await pilot.press("0")  # every state
        table = app.screen.query_one(OrderTable)
        for rec in (pickup, home):
            table.move_to(rec.order_id)
            await pilot.press("space")
        await pilot.press("L")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmationModal))
        assert "1 selected order not to ship will be skipped" in text(app, "#confirm-body")
        await pilot.press("y")
        await wait_for(pilot, lambda: labels_done(app) and app.label_progress.total == 1)
        await wait_for(pilot, lambda: Store(synced_home).order(home.order_id).label)
    assert shipments_of(sandbox, pickup) == []
    assert Store(synced_home).order(pickup.order_id).label is None


async def test_sync_key_retries_now_and_the_timer_does_not(synced_home: Path) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: inbox_ready(app))
        engine = app.engine
        assert engine is not None
        calls: list[bool] = []
        real_sync = engine.sync

        async def spy(*args, manual: bool = False, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(manual)
            return await real_sync(*args, manual=manual, **kwargs)

        engine.sync = spy  # type: ignore[method-assign]
        await pilot.press("s")
        await wait_for(pilot, lambda: calls and not app.syncing)
        assert calls == [True], "the operator's sync retries pending tracking updates now"
        app.next_sync_at = app.clock()  # the 10-minute timer is due: it fires now
        await wait_for(pilot, lambda: len(calls) == 2 and not app.syncing)
        assert calls == [True, False]
