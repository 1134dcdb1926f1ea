"""The sandbox's HTTP face: Octopia Seller API v2 and Sendcloud API v3 on one port.

Routes follow ``/work/shared/api/*.md``: the Octopia token endpoint under ``/auth``, the
Octopia API under ``/seller/v2``, Sendcloud under ``/api/v3``, and sandbox-only helpers
under ``/_sandbox``. Octopia errors are ``application/problem+json``; Sendcloud errors
are JSON:API ``{"errors": [...]}``. Faults and Sendcloud rate limits are applied by the
``endpoint`` wrapper, around the rules, so every route behaves the same way.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import hmac
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from cdtui.sandbox import data, documents
from cdtui.sandbox.data import (
    CARRIER_KEYS,
    CARRIERS,
    CDISCOUNT,
    SC_CARRIERS,
    SELLERS,
    carrier_key,
    stamp,
)
from cdtui.sandbox.world import (
    CANCEL_WINDOW,
    SORT_KEYS,
    OrderQuery,
    OrderRec,
    ParcelRec,
    ShipmentRec,
    World,
)

JSON = "application/json"
PROBLEM = "application/problem+json"
PDF, ZPL, PNG = "application/pdf", "application/zpl", "image/png"
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


class Reply(Exception):
    """Raised by rule helpers to answer at once with ``response``."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


# ---------------------------------------------------------------- responses


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers=headers, media_type=JSON)


