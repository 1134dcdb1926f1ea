"""Relay (service point) shipments: the announce needs ``to_service_point`` for an
option that requires one, the point must belong to the option's carrier, and the
seeded relay orders carry points of the Mondial Relay network."""

from __future__ import annotations

import base64
import re

import httpx
import pytest
from sbhelpers import announce_payload, errors_by_pointer, octopia, sendcloud

from cdtui.sandbox import catalogue, data
from cdtui.sandbox.server import SandboxServer

SP_REQUIRED = "A service point is required for the selected shipping method"


def _point(carrier: str, country: str = "FR") -> catalogue.ServicePoint:
    return next(
        p for p in catalogue.SERVICE_POINTS if p.carrier == carrier and p.country == country
    )


def _relay(client: httpx.Client, point: dict | None, option: str, ref: str) -> httpx.Response:
    payload = announce_payload(ref=ref, option=option)
    if point is not None:
        payload["to_service_point"] = point
    return client.post("/shipments/announce", json=payload)


@pytest.mark.parametrize(
    "option", ["mondial_relay:point_relais", "chronopost:shop2shop", "colissimo:service_point"]
)
@pytest.mark.parametrize("point", [None, {}, {"carrier_service_point_id": ""}, {"id": None}])
def test_a_service_point_option_without_a_point_is_400(
    sandbox: SandboxServer, option: str, point: dict | None
) -> None:
    with sendcloud(sandbox) as client:
        resp = _relay(client, point, option, "sp-missing")
    assert resp.status_code == 400
    [error] = resp.json()["errors"]
    assert error["detail"] == SP_REQUIRED
    assert error["source"]["pointer"] == "/to_service_point"
    assert error["status"] == "400"
    assert sandbox.world.shipments == {}


@pytest.mark.parametrize(
    ("option", "carrier"),
    [
        ("mondial_relay:point_relais", "mondial_relay"),
        ("chronopost:shop2shop", "chronopost"),
        ("colissimo:service_point", "colissimo"),
    ],
)
def test_a_point_of_the_options_network_is_kept_and_echoed(
    sandbox: SandboxServer, option: str, carrier: str
) -> None:
    point = _point(carrier)
    with sendcloud(sandbox) as client:
        resp = _relay(
            client, {"carrier_service_point_id": point.carrier_service_point_id}, option, "sp-ok"
        )
        created = resp.json()["data"]
        again = client.get(f"/shipments/{created['id']}").json()["data"]
        label = client.get(f"/parcels/{created['parcels'][0]['id']}/documents/label")
    assert resp.status_code == 201, resp.text
    echoed = {"id": point.id, "carrier_service_point_id": point.carrier_service_point_id}
    assert created["to_service_point"] == echoed
    assert again["to_service_point"] == echoed
    assert sandbox.world.shipments[created["id"]].service_point == point
    assert point.name.encode("cp1252") in label.content
    assert point.name.encode("cp1252") in base64.b64decode(created["parcels"][0]["label_file"])


def test_point_ids_look_like_the_carriers_own() -> None:
    for p in catalogue.SERVICE_POINTS:
        if p.carrier == "chronopost":
            assert re.fullmatch(r"\d{4}R", p.carrier_service_point_id)
        else:
            assert re.fullmatch(r"\d{6}", p.carrier_service_point_id)
    ids = [p.id for p in catalogue.SERVICE_POINTS]
    assert len(ids) == len(set(ids))
    networks = {p.carrier for p in catalogue.SERVICE_POINTS}
    assert networks == set(catalogue.SERVICE_POINT_NETWORKS) and len(networks) >= 2


