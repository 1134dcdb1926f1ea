"""Label purchase: the plan, the claim, the purchase, saving it, settling crashes.

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
never post the same update at once (``pushes.py``; claims in ``claims.py``, files and
printing in ``label_files.py``).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from cdtui.claims import (
    ABANDONED,
    Skip,
    claim_is_live,
    reason,
    release_claim,
    same_claim,
)
from cdtui.context import Context, Service
from cdtui.errors import (
    AnnouncementFailed,
    BadCredentials,
    CdtuiError,
    ConfigError,
    NotFound,
    Rejected,
    StoreError,
    UsageError,
)
from cdtui.label_files import inside, label_filename, print_file, write_file_atomically
from cdtui.models import (
    Integration,
    LabelClaim,
    LabelInfo,
    OrderRecord,
    Shipment,
    ShippingOption,
    ShippingOptionList,
    TrackingPush,
)
from cdtui.orders.addresses import AddressOverride, destination, to_address
from cdtui.orders.customs import customs_items, needs_customs
from cdtui.orders.enums import PushStatus, State
from cdtui.orders.shipping import (
    Choice,
    Need,
    Verdict,
    build_announce_payload,
    choose_option,
    judge,
    label_weight,
    lines_to_ship,
    order_need,
    parse_weight,
    rules_of,
)
from cdtui.orders.states import SHOP_PICKUP_ATTENTION, derive_state
from cdtui.pushes import PushResult, TrackingPushes
from cdtui.sendcloud import ReferenceUsed, is_cancelled

log = logging.getLogger(__name__)

FAILED_PARCEL = "ANNOUNCEMENT_FAILED"


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
    #: the customs declaration saved beside the label (outside the EU)
    customs_path: str | None = None
    shipping_option: str | None = None
    #: what chose the option: "rule 1 (…)", "default option", "cheapest", "operator"
    chosen_by: str | None = None
    #: rules or the default that matched but could not be used, and why
    notes: list[str] = field(default_factory=list)
    relay_point: str | None = None
    relay_point_name: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "ok": self.ok,
            "carrier": self.carrier,
            "tracking_number": self.tracking_number,
            "tracking_url": self.tracking_url,
            "label_path": self.label_path,
            "customs_path": self.customs_path,
            "tracking_sent": self.tracking_sent,
            "shipping_option": self.shipping_option,
            "chosen_by": self.chosen_by,
            "notes": self.notes,
            "relay_point": self.relay_point,
            "relay_point_name": self.relay_point_name,
            "error": self.error,
        }


@dataclass
class LabelPlan:
    """What the label of an order would be, before anything is bought."""

    order_id: str
    reference: str
    need: Need
    weight: Decimal
    #: the lines the label covers
    line_ids: list[str]
    #: the order's lines with a cancellation request (shipped only when included)
    cancel_request_lines: list[str]
    relay_carrier: str | None = None
    #: the ``to_address`` the label goes to (the operator's corrections applied)
    address: dict[str, Any] | None = None
    #: the operator's corrections, stored with the label
    override: dict[str, str] | None = None
    customs: bool = False
    customs_items: list[dict[str, Any]] | None = None
    #: every option with its verdict, those that qualify first, cheapest first
    verdicts: list[Verdict] = field(default_factory=list)
    choice: Choice | None = None
    #: why no label can be bought now (None: it can)
    problem: str | None = None
    #: Sendcloud's message when it offers no option
    message: str | None = None

    @property
    def qualifying(self) -> list[ShippingOption]:
        return [v.option for v in self.verdicts if v.excluded is None]


# ---------------------------------------------------------------- service


class LabelService(Service):
    """Label work over one context (settings, store, clients, clock and identity)."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.pushes = TrackingPushes(ctx)
        #: claims of this process whose purchase could not be recorded (the store could
        #: not be written): settled by the next reconcile like a dead process's claims
        self.given_up: set[tuple[str, datetime]] = set()
        #: shipping options cached during a bulk run, keyed by route and weight
        self.option_cache: dict[tuple[str, str, str, str], list[ShippingOption]] | None = None

    # ---- choices

    async def shipping_options(self, rec: OrderRecord, weight: Decimal) -> ShippingOptionList:
        """Sendcloud's priced options for the order's route and this weight (cached
        during a bulk run: options depend on the route and the weight only)."""
        addr = destination(rec)
        country = (addr.country_code or "").upper()
        postal = (addr.postal_code or "").strip()
        key = (country, postal[:2], f"{weight:.3f}", self.settings.sender_country)
        if self.option_cache is not None and key in self.option_cache:
            return self.option_cache[key]
        options = await self.ctx.sendcloud.shipping_options(
            from_country=self.settings.sender_country,
            from_postal_code=self.settings.sender_postal_code,
            to_country=country,
            to_postal_code=postal or None,
            weight_kg=weight,
        )
        if not isinstance(options, ShippingOptionList):
            options = ShippingOptionList(options)
        if self.option_cache is not None:
            self.option_cache[key] = options
        return options

    async def plan(
        self,
        rec: OrderRecord,
        integ: Integration,
        *,
        weight: Decimal | None = None,
        requested: str | None = None,
        override: AddressOverride | None = None,
        include_cancel_requests: bool = False,
    ) -> LabelPlan:
        """Everything the label of this order would be, without buying it: what the
        order needs, every option with its verdict, the choice and what chose it, or
        the problem that stops the purchase (said before anything is bought)."""
        lines = lines_to_ship(rec, include_cancel_requests=include_cancel_requests)
        need = order_need(rec, lines)
        if weight is None:
            weight = label_weight(rec, integ, self.settings.default_weight_kg, lines)
        plan = LabelPlan(
            order_id=rec.order_id,
            reference=rec.reference,
            need=need,
            weight=weight,
            line_ids=[ln.order_line_id for ln in lines],
            cancel_request_lines=[ln.order_line_id for ln in rec.order.cancel_request_lines],
            relay_carrier=integ.relay_carrier,
        )
        if need.shop_pickup:
            plan.problem = f"Order {rec.reference} is collected at the seller's shop: no label."
            return plan
        if not lines:
            plan.problem = (
                f"Order {rec.reference} has no line to ship"
                + (
                    " (only lines with a cancellation request: include them if the customer asked)"
                    if plan.cancel_request_lines
                    else ""
                )
                + "."
            )
            return plan
        try:
            plan.address = to_address(rec, override)
            plan.override = override.as_dict() if override is not None else None
        except CdtuiError as exc:
            plan.problem = exc.message
            return plan
        country = plan.address["country_code"]
        if needs_customs(self.settings.sender_country, country, plan.address.get("postal_code")):
            plan.customs = True
            try:
                plan.customs_items = customs_items(
                    rec, lines, integ, weight=weight, sender_country=self.settings.sender_country
                )
            except CdtuiError as exc:
                plan.problem = exc.message
        options = await self.shipping_options(rec, weight)
        plan.message = options.message
        plan.verdicts = judge(options, need, weight=weight, relay_carrier=integ.relay_carrier)
        if not options:
            plan.problem = plan.problem or (
                f"Sendcloud offers no shipping option to {country} "
                f"{plan.address.get('postal_code', '')} for {weight} kg"
                + (f": {options.message}" if options.message else ".")
            )
            return plan
        try:
            plan.choice = choose_option(
                plan.verdicts,
                rules=rules_of(integ),
                default=integ.default_shipping_option,
                channel=rec.channel_id,
                country=country,
                need=need,
                weight=weight,
                requested=requested,
            )
        except CdtuiError as exc:
            plan.problem = plan.problem or exc.message
        return plan

    # ---- carriers

    # ---- create

    async def create_label(
        self,
        order_id: str,
        *,
        shipping_option: str | None = None,
        weight_kg: Decimal | None = None,
        address: AddressOverride | None = None,
        include_cancel_requests: bool = False,
        printing: bool = True,
    ) -> LabelOutcome:
        """Buy the label of one order and send its tracking.

        Everything that can refuse the label (no option serves the order, an HS code is
        missing, the address lacks a field) refuses it before anything is bought.
        ``printing=False``: the label is not printed at once (a bulk run prints its
        labels in one batch, ``batches.py``).
        """
        if shipping_option is not None:
            shipping_option = shipping_option.strip()
            if not shipping_option:
                raise UsageError("The shipping option code is empty.")
        weight = parse_weight(weight_kg) if weight_kg is not None else None
        override = address.cleaned() if address is not None else None
        rec = self.store.order(order_id)
        if rec.claim is not None:
            left_behind = rec.claim
            # only a purchase nobody is working on any more is ours to finish and report;
            # a live claim's label belongs to the process that holds it
            stale = not claim_is_live(left_behind, now=self.now(), me=self.me) or (
                (left_behind.owner, left_behind.at) in self.given_up
            )
            rec = await self.reconcile(rec)
            adopted = rec.label
            if (
                stale
                and adopted is not None
                and adopted.external_reference_id == (left_behind.external_reference_id)
            ):
                # an interrupted purchase of this very label: it is done now
                return self.outcome_of(rec)
        state, attention = derive_state(rec)
        if state == State.LABEL_PENDING:
            raise CdtuiError(
                f"Another cdtui is creating the label of order {rec.reference} right now."
            )
        if state != State.TO_SHIP:
            if attention == SHOP_PICKUP_ATTENTION:
                raise UsageError(
                    f"Order {rec.reference} is collected at the seller's shop: it needs no label."
                )
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
        plan = await self.plan(
            rec,
            integ,
            weight=weight,
            requested=shipping_option,
            override=override,
            include_cancel_requests=include_cancel_requests,
        )
        if plan.problem or plan.choice is None or plan.address is None:
            raise UsageError(plan.problem or f"No label can be made for order {rec.reference}.")
        for attempt in (1, 2):
            rec = self._claim(order_id, connected_at=integ.created_at, line_ids=plan.line_ids)
            claim = rec.claim
            assert claim is not None
            try:
                shipment = await self._announce(rec, claim, plan, sender)
            except ReferenceUsed as exc:
                # the reference belongs to a cancelled shipment (a label cancelled before
                # a reconnect, say): never adopted; a new generation buys a new label
                log.warning("order %s: %s; buying under a new reference", order_id, exc.message)
                self._release(order_id, claim, bump_generation=True)
                if attempt == 2:
                    raise
                continue
            return await self._complete(
                order_id, claim, shipment, integ=integ, plan=plan, printing=printing
            )
        raise AssertionError("unreachable")  # pragma: no cover

    async def _announce(
        self, rec: OrderRecord, claim: LabelClaim, plan: LabelPlan, sender: int
    ) -> Shipment:
        """Buy the planned label under the claim; the claim is settled on failure."""
        assert plan.choice is not None and plan.address is not None
        order_id = rec.order_id
        lines = [ln for ln in rec.order.lines if ln.order_line_id in plan.line_ids]
        payload = build_announce_payload(
            rec,
            option_code=plan.choice.option.code,
            weight_kg=plan.weight,
            sender_address_id=sender,
            label_format=self.settings.label_format,
            external_reference_id=claim.external_reference_id,
            lines=lines,
            address=plan.address,
            relay_point_id=plan.need.relay_id,
            customs=plan.customs_items,
        )
        try:
            return await self.ctx.sendcloud.announce(payload)
        except ReferenceUsed:
            raise  # the caller releases the claim with a new generation
        except AnnouncementFailed as exc:
            self._release(order_id, claim, error=reason(exc), bump_generation=True)
            raise
        except (Rejected, NotFound, BadCredentials) as exc:
            # refused before anything was bought
            self._release(order_id, claim, error=reason(exc))
            raise
        except BaseException as exc:
            # outcome unknown: the next reconcile asks Sendcloud
            msg = reason(exc) if isinstance(exc, CdtuiError) else "interrupted"
            self._abandon(order_id, claim, error=f"Label purchase not confirmed ({msg})")
            raise

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

    def _claim(
        self,
        order_id: str,
        *,
        connected_at: datetime | None = None,
        line_ids: list[str] | None = None,
    ) -> OrderRecord:
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
            r.claim = LabelClaim(
                owner=me,
                at=now,
                external_reference_id=r.external_reference_id(connected_at),
                line_ids=line_ids,
            )
            r.error = None
            return r

        return self.store.update_order(order_id, take)

    def hold(self, order_id: str) -> LabelClaim:
        """Take the order for an operation on its label: no purchase or push meanwhile."""
        now, me = self.now(), self.me
        taken: list[LabelClaim] = []
        rec = self.store.order(order_id)
        connected = self.store.integration(rec.integration_id).created_at

        def take(r: OrderRecord) -> OrderRecord:
            if r.claim is not None and claim_is_live(r.claim, now=now, me=me):
                raise CdtuiError(
                    f"Order {r.reference} is being worked on by another cdtui; try again "
                    f"in a moment."
                )
            ref = r.label.external_reference_id if r.label else r.external_reference_id(connected)
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
        release_claim(self.store, order_id, claim, error=error, bump_generation=bump_generation)

    def _abandon(self, order_id: str, claim: LabelClaim, *, error: str) -> None:
        def abandon(r: OrderRecord) -> OrderRecord:
            if not same_claim(r.claim, claim) or r.claim is None:
                raise Skip
            r.claim = r.claim.model_copy(update={"owner": f"{ABANDONED}:{claim.owner}"})
            r.error = error
            return r

        try:
            self.store.update_order(order_id, abandon)
        except Skip:
            pass
        except Exception:  # the process may be dying: the claim goes stale anyway
            log.exception("could not mark the claim of %s abandoned", order_id)

    async def _complete(
        self,
        order_id: str,
        claim: LabelClaim,
        shipment: Shipment,
        *,
        integ: Integration,
        plan: LabelPlan | None = None,
        printing: bool = True,
    ) -> LabelOutcome:
        """Label bought: save it with its pending push, save the files, print, push.

        ``plan`` is None when a purchase left by a crash is adopted: the lines are the
        claim's, the rest is Sendcloud's word.
        """
        now = self.now()
        try:
            rec = self.store.order(order_id)
        except StoreError as exc:
            self.given_up.add((claim.owner, claim.at))
            raise _not_recorded(order_id, shipment, exc) from None
        line_ids = claim.line_ids
        if line_ids is None:
            line_ids = [ln.order_line_id for ln in lines_to_ship(rec)]
        asked = {ln.order_line_id for ln in rec.order.cancel_request_lines}
        label = LabelInfo(
            external_reference_id=claim.external_reference_id,
            shipment_id=shipment.shipment_id,
            parcel_id=shipment.parcel_id,
            carrier_code=shipment.carrier_code,
            carrier_name=shipment.carrier_name,
            tracking_number=shipment.tracking_number,
            tracking_url=shipment.tracking_url,
            shipping_option_code=plan.choice.option.code if plan and plan.choice else None,
            chosen_by=plan.choice.chosen_by if plan and plan.choice else None,
            weight_kg=plan.weight if plan else None,
            created_at=shipment.announced_at or now,
            # the quote the choice was made on: what the label cost (the day report)
            price=plan.choice.option.price if plan and plan.choice else None,
            currency=plan.choice.option.currency if plan and plan.choice else None,
            relay_point_id=plan.need.relay_id if plan else None,
            relay_point_name=plan.need.relay_name if plan else None,
            address_override=plan.override if plan else None,
            included_cancel_requests=[i for i in line_ids if i in asked],
        )
        path: Path | None = None
        file_errors: list[str] = []
        if shipment.label_file:
            try:
                path = self._file_path(rec, label.tracking_number, self.settings.label_format)
                await asyncio.to_thread(write_file_atomically, path, shipment.label_file)
                label.label_path = str(path)
            except OSError as exc:
                file_errors.append(f"The label file could not be saved: {exc.strerror or exc}.")
                path = None
            except CdtuiError as exc:
                file_errors.append(f"The label file could not be saved: {exc.message}")
                path = None
        customs_path: Path | None = None
        if (plan is not None and plan.customs) or shipment.customs_url:
            try:
                customs_path = await self._fetch_customs(rec, shipment)
                label.customs_path = str(customs_path)
            except CdtuiError as exc:
                file_errors.append(
                    f"The customs declaration could not be saved: {exc.message} "
                    "(print it from the Sendcloud panel)."
                )
        file_error = " ".join(file_errors) or None
        push = None
        if label.tracking_number:
            push = TrackingPush(
                carrier_name=label.carrier_name or label.carrier_code or "",
                parcel_number=label.tracking_number,
                tracking_url=label.tracking_url,
                line_ids=line_ids,
                created_at=now,
            )

        def save(r: OrderRecord) -> OrderRecord:
            if not same_claim(r.claim, claim):
                raise CdtuiError(f"The claim on order {r.reference} was taken over.")
            if r.label is not None and r.label.shipment_id not in (None, label.shipment_id):
                r.past_labels.append(r.label)  # a cancelled label, kept for the day report
            r.label = label
            r.push = push
            r.error = file_error or (
                None if push else "Sendcloud gave no tracking number for this label."
            )
            return r

        try:
            self.store.update_order(order_id, save)
        except StoreError as exc:
            self.given_up.add((claim.owner, claim.at))
            raise _not_recorded(rec.reference, shipment, exc) from None
        outcome = LabelOutcome(
            order_id=order_id,
            ok=True,
            carrier=label.carrier_name,
            tracking_number=label.tracking_number,
            tracking_url=label.tracking_url,
            label_path=label.label_path,
            customs_path=label.customs_path,
            shipping_option=label.shipping_option_code,
            chosen_by=label.chosen_by,
            notes=list(plan.choice.notes) if plan and plan.choice else [],
            relay_point=label.relay_point_id,
            relay_point_name=label.relay_point_name,
            error=file_error,
        )
        if path is None and not file_error:
            try:
                path = await self.ensure_label_file(order_id)
                outcome.label_path = str(path)
            except CdtuiError as exc:
                outcome.error = exc.message
        if path is not None and printing and self.settings.print_command:
            try:
                for printed in (path, customs_path):
                    if printed is not None:
                        await asyncio.to_thread(print_file, self.settings.print_command, printed)
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

    def _file_path(self, rec: OrderRecord, tracking_number: str | None, suffix: str) -> Path:
        return inside(self.settings.labels_path, label_filename(rec, tracking_number, suffix))

    async def _fetch_customs(self, rec: OrderRecord, shipment: Shipment) -> Path:
        """Download the parcel's customs declaration and save it beside the label."""
        if not shipment.parcel_id:
            raise CdtuiError("Sendcloud gave no parcel for this shipment.")
        data = await self.ctx.sendcloud.parcel_document(
            shipment.parcel_id, "customs-declaration", fmt="pdf", paper_size="A4"
        )
        path = self._file_path(rec, f"{shipment.tracking_number or 'label'}-customs", "pdf")
        try:
            await asyncio.to_thread(write_file_atomically, path, data)
        except OSError as exc:
            raise CdtuiError(f"{exc.strerror or exc}.") from None
        return path

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
        data = await self.ctx.sendcloud.label_document(
            label.parcel_id, fmt=fmt, paper_size=self.settings.paper_size
        )
        path = self._file_path(rec, label.tracking_number, fmt)
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

    # ---- tracking push (``pushes.TrackingPushes``)

    async def send_push(
        self,
        order_id: str,
        integ: Integration,
        *,
        claim: LabelClaim | None = None,
        now_anyway: bool = False,
    ) -> PushResult:
        """Send the order's pending tracking update once (see ``TrackingPushes``)."""
        return await self.pushes.send_push(order_id, integ, claim=claim, now_anyway=now_anyway)

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
        if claim is None or (
            claim_is_live(claim, now=now, me=self.me)
            and (claim.owner, claim.at) not in self.given_up
        ):
            return rec
        if rec.label is not None and rec.label.active:
            self._release(rec.order_id, claim)
            return self.store.order(rec.order_id)
        mine = LabelClaim(owner=self.me, at=now, external_reference_id=claim.external_reference_id)

        def take(r: OrderRecord) -> OrderRecord:
            if not same_claim(r.claim, claim):
                raise Skip
            r.claim = mine
            return r

        try:
            self.store.update_order(rec.order_id, take)
        except Skip:
            return self.store.order(rec.order_id)
        try:
            found = await self.ctx.sendcloud.find_shipments(
                external_reference_id=claim.external_reference_id
            )
        except BaseException:
            self._abandon(rec.order_id, mine, error="Label purchase not confirmed yet")
            raise
        # a failed or cancelled shipment is no label: never adopted, its tracking never sent
        bought = [
            s
            for s in found
            if s.parcel_status != FAILED_PARCEL and not is_cancelled(s) and s.tracking_number
        ]
        if bought:
            log.info("order %s: adopting shipment %s", rec.order_id, bought[0].shipment_id)
            integ = self.store.integration(rec.integration_id)
            await self._complete(rec.order_id, mine, bought[0], integ=integ)
        elif found:
            self._release(
                rec.order_id,
                mine,
                error="The previous label was refused or cancelled; a new one can be created",
                bump_generation=True,
            )
        else:
            self._release(rec.order_id, mine)
        return self.store.order(rec.order_id)


def _not_recorded(order: str, shipment: Shipment, exc: StoreError) -> StoreError:
    """Bought and paid, but not recorded: said with the tracking number, so that nobody
    buys another. The claim stays in the store, and the next run adopts the shipment."""
    return StoreError(
        f"A label WAS bought for order {order} ({shipment.carrier_name or ''} "
        f"{shipment.tracking_number or 'no tracking number'}, Sendcloud shipment "
        f"{shipment.shipment_id}) but could not be recorded: {exc.message} Do not buy "
        "another: once the store can be written, `cdtui sync` (or `cdtui label` again) "
        "finds this label at Sendcloud and sends its tracking."
    )
