"""Write pictures of a picking list and packing slips into ``screenshots/`` (sandbox).

Run: ``python scripts/documents_screenshots.py [--out screenshots] [--orders 10]``. A
throwaway CDTUI_HOME against a sandbox on loopback with the frozen clock of
``scripts/screenshots.py``; the first orders to ship get a picking list (A4) and packing
slips (A4 and A6). The PDFs are written beside the pictures' names in a temporary
folder; the first page of each is drawn as PNG with poppler's ``pdftoppm`` (needed for
the pictures only: without it the PDFs are kept and named).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from cdtui.config import save_settings
from cdtui.documents import packing_slips_pdf, picking_list_pdf
from cdtui.orders.enums import State
from cdtui.sandbox.server import SandboxServer
from cdtui.storage.store import Store
from cdtui.tui.demo import demo_settings
from screenshots import NOW, clock, connect, fresh_home, plain_environment

#: picture name -> (document, paper, resolution in dots per inch)
PICTURES = {
    "documents-1-picking-list-a4": ("picklist", "A4", 60),
    "documents-2-packing-slip-a4": ("slips", "A4", 60),
    "documents-3-packing-slip-a6": ("slips", "A6", 100),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent.parent / "screenshots")
    parser.add_argument("--orders", type=int, default=10)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    plain_environment()
    home = fresh_home("cdtui-docs-")
    pdftoppm = shutil.which("pdftoppm")
    try:
        with SandboxServer(orders=120, seed=0, clock=clock) as server:
            save_settings(demo_settings(home, server.url))
            asyncio.run(connect(home))
        records = Store(home, clock=clock).orders(state=State.TO_SHIP)[: args.orders]
        for name, (kind, paper, dpi) in PICTURES.items():
            if kind == "picklist":
                data = picking_list_pdf(records, NOW, paper)
            else:
                data = packing_slips_pdf(records, paper)
            pdf = home / f"{name}.pdf"
            pdf.write_bytes(data)
            if pdftoppm is None:
                print(f"no pdftoppm: {pdf} kept")
                continue
            target = args.out / name
            argv = [pdftoppm, "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile"]
            subprocess.run([*argv, str(pdf), str(target)], check=True)
            print(f"wrote {target}.png")
    finally:
        if pdftoppm is not None:
            shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
