"""Label purchase internals: weight and option, the claim, the purchase, the push.

The safety rules, in the order a label goes through them:

1. **Claim** — the order is marked ``label_pending`` in the store (``LabelClaim``) under
   the store's inter-process lock *before* anything is bought, so a second process (or a
   second click) sees the claim and stops.
2. **Idempotent purchase** — the announce carries the order's deterministic
   ``external_reference_id``; a retry or a restart finds the shipment already bought
   (Sendcloud answers 409 with it, or a lookup finds it) instead of buying another.
3. **Persist, then act** — the label and its tracking update (``TrackingPush``, pending)
   are saved in one store write before the file is written and the update is sent.
4. **Reconcile** — a claim whose owner died (same host, process gone) or that is old is
   checked against Sendcloud before anything else happens to the order: the shipment is
   adopted if it exists, else the claim is released.

The claim doubles as a lease while a tracking update is being sent, so two processes
never post the same update at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shlex
import socket
import subprocess
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cdtui.errors import (
    AnnouncementFailed,
    BadCredentials,
    CdtuiError,
    ConfigError,
    DelegationMissing,
    NotFound,
    Rejected,
    TimedOut,
    Unavailable,
    UsageError,
)
from cdtui.models import (
    Address,
    Carrier,
    LabelClaim,
    LabelInfo,
    OrderLine,
    OrderRecord,
    Parcel,
    PushStatus,
    Shipment,
    ShippingOption,
    State,
    TrackingPush,
    carrier_key,
    derive_state,
)

if TYPE_CHECKING:
    from cdtui.engine import Engine
    from cdtui.models import Integration

log = logging.getLogger(__name__)

HOST = socket.gethostname()
#: a claim older than this is stale whoever holds it (a label takes seconds)
CLAIM_MAX_AGE = timedelta(minutes=10)
#: first retry delay of a tracking update after a transient failure; doubles each time
PUSH_BACKOFF_BASE = timedelta(seconds=30)
PUSH_BACKOFF_MAX = timedelta(hours=1)
#: owner prefix of a claim given up by a process that could not tell the outcome
ABANDONED = "abandoned"
FAILED_PARCEL = "ANNOUNCEMENT_FAILED"
MAX_WEIGHT_KG = Decimal(1000)
PRINT_TIMEOUT_S = 60
_UNREACHABLE = (Unavailable, TimedOut, DelegationMissing, BadCredentials)


@dataclass
class LabelOutcome:
    order_id: str
    ok: bool
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    label_path: str | None = None
    tracking_sent: bool = False
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "ok": self.ok,
            "carrier": self.carrier,
            "tracking_number": self.tracking_number,
            "tracking_url": self.tracking_url,
            "label_path": self.label_path,
            "tracking_sent": self.tracking_sent,
            "error": self.error,
        }


@dataclass
class PushResult:
    """What one attempt at sending a tracking update did."""

    status: PushStatus | None  # None: skipped (not due, or being sent elsewhere)
    error: str | None = None
    #: Octopia could not be reached: the other updates may as well wait
    unreachable: bool = False


class CarrierUnmapped(CdtuiError):
    """A Sendcloud carrier has no Octopia carrier label (``carrier_map`` needed)."""


class _Skip(Exception):
    """Raised inside a store update to abort it without writing."""


# ---------------------------------------------------------------- claims


def new_owner() -> str:
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return False
    return True


def claim_is_live(claim: LabelClaim, *, now: datetime, me: str) -> bool:
    """Whether the claim's holder may still be working on the order.

    Mine: live. Abandoned or older than ``CLAIM_MAX_AGE``: stale. Same host: live while
    the holder's process exists. Another host: live until it is old.
    """
    if claim.owner == me:
        return True
    if claim.owner.startswith(ABANDONED) or now - claim.at > CLAIM_MAX_AGE:
        return False
    host, _, rest = claim.owner.rpartition(":")[0].rpartition(":")
    if not host:
        return False
    try:
        pid = int(rest)
    except ValueError:
        return False
    if host != HOST:
        return True
    return _pid_alive(pid)


def _same_claim(a: LabelClaim | None, b: LabelClaim | None) -> bool:
    return a is not None and b is not None and a.owner == b.owner and a.at == b.at


# ---------------------------------------------------------------- pure helpers


def parse_weight(value: str | Decimal | float) -> Decimal:
    """A weight in kg from user input: positive, at most 1000, three decimals."""
    try:
        weight = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise UsageError(f"The weight {str(value)!r} is not a number of kilograms.") from None
    if not weight.is_finite() or weight <= 0 or weight > MAX_WEIGHT_KG:
        raise UsageError(f"The weight must be more than 0 and at most {MAX_WEIGHT_KG} kg.")
    return weight.quantize(Decimal("0.001"))


def shipped_lines(rec: OrderRecord) -> list[OrderLine]:
    """Lines the label covers: the merchant's own lines that are ready to ship."""
    return rec.order.shippable_lines


