"""The end-of-day report: what a day shipped, bought and cancelled, per integration and
sales channel. A pure function of the stored records (no I/O).

What counts, for the local day ``[start, end)`` (the machine's time zone unless one is
given):

- **orders shipped**: orders whose tracking update the marketplace accepted that day
  (``TrackingPush.sent_at``: Cdiscount sees the order shipped from then on);
- **shipped late**: of those, the ones confirmed after their ship-by deadline (the
  order's, else its earliest line's: ``summary.ship_by``);
- **labels bought** and their total price, per currency: every label (the current one
  and the cancelled ones it replaced) bought that day, priced with the quote kept at
  purchase; a label without one (bought before prices were kept, or adopted after a
  crash) is counted as "price unknown". Labels cancelled since stay in the total:
  Sendcloud credits them separately;
- **labels cancelled**: cancellations Sendcloud accepted that day (done or queued);
- **tracking pending / refused**: tracking updates not accepted by the marketplace
  *now*, whatever the day (what is still to chase at the end of the day).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from cdtui.models import Integration, LabelInfo, OrderRecord, iso
from cdtui.orders.enums import PushStatus
from cdtui.orders.summary import summarize_record


@dataclass
class ReportLabel:
    """One label bought on the day."""

    order_id: str
    reference: str
    carrier: str | None
    tracking_number: str | None
    shipping_option: str | None
    price: Decimal | None
    currency: str | None
    bought_at: datetime
    #: when its cancellation was accepted (any day), else None
    cancelled_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "reference": self.reference,
            "carrier": self.carrier,
            "tracking_number": self.tracking_number,
            "shipping_option": self.shipping_option,
            "price": str(self.price) if self.price is not None else None,
            "currency": self.currency,
            "bought_at": iso(self.bought_at),
            "cancelled_at": iso(self.cancelled_at) if self.cancelled_at else None,
        }


@dataclass
class ReportRow:
    """The figures of one integration and channel (or of all: the totals)."""

    integration_id: str
    integration_name: str
    channel_id: str
    channel_name: str
    orders_shipped: int = 0
    shipped_late: int = 0
    #: references of the orders shipped late
    late_orders: list[str] = field(default_factory=list)
    labels_bought: int = 0
    #: currency -> total price of the labels bought that had a quote
    label_cost: dict[str, Decimal] = field(default_factory=dict)
    #: labels bought without a known price
    labels_price_unknown: int = 0
    labels_cancelled: int = 0
    tracking_pending: int = 0
    tracking_refused: int = 0
    labels: list[ReportLabel] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.orders_shipped
            or self.labels_bought
            or self.labels_cancelled
            or self.tracking_pending
            or self.tracking_refused
        )

    def add(self, other: ReportRow) -> None:
        """Add ``other``'s figures to these (the totals)."""
        self.orders_shipped += other.orders_shipped
        self.shipped_late += other.shipped_late
        self.late_orders.extend(other.late_orders)
        self.labels_bought += other.labels_bought
        for currency, amount in other.label_cost.items():
            self.label_cost[currency] = self.label_cost.get(currency, Decimal(0)) + amount
        self.labels_price_unknown += other.labels_price_unknown
        self.labels_cancelled += other.labels_cancelled
        self.tracking_pending += other.tracking_pending
        self.tracking_refused += other.tracking_refused
        self.labels.extend(other.labels)

    def late_text(self, shown: int = 8) -> str:
        """The references shipped late, the first ``shown`` of them (``+ 12 more``)."""
        refs = self.late_orders
        more = f" + {len(refs) - shown} more" if len(refs) > shown else ""
        return ", ".join(refs[:shown]) + more

    def cost_text(self, *, unpriced: bool = True) -> str:
        """``12.40 EUR`` (several currencies joined, ``+ 2 unpriced`` when some lack a
        price and ``unpriced`` says so, ``price unknown`` when none has one, ``-`` when
        nothing was bought)."""
        parts = [f"{self.label_cost[c]:.2f} {c}" for c in sorted(self.label_cost)]
        if self.labels_price_unknown and not parts:
            return "price unknown"
        if self.labels_price_unknown and unpriced:
            parts.append(f"+ {self.labels_price_unknown} unpriced")
        return ", ".join(parts) or "-"

    def as_json(self, *, ids: bool = True) -> dict[str, Any]:
        """The row for ``--json``; ``ids=False`` (the totals): no names, no labels."""
        out: dict[str, Any] = {}
        if ids:
            out |= {
                "integration_id": self.integration_id,
                "integration": self.integration_name,
                "channel_id": self.channel_id,
                "channel": self.channel_name,
            }
        return (
            out
            | {
                "orders_shipped": self.orders_shipped,
                "shipped_late": self.shipped_late,
                "late_orders": self.late_orders,
                "labels_bought": self.labels_bought,
                "label_cost": {c: f"{self.label_cost[c]:.2f}" for c in sorted(self.label_cost)},
                "labels_price_unknown": self.labels_price_unknown,
                "labels_cancelled": self.labels_cancelled,
                "tracking_pending": self.tracking_pending,
                "tracking_refused": self.tracking_refused,
            }
            | ({"labels": [lb.as_json() for lb in self.labels]} if ids else {})
        )


