"""Forms at 80×24 check what is typed by the rules the command line and the engine
apply, report every wrong field at once (each highlighted with its problem, in the
form's own words: never an internal name nor pydantic's text), and keep the edits when
the engine refuses something only it can check. The label dialog's weight follows
``rules.parse_weight``: options for another weight are not shown while it is invalid,
and Enter says why instead of doing nothing.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Static, TextArea
from tui_helpers import wait_for

from cdtui.config import load_settings
from cdtui.models import State
from cdtui.storage.store import Store
from cdtui.tui.app import CdtuiApp
from cdtui.tui.dialogs.label import LabelDialog
from cdtui.tui.screens.connect import ConnectScreen
from cdtui.tui.screens.inbox import InboxScreen
from cdtui.tui.screens.integration_settings import IntegrationSettingsScreen
from cdtui.tui.screens.integrations import IntegrationsScreen
from cdtui.tui.screens.setup import SetupScreen
from cdtui.tui.widgets.form import FormField
from cdtui.tui.widgets.order_table import OrderTable

SIZE = (80, 24)
INTERNAL = ("default_weight_kg", "sender_country", "labels_dir", "print_command", "Input should")


def said(app: CdtuiApp, selector: str) -> str:
    return " ".join(str(app.screen.query_one(selector, Static).render()).split())


def invalid(app: CdtuiApp) -> set[str]:
    """ids of the fields shown as wrong"""
    return {str(f.id) for f in app.screen.query(FormField) if f.has_class("-invalid")}


def problem_of(app: CdtuiApp, field: str) -> str:
    return said(app, f"#{field} .field-msg")


def set_field(app: CdtuiApp, field: str, value: str) -> None:
    app.screen.query_one(f"#{field}-input", Input).value = value


async def open_setup(pilot) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
    await pilot.press("i", "u")
    await wait_for(pilot, lambda: isinstance(app.screen, SetupScreen))


async def open_settings(pilot) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
    await pilot.press("i")
    await wait_for(pilot, lambda: isinstance(app.screen, IntegrationsScreen))
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, IntegrationSettingsScreen))


# ---------------------------------------------------------------- Setup


async def test_setup_refuses_an_unknown_country_as_it_is_typed(synced_home: Path) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=SIZE) as pilot:
        await open_setup(pilot)
        field = app.screen.query_one("#sender_country-input", Input)
        field.focus()
        await pilot.press("backspace", "backspace", "Z", "Z")
        assert invalid(app) == {"sender_country"}
        assert "'ZZ' is not a two-letter country code" in problem_of(app, "sender_country")
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        assert not app.screen.busy, "nothing is checked with the APIs"
        assert "correct the highlighted field, From country" in said(app, "#setup-message")
    assert load_settings(synced_home).sender_country == "FR"


async def test_setup_reports_every_wrong_field_at_once_in_its_own_words(
    synced_home: Path, tmp_path: Path
) -> None:
    a_file = tmp_path / "labels.txt"
    a_file.write_text("not a folder")
    app = CdtuiApp(synced_home)
    async with app.run_test(size=SIZE) as pilot:
        await open_setup(pilot)
        set_field(app, "octopia_client_id", "")
        set_field(app, "default_weight_kg", "1e3")
        set_field(app, "labels_dir", str(a_file))
        set_field(app, "print_command", "no-such-printer-cmd -d zebra")
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        wrong = {"octopia_client_id", "default_weight_kg", "labels_dir", "print_command"}
        assert invalid(app) == wrong
        assert "The client id is required" in problem_of(app, "octopia_client_id")
        assert "not a number of kilograms" in problem_of(app, "default_weight_kg")
        assert "is a file, not a folder" in problem_of(app, "labels_dir")
        assert "'no-such-printer-cmd' was not found" in problem_of(app, "print_command")
        message = said(app, "#setup-message")
        assert "4 highlighted fields: Client id, Weight (kg), Folder, Print cmd" in message
        everything = " ".join([message, *(problem_of(app, f) for f in wrong)])
        assert not [word for word in INTERNAL if word in everything]
        assert app.focused is app.screen.query_one("#octopia_client_id-input")


@pytest.mark.parametrize("weight", ["nan", "inf", "1e3", "１２", "1.2.3"])
async def test_setup_weight_follows_the_weight_rule(synced_home: Path, weight: str) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=SIZE) as pilot:
        await open_setup(pilot)
        set_field(app, "default_weight_kg", weight)
        await pilot.pause()
        assert invalid(app) == {"default_weight_kg"}


async def test_connect_reports_every_wrong_field(tui_home: Path) -> None:
    app = CdtuiApp(tui_home)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ConnectScreen))
        set_field(app, "seller", "98a")
        set_field(app, "login", "")
        await pilot.press("ctrl+s")
        assert invalid(app) == {"name", "seller", "login"}
        message = said(app, "#connect-message")
        assert "3 highlighted fields: Name, Seller ID, Login" in message


# ---------------------------------------------------------------- integration settings


async def test_settings_report_fields_and_text_areas_at_once(synced_home: Path) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        set_field(app, "weight", "1,2,3")
        set_field(app, "origin", "ZZ")
        app.screen.query_one("#rules", TextArea).text = "this is not a rule"
        app.screen.query_one("#sku-hs", TextArea).text = "SKU-1=12"
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        assert invalid(app) == {"weight", "origin"}
        areas = {a.id for a in app.screen.query(TextArea) if a.has_class("-invalid")}
        assert areas == {"rules", "sku-hs"}
        assert "Rule line 1" in said(app, "#rules-msg")
        assert "Line 1" in said(app, "#sku-hs-msg")
        message = said(app, "#settings-message")
        assert "4 highlighted fields: Weight (kg), Origin, Shipping rules, HS code per SKU" in (
            message
        )
    assert Store(synced_home).integrations()[0].default_weight_kg is None


async def test_settings_show_an_unknown_shipping_option_on_its_field(synced_home: Path) -> None:
    app = CdtuiApp(synced_home)
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        screen = app.screen
        set_field(app, "weight", "0.8")
        set_field(app, "option", "colissimo:nowhere")
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: not screen.busy and "Not saved" in said(app, "#settings-message")
        )
        assert invalid(app) == {"option"}
        problem = problem_of(app, "option")
        assert "Sendcloud offers no shipping option 'colissimo:nowhere'" in problem
        assert "it offers:" in problem
        assert "highlighted field, Shipping opt" in said(app, "#settings-message")
        # the edits are kept, nothing was saved
        assert screen.query_one("#option-input", Input).value == "colissimo:nowhere"
        assert screen.query_one("#weight-input", Input).value == "0.8"
        assert app.focused is screen.query_one("#option-input")
    integ = Store(synced_home).integrations()[0]
    assert integ.default_shipping_option is None and integ.default_weight_kg is None


# ---------------------------------------------------------------- the label dialog


def french_order(home: Path) -> str:
    for rec in Store(home).orders(state=State.TO_SHIP):
        addr = rec.order.shipping_address
        if addr and addr.country_code == "FR" and not addr.pickup_id:
            return rec.order_id
    raise AssertionError("the seeded world has no French home order to ship")


async def open_dialog(pilot, order_id: str) -> LabelDialog:  # type: ignore[no-untyped-def]
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen._all)
    app.screen.query_one(OrderTable).move_to(order_id)
    await pilot.pause()
    await pilot.press("l")

    def planned() -> bool:
        screen = app.screen
        return isinstance(screen, LabelDialog) and screen.plan is not None and not screen._loading

    await wait_for(pilot, planned)
    assert isinstance(app.screen, LabelDialog)
    return app.screen


async def test_label_dialog_hides_options_for_an_invalid_weight_and_enter_says_why(
    synced_home: Path,
) -> None:
    order_id = french_order(synced_home)
    app = CdtuiApp(synced_home)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot, order_id)
        listing = dialog.query_one("#options", OptionList)
        assert listing.display and listing.option_count
        weight = dialog.query_one("#weight", Input)
        await pilot.press("w")  # the weight field
        weight.value = "1.2.3"
        await pilot.pause()
        assert not listing.display, "the options for the last valid weight are hidden"
        status = " ".join(str(dialog.query_one("#options-status", Static).render()).split())
        assert "No options shown" in status and "not a number of kilograms" in status
        assert "not a weight" in str(dialog.query_one("#weight-error", Static).render())

        await pilot.press("enter")
        assert app.screen is dialog, "nothing bought"
        problem = " ".join(str(dialog.query_one("#label-problem", Static).render()).split())
        assert problem.startswith("No label for an invalid weight")

        weight.value = str(dialog.plan.weight)  # type: ignore[union-attr]
        await pilot.pause()
        assert listing.display and listing.option_count, "the options are for it again"
    assert Store(synced_home).order(order_id).label is None


@pytest.mark.parametrize("text", ["nan", "inf", "1e3", "１２"])
async def test_label_dialog_weight_is_parse_weight(synced_home: Path, text: str) -> None:
    order_id = french_order(synced_home)
    app = CdtuiApp(synced_home)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot, order_id)
        dialog.query_one("#weight", Input).value = text  # pasted: the field refuses it typed
        await pilot.pause()
        assert not dialog.query_one("#options", OptionList).display
        assert dialog._typed_weight in (None, dialog.plan.weight)  # type: ignore[union-attr]
        assert dialog.plan is not None and dialog.plan.weight < Decimal(1000)


def test_a_setting_refused_by_the_settings_model_is_said_in_the_forms_words(
    cdtui_home: Path,
) -> None:
    # the backstop behind the fields' rules: pydantic's words never reach the screen
    from pydantic import ValidationError

    from cdtui.config import Settings
    from cdtui.tui.screens.setup import setting_problem

    with pytest.raises(ValidationError) as refused:
        Settings(home=cdtui_home, default_weight_kg="1e3", sender_address_id="x")  # type: ignore[arg-type]
    problems = {
        str(e["loc"][0]): setting_problem(e)  # type: ignore[arg-type]
        for e in refused.value.errors(include_url=False, include_input=False)
    }
    assert problems["default_weight_kg"].startswith("The weight '1e3' is not a number")
    assert problems["sender_address_id"] == "This value is not valid here."
    assert not [w for w in INTERNAL if w in " ".join(problems.values())]
