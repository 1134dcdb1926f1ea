"""Headless commands against the sandbox: in-process ``cli.main`` and real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from cdtui import cli
from cdtui.orders.customs import EU_COUNTRIES
from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> object:
        return json.loads(self.out)


Run = Callable[..., Result]


@pytest.fixture
def run(sandbox_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> Run:
    """``run("sync", "--json")`` → exit code, stdout, stderr of ``cli.main``."""

    def call(*argv: str) -> Result:
        capsys.readouterr()
        code = cli.main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return call


@pytest.fixture
def ready(run: Run) -> Run:
    """Set up, connected to the demo seller and synced once."""
    assert run("setup", "--octopia-client-id", data.AGGREGATOR_CLIENT_ID).code == 0
    assert (
        run("connect", "--name", "Demo", "--seller-id", data.SELLER_ID, "--login", "demo-shop").code
        == 0
    )
    assert run("sync").code == 0
    return run


def to_ship(run: Run) -> list[str]:
    """Ids of orders to ship that need nothing set up first: inside the EU customs
    territory (no HS code to configure), no line with a cancellation request."""
    orders = run("orders", "--status", "to_ship", "--json").json()
    assert isinstance(orders, list)
    return [
        o["order_id"]
        for o in orders
        if o["country"] in EU_COUNTRIES
        and not (o["postal_code"] or "").startswith(("97", "98"))
        and not o["attention"]
    ]


def spawn(env: dict[str, str], *argv: str) -> subprocess.Popen[str]:
    """``python -m cdtui ARGV`` in its own process."""
    return subprocess.Popen(
        [sys.executable, "-m", "cdtui", *argv],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def snapshot(home: Path) -> dict[str, bytes]:
    """Every file under CDTUI_HOME except the log, with its content."""
    return {
        str(p.relative_to(home)): p.read_bytes()
        for p in sorted(home.rglob("*"))
        if p.is_file() and "logs" not in p.parts
    }


def shipments_by_order(server: SandboxServer) -> dict[str, list[object]]:
    out: dict[str, list[object]] = {}
    prefix = f"cdtui-{data.SELLER_ID}-"
    for s in server.world.shipments.values():
        ref = s.external_reference_id or ""
        if ref.startswith(prefix) and not s.failed:
            order_id = ref[len(prefix) :].split("-")[0]
            out.setdefault(order_id, []).append(s)
    return out


def posts_by_order(server: SandboxServer) -> dict[str, int]:
    counts: dict[str, int] = {}
    for oid, _ in server.world.shipment_posts:
        counts[oid] = counts.get(oid, 0) + 1
    return counts
