"""The page every document is drawn on: paper size, margins, fonts and safe text.

API text is drawn in DejaVu Sans Mono, the Unicode font python-barcode ships (so it is
there wherever cdtui is installed; embedded as a subset, only the glyphs used); the
document's own words (headings, labels) in the PDF core Helvetica. Without the font
file, API text falls back to Courier and Latin-1.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import barcode
from fpdf import FPDF

from cdtui.documents.text import LATIN_1, Glyphs, wrap

# fontTools logs each glyph of each subset at INFO: noise in cdtui's log
logging.getLogger("fontTools").setLevel(logging.WARNING)

DATA_FONT = "dejavu-mono"
HEAD_FONT = "helvetica"
FONT_FILE = Path(barcode.__file__).parent / "fonts" / "DejaVuSansMono.ttf"
#: space between a cell's border and its text (mm)
PAD = 1.0


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

    def draw_lines(
        self,
        x: float,
        y: float,
        lines: list[str],
        width: float = 0,
        right: bool = False,
        lh: float | None = None,
    ) -> None:
        """Lines of the current font from ``(x, y)`` (their box's top left), one
        ``line_height`` apart; ``right``: flush with ``x + width``. Drawn with ``text``:
        no line breaking, no page break (the callers measured)."""
        lh = lh or self.line_height_now
        size = self.font_size  # mm
        baseline = y + (lh - size) / 2 + size * 0.8
        for i, line in enumerate(lines):
            if line:
                at = x + width - self.get_string_width(line) if right else x
                self.text(at, baseline + i * lh, line)

    @property
    def line_height_now(self) -> float:
        """The line height of the current font size."""
        return self.font_size_pt * 0.5

    def data_chars(self, width: float) -> int:
        """How many characters of the (monospace) data font fit in ``width`` mm."""
        return max(1, int(width / self.get_string_width("0")))

    def field(self, label: str, value: str, label_width: float) -> None:
        """``label`` (the document's words) then ``value`` (already safe), wrapped."""
        y = self.get_y()
        self.head_font()
        self.draw_lines(self.l_margin, y, [label])
        self.data_font()
        lines = wrap(value or "-", self.data_chars(self.usable_width - label_width))
        self.draw_lines(self.l_margin + label_width, y, lines)
        self.set_y(y + len(lines) * self.line_height_now)

    def grid(
        self,
        widths: Sequence[float],
        headings: Sequence[str],
        rows: Iterable[Sequence[str]],
        right: Collection[int] = (0,),
    ) -> None:
        """A table of already safe text: a heading row (again on each new page), cells
        wrapped by characters (the data font is monospace: no measuring), borders; a row
        never splits across pages (one taller than a page is cut with ``…``).

        fpdf2's ``table()`` measures every word of every cell: 50 slips took 2 s."""
        self.data_font()
        lh = self.line_height_now + 0.5
        chars = [self.data_chars(w - 2 * PAD) for w in widths]
        head_h = lh + 2 * PAD
        bottom = self.h - self.b_margin
        most = max(1, int((bottom - self.t_margin - head_h - 2 * PAD) / lh))

        def heading() -> None:
            y, x = self.get_y(), self.l_margin
            self.head_font()
            self.set_fill_color(230)
            for w, title in zip(widths, headings, strict=True):
                self.rect(x, y, w, head_h, style="DF")
                self.draw_lines(x + PAD, y + PAD, [title], lh=lh)
                x += w
            self.set_fill_color(0)
            self.set_y(y + head_h)
            self.data_font()

        heading()
        for row in rows:
            cells = [wrap(t, n) for t, n in zip(row, chars, strict=True)]
            tall = max(len(c) for c in cells)
            if tall > most:
                cells = [
                    c if len(c) <= most else [*c[: most - 1], self.safe.ellipsis] for c in cells
                ]
                tall = most
            h = tall * lh + 2 * PAD
            if self.get_y() + h > bottom:
                self.add_page()
                heading()
            y, x = self.get_y(), self.l_margin
            for i, (w, lines) in enumerate(zip(widths, cells, strict=True)):
                self.rect(x, y, w, h)
                self.draw_lines(x + PAD, y + PAD, lines, w - 2 * PAD, right=i in right, lh=lh)
                x += w
            self.set_y(y + h)

    def footer(self) -> None:
        if self.footer_text:
            self.set_y(-(self.paper.margin + 3))
            self.head_font(0.8, bold=False)
            self.cell(0, 3, self.footer_text.replace("{page}", str(self.page_no())), align="C")
