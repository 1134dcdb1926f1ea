"""The sandbox's Sendcloud side over real HTTP: options, announce, documents, cancel,
tracking and rate limits."""

from __future__ import annotations

import base64
import struct

import httpx
import pytest
from sbhelpers import announce_payload, check_pdf, sendcloud

from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer


def _announce(client: httpx.Client, **kw) -> httpx.Response:
    return client.post("/shipments/announce", json=announce_payload(**kw))


# ---------------------------------------------------------------- auth


@pytest.mark.parametrize(
    "auth", [None, (data.SENDCLOUD_PUBLIC_KEY, "wrong"), ("someone", data.SENDCLOUD_SECRET_KEY)]
)
def test_bad_keys_are_401_authentication_failed(sandbox: SandboxServer, auth) -> None:
    resp = httpx.get(f"{sandbox.sendcloud_url}/shipments", auth=auth)
    assert resp.status_code == 401
    [error] = resp.json()["errors"]
    assert error["code"] == "authentication_failed"
    assert error["status"] == "401"


# ---------------------------------------------------------------- shipping options


def _options(client: httpx.Client, country: str, kg: str) -> httpx.Response:
    return client.post(
        "/shipping-options",
        json={
            "from_address": {"country_code": "FR", "postal_code": "69001"},
            "to_address": {"country_code": country, "postal_code": "75002"},
            "parcels": [{"weight": {"value": kg, "unit": "kg"}}],
            "calculate_quotes": True,
        },
    )


def test_shipping_options_depend_on_country_and_weight(sandbox: SandboxServer) -> None:
    with sendcloud(sandbox) as client:
        france = _options(client, "FR", "1.250").json()["data"]
        britain = _options(client, "GB", "1.250").json()["data"]
        heavy = _options(client, "FR", "45").json()["data"]
        too_heavy = _options(client, "FR", "80").json()
    codes = [o["code"] for o in france]
    assert "colissimo:home/signature" in codes and "mondial_relay:point_relais" in codes
    first = france[0]
    assert set(first) >= {
        "code",
        "name",
        "carrier",
        "product",
        "functionalities",
        "requirements",
        "weight",
        "quotes",
    }
    assert first["quotes"][0]["price"]["total"]["currency"] == "EUR"
    assert {o["carrier"]["code"] for o in britain} == {"dpd", "ups", "dhl_express"}
    assert britain and "colissimo:home" not in {o["code"] for o in britain}
    assert {o["code"] for o in heavy} == {"ups:standard"}
    assert too_heavy["data"] == []
    assert "80.000 kg" in too_heavy["message"]


def test_shipping_options_validation(sandbox: SandboxServer) -> None:
    with sendcloud(sandbox) as client:
        resp = client.post("/shipping-options", json={"parcels": [{"weight": {"value": "-1"}}]})
    assert resp.status_code == 400
    pointers = {e["source"]["pointer"] for e in resp.json()["errors"]}
    assert {"/from_address", "/to_address", "/parcels/0/weight/value"} <= pointers


# ---------------------------------------------------------------- announce


def test_announce_returns_a_label_and_tracking(sandbox: SandboxServer) -> None:
    with sendcloud(sandbox) as client:
        resp = _announce(client)
        body = resp.json()["data"]
        label = client.get(body["parcels"][0]["documents"][0]["link"])
    assert resp.status_code == 201
    parcel = body["parcels"][0]
    assert parcel["status"]["code"] == "READY_TO_SEND"
    assert parcel["tracking_number"].startswith("6A")
    assert parcel["tracking_url"].startswith("https://")
    assert parcel["tracking_number"] in parcel["tracking_url"]
    assert body["carrier"] == {"code": "colissimo", "name": "Colissimo"}
    assert body["order_number"] == "2511261130ABCD"
    assert body["errors"] == []
    assert "label_file" not in body  # it is on the parcel
    pdf = base64.b64decode(parcel["label_file"])
    check_pdf(pdf)
    assert parcel["tracking_number"].encode() in pdf
    assert label.status_code == 200
    assert label.headers["content-type"] == "application/pdf"
    check_pdf(label.content)


