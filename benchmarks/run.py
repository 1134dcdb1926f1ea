"""The performance bars of product.md, measured on this machine, in one command.

    python benchmarks/run.py [--orders 10000] [--quick] [--no-readme]

Runs the sandbox (10,000 orders) in its own process, so the figures are cdtui's
work plus real HTTP on loopback, and prints one table:

- importing 10,000 orders vs merely fetching the same pages (ratio, ≤ 1.3);
- an incremental sync that finds nothing new with 10,000 stored (< 150 ms, no order
  file written), in a running engine and in a fresh process as cron runs it (< 150 ms
  beyond the HTTP fetch of its window, no order file written);
- saving one label's result with 10,000 stored (< 30 ms);
- peak memory of a process that imports and lists 10,000 orders (< 200 MB RSS);
- bulk labels: the write rate reached vs Sendcloud's 100 writes/min, and 429s (≥ 90 %,
  zero 429s) — about 80 s, skipped by ``--quick``;
- the same with 2 processes at once on one data folder (one write budget), from
  ``benchmarks/bench_label_processes.py`` — about 90 s, 2 × 20 orders with ``--quick``;
- the inbox rows of ``benchmarks/bench_inbox.py`` when that file exists;
- imports at network speed, from ``benchmarks/bench_import_speed.py``: the first import
  at 50 ms a request vs a plain sequential fetch of the same pages (≤ 0.5×), and at
  0 ms vs a bare fetch doing only HTTP and JSON decoding (≤ 1.3×), each against a
  sandbox of its own — about 60 s, one round instead of 3 with ``--quick``.

The table is also written to ``benchmarks/README.md`` (unless ``--no-readme``).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from cdtui.config import Settings, load_settings
from cdtui.engine import Engine
from cdtui.models import LabelClaim, LabelInfo, OrderRecord, TrackingPush, utcnow
from cdtui.orders.enums import State
from cdtui.sandbox import data
from cdtui.sendcloud import SendcloudClient

HERE = Path(__file__).resolve().parent
Row = dict[str, Any]

IMPORT_RATIO_TARGET = 1.3
NOOP_TARGET_MS = 150.0
CRON_TARGET_MS = 150.0
LABEL_SAVE_TARGET_MS = 30.0
MEMORY_TARGET_MB = 200.0
WRITE_LIMIT_PER_MIN = 100
RATE_TARGET = 0.9
BULK_LABELS = 130

#: the sandbox in a child process; prints its URL, stops when stdin closes.
_SANDBOX = """
import json, sys
from cdtui.sandbox.server import SandboxServer
server = SandboxServer(**json.loads(sys.argv[1])).start()
print(server.url, flush=True)
sys.stdin.read()
server.stop()
"""

#: one import or one plain fetch of the same pages, in a fresh process (so neither pays
#: for the garbage collector walking what an earlier round left in memory).
_IMPORT = """
import asyncio, json, sys, time
from datetime import timedelta
from pathlib import Path
from cdtui.config import load_settings
from cdtui.engine import Engine
from cdtui.models import utcnow
from cdtui.octopia import OctopiaClient
mode, overrides = sys.argv[1], json.loads(sys.argv[2])
settings = load_settings(Path(overrides.pop("home")), **overrides)
async def fetch():
    client = OctopiaClient(
        auth_url=settings.octopia_auth_url, api_url=settings.octopia_api_url,
        client_id=settings.octopia_client_id,
        client_secret=settings.octopia_client_secret.get_secret_value())
    async with client:
        await client.check_credentials()  # the token is not part of the cost
        since = utcnow() - timedelta(days=30)  # the first import's window
        start = time.perf_counter()
        n = 0
        async for page in client.order_pages("98979", updated_at_min=since):
            n += len(page.orders)
        return n, time.perf_counter() - start
