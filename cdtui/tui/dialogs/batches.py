"""Print a batch again: today's print batches, newest first (the last one highlighted),
read in a worker; Enter prints the highlighted one, Escape closes.

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
from cdtui.tui.widgets.plain import Static


def batch_row(batch: Batch) -> str:
    """``23:15  10 labels on 3 A4 pages, printed ×1  REF1 +9`` (screen text, one line
    of the dialog at 80 columns)."""
    made = batch.created_at.astimezone().strftime("%H:%M") if batch.created_at else "--:--"
    refs = [str(o.get("reference") or o.get("order_id") or "") for o in batch.orders]
    shown = refs[0][:20] + (f" +{len(refs) - 1}" if len(refs) > 1 else "") if refs else ""
    prints = f"printed ×{len(batch.prints)}" if batch.prints else "not printed"
    return fmt.safe(f"{made}  {batch_size(batch)}, {prints}  {shown}")


class BatchesDialog(ModalScreen[str | None]):
    """Dismisses with the id of the batch to print again, or ``None``."""

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
    ]

    def __init__(self, loader: Callable[[], Awaitable[list[Batch]]], today: str) -> None:
        """``today``: the day (``YYYY-MM-DD``, local) whose batches ``loader`` gives, or
        else the last batch there is."""
        super().__init__()
        self._loader = loader
        self._today = today
        self._batches: list[Batch] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog batches"):
            yield Static("Print a batch again", classes="dialog-title")
            yield Static("Reading today's print batches…", id="batches-status")
            yield OptionList(id="batch-list")
            yield Static("↑↓ choose · Enter prints · Esc closes", classes="dialog-hint")

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
            status.update(f"No batch today; the last one is of {day}.")
        elif count > 1:
            status.update(f"{count} batches today, the newest first.")
        else:
            status.update("Today's batch.")
        listing = self.query_one(OptionList)
        listing.add_options(Option(batch_row(b), id=b.id) for b in self._batches)
        listing.display = True
        listing.highlighted = 0
        listing.focus()

    def action_choose(self) -> None:
        listing = self.query_one(OptionList)
        if not self._batches or listing.highlighted is None:
            return
        self.dismiss(self._batches[listing.highlighted].id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
