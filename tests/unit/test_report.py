"""The end-of-day report (``orders/report.py``) over records built here: what a day
shipped, bought (at what price) and cancelled, per integration and channel."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cdtui.models import Integration, LabelInfo, Order, OrderRecord, TrackingPush
from cdtui.orders.enums import PushStatus
from cdtui.orders.report import day_bounds, day_report, local_today, parse_day

PARIS = ZoneInfo("Europe/Paris")
DAY = date(2026, 11, 30)  # in Paris: 2026-11-29T23:00Z to 2026-11-30T23:00Z
NOW = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
CHANNELS = {"1": "Cdiscount", "16": "OnBuy"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def label(
    bought: str,
    price: str | None = None,
    currency: str | None = "EUR",
    *,
    cancelled: str | None = None,
    status: str | None = None,
    n: int = 1,
) -> LabelInfo:
    return LabelInfo(
        external_reference_id=f"ref-{n}",
        shipment_id=f"shp-{n}",
        carrier_name="Colissimo",
        tracking_number=f"6A{n:04d}",
        shipping_option_code="colissimo:home",
        created_at=at(bought),
        price=Decimal(price) if price else None,
        currency=currency if price else None,
        cancel_status=status or ("cancelled" if cancelled else None),
        cancelled_at=at(cancelled) if cancelled else None,
    )


def record(
    order_id: str,
    integration: str = "1",
    channel: str = "1",
    *,
    ship_by: str = "2026-11-30T12:00:00Z",
    current: LabelInfo | None = None,
    past: list[LabelInfo] | None = None,
    push: PushStatus | None = None,
    sent: str | None = None,
) -> OrderRecord:
    order = Order.model_validate(
        {
            "orderId": order_id,
            "reference": f"REF-{order_id}",
            "status": "InPreparation",
            "shippedAtMax": ship_by,
            "salesChannel": {"id": channel, "name": CHANNELS[channel]},
            "lines": [{"orderLineId": "1", "status": "InPreparation"}],
        }
    )
    rec = OrderRecord(order_id=order_id, integration_id=integration, seller_id="98979", order=order)
    rec.label = current
    rec.past_labels = past or []
    if push is not None:
        rec.push = TrackingPush(
            status=push,
            carrier_name="Colissimo",
            parcel_number="6A",
            sent_at=at(sent) if sent else None,
        )
    return rec


INTEGRATIONS = [
    Integration(id="1", name="Atelier", seller_id="98979", login="a"),
    Integration(id="2", name="Bazar", seller_id="12345", login="b"),
]


def records() -> list[OrderRecord]:
    return [
        # shipped on time: label and tracking before the 12:00Z deadline
        record(
            "A1",
            current=label("2026-11-30T08:00:00Z", "5.90", n=1),
            push=PushStatus.SENT,
            sent="2026-11-30T09:00:00Z",
        ),
        # shipped late: confirmed at 14:00Z, due at 12:00Z
        record(
            "A2",
            current=label("2026-11-30T10:00:00Z", "7.10", n=2),
            push=PushStatus.SENT,
            sent="2026-11-30T14:00:00Z",
        ),
        # 00:30 in Paris on the 30th: that day; an old label without a price
        record(
            "A3",
            current=label("2026-11-29T23:30:00Z", n=3),
            push=PushStatus.PENDING,
        ),
        # 23:30 in Paris on the 29th: not that day, even if it is the 29th 22:30 in UTC
        record(
            "A4",
            current=label("2026-11-29T22:30:00Z", "5.00", n=4),
            push=PushStatus.SENT,
            sent="2026-11-29T22:45:00Z",
        ),
        # OnBuy: a label cancelled and bought again the same day (in pounds), tracking
        # refused by the marketplace
        record(
            "B1",
            channel="16",
            past=[label("2026-11-30T08:00:00Z", "4.50", "GBP", cancelled="2026-11-30T09:00:00Z")],
            current=label("2026-11-30T10:00:00Z", "4.80", "GBP", n=5),
            push=PushStatus.FAILED,
        ),
        # another integration: a label bought then cancelled, its update dropped
        record(
            "C1",
            integration="2",
            current=label("2026-11-30T11:00:00Z", "6.00", cancelled="2026-11-30T12:00:00Z", n=6),
            push=PushStatus.DROPPED,
        ),
        # cancelled before cancellation times were kept: no day to put it on
        record("C2", integration="2", current=label("2026-10-01T11:00:00Z", status="cancelled")),
    ]


def test_the_day_per_integration_and_channel_with_prices_late_cancelled_and_pending() -> None:
    report = day_report(records(), INTEGRATIONS, DAY, now=NOW, tz=PARIS)
    assert report.start == at("2026-11-29T23:00:00Z") and report.end == at("2026-11-30T23:00:00Z")
    got = [
        (
            r.integration_name,
            r.channel_name,
            r.orders_shipped,
            r.shipped_late,
            r.labels_bought,
            r.label_cost,
            r.labels_price_unknown,
            r.labels_cancelled,
            r.tracking_pending,
            r.tracking_refused,
        )
        for r in report.rows
    ]
    assert got == [
        ("Atelier", "Cdiscount", 2, 1, 3, {"EUR": Decimal("13.00")}, 1, 0, 1, 0),
        ("Atelier", "OnBuy", 0, 0, 2, {"GBP": Decimal("9.30")}, 0, 1, 0, 1),
        ("Bazar", "Cdiscount", 0, 0, 1, {"EUR": Decimal("6.00")}, 0, 1, 0, 0),
    ]
    assert report.rows[0].late_orders == ["REF-A2"]
    assert report.rows[0].late_text() == "REF-A2"
    many = report.rows[0]
    many.late_orders = [f"R{n}" for n in range(11)]
    assert many.late_text(3) == "R0, R1, R2 + 8 more"
    assert [lb.order_id for lb in report.rows[0].labels] == ["A3", "A1", "A2"]
    assert report.rows[0].cost_text() == "13.00 EUR, + 1 unpriced"
    t = report.totals
    assert (t.orders_shipped, t.shipped_late, t.labels_bought, t.labels_cancelled) == (2, 1, 6, 2)
    assert t.label_cost == {"EUR": Decimal("19.00"), "GBP": Decimal("9.30")}
    assert (t.labels_price_unknown, t.tracking_pending, t.tracking_refused) == (1, 1, 1)
    assert t.cost_text() == "19.00 EUR, 9.30 GBP, + 1 unpriced"
    assert report.cancelled_undated == 1


def test_json_has_the_prices_as_text_and_the_totals_without_labels() -> None:
    out = day_report(records(), INTEGRATIONS, DAY, now=NOW, tz=PARIS).as_json()
    assert out["date"] == "2026-11-30" and out["from"] == "2026-11-30T00:00:00+01:00"
    assert out["totals"]["label_cost"] == {"EUR": "19.00", "GBP": "9.30"}
    assert "labels" not in out["totals"]
    onbuy = out["rows"][1]
    assert [(lb["price"], lb["currency"], lb["cancelled_at"]) for lb in onbuy["labels"]] == [
        ("4.50", "GBP", "2026-11-30T09:00:00Z"),
        ("4.80", "GBP", None),
    ]
    unpriced = out["rows"][0]["labels"][0]
    assert (unpriced["order_id"], unpriced["price"], unpriced["currency"]) == ("A3", None, None)


def test_one_integration_and_another_day() -> None:
    only = day_report(records(), INTEGRATIONS, DAY, now=NOW, tz=PARIS, integration_id="2")
    assert [(r.integration_id, r.labels_bought, r.labels_cancelled) for r in only.rows] == [
        ("2", 1, 1)
    ]
    # the 29th (Paris): A4 bought and shipped, before its deadline of the 30th
    before = day_report(records(), INTEGRATIONS, date(2026, 11, 29), now=NOW, tz=PARIS)
    first = before.rows[0]
    assert (first.orders_shipped, first.shipped_late, first.labels_bought) == (1, 0, 1)
    assert first.label_cost == {"EUR": Decimal("5.00")}
    # a later day: nothing happened, but what is still pending now is still said
    after = day_report(records(), INTEGRATIONS, date(2026, 12, 1), now=NOW, tz=PARIS)
    assert [
        (r.channel_name, r.labels_bought, r.tracking_pending, r.tracking_refused)
        for r in after.rows
    ] == [("Cdiscount", 0, 1, 0), ("OnBuy", 0, 0, 1)]
    assert after.totals.cost_text() == "-"
    assert day_report([], INTEGRATIONS, DAY, now=NOW, tz=PARIS).rows == []


def test_only_unpriced_labels_say_price_unknown() -> None:
    rec = record("D1", current=label("2026-11-30T10:00:00Z", n=7))
    report = day_report([rec], INTEGRATIONS, DAY, now=NOW, tz=PARIS)
    assert report.totals.cost_text() == "price unknown"
    assert report.as_json()["totals"]["label_cost"] == {}


@pytest.fixture
def paris_machine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_machine_time_zone_is_the_default_daylight_saving_included(
    paris_machine: None,
) -> None:
    start, end = day_bounds(date(2026, 3, 29))  # clocks go forward: 23 hours
    assert start == at("2026-03-28T23:00:00Z") and end == at("2026-03-29T22:00:00Z")
    assert local_today(at("2026-11-29T23:30:00Z")) == date(2026, 11, 30)
    assert day_report(records(), INTEGRATIONS, DAY, now=NOW).totals.labels_bought == 6


@pytest.mark.parametrize("text", ["2026-13-01", "30/11/2026", "yesterday", "2026-1-5", ""])
def test_bad_dates_are_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_day(text)
    assert parse_day(" 2026-11-30 ") == DAY


def test_label_prices_are_optional_and_currencies_are_codes() -> None:
    old: dict[str, Any] = {"external_reference_id": "r", "shipment_id": "s"}
    info = LabelInfo.model_validate(old)  # a label stored before prices were kept
    assert (info.price, info.currency, info.cancelled_at) == (None, None, None)
    assert LabelInfo.model_validate(old | {"currency": " eur"}).currency == "EUR"
    for bad in ("=1+2", "EURO", "€", 3):
        assert LabelInfo.model_validate(old | {"currency": bad}).currency is None
    assert (
        OrderRecord.model_validate(
            {
                "order_id": "A1",
                "integration_id": "1",
                "seller_id": "98979",
                "order": {"orderId": "A1", "status": "Shipped"},
            }
        ).past_labels
        == []
    )
