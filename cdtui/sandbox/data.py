"""The sandbox's fixed facts and its seeded world.

Credentials, sellers, sales channels, the Octopia carrier list, the Sendcloud shipping
options, and a generator of realistic Octopia order documents. Everything random comes
from a ``random.Random`` the caller seeds, and every date is relative to a ``now`` the
caller passes in, so the same seed and clock give the same world.
"""

from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

# ---------------------------------------------------------------- credentials

AGGREGATOR_CLIENT_ID = "cdtui-sandbox"
AGGREGATOR_CLIENT_SECRET = "sandbox-secret"
#: a seller's own Octopia API client (the alternative to delegation): serves SELLER_ID only
SELLER_CLIENT_ID = "demo-shop-client"
SELLER_CLIENT_SECRET = "demo-shop-secret"

SENDCLOUD_PUBLIC_KEY = "sandbox-public"
SENDCLOUD_SECRET_KEY = "sandbox-secret-key"
SENDER_ADDRESS_ID = 192

SELLER_ID = "98979"
SELLER_LOGIN = "demo-shop"
#: a second seller that delegated to the aggregator (several integrations at once)
SECOND_SELLER_ID = "77777"
SECOND_SELLER_LOGIN = "atelier-nord"
#: a seller that exists but never delegated to the aggregator: its SellerId gets 403
OTHER_SELLER_ID = "55555"
OTHER_SELLER_LOGIN = "other-shop"


@dataclass(frozen=True)
class SellerInfo:
    seller_id: str
    login: str
    shop_name: str
    delegated: bool
    channels: tuple[str, ...]


#: sales channels: id -> (name, subscription status)
CHANNELS: dict[str, tuple[str, str]] = {
    "CDISFR": ("Cdiscount", "Active"),
    "RAKUFR": ("Rakuten", "Active"),
    "CDONSE": ("CDON", "Active"),
    "FYNDSE": ("Fyndiq", "Active"),
    "ONBUGB": ("OnBuy", "Active"),
    "WORTPT": ("Worten", "Active"),
    "ALLTFR": ("Alltricks", "Active"),
    "DARTFR": ("Darty", "Inactive"),
}
CDISCOUNT = "CDISFR"

SELLERS: dict[str, SellerInfo] = {
    SELLER_ID: SellerInfo(SELLER_ID, SELLER_LOGIN, "Demo Shop", True, tuple(CHANNELS)),
    SECOND_SELLER_ID: SellerInfo(
        SECOND_SELLER_ID, SECOND_SELLER_LOGIN, "Atelier Nord", True, ("CDISFR", "CDONSE")
    ),
    OTHER_SELLER_ID: SellerInfo(OTHER_SELLER_ID, OTHER_SELLER_LOGIN, "Other Shop", False, ()),
}


def seller_profile(info: SellerInfo) -> dict[str, Any]:
    return {
        "sellerId": info.seller_id,
        "login": info.login,
        "shopName": info.shop_name,
        "email": f"contact@{info.login}.example.com",
        "phone": "+33100000000",
        "country": "FR",
        "status": "Active",
    }


def subscriptions(info: SellerInfo) -> list[dict[str, Any]]:
    return [
        {
            "subscriptionId": f"{info.seller_id}-{i + 1}",
            "salesChannelId": cid,
            "salesChannelName": CHANNELS[cid][0],
            "status": CHANNELS[cid][1],
        }
        for i, cid in enumerate(info.channels)
    ]


# ---------------------------------------------------------------- Octopia carriers

#: carriers whose shipments Octopia refuses without a ``trackingUrl`` (trimmed,
#: case-folded labels); GET /carriers lists ``"additionalParametersRequired":
#: ["trackingUrl"]`` for them, ``[]`` for the others
TRACKING_URL_REQUIRED = frozenset({"colis privé", "mondial relay", "relais colis"})

