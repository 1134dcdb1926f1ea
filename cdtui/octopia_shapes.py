"""What Octopia's answers look like, read tolerantly: every shape the public
documentation leaves **unconfirmed** is read here and nowhere else (``octopia.py`` speaks
HTTP and hands the bodies here). API data is untrusted: sizes are capped, ids bounded,
URLs http(s) only, an unreadable item is skipped and reported, never stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pydantic import TypeAdapter, ValidationError

from cdtui.errors import BadResponse
from cdtui.models import Order, SellerProfile

API = "Octopia"
log = logging.getLogger("cdtui.octopia")


@dataclass
class OrderPage:
    orders: list[Order]
    #: (orderId if readable, reason) for each item that was skipped
    invalid: list[tuple[str | None, str]] = field(default_factory=list)
    #: items on the page, valid or not (for the short-page stop)
    raw_count: int = 0


def items_of(body: Any, what: str) -> list[Any]:
    """A bare JSON array, or an object carrying it under ``items`` (both are seen)."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        items = body.get("items")
        if isinstance(items, list):
            return items
        if "items" in body and items is None:
            return []
    raise BadResponse(f"Octopia sent {what} in an unexpected shape", api=API)


def parse_profile(body: Any) -> SellerProfile:
    # GET /sellers: an object; a one-element list or an {"items": [...]} is accepted too
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    elif isinstance(body, dict) and isinstance(body.get("items"), list) and body["items"]:
        body = body["items"][0]
    try:
        return SellerProfile.model_validate(body)
    except ValidationError:
        raise BadResponse("Octopia sent a seller profile without a seller id", api=API) from None


def parse_list(body: Any, model: type[Any], what: str) -> list[Any]:
    out = []
    for item in items_of(body, what):
        try:
            out.append(model.model_validate(item))
        except ValidationError as exc:
            log.warning("skipping an unreadable %s entry: %s", what, short_error(exc))
    return out


def parse_count(body: Any) -> int:
    # GET /orders/count: a bare integer; {"count": n} / {"total": n} tolerated
    if isinstance(body, dict):
        body = body.get("count", body.get("total", body.get("value")))
    if isinstance(body, bool) or not isinstance(body, int | str):
        raise BadResponse("Octopia sent an order count that is not a number", api=API)
    try:
        count = int(body)
    except ValueError:
        raise BadResponse("Octopia sent an order count that is not a number", api=API) from None
    if count < 0:
        raise BadResponse("Octopia sent a negative order count", api=API)
    return count


def parse_page(body: Any) -> OrderPage:
    """A page of ``GET /orders``: page-level problems raise, item-level ones are listed."""
    if isinstance(body, dict):
        if "items" not in body:
            raise BadResponse("Octopia sent a page of orders without items", api=API)
        items = body["items"]
        if items is None:
            items = []
    elif isinstance(body, list):
        items = body
    else:
        items = None
    if not isinstance(items, list):
        raise BadResponse("Octopia sent a page of orders in an unexpected shape", api=API)
    page = OrderPage(orders=[], invalid=[], raw_count=len(items))
    candidates: list[tuple[str, dict[str, Any]]] = []
    for item in items:
        if not isinstance(item, dict):
            page.invalid.append((None, "not a JSON object"))
            continue
        raw_id = item.get("orderId", item.get("order_id"))
        order_id = str(raw_id) if isinstance(raw_id, str | int) and raw_id != "" else None
        if order_id is None:
            page.invalid.append((None, "no orderId"))
            continue
        if len(order_id) > ID_MAX:
            page.invalid.append((order_id[:ID_MAX] + "…", f"orderId longer than {ID_MAX}"))
            continue
        candidates.append((order_id, item))
    try:  # the page at once (a tenth faster than order by order) ...
        page.orders = _ORDER_LIST.validate_python([item for _, item in candidates])
    except ValidationError:  # ... and order by order when one fails, to skip it alone
        for order_id, item in candidates:
            try:
                page.orders.append(Order.model_validate(item))
            except ValidationError as exc:
                page.invalid.append((order_id, short_error(exc)))
    return page


_ORDER_LIST = TypeAdapter(list[Order])


#: an answer larger than this is checked field by field (a page of 100 orders is ~0.3 MB)
BIG_ANSWER_BYTES = 1_000_000
#: characters kept of one string field of an order (titles, names, address lines)
FIELD_MAX = 2_000
#: an order id longer than this is refused (an id is never cut: it must stay exact)
ID_MAX = 128


def cap_strings(doc: dict[str, Any] | list[Any], path: str = "") -> list[str]:
    """Cut, in place, every string longer than ``FIELD_MAX`` (the order keeps a copy
    of what fits and says which fields were cut): a 10 MB field from the API must not
    be stored whole and rewritten with its order file on every change. Returns the
    paths of the cut fields."""
    cut: list[str] = []
    entries = doc.items() if isinstance(doc, dict) else enumerate(doc)
    for key, value in list(entries):
        where = f"{path}.{key}" if path else str(key)
        if isinstance(value, str) and len(value) > FIELD_MAX:
            doc[key] = value[:FIELD_MAX]  # type: ignore[index]
            cut.append(where)
        elif isinstance(value, dict | list):
            cut.extend(cap_strings(value, where))
    return cut


def parse_order(body: Any, order_id: str) -> Order:
    try:
        return Order.model_validate(body)
    except ValidationError as exc:
        raise BadResponse(
            f"Octopia sent order {order_id} in an unreadable shape",
            api=API,
            detail=short_error(exc),
        ) from None


def safe_tracking_url(value: str | None) -> str | None:
    """The tracking URL if it is an absolute http(s) address, else None."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or any(c.isspace() or ord(c) < 32 for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def short_error(exc: ValidationError) -> str:
    """A one-line summary of a validation error (field paths and reasons, no values)."""
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err["loc"]) or "document"
        parts.append(f"{where}: {err['msg']}")
    more = exc.error_count() - 3
    if more > 0:
        parts.append(f"+{more} more")
    return "; ".join(parts)
