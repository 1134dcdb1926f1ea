"""``cdtui demo``: a sandbox on loopback and a throwaway CDTUI_HOME pointing at it.

No Textual here: ``demo_environment`` prepares the world and removes it afterwards;
``app.run`` runs the app inside it. The tests and ``scripts/screenshots.py`` point
their homes at a sandbox with ``demo_settings``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cdtui import logging_setup
from cdtui.config import Settings, save_settings


def demo_settings(home: Path, url: str) -> Settings:
    """Settings pointing at a sandbox at ``url``, with its credentials."""
    from pydantic import SecretStr

    from cdtui.sandbox import data

    return Settings(
        home=home,
        octopia_auth_url=f"{url}/auth/realms/maas/protocol/openid-connect/token",
        octopia_api_url=f"{url}/seller/v2",
        octopia_client_id=data.AGGREGATOR_CLIENT_ID,
        octopia_client_secret=SecretStr(data.AGGREGATOR_CLIENT_SECRET),
        sendcloud_api_url=f"{url}/api/v3",
        sendcloud_public_key=data.SENDCLOUD_PUBLIC_KEY,
        sendcloud_secret_key=SecretStr(data.SENDCLOUD_SECRET_KEY),
        sender_address_id=data.SENDER_ADDRESS_ID,
        sender_postal_code="69001",
    )


@contextmanager
def demo_environment() -> Iterator[tuple[Path, tuple[str, str]]]:
    """A sandbox with 200 orders and a CDTUI_HOME set up for it: yields the home and
    the sandbox seller's (Seller ID, login) for the connect form. Everything is removed
    and the caller's ``CDTUI_*`` variables are restored on the way out."""
    from cdtui.sandbox import data
    from cdtui.sandbox.server import SandboxServer

    # The demo must not pick up a real installation's endpoints or keys.
    saved_env = {k: v for k, v in os.environ.items() if k.startswith("CDTUI_")}
    for key in saved_env:
        del os.environ[key]
    home = Path(tempfile.mkdtemp(prefix="cdtui-demo-"))
    os.environ["CDTUI_HOME"] = str(home)
    server = SandboxServer(orders=200, seed=0)
    try:
        logging_setup.configure(home, [data.AGGREGATOR_CLIENT_SECRET, data.SENDCLOUD_SECRET_KEY])
        server.start()
        save_settings(demo_settings(home, server.url))
        yield home, (data.SELLER_ID, "demo-shop")
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)
        os.environ.pop("CDTUI_HOME", None)
        os.environ.update(saved_env)
