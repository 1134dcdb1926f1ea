"""The sandbox's Sendcloud catalogue and service points.

Sendcloud carriers, the shipping options with their prices, weights and reach, the
customs rule (which destinations need documents) and its enums, the carriers that
queue cancellations or need a house number, and the fixed registry of relay points.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cdtui.sandbox.vocab import CITIES, STREETS

# ---------------------------------------------------------------- Sendcloud catalogue

#: carriers whose cancellation is queued (202) rather than immediate (200)
QUEUED_CANCEL_CARRIERS = frozenset({"ups", "dhl_express", "colisprive"})
#: carriers that require a house number (≤ 8 characters) for these destinations
HOUSE_NUMBER_COUNTRIES = frozenset({"ES", "BE", "DE", "CH"})
HOUSE_NUMBER_CARRIERS = frozenset({"dhl", "dpd", "gls"})

#: the 27 EU member states
EU = frozenset(
    {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"}
    | {"IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}
)
KNOWN_COUNTRIES = EU | {"NO", "GB", "CH", "US", "MC"}
#: postal codes of EU members that lie outside the EU customs territory: French
#: overseas departments and collectivities (97x, 98x); the Canary Islands, Ceuta and
#: Melilla (35, 38, 51, 52)
_OUTSIDE_CUSTOMS = re.compile(r"^\s*(?:9[78]\d)")
_OUTSIDE_CUSTOMS_ES = re.compile(r"^\s*(?:35|38|51|52)\d{3}\s*$")


def needs_customs(country: str, postal_code: str | None = None) -> bool:
    """A parcel from France to this destination needs customs documents."""
    country = country.strip().upper()
    postal = postal_code or ""
    if country == "FR":
        return bool(_OUTSIDE_CUSTOMS.match(postal))
    if country == "ES":
        return bool(_OUTSIDE_CUSTOMS_ES.match(postal))
    return country not in EU | {"MC"}


#: Sendcloud's ``customs_information`` enums (shipments OpenAPI)
EXPORT_REASONS = ("gift", "documents", "commercial_goods", "commercial_sample")
EXPORT_TYPES = ("private", "commercial_b2c", "commercial_b2b")


@dataclass(frozen=True)
class SendcloudCarrier:
    code: str
    name: str  # equals an Octopia carrier label (trimmed, case-folded)
    tracking_prefix: str
    tracking_digits: int
    tracking_suffix: str = ""


SC_CARRIERS: dict[str, SendcloudCarrier] = {
    c.code: c
    for c in [
        SendcloudCarrier("colissimo", "Colissimo", "6A", 11),
        SendcloudCarrier("chronopost", "Chronopost", "XW", 9, "FR"),
        SendcloudCarrier("mondial_relay", "Mondial Relay", "", 8),
        SendcloudCarrier("colisprive", "Colis Privé", "CP", 14),
        SendcloudCarrier("dpd", "DPD", "", 14),
        SendcloudCarrier("dhl", "DHL", "JJD", 18),
        SendcloudCarrier("dhl_express", "DHL Express", "", 10),
        SendcloudCarrier("ups", "UPS", "1Z", 16),
        SendcloudCarrier("gls", "GLS", "", 11),
        SendcloudCarrier("postnord", "PostNord", "00", 16),
    ]
}

#: ``functionalities.delivery_deadline`` of express services, and of the others
NEXTDAY = "nextday"
BEST_EFFORT = "best_effort"


@dataclass(frozen=True)
class ShippingOptionDef:
    code: str
    name: str
    carrier: str
    product: str
    product_name: str
    countries: frozenset[str]
    max_kg: Decimal
    base: Decimal
    per_kg: Decimal
    last_mile: str = "home_delivery"
    signature: bool = False
    delivery_deadline: str = BEST_EFFORT

    @property
    def service_point(self) -> bool:
        """``requirements.is_service_point_required``."""
        return self.last_mile == "service_point"

    @property
    def express(self) -> bool:
        return self.delivery_deadline == NEXTDAY

    def price(self, country: str, weight: Decimal) -> Decimal:
        abroad = Decimal("0") if country == "FR" else Decimal("4.50")
        far = Decimal("9.00") if country in {"GB", "CH", "US", "NO"} else Decimal("0")
        return (self.base + self.per_kg * weight + abroad + far).quantize(Decimal("0.01"))


_EU_REACH = frozenset({"FR", "BE", "ES", "DE", "IT", "NL", "PT", "LU", "AT"})
_WORLD = KNOWN_COUNTRIES - {"MC"}


def _opt(
    code: str,
    name: str,
    product: tuple[str, str],
    countries: frozenset[str] | set[str],
    max_kg: str,
    base: str,
    per_kg: str,
    **kw: Any,
) -> ShippingOptionDef:
    return ShippingOptionDef(
        code,
        name,
        code.split(":")[0],
        product[0],
        product[1],
        frozenset(countries),
        Decimal(max_kg),
        Decimal(base),
        Decimal(per_kg),
        **kw,
    )


_FR = {"FR"}
_SP = {"last_mile": "service_point"}
#: The catalogue. For France every service-point option is cheaper than every home
#: option (a client that ignores ``is_service_point_required`` buys the wrong one),
#: and Chronopost 13H is never the cheapest home option.
SHIPPING_OPTIONS: list[ShippingOptionDef] = [
    # France, home
    _opt(
        "colisprive:home",
        "Colis Privé Home",
        ("colisprive:home", "Colis Privé Home"),
        _FR,
        "30",
        "4.40",
        "0.55",
    ),
    _opt(
        "mondial_relay:home",
        "Mondial Relay Home",
        ("mondial_relay:home", "Mondial Relay Home"),
        {"FR", "BE", "ES", "NL", "LU"},
        "30",
        "4.70",
        "0.60",
    ),
    _opt(
        "colissimo:home",
        "Colissimo Home",
        ("colissimo:home", "Colissimo Home"),
        _FR,
        "30",
        "4.95",
        "0.80",
    ),
    _opt(
        "colissimo:home/signature",
        "Colissimo Home Signature",
        ("colissimo:home", "Colissimo Home"),
        _FR,
        "30",
        "6.10",
        "0.80",
        signature=True,
    ),
    _opt(
        "chronopost:13/h",
        "Chronopost 13H",
        ("chronopost:express", "Chronopost Express"),
        _FR,
        "30",
        "11.90",
        "1.20",
        delivery_deadline=NEXTDAY,
    ),
    # France and neighbours, service points (relay networks)
    _opt(
        "mondial_relay:point_relais",
        "Mondial Relay Point Relais",
        ("mondial_relay:service_point", "Mondial Relay Service Point"),
        {"FR", "BE", "ES", "NL", "PT", "LU", "DE", "IT", "AT"},
        "30",
        "3.20",
        "0.45",
        **_SP,
    ),
    _opt(
        "chronopost:shop2shop",
        "Chronopost Shop2Shop",
        ("chronopost:shop2shop", "Chronopost Shop2Shop"),
        _FR,
        "20",
        "3.50",
        "0.45",
        **_SP,
    ),
    _opt(
        "colissimo:service_point",
        "Colissimo Service Point",
        ("colissimo:service_point", "Colissimo Service Point"),
        _FR,
        "20",
        "3.80",
        "0.50",
        **_SP,
    ),
    # Europe
    _opt(
        "colissimo:europe",
        "Colissimo Europe",
        ("colissimo:international", "Colissimo International"),
        _EU_REACH - _FR,
        "30",
        "9.40",
        "1.10",
    ),
    _opt(
        "dpd:classic",
        "DPD Classic",
        ("dpd:classic", "DPD Classic"),
        _EU_REACH | {"SE", "DK", "PL", "CZ", "GB", "CH"},
        "31.5",
        "5.90",
        "0.70",
    ),
    _opt(
        "dhl:parcel_connect",
        "DHL Parcel Connect",
        ("dhl:parcel_connect", "DHL Parcel Connect"),
        _EU_REACH | {"SE", "DK", "FI", "PL", "CZ"},
        "31.5",
        "6.80",
        "0.65",
    ),
    _opt(
        "gls:business_parcel",
        "GLS BusinessParcel",
        ("gls:business_parcel", "GLS BusinessParcel"),
        _EU_REACH | {"DK", "PL"},
        "40",
        "5.40",
        "0.60",
    ),
    _opt(
        "postnord:mypack_home",
        "PostNord MyPack Home",
        ("postnord:mypack", "PostNord MyPack"),
        {"SE", "DK", "FI", "NO"},
        "20",
        "8.90",
        "0.90",
    ),
    # worldwide
    _opt(
        "ups:standard",
        "UPS Standard",
        ("ups:standard", "UPS Standard"),
        _WORLD,
        "70",
        "9.90",
        "0.95",
        signature=True,
    ),
    _opt(
        "dhl_express:worldwide",
        "DHL Express Worldwide",
        ("dhl_express:worldwide", "DHL Express Worldwide"),
        _WORLD - _FR,
        "70",
        "24.50",
        "1.90",
        signature=True,
        delivery_deadline=NEXTDAY,
    ),
]
OPTIONS_BY_CODE: dict[str, ShippingOptionDef] = {o.code: o for o in SHIPPING_OPTIONS}


def available_options(country: str, weight: Decimal | None) -> list[ShippingOptionDef]:
    """Options that can carry ``weight`` kg (any weight if None) to ``country``.

    Ordered by code, not by price: Sendcloud promises no order, so a client must read
    the quotes to find the cheapest.
    """
    fit = [
        o
        for o in SHIPPING_OPTIONS
        if country in o.countries and (weight is None or weight <= o.max_kg)
    ]
    return sorted(fit, key=lambda o: o.code)


def no_option_message(country: str, weight: Decimal | None) -> str:
    """The ``message`` of an empty ``POST /shipping-options`` answer."""
    if not any(country in o.countries for o in SHIPPING_OPTIONS):
        return f"No shipping method is available to {country} for your enabled carriers."
    heaviest = max(o.max_kg for o in SHIPPING_OPTIONS if country in o.countries)
    return (
        f"No shipping method can carry a parcel of {weight:.3f} kg to {country}: the "
        f"heaviest accepted is {heaviest:.3f} kg."
    )


# ---------------------------------------------------------------- service points


@dataclass(frozen=True)
class ServicePoint:
    """A relay point of one carrier's network."""

    id: str  # Sendcloud's id (``to_service_point.id``)
    carrier: str  # Sendcloud carrier code: the network it belongs to
    carrier_service_point_id: str  # the carrier's own id (Octopia's ``pickupId``)
    name: str
    street: str
    postal_code: str
    city: str
    country: str


