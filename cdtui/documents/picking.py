"""The picking list: what to take off the shelves for a set of orders, per SKU."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cdtui.documents.sheet import Sheet, paper_named
from cdtui.models import OrderRecord
from cdtui.orders.summary import shown_lines

#: caps of each field (characters) before it is cut with ``…``
SKU_MAX, TITLE_MAX, GTIN_MAX, REFERENCE_MAX = 40, 120, 20, 30
#: samples of the columns of fixed width (``Sheet.columns``), shares of the others
QTY, GTIN, TICK = "99999", "0" * 14, "OK."
#: usable widths (mm) below this put the GTIN under the title, without a tick box
NARROW_MM = 120


@dataclass
class PickRow:
    """One SKU to pick: how many, what it is, and which orders (reference → quantity)."""

    sku: str
    title: str | None = None
    gtin: str | None = None
    quantity: int = 0
    orders: dict[str, int] = field(default_factory=dict)


def pick_rows(records: Sequence[OrderRecord]) -> list[PickRow]:
    """Quantities per SKU over the lines a label covers (``summary.shown_lines``: the
    merchant's lines in preparation), sorted by SKU; lines without a SKU come last, one
    row per product. Lines of no quantity are nothing to pick."""
    rows: dict[tuple[str, str], PickRow] = {}
    for rec in records:
        for line in shown_lines(rec.order):
            if line.quantity < 1:
                continue
            sku = (line.sku or "").strip()
            offer = line.offer
            key = (sku, "") if sku else ("", offer.product_id or offer.product_title or "")
            row = rows.get(key)
            if row is None:
                row = rows[key] = PickRow(sku)
            row.quantity += line.quantity
            row.title = row.title or offer.product_title
            row.gtin = row.gtin or offer.product_gtin
            row.orders[rec.reference] = row.orders.get(rec.reference, 0) + line.quantity
    return sorted(rows.values(), key=lambda r: (not r.sku, r.sku.casefold(), r.sku, r.title or ""))


def picking_list_pdf(records: Sequence[OrderRecord], now: datetime, paper: str = "A4") -> bytes:
    """The picking list of ``records`` as a PDF: a header (date, orders, items, SKUs)
    and one row per SKU with its total, title, GTIN, the orders that need it and a box
    to tick."""
    rows = pick_rows(records)
    items = sum(r.quantity for r in rows)
    pdf = Sheet(paper_named(paper), "Picking list")
    pdf.footer_text = f"Picking list {now:%Y-%m-%d %H:%M} - page {{page}}/{{nb}}"
    pdf.add_page()
    pdf.head_font(1.8)
    pdf.cell(0, pdf.line_height(1.8) + 1, "Picking list", new_x="LMARGIN", new_y="NEXT")
    pdf.head_font(1.1, bold=False)
    plural = "" if len(records) == 1 else "s"
    summary = (
        f"{now:%Y-%m-%d %H:%M}  ·  {len(records)} order{plural}  ·  {items} item"
        f"{'' if items == 1 else 's'}  ·  {len(rows)} SKU{'' if len(rows) == 1 else 's'}"
    )
    pdf.multi_cell(0, pdf.line_height(1.1) + 1, summary, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    if not rows:
        pdf.head_font()
        pdf.cell(0, pdf.line_height(), "Nothing to pick: these orders have no line to ship.")
        return bytes(pdf.output())
    safe = pdf.safe
    skus = [safe(r.sku, pdf.cap(SKU_MAX)) or "(no SKU)" for r in rows]
    orders = [_order_entries(pdf, r) for r in rows]
    # monospace: a column is as wide as its longest text
    longest_sku = "0" * max([3, *(len(sku) for sku in skus)])
    longest_ref = "0" * max([10, *(len(e) + 1 for entries in orders for e in entries)])
    # narrow paper (A6): the GTIN goes under the title and there is no box to tick
    narrow = pdf.usable_width < NARROW_MM
    if narrow:
        widths = pdf.columns(QTY, longest_sku, 1.0, longest_ref)
        headings: tuple[str, ...] = ("Qty", "SKU", "Product, GTIN", "Orders")
    else:
        widths = pdf.columns(QTY, longest_sku, 1.0, GTIN, longest_ref, TICK)
        headings = ("Qty", "SKU", "Product", "GTIN", "Orders", "OK")
    table: list[list[str]] = []
    for r, sku, entries in zip(rows, skus, orders, strict=True):
        title = safe(r.title, pdf.cap(TITLE_MAX)) or "-"
        gtin = safe(r.gtin, GTIN_MAX) or "-"
        products = [f"{title}\n{gtin}"] if narrow else [title, gtin]
        tick = [] if narrow else [""]
        table.append([str(r.quantity), sku, *products, ", ".join(entries), *tick])
    pdf.grid(widths, headings, table)
    return bytes(pdf.output())


def _order_entries(pdf: Sheet, row: PickRow) -> list[str]:
    """The orders needing a SKU as printed: ``REF`` or ``REF ×2`` (a no-break space: the
    count stays with its reference), then ``+N more``."""
    shown = pdf.paper.orders_shown
    entries = [
        pdf.safe(ref, pdf.cap(REFERENCE_MAX)) + (f"\u00a0×{q}" if q > 1 else "")
        for ref, q in list(row.orders.items())[:shown]
    ]
    if len(row.orders) > shown:
        entries.append(f"+{len(row.orders) - shown} more")
    return entries