from cdtui.storage.store import Store
store_seconds = []
def timed(method):  # to show the store's share of the import
    def wrapper(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return method(self, *args, **kwargs)
        finally:
            store_seconds.append(time.perf_counter() - start)
    return wrapper
Store.prepare_orders = timed(Store.prepare_orders)
Store.upsert_orders = timed(Store.upsert_orders)
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
    return report.imported, elapsed
n, seconds = asyncio.run(fetch() if mode == "fetch" else run_import())
print(json.dumps({"orders": n, "seconds": seconds, "store": sum(store_seconds)}))
"""

#: a cdtui process that imports and lists every order; prints its peak RSS in kB.
_MEMORY = """
import asyncio, json, resource, sys
from pathlib import Path
from cdtui.config import load_settings
from cdtui.engine import Engine
overrides = json.loads(sys.argv[1])
async def main():
    engine = Engine(load_settings(Path(overrides.pop("home")), **overrides))
    await engine.connect(name="Bench", seller_id="98979", login="demo-shop")
    [report] = await engine.sync()
    n = len(engine.orders())
    to_ship = len(engine.orders(state="to_ship"))
    await engine.aclose()
    return report.imported, n, to_ship
imported, n, to_ship = asyncio.run(main())
try:  # VmHWM restarts at exec; ru_maxrss keeps the parent's peak from before the fork
    with open("/proc/self/status") as status:
        peak = next(int(ln.split()[1]) for ln in status if ln.startswith("VmHWM:"))
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"imported": imported, "listed": n, "to_ship": to_ship, "max_rss_kb": peak}))
"""

#: a `cdtui sync` from cron that finds nothing new, in a fresh process: the sync (the store
#: opened by it), then a plain fetch of the same window (its pages and the count the sync
#: asks for), each after its client got a token; order files read are counted.
_CRON = """
import asyncio, json, sys, time
started = time.perf_counter()
from pathlib import Path
import orjson
from cdtui.config import load_settings
from cdtui.engine import Engine
from cdtui.models import Integration, utcnow
from cdtui.octopia import OctopiaClient
from cdtui.storage.tinyfile import _FileStorage
from cdtui.sync import import_window
imports = time.perf_counter() - started
overrides = json.loads(sys.argv[1])
home = Path(overrides.pop("home"))
settings = load_settings(home, **overrides)
read = []
real_read = _FileStorage._read_file
def counting(self):
    if self.path.name != "meta.json":
        read.append(self.path.name)
    return real_read(self)
_FileStorage._read_file = counting
raw = orjson.loads((home / "data" / "meta.json").read_bytes())
integ = Integration.model_validate(raw["integrations"]["1"])
since, _ = import_window(integ, utcnow())
async def sync():
    engine = Engine(settings)
    await engine.check_octopia()
    start = time.perf_counter()
    [report] = await engine.sync()
    elapsed = time.perf_counter() - start
    await engine.aclose()
    if report.errors or report.imported or report.updated:
        raise SystemExit(f"not a sync that finds nothing new: {report}")
    return elapsed
async def fetch():
    client = OctopiaClient(
        auth_url=settings.octopia_auth_url, api_url=settings.octopia_api_url,
        client_id=settings.octopia_client_id,
        client_secret=settings.octopia_client_secret.get_secret_value())
    async with client:
        await client.check_credentials()
        start = time.perf_counter()
        n = 0
        async for page in client.order_pages("98979", updated_at_min=since):
            n += len(page.orders)
        await client.count_orders("98979", updated_at_min=since)
        return n, time.perf_counter() - start
sync_s = asyncio.run(sync())
n, fetch_s = asyncio.run(fetch())
print(json.dumps({"orders": n, "sync": sync_s, "fetch": fetch_s, "imports": imports,
                  "read": read}))
"""


# ---------------------------------------------------------------- plumbing


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


def sandbox_settings(url: str) -> dict[str, Any]:
    return {
        "octopia_auth_url": f"{url}/auth/realms/maas/protocol/openid-connect/token",
        "octopia_api_url": f"{url}/seller/v2",
        "octopia_client_id": data.AGGREGATOR_CLIENT_ID,
        "octopia_client_secret": data.AGGREGATOR_CLIENT_SECRET,
        "sendcloud_api_url": f"{url}/api/v3",
        "sendcloud_public_key": data.SENDCLOUD_PUBLIC_KEY,
        "sendcloud_secret_key": data.SENDCLOUD_SECRET_KEY,
        "sender_address_id": data.SENDER_ADDRESS_ID,
    }


def settings_for(url: str, home: Path) -> Settings:
    return load_settings(home, **sandbox_settings(url))


class Recorder(httpx.AsyncBaseTransport):
    """Keeps (start time, method, path, status) of every request it carries."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.events: list[tuple[float, str, str, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = time.monotonic()
        response = await self.inner.handle_async_request(request)
        self.events.append((started, request.method, request.url.path, response.status_code))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def order_files(home: Path) -> dict[str, int]:
    """Every file under data/orders (the order files and the sync indexes)."""
    orders = home / "data" / "orders"
    return {str(p): p.stat().st_mtime_ns for p in orders.rglob("*") if p.is_file()}


