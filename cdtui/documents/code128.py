"""The order reference as a Code 128 barcode, drawn as vector bars.

python-barcode computes the symbol (character sets, checksum, start and stop); its
module pattern (``1`` a dark module, ``0`` a light one) is drawn here as filled
rectangles, so no image library is involved and the bars stay sharp at any scale.
"""

from __future__ import annotations

from typing import Protocol

from barcode.codex import Code128
from barcode.errors import BarcodeError

#: light modules each side that a scanner needs to find the start and stop
QUIET_MODULES = 10
#: the narrowest bar (mm) ordinary scanners read reliably (7.5 mil)
MIN_MODULE_MM = 0.19
#: the widest worth printing (mm): wider only makes the scan slower to aim
MAX_MODULE_MM = 0.4


class Canvas(Protocol):
    def rect(self, x: float, y: float, w: float, h: float, style: str | None = None) -> None: ...


def encodable(text: str) -> bool:
    """Printable ASCII only: what a scanner types back exactly (no control code, no
    accent a keyboard layout could turn into something else)."""
    return bool(text) and all(32 <= ord(c) <= 126 for c in text)


def pattern(text: str) -> str | None:
    """The module pattern of ``text`` in Code 128 (``None`` if it cannot be one)."""
    if not encodable(text):
        return None
    try:
        built = Code128(text).build()
    except (BarcodeError, ValueError, KeyError):
        return None
    return built[0] if built else None


def bars(modules: str) -> list[tuple[int, int]]:
    """Each bar of a pattern: its first module and its width in modules."""
    out: list[tuple[int, int]] = []
    start = None
    for i, m in enumerate(modules + "0"):
        if m == "1" and start is None:
            start = i
        elif m != "1" and start is not None:
            out.append((start, i - start))
            start = None
    return out


def module_width(modules: str, width_mm: float) -> float | None:
    """The module width that fits the pattern and its quiet zones in ``width_mm``, or
    ``None`` when the bars would be too thin to scan."""
    size = min(MAX_MODULE_MM, width_mm / (len(modules) + 2 * QUIET_MODULES))
    return size if size >= MIN_MODULE_MM else None


def draw(canvas: Canvas, modules: str, x: float, y: float, module: float, height: float) -> float:
    """Draws the bars with the left quiet zone starting at ``x``; returns the width used."""
    left = x + QUIET_MODULES * module
    for start, width in bars(modules):
        canvas.rect(left + start * module, y, width * module, height, style="F")
    return (len(modules) + 2 * QUIET_MODULES) * module
