"""What Sendcloud's answers look like, read tolerantly: every shape the documentation
(and the official v3 OpenAPI) leaves **unconfirmed** is read here and nowhere else;
``sendcloud.py`` speaks HTTP and hands the bodies here. API data is untrusted: prices,
weights and flags are read defensively, documents are looked up by kind, not position.
"""

from __future__ import annotations

import base64
import binascii
import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from cdtui.errors import BadResponse
from cdtui.models import Shipment, ShippingOption, ShippingOptionList, TrackingEvent

API = "Sendcloud"
log = logging.getLogger("cdtui.sendcloud")

FAILED = "ANNOUNCEMENT_FAILED"
#: ``documents[].document_type`` of a customs form, and the values the deprecated
#: ``documents[].type`` uses for one
CUSTOMS_TYPES = frozenset(
    {"customs-declaration", "cn23", "cp71", "commercial-invoice", "cn23-default"}
)

# Everything the API documentation marks as unconfirmed is read here.


def dig(obj: Any, *keys: str | int) -> Any:
    for key in keys:
        if isinstance(key, int):
            if not isinstance(obj, list) or len(obj) <= key:
                return None
        elif not isinstance(obj, dict):
            return None
        obj = obj[key] if isinstance(key, int) else obj.get(key)
    return obj


def data_of(body: Any) -> Any:
    """The ``data`` member of a JSON:API answer (some answers have no envelope)."""
    return body.get("data") if isinstance(body, dict) and "data" in body else body


def price_of(option: dict[str, Any]) -> tuple[Decimal | None, str | None]:
    """The quote of a shipping option.

    The spec gives ``quotes[0].price.total`` = ``{"value": "7.90", "currency": "EUR"}``
    (only when the request asked for ``calculate_quotes``); a few other plausible places
    are tried so that a variant shape still prices the option.
    """
    for path in (
        ("quotes", 0, "price", "total"),
        ("quotes", 0, "price"),
        ("quotes", 0, "total"),
        ("price", "total"),
        ("price",),
    ):
        node = dig(option, *path)
        if isinstance(node, dict) and "value" in node:
            amount = decimal_of(node["value"])
            if amount is None:
                return None, None
            currency = node.get("currency")
            return amount, currency if isinstance(currency, str) and currency else None
    return None, None


