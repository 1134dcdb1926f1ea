"""Bulk labels bought by several processes at once on one data folder.

The product bar: at least 90 % of Sendcloud's write limit and no 429, "also when several
processes buy labels at once (one budget per data folder)".

    python benchmarks/bench_label_processes.py [--processes 2] [--orders-each 65] [--quick]

Starts the sandbox in its own process (Sendcloud's published limits: 15 writes/s,
100 writes/min, counted per API key), connects one data folder and syncs it, then starts
the processes together, each buying the labels of its own share of the orders with
``Engine.create_labels`` (what ``cdtui label`` runs) and the Sendcloud client the engine
builds, whose writes are paced through ``CDTUI_HOME/run/sendcloud-writes.json``. Each
process records the wall-clock start and the status of every Sendcloud request it sends;
the writes of all of them are merged. Full size: 2 × 65 orders (about 80 s, the minute
limit can only be observed over a minute); ``--quick``: 2 × 20 orders (about 10 s:
checks the 429s and the per-second and per-minute caps, not the rate reached).

``run(quick)`` returns the rows for ``benchmarks/run.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from run import (
    RATE_TARGET,
    WRITE_LIMIT_PER_MIN,
    row,
    sandbox_process,
    sandbox_settings,
    settings_for,
    table,
)

from cdtui.engine import Engine
from cdtui.orders.enums import State
from cdtui.sandbox import data

PER_SECOND = 15
SANDBOX_ORDERS = 2000

#: one process buying labels: waits for the common start instant, prints what it saw
_CHILD = """
import asyncio, json, sys, time
from pathlib import Path
from cdtui.config import load_settings
from cdtui.engine import Engine

args = json.loads(sys.argv[1])

async def main():
    settings = load_settings(Path(args["home"]), **args["settings"])
    engine = Engine(settings)
    client = engine.sendcloud  # as the engine builds it: the data folder's write budget
    events, started = [], {}

    async def on_request(request):
        started[id(request)] = time.time()

    async def on_response(response):
        request = response.request
        events.append((started.pop(id(request)), request.method, response.status_code))

    client._http.event_hooks = {"request": [on_request], "response": [on_response]}
    await asyncio.sleep(max(0.0, args["start_at"] - time.time()))
    t0 = time.time()
    outcomes = await engine.create_labels(args["ids"])
    elapsed = time.time() - t0
    await engine.aclose()
    print(json.dumps({
        "events": events,
        "made": sum(1 for o in outcomes if o.ok),
        "sent": sum(1 for o in outcomes if o.tracking_sent),
        "errors": sorted({o.error for o in outcomes if not o.ok and o.error}),
        "elapsed": elapsed,
    }))

