"""The engine: one façade over the store and both APIs, used by the CLI and the TUI.

Everything a user can do goes through here: connect and manage integrations, sync,
create and cancel labels, answer orders waiting for acceptance. Failures are
``CdtuiError``s with a message that can be shown as is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from cdtui.batches import PAPERWORK, Batch, Batches, BatchItem, LabelRun, Paperwork
from cdtui.claims import new_owner
from cdtui.config import Settings
from cdtui.context import reread_order
from cdtui.errors import CdtuiError, DelegationMissing, NotFoundLocally, UsageError
from cdtui.label_files import print_file
from cdtui.labels import LabelOutcome, LabelPlan, LabelService
from cdtui.models import (
    CancelResult,
    Integration,
    OrderRecord,
    ShippingOption,
    Subscription,
    utcnow,
)
from cdtui.octopia import OctopiaClient
from cdtui.orders.addresses import AddressOverride
from cdtui.orders.enums import PushStatus, State
from cdtui.orders.report import DayReport, day_report
from cdtui.orders.rules import (
    Channels,
    check_carrier_code,
    check_name,
    check_seller_id,
    check_sku,
    clean_country,
    clean_hs_code,
    name_key,
    parse_channels,
    parse_weight,
)
from cdtui.orders.shipping import label_weight, lines_to_ship, parse_rule
from cdtui.orders.states import derive_state
from cdtui.sendcloud import SendcloudClient
from cdtui.storage.store import Store
from cdtui.sync import SyncProgress, SyncReport, SyncRunner
from cdtui.text import add_secrets

__all__ = [
    "AddressOverride",
    "Engine",
    "LabelOutcome",
    "LabelPlan",
    "SyncProgress",
    "SyncReport",
]

log = logging.getLogger(__name__)

#: where a default shipping option is looked for when it does not serve the sender's
#: own country (a seller's usual destinations)
_PROBE_DESTINATIONS = ("DE", "BE", "ES", "IT", "NL", "GB", "SE", "CH")
#: labels bought at once by ``create_labels`` (the Sendcloud client paces the writes)
BULK_CONCURRENCY = 6
DELEGATION_STEPS = (
    "in the Octopia API portal open API credentials management → Get access → "
    '"I am using a feed aggregator" → "My aggregator only needs my SellerID" → '
    "select the aggregator → grant access"
)


def _merge_table(
    current: Mapping[str, str],
    changes: Mapping[str, str | None],
    clean: Callable[[str], str],
) -> dict[str, str]:
    """A SKU table with ``changes`` merged in (an empty value removes the SKU)."""
    table = dict(current)
    for sku, value in changes.items():
        sku = check_sku(sku)
        if value is None or not value.strip():
            table.pop(sku, None)
        else:
            table[sku] = clean(value)
    return table


class Engine:
    def __init__(
        self,
        settings: Settings,
        store: Store | None = None,
        *,
        octopia: OctopiaClient | None = None,
        sendcloud: SendcloudClient | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        add_secrets(settings.secret_values())  # never in a message, a screen or the log
        self._store = store
        self._octopia = octopia
        self._sendcloud = sendcloud
        self.clock = clock
        #: identity written in label claims ("host:pid:uuid")
        self.owner = new_owner()
        self.labels = LabelService(self)
        self._sync = SyncRunner(self, self.labels)
        self._sync_lock = asyncio.Lock()

    # ------------------------------------------------------------ plumbing

    @property
    def store(self) -> Store:
        """The store, opened on first use (``cdtui setup`` never needs it)."""
        if self._store is None:
            self._store = Store(self.settings.home, clock=self.clock)
        return self._store

    @property
    def octopia(self) -> OctopiaClient:
        if self._octopia is None:
            s = self.settings
            s.require_octopia()
            assert s.octopia_client_id and s.octopia_client_secret
            self._octopia = OctopiaClient(
                auth_url=s.octopia_auth_url,
                api_url=s.octopia_api_url,
                client_id=s.octopia_client_id,
                client_secret=s.octopia_client_secret.get_secret_value(),
            )
        return self._octopia

    @property
    def sendcloud(self) -> SendcloudClient:
        if self._sendcloud is None:
            s = self.settings
            s.require_sendcloud()
            assert s.sendcloud_public_key and s.sendcloud_secret_key
            self._sendcloud = SendcloudClient(
                api_url=s.sendcloud_api_url,
                public_key=s.sendcloud_public_key,
                secret_key=s.sendcloud_secret_key.get_secret_value(),
                writes_per_second=s.sendcloud_writes_per_second,
                writes_per_minute=s.sendcloud_writes_per_minute,
                # one write budget for every process of this data folder
                writes_file=s.home / "run" / "sendcloud-writes.json",
            )
        return self._sendcloud

    async def aclose(self) -> None:
        for client in (self._octopia, self._sendcloud):
            if client is not None:
                await client.aclose()

    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------ installation

    async def check_octopia(self) -> None:
        """Obtain a token with the aggregator credentials (``BadCredentials`` if refused)."""
        await self.octopia.check_credentials()

    async def check_sendcloud(self) -> None:
        await self.sendcloud.check_credentials()

    # ------------------------------------------------------------ integrations

    async def seller_channels(self, seller_id: str) -> list[Subscription]:
        """The seller's active sales-channel subscriptions."""
        seller_id = check_seller_id(seller_id)
        try:
            subs = await self.octopia.subscriptions(seller_id)
        except DelegationMissing:
            raise self._delegation_missing(seller_id) from None
        return [s for s in subs if s.active]

    def _delegation_missing(self, seller_id: str) -> DelegationMissing:
        return DelegationMissing(
            f"Seller ID {seller_id} has not given cdtui access to its account: {DELEGATION_STEPS}.",
            api="Octopia",
        )

    async def _check_channels(self, seller_id: str, channels: Channels) -> Channels:
        if channels == "all":
            return "all"
        subs = await self.seller_channels(seller_id)
        known = {s.sales_channel_id for s in subs}
        unknown = [c for c in channels if c not in known]
        if unknown:
            offered = ", ".join(f"{s.sales_channel_id} ({s.label})" for s in subs) or "none"
            raise UsageError(
                f"Seller {seller_id} is not subscribed to the sales channel "
                f"{', '.join(unknown)}; its channels: {offered}."
            )
        return list(channels)

    async def connect(
        self,
        *,
        name: str,
        seller_id: str,
        login: str,
        channels: Channels | str = "all",
    ) -> Integration:
        """Check the delegation, the login and the channels, then save the integration."""
        name = check_name(name)
        seller_id = check_seller_id(seller_id)
        login = (login or "").strip()
        if not login:
            raise UsageError("The login is required (the seller-portal login).")
        wanted = parse_channels(channels)
        self._check_unique(name=name, seller_id=seller_id)
        try:
            profile = await self.octopia.seller(seller_id)
        except DelegationMissing:
            raise self._delegation_missing(seller_id) from None
        if profile.seller_id != seller_id:
            raise CdtuiError(
                f"Octopia answered for seller {profile.seller_id} when asked for {seller_id}."
            )
        if (profile.login or "").casefold() != login.casefold():
            raise UsageError(
                f"The login {login!r} does not belong to Seller ID {seller_id}: use the "
                f"seller-portal login (Settings → personal settings and bank details → "
                f"connection settings)."
            )
        wanted = await self._check_channels(seller_id, wanted)
        self._check_unique(name=name, seller_id=seller_id)
        integ = self.store.add_integration(
            name=name,
            seller_id=seller_id,
            login=profile.login or login,
            shop_name=profile.shop_name,
            channels=wanted,
            created_at=self.clock(),
        )
        log.info("connected integration %s (seller %s)", integ.id, seller_id)
        return integ

    def _check_unique(
        self, *, name: str, seller_id: str | None, exclude: str | None = None
    ) -> None:
        for other in self.store.integrations():
            if other.id == exclude:
                continue
            if name_key(other.name) == name_key(name):
                raise UsageError(f"An integration named {other.name!r} already exists.")
            if seller_id is not None and other.seller_id == seller_id:
                raise UsageError(
                    f"Seller ID {seller_id} is already connected as integration {other.id} "
                    f"({other.name})."
                )

    async def update_integration(
        self,
        integration_id: str,
        *,
        name: str | None = None,
        channels: Channels | str | None = None,
        default_weight_kg: Decimal | str | None = None,
        default_shipping_option: str | None = None,
        sku_weights: Mapping[str, str | Decimal | None] | None = None,
        sku_hs_codes: Mapping[str, str | None] | None = None,
        default_hs_code: str | None = None,
        sku_origin_countries: Mapping[str, str | None] | None = None,
        origin_country: str | None = None,
        relay_carrier: str | None = None,
        rules: list[str] | None = None,
        clear_rules: bool = False,
    ) -> Integration:
        """Change name, channels, defaults, the customs tables or the shipping rules.

        An empty shipping option, HS code or origin clears it; in the SKU tables (merged
        into the stored ones) an empty or ``None`` value removes a SKU. ``rules`` are
        appended in order after the stored ones (all of them replaced with
        ``clear_rules``). Nothing is saved when one value is wrong."""
        current = self.store.integration(integration_id)
        changes: dict[str, Any] = {}
        if name is not None:
            name = check_name(name)
            self._check_unique(name=name, seller_id=None, exclude=current.id)
            changes["name"] = name
        if channels is not None:
            changes["channels"] = await self._check_channels(
                current.seller_id, parse_channels(channels)
            )
        if default_weight_kg is not None:
            changes["default_weight_kg"] = parse_weight(default_weight_kg)
        if default_shipping_option is not None:
            code = default_shipping_option.strip()
            if len(code) > 200 or any(ch.isspace() for ch in code):
                raise UsageError(f"{code[:40]!r} is not a shipping option code.")
            if code and code != current.default_shipping_option:
                await self._check_option_code(code)
            changes["default_shipping_option"] = code or None
        if sku_weights is not None:
            table = dict(current.sku_weights)
            for sku, weight in sku_weights.items():
                sku = check_sku(sku)
                if weight is None or (isinstance(weight, str) and not weight.strip()):
                    table.pop(sku, None)
                else:
                    table[sku] = parse_weight(weight)
            changes["sku_weights"] = table
        if sku_hs_codes is not None:
            changes["sku_hs_codes"] = _merge_table(
                current.sku_hs_codes, sku_hs_codes, clean_hs_code
            )
        if default_hs_code is not None:
            code = default_hs_code.strip()
            changes["default_hs_code"] = clean_hs_code(code) if code else None
        if sku_origin_countries is not None:
            changes["sku_origin_countries"] = _merge_table(
                current.sku_origin_countries, sku_origin_countries, clean_country
            )
        if origin_country is not None:
            code = origin_country.strip()
            changes["origin_country"] = clean_country(code, "origin country") if code else None
        if relay_carrier is not None:
            changes["relay_carrier"] = check_carrier_code(relay_carrier)
        if rules is not None or clear_rules:
            kept = [] if clear_rules else list(current.shipping_rules)
            new_rules = [parse_rule(text) for text in rules or []]
            changes["shipping_rules"] = kept + [
                r.model_dump(mode="json", exclude_none=True) for r in new_rules
            ]
        if not changes:
            raise UsageError(
                "Nothing to change: give a name, channels, a default, SKU weights, customs "
                "data or shipping rules."
            )

        def apply(i: Integration) -> Integration:
            return i.model_copy(update=changes)

        return self.store.update_integration(integration_id, apply)

    async def _check_option_code(self, code: str) -> None:
        """Refuse a default shipping option Sendcloud does not offer from the sender
        country (at home first, then the main destinations): a typo saved today would
        otherwise be silently passed over at every label."""
        s = self.settings
        seen: set[str] = set()
        for country in dict.fromkeys([s.sender_country, *_PROBE_DESTINATIONS]):
            options = await self.sendcloud.shipping_options(
                from_country=s.sender_country,
                from_postal_code=s.sender_postal_code,
                to_country=country,
                to_postal_code=None,
                weight_kg=s.default_weight_kg,
            )
            seen.update(o.code for o in options)
            if code in seen:
                return
        known = ", ".join(sorted(seen)[:12]) or "none"
        raise UsageError(
            f"Sendcloud offers no shipping option {code!r} from {s.sender_country} "
            f"(it offers: {known}); nothing was saved."
        )

    def disconnect_impact(self, integration_id: str) -> tuple[int, int]:
        """(orders stored, tracking updates still waiting to be sent)."""
        stored = len(self.store.order_rows(integration_id=integration_id))
        waiting = sum(
            1
            for r in self.store.orders_in_work(integration_id=integration_id)
            if r.push is not None and r.push.status in (PushStatus.PENDING, PushStatus.FAILED)
        )
        return stored, waiting

    def disconnect(self, integration_id: str, *, force: bool = False) -> int:
        """Delete the integration and its stored orders (label files stay on disk)."""
        _, waiting = self.disconnect_impact(integration_id)
        if waiting and not force:
            raise UsageError(
                f"{waiting} tracking update(s) of this integration are still waiting to be "
                f"sent and would be dropped; disconnect anyway with --yes."
            )
        removed = self.store.delete_integration(integration_id)
        log.info(
            "disconnected integration %s: %d orders removed, %d tracking updates dropped",
            integration_id,
            removed,
            waiting,
        )
        return removed

    # ------------------------------------------------------------ sync

    async def sync(
        self,
        integration_id: str | None = None,
        *,
        progress: Callable[[SyncProgress], None] | None = None,
        manual: bool = False,
    ) -> list[SyncReport]:
        """One sync pass (runs of the same engine never overlap). ``manual``: the
        operator asked for it, so every pending tracking update is retried now."""
        async with self._sync_lock:
            return await self._sync.run(integration_id, progress, manual=manual)

    # ------------------------------------------------------------ orders & labels

    def orders(
        self, *, integration_id: str | None = None, state: State | str | None = None
    ) -> list[OrderRecord]:
        if isinstance(state, str) and not isinstance(state, State):
            try:
                state = State(state)
            except ValueError:
                raise UsageError(
                    f"Unknown status {state!r}; one of: {', '.join(s.value for s in State)}."
                ) from None
        return self.store.orders(integration_id=integration_id, state=state)

    def order(self, order_id: str) -> OrderRecord:
        return self.store.order(order_id)

    def day_report(self, day: date, *, integration_id: str | None = None) -> DayReport:
        """The end-of-day report of ``day`` (the machine's local day) from the store."""
        if integration_id is not None:
            self.store.integration(integration_id)  # an unknown id is said as such
        return day_report(
            self.store.orders_in_work(integration_id=integration_id),
            self.store.integrations(),
            day,
            now=self.clock(),
            integration_id=integration_id,
        )

    def resolve_order(self, key: str) -> str:
        """The order id of ``key``: an order id (``SCID…``) or a marketplace reference, as
        the inbox shows it. A reference two orders share is refused, naming both."""
        key = (key or "").strip()
        if not key:
            raise UsageError("Give an order id or a marketplace reference.")
        if self.store.find_order(key) is not None:
            return key
        found = [r for r in self.store.order_rows() if r.reference == key]
        if not found:
            raise NotFoundLocally(f"There is no order with id or reference {key!r} in the store.")
        if len(found) > 1:
            ids = ", ".join(f"{r.order_id} (integration {r.integration_id})" for r in found)
            raise UsageError(f"Reference {key!r} names several orders: {ids}; give the order id.")
        return found[0].order_id

    def label_weight(self, order_id: str, *, include_cancel_requests: bool = False) -> Decimal:
        rec = self.store.order(order_id)
        integ = self.store.integration(rec.integration_id)
        lines = lines_to_ship(rec, include_cancel_requests=include_cancel_requests)
        return label_weight(rec, integ, self.settings.default_weight_kg, lines)

    async def label_plan(
        self,
        order_id: str,
        *,
        weight_kg: Decimal | str | None = None,
        shipping_option: str | None = None,
        address: AddressOverride | None = None,
        include_cancel_requests: bool = False,
    ) -> LabelPlan:
        """What the label of this order would be — options with their verdicts, the
        choice and what chose it, or the problem — without buying anything."""
        rec = self.store.order(order_id)
        integ = self.store.integration(rec.integration_id)
        weight = parse_weight(weight_kg) if weight_kg is not None else None
        return await self.labels.plan(
            rec,
            integ,
            weight=weight,
            requested=(shipping_option or "").strip() or None,
            override=address.cleaned() if address is not None else None,
            include_cancel_requests=include_cancel_requests,
        )

    async def shipping_options(
        self, order_id: str, weight_kg: Decimal | None = None
    ) -> list[ShippingOption]:
        """What Sendcloud offers for this order's destination and weight (cheapest first)."""
        rec = self.store.order(order_id)
        weight = parse_weight(weight_kg) if weight_kg is not None else self.label_weight(order_id)
        return await self.labels.shipping_options(rec, weight)

    async def create_label(
        self,
        order_id: str,
        *,
        shipping_option: str | None = None,
        weight_kg: Decimal | None = None,
        address: AddressOverride | None = None,
        include_cancel_requests: bool = False,
    ) -> LabelOutcome:
        """Buy one label and send its tracking (raises ``CdtuiError`` if no label).
        ``address``: the operator's corrections, for this label only."""
        return await self.labels.create_label(
            order_id,
            shipping_option=shipping_option,
            weight_kg=weight_kg,
            address=address,
            include_cancel_requests=include_cancel_requests,
        )

    async def create_labels(
        self,
        order_ids: list[str],
        *,
        progress: Callable[[int, int], None] | None = None,
        shipping_option: str | None = None,
        weight_kg: Decimal | None = None,
        paperwork: Sequence[str] = (),
    ) -> LabelRun:
        """Labels for several orders, a few at a time; one outcome per order, in order.
        ``shipping_option`` / ``weight_kg``, when given, apply to each of them.

        With more than one order, no label is printed as it is bought: the labels (and
        customs declarations) are put in one batch at the end, kept and printed with one
        call of the print command (``LabelRun.batch``); ``paperwork`` (``picklist``,
        ``slips``; both by default with the ``batch_documents`` setting): the labelled
        orders' picking list and packing slips go first in it."""
        ids = list(dict.fromkeys(order_ids))
        bulk = len(ids) > 1
        gate = asyncio.Semaphore(BULK_CONCURRENCY)
        done = 0
        self.labels.option_cache = {}

        async def one(order_id: str) -> LabelOutcome:
            nonlocal done
            async with gate:
                try:
                    outcome = await self.labels.create_label(
                        order_id,
                        shipping_option=shipping_option,
                        weight_kg=weight_kg,
                        printing=not bulk,
                    )
                except CdtuiError as exc:
                    outcome = LabelOutcome(order_id=order_id, ok=False, error=exc.message)
                except Exception as exc:
                    log.exception("label for %s failed", order_id)
                    outcome = LabelOutcome(
                        order_id=order_id,
                        ok=False,
                        error=f"Unexpected error ({type(exc).__name__}); see the log.",
                    )
            done += 1
            if progress is not None:
                progress(done, len(ids))
            return outcome

        try:
            run = LabelRun(await asyncio.gather(*(one(i) for i in ids)))
        finally:
            self.labels.option_cache = None
        if bulk:
            if not paperwork and self.settings.batch_documents:
                # the setting asks for them; ZPL labels cannot share a stream with PDF
                paperwork = () if self.settings.label_format == "zpl" else PAPERWORK
            await self._batch_run(run, paperwork)
        return run

    # ------------------------------------------------------------ print batches

    @property
    def batches(self) -> Batches:
        """The print batches kept under the labels folder (``batches.py``)."""
        return Batches(self.settings.labels_path)

    async def _batch_run(self, run: LabelRun, paperwork: Sequence[str] = ()) -> None:
        """Put a bulk run's saved labels in one batch and print it once."""

        def items_of() -> list[BatchItem]:  # the store's files: off the event loop
            return [
                self._batch_item(
                    o.order_id,
                    Path(o.label_path),
                    Path(o.customs_path) if o.customs_path else None,
                )
                for o in run
                if o.ok and o.label_path
            ]

        items = await asyncio.to_thread(items_of)
        if not items:
            return
        try:
            run.batch = await self.make_batch(items, paperwork)
            if self.settings.print_command:
                await self.print_batch(run.batch)
                run.printed = True
        except CdtuiError as exc:
            run.batch_error = exc.message

    def _batch_item(self, order_id: str, label: Path, customs: Path | None) -> BatchItem:
        rec = self.store.order(order_id)
        return BatchItem(
            order_id=order_id,
            reference=rec.reference,
            tracking_number=rec.label.tracking_number if rec.label else None,
            label_path=label,
            customs_path=customs if customs is not None and customs.is_file() else None,
        )

    async def make_batch(self, items: list[BatchItem], paperwork: Sequence[str] = ()) -> Batch:
        """Merge these labels into one kept document (in a thread: pypdf and the disk),
        after the ``paperwork`` asked for (``picklist``, ``slips``)."""
        paper = self.settings.print_paper
        docs = await asyncio.to_thread(self.paperwork, [i.order_id for i in items], paperwork)
        return await asyncio.to_thread(
            self.batches.create, items, paper=paper, now=self.clock(), documents=docs
        )

    def paperwork(self, order_ids: list[str], kinds: Sequence[str]) -> list[Paperwork]:
        """The orders' picking list and/or packing slips on the batch paper (``kinds``:
        ``picklist``, ``slips``); blocking (fpdf2, the store): call it in a thread."""
        if not kinds:
            return []
        # imported here: fpdf2 and python-barcode take half a second to load
        from cdtui.documents import packing_slips_pdf, picking_list_pdf

        records = [self.store.order(i) for i in order_ids]
        paper = self.settings.print_paper
        made = []
        if "picklist" in kinds:
            data = picking_list_pdf(records, self.clock().astimezone(), paper)
            made.append(Paperwork("picking list", data))
        if "slips" in kinds:
            made.append(Paperwork("packing slips", packing_slips_pdf(records, paper)))
        return made

    async def batch_of_orders(self, order_ids: list[str], paperwork: Sequence[str] = ()) -> Batch:
        """A new batch of these orders' existing labels (a missing file is downloaded
        again); ``UsageError`` naming the first order without a label, before anything."""
        ids = list(dict.fromkeys(order_ids))
        for order_id in ids:
            rec = self.store.order(order_id)
            if rec.label is None or not rec.label.active:
                raise UsageError(f"Order {rec.reference} has no label to print.")
        items = []
        for order_id in ids:
            path = await self.labels.ensure_label_file(order_id)
            label = self.store.order(order_id).label
            customs = Path(label.customs_path) if label and label.customs_path else None
            items.append(await asyncio.to_thread(self._batch_item, order_id, path, customs))
        return await self.make_batch(items, paperwork)

    async def print_batch(self, batch: Batch) -> None:
        """Send the batch's document to the print command, once."""
        if not self.settings.print_command:
            raise UsageError("No print command is set: `cdtui setup --print-command CMD`.")
        if not await asyncio.to_thread(batch.path.is_file):
            raise CdtuiError(f"The document of batch {batch.id} is missing: {batch.path}.")
        await asyncio.to_thread(print_file, self.settings.print_command, batch.path)
        await asyncio.to_thread(self.batches.printed, batch, self.clock())

    async def cancel_label(self, order_id: str) -> CancelResult:
        """Cancel the order's Sendcloud label; the marketplace order is never touched."""
        rec = self.store.order(order_id)
        if rec.claim is not None:
            rec = await self.labels.reconcile(rec)
        label = rec.label
        if label is None or label.shipment_id is None:
            raise UsageError(f"Order {rec.reference} has no label to cancel.")
        if label.cancel_status in ("cancelled", "queued"):
            raise UsageError(
                f"The label of order {rec.reference} is already {label.cancel_status}."
            )
        # held meanwhile, so no tracking update for this label goes out during the cancel
        claim = self.labels.hold(order_id)
        try:
            result = await self.sendcloud.cancel(label.shipment_id)
        except BaseException:
            self.labels.release(order_id, claim)
            raise

        def apply(r: OrderRecord) -> OrderRecord:
            if r.claim is not None and r.claim.owner == claim.owner and r.claim.at == claim.at:
                r.claim = None
            if r.label is None or r.label.shipment_id != label.shipment_id:
                return r
            r.label.cancel_status = result.status
            r.label.cancel_message = result.message
            if result.status in ("cancelled", "queued"):
                r.label.cancelled_at = self.clock()  # the day report's "labels cancelled"
                r.label_generation += 1  # a new label needs a new reference
                if r.push is not None and r.push.status in (PushStatus.PENDING, PushStatus.FAILED):
                    r.push.status = PushStatus.DROPPED
                    r.push.last_error = "label cancelled"
                r.error = None
            return r

        self.store.update_order(order_id, apply)
        log.info("order %s: label cancellation %s", order_id, result.status)
        return result

    async def approve(self, order_id: str, accepted: bool) -> OrderRecord:
        """Accept or refuse an order waiting for acceptance; the store reflects the answer."""
        rec = self.store.order(order_id)
        state, _ = derive_state(rec)
        if state != State.WAITING_ACCEPTANCE:
            raise UsageError(
                f"Order {rec.reference} is {state.value.replace('_', ' ')}, not waiting for "
                f"acceptance."
            )
        try:
            await self.octopia.set_approval(rec.seller_id, rec.order_id, accepted)
        except DelegationMissing:
            raise self._delegation_missing(rec.seller_id) from None
        await self.reread_order(rec)
        return self.store.order(order_id)

    async def reread_order(self, rec: OrderRecord) -> None:
        """Store the marketplace's copy of an order cdtui has just changed there."""
        await reread_order(self, rec)

    async def label_file(self, order_id: str) -> Path:
        """The saved label file, downloaded again if it is missing."""
        return await self.labels.ensure_label_file(order_id)

    def print_label(self, path: Path) -> None:
        if not self.settings.print_command:
            raise UsageError("No print command is set: `cdtui setup --print-command CMD`.")
        print_file(self.settings.print_command, path)
