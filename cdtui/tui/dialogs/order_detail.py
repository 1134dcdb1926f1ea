"""One order: lines, address, label, tracking update and tracking events.

Its keys do not act themselves: the dialog dismisses with the action's name and the
inbox (which coordinates labels, approvals and workers) carries it out.
"""

from __future__ import annotations

from datetime import datetime

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen

from cdtui.models import OrderRecord
from cdtui.orders.enums import OrderStatus, State
from cdtui.orders.shipping import order_need
from cdtui.orders.states import OPEN_STATES
from cdtui.orders.summary import summarize_record
from cdtui.tui import format as fmt
from cdtui.tui import palette
from cdtui.tui.widgets.footer import KeyFooter
from cdtui.tui.widgets.plain import Static, add_row


def can_label(rec: OrderRecord) -> bool:
    return rec.state == State.TO_SHIP


def has_label(rec: OrderRecord) -> bool:
    return rec.label is not None and rec.label.active


def can_accept(rec: OrderRecord) -> bool:
    return rec.state == State.WAITING_ACCEPTANCE


def order_details(rec: OrderRecord, now: datetime) -> Group:
    """The detail view as Rich renderables (also used by tests and screenshots).

    Every field is API data: a string cell goes through ``add_row`` (one line, controls
    visible, no markup), a styled one is built with ``fmt.text``."""
    order = rec.order
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold", no_wrap=True)
    head.add_column()
    summary = summarize_record(rec)  # the one definition of the deadline and of why
    ship_by = summary.ship_by
    ship_text, due = fmt.ship_by(ship_by, now, open_=rec.state in OPEN_STATES)
    alert, note = palette.rich(palette.ALERT), palette.rich(palette.NOTE)
    due_style = {
        fmt.Due.OVERDUE: alert,
        fmt.Due.TODAY: palette.rich(palette.WARNING),
    }.get(due, "")
    add_row(head, "State", Text(fmt.state_label(rec), style="bold"))
    if summary.reason:  # not shippable: why
        add_row(head, "Why", summary.reason)
    if rec.attention:
        add_row(head, "Attention", fmt.text(rec.attention, alert))
    if rec.error:
        add_row(head, "Last error", fmt.text(rec.error, palette.rich(palette.ERROR)))
    add_row(head, "Marketplace", f"{fmt.channel_name(rec)} · {order.status}")
    add_row(head, "Delivery", order_need(rec).describe())
    add_row(head, "Order id", rec.order_id)
    add_row(head, "Ordered", fmt.full_datetime(order.purchased_at or order.created_at))
    add_row(
        head,
        "Ship by",
        Text(f"{fmt.full_datetime(ship_by)}  {ship_text}", style=due_style),
    )
    add_row(head, "Total", fmt.money(order.total_price.selling_price, order.currency_code))

    # the product title takes the width (it wraps); the line's facts go under it, dim
    lines = Table(title="Lines", title_justify="left", expand=True, show_edge=False)
    lines.add_column("Qty", justify="right", no_wrap=True)
    lines.add_column("Product", ratio=1, overflow="fold")
    lines.add_column("Price", justify="right", no_wrap=True)
    for ln in order.lines:
        status = ln.status or ""
        if not ln.merchant_ships:
            status += f" ({ln.offer.supply_mode})"
        facts = " · ".join(
            part
            for part in (
                f"SKU {ln.sku}" if ln.sku else "",
                f"line {ln.order_line_id}",
                ln.delivery.mode or "",
            )
            if part
        )
        product = fmt.text(ln.offer.product_title or "—")
        product.append("\n")
        product.append_text(fmt.text(facts, "dim"))
        if status:
            product.append_text(fmt.text(" · ", "dim"))
            product.append_text(
                fmt.text(status, alert if ln.status == OrderStatus.CANCEL_REQUEST else "dim")
            )
        lines.add_row(
            str(ln.quantity),
            product,
            fmt.money(ln.selling_price.unit_sales_price, order.currency_code),
        )

    address = Text("\n".join(fmt.address_lines(order.shipping_address)))

    label = Table.grid(padding=(0, 2))
    label.add_column(style="bold", no_wrap=True)
    label.add_column(overflow="fold")  # paths and URLs are shown whole
    if rec.label is None:
        add_row(label, "Label", "none yet")
    else:
        info = rec.label
        add_row(label, "Carrier", info.carrier_name or info.carrier_code or "")
        add_row(label, "Tracking", info.tracking_number or "")
        if info.tracking_url:
            add_row(label, "Tracking URL", info.tracking_url)
        if info.shipping_option_code:
            add_row(label, "Option", f"{info.shipping_option_code} · {fmt.weight(info.weight_kg)}")
        if info.chosen_by:
            add_row(label, "Chosen by", info.chosen_by)
        if info.relay_point_id or info.relay_point_name:
            add_row(label, "Sent to", fmt.relay_point(info.relay_point_id, info.relay_point_name))
        if info.address_override:
            corrected = ", ".join(
                f"{k.replace('_', ' ')}: {v}" for k, v in info.address_override.items()
            )
            add_row(
                label,
                "Address",
                fmt.text(
                    f"corrected for this label (never sent to the marketplace) — {corrected}",
                    note,
                ),
            )
        if info.included_cancel_requests:
            add_row(
                label,
                "Included",
                fmt.text(
                    "lines with a cancellation request: "
                    + ", ".join(info.included_cancel_requests),
                    note,
                ),
            )
        if info.label_path:
            add_row(label, "Saved at", info.label_path)
        if info.customs_path:
            add_row(label, "Customs", info.customs_path)
        if info.cancel_status:
            add_row(label, "Cancellation", f"{info.cancel_status} {info.cancel_message or ''}")
    if rec.push is not None:
        push = rec.push
        text = f"{push.status.value} · {push.carrier_name} {push.parcel_number}"
        if push.last_error:
            text += f" · {push.last_error}"
        add_row(label, "Marketplace update", text)

    events = Table(title="Tracking events", title_justify="left", expand=True, show_edge=False)
    events.add_column("When", no_wrap=True)
    events.add_column("Status", no_wrap=True)
    events.add_column("Description", ratio=1)
    for event in sorted(rec.tracking_events, key=lambda e: e.event_at, reverse=True):
        add_row(
            events, fmt.full_datetime(event.event_at), event.status_code, event.status_description
        )
    parts: list[object] = [
        head,
        Text(""),
        lines,
        Text(""),
        Text("Ship to", style="bold"),
        address,
        Text(""),
        label,
    ]
    if rec.tracking_events:
        parts += [Text(""), events]
    return Group(*parts)  # type: ignore[arg-type]


