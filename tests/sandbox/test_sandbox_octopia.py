"""The sandbox's Octopia side over real HTTP: auth, SellerId, paging, filters, rules."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sbhelpers import all_pages, octopia, token

from cdtui.sandbox import catalogue, data
from cdtui.sandbox.server import SandboxServer

PROBLEM = "application/problem+json"


# ---------------------------------------------------------------- token


def test_token_for_the_aggregator(sandbox: SandboxServer) -> None:
    resp = token(sandbox)
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 7200
    assert len(body["access_token"]) >= 20


@pytest.mark.parametrize(
    ("client_id", "secret"),
    [(data.AGGREGATOR_CLIENT_ID, "wrong"), ("nobody", data.AGGREGATOR_CLIENT_SECRET), ("", "")],
)
def test_bad_client_gets_invalid_client(
    sandbox: SandboxServer, client_id: str, secret: str
) -> None:
    resp = token(sandbox, client_id, secret)
    assert resp.status_code == 401
    assert resp.json()["error"] == "invalid_client"
    assert secret not in resp.text or not secret


def test_token_wants_a_form_and_client_credentials(sandbox: SandboxServer) -> None:
    as_json = httpx.post(
        sandbox.auth_url,
        json={
            "grant_type": "client_credentials",
            "client_id": data.AGGREGATOR_CLIENT_ID,
            "client_secret": data.AGGREGATOR_CLIENT_SECRET,
        },
    )
    assert as_json.status_code == 400
    password = httpx.post(
        sandbox.auth_url,
        data={
            "grant_type": "password",
            "client_id": data.AGGREGATOR_CLIENT_ID,
            "client_secret": data.AGGREGATOR_CLIENT_SECRET,
        },
    )
    assert password.status_code == 400
    assert password.json()["error"] == "unsupported_grant_type"


def test_token_expires_with_world_time(sandbox: SandboxServer) -> None:
    sandbox.world.token_ttl = 30
    assert token(sandbox).json()["expires_in"] == 30
    with octopia(sandbox) as client:
        assert client.get("/sellers").status_code == 200
        sandbox.world.advance(31)
        resp = client.get("/sellers")
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith(PROBLEM)
    assert "expired" in resp.json()["detail"]


def test_unknown_or_missing_token_is_401(sandbox: SandboxServer) -> None:
    for headers in ({"Authorization": "Bearer made-up"}, {}):
        resp = httpx.get(
            f"{sandbox.octopia_url}/sellers", headers={**headers, "SellerId": data.SELLER_ID}
        )
        assert resp.status_code == 401
        assert resp.json()["status"] == 401


# ---------------------------------------------------------------- SellerId


def test_missing_seller_id_is_400_problem(sandbox: SandboxServer) -> None:
    with octopia(sandbox, seller_id=None) as client:
        resp = client.get("/orders")
    assert resp.status_code == 400
    assert resp.headers["content-type"].startswith(PROBLEM)
    body = resp.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert "SellerId" in body["errors"]


@pytest.mark.parametrize("seller_id", [data.OTHER_SELLER_ID, "12345"])
def test_seller_without_delegation_is_403(sandbox: SandboxServer, seller_id: str) -> None:
    with octopia(sandbox, seller_id=seller_id) as client:
        resp = client.get("/sellers")
    assert resp.status_code == 403
    assert resp.headers["content-type"].startswith(PROBLEM)
    assert "delegation" in resp.json()["detail"]


def test_a_sellers_own_client_serves_only_that_seller(sandbox: SandboxServer) -> None:
    own = token(sandbox, data.SELLER_CLIENT_ID, data.SELLER_CLIENT_SECRET).json()["access_token"]
    headers = {"Authorization": f"Bearer {own}"}
    url = f"{sandbox.octopia_url}/sellers"
    assert httpx.get(url, headers={**headers, "SellerId": data.SELLER_ID}).status_code == 200
    other = httpx.get(url, headers={**headers, "SellerId": data.SECOND_SELLER_ID})
    assert other.status_code == 403


# ---------------------------------------------------------------- seller, channels, carriers


def test_seller_profile_and_subscriptions(sandbox: SandboxServer) -> None:
    with octopia(sandbox) as client:
        profile = client.get("/sellers").json()
        subs = client.get("/sellers/subscriptions").json()
    assert profile["sellerId"] == data.SELLER_ID
    assert profile["login"] == data.SELLER_LOGIN
    assert isinstance(subs, list)
    ids = {s["salesChannelId"] for s in subs}
    assert len(ids) >= 6 and "CDISFR" in ids
    assert {s["salesChannelName"] for s in subs} >= {
        "Cdiscount",
        "Rakuten",
        "CDON",
        "Fyndiq",
        "OnBuy",
        "Worten",
    }
    assert any(s["status"] != "Active" for s in subs)


def test_carriers_are_a_bare_array_with_duplicate_codes(sandbox: SandboxServer) -> None:
    with octopia(sandbox) as client:
        carriers = client.get("/carriers").json()
    assert isinstance(carriers, list) and len(carriers) >= 60
    by_code: dict[str, set[str]] = {}
    for c in carriers:
        by_code.setdefault(c["code"], set()).add(c["label"].strip())
    assert {"La Poste", "Colissimo", "Chronopost"} <= by_code["pcc"]
    assert {"DHL", "Deutsche Post"} <= by_code["dhldp"]
    assert by_code["default"] == {"autre"}
    assert any(c["label"] != c["label"].strip() for c in carriers)
    labels = {c["label"].strip().casefold() for c in carriers}
    for carrier in catalogue.SC_CARRIERS.values():  # every Sendcloud carrier can be pushed back
        assert carrier.name.casefold() in labels


# ---------------------------------------------------------------- paging


def test_pages_cover_every_order_once(sandbox: SandboxServer) -> None:
    with octopia(sandbox) as client:
        pages = all_pages(client, page_size=25)
        count = client.get("/orders/count").json()
    assert [len(p) for p in pages] == [25, 25, 10]
    ids = [o["orderId"] for p in pages for o in p]
    assert len(ids) == len(set(ids)) == count == 60


def test_exact_multiple_of_page_size_ends_with_an_empty_page(sandbox_factory) -> None:
    server = sandbox_factory(orders=200, second_seller_orders=0)
    with octopia(server) as client:
        pages = all_pages(client, page_size=100)
        first = client.get("/orders", params={"pageSize": 100}).json()
    assert [len(p) for p in pages] == [100, 100, 0]
    assert first["itemsPerPage"] == 100


def test_no_match_is_an_empty_page_and_zero(sandbox: SandboxServer) -> None:
    params = {"reference": "does-not-exist"}
    with octopia(sandbox) as client:
        page = client.get("/orders", params=params).json()
        count = client.get("/orders/count", params=params).json()
    assert page["items"] == []
    assert count == 0


def test_second_seller_sees_only_its_orders(sandbox_factory) -> None:
    server = sandbox_factory(orders=30, second_seller_orders=7)
    with octopia(server, seller_id=data.SECOND_SELLER_ID) as client:
        items = client.get("/orders", params={"pageSize": 100}).json()["items"]
    assert len(items) == 7
    assert {o["seller"]["id"] for o in items} == {data.SECOND_SELLER_ID}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"pageSize": 101}, "pageSize"),
        ({"pageSize": 0}, "pageSize"),
        ({"pageSize": "ten"}, "pageSize"),
        ({"pageIndex": 0}, "pageIndex"),
        ({"updatedAtMin": "yesterday"}, "updatedAtMin"),
        ({"createdAtMax": "2026-13-45T00:00:00Z"}, "createdAtMax"),
        ({"status": "Lost"}, "status"),
        ({"supplyMode": "Drone"}, "supplyMode"),
        ({"sort": "colour"}, "sort"),
    ],
)
def test_bad_query_is_400_with_the_field(sandbox: SandboxServer, params: dict, field: str) -> None:
    with octopia(sandbox) as client:
        resp = client.get("/orders", params=params)
    assert resp.status_code == 400
    assert resp.headers["content-type"].startswith(PROBLEM)
    body = resp.json()
    assert field in body["errors"]
    assert field in body["detail"]


# ---------------------------------------------------------------- filters


def test_filters_select_what_they_say(sandbox_factory) -> None:
    server = sandbox_factory(orders=300)
    with octopia(server) as client:
        everything = [o for p in all_pages(client) for o in p]

        def fetch(**params: str) -> list[dict]:
            return [o for p in all_pages(client, **params) for o in p]

        ready = fetch(status="InPreparation")
        assert ready and all(o["status"] == "InPreparation" for o in ready)
        assert len(ready) == sum(o["status"] == "InPreparation" for o in everything)
        rakuten = fetch(salesChannelId="RAKUFR")
        assert rakuten and {o["salesChannel"]["id"] for o in rakuten} == {"RAKUFR"}
        spain = fetch(shippingCountry="ES")
        assert spain and all(
            any((ln["shippingAddress"] or {}).get("countryCode") == "ES" for ln in o["lines"])
            for o in spain
        )
        fulfilled = fetch(supplyMode="Fulfillment")
        assert fulfilled and all(
            any(ln["offer"]["supplyMode"] == "Fulfillment" for ln in o["lines"]) for o in fulfilled
        )
        one = everything[17]
        assert [o["orderId"] for o in fetch(reference=one["reference"])] == [one["orderId"]]
        stamps = sorted(o["updatedAt"] for o in everything)
        lo, hi = stamps[100], stamps[200]
        window = fetch(updatedAtMin=lo, updatedAtMax=hi)
        assert {o["orderId"] for o in window} == {
            o["orderId"] for o in everything if lo <= o["updatedAt"] <= hi
        }
        created = fetch(createdAtMin=stamps[0], createdAtMax="2000-01-01T00:00:00Z")
        assert created == []
        newest_first = fetch(sort="updatedAt", desc="true")
        assert [o["updatedAt"] for o in newest_first] == sorted(stamps, reverse=True)
        count = client.get("/orders/count", params={"status": "Shipped"}).json()
        assert count == sum(o["status"] == "Shipped" for o in everything)


# ---------------------------------------------------------------- the seeded world


def test_world_has_every_case_a_client_must_handle(sandbox_factory) -> None:
    server = sandbox_factory(orders=500, seed=3)
    orders = server.world.orders()
    statuses = Counter(o["status"] for o in orders)
    assert set(statuses) == set(data.ORDER_STATUSES)
    assert statuses.most_common(1)[0][0] == "InPreparation"
    assert statuses["InPreparation"] > len(orders) / 2
    assert {o["salesChannel"]["id"] for o in orders if o["status"] == "WaitingAcceptance"} == {
        "CDISFR"
    }
    lines = [ln for o in orders for ln in o["lines"]]
    assert {ln["offer"]["supplyMode"] for ln in lines} == set(data.SUPPLY_MODES)
    assert any(ln["status"] == "CancelRequest" for ln in lines)
    assert any(len(o["lines"]) > 1 for o in orders)
    assert any(
        len({ln["offer"]["supplyMode"] for ln in o["lines"]}) > 1 for o in orders
    )  # mixed orders
    addresses = [ln["shippingAddress"] for ln in lines if ln["shippingAddress"]]
    text = " ".join(
        f"{a['firstName']} {a['lastName']} {a['addressLine1']} {a['city']}" for a in addresses
    )
    for ch in "éßøñ":
        assert ch in text, ch
    assert any(len(a["addressLine1"]) > 35 for a in addresses)
    assert any(a["pickupId"] for a in addresses)
    countries = {a["countryCode"] for a in addresses}
    assert {"FR", "BE", "ES", "DE", "IT", "NL", "SE", "GB", "PT"} <= countries
    assert Counter(a["countryCode"] for a in addresses).most_common(1)[0][0] == "FR"
    assert any(data.ANNOUNCE_FAIL_MARK in a["addressLine1"] for a in addresses)
    for o in orders:  # addresses appear once the order is InPreparation
        has = any(ln["shippingAddress"] for ln in o["lines"])
        if o["status"] in ("InPreparation", "Shipped", "Delivered"):
            assert has
        if o["status"] in ("Processing", "WaitingAcceptance", "Refused", "Rejected"):
            assert not has


def test_dates_are_relative_to_the_world_clock(sandbox_factory) -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    server = sandbox_factory(orders=400, clock=lambda: now)
    orders = server.world.orders()

    def at(s: str) -> datetime:
        return datetime.fromisoformat(s.replace("Z", "+00:00"))

    created = [at(o["createdAt"]) for o in orders]
    assert all(now - timedelta(days=31) <= c <= now for c in created)
    assert sum(now - c <= timedelta(days=7) for c in created) > len(orders) / 2
    deadlines = [at(o["shippedAtMax"]) for o in orders if o["status"] == "InPreparation"]
    assert any(d < now for d in deadlines)  # overdue
    assert any(d.date() == now.date() and d >= now for d in deadlines)  # due today
    later = sum(now.date() < d.date() <= (now + timedelta(days=3)).date() for d in deadlines)
    assert later > len(deadlines) / 2


def test_same_seed_same_world(sandbox_factory) -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    a = sandbox_factory(orders=50, seed=9, clock=lambda: now).world.orders()
    b = sandbox_factory(orders=50, seed=9, clock=lambda: now).world.orders()
    c = sandbox_factory(orders=50, seed=10, clock=lambda: now).world.orders()
    assert a == b
    assert a != c


# ---------------------------------------------------------------- one order


def test_order_document_shape(sandbox: SandboxServer) -> None:
    order_id = sandbox.world.ready_order_ids()[0]
    with octopia(sandbox) as client:
        order = client.get(f"/orders/{order_id}").json()
    assert order["orderId"] == order_id
    for key in (
        "reference",
        "salesChannel",
        "seller",
        "createdAt",
        "updatedAt",
        "shippedAtMax",
        "status",
        "billingAddress",
        "totalPrice",
        "lines",
    ):
        assert key in order
    line = order["lines"][0]
    for key in (
        "orderLineId",
        "status",
        "quantity",
        "offer",
        "sellingPrice",
        "delivery",
        "shippingAddress",
        "parcels",
    ):
        assert key in line
    assert line["shippingAddress"]["countryCode"]
    assert order["createdAt"].endswith("Z")


def test_unknown_or_foreign_order_is_404(sandbox: SandboxServer) -> None:
    foreign = sandbox.world.order_ids(data.SECOND_SELLER_ID)[0]
    with octopia(sandbox) as client:
        for order_id in ("NOPE", foreign):
            resp = client.get(f"/orders/{order_id}")
            assert resp.status_code == 404
            assert resp.headers["content-type"].startswith(PROBLEM)


# ---------------------------------------------------------------- shipments


def _ready(server: SandboxServer, *, channel: str, lines: int = 1) -> dict:
    for order_id in server.world.ready_order_ids():
        order = server.world.order(order_id)
        sellers = [
            ln
            for ln in order["lines"]
            if ln["offer"]["supplyMode"] == "Seller" and ln["status"] == "InPreparation"
        ]
        if order["salesChannel"]["id"] == channel and len(sellers) == lines == len(order["lines"]):
            return order
    raise AssertionError(f"no ready {channel} order with {lines} line(s)")


def _parcel(number: str, line_ids: list[str], carrier: str = "Colissimo", **extra) -> dict:
    return {
        "parcelNumber": number,
        "carrierName": carrier,
        "trackingUrl": f"https://tracking.example/{number}",
        "orderLineIds": line_ids,
        **extra,
    }


def test_push_ships_a_cdiscount_order(sandbox: SandboxServer) -> None:
    order = _ready(sandbox, channel="CDISFR")
    sandbox.world.advance(60)
    before = sandbox.world.now()
    body = [_parcel("6A12345678901", ["1"], carrier="  colissimo ")]
    with octopia(sandbox) as client:
        resp = client.post(f"/orders/{order['orderId']}/shipments", json=body)
        after = client.get(f"/orders/{order['orderId']}").json()
        again = client.post(f"/orders/{order['orderId']}/shipments", json=body)
        found = client.get(
            "/orders", params={"updatedAtMin": before.strftime("%Y-%m-%dT%H:%M:%SZ")}
        ).json()["items"]
    assert resp.status_code == 201
    assert after["status"] == "Shipped"
    assert after["lines"][0]["status"] == "Shipped"
    assert after["lines"][0]["parcels"] == [
        {
            "parcelNumber": "6A12345678901",
            "carrierName": "colissimo",
            "trackingUrl": "https://tracking.example/6A12345678901",
        }
    ]
    assert after["updatedAt"] >= before.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert order["orderId"] in {o["orderId"] for o in found}
    assert again.status_code == 409
    assert sandbox.world.shipment_posts == [(order["orderId"], body), (order["orderId"], body)]


@pytest.mark.parametrize(
    ("parcel", "field"),
    [
        ({"carrierName": "Colissimo", "orderLineIds": ["1"]}, "[0].parcelNumber"),
        ({"parcelNumber": "X1", "orderLineIds": ["1"]}, "[0].carrierName"),
        (
            {
                "parcelNumber": "X1",
                "carrierName": "Colissimo",
                "orderLineIds": ["1"],
                "trackingUrl": "ftp://x/y",
            },
            "[0].trackingUrl",
        ),
        (
            {"parcelNumber": "X1", "carrierName": "Colissimo", "orderLineIds": []},
            "[0].orderLineIds",
        ),
    ],
)
def test_push_field_errors_are_400(sandbox: SandboxServer, parcel: dict, field: str) -> None:
    order = _ready(sandbox, channel="CDISFR")
    with octopia(sandbox) as client:
        resp = client.post(f"/orders/{order['orderId']}/shipments", json=[parcel])
        after = client.get(f"/orders/{order['orderId']}").json()
    assert resp.status_code == 400
    assert field in resp.json()["errors"]
    assert after["status"] == "InPreparation"


def test_push_body_must_be_a_json_array(sandbox: SandboxServer) -> None:
    order = _ready(sandbox, channel="CDISFR")
    url = f"/orders/{order['orderId']}/shipments"
    with octopia(sandbox) as client:
        obj = client.post(url, json=_parcel("X1", ["1"]))
        broken = client.post(url, content=b"[{", headers={"Content-Type": "application/json"})
        text = client.post(url, content=b"[]", headers={"Content-Type": "text/plain"})
    assert obj.status_code == 400
    assert broken.status_code == 400
    assert text.status_code == 415


def test_push_rules_are_enforced(sandbox: SandboxServer) -> None:
    order = _ready(sandbox, channel="CDISFR")
    url = f"/orders/{order['orderId']}/shipments"
    with octopia(sandbox) as client:
        unknown_carrier = client.post(url, json=[_parcel("X1", ["1"], carrier="Pigeon Post")])
        unknown_line = client.post(url, json=[_parcel("X1", ["9"])])
        two_parcels = client.post(url, json=[_parcel("X1", ["1"]), _parcel("X2", ["1"])])
        assert client.get(f"/orders/{order['orderId']}").json()["status"] == "InPreparation"
    assert unknown_carrier.status_code == 422
    assert "Pigeon Post" in unknown_carrier.json()["detail"]
    assert unknown_line.status_code == 422
    assert two_parcels.status_code == 422


def test_push_refused_when_order_not_in_preparation(sandbox: SandboxServer) -> None:
    order_id = sandbox.world.order_ids(status="Cancelled")[0]
    with octopia(sandbox) as client:
        resp = client.post(f"/orders/{order_id}/shipments", json=[_parcel("X1", ["1"])])
    assert resp.status_code == 409
    assert "Cancelled" in resp.json()["detail"]


def test_cdiscount_wants_one_parcel_for_the_whole_order(sandbox: SandboxServer) -> None:
    world = sandbox.world
    [order_id] = world.add_orders(1, channel="CDISFR")

    def two_seller_lines(doc: dict) -> None:
        extra = {**doc["lines"][0], "orderLineId": "2"}
        doc["lines"] = [doc["lines"][0], extra]
        for ln in doc["lines"]:
            ln["offer"] = {**ln["offer"], "supplyMode": "Seller"}
            ln["status"] = "InPreparation"

    world.update_order(order_id, two_seller_lines)
    url = f"/orders/{order_id}/shipments"
    with octopia(sandbox) as client:
        partial = client.post(url, json=[_parcel("X1", ["1"])])
        whole = client.post(url, json=[_parcel("X1", ["1", "2"])])
    assert partial.status_code == 422
    assert "one parcel" in partial.json()["detail"]
    assert whole.status_code == 201


def test_other_channels_ship_line_by_line(sandbox: SandboxServer) -> None:
    world = sandbox.world
    [order_id] = world.add_orders(1, channel="RAKUFR")

    def lines(doc: dict) -> None:
        base = doc["lines"][0]
        doc["lines"] = [
            {
                **base,
                "orderLineId": "1",
                "status": "InPreparation",
                "offer": {**base["offer"], "supplyMode": "Seller"},
            },
            {
                **base,
                "orderLineId": "2",
                "status": "CancelRequest",
                "offer": {**base["offer"], "supplyMode": "Seller"},
            },
            {
                **base,
                "orderLineId": "3",
                "status": "InPreparation",
                "offer": {**base["offer"], "supplyMode": "Fulfillment"},
            },
        ]

    world.update_order(order_id, lines)
    url = f"/orders/{order_id}/shipments"
    with octopia(sandbox) as client:
        warehouse = client.post(url, json=[_parcel("W1", ["3"])])
        first = client.post(url, json=[_parcel("P1", ["1"])])
        mid = client.get(f"/orders/{order_id}").json()
        second = client.post(url, json=[_parcel("P2", ["2"], carrier="Mondial Relay")])
        end = client.get(f"/orders/{order_id}").json()
    assert warehouse.status_code == 422
    assert "warehouse" in warehouse.json()["detail"]
    assert first.status_code == 201
    assert mid["status"] == "InPreparation"
    assert second.status_code == 201  # a CancelRequest line may still be shipped
    assert end["status"] == "Shipped"
    assert end["lines"][2]["parcels"] == []


# ---------------------------------------------------------------- approval


def _waiting(server: SandboxServer) -> str:
    return server.world.order_ids(status="WaitingAcceptance")[0]


def test_accepting_puts_the_order_in_preparation_with_addresses(sandbox: SandboxServer) -> None:
    order_id = _waiting(sandbox)
    assert all(ln["shippingAddress"] is None for ln in sandbox.world.order(order_id)["lines"])
    url = f"/orders/{order_id}/approval-status"
    with octopia(sandbox) as client:
        resp = client.post(url, json={"approval_status": "Accepted"})
        order = client.get(f"/orders/{order_id}").json()
        again = client.post(url, json={"approval_status": "Accepted"})
    assert resp.status_code == 200
    assert order["status"] == "InPreparation"
    assert all(ln["status"] == "InPreparation" for ln in order["lines"])
    assert all(ln["shippingAddress"]["addressLine1"] for ln in order["lines"])
    assert again.status_code == 409


def test_refusing_and_bad_approvals(sandbox: SandboxServer) -> None:
    order_id = _waiting(sandbox)
    rakuten = next(
        i
        for i in sandbox.world.ready_order_ids()
        if sandbox.world.order(i)["salesChannel"]["id"] != "CDISFR"
    )
    with octopia(sandbox) as client:
        bad = client.post(f"/orders/{order_id}/approval-status", json={"approval_status": "Maybe"})
        refused = client.post(
            f"/orders/{order_id}/approval-status", json={"approval_status": "Refused"}
        )
        other = client.post(
            f"/orders/{rakuten}/approval-status", json={"approval_status": "Accepted"}
        )
    assert bad.status_code == 400
    assert "approval_status" in bad.json()["errors"]
    assert refused.status_code == 200
    assert sandbox.world.order(order_id)["status"] == "Refused"
    assert other.status_code == 400
    assert "Cdiscount" in other.json()["detail"]


def test_customer_cancellation_shows_up_in_an_incremental_sync(sandbox: SandboxServer) -> None:
    order_id = sandbox.world.ready_order_ids()[0]
    sandbox.world.advance(120)
    since = sandbox.world.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    resp = httpx.post(f"{sandbox.url}/_sandbox/orders/{order_id}/cancel")
    assert resp.status_code == 200
    with octopia(sandbox) as client:
        changed = client.get("/orders", params={"updatedAtMin": since}).json()["items"]
    assert [o["orderId"] for o in changed] == [order_id]
    assert changed[0]["status"] == "Cancelled"
    assert {ln["status"] for ln in changed[0]["lines"]} == {"Cancelled"}
