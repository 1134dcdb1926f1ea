"""SendcloudClient against respx mocks: labels, idempotent announce, errors, pacing."""

from __future__ import annotations

import asyncio
import base64
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx
from apifakes import SENDCLOUD_SECRET, SENDCLOUD_URL
from timefakes import VirtualTime, max_in_window

from cdtui.errors import (
    AnnouncementFailed,
    BadCredentials,
    BadResponse,
    Conflict,
    NotFound,
    Rejected,
    TimedOut,
    Unavailable,
    UsageError,
)
from cdtui.sendcloud import SendcloudClient

ANNOUNCE = f"{SENDCLOUD_URL}/shipments/announce"
SHIPMENTS = f"{SENDCLOUD_URL}/shipments"
REF = "cdtui-98979-O1"
PDF = b"%PDF-1.4 label"


def shipment_doc(
    *,
    sid: str = "a7c2",
    status: str = "READY_TO_SEND",
    tracking: str | None = "6A123",
    errors: list[dict[str, Any]] | None = None,
    label_file: bytes | None = PDF,
    legacy_label_file: bytes | None = None,
    documents: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A v3 shipment: the label file on the parcel (``legacy_label_file`` puts one on
    the shipment too, as older answers did)."""
    if documents is None:
        documents = [
            {
                "document_type": "label",
                "type": "label",
                "size": "a6",
                "link": f"{SENDCLOUD_URL}/parcels/383707309/documents/label",
            }
        ]
    doc: dict[str, Any] = {
        "id": sid,
        "order_number": "2511261130ABCD",
        "external_reference_id": REF,
        "carrier": {"code": "colissimo", "name": "Colissimo"},
        "parcels": [
            {
                "id": 383707309,
                "status": {"code": status, "message": status.title()},
                "tracking_number": tracking,
                "tracking_url": f"https://tracking.example/forward?code={tracking}",
                "documents": documents,
                "announced_at": "2026-11-26T10:20:00Z",
                "label_file": None if label_file is None else b64(label_file),
            }
        ],
        "errors": errors or [],
    }
    if legacy_label_file is not None:
        doc["label_file"] = b64(legacy_label_file)
    return doc


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


PAYLOAD = {
    "to_address": {
        "name": "Camille Durand",
        "address_line_1": "12 rue de la Paix",
        "postal_code": "75002",
        "city": "Paris",
        "country_code": "FR",
    },
    "from_address": {"sender_address_id": 192},
    "ship_with": {
        "type": "shipping_option_code",
        "properties": {"shipping_option_code": "colissimo:home/signature"},
    },
    "order_number": "2511261130ABCD",
    "external_reference_id": REF,
    "parcels": [{"weight": {"value": "1.250", "unit": "kg"}}],
}


# ---------------------------------------------------------------- auth


async def test_basic_auth_and_bad_keys(router, sendcloud):
    route = router.get(SHIPMENTS).mock(
        return_value=httpx.Response(
            401, json={"errors": [{"status": "401", "code": "authentication_failed"}]}
        )
    )
    with pytest.raises(BadCredentials) as info:
        await sendcloud.check_credentials()
    assert str(info.value) == "Sendcloud refused the API keys (public / secret key)"
    expected = base64.b64encode(f"sc-public:{SENDCLOUD_SECRET}".encode()).decode()
    assert route.calls[0].request.headers["Authorization"] == f"Basic {expected}"
    assert SENDCLOUD_SECRET not in repr(info.value) + repr(sendcloud)


async def test_good_keys_pass_the_check(router, sendcloud):
    router.get(SHIPMENTS).mock(return_value=httpx.Response(200, json={"data": []}))
    await sendcloud.check_credentials()


# ---------------------------------------------------------------- shipping options


OPTIONS = f"{SENDCLOUD_URL}/shipping-options"


def option(
    code: str,
    price: str | None,
    name: str | None = None,
    *,
    last_mile: str = "home_delivery",
    service_point: bool = False,
    signature: bool = False,
    deadline: str | None = "standard",
    weight: tuple[dict[str, str], dict[str, str]] | None = None,
) -> dict[str, Any]:
    """An option shaped like the v3 answer to a request with ``calculate_quotes``."""
    low, high = weight or ({"value": "0.001", "unit": "kg"}, {"value": "30.000", "unit": "kg"})
    doc: dict[str, Any] = {
        "code": code,
        "name": name or code,
        "carrier": {"code": code.split(":")[0], "name": code.split(":")[0].title()},
        "product": {"code": code, "name": code},
        "functionalities": {
            "b2c": True,
            "last_mile": last_mile,
            "signature": signature,
            "delivery_deadline": deadline,
            "tracked": True,
        },
        "requirements": {"is_service_point_required": service_point},
        "weight": {"min": low, "max": high},
    }
    if price is not None:
        doc["quotes"] = [
            {
                "weight": {"min": low, "max": high},
                "price": {
                    "breakdown": [
                        {
                            "type": "price_without_insurance",
                            "label": "Label",
                            "price": {"value": price, "currency": "EUR"},
                        }
                    ],
                    "total": {"value": price, "currency": "EUR"},
                },
                "lead_time": 48,
            }
        ]
    return doc


async def ask_options(sendcloud: SendcloudClient, **kw: Any):
    args: dict[str, Any] = {
        "from_country": "FR",
        "from_postal_code": "69001",
        "to_country": "FR",
        "to_postal_code": "75002",
        "weight_kg": Decimal("1.25"),
    }
    return await sendcloud.shipping_options(**{**args, **kw})


async def test_shipping_options_asks_for_quotes_and_sorts_cheapest_first(router, sendcloud):
    route = router.post(OPTIONS).mock(
        return_value=httpx.Response(
            200,
            json={
                "data": [
                    option("colissimo:home/signature", "7.90"),
                    option("dpd:classic", None),
                    option("mondialrelay:point", "3.95"),
                ]
            },
        )
    )
    options = await ask_options(sendcloud, to_country="fr", to_postal_code=None)
    assert [o.code for o in options] == [
        "mondialrelay:point",
        "colissimo:home/signature",
        "dpd:classic",
    ]
    assert [(o.price, o.currency) for o in options] == [
        (Decimal("3.95"), "EUR"),
        (Decimal("7.90"), "EUR"),
        (None, None),
    ]
    assert options[1].carrier_name == "Colissimo"
    assert options.message is None
    assert json.loads(route.calls[0].request.content) == {
        "from_address": {"country_code": "FR", "postal_code": "69001"},
        "to_address": {"country_code": "FR"},
        "parcels": [{"weight": {"value": "1.250", "unit": "kg"}}],
        "calculate_quotes": True,
    }


async def test_shipping_options_say_what_the_service_is(router, sendcloud):
    router.post(OPTIONS).mock(
        return_value=httpx.Response(
            200,
            json={
                "data": [
                    option(
                        "mondialrelay:point",
                        "3.95",
                        last_mile="service_point",
                        service_point=True,
                        weight=({"value": "100", "unit": "g"}, {"value": "20", "unit": "lbs"}),
                    ),
                    option(
                        "chronopost:express/signature",
                        "14.20",
                        signature=True,
                        deadline="nextday",
                        weight=({"value": "0", "unit": "kg"}, {"value": "30.000", "unit": "kg"}),
                    ),
                ]
            },
        )
    )
    relay, express = await ask_options(sendcloud)
    assert relay.service_point_required and relay.service_point
    assert relay.last_mile == "service_point"
    assert not relay.signature
    assert relay.delivery_deadline == "standard"
    assert relay.min_weight_kg == Decimal("0.1")
    assert relay.max_weight_kg == Decimal("20") * Decimal("0.45359237")
    assert not express.service_point_required and not express.service_point
    assert express.last_mile == "home_delivery"
    assert express.signature
    assert express.delivery_deadline == "nextday"
    assert (express.min_weight_kg, express.max_weight_kg) == (Decimal("0"), Decimal("30"))


async def test_shipping_options_tolerate_other_shapes(router, sendcloud):
    """Fields missing or in an unexpected form give defaults, not a crash."""
    bare = {"code": "bare:option"}  # no name, carrier, quotes, functionalities...
    odd = {
        "code": "odd:option",
        "name": "Odd",
        "carrier": "not an object",
        "functionalities": {
            "signature": "yes",  # not a boolean: no signature claimed
            "last_mile": 5,
            "service_point_input": "required",  # older shape of the requirement
        },
        "weight": {"min": {"value": "x", "unit": "kg"}, "max": {"value": "3", "unit": "st"}},
        "quotes": [{"price": {"value": "4.5", "currency": "EUR"}}],  # no "total"
    }
    bad_price = {**option("bad:price", None), "quotes": [{"price": {"total": {"value": "?"}}}]}
    router.post(OPTIONS).mock(
        return_value=httpx.Response(200, json={"data": [bare, odd, bad_price]})
    )
    by_code = {o.code: o for o in await ask_options(sendcloud)}
    assert by_code["bare:option"].name == "bare:option"
    assert by_code["bare:option"].price is None and not by_code["bare:option"].service_point
    assert by_code["odd:option"].price == Decimal("4.5")
    assert by_code["odd:option"].service_point_required
    assert not by_code["odd:option"].signature and by_code["odd:option"].last_mile is None
    assert by_code["odd:option"].min_weight_kg is None
    assert by_code["odd:option"].max_weight_kg is None
    assert by_code["bad:price"].price is None


async def test_unreadable_options_are_skipped_and_logged(router, sendcloud, caplog):
    router.post(OPTIONS).mock(
        return_value=httpx.Response(
            200,
            json={
                "data": [
                    {"name": "no code"},
                    "not an object",
                    {"code": 42, "name": "code is a number"},
                    option("colissimo:home", "6.10"),
                ]
            },
        )
    )
    options = await ask_options(sendcloud)
    assert [o.code for o in options] == ["colissimo:home"]
    assert caplog.text.count("skipping an unreadable shipping option") == 3


@pytest.mark.parametrize("data", [[], None], ids=["empty", "null"])
async def test_no_shipping_option_is_an_empty_list_with_the_reason(router, sendcloud, data):
    message = "No shipping options found for the given parameters."
    router.post(OPTIONS).mock(
        return_value=httpx.Response(200, json={"data": data, "message": message})
    )
    options = await ask_options(sendcloud, to_country="NZ", weight_kg=Decimal("30"))
    assert options == []
    assert options.message == message


async def test_no_shipping_option_without_a_message(router, sendcloud):
    router.post(OPTIONS).mock(return_value=httpx.Response(200, json={"data": []}))
    options = await ask_options(sendcloud)
    assert options == [] and options.message is None


@pytest.mark.parametrize(
    "body",
    [{"data": {"code": "x"}}, {"data": "x"}, {"message": "no data at all"}, 42],
    ids=["object", "string", "no-data", "number"],
)
async def test_shipping_options_in_a_broken_shape(router, sendcloud, body):
    router.post(OPTIONS).mock(return_value=httpx.Response(200, json=body))
    with pytest.raises(BadResponse):
        await ask_options(sendcloud)


@pytest.mark.parametrize(
    ("weight", "country"), [(Decimal("0"), "FR"), (Decimal("-1"), "FR"), (Decimal("1"), "FRA")]
)
async def test_shipping_options_bad_input(router, sendcloud, weight, country):
    route = router.post(f"{SENDCLOUD_URL}/shipping-options")
    with pytest.raises(UsageError):
        await sendcloud.shipping_options(
            from_country="FR",
            from_postal_code=None,
            to_country=country,
            to_postal_code=None,
            weight_kg=weight,
        )
    assert route.call_count == 0


# ---------------------------------------------------------------- announce


async def test_announce_returns_the_label(router, sendcloud):
    route = router.post(ANNOUNCE).mock(
        return_value=httpx.Response(201, json={"data": shipment_doc()})
    )
    shipment = await sendcloud.announce(PAYLOAD)
    assert json.loads(route.calls[0].request.content) == PAYLOAD
    assert shipment.shipment_id == "a7c2"
    assert shipment.carrier_code == "colissimo" and shipment.carrier_name == "Colissimo"
    assert shipment.parcel_id == "383707309"
    assert shipment.tracking_number == "6A123"
    assert shipment.tracking_url == "https://tracking.example/forward?code=6A123"
    assert shipment.label_url.endswith("/parcels/383707309/documents/label")
    assert shipment.label_file == PDF
    assert shipment.external_reference_id == REF


async def test_the_label_file_is_read_from_the_parcel(router, sendcloud):
    doc = shipment_doc(label_file=PDF, legacy_label_file=b"%PDF-1.4 older copy")
    router.post(ANNOUNCE).mock(return_value=httpx.Response(201, json={"data": doc}))
    shipment = await sendcloud.announce(PAYLOAD)
    assert shipment.label_file == PDF


@pytest.mark.parametrize("parcel_label", [None, "", "!!not base64!!"], ids=["null", "empty", "bad"])
async def test_a_shipment_level_label_file_is_the_fallback(router, sendcloud, parcel_label):
    doc = shipment_doc(label_file=None, legacy_label_file=PDF)
    doc["parcels"][0]["label_file"] = parcel_label
    router.post(ANNOUNCE).mock(return_value=httpx.Response(201, json={"data": doc}))
    shipment = await sendcloud.announce(PAYLOAD)
    assert shipment.label_file == PDF


async def test_no_label_file_anywhere(router, sendcloud):
    doc = shipment_doc(label_file=None)
    router.post(ANNOUNCE).mock(return_value=httpx.Response(201, json={"data": doc}))
    shipment = await sendcloud.announce(PAYLOAD)
    assert shipment.label_file is None
    assert shipment.label_url.endswith("/documents/label")  # to be downloaded instead


def link(kind: str) -> str:
    return f"{SENDCLOUD_URL}/parcels/383707309/documents/{kind}"


@pytest.mark.parametrize(
    ("documents", "label_url", "customs_url"),
    [
        (
            [
                {"document_type": "label", "link": link("label")},
                {"document_type": "customs-declaration", "link": link("customs-declaration")},
            ],
            link("label"),
            link("customs-declaration"),
        ),
        # document_type wins over the deprecated type
        (
            [
                {"document_type": "customs-declaration", "type": "label", "link": link("c")},
                {"document_type": "label", "type": "cn23", "link": link("label")},
            ],
            link("label"),
            link("c"),
        ),
        (
            [{"type": "label", "link": link("label")}, {"type": "cn23", "link": link("cn23")}],
            link("label"),
            link("cn23"),
        ),
        ([{"type": "cp71", "link": link("cp71")}], None, link("cp71")),
        ([{"type": "commercial-invoice", "link": link("ci")}], None, link("ci")),
        ([{"type": "cn23-default", "link": link("cn")}], None, link("cn")),
        ([{"document_type": "air-waybill", "link": link("awb")}, "junk", {}], None, None),
        ([], None, None),
    ],
    ids=[
        "document_type",
        "document_type-first",
        "legacy-cn23",
        "legacy-cp71",
        "legacy-invoice",
        "legacy-cn23-default",
        "other-documents",
        "none",
    ],
)
async def test_document_links(router, sendcloud, documents, label_url, customs_url):
    router.get(f"{SHIPMENTS}/a7c2").mock(
        return_value=httpx.Response(200, json={"data": shipment_doc(documents=documents)})
    )
    shipment = await sendcloud.get_shipment("a7c2")
    assert (shipment.label_url, shipment.customs_url) == (label_url, customs_url)


async def test_announcement_failed_inside_a_201(router, sendcloud):
    doc = shipment_doc(
        status="ANNOUNCEMENT_FAILED",
        tracking=None,
        label_file=None,
        errors=[
            {
                "status": "500",
                "code": "parcel_announcement_error",
                "detail": "Colissimo: house number is missing",
            }
        ],
    )
    router.post(ANNOUNCE).mock(return_value=httpx.Response(201, json={"data": doc}))
    with pytest.raises(AnnouncementFailed) as info:
        await sendcloud.announce(PAYLOAD)
    assert str(info.value) == "The carrier refused the label: Colissimo: house number is missing"
    assert info.value.detail == "Colissimo: house number is missing"
    assert info.value.shipment_id == "a7c2"


async def test_409_with_the_existing_shipment_is_a_success(router, sendcloud):
    router.post(ANNOUNCE).mock(
        return_value=httpx.Response(
            409,
            json={
                "data": shipment_doc(label_file=None),
                "errors": [
                    {
                        "status": "409",
                        "code": "duplicate",
                        "detail": "external_reference_id already used",
                    }
                ],
            },
        )
    )
    lookup = router.get(SHIPMENTS)
    shipment = await sendcloud.announce(PAYLOAD)
    assert shipment.tracking_number == "6A123"
    assert shipment.label_file is None
    assert lookup.call_count == 0


async def test_409_with_errors_only_looks_the_shipment_up(router, sendcloud):
    router.post(ANNOUNCE).mock(
        return_value=httpx.Response(
            409, json={"errors": [{"status": "409", "detail": "Duplicate reference"}]}
        )
    )
    lookup = router.get(SHIPMENTS).mock(
        return_value=httpx.Response(200, json={"data": [shipment_doc()]})
    )
    shipment = await sendcloud.announce(PAYLOAD)
    assert shipment.shipment_id == "a7c2"
    assert lookup.calls[0].request.url.params["external_reference_id"] == REF


async def test_409_that_is_not_a_duplicate_is_a_conflict(router, sendcloud):
    router.post(ANNOUNCE).mock(
        return_value=httpx.Response(
            409, json={"errors": [{"status": "409", "detail": "Contract expired"}]}
        )
    )
    router.get(SHIPMENTS).mock(return_value=httpx.Response(200, json={"data": []}))
    with pytest.raises(Conflict) as info:
        await sendcloud.announce(PAYLOAD)
    assert info.value.detail == "Contract expired"


async def test_409_on_a_failed_announcement_is_still_a_failure(router, sendcloud):
    doc = shipment_doc(status="ANNOUNCEMENT_FAILED", tracking=None, label_file=None)
    router.post(ANNOUNCE).mock(return_value=httpx.Response(409, json={"data": doc}))
    with pytest.raises(AnnouncementFailed):
        await sendcloud.announce(PAYLOAD)


@pytest.mark.parametrize(
    "failure", [httpx.ReadTimeout("slow"), httpx.Response(504)], ids=["timeout", "504"]
)
async def test_announce_unknown_outcome_finds_the_label(router, sendcloud, failure):
    post = router.post(ANNOUNCE).mock(side_effect=[failure])
    router.get(SHIPMENTS).mock(return_value=httpx.Response(200, json={"data": [shipment_doc()]}))
    shipment = await sendcloud.announce(PAYLOAD)
    assert shipment.tracking_number == "6A123"
    assert post.call_count == 1


@pytest.mark.parametrize(
    ("failure", "error"),
    [(httpx.ReadTimeout("slow"), TimedOut), (httpx.Response(500), Unavailable)],
    ids=["timeout", "500"],
)
async def test_announce_unknown_outcome_no_label_is_raised(router, sendcloud, failure, error):
    post = router.post(ANNOUNCE).mock(side_effect=[failure])
    router.get(SHIPMENTS).mock(return_value=httpx.Response(200, json={"data": []}))
    with pytest.raises(error):
        await sendcloud.announce(PAYLOAD)
    assert post.call_count == 1


async def test_announce_validation_error_names_the_field(router, sendcloud):
    router.post(ANNOUNCE).mock(
        return_value=httpx.Response(
            400,
            json={
                "errors": [
                    {
                        "status": "400",
                        "code": "required",
                        "detail": "This field is required.",
                        "source": {"pointer": "/to_address/name"},
                    }
                ]
            },
        )
    )
    with pytest.raises(Rejected) as info:
        await sendcloud.announce(PAYLOAD)
    assert info.value.detail == "/to_address/name: This field is required."


async def test_announce_needs_a_reference(router, sendcloud):
    post = router.post(ANNOUNCE)
    with pytest.raises(UsageError):
        await sendcloud.announce({**PAYLOAD, "external_reference_id": ""})
    assert post.call_count == 0


async def test_announce_answer_without_id_is_bad_response(router, sendcloud):
    router.post(ANNOUNCE).mock(return_value=httpx.Response(201, json={"data": {"parcels": []}}))
    with pytest.raises(BadResponse):
        await sendcloud.announce(PAYLOAD)


async def test_announce_429_waits_and_sends_again(router, sendcloud, sleeps):
    post = router.post(ANNOUNCE).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "2"}),
            httpx.Response(201, json={"data": shipment_doc()}),
        ]
    )
    shipment = await sendcloud.announce(PAYLOAD)
    assert shipment.shipment_id == "a7c2"
    assert post.call_count == 2
    assert 2.0 in sleeps.delays


# ---------------------------------------------------------------- reads


async def test_find_shipments_by_order_number(router, sendcloud):
    route = router.get(SHIPMENTS).mock(
        return_value=httpx.Response(200, json={"data": [shipment_doc(), shipment_doc(sid="b8")]})
    )
    found = await sendcloud.find_shipments(order_number="2511261130ABCD")
    assert [s.shipment_id for s in found] == ["a7c2", "b8"]
    assert route.calls[0].request.url.params["order_number"] == "2511261130ABCD"


async def test_find_needs_a_filter(sendcloud):
    with pytest.raises(UsageError):
        await sendcloud.find_shipments()


async def test_get_shipment_and_not_found(router, sendcloud):
    router.get(f"{SHIPMENTS}/a7c2").mock(
        return_value=httpx.Response(200, json={"data": shipment_doc()})
    )
    router.get(f"{SHIPMENTS}/zz").mock(return_value=httpx.Response(404, json={"errors": []}))
    assert (await sendcloud.get_shipment("a7c2")).parcel_id == "383707309"
    with pytest.raises(NotFound) as info:
        await sendcloud.get_shipment("zz")
    assert str(info.value) == "Sendcloud has no shipment zz"


async def test_label_document_pdf_and_zpl(router, sendcloud):
    route = router.get(f"{SENDCLOUD_URL}/parcels/383707309/documents/label").mock(
        side_effect=[httpx.Response(200, content=PDF), httpx.Response(200, content=b"^XA^FO50^XZ")]
    )
    assert await sendcloud.label_document("383707309") == PDF
    assert await sendcloud.label_document("383707309", fmt="zpl", paper_size="a4") == (
        b"^XA^FO50^XZ"
    )
    first, second = (c.request for c in route.calls)
    assert first.headers["Accept"] == "application/pdf"
    assert first.url.params["paper_size"] == "A6"
    assert first.url.params["dpi"] == "72"
    assert second.headers["Accept"] == "application/zpl"
    assert second.url.params["paper_size"] == "A4"
    assert second.url.params["dpi"] == "203"


async def test_parcel_document_customs_declaration(router, sendcloud):
    route = router.get(f"{SENDCLOUD_URL}/parcels/383707309/documents/customs-declaration").mock(
        return_value=httpx.Response(200, content=b"%PDF-1.7 CN23")
    )
    got = await sendcloud.parcel_document("383707309", "customs-declaration", paper_size="A4")
    assert got == b"%PDF-1.7 CN23"
    request = route.calls[0].request
    assert request.headers["Accept"] == "application/pdf"
    assert request.url.params["paper_size"] == "A4"


async def test_parcel_document_in_its_own_paper_size(router, sendcloud):
    route = router.get(f"{SENDCLOUD_URL}/parcels/7/documents/customs-declaration").mock(
        return_value=httpx.Response(200, content=b"%PDF-1.7 CN23")
    )
    await sendcloud.parcel_document("7", "customs-declaration", paper_size=None)
    assert "paper_size" not in route.calls[0].request.url.params


async def test_parcel_document_label_is_the_same_as_label_document(router, sendcloud):
    route = router.get(f"{SENDCLOUD_URL}/parcels/7/documents/label").mock(
        return_value=httpx.Response(200, content=b"^XA^XZ")
    )
    assert await sendcloud.parcel_document("7", "label", fmt="zpl") == b"^XA^XZ"
    assert route.calls[0].request.headers["Accept"] == "application/zpl"


@pytest.mark.parametrize(
    ("kind", "kw"),
    [
        ("customs-declaration", {"fmt": "zpl"}),  # customs forms are PDF only
        ("air-waybill", {}),
        ("label", {"fmt": "png"}),
        ("label", {"paper_size": "letter"}),
    ],
    ids=["customs-zpl", "unknown-type", "unknown-format", "unknown-paper"],
)
async def test_parcel_document_bad_request_is_refused_before_any_call(router, sendcloud, kind, kw):
    route = router.get(url__regex=r".*/documents/.*")
    with pytest.raises(UsageError):
        await sendcloud.parcel_document("7", kind, **kw)
    assert route.call_count == 0


async def test_parcel_without_customs_declaration(router, sendcloud):
    router.get(f"{SENDCLOUD_URL}/parcels/7/documents/customs-declaration").mock(
        return_value=httpx.Response(
            404, json={"errors": [{"status": "404", "detail": "Not found"}]}
        )
    )
    with pytest.raises(NotFound) as info:
        await sendcloud.parcel_document("7", "customs-declaration")
    assert str(info.value) == "Sendcloud has no customs declaration for parcel 7"


@pytest.mark.parametrize(
    ("kind", "fmt", "content"),
    [
        ("label", "pdf", b'{"data": "oops"}'),
        ("label", "zpl", PDF),
        ("customs-declaration", "pdf", b"<html>login</html>"),
    ],
)
async def test_parcel_document_that_is_not_the_format_asked(router, sendcloud, kind, fmt, content):
    router.get(f"{SENDCLOUD_URL}/parcels/1/documents/{kind}").mock(
        return_value=httpx.Response(200, content=content)
    )
    with pytest.raises(BadResponse) as info:
        await sendcloud.parcel_document("1", kind, fmt=fmt)
    assert str(info.value).endswith(f"for parcel 1 that is not {fmt.upper()}")


async def test_label_document_that_is_not_a_label(router, sendcloud):
    router.get(f"{SENDCLOUD_URL}/parcels/1/documents/label").mock(
        return_value=httpx.Response(200, json={"data": "oops"})
    )
    with pytest.raises(BadResponse):
        await sendcloud.label_document("1")


async def test_label_document_bad_paper_size(sendcloud):
    with pytest.raises(UsageError):
        await sendcloud.label_document("1", paper_size="letter")


@pytest.mark.parametrize(
    ("answer", "status", "message"),
    [
        (
            httpx.Response(
                200,
                json={"data": {"status": "cancelled", "message": "Shipment has been cancelled"}},
            ),
            "cancelled",
            "Shipment has been cancelled",
        ),
        (
            httpx.Response(
                202, json={"data": {"status": "queued", "message": "Cancellation requested"}}
            ),
            "queued",
            "Cancellation requested",
        ),
    ],
    ids=["cancelled", "queued"],
)
async def test_cancel(router, sendcloud, answer, status, message):
    route = router.post(f"{SHIPMENTS}/a7c2/cancel").mock(return_value=answer)
    read_back = router.get(f"{SHIPMENTS}/a7c2")
    result = await sendcloud.cancel("a7c2")
    assert (result.status, result.message) == (status, message)
    assert route.call_count == 1
    assert read_back.call_count == 0


def conflict(detail: str) -> httpx.Response:
    return httpx.Response(
        409, json={"errors": [{"status": "409", "code": "invalid", "detail": detail}]}
    )


@pytest.mark.parametrize(
    ("detail", "parcel_status", "status", "message"),
    [
        (
            "This shipment is already being cancelled.",
            "CANCELLED",
            "cancelled",
            "This shipment is already being cancelled.",
        ),
        (
            "This shipment is already being cancelled.",
            "CANCELLATION_REQUESTED",
            "queued",
            "This shipment is already being cancelled.",
        ),
        ("", "CANCELLED", "cancelled", "The shipment is already cancelled"),
        ("", "CANCELLATION_REQUESTED", "queued", "A cancellation is already under way"),
        (
            "Shipment already delivered",
            "DELIVERED",
            "refused",
            "Shipment already delivered",
        ),
        (
            "Cancellation is not possible after 42 days",
            "READY_TO_SEND",
            "refused",
            "Cancellation is not possible after 42 days",
        ),
    ],
    ids=[
        "already-cancelled",
        "being-cancelled",
        "cancelled-no-detail",
        "requested-no-detail",
        "delivered",
        "too-old",
    ],
)
async def test_cancel_409_reads_the_shipment_back(
    router, sendcloud, detail, parcel_status, status, message
):
    post = router.post(f"{SHIPMENTS}/a7c2/cancel").mock(
        return_value=conflict(detail) if detail else httpx.Response(409)
    )
    read_back = router.get(f"{SHIPMENTS}/a7c2").mock(
        return_value=httpx.Response(200, json={"data": shipment_doc(status=parcel_status)})
    )
    result = await sendcloud.cancel("a7c2")
    assert (result.status, result.message) == (status, message)
    assert post.call_count == 1  # never asked twice
    assert read_back.call_count == 1


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(404, json={"errors": [{"status": "404", "detail": "Not found"}]}),
        httpx.Response(500),
        httpx.ConnectError("down"),
        httpx.Response(200, json={"data": {"no": "id"}}),
    ],
    ids=["404", "500", "network", "unreadable"],
)
async def test_cancel_409_with_a_failed_read_back_is_refused(router, sendcloud, failure):
    router.post(f"{SHIPMENTS}/a7c2/cancel").mock(
        return_value=conflict("This shipment is already being cancelled.")
    )
    router.get(f"{SHIPMENTS}/a7c2").mock(side_effect=failure)
    result = await sendcloud.cancel("a7c2")
    assert result.status == "refused"
    assert result.message == "This shipment is already being cancelled."


async def test_cancel_409_without_detail_and_no_read_back(router, sendcloud):
    router.post(f"{SHIPMENTS}/a7c2/cancel").mock(return_value=httpx.Response(409))
    router.get(f"{SHIPMENTS}/a7c2").mock(return_value=httpx.Response(503))
    result = await sendcloud.cancel("a7c2")
    assert (result.status, result.message) == ("refused", "Sendcloud refused to cancel this label")


async def test_cancel_unknown_shipment(router, sendcloud):
    router.post(f"{SHIPMENTS}/zz/cancel").mock(return_value=httpx.Response(404))
    with pytest.raises(NotFound):
        await sendcloud.cancel("zz")


async def test_tracking_events_sorted_and_unknown_codes_kept(router, sendcloud):
    router.get(f"{SENDCLOUD_URL}/parcels/tracking/6A123").mock(
        return_value=httpx.Response(
            200,
            json={
                "tracking_numbers": ["6A123"],
                "events": [
                    {
                        "event_at": "2026-11-27T09:00:00Z",
                        "status_code": "held_at_customs",
                        "status_description": "Held at customs",
                    },
                    {
                        "event_at": "2026-11-27T06:10:00Z",
                        "status_code": "accepted",
                        "status_description": "Parcel has been accepted by the carrier.",
                    },
                    {"status_code": "broken"},  # no date: skipped
                ],
            },
        )
    )
    events = await sendcloud.tracking("6A123")
    assert [e.status_code for e in events] == ["accepted", "held_at_customs"]
    assert events[1].status_description == "Held at customs"


async def test_tracking_unknown_parcel(router, sendcloud):
    router.get(f"{SENDCLOUD_URL}/parcels/tracking/NOPE").mock(
        return_value=httpx.Response(404, json={"detail": "Parcel does not exist"})
    )
    with pytest.raises(NotFound) as info:
        await sendcloud.tracking("NOPE")
    assert str(info.value) == "Sendcloud has no parcel with tracking number NOPE"


# ---------------------------------------------------------------- pacing


async def test_bulk_labels_never_draw_a_429(router: respx.Router) -> None:
    """A server enforcing 15/s and 100/min on a sliding window sees no excess."""
    vt = VirtualTime()
    arrivals: list[float] = []
    refused = 0

    def server(request: httpx.Request) -> httpx.Response:
        nonlocal refused
        now = vt.now
        recent_s = sum(1 for t in arrivals if t > now - 1.0)
        recent_m = sum(1 for t in arrivals if t > now - 60.0)
        if recent_s >= 15 or recent_m >= 100:
            refused += 1
            return httpx.Response(429, headers={"Retry-After": "1"})
        arrivals.append(now)
        ref = json.loads(request.content)["external_reference_id"]
        return httpx.Response(201, json={"data": shipment_doc(sid=ref, label_file=None)})

    router.post(ANNOUNCE).mock(side_effect=server)
    client = SendcloudClient(
        api_url=SENDCLOUD_URL,
        public_key="p",
        secret_key="s",
        transport=httpx.MockTransport(router.async_handler),
        sleep=vt.sleep,
        clock=vt.clock,
    )

    async def bulk() -> list[str]:
        sem = asyncio.Semaphore(10)  # several labels in flight, like a bulk run

        async def one(i: int) -> str:
            async with sem:
                shipment = await client.announce({**PAYLOAD, "external_reference_id": f"r{i}"})
                return shipment.shipment_id

        return await asyncio.gather(*(one(i) for i in range(250)))

    async with client:
        ids = await vt.run(bulk())
    assert sorted(ids) == sorted(f"r{i}" for i in range(250))
    assert refused == 0
    assert max_in_window(arrivals, 60.0) <= 100
    assert max_in_window(arrivals, 1.0) <= 15
    # >= 90 % of the published limit: 250 writes in at most 2 min 50 s (100/min max)
    assert max(arrivals) <= 150.0 + 20.0


async def test_write_limits_are_configurable(router: respx.Router) -> None:
    vt = VirtualTime()
    arrivals: list[float] = []

    def server(request: httpx.Request) -> httpx.Response:
        arrivals.append(vt.now)
        return httpx.Response(200, json={"data": {"status": "cancelled"}})

    router.post(url__regex=rf"{SENDCLOUD_URL}/shipments/\d+/cancel").mock(side_effect=server)
    client = SendcloudClient(
        api_url=SENDCLOUD_URL,
        public_key="p",
        secret_key="s",
        writes_per_second=2,
        writes_per_minute=5,
        transport=httpx.MockTransport(router.async_handler),
        sleep=vt.sleep,
        clock=vt.clock,
    )

    async def run() -> None:
        for i in range(6):
            await client.cancel(str(i))

    async with client:
        await vt.run(run())
    assert max_in_window(arrivals, 1.0) <= 2
    assert max_in_window(arrivals, 60.0) <= 5
    assert arrivals[5] >= 60.0
