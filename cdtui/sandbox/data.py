"""The sandbox's fixed Octopia facts.

Credentials (Octopia clients, Sendcloud keys), sellers and their sales channels, the
Octopia carrier list, the order and line statuses, the delivery modes, the marks that
make the sandbox's carriers refuse an address, and ``stamp`` (the API's date form).
The Sendcloud catalogue and service points are in :mod:`cdtui.sandbox.catalogue`, the
order generator in :mod:`cdtui.sandbox.factory`, the seeded world's orders (and the
demo's showcase) in :mod:`cdtui.sandbox.seeding`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
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

#: address line 1 that the sandbox's carriers refuse to announce
ANNOUNCE_FAIL_MARK = "ANNOUNCE-FAIL"
#: postal code that the sandbox's carriers refuse to announce
ANNOUNCE_FAIL_POSTAL_CODE = "00000"

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

#: who started a line's cancellation request (kept by the sandbox, not in the order):
#: Octopia accepts a shipment of the line only when the customer started it
CANCEL_INITIATORS = ("customer", "seller", "sales_channel")


def stamp(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
