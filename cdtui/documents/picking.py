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
#: columns: quantity, SKU, product, GTIN, orders, tick box (``Sheet.columns``)
COLUMNS = ("99999", 26.0, 52.0, "0" * 14, 44.0, "OK.")


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
    widths = pdf.columns(*COLUMNS)
    shown = pdf.paper.orders_shown
    with pdf.table(
        col_widths=widths,
        headings_style=pdf.heading_face,
        line_height=pdf.line_height() + 0.5,
        text_align="LEFT",
        padding=1,
    ) as table:
        heading = table.row()
        for title in ("Qty", "SKU", "Product", "GTIN", "Orders", "OK"):
            heading.cell(title)
        for r in rows:
            refs = [
                pdf.safe(ref, pdf.cap(REFERENCE_MAX)) + (f" ×{q}" if q > 1 else "")
                for ref, q in list(r.orders.items())[:shown]
            ]
            if len(r.orders) > shown:
                refs.append(f"+{len(r.orders) - shown} more")
            row = table.row()
            row.cell(str(r.quantity), align="RIGHT")
            row.cell(pdf.safe(r.sku, pdf.cap(SKU_MAX)) or "(no SKU)")
            row.cell(pdf.safe(r.title, pdf.cap(TITLE_MAX)) or "-")
            row.cell(pdf.safe(r.gtin, GTIN_MAX) or "-")
            row.cell(", ".join(refs))
            row.cell("")
    return bytes(pdf.output())
