"""Which label an order gets: its needs, the options that serve it, the rules, customs.

Pure functions and small types, no I/O: the label service asks Sendcloud for the
options and calls these to judge them, choose one and build the parts of the announce
body that depend on the order. In order:

1. **What the order needs** (``order_need``): a relay point (a ``pickupId`` on its
   shipping address), a signature (``SHD``), express (``EHD``), or nothing at all (a
   shop pickup: the buyer collects at the seller's shop).
2. **Which options qualify** (``exclusion``): a relay order only service-point options
   of the carrier that runs its relay network; a home order never one; signed and
   express orders options with that service level; the parcel within the option's
   weight range.
3. **Which one is chosen** (``choose_option``): the integration's first matching rule
   whose option qualifies, else its default option if it qualifies, else the cheapest
   priced option. A rule or default that cannot be used is reported in ``notes``.
4. **Customs** outside the EU (``customs_items``, ``customs_information``): every item
   with an HS code, its origin, weight and price; refused before anything is bought
   when an HS code is missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from cdtui.errors import CdtuiError, UsageError
from cdtui.models import Integration, OrderLine, OrderRecord, ShippingOption
from cdtui.orders.addresses import to_address
from cdtui.orders.customs import customs_information, money
from cdtui.orders.enums import EXPRESS_MODES, SIGNED_MODES
from cdtui.orders.rules import parse_weight

#: ``functionalities.delivery_deadline`` values that mean express
EXPRESS_DEADLINES = frozenset({"nextday", "next_day", "sameday", "same_day", "express"})
_COUNTRY = re.compile(r"^[A-Z]{2}$")


# ---------------------------------------------------------------- weight


def lines_to_ship(rec: OrderRecord, *, include_cancel_requests: bool = False) -> list[OrderLine]:
    """The lines a label covers: the merchant's own lines in preparation, and those with
    a cancellation request only when the operator includes them (Octopia refuses them
    when the seller or the channel asked for the cancellation)."""
    wanted = ("InPreparation", "CancelRequest") if include_cancel_requests else ("InPreparation",)
    return [ln for ln in rec.order.lines if ln.merchant_ships and ln.status in wanted]


def label_weight(
    rec: OrderRecord,
    integ: Integration,
    default: Decimal,
    lines: Sequence[OrderLine] | None = None,
) -> Decimal:
    """Per-SKU table when every shipped line's SKU has a weight, else the defaults."""
    lines = lines_to_ship(rec) if lines is None else lines
    if lines and integ.sku_weights:
        weights = [integ.sku_weights.get(ln.sku or "") for ln in lines]
        if all(w is not None for w in weights):
            total = sum(
                (Decimal(w) * ln.quantity for w, ln in zip(weights, lines, strict=True)),
                Decimal(0),
            )
            if total > 0:
                return total.quantize(Decimal("0.001"))
    if integ.default_weight_kg is not None:
        return Decimal(integ.default_weight_kg)
    return Decimal(default)


# ---------------------------------------------------------------- what the order needs


@dataclass(frozen=True)
class Need:
    """What the marketplace promised the buyer, read from the lines to ship."""

    mode: str | None = None
    relay_id: str | None = None
    relay_name: str | None = None
    signature: bool = False
    express: bool = False
    shop_pickup: bool = False

    @property
    def relay(self) -> bool:
        return self.relay_id is not None

    def describe(self) -> str:
        """A few words for the dialog and the messages."""
        if self.shop_pickup:
            return "collected at the seller's shop (no label)"
        if self.relay:
            name = f" ({self.relay_name})" if self.relay_name else ""
            return f"relay point {self.relay_id}{name}"
        mode = f" ({self.mode})" if self.mode else ""
        if self.signature:
            return f"signed home delivery{mode}"
        if self.express:
            return f"express home delivery{mode}"
        return f"home delivery{mode}"


