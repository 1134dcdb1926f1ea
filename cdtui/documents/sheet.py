"""The page every document is drawn on: paper size, margins, fonts and safe text.

API text is drawn in DejaVu Sans Mono, the Unicode font python-barcode ships (so it is
there wherever cdtui is installed; embedded as a subset, only the glyphs used); the
document's own words (headings, labels) in the PDF core Helvetica. Without the font
file, API text falls back to Courier and Latin-1.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import barcode
from fpdf import FPDF
from fpdf.fonts import FontFace

from cdtui.documents.text import LATIN_1, Glyphs

# fontTools logs each glyph of each subset at INFO: noise in cdtui's log
logging.getLogger("fontTools").setLevel(logging.WARNING)

DATA_FONT = "dejavu-mono"
HEAD_FONT = "helvetica"
FONT_FILE = Path(barcode.__file__).parent / "fonts" / "DejaVuSansMono.ttf"


@dataclass(frozen=True)
class Paper:
    """A page size and what fits on it."""

    name: str
    #: width and height (mm)
    size_mm: tuple[float, float]
    #: margins (mm) and base font size (pt)
    margin: float
    size: float
    #: height of the barcode's bars (mm)
    barcode_height: float
    #: the references a picking list row names before ``+N more``
    orders_shown: int
    #: share of each field's length cap kept (small paper: shorter fields, one page)
    fields: float


PAPERS = {
    "A4": Paper(
        "A4", (210, 297), margin=12, size=9, barcode_height=16, orders_shown=40, fields=1.0
    ),
    "A5": Paper(
        "A5", (148, 210), margin=9, size=8, barcode_height=14, orders_shown=20, fields=0.75
    ),
    "A6": Paper("A6", (105, 148), margin=5, size=7, barcode_height=12, orders_shown=10, fields=0.5),
}


def paper_named(name: str | None) -> Paper:
    """The paper of the ``paper_size`` setting (A4 when unknown or unset)."""
    return PAPERS.get((name or "A4").upper(), PAPERS["A4"])


class Sheet(FPDF):
    """An FPDF document with cdtui's fonts, margins and text cleaning."""

    def __init__(self, paper: Paper, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format=paper.size_mm)
        self.paper = paper
        self.set_margins(paper.margin, paper.margin, paper.margin)
        self.set_auto_page_break(True, margin=paper.margin + 4)
        self.set_creator("cdtui")
        self.set_title(title)
        #: drawn at the foot of each page when set (``{nb}``: the page count)
        self.footer_text: str | None = None
        if FONT_FILE.is_file():
            self.add_font(DATA_FONT, fname=str(FONT_FILE))
            self.data_family = DATA_FONT
            self.safe = Glyphs(self.fonts[DATA_FONT].cmap)
        else:  # pragma: no cover - python-barcode ships the font
            self.data_family = "courier"
            self.safe = Glyphs(LATIN_1)
        self.heading_face = FontFace(family=HEAD_FONT, emphasis="BOLD", size_pt=paper.size)

    @property
    def usable_width(self) -> float:
        return self.w - self.l_margin - self.r_margin

    def cap(self, limit: int) -> int:
        """A field's length cap on this paper."""
        return max(12, int(limit * self.paper.fields))

    def data_font(self, scale: float = 1.0) -> None:
        self.set_font(self.data_family, size=self.paper.size * scale)

    def head_font(self, scale: float = 1.0, bold: bool = True) -> None:
        self.set_font(HEAD_FONT, "B" if bold else "", size=self.paper.size * scale)

    def line_height(self, scale: float = 1.0) -> float:
        """A line of text at ``scale`` times the base size, in mm."""
        return self.paper.size * scale * 0.5

    def columns(self, *spec: float | str) -> tuple[float, ...]:
        """Column widths (mm) over the usable width: a string is a sample the column
        must hold on one line in the data font (a GTIN, the longest SKU), up to 30 % of
        the width; a number is a share of what is left (a quarter of the width at least:
        the fixed columns shrink for it)."""
        self.data_font()
        most = self.usable_width * 0.3
        fixed = {
            i: min(self.get_string_width(s) + 2.5, most)
            for i, s in enumerate(spec)
            if isinstance(s, str)
        }
        rest = self.usable_width - sum(fixed.values())
        if rest < self.usable_width * 0.25:  # the shared columns keep a quarter at least
            shrink = (self.usable_width * 0.75) / sum(fixed.values())
            fixed = {i: w * shrink for i, w in fixed.items()}
            rest = self.usable_width * 0.25
        shares = sum(s for s in spec if not isinstance(s, str))
        return tuple(
            fixed[i] if isinstance(s, str) else rest * s / shares for i, s in enumerate(spec)
        )

    def field(self, label: str, value: str, label_width: float) -> None:
        """``label`` (the document's words) then ``value`` (already safe), wrapped."""
        h = self.line_height()
        self.head_font()
        self.cell(label_width, h, label)
        self.data_font()
        self.multi_cell(0, h, value or "-", new_x="LMARGIN", new_y="NEXT")

    def footer(self) -> None:
        if self.footer_text:
            self.set_y(-(self.paper.margin + 3))
            self.head_font(0.8, bold=False)
            self.cell(0, 3, self.footer_text.replace("{page}", str(self.page_no())), align="C")