class OrderDetailDialog(ModalScreen[str | None]):
    """Dismisses with an action name (``label``, ``open_label``, ...) or None."""

    TITLE = "Order detail"
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="detail.close"),
        Binding("question_mark,f1", "app.help", "Help", id="detail.help"),
        Binding("l", "choose('label')", "Label", id="detail.label"),
        Binding("o", "choose('open_label')", "Open label", id="detail.open"),
        Binding("c", "choose('cancel_label')", "Cancel label", id="detail.cancel"),
        Binding("a", "choose('accept')", "Accept", id="detail.accept"),
        Binding("r", "choose('refuse')", "Refuse", id="detail.refuse"),
    ]
    #: the footer's keys when not all fit (``widgets/footer.py``)
    FOOTER_PRIORITY = (
        "detail.close",
        "detail.help",
        "detail.label",
        "detail.open",
        "detail.cancel",
        "detail.accept",
        "detail.refuse",
    )

    def __init__(self, record: OrderRecord, now: datetime) -> None:
        super().__init__()
        self._record = record
        self._now = now

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog detail"):
            yield Static(f"Order {fmt.safe(self._record.reference)}", classes="dialog-title")
            with VerticalScroll(id="detail-body"):
                yield Static(order_details(self._record, self._now))
            yield Static(self._hint(), classes="dialog-hint")
        yield KeyFooter()

    def _hint(self) -> str:
        keys = [
            k
            for k, ok in (
                ("l label", can_label(self._record)),
                ("o open label", has_label(self._record)),
                ("c cancel label", has_label(self._record)),
                ("a accept · r refuse", can_accept(self._record)),
            )
            if ok
        ]
        return " · ".join([*keys, "Esc close"])

    def on_mount(self) -> None:
        self.query_one("#detail-body").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action != "choose":
            return True
        rec = self._record
        allowed = {
            "label": can_label(rec),
            "open_label": has_label(rec),
            "cancel_label": has_label(rec),
            "accept": can_accept(rec),
            "refuse": can_accept(rec),
        }
        return allowed.get(str(parameters[0]), False) or None

    def action_choose(self, what: str) -> None:
        self.dismiss(what)

    def action_close(self) -> None:
        self.dismiss(None)
