"""Customs outside the EU customs territory: ``customs_information`` and complete
parcel items are required, one error per problem; one currency per shipment; the
customs declaration is a parcel document with its own route."""

from __future__ import annotations

import pytest
from sbhelpers import (
    announce_payload,
    check_pdf,
    customs_item,
    customs_payload,
    errors_by_pointer,
    sendcloud,
)

from cdtui.sandbox import catalogue, data
from cdtui.sandbox.server import SandboxServer


def test_a_british_shipment_with_customs_gets_a_declaration(sandbox: SandboxServer) -> None:
    payload = customs_payload()
    with sendcloud(sandbox) as client:
        resp = client.post("/shipments/announce", json=payload)
        created = resp.json()["data"]
        parcel = created["parcels"][0]
        docs = {d["document_type"]: d for d in parcel["documents"]}
        declaration = client.get(docs["customs-declaration"]["link"])
        zpl = client.get(docs["customs-declaration"]["link"], headers={"Accept": "application/zpl"})
        again = client.get(f"/shipments/{created['id']}").json()["data"]
    assert resp.status_code == 201, resp.text
    assert docs["label"]["type"] == "label"
    assert docs["customs-declaration"]["type"] == "cn23"
    assert docs["customs-declaration"]["link"].endswith(
        f"/api/v3/parcels/{parcel['id']}/documents/customs-declaration"
    )
    assert created["customs_information"] == payload["customs_information"]
    assert again["parcels"][0]["documents"] == parcel["documents"]
    assert declaration.status_code == 200
    assert declaration.headers["content-type"] == "application/pdf"
    assert check_pdf(declaration.content) == [(595, 842)]
    for text in ("851830", "INV-2511261130", "commercial_goods", "CN", "79.90 GBP", "0.45 kg"):
        assert text.encode() in declaration.content, text
    assert zpl.status_code == 406
    assert sandbox.world.stats["customs_downloads"] == 1


@pytest.mark.parametrize(
    ("country", "postal_code", "option"),
    [
        ("GB", "NW1 6XE", "dpd:classic"),
        ("CH", "8001", "ups:standard"),
        ("NO", "0150", "ups:standard"),
        ("US", "10036", "dhl_express:worldwide"),
        ("FR", "97400", "ups:standard"),  # La Réunion: France, outside the customs union
    ],
)
def test_outside_the_eu_customs_information_is_required(
    sandbox: SandboxServer, country: str, postal_code: str, option: str
) -> None:
    payload = customs_payload(option=option, country_code=country, postal_code=postal_code)
    del payload["customs_information"]
    with sendcloud(sandbox) as client:
        resp = client.post("/shipments/announce", json=payload)
    assert resp.status_code == 400
    assert errors_by_pointer(resp)["/customs_information"]["code"] == "required"
    assert sandbox.world.shipments == {}


def test_items_without_customs_data_get_one_error_each(sandbox: SandboxServer) -> None:
    bare = {"description": "Casque audio", "quantity": 1, "sku": "SKU-123"}
    payload = customs_payload(items=[customs_item(), bare], customs={"export_type": "private"})
    with sendcloud(sandbox) as client:
        resp = client.post("/shipments/announce", json=payload)
    assert resp.status_code == 400
    errors = errors_by_pointer(resp)
    at = "/parcels/0/parcel_items/1"
    assert set(errors) == {
        "/customs_information/invoice_number",
        "/customs_information/export_reason",
        f"{at}/weight",
        f"{at}/price",
        f"{at}/hs_code",
        f"{at}/origin_country",
    }
    assert all(e["code"] == "required" and e["status"] == "400" for e in errors.values())


def test_a_parcel_without_items_is_refused(sandbox: SandboxServer) -> None:
    payload = customs_payload(items=[])
    with sendcloud(sandbox) as client:
        resp = client.post("/shipments/announce", json=payload)
    assert resp.status_code == 400
    assert "/parcels/0/parcel_items" in errors_by_pointer(resp)


ITEM = "/parcels/0/parcel_items/0"


