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
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from cdtui.errors import (
    AnnouncementFailed,
    BadCredentials,
    BadResponse,
    ConfigError,
    Conflict,
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
from cdtui.models import (
    CancelResult,
    Shipment,
    ShippingOption,
    ShippingOptionList,
    TrackingEvent,
)
from cdtui.pacing import SharedWindowLimiter

API = "Sendcloud"
log = logging.getLogger("cdtui.sendcloud")

FAILED = "ANNOUNCEMENT_FAILED"
LABEL_TYPES = {"pdf": "application/pdf", "zpl": "application/zpl"}
PAPER_SIZES = ("A4", "A5", "A6")
#: parcel documents cdtui downloads (``GET /parcels/{id}/documents/{document_type}``)
DOCUMENT_TYPES = {"label": "label", "customs-declaration": "customs declaration"}
#: ``documents[].document_type`` of a customs form, and the values the deprecated
#: ``documents[].type`` uses for one
CUSTOMS_TYPES = frozenset(
    {"customs-declaration", "cn23", "cp71", "commercial-invoice", "cn23-default"}
)
#: parcel statuses read back after a 409 on cancel
CANCELLED_STATUSES = frozenset({"CANCELLED", "CANCELED"})


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
        node = _dig(option, *path)
        if isinstance(node, dict) and "value" in node:
            amount = _decimal(node["value"])
            if amount is None:
                return None, None
            currency = node.get("currency")
            return amount, currency if isinstance(currency, str) and currency else None
    return None, None


def _decimal(value: Any) -> Decimal | None:
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


def _weight_kg(node: Any) -> Decimal | None:
    """``{"value": "500", "unit": "g"}`` as kilograms (a bare number is kg)."""
    unit = "kg"
    if isinstance(node, dict):
        unit = str(node.get("unit") or "kg").strip().lower()
        node = node.get("value")
    value = _decimal(node)
    factor = _KG_PER_UNIT.get(unit)
    if value is None or factor is None or value < 0:
        return None
    return value * factor


def _flag(value: Any) -> bool:
    """A boolean functionality (``true``/``false``; anything else is false)."""
    return value is True


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _option(item: Any) -> ShippingOption | None:
    if not isinstance(item, dict) or not item.get("code") or not isinstance(item["code"], str):
        return None
    price, currency = _price(item)
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
            carrier_code=_text(carrier.get("code")),
            carrier_name=_text(carrier.get("name")),
            price=price,
            currency=currency,
            service_point_required=needs_point,
            last_mile=_text(functions.get("last_mile")),
            signature=_flag(functions.get("signature")),
            delivery_deadline=_text(functions.get("delivery_deadline")),
            min_weight_kg=_weight_kg(weight.get("min")),
            max_weight_kg=_weight_kg(weight.get("max")),
        )
    except ValidationError:
        return None


def _options(body: Any) -> ShippingOptionList:
    """``{"data": [...], "message": ...}``: ``data`` empty or null is no option."""
    message = body.get("message") if isinstance(body, dict) else None
    message = message.strip() or None if isinstance(message, str) else None
    data = _data(body)
    if data is None:
        return ShippingOptionList([], message)
    if not isinstance(data, list):
        raise BadResponse("Sendcloud sent shipping options in an unexpected shape", api=API)
    options = []
    for item in data:
        option = _option(item)
        if option is None:
            code = item.get("code") if isinstance(item, dict) else None
            log.warning("skipping an unreadable shipping option %s", code or "(no code)")
            continue
        options.append(option)
    options.sort(key=lambda o: (o.price is None, o.price or 0, o.name))
    return ShippingOptionList(options, message)


def _document_kind(doc: dict[str, Any]) -> str | None:
    """``label`` or ``customs-declaration`` (or another type), from ``document_type``,
    else from the deprecated ``type`` (``cn23``, ``cp71``... are customs forms)."""
    kind = doc.get("document_type")
    if not isinstance(kind, str) or not kind:
        kind = doc.get("type")
    if not isinstance(kind, str) or not kind:
        return None
    kind = kind.strip().lower()
    return "customs-declaration" if kind in CUSTOMS_TYPES else kind


