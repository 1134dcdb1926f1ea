"""Static and Label that show their text verbatim.

Shop names, customer names, product titles and API messages can hold square brackets;
as Textual markup they would vanish or crash the app ("[/b]"). cdtui never needs markup
in these widgets, so every screen imports them from here instead of textual.widgets.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual import widgets
from textual.visual import VisualType


class Static(widgets.Static):
    def __init__(self, content: VisualType = "", *, markup: bool = False, **kwargs: Any) -> None:
        super().__init__(content, markup=markup, **kwargs)


class Label(widgets.Label):
    def __init__(self, content: VisualType = "", *, markup: bool = False, **kwargs: Any) -> None:
        super().__init__(content, markup=markup, **kwargs)


def add_row(table: Table, *cells: object) -> None:
    """``table.add_row`` with plain strings as text, never as Rich markup."""
    table.add_row(*(Text(c) if isinstance(c, str) else c for c in cells))  # type: ignore[arg-type]