def test_repeated_reference_is_409_with_the_existing_shipment(sandbox: SandboxServer) -> None:
    with sendcloud(sandbox) as client:
        first = _announce(client, ref="cdtui-98979-A")
        again = _announce(client, ref="cdtui-98979-A")
        other = _announce(client, ref="cdtui-98979-B")
    assert first.status_code == 201
    assert again.status_code == 409
    body = again.json()
    assert body["errors"][0]["status"] == "409"
    assert body["data"]["id"] == first.json()["data"]["id"]
    assert (
        body["data"]["parcels"][0]["tracking_number"]
        == (first.json()["data"]["parcels"][0]["tracking_number"])
    )
    assert other.status_code == 201
    assert len(sandbox.world.shipments) == 2


@pytest.mark.parametrize("field", ["name", "address_line_1", "postal_code", "city", "country_code"])
def test_announce_requires_address_fields(sandbox: SandboxServer, field: str) -> None:
    with sendcloud(sandbox) as client:
        resp = _announce(client, **{field: None})
    assert resp.status_code == 400
    [error] = resp.json()["errors"]
    assert error["source"]["pointer"] == f"/to_address/{field}"
    assert error["code"] == "required"
    assert sandbox.world.shipments == {}


@pytest.mark.parametrize(
    ("changes", "pointer"),
    [
        ({"option": "pigeon:post"}, "/ship_with/properties/shipping_option_code"),
        ({"weight": "0"}, "/parcels/0/weight/value"),
        ({"mime": "text/html"}, "/label_details/mime_type"),
        (
            {"option": "colissimo:home", "country_code": "SE"},
            "/ship_with/properties/shipping_option_code",
        ),
        ({"option": "ups:standard", "weight": "71"}, "/ship_with/properties/shipping_option_code"),
        (
            {
                "option": "dpd:classic",
                "country_code": "DE",
                "postal_code": "10115",
                "house_number": "123456789",
            },
            "/to_address/house_number",
        ),
        (
            {
                "option": "dhl:parcel_connect",
                "country_code": "ES",
                "postal_code": "28013",
                "house_number": None,
            },
            "/to_address/house_number",
        ),
    ],
)
def test_announce_rejects_what_the_carrier_cannot_take(
    sandbox: SandboxServer, changes: dict, pointer: str
) -> None:
    with sendcloud(sandbox) as client:
        resp = _announce(client, **changes)
    assert resp.status_code == 400
    assert pointer in {e.get("source", {}).get("pointer") for e in resp.json()["errors"]}


def test_announce_parcel_count_and_sender(sandbox: SandboxServer) -> None:
    payload = announce_payload()
    payload["parcels"] = payload["parcels"] * 16
    wrong_sender = announce_payload()
    wrong_sender["from_address"] = {"sender_address_id": 999}
    with sendcloud(sandbox) as client:
        many = client.post("/shipments/announce", json=payload)
        sender = client.post("/shipments/announce", json=wrong_sender)
        broken = client.post(
            "/shipments/announce", content=b"{nope", headers={"Content-Type": "application/json"}
        )
    assert many.status_code == 400
    assert sender.status_code == 400
    assert sender.json()["errors"][0]["source"]["pointer"] == "/from_address/sender_address_id"
    assert broken.status_code == 400


@pytest.mark.parametrize(
    "changes",
    [{"postal_code": "00000"}, {"address_line_1": "3 ANNOUNCE-FAIL chemin sans issue"}],
)
def test_announcement_failure_is_a_201_with_errors(sandbox: SandboxServer, changes) -> None:
    with sendcloud(sandbox) as client:
        resp = _announce(client, ref="cdtui-fail", **changes)
        again = _announce(client, ref="cdtui-fail", **changes)
    assert resp.status_code == 201
    body = resp.json()["data"]
    parcel = body["parcels"][0]
    assert parcel["status"]["code"] == "ANNOUNCEMENT_FAILED"
    assert parcel["tracking_number"] is None
    [error] = body["errors"]
    assert error["code"] == "parcel_announcement_error"
    assert error["status"] == "500"
    assert "Colissimo" in error["detail"]
    assert parcel["label_file"] is None
    assert parcel["documents"] == []
    assert again.status_code == 409  # the reference is used up


