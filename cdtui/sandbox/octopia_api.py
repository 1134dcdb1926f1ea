"""The sandbox's Octopia Seller API v2: token, seller, carriers, orders, shipments, approval.

Routes follow ``/work/shared/api/octopia.md``; :mod:`cdtui.sandbox.app` mounts them
under ``/auth`` (the token) and ``/seller/v2``. Errors are RFC 9457 problem documents.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from cdtui.sandbox import data
from cdtui.sandbox.data import CARRIER_KEYS, CARRIERS, CDISCOUNT, SELLERS, carrier_key, stamp
from cdtui.sandbox.endpoint import (
    JSON,
    Principal,
    Reply,
    endpoint,
    json_body,
    json_response,
    problem,
)
from cdtui.sandbox.records import SORT_KEYS, OrderQuery, OrderRec
from cdtui.sandbox.world import World

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50

#: Octopia API clients: client id -> (secret, sellers the client may act for)
CLIENTS: dict[str, tuple[str, frozenset[str]]] = {
    data.AGGREGATOR_CLIENT_ID: (
        data.AGGREGATOR_CLIENT_SECRET,
        frozenset(s.seller_id for s in SELLERS.values() if s.delegated),
    ),
    data.SELLER_CLIENT_ID: (data.SELLER_CLIENT_SECRET, frozenset({data.SELLER_ID})),
}


def _require_json_type(request: Request) -> None:
    ctype = request.headers.get("content-type", "")
    if "json" not in ctype.lower():
        raise Reply(
            problem(
                request,
                415,
                "Unsupported Media Type",
                "The request body must be application/json.",
            )
        )


# ---------------------------------------------------------------- Octopia: token


@endpoint("octopia", auth=False)
async def token(request: Request, world: World, _: Principal) -> Response:
    ctype = request.headers.get("content-type", "").lower()
    if "application/x-www-form-urlencoded" not in ctype:
        return json_response(
            {
                "error": "invalid_request",
                "error_description": "Content-Type must be application/x-www-form-urlencoded",
            },
            400,
        )
    form = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)

    def field(name: str) -> str:
        return (form.get(name) or [""])[0]

    client_id, secret = field("client_id"), field("client_secret")
    header = request.headers.get("authorization", "")
    if not client_id and header.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            client_id = secret = ""
    if field("grant_type") != "client_credentials":
        return json_response(
            {
                "error": "unsupported_grant_type",
                "error_description": "Only grant_type=client_credentials is supported",
            },
            400,
        )
    known = CLIENTS.get(client_id)
    if known is None or not hmac.compare_digest(secret.encode(), known[0].encode()):
        world.stats["token_refused"] += 1
        return json_response(
            {
                "error": "invalid_client",
                "error_description": "Invalid client or Invalid client credentials",
            },
            401,
        )
    value, _tok = world.issue_token(client_id, known[1])
    return json_response(
        {
            "access_token": value,
            "expires_in": world.token_ttl,
            "refresh_expires_in": 0,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "scope": "profile email",
        }
    )


# ---------------------------------------------------------------- Octopia: seller


@endpoint("octopia")
async def sellers(request: Request, world: World, seller_id: Principal) -> Response:
    assert seller_id is not None
    return json_response(data.seller_profile(SELLERS[seller_id]))


@endpoint("octopia")
async def seller_subscriptions(request: Request, world: World, seller_id: Principal) -> Response:
    assert seller_id is not None
    return json_response(data.subscriptions(SELLERS[seller_id]))


@endpoint("octopia")
async def carriers(request: Request, world: World, seller_id: Principal) -> Response:
    return json_response(CARRIERS)


# ---------------------------------------------------------------- Octopia: orders


def _parse_date(value: str) -> str:
    v = value.strip()
    if v[-1:] in ("Z", "z"):
        v = v[:-1] + "+00:00"
    dt = datetime.fromisoformat(v)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return stamp(dt)


def _multi(request: Request, name: str) -> list[str]:
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values += [v.strip() for v in raw.split(",") if v.strip()]
    return values


def _order_query(request: Request) -> tuple[OrderQuery, dict[str, list[str]]]:
    """Filters from the query string, and the field → messages of anything invalid."""
    params = request.query_params
    errors: dict[str, list[str]] = {}
    statuses = _multi(request, "status")
    for s in statuses:
        if s not in data.ORDER_STATUSES:
            errors.setdefault("status", []).append(
                f"'{s}' is not a valid status; expected one of {', '.join(data.ORDER_STATUSES)}."
            )
    mode = params.get("supplyMode")
    if mode is not None and mode not in data.SUPPLY_MODES:
        errors["supplyMode"] = [
            f"'{mode}' is not a valid supply mode; expected one of {', '.join(data.SUPPLY_MODES)}."
        ]
    dates: dict[str, str | None] = {}
    for name in (
        "createdAtMin",
        "createdAtMax",
        "updatedAtMin",
        "updatedAtMax",
        "shippedAtMin",
        "shippedAtMax",
    ):
        raw = params.get(name)
        dates[name] = None
        if raw is None or raw == "":
            continue
        try:
            dates[name] = _parse_date(raw)
        except ValueError:
            errors[name] = [f"'{raw}' is not a valid ISO-8601 date (e.g. 2026-11-26T08:00:00Z)."]
    sort_raw = params.get("sort", "createdAt")
    sort = SORT_KEYS.get(sort_raw.strip().casefold())
    if sort is None:
        errors["sort"] = [
            f"'{sort_raw}' cannot be sorted on; expected one of createdAt, updatedAt, "
            "purchasedAt, shippedAtMax, reference, orderId."
        ]
    desc_raw = params.get("desc", "false").strip().lower()
    if desc_raw not in ("true", "false", "1", "0"):
        errors["desc"] = ["desc must be true or false."]
    country = params.get("shippingCountry")
    q = OrderQuery(
        statuses=tuple(statuses),
        reference=params.get("reference") or None,
        channels=tuple(_multi(request, "salesChannelId")),
        country=country.strip().upper() if country else None,
        supply_mode=mode,
        created_min=dates["createdAtMin"],
        created_max=dates["createdAtMax"],
        updated_min=dates["updatedAtMin"],
        updated_max=dates["updatedAtMax"],
        shipped_min=dates["shippedAtMin"],
        shipped_max=dates["shippedAtMax"],
        sort=sort or "created",
        desc=desc_raw in ("true", "1"),
    )
    return q, errors


def _int_param(
    request: Request, name: str, default: int, low: int, high: int | None
) -> tuple[int, str | None]:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default, None
    try:
        value = int(raw)
    except ValueError:
        return default, f"{name} must be an integer."
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        return default, f"{name} must be {bound}."
    return value, None


def _validation_problem(request: Request, errors: dict[str, list[str]]) -> Response:
    detail = "; ".join(f"{k}: {v[0]}" for k, v in errors.items())
    return problem(request, 400, "One or more validation errors occurred.", detail, errors=errors)


@endpoint("octopia")
async def list_orders(request: Request, world: World, seller_id: Principal) -> Response:
    assert seller_id is not None
    q, errors = _order_query(request)
    index, err = _int_param(request, "pageIndex", 1, 1, None)
    if err:
        errors["pageIndex"] = [err]
    size, err = _int_param(request, "pageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    if err:
        errors["pageSize"] = [err]
    if errors:
        return _validation_problem(request, errors)
    with world.lock:
        rows = world.query(seller_id, q)
        start = (index - 1) * size
        body = b",".join(r.json for r in rows[start : start + size])
    return Response(b'{"itemsPerPage":%d,"items":[%s]}' % (size, body), 200, media_type=JSON)


@endpoint("octopia")
async def count_orders(request: Request, world: World, seller_id: Principal) -> Response:
    assert seller_id is not None
    q, errors = _order_query(request)
    if errors:
        return _validation_problem(request, errors)
    return json_response(len(world.query(seller_id, q)))


def _seller_order(request: Request, world: World, seller_id: str) -> OrderRec:
    order_id = request.path_params["order_id"]
    rec = world.order_rec(order_id, seller_id)
    if rec is None:
        raise Reply(problem(request, 404, "Not Found", f"Order {order_id} was not found."))
    return rec


async def _order_post(request: Request, world: World, seller_id: str) -> tuple[OrderRec, Any]:
    """The seller's order named in the path and the JSON body posted to it (404, 415, 400)."""
    rec = _seller_order(request, world, seller_id)
    _require_json_type(request)
    body = await json_body(
        request, lambda msg: problem(request, 400, "Bad Request", msg, errors={"body": [msg]})
    )
    return rec, body