def _document_links(parcel: dict[str, Any]) -> tuple[str | None, str | None]:
    """The parcel's label and customs declaration links (the first of each)."""
    label_url = customs_url = None
    documents = parcel.get("documents")
    for doc in documents if isinstance(documents, list) else []:
        if not isinstance(doc, dict):
            continue
        link = _str_or_none(doc.get("link"))
        kind = _document_kind(doc)
        if kind == "label" and label_url is None:
            label_url = link
        elif kind == "customs-declaration" and customs_url is None:
            customs_url = link
    return label_url, customs_url


def _label_file(data: dict[str, Any], parcel: dict[str, Any]) -> bytes | None:
    """``parcels[0].label_file`` (base64); the shipment-level ``label_file`` of older
    answers only when the parcel has none."""
    for raw in (parcel.get("label_file"), data.get("label_file")):
        if isinstance(raw, str) and raw:
            try:
                return base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                log.warning("shipment %s carries an undecodable label_file", data.get("id"))
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
    label_url, customs_url = _document_links(parcel)
    try:
        return Shipment(
            shipment_id=str(data["id"]),
            order_number=_str_or_none(data.get("order_number")),
            external_reference_id=_str_or_none(data.get("external_reference_id")),
            carrier_code=_str_or_none(carrier.get("code")),
            carrier_name=_str_or_none(carrier.get("name")),
            parcel_id=_str_or_none(parcel.get("id")),
            parcel_status=_str_or_none(status_code),
            tracking_number=_str_or_none(parcel.get("tracking_number")),
            tracking_url=_str_or_none(parcel.get("tracking_url")),
            label_url=label_url,
            label_file=_label_file(data, parcel),
            customs_url=customs_url,
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
        writes_file: Path | None = None,
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
        windows = [(writes_per_second, 1.0), (writes_per_minute, 60.0)]
        # writes_file: one budget for every process of the data folder (wall-clock);
        # without it this client paces its own writes only (tests, benchmarks)
        self.writes: SlidingWindowLimiter | SharedWindowLimiter = (
            SharedWindowLimiter(writes_file, windows, sleep=sleep)
            if writes_file is not None
            else SlidingWindowLimiter(windows, clock=clock, sleep=sleep)
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
    ) -> ShippingOptionList:
        """Services that can carry the parcel, cheapest first (unpriced ones last).

        Asks for quotes (``calculate_quotes``): without them no option has a price. When
        nothing can carry the parcel Sendcloud answers 200 with an empty (or null)
        ``data`` and a ``message``: that is an empty list whose ``.message`` says why.
        Items that cannot be read are skipped (and logged).
        """
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
            "calculate_quotes": True,
        }
        # a query, though a POST: safe to retry
        resp = await self._call("POST", "/shipping-options", retry=True, json=payload)
        raise_for_api(resp, API)
        return _options(json_of(resp, API))

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
            return self._checked(_not_cancelled(found, reference), None)
        if resp.status_code == 409:
            body = _safe_json(resp)
            existing = _conflict_shipment(body)
            if existing is not None:
                shipment = _not_cancelled(_parse_shipment(existing), reference)
                return self._checked(shipment, existing)
            found_list = await self.find_shipments(external_reference_id=reference)
            if found_list:
                return self._checked(_not_cancelled(found_list[0], reference), None)
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

    async def parcel_document(
        self,
        parcel_id: str,
        document_type: Literal["label", "customs-declaration"],
        *,
        fmt: Literal["pdf", "zpl"] = "pdf",
        paper_size: str | None = "A6",
    ) -> bytes:
        """A document of a parcel: its label (PDF or ZPL) or its customs declaration
        (PDF only). ``paper_size`` is A4, A5 or A6; ``None`` leaves the document's own
        size (A6 for labels, A4 for customs forms).

        Raises :class:`UsageError` for an unknown type, format or size (before any
        call), :class:`NotFound` when the parcel has no such document, and
        :class:`BadResponse` when the bytes are not the format asked for.
        """
        what = DOCUMENT_TYPES.get(document_type)
        if what is None:
            raise UsageError(
                f"Unknown parcel document {document_type!r} (label or customs-declaration)"
            )
        if fmt not in LABEL_TYPES:
            raise UsageError(f"Unknown document format {fmt!r} (pdf or zpl)")
        if document_type == "customs-declaration" and fmt != "pdf":
            raise UsageError("Customs declarations are only available as PDF")
        params = {"dpi": "72" if fmt == "pdf" else "203"}
        if paper_size is not None:
            paper = paper_size.upper()
            if paper not in PAPER_SIZES:
                raise UsageError(f"Unknown paper size {paper_size!r} (A4, A5 or A6)")
            params["paper_size"] = paper
        resp = await self._call(
            "GET",
            f"/parcels/{quote(str(parcel_id), safe='')}/documents/{document_type}",
            params=params,
            headers={"Accept": LABEL_TYPES[fmt]},
        )
        if resp.status_code == 404:
            raise NotFound(
                f"Sendcloud has no {what} for parcel {parcel_id}",
                api=API,
                status=404,
                detail=api_detail(resp),
            )
        raise_for_api(resp, API)
        content = resp.content
        head = content[:1024].lstrip()
        looks_right = head.startswith(b"%PDF") if fmt == "pdf" else b"^XA" in head[:200]
        if not looks_right:
            raise BadResponse(
                f"Sendcloud sent a {what} for parcel {parcel_id} that is not {fmt.upper()}",
                api=API,
            )
        return content

    async def label_document(
        self, parcel_id: str, *, fmt: Literal["pdf", "zpl"] = "pdf", paper_size: str = "A6"
    ) -> bytes:
        """The label file of a parcel, as PDF or ZPL (see :meth:`parcel_document`)."""
        return await self.parcel_document(parcel_id, "label", fmt=fmt, paper_size=paper_size)

    async def cancel(self, shipment_id: str) -> CancelResult:
        """Ask Sendcloud to cancel a label (never the marketplace order).

        ``200`` → ``cancelled``; ``202`` → ``queued`` (Sendcloud watches the parcel and
        cancels it later). A ``409`` is ambiguous: the spec uses it for a refusal
        (delivered, more than 42 days old) *and* for a shipment that is already
        cancelled or being cancelled ("This shipment is already being cancelled."). So
        on a 409 the shipment is read back: parcel status ``CANCELLED`` → ``cancelled``;
        ``CANCELLATION_REQUESTED`` (or any other status naming a cancellation) →
        ``queued``; anything else → ``refused`` with Sendcloud's detail. If that read
        fails too, the answer is ``refused`` with the 409's detail: a 409 never raises.
        A 404 raises :class:`NotFound`; other errors raise as usual.
        """
        resp = await self._call(
            "POST", f"/shipments/{quote(str(shipment_id), safe='')}/cancel", retry=False
        )
        if resp.status_code == 404:
            raise NotFound(f"Sendcloud has no shipment {shipment_id}", api=API, status=404)
        if resp.status_code == 409:
            return await self._cancel_conflict(shipment_id, api_detail(resp))
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

    async def _cancel_conflict(self, shipment_id: str, detail: str | None) -> CancelResult:
        """A 409 on cancel: already cancelled, being cancelled, or refused?"""
        refused = detail or "Sendcloud refused to cancel this label"
        try:
            shipment = await self.get_shipment(shipment_id)
        except Exception as exc:  # a 409 must stay an answer, never an exception
            log.warning("cancel of %s: 409, and the read-back failed: %s", shipment_id, exc)
            return CancelResult(status="refused", message=refused)
        status = (shipment.parcel_status or "").upper()
        if status in CANCELLED_STATUSES:
            return CancelResult(
                status="cancelled", message=detail or "The shipment is already cancelled"
            )
        if "CANCEL" in status:
            return CancelResult(
                status="queued", message=detail or "A cancellation is already under way"
            )
        return CancelResult(status="refused", message=refused)

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


class ReferenceUsed(Conflict):
    """The reference belongs to a shipment that was cancelled: it is no label to adopt
    (its tracking must never reach the marketplace); a new reference buys a new one."""

    shipment_id: str | None = None


def is_cancelled(shipment: Shipment) -> bool:
    """Cancelled, or being cancelled (``CANCELLED``, ``CANCELLATION_REQUESTED``, ...)."""
    return "CANCEL" in (shipment.parcel_status or "").upper()


def _not_cancelled(shipment: Shipment, reference: str) -> Shipment:
    if is_cancelled(shipment):
        err = ReferenceUsed(
            f"Sendcloud already has a cancelled shipment under {reference}",
            api=API,
            status=409,
            detail=f"shipment {shipment.shipment_id} is {shipment.parcel_status}",
        )
        err.shipment_id = shipment.shipment_id
        raise err
    return shipment


def _safe_json(resp: httpx.Response) -> Any:
    try:
        return json_of(resp, API)
    except BadResponse:
        return None