def decimal_of(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


#: weight units Sendcloud uses (``kg``, ``g``, ``lbs``), as kilograms
_KG_PER_UNIT = {
    "kg": Decimal(1),
    "g": Decimal("0.001"),
    "lbs": Decimal("0.45359237"),
    "lb": Decimal("0.45359237"),
    "oz": Decimal("0.028349523125"),
}


def weight_kg(node: Any) -> Decimal | None:
    """``{"value": "500", "unit": "g"}`` as kilograms (a bare number is kg)."""
    unit = "kg"
    if isinstance(node, dict):
        unit = str(node.get("unit") or "kg").strip().lower()
        node = node.get("value")
    value = decimal_of(node)
    factor = _KG_PER_UNIT.get(unit)
    if value is None or factor is None or value < 0:
        return None
    return value * factor


def flag_of(value: Any) -> bool:
    """A boolean functionality (``true``/``false``; anything else is false)."""
    return value is True


def text_of(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def option_of(item: Any) -> ShippingOption | None:
    if not isinstance(item, dict) or not item.get("code") or not isinstance(item["code"], str):
        return None
    price, currency = price_of(item)
    carrier = item.get("carrier") if isinstance(item.get("carrier"), dict) else {}
    functions = item.get("functionalities")
    functions = functions if isinstance(functions, dict) else {}
    requirements = item.get("requirements")
    requirements = requirements if isinstance(requirements, dict) else {}
    needs_point = requirements.get("is_service_point_required")
    if not isinstance(needs_point, bool):
        # older answers say it in the functionalities only
        needs_point = functions.get("service_point_input") == "required"
    weight = item.get("weight") if isinstance(item.get("weight"), dict) else {}
    try:
        return ShippingOption(
            code=item["code"],
            name=str(item.get("name") or item["code"]),
            carrier_code=text_of(carrier.get("code")),
            carrier_name=text_of(carrier.get("name")),
            price=price,
            currency=currency,
            service_point_required=needs_point,
            last_mile=text_of(functions.get("last_mile")),
            signature=flag_of(functions.get("signature")),
            delivery_deadline=text_of(functions.get("delivery_deadline")),
            min_weight_kg=weight_kg(weight.get("min")),
            max_weight_kg=weight_kg(weight.get("max")),
        )
    except ValidationError:
        return None


def options_of(body: Any) -> ShippingOptionList:
    """``{"data": [...], "message": ...}``: ``data`` empty or null is no option."""
    message = body.get("message") if isinstance(body, dict) else None
    message = message.strip() or None if isinstance(message, str) else None
    data = data_of(body)
    if data is None:
        return ShippingOptionList([], message)
    if not isinstance(data, list):
        raise BadResponse("Sendcloud sent shipping options in an unexpected shape", api=API)
    options = []
    for item in data:
        option = option_of(item)
        if option is None:
            code = item.get("code") if isinstance(item, dict) else None
            log.warning("skipping an unreadable shipping option %s", code or "(no code)")
            continue
        options.append(option)
    options.sort(key=lambda o: (o.price is None, o.price or 0, o.name))
    return ShippingOptionList(options, message)


def document_kind(doc: dict[str, Any]) -> str | None:
    """``label`` or ``customs-declaration`` (or another type), from ``document_type``,
    else from the deprecated ``type`` (``cn23``, ``cp71``... are customs forms)."""
    kind = doc.get("document_type")
    if not isinstance(kind, str) or not kind:
        kind = doc.get("type")
    if not isinstance(kind, str) or not kind:
        return None
    kind = kind.strip().lower()
    return "customs-declaration" if kind in CUSTOMS_TYPES else kind


def document_links(parcel: dict[str, Any]) -> tuple[str | None, str | None]:
    """The parcel's label and customs declaration links (the first of each)."""
    label_url = customs_url = None
    documents = parcel.get("documents")
    for doc in documents if isinstance(documents, list) else []:
        if not isinstance(doc, dict):
            continue
        link = str_or_none(doc.get("link"))
        kind = document_kind(doc)
        if kind == "label" and label_url is None:
            label_url = link
        elif kind == "customs-declaration" and customs_url is None:
            customs_url = link
    return label_url, customs_url


def label_file(data: dict[str, Any], parcel: dict[str, Any]) -> bytes | None:
    """``parcels[0].label_file`` (base64); the shipment-level ``label_file`` of older
    answers only when the parcel has none."""
    for raw in (parcel.get("label_file"), data.get("label_file")):
        if isinstance(raw, str) and raw:
            try:
                return base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                log.warning("shipment %s carries an undecodable label_file", data.get("id"))
    return None


def parse_shipment(data: Any) -> Shipment:
    """One shipment (one parcel) from a v3 shipment document."""
    if not isinstance(data, dict) or data.get("id") in (None, ""):
        raise BadResponse("Sendcloud sent a shipment without an id", api=API)
    carrier = data.get("carrier") if isinstance(data.get("carrier"), dict) else {}
    parcel = dig(data, "parcels", 0) or {}
    if not isinstance(parcel, dict):
        parcel = {}
    status = parcel.get("status")
    status_code = status.get("code") if isinstance(status, dict) else status
    label_url, customs_url = document_links(parcel)
    try:
        return Shipment(
            shipment_id=str(data["id"]),
            order_number=str_or_none(data.get("order_number")),
            external_reference_id=str_or_none(data.get("external_reference_id")),
            carrier_code=str_or_none(carrier.get("code")),
            carrier_name=str_or_none(carrier.get("name")),
            parcel_id=str_or_none(parcel.get("id")),
            parcel_status=str_or_none(status_code),
            tracking_number=str_or_none(parcel.get("tracking_number")),
            tracking_url=str_or_none(parcel.get("tracking_url")),
            label_url=label_url,
            label_file=label_file(data, parcel),
            customs_url=customs_url,
            announced_at=parcel.get("announced_at") or data.get("announced_at"),
        )
    except ValidationError:
        raise BadResponse(
            f"Sendcloud sent shipment {data['id']} in an unreadable shape", api=API
        ) from None


def str_or_none(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def failure_detail(data: Any) -> str:
    """The carrier's message for an announcement failure."""
    texts: list[str] = []
    for source in (dig(data, "errors"), dig(data, "parcels", 0, "errors")):
        for err in source if isinstance(source, list) else []:
            if isinstance(err, dict) and (err.get("detail") or err.get("code")):
                texts.append(str(err.get("detail") or err.get("code")))
    message = dig(data, "parcels", 0, "status", "message")
    if not texts and isinstance(message, str) and message:
        texts.append(message)
    return "; ".join(texts) or "the carrier gave no reason"


def announce_failed(data: Any, shipment: Shipment) -> bool:
    """A 201 is not always a label: check the parcel status and the errors."""
    if shipment.parcel_status == FAILED:
        return True
    errors = dig(data, "errors")
    return bool(errors) and not shipment.tracking_number


def conflict_shipment(body: Any) -> Any:
    """A 409 on a repeated external_reference_id may carry the existing shipment (as
    ``data``) or only ``errors``: returns the shipment document or None."""
    data = data_of(body)
    if isinstance(data, dict) and data.get("id") not in (None, ""):
        return data
    return None


def shipment_list(body: Any) -> list[Any]:
    data = data_of(body)
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list):
        return data
    raise BadResponse("Sendcloud sent a list of shipments in an unexpected shape", api=API)


def events_of(body: Any) -> list[TrackingEvent]:
    data = data_of(body)
    raw = data.get("events") if isinstance(data, dict) else None
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise BadResponse("Sendcloud sent tracking events in an unexpected shape", api=API)
    events = []
    for item in raw:
        try:
            events.append(TrackingEvent.model_validate(item))
        except ValidationError:
            log.warning("skipping an unreadable tracking event")
    return sorted(events, key=lambda e: e.event_at)
