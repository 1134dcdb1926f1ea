"""The sandbox's Sendcloud API v3: shipping options, announce, shipments, cancel, tracking.

Routes follow ``/work/shared/api/sendcloud.md``; :mod:`cdtui.sandbox.app` mounts them
under ``/api/v3``. The request rules are in :mod:`cdtui.sandbox.sendcloud_checks`, the
document routes in :mod:`cdtui.sandbox.sendcloud_documents`. Errors are JSON:API.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cdtui.sandbox import catalogue, data
from cdtui.sandbox.catalogue import SC_CARRIERS
from cdtui.sandbox.data import stamp
from cdtui.sandbox.endpoint import (
    PDF,
    PNG,
    ZPL,
    Principal,
    Reply,
    endpoint,
    json_body,
    json_response,
    sc_error,
    sc_errors,
)
from cdtui.sandbox.records import CANCEL_WINDOW, ParcelRec, ShipmentRec
from cdtui.sandbox.sendcloud_checks import (
    REQUIRED_ADDRESS,
    address_errors,
    currency_errors,
    customs_errors,
    parse_weight,
    requested_service_point,
)
from cdtui.sandbox.sendcloud_documents import label_content, render
from cdtui.sandbox.world import World


def _option_json(
    option: catalogue.ShippingOptionDef,
    country: str,
    postal_code: str | None,
    weight: Decimal | None,
    with_quotes: bool,
) -> dict[str, Any]:
    carrier = SC_CARRIERS[option.carrier]
    weight_range = {
        "min": {"value": "0.001", "unit": "kg"},
        "max": {"value": f"{option.max_kg:.3f}", "unit": "kg"},
    }
    quotes = None
    if with_quotes and weight is not None:
        price = {"value": f"{option.price(country, weight):.2f}", "currency": "EUR"}
        quotes = [
            {
                "weight": weight_range,
                "price": {
                    "breakdown": [
                        {"type": "price_without_insurance", "label": "Label", "price": price}
                    ],
                    "total": price,
                },
                "lead_time": 24 if option.express else 48,
            }
        ]
    return {
        "code": option.code,
        "name": option.name,
        "carrier": {"code": carrier.code, "name": carrier.name},
        "product": {"code": option.product, "name": option.product_name},
        "functionalities": {
            "b2b": False,
            "b2c": True,
            "last_mile": option.last_mile,
            "signature": option.signature,
            "tracked": True,
            "delivery_deadline": option.delivery_deadline,
            "priority": "express" if option.express else "standard",
        },
        "requirements": {
            "fields": [],
            "export_documents": catalogue.needs_customs(country, postal_code),
            "is_service_point_required": option.service_point,
        },
        "weight": weight_range,
        "charging_type": "label_creation",
        "quotes": quotes,
    }


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _shipment_json(
    world: World, s: ShipmentRec, base: str, *, with_label: bool = False
) -> dict[str, Any]:
    """A shipment document. ``with_label`` (the announce answer): each parcel carries
    ``label_file``, base64 when the shipment has one parcel, else null (as the spec)."""
    carrier = SC_CARRIERS[s.option.carrier]
    parcels = []
    errors: list[dict[str, Any]] = []
    single = len(s.parcels) == 1
    for p in s.parcels:
        code, message = world.parcel_status(s, p)
        if p.failure:  # reported once, in the shipment's errors (api/sendcloud.md shape)
            errors.append(
                {"status": "500", "code": "parcel_announcement_error", "detail": p.failure}
            )
        docs: list[dict[str, Any]] = []
        if not p.failure:
            docs.append(
                {
                    "type": "label",
                    "document_type": "label",
                    "size": "a6",
                    "link": f"{base}/api/v3/parcels/{p.id}/documents/label",
                }
            )
            if s.has_customs:
                docs.append(
                    {
                        "type": "cn23",
                        "document_type": "customs-declaration",
                        "size": "a4",
                        "link": f"{base}/api/v3/parcels/{p.id}/documents/customs-declaration",
                    }
                )
        parcel: dict[str, Any] = {
            "id": p.id,
            "status": {"code": code, "message": message},
            "tracking_number": p.tracking_number,
            "tracking_url": p.tracking_url,
            "weight": {"value": f"{p.weight:.3f}", "unit": "kg"},
            "parcel_items": p.items,
            "documents": docs,
            "created_at": stamp(s.created_at),
            "announced_at": stamp(p.announced_at) if p.announced_at else None,
        }
        if with_label:
            parcel["label_file"] = None
            if single and not p.failure:
                label = s.label_files.get(s.mime_type)
                if label is None:
                    label = render([label_content(s, p)], s.mime_type, "A6", s.dpi)
                    s.label_files[s.mime_type] = label
                parcel["label_file"] = base64.b64encode(label).decode("ascii")
        parcels.append(parcel)
    point = s.service_point
    body: dict[str, Any] = {
        "id": s.id,
        "external_reference_id": s.external_reference_id,
        "order_number": s.order_number,
        "created_at": stamp(s.created_at),
        "carrier": {"code": carrier.code, "name": carrier.name},
        "ship_with": {
            "type": "shipping_option_code",
            "properties": {"shipping_option_code": s.option.code},
        },
        "to_address": s.to_address,
        "from_address": s.from_address,
        "to_service_point": None
        if point is None
        else {"id": point.id, "carrier_service_point_id": point.carrier_service_point_id},
        "total_order_price": s.total_order_price,
        "customs_information": s.customs_information,
        "parcels": parcels,
        "errors": errors,
    }
    if with_label:
        body["label_details"] = {"mime_type": s.mime_type, "dpi": s.dpi or 72}
    return body


def _failure_reason(to: dict[str, Any], carrier_name: str) -> str | None:
    """The carrier's refusal for the sandbox's known-bad addresses."""
    postal = str(to.get("postal_code") or "").strip()
    country = str(to.get("country_code") or "").upper()
    if postal == data.ANNOUNCE_FAIL_POSTAL_CODE:
        return f"{carrier_name}: postal code {postal} does not exist in {country}."
    if data.ANNOUNCE_FAIL_MARK in str(to.get("address_line_1") or "").upper():
        return (
            f"{carrier_name}: the address could not be validated by the carrier "
            "(street unknown in this town)."
        )
    return None


# ---------------------------------------------------------------- Sendcloud: routes


def _sc_bad_json(msg: str) -> Response:
    return sc_error(400, "parse_error", msg)


@endpoint("sendcloud")
async def shipping_options(request: Request, world: World, _key: Principal) -> Response:
    body = await json_body(request, _sc_bad_json)
    if not isinstance(body, dict):
        return sc_error(400, "invalid", "The body must be a JSON object.")
    errors = address_errors(body.get("from_address"), "/from_address", ("country_code",))
    errors += address_errors(body.get("to_address"), "/to_address", ("country_code",))
    calculate = body.get("calculate_quotes", False)
    if not isinstance(calculate, bool):
        errors.append(("invalid", "Must be a valid boolean.", "/calculate_quotes"))
    weight: Decimal | None = None
    parcels = body.get("parcels")
    if parcels is not None:
        if not isinstance(parcels, list) or not parcels:
            errors.append(("invalid", "Expected a non-empty list of parcels.", "/parcels"))
        else:
            weights = []
            for i, parcel in enumerate(parcels):
                got = parse_weight(
                    parcel.get("weight") if isinstance(parcel, dict) else None,
                    f"/parcels/{i}/weight",
                )
                if isinstance(got, tuple):
                    errors.append(got)
                else:
                    weights.append(got)
            if weights:
                weight = max(weights)
    elif calculate is True:
        errors.append(
            ("required", "Parcels with a weight are required to calculate quotes.", "/parcels")
        )
    if errors:
        return sc_errors(400, errors)
    to = body["to_address"]
    country = to["country_code"].strip().upper()
    postal = to.get("postal_code") if isinstance(to.get("postal_code"), str) else None
    options = catalogue.available_options(country, weight)
    if not options:
        return json_response({"data": [], "message": catalogue.no_option_message(country, weight)})
    return json_response(
        {
            "data": [_option_json(o, country, postal, weight, calculate is True) for o in options],
            "message": None,
        }
    )


@endpoint("sendcloud")
async def announce(request: Request, world: World, key: Principal) -> Response:
    assert key is not None
    body = await json_body(request, _sc_bad_json)
    if not isinstance(body, dict):
        return sc_error(400, "invalid", "The body must be a JSON object.")
    world.stats["announce_requests"] += 1
    to = body.get("to_address")
    errors = address_errors(to, "/to_address", REQUIRED_ADDRESS)
    sender = body.get("from_address")
    if isinstance(sender, dict) and "sender_address_id" in sender:
        sid = sender.get("sender_address_id")
        if str(sid) != str(data.SENDER_ADDRESS_ID):
            errors.append(
                (
                    "invalid",
                    f"Sender address {sid} does not exist.",
                    "/from_address/sender_address_id",
                )
            )
    else:
        errors += address_errors(sender, "/from_address", REQUIRED_ADDRESS)
    option = None
    ship_with = body.get("ship_with")
    code = None
    if isinstance(ship_with, dict) and ship_with.get("type") == "shipping_option_code":
        props = ship_with.get("properties")
        code = props.get("shipping_option_code") if isinstance(props, dict) else None
        option = catalogue.OPTIONS_BY_CODE.get(code) if isinstance(code, str) else None
        if option is None:
            errors.append(
                (
                    "invalid",
                    f"Unknown shipping option code {code!r}.",
                    "/ship_with/properties/shipping_option_code",
                )
            )
    else:
        errors.append(("required", "ship_with must be of type shipping_option_code.", "/ship_with"))
    parcels = body.get("parcels")
    weights: list[Decimal] = []
    if not isinstance(parcels, list) or not 1 <= len(parcels) <= 15:
        errors.append(("invalid", "A shipment has between 1 and 15 parcels.", "/parcels"))
        parcels = []
    for i, parcel in enumerate(parcels):
        got = parse_weight(
            parcel.get("weight") if isinstance(parcel, dict) else None, f"/parcels/{i}/weight"
        )
        if isinstance(got, tuple):
            errors.append(got)
        else:
            weights.append(got)
    label_details = body.get("label_details") or {}
    mime = label_details.get("mime_type", PDF) if isinstance(label_details, dict) else PDF
    if mime not in (PDF, ZPL, PNG):
        errors.append(
            ("invalid_choice", f'"{mime}" is not a valid label format.', "/label_details/mime_type")
        )
    ref = body.get("external_reference_id")
    if ref is not None and (not isinstance(ref, str) or not ref.strip() or len(ref) > 255):
        errors.append(
            (
                "invalid",
                "external_reference_id must be a string of 1 to 255 characters.",
                "/external_reference_id",
            )
        )
    customs = False
    if isinstance(to, dict) and isinstance(to.get("country_code"), str):
        postal = to.get("postal_code") if isinstance(to.get("postal_code"), str) else None
        customs = catalogue.needs_customs(to["country_code"], postal)
    if customs:
        errors += customs_errors(body, parcels)
    errors += currency_errors(body, parcels)
    if errors:
        return sc_errors(400, errors)
    assert option is not None and isinstance(to, dict)
    country = to["country_code"].strip().upper()
    heaviest = max(weights)
    if country not in option.countries or heaviest > option.max_kg:
        return sc_error(
            400,
            "invalid",
            f"Shipping option {option.code} cannot carry {heaviest:.3f} kg to {country}.",
            "/ship_with/properties/shipping_option_code",
        )
    if country in catalogue.HOUSE_NUMBER_COUNTRIES:
        house = to.get("house_number")
        if house is not None and len(str(house)) > 8:
            return sc_error(
                400,
                "max_length",
                f"{SC_CARRIERS[option.carrier].name}: the house number may have at most "
                "8 characters.",
                "/to_address/house_number",
            )
        if option.carrier in catalogue.HOUSE_NUMBER_CARRIERS and not str(house or "").strip():
            return sc_error(
                400,
                "required",
                f"{SC_CARRIERS[option.carrier].name} needs a house number for {country}.",
                "/to_address/house_number",
            )
    point = requested_service_point(option, body.get("to_service_point"))
    base = _base_url(request)
    with world.lock:
        if ref is not None:
            existing = world.shipment_by_reference(key, ref)
            if existing is not None:
                world.stats["announce_duplicates"] += 1
                return sc_errors(
                    409,
                    [
                        (
                            "duplicate_external_reference_id",
                            f"A shipment with external_reference_id {ref!r} already exists.",
                            "/external_reference_id",
                        )
                    ],
                    extra={"data": _shipment_json(world, existing, base, with_label=True)},
                )
        shipment = _create_shipment(world, key, body, option, to, weights, mime)
        shipment.service_point = point
        if customs:
            shipment.customs_information = dict(body["customs_information"])
        world.stats["announced"] += 1
        return json_response({"data": _shipment_json(world, shipment, base, with_label=True)}, 201)


def _create_shipment(
    world: World,
    key: str,
    body: dict[str, Any],
    option: catalogue.ShippingOptionDef,
    to: dict[str, Any],
    weights: list[Decimal],
    mime: str,
) -> ShipmentRec:
    now = world.now()
    carrier = SC_CARRIERS[option.carrier]
    failure = _failure_reason(to, carrier.name)
    country = to["country_code"].strip().upper()
    label_details = body.get("label_details") if isinstance(body.get("label_details"), dict) else {}
    dpi = label_details.get("dpi") if isinstance(label_details, dict) else None
    parcels = []
    for i, weight in enumerate(weights):
        number = None if failure else world.new_tracking_number(carrier.code)
        raw = body["parcels"][i]
        parcels.append(
            ParcelRec(
                id=world.new_parcel_id(),
                weight=weight,
                items=(raw.get("parcel_items") or []) if isinstance(raw, dict) else [],
                tracking_number=number,
                tracking_url=None
                if number is None
                else "https://tracking.eu-central-1-0.sendcloud.sc/forward"
                f"?carrier={carrier.code}&code={number}&destination={country}",
                announced_at=None if failure else now,
                failure=failure,
            )
        )
    shipment = ShipmentRec(
        id=world.new_shipment_id(),
        api_key=key,
        external_reference_id=body.get("external_reference_id"),
        order_number=str(body["order_number"]) if body.get("order_number") else None,
        option=option,
        to_address=to,
        from_address=body.get("from_address") or {},
        total_order_price=body.get("total_order_price"),
        mime_type=mime,
        dpi=dpi if isinstance(dpi, int) and not isinstance(dpi, bool) else 0,
        created_at=now,
        parcels=parcels,
    )
    world.add_shipment(shipment)
    return shipment


def _shipment_or_404(world: World, key: str, shipment_id: str) -> ShipmentRec:
    s = world.shipments.get(shipment_id)
    if s is None or s.api_key != key:
        raise Reply(sc_error(404, "not_found", f"Shipment {shipment_id} was not found."))
    return s


@endpoint("sendcloud")
async def get_shipment(request: Request, world: World, key: Principal) -> Response:
    assert key is not None
    with world.lock:
        s = _shipment_or_404(world, key, request.path_params["shipment_id"])
        return json_response({"data": _shipment_json(world, s, _base_url(request))})


@endpoint("sendcloud")
async def list_shipments(request: Request, world: World, key: Principal) -> Response:
    assert key is not None
    ref = request.query_params.get("external_reference_id")
    number = request.query_params.get("order_number")
    base = _base_url(request)
    with world.lock:
        found = [
            s
            for s in world.shipments.values()
            if s.api_key == key
            and (ref is None or s.external_reference_id == ref)
            and (number is None or s.order_number == number)
        ]
        found.sort(key=lambda s: (s.created_at, s.id), reverse=True)
        return json_response(
            {"data": [_shipment_json(world, s, base) for s in found[:100]], "next": None}
        )


@endpoint("sendcloud")
async def cancel_shipment(request: Request, world: World, key: Principal) -> Response:
    assert key is not None
    with world.lock:
        s = _shipment_or_404(world, key, request.path_params["shipment_id"])
        state = world.cancel_state(s)
        now = world.now()
        refusal = None
        if state in ("cancelled", "queued"):
            refusal = "This shipment is already being cancelled."
        elif any(world.stage(p) >= 4 for p in s.parcels):
            refusal = "The shipment has been delivered and can no longer be cancelled."
        elif now - s.created_at > CANCEL_WINDOW:
            refusal = "Shipments can only be cancelled within 42 days of their announcement."
        if refusal:
            return sc_error(409, "invalid", refusal)
        s.cancel_requested_at = now
        world.stats["cancellations"] += 1
        if s.option.carrier in catalogue.QUEUED_CANCEL_CARRIERS and not s.failed:
            s.cancel_queued = True
            return json_response(
                {"data": {"status": "queued", "message": "Shipment cancellation has been queued"}},
                202,
            )
        return json_response(
            {"data": {"status": "cancelled", "message": "Shipment has been cancelled"}}, 200
        )


@endpoint("sendcloud")
async def tracking(request: Request, world: World, key: Principal) -> Response:
    assert key is not None
    number = request.path_params["tracking_number"]
    with world.lock:
        hit = world.parcel_by_tracking(key, number)
        if hit is None:
            return json_response({"detail": "Parcel does not exist"}, 404)
        s, p = hit
        assert p.announced_at is not None
        expected = p.announced_at + timedelta(seconds=4 * world.tracking_step_seconds)
        return json_response(
            {
                "tracking_numbers": [number],
                "carrier_code": s.option.carrier,
                "created_at": stamp(s.created_at),
                "announced_at": stamp(p.announced_at),
                "details": {
                    "expected_delivery_date": expected.date().isoformat(),
                    "is_return": False,
                    "is_mail_box": False,
                },
                "events": world.tracking_events(s, p),
            }
        )
