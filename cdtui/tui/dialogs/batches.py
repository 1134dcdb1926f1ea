"""The print batches, from the inbox's P: today's batches, newest first (the last one
highlighted), each with its time, order count, what it holds and where its file is, read
in a worker. With a print command Enter prints the highlighted one again; without one the
dialog says where each file is and that a print command (Setup) lets Enter print it.
Escape closes.

When there is no batch today the last one there is is offered. The dialog only chooses:
it dismisses with the batch id, and the inbox prints it (in a worker).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from cdtui.batches import Batch, batch_size
from cdtui.errors import CdtuiError
from cdtui.tui import format as fmt
from cdtui.tui.widgets.footer import KeyFooter
from cdtui.tui.widgets.plain import Static

#: where the print command is set, from the inbox
SET_PRINT_COMMAND = "set a print command in Setup (i, then u)"


def batch_row(batch: Batch) -> str:
    """The batch as the dialog lists it (screen text): ``23:15  3 orders: REF1 +2``,
    ``3 labels on 3 A6 pages, printed ×1``, then its file's full path on a line of its
    own (and a ZPL batch's customs PDF on another), which the list wraps, never cuts."""
    made = batch.created_at.astimezone().strftime("%H:%M") if batch.created_at else "--:--"
    refs = [str(o.get("reference") or o.get("order_id") or "") for o in batch.orders]
    shown = refs[0][:20] + (f" +{len(refs) - 1}" if len(refs) > 1 else "") if refs else ""
    count = len(batch.orders)
    orders = f"{count} order{'s' if count != 1 else ''}"
    prints = f"printed ×{len(batch.prints)}" if batch.prints else "not printed"
    lines = [
        f"{made}  {orders}{': ' + shown if shown else ''}",
        f"  {batch_size(batch)}, {prints}",
        f"  {batch.path}",
    ]
    if batch.customs_path is not None:
        lines.append(f"  customs (PDF): {batch.customs_path}")
    return "\n".join(fmt.safe(line) for line in lines)


class BatchesDialog(ModalScreen[str | None]):
    """Dismisses with the id of the batch to print again, or ``None``."""

    TITLE = "Print batches"
    DEFAULT_CSS = """
    #batch-list {
        height: auto;
        max-height: 14;
        border: none;
    }
    """
    BINDINGS = [
        Binding("enter", "choose", "Print again", priority=True, id="batches.print"),
        Binding("escape", "cancel", "Cancel", id="batches.cancel"),
        Binding("question_mark,f1", "app.help", "Help", id="batches.help"),
    ]
    #: the footer's keys when not all fit (``widgets/footer.py``)
    FOOTER_PRIORITY = ("batches.cancel", "batches.help", "batches.print")

    def __init__(
        self,
        loader: Callable[[], Awaitable[list[Batch]]],
        today: str,
        *,
        can_print: bool = True,
    ) -> None:
        """``today``: the day (``YYYY-MM-DD``, local) whose batches ``loader`` gives, or
        else the last batch there is. ``can_print``: a print command is set (without
        one the batches are listed, and Enter says how to print them)."""
        super().__init__()
        self._loader = loader
        self._today = today
        self._can_print = can_print
        self._batches: list[Batch] = []

    def compose(self) -> ComposeResult:
        title = "Print a batch again" if self._can_print else "Print batches"
        hint = (
            "↑↓ choose · Enter prints · Esc closes"
            if self._can_print
            else f"No print command: {SET_PRINT_COMMAND} and Enter prints the highlighted"
            " batch. ↑↓ choose · Esc closes"
        )
        with Vertical(id="dialog", classes="dialog batches"):
            yield Static(title, classes="dialog-title")
            yield Static("Reading today's print batches…", id="batches-status")
            yield OptionList(id="batch-list", markup=False)  # API text, never markup
            yield Static(hint, id="batches-hint", classes="dialog-hint")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(OptionList).display = False
        self.load()

    @work(exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        status = self.query_one("#batches-status", Static)
        try:
            self._batches = await self._loader()
        except CdtuiError as exc:
            status.update(f"Could not read the batches: {exc.message}")
            return
        if not self._batches:
            status.update("No print batch yet: a label run of several orders makes one.")
            return
        day, count = self._batches[0].id[:10], len(self._batches)
        if day != self._today:
            news = f"No batch today; the last one is of {day}."
        elif count > 1:
            news = f"{count} batches today, the newest first."
        else:
            news = "Today's batch."
        if not self._can_print:
            news += " Each batch's file is under it, to print by hand."
        status.update(news)
        listing = self.query_one(OptionList)
        listing.add_options(Option(batch_row(b), id=b.id) for b in self._batches)
        listing.display = True
        listing.highlighted = 0
        listing.focus()

    def _choose(self, index: int | None) -> None:
        if not self._batches or index is None:
            return
        batch = self._batches[index]
        if self._can_print:
            self.dismiss(batch.id)
            return
        self.query_one("#batches-status", Static).update(
            fmt.safe(
                f"Not printed: no print command is set. Batch {batch.id} is at {batch.path};"
                f" {SET_PRINT_COMMAND} and Enter prints it."
            )
        )
        self.app.bell()

    def action_choose(self) -> None:
        self._choose(self.query_one(OptionList).highlighted)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(event.option_index)

    def action_cancel(self) -> None:
        self.dismiss(None)
