"""The parts a sandbox world is made of: faults, rate windows, records, tokens.

:class:`Faults` (the misbehaviour tests inject), :class:`SlidingWindow` (a Sendcloud
rate limit), :class:`OrderRec` and :class:`OrderQuery` (an Octopia order and the
``GET /orders`` filters), :class:`Token`, and the Sendcloud shipments
(:class:`ShipmentRec`, :class:`ParcelRec`) with their tracking stages. The
:class:`~cdtui.sandbox.world.World` holds and changes them.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson

from cdtui.sandbox.catalogue import ServicePoint, ShippingOptionDef
from cdtui.sandbox.factory import NewOrder

# ---------------------------------------------------------------- faults


@dataclass
class Faults:
    """Injected misbehaviour. Probabilities are 0..1; times in milliseconds."""

    latency_ms: int = 0
    octopia_5xx: float = 0.0
    sendcloud_5xx: float = 0.0
    octopia_429: float = 0.0
    sendcloud_429: float = 0.0
    #: Retry-After sent with injected 429s: seconds, or an HTTP date string
    retry_after: float | str = 1
    #: delay matching responses by this much (a client timeout can be provoked)
    slow_ms: int = 0
    #: path substrings the delay applies to (empty: every API path)
    slow_paths: list[str] = field(default_factory=list)
    #: methods the delay applies to (empty: every method)
    slow_methods: list[str] = field(default_factory=list)
    #: False (default): process the request, then be slow — the write happened even
    #: though the client gave up. True: be slow before processing.
    slow_before: bool = False
    #: probability that a JSON answer's body is replaced by broken JSON
    malformed_json: float = 0.0
    #: the next N API calls (of ``fail_api``) answer ``fail_status`` without processing
    fail_next: int = 0
    fail_status: int = 503
    #: "octopia", "sendcloud" or "any"
    fail_api: str = "any"

    def update(self, changes: dict[str, Any]) -> None:
        """Apply ``changes`` (e.g. from JSON); ValueError names the first bad one."""
        known = {f.name: f for f in fields(self)}
        if "timeout_paths" in changes:  # the name used in docs/architecture.md
            changes = dict(changes)
            changes["slow_paths"] = changes.pop("timeout_paths")
        staged: dict[str, Any] = {}
        for key, value in changes.items():
            if key not in known:
                raise ValueError(f"unknown fault {key!r}; known: {', '.join(sorted(known))}")
            staged[key] = _check_fault(key, value)
        for key, value in staged.items():
            setattr(self, key, value)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def reset(self) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(Faults(), f.name))


def _check_fault(key: str, value: Any) -> Any:
    probability = {
        "octopia_5xx",
        "sendcloud_5xx",
        "octopia_429",
        "sendcloud_429",
        "malformed_json",
    }
    if key in probability:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ValueError(f"{key} must be a probability between 0 and 1")
        return float(value)
    if key in ("latency_ms", "slow_ms", "fail_next"):
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(f"{key} must be a number ≥ 0")
        return int(value)
    if key == "fail_status":
        if isinstance(value, bool) or not isinstance(value, int) or not 400 <= value <= 599:
            raise ValueError("fail_status must be an HTTP error status (400–599)")
        return value
    if key == "fail_api":
        if value not in ("octopia", "sendcloud", "any"):
            raise ValueError("fail_api must be 'octopia', 'sendcloud' or 'any'")
        return value
    if key == "retry_after":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError("retry_after must be seconds or an HTTP date")
        if isinstance(value, int | float) and value < 0:
            raise ValueError("retry_after must be ≥ 0")
        return value
    if key in ("slow_paths", "slow_methods"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{key} must be a list of strings")
        return [v.upper() for v in value] if key == "slow_methods" else list(value)
    if key == "slow_before":
        if not isinstance(value, bool):
            raise ValueError("slow_before must be true or false")
        return value
    raise ValueError(f"unknown fault {key!r}")  # pragma: no cover - guarded by update()


# ---------------------------------------------------------------- rate limits


class SlidingWindow:
    """At most ``limit`` events in any ``window`` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.events: deque[float] = deque()

    def wait_needed(self, now: float) -> float:
        """Seconds until one more event fits (0 if it fits now)."""
        while self.events and self.events[0] <= now - self.window:
            self.events.popleft()
        if len(self.events) < self.limit:
            return 0.0
        return self.events[len(self.events) - self.limit] + self.window - now

    def record(self, now: float) -> None:
        self.events.append(now)


# ---------------------------------------------------------------- Octopia orders


