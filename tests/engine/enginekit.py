"""Helpers for the engine tests: an engine wired to a sandbox, a clock to move."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cdtui.config import load_settings
from cdtui.engine import Engine
from cdtui.http import RetryPolicy
from cdtui.models import utcnow
from cdtui.octopia import OctopiaClient
from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer
from cdtui.sendcloud import SendcloudClient

FAST = RetryPolicy(attempts=6, base_delay=0.01, max_delay=0.05, max_total=5.0, retry_after_cap=5)


class Clock:
    """Real time plus an offset the test moves forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, **kw: float) -> None:
        self.offset += timedelta(**kw)


def make_engine(
    server: SandboxServer,
    home: Path,
    clock: Clock | None = None,
    *,
    octopia_timeout: float = 2,
    **settings: Any,
) -> Engine:
    s = load_settings(
        home,
        octopia_auth_url=server.auth_url,
        octopia_api_url=server.octopia_url,
        octopia_client_id=data.AGGREGATOR_CLIENT_ID,
        octopia_client_secret=data.AGGREGATOR_CLIENT_SECRET,
        sendcloud_api_url=server.sendcloud_url,
        sendcloud_public_key=data.SENDCLOUD_PUBLIC_KEY,
        sendcloud_secret_key=data.SENDCLOUD_SECRET_KEY,
        sender_address_id=data.SENDER_ADDRESS_ID,
        **settings,
    )
    octopia = OctopiaClient(
        auth_url=s.octopia_auth_url,
        api_url=s.octopia_api_url,
        client_id=data.AGGREGATOR_CLIENT_ID,
        client_secret=data.AGGREGATOR_CLIENT_SECRET,
        policy=FAST,
        timeout=octopia_timeout,
    )
    sendcloud = SendcloudClient(
        api_url=s.sendcloud_api_url,
        public_key=data.SENDCLOUD_PUBLIC_KEY,
        secret_key=data.SENDCLOUD_SECRET_KEY,
        policy=FAST,
        timeout=2,
    )
    return Engine(s, octopia=octopia, sendcloud=sendcloud, clock=clock or Clock())


def read_file(path: str | None) -> bytes:
    """The content of a saved label file (fails the test if there is none)."""
    assert path, "no file path"
    return Path(path).read_bytes()
