"""The one HTTP policy shared by the Octopia and Sendcloud clients.

* :func:`request` sends one call with the retry policy: ``429`` waits for ``Retry-After``
  (capped) and retries, reads and writes alike, because a 429 means the request was not
  processed; ``5xx``, timeouts and network errors are retried with exponential backoff
  and full jitter **for reads only**. A write whose outcome is unknown is raised at once
  (``TimedOut`` / ``Unavailable``) so the caller can apply its own idempotency rule.
  Connection failures before anything was sent are safe to retry for writes too.
* :func:`raise_for_api` maps a 4xx/5xx answer to the error vocabulary of
  :mod:`cdtui.errors`, with the API's own ``detail`` text.
* :class:`SlidingWindowLimiter` paces writes so that the server's sliding windows are
  never exceeded, whatever the latency.
* :class:`RateGate` makes the concurrent requests of one client (the Octopia pages kept
  in flight) back off together after a 429 instead of each running into it in turn.

Nothing here ever puts a header, a key, a token or a request body in a message or a log.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx
import orjson

from cdtui.errors import (
    ApiError,
    BadCredentials,
    BadResponse,
    Conflict,
    NotFound,
    RateLimited,
    Rejected,
    TimedOut,
    Unavailable,
)

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

#: longest API ``detail`` text carried into an error message
DETAIL_MAX = 300


class Secret(str):
    """A string that hides itself from ``repr``: tracebacks that show local variables
    (Textual's crash report does) print ``'***'`` instead of a key or a token."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'***'"


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # total tries for a retryable read
    base_delay: float = 0.5  # exponential backoff with full jitter
    max_delay: float = 8.0
    max_total: float = 30.0  # never spend more than this retrying one call
    retry_after_cap: float = 60.0  # a Retry-After longer than this → RateLimited raised

    def backoff(self, retry_index: int) -> float:
        """Full-jitter delay before retry number ``retry_index`` (0-based)."""
        ceiling = min(self.max_delay, self.base_delay * (2**retry_index))
        return random.uniform(0, ceiling)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds (≥ 0): delta-seconds or an HTTP date; garbage → None."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN / inf
            return None
        return max(0.0, seconds)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


# ---------------------------------------------------------------- pacing


class WriteLimiter(Protocol):
    """What :func:`request` needs of a limiter: a :class:`SlidingWindowLimiter`, or the
    one shared by every process of a data folder (:class:`cdtui.pacing.SharedWindowLimiter`)."""

    def slot(self) -> AbstractAsyncContextManager[None]: ...


class SlidingWindowLimiter:
    """At most ``limit`` requests in any window of ``period`` seconds, for every window.

    A token bucket (aiolimiter) admits a full bucket at once and then refills, so a
    server counting over a *sliding* minute sees up to twice the limit. Here a request
    holds its place from the moment it starts until ``period`` seconds after it
    *finishes*: the server receives it somewhere in between, so two requests ``limit``
    places apart always reach the server at least ``period`` seconds apart, whatever
    the network latency. A sustained run therefore stays at the limit minus one
    round-trip per window (≈ 99.9/min for 100/min with 50 ms calls).
    """

    def __init__(
        self,
        windows: Sequence[tuple[float, float]],
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        margin: float = 0.01,
    ) -> None:
        checked: list[tuple[int, float]] = []
        for limit, period in windows:
            if limit < 1 or period <= 0:
                raise ValueError(f"bad rate limit {limit} per {period} s")
            checked.append((int(limit), float(period) + margin))
        self._windows = checked
        self._horizon = max((p for _, p in checked), default=0.0)
        self._clock = clock
        self._sleep = sleep
        self._done: deque[float] = deque()  # finish times, ascending
        self._in_flight = 0
        self._finished = asyncio.Event()

    def _wait_time(self, now: float) -> float | None:
        """0 if a request may start now, else seconds to wait (None: until one finishes)."""
        while self._done and self._done[0] <= now - self._horizon:
            self._done.popleft()
        wait = 0.0
        for limit, period in self._windows:
            recent = [t for t in self._done if t > now - period]
            used = self._in_flight + len(recent)
            if used < limit:
                continue
            # the (used - limit + 1) oldest recent places must expire first
            index = used - limit
            if index >= len(recent):
                return None
            wait = max(wait, recent[index] + period - now)
        return wait

    async def acquire(self) -> None:
        while True:
            wait = self._wait_time(self._clock())
            if wait is not None and wait <= 0:
                self._in_flight += 1
                return
            if wait is None:
                self._finished.clear()
                await self._finished.wait()
            else:
                await self._sleep(wait)

    def release(self) -> None:
        self._in_flight -= 1
        self._done.append(self._clock())
        self._finished.set()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self.acquire()
        try:
            yield
        finally:
            self.release()


class RateGate:
    """One client's answer to a 429, shared by all its concurrent requests.

    Each request retries its own 429 after its own ``Retry-After``; with several
    requests in flight that alone turns one 429 into a volley of retries at the
    server. Through the gate, (1) while any request waits out a 429, no request of the
    client starts an attempt, and (2) once the wait is over, attempts go **one at a
    time** until one is answered with something else than a 429; then requests run
    side by side again. ``hits`` counts the 429s, so a caller that keeps requests in
    flight on its own (the Octopia pager) can slow down for good.

    Nothing here reads a clock: the gate is shut exactly while a request sleeps its
    delay (with the ``sleep`` it was given), so fake sleeps in tests stay consistent.
    """

    def __init__(self) -> None:
        self.hits = 0
        self._waiting = 0  # requests sleeping out a 429
        self._open = asyncio.Event()
        self._open.set()
        self._careful = False  # after a 429, until an answer that is not a 429
        self._one = asyncio.Lock()

    @asynccontextmanager
    async def attempt(self) -> AsyncIterator[int]:
        """Around one attempt (the request on the wire); gives the ticket to pass to
        :meth:`answered`."""
        await self._open.wait()
        if not self._careful:
            yield self.hits
            return
        async with self._one:
            await self._open.wait()
            yield self.hits

    def answered(self, status: int, ticket: int) -> None:
        """Only an attempt sent after the last 429 proves the server takes requests
        again (one that was already on the wire proves nothing)."""
        if status != 429 and ticket == self.hits:
            self._careful = False

    @asynccontextmanager
    async def backoff(self) -> AsyncIterator[None]:
        """Around the wait after a 429: the gate stays shut meanwhile."""
        self.hits += 1
        self._careful = True
        self._waiting += 1
        self._open.clear()
        try:
            yield
        finally:
            self._waiting -= 1
            if not self._waiting:
                self._open.set()


# ---------------------------------------------------------------- request


_USERINFO = re.compile(r"://[^/@\s]+@")


def _reason(exc: BaseException) -> str:
    """A short, credential-free description of a network failure."""
    name = type(exc).__name__
    if isinstance(exc, httpx.LocalProtocolError):
        return name  # its text may quote a header value
    text = _USERINFO.sub("://", str(exc)).strip()
    if not text:
        return name
    return f"{name}: {text[:120]}"


def _safe_path(url: httpx.URL | str) -> str:
    """Path and query only: never the host's user info."""
    if isinstance(url, str):
        url = httpx.URL(url)
    return url.raw_path.decode("ascii", "replace")


_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


async def request(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    api: str,
    policy: RetryPolicy,
    retry: bool,
    sleep: Sleep = asyncio.sleep,
    limiter: WriteLimiter | None = None,
    gate: RateGate | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Send one call under the retry policy; returns 2xx and 4xx answers.

    ``retry=True`` for reads (and idempotent POSTs). ``limiter`` paces every attempt,
    retries included, because the server counts each of them. ``gate``, shared by the
    client's concurrent requests, makes them wait out a 429 together (:class:`RateGate`).
    """
    log = logging.getLogger(f"cdtui.{api.lower()}")
    started = time.monotonic()
    waited = 0.0
    attempt = 0
    while True:
        attempt += 1
        error: ApiError
        t0 = time.monotonic()
        try:
            async with gate.attempt() if gate is not None else nullcontext(0) as ticket:
                if limiter is not None:
                    async with limiter.slot():
                        resp = await client.request(method, url, **kwargs)
                else:
                    resp = await client.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            log.debug("%s %s -> timeout (%s)", method, _safe_path(url), type(exc).__name__)
            error = TimedOut(f"{api} did not answer in time", api=api)
            if not (retry or isinstance(exc, _NOT_SENT)):
                raise error from None
        except httpx.TransportError as exc:
            log.debug("%s %s -> %s", method, _safe_path(url), type(exc).__name__)
            error = Unavailable(f"{api} cannot be reached ({_reason(exc)})", api=api)
            if not (retry or isinstance(exc, _NOT_SENT)):
                raise error from None
        else:
            elapsed_ms = (time.monotonic() - t0) * 1000
            log.debug(
                "%s %s -> %s in %.0f ms",
                method,
                _safe_path(resp.request.url),
                resp.status_code,
                elapsed_ms,
            )
            status = resp.status_code
            if gate is not None:
                gate.answered(status, ticket)
            if status == 429:
                retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                if retry_after is not None and retry_after > policy.retry_after_cap:
                    raise _rate_limited(api, retry_after)
                if attempt >= policy.attempts:
                    raise _rate_limited(api, retry_after)
                delay = retry_after if retry_after is not None else policy.backoff(attempt - 1)
                log.debug("%s rate limited; waiting %.1f s", api, delay)
                async with gate.backoff() if gate is not None else nullcontext():
                    await sleep(delay)
                waited += delay
                continue
            if status < 500:
                return resp
            error = _server_error(resp, api)
            if not retry:
                raise error
        # retryable failure: back off if the budget allows it
        if attempt >= policy.attempts:
            raise error
        delay = policy.backoff(attempt - 1)
        spent = max(time.monotonic() - started, waited)
        if spent + delay > policy.max_total:
            raise error
        await sleep(delay)
        waited += delay


def _rate_limited(api: str, retry_after: float | None) -> RateLimited:
    if retry_after is not None:
        msg = f"{api} is limiting the request rate; try again in {retry_after:.0f} s"
    else:
        msg = f"{api} is limiting the request rate; try again later"
    return RateLimited(msg, api=api, status=429, retry_after=retry_after)


def _server_error(resp: httpx.Response, api: str) -> Unavailable:
    detail = api_detail(resp)
    msg = f"{api} is unavailable (HTTP {resp.status_code})"
    return Unavailable(msg, api=api, status=resp.status_code, detail=detail)


# ---------------------------------------------------------------- mapping


def json_of(resp: httpx.Response, api: str) -> Any:
    """The parsed JSON body, or :class:`BadResponse`."""
    try:
        return orjson.loads(resp.content)
    except orjson.JSONDecodeError:
        raise BadResponse(
            f"{api} sent an answer that is not valid JSON (HTTP {resp.status_code})",
            api=api,
            status=resp.status_code,
        ) from None


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DETAIL_MAX else text[: DETAIL_MAX - 1] + "…"


def api_detail(resp: httpx.Response) -> str | None:
    """The API's own explanation of an error, from any of the shapes both APIs use.

    Octopia: RFC 9457 problem+json (``detail``/``title``, ``errors`` {field: [msg]}).
    Sendcloud: JSON:API ``errors`` [{``detail``, ``source.pointer``}], or ``{"detail"}``.
    """
    try:
        body = orjson.loads(resp.content)
    except orjson.JSONDecodeError:
        text = resp.text.strip() if resp.content else ""
        ctype = resp.headers.get("content-type", "")
        if text and "html" not in ctype and not text.startswith("<"):
            return _clip(text)
        return None
    parts: list[str] = []
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list):  # JSON:API
            for err in errors:
                if not isinstance(err, dict):
                    continue
                msg = err.get("detail") or err.get("title") or err.get("code")
                if not msg:
                    continue
                source = err.get("source")
                pointer = source.get("pointer") if isinstance(source, dict) else None
                parts.append(f"{pointer}: {msg}" if pointer else str(msg))
        main = body.get("detail") or body.get("title") or body.get("message")
        if isinstance(main, str) and main and main not in parts:
            parts.insert(0, main)
        if isinstance(errors, dict):  # problem+json field errors
            for field, msgs in errors.items():
                text = "; ".join(map(str, msgs)) if isinstance(msgs, list) else str(msgs)
                parts.append(f"{field}: {text}")
        if not parts:
            desc = body.get("error_description") or body.get("error")
            if isinstance(desc, str):
                parts.append(desc)
    elif isinstance(body, str) and body:
        parts.append(body)
    return _clip("; ".join(parts)) if parts else None


def raise_for_api(resp: httpx.Response, api: str) -> None:
    """Map a non-2xx answer to the error vocabulary; 2xx returns None."""
    status = resp.status_code
    if status < 300:
        return
    detail = api_detail(resp)
    tail = f": {detail}" if detail else ""
    kw: dict[str, Any] = {"api": api, "status": status, "detail": detail}
    if status == 401:
        raise BadCredentials(f"{api} refused the credentials{tail}", **kw)
    if status == 403:
        raise Rejected(f"{api} refused access{tail}", **kw)
    if status == 404:
        raise NotFound(f"{api} found nothing there{tail}", **kw)
    if status == 409:
        raise Conflict(f"{api} refused the request (conflict){tail}", **kw)
    if status == 429:
        raise _rate_limited(api, parse_retry_after(resp.headers.get("Retry-After")))
    if status >= 500:
        raise _server_error(resp, api)
    if status >= 400:
        raise Rejected(f"{api} rejected the request{tail}", **kw)
    raise BadResponse(f"{api} answered with an unexpected HTTP {status}", **kw)


def http_timeout(seconds: float) -> httpx.Timeout:
    """Connect fast, give reads and writes ``seconds``."""
    return httpx.Timeout(connect=5.0, read=seconds, write=seconds, pool=seconds)
