"""Fakes shared by the API client tests: constants, clocks, order documents."""

from __future__ import annotations

from typing import Any

from timefakes import Sleeps, VirtualTime  # noqa: F401  (re-exported for the API tests)

from cdtui.http import RetryPolicy

AUTH_URL = "https://auth.octopia.test/auth/realms/maas/protocol/openid-connect/token"
OCTOPIA_URL = "https://api.octopia.test/seller/v2"
SENDCLOUD_URL = "https://panel.sendcloud.test/api/v3"
CLIENT_SECRET = "aggregator-SECRET-7f3a"
SENDCLOUD_SECRET = "sc-SECRET-key-91bd"
SELLER = "98979"

FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02, max_total=1.0)


class Clock:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def order_doc(
    order_id: str,
    *,
    status: str = "InPreparation",
    parcels: list[dict[str, Any]] | None = None,
    channel: str = "CDISFR",
) -> dict[str, Any]:
    """An order document shaped like the live API's."""
    return {
        "orderId": order_id,
        "reference": f"REF-{order_id}",
        "salesChannel": {"id": channel, "name": "Cdiscount"},
        "status": status,
        "createdAt": "2026-11-26T09:58:02Z",
        "updatedAt": "2026-11-26T10:12:40Z",
        "lines": [
            {
                "orderLineId": "1",
                "status": status,
                "quantity": 1,
                "offer": {"sellerProductId": "SKU-1", "supplyMode": "Seller"},
                "shippingAddress": {
                    "firstName": "Camille",
                    "lastName": "Durand",
                    "addressLine1": "12 rue de la Paix",
                    "postalCode": "75002",
                    "city": "Paris",
                    "countryCode": "FR",
                },
                "parcels": parcels or [],
            }
        ],
    }
