"""Helpers shared by the TUI tests (imported by name: tests/ has no packages)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from textual.pilot import Pilot

from cdtui.config import load_settings
from cdtui.engine import Engine
from cdtui.sandbox import data
from cdtui.storage.store import Store

#: the instant snapshot tests live at (sandbox world and app share it)
FROZEN = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def frozen_clock() -> datetime:
    return FROZEN


def connect_and_sync(home: Path, clock: Callable[[], datetime] | None = None) -> str:
    """Connect the sandbox's delegated seller and import its orders (no UI)."""

    async def go() -> str:
        kwargs = {"clock": clock} if clock else {}
        store = Store(home, **kwargs)  # type: ignore[arg-type]
        engine = Engine(load_settings(home), store, **kwargs)  # type: ignore[arg-type]
        try:
            integ = await engine.connect(
                name="Demo shop", seller_id=data.SELLER_ID, login="demo-shop"
            )
            await engine.sync()
            return integ.id
        finally:
            await engine.aclose()

    return asyncio.run(go())


async def wait_for(
    pilot: Pilot[object], predicate: Callable[[], object], within: float = 15.0
) -> None:
    """Let the app run until ``predicate()`` is true (fails the test after ``within`` seconds)."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {predicate.__doc__ or predicate}")
        await pilot.pause(0.05)


async def type_text(pilot: Pilot[object], text: str) -> None:
    await pilot.press(*["space" if c == " " else c for c in text])


def screen_text(app: object) -> str:
    """What the terminal shows of the top screen, line by line."""
    screen = app.screen  # type: ignore[attr-defined]
    return "\n".join(strip.text for strip in screen._compositor.render_strips())


def inbox_loaded(app: object) -> bool:
    """The inbox shows the orders read after the last sync (no sync running)."""
    from cdtui.tui.screens.inbox import InboxScreen

    screen = app.screen  # type: ignore[attr-defined]
    return (
        isinstance(screen, InboxScreen)
        and not app.syncing  # type: ignore[attr-defined]
        and screen._loaded_generation == screen._generation
        and bool(screen._all)
    )
