"""One sync pass: import orders, settle interrupted labels, send tracking, refresh it.

Per integration, in this order:

1. **Import** the orders updated since the start of the last successful run minus an
   overlap (first run: the last 30 days; once a day: the last 2 days), one paged query
   per selected channel (or one for "all"), checked complete against the server's
   count, collected then stored in one batch (upsert by order id: repeats from paging
   collapse, unchanged orders write nothing).
2. **Reconcile** purchases left ``label_pending`` by a crash (asks Sendcloud).
3. **Send** every tracking update that is pending and due (with backoff on failures).
4. **Refresh** the tracking of labelled orders not yet delivered.

An integration that fails (delegation revoked, network down) gets its error recorded
and shown; the others carry on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cdtui.context import Context
from cdtui.errors import (
    BadCredentials,
    CdtuiError,
    DelegationMissing,
    NotFound,
    NotFoundLocally,
    TimedOut,
    Unavailable,
)
from cdtui.labels import LabelService
from cdtui.models import Integration, OrderRecord
from cdtui.orders.enums import PushStatus, State
from cdtui.storage.store import KnownOrder, PreparedOrder, gc_paused

log = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=90)
FIRST_RUN_WINDOW = timedelta(days=30)
CATCHUP_EVERY = timedelta(hours=24)
CATCHUP_WINDOW = timedelta(days=2)
#: a parcel's tracking is not asked for again within this delay
REFRESH_EVERY = timedelta(minutes=5)
REFRESH_CONCURRENCY = 8
#: tracking updates sent at once by a sync
PUSH_CONCURRENCY = 4
#: readings of the pages before an import is declared incomplete (see ``_import``)
MAX_PASSES = 3
_FATAL = (DelegationMissing, BadCredentials, Unavailable, TimedOut)
_MIN_DT = datetime.min


@dataclass
class SyncProgress:
    integration_id: str
    phase: str  # "import" | "labels" | "tracking" | "refresh" | "done"
    done: int
    total: int | None


@dataclass
class SyncReport:
    id: str
    imported: int = 0
    updated: int = 0
    tracking_sent: int = 0
    tracking_refreshed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "imported": self.imported,
            "updated": self.updated,
            "tracking_sent": self.tracking_sent,
            "tracking_refreshed": self.tracking_refreshed,
            "errors": list(self.errors),
        }


ProgressFn = Callable[[SyncProgress], None]


def import_window(integ: Integration, now: datetime) -> tuple[datetime, bool]:
    """(updatedAtMin for this run, whether it is the daily catch-up)."""
    if integ.last_success_started_at is None:
        return now - FIRST_RUN_WINDOW, True
    start = integ.last_success_started_at - OVERLAP
    if integ.last_catchup_at is None or now - integ.last_catchup_at >= CATCHUP_EVERY:
        return min(start, now - CATCHUP_WINDOW), True
    return start, False


def _newer(a: datetime | None, b: datetime | None) -> bool:
    """Whether a copy changed at ``a`` is at least as recent as one changed at ``b``
    (for an order repeated across pages)."""
    ta = a.replace(tzinfo=None) if a else _MIN_DT
    tb = b.replace(tzinfo=None) if b else _MIN_DT
    return ta >= tb


class SyncRunner:
    def __init__(self, ctx: Context, labels: LabelService) -> None:
        self.ctx = ctx
        self.labels = labels
        #: when each order's tracking was last asked for by this process
        self._refreshed: dict[str, datetime] = {}

    async def run(
        self,
        integration_id: str | None = None,
        progress: ProgressFn | None = None,
        *,
        manual: bool = False,
    ) -> list[SyncReport]:
        """One pass over the integrations. ``manual`` (a sync the operator asked for)
        retries every pending tracking update now; the timer's passes keep the backoff."""
        store = self.ctx.store
        integs = (
            [store.integration(integration_id)]
            if integration_id is not None
            else store.integrations()
        )
        reports = []
        for integ in integs:
            reports.append(await self._one(integ, progress, manual=manual))
        return reports

    async def _one(
        self, integ: Integration, progress: ProgressFn | None, *, manual: bool = False
    ) -> SyncReport:
        report = SyncReport(id=integ.id)
        started = self.ctx.clock()
        notify = progress or (lambda _p: None)
        import_ok, catchup = False, False
        fatal: CdtuiError | None = None
        try:
            # Validating a page allocates thousands of objects, and the collector would
            # walk them again and again while the import runs. Almost none is in a
            # cycle (10,000 orders leave ~4,400 cyclic objects, mostly HTTP ones), so
            # nothing is collected until the import ends: collecting the youngest
            # generation after each page walked that page's models, still referenced
            # by the pager, and cost 5% of the import.
            with gc_paused():
                catchup, import_ok = await self._import(integ, started, report, notify)
        except CdtuiError as exc:
            report.errors.append(exc.message)
            if isinstance(exc, _FATAL):
                fatal = exc
        except Exception as exc:
            log.exception("sync of integration %s: import failed", integ.id)
            report.errors.append(f"Unexpected error while importing orders ({type(exc).__name__})")
        try:
            # a failed import must not keep the tracking updates waiting; only refused
            # credentials make every Octopia call fail the same way
            refused = isinstance(fatal, DelegationMissing | BadCredentials)
            await self._after_import(integ, report, notify, octopia_ok=not refused, manual=manual)
        except CdtuiError as exc:
            report.errors.append(exc.message)
        except Exception as exc:
            log.exception("sync of integration %s failed", integ.id)
            report.errors.append(f"Unexpected error during sync ({type(exc).__name__})")
        with contextlib.suppress(NotFoundLocally):  # disconnected meanwhile
            report.errors.extend(self.ctx.store.damaged(integ.id))
        self._record(integ, started, report, import_ok=import_ok, catchup=catchup)
        notify(SyncProgress(integ.id, "done", 1, 1))
        log.info(
            "sync %s: imported=%d updated=%d sent=%d refreshed=%d errors=%d",
            integ.id,
            report.imported,
            report.updated,
            report.tracking_sent,
            report.tracking_refreshed,
            len(report.errors),
        )
        return report

    # ---- 1. import

    async def _import(
        self, integ: Integration, started: datetime, report: SyncReport, notify: ProgressFn
    ) -> tuple[bool, bool]:
        """Import the window; returns (daily catch-up, complete).

        Paging has no upper date bound, so an order that changes while we page stays
        in the result set instead of leaving it and shifting the pages. Whatever the
        API's sort order, completeness is then checked: every order the server counts
        in the window must have been read (orders only ever enter the window), else
        the pages are read again (repeats collapse by order id). An import still
        incomplete after ``MAX_PASSES`` does not move the watermark, so the next run
        reads the same window again.

        Each page's orders are serialised for the store as the page arrives
        (``Store.prepare_orders``) and its models dropped: the import holds bytes, not
        10,000 pydantic models, and stores them all in one locked write at the end.
        """
        since, catchup = import_window(integ, started)
        octopia, store = self.ctx.octopia, self.ctx.store
        channels: list[str | None] = [None] if integ.all_channels else list(integ.channels)
        found: dict[str, PreparedOrder | KnownOrder] = {}
        skipped: dict[str, str] = {}
        complete = True
        for channel in channels:
            seen: set[str] = set()
            for attempt in range(1, MAX_PASSES + 1):
                anonymous = 0
                # the next pages are in flight while this one is prepared; leaving the
                # loop early (an error, a cancelled sync) cancels them (aclosing)
                pages = octopia.order_pages(
                    integ.seller_id, sales_channel_id=channel, updated_at_min=since
                )
                async with contextlib.aclosing(pages):
                    async for page in pages:
                        for order in store.prepare_orders(integ.id, integ.seller_id, page.orders):
                            seen.add(order.order_id)
                            prev = found.get(order.order_id)
                            if prev is None or _newer(order.updated_at, prev.updated_at):
                                found[order.order_id] = order
                        for order_id, reason in page.invalid:
                            if order_id:
                                seen.add(order_id)
                                skipped[order_id] = reason
                            else:
                                anonymous += 1
                        notify(SyncProgress(integ.id, "import", len(found), None))
                total = await octopia.count_orders(
                    integ.seller_id, sales_channel_id=channel, updated_at_min=since
                )
                if total <= len(seen) + anonymous:
                    break
                log.info(
                    "integration %s: %d of %d orders not seen while paging (pass %d); "
                    "reading the pages again",
                    integ.id,
                    total - len(seen) - anonymous,
                    total,
                    attempt,
                )
            else:
                complete = False
        if found:
            result = store.upsert_orders(integ.id, integ.seller_id, found.values())
            report.imported, report.updated = result.imported, result.updated
        for order_id, reason in skipped.items():
            log.warning("integration %s: unreadable order %s: %s", integ.id, order_id, reason)
        if skipped:
            ids = list(skipped)
            shown = ", ".join(ids[:5]) + (" ..." if len(ids) > 5 else "")
            report.errors.append(
                f"{len(ids)} order(s) from Octopia could not be read and were skipped: {shown}"
            )
        return catchup, complete

    # ---- 2-4. after the import

    async def _after_import(
        self,
        integ: Integration,
        report: SyncReport,
        notify: ProgressFn,
        *,
        octopia_ok: bool,
        manual: bool = False,
    ) -> None:
        labels = self.labels
        try:
            records = self.ctx.store.orders_in_work(integration_id=integ.id)
        except NotFoundLocally:
            return  # disconnected meanwhile
        claimed: list[OrderRecord] = []
        pending: list[OrderRecord] = []
        no_file: list[OrderRecord] = []
        refresh: list[OrderRecord] = []
        for r in records:
            if r.claim is not None:
                claimed.append(r)
            if r.push is not None and r.push.status == PushStatus.PENDING:
                pending.append(r)
            if r.label is not None and r.label.active and r.claim is None:
                if not r.label.label_path:
                    no_file.append(r)
                if r.label.tracking_number and r.state in (State.LABELLED, State.TRACKING_SENT):
                    refresh.append(r)
        # 2. interrupted purchases, before anything else touches those orders
        for i, rec in enumerate(claimed):
            notify(SyncProgress(integ.id, "labels", i, len(claimed)))
            try:
                await labels.reconcile(rec)
            except CdtuiError as exc:
                report.errors.append(f"Order {rec.reference}: {exc.message}")
        for rec in no_file:
            try:
                await labels.ensure_label_file(rec.order_id)
            except CdtuiError as exc:
                report.errors.append(f"Order {rec.reference}: label file: {exc.message}")
        # 3. tracking updates
        if octopia_ok:
            await self._send_pushes(integ, pending, report, notify, manual=manual)
        # 4. tracking refresh
        await self._refresh(integ, refresh, report, notify)

    async def _send_pushes(
        self,
        integ: Integration,
        pending: list[OrderRecord],
        report: SyncReport,
        notify: ProgressFn,
        *,
        manual: bool = False,
    ) -> None:
        labels = self.labels
        now = self.ctx.clock()
        due = [
            r
            for r in pending
            if r.push is not None
            and (manual or r.push.next_attempt_at is None or r.push.next_attempt_at <= now)
        ]
        # Each update is tried on its own (one failing never keeps the others waiting),
        # a few at a time so that an outage costs one timeout, not one per update.
        gate = asyncio.Semaphore(PUSH_CONCURRENCY)
        done = 0

        async def one(rec: OrderRecord) -> None:
            nonlocal done
            async with gate:
                result = await labels.send_push(rec.order_id, integ, now_anyway=manual)
            done += 1
            notify(SyncProgress(integ.id, "tracking", done, len(due)))
            if result.status == PushStatus.SENT:
                report.tracking_sent += 1
            elif result.error:
                report.errors.append(f"Order {rec.reference}: {result.error}")

        notify(SyncProgress(integ.id, "tracking", 0, len(due)))
        await asyncio.gather(*(one(r) for r in due))

    async def _refresh(
        self,
        integ: Integration,
        candidates: list[OrderRecord],
        report: SyncReport,
        notify: ProgressFn,
    ) -> None:
        """Ask Sendcloud for the tracking of labelled parcels not refreshed lately."""
        now = self.ctx.clock()
        store = self.ctx.store
        todo = []
        for r in candidates:
            last = max(
                (t for t in (r.tracking_refreshed_at, self._refreshed.get(r.order_id)) if t),
                default=None,
            )
            if last is None or now - last >= REFRESH_EVERY:
                todo.append(r)
        if not todo:
            return
        sendcloud = self.ctx.sendcloud
        gate = asyncio.Semaphore(REFRESH_CONCURRENCY)
        done = 0
        failures: list[str] = []

        async def one(rec: OrderRecord) -> None:
            nonlocal done
            assert rec.label is not None and rec.label.tracking_number
            async with gate:
                try:
                    events = await sendcloud.tracking(rec.label.tracking_number)
                except NotFound:
                    events = None
                except CdtuiError as exc:
                    failures.append(exc.message)
                    return
            self._refreshed[rec.order_id] = now
            done += 1
            report.tracking_refreshed += 1
            notify(SyncProgress(integ.id, "refresh", done, len(todo)))
            if events is None or events == rec.tracking_events:
                return

            def keep(r: OrderRecord) -> OrderRecord:
                r.tracking_events = events
                r.tracking_refreshed_at = now
                return r

            with contextlib.suppress(NotFoundLocally):
                store.update_order(rec.order_id, keep)

        await asyncio.gather(*(one(r) for r in todo))
        if failures:
            report.errors.append(
                f"Tracking of {len(failures)} parcel(s) could not be refreshed: {failures[0]}"
            )

    # ---- bookkeeping

    def _record(
        self,
        integ: Integration,
        started: datetime,
        report: SyncReport,
        *,
        import_ok: bool,
        catchup: bool,
    ) -> None:
        """Store the run's outcome on the integration (one small write to meta)."""
        finished = self.ctx.clock()
        error = "; ".join(report.errors) if report.errors else None

        def apply(i: Integration) -> Integration:
            i.last_sync_at = finished
            if import_ok:
                i.last_success_started_at = started
                if catchup:
                    i.last_catchup_at = started
            i.last_error = error[:500] if error else None
            if error:
                i.last_error_at = finished
            return i

        with contextlib.suppress(NotFoundLocally):
            self.ctx.store.update_integration(integ.id, apply)
