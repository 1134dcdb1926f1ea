"""What the label dialog says: Rich text built from the engine's plan and the order.

Pure functions (no widget): the dialog (``label.py``) decides when to say what. Every
API string goes through ``format.safe``; colours are the palette's roles.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text

from cdtui.models import OrderRecord
from cdtui.orders.enums import OrderStatus
from cdtui.orders.shipping import Verdict
from cdtui.tui import format as fmt
from cdtui.tui import palette
from cdtui.tui.widgets.plain import add_row

if TYPE_CHECKING:
    from cdtui.labels import LabelPlan

CORRECTED = "Address corrected for this label (never sent to the marketplace)"
HS_CODES_HINT = "In cdtui: i, then Enter on the shop: HS codes are in its settings."


def option_row(verdict: Verdict) -> Table | Group:
    """Name, carrier, price; an option that cannot serve the order dimmed, with why."""
    opt = verdict.option
    style = "dim" if verdict.excluded else ""
    row = Table.grid(expand=True, padding=(0, 1))
    row.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    row.add_column(width=14, no_wrap=True, overflow="ellipsis")
    row.add_column(width=10, justify="right", no_wrap=True)
    add_row(
        row,
        fmt.text(opt.name, style),
        fmt.text(opt.carrier_name or opt.carrier_code, style),
        Text(fmt.money(opt.price, opt.currency or "EUR") or "no price", style=style),
    )
    if not verdict.excluded:
        return row
    reason = Text(
        f"  ✗ {fmt.safe(verdict.excluded)}", style="dim italic", no_wrap=True, overflow="ellipsis"
    )
    return Group(row, reason)


def describe_chooser(chosen_by: str) -> str:
    """``rule 1 (…)`` / ``default option`` / ``cheapest`` as the dialog says it."""
    return {
        "cheapest": "cheapest option that serves this order",
        "default option": "the shop's default option",
        "operator": "you",
    }.get(chosen_by) or fmt.safe(chosen_by)


def address_text(address: Mapping[str, str] | None) -> str:
    """``Name, Calle X 12, 3º izq, no. 12, 28001 Madrid ES`` from a ``to_address``
    (screen text: one line, controls visible)."""
    if not address:
        return ""
    parts = [
        address.get("name", ""),
        address.get("address_line_1", ""),
        address.get("address_line_2", ""),
    ]
    number = address.get("house_number")
    parts.append(f"house no. {number}" if number else "no house number")
    parts.append(
        " ".join(p for p in (address.get("postal_code"), address.get("city")) if p)
        + (f" {address['country_code']}" if address.get("country_code") else "")
    )
    return fmt.safe(", ".join(p for p in parts if p))


def to_text(address: Mapping[str, str], *, relay: bool, corrected: list[str]) -> Text:
    """Where the label goes (the buyer's name for a relay point), and which fields the
    operator corrected."""
    text = Text.assemble(("Buyer: " if relay else "To: ", "bold"), address_text(address))
    if corrected:
        text.append(f"\n{CORRECTED}: {', '.join(corrected)}", style=palette.rich(palette.WARNING))
    return text


def need_text(plan: LabelPlan | None) -> Text:
    """``Needs: home delivery, signed · customs: outside the EU``."""
    if plan is None:
        return Text.assemble(("Needs: ", "bold"), ("reading…", "dim"))
    text = Text.assemble(("Needs: ", "bold"), fmt.safe(plan.need.describe()))
    if plan.customs:
        text.append(" · customs: outside the EU", style=palette.rich(palette.WARNING))
    return text


def cancel_requests_text(asked: list[str], included: bool) -> Text:
    """The lines whose cancellation the customer asked, and the ``c`` box for them."""
    box = "[x]" if included else "[ ]"
    lines = fmt.safe(", ".join(asked))
    return Text.assemble(
        (f"Cancellation requested on line {lines}. ", palette.rich(palette.ALERT)),
        (f"c {box} ", "bold"),
        "include lines with a cancellation request (only if the customer asked)",
    )


def contents_text(rec: OrderRecord, plan: LabelPlan | None) -> Text:
    """What goes in the parcel, on one line: the plan's lines (before the plan, the
    lines ready to ship)."""
    if plan is not None:
        lines = [ln for ln in rec.order.lines if ln.order_line_id in plan.line_ids]
    else:
        lines = [
            ln for ln in rec.order.shippable_lines if ln.status != OrderStatus.CANCEL_REQUEST.value
        ]
    items = "; ".join(
        f"{ln.quantity}× {fmt.safe(ln.offer.product_title or ln.sku) or 'item'}"
        + (f" ({fmt.safe(ln.sku)})" if ln.sku else "")
        for ln in lines
    )
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("Contents: ", style="bold")
    if len(lines) > 1:
        text.append(f"{len(lines)} lines: ")
    text.append(items or "—")
    return text


def options_status(plan: LabelPlan, *, show_all: bool) -> tuple[str, bool]:
    """The line above the options, and whether it reports a problem."""
    serving = len(plan.qualifying)
    offered = len(plan.verdicts)
    weight = fmt.weight(plan.weight)
    if not offered:
        return f"Sendcloud offers no shipping option for {weight}.", True
    if show_all:
        serves = "serves" if serving == 1 else "serve"
        text = f"All {offered} options for {weight}, {serving} {serves} this order (✗: cannot):"
        return text, False
    if not serving:
        return (
            f"None of the {offered} options for {weight} serves this order (a shows them and why).",
            True,
        )
    hidden = offered - serving
    more = f"; a shows {hidden} that cannot" if hidden else ""
    return f"Options for {weight} that serve this order ({serving}{more}):", False


def choice_text(plan: LabelPlan, verdict: Verdict | None, *, refused: bool) -> Text:
    """Why the highlighted option cannot serve the order (in alert style once Enter was
    refused), or what chose it; then the plan's notes and Sendcloud's message."""
    text = Text()
    choice = plan.choice
    if verdict is not None and verdict.excluded:
        alert = palette.rich(palette.ALERT) if refused else None
        text.append("✗ Cannot serve this order: ", style=alert or "bold")
        text.append(fmt.safe(verdict.excluded), style=alert or "")
    elif choice is not None:
        if verdict is None or verdict.option.code == choice.option.code:
            text.append("Chosen by: ", style="bold")
            text.append(describe_chooser(choice.chosen_by))
        else:
            text.append("Your choice", style="bold")
            text.append(f" (preselected: {fmt.safe(choice.option.name)}, by ")
            text.append(describe_chooser(choice.chosen_by) + ")")
    for note in choice.notes if choice is not None else []:
        text.append(f"\nNote: {fmt.safe(note)}", style="dim")
    if plan.message and (plan.problem is None or plan.message not in plan.problem):
        text.append(f"\nSendcloud: {fmt.safe(plan.message)}", style="dim")
    return text


def hint_text(*, show_all: bool) -> str:
    """The dialog's keys (``c`` is explained on the cancellation line itself)."""
    keys = [
        "Enter buys",
        "a qualifying only" if show_all else "a all options",
        "e address",
        "w weight",
        "Esc cancels",
    ]
    return " · ".join(keys)
