"""The sandbox's fixed facts and its seeded world.

Credentials, sellers, sales channels, the Octopia carrier list, the Sendcloud shipping
options, and a generator of realistic Octopia order documents. Everything random comes
from a ``random.Random`` the caller seeds, and every date is relative to a ``now`` the
caller passes in, so the same seed and clock give the same world.
"""

from __future__ import annotations

import random
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

#: GET /carriers as seen live: codes are not unique and some labels carry stray spaces.
CARRIERS: list[dict[str, str]] = [
    {"code": c, "label": label}
    for c, label in [
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
]


def carrier_key(label: str) -> str:
    """How labels compare: trimmed and case-folded."""
    return label.strip().casefold()


CARRIER_KEYS: frozenset[str] = frozenset(carrier_key(c["label"]) for c in CARRIERS)


# ---------------------------------------------------------------- Sendcloud catalogue

#: carriers whose cancellation is queued (202) rather than immediate (200)
QUEUED_CANCEL_CARRIERS = frozenset({"ups", "dhl_express", "colisprive"})
#: carriers that require a house number (≤ 8 characters) for these destinations
HOUSE_NUMBER_COUNTRIES = frozenset({"ES", "BE", "DE", "CH"})
HOUSE_NUMBER_CARRIERS = frozenset({"dhl", "dpd", "gls"})

EU = frozenset({"FR", "BE", "ES", "DE", "IT", "NL", "PT", "LU", "AT", "IE"})
KNOWN_COUNTRIES = EU | {"SE", "DK", "FI", "NO", "GB", "CH", "PL", "CZ", "US"}


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
    needs_pickup: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def price(self, country: str, weight: Decimal) -> Decimal:
        abroad = Decimal("0") if country == "FR" else Decimal("4.50")
        far = Decimal("9.00") if country in {"GB", "CH", "US", "NO"} else Decimal("0")
        return (self.base + self.per_kg * weight + abroad + far).quantize(Decimal("0.01"))


_EU_REACH = frozenset({"FR", "BE", "ES", "DE", "IT", "NL", "PT", "LU", "AT"})
_WORLD = KNOWN_COUNTRIES
SHIPPING_OPTIONS: list[ShippingOptionDef] = [
    ShippingOptionDef(
        "colissimo:home",
        "Colissimo Home",
        "colissimo",
        "colissimo:home",
        "Colissimo Home",
        frozenset({"FR"}),
        Decimal("30"),
        Decimal("4.95"),
        Decimal("0.80"),
    ),
    ShippingOptionDef(
        "colissimo:home/signature",
        "Colissimo Home Signature",
        "colissimo",
        "colissimo:home",
        "Colissimo Home",
        frozenset({"FR"}),
        Decimal("30"),
        Decimal("6.10"),
        Decimal("0.80"),
        signature=True,
    ),
    ShippingOptionDef(
        "colissimo:europe",
        "Colissimo Europe",
        "colissimo",
        "colissimo:international",
        "Colissimo International",
        _EU_REACH - {"FR"},
        Decimal("30"),
        Decimal("9.40"),
        Decimal("1.10"),
    ),
    ShippingOptionDef(
        "chronopost:13/h",
        "Chronopost 13H",
        "chronopost",
        "chronopost:express",
        "Chronopost Express",
        frozenset({"FR"}),
        Decimal("30"),
        Decimal("11.90"),
        Decimal("1.20"),
        extra={"delivery_deadline": "next_day"},
    ),
    ShippingOptionDef(
        "mondial_relay:point_relais",
        "Mondial Relay Point Relais",
        "mondial_relay",
        "mondial_relay:service_point",
        "Mondial Relay Service Point",
        frozenset({"FR", "BE", "ES", "NL", "PT", "LU", "DE", "IT", "AT"}),
        Decimal("30"),
        Decimal("3.60"),
        Decimal("0.55"),
        last_mile="service_point",
    ),
    ShippingOptionDef(
        "colisprive:home",
        "Colis Privé Home",
        "colisprive",
        "colisprive:home",
        "Colis Privé Home",
        frozenset({"FR"}),
        Decimal("30"),
        Decimal("4.20"),
        Decimal("0.60"),
    ),
    ShippingOptionDef(
        "dpd:classic",
        "DPD Classic",
        "dpd",
        "dpd:classic",
        "DPD Classic",
        _EU_REACH | {"SE", "DK", "PL", "CZ"},
        Decimal("31.5"),
        Decimal("5.90"),
        Decimal("0.70"),
    ),
    ShippingOptionDef(
        "dhl:parcel_connect",
        "DHL Parcel Connect",
        "dhl",
        "dhl:parcel_connect",
        "DHL Parcel Connect",
        _EU_REACH | {"SE", "DK", "FI", "PL", "CZ"},
        Decimal("31.5"),
        Decimal("6.80"),
        Decimal("0.65"),
    ),
    ShippingOptionDef(
        "gls:business_parcel",
        "GLS BusinessParcel",
        "gls",
        "gls:business_parcel",
        "GLS BusinessParcel",
        _EU_REACH | {"DK", "PL"},
        Decimal("40"),
        Decimal("5.40"),
        Decimal("0.60"),
    ),
    ShippingOptionDef(
        "postnord:mypack_home",
        "PostNord MyPack Home",
        "postnord",
        "postnord:mypack",
        "PostNord MyPack",
        frozenset({"SE", "DK", "FI", "NO"}),
        Decimal("20"),
        Decimal("8.90"),
        Decimal("0.90"),
    ),
    ShippingOptionDef(
        "ups:standard",
        "UPS Standard",
        "ups",
        "ups:standard",
        "UPS Standard",
        _WORLD,
        Decimal("70"),
        Decimal("9.90"),
        Decimal("0.95"),
        signature=True,
    ),
    ShippingOptionDef(
        "dhl_express:worldwide",
        "DHL Express Worldwide",
        "dhl_express",
        "dhl_express:worldwide",
        "DHL Express Worldwide",
        _WORLD - {"FR"},
        Decimal("70"),
        Decimal("24.50"),
        Decimal("1.90"),
        signature=True,
    ),
]
OPTIONS_BY_CODE: dict[str, ShippingOptionDef] = {o.code: o for o in SHIPPING_OPTIONS}


def available_options(country: str, weight: Decimal) -> list[ShippingOptionDef]:
    """Options that can carry ``weight`` kg to ``country``, cheapest first."""
    fit = [o for o in SHIPPING_OPTIONS if country in o.countries and weight <= o.max_kg]
    return sorted(fit, key=lambda o: (o.price(country, weight), o.code))


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


class OrderFactory:
    """Builds order documents for one world (one ``random.Random``)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used_ids: set[str] = set()
        self.count = 0

    # ---- pieces

    def address(self, country: str, *, fail: bool = False, relay: bool = False) -> dict:
        rng = self.rng
        first = rng.choice(_FIRST[country])
        last = rng.choice(_LAST[country])
        postal, city = rng.choice(_CITIES[country])
        number = str(rng.randint(1, 180))
        if country == "DE" and rng.random() < 0.3:
            number += rng.choice("abc")
        line1 = rng.choice(_STREETS[country]).format(n=number)
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
            addr["pickupId"] = f"MR-{rng.randint(10000, 99999)}"
            addr["pickupName"] = rng.choice(_PICKUPS)
        return addr

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
        if created is None:
            created = self._created(status, now)
        created = created.replace(microsecond=0)
        updated = min(now, created + self._update_delay(status))
        order_id, reference = self._ids(channel, created)
        if relay is None:
            relay = country in {"FR", "BE", "ES"} and rng.random() < 0.1
        address = self.address(country, fail=fail, relay=relay)
        deadline = self._deadline(status, created, now)
        lines = self._lines(status, channel, address, created, deadline, relay)
        total = round(
            sum(
                ln["quantity"] * ln["sellingPrice"]["unitSalesPrice"]
                + ln["sellingPrice"]["shippingCost"]
                for ln in lines
            ),
            2,
        )
        billing = {
            k: v
            for k, v in address.items()
            if k not in ("phone", "email", "pickupId", "pickupName")
        }
        if relay:
            billing["addressLine1"] = self.address(country)["addressLine1"]
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
        return NewOrder(doc, address)

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
    ) -> list[dict[str, Any]]:
        rng = self.rng
        n = rng.choices([1, 2, 3, 4], weights=[68, 20, 9, 3])[0]
        lines = []
        products = rng.sample(PRODUCTS, n)
        for i, (sku, title, gtin, price) in enumerate(products):
            mode = rng.choices(SUPPLY_MODES, weights=[86, 9, 5])[0]
            line_status = status
            if status == "InPreparation" and n > 1 and rng.random() < 0.06:
                line_status = "Cancelled"
            elif status == "InPreparation" and rng.random() < 0.05:
                line_status = "CancelRequest"
            if mode != "Seller" and status == "InPreparation":
                line_status = rng.choice(["InPreparation", "Shipped"])
            parcels: list[dict[str, Any]] = []
            if line_status in ("Shipped", "Delivered"):
                parcels = [self._past_parcel(mode, address["countryCode"])]
            lines.append(
                {
                    "orderLineId": str(i + 1),
                    "status": line_status,
                    "quantity": rng.choices([1, 2, 3], weights=[85, 12, 3])[0],
                    "offer": {
                        "id": f"OF{gtin[-6:]}{rng.randint(10, 99)}",
                        "sellerProductId": sku,
                        "productId": f"P{gtin}",
                        "productGtin": gtin,
                        "productTitle": title,
                        "condition": "New" if rng.random() < 0.93 else "LikeNew",
                        "supplyMode": mode,
                    },
                    "sellingPrice": {
                        "unitSalesPrice": price,
                        "shippingCost": 0.0 if i else rng.choice([0.0, 2.99, 4.9, 6.5]),
                    },
                    "delivery": {
                        "mode": "RELAY" if relay else rng.choice(["THD", "THD", "EXPRESS"]),
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

    def _past_parcel(self, mode: str, country: str) -> dict[str, Any]:
        rng = self.rng
        if mode != "Seller":
            carrier = "Cdiscount Livraison"
        elif country == "FR":
            carrier = rng.choice(["Colissimo", "Chronopost", "Mondial Relay", "Colis Privé"])
        else:
            carrier = rng.choice(["DPD", "UPS", "GLS", "DHL"])
        number = f"{_alnum(rng, 2)}{''.join(rng.choices(string.digits, k=11))}"
        return {
            "parcelNumber": number,
            "carrierName": carrier,
            "trackingUrl": f"https://tracking.example.com/{carrier_key(carrier).replace(' ', '-')}"
            f"/{number}",
        }


def seed_orders(factory: OrderFactory, seller: SellerInfo, n: int, now: datetime) -> list[NewOrder]:
    """The seeded orders of one seller.

    Every status appears (when ``n`` allows), and a couple of ready orders carry an
    address the carriers refuse, so the demo shows an announcement failure.
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
    out = []
    for spec in plan:
        channel = spec.get("channel")
        if channel is not None and channel not in channels:
            spec.pop("channel")
            spec.pop("country", None)
            spec.pop("relay", None)
        out.append(factory.order(seller.seller_id, now, allowed_channels=channels, **spec))
    return out