@pytest.mark.parametrize(
    ("item", "customs", "pointer"),
    [
        ({"hs_code": "12AB56"}, {}, f"{ITEM}/hs_code"),
        ({"hs_code": "12345"}, {}, f"{ITEM}/hs_code"),
        ({"hs_code": "1234567890123"}, {}, f"{ITEM}/hs_code"),
        ({"hs_code": 851830}, {}, f"{ITEM}/hs_code"),
        ({"origin_country": "GBR"}, {}, f"{ITEM}/origin_country"),
        ({"origin_country": "cn"}, {}, f"{ITEM}/origin_country"),
        ({"quantity": 0}, {}, f"{ITEM}/quantity"),
        ({"description": ""}, {}, f"{ITEM}/description"),
        ({"weight": {"value": 0, "unit": "kg"}}, {}, f"{ITEM}/weight/value"),
        ({"weight": {"value": 0.4, "unit": "stone"}}, {}, f"{ITEM}/weight/unit"),
        ({"price": {"value": "abc", "currency": "GBP"}}, {}, f"{ITEM}/price/value"),
        ({"price": {"value": "79.90", "currency": "pounds"}}, {}, f"{ITEM}/price/currency"),
        ({}, {"invoice_number": "X" * 41}, "/customs_information/invoice_number"),
        ({}, {"export_reason": "returned_goods"}, "/customs_information/export_reason"),
        ({}, {"export_type": "business"}, "/customs_information/export_type"),
        ({}, {"invoice_date": "26/11/2026"}, "/customs_information/invoice_date"),
        ({}, {"invoice_date": "2026-02-30"}, "/customs_information/invoice_date"),
    ],
)
def test_bad_customs_values_are_pointed_at(
    sandbox: SandboxServer, item: dict, customs: dict, pointer: str
) -> None:
    info = {"invoice_number": "INV-1", "export_reason": "commercial_goods", **customs}
    payload = customs_payload(items=[customs_item(**item)], customs=info)
    with sendcloud(sandbox) as client:
        resp = client.post("/shipments/announce", json=payload)
    assert resp.status_code == 400
    assert list(errors_by_pointer(resp)) == [pointer]


@pytest.mark.parametrize("reason", catalogue.EXPORT_REASONS)
def test_every_export_reason_of_the_spec_is_accepted(sandbox: SandboxServer, reason: str) -> None:
    info = {"invoice_number": "INV-1", "export_reason": reason}
    with sendcloud(sandbox) as client:
        resp = client.post("/shipments/announce", json=customs_payload(customs=info))
    assert resp.status_code == 201, resp.text


def test_mixed_currencies_are_refused(sandbox: SandboxServer) -> None:
    euro = customs_item(price={"value": "10.00", "currency": "EUR"})
    mixed = customs_payload(items=[customs_item(), euro])
    domestic = announce_payload()
    domestic["total_order_price"] = {"value": "34.80", "currency": "GBP"}
    with sendcloud(sandbox) as client:
        abroad = client.post("/shipments/announce", json=mixed)
        home = client.post("/shipments/announce", json=domestic)
    assert abroad.status_code == 400
    [error] = abroad.json()["errors"]
    assert error["source"]["pointer"] == "/parcels/0/parcel_items/1/price/currency"
    assert "Mixed currencies" in error["detail"] and "EUR, GBP" in error["detail"]
    assert home.status_code == 400
    assert list(errors_by_pointer(home)) == ["/parcels/0/parcel_items/0/price/currency"]


@pytest.mark.parametrize(
    ("country", "postal_code", "option", "house"),
    [
        ("FR", "75002", "colissimo:home", None),
        ("DE", "10115", "dpd:classic", "12a"),
        ("SE", "111 21", "dhl:parcel_connect", None),
        ("ES", "28013", "gls:business_parcel", "12"),
    ],
)
def test_inside_the_eu_no_customs_data_is_needed(
    sandbox: SandboxServer, country: str, postal_code: str, option: str, house: str | None
) -> None:
    payload = announce_payload(
        option=option, country_code=country, postal_code=postal_code, house_number=house
    )
    assert "hs_code" not in payload["parcels"][0]["parcel_items"][0]
    with sendcloud(sandbox) as client:
        resp = client.post("/shipments/announce", json=payload)
        parcel = resp.json()["data"]["parcels"][0]
        declaration = client.get(f"/parcels/{parcel['id']}/documents/customs-declaration")
    assert resp.status_code == 201, resp.text
    assert [d["document_type"] for d in parcel["documents"]] == ["label"]
    assert resp.json()["data"]["customs_information"] is None
    assert declaration.status_code == 404


def test_customs_declaration_of_unknown_or_failed_parcels_is_404(sandbox: SandboxServer) -> None:
    failed = customs_payload(postal_code=data.ANNOUNCE_FAIL_POSTAL_CODE)
    with sendcloud(sandbox) as client:
        body = client.post("/shipments/announce", json=failed).json()["data"]
        unknown = client.get("/parcels/1/documents/customs-declaration")
        none = client.get(f"/parcels/{body['parcels'][0]['id']}/documents/customs-declaration")
    assert body["parcels"][0]["status"]["code"] == "ANNOUNCEMENT_FAILED"
    assert unknown.status_code == 404
    assert none.status_code == 404