def row(bar: str, target: str, measured: str, ok: bool | None) -> Row:
    return {"bar": bar, "target": target, "measured": measured, "ok": ok}


# ---------------------------------------------------------------- measures


def child_round(url: str, mode: str, home: Path) -> tuple[int, float, float]:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            _IMPORT,
            mode,
            json.dumps({"home": str(home), **sandbox_settings(url)}),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return int(result["orders"]), float(result["seconds"]), float(result["store"])


async def bench_import_and_noop(url: str, orders: int, rounds: int) -> list[Row]:
    fetch_times: list[float] = []
    import_times: list[float] = []
    store_times: list[float] = []
    imported = fetched = 0
    home = Path()
    for i in range(rounds):  # interleaved, so a busy moment hits both
        fetched, seconds, _ = child_round(
            url, "fetch", Path(tempfile.mkdtemp(prefix="cdtui-bench-"))
        )
        fetch_times.append(seconds)
        home = Path(tempfile.mkdtemp(prefix=f"cdtui-bench-import{i}-"))
        imported, seconds, store_s = child_round(url, "import", home)
        import_times.append(seconds)
        store_times.append(store_s)
    fetch_s, import_s = statistics.median(fetch_times), statistics.median(import_times)
    ratio = import_s / fetch_s
    rows = [
        row(
            f"import {imported:,} orders vs fetching the same pages (median of {rounds})",
            f"≤ {IMPORT_RATIO_TARGET}×",
            f"{ratio:.2f}× ({import_s:.2f} s vs {fetch_s:.2f} s)",
            ratio <= IMPORT_RATIO_TARGET and imported == fetched == orders,
        ),
        row(
            "↳ of which the store (pages prepared as they arrive, one batch upsert)",
            "(information)",
            f"{statistics.median(store_times):.2f} s",
            None,
        ),
    ]
    engine = Engine(settings_for(url, home))
    await engine.check_octopia()
    await engine.sync()  # the running engine has read its store once

    # no-op sync in the running engine (daemon / TUI)
    before = order_files(home)
    times = []
    for _ in range(7):
        start = time.perf_counter()
        [report] = await engine.sync()
        times.append((time.perf_counter() - start) * 1000)
        assert report.imported == 0 and not report.errors, report
    written = sum(1 for p, m in order_files(home).items() if before.get(p) != m)
    noop = statistics.median(times)
    rows.append(
        row(
            f"sync that finds nothing new, {len(engine.orders()):,} stored (median of 7)",
            f"< {NOOP_TARGET_MS:.0f} ms, 0 order files written",
            f"{noop:.0f} ms, {written} order files written",
            noop < NOOP_TARGET_MS and written == 0,
        )
    )
    # the same from a fresh engine and store (what one `cdtui sync` from cron does,
    # minus the interpreter start): the store's files are read and checked once
    await engine.aclose()
    cold = Engine(settings_for(url, home))
    await cold.check_octopia()
    start = time.perf_counter()
    await cold.sync()
    cold_ms = (time.perf_counter() - start) * 1000
    rows.append(
        row(
            "↳ same, fresh process state (cron `cdtui sync`)",
            "(information)",
            f"{cold_ms:.0f} ms",
            None,
        )
    )
    rows += cron_rows(url, home)

    # saving one label's result: the single store write of a label purchase
    recs = cold.orders(state=State.TO_SHIP)[:40]
    save_ms = []
    for rec in recs:
        save_ms.append(_save_label(cold, rec))
    await cold.aclose()
    median = statistics.median(save_ms)
    p95 = sorted(save_ms)[int(len(save_ms) * 0.95) - 1]
    rows.append(
        row(
            f"save one label's result, {len(cold.orders()):,} stored ({len(save_ms)} saves)",
            f"< {LABEL_SAVE_TARGET_MS:.0f} ms",
            f"{median:.1f} ms median, {p95:.1f} ms p95",
            p95 < LABEL_SAVE_TARGET_MS,
        )
    )
    return rows


