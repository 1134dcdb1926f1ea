"""What the label and sync services need from the application: settings, the store,
both API clients, a clock and the identity written in claims.

The Engine provides it (it composes the services); the services depend on this small
Protocol, not on the Engine, so no module imports back the one that composes it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from cdtui.config import Settings
from cdtui.errors import CdtuiError, NotFoundLocally
from cdtui.models import OrderRecord
from cdtui.octopia import OctopiaClient
from cdtui.sendcloud import SendcloudClient
from cdtui.storage.store import Store

log = logging.getLogger(__name__)


class Context(Protocol):
    settings: Settings
    clock: Callable[[], datetime]
    #: identity written in label claims ("host:pid:uuid")
    owner: str

    @property
    def store(self) -> Store: ...

    @property
    def octopia(self) -> OctopiaClient: ...

    @property
    def sendcloud(self) -> SendcloudClient: ...


class Service:
    """A service over one context, with the shortcuts every service uses."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @property
    def store(self) -> Store:
        return self.ctx.store

    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    def now(self) -> datetime:
        return self.ctx.clock()

    @property
    def me(self) -> str:
        """The identity written in this process's claims."""
        return self.ctx.owner


async def reread_order(ctx: Context, rec: OrderRecord) -> None:
    """Store the marketplace's own copy of an order cdtui has just changed there (an
    answer, a tracking update), so its status shows without waiting for the next sync.
    Best effort: a failed read is logged, and the next sync brings it."""
    try:
        fresh = await ctx.octopia.order(rec.seller_id, rec.order_id)
    except CdtuiError as exc:
        log.warning("order %s was changed, but re-reading it failed: %s", rec.order_id, exc)
        return
    with contextlib.suppress(NotFoundLocally):  # disconnected meanwhile
        ctx.store.upsert_orders(rec.integration_id, rec.seller_id, [fresh])
