"""The inbox table: a virtual list that paints only the rows on screen.

Why not ``DataTable``: with 10,000 orders, ``DataTable.remove_row`` is linear (removing
5,000 rows one by one took 23 s) and ``clear()`` + ``add_rows()`` of 10,000 rows takes
140-180 ms, over the 100 ms a filter keystroke may cost. Here a filter is a list
comprehension over prebuilt rows and a repaint of the visible lines only.
"""

from __future__ import annotations

import re
import textwrap
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from cdtui.orders.deadlines import DEFAULT_MARGIN, Deadline, order_due
from cdtui.orders.enums import State
from cdtui.orders.states import OPEN_STATES, STATE_INFO
from cdtui.tui import format as fmt

if TYPE_CHECKING:
    from cdtui.orders.summary import OrderSummary


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    width: int
    #: lower is kept first when the terminal is narrow
    priority: int
    #: takes a share of the spare width
    flex: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("reference", "Reference", 15, 0),
    Column("channel", "Channel", 10, 4),
    Column("date", "Ordered", 11, 6),
    Column("ship_by", "Ship by", 11, 1),
    Column("customer", "Customer", 14, 3, flex=True),
    Column("destination", "Destination", 14, 5, flex=True),
    Column("items", "Items", 16, 7, flex=True),
    Column("state", "State", 13, 2),
    Column("integration", "Shop", 10, 8),
)

SORTS: tuple[tuple[str, str], ...] = (
    ("ship_by", "ship-by date"),
    ("date", "order date (newest first)"),
    ("reference", "reference"),
    ("customer", "customer"),
    ("state", "state"),
)

_FAR = 1e12  # orders without a deadline sort last
_LAST = len(STATE_INFO)  # a state the table does not know sorts after the others


@dataclass(slots=True)
class Row:
    """One order prepared for display, filtering and sorting.

    What sorting, the state filters and the head's counts need is computed when the row
    is built; the other cells and the search text only when first asked for (the screen
    shows ~40 rows of 10,000: the inbox paints before they are all made, and a worker
    makes the rest just after). ``cells``, by column key, are screen text: printable,
    one line."""

    order_id: str
    integration_id: str
    channel_id: str
    state: State
    #: the reference cell (every sort ends on it)
    reference: str
    #: the ship-by cell and its urgency (``fmt.Due``)
    ship_by: str
    due: int
    attention: bool
    error: bool
    #: has a bought label that is not cancelled
    labelled: bool
    ship_ts: float
    date_ts: float
    #: late, due soon or later (``cdtui.orders.deadlines``) when still to ship, else None
    deadline: Deadline | None
    #: what the other cells are made from
    summary: OrderSummary
    integration_name: str
    #: made when first asked for (not compared: a row is the same made or not)
    _cells: dict[str, str] | None = field(default=None, compare=False, repr=False)
    _haystack: str | None = field(default=None, compare=False, repr=False)

    @property
    def cells(self) -> dict[str, str]:
        cells = self._cells
        if cells is None:  # two threads may both make them: the same values, one kept
            cells = self._cells = _cells(self)
        return cells

    @property
    def haystack(self) -> str:
        """The row's text as search compares it (``fold``): its id, cells and reason."""
        haystack = self._haystack
        if haystack is None:
            # folded once, joined: folding works letter by letter, so this is the folded
            # parts joined, for a tenth of the calls (10,000 rows per inbox load)
            text = " ".join([self.order_id, *self.cells.values(), self.summary.reason or ""])
            haystack = self._haystack = fold(text)
        return haystack

    def sort_key(self, key: str) -> tuple[object, ...]:
        if key == "ship_by":
            return (self.ship_ts, self.reference)
        if key == "date":
            return (-self.date_ts, self.reference)
        if key == "state":
            info = STATE_INFO.get(self.state)
            return (info.sort if info else _LAST, self.ship_ts)
        return (fold(self.cells[key]), self.reference)  # "Émilie" among the E's


#: combining marks (accents) once letters are decomposed (NFKD)
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
#: letters NFKD does not decompose, written as they are typed without the accent
_PLAIN = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th"})
_UNPLAIN = re.compile("[øæœłđðþ]")


def fold(text: str) -> str:
    """``text`` as search compares it, whichever way it was typed: case and accents
    ignored (``Lefèvre``, ``LEFEVRE``, ``lefevre`` are one; ``Søren``, ``soren``),
    compatibility forms made plain (``ﬁ``, full-width letters). Applied to the query
    and, once per row, to the row's text."""
    if text.isascii():
        return text.lower()
    text = _MARKS.sub("", unicodedata.normalize("NFKD", text)).casefold()
    return text.translate(_PLAIN) if _UNPLAIN.search(text) else text


