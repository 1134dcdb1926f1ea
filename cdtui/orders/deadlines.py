"""Deadlines: is an order still to ship late, due soon (within the margin), or due later?

Pure functions over an order's summary (``orders/summary.py``: its state and ship-by)
and the time, no I/O. The margin is the ``due_soon_hours`` setting. The inbox's "Due
soon" filter and count, ``cdtui orders --due-soon`` and the ``due`` of ``orders --json``,
and the alerts (``cdtui/alerts.py``) all read ``order_due``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from cdtui.orders.enums import State

if TYPE_CHECKING:
    from cdtui.orders.summary import OrderSummary

#: the margin when none is set (the default of the ``due_soon_hours`` setting)
DEFAULT_MARGIN = timedelta(hours=4)

#: the states in which the merchant still has to ship the order (a label being
#: bought included: until it is, the parcel has not left)
TO_SHIP_STATES = frozenset({State.TO_SHIP, State.LABEL_PENDING})


class Deadline(StrEnum):
    """How close an order still to ship is to its ship-by deadline."""

    #: the deadline has passed
    LATE = "late"
    #: the deadline falls within the margin from now
    DUE_SOON = "due_soon"
    #: the deadline is further away
    LATER = "later"


def classify(ship_by: datetime | None, now: datetime, margin: timedelta) -> Deadline | None:
    """Late before ``now``, due soon before ``now + margin``, else later; None without
    a deadline. A date without a time zone is taken as UTC."""
    if ship_by is None:
        return None
    if ship_by.tzinfo is None:
        ship_by = ship_by.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    if ship_by < now:
        return Deadline.LATE
    if ship_by < now + margin:
        return Deadline.DUE_SOON
    return Deadline.LATER


def order_due(summary: OrderSummary, now: datetime, margin: timedelta) -> Deadline | None:
    """The deadline class of an order still to ship; None for any other order (one to
    accept, labelled, shipped, cancelled) and for one without a ship-by date."""
    state = summary.state  # by identity: an enum's hash is Python code (10,000 rows a load)
    if state is not State.TO_SHIP and state is not State.LABEL_PENDING:
        return None
    return classify(summary.ship_by, now, margin)


def due_word(summary: OrderSummary, now: datetime, margin: timedelta) -> str | None:
    """``"late"``, ``"due_soon"`` or None (due later, not to ship, no deadline): the
    ``due`` of ``orders --json``."""
    due = order_due(summary, now, margin)
    return due.value if due in (Deadline.LATE, Deadline.DUE_SOON) else None


def is_urgent(summary: OrderSummary, now: datetime, margin: timedelta) -> bool:
    """Late or due soon: what the "Due soon" filter and ``--due-soon`` list."""
    return due_word(summary, now, margin) is not None
