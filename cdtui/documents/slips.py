"""Packing slips: one page per order, its reference as a Code 128 barcode on top, who
it goes to, and the lines to put in the parcel."""

from __future__ import annotations

from collections.abc import Sequence

from cdtui.documents import code128
from cdtui.documents.sheet import Sheet, paper_named
from cdtui.models import Address, OrderRecord
from cdtui.orders.summary import shown_lines

#: caps of each field (characters) before it is cut with ``…``
REFERENCE_MAX, NAME_MAX, ADDRESS_MAX, ID_MAX = 40, 60, 80, 30
SKU_MAX, TITLE_MAX, GTIN_MAX = 40, 120, 20
#: samples of the columns of fixed width (``Sheet.columns``)
QTY, GTIN = "Qty.", "0" * 14
#: the barcode's widest extent (mm): wider is harder to aim a scanner at
BARCODE_MAX_MM = 90


def packing_slips_pdf(records: Sequence[OrderRecord], paper: str = "A4") -> bytes:
    """One packing slip per order, in the given order, on ``paper`` (A4, A5 or A6).
    ``ValueError`` without any order (a PDF needs a page)."""
    if not records:
        raise ValueError("A packing slip needs an order.")
    pdf = Sheet(paper_named(paper), "Packing slips")
    for rec in records:
        _slip(pdf, rec)
    return bytes(pdf.output())


def _destination(rec: OrderRecord) -> tuple[Address | None, bool]:
    """The address the parcel goes to (as the inbox shows it: the first shown line's,
    else the billing address) and whether it is a relay point."""
    lines = shown_lines(rec.order)
    address = next((ln.shipping_address for ln in lines if ln.shipping_address), None)
    address = address or rec.order.shipping_address or rec.order.billing_address
    relay = next(
        (
            ln.shipping_address
            for ln in lines
            if ln.shipping_address and (ln.shipping_address.pickup_id or "").strip()
        ),
        None,
    )
    return (relay, True) if relay is not None else (address, False)


def _slip(pdf: Sheet, rec: OrderRecord) -> None:
    order = rec.order
    safe = pdf.safe
    pdf.add_page()
    pdf.head_font()
    pdf.cell(0, pdf.line_height(), "PACKING SLIP", new_x="LMARGIN", new_y="NEXT")
    pdf.data_font(2.0)
    pdf.multi_cell(
        0,
        pdf.line_height(2.0),
        safe(rec.reference, pdf.cap(REFERENCE_MAX)),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    _barcode(pdf, rec)
    pdf.ln(1)

    label_width = min(28.0, pdf.usable_width * 0.26)
    channel = order.sales_channel
    pdf.field(
        "Channel",
        safe(channel.name or channel.id, pdf.cap(NAME_MAX)) if channel else "",
        label_width,
    )
    ordered = order.purchased_at or order.created_at
    pdf.field("Ordered", f"{ordered:%Y-%m-%d}" if ordered else "", label_width)
    pdf.field("Order id", safe(rec.order_id, ID_MAX), label_width)
    address, relay = _destination(rec)
    buyer = ""
    if address is not None:
        buyer = safe(address.name, pdf.cap(NAME_MAX)) or safe(
            address.company_name, pdf.cap(NAME_MAX)
        )
    if not buyer and order.billing_address is not None:
        buyer = safe(order.billing_address.name, pdf.cap(NAME_MAX))
    pdf.field("Buyer", buyer, label_width)
    if address is not None:
        if relay:
            point = safe(address.pickup_name, pdf.cap(NAME_MAX))
            pickup_id = safe(address.pickup_id, ID_MAX)
            pdf.field("Relay point", f"{point} ({pickup_id})" if point else pickup_id, label_width)
        pdf.field("Ship to", "\n".join(_address_lines(pdf, address, relay)), label_width)
    pdf.ln(2)
    _lines_table(pdf, rec)


def _address_lines(pdf: Sheet, address: Address, relay: bool) -> list[str]:
    safe = pdf.safe
    lines = (
        []
        if relay
        else [safe(address.name, pdf.cap(NAME_MAX)), safe(address.company_name, pdf.cap(NAME_MAX))]
    )
    if relay:
        lines.append(safe(address.pickup_name, pdf.cap(NAME_MAX)))
    lines += [safe(getattr(address, f"address_line{i}"), pdf.cap(ADDRESS_MAX)) for i in (1, 2, 3)]
    town = " ".join(
        p for p in (safe(address.postal_code, 12), safe(address.city, pdf.cap(NAME_MAX))) if p
    )
    lines += [town, safe(address.country_code, 3)]
    return [ln for ln in lines if ln]


def _barcode(pdf: Sheet, rec: OrderRecord) -> None:
    """The reference in Code 128 (the order id when the reference cannot be one or is
    too long to scan), its text under the bars."""
    width = min(pdf.usable_width, BARCODE_MAX_MM)
    for text in (rec.reference, rec.order_id):
        modules = code128.pattern(text)
        module = code128.module_width(modules, width) if modules else None
        if modules and module:
            break
    else:
        pdf.head_font(bold=False)
        pdf.cell(0, pdf.line_height(), "(no barcode: the reference cannot be printed as one)")
        pdf.ln()
        return
    height = pdf.paper.barcode_height
    y = pdf.get_y() + 1
    pdf.set_fill_color(0)
    used = code128.draw(pdf, modules, pdf.l_margin, y, module, height)
    pdf.set_y(y + height + 0.5)
    pdf.data_font(1.2)
    pdf.cell(used, pdf.line_height(1.2), text, align="C", new_x="LMARGIN", new_y="NEXT")


def _lines_table(pdf: Sheet, rec: OrderRecord) -> None:
    safe = pdf.safe
    lines = shown_lines(rec.order)
    skus = [safe(line.sku, pdf.cap(SKU_MAX)) or "-" for line in lines]
    longest = "0" * max([3, *(len(sku) for sku in skus)])  # monospace: the widest
    widths = pdf.columns(QTY, longest, 1.0, GTIN)
    pdf.grid(
        widths,
        ("Qty", "SKU", "Product", "GTIN"),
        (
            [
                str(line.quantity),
                sku,
                safe(line.offer.product_title, pdf.cap(TITLE_MAX)) or "-",
                safe(line.offer.product_gtin, GTIN_MAX) or "-",
            ]
            for line, sku in zip(lines, skus, strict=True)
        ),
    )
    items = sum(max(line.quantity, 0) for line in lines)
    pdf.ln(1)
    pdf.head_font()
    noun = "item" if items == 1 else "items"
    lines_noun = "line" if len(lines) == 1 else "lines"
    pdf.cell(0, pdf.line_height(), f"{items} {noun} in {len(lines)} {lines_noun}")
