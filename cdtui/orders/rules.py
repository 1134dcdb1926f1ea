"""The rules every input follows, wherever it is typed: the forms, the command line and
the engine call these same functions, so a value one accepts the others accept.

Each returns the cleaned value or raises ``UsageError`` with a message that says what is
expected; none has side effects.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal

from cdtui.errors import UsageError

#: at most this many kilograms in one parcel
MAX_WEIGHT_KG = Decimal(1000)
#: at most this many characters in an integration name
NAME_MAX = 80
_SELLER_ID = re.compile(r"^\d{1,20}$")
_CHANNEL_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_HS_CODE = re.compile(r"^\d{6,10}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CARRIER = re.compile(r"^[a-z0-9_.-]{1,64}$")
#: ASCII digits only (``str.isdigit`` and ``Decimal`` take full-width ones too)
_WEIGHT = re.compile(r"^[0-9]{1,4}(?:[.,][0-9]+)?$|^[.,][0-9]+$", re.ASCII)

Channels = list[str] | Literal["all"]


def check_name(name: str) -> str:
    """An integration name: spaces collapsed, not empty, at most ``NAME_MAX``."""
    name = " ".join((name or "").split())
    if not name:
        raise UsageError("An integration needs a name.")
    if len(name) > NAME_MAX:
        raise UsageError(f"The integration name is longer than {NAME_MAX} characters.")
    return name


def name_key(name: str) -> str:
    """How names compare for uniqueness: spacing and case ignored."""
    return " ".join(name.split()).casefold()


def check_seller_id(seller_id: str) -> str:
    """An Octopia Seller ID: digits only."""
    seller_id = (seller_id or "").strip()
    if not _SELLER_ID.match(seller_id):
        raise UsageError(
            "The Seller ID is made of digits only (Octopia account → Settings, top right)."
        )
    return seller_id


def parse_channels(value: str | list[str] | None) -> Channels:
    """``"all"`` or a list of channel ids from ``all`` / ``ID,ID`` / a list."""
    if value is None:
        return "all"
    items = value.split(",") if isinstance(value, str) else list(value)
    items = [i.strip() for i in items if i and i.strip()]
    if not items:
        raise UsageError('Give the sales channels as "all" or a list of channel ids (ID,ID).')
    if len(items) == 1 and items[0].casefold() == "all":
        return "all"
    if any(i.casefold() == "all" for i in items):
        raise UsageError('"all" cannot be combined with channel ids.')
    bad = [i for i in items if not _CHANNEL_ID.match(i)]
    if bad:
        raise UsageError(f"{bad[0]!r} is not a sales channel id.")
    return list(dict.fromkeys(items))


def parse_weight(value: str | Decimal | float) -> Decimal:
    """A weight in kg as a person writes it: ``1.25`` or ``1,25`` — plain digits and
    one decimal separator (no ``1e3``, ``nan``, ``inf``, ``1.2.3`` nor full-width
    digits), more than 0 and at most 1000, to the gram."""
    if isinstance(value, Decimal | float | int) and not isinstance(value, bool):
        text = f"{Decimal(str(value)):f}" if Decimal(str(value)).is_finite() else "x"
    else:
        text = str(value).strip()
    if not _WEIGHT.match(text):
        raise UsageError(
            f"The weight {str(value)[:20]!r} is not a number of kilograms (such as 1.25)."
        )
    weight = Decimal(text.replace(",", "."))
    if weight <= 0 or weight > MAX_WEIGHT_KG:
        raise UsageError(f"The weight must be more than 0 and at most {MAX_WEIGHT_KG} kg.")
    if weight != weight.quantize(Decimal("0.001")):
        raise UsageError("The weight has at most three decimals (grams).")
    return weight.quantize(Decimal("0.001"))


def clean_hs_code(value: str) -> str:
    """An HS code from user input: digits (dots and spaces dropped), 6 to 10 of them."""
    code = re.sub(r"[\s.]", "", value)
    if not _HS_CODE.match(code):
        raise UsageError(f"{value!r} is not an HS code (6 to 10 digits, e.g. 851830).")
    return code


#: ISO 3166-1 alpha-2 country codes
_ISO_3166 = """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN
    BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE
    DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN
    GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE
    KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK
    ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA
    PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK
    SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG
    UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW"""
COUNTRIES = frozenset(_ISO_3166.split())


def clean_country(value: str, what: str = "country") -> str:
    """A country code: two letters that name a country (``ZZ`` does not)."""
    code = (value or "").strip().upper()
    if not _COUNTRY.match(code) or code not in COUNTRIES:
        raise UsageError(f"{value!r} is not a two-letter {what} code (e.g. FR).")
    return code


def check_carrier_code(value: str) -> str:
    """A Sendcloud carrier code (``mondial_relay``)."""
    carrier = value.strip().lower()
    if not _CARRIER.match(carrier):
        raise UsageError(f"{value!r} is not a Sendcloud carrier code (e.g. mondial_relay).")
    return carrier


def check_sku(value: str) -> str:
    sku = value.strip()
    if not sku or len(sku) > 200:
        raise UsageError(f"{value!r} is not a SKU.")
    return sku
