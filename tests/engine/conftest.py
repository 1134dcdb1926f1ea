"""Engines wired to the sandbox over real HTTP, with a fast retry policy and a clock
the test can move (push backoff, claim ages)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from enginekit import Clock, make_engine

from cdtui.engine import Engine
from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def engine(sandbox: SandboxServer, tmp_path: Path, clock: Clock) -> AsyncIterator[Engine]:
    eng = make_engine(sandbox, tmp_path / "home", clock)
    yield eng
    await eng.aclose()


@pytest.fixture
async def connected(engine: Engine) -> Engine:
    """An engine with the delegated demo seller connected (all channels)."""
    await engine.connect(name="Demo", seller_id=data.SELLER_ID, login=data.SELLER_LOGIN)
    return engine


@pytest.fixture
async def engine_factory(tmp_path: Path) -> AsyncIterator[Callable[..., Engine]]:
    made: list[Engine] = []

    def make(server: SandboxServer, name: str = "home", **kw: Any) -> Engine:
        eng = make_engine(server, tmp_path / name, **kw)
        made.append(eng)
        return eng

    yield make
    for eng in made:
        await eng.aclose()