def order_need(rec: OrderRecord, lines: Sequence[OrderLine] | None = None) -> Need:
    """What the order's lines to ship need (the first line that says it)."""
    lines = lines_to_ship(rec) if lines is None else lines
    shown = list(lines) or rec.order.lines
    modes = [ln.delivery.mode for ln in shown if ln.delivery.mode]
    mode = modes[0] if modes else None
    relay_id = relay_name = None
    for ln in shown:
        addr = ln.shipping_address
        if addr is not None and addr.pickup_id and addr.pickup_id.strip():
            relay_id = addr.pickup_id.strip()
            relay_name = (addr.pickup_name or "").strip() or None
            break
    return Need(
        mode=mode,
        relay_id=relay_id,
        relay_name=relay_name,
        signature=any(m in SIGNED_MODES for m in modes),
        express=any(m in EXPRESS_MODES for m in modes),
        shop_pickup=bool(shown) and all(ln.shop_pickup for ln in shown),
    )


def is_express(option: ShippingOption) -> bool:
    return (option.delivery_deadline or "").strip().casefold() in EXPRESS_DEADLINES


def exclusion(
    option: ShippingOption, need: Need, *, weight: Decimal, relay_carrier: str | None
) -> str | None:
    """Why this option cannot serve the order, or None when it can."""
    if need.relay:
        if not option.service_point:
            return f"delivers to the door; this order goes to relay point {need.relay_id}"
        if relay_carrier and (option.carrier_code or "") != relay_carrier:
            return (
                f"{option.carrier_name or option.carrier_code or 'this carrier'} does not run "
                f"the relay network of this order ({relay_carrier})"
            )
    elif option.service_point:
        return "delivers to a service point; this order goes to the buyer's address"
    if need.signature and not option.signature:
        return f"no signature; the order was sold as signed delivery ({need.mode})"
    if need.express and not is_express(option):
        return f"not express; the order was sold as express delivery ({need.mode})"
    if option.max_weight_kg is not None and weight > option.max_weight_kg:
        return f"carries at most {option.max_weight_kg.normalize():f} kg"
    if option.min_weight_kg is not None and weight < option.min_weight_kg:
        return f"carries at least {option.min_weight_kg.normalize():f} kg"
    return None


@dataclass(frozen=True)
class Verdict:
    option: ShippingOption
    #: why it cannot serve this order (None: it can)
    excluded: str | None = None


def judge(
    options: Iterable[ShippingOption], need: Need, *, weight: Decimal, relay_carrier: str | None
) -> list[Verdict]:
    """Every option with its verdict: those that qualify first, each group cheapest
    first (unpriced last), as Sendcloud's order otherwise."""
    verdicts = [
        Verdict(o, exclusion(o, need, weight=weight, relay_carrier=relay_carrier)) for o in options
    ]
    return sorted(
        verdicts,
        key=lambda v: (v.excluded is not None, v.option.price is None, v.option.price or 0),
    )


# ---------------------------------------------------------------- rules

_RULE_KEYS = ("channel", "country", "mode", "weight")


