"""Paper for a batch of 50: the picking list and the packing slips of 50 orders.

    python benchmarks/bench_documents.py [--orders 50] [--rounds 5] [--paper A4]

Orders come from the sandbox's generator (``World``, seed 0: French, Belgian, British
addresses, relay points, one to four lines), validated as the store keeps them; no
HTTP. Each round builds both PDFs from the records (text cleaning, layout, barcodes,
font subsetting, compression: everything but the disk); medians. The first import of
fpdf2 and python-barcode is timed apart (paid once per process).
"""

from __future__ import annotations

import argparse
import statistics
import time

t0 = time.perf_counter()
import cdtui.documents as documents  # noqa: E402  (timed: fpdf2 and python-barcode)

IMPORT_S = time.perf_counter() - t0

from datetime import UTC, datetime  # noqa: E402

from cdtui.models import Order, OrderRecord  # noqa: E402
from cdtui.sandbox import data  # noqa: E402
from cdtui.sandbox.world import World  # noqa: E402


def records(count: int) -> list[OrderRecord]:
    world = World(orders=count * 4, seed=0)
    out = []
    for doc in world.orders(data.SELLER_ID):
        order = Order.model_validate(doc)
        if any(ln.status == "InPreparation" for ln in order.lines):
            out.append(
                OrderRecord(
                    order_id=order.order_id,
                    integration_id="1",
                    seller_id=data.SELLER_ID,
                    order=order,
                )
            )
        if len(out) == count:
            break
    if len(out) < count:
        raise SystemExit(f"only {len(out)} orders in preparation")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--paper", default="A4", choices=["A4", "A5", "A6"])
    args = parser.parse_args()
    recs = records(args.orders)
    now = datetime.now(UTC)
    rows: dict[str, list[float]] = {"picking list": [], "packing slips": []}
    sizes: dict[str, int] = {}
    for _ in range(args.rounds):
        t = time.perf_counter()
        picking = documents.picking_list_pdf(recs, now, args.paper)
        rows["picking list"].append(time.perf_counter() - t)
        t = time.perf_counter()
        slips = documents.packing_slips_pdf(recs, args.paper)
        rows["packing slips"].append(time.perf_counter() - t)
        sizes = {"picking list": len(picking), "packing slips": len(slips)}
    lines = sum(len(r.order.lines) for r in recs)
    print(f"{args.orders} orders, {lines} lines, {args.paper}, median of {args.rounds}")
    print(f"first import of fpdf2 + python-barcode: {IMPORT_S * 1000:.0f} ms")
    for name, times in rows.items():
        print(
            f"{name:14} {statistics.median(times) * 1000:7.0f} ms"
            f"  (min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f})"
            f"  {sizes[name] / 1024:.0f} KiB"
        )
    both = statistics.median(a + b for a, b in zip(*rows.values(), strict=True))
    print(f"{'both':14} {both * 1000:7.0f} ms")


if __name__ == "__main__":
    main()
