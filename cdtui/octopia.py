"""Async client for the Octopia Seller API v2 (Cdiscount REST).

One aggregator token (client credentials) serves every seller that delegated to it;
each call names its seller with the ``SellerId`` header. Shapes that the public
documentation leaves **unconfirmed** are read in ``octopia_shapes.py`` and nowhere else.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable
from contextlib import aclosing
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote

import httpx

from cdtui.errors import (
    BadCredentials,
    BadResponse,
    CdtuiError,
    ConfigError,
    DelegationMissing,
    NotFound,
    Rejected,
    TimedOut,
    Unavailable,
    UsageError,
)
from cdtui.http import (
    RateGate,
    RetryPolicy,
    Secret,
    Sleep,
    http_timeout,
    json_of,
    raise_for_api,
    request,
)
from cdtui.models import Carrier, Order, SellerProfile, Subscription, iso
from cdtui.octopia_shapes import (
    BIG_ANSWER_BYTES,
    FIELD_MAX,
    ID_MAX,
    OrderPage,
    cap_strings,
    parse_count,
    parse_list,
    parse_order,
    parse_page,
    parse_profile,
    safe_tracking_url,
)
from cdtui.orders.enums import OrderStatus
from cdtui.text import add_secrets

API = "Octopia"
log = logging.getLogger("cdtui.octopia")

#: renew the token this long before Octopia says it expires
TOKEN_MARGIN = 60.0
MAX_PAGE_SIZE = 100
#: pages of one query kept in flight while the caller works on the current one
PAGE_CONCURRENCY = 4


class ShippedElsewhere(Rejected):
    """The marketplace shows the order shipped (or delivered) with another parcel than
    ours, or with none: our tracking was not posted and will not be. An operator must
    look (the order was shipped outside cdtui, or with another label)."""

    def __init__(
        self,
        message: str,
        *,
        parcel_number: str = "",
        marketplace_parcels: Iterable[str] = (),
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        #: our parcel number (the one we meant to push)
        self.parcel_number = parcel_number
        #: the parcel numbers the marketplace shows instead (may be empty)
        self.marketplace_parcels = sorted(marketplace_parcels)


# ---------------------------------------------------------------- client


def _utc(dt: datetime) -> str:
    """Filter timestamps: naive datetimes are taken as UTC."""
    return iso(dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC))


def _order_filters(
    status: str | None,
    sales_channel_id: str | None,
    updated_at_min: datetime | None,
    updated_at_max: datetime | None,
    created_at_min: datetime | None,
    created_at_max: datetime | None,
) -> dict[str, str]:
    params: dict[str, str] = {}
    if status:
        params["status"] = status
    if sales_channel_id:
        params["salesChannelId"] = sales_channel_id
    for key, value in (
        ("updatedAtMin", updated_at_min),
        ("updatedAtMax", updated_at_max),
        ("createdAtMin", created_at_min),
        ("createdAtMax", created_at_max),
    ):
        if value is not None:
            params[key] = _utc(value)
    return params


# ---------------------------------------------------------------- paging


class _Pager:
    """The pages of one ``GET /orders`` query, asked for ahead of the reader.

    * Page 1 alone first: a window that fits in one page (an incremental sync) costs
      one request, as before.
    * Page 1 full: ``GET /orders/count`` with the same filters and page 2 go out
      together. The count tells how many pages there are: ``count // page_size + 1``
      (the last one short, or empty when the count is a multiple of the page size).
      Pages up to that one are kept in flight, ``concurrency`` ahead of the page being
      read.
    * The count is only a plan. The reader still stops at the first short page (pages
      asked for beyond it are cancelled), and a full page at or past the planned end
      is followed by the next page, one at a time, until a short one (orders entered
      the result while paging). A count that fails leaves the paging sequential.
    * Pages are handed over in order; each is parsed in its own task as it arrives.
    * After a 429 (the client's :class:`~cdtui.http.RateGate` counts them) no page is
      asked for ahead any more: the rest of the query goes one page at a time. The gate
      itself holds every request of the client while one waits out its
      ``Retry-After`` and then lets them retry one by one, so pages already in flight
      do not come back as one burst.
    """

    def __init__(
        self,
        client: OctopiaClient,
        seller_id: str,
        filters: dict[str, str],
        page_size: int,
        concurrency: int,
    ) -> None:
        self._client = client
        self._seller_id = seller_id
        self._filters = filters
        self._page_size = page_size
        self._concurrency = concurrency
        self._hits = client._gate.hits  # 429s seen before this query
        self._tasks: dict[int, asyncio.Task[OrderPage]] = {}
        self._count: asyncio.Task[int] | None = None
        self._last: int | None = None  # the last page the count promises (0: no count)
        self._asked = 0  # highest page index asked for

    async def _fetch(self, index: int) -> OrderPage:
        params = {**self._filters, "pageSize": str(self._page_size), "pageIndex": str(index)}
        body = await self._client._get_orders_json(self._seller_id, "/orders", params=params)
        return parse_page(body)

    def _ask(self, index: int) -> None:
        self._tasks[index] = asyncio.create_task(self._fetch(index))
        self._asked = max(self._asked, index)

    def _read_count(self) -> None:
        task = self._count
        if self._last is not None or task is None or not task.done():
            return
        error = None if task.cancelled() else task.exception()
        if task.cancelled() or error is not None:
            if error is not None and not isinstance(error, CdtuiError):
                raise error
            log.debug("no order count (%s): paging one page at a time", error)
            self._last = 0
            return
        self._last = task.result() // self._page_size + 1

    def ahead(self, index: int) -> None:
        """Page ``index`` was full: ask for the pages after it that are worth asking."""
        if self._count is None and self._concurrency > 1:
            self._count = asyncio.create_task(self._client._count(self._seller_id, self._filters))
        self._read_count()
        width = self._concurrency if self._client._gate.hits == self._hits else 1
        while self._asked < index + width:
            nxt = self._asked + 1
            # the next page is always needed; those after it only if the count says so
            if nxt > index + 1 and (self._last is None or nxt > self._last):
                break
            self._ask(nxt)

    async def page(self, index: int) -> OrderPage:
        """Page ``index`` (asked for now if it was not yet)."""
        if index not in self._tasks:
            self._ask(index)
        task = self._tasks[index]
        # a count arriving while we wait widens what is in flight at once
        while not task.done() and self._last is None and self._count is not None:
            await asyncio.wait({task, self._count}, return_when=asyncio.FIRST_COMPLETED)
            if self._count.done():
                self.ahead(index - 1)
        page = await task
        del self._tasks[index]
        return page

    async def close(self) -> None:
        """Cancel what is still in flight and wait for it: nothing is left pending."""
        tasks = [t for t in (*self._tasks.values(), self._count) if t is not None]
        self._tasks.clear()
        self._count = None
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


def _check_seller(seller_id: str) -> str:
    seller_id = str(seller_id).strip()
    if not seller_id.isdigit() or not seller_id.isascii():
        raise UsageError("The Seller ID must contain digits only")
    return seller_id


class OctopiaClient:
    """Octopia Seller API v2 with the aggregator's client credentials."""

    def __init__(
        self,
        *,
        auth_url: str,
        api_url: str,
        client_id: str,
        client_secret: str,
        timeout: float = 20.0,
        policy: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._auth_url = auth_url
        self._api_url = api_url.rstrip("/")
        self._client_id = client_id
        self.__secret = Secret(client_secret)
        self._timeout = timeout
        self._policy = policy or RetryPolicy()
        self._clock = clock
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            transport=transport, timeout=http_timeout(timeout), follow_redirects=False
        )
        self.__token: Secret | None = None
        self._token_renew_at = 0.0
        self._token_lock = asyncio.Lock()
        #: shared by the API calls: a 429 holds them all (pages are fetched side by side)
        self._gate = RateGate()
        #: tokens obtained so far (the issuance cap makes this worth watching)
        self.tokens_issued = 0

    def __repr__(self) -> str:
        return f"OctopiaClient(api_url={self._api_url!r}, client_id={self._client_id!r})"

    async def __aenter__(self) -> OctopiaClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------ token

    async def _token(self, stale: str | None = None) -> str:
        """The cached token; a new one when it is about to expire or ``stale`` failed.

        Concurrent callers share one token request: the lock serialises them and a
        caller whose ``stale`` token was already replaced takes the new one.
        """
        async with self._token_lock:
            token = self.__token
            fresh = token is not None and self._clock() < self._token_renew_at
            if fresh and token != stale:
                return token  # type: ignore[return-value]
            return await self._new_token()

    async def _new_token(self) -> str:
        if not self._client_id or not self.__secret:
            raise ConfigError("The Octopia client id and secret are not set")
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self.__secret,
        }
        issued_at = self._clock()
        resp = await request(
            self._http,
            "POST",
            self._auth_url,
            api=API,
            policy=self._policy,
            retry=True,  # asking for a token changes nothing on the server
            sleep=self._sleep,
            data=form,
        )
        if resp.status_code in (400, 401, 403):
            raise BadCredentials(
                "Octopia refused the aggregator client id / secret",
                api=API,
                status=resp.status_code,
            )
        raise_for_api(resp, API)
        body = json_of(resp, API)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise BadResponse("Octopia's token endpoint sent no access token", api=API)
        expires_in = body.get("expires_in")
        try:
            lifetime = float(expires_in)
        except (TypeError, ValueError):
            lifetime = 300.0  # absent or unreadable: assume a short life
        if not 0 < lifetime < 1e7:
            lifetime = 300.0
        margin = TOKEN_MARGIN if lifetime > 2 * TOKEN_MARGIN else lifetime / 2
        self.__token = Secret(token)
        add_secrets([token])  # an API echoing it in an error never shows it
        self._token_renew_at = issued_at + lifetime - margin
        self.tokens_issued += 1
        log.debug("new Octopia token, renewed in %.0f s", lifetime - margin)
        return self.__token

    async def check_credentials(self) -> None:
        """Obtain a token, or raise :class:`BadCredentials`."""
        await self._token()

    # ------------------------------------------------------------ calls

    async def _send(
        self, seller_id: str, token: str, method: str, path: str, retry: bool, **kw: Any
    ) -> httpx.Response:
        headers = httpx.Headers({"Authorization": f"Bearer {token}", "SellerId": seller_id})
        return await request(
            self._http,
            method,
            self._api_url + path,
            api=API,
            policy=self._policy,
            retry=retry,
            sleep=self._sleep,
            gate=self._gate,
            headers=headers,
            **kw,
        )

    async def _call(
        self, seller_id: str, method: str, path: str, *, retry: bool = True, **kw: Any
    ) -> httpx.Response:
        """One API call; a 401 renews the token once and retries the call once."""
        seller_id = _check_seller(seller_id)
        token = await self._token()
        resp = await self._send(seller_id, token, method, path, retry, **kw)
        if resp.status_code == 401:
            # an expired or revoked token: the request was not processed, so even a
            # write may be sent again
            token = await self._token(stale=token)
            resp = await self._send(seller_id, token, method, path, retry, **kw)
        if resp.status_code in (401, 403):
            raise DelegationMissing(
                f"Seller {seller_id} has not granted cdtui access (delegation missing)",
                api=API,
                status=resp.status_code,
            )
        raise_for_api(resp, API)
        return resp

    async def _get_json(self, seller_id: str, path: str, **kw: Any) -> Any:
        return json_of(await self._call(seller_id, "GET", path, **kw), API)

    async def _get_orders_json(self, seller_id: str, path: str, **kw: Any) -> Any:
        """An order document or page; oversized strings cut (see ``cap_strings``)."""
        resp = await self._call(seller_id, "GET", path, **kw)
        body = json_of(resp, API)
        if len(resp.content) > BIG_ANSWER_BYTES:
            items = body.get("items") if isinstance(body, dict) and "items" in body else body
            for item in items if isinstance(items, list) else [body]:
                if isinstance(item, dict):
                    cut = cap_strings(item)
                    if cut:
                        log.warning(
                            "order %s: %d oversized field(s) cut to %d characters",
                            str(item.get("orderId"))[:ID_MAX],
                            len(cut),
                            FIELD_MAX,
                        )
                        item["truncatedFields"] = cut
        return body

    async def seller(self, seller_id: str) -> SellerProfile:
        return parse_profile(await self._get_json(seller_id, "/sellers"))

    async def subscriptions(self, seller_id: str) -> list[Subscription]:
        body = await self._get_json(seller_id, "/sellers/subscriptions")
        return parse_list(body, Subscription, "subscriptions")

    async def carriers(self, seller_id: str) -> list[Carrier]:
        return parse_list(await self._get_json(seller_id, "/carriers"), Carrier, "carriers")

    async def order(self, seller_id: str, order_id: str) -> Order:
        if not order_id:
            raise UsageError("An order id is required")
        try:
            body = await self._get_orders_json(seller_id, f"/orders/{quote(order_id, safe='')}")
        except NotFound as exc:
            raise NotFound(
                f"Octopia has no order {order_id} for seller {seller_id}",
                api=API,
                status=404,
                detail=exc.detail,
            ) from None
        return parse_order(body, order_id)

    async def count_orders(
        self,
        seller_id: str,
        *,
        status: str | None = None,
        sales_channel_id: str | None = None,
        updated_at_min: datetime | None = None,
        updated_at_max: datetime | None = None,
        created_at_min: datetime | None = None,
        created_at_max: datetime | None = None,
    ) -> int:
        params = _order_filters(
            status,
            sales_channel_id,
            updated_at_min,
            updated_at_max,
            created_at_min,
            created_at_max,
        )
        return await self._count(seller_id, params)

    async def _count(self, seller_id: str, filters: dict[str, str]) -> int:
        return parse_count(await self._get_json(seller_id, "/orders/count", params=filters))

    async def order_pages(
        self,
        seller_id: str,
        *,
        status: str | None = None,
        sales_channel_id: str | None = None,
        updated_at_min: datetime | None = None,
        updated_at_max: datetime | None = None,
        created_at_min: datetime | None = None,
        created_at_max: datetime | None = None,
        page_size: int = MAX_PAGE_SIZE,
        concurrency: int = PAGE_CONCURRENCY,
    ) -> AsyncGenerator[OrderPage, None]:
        """Every page of orders matching the filters, from ``pageIndex=1``, in order.

        Octopia gives no total: the last page is the first one shorter than
        ``page_size`` (an empty page when the total is a multiple of it). While the
        caller works on one page, the next ones are already asked for, up to
        ``concurrency`` pages ahead (see :class:`_Pager`). Close the iterator (``async
        with contextlib.aclosing(...)``) when leaving it early: the requests still in
        flight are cancelled and awaited then.
        """
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        params = _order_filters(
            status,
            sales_channel_id,
            updated_at_min,
            updated_at_max,
            created_at_min,
            created_at_max,
        )
        pager = _Pager(self, seller_id, params, page_size, concurrency)
        try:
            page = await pager.page(1)
            index = 1
            previous: list[str] | None = None
            while True:
                ids = [o.order_id for o in page.orders]
                if ids and ids == previous:
                    raise BadResponse(
                        f"Octopia sent the same page of orders again (page {index})", api=API
                    )
                if page.raw_count < page_size:
                    yield page
                    return
                pager.ahead(index)  # the next pages travel while the caller stores this one
                yield page
                previous = ids
                index += 1
                page = await pager.page(index)
        finally:
            await pager.close()

    async def iter_orders(
        self,
        seller_id: str,
        *,
        status: str | None = None,
        sales_channel_id: str | None = None,
        updated_at_min: datetime | None = None,
        updated_at_max: datetime | None = None,
        created_at_min: datetime | None = None,
        created_at_max: datetime | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> AsyncIterator[Order]:
        """Every order matching the filters (unreadable items are logged and skipped)."""
        pages = self.order_pages(
            seller_id,
            status=status,
            sales_channel_id=sales_channel_id,
            updated_at_min=updated_at_min,
            updated_at_max=updated_at_max,
            created_at_min=created_at_min,
            created_at_max=created_at_max,
            page_size=page_size,
        )
        async with aclosing(pages):  # leaving early cancels the pages in flight
            async for page in pages:
                for order_id, reason in page.invalid:
                    log.warning("skipping unreadable order %s: %s", order_id or "?", reason)
                for order in page.orders:
                    yield order

    # ------------------------------------------------------------ writes

    async def push_shipment(
        self,
        seller_id: str,
        order_id: str,
        *,
        parcel_number: str,
        carrier_name: str,
        tracking_url: str | None,
        line_ids: list[str],
        require_tracking_url: bool = False,
    ) -> Literal["sent", "already_done"]:
        """Send carrier, parcel number and tracking URL to the marketplace, exactly once.

        Octopia has no idempotency key: the order is read before posting, and again
        after a post whose outcome is unknown. Only *our* parcel number on the order's
        lines means the push is done (``"already_done"``); an order already Shipped or
        Delivered without it was shipped some other way and raises
        :class:`ShippedElsewhere` (before posting, or after the re-read).

        ``tracking_url`` is sent only when it is an http(s) address; another one is
        dropped. With ``require_tracking_url`` (the carrier lists ``trackingUrl`` among
        its required parameters) a missing or unusable URL raises :class:`UsageError`
        before any call.
        """
        if not parcel_number.strip():
            raise UsageError("A parcel number is required to send tracking")
        if not carrier_name.strip():
            raise UsageError("A carrier name is required to send tracking")
        if not line_ids:
            raise UsageError("At least one order line is required to send tracking")
        url = safe_tracking_url(tracking_url)
        if url is None and require_tracking_url:
            what = "an http(s) tracking URL" if tracking_url and tracking_url.strip() else "none"
            raise UsageError(
                f"Carrier {carrier_name.strip()} needs a tracking URL for the marketplace, "
                f"and parcel {parcel_number} has {what}"
            )
        if url is None and tracking_url and tracking_url.strip():
            log.warning("order %s: tracking URL dropped (not an http(s) address)", order_id)
        if self._pushed(await self.order(seller_id, order_id), parcel_number):
            log.info("order %s already carries parcel %s", order_id, parcel_number)
            return "already_done"
        parcel: dict[str, Any] = {
            "parcelNumber": parcel_number,
            "carrierName": carrier_name,
            "orderLineIds": list(line_ids),
        }
        if url is not None:
            parcel["trackingUrl"] = url
        path = f"/orders/{quote(order_id, safe='')}/shipments"
        try:
            await self._call(seller_id, "POST", path, retry=False, json=[parcel])
        except (TimedOut, Unavailable) as exc:
            try:
                order = await self.order(seller_id, order_id)
            except Exception:
                raise exc from None
            if self._pushed(order, parcel_number):  # may raise ShippedElsewhere
                return "already_done"
            raise
        return "sent"

    @staticmethod
    def _pushed(order: Order, parcel_number: str) -> bool:
        """True when the order's lines carry our parcel; False when it can still be
        posted; :class:`ShippedElsewhere` when it was shipped without it."""
        shown = order.parcel_numbers
        if parcel_number in shown:
            return True
        if order.status not in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            return False
        if shown:
            others = ", ".join(sorted(shown))
            noun = "parcel" if len(shown) == 1 else "parcels"
            message = f"The marketplace shows {noun} {others}, not ours ({parcel_number})"
        else:
            message = f"The marketplace shows the order shipped without our parcel {parcel_number}"
        raise ShippedElsewhere(
            message,
            api=API,
            detail=message,
            parcel_number=parcel_number,
            marketplace_parcels=shown,
        )

    async def set_approval(self, seller_id: str, order_id: str, accepted: bool) -> None:
        """Accept or refuse an order waiting for acceptance (Cdiscount only)."""
        value = "Accepted" if accepted else "Refused"
        path = f"/orders/{quote(order_id, safe='')}/approval-status"
        try:
            await self._call(seller_id, "POST", path, retry=False, json={"approval_status": value})
        except (TimedOut, Unavailable) as exc:
            # outcome unknown: the order's status tells whether it went through
            try:
                order = await self.order(seller_id, order_id)
            except Exception:
                raise exc from None
            if order.status == OrderStatus.WAITING_ACCEPTANCE:
                raise
            if (order.status == OrderStatus.REFUSED) != accepted:
                return
            raise
