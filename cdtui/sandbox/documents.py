"""Label documents the sandbox serves: real PDF 1.4, ZPL II and PNG files.

Built by hand (no dependency) but valid: the PDF has a correct cross-reference table,
so viewers and printers open it; the ZPL is a complete ``^XA … ^XZ`` label; the PNG is
a greyscale image with a barcode-like stripe pattern.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

#: paper sizes in PDF points (1/72 inch) and inches
PAPER_POINTS: dict[str, tuple[int, int]] = {
    "A4": (595, 842),
    "A5": (420, 595),
    "A6": (298, 420),
}
PAPER_INCHES: dict[str, tuple[float, float]] = {
    "A4": (8.27, 11.69),
    "A5": (5.83, 8.27),
    "A6": (4.13, 5.83),
}


@dataclass(frozen=True)
class LabelContent:
    carrier: str
    service: str
    tracking_number: str
    order_number: str
    parcel_id: str
    weight_kg: str
    recipient: list[str]  # name, company, address lines, "postal city", country
    sender: str = "Demo Shop — 12 rue de l'Entrepôt, 69001 Lyon, FR"


def _stripes(code: str) -> list[int]:
    """Bar widths (1–3 units) derived from the tracking number: looks like a barcode."""
    widths: list[int] = []
    for ch in code:
        v = ord(ch)
        widths += [1 + v % 3, 1 + (v // 3) % 2, 1 + (v // 7) % 3, 1]
    return widths


# ---------------------------------------------------------------- PDF


def _pdf_text(value: str) -> bytes:
    """A PDF literal string in WinAnsi: accents kept, the rest replaced, ( ) \\ escaped."""
    raw = value.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _page_stream(content: LabelContent, width: int, height: int) -> bytes:
    scale = width / PAPER_POINTS["A6"][0]
    margin = 18 * scale
    ops: list[bytes] = []

    def text(x: float, y: float, size: float, value: str, bold: bool = False) -> None:
        font = b"/F2" if bold else b"/F1"
        ops.append(
            b"BT %s %.1f Tf %.1f %.1f Td %s Tj ET" % (font, size * scale, x, y, _pdf_text(value))
        )

    # frame and separators
    ops.append(
        b"1 w %.1f %.1f %.1f %.1f re S" % (margin / 2, margin / 2, width - margin, height - margin)
    )
    y = height - margin - 16 * scale
    text(margin, y, 16, content.carrier, bold=True)
    text(margin, y - 16 * scale, 9, content.service)
    y -= 40 * scale
    ops.append(b"%.1f %.1f m %.1f %.1f l S" % (margin, y, width - margin, y))
    y -= 14 * scale
    text(margin, y, 8, "SHIP TO / DESTINATAIRE")
    for i, line in enumerate(content.recipient):
        text(margin, y - (14 + 13 * i) * scale, 11 if i == 0 else 10, line, bold=i == 0)
    y -= (30 + 13 * len(content.recipient)) * scale
    ops.append(b"%.1f %.1f m %.1f %.1f l S" % (margin, y, width - margin, y))
    # barcode-like stripes for the tracking number
    bar_h = 60 * scale
    x = margin
    unit = max(0.8, (width - 2 * margin) / (sum(_stripes(content.tracking_number)) + 1))
    black = True
    for w in _stripes(content.tracking_number):
        if black:
            ops.append(b"%.2f %.2f %.2f %.2f re f" % (x, y - 10 * scale - bar_h, w * unit, bar_h))
        x += w * unit
        black = not black
    y -= 10 * scale + bar_h + 16 * scale
    text(margin, y, 13, content.tracking_number, bold=True)
    y -= 22 * scale
    text(margin, y, 9, f"Order {content.order_number}   Parcel {content.parcel_id}")
    text(margin, y - 12 * scale, 9, f"Weight {content.weight_kg} kg")
    text(margin, margin, 7, f"From: {content.sender}")
    return b"\n".join(ops) + b"\n"


def build_pdf(pages: list[LabelContent], paper_size: str = "A6") -> bytes:
    """A PDF 1.4 file with one label per page, sized to ``paper_size``."""
    if not pages:
        raise ValueError("a PDF needs at least one page")
    width, height = PAPER_POINTS[paper_size.upper()]
    return _pdf([_page_stream(c, width, height) for c in pages], width, height)


def _pdf(streams: list[bytes], width: int, height: int) -> bytes:
    """A PDF 1.4 file: one page per content stream, Helvetica (F1) and bold (F2)."""
    objects: list[bytes] = []  # object n is objects[n - 1]
    page_count = len(streams)
    first_page = 5
    kids = b" ".join(b"%d 0 R" % (first_page + 2 * i) for i in range(page_count))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, page_count))
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
    )
    for i, stream in enumerate(streams):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d]"
            b" /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>"
            % (width, height, first_page + 2 * i + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n%sendstream" % (len(stream), stream))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return bytes(out)


# ---------------------------------------------------------------- customs declaration


@dataclass(frozen=True)
class CustomsItem:
    description: str
    quantity: int
    hs_code: str
    origin_country: str
    weight: str  # "0.300 kg"
    value: str  # "29.90 GBP"


@dataclass(frozen=True)
class CustomsContent:
    carrier: str
    tracking_number: str
    order_number: str
    parcel_id: str
    invoice_number: str
    invoice_date: str
    export_reason: str
    export_type: str
    recipient: list[str]
    items: list[CustomsItem]
    sender: str = "Demo Shop — 12 rue de l'Entrepôt, 69001 Lyon, FR"


def build_customs_pdf(content: CustomsContent) -> bytes:
    """A one-page A4 customs declaration (CN23): sender, addressee, invoice, reason and
    one row per item (description, quantity, HS code, origin, weight, value)."""
    width, height = PAPER_POINTS["A4"]
    ops: list[bytes] = []

    def text(x: float, y: float, size: float, value: str, bold: bool = False) -> None:
        font = b"/F2" if bold else b"/F1"
        ops.append(b"BT %s %.1f Tf %.1f %.1f Td %s Tj ET" % (font, size, x, y, _pdf_text(value)))

    margin = 40
    ops.append(b"1 w %d %d %d %d re S" % (margin / 2, margin / 2, width - margin, height - margin))
    y = height - margin - 10
    text(margin, y, 16, "CN23 — Customs declaration / Déclaration en douane", bold=True)
    y -= 22
    text(margin, y, 9, f"{content.carrier}   Tracking {content.tracking_number}")
    text(margin, y - 12, 9, f"Order {content.order_number}   Parcel {content.parcel_id}")
    y -= 40
    text(margin, y, 8, "FROM / EXPÉDITEUR", bold=True)
    text(margin, y - 12, 9, content.sender)
    y -= 36
    text(margin, y, 8, "TO / DESTINATAIRE", bold=True)
    for i, line in enumerate(content.recipient):
        text(margin, y - 12 * (i + 1), 9, line)
    y -= 12 * (len(content.recipient) + 2)
    text(margin, y, 9, f"Invoice number: {content.invoice_number}", bold=True)
    text(margin + 260, y, 9, f"Invoice date: {content.invoice_date}")
    y -= 14
    text(margin, y, 9, f"Export reason: {content.export_reason}")
    text(margin + 260, y, 9, f"Export type: {content.export_type}")
    y -= 24
    columns = [
        (margin, "Description"),
        (margin + 210, "Qty"),
        (margin + 245, "HS code"),
        (margin + 320, "Origin"),
        (margin + 370, "Weight"),
        (margin + 440, "Value"),
    ]
    for x, title in columns:
        text(x, y, 8, title, bold=True)
    ops.append(b"%d %.1f m %d %.1f l S" % (margin, y - 4, width - margin, y - 4))
    for item in content.items:
        y -= 14
        row = [
            item.description[:42],
            str(item.quantity),
            item.hs_code,
            item.origin_country,
            item.weight,
            item.value,
        ]
        for (x, _), value in zip(columns, row, strict=True):
            text(x, y, 8, value)
    y -= 30
    text(margin, y, 8, "I certify that the particulars given in this declaration are correct.")
    return _pdf([b"\n".join(ops) + b"\n"], width, height)


# ---------------------------------------------------------------- ZPL


def _zpl_field(value: str) -> str:
    """Field data without ZPL control characters (``^`` and ``~`` start commands)."""
    return value.replace("^", " ").replace("~", " ")


def build_zpl(content: LabelContent, paper_size: str = "A6", dpi: int = 203) -> bytes:
    """A ZPL II label (UTF-8 with ``^CI28``) sized to ``paper_size`` at ``dpi``."""
    w_in, h_in = PAPER_INCHES[paper_size.upper()]
    width, length = round(w_in * dpi), round(h_in * dpi)
    k = dpi / 203
    parts = [
        "^XA",
        "^CI28",
        f"^PW{width}",
        f"^LL{length}",
        f"^FO{round(30 * k)},{round(30 * k)}^A0N,{round(50 * k)},{round(50 * k)}"
        f"^FD{_zpl_field(content.carrier)}^FS",
        f"^FO{round(30 * k)},{round(90 * k)}^A0N,{round(26 * k)},{round(26 * k)}"
        f"^FD{_zpl_field(content.service)}^FS",
        f"^FO{round(30 * k)},{round(130 * k)}^GB{width - round(60 * k)},2,2^FS",
    ]
    y = 150
    for i, line in enumerate(content.recipient):
        size = 34 if i == 0 else 28
        parts.append(
            f"^FO{round(30 * k)},{round(y * k)}^A0N,{round(size * k)},{round(size * k)}"
            f"^FD{_zpl_field(line)}^FS"
        )
        y += size + 8
    y += 20
    parts += [
        f"^FO{round(30 * k)},{round(y * k)}^BY2^BCN,{round(120 * k)},Y,N,N"
        f"^FD{_zpl_field(content.tracking_number)}^FS",
        f"^FO{round(30 * k)},{round((y + 170) * k)}^A0N,{round(24 * k)},{round(24 * k)}"
        f"^FDOrder {_zpl_field(content.order_number)}  Parcel {content.parcel_id}"
        f"  {content.weight_kg} kg^FS",
        f"^FO{round(30 * k)},{length - round(50 * k)}^A0N,{round(20 * k)},{round(20 * k)}"
        f"^FDFrom: {_zpl_field(content.sender)}^FS",
        "^XZ",
    ]
    return ("\n".join(parts) + "\n").encode("utf-8")


# ---------------------------------------------------------------- PNG


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def build_png(content: LabelContent, paper_size: str = "A6", dpi: int = 150) -> bytes:
    """A greyscale PNG of the label's size: white page, black frame, stripes."""
    w_in, h_in = PAPER_INCHES[paper_size.upper()]
    width, height = round(w_in * dpi), round(h_in * dpi)
    white = b"\xff" * width
    frame = b"\x00" * width
    side = b"\x00" + b"\xff" * (width - 2) + b"\x00"
    stripe = bytearray(side)
    x = max(2, width // 12)
    unit = max(1, (width - 2 * x) // (sum(_stripes(content.tracking_number)) + 1))
    black = True
    for w in _stripes(content.tracking_number):
        if black:
            stripe[x : x + w * unit] = b"\x00" * (w * unit)
        x += w * unit
        black = not black
    top, bottom = height // 2, height // 2 + height // 6
    rows = []
    for y in range(height):
        if y in (0, height - 1):
            row = frame
        elif top <= y < bottom:
            row = bytes(stripe)
        else:
            row = side if width > 2 else white
        rows.append(b"\x00" + row)
    raw = zlib.compress(b"".join(rows), 6)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    ppm = round(dpi / 0.0254)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1))
        + _chunk(b"IDAT", raw)
        + _chunk(b"IEND", b"")
    )
