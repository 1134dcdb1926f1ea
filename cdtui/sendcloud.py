"""Async client for Sendcloud API v3: shipping options, labels, cancellation, tracking.

Writes (every non-GET request) are paced on the client side under Sendcloud's published
limits, so that bulk label runs never draw a 429. Shapes the documentation leaves
**unconfirmed** are read in the ``# --- tolerant parsing`` section only.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import time
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from cdtui.errors import (
    AnnouncementFailed,
    BadCredentials,
    BadResponse,
    ConfigError,
    NotFound,
    TimedOut,
    Unavailable,
    UsageError,
)
from cdtui.http import (
    RetryPolicy,
    Sleep,
    SlidingWindowLimiter,
    api_detail,
    http_timeout,
    json_of,
    raise_for_api,
    request,
)
from cdtui.models import CancelResult, Shipment, ShippingOption, TrackingEvent

API = "Sendcloud"
log = logging.getLogger("cdtui.sendcloud")

FAILED = "ANNOUNCEMENT_FAILED"
LABEL_TYPES = {"pdf": "application/pdf", "zpl": "application/zpl"}
PAPER_SIZES = ("A4", "A5", "A6")


# ---------------------------------------------------------------- tolerant parsing
# Everything the API documentation marks as unconfirmed is read here.


def _dig(obj: Any, *keys: str | int) -> Any:
    for key in keys:
        if isinstance(key, int):
            if not isinstance(obj, list) or len(obj) <= key:
                return None
        elif not isinstance(obj, dict):
            return None
        obj = obj[key] if isinstance(key, int) else obj.get(key)
    return obj


def _data(body: Any) -> Any:
    """The ``data`` member of a JSON:API answer (some answers have no envelope)."""
    return body.get("data") if isinstance(body, dict) and "data" in body else body


def _price(option: dict[str, Any]) -> tuple[Decimal | None, str | None]:
    """The quote of a shipping option: ``quotes[0].price.total`` is reported, the rest
    of the structure is unconfirmed, so a few plausible places are tried."""
    for path in (
        ("quotes", 0, "price", "total"),
        ("quotes", 0, "price"),
        ("quotes", 0, "total"),
        ("price",),
    ):
        node = _dig(option, *path)
        if isinstance(node, dict) and "value" in node:
            try:
                return Decimal(str(node["value"])), node.get("currency")
            except InvalidOperation:
                return None, None
    return None, None


def _option(item: Any) -> ShippingOption | None:
    if not isinstance(item, dict) or not item.get("code"):
        return None
    price, currency = _price(item)
    carrier = item.get("carrier") if isinstance(item.get("carrier"), dict) else {}
    try:
        return ShippingOption(
            code=str(item["code"]),
            name=str(item.get("name") or item["code"]),
            carrier_code=carrier.get("code"),
            carrier_name=carrier.get("name"),
            price=price,
            currency=currency,
        )
    except ValidationError:
        return None


def _parse_shipment(data: Any) -> Shipment:
    """One shipment (one parcel) from a v3 shipment document."""
    if not isinstance(data, dict) or data.get("id") in (None, ""):
        raise BadResponse("Sendcloud sent a shipment without an id", api=API)
    carrier = data.get("carrier") if isinstance(data.get("carrier"), dict) else {}
    parcel = _dig(data, "parcels", 0) or {}
    if not isinstance(parcel, dict):
        parcel = {}
    status = parcel.get("status")
    status_code = status.get("code") if isinstance(status, dict) else status
    label_url = None
    for doc in parcel.get("documents") or []:
        if isinstance(doc, dict) and doc.get("type") == "label":
            label_url = doc.get("link")
            break
    label_file = None
    raw_label = data.get("label_file")
    if isinstance(raw_label, str) and raw_label:
        try:
            label_file = base64.b64decode(raw_label, validate=True)
        except (binascii.Error, ValueError):
            log.warning("shipment %s carries an undecodable label_file", data.get("id"))
    parcel_id = parcel.get("id")
    try:
        return Shipment(
            shipment_id=str(data["id"]),
            order_number=_str_or_none(data.get("order_number")),
            external_reference_id=_str_or_none(data.get("external_reference_id")),
            carrier_code=_str_or_none(carrier.get("code")),
            carrier_name=_str_or_none(carrier.get("name")),
            parcel_id=_str_or_none(parcel_id),
            parcel_status=_str_or_none(status_code),
            tracking_number=_str_or_none(parcel.get("tracking_number")),
            tracking_url=_str_or_none(parcel.get("tracking_url")),
            label_url=_str_or_none(label_url),
            label_file=label_file,
            announced_at=parcel.get("announced_at") or data.get("announced_at"),
        )
    except ValidationError:
        raise BadResponse(
            f"Sendcloud sent shipment {data['id']} in an unreadable shape", api=API
        ) from None


def _str_or_none(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _failure_detail(data: Any) -> str:
    """The carrier's message for an announcement failure."""
    texts: list[str] = []
    for source in (_dig(data, "errors"), _dig(data, "parcels", 0, "errors")):
        for err in source if isinstance(source, list) else []:
            if isinstance(err, dict) and (err.get("detail") or err.get("code")):
                texts.append(str(err.get("detail") or err.get("code")))
    message = _dig(data, "parcels", 0, "status", "message")
    if not texts and isinstance(message, str) and message:
        texts.append(message)
    return "; ".join(texts) or "the carrier gave no reason"