_CARRIER_LABELS: list[tuple[str, str]] = [
    ("pcc", "La Poste"),
    ("pcc", "Colissimo"),
    ("pcc", "Chronopost"),
    ("dhldp", "DHL"),
    ("dhldp", "Deutsche Post"),
    ("default", "autre"),
    ("mdr", "Mondial Relay "),
    ("dpd", "DPD"),
    ("dpdp", "DPD Predict"),
    ("ups", "UPS"),
    ("gls", " GLS"),
    ("cpr", "Colis Privé"),
    ("tnt", "TNT"),
    ("fedex", "FedEx"),
    ("geodis", "Geodis"),
    ("kn", "Kuehne + Nagel "),
    ("heppner", "Heppner"),
    ("schenker", "DB Schenker"),
    ("relaiscolis", "Relais Colis"),
    ("bpost", "bpost"),
    ("postnl", "PostNL"),
    ("correos", "Correos"),
    ("ctt", "CTT Expresso"),
    ("seur", "SEUR"),
    ("mrw", "MRW"),
    ("nacex", "Nacex"),
    ("brt", "BRT"),
    ("posteit", "Poste Italiane"),
    ("sda", "SDA"),
    ("hermes", "Hermes"),
    ("royalmail", "Royal Mail"),
    ("parcelforce", "Parcelforce"),
    ("evri", "Evri"),
    ("yodel", "Yodel"),
    ("postnord", "PostNord"),
    ("bring", "Bring"),
    ("budbee", "Budbee"),
    ("instabox", "Instabox"),
    ("dachser", "Dachser"),
    ("gefco", "Gefco"),
    ("xpo", "XPO Logistics"),
    ("ciblex", "Ciblex"),
    ("exapaq", "Exapaq"),
    ("tatex", "Tatex"),
    ("dhlexp", "DHL Express"),
    ("fedexint", "FedEx International"),
    ("kiala", "Kiala"),
    ("s2s", "Shop2Shop by Chronopost"),
    ("pickup", "Pickup"),
    ("lsuivie", "Lettre suivie"),
    ("lmax", "Lettre Max"),
    ("cdl", "Cdiscount Livraison"),
    ("clog", "C Logistique"),
    ("agediss", "Agediss"),
    ("fexp", "France Express"),
    ("gueudet", "Transports Gueudet"),
    ("mazet", "Mazet"),
    ("dhlfr", "DHL France"),
    ("upsap", "UPS Access Point"),
    ("glsrelay", "GLS Relais"),
    ("colispriv", "Colis Prive Store"),
    ("vir", "Virtual Transport"),
    ("tntexp", " TNT Express "),
    ("ecolis", "e-colis"),
    ("stuart", "Stuart"),
    ("cubyn", "Cubyn"),
]


def carrier_key(label: str) -> str:
    """How labels compare: trimmed and case-folded."""
    return label.strip().casefold()


#: GET /carriers as seen live: codes are not unique and some labels carry stray spaces.
CARRIERS: list[dict[str, Any]] = [
    {
        "code": code,
        "label": label,
        "additionalParametersRequired": ["trackingUrl"]
        if carrier_key(label) in TRACKING_URL_REQUIRED
        else [],
    }
    for code, label in _CARRIER_LABELS
]

CARRIER_KEYS: frozenset[str] = frozenset(carrier_key(c["label"]) for c in CARRIERS)


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
            for postal, city in _CITIES[country]:
                for _ in range(per_city):
                    next_id += rng.randint(3, 97)
                    street = rng.choice(_STREETS[country]).format(n=rng.randint(1, 90))
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


# ---------------------------------------------------------------- orders

ORDER_STATUSES = (
    "Processing",
    "WaitingAcceptance",
    "Refused",
    "Rejected",
    "Accepted",
    "InPreparation",
    "Shipped",
    "Delivered",
    "Cancelled",
)
LINE_STATUSES = (*ORDER_STATUSES, "CancelRequest")
SUPPLY_MODES = ("Seller", "Fulfillment", "Xdock")
#: statuses whose lines carry a shipping address
ADDRESSED = frozenset({"InPreparation", "Shipped", "Delivered"})

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