def cron_rows(url: str, home: Path, rounds: int = 5) -> list[Row]:
    """A `cdtui sync` from cron that finds nothing new, each round a fresh process: its
    time beyond the HTTP fetch of its window, the order files it reads and writes."""
    before = order_files(home)
    results = []
    for _ in range(rounds):
        out = subprocess.run(
            [sys.executable, "-c", _CRON, json.dumps({"home": str(home), **sandbox_settings(url)})],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    after = order_files(home)
    written = sum(1 for p, m in after.items() if before.get(p) != m and p.endswith(".json"))
    index_written = sum(1 for p, m in after.items() if before.get(p) != m and p.endswith("index"))
    beyond = statistics.median((r["sync"] - r["fetch"]) * 1000 for r in results)
    read = max(len(r["read"]) for r in results)
    window = statistics.median(r["orders"] for r in results)
    return [
        row(
            f"sync that finds nothing new, fresh process (cron), {window:,.0f} orders in its "
            f"90-minute window (median of {rounds})",
            f"< {CRON_TARGET_MS:.0f} ms beyond the fetch, 0 order files written",
            f"{beyond:.0f} ms beyond the fetch, {written} order files written, {read} read",
            beyond < CRON_TARGET_MS and written == 0,
        ),
        row(
            "↳ sync / fetch of its window / interpreter imports (fresh process)",
            "(information)",
            f"{statistics.median(r['sync'] for r in results) * 1000:.0f} ms / "
            f"{statistics.median(r['fetch'] for r in results) * 1000:.0f} ms / "
            f"{statistics.median(r['imports'] for r in results) * 1000:.0f} ms"
            f" (index written {index_written}×)",
            None,
        ),
    ]


def _save_label(engine: Engine, rec: OrderRecord) -> float:
    """Time the write that records a bought label and its pending tracking update."""
    now = utcnow()
    claim = LabelClaim(
        owner=engine.owner, at=now, external_reference_id=rec.external_reference_id()
    )
    engine.store.update_order(rec.order_id, lambda r: r.model_copy(update={"claim": claim}))
    label = LabelInfo(
        external_reference_id=claim.external_reference_id,
        shipment_id="bench",
        parcel_id="1",
        carrier_code="colissimo",
        carrier_name="Colissimo",
        tracking_number="6A00000000000",
        tracking_url="https://tracking.example/6A00000000000",
        shipping_option_code="colissimo:home",
        weight_kg=Decimal("1.000"),
        label_path="/tmp/label.pdf",
        created_at=now,
    )
    push = TrackingPush(
        carrier_name="Colissimo",
        parcel_number="6A00000000000",
        line_ids=[ln.order_line_id for ln in rec.order.shippable_lines],
    )

    def save(r: OrderRecord) -> OrderRecord:
        r.label, r.push = label, push
        return r

    start = time.perf_counter()
    engine.store.update_order(rec.order_id, save)
    return (time.perf_counter() - start) * 1000


def bench_memory(url: str) -> Row:
    home = Path(tempfile.mkdtemp(prefix="cdtui-bench-memory-"))
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY, json.dumps({"home": str(home), **sandbox_settings(url)})],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    mb = result["max_rss_kb"] / 1024
    return row(
        f"peak memory, import + list {result['listed']:,} orders (cdtui process)",
        f"< {MEMORY_TARGET_MB:.0f} MB RSS",
        f"{mb:.0f} MB",
        mb < MEMORY_TARGET_MB and result["listed"] >= 10_000,
    )


