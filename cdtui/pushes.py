"""Tracking updates to the marketplace: each sent once, retried until accepted.

An update is stored (pending) before it is sent. Sending takes the order's claim as a
lease (no two processes post the same update), maps the Sendcloud carrier to an Octopia
carrier label, honours what the carrier requires (``additionalParametersRequired``),
and records the outcome: sent, refused for good (the operator acts), or pending with a
backoff (never longer than the sync interval when Octopia could not be reached).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from cdtui.claims import Skip, claim_is_live, reason, release_claim, same_claim
from cdtui.context import Context, Service, reread_order
from cdtui.errors import (
    BadCredentials,
    CdtuiError,
    DelegationMissing,
    NotFound,
    Rejected,
    TimedOut,
    Unavailable,
    UsageError,
)
from cdtui.models import (
    Carrier,
    Integration,
    LabelClaim,
    LabelInfo,
    OrderRecord,
    Parcel,
    TrackingPush,
    carrier_key,
)
from cdtui.orders.enums import PushStatus

log = logging.getLogger(__name__)

#: first retry delay of a tracking update after a transient failure; doubles each time
PUSH_BACKOFF_BASE = timedelta(seconds=30)
PUSH_BACKOFF_MAX = timedelta(hours=1)
_UNREACHABLE = (Unavailable, TimedOut, DelegationMissing, BadCredentials)


@dataclass
class PushResult:
    """What one attempt at sending a tracking update did."""

    status: PushStatus | None  # None: skipped (not due, or being sent elsewhere)
    error: str | None = None
    #: Octopia could not be reached: the other updates may as well wait
    unreachable: bool = False


class CarrierUnmapped(CdtuiError):
    """A Sendcloud carrier has no Octopia carrier label (``carrier_map`` needed)."""


def backoff(attempts: int) -> timedelta:
    """Delay before the next try of a tracking update that failed ``attempts`` times."""
    doublings = min(max(0, attempts - 1), 20)
    return min(PUSH_BACKOFF_BASE * (2**doublings), PUSH_BACKOFF_MAX)


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


class TrackingPushes(Service):
    """The tracking updates of one context (its store, Octopia client and clock)."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._carriers: dict[str, tuple[datetime, list[Carrier]]] = {}

    # ---- carriers

    async def octopia_carrier(self, integ: Integration, label: LabelInfo) -> str:
        """The Octopia carrier label for a Sendcloud carrier: ``carrier_map``, else by name."""
        names = [n for n in (label.carrier_code, label.carrier_name) if n]
        cmap = self.ctx.settings.carrier_map
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

    async def carrier_parameters(self, integ: Integration, carrier_label: str) -> list[str]:
        """The push parameters the Octopia carrier needs (``additionalParametersRequired``)."""
        key = carrier_key(carrier_label)
        for c in await self._octopia_carriers(integ.seller_id):
            if c.key == key:
                return c.additional_parameters_required
        return []

    async def _octopia_carriers(self, seller_id: str) -> list[Carrier]:
        cached = self._carriers.get(seller_id)
        if cached and self.now() - cached[0] < timedelta(hours=1):
            return cached[1]
        carriers = await self.ctx.octopia.carriers(seller_id)
        self._carriers[seller_id] = (self.now(), carriers)
        return carriers

    # ---- sending

    async def send_push(
        self,
        order_id: str,
        integ: Integration,
        *,
        claim: LabelClaim | None = None,
        now_anyway: bool = False,
    ) -> PushResult:
        """Send the order's pending tracking update once (if due and not being sent).

        With ``claim`` the caller already holds the order; otherwise a claim is taken
        for the duration of the call (and released at its end, whatever happens).
        ``now_anyway`` (a sync the operator asked for) ignores the retry backoff.
        """
        if claim is None:
            try:
                rec, claim = self._take(order_id, now_anyway=now_anyway)
            except Skip:
                return PushResult(None)
        else:
            rec = self.store.order(order_id)
        push, label = rec.push, rec.label
        if push is None or label is None or push.status != PushStatus.PENDING:
            release_claim(self.store, order_id, claim)
            return PushResult(push.status if push else None)
        try:
            carrier = await self.octopia_carrier(integ, label)
            needs_url = "trackingurl" in {
                p.casefold() for p in await self.carrier_parameters(integ, carrier)
            }
        except CarrierUnmapped as exc:
            self._finish(order_id, claim, PushStatus.PENDING, error=exc.message, retry=False)
            return PushResult(PushStatus.PENDING, exc.message)
        except BaseException as exc:
            msg = reason(exc) if isinstance(exc, CdtuiError) else "interrupted"
            self._finish(
                order_id,
                claim,
                PushStatus.PENDING,
                error=msg,
                retry=True,
                unreachable=isinstance(exc, _UNREACHABLE),
            )
            if isinstance(exc, CdtuiError):
                return PushResult(
                    PushStatus.PENDING,
                    f"Tracking update not sent yet (will retry): {msg}",
                    unreachable=isinstance(exc, _UNREACHABLE),
                )
            raise
        try:
            await self.ctx.octopia.push_shipment(
                rec.seller_id,
                rec.order_id,
                parcel_number=push.parcel_number,
                carrier_name=carrier,
                tracking_url=push.tracking_url,
                line_ids=push.line_ids,
                require_tracking_url=needs_url,
            )
        except UsageError as exc:  # the carrier needs a tracking URL Sendcloud did not give
            self._finish(order_id, claim, PushStatus.PENDING, error=exc.message, retry=False)
            return PushResult(PushStatus.PENDING, exc.message)
        except (Rejected, NotFound) as exc:
            msg = reason(exc)
            self._finish(order_id, claim, PushStatus.FAILED, error=msg, carrier=carrier)
            return PushResult(PushStatus.FAILED, f"Tracking update refused by Octopia: {msg}")
        except CdtuiError as exc:
            msg = reason(exc)
            self._finish(
                order_id,
                claim,
                PushStatus.PENDING,
                error=msg,
                retry=True,
                unreachable=isinstance(exc, _UNREACHABLE),
            )
            return PushResult(
                PushStatus.PENDING,
                f"Tracking update not sent yet (will retry): {msg}",
                unreachable=isinstance(exc, _UNREACHABLE),
            )
        except BaseException:
            self._finish(order_id, claim, PushStatus.PENDING, error="interrupted", retry=True)
            raise
        self._finish(order_id, claim, PushStatus.SENT, carrier=carrier)
        await reread_order(self.ctx, rec)  # the marketplace now shows it shipped
        return PushResult(PushStatus.SENT)

    def _take(self, order_id: str, *, now_anyway: bool = False) -> tuple[OrderRecord, LabelClaim]:
        now, me = self.now(), self.me
        taken: list[LabelClaim] = []

        def take(r: OrderRecord) -> OrderRecord:
            p = r.push
            if p is None or p.status != PushStatus.PENDING or r.label is None:
                raise Skip
            if p.next_attempt_at is not None and p.next_attempt_at > now and not now_anyway:
                raise Skip
            if r.claim is not None and claim_is_live(r.claim, now=now, me=me):
                raise Skip
            if r.claim is not None and (r.label is None or not r.label.active):
                raise Skip  # a purchase to reconcile first
            c = LabelClaim(owner=me, at=now, external_reference_id=r.label.external_reference_id)
            r.claim = c
            taken.append(c)
            return r

        rec = self.store.update_order(order_id, take)
        return rec, taken[0]

    def _finish(
        self,
        order_id: str,
        claim: LabelClaim,
        status: PushStatus,
        *,
        error: str | None = None,
        retry: bool = False,
        carrier: str | None = None,
        unreachable: bool = False,
    ) -> None:
        """Record what a push attempt did. A retry waits ``backoff(attempts)``; when
        Octopia could not be reached at all, never longer than the sync interval (the
        update is due again as soon as it may work, not an hour after an outage)."""
        now = self.now()

        def finish(r: OrderRecord) -> OrderRecord:
            if same_claim(r.claim, claim):
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
                    delay = backoff(p.attempts)
                    if unreachable:
                        delay = min(delay, timedelta(seconds=self.ctx.settings.sync_interval))
                    p.next_attempt_at = now + delay
                    r.error = f"Tracking update not sent yet (will retry): {error}"
                else:
                    r.error = error
            return r

        try:
            self.store.update_order(order_id, finish)
        except Exception:
            log.exception("could not record the tracking update of %s", order_id)
            raise
