"""Deadlines that shout: which orders to tell the operator about, once each.

An alert is one order crossing one threshold: a new order waiting for acceptance
(``new``), an order to ship whose ship-by falls within the margin (``due_soon``), one
past it (``late``) — the classes of ``cdtui.orders.deadlines``. Each destination (a
"sink": ``tui`` rings the terminal's bell, ``command`` and ``webhook`` are the daemon's)
is given each alert once: what it was given is kept in the store
(``storage/announced.py``), so neither another sync nor another process nor a restart
repeats it. An order that no longer raises any alert is forgotten: if it comes back
(a label cancelled on a late order), it is announced again.

Two ways to use an ``AlertBook``: ``take()`` for a sink that cannot fail (the bell:
read and recorded at once, under the store's lock, so two TUIs ring once between them),
``due()`` then ``delivered()`` for one that can (a webhook down: nothing is recorded,
the alerts are due again at the next sync). The TUI and the daemon both use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from cdtui.models import iso
from cdtui.orders.deadlines import Deadline, order_due
from cdtui.orders.enums import State
from cdtui.storage.files import gc_paused
from cdtui.text import printable

if TYPE_CHECKING:
    from cdtui.orders.summary import OrderSummary
    from cdtui.storage.store import Store


class Threshold(StrEnum):
    """What an alert says of its order."""

    NEW = "new"
    DUE_SOON = "due_soon"
    LATE = "late"


#: how each threshold reads in a summary, and its order there (the most urgent first)
_WORDS = {
    Threshold.LATE: ("late", "late"),
    Threshold.DUE_SOON: ("due soon", "due soon"),
    Threshold.NEW: ("order to accept", "orders to accept"),
}
#: references named in the one-line summary per threshold (the rest counted)
NAMED = 3


@dataclass(frozen=True)
class Alert:
    """One order crossing one threshold."""

    order_id: str
    integration_id: str
    reference: str
    channel: str
    threshold: Threshold
    ship_by: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.threshold.value,
            "order_id": self.order_id,
            "reference": self.reference,
            "integration_id": self.integration_id,
            "channel": self.channel,
            "ship_by": iso(self.ship_by) if self.ship_by is not None else None,
        }


def current_alerts(rows: Iterable[OrderSummary], now: datetime, margin: timedelta) -> list[Alert]:
    """The alerts the orders raise now: ``new`` for each one waiting for acceptance,
    ``late`` / ``due_soon`` for each one still to ship; the most urgent first."""
    found: list[Alert] = []
    for row in rows:
        threshold: Threshold | None = None
        if row.state == State.WAITING_ACCEPTANCE:
            threshold = Threshold.NEW
        else:
            due = order_due(row, now, margin)
            if due == Deadline.LATE:
                threshold = Threshold.LATE
            elif due == Deadline.DUE_SOON:
                threshold = Threshold.DUE_SOON
        if threshold is not None:
            found.append(
                Alert(
                    order_id=row.order_id,
                    integration_id=row.integration_id,
                    reference=row.reference,
                    channel=row.channel_name or row.channel_id,
                    threshold=threshold,
                    ship_by=row.ship_by,
                )
            )
    rank = list(_WORDS)
    found.sort(
        key=lambda a: (
            rank.index(a.threshold),
            a.ship_by.timestamp() if a.ship_by is not None else float("inf"),
            a.order_id,
        )
    )
    return found


def summary_text(alerts: list[Alert], margin: timedelta) -> str:
    """One line for a person: ``2 late (A, B) · 1 due soon, within 4 h (C) · 3 orders
    to accept (D, E, F)``; API text made printable (no escape, no line break)."""
    parts = []
    for threshold, (one, many) in _WORDS.items():
        refs = [printable(a.reference) for a in alerts if a.threshold == threshold]
        if not refs:
            continue
        named = ", ".join(refs[:NAMED]) + (
            f" +{len(refs) - NAMED} more" if len(refs) > NAMED else ""
        )
        word = one if len(refs) == 1 else many
        if threshold == Threshold.DUE_SOON:
            word += f", within {_hours(margin)}"
        parts.append(f"{len(refs)} {word} ({named})")
    return " · ".join(parts)


def _hours(margin: timedelta) -> str:
    hours = margin.total_seconds() / 3600
    return f"{hours:g} h"


def payload(alerts: list[Alert], now: datetime, margin: timedelta) -> dict[str, Any]:
    """What the notify command reads on stdin and the webhook receives."""
    counts = {t.value: 0 for t in Threshold}
    for a in alerts:
        counts[a.threshold.value] += 1
    return {
        "source": "cdtui",
        "at": iso(now),
        "summary": summary_text(alerts, margin),
        "due_soon_hours": margin.total_seconds() / 3600,
        "counts": counts,
        "alerts": [a.as_json() for a in alerts],
    }


class AlertBook:
    """The alerts one sink has not been given yet, and what it was given."""

    def __init__(
        self,
        store: Store,
        sink: str,
        *,
        margin: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.sink = sink
        self.margin = margin
        self.clock = clock

    def current(self) -> list[Alert]:
        """Every alert the stored orders raise now."""
        rows = self.store.order_rows()
        with gc_paused():  # an alert per order at worst, beside the store's caches
            return current_alerts(rows, self.clock(), self.margin)

    def due(self) -> list[Alert]:
        """The alerts this sink was not given yet (nothing is recorded)."""
        told = self.store.announced_to(self.sink)
        return [a for a in self.current() if a.threshold not in told.get(a.order_id, ())]

    def delivered(self, alerts: list[Alert]) -> None:
        """Record ``alerts`` as given; forget orders that raise no alert any more."""
        live = {a.order_id for a in self.current()}
        self.store.update_announced(self.sink, lambda told: _record(told, alerts, live))

    def take(self) -> list[Alert]:
        """The alerts this sink was not given yet, recorded as given at once (under the
        store's lock: of two processes taking, one gets each alert)."""
        current = self.current()
        live = {a.order_id for a in current}
        taken: list[Alert] = []

        def change(told: dict[str, frozenset[str]]) -> dict[str, frozenset[str]]:
            taken[:] = [a for a in current if a.threshold not in told.get(a.order_id, ())]
            return _record(told, taken, live)

        self.store.update_announced(self.sink, change)
        return taken


def _record(
    told: dict[str, frozenset[str]], alerts: list[Alert], live: set[str]
) -> dict[str, frozenset[str]]:
    """``told`` with ``alerts`` added, orders outside ``live`` (and those alerts) left out."""
    keep = live | {a.order_id for a in alerts}
    out = {order_id: t for order_id, t in told.items() if order_id in keep}
    for a in alerts:
        out[a.order_id] = out.get(a.order_id, frozenset()) | {a.threshold.value}
    return out