#: the relay network of the seeded orders: their ``pickupId`` is one of its points
RELAY_NETWORK = "mondial_relay"
#: service-point networks and the countries each covers in the sandbox
SERVICE_POINT_NETWORKS: dict[str, tuple[str, ...]] = {
    "mondial_relay": ("FR", "BE", "ES", "NL", "PT", "DE", "IT"),
    "chronopost": ("FR",),
    "colissimo": ("FR",),
}
_POINT_NAMES: dict[str, list[str]] = {
    "FR": [
        "Tabac de la Gare",
        "Relais Pressing Émile",
        "Supérette du Marché",
        "Librairie Les Mots Passants",
        "Bar-Tabac Le Balto",
        "Fleuriste Les Quatre Saisons",
        "Épicerie Chez Nadia",
        "Cordonnerie Saint-Michel",
        "Maison de la Presse",
        "Carrefour City",
    ],
    "BE": ["Librairie du Parc", "Dagbladhandel Het Hoekje", "Night Shop Flagey"],
    "ES": ["Estanco La Plaza", "Papelería Núñez", "Droguería El Sol"],
    "NL": ["Tabakszaak De Hoek", "Primera Centrum", "Bruna Stationsplein"],
    "PT": ["Papelaria Central", "Tabacaria Rossio", "Quiosque da Praça"],
    "DE": ["Kiosk am Markt", "Schreibwaren Müller", "Späti Eckladen"],
    "IT": ["Tabaccheria Centrale", "Edicola Roma", "Cartoleria Bianchi"],
}