class ShippingRule(BaseModel):
    """``(channel?, destination country?, delivery mode?, weight range?) → option``.

    ``mode`` is an Octopia delivery mode code (``SHD``) or ``relay`` (any order going to
    a relay point: relays have no public mode code). The weight range includes both
    ends; either may be open.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    option: str
    channel: str | None = None
    country: str | None = None
    mode: str | None = None
    min_kg: Decimal | None = None
    max_kg: Decimal | None = None

    def text(self) -> str:
        """The rule as ``--rule`` takes it (parsing it gives the same rule)."""
        parts = []
        if self.channel:
            parts.append(f"channel={self.channel}")
        if self.country:
            parts.append(f"country={self.country}")
        if self.mode:
            parts.append(f"mode={self.mode}")
        if self.min_kg is not None or self.max_kg is not None:
            low = "" if self.min_kg is None else f"{self.min_kg.normalize():f}"
            high = "" if self.max_kg is None else f"{self.max_kg.normalize():f}"
            parts.append(f"weight={low}-{high}")
        return f"{','.join(parts) or '*'} -> {self.option}"

    def matches(self, *, channel: str, country: str, need: Need, weight: Decimal) -> bool:
        if self.channel and self.channel.casefold() != channel.casefold():
            return False
        if self.country and self.country.upper() != country.upper():
            return False
        if self.mode:
            if self.mode.casefold() == "relay":
                if not need.relay:
                    return False
            elif self.mode.casefold() != (need.mode or "").casefold():
                return False
        if self.min_kg is not None and weight < self.min_kg:
            return False
        return not (self.max_kg is not None and weight > self.max_kg)


def parse_rule(text: str) -> ShippingRule:
    """``"mode=SHD,country=FR -> colissimo:home/signature"`` (``*`` matches every order;
    ``weight=0-2``, ``weight=5-`` or ``weight=-2`` in kg)."""
    if text.count("->") != 1:
        raise UsageError(
            f"The rule {text!r} is not CONDITIONS -> OPTION "
            '(e.g. "mode=SHD,country=FR -> colissimo:home/signature").'
        )
    left, option = (part.strip() for part in text.split("->"))
    if not option or len(option) > 200 or any(ch.isspace() for ch in option):
        raise UsageError(f"The rule {text!r} names no shipping option code after '->'.")
    values: dict[str, Any] = {"option": option}
    if left not in ("", "*"):
        for cond in left.split(","):
            key, sep, value = (p.strip() for p in cond.partition("="))
            key = key.casefold()
            if not sep or not value or key not in _RULE_KEYS:
                raise UsageError(
                    f"{cond.strip()!r} in rule {text!r} is not one of "
                    f"{', '.join(k + '=…' for k in _RULE_KEYS)}."
                )
            if key in values or (key == "weight" and "min_kg" in values):
                raise UsageError(f"The rule {text!r} gives {key} twice.")
            if key == "country":
                if not _COUNTRY.match(value.upper()):
                    raise UsageError(f"{value!r} in rule {text!r} is not a two-letter country.")
                values["country"] = value.upper()
            elif key == "weight":
                low, dash, high = value.partition("-")
                if not dash:
                    raise UsageError(f"The weight in rule {text!r} is a range: MIN-MAX in kg.")
                values["min_kg"] = _rule_weight(low) if low.strip() else None
                values["max_kg"] = parse_weight(high) if high.strip() else None
                if values["min_kg"] is None and values["max_kg"] is None:
                    raise UsageError(f"The weight range in rule {text!r} is empty.")
                if (
                    values["min_kg"] is not None
                    and values["max_kg"] is not None
                    and values["min_kg"] > values["max_kg"]
                ):
                    raise UsageError(f"The weight range in rule {text!r} is reversed.")
            else:
                if len(value) > 64 or not re.fullmatch(r"[A-Za-z0-9_.-]+", value):
                    raise UsageError(f"{value!r} in rule {text!r} is not a {key} code.")
                values[key] = value
    return ShippingRule(**values)


def _rule_weight(value: str) -> Decimal:
    """A rule's lower weight bound: 0 is valid there."""
    if value.strip().replace(",", ".") in ("0", "0.0", "0.000"):
        return Decimal(0)
    return parse_weight(value)


def rules_of(integ: Integration) -> list[ShippingRule]:
    """The integration's rules (an unreadable stored rule is skipped by nobody: it is
    an error the operator sees)."""
    rules = []
    for i, raw in enumerate(integ.shipping_rules, 1):
        try:
            rules.append(ShippingRule.model_validate(raw))
        except ValueError:
            raise CdtuiError(
                f"Shipping rule {i} of integration {integ.id} cannot be read: set the rules "
                f"again with `cdtui integration update {integ.id} --clear-rules --rule …`."
            ) from None
    return rules


# ---------------------------------------------------------------- the choice


@dataclass
class Choice:
    option: ShippingOption
    #: ``rule 2 (mode=SHD -> …)``, ``default option``, ``cheapest`` or ``operator``
    chosen_by: str
    #: rules or the default that matched but could not be used, and why
    notes: list[str] = field(default_factory=list)