async def bench_bulk_labels(url: str, count: int) -> list[Row]:
    """Bulk labels at Sendcloud's published limits: write rate reached and 429s."""
    home = Path(tempfile.mkdtemp(prefix="cdtui-bench-bulk-"))
    settings = settings_for(url, home)
    recorder = Recorder()
    assert settings.sendcloud_public_key and settings.sendcloud_secret_key
    sendcloud = SendcloudClient(
        api_url=settings.sendcloud_api_url,
        public_key=settings.sendcloud_public_key,
        secret_key=settings.sendcloud_secret_key.get_secret_value(),
        writes_per_second=settings.sendcloud_writes_per_second,
        writes_per_minute=settings.sendcloud_writes_per_minute,
        transport=recorder,
    )
    engine = Engine(settings, sendcloud=sendcloud)
    await engine.connect(name="Bench", seller_id=data.SELLER_ID, login=data.SELLER_LOGIN)
    await engine.sync()
    ids = [
        r.order_id
        for r in engine.orders(state=State.TO_SHIP)
        if data.ANNOUNCE_FAIL_MARK
        not in ((r.order.shipping_address or _NoAddress).address_line1 or "")
    ][:count]
    start = time.monotonic()
    outcomes = await engine.create_labels(ids)
    elapsed = time.monotonic() - start
    await engine.aclose()
    writes = sorted(t for t, method, _, _ in recorder.events if method != "GET")
    too_many = sum(1 for *_, status in recorder.events if status == 429)
    async with httpx.AsyncClient() as http:
        stats = (await http.get(f"{url}/_sandbox/state")).json()["stats"]
    server_429 = int(stats.get("429", 0))
    # writes in the first full minute of the run (the limiter's steady state is the
    # same: a place frees 60 s after it was used)
    first_minute = sum(1 for t in writes if t < writes[0] + 60) if writes else 0
    rate = first_minute / WRITE_LIMIT_PER_MIN
    made = sum(1 for o in outcomes if o.ok)
    sent = sum(1 for o in outcomes if o.tracking_sent)
    return [
        row(
            f"bulk labels: writes in the first minute vs {WRITE_LIMIT_PER_MIN}/min limit",
            f"≥ {RATE_TARGET:.0%}, 0 × 429",
            f"{rate:.0%} ({first_minute} writes), {too_many + server_429} × 429",
            rate >= RATE_TARGET and too_many == 0 and server_429 == 0,
        ),
        row(
            "↳ bulk run",
            "(information)",
            f"{made}/{len(ids)} labels, {sent} tracking sent, {len(writes)} writes "
            f"in {elapsed:.0f} s",
            None,
        ),
    ]


class _NoAddress:
    address_line1: str | None = None


