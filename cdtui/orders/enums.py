"""The vocabulary of an order: marketplace statuses, delivery modes, push and operator
states. Plain enums and constants with no imports of the project, so the models can be
built on them (``orders/states.py`` holds what is derived from them)."""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    PROCESSING = "Processing"
    WAITING_ACCEPTANCE = "WaitingAcceptance"
    REFUSED = "Refused"
    REJECTED = "Rejected"
    ACCEPTED = "Accepted"
    IN_PREPARATION = "InPreparation"
    SHIPPED = "Shipped"
    DELIVERED = "Delivered"
    CANCELLED = "Cancelled"
    CANCEL_REQUEST = "CancelRequest"  # line status only


# Octopia delivery modes (``lines[].delivery.mode``), api/octopia.md. Relays have no
# public mode code: a relay is a line whose shipping address has a ``pickupId``.
#: the buyer collects at the seller's shop: no carrier label
SHOP_PICKUP_MODES = frozenset({"ShopPickup", "RIM", "MAG"})
#: sold as signed delivery ("Recommandé")
SIGNED_MODES = frozenset({"SHD", "REG"})
#: sold as express delivery
EXPRESS_MODES = frozenset({"EHD", "EXP"})


# Octopia delivery modes (``lines[].delivery.mode``), api/octopia.md. Relays have no
# public mode code: a relay is a line whose shipping address has a ``pickupId``.
#: the buyer collects at the seller's shop: no carrier label
SHOP_PICKUP_MODES = frozenset({"ShopPickup", "RIM", "MAG"})
#: sold as signed delivery ("Recommandé")
SIGNED_MODES = frozenset({"SHD", "REG"})
#: sold as express delivery
EXPRESS_MODES = frozenset({"EHD", "EXP"})
#: line statuses the merchant may ship (``CancelRequest`` only when the operator says so)
SHIPPABLE_LINE_STATUSES = (OrderStatus.IN_PREPARATION.value, OrderStatus.CANCEL_REQUEST.value)


class PushStatus(StrEnum):
    PENDING = "pending"  # stored, not yet confirmed by the marketplace
    SENT = "sent"  # confirmed (201, or the order already carries the parcel)
    FAILED = "failed"  # refused for good by the marketplace; an operator must act
    DROPPED = "dropped"  # the operator gave up on it


class State(StrEnum):
    """Order states shown to the operator (``orders --json`` ``state``)."""

    WAITING_ACCEPTANCE = "waiting_acceptance"
    TO_SHIP = "to_ship"
    LABEL_PENDING = "label_pending"
    LABELLED = "labelled"
    TRACKING_SENT = "tracking_sent"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    NOT_SHIPPABLE = "not_shippable"