def choose_option(
    verdicts: Sequence[Verdict],
    *,
    rules: Sequence[ShippingRule],
    default: str | None,
    channel: str,
    country: str,
    need: Need,
    weight: Decimal,
    requested: str | None = None,
) -> Choice:
    """The option for this order (see the module docstring for the order of things).

    ``requested`` is the operator's own choice: used when it qualifies, refused with
    the reason when it does not. Raises ``CdtuiError`` naming every reason when
    nothing can be chosen; never falls back on an unpriced option by itself.
    """
    by_code = {v.option.code: v for v in verdicts}
    if requested:
        verdict = by_code.get(requested)
        if verdict is None:
            raise UsageError(
                f"Sendcloud does not offer {requested!r} for this parcel ({weight} kg to "
                f"{country}); offered: {', '.join(by_code) or 'nothing'}."
            )
        if verdict.excluded:
            raise UsageError(f"{requested} cannot serve this order: {verdict.excluded}.")
        try:
            automatic = choose_option(
                verdicts,
                rules=rules,
                default=default,
                channel=channel,
                country=country,
                need=need,
                weight=weight,
            )
        except CdtuiError:
            automatic = None
        if automatic is not None and automatic.option.code == requested:
            return automatic  # the operator confirmed what the rules chose: say why
        return Choice(verdict.option, "operator")
    notes: list[str] = []
    for i, rule in enumerate(rules, 1):
        if not rule.matches(channel=channel, country=country, need=need, weight=weight):
            continue
        verdict = by_code.get(rule.option)
        if verdict is None:
            notes.append(
                f"rule {i} ({rule.text()}) names {rule.option}, which Sendcloud does not "
                "offer for this parcel"
            )
        elif verdict.excluded:
            notes.append(f"rule {i} ({rule.text()}) cannot be used: {verdict.excluded}")
        else:
            return Choice(verdict.option, f"rule {i} ({rule.text()})", notes)
    if default:
        verdict = by_code.get(default)
        if verdict is None:
            notes.append(f"default option {default} is not offered for this parcel")
        elif verdict.excluded:
            notes.append(f"default option {default} cannot be used: {verdict.excluded}")
        else:
            return Choice(verdict.option, "default option", notes)
    priced = [v.option for v in verdicts if v.excluded is None and v.option.price is not None]
    if priced:
        return Choice(min(priced, key=lambda o: o.price or 0), "cheapest", notes)
    qualifying = [v.option for v in verdicts if v.excluded is None]
    if qualifying:
        raise CdtuiError(
            "Sendcloud gave no price for the options that serve this order "
            f"({', '.join(o.code for o in qualifying)}): choose one yourself "
            "(`cdtui label ORDER --shipping-option CODE`) or add a shipping rule."
        )
    reasons = "; ".join(f"{v.option.code}: {v.excluded}" for v in verdicts)
    raise CdtuiError(
        f"No shipping option can serve this order ({need.describe()}, {weight} kg to "
        f"{country})" + (f" — {reasons}" if reasons else "") + "."
    )


# ---------------------------------------------------------------- the announce body


def build_announce_payload(
    rec: OrderRecord,
    *,
    option_code: str,
    weight_kg: Decimal,
    sender_address_id: int,
    label_format: str,
    external_reference_id: str,
    lines: Sequence[OrderLine] | None = None,
    address: dict[str, Any] | None = None,
    relay_point_id: str | None = None,
    customs: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The ``POST /shipments/announce`` body for one parcel holding ``lines``.

    ``address`` is the ``to_address`` (``to_address(rec, override)``); ``relay_point_id``
    the carrier's relay id (``to_service_point``); ``customs`` the customs items
    (``customs_items``), which replace the plain items and add ``customs_information``.
    """
    lines = lines_to_ship(rec) if lines is None else lines
    currency = rec.order.currency_code or "EUR"
    items = customs
    if items is None:
        items = []
        for ln in lines:
            item: dict[str, Any] = {
                "description": (ln.offer.product_title or ln.sku or "Item")[:255],
                "quantity": max(1, ln.quantity),
            }
            if ln.sku:
                item["sku"] = ln.sku
            price = money(ln.selling_price.unit_sales_price, currency)
            if price:
                item["price"] = price
            items.append(item)
    payload: dict[str, Any] = {
        "to_address": address if address is not None else to_address(rec),
        "from_address": {"sender_address_id": sender_address_id},
        "ship_with": {
            "type": "shipping_option_code",
            "properties": {"shipping_option_code": option_code},
        },
        "order_number": rec.reference,
        "external_reference_id": external_reference_id,
        "parcels": [
            {
                "weight": {"value": f"{weight_kg:.3f}", "unit": "kg"},
                "parcel_items": items,
            }
        ],
        "label_details": {
            "mime_type": "application/zpl" if label_format == "zpl" else "application/pdf",
            "dpi": 203 if label_format == "zpl" else 72,
        },
    }
    if relay_point_id:
        payload["to_service_point"] = {"carrier_service_point_id": relay_point_id}
    if customs is not None:
        payload["customs_information"] = customs_information(rec)
    total = money(rec.order.total_price.selling_price, currency)
    if total:
        payload["total_order_price"] = total
    return payload
