"""Which label an order gets (``cdtui.orders.shipping``): needs, verdicts, rules, customs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from cdtui.errors import CdtuiError, UsageError
from cdtui.models import Integration, Order, OrderRecord, ShippingOption
from cdtui.orders.addresses import AddressOverride, house_number, to_address
from cdtui.orders.customs import customs_items, needs_customs
from cdtui.orders.shipping import (
    Need,
    build_announce_payload,
    choose_option,
    exclusion,
    judge,
    lines_to_ship,
    order_need,
    parse_rule,
)


def _line(n: int = 1, *, status: str = "InPreparation", mode: str = "THD", **addr: Any) -> dict:
    address = {
        "firstName": "Camille",
        "lastName": "Durand",
        "addressLine1": "12 rue de la Paix",
        "postalCode": "75002",
        "city": "Paris",
        "countryCode": "FR",
        "phone": "+33612345678",
        **addr,
    }
    return {
        "orderLineId": str(n),
        "status": status,
        "quantity": 2 if n == 1 else 1,
        "offer": {
            "sellerProductId": f"SKU-{n}",
            "productTitle": f"Product {n}",
            "supplyMode": "Seller",
        },
        "sellingPrice": {"unitSalesPrice": 10 * n},
        "delivery": {"mode": mode},
        "shippingAddress": address,
    }


def _rec(*lines: dict, channel: str = "CDISFR", currency: str = "EUR") -> OrderRecord:
    order = Order.model_validate(
        {
            "orderId": "O1",
            "reference": "REF-1",
            "status": "InPreparation",
            "currencyCode": currency,
            "salesChannel": {"id": channel},
            "purchasedAt": "2026-11-26T09:57:29Z",
            "totalPrice": {"sellingPrice": 34.8},
            "lines": list(lines) or [_line()],
        }
    )
    return OrderRecord(order_id="O1", integration_id="1", seller_id="98979", order=order)


def _integ(**over: Any) -> Integration:
    return Integration(id="1", name="Shop", seller_id="98979", login="shop", **over)


def _opt(code: str, price: str | None, **over: Any) -> ShippingOption:
    carrier = code.split(":")[0]
    return ShippingOption(
        code=code,
        name=code,
        carrier_code=carrier,
        carrier_name=carrier.title(),
        price=None if price is None else Decimal(price),
        **over,
    )


HOME = _opt("colissimo:home", "5.75", last_mile="home_delivery")
SIGNED = _opt("colissimo:home/signature", "6.90", last_mile="home_delivery", signature=True)
EXPRESS = _opt("chronopost:13/h", "13.10", last_mile="home_delivery", delivery_deadline="nextday")
RELAY = _opt(
    "mondial_relay:point_relais", "4.15", last_mile="service_point", service_point_required=True
)
OTHER_RELAY = _opt("chronopost:shop2shop", "3.90", last_mile="service_point")
HEAVY_ONLY = _opt("geodis:pallet", "40.00", min_weight_kg=Decimal(30))
CATALOGUE = [HOME, SIGNED, EXPRESS, RELAY, OTHER_RELAY, HEAVY_ONLY]


def _choose(rec: OrderRecord, **over: Any):  # type: ignore[no-untyped-def]
    need = order_need(rec)
    weight = over.pop("weight", Decimal(1))
    verdicts = judge(
        over.pop("options", CATALOGUE), need, weight=weight, relay_carrier="mondial_relay"
    )
    args: dict[str, Any] = {
        "rules": [],
        "default": None,
        "channel": rec.channel_id,
        "country": "FR",
        "need": need,
        "weight": weight,
    }
    args.update(over)
    return choose_option(verdicts, **args)


# ---------------------------------------------------------------- the automatic choice


def test_a_plain_home_order_gets_the_cheapest_home_option_never_a_relay() -> None:
    choice = _choose(_rec())
    assert choice.option == HOME and choice.chosen_by == "cheapest"


def test_a_relay_order_gets_a_service_point_option_of_its_network() -> None:
    rec = _rec(_line(mode="RELAY", pickupId="020547", pickupName="Tabac de la Gare"))
    need = order_need(rec)
    assert need.relay and need.relay_id == "020547"
    assert need.describe() == "relay point 020547 (Tabac de la Gare)"
    # Chronopost's relay option is cheaper, but does not run Mondial Relay's points
    assert _choose(rec).option == RELAY


def test_signed_and_express_orders_get_their_service_level() -> None:
    assert _choose(_rec(_line(mode="SHD"))).option == SIGNED
    assert _choose(_rec(_line(mode="EHD"))).option == EXPRESS
    assert _choose(_rec(_line(mode="REG"))).option == SIGNED  # legacy code


def test_every_exclusion_says_why() -> None:
    home = Need(mode="THD")
    relay = Need(mode="RELAY", relay_id="020547")
    w = Decimal(1)
    assert "service point" in (exclusion(RELAY, home, weight=w, relay_carrier=None) or "")
    assert "goes to relay point 020547" in (
        exclusion(HOME, relay, weight=w, relay_carrier=None) or ""
    )
    assert "does not run the relay network" in (
        exclusion(OTHER_RELAY, relay, weight=w, relay_carrier="mondial_relay") or ""
    )
    assert "signature" in (
        exclusion(HOME, Need(mode="SHD", signature=True), weight=w, relay_carrier=None) or ""
    )
    assert "express" in (
        exclusion(HOME, Need(mode="EHD", express=True), weight=w, relay_carrier=None) or ""
    )
    assert exclusion(HEAVY_ONLY, home, weight=w, relay_carrier=None) == "carries at least 30 kg"
    assert exclusion(HOME, home, weight=w, relay_carrier=None) is None


def test_the_default_option_only_when_it_qualifies() -> None:
    rec = _rec()
    assert _choose(rec, default="colissimo:home/signature").chosen_by == "default option"
    choice = _choose(rec, default="mondial_relay:point_relais")
    assert choice.option == HOME and choice.chosen_by == "cheapest"
    assert choice.notes == [
        "default option mondial_relay:point_relais cannot be used: delivers to a service point; "
        "this order goes to the buyer's address"
    ]


def test_rules_come_first_and_a_rule_that_cannot_be_used_is_reported() -> None:
    rec = _rec(_line(mode="SHD"))
    rules = [
        parse_rule("channel=RAKUFR -> colissimo:home"),  # does not match
        parse_rule("mode=SHD -> gone:option"),  # no longer offered
        parse_rule("country=FR -> colissimo:home"),  # no signature
        parse_rule("mode=SHD,country=FR -> colissimo:home/signature"),
    ]
    choice = _choose(rec, rules=rules, default="chronopost:13/h")
    assert choice.option == SIGNED
    assert choice.chosen_by == "rule 4 (country=FR,mode=SHD -> colissimo:home/signature)"
    assert choice.notes == [
        "rule 2 (mode=SHD -> gone:option) names gone:option, which Sendcloud does not offer "
        "for this parcel",
        "rule 3 (country=FR -> colissimo:home) cannot be used: no signature; the order was "
        "sold as signed delivery (SHD)",
    ]


def test_rule_conditions_channel_weight_and_relay() -> None:
    relay_rec = _rec(_line(mode="XYZ", pickupId="1"), channel="RAKUFR")
    rule = parse_rule("channel=rakufr,mode=relay,weight=0-2 -> mondial_relay:point_relais")
    need = order_need(relay_rec)
    assert rule.matches(channel="RAKUFR", country="FR", need=need, weight=Decimal(2))
    assert not rule.matches(channel="RAKUFR", country="FR", need=need, weight=Decimal("2.001"))
    assert not rule.matches(channel="CDISFR", country="FR", need=need, weight=Decimal(1))
    assert not rule.matches(
        channel="RAKUFR", country="FR", need=Need(mode="THD"), weight=Decimal(1)
    )


@pytest.mark.parametrize(
    "text",
    [
        "mode=SHD,country=FR -> colissimo:home/signature",
        "channel=ONBUGB,weight=5- -> ups:standard",
        "weight=-0.5 -> colissimo:home",
        "* -> colissimo:home",
    ],
)
def test_a_rule_reads_back_as_written(text: str) -> None:
    assert parse_rule(parse_rule(text).text()) == parse_rule(text)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("mode=SHD colissimo:home", "is not CONDITIONS -> OPTION"),
        ("mode=SHD -> ", "names no shipping option"),
        ("colour=red -> x", "is not one of channel="),
        ("country=France -> x", "not a two-letter country"),
        ("weight=2 -> x", "is a range"),
        ("weight=5-2 -> x", "reversed"),
        ("mode=SHD,mode=EHD -> x", "gives mode twice"),
    ],
)
def test_a_bad_rule_is_refused_with_a_clear_message(text: str, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        parse_rule(text)


def test_no_price_means_no_automatic_choice() -> None:
    unpriced = [_opt("colissimo:home", None), _opt("chronopost:13/h", None)]
    with pytest.raises(CdtuiError, match="gave no price"):
        _choose(_rec(), options=unpriced)
    # the operator's own choice still works
    assert _choose(_rec(), options=unpriced, requested="colissimo:home").chosen_by == "operator"


def test_confirming_the_automatic_choice_keeps_its_reason() -> None:
    rules = [parse_rule("country=FR -> colissimo:home/signature")]
    confirmed = _choose(_rec(), rules=rules, requested="colissimo:home/signature")
    assert confirmed.chosen_by == "rule 1 (country=FR -> colissimo:home/signature)"
    assert _choose(_rec(), rules=rules, requested="colissimo:home").chosen_by == "operator"
    assert _choose(_rec(), requested="colissimo:home").chosen_by == "cheapest"


def test_the_operator_cannot_pick_an_option_that_cannot_serve_the_order() -> None:
    with pytest.raises(UsageError, match="cannot serve this order: delivers to a service point"):
        _choose(_rec(), requested="mondial_relay:point_relais")
    with pytest.raises(UsageError, match="does not offer 'nope'"):
        _choose(_rec(), requested="nope")


def test_nothing_qualifies_names_every_reason() -> None:
    with pytest.raises(CdtuiError, match="No shipping option can serve this order") as err:
        _choose(_rec(_line(mode="SHD")), options=[HOME, RELAY])
    assert "colissimo:home: no signature" in err.value.message


def test_shop_pickups_need_no_label() -> None:
    assert order_need(_rec(_line(mode="ShopPickup"))).shop_pickup
    assert not order_need(_rec(_line(), _line(2, mode="ShopPickup"))).shop_pickup


# ---------------------------------------------------------------- lines and addresses


def test_cancel_request_lines_only_when_included() -> None:
    rec = _rec(_line(), _line(2, status="CancelRequest"))
    assert [ln.order_line_id for ln in lines_to_ship(rec)] == ["1"]
    assert [ln.order_line_id for ln in lines_to_ship(rec, include_cancel_requests=True)] == [
        "1",
        "2",
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("12 rue de la Paix", "12"),
        ("12 bis chemin des Écoliers", "12bis"),
        ("Calle de Alcalá 12, 3º izq", "12"),
        ("Calle Mayor 5, 2º B", "5"),
        ("Hauptstraße 12a", "12a"),
        ("Hauptstr.12", "12"),
        ("Straße des 17. Juni 135", "135"),
        ("Rue Neuve 12 bus 3", "12"),
        ("Kerkstraat 12-A", "12-A"),
        ("Via Roma 10/B", "10/B"),
        ("Avenida de América s/n", "S/N"),
        ("Résidence Les Jardins, Bâtiment C", None),
        ("", None),
    ],
)
def test_house_numbers_in_the_common_european_forms(line: str, expected: str | None) -> None:
    assert house_number(line) == expected


def test_an_address_corrected_for_one_label() -> None:
    rec = _rec(_line(addressLine1="Calle sin número", countryCode="ES", postalCode="28013"))
    assert "house_number" not in to_address(rec)
    fixed = to_address(rec, AddressOverride(house_number="7", city="Madrid").cleaned())
    assert fixed["house_number"] == "7" and fixed["city"] == "Madrid"
    # a new first line brings its own house number
    assert to_address(rec, AddressOverride(address_line_1="Calle Mayor 9"))["house_number"] == "9"
    with pytest.raises(UsageError, match="house number may have at most 8"):
        AddressOverride(house_number="123456789").cleaned()
    with pytest.raises(UsageError, match="control characters"):
        AddressOverride(name="A\x1b[2JB").cleaned()
    with pytest.raises(CdtuiError, match="lacks: city"):
        to_address(rec, AddressOverride(city=""))


# ---------------------------------------------------------------- customs


@pytest.mark.parametrize(
    ("src", "dst", "postal", "needed"),
    [
        ("FR", "FR", "75002", False),
        ("FR", "DE", None, False),
        ("FR", "GB", None, True),
        ("FR", "CH", None, True),
        ("FR", "NO", None, True),
        ("FR", "FR", "97400", True),  # La Réunion: outside the EU customs territory
        ("GB", "GB", None, False),
    ],
)
def test_customs_outside_the_eu(src: str, dst: str, postal: str | None, needed: bool) -> None:
    assert needs_customs(src, dst, postal) is needed


def test_customs_items_refuse_before_buying_without_an_hs_code() -> None:
    rec = _rec(_line(), _line(2), channel="ONBUGB", currency="GBP")
    lines = lines_to_ship(rec)
    with pytest.raises(UsageError) as err:
        customs_items(rec, lines, _integ(), weight=Decimal(1), sender_country="FR")
    assert "SKU-1, SKU-2" in err.value.message
    assert "cdtui integration update 1 --sku-hs-code SKU-1=CODE" in err.value.message
    integ = _integ(
        sku_hs_codes={"SKU-1": "851830"},
        default_hs_code="392690",
        sku_origin_countries={"SKU-2": "CN"},
        sku_weights={"SKU-2": Decimal("0.2")},
    )
    items = customs_items(rec, lines, integ, weight=Decimal("1.5"), sender_country="FR")
    assert items == [
        {
            "description": "Product 1",
            "quantity": 2,
            "weight": {"value": "0.500", "unit": "kg"},  # 1.5 kg over 3 units
            "price": {"value": "10.00", "currency": "GBP"},
            "hs_code": "851830",
            "origin_country": "FR",
            "sku": "SKU-1",
        },
        {
            "description": "Product 2",
            "quantity": 1,
            "weight": {"value": "0.200", "unit": "kg"},
            "price": {"value": "20.00", "currency": "GBP"},
            "hs_code": "392690",
            "origin_country": "CN",
            "sku": "SKU-2",
        },
    ]
    payload = build_announce_payload(
        rec,
        option_code="ups:standard",
        weight_kg=Decimal("1.5"),
        sender_address_id=192,
        label_format="pdf",
        external_reference_id="cdtui-x",
        customs=items,
    )
    assert payload["parcels"][0]["parcel_items"] == items
    assert payload["customs_information"] == {
        "invoice_number": "REF-1",
        "export_reason": "commercial_goods",
        "export_type": "private",
        "invoice_date": "2026-11-26",
    }


def test_a_relay_order_is_announced_to_its_relay_point() -> None:
    rec = _rec(_line(mode="RELAY", pickupId="020547"))
    payload = build_announce_payload(
        rec,
        option_code="mondial_relay:point_relais",
        weight_kg=Decimal(1),
        sender_address_id=192,
        label_format="pdf",
        external_reference_id="cdtui-x",
        relay_point_id=order_need(rec).relay_id,
    )
    assert payload["to_service_point"] == {"carrier_service_point_id": "020547"}
    assert "customs_information" not in payload
