"""OctopiaClient against respx mocks: token, errors, paging, idempotent shipment push."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from datetime import UTC, datetime

import httpx
import pytest
from apifakes import AUTH_URL, CLIENT_SECRET, OCTOPIA_URL, SELLER, order_doc

from cdtui.errors import (
    BadCredentials,
    BadResponse,
    ConfigError,
    DelegationMissing,
    NotFound,
    Rejected,
    TimedOut,
    Unavailable,
    UsageError,
)
from cdtui.octopia import OctopiaClient, ShippedElsewhere
from cdtui.orders.enums import State
from cdtui.orders.states import order_state

ORDERS = f"{OCTOPIA_URL}/orders"


def problem(status: int, detail: str) -> httpx.Response:
    return httpx.Response(
        status,
        json={"type": "about:blank", "title": "Error", "status": status, "detail": detail},
        headers={"content-type": "application/problem+json"},
    )


def tokens(*access_tokens: str) -> list[httpx.Response]:
    """Successive token answers, each valid for two hours."""
    return [
        httpx.Response(200, json={"access_token": t, "expires_in": 7200}) for t in access_tokens
    ]


# ---------------------------------------------------------------- token


async def test_token_is_fetched_once_and_sent_with_seller_id(router, token_route, octopia):
    route = router.get(f"{OCTOPIA_URL}/carriers").mock(
        return_value=httpx.Response(200, json=[{"code": "pcc", "label": " Colissimo "}])
    )
    await octopia.carriers(SELLER)
    carriers = await octopia.carriers(SELLER)
    assert token_route.call_count == 1
    form = dict(x.split("=") for x in token_route.calls[0].request.content.decode().split("&"))
    assert form["grant_type"] == "client_credentials"
    assert form["client_id"] == "cdtui-aggregator"
    sent = route.calls[1].request
    assert sent.headers["Authorization"] == "Bearer tok-1"
    assert sent.headers["SellerId"] == SELLER
    assert carriers[0].key == "colissimo"


async def test_token_is_renewed_before_it_expires(router, token_route, octopia, clock):
    token_route.mock(side_effect=tokens("tok-1", "tok-2"))
    route = router.get(f"{OCTOPIA_URL}/carriers").mock(return_value=httpx.Response(200, json=[]))
    await octopia.carriers(SELLER)
    clock.now += 7200 - 61  # still valid: reused
    await octopia.carriers(SELLER)
    clock.now += 2  # inside the last minute: renewed before the API can refuse it
    await octopia.carriers(SELLER)
    assert token_route.call_count == 2
    assert [c.request.headers["Authorization"] for c in route.calls] == [
        "Bearer tok-1",
        "Bearer tok-1",
        "Bearer tok-2",
    ]


async def test_401_renews_the_token_once_and_retries(router, token_route, octopia):
    token_route.mock(side_effect=tokens("tok-old", "tok-new"))
    route = router.get(f"{OCTOPIA_URL}/sellers").mock(
        side_effect=[
            httpx.Response(401),
            httpx.Response(200, json={"sellerId": 98979, "login": "demo-shop"}),
        ]
    )
    profile = await octopia.seller(SELLER)
    assert profile.seller_id == SELLER and profile.login == "demo-shop"
    assert route.call_count == 2
    assert route.calls[1].request.headers["Authorization"] == "Bearer tok-new"
    assert octopia.tokens_issued == 2


async def test_401_after_renewal_means_delegation_missing(router, token_route, octopia):
    route = router.get(f"{OCTOPIA_URL}/sellers").mock(return_value=httpx.Response(401))
    with pytest.raises(DelegationMissing) as info:
        await octopia.seller("55555")
    assert str(info.value) == "Seller 55555 has not granted cdtui access (delegation missing)"
    assert route.call_count == 2
    assert token_route.call_count == 2


async def test_403_means_delegation_missing(router, token_route, octopia):
    router.get(f"{OCTOPIA_URL}/sellers").mock(return_value=problem(403, "Forbidden"))
    with pytest.raises(DelegationMissing):
        await octopia.seller("55555")
    assert token_route.call_count == 1


@pytest.mark.parametrize("status", [400, 401])
async def test_token_refused_is_bad_credentials(router, octopia, status):
    router.post(AUTH_URL).mock(
        return_value=httpx.Response(
            status, json={"error": "invalid_client", "error_description": "Invalid secret"}
        )
    )
    with pytest.raises(BadCredentials) as info:
        await octopia.check_credentials()
    assert str(info.value) == "Octopia refused the aggregator client id / secret"
    assert CLIENT_SECRET not in repr(info.value)
    assert CLIENT_SECRET not in repr(octopia)


async def test_missing_credentials_are_a_config_error(router):
    client = OctopiaClient(
        auth_url=AUTH_URL,
        api_url=OCTOPIA_URL,
        client_id="x",
        client_secret="",
        transport=httpx.MockTransport(router.async_handler),
    )
    async with client:
        with pytest.raises(ConfigError):
            await client.check_credentials()


async def test_token_answer_without_token_is_bad_response(router, octopia):
    router.post(AUTH_URL).mock(return_value=httpx.Response(200, json={"expires_in": 10}))
    with pytest.raises(BadResponse):
        await octopia.check_credentials()


async def test_concurrent_calls_share_one_token_request(router, token_route, octopia):
    router.get(f"{OCTOPIA_URL}/carriers").mock(return_value=httpx.Response(200, json=[]))
    await asyncio.gather(*(octopia.carriers(SELLER) for _ in range(10)))
    assert token_route.call_count == 1


async def test_concurrent_401s_renew_the_token_once(router, token_route, octopia):
    token_route.mock(side_effect=tokens("tok-old", "tok-new"))

    def answer(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer tok-old":
            return httpx.Response(401)
        return httpx.Response(200, json=[])

    router.get(f"{OCTOPIA_URL}/carriers").mock(side_effect=answer)
    await asyncio.gather(*(octopia.carriers(SELLER) for _ in range(5)))
    assert token_route.call_count == 2


async def test_secrets_never_reach_the_logs(router, token_route, octopia, caplog):
    caplog.set_level(logging.DEBUG)
    router.get(f"{OCTOPIA_URL}/carriers").mock(return_value=httpx.Response(200, json=[]))
    await octopia.carriers(SELLER)
    assert "/seller/v2/carriers" in caplog.text
    assert CLIENT_SECRET not in caplog.text
    assert "tok-1" not in caplog.text


async def test_a_bad_seller_id_is_refused_before_any_call(router, token_route, octopia):
    with pytest.raises(UsageError):
        await octopia.seller("12a\r\nX-Evil: 1")
    assert token_route.call_count == 0


# ---------------------------------------------------------------- reads


async def test_subscriptions_as_array_or_items(router, token_route, octopia):
    subs = [
        {
            "subscriptionId": 1,
            "salesChannelId": "CDISFR",
            "salesChannelName": "Cdiscount",
            "status": "Active",
        },
        {"subscriptionId": 2, "salesChannelId": "RAKUFR", "status": "Inactive"},
        {"status": "Active"},  # no channel id: skipped, not a crash
    ]
    route = router.get(f"{OCTOPIA_URL}/sellers/subscriptions").mock(
        side_effect=[httpx.Response(200, json=subs), httpx.Response(200, json={"items": subs})]
    )
    for _ in range(2):
        got = await octopia.subscriptions(SELLER)
        assert [(s.sales_channel_id, s.active) for s in got] == [
            ("CDISFR", True),
            ("RAKUFR", False),
        ]
    assert route.call_count == 2


async def test_subscriptions_in_an_unknown_shape(router, token_route, octopia):
    router.get(f"{OCTOPIA_URL}/sellers/subscriptions").mock(
        return_value=httpx.Response(200, json={"subs": []})
    )
    with pytest.raises(BadResponse):
        await octopia.subscriptions(SELLER)


CARRIERS = [
    {"code": "pcc", "label": "Colissimo", "additionalParametersRequired": ["trackingUrl"]},
    {"code": "pcc", "label": " Chronopost ", "additionalParametersRequired": True},
    {"code": "dhldp", "label": "DHL", "additionalParametersRequired": []},
    {"code": "default", "label": "autre"},
    {"label": "no code"},  # unreadable: skipped
]


@pytest.mark.parametrize("body", [CARRIERS, {"items": CARRIERS}], ids=["bare-array", "items"])
async def test_carriers_say_which_need_a_tracking_url(router, token_route, octopia, body):
    router.get(f"{OCTOPIA_URL}/carriers").mock(return_value=httpx.Response(200, json=body))
    carriers = await octopia.carriers(SELLER)
    assert [(c.key, c.additional_parameters_required) for c in carriers] == [
        ("colissimo", ["trackingUrl"]),
        ("chronopost", ["trackingUrl"]),
        ("dhl", []),
        ("autre", []),
    ]


async def test_carriers_items_null_is_no_carrier(router, token_route, octopia):
    router.get(f"{OCTOPIA_URL}/carriers").mock(
        return_value=httpx.Response(200, json={"items": None})
    )
    assert await octopia.carriers(SELLER) == []


async def test_one_order(router, token_route, octopia):
    router.get(f"{ORDERS}/A%2FB").mock(return_value=httpx.Response(200, json=order_doc("A/B")))
    order = await octopia.order(SELLER, "A/B")
    assert order.order_id == "A/B"
    assert order_state(order) == State.TO_SHIP


async def test_unknown_order_is_not_found(router, token_route, octopia):
    router.get(f"{ORDERS}/NOPE").mock(return_value=problem(404, "Order not found"))
    with pytest.raises(NotFound) as info:
        await octopia.order(SELLER, "NOPE")
    assert str(info.value) == f"Octopia has no order NOPE for seller {SELLER}"
    assert info.value.detail == "Order not found"


@pytest.mark.parametrize("body", [b"{not json", b'{"orderId": "X"}', b"[]", b'"text"'], ids=str)
async def test_unreadable_order_is_bad_response(router, token_route, octopia, body):
    router.get(f"{ORDERS}/X").mock(return_value=httpx.Response(200, content=body))
    with pytest.raises(BadResponse):
        await octopia.order(SELLER, "X")


async def test_count_orders_with_filters(router, token_route, octopia):
    route = router.get(f"{ORDERS}/count").mock(return_value=httpx.Response(200, json=42))
    n = await octopia.count_orders(
        SELLER,
        status="InPreparation",
        sales_channel_id="CDISFR",
        updated_at_min=datetime(2026, 11, 26, 8, 0),  # naive: taken as UTC
        updated_at_max=datetime(2026, 11, 26, 10, 30, tzinfo=UTC),
    )
    assert n == 42
    params = route.calls[0].request.url.params
    assert params["status"] == "InPreparation"
    assert params["salesChannelId"] == "CDISFR"
    assert params["updatedAtMin"] == "2026-11-26T08:00:00Z"
    assert params["updatedAtMax"] == "2026-11-26T10:30:00Z"


@pytest.mark.parametrize("body", [b'"many"', b"-1", b"{}", b"null"], ids=str)
async def test_count_that_is_not_a_number(router, token_route, octopia, body):
    router.get(f"{ORDERS}/count").mock(return_value=httpx.Response(200, content=body))
    with pytest.raises(BadResponse):
        await octopia.count_orders(SELLER)


async def test_reads_survive_a_5xx(router, token_route, octopia, sleeps):
    route = router.get(f"{OCTOPIA_URL}/carriers").mock(
        side_effect=[problem(503, "busy"), httpx.Response(200, json=[])]
    )
    assert await octopia.carriers(SELLER) == []
    assert route.call_count == 2
    assert len(sleeps.delays) == 1


async def test_network_down_is_unavailable(router, token_route, octopia):
    router.get(f"{OCTOPIA_URL}/carriers").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(Unavailable) as info:
        await octopia.carriers(SELLER)
    assert str(info.value).startswith("Octopia cannot be reached")


# ---------------------------------------------------------------- paging


def paged(total: int, page_size: int = 100):
    """A respx side effect serving `total` orders the way Octopia pages them."""

    def answer(request: httpx.Request) -> httpx.Response:
        index = int(request.url.params["pageIndex"])
        size = int(request.url.params["pageSize"])
        assert size == page_size
        start = (index - 1) * size
        items = [order_doc(f"O{i:05d}") for i in range(start, min(total, start + size))]
        return httpx.Response(200, json={"itemsPerPage": size, "items": items})

    return answer


@pytest.mark.parametrize(
    ("total", "calls"),
    [(0, 1), (1, 1), (99, 1), (100, 2), (101, 2), (200, 3), (250, 3)],
)
async def test_iter_orders_gets_every_order_once(router, token_route, octopia, total, calls):
    route = router.get(ORDERS).mock(side_effect=paged(total))
    count = router.get(f"{ORDERS}/count").mock(return_value=httpx.Response(200, json=total))
    ids = [o.order_id async for o in octopia.iter_orders(SELLER, status="InPreparation")]
    assert ids == [f"O{i:05d}" for i in range(total)]
    assert route.call_count == calls
    assert [c.request.url.params["pageIndex"] for c in route.calls] == [
        str(i) for i in range(1, calls + 1)
    ]
    assert all(c.request.url.params["status"] == "InPreparation" for c in route.calls)
    # the count (same filters) only when the first page is full
    assert count.call_count == (1 if total >= 100 else 0)
    assert all(c.request.url.params["status"] == "InPreparation" for c in count.calls)


async def test_small_page_size(router, token_route, octopia):
    router.get(ORDERS).mock(side_effect=paged(7, page_size=3))
    router.get(f"{ORDERS}/count").mock(return_value=httpx.Response(200, json=7))
    pages = [p async for p in octopia.order_pages(SELLER, page_size=3)]
    assert [p.raw_count for p in pages] == [3, 3, 1]


async def test_page_size_above_100_is_refused(octopia):
    with pytest.raises(ValueError):
        async for _ in octopia.order_pages(SELLER, page_size=101):
            pass


async def test_unreadable_items_are_skipped_and_reported(router, token_route, octopia):
    broken_status = order_doc("BAD")
    del broken_status["status"]
    items = [
        order_doc("OK1"),
        {"reference": "no id"},
        "not an object",
        broken_status,
        order_doc("OK2"),
    ]
    router.get(ORDERS).mock(return_value=httpx.Response(200, json={"items": items}))
    pages = [p async for p in octopia.order_pages(SELLER)]
    assert len(pages) == 1
    page = pages[0]
    assert [o.order_id for o in page.orders] == ["OK1", "OK2"]
    assert page.raw_count == 5
    assert [oid for oid, _ in page.invalid] == [None, None, "BAD"]
    assert "status" in page.invalid[2][1]


@pytest.mark.parametrize(
    "body",
    [b"<html>oops</html>", b'{"items": {"a": 1}}', b'{"itemsPerPage": 100}', b"42"],
    ids=["html", "items-not-list", "no-items", "number"],
)
async def test_a_broken_page_raises(router, token_route, octopia, body):
    router.get(ORDERS).mock(return_value=httpx.Response(200, content=body))
    with pytest.raises(BadResponse):
        _ = [o async for o in octopia.iter_orders(SELLER)]


async def test_a_server_ignoring_page_index_does_not_loop_forever(router, token_route, octopia):
    items = [order_doc(f"O{i}") for i in range(100)]
    route = router.get(ORDERS).mock(return_value=httpx.Response(200, json={"items": items}))
    router.get(f"{ORDERS}/count").mock(return_value=httpx.Response(200, json=100))
    with pytest.raises(BadResponse):
        _ = [o async for o in octopia.iter_orders(SELLER)]
    assert route.call_count == 2


# ---------------------------------------------------------------- shipment push


PUSH = {
    "parcel_number": "6A123",
    "carrier_name": "Colissimo",
    "tracking_url": "https://t.example/6A123",
    "line_ids": ["1"],
}


async def test_push_posts_one_parcel(router, token_route, octopia):
    router.get(f"{ORDERS}/O1").mock(return_value=httpx.Response(200, json=order_doc("O1")))
    post = router.post(f"{ORDERS}/O1/shipments").mock(return_value=httpx.Response(201))
    assert await octopia.push_shipment(SELLER, "O1", **PUSH) == "sent"
    assert post.call_count == 1
    assert json.loads(post.calls[0].request.content) == [
        {
            "parcelNumber": "6A123",
            "carrierName": "Colissimo",
            "trackingUrl": "https://t.example/6A123",
            "orderLineIds": ["1"],
        }
    ]
    assert post.calls[0].request.headers["SellerId"] == SELLER


OURS = {"parcelNumber": "6A123", "carrierName": "Colissimo"}
THEIRS = {"parcelNumber": "9Z999", "carrierName": "Chronopost"}


@pytest.mark.parametrize(
    "doc",
    [
        order_doc("O1", parcels=[OURS]),
        order_doc("O1", status="Shipped", parcels=[OURS]),
        order_doc("O1", status="Delivered", parcels=[OURS]),
    ],
    ids=["in-preparation", "shipped", "delivered"],
)
async def test_push_never_posts_twice(router, token_route, octopia, doc):
    router.get(f"{ORDERS}/O1").mock(return_value=httpx.Response(200, json=doc))
    post = router.post(f"{ORDERS}/O1/shipments").mock(return_value=httpx.Response(201))
    assert await octopia.push_shipment(SELLER, "O1", **PUSH) == "already_done"
    assert post.call_count == 0


@pytest.mark.parametrize(
    ("doc", "message", "shown"),
    [
        (
            order_doc("O1", status="Shipped", parcels=[THEIRS]),
            "The marketplace shows parcel 9Z999, not ours (6A123)",
            ["9Z999"],
        ),
        (
            order_doc("O1", status="Delivered", parcels=[THEIRS, {"parcelNumber": "8B888"}]),
            "The marketplace shows parcels 8B888, 9Z999, not ours (6A123)",
            ["8B888", "9Z999"],
        ),
        (
            order_doc("O1", status="Shipped"),
            "The marketplace shows the order shipped without our parcel 6A123",
            [],
        ),
        (
            order_doc("O1", status="Delivered"),
            "The marketplace shows the order shipped without our parcel 6A123",
            [],
        ),
    ],
    ids=["shipped-other", "delivered-others", "shipped-none", "delivered-none"],
)
async def test_push_to_an_order_shipped_elsewhere_is_refused(
    router, token_route, octopia, doc, message, shown
):
    router.get(f"{ORDERS}/O1").mock(return_value=httpx.Response(200, json=doc))
    post = router.post(f"{ORDERS}/O1/shipments").mock(return_value=httpx.Response(201))
    with pytest.raises(ShippedElsewhere) as info:
        await octopia.push_shipment(SELLER, "O1", **PUSH)
    assert isinstance(info.value, Rejected)
    assert str(info.value) == message
    assert info.value.detail == message
    assert info.value.api == "Octopia"
    assert (info.value.parcel_number, info.value.marketplace_parcels) == ("6A123", shown)
    assert post.call_count == 0


async def test_push_to_an_order_in_preparation_with_another_parcel_is_posted(
    router, token_route, octopia
):
    """Only Shipped/Delivered settle it: Octopia itself judges a second parcel."""
    router.get(f"{ORDERS}/O1").mock(
        return_value=httpx.Response(200, json=order_doc("O1", parcels=[THEIRS]))
    )
    post = router.post(f"{ORDERS}/O1/shipments").mock(return_value=httpx.Response(201))
    assert await octopia.push_shipment(SELLER, "O1", **PUSH) == "sent"
    assert post.call_count == 1


@pytest.mark.parametrize("status", ["InPreparation", "Shipped"])
async def test_push_timeout_then_parcel_found_is_done(router, token_route, octopia, status):
    router.get(f"{ORDERS}/O1").mock(
        side_effect=[
            httpx.Response(200, json=order_doc("O1")),
            httpx.Response(200, json=order_doc("O1", status=status, parcels=[OURS])),
        ]
    )
    post = router.post(f"{ORDERS}/O1/shipments").mock(side_effect=httpx.ReadTimeout("slow"))
    assert await octopia.push_shipment(SELLER, "O1", **PUSH) == "already_done"
    assert post.call_count == 1


@pytest.mark.parametrize(
    ("parcels", "message"),
    [
        ([THEIRS], "The marketplace shows parcel 9Z999, not ours (6A123)"),
        ([], "The marketplace shows the order shipped without our parcel 6A123"),
    ],
    ids=["other-parcel", "no-parcel"],
)
async def test_push_timeout_then_shipped_elsewhere(router, token_route, octopia, parcels, message):
    """The re-read follows the same rule: Shipped without our parcel is not done."""
    router.get(f"{ORDERS}/O1").mock(
        side_effect=[
            httpx.Response(200, json=order_doc("O1")),
            httpx.Response(200, json=order_doc("O1", status="Shipped", parcels=parcels)),
        ]
    )
    post = router.post(f"{ORDERS}/O1/shipments").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(ShippedElsewhere) as info:
        await octopia.push_shipment(SELLER, "O1", **PUSH)
    assert str(info.value) == message
    assert post.call_count == 1


@pytest.mark.parametrize(
    ("failure", "error"),
    [(httpx.ReadTimeout("slow"), TimedOut), (httpx.Response(502), Unavailable)],
    ids=["timeout", "502"],
)
async def test_push_unknown_outcome_not_applied_is_raised(
    router, token_route, octopia, failure, error
):
    get = router.get(f"{ORDERS}/O1").mock(return_value=httpx.Response(200, json=order_doc("O1")))
    post = router.post(f"{ORDERS}/O1/shipments").mock(side_effect=[failure])
    with pytest.raises(error):
        await octopia.push_shipment(SELLER, "O1", **PUSH)
    assert post.call_count == 1  # never blindly re-posted
    assert get.call_count == 2  # re-read after the failure


async def test_push_refused_carries_octopia_detail(router, token_route, octopia):
    router.get(f"{ORDERS}/O1").mock(return_value=httpx.Response(200, json=order_doc("O1")))
    router.post(f"{ORDERS}/O1/shipments").mock(
        return_value=problem(400, "Order line 1 is not in InPreparation status")
    )
    with pytest.raises(Rejected) as info:
        await octopia.push_shipment(SELLER, "O1", **PUSH)
    assert info.value.detail == "Order line 1 is not in InPreparation status"


async def test_push_needs_a_parcel_number(octopia):
    with pytest.raises(UsageError):
        await octopia.push_shipment(SELLER, "O1", **{**PUSH, "parcel_number": " "})


@pytest.mark.parametrize(
    "url",
    [None, "", "  ", "javascript:alert(1)", "ftp://t.example/6A123", "http://", "/relative/6A123"],
    ids=["none", "empty", "blank", "javascript", "ftp", "no-host", "relative"],
)
async def test_push_requiring_a_tracking_url_refuses_before_any_call(
    router, token_route, octopia, url
):
    get = router.get(f"{ORDERS}/O1")
    post = router.post(f"{ORDERS}/O1/shipments")
    with pytest.raises(UsageError) as info:
        await octopia.push_shipment(
            SELLER, "O1", **{**PUSH, "tracking_url": url}, require_tracking_url=True
        )
    assert str(info.value).startswith("Carrier Colissimo needs a tracking URL")
    assert "6A123" in str(info.value)
    assert (token_route.call_count, get.call_count, post.call_count) == (0, 0, 0)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:fetch('https://evil.example')",
        "data:text/html,<b>x</b>",
        "ftp://t.example/6A123",
        "https://",
        "https://t.example/a b",
        "",
        None,
    ],
    ids=["javascript", "javascript-case", "data", "ftp", "no-host", "space", "empty", "none"],
)
async def test_push_never_posts_a_tracking_url_that_is_not_http(router, token_route, octopia, url):
    router.get(f"{ORDERS}/O1").mock(return_value=httpx.Response(200, json=order_doc("O1")))
    post = router.post(f"{ORDERS}/O1/shipments").mock(return_value=httpx.Response(201))
    assert await octopia.push_shipment(SELLER, "O1", **{**PUSH, "tracking_url": url}) == "sent"
    assert json.loads(post.calls[0].request.content) == [
        {"parcelNumber": "6A123", "carrierName": "Colissimo", "orderLineIds": ["1"]}
    ]


@pytest.mark.parametrize(
    ("url", "sent"),
    [
        ("https://t.example/6A123", "https://t.example/6A123"),
        ("HTTP://t.example/6A123?x=1", "HTTP://t.example/6A123?x=1"),
        ("  https://t.example/6A123 ", "https://t.example/6A123"),
    ],
)
async def test_push_with_a_required_http_tracking_url(router, token_route, octopia, url, sent):
    router.get(f"{ORDERS}/O1").mock(return_value=httpx.Response(200, json=order_doc("O1")))
    post = router.post(f"{ORDERS}/O1/shipments").mock(return_value=httpx.Response(201))
    result = await octopia.push_shipment(
        SELLER, "O1", **{**PUSH, "tracking_url": url}, require_tracking_url=True
    )
    assert result == "sent"
    assert json.loads(post.calls[0].request.content)[0]["trackingUrl"] == sent


# ---------------------------------------------------------------- approval


@pytest.mark.parametrize(("accepted", "value"), [(True, "Accepted"), (False, "Refused")])
async def test_approval_body(router, token_route, octopia, accepted, value):
    post = router.post(f"{ORDERS}/O1/approval-status").mock(return_value=httpx.Response(200))
    await octopia.set_approval(SELLER, "O1", accepted)
    assert json.loads(post.calls[0].request.content) == {"approval_status": value}


async def test_approval_timeout_checked_against_the_order(router, token_route, octopia):
    router.post(f"{ORDERS}/O1/approval-status").mock(side_effect=httpx.ReadTimeout("slow"))
    router.get(f"{ORDERS}/O1").mock(
        return_value=httpx.Response(200, json=order_doc("O1", status="Accepted"))
    )
    await octopia.set_approval(SELLER, "O1", True)  # it went through
    with pytest.raises(TimedOut):
        await octopia.set_approval(SELLER, "O1", False)  # the order says otherwise


def test_client_repr_hides_the_secret() -> None:
    client = OctopiaClient(
        auth_url=AUTH_URL, api_url=OCTOPIA_URL, client_id="agg", client_secret=CLIENT_SECRET
    )
    assert CLIENT_SECRET not in repr(client)


async def test_crash_report_with_locals_shows_no_secret(clock):
    """Textual prints tracebacks with local variables: keys and tokens must not show."""
    from rich.console import Console
    from rich.traceback import Traceback

    token = "-".join(["tok", "crash", "7e1"])  # not spelled out in the source shown
    token_answer = httpx.Response(200, json={"access_token": token, "expires_in": 7200})

    async def server(request: httpx.Request) -> httpx.Response:
        if str(request.url) == AUTH_URL:
            return token_answer
        raise RuntimeError("unexpected")  # a bug somewhere below the client

    client = OctopiaClient(
        auth_url=AUTH_URL,
        api_url=OCTOPIA_URL,
        client_id="cdtui-aggregator",
        client_secret=CLIENT_SECRET,
        transport=httpx.MockTransport(server),
        clock=clock,
    )
    async with client:
        with pytest.raises(RuntimeError) as info:
            await client.carriers(SELLER)
    console = Console(record=True, width=200, file=io.StringIO())
    console.print(
        Traceback.from_exception(  # from the client's frames down (not this test's)
            info.type, info.value, info.tb.tb_next, show_locals=True, locals_max_length=5
        )
    )
    text = console.export_text()
    assert "_call" in text and "'***'" in text  # the client's frames and their locals
    assert token not in text
    assert CLIENT_SECRET not in text
