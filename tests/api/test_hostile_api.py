"""API data is untrusted: sizes are capped, ids too long are refused, only http(s)
tracking URLs are kept, and a secret an API echoes never reaches a message."""

from __future__ import annotations

import httpx
from apifakes import OCTOPIA_URL, SELLER, order_doc

from cdtui.errors import CdtuiError, Rejected
from cdtui.models import LabelInfo, Order, Shipment, TrackingPush
from cdtui.octopia import FIELD_MAX, ID_MAX
from cdtui.text import add_secrets

ORDERS = f"{OCTOPIA_URL}/orders"


async def test_a_huge_field_is_cut_and_flagged_not_stored_whole(router, token_route, octopia):
    huge = order_doc("BIG")
    huge["lines"][0]["offer"]["productTitle"] = "x" * 10_000_000  # 10 MB from the API
    normal = order_doc("OK")
    router.get(ORDERS).mock(return_value=httpx.Response(200, json={"items": [huge, normal]}))
    [page] = [p async for p in octopia.order_pages(SELLER, page_size=100)]
    big, ok = page.orders
    assert len(big.lines[0].offer.product_title or "") == FIELD_MAX
    assert big.truncated_fields == ["lines.0.offer.productTitle"]
    assert ok.truncated_fields == [] and ok == Order.model_validate(normal)
    assert len(big.model_dump_json()) < 20_000


async def test_an_order_id_too_long_is_refused_not_cut(router, token_route, octopia):
    bad = order_doc("A" * (ID_MAX + 1))
    router.get(ORDERS).mock(
        return_value=httpx.Response(200, json={"items": [bad, order_doc("OK")]})
    )
    [page] = [p async for p in octopia.order_pages(SELLER, page_size=100)]
    assert [o.order_id for o in page.orders] == ["OK"]
    assert page.invalid and "longer than" in page.invalid[0][1]


def test_only_http_tracking_urls_are_kept() -> None:
    for bad in (
        "javascript:alert(1)",
        "file:///etc/passwd",
        "data:text/html,x",
        "//x",
        "ftp://h/x",
    ):
        assert Shipment(shipment_id="1", tracking_url=bad).tracking_url is None
        assert LabelInfo(external_reference_id="r", tracking_url=bad).tracking_url is None
        push = TrackingPush(carrier_name="C", parcel_number="1", tracking_url=bad)
        assert push.tracking_url is None
    good = "https://tracking.example/forward?code=1"
    assert Shipment(shipment_id="1", tracking_url=good).tracking_url == good


def test_a_secret_echoed_by_an_api_never_reaches_a_message() -> None:
    add_secrets(["s3cr3t-value-xyz"])
    err = Rejected(
        "Octopia refused: client_secret s3cr3t-value-xyz was wrong\x1b]52;c;AAAA\x07",
        api="Octopia",
        detail="the secret s3cr3t-value-xyz is wrong",
    )
    assert "s3cr3t-value-xyz" not in err.message and "s3cr3t-value-xyz" not in (err.detail or "")
    assert "\x1b" not in err.message and "\\x1b" in err.message
    assert "[redacted]" in str(CdtuiError("token s3cr3t-value-xyz"))
