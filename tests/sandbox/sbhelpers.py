"""Small helpers for the sandbox's own tests: authenticated clients and payloads."""

from __future__ import annotations

import re
from typing import Any

import httpx

from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer


def token(
    server: SandboxServer,
    client_id: str = data.AGGREGATOR_CLIENT_ID,
    secret: str = data.AGGREGATOR_CLIENT_SECRET,
) -> httpx.Response:
    return httpx.post(
        server.auth_url,
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )


def octopia(server: SandboxServer, seller_id: str | None = data.SELLER_ID) -> httpx.Client:
    """An Octopia client with a fresh aggregator token and the SellerId header."""
    resp = token(server)
    resp.raise_for_status()
    headers = {"Authorization": f"Bearer {resp.json()['access_token']}"}
    if seller_id is not None:
        headers["SellerId"] = seller_id
    return httpx.Client(base_url=server.octopia_url, headers=headers, timeout=10)


def sendcloud(server: SandboxServer, timeout: float = 10) -> httpx.Client:
    return httpx.Client(
        base_url=server.sendcloud_url,
        auth=(data.SENDCLOUD_PUBLIC_KEY, data.SENDCLOUD_SECRET_KEY),
        timeout=timeout,
    )


def all_pages(client: httpx.Client, page_size: int = 100, **filters: Any) -> list[list[dict]]:
    """Every page of GET /orders, stopping at the first short page."""
    pages = []
    index = 1
    while True:
        resp = client.get("/orders", params={**filters, "pageSize": page_size, "pageIndex": index})
        assert resp.status_code == 200, resp.text
        items = resp.json()["items"]
        pages.append(items)
        if len(items) < page_size:
            return pages
        index += 1


def to_address(**changes: Any) -> dict[str, Any]:
    address = {
        "name": "Camille Durand",
        "company_name": None,
        "address_line_1": "12 rue de la Paix",
        "address_line_2": "Bât B",
        "house_number": "12",
        "postal_code": "75002",
        "city": "Paris",
        "country_code": "FR",
        "phone_number": "+33612345678",
        "email": "x@example.com",
    }
    address.update(changes)
    return address


def announce_payload(
    ref: str | None = "cdtui-98979-ORDER1",
    option: str = "colissimo:home/signature",
    weight: str = "1.250",
    mime: str = "application/pdf",
    **address: Any,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "to_address": to_address(**address),
        "from_address": {"sender_address_id": data.SENDER_ADDRESS_ID},
        "ship_with": {
            "type": "shipping_option_code",
            "properties": {"shipping_option_code": option},
        },
        "order_number": "2511261130ABCD",
        "total_order_price": {"value": "34.80", "currency": "EUR"},
        "parcels": [
            {
                "weight": {"value": weight, "unit": "kg"},
                "parcel_items": [
                    {
                        "description": "Casque audio",
                        "quantity": 1,
                        "sku": "SKU-123",
                        "price": {"value": "29.90", "currency": "EUR"},
                    }
                ],
            }
        ],
        "label_details": {"mime_type": mime, "dpi": 72},
    }
    if ref is not None:
        payload["external_reference_id"] = ref
    return payload


def check_pdf(body: bytes) -> list[tuple[int, int]]:
    """Assert ``body`` is a well-formed PDF; return the MediaBox of each page."""
    assert body.startswith(b"%PDF-1.")
    assert body.rstrip().endswith(b"%%EOF")
    startxref = int(body[body.rindex(b"startxref") + 9 :].split()[0])
    assert body[startxref:].startswith(b"xref")
    lines = body[startxref:].split(b"\n")
    first, count = (int(x) for x in lines[1].split())
    assert first == 0
    entries = lines[2 : 2 + count]
    assert entries[0].startswith(b"0000000000 65535 f")
    for n, entry in enumerate(entries[1:], start=1):
        offset = int(entry[:10])
        assert body[offset:].startswith(b"%d 0 obj" % n), (n, offset)
    for m in re.finditer(rb"stream\n(.*?)endstream", body, re.S):
        length = int(re.findall(rb"/Length (\d+)", body[: m.start()])[-1])
        assert len(m.group(1)) == length
    return [(int(w), int(h)) for w, h in re.findall(rb"/MediaBox \[0 0 (\d+) (\d+)\]", body)]


def customs_item(**changes: Any) -> dict[str, Any]:
    """A parcel item complete enough for a customs declaration."""
    item: dict[str, Any] = {
        "description": "Casque audio sans fil",
        "quantity": 1,
        "weight": {"value": 0.45, "unit": "kg"},
        "price": {"value": "79.90", "currency": "GBP"},
        "hs_code": "851830",
        "origin_country": "CN",
        "sku": "SKU-CASQ-01",
    }
    item.update(changes)
    return item


def customs_payload(
    ref: str | None = "cdtui-98979-GB1",
    option: str = "dpd:classic",
    items: list[dict[str, Any]] | None = None,
    customs: dict[str, Any] | None = None,
    **address: Any,
) -> dict[str, Any]:
    """An announce body to Britain (outside the EU) with its customs information."""
    fields: dict[str, Any] = {
        "name": "Oliver Smith",
        "address_line_1": "221 Baker Street",
        "address_line_2": None,
        "house_number": "221",
        "postal_code": "NW1 6XE",
        "city": "London",
        "country_code": "GB",
        "phone_number": "+447700900123",
    }
    fields.update(address)
    payload = announce_payload(ref=ref, option=option, **fields)
    payload["total_order_price"] = {"value": "79.90", "currency": "GBP"}
    payload["parcels"][0]["parcel_items"] = [customs_item()] if items is None else items
    payload["customs_information"] = (
        {
            "invoice_number": "INV-2511261130",
            "export_reason": "commercial_goods",
            "export_type": "private",
            "invoice_date": "2026-11-26",
        }
        if customs is None
        else customs
    )
    return payload


def errors_by_pointer(resp: httpx.Response) -> dict[str, dict[str, Any]]:
    """A Sendcloud 400's errors keyed by their JSON pointer."""
    return {e.get("source", {}).get("pointer"): e for e in resp.json()["errors"]}
