"""Store figures at 10,000 orders: import, no-op sync, one label save, inbox read, memory.

    /tmp/v/bin/python benchmarks/bench_store.py [--orders 10000] [--json]

Orders come from the generator below: documents shaped like the live API's
(camelCase, 1–3 lines with per-line shipping addresses and offers, every status),
validated through JSON as the Octopia client hands them over. It keeps this
benchmark about the store alone; the end-to-end import against the sandbox is the
engine's benchmark. The product's bars: saving one label's result < 30 ms, a no-op
sync writes nothing, 10,000 orders in under 200 MB.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from cdtui.models import LabelClaim, LabelInfo, Order, OrderRecord
from cdtui.storage.store import Store

CHANNELS = [
    ("CDISFR", "Cdiscount"),
    ("RAKUFR", "Rakuten"),
    ("CDONSE", "CDON"),
    ("WORTPT", "Worten"),
]
STATUSES = ["InPreparation"] * 6 + ["WaitingAcceptance", "Shipped", "Delivered", "Cancelled"]
FIRST = ["Camille", "Lucas", "Emma", "Hugo", "Léa", "Louis", "Chloé", "Jules", "Inès", "Nathan"]
LAST = ["Durand", "Martin", "Bernard", "Petit", "Robert", "Richard", "Moreau", "Simon"]
CITIES = [("75002", "Paris"), ("69003", "Lyon"), ("13001", "Marseille"), ("33000", "Bordeaux")]
PRODUCTS = ["Casque audio", "Chargeur USB-C", "Lampe de bureau", "Cafetière", "Sac à dos"]


def raw_order(i: int, rng: random.Random, *, base: datetime) -> dict[str, Any]:
    """One order document as Octopia's ``GET /orders`` returns it."""
    created = base - timedelta(minutes=rng.randint(0, 60 * 24 * 30))
    status = rng.choice(STATUSES)
    channel = rng.choice(CHANNELS)
    postal, city = rng.choice(CITIES)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    address = {
        "civility": "Mme",
        "firstName": first,
        "lastName": last,
        "companyName": None,
        "addressLine1": f"{rng.randint(1, 200)} rue de la Paix",
        "addressLine2": rng.choice([None, "Bât B", "3e étage"]),
        "addressLine3": None,
        "postalCode": postal,
        "city": city,
        "countryCode": "FR",
        "phone": f"+336{rng.randint(10_000_000, 99_999_999)}",
        "email": f"{first.lower()}.{i}@example.com",
        "pickupId": None,
        "pickupName": None,
    }
    lines = []
    for n in range(1, rng.randint(1, 3) + 1):
        price = round(rng.uniform(5, 200), 2)
        lines.append(
            {
                "orderLineId": str(n),
                "status": status,
                "quantity": rng.randint(1, 3),
                "offer": {
                    "id": f"off-{i}-{n}",
                    "sellerProductId": f"SKU-{rng.randint(1, 500):04d}",
                    "productId": f"prd{rng.randint(10**6, 10**7)}",
                    "productGtin": f"3700000{rng.randint(100000, 999999)}",
                    "productTitle": rng.choice(PRODUCTS),
                    "condition": "New",
                    "supplyMode": rng.choice(["Seller"] * 9 + ["Fulfillment"]),
                },
                "sellingPrice": {"unitSalesPrice": price, "shippingCost": 4.9},
                "delivery": {
                    "mode": "THD",
                    "promisedAtMin": (created + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "promisedAtMax": (created + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "shippedAtMax": (created + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                },
                "shippingAddress": address,
                "parcels": [],
            }
        )
    total = round(sum(ln["sellingPrice"]["unitSalesPrice"] for ln in lines), 2)
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "orderId": f"SCID{created:%y%m%d%H%M%S}{i:06d}",
        "reference": f"{created:%y%m%d%H%M}{i:06d}",
        "businessOrder": False,
        "salesChannel": {"id": channel[0], "name": channel[1]},
        "seller": {"id": "98979"},
        "customer": {"reference": f"custm_{i}"},
        "purchasedAt": stamp,
        "createdAt": stamp,
        "updatedAt": stamp,
        "shippedAtMax": (created + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "status": status,
        "currencyCode": "EUR",
        "billingAddress": {k: address[k] for k in list(address)[:10]},
        "totalPrice": {"offerPrice": total, "sellingPrice": total},
        "lines": lines,
    }


def make_orders(n: int, seed: int = 0) -> list[Order]:
    """``n`` validated orders, as the Octopia client would hand them to the store."""
    rng = random.Random(seed)
    base = datetime(2026, 11, 26, 12, tzinfo=UTC)
    raw = [raw_order(i, rng, base=base) for i in range(n)]
    # through JSON, like documents coming off the wire
    return [Order.model_validate(d) for d in orjson.loads(orjson.dumps(raw))]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def data_files(home: Path) -> dict[Path, tuple[int, int]]:
    return {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (home / "data").rglob("*.json")}


_READER = """
import gc, sys, time
from pathlib import Path
from cdtui.storage.store import Store
t = time.perf_counter()
recs = Store(Path(sys.argv[1])).orders()
elapsed = time.perf_counter() - t
gc.collect()
status = dict(
    line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line
)
kib = {key: int(status[key].split()[0]) for key in ("VmRSS", "VmHWM")}
print(len(recs), elapsed, kib["VmRSS"] / 1024, kib["VmHWM"] / 1024)
"""


def reader_process(home: Path) -> dict[str, float]:
    """A fresh process that opens the store and reads every order (the TUI's start)."""
    out = subprocess.run(
        [sys.executable, "-c", _READER, str(home)], capture_output=True, text=True, check=True
    ).stdout.split()
    return {
        "orders": int(out[0]),
        "open_and_orders_s": float(out[1]),
        "rss_mb": float(out[2]),
        "peak_rss_mb": float(out[3]),
    }


def run(n: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"orders": n}
    orders = make_orders(n)
    with tempfile.TemporaryDirectory(prefix="cdtui-bench-") as tmp:
        home = Path(tmp)
        store = Store(home)
        integ = store.add_integration(name="Bench shop", seller_id="98979", login="demo-shop")

        t, res = timed(lambda: store.upsert_orders(integ.id, "98979", orders))
        assert res.imported == n, res
        figures["upsert_new_s"] = t

        before = data_files(home)
        t, res = timed(lambda: store.upsert_orders(integ.id, "98979", orders))
        assert res.unchanged == n, res
        figures["upsert_noop_s"] = t
        figures["noop_files_rewritten"] = sum(
            1 for p, sig in data_files(home).items() if before.get(p) != sig
        )

        # A fresh process's view: the inbox read from cold files, then from the cache.
        cold = Store(home)
        t, recs = timed(lambda: cold.orders())
        assert len(recs) == n
        figures["orders_cold_s"] = t
        t, _ = timed(lambda: cold.orders())
        figures["orders_warm_s"] = t

        # Saving one label's result: claim, then the label, as the engine does.
        to_ship = [r.order_id for r in recs if r.state == "to_ship"][:50]
        now = datetime.now(UTC)

        def claim(rec: OrderRecord) -> OrderRecord:
            ref = rec.external_reference_id()
            rec.claim = LabelClaim(owner="bench:1:x", at=now, external_reference_id=ref)
            return rec

        def label(rec: OrderRecord) -> OrderRecord:
            assert rec.claim is not None
            rec.label = LabelInfo(
                external_reference_id=rec.claim.external_reference_id,
                shipment_id=f"shp-{rec.order_id}",
                parcel_id="1",
                carrier_name="Colissimo",
                tracking_number="6A12345678901",
                label_path=f"/labels/{rec.order_id}.pdf",
                created_at=now,
            )
            rec.claim = None
            return rec

        claims, labels = [], []
        for order_id in to_ship:
            claims.append(timed(lambda oid=order_id: cold.update_order(oid, claim))[0])
            labels.append(timed(lambda oid=order_id: cold.update_order(oid, label))[0])
        figures["update_order_claim_median_ms"] = statistics.median(claims) * 1000
        figures["update_order_label_median_ms"] = statistics.median(labels) * 1000
        both = sorted(claims + labels)
        figures["update_order_p95_ms"] = both[int(len(both) * 0.95) - 1] * 1000
        figures["update_order_max_ms"] = both[-1] * 1000
        t, _ = timed(lambda: cold.orders())
        figures["orders_after_50_labels_s"] = t

        figures["reader_process"] = reader_process(home)

        sizes = [p.stat().st_size for p in (home / "data" / "orders").rglob("*.json")]
        figures["shard_files"] = len(sizes)
        figures["largest_shard_kb"] = max(sizes) / 1024
        figures["data_mb"] = sum(sizes) / 1024 / 1024
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = run(args.orders)
    if args.json:
        print(orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode())
        return 0
    labels = {
        "upsert_new_s": "upsert of new orders (s)",
        "upsert_noop_s": "no-op upsert of the same orders (s)",
        "noop_files_rewritten": "files rewritten by the no-op upsert",
        "orders_cold_s": "orders() in a fresh process (s)",
        "orders_warm_s": "orders() again, cached (s)",
        "update_order_claim_median_ms": "update_order: claim, median of 50 (ms)",
        "update_order_label_median_ms": "update_order: label saved, median of 50 (ms)",
        "update_order_p95_ms": "update_order: 95th percentile of 100 (ms)",
        "update_order_max_ms": "update_order: slowest of 100, GC pauses incl. (ms)",
        "orders_after_50_labels_s": "orders() after 50 labels (s)",
        "shard_files": "order files",
        "largest_shard_kb": "largest order file (KiB)",
        "data_mb": "data on disk (MiB)",
        "peak_rss_mb": "peak RSS of the benchmark process (MiB)",
    }
    reader = figures.pop("reader_process")
    print(f"cdtui store benchmark, {figures['orders']} orders")
    for key, text in labels.items():
        value = figures[key]
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"  {text:<48} {shown:>10}")
    print("  a fresh process that opens the store and calls orders():")
    print(f"    {'time to open + orders() (s)':<46} {reader['open_and_orders_s']:>10.3f}")
    print(f"    {'RSS holding every record (MiB)':<46} {reader['rss_mb']:>10.1f}")
    print(f"    {'peak RSS (MiB)':<46} {reader['peak_rss_mb']:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
