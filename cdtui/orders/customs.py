"""Customs outside the EU customs territory: when a declaration is needed, each item
with its HS code, origin, weight and price, and the ``customs_information``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from cdtui.errors import CdtuiError, UsageError
from cdtui.models import Integration, OrderLine, OrderRecord

#: EU member states: no customs between them (api/sendcloud.md)
EU_COUNTRIES = frozenset(
    {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"}
    | {"IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}
)
#: French postal codes outside the EU customs territory (overseas departments and
#: collectivities: 971–976, 98x), and Monaco, inside it
_FR_OVERSEAS = re.compile(r"^\s*9[78]\d")
#: Sendcloud's ``customs_information`` values for a marketplace sale to a consumer
EXPORT_REASON = "commercial_goods"
EXPORT_TYPE = "private"


def money(value: Decimal | None, currency: str) -> dict[str, str] | None:
    """A Sendcloud price object, or None when there is no value."""
    if value is None:
        return None
    return {"value": f"{Decimal(value):.2f}", "currency": currency}


def needs_customs(from_country: str, to_country: str, to_postal_code: str | None = None) -> bool:
    """Customs documents are needed unless both ends are in the EU customs territory
    (French overseas departments are outside it)."""
    src, dst = from_country.upper(), to_country.upper()
    if dst == "FR" and to_postal_code and _FR_OVERSEAS.match(to_postal_code):
        return True
    if src == dst:
        return False
    return not (src in EU_COUNTRIES | {"MC"} and dst in EU_COUNTRIES | {"MC"})


def customs_items(
    rec: OrderRecord,
    lines: Sequence[OrderLine],
    integ: Integration,
    *,
    weight: Decimal,
    sender_country: str,
) -> list[dict[str, Any]]:
    """``parcel_items`` with full customs data: HS code and origin per SKU (else the
    integration's defaults), unit weight per SKU (else the parcel weight split over
    the items), unit price and currency from the order.

    Raises ``UsageError`` naming the SKUs without an HS code and the command that
    fixes it — before anything is bought.
    """
    currency = rec.order.currency_code or "EUR"
    missing = [
        ln.sku or ln.order_line_id
        for ln in lines
        if not (integ.sku_hs_codes.get(ln.sku or "") or integ.default_hs_code)
    ]
    if missing:
        first = missing[0]
        raise UsageError(
            f"Order {rec.reference} goes outside the EU and needs an HS code for "
            f"{', '.join(missing)}: run `cdtui integration update {integ.id} --sku-hs-code "
            f"{first}=CODE` (or --default-hs-code CODE)."
        )
    no_price = [
        ln.sku or ln.order_line_id for ln in lines if ln.selling_price.unit_sales_price is None
    ]
    if no_price:
        raise CdtuiError(
            f"Order {rec.reference} goes outside the EU but the marketplace gave no price for "
            f"{', '.join(no_price)}: a customs declaration needs one."
        )
    units = sum(max(1, ln.quantity) for ln in lines) or 1
    split = max(Decimal("0.001"), (weight / units).quantize(Decimal("0.001")))
    items = []
    for ln in lines:
        sku = ln.sku or ""
        unit_weight = integ.sku_weights.get(sku)
        origin = integ.sku_origin_countries.get(sku) or integ.origin_country or sender_country
        item: dict[str, Any] = {
            "description": (ln.offer.product_title or ln.sku or "Item")[:255],
            "quantity": max(1, ln.quantity),
            "weight": {
                "value": f"{Decimal(unit_weight) if unit_weight else split:.3f}",
                "unit": "kg",
            },
            "price": money(ln.selling_price.unit_sales_price, currency),
            "hs_code": integ.sku_hs_codes.get(sku) or integ.default_hs_code,
            "origin_country": origin.upper(),
        }
        if ln.sku:
            item["sku"] = ln.sku
        items.append(item)
    return items


def customs_information(rec: OrderRecord) -> dict[str, Any]:
    """The announce body's ``customs_information`` for a sale to a private buyer."""
    info: dict[str, Any] = {
        "invoice_number": rec.reference[:40],
        "export_reason": EXPORT_REASON,
        "export_type": EXPORT_TYPE,
    }
    day = rec.order.purchased_at or rec.order.created_at
    if day is not None:
        info["invoice_date"] = day.date().isoformat()
    return info
