"""The orders a world starts with, and the demo's showcase.

:func:`seed_orders` plans one seller's seeded orders (every status, a few the carriers
refuse, ready orders to many destinations); :data:`SHOWCASE` lists the ready orders of
each delivery kind the main seller always has, built by :func:`showcase_orders`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cdtui.sandbox.data import (
    CDISCOUNT,
    CHANNELS,
    ORDER_STATUSES,
    RELAY_MODE,
    SHOP_PICKUP_MODE,
    SellerInfo,
    stamp,
)
from cdtui.sandbox.factory import NewOrder, OrderFactory, order_total
from cdtui.sandbox.vocab import PRODUCTS

# ---------------------------------------------------------------- the demo's showcase


@dataclass(frozen=True)
class Showcase:
    """One ready order the main seller always has (when the world has room for them)."""

    kind: str
    channel: str
    country: str
    mode: str
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    #: a second line in CancelRequest, started by this party
    cancel_by: str | None = None


SHOWCASE: tuple[Showcase, ...] = (
    Showcase("home_thd", CDISCOUNT, "FR", "THD", "12 rue de la Paix", "75002", "Paris"),
    Showcase("home_nthd", CDISCOUNT, "FR", "NTHD", "7 bis rue des Lilas", "69003", "Lyon"),
    Showcase("home_shd", CDISCOUNT, "FR", "SHD", "48 boulevard Haussmann", "75009", "Paris"),
    Showcase("home_ehd", CDISCOUNT, "FR", "EHD", "3 place Bellecour", "69002", "Lyon"),
    Showcase("relay", CDISCOUNT, "FR", RELAY_MODE),
    Showcase(
        "shop_pickup",
        CDISCOUNT,
        "FR",
        SHOP_PICKUP_MODE,
        "21 rue Sainte-Catherine",
        "33000",
        "Bordeaux",
    ),
    Showcase("onbuy_gb", "ONBUGB", "GB", "THD", "221 Baker Street", "NW1 6XE", "London"),
    Showcase("es_floor", CDISCOUNT, "ES", "THD", "Calle de Alcalá 12, 3º izq", "28014", "Madrid"),
    Showcase("de_letter", CDISCOUNT, "DE", "THD", "Hauptstraße 12a", "10827", "Berlin"),
    Showcase("be_bus", CDISCOUNT, "BE", "THD", "Rue Neuve 12 bus 3", "1000", "Bruxelles"),
    Showcase("nl_suffix", CDISCOUNT, "NL", "THD", "Kerkstraat 12-A", "1017 GC", "Amsterdam"),
    Showcase(
        "cancel_request",
        CDISCOUNT,
        "FR",
        "THD",
        "5 rue du Général de Gaulle",
        "44000",
        "Nantes",
        cancel_by="customer",
    ),
    Showcase(
        "cancel_request_seller",
        CDISCOUNT,
        "FR",
        "THD",
        "18 avenue Jean Jaurès",
        "31000",
        "Toulouse",
        cancel_by="seller",
    ),
)
SHOWCASE_KINDS: tuple[str, ...] = tuple(s.kind for s in SHOWCASE)
#: the main seller gets the showcase when it has at least this many seeded orders
SHOWCASE_MIN_ORDERS = 40


# ---------------------------------------------------------------- seeding


def showcase_orders(factory: OrderFactory, seller_id: str, now: datetime) -> list[NewOrder]:
    """One ready order of each :data:`SHOWCASE` kind, due tomorrow, every line shipped
    by the seller (the cancellation kinds have a second line in CancelRequest)."""
    out = []
    due = (now + timedelta(days=1)).replace(hour=23, minute=59, second=59, microsecond=0)
    for spec in SHOWCASE:
        created = now - timedelta(minutes=factory.side.randint(20, 600))
        new = factory.order(
            seller_id,
            now,
            status="InPreparation",
            channel=spec.channel,
            country=spec.country,
            created=created,
            relay=spec.mode == RELAY_MODE,
            mode=spec.mode,
        )
        doc, address = new.doc, new.address
        address.update(companyName=None, addressLine2=None, addressLine3=None)
        if spec.street:
            address.update(addressLine1=spec.street, postalCode=spec.postal_code, city=spec.city)
        first = doc["lines"][0]
        lines = [first]
        if spec.cancel_by:
            sku = first["offer"]["sellerProductId"]
            other = next(p for p in PRODUCTS if p[0] != sku)
            second = {
                **first,
                "orderLineId": "2",
                "quantity": 1,
                "offer": {
                    **first["offer"],
                    "id": f"OF{other[2][-6:]}42",
                    "sellerProductId": other[0],
                    "productId": f"P{other[2]}",
                    "productGtin": other[2],
                    "productTitle": other[1],
                },
                "sellingPrice": {"unitSalesPrice": other[3], "shippingCost": 0.0},
                "delivery": dict(first["delivery"]),
            }
            lines.append(second)
        for ln in lines:
            ln["status"] = "InPreparation"
            ln["offer"] = {**ln["offer"], "supplyMode": "Seller"}
            ln["parcels"] = []
            ln["shippingAddress"] = dict(address)
            ln["delivery"] = {
                "mode": spec.mode,
                "promisedAtMin": stamp(due + timedelta(days=1)),
                "promisedAtMax": stamp(due + timedelta(days=4)),
                "shippedAtMax": stamp(due),
            }
        new.cancel_by = {}
        if spec.cancel_by:
            lines[1]["status"] = "CancelRequest"
            new.cancel_by = {"2": spec.cancel_by}
        billing = doc["billingAddress"]
        billing.update(companyName=None)
        if spec.mode != RELAY_MODE:
            for key in ("addressLine1", "addressLine2", "postalCode", "city"):
                billing[key] = address[key]
        doc["lines"] = lines
        doc["businessOrder"] = False
        doc["shippedAtMax"] = stamp(due)
        total = order_total(lines)
        doc["totalPrice"] = {"offerPrice": total, "sellingPrice": total}
        new.kind = spec.kind
        out.append(new)
    return out


def seed_orders(
    factory: OrderFactory,
    seller: SellerInfo,
    n: int,
    now: datetime,
    *,
    showcase: OrderFactory | None = None,
    force_showcase: bool = False,
) -> list[NewOrder]:
    """The seeded orders of one seller.

    Every status appears (when ``n`` allows), and a couple of ready orders carry an
    address the carriers refuse, so the demo shows an announcement failure. With a
    ``showcase`` factory and at least :data:`SHOWCASE_MIN_ORDERS` orders, the last
    unplanned orders give way to the :func:`showcase_orders` (appended at the end;
    every other order stays as it would be without them). ``force_showcase`` adds them
    to fewer orders too (then the seller may get more than ``n``).
    """
    channels = tuple(c for c in seller.channels if CHANNELS[c][1] == "Active")
    forced: list[dict[str, Any]] = [{"status": s} for s in ORDER_STATUSES]
    fails = max(1, n // 150) if n >= 20 else 0
    forced += [{"status": "InPreparation", "fail": True, "channel": CDISCOUNT}] * fails
    forced += [
        {"status": "InPreparation", "channel": CDISCOUNT, "country": "FR", "relay": True},
        {"status": "InPreparation", "channel": CDISCOUNT, "country": "DE"},
        {"status": "InPreparation", "channel": "WORTPT", "country": "ES"},
    ]
    if n >= 100:  # room for one ready order to every destination
        forced += [
            {"status": "InPreparation", "channel": channel, "country": country}
            for channel, country in [
                (CDISCOUNT, "BE"),
                (CDISCOUNT, "IT"),
                (CDISCOUNT, "NL"),
                ("CDONSE", "SE"),
                ("ONBUGB", "GB"),
                ("WORTPT", "PT"),
            ]
        ]
    if n < len(forced):
        forced = forced[:n]
    slots = factory.rng.sample(range(n), len(forced)) if n else []
    plan: list[dict[str, Any]] = [{} for _ in range(n)]
    for slot, spec in zip(slots, forced, strict=True):
        plan[slot] = dict(spec)
    replaced: set[int] = set()
    cases: list[NewOrder] = []
    if showcase is not None and (force_showcase or n >= SHOWCASE_MIN_ORDERS):
        taken = set(slots)
        free = [i for i in range(n) if i not in taken]
        replaced = set(free[len(free) - min(len(free), len(SHOWCASE)) :])
        cases = showcase_orders(showcase, seller.seller_id, now)
    out = []
    for i, spec in enumerate(plan):
        channel = spec.get("channel")
        if channel is not None and channel not in channels:
            spec.pop("channel")
            spec.pop("country", None)
            spec.pop("relay", None)
        new = factory.order(seller.seller_id, now, allowed_channels=channels, **spec)
        if i not in replaced:  # (a replaced one is still drawn: the stream stays the same)
            out.append(new)
    return out + cases
