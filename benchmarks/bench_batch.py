"""Time to make one print batch of 50 labels: merge and write, purchase excluded.

    python benchmarks/bench_batch.py [--labels 50] [--runs 7]

Writes 50 label files the way a bulk run leaves them (the sandbox's label PDFs, A6, one
per order, and its ZPL labels) into a throwaway labels folder, then times
``Batches.create`` — read the files, merge them with pypdf (A6: one label a page; A4:
four labels imposed on each sheet) or concatenate the ZPL, write the document and its
manifest privately — for each layout, ``--runs`` times, and prints the median and the
worst. The print command is not run (its time is the printer's).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cdtui.batches import Batches, BatchItem
from cdtui.sandbox import documents


def _labels(folder: Path, count: int, fmt: str) -> list[BatchItem]:
    items = []
    for i in range(count):
        content = documents.LabelContent(
            carrier="Colissimo",
            service="Colissimo Home",
            tracking_number=f"6A{i:011d}",
            order_number=f"2611301{i:05d}",
            parcel_id=str(100000 + i),
            weight_kg="1.000",
            recipient=[f"Client {i}", "", f"{i} rue de la Paix", "75002 Paris", "FR"],
        )
        path = folder / f"{content.order_number}-{content.tracking_number}.{fmt}"
        data = (
            documents.build_pdf([content], "A6")
            if fmt == "pdf"
            else documents.build_zpl(content, "A6")
        )
        path.write_bytes(data)
        items.append(BatchItem(f"SCID{i}", content.order_number, content.tracking_number, path))
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=50)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        pdfs = _labels(root, args.labels, "pdf")
        zpls = _labels(root, args.labels, "zpl")
        batches = Batches(root / "labels")
        print(f"{args.labels} labels a batch, {args.runs} runs each (merge + write)")
        for name, items, paper in (
            ("PDF, A6", pdfs, "A6"),
            ("PDF, A4 (4 a sheet)", pdfs, "A4"),
            ("ZPL", zpls, "A6"),
        ):
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                batch = batches.create(items, paper=paper, now=datetime.now(UTC))
                times.append(time.perf_counter() - start)
            size = batch.path.stat().st_size
            print(
                f"  {name:<20} median {statistics.median(times) * 1000:6.0f} ms   "
                f"worst {max(times) * 1000:6.0f} ms   {size / 1024:6.0f} KiB"
                + (f"   {batch.pages} pages" if batch.pages else "")
            )


if __name__ == "__main__":
    main()