class OrderRec:
    """One order: its document, its cached JSON bytes and its filter keys."""

    __slots__ = (
        "_bytes",
        "address",
        "cancel_by",
        "channel",
        "countries",
        "created",
        "doc",
        "modes",
        "order_id",
        "purchased",
        "reference",
        "seller_id",
        "shipped_max",
        "status",
        "updated",
    )

    def __init__(self, seller_id: str, new: NewOrder) -> None:
        self.seller_id = seller_id
        self.doc = new.doc
        #: the shipping address the lines get once the order is accepted
        self.address = new.address
        #: line id -> who started its cancellation request ("customer", "seller",
        #: "sales_channel"); kept here, never in the document. A CancelRequest line
        #: missing from it counts as started by the customer.
        self.cancel_by: dict[str, str] = dict(new.cancel_by)
        self._bytes: bytes | None = None
        self.reindex()

    def reindex(self) -> None:
        d = self.doc
        self._bytes = None
        self.order_id = d["orderId"]
        self.reference = d.get("reference") or ""
        self.status = d["status"]
        self.channel = d["salesChannel"]["id"]
        self.created = d["createdAt"]
        self.updated = d["updatedAt"]
        self.purchased = d.get("purchasedAt") or ""
        self.shipped_max = d.get("shippedAtMax") or ""
        self.countries = frozenset(
            ln["shippingAddress"]["countryCode"] for ln in d["lines"] if ln.get("shippingAddress")
        )
        self.modes = frozenset(ln["offer"]["supplyMode"] for ln in d["lines"])

    @property
    def json(self) -> bytes:
        if self._bytes is None:
            self._bytes = orjson.dumps(self.doc)
        return self._bytes


SORT_KEYS: dict[str, str] = {
    "createdat": "created",
    "updatedat": "updated",
    "purchasedat": "purchased",
    "shippedatmax": "shipped_max",
    "reference": "reference",
    "orderid": "order_id",
}


@dataclass(frozen=True)
class OrderQuery:
    """Normalised ``GET /orders`` filters (dates as comparable ``...Z`` strings)."""

    statuses: tuple[str, ...] = ()
    reference: str | None = None
    channels: tuple[str, ...] = ()
    country: str | None = None
    supply_mode: str | None = None
    created_min: str | None = None
    created_max: str | None = None
    updated_min: str | None = None
    updated_max: str | None = None
    shipped_min: str | None = None
    shipped_max: str | None = None
    sort: str = "created"
    desc: bool = False

    def matches(self, r: OrderRec) -> bool:
        return (
            (not self.statuses or r.status in self.statuses)
            and (self.reference is None or r.reference == self.reference)
            and (not self.channels or r.channel in self.channels)
            and (self.country is None or self.country in r.countries)
            and (self.supply_mode is None or self.supply_mode in r.modes)
            and (self.created_min is None or r.created >= self.created_min)
            and (self.created_max is None or r.created <= self.created_max)
            and (self.updated_min is None or r.updated >= self.updated_min)
            and (self.updated_max is None or r.updated <= self.updated_max)
            and (self.shipped_min is None or r.shipped_max >= self.shipped_min)
            and (self.shipped_max is None or r.shipped_max <= self.shipped_max)
        )


@dataclass
class Token:
    client_id: str
    #: the sellers this token may act for
    sellers: frozenset[str]
    expires_at: datetime


# ---------------------------------------------------------------- Sendcloud shipments

TRACKING_STAGES = [
    ("announced", "info", "The shipment has been announced to the carrier."),
    ("accepted", "success", "Parcel has been accepted by the carrier."),
    ("in_transit", "success", "Parcel is in transit."),
    ("out_for_delivery", "success", "Parcel is out for delivery."),
    ("delivered", "success", "Parcel has been delivered."),
]
STAGE_STATUS = [
    ("READY_TO_SEND", "Ready to send"),
    ("IN_TRANSIT", "In transit"),
    ("IN_TRANSIT", "In transit"),
    ("OUT_FOR_DELIVERY", "Out for delivery"),
    ("DELIVERED", "Delivered"),
]
CANCEL_WINDOW = timedelta(days=42)
QUEUED_CANCEL_DELAY = timedelta(days=14)


@dataclass
class ParcelRec:
    id: int
    weight: Decimal
    items: list[Any]
    tracking_number: str | None
    tracking_url: str | None
    announced_at: datetime | None
    failure: str | None = None


@dataclass
class ShipmentRec:
    id: str
    api_key: str
    external_reference_id: str | None
    order_number: str | None
    option: ShippingOptionDef
    to_address: dict[str, Any]
    from_address: dict[str, Any]
    total_order_price: Any
    mime_type: str
    dpi: int
    created_at: datetime
    parcels: list[ParcelRec]
    cancel_requested_at: datetime | None = None
    cancel_queued: bool = False
    label_files: dict[str, bytes] = field(default_factory=dict)
    #: the relay point of a service-point option (``to_service_point``), else None
    service_point: ServicePoint | None = None
    #: ``customs_information`` as posted, when the destination needs customs
    customs_information: dict[str, Any] | None = None

    @property
    def has_customs(self) -> bool:
        return self.customs_information is not None

    @property
    def failed(self) -> bool:
        return any(p.failure for p in self.parcels)