def test_seeded_world_holds_an_address_the_carrier_refuses(sandbox: SandboxServer) -> None:
    addresses = [
        ln["shippingAddress"]
        for order_id in sandbox.world.ready_order_ids()
        for ln in sandbox.world.order(order_id)["lines"]
    ]
    assert any(data.ANNOUNCE_FAIL_MARK in a["addressLine1"] for a in addresses)


def test_find_and_get_shipments(sandbox: SandboxServer) -> None:
    with sendcloud(sandbox) as client:
        created = _announce(client, ref="cdtui-98979-FIND").json()["data"]
        by_ref = client.get("/shipments", params={"external_reference_id": "cdtui-98979-FIND"})
        by_number = client.get("/shipments", params={"order_number": "2511261130ABCD"})
        none = client.get("/shipments", params={"external_reference_id": "nothing"})
        one = client.get(f"/shipments/{created['id']}")
        missing = client.get("/shipments/not-an-id")
    assert [s["id"] for s in by_ref.json()["data"]] == [created["id"]]
    assert [s["id"] for s in by_number.json()["data"]] == [created["id"]]
    assert none.json()["data"] == []
    assert (
        one.json()["data"]["parcels"][0]["tracking_number"]
        == (created["parcels"][0]["tracking_number"])
    )
    assert missing.status_code == 404


# ---------------------------------------------------------------- documents


@pytest.mark.parametrize(
    ("paper", "box"), [("A6", (298, 420)), ("A5", (420, 595)), ("a4", (595, 842))]
)
def test_label_pdf_is_real_and_sized(sandbox: SandboxServer, paper: str, box) -> None:
    with sendcloud(sandbox) as client:
        parcel = _announce(client, name="Jürgen Weiß").json()["data"]["parcels"][0]
        resp = client.get(
            f"/parcels/{parcel['id']}/documents/label",
            params={"paper_size": paper},
            headers={"Accept": "application/pdf"},
        )
    assert resp.status_code == 200
    assert check_pdf(resp.content) == [box]
    assert "Jürgen Weiß".encode("cp1252") in resp.content


def test_label_zpl_and_png(sandbox: SandboxServer) -> None:
    with sendcloud(sandbox) as client:
        parcel = _announce(client).json()["data"]["parcels"][0]
        url = f"/parcels/{parcel['id']}/documents/label"
        zpl = client.get(url, headers={"Accept": "application/zpl"})
        png = client.get(url, headers={"Accept": "image/png"}, params={"dpi": 150})
        html = client.get(url, headers={"Accept": "text/html"})
        size = client.get(url, params={"paper_size": "Letter"})
        missing = client.get("/parcels/1/documents/label")
    assert zpl.headers["content-type"].startswith("application/zpl")
    text = zpl.content.decode()
    assert text.startswith("^XA") and text.rstrip().endswith("^XZ")
    assert parcel["tracking_number"] in text
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png.content[16:24])
    assert (width, height) == (620, 874)  # A6 at 150 dpi
    assert html.status_code == 406
    assert size.status_code == 400
    assert missing.status_code == 404


def test_announce_can_return_a_zpl_label_file(sandbox: SandboxServer) -> None:
    with sendcloud(sandbox) as client:
        body = _announce(client, mime="application/zpl").json()["data"]
    assert base64.b64decode(body["parcels"][0]["label_file"]).startswith(b"^XA")


def test_bulk_labels_make_one_pdf_page_per_parcel(sandbox: SandboxServer) -> None:
    with sendcloud(sandbox) as client:
        ids = [
            str(_announce(client, ref=f"r{i}").json()["data"]["parcels"][0]["id"]) for i in range(3)
        ]
        resp = client.get("/parcel-documents/label", params={"parcels": ",".join(ids)})
    assert len(check_pdf(resp.content)) == 3


# ---------------------------------------------------------------- cancel