def build_row(
    order: OrderSummary,
    now: datetime,
    integration_name: str,
    margin: timedelta = DEFAULT_MARGIN,
) -> Row:
    """The display row of an order (its summary: no pydantic record is needed);
    ``margin``: how close a ship-by makes an order due soon."""
    due_at = order.ship_by
    ship_text, due = fmt.ship_by(due_at, now, open_=order.state in OPEN_STATES)
    ordered = order.ordered_at
    return Row(
        order.order_id,
        order.integration_id,
        order.channel_id,
        order.state,
        # every cell is screen text: API strings through fmt.safe (a newline in a
        # reference must not forge a row, nor an escape reach the terminal)
        fmt.safe(order.reference),
        ship_text,
        due,
        order.attention is not None,
        bool(order.error),
        order.labelled,
        due_at.timestamp() if due_at else _FAR,
        ordered.timestamp() if ordered else 0.0,
        order_due(order, now, margin) if due_at else None,
        order,
        integration_name,
    )


def _cells(row: Row) -> dict[str, str]:
    order = row.summary
    state = fmt.state_label(order)
    if order.reason_word:  # not shippable: why, in a word ("shipped", "warehouse", ...)
        state = order.reason_word
    if order.attention or order.error:  # "!": counted in "need attention"
        state = "! " + state
    return {
        "reference": row.reference,
        "channel": fmt.safe(order.channel_name),
        "date": fmt.short_datetime(order.ordered_at),
        "ship_by": row.ship_by,
        "customer": fmt.safe(order.customer),
        "destination": fmt.destination_parts(order.country_code, order.postal_code, order.city),
        "items": fmt.items_summary(order.item_lines, order.item_quantity, order.item_title),
        "state": state,
        "integration": fmt.safe(row.integration_name),
    }


#: rows ``warm`` makes between two pauses (~2 ms of work)
_WARM_BATCH = 100


def warm(rows: list[Row], still_wanted: Callable[[], bool]) -> None:
    """Make every row's cells and search text now, so that the first search keystroke
    does not. For a worker thread: it pauses every ~2 ms, so the event loop never
    waits long for the interpreter (a thread otherwise keeps it 5 ms at a time, and
    the screen being painted would wait); stops early when ``still_wanted`` says the
    rows were replaced."""
    for start in range(0, len(rows), _WARM_BATCH):
        if not still_wanted():
            return
        for row in rows[start : start + _WARM_BATCH]:
            row.haystack  # noqa: B018  # made and kept by the property
        time.sleep(0.001)


def layout(width: int) -> list[tuple[int, int]]:
    """(column index, width) of the columns that fit, in display order."""
    available = width - 2  # selection mark
    chosen: list[int] = []
    used = 0
    for index in sorted(range(len(COLUMNS)), key=lambda i: COLUMNS[i].priority):
        need = COLUMNS[index].width + 1
        if used + need <= available:
            chosen.append(index)
            used += need
    chosen.sort()
    widths = {i: COLUMNS[i].width for i in chosen}
    flex = [i for i in chosen if COLUMNS[i].flex]
    spare = available - used
    if flex and spare > 0:
        share, extra = divmod(spare, len(flex))
        for n, i in enumerate(flex):
            widths[i] += share + (1 if n < extra else 0)
    return [(i, widths[i]) for i in chosen]


def _fit(text: str, width: int) -> str:
    if len(text) <= width:
        return text.ljust(width)
    return text[: max(0, width - 1)] + "…"


