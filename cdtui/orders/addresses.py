"""Shipping addresses: the ``to_address`` a label goes to, house numbers found in the
common European forms, and the operator's corrections for one label."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict

from cdtui.errors import CdtuiError, UsageError
from cdtui.models import Address, OrderRecord

# A house number: digits, then an optional letter (12a), a dash or slash suffix (12-A,
# 5-7, 10/B) or bis/ter/quater; never an ordinal (3º, 2ª, 17.) nor part of a word.
_NUMBER = (
    r"(\d{1,5}(?:\s?(?:bis|ter|quater)\b|[-/][0-9A-Za-z]{1,4}\b|[A-Za-z]\b)?)"
    r"(?![º°ª.\d])"
)
_FIRST = re.compile(r"^\s*" + _NUMBER, re.IGNORECASE)
_ANY = re.compile(r"(?:(?<=\s)|(?<=,)|(?<=[A-Za-z]\.)|^)" + _NUMBER, re.IGNORECASE)
_NO_NUMBER = re.compile(r"(?:^|[\s,])(s/n|s\.n\.|sn)\s*$", re.IGNORECASE)


def house_number(line: str | None) -> str | None:
    """The house number of an address line, at most 8 characters.

    Number first (``12 rue de la Paix``, ``12 bis rue …``) or after the street
    (``Hauptstraße 12a``, ``Kerkstraat 12-A``, ``Rue Neuve 12 bus 3``,
    ``Calle de Alcalá 12, 3º izq``): the first number of the line that is not an
    ordinal (``3º``) — a box (``bus 3``) or floor comes after it. ``s/n`` (Spanish "no
    number") is kept as ``S/N``, which carriers accept.
    """
    if not line or not line.strip():
        return None
    m = _FIRST.match(line)
    if m is None:
        for candidate in _ANY.finditer(line):
            before = line[: candidate.start()].rstrip(" ,").split()
            # "bus 3" / "box 3" / "apt 4" name a box or a flat, not the house
            if before and before[-1].casefold() in {"bus", "box", "bte", "apt", "apt.", "piso"}:
                continue
            m = candidate
            break
    if m is None:
        if _NO_NUMBER.search(line):
            return "S/N"
        return None
    return re.sub(r"\s+", "", m.group(1))[:8]


class AddressOverride(BaseModel):
    """The operator's corrections of a shipping address, for one label only: stored with
    the label, never sent to the marketplace. ``None`` keeps the order's value."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    company_name: str | None = None
    address_line_1: str | None = None
    address_line_2: str | None = None
    house_number: str | None = None
    postal_code: str | None = None
    city: str | None = None
    phone_number: str | None = None

    def cleaned(self) -> AddressOverride:
        """Trimmed, control characters refused, lengths checked (``UsageError``)."""
        values: dict[str, str | None] = {}
        for name, value in self.model_dump().items():
            if value is None:
                continue
            text = " ".join(str(value).split())
            if any(ord(ch) < 32 or ord(ch) == 127 for ch in str(value).replace("\n", " ")):
                raise UsageError(f"The {_FIELD_NAMES[name]} holds control characters.")
            limit = _LIMITS[name]
            if len(text) > limit:
                raise UsageError(f"The {_FIELD_NAMES[name]} may have at most {limit} characters.")
            values[name] = text
        return AddressOverride(**values)

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


_LIMITS = {
    "name": 75,
    "company_name": 50,
    "address_line_1": 150,
    "address_line_2": 150,
    "house_number": 8,
    "postal_code": 12,
    "city": 30,
    "phone_number": 20,
}
_FIELD_NAMES = {
    "name": "name",
    "company_name": "company name",
    "address_line_1": "address line 1",
    "address_line_2": "address line 2",
    "house_number": "house number",
    "postal_code": "postal code",
    "city": "city",
    "phone_number": "phone number",
}


def destination(rec: OrderRecord) -> Address:
    """The shipping address, or a clear error naming what the order lacks."""
    addr = rec.order.shipping_address
    if addr is None:
        raise CdtuiError(f"Order {rec.reference} has no shipping address yet.")
    return addr


def to_address(rec: OrderRecord, override: AddressOverride | None = None) -> dict[str, Any]:
    """The announce body's ``to_address``: the order's shipping address with the
    operator's corrections; a clear error naming what is missing."""
    addr = destination(rec)
    extra = " ".join(p.strip() for p in (addr.address_line2, addr.address_line3) if p and p.strip())
    line1 = (addr.address_line1 or "").strip()
    fields: dict[str, Any] = {
        "name": (addr.name or addr.company_name or "").strip(),
        "company_name": (addr.company_name or "").strip() or None,
        "address_line_1": line1,
        "address_line_2": extra or None,
        "house_number": house_number(line1),
        "postal_code": (addr.postal_code or "").strip(),
        "city": (addr.city or "").strip(),
        "country_code": (addr.country_code or "").strip().upper(),
        "phone_number": (addr.phone or "").strip() or None,
        "email": (addr.email or "").strip() or None,
    }
    if override is not None:
        changes = override.as_dict()
        if "address_line_1" in changes and "house_number" not in changes:
            changes["house_number"] = house_number(changes["address_line_1"])
        fields.update({k: (v or None) for k, v in changes.items()})
    missing = [
        label
        for key, label in (
            ("name", "name"),
            ("address_line_1", "address line"),
            ("postal_code", "postal code"),
            ("city", "city"),
            ("country_code", "country"),
        )
        if not (fields.get(key) or "").strip()
    ]
    if missing:
        raise CdtuiError(
            f"The shipping address of order {rec.reference} lacks: {', '.join(missing)} "
            "(correct it in the label dialog, or with `cdtui label --address-line-1 …`)."
        )
    return {k: v for k, v in fields.items() if v not in (None, "")}