def test_a_point_of_another_network_is_400(sandbox: SandboxServer) -> None:
    chrono = _point("chronopost")
    colissimo = _point("colissimo")
    with sendcloud(sandbox) as client:
        wrong = _relay(
            client,
            {"carrier_service_point_id": chrono.carrier_service_point_id},
            "mondial_relay:point_relais",
            "sp-1",
        )
        also_wrong = _relay(
            client,
            {"carrier_service_point_id": colissimo.carrier_service_point_id},
            "mondial_relay:point_relais",
            "sp-2",
        )
        unknown = _relay(
            client, {"carrier_service_point_id": "MR-12345"}, "mondial_relay:point_relais", "sp-3"
        )
        not_a_string = _relay(
            client, {"carrier_service_point_id": 123456}, "mondial_relay:point_relais", "sp-4"
        )
    pointer = "/to_service_point/carrier_service_point_id"
    for resp in (wrong, also_wrong, unknown, not_a_string):
        assert resp.status_code == 400
        assert pointer in errors_by_pointer(resp)
    assert "Mondial Relay" in wrong.json()["errors"][0]["detail"]
    assert chrono.carrier_service_point_id in wrong.json()["errors"][0]["detail"]
    assert sandbox.world.shipments == {}


def test_sendcloud_ids_work_too_and_the_carrier_id_wins(sandbox: SandboxServer) -> None:
    mr = _point("mondial_relay")
    chrono = _point("chronopost")
    option = "mondial_relay:point_relais"
    with sendcloud(sandbox) as client:
        by_id = _relay(client, {"id": mr.id}, option, "sp-id")
        other_network = _relay(client, {"id": chrono.id}, option, "sp-id-2")
        missing = _relay(client, {"id": "1"}, option, "sp-id-3")
        both = _relay(
            client,
            {"id": chrono.id, "carrier_service_point_id": mr.carrier_service_point_id},
            option,
            "sp-both",
        )
    assert by_id.status_code == 201
    assert by_id.json()["data"]["to_service_point"]["carrier_service_point_id"] == (
        mr.carrier_service_point_id
    )
    for resp in (other_network, missing):
        assert resp.status_code == 400
        assert "/to_service_point/id" in errors_by_pointer(resp)
    assert "Chronopost" in other_network.json()["errors"][0]["detail"]
    assert both.status_code == 201
    assert both.json()["data"]["to_service_point"]["id"] == mr.id


def test_a_home_option_ignores_a_service_point(sandbox: SandboxServer) -> None:
    mr = _point("mondial_relay")
    with sendcloud(sandbox) as client:
        home = _relay(
            client, {"carrier_service_point_id": mr.carrier_service_point_id}, "colissimo:home", "h"
        )
        plain = _relay(client, None, "colissimo:home", "h2")
    assert home.status_code == 201
    assert home.json()["data"]["to_service_point"] is None
    assert plain.json()["data"]["to_service_point"] is None


def test_seeded_relay_orders_name_mondial_relay_points(sandbox_factory) -> None:
    server = sandbox_factory(orders=500, seed=3)
    addresses = [
        ln["shippingAddress"]
        for o in server.world.orders()
        for ln in o["lines"]
        if ln["shippingAddress"] and ln["shippingAddress"]["pickupId"]
    ]
    assert len(addresses) >= 5
    for a in addresses:
        point = catalogue.service_point(catalogue.RELAY_NETWORK, a["pickupId"])
        assert point is not None, a["pickupId"]
        assert re.fullmatch(r"\d{6}", a["pickupId"])
        assert a["pickupName"] == point.name
        assert (a["addressLine1"], a["postalCode"], a["city"]) == (
            point.street,
            point.postal_code,
            point.city,
        )
        assert a["countryCode"] == point.country


def test_a_seeded_relay_order_can_be_announced_to_its_point(sandbox: SandboxServer) -> None:
    order_id = sandbox.world.showcase["relay"]
    with octopia(sandbox) as oc:
        order = oc.get(f"/orders/{order_id}").json()
    address = order["lines"][0]["shippingAddress"]
    assert order["lines"][0]["delivery"]["mode"] == data.RELAY_MODE
    point = {"carrier_service_point_id": address["pickupId"]}
    with sendcloud(sandbox) as client:
        right = _relay(client, point, "mondial_relay:point_relais", "relay-1")
        wrong = _relay(client, point, "chronopost:shop2shop", "relay-2")
        forgotten = _relay(client, None, "mondial_relay:point_relais", "relay-3")
    assert right.status_code == 201
    assert wrong.status_code == 400
    assert forgotten.status_code == 400
    assert forgotten.json()["errors"][0]["detail"] == SP_REQUIRED