class OrderTable(ScrollView, can_focus=True):
    """Rows of orders with a cursor, a selection mark and coloured deadlines.

    ``cursor`` and ``selected`` are reactive and refresh the screen's bindings: what the
    keys can do follows the order under the cursor and the selection by itself."""

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(0)", "First", show=False),
        Binding("end", "edge(1)", "Last", show=False),
    ]

    COMPONENT_CLASSES = {
        "order-table--header",
        "order-table--cursor",
        "order-table--selected",
        "order-table--mark",
        "order-table--late",
        "order-table--today",
        "order-table--attention",
        "order-table--cursor-urgent",
    }

    DEFAULT_CSS = """
    OrderTable { height: 1fr; overflow-x: hidden; }
    OrderTable > .order-table--header { text-style: bold; background: $panel; }
    OrderTable > .order-table--cursor { background: $accent; color: $text; }
    OrderTable:blur > .order-table--cursor { background: $accent 50%; }
    OrderTable > .order-table--selected { text-style: bold; }
    OrderTable > .order-table--mark { color: $text-secondary; }
    OrderTable > .order-table--late { color: $error; text-style: bold; }
    OrderTable > .order-table--today { color: $warning; text-style: bold; }
    OrderTable > .order-table--attention { color: $error; text-style: bold; }
    OrderTable > .order-table--cursor-urgent { text-style: bold; }
    """

    #: the row under the cursor (an index into ``rows``)
    cursor = reactive(0, always_update=True, bindings=True)
    #: the order ids selected with space (kept across filters)
    selected: reactive[frozenset[str]] = reactive(frozenset, bindings=True)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[Row] = []
        self.sort_key = "ship_by"
        self.empty_text = "No orders"
        self._layout_width = -1
        self._layout: list[tuple[int, int]] = []
        self._after_paint: Callable[[], object] | None = None

    # ------------------------------------------------------------ data

    def show_rows(self, rows: list[Row]) -> None:
        """Replace the visible rows, keeping the cursor on the same order if it is there."""
        current = self.cursor_order_id
        self.rows = rows
        index = 0
        if current is not None:
            for n, row in enumerate(rows):
                if row.order_id == current:
                    index = n
                    break
        self.virtual_size = Size(self.size.width, len(rows) + 1)
        self.cursor = min(index, max(0, len(rows) - 1))
        self.refresh()

    def after_paint(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` once the rows now shown have been painted (not merely laid
        out, as ``call_after_refresh`` would): work that can wait must not hold up the
        first paint."""
        self._after_paint = callback
        self.refresh()

    @property
    def cursor_row(self) -> Row | None:
        if 0 <= self.cursor < len(self.rows):
            return self.rows[self.cursor]
        return None

    @property
    def cursor_order_id(self) -> str | None:
        row = self.cursor_row
        return row.order_id if row else None

    def move_to(self, order_id: str) -> None:
        for n, row in enumerate(self.rows):
            if row.order_id == order_id:
                self.cursor = n
                return

    # ------------------------------------------------------------ cursor

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_cursor_into_view()
        self.refresh()

    def watch_selected(self) -> None:
        self.refresh()

    def _page_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_cursor_into_view(self) -> None:
        top = int(self.scroll_y)
        page = self._page_height()
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + page:
            self.scroll_to(y=self.cursor - page + 1, animate=False, immediate=True)

    def _clamp(self, index: int) -> int:
        return max(0, min(index, len(self.rows) - 1))

    def action_cursor(self, delta: int) -> None:
        self.cursor = self._clamp(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.cursor = self._clamp(self.cursor + direction * self._page_height())

    def action_edge(self, end: int) -> None:
        self.cursor = self._clamp(len(self.rows) - 1 if end else 0)

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_y) + event.y - 1
        if event.y >= 1 and 0 <= index < len(self.rows):
            self.cursor = index

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.rows) + 1)
        self._scroll_cursor_into_view()

    # ------------------------------------------------------------ painting

    def _columns(self) -> list[tuple[int, int]]:
        width = self.scrollable_content_region.width
        if width != self._layout_width:
            self._layout = layout(width)
            self._layout_width = width
        return self._layout

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if self._after_paint is not None:  # after this paint (a message, handled later)
            self.call_later(self._after_paint)
            self._after_paint = None
        if y == 0:
            return self._header(width, base)
        index = int(self.scroll_y) + y - 1
        if not self.rows:  # the message, wrapped from the third line on
            lines = textwrap.wrap(self.empty_text, max(10, width - 4))
            text = f"  {lines[y - 2]}" if 2 <= y < 2 + len(lines) else ""
            return Strip([Segment(text.ljust(width)[:width], base + Style(dim=True))], width)
        if index >= len(self.rows):
            return Strip([Segment(" " * width, base)], width)
        return self._row(self.rows[index], index == self.cursor, width, base)

    def _part(self, name: str) -> Style:
        """The colours of ``order-table--{name}`` (a partial style laid over the row's)."""
        return self.get_component_rich_style(f"order-table--{name}", partial=True)

    def _header(self, width: int, base: Style) -> Strip:
        style = base + self.get_component_rich_style("order-table--header")
        parts = ["  "]
        for index, col_width in self._columns():
            title = COLUMNS[index].title
            if COLUMNS[index].key == self.sort_key:
                title += " ▲" if self.sort_key != "date" else " ▼"
            parts.append(_fit(title, col_width) + " ")
        return Strip([Segment("".join(parts).ljust(width)[:width], style)], width)

    def _row(self, row: Row, is_cursor: bool, width: int, base: Style) -> Strip:
        selected = row.order_id in self.selected
        style = base
        if selected:
            style = style + self.get_component_rich_style("order-table--selected")
        if is_cursor:
            style = style + self.get_component_rich_style("order-table--cursor")
        # on the cursor row the cursor's colours win (red on the cursor's green or orange
        # cannot be read, least of all in 16 colours): the words "late", "today", "!"
        # and the mark "●" say it there, in bold
        mark = style if is_cursor else style + self._part("mark")
        segments = [Segment("● " if selected else "  ", mark)]
        for index, col_width in self._columns():
            key = COLUMNS[index].key
            text = _fit(row.cells[key], col_width) + " "
            urgency = None
            if key == "ship_by" and row.due == fmt.Due.OVERDUE:
                urgency = "late"
            elif key == "ship_by" and row.due == fmt.Due.TODAY:
                urgency = "today"
            elif key == "state" and (row.attention or row.error):
                urgency = "attention"
            cell_style = style
            if urgency is not None:
                cell_style = style + self._part("cursor-urgent" if is_cursor else urgency)
            segments.append(Segment(text, cell_style))
        used = sum(len(s.text) for s in segments)
        if used < width:
            segments.append(Segment(" " * (width - used), style))
        return Strip(segments).crop(0, width)
