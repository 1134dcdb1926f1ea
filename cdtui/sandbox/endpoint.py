"""What every sandbox route shares: replies, errors, faults and authentication.

``endpoint`` wraps each Octopia and Sendcloud handler: it counts the request, applies
the injected faults (latency, forced and random failures, slow answers, broken JSON),
authenticates the caller (an Octopia bearer token and SellerId, or Sendcloud Basic
auth under its rate limits) and turns a raised :class:`Reply` into the answer. Octopia
errors are ``application/problem+json`` (:func:`problem`); Sendcloud errors are
JSON:API ``{"errors": [...]}`` (:func:`sc_errors`).

(Not named ``http.py``: run as a script, a file of this folder would put it first on
``sys.path`` and hide the standard library's ``http`` package.)
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import hmac
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from cdtui.sandbox import data
from cdtui.sandbox.world import World

JSON = "application/json"
PROBLEM = "application/problem+json"
PDF, ZPL, PNG = "application/pdf", "application/zpl", "image/png"


class Reply(Exception):
    """Raised by rule helpers to answer at once with ``response``."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


# ---------------------------------------------------------------- responses


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers=headers, media_type=JSON)


def problem(
    request: Request,
    status: int,
    title: str,
    detail: str,
    *,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """An Octopia RFC 9457 problem document."""
    world: World = request.app.state.world
    body: dict[str, Any] = {
        "type": f"https://developer.octopia-io.net/problems/{status}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "traceId": world.trace_id(),
    }
    if errors:
        body["errors"] = errors
    return Response(orjson.dumps(body), status, headers=headers, media_type=PROBLEM)


def sc_errors(
    status: int,
    items: list[tuple[str, str, str | None]],
    *,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """A Sendcloud JSON:API error answer; items are (code, detail, pointer)."""
    errors = []
    for code, detail, pointer in items:
        err: dict[str, Any] = {"status": str(status), "code": code, "detail": detail}
        if pointer:
            err["source"] = {"pointer": pointer}
        errors.append(err)
    return json_response({"errors": errors, **(extra or {})}, status, headers)


def sc_error(status: int, code: str, detail: str, pointer: str | None = None) -> Response:
    return sc_errors(status, [(code, detail, pointer)])


def _retry_after_header(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return str(max(0, round(value)))


# ---------------------------------------------------------------- the wrapper

Principal = str | None
Handler = Callable[[Request, World, Principal], Awaitable[Response]]


def _slow_applies(world: World, request: Request) -> bool:
    f = world.faults
    if f.slow_ms <= 0:
        return False
    if f.slow_methods and request.method.upper() not in f.slow_methods:
        return False
    path = request.url.path
    return not f.slow_paths or any(p in path for p in f.slow_paths)


def _malformed(body: bytes) -> bytes:
    cut = max(1, len(body) // 2)
    return body[:cut] + b'\x00{"truncated'


def endpoint(api: str, *, auth: bool = True) -> Callable[[Handler], Callable]:
    """Wrap a handler with faults, authentication and (Sendcloud) rate limits."""

    def wrap(fn: Handler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(fn)
        async def run(request: Request) -> Response:
            world: World = request.app.state.world
            world.stats["requests"] += 1
            world.stats[f"{api}_requests"] += 1
            world.tick()
            faults = world.faults
            if faults.latency_ms:
                await asyncio.sleep(faults.latency_ms / 1000)
            early = _injected_failure(world, api, request)
            if early is not None:
                return early
            slow = _slow_applies(world, request)
            try:
                if slow and faults.slow_before:
                    # like a gateway that times out before the backend saw the request:
                    # a client that gave up meanwhile leaves nothing processed
                    world.stats["slow"] += 1
                    await request.body()
                    await asyncio.sleep(faults.slow_ms / 1000)
                    if await request.is_disconnected():
                        return Response(status_code=499)
                principal: Principal = None
                if auth:
                    principal = (
                        _octopia_principal(request, world)
                        if api == "octopia"
                        else _sendcloud_principal(request, world)
                    )
                response = await fn(request, world, principal)
            except Reply as reply:
                response = reply.response
            except ClientDisconnect:
                return Response(status_code=499)
            if slow and not faults.slow_before:
                world.stats["slow"] += 1
                await asyncio.sleep(faults.slow_ms / 1000)
            media = response.media_type or ""
            if "json" in media and world.roll(faults.malformed_json):
                world.stats["malformed"] += 1
                response = Response(
                    _malformed(bytes(response.body)), response.status_code, media_type=media
                )
            return response

        return run

    return wrap


def _injected_failure(world: World, api: str, request: Request) -> Response | None:
    faults = world.faults
    status = world.take_forced_failure(api)
    if status is None and world.roll(
        faults.octopia_5xx if api == "octopia" else faults.sendcloud_5xx
    ):
        status = 503
    if status is None and world.roll(
        faults.octopia_429 if api == "octopia" else faults.sendcloud_429
    ):
        status = 429
    if status is None:
        return None
    headers = {}
    if status == 429:
        world.stats["429"] += 1
        world.stats["fault_429"] += 1
        headers["Retry-After"] = _retry_after_header(faults.retry_after)
        title, detail = "Too Many Requests", "Rate limit exceeded, retry later."
    elif status >= 500:
        world.stats["fault_5xx"] += 1
        title, detail = "Service Unavailable", "The service is temporarily unavailable."
    else:
        world.stats["fault_4xx"] += 1
        title, detail = "Injected error", "Error injected by the sandbox."
    if api == "octopia":
        return problem(request, status, title, detail, headers=headers)
    resp = sc_error(status, "throttled" if status == 429 else "server_error", detail)
    resp.headers.update(headers)
    return resp


# ---------------------------------------------------------------- authentication


def _octopia_principal(request: Request, world: World) -> str:
    """The SellerId the call acts for, or a Reply with 400/401/403."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Reply(
            problem(
                request,
                401,
                "Unauthorized",
                "A bearer token is required.",
                headers={"WWW-Authenticate": 'Bearer realm="maas"'},
            )
        )
    token = world.valid_token(value.strip())
    if token is None:
        raise Reply(
            problem(
                request,
                401,
                "Unauthorized",
                "The access token is invalid or has expired.",
                headers={"WWW-Authenticate": 'Bearer realm="maas", error="invalid_token"'},
            )
        )
    seller_id = (request.headers.get("sellerid") or "").strip()
    if not seller_id:
        raise Reply(
            problem(
                request,
                400,
                "Bad Request",
                "The SellerId header is required.",
                errors={"SellerId": ["The SellerId header is required."]},
            )
        )
    if not seller_id.isdigit():
        raise Reply(
            problem(
                request,
                400,
                "Bad Request",
                "The SellerId header must be a number.",
                errors={"SellerId": ["The SellerId header must be a number."]},
            )
        )
    if seller_id not in token.sellers:
        raise Reply(
            problem(
                request,
                403,
                "Forbidden",
                f"Seller {seller_id} has not granted access to this API client (no delegation).",
            )
        )
    return seller_id


def _sendcloud_principal(request: Request, world: World) -> str:
    """The public key of a valid Basic auth, or a Reply 401 / 429."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    public = secret = ""
    if scheme.lower() == "basic":
        try:
            public, _, secret = (
                base64.b64decode(value.strip(), validate=True).decode().partition(":")
            )
        except (binascii.Error, UnicodeDecodeError):
            public = secret = ""
    ok = hmac.compare_digest(public.encode(), data.SENDCLOUD_PUBLIC_KEY.encode()) and (
        hmac.compare_digest(secret.encode(), data.SENDCLOUD_SECRET_KEY.encode())
    )
    if not ok:
        resp = sc_error(401, "authentication_failed", "Invalid username/password.")
        resp.headers["WWW-Authenticate"] = 'Basic realm="api"'
        raise Reply(resp)
    wait = world.rate_limit(public, request.method.upper())
    if wait is not None:
        retry = max(1, int(-(-wait // 1)))
        resp = sc_error(
            429,
            "throttled",
            f"Request was throttled. Expected available in {retry} seconds.",
        )
        resp.headers["Retry-After"] = str(retry)
        raise Reply(resp)
    return public


# ---------------------------------------------------------------- body helpers


async def json_body(request: Request, on_error: Callable[[str], Response]) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise Reply(on_error("The request body is empty."))
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise Reply(on_error("The request body is not valid JSON.")) from None