def label_processes_rows(quick: bool) -> list[Row]:
    """Bulk labels by 2 processes at once on one data folder (its own sandbox)."""
    spec = importlib.util.spec_from_file_location(
        "bench_label_processes", HERE / "bench_label_processes.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows: list[Row] = module.run(quick=quick)
    return rows


def import_speed_rows(orders: int, quick: bool) -> list[Row]:
    """The first import against plain fetches, at 50 ms and at 0 ms a request."""
    spec = importlib.util.spec_from_file_location(
        "bench_import_speed", HERE / "bench_import_speed.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows: list[Row] = module.run(orders, rounds=1 if quick else 3)
    return rows


def inbox_rows(orders: int) -> list[Row]:
    path = HERE / "bench_inbox.py"
    if not path.exists():
        return []
    spec = importlib.util.spec_from_file_location("bench_inbox", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows: list[Row] = module.run(orders)
    return rows


# ---------------------------------------------------------------- report


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average {load:.1f} at start"
    )


def table(rows: list[Row]) -> str:
    def ok(value: bool | None) -> str:
        return "" if value is None else ("yes" if value else "**NO**")

    lines = ["| bar | target | measured | ok |", "| --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['bar']} | {r['target']} | {r['measured']} | {ok(r['ok'])} |")
    return "\n".join(lines)


def write_readme(rows: list[Row], info: str, seconds: float) -> None:
    text = f"""# Benchmarks

`python benchmarks/run.py` measures the performance bars of `product.md` on the
machine it runs on and rewrites this file with the last table. The sandbox (10,000
orders, seed 0) runs in its own process and is reached over HTTP on loopback; the
figures are medians unless stated. `--quick` skips the bulk-label run (about 80 s:
the per-minute write limit can only be observed over a minute).

How each bar is measured:

- **import** — a first `sync` into an empty store (paging, each page prepared for
  the store as it arrives, completeness count, one batch upsert) against paging the
  same 30-day window with the Octopia client alone (HTTP, JSON and validation: what
  any import must do). Each round runs in a fresh process, fetch and import
  interleaved; medians. The store's share (`prepare_orders` plus `upsert_orders`) is
  shown below it.
- **sync that finds nothing new** — `Engine.sync()` again in a running engine (the
  daemon's and the TUI's case): pages the 90-minute overlap (about 570 orders of the
  sandbox's 10,000), finds every order unchanged; the order files' modification
  times are compared before and after. The fresh-state line is the same pass from a
  new engine and store in the same process.
- **sync that finds nothing new, fresh process (cron)** — `cdtui sync` as cron runs
  it: each of 5 rounds a new process (its imports shown, not counted) whose `Engine`
  gets a token, then syncs (opening the store is part of it), then fetches the same
  window with the Octopia client alone (its pages and the count the sync asks for);
  the bar is the sync's time beyond that fetch (median). The order files read (the
  sync index answers for unchanged orders) and written are counted.
- **save one label's result** — the one store write that records a bought label
  and its pending tracking update (`Store.update_order`), 40 orders.
- **peak memory** — the peak RSS (`VmHWM`) of a child process that connects,
  imports every order and lists them.
- **bulk labels** — `Engine.create_labels` on {BULK_LABELS} orders at the published
  limits (15 writes/s, 100 writes/min); every request is recorded by the HTTP
  transport; 429s counted on both sides.
- **bulk labels, 2 processes** — two processes on one data folder start together, each
  `Engine.create_labels` on its own 65 orders (20 with `--quick`) with the client the
  engine builds (writes paced through `CDTUI_HOME/run/sendcloud-writes.json`), against a
  sandbox of their own; every request's start is recorded in each process and merged;
  429s counted on both sides (`benchmarks/bench_label_processes.py`).
- **import at network speed** — `benchmarks/bench_import_speed.py`, against a sandbox
  of its own that sleeps 50 ms before answering each request (concurrent requests
  sleep side by side), then one that answers at once: a first `sync` into an empty
  store against a bare sequential fetch of the same pages (httpx + orjson, one page
  after the other until a short one: no validation, no store). Each round in a fresh
  process, interleaved; medians of 3 (1 with `--quick`).
- **inbox** — the rows of `benchmarks/bench_inbox.py` (the TUI, headless).

Last run ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {seconds:.0f} s): {info}

{table(rows)}
"""
    (HERE / "README.md").write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="cdtui's performance bars on this machine")
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5, help="import rounds (5)")
    parser.add_argument("--quick", action="store_true", help="skip the bulk-label run")
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite README.md")
    args = parser.parse_args(argv)
    for key in [k for k in os.environ if k.startswith("CDTUI_")]:
        del os.environ[key]  # the benchmark's own settings only
    info = machine()
    print(f"cdtui benchmarks — {info}", flush=True)
    began = time.perf_counter()
    rows: list[Row] = []
    # every data folder of this run lives under one temporary folder, removed at the end
    with tempfile.TemporaryDirectory(prefix="cdtui-bench-") as root:
        tempfile.tempdir = root
        try:
            with sandbox_process(orders=args.orders, seed=0) as url:
                rows += asyncio.run(bench_import_and_noop(url, args.orders, args.rounds))
                rows.append(bench_memory(url))
                if args.quick:
                    rows.append(row("bulk labels", "≥ 90 %, 0 × 429", "skipped (--quick)", None))
                else:
                    rows += asyncio.run(bench_bulk_labels(url, BULK_LABELS))
            rows += label_processes_rows(args.quick)  # its own sandbox: its own budget
            rows += import_speed_rows(args.orders, args.quick)  # its own sandboxes
        finally:
            tempfile.tempdir = None
    rows += inbox_rows(args.orders)
    seconds = time.perf_counter() - began
    print(table(rows))
    if not args.no_readme:
        write_readme(rows, info, seconds)
    return 0 if all(r["ok"] is not False for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