@dataclass
class DayReport:
    day: date
    #: the local day as instants: ``[start, end)``
    start: datetime
    end: datetime
    #: when the "now" figures (tracking pending) were read
    generated_at: datetime
    rows: list[ReportRow]
    totals: ReportRow
    #: cancelled labels whose cancellation time was not kept (before this report existed)
    cancelled_undated: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "generated_at": iso(self.generated_at),
            "rows": [r.as_json() for r in self.rows],
            "totals": self.totals.as_json(ids=False),
            "cancelled_undated": self.cancelled_undated,
        }


def day_bounds(day: date, tz: tzinfo | None = None) -> tuple[datetime, datetime]:
    """The instants a local day starts and ends (a DST day is 23 or 25 hours long).

    Without ``tz``, the machine's time zone, as the operator's clock reads."""
    nxt = day + timedelta(days=1)
    if tz is None:
        return datetime.combine(day, time()).astimezone(), datetime.combine(
            nxt, time()
        ).astimezone()
    return datetime.combine(day, time(), tz), datetime.combine(nxt, time(), tz)


def local_today(now: datetime, tz: tzinfo | None = None) -> date:
    """The date ``now`` falls on in ``tz`` (the machine's time zone by default)."""
    return now.astimezone(tz).date()


def parse_day(text: str) -> date:
    """``YYYY-MM-DD`` as a date; ``ValueError`` with a sentence for a person otherwise."""
    value = text.strip()
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{text!r} is not a date: give it as YYYY-MM-DD (2026-11-30).") from None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def day_report(
    records: Iterable[OrderRecord],
    integrations: Iterable[Integration],
    day: date,
    *,
    now: datetime,
    tz: tzinfo | None = None,
    integration_id: str | None = None,
) -> DayReport:
    """The report of ``day`` over ``records`` (the orders cdtui worked on: the store's
    ``orders_in_work``), one row per integration and channel where something happened
    (rows sorted by integration then channel name), and their totals."""
    start, end = day_bounds(day, tz)

    def within(value: datetime | None) -> bool:
        return value is not None and start <= _aware(value) < end

    names = {i.id: i.name for i in integrations}
    rows: dict[tuple[str, str], ReportRow] = {}
    undated = 0
    for rec in records:
        if integration_id is not None and rec.integration_id != integration_id:
            continue
        channel = rec.order.sales_channel
        key = (rec.integration_id, rec.channel_id)
        row = rows.get(key)
        if row is None:
            row = rows[key] = ReportRow(
                integration_id=rec.integration_id,
                integration_name=names.get(rec.integration_id, rec.integration_id),
                channel_id=rec.channel_id,
                channel_name=(channel.name or channel.id) if channel else "",
            )
        push = rec.push
        if push is not None and push.status == PushStatus.SENT and within(push.sent_at):
            row.orders_shipped += 1
            assert push.sent_at is not None
            ship_by = summarize_record(rec).ship_by
            if ship_by is not None and _aware(push.sent_at) > _aware(ship_by):
                row.shipped_late += 1
                row.late_orders.append(rec.reference)
        if push is not None and push.status == PushStatus.PENDING:
            row.tracking_pending += 1
        elif push is not None and push.status == PushStatus.FAILED:
            row.tracking_refused += 1
        labels: list[LabelInfo] = [*rec.past_labels, *([rec.label] if rec.label else [])]
        for label in labels:
            if label.shipment_id is None:
                continue
            if within(label.created_at):
                assert label.created_at is not None
                row.labels_bought += 1
                if label.price is not None and label.currency:
                    row.label_cost[label.currency] = (
                        row.label_cost.get(label.currency, Decimal(0)) + label.price
                    )
                else:
                    row.labels_price_unknown += 1
                row.labels.append(
                    ReportLabel(
                        order_id=rec.order_id,
                        reference=rec.reference,
                        carrier=label.carrier_name or label.carrier_code,
                        tracking_number=label.tracking_number,
                        shipping_option=label.shipping_option_code,
                        price=label.price if label.currency else None,
                        currency=label.currency,
                        bought_at=_aware(label.created_at),
                        cancelled_at=label.cancelled_at,
                    )
                )
            if label.cancel_status in ("cancelled", "queued"):
                if label.cancelled_at is None:
                    undated += 1
                elif within(label.cancelled_at):
                    row.labels_cancelled += 1
    kept = sorted(
        (r for r in rows.values() if not r.empty),
        key=lambda r: (
            r.integration_name.casefold(),
            r.integration_id,
            r.channel_name.casefold(),
            r.channel_id,
        ),
    )
    totals = ReportRow(integration_id="", integration_name="", channel_id="", channel_name="")
    for r in kept:
        r.labels.sort(key=lambda lb: (lb.bought_at, lb.order_id))
        totals.add(r)
    return DayReport(
        day=day,
        start=start,
        end=end,
        generated_at=now,
        rows=kept,
        totals=totals,
        cancelled_undated=undated,
    )
