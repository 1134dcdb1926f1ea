"""Picking lists and packing slips as a packer gets them: opened with pypdf, their text
read back, the barcode's bars read from the page and decoded as a scanner would."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import UTC, datetime

import pypdf
import pytest
from barcode.charsets.code128 import CODES
from barcode.codex import Code128

from cdtui.documents import packing_slips_pdf, pick_rows, picking_list_pdf
from cdtui.documents.code128 import pattern
from cdtui.models import Address, Offer, Order, OrderLine, OrderRecord, SalesChannel

NOW = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
#: a bar: ``x y w h re f`` (fpdf2 draws rectangles so, in points)
RECT = re.compile(r"([\d.]+) ([\d.]+) ([\d.]+) (-?[\d.]+) re f")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def line(
    sku: str | None,
    qty: int = 1,
    *,
    status: str = "InPreparation",
    title: str | None = None,
    gtin: str | None = None,
    supply: str = "Seller",
    address: Address | None = None,
) -> OrderLine:
    return OrderLine(
        order_line_id=f"{sku}-{qty}-{status}",
        status=status,
        quantity=qty,
        offer=Offer(
            seller_product_id=sku,
            product_title=title or f"Product {sku}",
            product_gtin=gtin,
            supply_mode=supply,
        ),
        shipping_address=address,
    )


HOME = Address(
    first_name="Marie",
    last_name="Curie",
    address_line1="12 rue des Fleurs",
    postal_code="75005",
    city="Paris",
    country_code="FR",
)


def record(
    order_id: str,
    reference: str,
    lines: list[OrderLine],
    *,
    channel: str = "Cdiscount",
    address: Address | None = HOME,
) -> OrderRecord:
    for ln in lines:
        ln.shipping_address = ln.shipping_address or address
    order = Order(
        order_id=order_id,
        reference=reference,
        status="InPreparation",
        sales_channel=SalesChannel(id="1", name=channel),
        purchased_at=NOW,
        lines=lines,
    )
    return OrderRecord(order_id=order_id, integration_id="i1", seller_id="98979", order=order)


def read(data: bytes) -> pypdf.PdfReader:
    assert data.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(data))


def text_of(page: pypdf.PageObject) -> str:
    return page.extract_text().replace("\xa0", " ")  # "REF ×2" keeps a no-break space


def bars_of(page: pypdf.PageObject) -> str:
    """The page's barcode as a module pattern (``1`` dark, ``0`` light), read from the
    filled rectangles of the content stream."""
    content = page.get_contents()
    assert content is not None
    rects = [
        tuple(map(float, m.groups())) for m in RECT.finditer(content.get_data().decode("latin-1"))
    ]
    assert rects, "no bar drawn"
    module = min(w for _, _, w, _ in rects)
    x0 = rects[0][0]
    out: list[str] = []
    for x, _, w, _ in rects:
        start, width = round((x - x0) / module), round(w / module)
        out.append("0" * (start - len(out)) + "1" * width)
        out = list("".join(out))
    return "".join(out)


def decode_code128(modules: str) -> str:
    """A Code 128 symbol read back with the standard pattern table: start code, data in
    sets A, B and C, checksum verified, stop pattern."""
    assert modules.endswith("1100011101011"), "stop pattern"
    body = modules[:-13]
    assert len(body) % 11 == 0
    values = [CODES.index(body[i : i + 11]) for i in range(0, len(body), 11)]
    start, *data, check = values
    assert (start + sum(i * v for i, v in enumerate(data, 1))) % 103 == check, "checksum"
    charset = {103: "A", 104: "B", 105: "C"}[start]
    text = ""
    for v in data:
        if v in (99, 100, 101):
            charset = {99: "C", 100: "B", 101: "A"}[v]
        elif charset == "C":
            text += f"{v:02d}"
        elif charset == "B":
            text += chr(v + 32)
        else:
            text += chr(v + 32) if v < 64 else chr(v - 64)
    return text


# ---------------------------------------------------------------- picking list


def test_picking_list_totals_each_sku_with_the_orders_that_need_it() -> None:
    orders = [
        record("SC1", "2611A", [line("MUG-01", 2, gtin="3700000000017"), line("TEE-XL", 1)]),
        record("SC2", "2611B", [line("MUG-01", 1, gtin="3700000000017")]),
        record(
            "SC3",
            "2611C",
            [
                line("BAG-9", 3),
                line("MUG-01", 5, status="Shipped"),  # not what a label covers
                line("FBC-1", 4, supply="Fulfillment"),  # shipped by the marketplace
            ],
        ),
    ]
    rows = pick_rows(orders)
    assert [(r.sku, r.quantity) for r in rows] == [("BAG-9", 3), ("MUG-01", 3), ("TEE-XL", 1)]
    assert rows[1].orders == {"2611A": 2, "2611B": 1} and rows[1].gtin == "3700000000017"

    pdf = read(picking_list_pdf(orders, NOW))
    text = text_of(pdf.pages[0])
    assert "Picking list" in text
    assert "2026-11-30 09:15" in text and "3 orders" in text and "7 items" in text
    assert "3 SKUs" in text
    assert text.index("BAG-9") < text.index("MUG-01") < text.index("TEE-XL"), "sorted by SKU"
    assert "3700000000017" in text and "Product MUG-01" in text
    assert "2611A ×2" in text and "2611B" in text and "2611C" in text
    assert "FBC-1" not in text


def test_picking_list_of_many_skus_runs_over_pages_with_numbers() -> None:
    orders = [record(f"SC{i}", f"R{i:03d}", [line(f"SKU-{i:03d}", 1)]) for i in range(120)]
    pdf = read(picking_list_pdf(orders, NOW))
    assert len(pdf.pages) > 1
    text = "".join(text_of(p) for p in pdf.pages)
    assert all(f"SKU-{i:03d}" in text for i in range(120))
    assert f"page 2/{len(pdf.pages)}" in text


# ---------------------------------------------------------------- packing slips


def test_one_slip_per_order_with_who_where_and_what() -> None:
    relay = Address(
        first_name="Jean",
        last_name="Dupont",
        address_line1="3 place du Marché",
        postal_code="69002",
        city="Lyon",
        country_code="FR",
        pickup_id="MR-012345",
        pickup_name="Tabac du Marché",
    )
    orders = [
        record("SC1", "2611A", [line("MUG-01", 2, gtin="3700000000017"), line("TEE-XL", 1)]),
        record("SC2", "2611B", [line("BAG-9", 1)], channel="Cdiscount Pro", address=relay),
        record("SC3", "2611C", [line("TEE-XL", 4)]),
    ]
    pdf = read(packing_slips_pdf(orders))
    assert len(pdf.pages) == 3
    first, second, third = (text_of(p) for p in pdf.pages)
    for needle in ("2611A", "Cdiscount", "Marie Curie", "12 rue des Fleurs", "75005 Paris"):
        assert needle in first, needle
    assert "MUG-01" in first and "3700000000017" in first and "TEE-XL" in first
    assert "3 items in 2 lines" in first
    assert "Tabac du Marché (MR-012345)" in second and "Jean Dupont" in second
    assert "Cdiscount Pro" in second and "69002 Lyon" in second
    assert "4 items in 1 line" in third and "2611A" not in third


@pytest.mark.parametrize("paper", ["A4", "A5", "A6"])
def test_the_barcode_scans_as_the_reference(paper: str) -> None:
    refs = ["2611301234ABCD", "1234567890", "ab-cd/ef"]
    orders = [record(f"SC{i}", ref, [line("MUG-01")]) for i, ref in enumerate(refs)]
    pdf = read(packing_slips_pdf(orders, paper))
    width = {"A4": 210, "A5": 148, "A6": 105}[paper]
    for page, ref in zip(pdf.pages, refs, strict=True):
        assert round(float(page.mediabox.width) / 72 * 25.4) == width
        modules = bars_of(page)
        assert modules == Code128(ref).build()[0], "the bars are python-barcode's symbol"
        assert decode_code128(modules) == ref
        assert ref in text_of(page), "the human-readable text under the bars"


def test_a_reference_a_scanner_cannot_type_back_encodes_the_order_id() -> None:
    orders = [
        record("SC777", "Réf-été", [line("MUG-01")]),
        record("SC778", "R" * 200, [line("MUG-01")]),  # too long to scan at this width
    ]
    pdf = read(packing_slips_pdf(orders, "A6"))
    assert [decode_code128(bars_of(p)) for p in pdf.pages] == ["SC777", "SC778"]
    assert pattern("bell\x07") is None, "no control code in a barcode"


# ---------------------------------------------------------------- hostile data


HOSTILE = [
    "\x1b]52;c;ZXZpbA==\x07clipboard",
    "Nguyễn Thị Hương",
    "Łódź Őrs Ünal",
    "東京都 渋谷区",
    "box 📦 of 🐈",
    "right\u202eto\u202cleft",
    "line\nbreak\r\tand\x00nul",
    "x" * 5000,
    " ".join(["word"] * 2000),
]


@pytest.mark.parametrize("paper", ["A4", "A6"])
def test_hostile_text_never_crashes_nor_reaches_the_pdf_as_controls(paper: str) -> None:
    orders = []
    for i, bad in enumerate(HOSTILE):
        address = Address(
            first_name=bad,
            last_name=bad,
            company_name=bad,
            address_line1=bad,
            address_line2=bad,
            postal_code=bad,
            city=bad,
            country_code=bad,
            pickup_id=bad if i % 2 else None,
            pickup_name=bad,
        )
        lines = [line(bad, 2, title=bad, gtin=bad), line(f"{bad}-b", 1, title=bad)]
        rec = record(f"SC{i}", bad, lines, channel=bad, address=address)
        orders.append(rec)
    slips = read(packing_slips_pdf(orders, paper))
    assert len(slips.pages) == len(HOSTILE), "one page per order, long fields capped"
    picking = read(picking_list_pdf(orders, NOW, paper))
    texts = [text_of(p) for p in [*slips.pages, *picking.pages]]
    for text in texts:
        assert not CONTROL.search(text.replace("\n", "")), repr(text[:200])
        assert "\u202e" not in text
    slip_text = texts[0]
    assert "\\x1b]52;c;ZXZpbA==\\x07clipboard" in slip_text, "controls shown as escapes"
    hanoi = texts[1]
    # the font has ị and ư but not ễ: that one loses its accents, nothing else does
    assert "Nguyen Thị Hương" in unicodedata.normalize("NFC", hanoi)
    assert "Łódź Őrs Ünal" in texts[2], "the embedded font has Central European letters"
    assert "?" in texts[3] and "?" in texts[4], "what the font lacks is replaced visibly"
    assert "x" * 5000 not in "".join(texts) and "…" in texts[7]


def test_an_order_without_lines_address_or_channel_still_gets_a_slip() -> None:
    bare = OrderRecord(
        order_id="SC9",
        integration_id="i1",
        seller_id="98979",
        order=Order(order_id="SC9", status="InPreparation"),
    )
    slips = read(packing_slips_pdf([bare]))
    assert len(slips.pages) == 1 and "SC9" in text_of(slips.pages[0])
    assert "0 items in 0 lines" in text_of(slips.pages[0])
    picking = text_of(read(picking_list_pdf([bare], NOW)).pages[0])
    assert "1 order" in picking and "0 items" in picking and "Nothing to pick" in picking
    with pytest.raises(ValueError):
        packing_slips_pdf([])


def test_cells_wrap_at_spaces_and_never_run_past_their_column() -> None:
    from cdtui.documents.text import wrap

    assert wrap("Casque audio sans fil", 10) == ["Casque", "audio sans", "fil"]
    assert wrap("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
    assert wrap("R-2611\u00a0×2, R-2612", 12) == ["R-2611\u00a0×2,", "R-2612"]
    assert wrap("OB-261128-46184\u00a0×2", 17) == ["OB-261128-46184", "×2"]
    assert wrap("Tabac\nMR-1", 20) == ["Tabac", "MR-1"]
