"""The sandbox's HTTP face: Octopia Seller API v2 and Sendcloud API v3 on one port.

Routes follow ``/work/shared/api/*.md``: the Octopia token endpoint under ``/auth``, the
Octopia API under ``/seller/v2`` (:mod:`cdtui.sandbox.octopia_api`), Sendcloud under
``/api/v3`` (:mod:`cdtui.sandbox.sendcloud_api`, :mod:`cdtui.sandbox.sendcloud_documents`),
and sandbox-only helpers under ``/_sandbox`` (:mod:`cdtui.sandbox.control`). Faults,
authentication and Sendcloud rate limits are applied by the ``endpoint`` wrapper
(:mod:`cdtui.sandbox.endpoint`), around the rules, so every route behaves the same way.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cdtui.sandbox.control import (
    sandbox_add_orders,
    sandbox_cancel_order,
    sandbox_clock,
    sandbox_faults,
    sandbox_state,
)
from cdtui.sandbox.endpoint import problem, sc_error
from cdtui.sandbox.octopia_api import (
    carriers,
    count_orders,
    get_order,
    list_orders,
    post_approval,
    post_shipments,
    seller_subscriptions,
    sellers,
    token,
)
from cdtui.sandbox.sendcloud_api import (
    announce,
    cancel_shipment,
    get_shipment,
    list_shipments,
    shipping_options,
    tracking,
)
from cdtui.sandbox.sendcloud_documents import bulk_labels, parcel_customs, parcel_label
from cdtui.sandbox.world import World


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    detail = "Not Found" if status == 404 else "Method Not Allowed"
    if request.url.path.startswith("/seller/v2"):
        return problem(request, status, detail, f"{request.method} {request.url.path}: {detail}")
    code = "not_found" if status == 404 else "method_not_allowed"
    return sc_error(status, code, f"{request.method} {request.url.path}: {detail}")


TOKEN_PATH = "/auth/realms/maas/protocol/openid-connect/token"
OCTOPIA = "/seller/v2"
SENDCLOUD = "/api/v3"


def create_app(world: World) -> Starlette:
    """The Starlette application serving ``world``."""
    routes = [
        Route(TOKEN_PATH, token, methods=["POST"]),
        Route(f"{OCTOPIA}/sellers", sellers, methods=["GET"]),
        Route(f"{OCTOPIA}/sellers/subscriptions", seller_subscriptions, methods=["GET"]),
        Route(f"{OCTOPIA}/carriers", carriers, methods=["GET"]),
        Route(f"{OCTOPIA}/orders", list_orders, methods=["GET"]),
        Route(f"{OCTOPIA}/orders/count", count_orders, methods=["GET"]),
        Route(f"{OCTOPIA}/orders/{{order_id}}", get_order, methods=["GET"]),
        Route(f"{OCTOPIA}/orders/{{order_id}}/shipments", post_shipments, methods=["POST"]),
        Route(f"{OCTOPIA}/orders/{{order_id}}/approval-status", post_approval, methods=["POST"]),
        Route(f"{SENDCLOUD}/shipping-options", shipping_options, methods=["POST"]),
        Route(f"{SENDCLOUD}/shipments/announce", announce, methods=["POST"]),
        Route(f"{SENDCLOUD}/shipments", list_shipments, methods=["GET"]),
        Route(f"{SENDCLOUD}/shipments/{{shipment_id}}", get_shipment, methods=["GET"]),
        Route(f"{SENDCLOUD}/shipments/{{shipment_id}}/cancel", cancel_shipment, methods=["POST"]),
        Route(f"{SENDCLOUD}/parcels/tracking/{{tracking_number}}", tracking, methods=["GET"]),
        Route(f"{SENDCLOUD}/parcels/{{parcel_id}}/documents/label", parcel_label, methods=["GET"]),
        Route(
            f"{SENDCLOUD}/parcels/{{parcel_id}}/documents/customs-declaration",
            parcel_customs,
            methods=["GET"],
        ),
        Route(f"{SENDCLOUD}/parcel-documents/label", bulk_labels, methods=["GET"]),
        Route("/_sandbox/faults", sandbox_faults, methods=["GET", "POST"]),
        Route("/_sandbox/state", sandbox_state, methods=["GET"]),
        Route("/_sandbox/orders", sandbox_add_orders, methods=["POST"]),
        Route("/_sandbox/orders/{order_id}/cancel", sandbox_cancel_order, methods=["POST"]),
        Route("/_sandbox/clock", sandbox_clock, methods=["GET", "POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_found})
    app.state.world = world
    return app
