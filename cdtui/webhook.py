"""The daemon's webhook: the alerts (``cdtui/alerts.py``) POSTed as JSON to a URL.

This module speaks HTTP on its own, beside ``http.py`` and the two API clients, because
it is not an API of ours: the merchant's URL (a chat's incoming webhook, a small
endpoint of their own) gets one POST per sync that found alerts, and nothing else.
So none of ``http.py``'s retry policy: one attempt with a timeout, no redirect
followed; any failure is an ``Unavailable`` the daemon logs, and the alerts count as
given only after a 2xx answer, so the next sync sends them again.

A webhook URL often carries its token in its path: messages and logs name only its
scheme and host (``where``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from cdtui.errors import Unavailable, UsageError

#: seconds a POST may take, connecting included
WEBHOOK_TIMEOUT_S = 10.0


def check_url(url: str) -> str:
    """The URL stripped, if it is an http(s) address with a host; ``UsageError`` else."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        raise UsageError(
            "--webhook needs an http:// or https:// address with a host, such as "
            "https://hooks.example.com/cdtui."
        )
    if any(c.isspace() or ord(c) < 0x20 for c in url):
        raise UsageError("--webhook must not contain spaces or control characters.")
    return url


def where(url: str) -> str:
    """``https://hooks.example.com``: the URL without its path and query (a token)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


async def post(
    url: str,
    body: dict[str, Any],
    *,
    wait_s: float = WEBHOOK_TIMEOUT_S,
    client: httpx.AsyncClient | None = None,
) -> None:
    """POST ``body`` as JSON; ``Unavailable`` unless the answer is 2xx."""
    own = client is None
    http = client or httpx.AsyncClient(timeout=wait_s, follow_redirects=False)
    try:
        answer = await http.post(
            url,
            content=orjson.dumps(body),
            headers={"Content-Type": "application/json", "User-Agent": "cdtui"},
            timeout=wait_s,
        )
    except httpx.TimeoutException:
        raise Unavailable(
            f"The webhook at {where(url)} did not answer within {wait_s:g} s.", api="webhook"
        ) from None
    except httpx.HTTPError as exc:
        raise Unavailable(
            f"The webhook at {where(url)} could not be reached ({type(exc).__name__}).",
            api="webhook",
        ) from None
    finally:
        if own:
            await http.aclose()
    if not 200 <= answer.status_code < 300:
        raise Unavailable(
            f"The webhook at {where(url)} answered HTTP {answer.status_code}.",
            api="webhook",
            status=answer.status_code,
        )