def problem(
    request: Request,
    status: int,
    title: str,
    detail: str,
    *,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """An Octopia RFC 9457 problem document."""
    world: World = request.app.state.world
    body: dict[str, Any] = {
        "type": f"https://developer.octopia-io.net/problems/{status}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "traceId": world.trace_id(),
    }
    if errors:
        body["errors"] = errors
    return Response(orjson.dumps(body), status, headers=headers, media_type=PROBLEM)


def sc_errors(
    status: int,
    items: list[tuple[str, str, str | None]],
    *,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """A Sendcloud JSON:API error answer; items are (code, detail, pointer)."""
    errors = []
    for code, detail, pointer in items:
        err: dict[str, Any] = {"status": str(status), "code": code, "detail": detail}
        if pointer:
            err["source"] = {"pointer": pointer}
        errors.append(err)
    return _json({"errors": errors, **(extra or {})}, status, headers)


def sc_error(status: int, code: str, detail: str, pointer: str | None = None) -> Response:
    return sc_errors(status, [(code, detail, pointer)])


def _retry_after_header(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return str(max(0, round(value)))


# ---------------------------------------------------------------- the wrapper

Principal = str | None
Handler = Callable[[Request, World, Principal], Awaitable[Response]]


def _slow_applies(world: World, request: Request) -> bool:
    f = world.faults
    if f.slow_ms <= 0:
        return False
    if f.slow_methods and request.method.upper() not in f.slow_methods:
        return False
    path = request.url.path
    return not f.slow_paths or any(p in path for p in f.slow_paths)


def _malformed(body: bytes) -> bytes:
    cut = max(1, len(body) // 2)
    return body[:cut] + b'\x00{"truncated'


def endpoint(api: str, *, auth: bool = True) -> Callable[[Handler], Callable]:
    """Wrap a handler with faults, authentication and (Sendcloud) rate limits."""

    def wrap(fn: Handler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(fn)
        async def run(request: Request) -> Response:
            world: World = request.app.state.world
            world.stats["requests"] += 1
            world.stats[f"{api}_requests"] += 1
            world.tick()
            faults = world.faults
            if faults.latency_ms:
                await asyncio.sleep(faults.latency_ms / 1000)
            early = _injected_failure(world, api, request)
            if early is not None:
                return early
            slow = _slow_applies(world, request)
            try:
                if slow and faults.slow_before:
                    # like a gateway that times out before the backend saw the request:
                    # a client that gave up meanwhile leaves nothing processed
                    world.stats["slow"] += 1
                    await request.body()
                    await asyncio.sleep(faults.slow_ms / 1000)
                    if await request.is_disconnected():
                        return Response(status_code=499)
                principal: Principal = None
                if auth:
                    principal = (
                        _octopia_principal(request, world)
                        if api == "octopia"
                        else _sendcloud_principal(request, world)
                    )
                response = await fn(request, world, principal)
            except Reply as reply:
                response = reply.response
            except ClientDisconnect:
                return Response(status_code=499)
            if slow and not faults.slow_before:
                world.stats["slow"] += 1
                await asyncio.sleep(faults.slow_ms / 1000)
            media = response.media_type or ""
            if "json" in media and world.roll(faults.malformed_json):
                world.stats["malformed"] += 1
                response = Response(
                    _malformed(bytes(response.body)), response.status_code, media_type=media
                )
            return response

        return run

    return wrap


def _injected_failure(world: World, api: str, request: Request) -> Response | None:
    faults = world.faults
    status = world.take_forced_failure(api)
    if status is None and world.roll(
        faults.octopia_5xx if api == "octopia" else faults.sendcloud_5xx
    ):
        status = 503
    if status is None and world.roll(
        faults.octopia_429 if api == "octopia" else faults.sendcloud_429
    ):
        status = 429
    if status is None:
        return None
    headers = {}
    if status == 429:
        world.stats["429"] += 1
        world.stats["fault_429"] += 1
        headers["Retry-After"] = _retry_after_header(faults.retry_after)
        title, detail = "Too Many Requests", "Rate limit exceeded, retry later."
    elif status >= 500:
        world.stats["fault_5xx"] += 1
        title, detail = "Service Unavailable", "The service is temporarily unavailable."
    else:
        world.stats["fault_4xx"] += 1
        title, detail = "Injected error", "Error injected by the sandbox."
    if api == "octopia":
        return problem(request, status, title, detail, headers=headers)
    resp = sc_error(status, "throttled" if status == 429 else "server_error", detail)
    resp.headers.update(headers)
    return resp


# ---------------------------------------------------------------- authentication


def _octopia_principal(request: Request, world: World) -> str:
    """The SellerId the call acts for, or a Reply with 400/401/403."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Reply(
            problem(
                request,
                401,
                "Unauthorized",
                "A bearer token is required.",
                headers={"WWW-Authenticate": 'Bearer realm="maas"'},
            )
        )
    token = world.valid_token(value.strip())
    if token is None:
        raise Reply(
            problem(
                request,
                401,
                "Unauthorized",
                "The access token is invalid or has expired.",
                headers={"WWW-Authenticate": 'Bearer realm="maas", error="invalid_token"'},
            )
        )
    seller_id = (request.headers.get("sellerid") or "").strip()
    if not seller_id:
        raise Reply(
            problem(
                request,
                400,
                "Bad Request",
                "The SellerId header is required.",
                errors={"SellerId": ["The SellerId header is required."]},
            )
        )
    if not seller_id.isdigit():
        raise Reply(
            problem(
                request,
                400,
                "Bad Request",
                "The SellerId header must be a number.",
                errors={"SellerId": ["The SellerId header must be a number."]},
            )
        )
    if seller_id not in token.sellers:
        raise Reply(
            problem(
                request,
                403,
                "Forbidden",
                f"Seller {seller_id} has not granted access to this API client (no delegation).",
            )
        )
    return seller_id


def _sendcloud_principal(request: Request, world: World) -> str:
    """The public key of a valid Basic auth, or a Reply 401 / 429."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    public = secret = ""
    if scheme.lower() == "basic":
        try:
            public, _, secret = (
                base64.b64decode(value.strip(), validate=True).decode().partition(":")
            )
        except (binascii.Error, UnicodeDecodeError):
            public = secret = ""
    ok = hmac.compare_digest(public.encode(), data.SENDCLOUD_PUBLIC_KEY.encode()) and (
        hmac.compare_digest(secret.encode(), data.SENDCLOUD_SECRET_KEY.encode())
    )
    if not ok:
        resp = sc_error(401, "authentication_failed", "Invalid username/password.")
        resp.headers["WWW-Authenticate"] = 'Basic realm="api"'
        raise Reply(resp)
    wait = world.rate_limit(public, request.method.upper())
    if wait is not None:
        retry = max(1, int(-(-wait // 1)))
        resp = sc_error(
            429,
            "throttled",
            f"Request was throttled. Expected available in {retry} seconds.",
        )
        resp.headers["Retry-After"] = str(retry)
        raise Reply(resp)
    return public


# ---------------------------------------------------------------- body helpers


async def _json_body(request: Request, on_error: Callable[[str], Response]) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise Reply(on_error("The request body is empty."))
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise Reply(on_error("The request body is not valid JSON.")) from None


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
        return _json(
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
        return _json(
            {
                "error": "unsupported_grant_type",
                "error_description": "Only grant_type=client_credentials is supported",
            },
            400,
        )
    known = CLIENTS.get(client_id)
    if known is None or not hmac.compare_digest(secret.encode(), known[0].encode()):
        world.stats["token_refused"] += 1
        return _json(
            {
                "error": "invalid_client",
                "error_description": "Invalid client or Invalid client credentials",
            },
            401,
        )
    value, _tok = world.issue_token(client_id, known[1])
    return _json(
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
    return _json(data.seller_profile(SELLERS[seller_id]))


@endpoint("octopia")
async def seller_subscriptions(request: Request, world: World, seller_id: Principal) -> Response:
    assert seller_id is not None
    return _json(data.subscriptions(SELLERS[seller_id]))


@endpoint("octopia")
async def carriers(request: Request, world: World, seller_id: Principal) -> Response:
    return _json(CARRIERS)


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
    return _json(len(world.query(seller_id, q)))


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
    body = await _json_body(
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


# ---------------------------------------------------------------- Sendcloud: helpers

REQUIRED_ADDRESS = ("name", "address_line_1", "postal_code", "city", "country_code")
#: a JSON:API error item: (code, detail, pointer)
Err = tuple[str, str, str | None]


def _weight(value: Any, pointer: str) -> Decimal | tuple[str, str, str]:
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


def _address_errors(
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
        and (country.strip().upper() not in data.KNOWN_COUNTRIES)
    ):
        errors.append(
            ("invalid", f'"{country}" is not a valid country code.', f"{pointer}/country_code")
        )
    return errors


def _option_json(
    option: data.ShippingOptionDef,
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
            "export_documents": data.needs_customs(country, postal_code),
            "is_service_point_required": option.service_point,
        },
        "weight": weight_range,
        "charging_type": "label_creation",
        "quotes": quotes,
    }


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _label_content(s: ShipmentRec, p: ParcelRec) -> documents.LabelContent:
    to = s.to_address
    street = str(to.get("address_line_1") or "")
    house = to.get("house_number")
    if house and str(house) not in street:
        street = f"{street} {house}"
    lines = [str(to.get("name") or "")]
    point = s.service_point
    if point is not None:  # delivered to the relay point, for the buyer
        lines += [f"c/o {point.name} — point {point.carrier_service_point_id}", point.street]
        lines.append(f"{point.postal_code} {point.city}")
        lines.append(point.country)
    else:
        if to.get("company_name"):
            lines.append(str(to["company_name"]))
        lines.append(street)
        if to.get("address_line_2"):
            lines.append(str(to["address_line_2"]))
        lines.append(f"{to.get('postal_code') or ''} {to.get('city') or ''}".strip())
        lines.append(str(to.get("country_code") or "").upper())
    return documents.LabelContent(
        carrier=SC_CARRIERS[s.option.carrier].name,
        service=s.option.name,
        tracking_number=p.tracking_number or "",
        order_number=s.order_number or "",
        parcel_id=str(p.id),
        weight_kg=f"{p.weight:.3f}",
        recipient=lines,
    )


def _customs_content(s: ShipmentRec, p: ParcelRec) -> documents.CustomsContent:
    info = s.customs_information or {}
    to = s.to_address
    items = []
    for item in p.items:
        if not isinstance(item, dict):
            continue
        weight = item.get("weight") if isinstance(item.get("weight"), dict) else {}
        price = item.get("price") if isinstance(item.get("price"), dict) else {}
        items.append(
            documents.CustomsItem(
                description=str(item.get("description") or ""),
                quantity=int(item.get("quantity") or 0),
                hs_code=str(item.get("hs_code") or ""),
                origin_country=str(item.get("origin_country") or "").upper(),
                weight=f"{weight.get('value', '')} {weight.get('unit', '')}".strip(),
                value=f"{price.get('value', '')} {price.get('currency', '')}".strip(),
            )
        )
    recipient = [str(to.get("name") or ""), str(to.get("address_line_1") or "")]
    recipient.append(f"{to.get('postal_code') or ''} {to.get('city') or ''}".strip())
    recipient.append(str(to.get("country_code") or "").upper())
    return documents.CustomsContent(
        carrier=SC_CARRIERS[s.option.carrier].name,
        tracking_number=p.tracking_number or "",
        order_number=s.order_number or "",
        parcel_id=str(p.id),
        invoice_number=str(info.get("invoice_number") or ""),
        invoice_date=str(info.get("invoice_date") or stamp(s.created_at)[:10]),
        export_reason=str(info.get("export_reason") or ""),
        export_type=str(info.get("export_type") or "commercial_b2c"),
        recipient=recipient,
        items=items,
    )


def _render(pages: list[documents.LabelContent], mime: str, paper: str, dpi: int | None) -> bytes:
    if mime == PDF:
        return documents.build_pdf(pages, paper)
    if mime == ZPL:
        return b"".join(documents.build_zpl(c, paper, dpi or 203) for c in pages)
    return documents.build_png(pages[0], paper, dpi or 150)


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
                    label = _render([_label_content(s, p)], s.mime_type, "A6", s.dpi)
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
    body = await _json_body(request, _sc_bad_json)
    if not isinstance(body, dict):
        return sc_error(400, "invalid", "The body must be a JSON object.")
    errors = _address_errors(body.get("from_address"), "/from_address", ("country_code",))
    errors += _address_errors(body.get("to_address"), "/to_address", ("country_code",))
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
                got = _weight(
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
    options = data.available_options(country, weight)
    if not options:
        return _json({"data": [], "message": data.no_option_message(country, weight)})
    return _json(
        {
            "data": [_option_json(o, country, postal, weight, calculate is True) for o in options],
            "message": None,
        }
    )


@endpoint("sendcloud")
async def announce(request: Request, world: World, key: Principal) -> Response:
    assert key is not None
    body = await _json_body(request, _sc_bad_json)
    if not isinstance(body, dict):
        return sc_error(400, "invalid", "The body must be a JSON object.")
    world.stats["announce_requests"] += 1
    to = body.get("to_address")
    errors = _address_errors(to, "/to_address", REQUIRED_ADDRESS)
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
        errors += _address_errors(sender, "/from_address", REQUIRED_ADDRESS)
    option = None
    ship_with = body.get("ship_with")
    code = None
    if isinstance(ship_with, dict) and ship_with.get("type") == "shipping_option_code":
        props = ship_with.get("properties")
        code = props.get("shipping_option_code") if isinstance(props, dict) else None
        option = data.OPTIONS_BY_CODE.get(code) if isinstance(code, str) else None
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
        got = _weight(
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
        customs = data.needs_customs(to["country_code"], postal)
    if customs:
        errors += _customs_errors(body, parcels)
    errors += _currency_errors(body, parcels)
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
    if country in data.HOUSE_NUMBER_COUNTRIES:
        house = to.get("house_number")
        if house is not None and len(str(house)) > 8:
            return sc_error(
                400,
                "max_length",
                f"{SC_CARRIERS[option.carrier].name}: the house number may have at most "
                "8 characters.",
                "/to_address/house_number",
            )
        if option.carrier in data.HOUSE_NUMBER_CARRIERS and not str(house or "").strip():
            return sc_error(
                400,
                "required",
                f"{SC_CARRIERS[option.carrier].name} needs a house number for {country}.",
                "/to_address/house_number",
            )
    point = _service_point(option, body.get("to_service_point"))
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
        return _json({"data": _shipment_json(world, shipment, base, with_label=True)}, 201)


def _service_point(option: data.ShippingOptionDef, raw: Any) -> data.ServicePoint | None:
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
        point = data.service_point(option.carrier, carrier_id.strip())
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
    point = data.SERVICE_POINTS_BY_ID.get(str(sendcloud_id).strip())
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


def _customs_errors(body: dict[str, Any], parcels: list[Any]) -> list[Err]:
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
        elif reason not in data.EXPORT_REASONS:
            errors.append(
                (
                    "invalid_choice",
                    f'"{reason}" is not a valid choice ({", ".join(data.EXPORT_REASONS)}).',
                    f"{at}/export_reason",
                )
            )
        kind = info.get("export_type")
        if kind is not None and kind not in data.EXPORT_TYPES:
            errors.append(
                (
                    "invalid_choice",
                    f'"{kind}" is not a valid choice ({", ".join(data.EXPORT_TYPES)}).',
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


def _currency_errors(body: dict[str, Any], parcels: list[Any]) -> list[Err]:
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


def _create_shipment(
    world: World,
    key: str,
    body: dict[str, Any],
    option: data.ShippingOptionDef,
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
        return _json({"data": _shipment_json(world, s, _base_url(request))})


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
        return _json({"data": [_shipment_json(world, s, base) for s in found[:100]], "next": None})


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
        if s.option.carrier in data.QUEUED_CANCEL_CARRIERS and not s.failed:
            s.cancel_queued = True
            return _json(
                {"data": {"status": "queued", "message": "Shipment cancellation has been queued"}},
                202,
            )
        return _json(
            {"data": {"status": "cancelled", "message": "Shipment has been cancelled"}}, 200
        )


def _label_request(request: Request) -> tuple[str, str, int | None]:
    """(mime type, paper size, dpi) from Accept and the query, or a Reply 400/406."""
    accept = request.headers.get("accept", "")
    mime = None
    wanted = [p.split(";")[0].strip().lower() for p in accept.split(",") if p.strip()]
    if not wanted:
        mime = PDF
    for item in wanted:
        if item in (PDF, ZPL, PNG):
            mime = item
            break
        if item in ("*/*", "application/*"):
            mime = PDF
            break
        if item == "image/*":
            mime = PNG
            break
    if mime is None:
        raise Reply(
            sc_error(
                406,
                "not_acceptable",
                "Label documents are available as application/pdf, application/zpl or image/png.",
            )
        )
    paper = request.query_params.get("paper_size", "A6").strip().upper()
    if paper not in documents.PAPER_POINTS:
        raise Reply(
            sc_error(
                400,
                "invalid_choice",
                f'"{paper}" is not a valid paper size (A4, A5, A6).',
                "paper_size",
            )
        )
    dpi = None
    raw = request.query_params.get("dpi")
    if raw:
        allowed = {PDF: range(72, 601), PNG: (150, 300), ZPL: (203, 300, 600)}[mime]
        try:
            dpi = int(raw)
        except ValueError:
            dpi = -1
        if dpi not in allowed:
            raise Reply(sc_error(400, "invalid_choice", f'"{raw}" is not a valid dpi.', "dpi"))
    return mime, paper, dpi


def _document(mime: str, body: bytes, name: str) -> Response:
    ext = {PDF: "pdf", ZPL: "zpl", PNG: "png"}[mime]
    return Response(
        body,
        200,
        media_type=mime,
        headers={"Content-Disposition": f'attachment; filename="{name}.{ext}"'},
    )


@endpoint("sendcloud")
async def parcel_label(request: Request, world: World, key: Principal) -> Response:
    assert key is not None
    mime, paper, dpi = _label_request(request)
    raw_id = request.path_params["parcel_id"]
    with world.lock:
        hit = world.parcel(key, int(raw_id)) if raw_id.isdigit() else None
        if hit is None:
            return sc_error(404, "not_found", f"Parcel {raw_id} was not found.")
        s, p = hit
        if p.failure:
            return sc_error(
                404, "not_found", f"Parcel {raw_id} has no label: its announcement failed."
            )
        body = _render([_label_content(s, p)], mime, paper, dpi)
        world.stats["documents"] += 1
        world.stats["label_downloads"] += 1
        world.label_downloads[p.id] += 1
    return _document(mime, body, f"label-{p.id}")


@endpoint("sendcloud")
async def parcel_customs(request: Request, world: World, key: Principal) -> Response:
    assert key is not None
    accept = request.headers.get("accept", "")
    wanted = [v.split(";")[0].strip().lower() for v in accept.split(",") if v.strip()]
    if wanted and not any(v in (PDF, "*/*", "application/*") for v in wanted):
        return sc_error(406, "not_acceptable", "Customs declarations are available as PDF.")
    raw_id = request.path_params["parcel_id"]
    with world.lock:
        hit = world.parcel(key, int(raw_id)) if raw_id.isdigit() else None
        if hit is None:
            return sc_error(404, "not_found", f"Parcel {raw_id} was not found.")
        s, p = hit
        if p.failure or not s.has_customs:
            return sc_error(
                404, "not_found", f"Parcel {raw_id} has no customs-declaration document."
            )
        body = documents.build_customs_pdf(_customs_content(s, p))
        world.stats["documents"] += 1
        world.stats["customs_downloads"] += 1
    return _document(PDF, body, f"customs-declaration-{p.id}")


@endpoint("sendcloud")
async def bulk_labels(request: Request, world: World, key: Principal) -> Response:
    assert key is not None
    mime, paper, dpi = _label_request(request)
    if mime == PNG:
        return sc_error(406, "not_acceptable", "Bulk labels are available as PDF or ZPL.")
    ids = [v.strip() for v in request.query_params.get("parcels", "").split(",") if v.strip()]
    if not ids or len(ids) > 20:
        return sc_error(400, "invalid", "Give between 1 and 20 parcel ids.", "parcels")
    pages = []
    with world.lock:
        hits = []
        for raw_id in ids:
            hit = world.parcel(key, int(raw_id)) if raw_id.isdigit() else None
            if hit is None or hit[1].failure:
                return sc_error(404, "not_found", f"Parcel {raw_id} has no label.")
            hits.append(hit)
            pages.append(_label_content(*hit))
        body = _render(pages, mime, paper, dpi)
        world.stats["documents"] += 1
        for _, p in hits:
            world.stats["label_downloads"] += 1
            world.label_downloads[p.id] += 1
    return _document(mime, body, "labels")


@endpoint("sendcloud")
async def tracking(request: Request, world: World, key: Principal) -> Response:
    assert key is not None
    number = request.path_params["tracking_number"]
    with world.lock:
        hit = world.parcel_by_tracking(key, number)
        if hit is None:
            return _json({"detail": "Parcel does not exist"}, 404)
        s, p = hit
        assert p.announced_at is not None
        expected = p.announced_at + timedelta(seconds=4 * world.tracking_step_seconds)
        return _json(
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


# ---------------------------------------------------------------- sandbox helpers


def _sandbox_json(body: Any, status: int = 200) -> Response:
    return _json(body, status)


async def _sandbox_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise Reply(_sandbox_json({"error": "The body is not valid JSON."}, 400)) from None


def sandbox(fn: Callable[[Request, World], Awaitable[Response]]) -> Callable:
    @functools.wraps(fn)
    async def run(request: Request) -> Response:
        try:
            return await fn(request, request.app.state.world)
        except Reply as reply:
            return reply.response

    return run


@sandbox
async def sandbox_faults(request: Request, world: World) -> Response:
    if request.method == "POST":
        body = await _sandbox_body(request)
        if not isinstance(body, dict):
            return _sandbox_json({"error": "Send a JSON object of faults."}, 400)
        body = dict(body)
        with world.lock:
            if body.pop("reset", False) is True:
                world.faults.reset()
            try:
                world.faults.update(body)
            except ValueError as exc:
                return _sandbox_json({"error": str(exc)}, 400)
    return _sandbox_json(world.faults.as_dict())


@sandbox
async def sandbox_state(request: Request, world: World) -> Response:
    return _sandbox_json(world.state())


@sandbox
async def sandbox_add_orders(request: Request, world: World) -> Response:
    body = await _sandbox_body(request)
    if not isinstance(body, dict):
        return _sandbox_json({"error": "Send a JSON object."}, 400)
    count = body.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10_000:
        return _sandbox_json({"error": "count must be an integer between 1 and 10000"}, 400)
    try:
        ids = world.add_orders(
            count,
            seller_id=str(body.get("seller_id", data.SELLER_ID)),
            status=str(body.get("status", "InPreparation")),
            channel=body.get("channel"),
            country=body.get("country"),
            fail=bool(body.get("fail", False)),
            mode=body.get("mode"),
        )
    except ValueError as exc:
        return _sandbox_json({"error": str(exc)}, 400)
    return _sandbox_json({"order_ids": ids}, 201)


@sandbox
async def sandbox_cancel_order(request: Request, world: World) -> Response:
    order_id = request.path_params["order_id"]
    try:
        doc = world.cancel_order(order_id)
    except KeyError:
        return _sandbox_json({"error": f"Order {order_id} was not found."}, 404)
    return _sandbox_json(doc)


@sandbox
async def sandbox_clock(request: Request, world: World) -> Response:
    if request.method == "POST":
        body = await _sandbox_body(request)
        seconds = body.get("advance") if isinstance(body, dict) else None
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            return _sandbox_json({"error": "advance must be a number of seconds ≥ 0"}, 400)
        world.advance(seconds)
    return _sandbox_json({"now": stamp(world.now())})


# ---------------------------------------------------------------- the app


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    detail = "Not Found" if status == 404 else "Method Not Allowed"
    if request.url.path.startswith("/seller/v2"):
        return problem(request, status, detail, f"{request.method} {request.url.path}: {detail}")
    code = "not_found" if status == 404 else "method_not_allowed"
    return sc_error(status, code, f"{request.method} {request.url.path}: {detail}")


TOKEN_PATH = "/auth/realms/maas/protocol/openid-connect/token"
OCTOPIA = "/seller/v2"
SENDCLOUD = "/api/v3"


def create_app(world: World) -> Starlette:
    """The Starlette application serving ``world``."""
    routes = [
        Route(TOKEN_PATH, token, methods=["POST"]),
        Route(f"{OCTOPIA}/sellers", sellers, methods=["GET"]),
        Route(f"{OCTOPIA}/sellers/subscriptions", seller_subscriptions, methods=["GET"]),
        Route(f"{OCTOPIA}/carriers", carriers, methods=["GET"]),
        Route(f"{OCTOPIA}/orders", list_orders, methods=["GET"]),
        Route(f"{OCTOPIA}/orders/count", count_orders, methods=["GET"]),
        Route(f"{OCTOPIA}/orders/{{order_id}}", get_order, methods=["GET"]),
        Route(f"{OCTOPIA}/orders/{{order_id}}/shipments", post_shipments, methods=["POST"]),
        Route(f"{OCTOPIA}/orders/{{order_id}}/approval-status", post_approval, methods=["POST"]),
        Route(f"{SENDCLOUD}/shipping-options", shipping_options, methods=["POST"]),
        Route(f"{SENDCLOUD}/shipments/announce", announce, methods=["POST"]),
        Route(f"{SENDCLOUD}/shipments", list_shipments, methods=["GET"]),
        Route(f"{SENDCLOUD}/shipments/{{shipment_id}}", get_shipment, methods=["GET"]),
        Route(f"{SENDCLOUD}/shipments/{{shipment_id}}/cancel", cancel_shipment, methods=["POST"]),
        Route(f"{SENDCLOUD}/parcels/tracking/{{tracking_number}}", tracking, methods=["GET"]),
        Route(f"{SENDCLOUD}/parcels/{{parcel_id}}/documents/label", parcel_label, methods=["GET"]),
        Route(
            f"{SENDCLOUD}/parcels/{{parcel_id}}/documents/customs-declaration",
            parcel_customs,
            methods=["GET"],
        ),
        Route(f"{SENDCLOUD}/parcel-documents/label", bulk_labels, methods=["GET"]),
        Route("/_sandbox/faults", sandbox_faults, methods=["GET", "POST"]),
        Route("/_sandbox/state", sandbox_state, methods=["GET"]),
        Route("/_sandbox/orders", sandbox_add_orders, methods=["POST"]),
        Route("/_sandbox/orders/{order_id}/cancel", sandbox_cancel_order, methods=["POST"]),
        Route("/_sandbox/clock", sandbox_clock, methods=["GET", "POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_found})
    app.state.world = world
    return app
