"""One order as every list shows it: the only definition of reference, ship-by,
customer, destination, items, label and relay point.

``summarize`` builds an ``OrderSummary`` from a record (or, during an import, from an
order and its state, before any record exists). The store writes the summary beside each
record whenever it writes the record, so listings — the inbox, ``cdtui orders`` and
``orders --json`` — read stored fields and derive nothing. Adding an inbox column is one
field here plus one column entry in the view; ``SUMMARY_VERSION`` is bumped when a field
is added, moved or changes meaning (the store then rebuilds every summary once).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import UnionType
from typing import Any, NamedTuple, get_args, get_type_hints

from cdtui.models import Address, LabelInfo, Order, OrderLine, OrderRecord, TrackingPush
from cdtui.orders.enums import OrderStatus, State
from cdtui.orders.states import not_shippable_why

#: bump when a field is added, moved or changes meaning: stored summaries are rebuilt once
SUMMARY_VERSION = 3

_IN_PREPARATION = OrderStatus.IN_PREPARATION.value


class OrderSummary(NamedTuple):
    """One order for list views: light, immutable, read from the store as written."""

    order_id: str
    integration_id: str
    seller_id: str
    #: the marketplace reference (the order id when there is none)
    reference: str
    channel_id: str
    #: the channel's name (its id when it has none; empty without a channel)
    channel_name: str
    marketplace_status: str
    state: State
    attention: str | None
    error: str | None
    #: why the order is not shippable (its state says it; this says why), else None
    reason: str | None
    #: the same in a word for the inbox's state column ("shipped", "warehouse", ...)
    reason_word: str | None
    #: purchase date (creation date when there is none)
    ordered_at: datetime | None
    #: ship-by deadline: the order's, else the earliest of its lines'
    ship_by: datetime | None
    #: name of the shipping address, else its company (billing address when none)
    customer: str
    country_code: str | None
    postal_code: str | None
    city: str | None
    #: the lines a label covers (every line when none is to ship), their total
    #: quantity and the first one's product title (or SKU)
    item_lines: int
    item_quantity: int
    item_title: str | None
    #: the delivery mode of the lines shown (``THD``, ``SHD``, ``ShopPickup``, ...)
    delivery_mode: str | None
    #: the relay point the buyer chose (its id and name), for relay deliveries
    relay_point_id: str | None
    relay_point_name: str | None
    #: has a bought label that is not cancelled
    labelled: bool
    carrier: str | None
    tracking_number: str | None
    tracking_url: str | None
    label_path: str | None
    push_status: str | None

    def as_json(self) -> list[Any]:
        """The summary as stored: ``[SUMMARY_VERSION, <each field in order>]`` (dates in
        ISO 8601, the state as its word). An array, not an object: a third of the bytes
        in every order file and of the time to write and read it (10,000 of them per
        import and per inbox load); the version says what each position holds."""
        out: list[Any] = [SUMMARY_VERSION, *self]
        out[_STATE_AT] = self.state.value
        for at in _DATES_AT:
            value = out[at]
            out[at] = value.isoformat() if value is not None else None
        return out


def shown_lines(order: Order) -> list[OrderLine]:
    """The merchant's lines in preparation (what a label covers), else every line
    (the summary's items and what scan mode asks to be packed)."""
    ready = [ln for ln in order.lines if ln.status == _IN_PREPARATION and ln.merchant_ships]
    return ready or order.lines


#: the order ``summarize`` builds a summary in, positionally: it runs 10,000 times per
#: import, and 29 keyword arguments cost more than the rest of it (a test checks this
#: is ``OrderSummary._fields``: a field added there must be added here and below)
BUILT_FIELDS = (
    *("order_id", "integration_id", "seller_id", "reference", "channel_id", "channel_name"),
    *("marketplace_status", "state", "attention", "error", "reason", "reason_word"),
    *("ordered_at", "ship_by"),
    *("customer", "country_code", "postal_code", "city", "item_lines", "item_quantity"),
    *("item_title", "delivery_mode", "relay_point_id", "relay_point_name", "labelled"),
    *("carrier", "tracking_number", "tracking_url", "label_path", "push_status"),
)
_new_summary = tuple.__new__


def summarize(
    order: Order,
    *,
    order_id: str,
    integration_id: str,
    seller_id: str,
    state: State,
    attention: str | None = None,
    error: str | None = None,
    label: LabelInfo | None = None,
    push: TrackingPush | None = None,
) -> OrderSummary:
    """The summary of an order and what cdtui did with it."""
    lines = shown_lines(order)
    address: Address | None = None
    relay: Address | None = None
    mode: str | None = None
    quantity = 0
    for ln in lines:  # one pass: the first address, relay point and mode, the quantity
        quantity += ln.quantity
        where = ln.shipping_address
        if where is not None:
            if address is None:
                address = where
            if relay is None and where.pickup_id and where.pickup_id.strip():
                relay = where
        if mode is None:
            mode = ln.delivery.mode or None
    if address is None:
        address = order.billing_address
    ship_by = order.shipped_at_max
    if ship_by is None:
        dates = [ln.delivery.shipped_at_max for ln in order.lines if ln.delivery.shipped_at_max]
        ship_by = min(dates) if dates else None
    channel = order.sales_channel
    first = lines[0].offer if lines else None
    why = not_shippable_why(order) if state == State.NOT_SHIPPABLE else None
    return _new_summary(
        OrderSummary,
        (
            order_id,
            integration_id,
            seller_id,
            order.reference or order_id,  # reference
            channel.id if channel else "",  # channel_id
            (channel.name or channel.id) if channel else "",  # channel_name
            order.status,  # marketplace_status
            state,
            attention,
            error,
            why.text if why else None,  # reason
            why.word if why else None,  # reason_word
            order.purchased_at or order.created_at,  # ordered_at
            ship_by,
            (address.name or address.company_name or "") if address else "",  # customer
            address.country_code if address else None,
            address.postal_code if address else None,
            address.city if address else None,
            len(lines),  # item_lines
            quantity,  # item_quantity
            (first.product_title or first.seller_product_id) if first else None,  # item_title
            mode,  # delivery_mode
            ((relay.pickup_id or "").strip() or None) if relay else None,  # relay_point_id
            ((relay.pickup_name or "").strip() or None) if relay else None,  # relay_point_name
            label is not None and label.active,  # labelled
            label.carrier_name if label else None,  # carrier
            label.tracking_number if label else None,
            label.tracking_url if label else None,
            label.label_path if label else None,
            push.status.value if push else None,  # push_status
        ),
    )


def summarize_record(rec: OrderRecord) -> OrderSummary:
    """The summary of a stored record."""
    return summarize(
        rec.order,
        order_id=rec.order_id,
        integration_id=rec.integration_id,
        seller_id=rec.seller_id,
        state=rec.state,
        attention=rec.attention,
        error=rec.error,
        label=rec.label,
        push=rec.push,
    )


_STATES = {s.value: s for s in State}
_parse_dt = datetime.fromisoformat


def _field_types() -> tuple[type | tuple[type, ...], ...]:
    """The type of each ``OrderSummary`` field, for ``isinstance`` (from its hints)."""
    hints = get_type_hints(OrderSummary)
    return tuple(
        get_args(hint) if isinstance(hint, UnionType) else hint
        for hint in (hints[name] for name in OrderSummary._fields)
    )


#: the type of each field, checked for every summary read back
_TYPES = _field_types()
#: positions in the stored array (after the version)
_STATE_AT = 1 + OrderSummary._fields.index("state")
_DATES_AT = tuple(1 + OrderSummary._fields.index(name) for name in ("ordered_at", "ship_by"))
_STORED_LEN = 1 + len(OrderSummary._fields)


def summary_from_json(data: Sequence[Any]) -> OrderSummary:
    """A stored summary read back. ``KeyError`` / ``TypeError`` / ``ValueError`` on
    anything else than what ``as_json`` of this ``SUMMARY_VERSION`` wrote (another
    version, a missing or extra value, a value of the wrong type): the store then
    rebuilds it from the record."""
    if type(data) is not list or len(data) != _STORED_LEN or data[0] != SUMMARY_VERSION:
        raise ValueError("not a summary of this version")
    values = data[1:]
    values[_STATE_AT - 1] = _STATES[values[_STATE_AT - 1]]
    for at in _DATES_AT:
        value = values[at - 1]
        if value is not None:
            values[at - 1] = _parse_dt(value)
    for value, kind in zip(values, _TYPES, strict=True):
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise TypeError(value)
    return OrderSummary._make(values)
