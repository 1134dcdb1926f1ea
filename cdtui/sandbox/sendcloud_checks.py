"""The Sendcloud request rules the sandbox enforces before it announces a shipment.

Weights, addresses, the relay point a service-point option needs, the customs
information and parcel items of a shipment leaving the EU customs territory, and one
currency per shipment. Each check returns JSON:API error items ``(code, detail,
pointer)`` or raises a :class:`~cdtui.sandbox.endpoint.Reply`.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from cdtui.sandbox import catalogue
from cdtui.sandbox.catalogue import SC_CARRIERS
from cdtui.sandbox.endpoint import Reply, sc_error

REQUIRED_ADDRESS = ("name", "address_line_1", "postal_code", "city", "country_code")
#: a JSON:API error item: (code, detail, pointer)
Err = tuple[str, str, str | None]


def parse_weight(value: Any, pointer: str) -> Decimal | tuple[str, str, str]:
    """Weight in kg from ``{"value", "unit"}`` (or a bare number), or an error item."""
    unit = "kg"
    if isinstance(value, dict):
        unit = str(value.get("unit") or "kg").lower()
        value = value.get("value")
    if value is None or isinstance(value, bool):
        return ("required", "This field is required.", f"{pointer}/value")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return ("invalid", "A valid number is required.", f"{pointer}/value")
    if not number.is_finite() or number <= 0:
        return ("min_value", "The weight must be greater than 0.", f"{pointer}/value")
    factor = {"kg": Decimal(1), "g": Decimal("0.001"), "lbs": Decimal("0.45359237")}.get(unit)
    if factor is None:
        return ("invalid_choice", f'"{unit}" is not a valid unit.', f"{pointer}/unit")
    return number * factor


def address_errors(
    address: Any, pointer: str, required: tuple[str, ...]
) -> list[tuple[str, str, str | None]]:
    if not isinstance(address, dict):
        return [("required", "This field is required.", pointer)]
    errors: list[tuple[str, str, str | None]] = []
    for key in required:
        value = address.get(key)
        if not isinstance(value, str) or not value.strip():
            errors.append(("required", "This field is required.", f"{pointer}/{key}"))
    country = address.get("country_code")
    if (
        isinstance(country, str)
        and country.strip()
        and (country.strip().upper() not in catalogue.KNOWN_COUNTRIES)
    ):
        errors.append(
            ("invalid", f'"{country}" is not a valid country code.', f"{pointer}/country_code")
        )
    return errors


def requested_service_point(
    option: catalogue.ShippingOptionDef, raw: Any
) -> catalogue.ServicePoint | None:
    """The relay point a service-point option delivers to (a Reply 400 when it is
    missing or not one of the option carrier's points). Home options ignore it."""
    if not option.service_point:
        return None
    network = SC_CARRIERS[option.carrier].name
    carrier_id = raw.get("carrier_service_point_id") if isinstance(raw, dict) else None
    sendcloud_id = raw.get("id") if isinstance(raw, dict) else None
    if carrier_id in (None, "") and sendcloud_id in (None, ""):
        raise Reply(
            sc_error(
                400,
                "required",
                "A service point is required for the selected shipping method",
                "/to_service_point",
            )
        )
    if carrier_id not in (None, ""):  # it wins over "id" when both are given
        pointer = "/to_service_point/carrier_service_point_id"
        if not isinstance(carrier_id, str):
            raise Reply(sc_error(400, "invalid", "Not a valid string.", pointer))
        point = catalogue.service_point(option.carrier, carrier_id.strip())
        if point is None:
            raise Reply(
                sc_error(
                    400,
                    "invalid",
                    f"{carrier_id!r} is not a {network} service point: the selected shipping "
                    f"method ({option.code}) delivers to {network} service points only.",
                    pointer,
                )
            )
        return point
    pointer = "/to_service_point/id"
    point = catalogue.SERVICE_POINTS_BY_ID.get(str(sendcloud_id).strip())
    if point is None:
        raise Reply(
            sc_error(400, "invalid", f"Service point {sendcloud_id} does not exist.", pointer)
        )
    if point.carrier != option.carrier:
        raise Reply(
            sc_error(
                400,
                "invalid",
                f"Service point {sendcloud_id} belongs to {SC_CARRIERS[point.carrier].name}, not "
                f"to {network} ({option.code}).",
                pointer,
            )
        )
    return point


_HS_CODE = re.compile(r"^\d{6,12}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_PRICE_VALUE = re.compile(r"^\d+(\.\d+)?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_ITEM_UNITS = ("kg", "g", "lbs", "oz")


def customs_errors(body: dict[str, Any], parcels: list[Any]) -> list[Err]:
    """What a shipment leaving the EU customs territory lacks: ``customs_information``
    and complete ``parcel_items`` (shipments OpenAPI). One error per problem."""
    errors: list[Err] = []
    info = body.get("customs_information")
    at = "/customs_information"
    if not isinstance(info, dict):
        errors.append(
            ("required", "Customs information is required for shipments outside the EU.", at)
        )
    else:
        number = info.get("invoice_number")
        if number is None or number == "":
            errors.append(("required", "This field is required.", f"{at}/invoice_number"))
        elif not isinstance(number, str) or len(number) > 40:
            errors.append(
                (
                    "invalid",
                    "invoice_number must be a string of 1 to 40 characters.",
                    f"{at}/invoice_number",
                )
            )
        reason = info.get("export_reason")
        if reason is None or reason == "":
            errors.append(("required", "This field is required.", f"{at}/export_reason"))
        elif reason not in catalogue.EXPORT_REASONS:
            errors.append(
                (
                    "invalid_choice",
                    f'"{reason}" is not a valid choice ({", ".join(catalogue.EXPORT_REASONS)}).',
                    f"{at}/export_reason",
                )
            )
        kind = info.get("export_type")
        if kind is not None and kind not in catalogue.EXPORT_TYPES:
            errors.append(
                (
                    "invalid_choice",
                    f'"{kind}" is not a valid choice ({", ".join(catalogue.EXPORT_TYPES)}).',
                    f"{at}/export_type",
                )
            )
        day = info.get("invoice_date")
        if day is not None and not _is_date(day):
            errors.append(
                (
                    "invalid",
                    "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
                    f"{at}/invoice_date",
                )
            )
    for i, parcel in enumerate(parcels):
        items = parcel.get("parcel_items") if isinstance(parcel, dict) else None
        if not isinstance(items, list) or not items:
            errors.append(
                (
                    "required",
                    "Parcel items are required for shipments outside the EU.",
                    f"/parcels/{i}/parcel_items",
                )
            )
            continue
        for j, item in enumerate(items):
            errors += _item_errors(item, f"/parcels/{i}/parcel_items/{j}")
    return errors


def _item_errors(item: Any, at: str) -> list[Err]:
    if not isinstance(item, dict):
        return [("invalid", "Expected an object.", at)]
    errors: list[Err] = []
    required = "This field is required."
    desc = item.get("description")
    if desc is None or desc == "":
        errors.append(("required", required, f"{at}/description"))
    elif not isinstance(desc, str) or len(desc) > 255:
        errors.append(("invalid", "description must be 1 to 255 characters.", f"{at}/description"))
    qty = item.get("quantity")
    if qty is None:
        errors.append(("required", required, f"{at}/quantity"))
    elif isinstance(qty, bool) or not isinstance(qty, int) or qty < 1:
        errors.append(("min_value", "quantity must be a whole number ≥ 1.", f"{at}/quantity"))
    weight = item.get("weight")
    if weight is None:
        errors.append(("required", required, f"{at}/weight"))
    elif not isinstance(weight, dict):
        errors.append(("invalid", "weight must be an object with value and unit.", f"{at}/weight"))
    else:
        value = weight.get("value")
        try:
            number = None if isinstance(value, bool) else Decimal(str(value))
        except InvalidOperation:
            number = None
        if value is None:
            errors.append(("required", required, f"{at}/weight/value"))
        elif number is None or not number.is_finite() or number <= 0:
            errors.append(("min_value", "The weight must be greater than 0.", f"{at}/weight/value"))
        unit = weight.get("unit")
        if unit is None:
            errors.append(("required", required, f"{at}/weight/unit"))
        elif unit not in _ITEM_UNITS:
            errors.append(("invalid_choice", f'"{unit}" is not a valid unit.', f"{at}/weight/unit"))
    price = item.get("price")
    if price is None:
        errors.append(("required", required, f"{at}/price"))
    elif not isinstance(price, dict):
        errors.append(
            ("invalid", "price must be an object with value and currency.", f"{at}/price")
        )
    else:
        value = price.get("value")
        if value is None:
            errors.append(("required", required, f"{at}/price/value"))
        elif isinstance(value, bool) or not _PRICE_VALUE.match(str(value)):
            errors.append(("invalid", "A valid number is required.", f"{at}/price/value"))
        currency = price.get("currency")
        if currency is None:
            errors.append(("required", required, f"{at}/price/currency"))
        elif not isinstance(currency, str) or not _CURRENCY.match(currency):
            errors.append(
                ("invalid", "currency must be an ISO 4217 code (e.g. EUR).", f"{at}/price/currency")
            )
    hs_code = item.get("hs_code")
    if hs_code is None or hs_code == "":
        errors.append(("required", required, f"{at}/hs_code"))
    elif not isinstance(hs_code, str) or not _HS_CODE.match(hs_code):
        errors.append(
            (
                "invalid",
                f"{hs_code!r} is not a valid HS code: 6 to 12 digits (at most 12 characters).",
                f"{at}/hs_code",
            )
        )
    origin = item.get("origin_country")
    if origin is None or origin == "":
        errors.append(("required", required, f"{at}/origin_country"))
    elif not isinstance(origin, str) or not _COUNTRY.match(origin):
        errors.append(
            (
                "invalid",
                f"{origin!r} is not an ISO 3166-1 alpha-2 country code.",
                f"{at}/origin_country",
            )
        )
    return errors


def currency_errors(body: dict[str, Any], parcels: list[Any]) -> list[Err]:
    """Mixed currencies are refused: every price of a shipment uses one currency."""
    prices: list[tuple[str, str]] = []

    def add(value: Any, pointer: str) -> None:
        if isinstance(value, dict) and isinstance(value.get("currency"), str):
            prices.append((value["currency"].strip().upper(), f"{pointer}/currency"))

    add(body.get("total_order_price"), "/total_order_price")
    for i, parcel in enumerate(parcels):
        items = parcel.get("parcel_items") if isinstance(parcel, dict) else None
        for j, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict):
                add(item.get("price"), f"/parcels/{i}/parcel_items/{j}/price")
    info = body.get("customs_information")
    if isinstance(info, dict):
        for name in ("discount_granted", "freight_costs", "insurance_costs", "other_costs"):
            add(info.get(name), f"/customs_information/{name}")
    if not prices:
        return []
    first = prices[0][0]
    odd = next(((c, p) for c, p in prices if c != first), None)
    if odd is None:
        return []
    found = ", ".join(sorted({c for c, _ in prices}))
    return [
        (
            "invalid",
            f"Mixed currencies are not accepted: every price must use the same currency "
            f"(found {found}).",
            odd[1],
        )
    ]


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
