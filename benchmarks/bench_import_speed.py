"""Imports at network speed: a first import against plain fetches of the same pages.

    python benchmarks/bench_import_speed.py [--orders 10000] [--rounds 3]

Two bars, each against its own sandbox process (10,000 orders, seed 0) on loopback:

- **50 ms a request** (``latency_ms=50``: the sandbox sleeps before answering each
  request, concurrent requests sleep side by side): a first ``sync`` into an empty
  store against the cheapest *sequential* fetch of the same pages (plain httpx +
  orjson, one page after the other until a short one). Target ≤ 0.5×: the import must
  keep pages in flight instead of waiting for each round trip in turn.
- **0 ms**: the same import against the same bare fetch, which does only HTTP and JSON
  decoding (no validation, no store). Target ≤ 1.3×.

Each round runs in a fresh process (import and fetch interleaved); medians. The
import's time is ``Engine.sync()`` after the token was obtained, as in ``run.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from cdtui.sandbox import data

LATENCY_MS = 50
LATENCY_RATIO_TARGET = 0.5
BARE_RATIO_TARGET = 1.3
Row = dict[str, Any]

#: the sandbox in a child process; prints its URL, stops when stdin closes.
_SANDBOX = """
import json, sys
from cdtui.sandbox.server import SandboxServer
server = SandboxServer(**json.loads(sys.argv[1])).start()
print(server.url, flush=True)
sys.stdin.read()
server.stop()
"""

#: one bare sequential fetch or one first import, in a fresh process
_ROUND = """
import asyncio, json, sys, time
from datetime import timedelta
from pathlib import Path
import httpx, orjson
from cdtui.config import load_settings
from cdtui.engine import Engine
from cdtui.models import iso, utcnow
mode, overrides = sys.argv[1], json.loads(sys.argv[2])
settings = load_settings(Path(overrides.pop("home")), **overrides)
async def bare():
    # HTTP and JSON decoding only: what any client pays to read the pages in turn
    async with httpx.AsyncClient(timeout=30) as http:
        form = {"grant_type": "client_credentials",
                "client_id": settings.octopia_client_id,
                "client_secret": settings.octopia_client_secret.get_secret_value()}
        token = (await http.post(settings.octopia_auth_url, data=form)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "SellerId": "98979"}
        params = {"updatedAtMin": iso(utcnow() - timedelta(days=30)), "pageSize": "100"}
        start = time.perf_counter()
        n, index = 0, 1
        while True:
            resp = await http.get(settings.octopia_api_url + "/orders",
                                  params={**params, "pageIndex": str(index)}, headers=headers)
            resp.raise_for_status()
            items = orjson.loads(resp.content)["items"]
            n += len(items)
            if len(items) < 100:
                return n, time.perf_counter() - start, index
            index += 1
async def run_import():
    engine = Engine(settings)
    await engine.connect(name="Bench", seller_id="98979", login="demo-shop")
    await engine.check_octopia()
    start = time.perf_counter()
    [report] = await engine.sync()
    elapsed = time.perf_counter() - start
    await engine.aclose()
    if report.errors:
        raise SystemExit(f"import failed: {report.errors}")
    return report.imported, elapsed, None
