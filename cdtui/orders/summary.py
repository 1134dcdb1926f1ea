"""One order as every list shows it: the only definition of reference, ship-by,
customer, destination, items, label and relay point.

``summarize`` builds an ``OrderSummary`` from a record (or, during an import, from an
order and its state, before any record exists). The store writes the summary beside each
record whenever it writes the record, so listings — the inbox, ``cdtui orders`` and
``orders --json`` — read stored fields and derive nothing. Adding an inbox column is one
field here plus one column entry in the view; ``SUMMARY_VERSION`` is bumped when a field
is added or its meaning changes (the store then rebuilds every summary once).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import UnionType
from typing import Any, NamedTuple, get_args, get_type_hints

from cdtui.models import Address, LabelInfo, Order, OrderLine, OrderRecord, TrackingPush
from cdtui.orders.enums import OrderStatus, State
from cdtui.orders.states import not_shippable_reason

#: bump when a field is added or changes meaning: stored summaries are rebuilt once
SUMMARY_VERSION = 1

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

    def as_json(self) -> dict[str, Any]:
        """The summary as stored (dates in ISO 8601, the state as its word), with the
        ``SUMMARY_VERSION`` it was built by."""
        out = self._asdict()
        out["state"] = self.state.value
        for key in ("ordered_at", "ship_by"):
            value = out[key]
            out[key] = value.isoformat() if value is not None else None
        out["version"] = SUMMARY_VERSION
        return out


def _shown_lines(order: Order) -> list[OrderLine]:
    """The merchant's lines in preparation (what a label covers), else every line."""
    ready = [ln for ln in order.lines if ln.merchant_ships and ln.status == _IN_PREPARATION]
    return ready or order.lines


def _address(order: Order, lines: list[OrderLine]) -> Address | None:
    for ln in lines:
        if ln.shipping_address is not None:
            return ln.shipping_address
    return order.billing_address


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
    lines = _shown_lines(order)
    address = _address(order, lines)
    ship_by = order.shipped_at_max
    if ship_by is None:
        dates = [ln.delivery.shipped_at_max for ln in order.lines if ln.delivery.shipped_at_max]
        ship_by = min(dates) if dates else None
    channel = order.sales_channel
    first = lines[0].offer if lines else None
    mode = next((ln.delivery.mode for ln in lines if ln.delivery.mode), None)
    relay = next(
        (
            ln.shipping_address
            for ln in lines
            if ln.shipping_address is not None and (ln.shipping_address.pickup_id or "").strip()
        ),
        None,
    )
    labelled = label is not None and label.active
    return OrderSummary(
        order_id=order_id,
        integration_id=integration_id,
        seller_id=seller_id,
        reference=order.reference or order_id,
        channel_id=channel.id if channel else "",
        channel_name=(channel.name or channel.id) if channel else "",
        marketplace_status=order.status,
        state=state,
        attention=attention,
        error=error,
        reason=not_shippable_reason(order) if state == State.NOT_SHIPPABLE else None,
        ordered_at=order.purchased_at or order.created_at,
        ship_by=ship_by,
        customer=(address.name or address.company_name or "") if address else "",
        country_code=address.country_code if address else None,
        postal_code=address.postal_code if address else None,
        city=address.city if address else None,
        item_lines=len(lines),
        item_quantity=sum(ln.quantity for ln in lines),
        item_title=(first.product_title or first.seller_product_id) if first else None,
        delivery_mode=mode,
        relay_point_id=((relay.pickup_id or "").strip() or None) if relay else None,
        relay_point_name=((relay.pickup_name or "").strip() or None) if relay else None,
        labelled=labelled,
        carrier=label.carrier_name if label else None,
        tracking_number=label.tracking_number if label else None,
        tracking_url=label.tracking_url if label else None,
        label_path=label.label_path if label else None,
        push_status=push.status.value if push else None,
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


def summary_from_json(data: Mapping[str, Any]) -> OrderSummary:
    """A stored summary read back. ``KeyError`` / ``TypeError`` / ``ValueError`` on
    anything else than what ``as_json`` of this ``SUMMARY_VERSION`` wrote (another
    version, a missing or extra field, a field of the wrong type): the store then
    rebuilds it from the record."""
    values = dict(data)
    if values.pop("version", None) != SUMMARY_VERSION:
        raise ValueError("a summary of another version")
    values["state"] = _STATES[values["state"]]
    for key in ("ordered_at", "ship_by"):
        value = values[key]
        values[key] = None if value is None else _parse_dt(value)
    summary = OrderSummary(**values)
    for value, kind in zip(summary, _TYPES, strict=True):
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise TypeError(value)
    return summary
