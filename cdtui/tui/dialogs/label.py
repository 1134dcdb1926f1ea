"""Label dialog: shipping options read live for the destination and weight."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from cdtui.errors import CdtuiError
from cdtui.models import OrderRecord, ShippingOption
from cdtui.tui import format as fmt
from cdtui.tui.widgets.plain import Label, Static, add_row


@dataclass(frozen=True)
class LabelChoice:
    shipping_option: str
    weight_kg: Decimal


def parse_weight(text: str) -> Decimal | None:
    """A weight in kg from what was typed (``1,5`` accepted), or None if unusable."""
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0 or value > 1000:
        return None
    return value


def option_row(opt: ShippingOption) -> Table:
    row = Table.grid(expand=True, padding=(0, 1))
    row.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    row.add_column(width=14, no_wrap=True, overflow="ellipsis")
    row.add_column(width=10, justify="right", no_wrap=True)
    add_row(
        row,
        opt.name,
        opt.carrier_name or opt.carrier_code or "",
        fmt.money(opt.price, opt.currency or "EUR") or "—",
    )
    return row


class LabelDialog(ModalScreen[LabelChoice | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="label.cancel"),
        Binding("ctrl+r", "reload", "Reload options", id="label.reload"),
    ]

    def __init__(
        self,
        record: OrderRecord,
        weight_kg: Decimal,
        loader: Callable[[Decimal], Awaitable[list[ShippingOption]]],
        default_option: str | None = None,
    ) -> None:
        super().__init__()
        self._record = record
        self._weight = weight_kg
        self._loader = loader
        self._default = default_option
        self._options: list[ShippingOption] = []
        self._loaded_weight: Decimal | None = None
        self._debounce: Timer | None = None

    def compose(self) -> ComposeResult:
        rec = self._record
        address = rec.order.shipping_address
        contents = "; ".join(
            f"{ln.quantity}× {ln.offer.product_title or ln.sku or 'item'}"
            + (f" ({ln.sku})" if ln.sku else "")
            for ln in (rec.order.shippable_lines or rec.order.lines)
        )
        with Vertical(id="dialog", classes="dialog label"):
            yield Static(f"Label for order {rec.reference}", classes="dialog-title")
            yield Static(
                Text.assemble(
                    ("To: ", "bold"),
                    f"{fmt.customer(address)}, {fmt.destination(address)}\n",
                    ("Contents: ", "bold"),
                    contents or "—",
                ),
                id="label-summary",
            )
            with Horizontal(classes="field-row"):
                yield Label("Weight (kg)", classes="field-label")
                yield Input(value=f"{self._weight.normalize():f}", id="weight", compact=True)
                yield Static("", id="weight-error", classes="field-error")
            yield Static("Shipping options — reading Sendcloud…", id="options-status")
            yield OptionList(id="options")
            yield Static("↑↓ choose · Enter creates the label · Esc cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#options", OptionList).focus()
        self.load(self._weight)

    # ------------------------------------------------------------ loading

    @work(exclusive=True, group="options", exit_on_error=False)
    async def load(self, weight: Decimal) -> None:
        status = self.query_one("#options-status", Static)
        listing = self.query_one("#options", OptionList)
        status.update(f"Shipping options for {fmt.weight(weight)} — reading Sendcloud…")
        status.remove_class("error")
        try:
            options = await self._loader(weight)
        except CdtuiError as exc:
            self._options = []
            listing.clear_options()
            status.update(f"Could not read shipping options: {exc.message}")
            status.add_class("error")
            return
        self._options = options
        self._loaded_weight = weight
        listing.clear_options()
        if not options:
            status.update(f"No shipping option can carry {fmt.weight(weight)} to this address.")
            status.add_class("error")
            return
        listing.add_options([Option(option_row(o), id=o.code) for o in options])
        codes = [o.code for o in options]
        listing.highlighted = codes.index(self._default) if self._default in codes else 0
        status.update(f"Shipping options for {fmt.weight(weight)} ({len(options)}):")

    @on(Input.Changed, "#weight")
    def weight_changed(self, event: Input.Changed) -> None:
        error = self.query_one("#weight-error", Static)
        weight = parse_weight(event.value)
        if weight is None:
            error.update("a weight in kg, e.g. 1.25")
            return
        error.update("")
        if weight == self._weight:
            return
        self._weight = weight
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(0.4, lambda: self.load(weight))

    def action_reload(self) -> None:
        self.load(self._weight)

    # ------------------------------------------------------------ answer

    @on(Input.Submitted, "#weight")
    def weight_submitted(self) -> None:
        self._confirm()

    @on(OptionList.OptionSelected, "#options")
    def option_selected(self) -> None:
        self._confirm()

    def _confirm(self) -> None:
        weight = parse_weight(self.query_one("#weight", Input).value)
        listing = self.query_one("#options", OptionList)
        if weight is None:
            self.query_one("#weight", Input).focus()
            return
        if weight != self._loaded_weight:
            self._weight = weight
            self.load(weight)
            return
        if listing.highlighted is None or not self._options:
            return
        code = self._options[listing.highlighted].code
        self.dismiss(LabelChoice(shipping_option=code, weight_kg=weight))

    def action_cancel(self) -> None:
        self.dismiss(None)