def test_cancel_answers(sandbox: SandboxServer) -> None:
    world = sandbox.world
    with sendcloud(sandbox) as client:
        colissimo = _announce(client, ref="c1").json()["data"]["id"]
        ups = _announce(client, ref="c2", option="ups:standard").json()["data"]["id"]
        delivered = _announce(client, ref="c3").json()["data"]["id"]
        old = _announce(client, ref="c4").json()["data"]["id"]
        first = client.post(f"/shipments/{colissimo}/cancel")
        second = client.post(f"/shipments/{colissimo}/cancel")
        queued = client.post(f"/shipments/{ups}/cancel")
        world.advance(5 * world.tracking_step_seconds)
        late = client.post(f"/shipments/{delivered}/cancel")
        world.tracking_step_seconds = 10**9  # parcels stop moving
        world.advance(43 * 86400)
        too_old = client.post(f"/shipments/{old}/cancel")
        unknown = client.post("/shipments/nope/cancel")
        after = client.get(f"/shipments/{colissimo}").json()["data"]
    assert first.status_code == 200
    assert first.json()["data"]["status"] == "cancelled"
    assert second.status_code == 409
    already = "This shipment is already being cancelled."
    assert second.json() == {"errors": [{"status": "409", "code": "invalid", "detail": already}]}
    assert queued.status_code == 202
    assert queued.json()["data"]["status"] == "queued"
    assert late.status_code == 409 and "delivered" in late.json()["errors"][0]["detail"]
    assert too_old.status_code == 409 and "42 days" in too_old.json()["errors"][0]["detail"]
    assert unknown.status_code == 404
    assert after["parcels"][0]["status"]["code"] == "CANCELLED"


# ---------------------------------------------------------------- tracking


def test_tracking_advances_with_world_time(sandbox: SandboxServer) -> None:
    world = sandbox.world
    world.tracking_step_seconds = 120
    with sendcloud(sandbox) as client:
        shipment = _announce(client).json()["data"]
        number = shipment["parcels"][0]["tracking_number"]

        def codes() -> list[str]:
            body = client.get(f"/parcels/tracking/{number}").json()
            assert "data" not in body
            return [e["status_code"] for e in body["events"]]

        assert codes() == ["announced"]
        world.advance(121)
        assert codes() == ["announced", "accepted"]
        world.advance(3 * 120)
        assert codes()[-1] == "delivered"
        world.advance(3600)
        assert len(codes()) == 5
        status = client.get(f"/shipments/{shipment['id']}").json()["data"]["parcels"][0]
        missing = client.get("/parcels/tracking/NOPE")
    assert status["status"]["code"] == "DELIVERED"
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Parcel does not exist"}


# ---------------------------------------------------------------- rate limits


def test_write_burst_limit_gives_429_with_retry_after(sandbox: SandboxServer) -> None:
    world = sandbox.world
    world.monotonic = lambda: 1000.0  # every call in the same instant, however slow the host
    world.write_burst_per_second = 3
    with sendcloud(sandbox) as client:
        answers = [_announce(client, ref=f"burst-{i}") for i in range(5)]
        read = client.get("/shipments")
    codes = [a.status_code for a in answers]
    assert codes[:3] == [201, 201, 201]
    assert 429 in codes[3:]
    limited = next(a for a in answers if a.status_code == 429)
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["errors"][0]["status"] == "429"
    assert read.status_code == 200  # reads have their own budget
    assert world.stats["429"] == codes.count(429)
    assert len(world.shipments) == codes.count(201)  # a 429 processed nothing


def test_write_minute_window_and_read_limit(sandbox: SandboxServer) -> None:
    world = sandbox.world
    now = [1000.0]
    world.monotonic = lambda: now[0]
    world.write_limit_per_minute = 4
    world.read_limit_per_minute = 3
    with sendcloud(sandbox) as client:
        writes = []
        for i in range(5):
            writes.append(_announce(client, ref=f"m-{i}").status_code)
            now[0] += 1.5  # well under the burst limit, inside one minute
        reads = [client.get("/shipments").status_code for _ in range(4)]
        limited = client.get("/shipments")
        now[0] = 1000.0 + 60.5  # the first write has left the window
        later = _announce(client, ref="m-later").status_code
    assert writes == [201, 201, 201, 201, 429]
    assert reads == [200, 200, 200, 429]
    assert int(limited.headers["Retry-After"]) == 60
    assert world.stats["rate_limited"] == 3
    assert later == 201