asyncio.run(main())
"""


def max_in_window(times: list[float], period: float) -> int:
    """The largest number of events inside any window [t, t + period)."""
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - period:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def _plain(rec: Any) -> bool:
    """An order any bulk run labels as is: metropolitan France (no customs to set up),
    nothing to look at, an address the carrier accepts."""
    address = rec.order.shipping_address
    return (
        address is not None
        and (address.country_code or "").upper() == "FR"
        and not (address.postal_code or "").startswith(("97", "98"))
        and not rec.attention
        and data.ANNOUNCE_FAIL_MARK not in (address.address_line1 or "")
    )


async def _prepare(url: str, home: Path, count: int) -> list[str]:
    """Connect and sync the data folder; the ids of ``count`` orders to label."""
    engine = Engine(settings_for(url, home))
    await engine.connect(name="Bench", seller_id=data.SELLER_ID, login=data.SELLER_LOGIN)
    await engine.sync()
    ids = [r.order_id for r in engine.orders(state=State.TO_SHIP) if _plain(r)][:count]
    await engine.aclose()
    if len(ids) < count:
        raise RuntimeError(f"only {len(ids)} orders to ship in the sandbox")
    return ids


def measure(processes: int, each: int) -> dict[str, Any]:
    """Run the processes at once; the merged figures."""
    with sandbox_process(orders=SANDBOX_ORDERS, seed=0) as url:
        home = Path(tempfile.mkdtemp(prefix="cdtui-bench-processes-"))
        ids = asyncio.run(_prepare(url, home, processes * each))
        start_at = time.time() + 3.0  # every process imported and ready by then
        children = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    _CHILD,
                    json.dumps(
                        {
                            "home": str(home),
                            "settings": sandbox_settings(url),
                            "ids": ids[i::processes],
                            "start_at": start_at,
                        }
                    ),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(processes)
        ]
        results = []
        for child in children:
            out, err = child.communicate(timeout=600)
            if child.returncode != 0:
                raise RuntimeError(f"a labelling process failed:\n{err[-2000:]}")
            results.append(json.loads(out.strip().splitlines()[-1]))
        stats = httpx.get(f"{url}/_sandbox/state", timeout=10).json()["stats"]
    events = [e for r in results for e in r["events"]]
    writes = sorted(t for t, method, _ in events if method != "GET")
    first = writes[0] if writes else 0.0
    return {
        "processes": processes,
        "orders": len(ids),
        "writes": len(writes),
        "first_minute": sum(1 for t in writes if t < first + 60),
        "max_minute": max_in_window(writes, 60.0),
        "max_second": max_in_window(writes, 1.0),
        "client_429": sum(1 for *_, status in events if status == 429),
        "server_429": int(stats.get("429", 0)),
        "made": sum(r["made"] for r in results),
        "sent": sum(r["sent"] for r in results),
        "errors": sorted({e for r in results for e in r["errors"]}),
        "elapsed": max(r["elapsed"] for r in results),
        "span": (writes[-1] - first) if writes else 0.0,
    }


def rows_of(m: dict[str, Any], quick: bool) -> list[dict[str, Any]]:
    n = m["processes"]
    # the same 429 is seen by a client and counted by the sandbox: either side, not both
    too_many = max(m["client_429"], m["server_429"])
    capped = m["max_second"] <= PER_SECOND and m["max_minute"] <= WRITE_LIMIT_PER_MIN
    rate = m["first_minute"] / WRITE_LIMIT_PER_MIN
    busiest = f"busiest second {m['max_second']}, busiest minute {m['max_minute']}"
    if quick:
        main = row(
            f"bulk labels, {n} processes at once on one data folder (quick: {m['orders']} orders)",
            f"0 × 429, ≤ {PER_SECOND}/s and ≤ {WRITE_LIMIT_PER_MIN}/min together",
            f"{m['writes']} writes ({busiest}), {too_many} × 429",
            too_many == 0 and capped,
        )
    else:
        main = row(
            f"bulk labels, {n} processes at once on one data folder: writes in the first "
            f"minute vs {WRITE_LIMIT_PER_MIN}/min limit",
            f"≥ {RATE_TARGET:.0%}, 0 × 429",
            f"{rate:.0%} ({m['first_minute']} writes; {busiest}), {too_many} × 429",
            rate >= RATE_TARGET and too_many == 0 and capped,
        )
    detail = row(
        f"↳ {n}-process run",
        "(information)",
        f"{m['made']}/{m['orders']} labels, {m['sent']} tracking sent, {m['writes']} writes "
        f"in {m['span']:.0f} s",
        None,
    )
    return [main, detail]


def run(quick: bool = False, processes: int = 2, each: int | None = None) -> list[dict[str, Any]]:
    each = each or (20 if quick else 65)
    return rows_of(measure(processes, each), quick)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--orders-each", type=int, default=None, help="65 (20 with --quick)")
    parser.add_argument("--quick", action="store_true", help="2 × 20 orders, about 10 s")
    args = parser.parse_args(argv)
    for key in [k for k in os.environ if k.startswith("CDTUI_")]:
        del os.environ[key]  # the benchmark's own settings only
    with tempfile.TemporaryDirectory(prefix="cdtui-bench-") as root:
        tempfile.tempdir = root
        try:
            m = measure(args.processes, args.orders_each or (20 if args.quick else 65))
        finally:
            tempfile.tempdir = None
    rows = rows_of(m, args.quick)
    print(table(rows))
    print(json.dumps(m))
    return 0 if all(r["ok"] is not False for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