def _announce_failed(data: Any, shipment: Shipment) -> bool:
    """A 201 is not always a label: check the parcel status and the errors."""
    if shipment.parcel_status == FAILED:
        return True
    errors = _dig(data, "errors")
    return bool(errors) and not shipment.tracking_number


def _conflict_shipment(body: Any) -> Any:
    """A 409 on a repeated external_reference_id may carry the existing shipment (as
    ``data``) or only ``errors``: returns the shipment document or None."""
    data = _data(body)
    if isinstance(data, dict) and data.get("id") not in (None, ""):
        return data
    return None


def _shipment_list(body: Any) -> list[Any]:
    data = _data(body)
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list):
        return data
    raise BadResponse("Sendcloud sent a list of shipments in an unexpected shape", api=API)


def _events(body: Any) -> list[TrackingEvent]:
    data = _data(body)
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


# ---------------------------------------------------------------- client


class SendcloudClient:
    """Sendcloud v3 with the installation's API keys (HTTP Basic)."""

    def __init__(
        self,
        *,
        api_url: str,
        public_key: str,
        secret_key: str,
        timeout: float = 30.0,
        policy: RetryPolicy | None = None,
        writes_per_second: float = 15,
        writes_per_minute: float = 100,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not public_key or not secret_key:
            raise ConfigError("The Sendcloud public and secret keys are not set")
        self._api_url = api_url.rstrip("/")
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=http_timeout(timeout),
            auth=httpx.BasicAuth(public_key, secret_key),
            follow_redirects=False,
            headers={"Accept": "application/json"},
        )
        self.writes = SlidingWindowLimiter(
            [(writes_per_second, 1.0), (writes_per_minute, 60.0)], clock=clock, sleep=sleep
        )

    def __repr__(self) -> str:
        return f"SendcloudClient(api_url={self._api_url!r})"

    async def __aenter__(self) -> SendcloudClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------ calls

    async def _call(
        self, method: str, path: str, *, retry: bool | None = None, **kw: Any
    ) -> httpx.Response:
        """One call; GETs are retried, writes are paced (and retried only if told)."""
        is_read = method == "GET"
        resp = await request(
            self._http,
            method,
            self._api_url + path,
            api=API,
            policy=self._policy,
            retry=is_read if retry is None else retry,
            sleep=self._sleep,
            limiter=None if is_read else self.writes,
            **kw,
        )
        if resp.status_code == 401:
            raise BadCredentials(
                "Sendcloud refused the API keys (public / secret key)", api=API, status=401
            )
        return resp

    async def check_credentials(self) -> None:
        """A cheap authenticated read: raises :class:`BadCredentials` on wrong keys."""
        resp = await self._call("GET", "/shipments", params={"order_number": "cdtui-check"})
        raise_for_api(resp, API)

    async def shipping_options(
        self,
        *,
        from_country: str,
        from_postal_code: str | None,
        to_country: str,
        to_postal_code: str | None,
        weight_kg: Decimal,
    ) -> list[ShippingOption]:
        """Services that can carry the parcel, cheapest first (unpriced ones last)."""
        weight = Decimal(weight_kg)
        if not weight.is_finite() or weight <= 0:
            raise UsageError("The parcel weight must be a positive number of kilograms")
        for country in (from_country, to_country):
            if not (isinstance(country, str) and len(country) == 2 and country.isalpha()):
                raise UsageError(f"{country!r} is not a two-letter country code")
        origin: dict[str, str] = {"country_code": from_country.upper()}
        if from_postal_code:
            origin["postal_code"] = from_postal_code
        destination: dict[str, str] = {"country_code": to_country.upper()}
        if to_postal_code:
            destination["postal_code"] = to_postal_code
        payload = {
            "from_address": origin,
            "to_address": destination,
            "parcels": [{"weight": {"value": f"{weight:.3f}", "unit": "kg"}}],
        }
        # a query, though a POST: safe to retry
        resp = await self._call("POST", "/shipping-options", retry=True, json=payload)
        raise_for_api(resp, API)
        data = _data(json_of(resp, API))
        if not isinstance(data, list):
            raise BadResponse("Sendcloud sent shipping options in an unexpected shape", api=API)
        options = [opt for opt in map(_option, data) if opt is not None]
        return sorted(options, key=lambda o: (o.price is None, o.price or 0, o.name))

    async def announce(self, payload: dict[str, Any]) -> Shipment:
        """Buy the label. Safe to call again with the same ``external_reference_id``.

        ``409`` on a repeated reference is the existing shipment (a success); a timeout
        or a 5xx looks the reference up before giving up; an ``ANNOUNCEMENT_FAILED``
        parcel in a ``201`` raises :class:`AnnouncementFailed` with the carrier's words.
        """
        reference = payload.get("external_reference_id")
        if not isinstance(reference, str) or not reference:
            raise UsageError("A label needs an external_reference_id (the idempotency key)")
        try:
            resp = await self._call("POST", "/shipments/announce", retry=False, json=payload)
        except (TimedOut, Unavailable) as exc:
            found = await self._lookup_after_failure(reference, exc)
            return self._checked(found, None)
        if resp.status_code == 409:
            body = _safe_json(resp)
            existing = _conflict_shipment(body)
            if existing is not None:
                return self._checked(_parse_shipment(existing), existing)
            found_list = await self.find_shipments(external_reference_id=reference)
            if found_list:
                return self._checked(found_list[0], None)
        raise_for_api(resp, API)
        data = _data(json_of(resp, API))
        return self._checked(_parse_shipment(data), data)

    async def _lookup_after_failure(self, reference: str, exc: TimedOut | Unavailable) -> Shipment:
        try:
            found = await self.find_shipments(external_reference_id=reference)
        except Exception:
            raise exc from None
        if not found:
            raise exc
        log.info("announce of %s had an unknown outcome; it exists", reference)
        return found[0]

    @staticmethod
    def _checked(shipment: Shipment, data: Any) -> Shipment:
        failed = shipment.parcel_status == FAILED
        if data is not None:
            failed = _announce_failed(data, shipment)
        if failed:
            detail = _failure_detail(data) if data is not None else "announcement failed"
            err = AnnouncementFailed(
                f"The carrier refused the label: {detail}", api=API, status=201, detail=detail
            )
            err.shipment_id = shipment.shipment_id
            raise err
        return shipment

    async def find_shipments(
        self, *, external_reference_id: str | None = None, order_number: str | None = None
    ) -> list[Shipment]:
        params = {}
        if external_reference_id:
            params["external_reference_id"] = external_reference_id
        if order_number:
            params["order_number"] = order_number
        if not params:
            raise UsageError("Give an external reference or an order number to look for")
        resp = await self._call("GET", "/shipments", params=params)
        if resp.status_code == 404:
            return []
        raise_for_api(resp, API)
        found = [_parse_shipment(item) for item in _shipment_list(json_of(resp, API))]
        # a server that ignores the filter must not hand us someone else's shipment
        if external_reference_id:
            found = [s for s in found if s.external_reference_id in (None, external_reference_id)]
        return found

    async def get_shipment(self, shipment_id: str) -> Shipment:
        resp = await self._call("GET", f"/shipments/{quote(str(shipment_id), safe='')}")
        if resp.status_code == 404:
            raise NotFound(
                f"Sendcloud has no shipment {shipment_id}",
                api=API,
                status=404,
                detail=api_detail(resp),
            )
        raise_for_api(resp, API)
        return _parse_shipment(_data(json_of(resp, API)))

    async def label_document(
        self, parcel_id: str, *, fmt: Literal["pdf", "zpl"] = "pdf", paper_size: str = "A6"
    ) -> bytes:
        """The label file of a parcel, as PDF or ZPL."""
        if fmt not in LABEL_TYPES:
            raise UsageError(f"Unknown label format {fmt!r} (pdf or zpl)")
        paper = paper_size.upper()
        if paper not in PAPER_SIZES:
            raise UsageError(f"Unknown paper size {paper_size!r} (A4, A5 or A6)")
        params = {"paper_size": paper, "dpi": "72" if fmt == "pdf" else "203"}
        resp = await self._call(
            "GET",
            f"/parcels/{quote(str(parcel_id), safe='')}/documents/label",
            params=params,
            headers={"Accept": LABEL_TYPES[fmt]},
        )
        if resp.status_code == 404:
            raise NotFound(f"Sendcloud has no label for parcel {parcel_id}", api=API, status=404)
        raise_for_api(resp, API)
        content = resp.content
        looks_right = content.startswith(b"%PDF") if fmt == "pdf" else b"^XA" in content[:200]
        if not looks_right:
            raise BadResponse(
                f"Sendcloud sent a label for parcel {parcel_id} that is not {fmt.upper()}",
                api=API,
            )
        return content

    async def cancel(self, shipment_id: str) -> CancelResult:
        """Ask Sendcloud to cancel a label (never the marketplace order)."""
        resp = await self._call(
            "POST", f"/shipments/{quote(str(shipment_id), safe='')}/cancel", retry=False
        )
        if resp.status_code == 404:
            raise NotFound(f"Sendcloud has no shipment {shipment_id}", api=API, status=404)
        if resp.status_code == 409:
            detail = api_detail(resp) or "Sendcloud refused to cancel this label"
            return CancelResult(status="refused", message=detail)
        raise_for_api(resp, API)
        data = _data(_safe_json(resp))
        message = data.get("message") if isinstance(data, dict) else None
        if resp.status_code == 202:
            return CancelResult(status="queued", message=str(message or "Cancellation queued"))
        status = data.get("status") if isinstance(data, dict) else None
        return CancelResult(
            status="queued" if status == "queued" else "cancelled",
            message=str(message or "Shipment has been cancelled"),
        )

    async def tracking(self, tracking_number: str) -> list[TrackingEvent]:
        """The parcel's tracking events, oldest first."""
        if not tracking_number:
            raise UsageError("A tracking number is required")
        resp = await self._call("GET", f"/parcels/tracking/{quote(str(tracking_number), safe='')}")
        if resp.status_code == 404:
            raise NotFound(
                f"Sendcloud has no parcel with tracking number {tracking_number}",
                api=API,
                status=404,
            )
        raise_for_api(resp, API)
        return _events(json_of(resp, API))


def _safe_json(resp: httpx.Response) -> Any:
    try:
        return json_of(resp, API)
    except BadResponse:
        return None
