"""Async client for Sendcloud API v3: shipping options, labels, cancellation, tracking.

Writes (every non-GET request) are paced on the client side under Sendcloud's published
limits, so that bulk label runs never draw a 429. Shapes the documentation leaves
**unconfirmed** are read in ``sendcloud_shapes.py`` only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import httpx

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
    ShippingOptionList,
    TrackingEvent,
)
from cdtui.pacing import SharedWindowLimiter
from cdtui.sendcloud_shapes import (
    FAILED,
    announce_failed,
    conflict_shipment,
    data_of,
    events_of,
    failure_detail,
    options_of,
    parse_shipment,
    shipment_list,
)

API = "Sendcloud"
log = logging.getLogger("cdtui.sendcloud")

LABEL_TYPES = {"pdf": "application/pdf", "zpl": "application/zpl"}
PAPER_SIZES = ("A4", "A5", "A6")
#: parcel documents cdtui downloads (``GET /parcels/{id}/documents/{document_type}``)
DOCUMENT_TYPES = {"label": "label", "customs-declaration": "customs declaration"}
#: parcel statuses read back after a 409 on cancel
CANCELLED_STATUSES = frozenset({"CANCELLED", "CANCELED"})


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
        return options_of(json_of(resp, API))

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
            existing = conflict_shipment(body)
            if existing is not None:
                shipment = _not_cancelled(parse_shipment(existing), reference)
                return self._checked(shipment, existing)
            found_list = await self.find_shipments(external_reference_id=reference)
            if found_list:
                return self._checked(_not_cancelled(found_list[0], reference), None)
        raise_for_api(resp, API)
        data = data_of(json_of(resp, API))
        return self._checked(parse_shipment(data), data)

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
            failed = announce_failed(data, shipment)
        if failed:
            detail = failure_detail(data) if data is not None else "announcement failed"
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
        found = [parse_shipment(item) for item in shipment_list(json_of(resp, API))]
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
        return parse_shipment(data_of(json_of(resp, API)))

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
        data = data_of(_safe_json(resp))
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
        return events_of(json_of(resp, API))


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
