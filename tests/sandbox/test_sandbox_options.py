"""POST /shipping-options as Sendcloud answers it: unpriced unless quotes are asked
for, each option's requirements and functionalities, a catalogue where the choice
matters, and an empty answer that says why."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from sbhelpers import sendcloud

from cdtui.sandbox import catalogue
from cdtui.sandbox.server import SandboxServer


def _ask(
    client: httpx.Client,
    country: str = "FR",
    kg: str | None = "1.250",
    *,
    quotes: Any = True,
    postal_code: str = "75002",
) -> httpx.Response:
    body: dict[str, Any] = {
        "from_address": {"country_code": "FR", "postal_code": "69001"},
        "to_address": {"country_code": country, "postal_code": postal_code},
    }
    if kg is not None:
        body["parcels"] = [{"weight": {"value": kg, "unit": "kg"}}]
    if quotes is not None:
        body["calculate_quotes"] = quotes
    return client.post("/shipping-options", json=body)


def _price(option: dict) -> Decimal:
    return Decimal(option["quotes"][0]["price"]["total"]["value"])


def test_quotes_only_when_calculate_quotes_is_true(sandbox: SandboxServer) -> None:
    with sendcloud(sandbox) as client:
        unpriced = _ask(client, quotes=None)
        refused = _ask(client, quotes=False)
        priced = _ask(client, quotes=True)
        no_parcels = _ask(client, kg=None, quotes=True)
        not_a_bool = _ask(client, quotes="yes")
        any_weight = _ask(client, kg=None, quotes=None)
    assert unpriced.status_code == refused.status_code == priced.status_code == 200
    assert unpriced.json()["data"] and all(o["quotes"] is None for o in unpriced.json()["data"])
    assert all(o["quotes"] is None for o in refused.json()["data"])
    for option in priced.json()["data"]:
        [quote] = option["quotes"]
        total = quote["price"]["total"]
        assert isinstance(total["value"], str) and total["currency"] == "EUR"
        assert Decimal(total["value"]) > 0
    assert no_parcels.status_code == 400
    assert no_parcels.json()["errors"][0]["source"]["pointer"] == "/parcels"
    assert not_a_bool.status_code == 400
    assert not_a_bool.json()["errors"][0]["source"]["pointer"] == "/calculate_quotes"
    # without parcels nothing is filtered by weight, and nothing is priced
    assert {o["code"] for o in any_weight.json()["data"]} >= {
        o["code"] for o in unpriced.json()["data"]
    }


def test_each_option_states_its_requirements_and_service(sandbox: SandboxServer) -> None:
    with sendcloud(sandbox) as client:
        france = {o["code"]: o for o in _ask(client).json()["data"]}
    for option in france.values():
        need = option["requirements"]["is_service_point_required"]
        functions = option["functionalities"]
        assert isinstance(need, bool)
        assert functions["last_mile"] in ("home_delivery", "service_point")
        assert need == (functions["last_mile"] == "service_point")
        assert isinstance(functions["signature"], bool)
        assert functions["delivery_deadline"] in (catalogue.NEXTDAY, catalogue.BEST_EFFORT)
        assert option["requirements"]["export_documents"] is False
        assert set(option["weight"]) == {"min", "max"}
        assert option["weight"]["max"]["unit"] == "kg"
    assert france["chronopost:13/h"]["functionalities"]["delivery_deadline"] == "nextday"
    assert france["colissimo:home"]["functionalities"]["delivery_deadline"] == "best_effort"
    assert france["colissimo:home/signature"]["functionalities"]["signature"] is True
    assert france["colissimo:home"]["functionalities"]["signature"] is False
    relays = {c for c, o in france.items() if o["requirements"]["is_service_point_required"]}
    assert relays == {
        "mondial_relay:point_relais",
        "chronopost:shop2shop",
        "colissimo:service_point",
    }
    homes = set(france) - relays
    assert {
        "colissimo:home",
        "colissimo:home/signature",
        "colisprive:home",
        "mondial_relay:home",
        "chronopost:13/h",
    } <= homes
    for code in ("next_day", "EXPRESS"):
        assert code not in str(france)


@pytest.mark.parametrize("kg", ["0.200", "1.250", "5", "19.9", "29.5"])
def test_in_france_relays_are_cheaper_than_home_and_express_never_cheapest(
    sandbox: SandboxServer, kg: str
) -> None:
    with sendcloud(sandbox) as client:
        options = _ask(client, kg=kg).json()["data"]
    relay = [o for o in options if o["requirements"]["is_service_point_required"]]
    home = [o for o in options if not o["requirements"]["is_service_point_required"]]
    assert relay and home
    assert max(_price(o) for o in relay) < min(_price(o) for o in home)
    cheapest_home = min(home, key=_price)
    assert cheapest_home["code"] != "chronopost:13/h"
    assert cheapest_home["functionalities"]["delivery_deadline"] != "nextday"
    networks = {o["carrier"]["code"] for o in relay}
    assert "mondial_relay" in networks and len(networks) >= (2 if Decimal(kg) <= 20 else 1)


def test_options_are_not_sorted_by_price(sandbox: SandboxServer) -> None:
    with sendcloud(sandbox) as client:
        options = _ask(client).json()["data"]
    prices = [_price(o) for o in options]
    assert prices != sorted(prices)  # the cheapest is found by reading the quotes
    assert [o["code"] for o in options] == sorted(o["code"] for o in options)


@pytest.mark.parametrize("country", ["ES", "DE", "BE", "NL"])
def test_european_destinations_have_dpd_gls_and_dhl(sandbox: SandboxServer, country: str) -> None:
    with sendcloud(sandbox) as client:
        options = _ask(client, country, postal_code="10115").json()["data"]
    carriers = {o["carrier"]["code"] for o in options}
    assert {"dpd", "gls", "dhl"} <= carriers
    assert all(o["requirements"]["export_documents"] is False for o in options)


def test_britain_is_outside_the_eu_with_an_economy_option(sandbox: SandboxServer) -> None:
    with sendcloud(sandbox) as client:
        options = _ask(client, "GB", postal_code="NW1 6XE").json()["data"]
    codes = {o["code"] for o in options}
    assert {"ups:standard", "dhl_express:worldwide", "dpd:classic"} <= codes
    assert all(o["requirements"]["export_documents"] is True for o in options)
    assert min(options, key=_price)["code"] == "dpd:classic"
    express = next(o for o in options if o["code"] == "dhl_express:worldwide")
    assert express["functionalities"]["delivery_deadline"] == "nextday"
    assert not any(o["requirements"]["is_service_point_required"] for o in options)


def test_french_overseas_departments_need_export_documents(sandbox: SandboxServer) -> None:
    with sendcloud(sandbox) as client:
        reunion = _ask(client, "FR", postal_code="97400").json()["data"]
        paris = _ask(client, "FR", postal_code="75002").json()["data"]
    assert all(o["requirements"]["export_documents"] for o in reunion)
    assert not any(o["requirements"]["export_documents"] for o in paris)


def test_nothing_can_carry_it_is_200_with_a_message(sandbox: SandboxServer) -> None:
    with sendcloud(sandbox) as client:
        heavy = _ask(client, kg="80")
        nowhere = _ask(client, "MC", postal_code="98000")
        light = _ask(client)
    assert heavy.status_code == 200
    assert heavy.json()["data"] == []
    assert "80.000 kg" in heavy.json()["message"] and "70.000 kg" in heavy.json()["message"]
    assert nowhere.status_code == 200
    assert nowhere.json()["data"] == []
    assert "MC" in nowhere.json()["message"]
    assert light.json()["message"] is None