def label_weight(rec: OrderRecord, integ: Integration, default: Decimal) -> Decimal:
    """Per-SKU table when every shipped line's SKU has a weight, else the defaults."""
    lines = shipped_lines(rec)
    if lines and integ.sku_weights:
        weights = [integ.sku_weights.get(ln.sku or "") for ln in lines]
        if all(w is not None for w in weights):
            total = sum(
                (Decimal(w) * ln.quantity for w, ln in zip(weights, lines, strict=True)),
                Decimal(0),
            )
            if total > 0:
                return total.quantize(Decimal("0.001"))
    if integ.default_weight_kg is not None:
        return Decimal(integ.default_weight_kg)
    return Decimal(default)


_HOUSE_FIRST = re.compile(r"^\s*(\d+[A-Za-z]?(?:\s*(?:bis|ter))?)\b", re.IGNORECASE)
_HOUSE_LAST = re.compile(r"\b(\d+[A-Za-z]?)\s*$")


def house_number(line: str) -> str | None:
    """The house number of an address line (``12 rue …`` or ``Hauptstraße 12``), ≤ 8 chars."""
    m = _HOUSE_FIRST.match(line) or _HOUSE_LAST.search(line)
    return m.group(1).replace(" ", "")[:8] if m else None


def destination(rec: OrderRecord) -> Address:
    """The shipping address, or a clear error naming what the order lacks."""
    addr = rec.order.shipping_address
    if addr is None:
        raise CdtuiError(f"Order {rec.reference} has no shipping address yet.")
    missing = [
        label
        for label, value in (
            ("name", addr.name or addr.company_name),
            ("address line", addr.address_line1),
            ("postal code", addr.postal_code),
            ("city", addr.city),
            ("country", addr.country_code),
        )
        if not (value or "").strip()
    ]
    if missing:
        raise CdtuiError(
            f"The shipping address of order {rec.reference} lacks: {', '.join(missing)}."
        )
    return addr


def _money(value: Decimal | None, currency: str) -> dict[str, str] | None:
    if value is None:
        return None
    return {"value": f"{Decimal(value):.2f}", "currency": currency}


