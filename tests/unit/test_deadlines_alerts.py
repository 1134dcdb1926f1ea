"""Deadlines that shout: an order to ship is late, due soon (within the margin) or due
later; alerts are given once per order, threshold and destination, across syncs,
processes and restarts, and a destination that failed gets them again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import time_machine

from cdtui.alerts import AlertBook, Threshold, current_alerts, payload, summary_text
from cdtui.errors import StoreError
from cdtui.models import LabelInfo, Order
from cdtui.orders.deadlines import Deadline, classify, due_word, order_due
from cdtui.orders.enums import State
from cdtui.orders.summary import summarize
from cdtui.storage.store import Store

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
FOUR_HOURS = timedelta(hours=4)


def order(order_id: str, ship_by: datetime, status: str = "InPreparation", **fields: Any) -> Order:
    return Order.model_validate(
        {
            "orderId": order_id,
            "reference": f"REF-{order_id}",
            "salesChannel": {"id": "CDISFR", "name": "Cdiscount"},
            "createdAt": "2026-11-25T08:31:00Z",
            "status": status,
            "shippedAtMax": ship_by.isoformat(),
            "lines": [
                {
                    "orderLineId": "1",
                    "status": status,
                    "quantity": 1,
                    "offer": {"sellerProductId": "SKU-1", "productTitle": "Mug"},
                    "shippingAddress": {
                        "firstName": "Camille",
                        "lastName": "Durand",
                        "addressLine1": "12 rue de la Paix",
                        "postalCode": "75002",
                        "city": "Paris",
                        "countryCode": "FR",
                    },
                }
            ],
            **fields,
        }
    )


# ---------------------------------------------------------------- classification


@pytest.mark.parametrize(
    ("ship_by", "expected"),
    [
        (NOW - timedelta(seconds=1), Deadline.LATE),
        (NOW - timedelta(days=2), Deadline.LATE),
        (NOW, Deadline.DUE_SOON),
        (NOW + timedelta(hours=3, minutes=59), Deadline.DUE_SOON),
        (NOW + FOUR_HOURS, Deadline.LATER),
        (NOW + timedelta(days=1), Deadline.LATER),
        (None, None),
    ],
)
def test_classify_against_the_margin(ship_by: datetime | None, expected: Deadline | None) -> None:
    assert classify(ship_by, NOW, FOUR_HOURS) == expected


def test_the_margin_decides_what_is_due_soon() -> None:
    in_five_hours = NOW + timedelta(hours=5)
    assert classify(in_five_hours, NOW, FOUR_HOURS) == Deadline.LATER
    assert classify(in_five_hours, NOW, timedelta(hours=6)) == Deadline.DUE_SOON


def test_a_date_without_zone_is_utc() -> None:
    naive = (NOW + timedelta(hours=1)).replace(tzinfo=None)
    assert classify(naive, NOW, FOUR_HOURS) == Deadline.DUE_SOON


def summary_of(o: Order, state: State, labelled: bool = False) -> Any:
    label = (
        LabelInfo(external_reference_id="x", shipment_id="1", carrier_name="Colissimo")
        if labelled
        else None
    )
    return summarize(
        o, order_id=o.order_id, integration_id="1", seller_id="s", state=state, label=label
    )


def test_only_orders_still_to_ship_have_a_deadline_class() -> None:
    late = order("L", NOW - timedelta(hours=1))
    assert order_due(summary_of(late, State.TO_SHIP), NOW, FOUR_HOURS) == Deadline.LATE
    assert order_due(summary_of(late, State.LABEL_PENDING), NOW, FOUR_HOURS) == Deadline.LATE
    for state in (State.WAITING_ACCEPTANCE, State.LABELLED, State.CANCELLED, State.DELIVERED):
        assert order_due(summary_of(late, state), NOW, FOUR_HOURS) is None
    later = summary_of(order("X", NOW + timedelta(days=2)), State.TO_SHIP)
    assert due_word(later, NOW, FOUR_HOURS) is None
    soon = summary_of(order("S", NOW + timedelta(hours=1)), State.TO_SHIP)
    assert due_word(soon, NOW, FOUR_HOURS) == "due_soon"


def test_alerts_and_their_one_line_summary() -> None:
    rows = [
        summary_of(
            order("N", NOW + timedelta(days=2), "WaitingAcceptance"), State.WAITING_ACCEPTANCE
        ),
        summary_of(order("S", NOW + timedelta(hours=1)), State.TO_SHIP),
        summary_of(order("L", NOW - timedelta(hours=1), reference="R\x1b]0;x\x07"), State.TO_SHIP),
        summary_of(order("X", NOW + timedelta(days=2)), State.TO_SHIP),
        summary_of(order("D", NOW - timedelta(hours=1)), State.LABELLED, labelled=True),
    ]
    alerts = current_alerts(rows, NOW, FOUR_HOURS)
    assert [(a.order_id, a.threshold) for a in alerts] == [
        ("L", Threshold.LATE),
        ("S", Threshold.DUE_SOON),
        ("N", Threshold.NEW),
    ]
    text = summary_text(alerts, FOUR_HOURS)
    assert text == (
        "1 late (R\\x1b]0;x\\x07) · 1 due soon, within 4 h (REF-S) · 1 order to accept (REF-N)"
    )
    body = payload(alerts, NOW, FOUR_HOURS)
    assert body["counts"] == {"new": 1, "due_soon": 1, "late": 1}
    assert body["alerts"][1] == {
        "kind": "due_soon",
        "order_id": "S",
        "reference": "REF-S",
        "integration_id": "1",
        "channel": "Cdiscount",
        "ship_by": "2026-11-26T11:00:00Z",
    }
    orjson.dumps(body)  # JSON as is


# ---------------------------------------------------------------- once only


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path)
    s.add_integration(name="Shop", seller_id="s", login="shop")
    return s


def book(store: Store, sink: str = "tui") -> AlertBook:
    from cdtui.models import utcnow

    return AlertBook(store, sink, margin=FOUR_HOURS, clock=utcnow)


def test_each_order_and_threshold_is_announced_once_as_time_passes(
    store: Store, tmp_path: Path
) -> None:
    with time_machine.travel(NOW, tick=False) as clock:
        store.upsert_orders(
            "1",
            "s",
            [
                order("A", NOW + timedelta(hours=6)),  # later, due soon in 2 h, late in 6 h
                order("N", NOW + timedelta(days=2), "WaitingAcceptance"),
            ],
        )
        first = book(store).take()
        assert [(a.order_id, a.threshold) for a in first] == [("N", Threshold.NEW)]
        assert book(store).take() == []  # the next sync: nothing again
        clock.shift(timedelta(hours=2, minutes=30))
        assert [(a.order_id, a.threshold) for a in book(store).take()] == [
            ("A", Threshold.DUE_SOON)
        ]
        assert book(store).take() == []
        clock.shift(timedelta(hours=4))
        restarted = Store(tmp_path)  # another process, or a restart
        assert [(a.order_id, a.threshold) for a in book(restarted).take()] == [
            ("A", Threshold.LATE)
        ]
        assert book(restarted).take() == []
        assert book(store).take() == []
        # another destination has its own record: it is given everything once
        assert {(a.order_id, a.threshold) for a in book(store, "webhook").due()} == {
            ("A", Threshold.LATE),
            ("N", Threshold.NEW),
        }


def test_an_alert_not_delivered_stays_due(store: Store) -> None:
    with time_machine.travel(NOW, tick=False):
        store.upsert_orders("1", "s", [order("A", NOW + timedelta(hours=1))])
        hook = book(store, "webhook")
        due = hook.due()
        assert [a.order_id for a in due] == ["A"]
        # the POST failed: nothing recorded, the next sync finds it again
        assert [a.order_id for a in hook.due()] == ["A"]
        hook.delivered(due)
        assert hook.due() == []
        assert [a.order_id for a in book(store, "command").due()] == ["A"]


def test_orders_that_raise_no_alert_are_forgotten(store: Store, tmp_path: Path) -> None:
    with time_machine.travel(NOW, tick=False):
        store.upsert_orders("1", "s", [order("A", NOW + timedelta(hours=1))])
        assert len(book(store).take()) == 1
        told = store.announced_to("tui")
        assert told == {"A": frozenset({"due_soon"})}
        # labelled: no alert any more, its entry goes at the next look
        store.update_order(
            "A",
            lambda r: r.model_copy(
                update={"label": LabelInfo(external_reference_id="x", shipment_id="1")}
            ),
        )
        assert book(store).take() == []
        assert store.announced_to("tui") == {}
        path = tmp_path / "data" / "announced.json"
        assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_a_damaged_record_is_reported_and_left_alone(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "data" / "announced.json"
    path.write_text("[1, 2]")
    with pytest.raises(StoreError, match=r"announced\.json is damaged"):
        book(store).take()
    assert path.read_text() == "[1, 2]"
