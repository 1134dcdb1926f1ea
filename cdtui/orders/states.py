"""Order states: the marketplace's side, cdtui's side, and the one table every view reads.

Pure functions over records and small enums, no I/O. ``order_state`` is what an order
nothing was done to shows (an import computes it for every order), ``derive_state``
the state and attention of any record (the store recomputes it after every change),
and ``STATES`` says, for each state, its word, its filter key, whether it is open and
where it sorts: the store's counts, the CLI's ``--status`` and the inbox's filters all
read it, so adding a state is one entry here.

The enums themselves live in ``orders/enums.py``, below the models that use them.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdtui.models import Order, OrderRecord
from cdtui.orders.enums import (
    SHOP_PICKUP_MODES,
    OrderStatus,
    PushStatus,
    State,
)


@dataclass(frozen=True)
class StateInfo:
    """How a state shows: its word, its inbox filter, whether work is still open."""

    state: State
    #: the word in tables and the detail
    word: str
    #: the inbox filter that lists it: key and title (several states may share one)
    filter_key: str
    filter_title: str
    #: work may still be done on it (its ship-by deadline matters)
    open: bool
    #: position when sorting by state
    sort: int


#: every state, in sort order (one entry per state: adding a state is one line here)
STATES: tuple[StateInfo, ...] = (
    StateInfo(State.WAITING_ACCEPTANCE, "to accept", "2", "To accept", True, 0),
    StateInfo(State.TO_SHIP, "to ship", "1", "To ship", True, 1),
    StateInfo(State.LABEL_PENDING, "label pending", "1", "To ship", True, 2),
    StateInfo(State.LABELLED, "label created", "3", "Label created", False, 3),
    StateInfo(State.TRACKING_SENT, "tracking sent", "4", "Tracking sent", False, 4),
    StateInfo(State.DELIVERED, "delivered", "7", "Delivered", False, 5),
    StateInfo(State.CANCELLED, "cancelled", "6", "Cancelled", False, 6),
    StateInfo(State.NOT_SHIPPABLE, "not shippable", "8", "Not shippable", False, 7),
)
STATE_INFO: dict[State, StateInfo] = {i.state: i for i in STATES}
OPEN_STATES = frozenset(i.state for i in STATES if i.open)


CANCELLED_LABEL_ATTENTION = (
    "Order cancelled on the marketplace after its label was bought: cancel the label"
)


_CANCELLED = OrderStatus.CANCELLED.value
_IN_PREPARATION = OrderStatus.IN_PREPARATION.value


def order_state(order: Order) -> State:
    """The state of an order from the marketplace's side alone: what an order cdtui has
    not started on (no claim, label or tracking) shows. ``derive_state`` builds on it.

    Cancelled: the order, or every one of its lines. To ship (the ``api/octopia.md``
    rule): in preparation, with a line the merchant ships itself that is in
    preparation, and no parcel yet on the merchant's lines (a warehouse's parcels do not
    count). The lines are walked once, with plain strings: an import runs this for
    every order it fetches.
    """
    status = order.status
    if status == _CANCELLED:
        return State.CANCELLED
    lines = order.lines
    all_cancelled, ready, parcel = bool(lines), False, False
    for ln in lines:
        line_status = ln.status
        if line_status != _CANCELLED:
            all_cancelled = False
        if ln.merchant_ships:
            # a shop pickup is handed over at the counter: nothing to ship
            ready = ready or (
                line_status == _IN_PREPARATION and ln.delivery.mode not in SHOP_PICKUP_MODES
            )
            parcel = parcel or any(p.parcel_number for p in ln.parcels)
    if all_cancelled:
        return State.CANCELLED
    if status == OrderStatus.DELIVERED:
        return State.DELIVERED
    if status == OrderStatus.WAITING_ACCEPTANCE:
        return State.WAITING_ACCEPTANCE
    if status == _IN_PREPARATION and ready and not parcel:
        return State.TO_SHIP
    return State.NOT_SHIPPABLE


@dataclass(frozen=True)
class NotShippable:
    """Why the merchant has nothing to ship on an order: a word for the inbox row's state
    cell (13 columns at most, as the state words) and a sentence for the detail."""

    word: str
    text: str


_SHIPPED = frozenset({OrderStatus.SHIPPED.value, OrderStatus.DELIVERED.value})


def not_shippable_why(order: Order) -> NotShippable:
    """Why an order that is not shippable is not, in the operator's words: shipped
    already, by the marketplace's warehouse, refused, rejected, not ready yet, collected
    at the shop, only cancellation requests left, ... so no order is "not shippable"
    without a word of why."""
    status = order.status
    lines = order.lines
    if not lines:
        return NotShippable("no lines", "The marketplace sent the order without lines")
    merchant = [ln for ln in lines if ln.merchant_ships]
    if not merchant:
        modes = ", ".join(sorted({ln.offer.supply_mode or "?" for ln in lines}))
        return NotShippable(
            "warehouse",
            f"Shipped by the marketplace's warehouse ({modes})",
        )
    if status == OrderStatus.REFUSED:
        return NotShippable("refused", "Refused (not accepted by the seller)")
    if status == OrderStatus.REJECTED:
        return NotShippable("rejected", "Rejected by the marketplace")
    parcels = [p.parcel_number for ln in merchant for p in ln.parcels if p.parcel_number]
    open_lines = [ln for ln in merchant if ln.status != _CANCELLED]
    shipped = bool(open_lines) and all(ln.status in _SHIPPED for ln in open_lines)
    if status == OrderStatus.SHIPPED or parcels or shipped:
        text = f"Already shipped (parcel {parcels[0]})" if parcels else "Already shipped"
        return NotShippable("shipped", text)
    if status in (OrderStatus.PROCESSING, OrderStatus.ACCEPTED):
        return NotShippable(
            "not ready",
            f"Not ready yet: the marketplace shows it {status}; it is to ship once in preparation",
        )
    if any(ln.status == _IN_PREPARATION and ln.shop_pickup for ln in merchant):
        return NotShippable("shop pickup", "Collected at the seller's shop: no carrier label")
    if open_lines and all(ln.status == OrderStatus.CANCEL_REQUEST for ln in open_lines):
        return NotShippable("cancel asked", "Only lines with a cancellation request")
    if not open_lines:
        return NotShippable(
            "cancelled",
            "Your lines are cancelled; the rest is shipped by the marketplace's warehouse",
        )
    line_statuses = ", ".join(sorted({ln.status or "?" for ln in merchant}))
    return NotShippable(
        "not shippable",
        f"No line of yours in preparation (marketplace: {status}; lines: {line_statuses})",
    )


def not_shippable_reason(order: Order) -> str:
    """Why the merchant has nothing to ship on an order that is not shippable — shown
    beside the state (``not_shippable_why``'s sentence)."""
    return not_shippable_why(order).text


SHOP_PICKUP_ATTENTION = "Collected at the seller's shop: no carrier label"
TRACKING_NOT_SENT = "Tracking not yet on the marketplace"


def marketplace_attention(order: Order, state: State) -> str | None:
    """What the operator must know about an order nothing was done to yet: a shop
    pickup (no label), lines with a cancellation request (never shipped silently)."""
    if state == State.TO_SHIP:
        asked = order.cancel_request_lines
        if asked:
            ids = ", ".join(ln.order_line_id for ln in asked)
            return (
                f"Cancellation requested on line {ids}: shipped without it unless you "
                "include it (only when the customer asked)"
            )
    elif (
        state == State.NOT_SHIPPABLE
        and order.status == _IN_PREPARATION
        and any(
            ln.merchant_ships and ln.status == _IN_PREPARATION and ln.shop_pickup
            for ln in order.lines
        )
    ):
        return SHOP_PICKUP_ATTENTION
    return None


def tracking_attention(rec: OrderRecord) -> str | None:
    """A tracking update the marketplace has not accepted yet, whatever the state."""
    push = rec.push
    if push is None or push.status not in (PushStatus.PENDING, PushStatus.FAILED):
        return None
    if push.status == PushStatus.FAILED:
        return f"{TRACKING_NOT_SENT}: refused by Octopia: {push.last_error or 'no reason given'}"
    return f"{TRACKING_NOT_SENT}: {push.last_error or 'waiting to be sent'}"


def derive_state(rec: OrderRecord) -> tuple[State, str | None]:
    """The operator-facing state and attention text of a record.

    Pure function of the record: the store calls it after every change so that the
    stored ``state`` is always consistent with the marketplace document and the label.
    No state hides a tracking update the marketplace has not accepted: delivered or
    labelled, such an order carries its attention text.
    """
    market = order_state(rec.order)
    has_label = rec.label is not None and rec.label.active
    if market == State.CANCELLED:
        return State.CANCELLED, CANCELLED_LABEL_ATTENTION if has_label else None
    if rec.claim is not None and not has_label:
        return State.LABEL_PENDING, None
    if market == State.DELIVERED or rec.delivered:
        return State.DELIVERED, tracking_attention(rec)
    if has_label:
        if rec.push is not None and rec.push.status == PushStatus.SENT:
            return State.TRACKING_SENT, None
        return State.LABELLED, tracking_attention(rec)
    if market != State.NOT_SHIPPABLE:  # waiting for acceptance, or to ship
        return market, marketplace_attention(rec.order, market)
    if rec.label is not None and rec.push is not None and rec.push.status == PushStatus.SENT:
        return State.NOT_SHIPPABLE, (
            f"Label cancelled after its tracking was sent: the marketplace still shows "
            f"parcel {rec.push.parcel_number}"
        )
    return State.NOT_SHIPPABLE, marketplace_attention(rec.order, market)
