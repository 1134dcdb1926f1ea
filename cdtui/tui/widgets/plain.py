"""Static and Label that show their text verbatim, a table row helper that does too, and
the app's last line of defence against terminal escapes (``NO_CONTROLS``).

Shop names, customer names, product titles and API messages can hold square brackets;
as Textual markup they would vanish or crash the app ("[/b]"). They can also hold
terminal escapes. cdtui never needs markup in these widgets, so every screen imports
them from here instead of textual.widgets: text (a ``str`` or a ``rich.text.Text``) is
shown as it is, with every control character made a visible escape (line breaks kept;
``format.safe`` puts a one-line field on one line before it gets here).
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from rich.table import Table
from rich.text import Text
from textual import widgets
from textual.color import Color
from textual.filter import LineFilter
from textual.visual import VisualType

from cdtui.tui import format as fmt


def shown(content: VisualType) -> VisualType:
    """``content`` with its control characters visible, if it is text."""
    if isinstance(content, str):
        return fmt.safe_lines(content)
    if isinstance(content, Text):
        return fmt.safe_text(content)
    return content


class Static(widgets.Static):
    def __init__(self, content: VisualType = "", *, markup: bool = False, **kwargs: Any) -> None:
        super().__init__(shown(content), markup=markup, **kwargs)

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        super().update(shown(content), layout=layout)


class Label(widgets.Label):
    def __init__(self, content: VisualType = "", *, markup: bool = False, **kwargs: Any) -> None:
        super().__init__(shown(content), markup=markup, **kwargs)

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        super().update(shown(content), layout=layout)


def add_row(table: Table, *cells: object) -> None:
    """``table.add_row`` with text as text: a string never read as Rich markup, and one
    line of it (a cell is a field), control characters visible in every text cell."""
    table.add_row(*(_cell(c) for c in cells))  # type: ignore[arg-type]


def _cell(cell: object) -> object:
    if isinstance(cell, str):
        return Text(fmt.safe(cell))
    if isinstance(cell, Text):
        return fmt.safe_text(cell)
    return cell


class NoControls(LineFilter):
    """The last line of defence: no control character a widget paints reaches the
    terminal, where ``ESC]52`` would write the clipboard and ``ESC]0`` the title.

    cdtui's own text is already printable (``format.safe``, the widgets above); this
    catches what slips past, Textual's own widgets included. It removes the characters
    rather than escaping them: Rich gave them no width, so the line keeps its layout."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if all(s.control or s.text.isprintable() for s in segments):
            return segments
        return [s if s.control else s._replace(text=_without_controls(s.text)) for s in segments]


def _without_controls(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(c for c in text if c.isprintable() or fmt.safe(c) == c)


#: the app's line filter (``CdtuiApp.get_line_filters``)
NO_CONTROLS = NoControls()
