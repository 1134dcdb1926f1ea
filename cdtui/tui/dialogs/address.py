"""Address correction for one label: the operator fixes what the carrier needs.

The correction is stored with the label and never sent to the marketplace. The dialog
dismisses with the fields that differ from the order's own address (an empty
``AddressOverride`` when nothing differs), or None when cancelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input

from cdtui.errors import CdtuiError
from cdtui.models import OrderRecord
from cdtui.orders.addresses import AddressOverride, house_number
from cdtui.tui import format as fmt
from cdtui.tui.widgets.footer import KeyFooter
from cdtui.tui.widgets.plain import Label, Static

#: (field, label, maximum length) in the order the form shows them
FIELDS: tuple[tuple[str, str, int], ...] = (
    ("name", "Name", 75),
    ("address_line_1", "Address 1", 150),
    ("address_line_2", "Address 2", 150),
    ("house_number", "House no.", 8),
    ("postal_code", "Postal code", 12),
    ("city", "City", 30),
    ("phone_number", "Phone", 20),
)
#: field → the words the dialogs use for it
FIELD_NAMES: dict[str, str] = {name: label.lower() for name, label, _ in FIELDS}


def order_address(rec: OrderRecord) -> dict[str, str]:
    """The order's own shipping address as the label would use it, field by field
    (what ``shipping.to_address`` builds, without refusing a missing field)."""
    addr = rec.order.shipping_address
    if addr is None:
        return {name: "" for name, _, _ in FIELDS}
    line1 = (addr.address_line1 or "").strip()
    extra = " ".join(p.strip() for p in (addr.address_line2, addr.address_line3) if p and p.strip())
    return {
        "name": (addr.name or addr.company_name or "").strip(),
        "address_line_1": line1,
        "address_line_2": extra,
        "house_number": house_number(line1) or "",
        "postal_code": (addr.postal_code or "").strip(),
        "city": (addr.city or "").strip(),
        "phone_number": (addr.phone or "").strip(),
    }


def corrected(original: Mapping[str, str], override: AddressOverride | None) -> dict[str, str]:
    """The address with the operator's corrections applied (house number re-read from a
    corrected first line unless it was corrected too, as the engine does)."""
    values = dict(original)
    if override is not None:
        changes = override.as_dict()
        if "address_line_1" in changes and "house_number" not in changes:
            changes["house_number"] = house_number(changes["address_line_1"]) or ""
        values.update(changes)
    return values


def differences(original: Mapping[str, str], typed: Mapping[str, str]) -> AddressOverride:
    """The fields that differ from the order's address, as an override. The house
    number is kept only when it is not what the first line gives anyway (the engine
    reads it from the line, as it does for the order's own address)."""
    changes: dict[str, Any] = {}
    for name, _, _ in FIELDS:
        if name == "house_number":
            continue
        if _words(typed.get(name, "")) != _words(original.get(name, "")):
            changes[name] = typed.get(name, "")
    number = _words(typed.get("house_number", ""))
    if number != (house_number(typed.get("address_line_1", "")) or ""):
        changes["house_number"] = number
    return AddressOverride(**changes)


def _words(text: str) -> str:
    return " ".join(text.split())


class AddressDialog(ModalScreen[AddressOverride | None]):
    """The shipping address of one label, prefilled, every field editable."""

    TITLE = "Address for one label"

    BINDINGS = [
        Binding("ctrl+s", "confirm", "Use this address", id="address.confirm"),
        Binding("ctrl+z", "restore", "Order's address", id="address.restore"),
        Binding("escape", "cancel", "Cancel", id="address.cancel"),
        # letters go into the fields here: F1 is the help key
        Binding("f1", "app.help", "Help", id="address.help"),
    ]
    #: the footer's keys when not all fit (``widgets/footer.py``)
    FOOTER_PRIORITY = ("address.cancel", "address.help", "address.confirm", "address.restore")

    def __init__(
        self,
        reference: str,
        original: Mapping[str, str],
        current: Mapping[str, str],
    ) -> None:
        super().__init__()
        self._reference = fmt.safe(reference)
        # The fields show the address as screen text (controls as visible escapes), and
        # what was typed is compared with that: a field left alone is no correction, and
        # the label keeps the order's own value.
        self._original = {name: fmt.safe(value) for name, value in original.items()}
        self._current = {name: fmt.safe(value) for name, value in current.items()}
        self._line = self._current.get("address_line_1", "")

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog address"):
            yield Static(
                f"Address for the label of order {self._reference}", classes="dialog-title"
            )
            yield Static(
                "For this label only: never sent to the marketplace.",
                classes="dialog-hint",
            )
            for name, label, limit in FIELDS:
                with Horizontal(classes="field-row"):
                    yield Label(label, classes="field-label")
                    yield Input(
                        value=self._current.get(name, ""),
                        id=f"address-{name}",
                        compact=True,
                        max_length=limit,
                    )
            yield Static("", id="address-message")
            yield Static(
                "Enter / ^s use it · ^z the order's address · Tab next field · Esc cancel",
                classes="dialog-hint",
            )
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#address-name", Input).focus()

    @on(Input.Changed, "#address-address_line_1")
    def _line_changed(self, event: Input.Changed) -> None:
        """The house number follows the first line while it is the line's own number."""
        number = self.query_one("#address-house_number", Input)
        if _words(number.value) == (house_number(self._line) or ""):
            number.value = house_number(event.value) or ""
        self._line = event.value

    def typed(self) -> dict[str, str]:
        return {name: self.query_one(f"#address-{name}", Input).value for name, _, _ in FIELDS}

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    def action_confirm(self) -> None:
        message = self.query_one("#address-message", Static)
        try:
            override = differences(self._original, self.typed()).cleaned()
        except CdtuiError as exc:
            message.update(exc.message)
            message.set_classes("error")
            return
        self.dismiss(override)

    def action_restore(self) -> None:
        for name, _, _ in FIELDS:
            self.query_one(f"#address-{name}", Input).value = self._original.get(name, "")
        message = self.query_one("#address-message", Static)
        message.update("The order's own address: ^s uses it.")
        message.set_classes("")

    def action_cancel(self) -> None:
        self.dismiss(None)
