"""Fixtures for the TUI tests: a home pointed at the sandbox, UTC, no blinking."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input
from tui_helpers import connect_and_sync

from cdtui.config import save_settings
from cdtui.sandbox.server import SandboxServer
from cdtui.tui.demo import demo_settings


@pytest.fixture(autouse=True)
def _utc_and_no_blink(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Times print in UTC whatever the machine; text cursors do not blink."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(Input, "cursor_blink", False)
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def tui_home(sandbox: SandboxServer, cdtui_home: Path) -> Path:
    """A CDTUI_HOME whose settings point at the sandbox, with its credentials."""
    save_settings(demo_settings(cdtui_home, sandbox.url))
    return cdtui_home


@pytest.fixture
def synced_home(tui_home: Path) -> Path:
    """``tui_home`` with the demo seller connected and its orders imported."""
    connect_and_sync(tui_home)
    return tui_home
