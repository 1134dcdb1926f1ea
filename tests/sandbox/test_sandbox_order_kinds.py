"""The Octopia side's kinds of orders: delivery modes, relay and shop pickup, street
forms, cancellation requests and who started them, ship-by dates, carriers that need
a tracking URL, and the demo's showcase."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest
from sbhelpers import octopia

from cdtui.sandbox import catalogue, data, seeding
from cdtui.sandbox.server import SandboxServer
from cdtui.sandbox.world import World

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def big() -> World:
    """A large world (no server) for statistics over many orders."""
    return World(orders=2000, seed=5, clock=lambda: NOW, second_seller_orders=0)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _lines(world: World) -> list[tuple[dict, dict]]:
    return [(o, ln) for o in world.orders() for ln in o["lines"]]


# ---------------------------------------------------------------- delivery modes


def test_every_delivery_mode_appears(big: World) -> None:
    modes = Counter(ln["delivery"]["mode"] for _, ln in _lines(big))
    assert set(data.HOME_MODES) <= set(modes)
    assert {data.RELAY_MODE, data.SHOP_PICKUP_MODE} <= set(modes)
    assert set(modes) & set(data.LEGACY_MODES)
    assert set(modes) <= set(data.DELIVERY_MODES)
    assert "EXPRESS" not in modes
    assert modes.most_common(1)[0][0] == "THD"
    for order in big.orders():  # one promise per order
        assert len({ln["delivery"]["mode"] for ln in order["lines"]}) == 1


def test_relays_have_a_pickup_id_and_shop_pickups_do_not(big: World) -> None:
    for _, ln in _lines(big):
        address = ln["shippingAddress"]
        if address is None:
            continue
        mode = ln["delivery"]["mode"]
        if mode == data.RELAY_MODE:
            assert address["pickupId"] and address["pickupName"]
            assert catalogue.service_point(catalogue.RELAY_NETWORK, address["pickupId"]) is not None
        else:
            assert address["pickupId"] is None and address["pickupName"] is None
        if mode == data.SHOP_PICKUP_MODE:
            assert address["countryCode"] == "FR"  # the buyer's own address
            assert address["addressLine1"] and address["city"]


# ---------------------------------------------------------------- street forms


@pytest.mark.parametrize(
    ("country", "pattern"),
    [
        ("ES", r"^\D+ \d+, (\dº (izq|dcha|[A-C])|bajo)$"),
        ("DE", r"^\D+ \d+[abc]$"),
        ("BE", r"^\D+ \d+ bus \d+$"),
        ("NL", r"^\D+ \d+-[A-Z0-9]$"),
        ("FR", r"^\d+ (bis|ter) \D+$"),
    ],
)
def test_street_lines_come_in_each_countrys_forms(big: World, country: str, pattern: str) -> None:
    lines = {
        ln["shippingAddress"]["addressLine1"]
        for _, ln in _lines(big)
        if ln["shippingAddress"] and ln["shippingAddress"]["countryCode"] == country
    }
    assert any(re.match(pattern, line) for line in lines), sorted(lines)[:10]


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize("seed", [0, 1, 3, 5])
def test_ship_by_is_never_before_the_order_was_bought(seed: int) -> None:
    world = World(orders=600, seed=seed, clock=lambda: NOW)
    overdue = 0
    for order in world.orders() + world.orders(data.SECOND_SELLER_ID):
        created, purchased = _at(order["createdAt"]), _at(order["purchasedAt"])
        deadline = _at(order["shippedAtMax"])
        assert purchased <= created <= deadline, order["orderId"]
        assert created <= _at(order["updatedAt"]) <= NOW
        for ln in order["lines"]:
            assert _at(ln["delivery"]["shippedAtMax"]) >= created
        if order["status"] == "InPreparation" and deadline < NOW:
            overdue += 1
            stamp = created.strftime("%y%m%d%H%M%S")
            assert order["orderId"][6:18] == stamp  # the id still tells when it was made
    assert overdue


def test_orders_arriving_now_are_not_overdue() -> None:
    world = World(orders=0, seed=2, clock=lambda: NOW)
    ids = world.add_orders(300)
    for order_id in ids:
        order = world.order(order_id)
        assert _at(order["shippedAtMax"]) >= NOW
        assert order["createdAt"] == data.stamp(NOW)


# ---------------------------------------------------------------- cancellation requests


def test_cancel_requests_one_line_and_who_started_it(big: World) -> None:
    initiators: Counter[str] = Counter()
    multi = 0
    for order in big.orders():
        requested = [ln for ln in order["lines"] if ln["status"] == "CancelRequest"]
        assert len(requested) <= 1
        if requested and len(order["lines"]) > 1:
            multi += 1
        for ln in requested:
            who = big.cancel_initiator(order["orderId"], ln["orderLineId"])
            assert who in data.CANCEL_INITIATORS
            initiators[who] += 1
        text = orjson.dumps(order).decode()
        assert "sales_channel" not in text and '"seller"' not in text.replace('"seller":{', "")
    assert multi
    assert set(initiators) == set(data.CANCEL_INITIATORS)


def _cdiscount_order_with_request(server: SandboxServer, by: str) -> str:
    kind = "cancel_request" if by == "customer" else "cancel_request_seller"
    order_id = server.world.showcase[kind]
    if by == "sales_channel":
        server.world.request_cancellation(order_id, "2", by="sales_channel")
    return order_id


def _parcel(number: str, lines: list[str], carrier: str = "Colissimo") -> dict:
    return {
        "parcelNumber": number,
        "carrierName": carrier,
        "trackingUrl": f"https://tracking.example/{number}",
        "orderLineIds": lines,
    }


@pytest.mark.parametrize("by", ["seller", "sales_channel"])
def test_a_line_whose_cancellation_the_seller_or_channel_asked_is_refused(
    sandbox: SandboxServer, by: str
) -> None:
    order_id = _cdiscount_order_with_request(sandbox, by)
    url = f"/orders/{order_id}/shipments"
    with octopia(sandbox) as client:
        refused = client.post(url, json=[_parcel("6A00000000001", ["1", "2"])])
        unchanged = client.get(f"/orders/{order_id}").json()
        without = client.post(url, json=[_parcel("6A00000000001", ["1"])])
        after = client.get(f"/orders/{order_id}").json()
    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith("application/problem+json")
    body = refused.json()
    assert "line 2" in body["detail"]
    assert ("seller" if by == "seller" else "sales channel") in body["detail"]
    assert "orderLineIds" in body["errors"]
    assert [ln["status"] for ln in unchanged["lines"]] == ["InPreparation", "CancelRequest"]
    assert without.status_code == 201  # Cdiscount: the other lines still ship as one parcel
    assert [ln["status"] for ln in after["lines"]] == ["Shipped", "CancelRequest"]


def test_a_line_whose_cancellation_the_customer_asked_may_ship(sandbox: SandboxServer) -> None:
    order_id = _cdiscount_order_with_request(sandbox, "customer")
    assert sandbox.world.cancel_initiator(order_id, "2") == "customer"
    with octopia(sandbox) as client:
        resp = client.post(
            f"/orders/{order_id}/shipments", json=[_parcel("6A00000000002", ["1", "2"])]
        )
    assert resp.status_code == 201
    assert resp.json()["status"] == "Shipped"
    assert {ln["status"] for ln in resp.json()["lines"]} == {"Shipped"}


def test_request_cancellation_refuses_an_unknown_party(sandbox: SandboxServer) -> None:
    order_id = sandbox.world.showcase["home_thd"]
    with pytest.raises(ValueError, match="customer"):
        sandbox.world.request_cancellation(order_id, "1", by="courier")
    assert sandbox.world.cancel_initiator(order_id, "1") is None


# ---------------------------------------------------------------- carriers


def test_carriers_say_which_need_a_tracking_url(sandbox: SandboxServer) -> None:
    with octopia(sandbox) as client:
        carriers = client.get("/carriers").json()
    needs = {
        c["label"].strip(): c["additionalParametersRequired"]
        for c in carriers
        if c["additionalParametersRequired"]
    }
    assert all(isinstance(c["additionalParametersRequired"], list) for c in carriers)
    assert needs == {
        "Mondial Relay": ["trackingUrl"],
        "Colis Privé": ["trackingUrl"],
        "Relais Colis": ["trackingUrl"],
    }


@pytest.mark.parametrize(
    ("carrier", "status"), [(" mondial relay", 400), ("Colis Privé", 400), ("Colissimo", 201)]
)
def test_a_carrier_that_needs_a_tracking_url_refuses_a_parcel_without(
    sandbox: SandboxServer, carrier: str, status: int
) -> None:
    order_id = sandbox.world.showcase["home_thd"]
    parcel = {"parcelNumber": "XW123456789FR", "carrierName": carrier, "orderLineIds": ["1"]}
    with octopia(sandbox) as client:
        resp = client.post(f"/orders/{order_id}/shipments", json=[parcel])
    assert resp.status_code == status
    if status == 400:
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert "trackingUrl" in resp.json()["errors"]
        assert sandbox.world.order(order_id)["status"] == "InPreparation"


# ---------------------------------------------------------------- the showcase


def _showcase(world: World) -> dict[str, dict]:
    return {kind: world.order(order_id) for kind, order_id in world.showcase.items()}


def test_the_demo_world_shows_every_kind() -> None:
    world = World(orders=200, seed=0)  # what `cdtui demo` seeds
    cases = _showcase(world)
    assert set(cases) == set(seeding.SHOWCASE_KINDS)
    ready = set(world.ready_order_ids())
    for kind, order in cases.items():
        assert order["orderId"] in ready, kind
        assert order["seller"]["id"] == data.SELLER_ID
        assert all(ln["offer"]["supplyMode"] == "Seller" for ln in order["lines"])

    def first(kind: str) -> tuple[dict, dict]:
        line = cases[kind]["lines"][0]
        return line["delivery"], line["shippingAddress"]

    for kind, mode in [
        ("home_thd", "THD"),
        ("home_nthd", "NTHD"),
        ("home_shd", "SHD"),
        ("home_ehd", "EHD"),
    ]:
        delivery, address = first(kind)
        assert delivery["mode"] == mode
        assert address["countryCode"] == "FR" and address["pickupId"] is None
        assert cases[kind]["salesChannel"]["id"] == "CDISFR"
    assert re.match(r"^\d+ bis ", first("home_nthd")[1]["addressLine1"])
    delivery, address = first("relay")
    assert delivery["mode"] == data.RELAY_MODE
    assert (
        catalogue.service_point(catalogue.RELAY_NETWORK, address["pickupId"]).name
        == (address["pickupName"])
    )
    delivery, address = first("shop_pickup")
    assert delivery["mode"] == data.SHOP_PICKUP_MODE and address["pickupId"] is None
    assert address["addressLine1"]
    gb = cases["onbuy_gb"]
    assert gb["salesChannel"]["id"] == "ONBUGB" and gb["currencyCode"] == "GBP"
    assert first("onbuy_gb")[1]["countryCode"] == "GB"
    assert first("es_floor")[1]["addressLine1"] == "Calle de Alcalá 12, 3º izq"
    assert first("de_letter")[1]["addressLine1"] == "Hauptstraße 12a"
    assert first("be_bus")[1]["addressLine1"] == "Rue Neuve 12 bus 3"
    assert first("nl_suffix")[1]["addressLine1"] == "Kerkstraat 12-A"
    for kind, who in [("cancel_request", "customer"), ("cancel_request_seller", "seller")]:
        order = cases[kind]
        assert [ln["status"] for ln in order["lines"]] == ["InPreparation", "CancelRequest"]
        assert world.cancel_initiator(order["orderId"], "2") == who
    for order in cases.values():
        assert _at(order["shippedAtMax"]) > world.now()
        assert _at(order["createdAt"]) <= world.now()


def test_the_showcase_is_deterministic_and_leaves_the_rest_alone() -> None:
    a = World(orders=60, seed=1, clock=lambda: NOW)
    b = World(orders=60, seed=1, clock=lambda: NOW)
    plain = World(orders=60, seed=1, clock=lambda: NOW, showcase=False)
    assert a.showcase == b.showcase and a.orders() == b.orders()
    assert plain.showcase == {}
    assert len(a.orders()) == len(plain.orders()) == 60
    showcase_ids = set(a.showcase.values())
    others = [o for o in a.orders() if o["orderId"] not in showcase_ids]
    plain_by_id = {o["orderId"]: o for o in plain.orders()}
    assert len(others) == 60 - len(seeding.SHOWCASE)
    for order in others:  # the same orders, identical
        assert plain_by_id[order["orderId"]] == order


def test_small_worlds_have_no_showcase_unless_asked() -> None:
    assert World(orders=30, seed=1).showcase == {}
    forced = World(orders=30, seed=1, showcase=True, second_seller_orders=0)
    assert set(forced.showcase) == set(seeding.SHOWCASE_KINDS)
    assert len(forced.orders()) == 30


def test_the_showcase_over_http(sandbox: SandboxServer) -> None:
    ids = sandbox.world.showcase
    with octopia(sandbox) as client:
        gb = client.get(f"/orders/{ids['onbuy_gb']}").json()
        ready = client.get("/orders", params={"status": "InPreparation", "pageSize": 100}).json()[
            "items"
        ]
    assert gb["lines"][0]["shippingAddress"]["countryCode"] == "GB"
    assert set(ids.values()) <= {o["orderId"] for o in ready}
    assert _at(gb["createdAt"]) >= sandbox.world.now() - timedelta(hours=11)


def test_new_orders_of_a_chosen_mode_over_http(sandbox: SandboxServer) -> None:
    url = f"{sandbox.url}/_sandbox/orders"
    relay = httpx.post(url, json={"count": 2, "mode": data.RELAY_MODE, "country": "BE"})
    signed = httpx.post(url, json={"mode": "SHD", "channel": "CDISFR"})
    bad = httpx.post(url, json={"mode": "PIGEON"})
    nowhere = httpx.post(url, json={"mode": data.RELAY_MODE, "country": "GB"})
    state = httpx.get(f"{sandbox.url}/_sandbox/state").json()
    assert relay.status_code == signed.status_code == 201
    for order_id in relay.json()["order_ids"]:
        address = sandbox.world.order(order_id)["lines"][0]["shippingAddress"]
        assert address["countryCode"] == "BE"
        assert catalogue.service_point(catalogue.RELAY_NETWORK, address["pickupId"]).country == "BE"
    [shd] = signed.json()["order_ids"]
    assert {ln["delivery"]["mode"] for ln in sandbox.world.order(shd)["lines"]} == {"SHD"}
    assert bad.status_code == nowhere.status_code == 400
    assert state["showcase"] == sandbox.world.showcase