n, seconds, pages = asyncio.run(bare() if mode == "bare" else run_import())
print(json.dumps({"orders": n, "seconds": seconds, "pages": pages}))
"""


@contextmanager
def sandbox_process(**options: Any) -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _SANDBOX, json.dumps(options)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError("the sandbox did not start")
        yield url
    finally:
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def _settings(url: str, home: Path) -> dict[str, Any]:
    return {
        "home": str(home),
        "octopia_auth_url": f"{url}/auth/realms/maas/protocol/openid-connect/token",
        "octopia_api_url": f"{url}/seller/v2",
        "octopia_client_id": data.AGGREGATOR_CLIENT_ID,
        "octopia_client_secret": data.AGGREGATOR_CLIENT_SECRET,
        "sendcloud_api_url": f"{url}/api/v3",
        "sendcloud_public_key": data.SENDCLOUD_PUBLIC_KEY,
        "sendcloud_secret_key": data.SENDCLOUD_SECRET_KEY,
        "sender_address_id": data.SENDER_ADDRESS_ID,
    }


def _round(url: str, mode: str) -> tuple[int, float, int | None]:
    home = Path(tempfile.mkdtemp(prefix=f"cdtui-bench-{mode}-"))
    out = subprocess.run(
        [sys.executable, "-c", _ROUND, mode, json.dumps(_settings(url, home))],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return int(result["orders"]), float(result["seconds"]), result["pages"]


def measure(url: str, rounds: int) -> dict[str, Any]:
    """Medians of ``rounds`` bare fetches and first imports, interleaved."""
    bare: list[float] = []
    imports: list[float] = []
    fetched = imported = 0
    pages: int | None = None
    for _ in range(rounds):
        fetched, seconds, pages = _round(url, "bare")
        bare.append(seconds)
        imported, seconds, _ = _round(url, "import")
        imports.append(seconds)
    return {
        "bare": statistics.median(bare),
        "import": statistics.median(imports),
        "fetched": fetched,
        "imported": imported,
        "pages": pages,
    }


async def _probe(url: str, n: int) -> float:
    """Seconds for ``n`` token requests sent at once (the sandbox's latency applies to
    every endpoint): one round trip if it serves them side by side, n if in turn."""
    form = {
        "grant_type": "client_credentials",
        "client_id": data.AGGREGATOR_CLIENT_ID,
        "client_secret": data.AGGREGATOR_CLIENT_SECRET,
    }
    token_url = f"{url}/auth/realms/maas/protocol/openid-connect/token"
    async with httpx.AsyncClient(timeout=30) as http:
        await http.post(token_url, data=form)  # connection warm-up
        start = time.perf_counter()
        await asyncio.gather(*(http.post(token_url, data=form) for _ in range(n)))
        return time.perf_counter() - start


def run(orders: int = 10_000, rounds: int = 3, *, verbose: bool = False) -> list[Row]:
    rows: list[Row] = []
    with sandbox_process(orders=orders, seed=0, latency_ms=LATENCY_MS) as url:
        one, four = asyncio.run(_probe(url, 1)), asyncio.run(_probe(url, 4))
        m = measure(url, rounds)
    ratio = m["import"] / m["bare"]
    if verbose:
        print(f"latency {LATENCY_MS} ms: {m}", flush=True)
    rows.append(
        {
            "bar": f"import {m['imported']:,} orders at {LATENCY_MS} ms a request vs a plain "
            f"sequential fetch of the same {m['pages']} pages (median of {rounds})",
            "target": f"≤ {LATENCY_RATIO_TARGET}×",
            "measured": f"{ratio:.2f}× ({m['import']:.2f} s vs {m['bare']:.2f} s)",
            "ok": ratio <= LATENCY_RATIO_TARGET and m["imported"] == m["fetched"] == orders,
        }
    )
    rows.append(
        {
            "bar": f"↳ the {LATENCY_MS} ms sandbox: 4 requests sent at once answered in (1 alone)",
            "target": "(information)",
            "measured": f"{four * 1000:.0f} ms ({one * 1000:.0f} ms)",
            "ok": None,
        }
    )
    with sandbox_process(orders=orders, seed=0) as url:
        m = measure(url, rounds)
    ratio = m["import"] / m["bare"]
    if verbose:
        print(f"latency 0 ms: {m}", flush=True)
    rows.append(
        {
            "bar": f"import {m['imported']:,} orders at 0 ms vs a bare fetch of the same pages "
            f"(httpx + orjson only, median of {rounds})",
            "target": f"≤ {BARE_RATIO_TARGET}×",
            "measured": f"{ratio:.2f}× ({m['import']:.2f} s vs {m['bare']:.2f} s)",
            "ok": ratio <= BARE_RATIO_TARGET and m["imported"] == m["fetched"] == orders,
        }
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for r in run(args.orders, args.rounds, verbose=True):
        ok = "" if r["ok"] is None else ("yes" if r["ok"] else "NO")
        print(f"{r['bar']}: {r['measured']} (target {r['target']}) {ok}")


if __name__ == "__main__":
    main()
