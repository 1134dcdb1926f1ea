"""The generator of realistic Octopia order documents.

Everything random comes from a ``random.Random`` the caller seeds, and every date is
relative to a ``now`` the caller passes in, so the same seed and clock give the same
orders. Which orders a world starts with is :mod:`cdtui.sandbox.seeding`'s business.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cdtui.sandbox.catalogue import relay_point
from cdtui.sandbox.data import (
    ADDRESSED,
    ANNOUNCE_FAIL_MARK,
    CDISCOUNT,
    CHANNELS,
    RELAY_MODE,
    SHOP_PICKUP_MODE,
    SUPPLY_MODES,
    carrier_key,
    stamp,
)
from cdtui.sandbox.vocab import (
    CITIES,
    COMPANIES,
    FIRST_NAMES,
    LAST_NAMES,
    LONG_LINES,
    PHONE_PREFIXES,
    PICKUP_NAMES,
    PRODUCTS,
    STREETS,
)

# ---------------------------------------------------------------- draw tables

_STATUS_WEIGHTS = [
    ("InPreparation", 58),
    ("Shipped", 13),
    ("Delivered", 9),
    ("WaitingAcceptance", 6),
    ("Cancelled", 7),
    ("Accepted", 3),
    ("Processing", 4),
    ("Refused", 3),
    ("Rejected", 3),
]

_CHANNEL_WEIGHTS = [
    ("CDISFR", 58),
    ("RAKUFR", 10),
    ("CDONSE", 6),
    ("FYNDSE", 5),
    ("ONBUGB", 6),
    ("WORTPT", 8),
    ("ALLTFR", 7),
]
_COUNTRY_BY_CHANNEL: dict[str, list[tuple[str, int]]] = {
    "CDISFR": [("FR", 83), ("BE", 5), ("DE", 3), ("ES", 3), ("IT", 3), ("NL", 3)],
    "RAKUFR": [("FR", 90), ("BE", 10)],
    "CDONSE": [("SE", 100)],
    "FYNDSE": [("SE", 100)],
    "ONBUGB": [("GB", 100)],
    "WORTPT": [("PT", 70), ("ES", 30)],
    "ALLTFR": [("FR", 80), ("BE", 10), ("DE", 10)],
}
#: the channels that do not sell in euros
_CURRENCY = {"CDONSE": "SEK", "FYNDSE": "SEK", "ONBUGB": "GBP"}

_MODE_WEIGHTS = [
    ("THD", 64),
    ("NTHD", 14),
    ("SHD", 8),
    ("EHD", 7),
    (SHOP_PICKUP_MODE, 3),
    ("TRK", 2),
    ("STD", 1),
    ("REG", 1),
]

_CANCEL_INITIATOR_WEIGHTS = [("customer", 60), ("seller", 25), ("sales_channel", 15)]


# ---------------------------------------------------------------- the factory


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _alnum(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(string.ascii_uppercase + string.digits, k=n))


@dataclass
class NewOrder:
    """A generated order: the document plus the address it gets once accepted."""

    doc: dict[str, Any]
    address: dict[str, Any]
    #: line id -> who started its cancellation request (never in the document)
    cancel_by: dict[str, str] = field(default_factory=dict)
    #: the showcase kind, for the showcase's orders
    kind: str | None = None


class OrderFactory:
    """Builds order documents for one world.

    ``rng`` drives everything the sandbox always generated; ``side`` drives the
    attributes added later (delivery modes, street forms, who started a cancellation
    request...), so that adding them left the rest of a seeded world as it was.
    """

    def __init__(
        self,
        rng: random.Random,
        side: random.Random | None = None,
        used_ids: set[str] | None = None,
    ) -> None:
        self.rng = rng
        self.side = side if side is not None else random.Random(hash(rng.getstate()))
        self.used_ids: set[str] = used_ids if used_ids is not None else set()
        self.count = 0

    # ---- pieces

    def address(self, country: str, *, fail: bool = False, relay: bool = False) -> dict:
        rng = self.rng
        first = rng.choice(FIRST_NAMES[country])
        last = rng.choice(LAST_NAMES[country])
        postal, city = rng.choice(CITIES[country])
        number = str(rng.randint(1, 180))
        if country == "DE" and rng.random() < 0.3:
            number += rng.choice("abc")  # "Hauptstraße 12a"
        street = rng.choice(STREETS[country])
        line1 = self._street(country, street, number)
        line2 = None
        roll = rng.random()
        if country == "FR" and roll < 0.08:
            line2, line1 = line1, rng.choice(LONG_LINES)
        elif roll < 0.25:
            line2 = rng.choice(["Bât B", "3e étage", "Apt. 4", "c/o Mme Lemaître", "Piso 2º"])
        if fail:
            line1 = f"{number} {ANNOUNCE_FAIL_MARK} chemin sans issue"
        company = rng.choice(COMPANIES) if rng.random() < 0.05 else None
        slug = "".join(ch for ch in f"{first}.{last}".lower() if ch.isascii() and ch != " ")
        addr = {
            "civility": rng.choice(["M.", "Mme"]),
            "firstName": first,
            "lastName": last,
            "companyName": company,
            "addressLine1": line1,
            "addressLine2": line2,
            "addressLine3": None,
            "postalCode": postal,
            "city": city,
            "countryCode": country,
            "phone": PHONE_PREFIXES.get(country, "+33") + "".join(rng.choices(string.digits, k=8)),
            "email": f"{slug}.{rng.randint(100, 999)}@buyer.example.com",
            "pickupId": None,
            "pickupName": None,
        }
        if relay:
            draw = rng.randint(10000, 99999)
            rng.choice(PICKUP_NAMES)  # (the draw the old ids used: keeps the stream)
            point = relay_point(country, postal, draw)
            if point is not None:
                # the line is addressed to the buyer at the relay point
                addr.update(
                    pickupId=point.carrier_service_point_id,
                    pickupName=point.name,
                    addressLine1=point.street,
                    addressLine2=None,
                    postalCode=point.postal_code,
                    city=point.city,
                )
        return addr

    def _street(self, country: str, street: str, number: str) -> str:
        """The street line in the forms buyers of ``country`` write it."""
        side = self.side
        if country == "FR" and " bis " not in street and side.random() < 0.1:
            number += side.choice([" bis", " ter"])  # "12 bis rue de la Paix"
        elif country == "NL" and side.random() < 0.35:
            number += "-" + side.choice(["A", "B", "H", "1", "2"])  # "Kerkstraat 12-A"
        line = street.format(n=number)
        if country == "ES" and side.random() < 0.5:
            if side.random() < 0.15:
                line += ", bajo"
            else:  # "Calle Mayor 5, 2º B", "Calle de Alcalá 12, 3º izq"
                door = side.choice(["izq", "dcha", "A", "B", "C"])
                line += f", {side.randint(1, 8)}º {door}"
        elif country == "BE" and side.random() < 0.3:
            line += f" bus {side.randint(1, 12)}"  # "Rue Neuve 12 bus 3"
        return line

    def _ids(self, channel: str, created: datetime) -> tuple[str, str]:
        while True:
            order_id = f"SCID{self.rng.randint(10, 99)}{created:%y%m%d%H%M%S}{_alnum(self.rng, 4)}"
            if order_id not in self.used_ids:
                self.used_ids.add(order_id)
                break
        digits = "".join(self.rng.choices(string.digits, k=8))
        reference = {
            "CDISFR": f"{created:%y%m%d%H%M}{_alnum(self.rng, 4)}",
            "RAKUFR": f"3{digits}{self.rng.randint(10, 99)}",
            "CDONSE": f"CDON-{digits}",
            "FYNDSE": f"FY{_alnum(self.rng, 10).lower()}",
            "ONBUGB": f"OB-{created:%y%m%d}-{digits[:5]}",
            "WORTPT": f"WRT{digits}-A",
            "ALLTFR": f"ALT{created:%y%m}{digits[:6]}",
        }.get(channel, f"{channel}-{digits}")
        return order_id, reference

    def _restamp(
        self, order_id: str, reference: str, channel: str, created: datetime
    ) -> tuple[str, str]:
        """The ids of :meth:`_ids` for another creation time (same random parts)."""
        new_id = f"{order_id[:6]}{created:%y%m%d%H%M%S}{order_id[18:]}"
        while new_id in self.used_ids:
            new_id = f"{order_id[:6]}{created:%y%m%d%H%M%S}{_alnum(self.side, 4)}"
        self.used_ids.discard(order_id)
        self.used_ids.add(new_id)
        if channel == "CDISFR":
            reference = f"{created:%y%m%d%H%M}{reference[10:]}"
        elif channel == "ONBUGB":
            reference = f"OB-{created:%y%m%d}{reference[9:]}"
        elif channel == "ALLTFR":
            reference = f"ALT{created:%y%m}{reference[7:]}"
        return new_id, reference

    def _deadline(self, status: str, created: datetime, now: datetime) -> datetime:
        day_end = now.replace(hour=23, minute=59, second=59, microsecond=0)
        if status != "InPreparation":
            return (created + timedelta(days=2)).replace(hour=23, minute=59, second=59)
        roll = self.rng.random()
        if roll < 0.12:
            return day_end - timedelta(days=self.rng.randint(1, 2))  # overdue
        if roll < 0.30:
            return day_end  # due today
        return day_end + timedelta(days=self.rng.randint(1, 3))

    def _mode(self, country: str, relay: bool) -> str:
        if relay:
            return RELAY_MODE
        mode = _weighted(self.side, _MODE_WEIGHTS)
        if mode == SHOP_PICKUP_MODE and country != "FR":
            mode = "THD"  # the seller's shop is in France
        return mode

    # ---- one order

    def order(
        self,
        seller_id: str,
        now: datetime,
        *,
        status: str | None = None,
        channel: str | None = None,
        country: str | None = None,
        created: datetime | None = None,
        fail: bool = False,
        allowed_channels: tuple[str, ...] | None = None,
        relay: bool | None = None,
        mode: str | None = None,
    ) -> NewOrder:
        rng = self.rng
        self.count += 1
        if channel is None:
            pairs = [
                p for p in _CHANNEL_WEIGHTS if allowed_channels is None or p[0] in allowed_channels
            ]
            channel = _weighted(rng, pairs or _CHANNEL_WEIGHTS)
        if status is None:
            status = _weighted(rng, _STATUS_WEIGHTS)
        if status == "WaitingAcceptance" and channel != CDISCOUNT:
            channel = CDISCOUNT  # only Cdiscount asks the seller to accept orders
        if country is None:
            country = _weighted(rng, _COUNTRY_BY_CHANNEL.get(channel, [("FR", 1)]))
        given = created is not None
        if created is None:
            created = self._created(status, now)
        created = created.replace(microsecond=0)
        updated = min(now, created + self._update_delay(status))
        order_id, reference = self._ids(channel, created)
        if relay is None:
            relay = mode == RELAY_MODE or (
                mode is None and country in {"FR", "BE", "ES"} and rng.random() < 0.1
            )
        address = self.address(country, fail=fail, relay=relay)
        deadline = self._deadline(status, created, now)
        if deadline < created:  # never due before it was bought
            if given:
                deadline = created.replace(hour=23, minute=59, second=59)
            else:  # an overdue order was bought earlier
                earlier = deadline - timedelta(minutes=self.side.randint(6 * 60, 48 * 60))
                order_id, reference = self._restamp(order_id, reference, channel, earlier)
                updated = min(now, earlier + (updated - created))
                created = earlier
        if mode is None:
            mode = self._mode(country, relay)
        lines = self._lines(status, channel, address, created, deadline, relay, mode)
        cancel_by = self._cancel_requests(lines)
        total = order_total(lines)
        billing = {
            k: v
            for k, v in address.items()
            if k not in ("phone", "email", "pickupId", "pickupName")
        }
        if relay:
            home = self.address(country)
            for key in ("addressLine1", "addressLine2", "postalCode", "city"):
                billing[key] = home[key]
        doc = {
            "orderId": order_id,
            "reference": reference,
            "businessOrder": address["companyName"] is not None,
            "salesChannel": {"id": channel, "name": CHANNELS[channel][0]},
            "seller": {"id": seller_id},
            "customer": {"reference": f"custm_{rng.randint(100000, 999999)}"},
            "purchasedAt": stamp(created - timedelta(seconds=rng.randint(20, 300))),
            "createdAt": stamp(created),
            "updatedAt": stamp(updated),
            "shippedAtMax": stamp(deadline),
            "status": status,
            "currencyCode": _CURRENCY.get(channel, "EUR"),
            "billingAddress": billing,
            "totalPrice": {"offerPrice": total, "sellingPrice": total},
            "lines": lines,
        }
        return NewOrder(doc, address, cancel_by)

    def _created(self, status: str, now: datetime) -> datetime:
        rng = self.rng
        if status in ("InPreparation", "WaitingAcceptance", "Processing", "Accepted"):
            hours = rng.uniform(0.2, 96) if rng.random() < 0.9 else rng.uniform(96, 24 * 8)
        elif rng.random() < 0.55:
            hours = rng.uniform(1, 24 * 7)
        else:
            hours = rng.uniform(24 * 7, 24 * 30)
        return now - timedelta(hours=hours)

    def _update_delay(self, status: str) -> timedelta:
        rng = self.rng
        minutes = {
            "Processing": (0, 2),
            "WaitingAcceptance": (1, 10),
            "Accepted": (5, 30),
            "InPreparation": (5, 90),
            "Refused": (10, 600),
            "Rejected": (10, 600),
            "Cancelled": (30, 2000),
            "Shipped": (600, 2880),
            "Delivered": (2880, 7200),
        }[status]
        return timedelta(minutes=rng.uniform(*minutes))

    def _lines(
        self,
        status: str,
        channel: str,
        address: dict[str, Any],
        created: datetime,
        deadline: datetime,
        relay: bool,
        mode: str,
    ) -> list[dict[str, Any]]:
        rng = self.rng
        n = rng.choices([1, 2, 3, 4], weights=[68, 20, 9, 3])[0]
        lines = []
        products = rng.sample(PRODUCTS, n)
        for i, (sku, title, gtin, price) in enumerate(products):
            supply = rng.choices(SUPPLY_MODES, weights=[86, 9, 5])[0]
            line_status = status
            if status == "InPreparation" and n > 1 and rng.random() < 0.06:
                line_status = "Cancelled"
            elif status == "InPreparation" and rng.random() < 0.05:
                line_status = "CancelRequest"
            if supply != "Seller" and status == "InPreparation":
                line_status = rng.choice(["InPreparation", "Shipped"])
            parcels: list[dict[str, Any]] = []
            if line_status in ("Shipped", "Delivered"):
                parcels = [self._past_parcel(supply, address["countryCode"], mode)]
            quantity = rng.choices([1, 2, 3], weights=[85, 12, 3])[0]
            offer = {
                "id": f"OF{gtin[-6:]}{rng.randint(10, 99)}",
                "sellerProductId": sku,
                "productId": f"P{gtin}",
                "productGtin": gtin,
                "productTitle": title,
                "condition": "New" if rng.random() < 0.93 else "LikeNew",
                "supplyMode": supply,
            }
            selling = {
                "unitSalesPrice": price,
                "shippingCost": 0.0 if i else rng.choice([0.0, 2.99, 4.9, 6.5]),
            }
            if not relay:
                rng.choice(["THD", "THD", "EXPRESS"])  # (the old mode draw: keeps the stream)
            lines.append(
                {
                    "orderLineId": str(i + 1),
                    "status": line_status,
                    "quantity": quantity,
                    "offer": offer,
                    "sellingPrice": selling,
                    "delivery": {
                        "mode": mode,
                        "promisedAtMin": stamp(deadline + timedelta(days=1)),
                        "promisedAtMax": stamp(deadline + timedelta(days=4)),
                        "shippedAtMax": stamp(deadline),
                    },
                    "shippingAddress": dict(address) if status in ADDRESSED else None,
                    "parcels": parcels,
                }
            )
        if status == "Cancelled" and self.rng.random() < 0.5:
            for ln in lines:  # cancelled after it was ready: the address was already out
                ln["shippingAddress"] = dict(address)
        return lines

    def _cancel_requests(self, lines: list[dict[str, Any]]) -> dict[str, str]:
        """At most one line of an order in CancelRequest; who started each request."""
        out: dict[str, str] = {}
        for ln in lines:
            if ln["status"] != "CancelRequest":
                continue
            if out:
                ln["status"] = "InPreparation"
                continue
            out[ln["orderLineId"]] = _weighted(self.side, _CANCEL_INITIATOR_WEIGHTS)
        return out

    def _past_parcel(self, supply: str, country: str, mode: str = "THD") -> dict[str, Any]:
        rng = self.rng
        if supply != "Seller":
            carrier = "Cdiscount Livraison"
        elif country == "FR":
            carrier = rng.choice(["Colissimo", "Chronopost", "Mondial Relay", "Colis Privé"])
            if mode == RELAY_MODE:
                carrier = "Mondial Relay"
        else:
            carrier = rng.choice(["DPD", "UPS", "GLS", "DHL"])
        number = f"{_alnum(rng, 2)}{''.join(rng.choices(string.digits, k=11))}"
        return {
            "parcelNumber": number,
            "carrierName": carrier,
            "trackingUrl": f"https://tracking.example.com/{carrier_key(carrier).replace(' ', '-')}"
            f"/{number}",
        }


def order_total(lines: list[dict[str, Any]]) -> float:
    return round(
        sum(
            ln["quantity"] * ln["sellingPrice"]["unitSalesPrice"]
            + ln["sellingPrice"]["shippingCost"]
            for ln in lines
        ),
        2,
    )
