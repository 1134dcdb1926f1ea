"""One line of parts that fits its width by priority: the state lines of a screen.

At 80 columns a head line or a status line holds less than it would like to. Cutting
it at the end (an ellipsis) loses whatever came last, which may be what matters most
(an active channel filter after the counts). Here each part says how much it matters
(``rank``: 0 is never dropped) and may have a shorter form; when the whole does not
fit, the least important parts are shortened, or dropped if that is not enough, rank
by rank; only what is left is cut at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from cdtui.tui import format as fmt

SEPARATOR = " · "


@dataclass(frozen=True)
class Part:
    """A piece of a line: its text (screen text), its shorter form, how much it matters."""

    text: str
    #: 0: never dropped (filters, titles); higher: shortened, then dropped, first
    rank: int = 0
    #: the same said in fewer columns ("17 today" for "17 due today"); None: none
    short: str | None = None
    style: str | Style = ""
    #: joined to the part before it without the separator
    glued: bool = False


def _width(texts: Sequence[tuple[Part, str]]) -> int:
    return sum(
        cell_len(t) + (0 if p.glued or i == 0 else len(SEPARATOR)) for i, (p, t) in enumerate(texts)
    )


def fit(parts: Sequence[Part], width: int, *, lead: str = " ") -> Text:
    """The parts that fit in ``width`` cells, in their order, as one line of text."""
    chosen = [(p, p.text) for p in parts if p.text]
    budget = max(0, width - cell_len(lead))
    # the least important rank first: shortened, and dropped if that is not enough
    for rank in sorted({p.rank for p, _ in chosen if p.rank > 0}, reverse=True):
        if _width(chosen) <= budget:
            break
        chosen = [(p, p.short if p.rank == rank and p.short else t) for p, t in chosen]
        if _width(chosen) > budget:
            chosen = [(p, t) for p, t in chosen if p.rank != rank]
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    for index, (part, text) in enumerate(chosen):
        if index and not part.glued:
            line.append(SEPARATOR, style="dim")
        line.append(text, style=part.style)
    line.truncate(budget, overflow="ellipsis")
    return line


class FittedLine(Widget):
    """A one-line widget showing ``parts`` fitted to its width (``fit``), redrawn when
    the parts or the width change."""

    DEFAULT_CSS = """
    FittedLine { height: 1; }
    """

    parts: reactive[tuple[Part, ...]] = reactive(tuple, layout=False)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)

    def render(self) -> Text:
        return fmt.safe_text(fit(self.parts, self.content_size.width))

    @property
    def plain(self) -> str:
        """The line as shown now (for tests and the help)."""
        return fit(self.parts, self.content_size.width).plain