# destination country -> (cities, streets, first names, last names)
_CITIES: dict[str, list[tuple[str, str]]] = {
    "FR": [
        ("75002", "Paris"),
        ("69003", "Lyon"),
        ("13001", "Marseille"),
        ("33000", "Bordeaux"),
        ("59000", "Lille"),
        ("44000", "Nantes"),
        ("67000", "Strasbourg"),
        ("31000", "Toulouse"),
        ("06000", "Nice"),
        ("35000", "Rennes"),
        ("25000", "Besançon"),
        ("45000", "Orléans"),
        ("42000", "Saint-Étienne"),
        ("97400", "Saint-Denis"),
        ("20000", "Ajaccio"),
    ],
    "BE": [("1000", "Bruxelles"), ("4000", "Liège"), ("9000", "Gent"), ("2000", "Antwerpen")],
    "ES": [
        ("28013", "Madrid"),
        ("08003", "Barcelona"),
        ("41004", "Sevilla"),
        ("46001", "València"),
        ("15001", "A Coruña"),
    ],
    "DE": [
        ("10115", "Berlin"),
        ("80331", "München"),
        ("50667", "Köln"),
        ("40212", "Düsseldorf"),
        ("20095", "Hamburg"),
    ],
    "IT": [("00184", "Roma"), ("20121", "Milano"), ("80134", "Napoli"), ("10121", "Torino")],
    "NL": [("1012 JS", "Amsterdam"), ("3011 AA", "Rotterdam"), ("3511 LX", "Utrecht")],
    "SE": [("111 21", "Stockholm"), ("411 36", "Göteborg"), ("211 43", "Malmö")],
    "GB": [("NW1 6XE", "London"), ("M1 1AE", "Manchester"), ("BS1 4DJ", "Bristol")],
    "PT": [("1100-053", "Lisboa"), ("4000-322", "Porto"), ("3000-141", "Coimbra")],
}
# "{n}" is the house number: before the street in FR/GB, after it elsewhere
_STREETS: dict[str, list[str]] = {
    "FR": [
        "{n} rue de la Paix",
        "{n} avenue Jean Jaurès",
        "{n} boulevard Haussmann",
        "{n} impasse des Lilas",
        "{n} rue du Général de Gaulle",
        "{n} place de l'Église",
        "{n} bis chemin des Écoliers",
    ],
    "BE": ["Rue Neuve {n}", "Avenue Louise {n}", "Chaussée de Wavre {n}"],
    "ES": [
        "Calle Mayor {n}",
        "Avenida de la Constitución {n}",
        "Carrer de Sant Pere Més Alt {n}",
        "Calle de Núñez de Balboa {n}",
    ],
    "DE": ["Hauptstraße {n}", "Königsallee {n}", "Müllerstraße {n}", "Schloßstraße {n}"],
    "IT": ["Via Roma {n}", "Corso Vittorio Emanuele II {n}", "Via della Libertà {n}"],
    "NL": ["Damrak {n}", "Prinsengracht {n}", "Coolsingel {n}"],
    "SE": ["Drottninggatan {n}", "Södra Förstadsgatan {n}", "Storgatan {n}"],
    "GB": ["{n} High Street", "{n} Baker Street", "{n} Station Road"],
    "PT": ["Rua Augusta {n}", "Avenida da Liberdade {n}", "Rua de Santa Catarina {n}"],
}
_LONG_LINES = [
    "Résidence Les Jardins de la Côte d'Azur, Bâtiment C, Escalier 4",
    "Zone Industrielle des Grands Prés, Entrepôt Logistique Nord",
    "Appartement 12, 3e étage, porte gauche après l'ascenseur",
]
_FIRST: dict[str, list[str]] = {
    "FR": [
        "Camille",
        "Léa",
        "Chloé",
        "Inès",
        "Hélène",
        "Jérôme",
        "François",
        "Noël",
        "Zoé",
        "Maël",
        "Lucas",
        "Émilie",
    ],
    "BE": ["Lotte", "Wout", "Amélie", "Sébastien"],
    "ES": ["Begoña", "Íñigo", "Nuria", "José", "Martín", "Ángela"],
    "DE": ["Jürgen", "Björn", "Günther", "Jörg", "Anna", "Käthe"],
    "IT": ["Giulia", "Niccolò", "Francesca", "Nicolò"],
    "NL": ["Sanne", "Daan", "Anouk", "Joëlle"],
    "SE": ["Åsa", "Søren", "Björn", "Linnéa", "Øystein"],
    "GB": ["Oliver", "Amelia", "Siobhán", "Harry"],
    "PT": ["João", "Conceição", "Inês", "Gonçalo"],
}
_LAST: dict[str, list[str]] = {
    "FR": [
        "Durand",
        "Lefèvre",
        "Martin",
        "Bernard",
        "Gauthier",
        "Nguyễn",
        "Müller",
        "Da Silva",
        "Leclère",
        "Béranger",
    ],
    "BE": ["Peeters", "Janssens", "Dubois", "Lambert"],
    "ES": ["Muñoz", "Ibáñez", "Peña", "Núñez", "García"],
    "DE": ["Weiß", "Groß", "Schäfer", "Müller", "Strauß"],
    "IT": ["Rossi", "Esposito", "Bianchi", "Colombo"],
    "NL": ["de Vries", "van den Berg", "Bakker", "Jansen"],
    "SE": ["Sjöberg", "Lindqvist", "Jørgensen", "Ødegård", "Andersson"],
    "GB": ["Smith", "O'Brien", "Taylor", "Brown"],
    "PT": ["Gonçalves", "Magalhães", "Simões", "Araújo"],
}
_PHONE = {
    "FR": "+336",
    "BE": "+324",
    "ES": "+346",
    "DE": "+4915",
    "IT": "+393",
    "NL": "+316",
    "SE": "+467",
    "GB": "+447",
    "PT": "+3591",
}
_PICKUPS = [
    "Tabac de la Gare",
    "Relais Pressing Émile",
    "Supérette du Marché",
    "Librairie Les Mots Passants",
]
_COMPANIES = ["Boulangerie Dupré SARL", "Atelier Créatif & Fils", "Müller Logistik GmbH"]