def build_announce_payload(
    rec: OrderRecord,
    *,
    option_code: str,
    weight_kg: Decimal,
    sender_address_id: int,
    label_format: str,
    external_reference_id: str,
) -> dict[str, Any]:
    """The ``POST /shipments/announce`` body for one parcel holding the shipped lines."""
    addr = destination(rec)
    currency = rec.order.currency_code or "EUR"
    line1 = (addr.address_line1 or "").strip()
    extra = " ".join(p.strip() for p in (addr.address_line2, addr.address_line3) if p and p.strip())
    to_address: dict[str, Any] = {
        "name": (addr.name or addr.company_name or "").strip(),
        "address_line_1": line1,
        "postal_code": (addr.postal_code or "").strip(),
        "city": (addr.city or "").strip(),
        "country_code": (addr.country_code or "").strip().upper(),
    }
    optional = {
        "company_name": addr.company_name,
        "address_line_2": extra or None,
        "house_number": house_number(line1),
        "phone_number": addr.phone,
        "email": addr.email,
    }
    to_address.update({k: v for k, v in optional.items() if v})
    items = []
    for ln in shipped_lines(rec):
        item: dict[str, Any] = {
            "description": (ln.offer.product_title or ln.sku or "Item")[:255],
            "quantity": max(1, ln.quantity),
        }
        if ln.sku:
            item["sku"] = ln.sku
        price = _money(ln.selling_price.unit_sales_price, currency)
        if price:
            item["price"] = price
        items.append(item)
    payload: dict[str, Any] = {
        "to_address": to_address,
        "from_address": {"sender_address_id": sender_address_id},
        "ship_with": {
            "type": "shipping_option_code",
            "properties": {"shipping_option_code": option_code},
        },
        "order_number": rec.reference,
        "external_reference_id": external_reference_id,
        "parcels": [
            {
                "weight": {"value": f"{weight_kg:.3f}", "unit": "kg"},
                "parcel_items": items,
            }
        ],
        "label_details": {
            "mime_type": "application/zpl" if label_format == "zpl" else "application/pdf",
            "dpi": 203 if label_format == "zpl" else 72,
        },
    }
    total = _money(rec.order.total_price.selling_price, currency)
    if total:
        payload["total_order_price"] = total
    return payload


def backoff(attempts: int) -> timedelta:
    """Delay before the next try of a tracking update that failed ``attempts`` times."""
    doublings = min(max(0, attempts - 1), 20)
    return min(PUSH_BACKOFF_BASE * (2**doublings), PUSH_BACKOFF_MAX)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def label_filename(rec: OrderRecord, tracking_number: str | None, fmt: str) -> str:
    ref = _UNSAFE.sub("_", rec.reference).strip("._") or rec.order_id
    tn = _UNSAFE.sub("_", tracking_number or "label").strip("._")
    return f"{ref}-{tn}.{fmt}"


def write_file_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def print_file(print_command: str, path: Path) -> None:
    """Run the print command with the file as its last argument, never via a shell."""
    try:
        argv = [*shlex.split(print_command), str(path)]
    except ValueError as exc:
        raise ConfigError(f"The print command cannot be read: {exc}.") from None
    try:
        done = subprocess.run(
            argv, check=False, capture_output=True, timeout=PRINT_TIMEOUT_S, shell=False
        )
    except FileNotFoundError:
        raise CdtuiError(f"The print command {argv[0]!r} was not found.") from None
    except subprocess.TimeoutExpired:
        raise CdtuiError(f"The print command did not finish within {PRINT_TIMEOUT_S} s.") from None
    except OSError as exc:
        raise CdtuiError(f"The print command could not run: {exc.strerror or exc}.") from None
    if done.returncode != 0:
        raise CdtuiError(f"The print command failed (exit status {done.returncode}).")


def _mark_parcel_on_lines(rec: OrderRecord, push: TrackingPush) -> None:
    """Reflect a confirmed push in the local copy of the order until the next import."""
    parcel = Parcel(
        parcel_number=push.parcel_number,
        carrier_name=push.carrier_name,
        tracking_url=push.tracking_url,
    )
    for ln in rec.order.lines:
        if ln.order_line_id in push.line_ids and not any(
            p.parcel_number == push.parcel_number for p in ln.parcels
        ):
            ln.parcels.append(parcel)


# ---------------------------------------------------------------- service


