"""Fixtures shared by every test: the sandbox over real HTTP, and a throwaway CDTUI_HOME.

``sandbox`` gives each test a fresh seeded world (``orders=60, seed=1``). To keep the
suite fast, the HTTP server behind it is started once per worker and handed a new
world for every test; a test that stops it simply gets a new one next time.
``sandbox_factory`` starts servers with custom options (each its own port), stopped
after the test.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cdtui.sandbox.server import SandboxServer

DEFAULT_ORDERS = 60
DEFAULT_SEED = 1


class _Shared:
    server: SandboxServer | None = None


@pytest.fixture(scope="session")
def _shared_sandbox() -> Iterator[_Shared]:
    holder = _Shared()
    yield holder
    if holder.server is not None:
        holder.server.stop()


@pytest.fixture
def sandbox(_shared_sandbox: _Shared) -> SandboxServer:
    """A running sandbox with a fresh world of 60 orders (seed 1)."""
    server = _shared_sandbox.server
    if server is None or not server.running:
        server = SandboxServer(orders=DEFAULT_ORDERS, seed=DEFAULT_SEED).start()
        _shared_sandbox.server = server
    else:
        server.reset(orders=DEFAULT_ORDERS, seed=DEFAULT_SEED)
    return server


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., SandboxServer]]:
    """``make(**options)`` starts a sandbox with ``SandboxServer`` / ``World`` options."""
    started: list[SandboxServer] = []

    def make(**options: Any) -> SandboxServer:
        options.setdefault("orders", DEFAULT_ORDERS)
        options.setdefault("seed", DEFAULT_SEED)
        server = SandboxServer(**options).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def cdtui_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty CDTUI_HOME; every other CDTUI_* variable is cleared."""
    for key in list(os.environ):
        if key.startswith("CDTUI_"):
            monkeypatch.delenv(key)
    home = tmp_path / "cdtui-home"
    home.mkdir()
    monkeypatch.setenv("CDTUI_HOME", str(home))
    return home


@pytest.fixture
def sandbox_env(
    sandbox: SandboxServer, cdtui_home: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """CDTUI_* variables pointing cdtui at ``sandbox`` (with its credentials), set."""
    env = sandbox.env() | {"CDTUI_HOME": str(cdtui_home)}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env