@endpoint("octopia")
async def get_order(request: Request, world: World, seller_id: Principal) -> Response:
    assert seller_id is not None
    rec = _seller_order(request, world, seller_id)
    with world.lock:
        return Response(rec.json, 200, media_type=JSON)


# ---------------------------------------------------------------- Octopia: shipments

SHIPPABLE_LINE = ("InPreparation", "CancelRequest")


def _check_parcels(body: Any) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Field-level validation of the parcels array."""
    errors: dict[str, list[str]] = {}
    if not isinstance(body, list):
        return [], {"body": ["The body must be a JSON array of parcels."]}
    if not body:
        return [], {"body": ["At least one parcel is required."]}
    parcels = []
    for i, item in enumerate(body):
        at = f"[{i}]"
        if not isinstance(item, dict):
            errors[at] = ["Each parcel must be an object."]
            continue
        number = item.get("parcelNumber")
        if not isinstance(number, str) or not number.strip():
            errors[f"{at}.parcelNumber"] = ["parcelNumber is required."]
        elif len(number) > 50:
            errors[f"{at}.parcelNumber"] = ["parcelNumber must be at most 50 characters."]
        carrier = item.get("carrierName")
        if not isinstance(carrier, str) or not carrier.strip():
            errors[f"{at}.carrierName"] = ["carrierName is required."]
        url = item.get("trackingUrl")
        if url is not None:
            parts = urlsplit(url) if isinstance(url, str) else None
            if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
                errors[f"{at}.trackingUrl"] = ["trackingUrl must be an http or https URL."]
        elif isinstance(carrier, str) and carrier_key(carrier) in data.TRACKING_URL_REQUIRED:
            # GET /carriers lists "additionalParametersRequired": ["trackingUrl"] for it
            errors.setdefault("trackingUrl", []).append(
                f"Parcel {i}: carrier '{carrier.strip()}' requires a trackingUrl."
            )
        line_ids = item.get("orderLineIds")
        if (
            not isinstance(line_ids, list)
            or not line_ids
            or not all(isinstance(x, str | int) and not isinstance(x, bool) for x in line_ids)
        ):
            errors[f"{at}.orderLineIds"] = ["orderLineIds must list at least one line id."]
        parcels.append(item)
    return parcels, errors


@endpoint("octopia")
async def post_shipments(request: Request, world: World, seller_id: Principal) -> Response:
    assert seller_id is not None
    rec, body = await _order_post(request, world, seller_id)
    with world.lock:
        world.shipment_posts.append((rec.order_id, body))
        parcels, errors = _check_parcels(body)
        if errors:
            return _validation_problem(request, errors)
        return _apply_shipments(request, world, rec, parcels)


def _apply_shipments(
    request: Request, world: World, rec: OrderRec, parcels: list[dict[str, Any]]
) -> Response:
    doc = rec.doc
    order_id = rec.order_id
    if doc["status"] != "InPreparation":
        return problem(
            request,
            409,
            "Conflict",
            f"Order {order_id} is {doc['status']}: only InPreparation orders can be shipped.",
        )
    lines = {ln["orderLineId"]: ln for ln in doc["lines"]}
    known_numbers = {p["parcelNumber"] for ln in doc["lines"] for p in ln.get("parcels") or []}
    seen: set[str] = set()
    for item in parcels:
        number = item["parcelNumber"].strip()
        if number in known_numbers:
            return problem(
                request,
                409,
                "Conflict",
                f"Parcel {number} is already registered on order {order_id}.",
            )
        if carrier_key(item["carrierName"]) not in CARRIER_KEYS:
            return problem(
                request,
                422,
                "Unprocessable Entity",
                f"Unknown carrier '{item['carrierName'].strip()}': carrierName must be a "
                "label listed by GET /carriers.",
            )
        for raw_id in item["orderLineIds"]:
            line_id = str(raw_id)
            line = lines.get(line_id)
            if line is None:
                return problem(
                    request,
                    422,
                    "Unprocessable Entity",
                    f"Order line {line_id} does not exist on order {order_id}.",
                )
            if line_id in seen:
                return problem(
                    request,
                    422,
                    "Unprocessable Entity",
                    f"Order line {line_id} is listed in more than one parcel.",
                )
            seen.add(line_id)
            mode = line["offer"]["supplyMode"]
            if mode != "Seller":
                return problem(
                    request,
                    422,
                    "Unprocessable Entity",
                    f"Order line {line_id} is shipped by a warehouse (supply mode {mode}), "
                    "not by the seller.",
                )
            if line["status"] not in SHIPPABLE_LINE:
                return problem(
                    request,
                    409,
                    "Conflict",
                    f"Order line {line_id} is {line['status']}: only InPreparation lines "
                    "can be shipped.",
                )
            if line["status"] == "CancelRequest":
                by = rec.cancel_by.get(line_id, "customer")
                if by != "customer":
                    who = "the seller" if by == "seller" else "the sales channel"
                    detail = (
                        f"Order line {line_id} cannot be shipped: its cancellation was "
                        f"requested by {who}. Only lines whose cancellation the customer "
                        "requested may be shipped."
                    )
                    return problem(
                        request,
                        400,
                        "Bad Request",
                        detail,
                        errors={"orderLineIds": [detail]},
                    )
    open_lines = {
        ln["orderLineId"]
        for ln in doc["lines"]
        if ln["offer"]["supplyMode"] == "Seller" and ln["status"] in SHIPPABLE_LINE
    }
    if rec.channel == CDISCOUNT:
        if len(parcels) != 1:
            return problem(
                request,
                422,
                "Unprocessable Entity",
                "Cdiscount accepts one parcel per complete order.",
            )
        # every line in preparation; a line in CancelRequest may be left out
        ready = {
            ln["orderLineId"]
            for ln in doc["lines"]
            if ln["offer"]["supplyMode"] == "Seller" and ln["status"] == "InPreparation"
        }
        missing = sorted(ready - seen)
        if missing:
            return problem(
                request,
                422,
                "Unprocessable Entity",
                "Cdiscount accepts one parcel per complete order: lines "
                f"{', '.join(missing)} are missing.",
            )
    for item in parcels:
        entry = {
            "parcelNumber": item["parcelNumber"].strip(),
            "carrierName": item["carrierName"].strip(),
            "trackingUrl": item.get("trackingUrl"),
        }
        for raw_id in item["orderLineIds"]:
            line = lines[str(raw_id)]
            line.setdefault("parcels", [])
            line["parcels"] = [*(line["parcels"] or []), dict(entry)]
            line["status"] = "Shipped"
    if not (open_lines - seen):
        doc["status"] = "Shipped"
    world.changed(rec)
    world.stats["shipments_accepted"] += 1
    return Response(rec.json, 201, media_type=JSON)


@endpoint("octopia")
async def post_approval(request: Request, world: World, seller_id: Principal) -> Response:
    assert seller_id is not None
    rec, body = await _order_post(request, world, seller_id)
    with world.lock:
        world.approval_posts.append((rec.order_id, body))
        value = None
        if isinstance(body, dict):
            value = body.get("approval_status", body.get("approvalStatus"))
        if value not in ("Accepted", "Refused"):
            return _validation_problem(
                request, {"approval_status": ["approval_status must be Accepted or Refused."]}
            )
        if rec.channel != CDISCOUNT:
            return problem(
                request,
                400,
                "Bad Request",
                f"Order {rec.order_id} is a {rec.doc['salesChannel']['name']} order: only "
                "Cdiscount orders are accepted or refused by the seller.",
            )
        if rec.status != "WaitingAcceptance":
            return problem(
                request,
                409,
                "Conflict",
                f"Order {rec.order_id} is {rec.status}: only WaitingAcceptance orders can be "
                "accepted or refused.",
            )
        world.accept_order(rec, value == "Accepted")
        return Response(rec.json, 200, media_type=JSON)