class LabelService:
    """Label work for one Engine (its settings, store, clients, clock and identity)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._carriers: dict[str, tuple[datetime, list[Carrier]]] = {}
        #: shipping options cached during a bulk run, keyed by route and weight
        self.option_cache: dict[tuple[str, str, str, str], list[ShippingOption]] | None = None

    # ---- shortcuts

    @property
    def store(self):  # type: ignore[no-untyped-def]
        return self.engine.store

    @property
    def settings(self):  # type: ignore[no-untyped-def]
        return self.engine.settings

    def now(self) -> datetime:
        return self.engine.clock()

    @property
    def me(self) -> str:
        return self.engine.owner

    # ---- choices

    async def shipping_options(self, rec: OrderRecord, weight: Decimal) -> list[ShippingOption]:
        addr = destination(rec)
        country = (addr.country_code or "").upper()
        postal = (addr.postal_code or "").strip()
        key = (country, postal[:2], f"{weight:.3f}", self.settings.sender_country)
        if self.option_cache is not None and key in self.option_cache:
            return self.option_cache[key]
        options = await self.engine.sendcloud.shipping_options(
            from_country=self.settings.sender_country,
            from_postal_code=self.settings.sender_postal_code,
            to_country=country,
            to_postal_code=postal or None,
            weight_kg=weight,
        )
        if self.option_cache is not None:
            self.option_cache[key] = options
        return options

    async def choose_option(self, rec: OrderRecord, integ: Integration, weight: Decimal) -> str:
        """The integration default if it serves this parcel, else the cheapest option."""
        options = await self.shipping_options(rec, weight)
        if not options:
            addr = destination(rec)
            raise CdtuiError(
                f"Sendcloud offers no shipping option to {addr.country_code} "
                f"{addr.postal_code} for {weight} kg."
            )
        preferred = integ.default_shipping_option
        if preferred and any(o.code == preferred for o in options):
            return preferred
        return options[0].code

    # ---- carriers

    async def octopia_carrier(self, integ: Integration, label: LabelInfo) -> str:
        """The Octopia carrier label for a Sendcloud carrier: ``carrier_map``, else by name."""
        names = [n for n in (label.carrier_code, label.carrier_name) if n]
        cmap = self.settings.carrier_map
        folded = {carrier_key(k): v for k, v in cmap.items()}
        for name in names:
            if name in cmap:
                return cmap[name]
            if carrier_key(name) in folded:
                return folded[carrier_key(name)]
        by_key = {c.key: c.label for c in await self._octopia_carriers(integ.seller_id)}
        for name in (label.carrier_name, label.carrier_code):
            if name and carrier_key(name) in by_key:
                return by_key[carrier_key(name)]
        shown = label.carrier_name or label.carrier_code or "unknown"
        raise CarrierUnmapped(
            f"The carrier {shown!r} matches no Octopia carrier: run `cdtui setup "
            f"--carrier-map '{label.carrier_code or shown}=<Octopia carrier label>'`; the "
            "tracking update waits until then."
        )

    async def _octopia_carriers(self, seller_id: str) -> list[Carrier]:
        cached = self._carriers.get(seller_id)
        if cached and self.now() - cached[0] < timedelta(hours=1):
            return cached[1]
        carriers = await self.engine.octopia.carriers(seller_id)
        self._carriers[seller_id] = (self.now(), carriers)
        return carriers

    # ---- create

    async def create_label(
        self,
        order_id: str,
        *,
        shipping_option: str | None = None,
        weight_kg: Decimal | None = None,
    ) -> LabelOutcome:
        if shipping_option is not None:
            shipping_option = shipping_option.strip()
            if not shipping_option:
                raise UsageError("The shipping option code is empty.")
        weight = parse_weight(weight_kg) if weight_kg is not None else None
        rec = self.store.order(order_id)
        if rec.claim is not None:
            left_behind = rec.claim
            # only a purchase nobody is working on any more is ours to finish and report;
            # a live claim's label belongs to the process that holds it
            stale = not claim_is_live(left_behind, now=self.now(), me=self.me)
            rec = await self.reconcile(rec)
            adopted = rec.label
            if (
                stale
                and adopted is not None
                and adopted.external_reference_id == (left_behind.external_reference_id)
            ):
                # an interrupted purchase of this very label: it is done now
                return self.outcome_of(rec)
        state, _ = derive_state(rec)
        if state == State.LABEL_PENDING:
            raise CdtuiError(
                f"Another cdtui is creating the label of order {rec.reference} right now."
            )
        if state != State.TO_SHIP:
            raise UsageError(
                f"Order {rec.reference} is {state.value.replace('_', ' ')}: labels are made "
                f"only for orders to ship."
            )
        integ = self.store.integration(rec.integration_id)
        sender = integ.sender_address_id or self.settings.sender_address_id
        if sender is None:
            raise ConfigError(
                "No Sendcloud sender address is set: run `cdtui setup --sender-address-id N`."
            )
        self.settings.require_sendcloud()
        destination(rec)
        if weight is None:
            weight = label_weight(rec, integ, self.settings.default_weight_kg)
        option = shipping_option or await self.choose_option(rec, integ, weight)
        rec = self._claim(order_id)
        claim = rec.claim
        assert claim is not None
        payload = build_announce_payload(
            rec,
            option_code=option,
            weight_kg=weight,
            sender_address_id=sender,
            label_format=self.settings.label_format,
            external_reference_id=claim.external_reference_id,
        )
        try:
            shipment = await self.engine.sendcloud.announce(payload)
        except AnnouncementFailed as exc:
            self._release(order_id, claim, error=_reason(exc), bump_generation=True)
            raise
        except (Rejected, NotFound, BadCredentials) as exc:
            # refused before anything was bought
            self._release(order_id, claim, error=_reason(exc))
            raise
        except BaseException as exc:
            # outcome unknown: the next reconcile asks Sendcloud
            msg = _reason(exc) if isinstance(exc, CdtuiError) else "interrupted"
            self._abandon(order_id, claim, error=f"Label purchase not confirmed ({msg})")
            raise
        return await self._complete(
            order_id, claim, shipment, option=option, weight=weight, integ=integ
        )

    @staticmethod
    def outcome_of(rec: OrderRecord) -> LabelOutcome:
        """The outcome of a label already in the store."""
        label, push = rec.label, rec.push
        assert label is not None
        return LabelOutcome(
            order_id=rec.order_id,
            ok=True,
            carrier=label.carrier_name,
            tracking_number=label.tracking_number,
            tracking_url=label.tracking_url,
            label_path=label.label_path,
            tracking_sent=push is not None and push.status == PushStatus.SENT,
            error=rec.error,
        )

    def _claim(self, order_id: str) -> OrderRecord:
        now, me = self.now(), self.me

        def take(r: OrderRecord) -> OrderRecord:
            if r.claim is not None and claim_is_live(r.claim, now=now, me=me):
                raise CdtuiError(
                    f"Another cdtui is creating the label of order {r.reference} right now."
                )
            state, _ = derive_state(r.model_copy(update={"claim": None}))
            if state != State.TO_SHIP:
                raise UsageError(
                    f"Order {r.reference} is {state.value.replace('_', ' ')}: labels are made "
                    f"only for orders to ship."
                )
            r.claim = LabelClaim(owner=me, at=now, external_reference_id=r.external_reference_id())
            r.error = None
            return r

        return self.store.update_order(order_id, take)

    def hold(self, order_id: str) -> LabelClaim:
        """Take the order for an operation on its label: no purchase or push meanwhile."""
        now, me = self.now(), self.me
        taken: list[LabelClaim] = []

        def take(r: OrderRecord) -> OrderRecord:
            if r.claim is not None and claim_is_live(r.claim, now=now, me=me):
                raise CdtuiError(
                    f"Order {r.reference} is being worked on by another cdtui; try again "
                    f"in a moment."
                )
            ref = r.label.external_reference_id if r.label else r.external_reference_id()
            r.claim = LabelClaim(owner=me, at=now, external_reference_id=ref)
            taken.append(r.claim)
            return r

        self.store.update_order(order_id, take)
        return taken[0]

    def release(self, order_id: str, claim: LabelClaim) -> None:
        """Give back an order taken with ``hold`` (if nobody took it over)."""
        self._release(order_id, claim)

    def _release(
        self,
        order_id: str,
        claim: LabelClaim,
        *,
        error: str | None = None,
        bump_generation: bool = False,
    ) -> None:
        def release(r: OrderRecord) -> OrderRecord:
            if not _same_claim(r.claim, claim):
                raise _Skip
            r.claim = None
            if error is not None:
                r.error = error
            if bump_generation and (r.label is None or not r.label.active):
                r.label_generation += 1
            return r

        with contextlib.suppress(_Skip):
            self.store.update_order(order_id, release)

    def _abandon(self, order_id: str, claim: LabelClaim, *, error: str) -> None:
        def abandon(r: OrderRecord) -> OrderRecord:
            if not _same_claim(r.claim, claim) or r.claim is None:
                raise _Skip
            r.claim = r.claim.model_copy(update={"owner": f"{ABANDONED}:{claim.owner}"})
            r.error = error
            return r

        try:
            self.store.update_order(order_id, abandon)
        except _Skip:
            pass
        except Exception:  # the process may be dying: the claim goes stale anyway
            log.exception("could not mark the claim of %s abandoned", order_id)

    async def _complete(
        self,
        order_id: str,
        claim: LabelClaim,
        shipment: Shipment,
        *,
        option: str | None,
        weight: Decimal | None,
        integ: Integration,
    ) -> LabelOutcome:
        """Label bought: save it with its pending push, save the file, print, push."""
        now = self.now()
        rec = self.store.order(order_id)
        label = LabelInfo(
            external_reference_id=claim.external_reference_id,
            shipment_id=shipment.shipment_id,
            parcel_id=shipment.parcel_id,
            carrier_code=shipment.carrier_code,
            carrier_name=shipment.carrier_name,
            tracking_number=shipment.tracking_number,
            tracking_url=shipment.tracking_url,
            shipping_option_code=option,
            weight_kg=weight,
            created_at=shipment.announced_at or now,
        )
        path: Path | None = None
        file_error: str | None = None
        if shipment.label_file:
            path = self.settings.labels_path / label_filename(
                rec, label.tracking_number, self.settings.label_format
            )
            try:
                await asyncio.to_thread(write_file_atomically, path, shipment.label_file)
                label.label_path = str(path)
            except OSError as exc:
                file_error = f"The label file could not be saved: {exc.strerror or exc}."
                path = None
        push = None
        if label.tracking_number:
            push = TrackingPush(
                carrier_name=label.carrier_name or label.carrier_code or "",
                parcel_number=label.tracking_number,
                tracking_url=label.tracking_url,
                line_ids=[ln.order_line_id for ln in shipped_lines(rec)],
                created_at=now,
            )

        def save(r: OrderRecord) -> OrderRecord:
            if not _same_claim(r.claim, claim):
                raise CdtuiError(f"The claim on order {r.reference} was taken over.")
            r.label = label
            r.push = push
            r.error = file_error or (
                None if push else "Sendcloud gave no tracking number for this label."
            )
            return r

        self.store.update_order(order_id, save)
        outcome = LabelOutcome(
            order_id=order_id,
            ok=True,
            carrier=label.carrier_name,
            tracking_number=label.tracking_number,
            tracking_url=label.tracking_url,
            label_path=label.label_path,
            error=file_error,
        )
        if path is None and not file_error:
            try:
                path = await self.ensure_label_file(order_id)
                outcome.label_path = str(path)
            except CdtuiError as exc:
                outcome.error = exc.message
        if path is not None and self.settings.print_command:
            try:
                await asyncio.to_thread(print_file, self.settings.print_command, path)
            except CdtuiError as exc:
                outcome.error = exc.message
        if push is None:
            self._release(order_id, claim)
            outcome.error = outcome.error or "Sendcloud gave no tracking number for this label."
            return outcome
        result = await self.send_push(order_id, integ, claim=claim)
        outcome.tracking_sent = result.status == PushStatus.SENT
        if result.error:
            outcome.error = result.error
        return outcome

    # ---- label files

    async def ensure_label_file(self, order_id: str) -> Path:
        """The saved label file, downloaded again if it is missing."""
        rec = self.store.order(order_id)
        label = rec.label
        if label is None or label.shipment_id is None:
            raise UsageError(f"Order {rec.reference} has no label.")
        if label.label_path and await asyncio.to_thread(Path(label.label_path).is_file):
            return Path(label.label_path)
        if not label.parcel_id:
            raise CdtuiError(f"Sendcloud gave no parcel for the label of order {rec.reference}.")
        fmt = self.settings.label_format
        data = await self.engine.sendcloud.label_document(
            label.parcel_id, fmt=fmt, paper_size=self.settings.paper_size
        )
        path = self.settings.labels_path / label_filename(rec, label.tracking_number, fmt)
        try:
            await asyncio.to_thread(write_file_atomically, path, data)
        except OSError as exc:
            raise CdtuiError(f"The label file could not be saved: {exc.strerror or exc}.") from None

        def keep(r: OrderRecord) -> OrderRecord | None:
            if r.label is None or r.label.shipment_id != label.shipment_id:
                return None
            r.label.label_path = str(path)
            if r.error and r.error.startswith("The label file"):
                r.error = None
            return r

        self.store.update_order(order_id, keep)
        return path

    # ---- tracking push

    async def send_push(
        self, order_id: str, integ: Integration, *, claim: LabelClaim | None = None
    ) -> PushResult:
        """Send the order's pending tracking update once (if due and not being sent).

        With ``claim`` the caller already holds the order; otherwise a claim is taken
        for the duration of the call (and released at its end, whatever happens).
        """
        if claim is None:
            try:
                rec, claim = self._take_for_push(order_id)
            except _Skip:
                return PushResult(None)
        else:
            rec = self.store.order(order_id)
        push, label = rec.push, rec.label
        if push is None or label is None or push.status != PushStatus.PENDING:
            self._release(order_id, claim)
            return PushResult(push.status if push else None)
        try:
            carrier = await self.octopia_carrier(integ, label)
        except CarrierUnmapped as exc:
            self._finish_push(order_id, claim, PushStatus.PENDING, error=exc.message, retry=False)
            return PushResult(PushStatus.PENDING, exc.message)
        except BaseException as exc:
            msg = _reason(exc) if isinstance(exc, CdtuiError) else "interrupted"
            self._finish_push(order_id, claim, PushStatus.PENDING, error=msg, retry=True)
            if isinstance(exc, CdtuiError):
                return PushResult(
                    PushStatus.PENDING,
                    f"Tracking update not sent yet (will retry): {msg}",
                    unreachable=isinstance(exc, _UNREACHABLE),
                )
            raise
        try:
            await self.engine.octopia.push_shipment(
                rec.seller_id,
                rec.order_id,
                parcel_number=push.parcel_number,
                carrier_name=carrier,
                tracking_url=push.tracking_url,
                line_ids=push.line_ids,
            )
        except (Rejected, NotFound) as exc:
            msg = _reason(exc)
            self._finish_push(order_id, claim, PushStatus.FAILED, error=msg, carrier=carrier)
            return PushResult(PushStatus.FAILED, f"Tracking update refused by Octopia: {msg}")
        except CdtuiError as exc:
            msg = _reason(exc)
            self._finish_push(order_id, claim, PushStatus.PENDING, error=msg, retry=True)
            return PushResult(
                PushStatus.PENDING,
                f"Tracking update not sent yet (will retry): {msg}",
                unreachable=isinstance(exc, _UNREACHABLE),
            )
        except BaseException:
            self._finish_push(order_id, claim, PushStatus.PENDING, error="interrupted", retry=True)
            raise
        self._finish_push(order_id, claim, PushStatus.SENT, carrier=carrier)
        await self.engine.reread_order(rec)  # the marketplace now shows it shipped
        return PushResult(PushStatus.SENT)

    def _take_for_push(self, order_id: str) -> tuple[OrderRecord, LabelClaim]:
        now, me = self.now(), self.me
        taken: list[LabelClaim] = []

        def take(r: OrderRecord) -> OrderRecord:
            p = r.push
            if p is None or p.status != PushStatus.PENDING or r.label is None:
                raise _Skip
            if p.next_attempt_at is not None and p.next_attempt_at > now:
                raise _Skip
            if r.claim is not None and claim_is_live(r.claim, now=now, me=me):
                raise _Skip
            if r.claim is not None and (r.label is None or not r.label.active):
                raise _Skip  # a purchase to reconcile first
            c = LabelClaim(owner=me, at=now, external_reference_id=r.label.external_reference_id)
            r.claim = c
            taken.append(c)
            return r

        rec = self.store.update_order(order_id, take)
        return rec, taken[0]

    def _finish_push(
        self,
        order_id: str,
        claim: LabelClaim,
        status: PushStatus,
        *,
        error: str | None = None,
        retry: bool = False,
        carrier: str | None = None,
    ) -> None:
        now = self.now()

        def finish(r: OrderRecord) -> OrderRecord:
            if _same_claim(r.claim, claim):
                r.claim = None
            p = r.push
            if p is None or p.status != PushStatus.PENDING:
                return r
            if carrier:
                p.carrier_name = carrier
            p.status = status
            if status == PushStatus.SENT:
                p.attempts += 1
                p.sent_at = now
                p.last_error = None
                p.next_attempt_at = None
                r.error = None
                _mark_parcel_on_lines(r, p)
            elif status == PushStatus.FAILED:
                p.attempts += 1
                p.last_error = error
                r.error = f"Tracking update refused by Octopia: {error}"
            else:
                p.last_error = error
                if retry:
                    p.attempts += 1
                    p.next_attempt_at = now + backoff(p.attempts)
                    r.error = f"Tracking update not sent yet (will retry): {error}"
                else:
                    r.error = error
            return r

        try:
            self.store.update_order(order_id, finish)
        except Exception:
            log.exception("could not record the tracking update of %s", order_id)
            raise

    # ---- reconcile

    async def reconcile(self, rec: OrderRecord) -> OrderRecord:
        """Settle a claim left by a crash or a lost answer; return the fresh record.

        A live claim held by another process is left alone. A stale claim on an order
        without a label: Sendcloud is asked for the shipment under the claim's reference;
        found → adopted (saved, file, push); not found → released. A stale claim on a
        labelled order (a push that was being sent) is simply released: the push stays
        pending and is sent by the push phase.
        """
        claim = rec.claim
        now = self.now()
        if claim is None or claim_is_live(claim, now=now, me=self.me):
            return rec
        if rec.label is not None and rec.label.active:
            self._release(rec.order_id, claim)
            return self.store.order(rec.order_id)
        mine = LabelClaim(owner=self.me, at=now, external_reference_id=claim.external_reference_id)

        def take(r: OrderRecord) -> OrderRecord:
            if not _same_claim(r.claim, claim):
                raise _Skip
            r.claim = mine
            return r

        try:
            self.store.update_order(rec.order_id, take)
        except _Skip:
            return self.store.order(rec.order_id)
        try:
            found = await self.engine.sendcloud.find_shipments(
                external_reference_id=claim.external_reference_id
            )
        except BaseException:
            self._abandon(rec.order_id, mine, error="Label purchase not confirmed yet")
            raise
        bought = [s for s in found if s.parcel_status != FAILED_PARCEL and s.tracking_number]
        if bought:
            log.info("order %s: adopting shipment %s", rec.order_id, bought[0].shipment_id)
            integ = self.store.integration(rec.integration_id)
            await self._complete(
                rec.order_id, mine, bought[0], option=None, weight=None, integ=integ
            )
        elif found:
            self._release(
                rec.order_id,
                mine,
                error="The carrier refused the previous label; a new one can be created",
                bump_generation=True,
            )
        else:
            self._release(rec.order_id, mine)
        return self.store.order(rec.order_id)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, CdtuiError):
        return exc.detail or exc.message if isinstance(exc, Rejected) else exc.message
    return type(exc).__name__
