"""How orders and integrations read in ``--json`` and in tables: what the inbox shows of
an order comes from its summary, the one definition both read."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from cdtui.cli.base import dt
from cdtui.errors import CdtuiError
from cdtui.models import Integration, OrderRecord, utcnow
from cdtui.orders.deadlines import DEFAULT_MARGIN, due_word
from cdtui.orders.shipping import rules_of
from cdtui.orders.summary import summarize_record


def order_json(
    rec: OrderRecord, *, now: datetime | None = None, margin: timedelta = DEFAULT_MARGIN
) -> dict[str, Any]:
    """An order as ``cdtui orders --json`` prints it: what the inbox shows of it (the
    reference, ship-by, customer, destination, items, delivery mode and relay point)
    comes from its summary, the one definition both read. ``due``: ``"late"`` or
    ``"due_soon"`` (ship-by within ``margin`` of ``now``) for an order still to ship,
    else null (``cdtui.orders.deadlines``)."""
    label = rec.label
    push = rec.push
    summary = summarize_record(rec)
    relay_id = summary.relay_point_id
    return {
        "order_id": rec.order_id,
        "reference": summary.reference,
        "integration_id": rec.integration_id,
        "channel_id": rec.channel_id,
        "marketplace_status": rec.marketplace_status,
        "state": rec.state.value,
        "attention": rec.attention,
        "carrier": (label.carrier_name if label else None),
        "tracking_number": label.tracking_number if label else None,
        "tracking_url": label.tracking_url if label else None,
        "label_path": label.label_path if label else None,
        "error": rec.error,
        "created_at": dt(rec.order.created_at),
        "updated_at": dt(rec.order.updated_at),
        "ship_by": dt(summary.ship_by),
        "due": due_word(summary, now or utcnow(), margin),
        "customer": summary.customer or None,
        "country": summary.country_code,
        "postal_code": summary.postal_code,
        "items": summary.item_quantity,
        "label_cancel_status": label.cancel_status if label else None,
        "tracking_push": push.status.value if push else None,
        "tracking_status": rec.tracking_events[-1].status_code if rec.tracking_events else None,
        "delivery_mode": summary.delivery_mode,
        "relay_point": {"id": relay_id, "name": summary.relay_point_name} if relay_id else None,
        "shipping_option": label.shipping_option_code if label else None,
        "chosen_by": label.chosen_by if label else None,
        "customs_path": label.customs_path if label else None,
    }


def integration_json(integ: Integration, interval: int) -> dict[str, Any]:
    next_sync = integ.last_sync_at + timedelta(seconds=interval) if integ.last_sync_at else None
    return {
        "id": integ.id,
        "name": integ.name,
        "seller_id": integ.seller_id,
        "login": integ.login,
        "shop_name": integ.shop_name,
        "channels": integ.channels,
        "last_sync": dt(integ.last_sync_at),
        "next_sync": dt(next_sync),
        "last_error": integ.last_error,
        "default_weight_kg": kg(integ.default_weight_kg) if integ.default_weight_kg else None,
        "default_shipping_option": integ.default_shipping_option,
        "sku_weights": {sku: kg(w) for sku, w in integ.sku_weights.items()},
        "sku_hs_codes": dict(integ.sku_hs_codes),
        "default_hs_code": integ.default_hs_code,
        "sku_origin_countries": dict(integ.sku_origin_countries),
        "origin_country": integ.origin_country,
        "relay_carrier": integ.relay_carrier,
        "shipping_rules": rule_texts(integ),
    }


def rule_texts(integ: Integration) -> list[str]:
    try:
        return [rule.text() for rule in rules_of(integ)]
    except CdtuiError:
        return [str(raw) for raw in integ.shipping_rules]


def kg(weight: Decimal) -> str:
    return f"{weight.normalize():f}"  # 0.35, not 0.350