def _build_service_points() -> list[ServicePoint]:
    """A fixed registry (the same in every world): ids shaped like each carrier's own —
    6 digits for Mondial Relay and Colissimo, 4 digits and "R" for Chronopost."""
    rng = random.Random(20261126)
    used: set[str] = set()
    points: list[ServicePoint] = []

    def carrier_id(carrier: str) -> str:
        while True:
            if carrier == "chronopost":
                value = f"{rng.randint(0, 9999):04d}R"
            else:
                value = f"{rng.randint(1, 999999):06d}"
            if value not in used:
                used.add(value)
                return value

    next_id = 10_400_000
    for carrier, countries in SERVICE_POINT_NETWORKS.items():
        per_city = 2 if carrier == RELAY_NETWORK else 1
        for country in countries:
            names = _POINT_NAMES[country]
            for postal, city in CITIES[country]:
                for _ in range(per_city):
                    next_id += rng.randint(3, 97)
                    street = rng.choice(STREETS[country]).format(n=rng.randint(1, 90))
                    points.append(
                        ServicePoint(
                            id=str(next_id),
                            carrier=carrier,
                            carrier_service_point_id=carrier_id(carrier),
                            name=rng.choice(names),
                            street=street,
                            postal_code=postal,
                            city=city,
                            country=country,
                        )
                    )
    return points


SERVICE_POINTS: list[ServicePoint] = _build_service_points()
SERVICE_POINTS_BY_ID: dict[str, ServicePoint] = {p.id: p for p in SERVICE_POINTS}
SERVICE_POINTS_BY_CARRIER_ID: dict[tuple[str, str], ServicePoint] = {
    (p.carrier, p.carrier_service_point_id): p for p in SERVICE_POINTS
}


def relay_point(country: str, postal_code: str, draw: int) -> ServicePoint | None:
    """A point of the orders' relay network near ``postal_code`` (``draw`` picks one)."""
    near = [
        p
        for p in SERVICE_POINTS
        if p.carrier == RELAY_NETWORK and p.country == country and p.postal_code == postal_code
    ]
    if not near:
        near = [p for p in SERVICE_POINTS if p.carrier == RELAY_NETWORK and p.country == country]
    return near[draw % len(near)] if near else None


def service_point(carrier: str, carrier_service_point_id: str) -> ServicePoint | None:
    """The point of ``carrier``'s network with that carrier id, if any."""
    return SERVICE_POINTS_BY_CARRIER_ID.get((carrier, carrier_service_point_id))
