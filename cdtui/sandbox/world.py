"""The sandbox's in-memory world: orders, tokens, Sendcloud shipments, limits, faults.

One ``World`` is shared by the HTTP handlers (on the server thread) and by tests (on
their own thread), so every read-modify-write holds ``world.lock``. Time comes from an
injected clock plus an offset that ``advance()`` moves, so tests can age tokens and
tracking without sleeping. Rate limits use real monotonic time: they are about how
fast a client really calls.
"""

from __future__ import annotations

import random
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from cdtui.sandbox import catalogue, data, vocab
from cdtui.sandbox.catalogue import SC_CARRIERS
from cdtui.sandbox.data import SELLERS, stamp
from cdtui.sandbox.factory import NewOrder, OrderFactory
from cdtui.sandbox.records import (
    QUEUED_CANCEL_DELAY,
    STAGE_STATUS,
    TRACKING_STAGES,
    Faults,
    OrderQuery,
    OrderRec,
    ParcelRec,
    ShipmentRec,
    SlidingWindow,
    Token,
)
from cdtui.sandbox.seeding import seed_orders

# ---------------------------------------------------------------- the world


class World:
    """Everything the sandbox knows; see the module docstring for threading and time."""

    def __init__(
        self,
        orders: int = 500,
        seed: int = 0,
        *,
        clock: Callable[[], datetime] | None = None,
        second_seller_orders: int | None = None,
        token_ttl: int = 7200,
        tracking_step_seconds: float = 120,
        write_limit_per_minute: int = 100,
        write_burst_per_second: int = 15,
        read_limit_per_minute: int = 1000,
        new_order_every: float | None = None,
        latency_ms: int = 0,
        monotonic: Callable[[], float] = time.monotonic,
        showcase: bool | None = None,
    ) -> None:
        if orders < 0:
            raise ValueError("orders must be ≥ 0")
        self.lock = threading.RLock()
        self.seed = seed
        self._clock = clock or (lambda: datetime.now(UTC))
        self._offset = timedelta()
        self.monotonic = monotonic
        self.token_ttl = token_ttl
        self.tracking_step_seconds = tracking_step_seconds
        self.write_limit_per_minute = write_limit_per_minute
        self.write_burst_per_second = write_burst_per_second
        self.read_limit_per_minute = read_limit_per_minute
        self.new_order_every = new_order_every
        self.faults = Faults(latency_ms=latency_ms)
        self.fault_rng = random.Random(seed * 7919 + 1)
        self.stats: Counter[str] = Counter()
        #: label downloads per parcel id (GET .../documents/label and the bulk route);
        #: their total is ``stats["label_downloads"]``
        self.label_downloads: Counter[int] = Counter()
        #: every POST /orders/{id}/shipments that reached the rules: (order_id, body)
        self.shipment_posts: list[tuple[str, Any]] = []
        #: every approval-status POST that reached the rules: (order_id, body)
        self.approval_posts: list[tuple[str, Any]] = []
        self.tokens: dict[str, Token] = {}
        self.shipments: dict[str, ShipmentRec] = {}
        self._by_reference_id: dict[str, ShipmentRec] = {}
        self._by_parcel: dict[int, tuple[ShipmentRec, ParcelRec]] = {}
        self._by_tracking: dict[str, tuple[ShipmentRec, ParcelRec]] = {}
        self._sc_rng = random.Random(seed * 7919 + 2)
        self._next_parcel_id = 383707309
        self._limits: dict[tuple[str, str], SlidingWindow] = {}
        self._trace = 0

        self._orders: dict[str, OrderRec] = {}
        self._by_seller: dict[str, list[OrderRec]] = {s: [] for s in SELLERS}
        self._query_cache: dict[tuple[str, OrderQuery], list[OrderRec]] = {}
        self._factory = OrderFactory(random.Random(seed), random.Random(seed * 7919 + 3))
        #: showcase kind (``seeding.SHOWCASE_KINDS``) -> order id of the main seller
        self.showcase: dict[str, str] = {}
        now = self.now()
        plan = {
            data.SELLER_ID: orders,
            data.SECOND_SELLER_ID: orders // 10
            if second_seller_orders is None
            else second_seller_orders,
        }
        for seller_id, n in plan.items():
            cases = None
            if seller_id == data.SELLER_ID and showcase is not False:
                cases = OrderFactory(
                    random.Random(seed * 7919 + 4),
                    random.Random(seed * 7919 + 5),
                    used_ids=self._factory.used_ids,
                )
            for new in seed_orders(
                self._factory,
                SELLERS[seller_id],
                n,
                now,
                showcase=cases,
                force_showcase=bool(showcase),
            ):
                rec = self._insert(seller_id, new)
                if new.kind:
                    self.showcase[new.kind] = rec.order_id
        for rec in self._orders.values():  # serialise once now, not during the first sync
            _ = rec.json
        self._last_arrival = now

    # ---- time

    def now(self) -> datetime:
        return (self._clock() + self._offset).replace(microsecond=0)

    def advance(self, seconds: float) -> None:
        """Move the world's clock forward (tokens expire, tracking moves on)."""
        with self.lock:
            self._offset += timedelta(seconds=seconds)

    def trace_id(self) -> str:
        with self.lock:
            self._trace += 1
            return f"00-{self.seed:08x}{self._trace:024x}-{self._trace:016x}-01"

    # ---- fault rolls

    def roll(self, probability: float) -> bool:
        if probability <= 0:
            return False
        with self.lock:
            return self.fault_rng.random() < probability

    def take_forced_failure(self, api: str) -> int | None:
        """The status of a scripted failure for this call (``fail_next``), if any."""
        with self.lock:
            f = self.faults
            if f.fail_next > 0 and f.fail_api in (api, "any"):
                f.fail_next -= 1
                return f.fail_status
        return None

    # ---- rate limits (Sendcloud, per API key)

    def rate_limit(self, api_key: str, method: str) -> float | None:
        """None if the call may proceed (and is counted), else seconds to wait."""
        now = self.monotonic()
        with self.lock:
            if method in ("GET", "HEAD", "OPTIONS"):
                windows = [self._window(api_key, "read", self.read_limit_per_minute, 60)]
            else:
                windows = [
                    self._window(api_key, "write", self.write_limit_per_minute, 60),
                    self._window(api_key, "burst", self.write_burst_per_second, 1),
                ]
            wait = max(w.wait_needed(now) for w in windows)
            if wait > 0:
                self.stats["429"] += 1
                self.stats["rate_limited"] += 1
                return wait
            for w in windows:
                w.record(now)
            return None

    def _window(self, key: str, kind: str, limit: int, span: float) -> SlidingWindow:
        w = self._limits.get((key, kind))
        if w is None or w.limit != limit:
            w = self._limits[(key, kind)] = SlidingWindow(limit, span)
        return w

    # ---- Octopia tokens

    def issue_token(self, client_id: str, sellers: Iterable[str]) -> tuple[str, Token]:
        """A new bearer token (value, record) valid for ``token_ttl`` seconds."""
        with self.lock:
            now = self.now()
            if len(self.tokens) > 1000:
                self.tokens = {k: t for k, t in self.tokens.items() if t.expires_at > now}
            token = Token(client_id, frozenset(sellers), now + timedelta(seconds=self.token_ttl))
            value = secrets.token_urlsafe(24)
            self.tokens[value] = token
            self.stats["tokens"] += 1
            return value, token

    def valid_token(self, value: str) -> Token | None:
        with self.lock:
            token = self.tokens.get(value)
            if token is None or token.expires_at <= self.now():
                return None
            return token

    # ---- orders: reading

    def _insert(self, seller_id: str, new: NewOrder) -> OrderRec:
        rec = OrderRec(seller_id, new)
        self._orders[rec.order_id] = rec
        self._by_seller.setdefault(seller_id, []).append(rec)
        return rec

    def tick(self) -> None:
        """Let time-driven things happen: new orders arriving (``new_order_every``)."""
        every = self.new_order_every
        if not every:
            return
        with self.lock:
            now = self.now()
            due = int((now - self._last_arrival).total_seconds() // every)
            if due <= 0:
                return
            self._last_arrival += timedelta(seconds=due * every)
            self.add_orders(min(due, 50))

    def query(self, seller_id: str, q: OrderQuery) -> list[OrderRec]:
        """Matching orders in the query's order; cached until any order changes."""
        with self.lock:
            key = (seller_id, q)
            hit = self._query_cache.get(key)
            if hit is not None:
                return hit
            attr = q.sort
            rows = [r for r in self._by_seller.get(seller_id, []) if q.matches(r)]
            rows.sort(key=lambda r: (getattr(r, attr), r.order_id), reverse=q.desc)
            if len(self._query_cache) > 256:
                self._query_cache.clear()
            self._query_cache[key] = rows
            return rows

    def order_rec(self, order_id: str, seller_id: str | None = None) -> OrderRec | None:
        with self.lock:
            rec = self._orders.get(order_id)
            if rec is None or (seller_id is not None and rec.seller_id != seller_id):
                return None
            return rec

    def order(self, order_id: str) -> dict[str, Any]:
        """A copy of an order document (KeyError if unknown)."""
        with self.lock:
            return orjson.loads(self._orders[order_id].json)

    def orders(self, seller_id: str = data.SELLER_ID) -> list[dict[str, Any]]:
        """Copies of a seller's order documents."""
        with self.lock:
            return [orjson.loads(r.json) for r in self._by_seller.get(seller_id, [])]

    def order_ids(self, seller_id: str = data.SELLER_ID, *, status: str | None = None) -> list[str]:
        with self.lock:
            return [
                r.order_id
                for r in self._by_seller.get(seller_id, [])
                if status is None or r.status == status
            ]

    def ready_order_ids(self, seller_id: str = data.SELLER_ID) -> list[str]:
        """Orders ready to ship by the merchant (InPreparation with a Seller line)."""
        with self.lock:
            return [
                r.order_id
                for r in self._by_seller.get(seller_id, [])
                if r.status == "InPreparation"
                and any(
                    ln["status"] == "InPreparation" and ln["offer"]["supplyMode"] == "Seller"
                    for ln in r.doc["lines"]
                )
            ]

    # ---- orders: changing

    def changed(self, rec: OrderRec) -> None:
        """Call after editing ``rec.doc``: stamps updatedAt and refreshes the indexes."""
        with self.lock:
            rec.doc["updatedAt"] = stamp(self.now())
            rec.reindex()
            self._query_cache.clear()

    def update_order(self, order_id: str, fn: Callable[[dict[str, Any]], None]) -> None:
        """Edit an order document in place (for tests); updatedAt becomes now."""
        with self.lock:
            rec = self._orders[order_id]
            fn(rec.doc)
            self.changed(rec)

    def add_orders(
        self,
        count: int = 1,
        *,
        seller_id: str = data.SELLER_ID,
        status: str = "InPreparation",
        channel: str | None = None,
        country: str | None = None,
        fail: bool = False,
        mode: str | None = None,
    ) -> list[str]:
        """New orders created now (the customer just bought); returns their ids.

        ``mode`` fixes ``lines[].delivery.mode`` (``data.RELAY_MODE`` gives a relay
        point of ``catalogue.RELAY_NETWORK`` in the destination country)."""
        if seller_id not in SELLERS:
            raise ValueError(f"unknown seller {seller_id}")
        if status not in data.ORDER_STATUSES:
            raise ValueError(f"unknown status {status}")
        if channel is not None and channel not in data.CHANNELS:
            raise ValueError(f"unknown sales channel {channel}")
        if country is not None and country not in vocab.CITIES:
            raise ValueError(f"no addresses for country {country}")
        if mode is not None and mode not in data.DELIVERY_MODES:
            raise ValueError(f"unknown delivery mode {mode}")
        if mode == data.RELAY_MODE:
            if country is None:
                country = "FR"
            if country not in catalogue.SERVICE_POINT_NETWORKS[catalogue.RELAY_NETWORK]:
                raise ValueError(f"no relay points in {country}")
        with self.lock:
            now = self.now()
            info = SELLERS[seller_id]
            ids = []
            for _ in range(count):
                new = self._factory.order(
                    seller_id,
                    now,
                    status=status,
                    channel=channel,
                    country=country,
                    created=now,
                    fail=fail,
                    allowed_channels=info.channels or None,
                    mode=mode,
                )
                new.doc["updatedAt"] = stamp(now)
                ids.append(self._insert(seller_id, new).order_id)
            self._query_cache.clear()
            return ids

    def cancel_order(self, order_id: str) -> dict[str, Any]:
        """The customer cancels: the order and its lines become Cancelled."""
        with self.lock:
            rec = self._orders[order_id]
            rec.doc["status"] = "Cancelled"
            for ln in rec.doc["lines"]:
                ln["status"] = "Cancelled"
            self.changed(rec)
            return orjson.loads(rec.json)

    def request_cancellation(
        self, order_id: str, line_id: str, by: str = "customer"
    ) -> dict[str, Any]:
        """A line of an InPreparation order moves to CancelRequest, started by ``by``
        ("customer", "seller" or "sales_channel"); returns the order document."""
        if by not in data.CANCEL_INITIATORS:
            raise ValueError(f"by must be one of {', '.join(data.CANCEL_INITIATORS)}")
        with self.lock:
            rec = self._orders[order_id]
            line = next(ln for ln in rec.doc["lines"] if ln["orderLineId"] == line_id)
            line["status"] = "CancelRequest"
            rec.cancel_by[line_id] = by
            self.changed(rec)
            return orjson.loads(rec.json)

    def cancel_initiator(self, order_id: str, line_id: str) -> str | None:
        """Who started the cancellation request of a CancelRequest line (else None)."""
        with self.lock:
            rec = self._orders[order_id]
            line = next(ln for ln in rec.doc["lines"] if ln["orderLineId"] == line_id)
            if line["status"] != "CancelRequest":
                return None
            return rec.cancel_by.get(line_id, "customer")

    def accept_order(self, rec: OrderRec, accepted: bool) -> None:
        """Cdiscount approval: Accepted → InPreparation with addresses; else Refused."""
        with self.lock:
            new_status = "InPreparation" if accepted else "Refused"
            rec.doc["status"] = new_status
            for ln in rec.doc["lines"]:
                ln["status"] = new_status
                if accepted:
                    ln["shippingAddress"] = dict(rec.address)
            self.changed(rec)

    # ---- Sendcloud shipments

    def new_shipment_id(self) -> str:
        return str(uuid.UUID(int=self._sc_rng.getrandbits(128), version=4))

    def new_parcel_id(self) -> int:
        self._next_parcel_id += 1
        return self._next_parcel_id

    def new_tracking_number(self, carrier_code: str) -> str:
        c = SC_CARRIERS[carrier_code]
        while True:
            digits = "".join(self._sc_rng.choices("0123456789", k=c.tracking_digits))
            number = f"{c.tracking_prefix}{digits}{c.tracking_suffix}"
            if number not in self._by_tracking:
                return number

    def add_shipment(self, s: ShipmentRec) -> None:
        with self.lock:
            self.shipments[s.id] = s
            if s.external_reference_id:
                self._by_reference_id[s.external_reference_id] = s
            for p in s.parcels:
                self._by_parcel[p.id] = (s, p)
                if p.tracking_number:
                    self._by_tracking[p.tracking_number] = (s, p)

    def shipment_by_reference(self, api_key: str, ref: str) -> ShipmentRec | None:
        s = self._by_reference_id.get(ref)
        return s if s is not None and s.api_key == api_key else None

    def parcel(self, api_key: str, parcel_id: int) -> tuple[ShipmentRec, ParcelRec] | None:
        hit = self._by_parcel.get(parcel_id)
        return hit if hit is not None and hit[0].api_key == api_key else None

    def parcel_by_tracking(self, api_key: str, number: str) -> tuple[ShipmentRec, ParcelRec] | None:
        hit = self._by_tracking.get(number)
        return hit if hit is not None and hit[0].api_key == api_key else None

    def stage(self, p: ParcelRec, until: datetime | None = None) -> int:
        """Tracking stage reached (0 announced … 4 delivered) at ``until`` (default now)."""
        if p.announced_at is None:
            return -1
        elapsed = ((until or self.now()) - p.announced_at).total_seconds()
        step = max(self.tracking_step_seconds, 0.001)
        return max(0, min(len(TRACKING_STAGES) - 1, int(elapsed // step)))

    def cancel_state(self, s: ShipmentRec) -> str | None:
        """None, "queued" (cancellation watched) or "cancelled"."""
        if s.cancel_requested_at is None:
            return None
        if s.cancel_queued and self.now() < s.cancel_requested_at + QUEUED_CANCEL_DELAY:
            return "queued"
        return "cancelled"

    def parcel_status(self, s: ShipmentRec, p: ParcelRec) -> tuple[str, str]:
        if p.failure:
            return "ANNOUNCEMENT_FAILED", "Announcement failed"
        state = self.cancel_state(s)
        if state == "cancelled":
            return "CANCELLED", "Cancelled"
        if state == "queued":
            return "CANCELLATION_REQUESTED", "Cancellation requested"
        return STAGE_STATUS[self.stage(p)]

    def tracking_events(self, s: ShipmentRec, p: ParcelRec) -> list[dict[str, Any]]:
        """Events so far: one per stage reached; frozen when a cancellation was asked."""
        if p.announced_at is None:
            return []
        until = self.now()
        if s.cancel_requested_at is not None:
            until = min(until, s.cancel_requested_at)
        step = timedelta(seconds=self.tracking_step_seconds)
        events = []
        for i in range(self.stage(p, until) + 1):
            code, kind, text = TRACKING_STAGES[i]
            events.append(
                {
                    "event_at": stamp(p.announced_at + i * step),
                    "event_type": "carrier" if i else "shipment",
                    "status_code": code,
                    "sub_status_code": "none",
                    "status_type": kind,
                    "status_description": text,
                }
            )
        if s.cancel_requested_at is not None:
            events.append(
                {
                    "event_at": stamp(s.cancel_requested_at),
                    "event_type": "shipment",
                    "status_code": "cancelled",
                    "sub_status_code": "none",
                    "status_type": "warning",
                    "status_description": "The shipment has been cancelled.",
                }
            )
        return events

    # ---- inspection

    def state(self) -> dict[str, Any]:
        """Counts for ``GET /_sandbox/state`` and for tests."""
        with self.lock:
            per_seller = {}
            for seller_id, recs in self._by_seller.items():
                per_seller[seller_id] = {
                    "orders": len(recs),
                    "by_status": dict(Counter(r.status for r in recs)),
                    "ready_to_ship": len(self.ready_order_ids(seller_id)),
                }
            return {
                "now": stamp(self.now()),
                "sellers": per_seller,
                "shipment_posts": len(self.shipment_posts),
                "approval_posts": len(self.approval_posts),
                "sendcloud_shipments": len(self.shipments),
                "sendcloud_failed": sum(1 for s in self.shipments.values() if s.failed),
                "stats": dict(self.stats),
                "showcase": dict(self.showcase),
                "faults": self.faults.as_dict(),
            }
