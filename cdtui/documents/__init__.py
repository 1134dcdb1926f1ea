"""Paper for the packing table: a picking list and packing slips, as PDF bytes.

Pure functions of order records (no Textual, no HTTP, no file): ``picking_list_pdf``
totals what to take off the shelves, ``packing_slips_pdf`` gives each order a page
carrying its reference as a Code 128 barcode (``code128.py``, vector bars). API text
goes through ``text.py`` first: controls made visible, long fields capped, characters
the embedded font lacks replaced visibly. ``files.py`` saves the bytes privately.

fpdf2 and python-barcode take half a second to import: callers import this package
when they make a document, not at start-up.
"""

from __future__ import annotations

from cdtui.documents.picking import PickRow, pick_rows, picking_list_pdf
from cdtui.documents.slips import packing_slips_pdf

__all__ = ["PickRow", "packing_slips_pdf", "pick_rows", "picking_list_pdf"]