# (sellerProductId, title, gtin, price)
PRODUCTS: list[tuple[str, str, str, float]] = [
    ("SKU-CASQ-01", "Casque audio sans fil à réduction de bruit", "3700000000011", 79.9),
    ("SKU-CHRG-02", "Chargeur USB-C 65 W", "3700000000028", 24.9),
    ("SKU-LAMP-03", "Lampe de bureau LED à intensité réglable", "3700000000035", 34.5),
    ("SKU-CAFE-04", "Cafetière à piston 1 L", "3700000000042", 19.99),
    ("SKU-SAC-05", "Sac à dos étanche 30 L", "3700000000059", 49.0),
    ("SKU-THE-06", "Thé vert bio Sencha 250 g", "3700000000066", 12.4),
    ("SKU-GANT-07", "Gants de jardinage taille M", "3700000000073", 8.9),
    ("SKU-POEL-08", "Poêle en fonte Ø 28 cm", "3700000000080", 42.0),
    ("SKU-JEU-09", "Jeu de société « Les Châteaux de Bourgogne »", "3700000000097", 39.9),
    ("SKU-VELO-10", "Antivol vélo en U renforcé", "3700000000103", 29.9),
    ("SKU-DRAP-11", "Parure de lit 240×260 percale", "3700000000110", 64.0),
    ("SKU-BOUT-12", "Bouteille isotherme 750 ml", "3700000000127", 17.5),
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
_CURRENCY = {"CDONSE": "SEK", "FYNDSE": "SEK", "ONBUGB": "GBP"}

#: address line 1 that the sandbox's carriers refuse to announce
ANNOUNCE_FAIL_MARK = "ANNOUNCE-FAIL"
#: postal code that the sandbox's carriers refuse to announce
ANNOUNCE_FAIL_POSTAL_CODE = "00000"

SERVICE_POINTS: list[ServicePoint] = _build_service_points()
SERVICE_POINTS_BY_ID: dict[str, ServicePoint] = {p.id: p for p in SERVICE_POINTS}
SERVICE_POINTS_BY_CARRIER_ID: dict[tuple[str, str], ServicePoint] = {
    (p.carrier, p.carrier_service_point_id): p for p in SERVICE_POINTS
}

# ---------------------------------------------------------------- delivery modes

#: small-parcel home deliveries: not tracked, tracked, signed, express
HOME_MODES = ("NTHD", "THD", "SHD", "EHD")
#: the sandbox's mode code for relay deliveries (Octopia's is not public; a relay is
#: recognised by ``shippingAddress.pickupId``)
RELAY_MODE = "RELAY"
#: the buyer collects at the seller's shop: no carrier, no label
SHOP_PICKUP_MODE = "ShopPickup"
#: codes still seen during Octopia's transition: tracked, standard, registered, express
LEGACY_MODES = ("TRK", "STD", "REG", "EXP")
DELIVERY_MODES = (*HOME_MODES, RELAY_MODE, SHOP_PICKUP_MODE, *LEGACY_MODES)
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

#: who started a line's cancellation request (kept by the sandbox, not in the order):
#: Octopia accepts a shipment of the line only when the customer started it
CANCEL_INITIATORS = ("customer", "seller", "sales_channel")
_CANCEL_INITIATOR_WEIGHTS = [("customer", 60), ("seller", 25), ("sales_channel", 15)]


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


# ---------------------------------------------------------------- order factory


def stamp(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
        first = rng.choice(_FIRST[country])
        last = rng.choice(_LAST[country])
        postal, city = rng.choice(_CITIES[country])
        number = str(rng.randint(1, 180))
        if country == "DE" and rng.random() < 0.3:
            number += rng.choice("abc")  # "Hauptstraße 12a"
        street = rng.choice(_STREETS[country])
        line1 = self._street(country, street, number)
        line2 = None
        roll = rng.random()
        if country == "FR" and roll < 0.08:
            line2, line1 = line1, rng.choice(_LONG_LINES)
        elif roll < 0.25:
            line2 = rng.choice(["Bât B", "3e étage", "Apt. 4", "c/o Mme Lemaître", "Piso 2º"])
        if fail:
            line1 = f"{number} {ANNOUNCE_FAIL_MARK} chemin sans issue"
        company = rng.choice(_COMPANIES) if rng.random() < 0.05 else None
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
            "phone": _PHONE.get(country, "+33") + "".join(rng.choices(string.digits, k=8)),
            "email": f"{slug}.{rng.randint(100, 999)}@buyer.example.com",
            "pickupId": None,
            "pickupName": None,
        }
        if relay:
            draw = rng.randint(10000, 99999)
            rng.choice(_PICKUPS)  # (the draw the old ids used: keeps the stream)
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
        total = _total(lines)
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


def _total(lines: list[dict[str, Any]]) -> float:
    return round(
        sum(
            ln["quantity"] * ln["sellingPrice"]["unitSalesPrice"]
            + ln["sellingPrice"]["shippingCost"]
            for ln in lines
        ),
        2,
    )


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
        total = _total(lines)
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
