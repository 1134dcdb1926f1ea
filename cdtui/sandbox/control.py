"""The sandbox-only routes under ``/_sandbox``: faults, state, new orders, cancel, clock.

No real API has them: tests, benchmarks and the demo use them to steer the world.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from cdtui.sandbox import data
from cdtui.sandbox.data import stamp
from cdtui.sandbox.endpoint import Reply, json_response
from cdtui.sandbox.world import World


def _sandbox_json(body: Any, status: int = 200) -> Response:
    return json_response(body, status)


async def _sandbox_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise Reply(_sandbox_json({"error": "The body is not valid JSON."}, 400)) from None


def sandbox(fn: Callable[[Request, World], Awaitable[Response]]) -> Callable:
    @functools.wraps(fn)
    async def run(request: Request) -> Response:
        try:
            return await fn(request, request.app.state.world)
        except Reply as reply:
            return reply.response

    return run


@sandbox
async def sandbox_faults(request: Request, world: World) -> Response:
    if request.method == "POST":
        body = await _sandbox_body(request)
        if not isinstance(body, dict):
            return _sandbox_json({"error": "Send a JSON object of faults."}, 400)
        body = dict(body)
        with world.lock:
            if body.pop("reset", False) is True:
                world.faults.reset()
            try:
                world.faults.update(body)
            except ValueError as exc:
                return _sandbox_json({"error": str(exc)}, 400)
    return _sandbox_json(world.faults.as_dict())


@sandbox
async def sandbox_state(request: Request, world: World) -> Response:
    return _sandbox_json(world.state())


@sandbox
async def sandbox_add_orders(request: Request, world: World) -> Response:
    body = await _sandbox_body(request)
    if not isinstance(body, dict):
        return _sandbox_json({"error": "Send a JSON object."}, 400)
    count = body.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10_000:
        return _sandbox_json({"error": "count must be an integer between 1 and 10000"}, 400)
    try:
        ids = world.add_orders(
            count,
            seller_id=str(body.get("seller_id", data.SELLER_ID)),
            status=str(body.get("status", "InPreparation")),
            channel=body.get("channel"),
            country=body.get("country"),
            fail=bool(body.get("fail", False)),
            mode=body.get("mode"),
        )
    except ValueError as exc:
        return _sandbox_json({"error": str(exc)}, 400)
    return _sandbox_json({"order_ids": ids}, 201)


@sandbox
async def sandbox_cancel_order(request: Request, world: World) -> Response:
    order_id = request.path_params["order_id"]
    try:
        doc = world.cancel_order(order_id)
    except KeyError:
        return _sandbox_json({"error": f"Order {order_id} was not found."}, 404)
    return _sandbox_json(doc)


@sandbox
async def sandbox_clock(request: Request, world: World) -> Response:
    if request.method == "POST":
        body = await _sandbox_body(request)
        seconds = body.get("advance") if isinstance(body, dict) else None
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            return _sandbox_json({"error": "advance must be a number of seconds ≥ 0"}, 400)
        world.advance(seconds)
    return _sandbox_json({"now": stamp(world.now())})
