"""The order inbox: every integration's orders, filtered, searched, sorted, selected.

The screen coordinates: the table shows rows, dialogs ask, workers (here and in the
app) do the network and disk work and answer with messages.
"""

from __future__ import annotations

import asyncio
import functools
import gc
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, ProgressBar

from cdtui.errors import CdtuiError
from cdtui.models import OrderRecord, State
from cdtui.storage.store import gc_paused
from cdtui.tui import format as fmt
from cdtui.tui.dialogs.confirm import ConfirmationModal
from cdtui.tui.dialogs.label import LabelChoice, LabelDialog
from cdtui.tui.dialogs.order_detail import OrderDetailDialog
from cdtui.tui.messages import (
    IntegrationsChanged,
    LabelRunFinished,
    LabelRunProgressed,
    OrdersChanged,
    RunSummary,
)
from cdtui.tui.widgets.order_table import SORTS, OrderTable, Row, build_row
from cdtui.tui.widgets.plain import Label, Static
from cdtui.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from cdtui.tui.app import CdtuiApp


@dataclass(frozen=True)
class StateFilter:
    key: str
    title: str
    states: frozenset[State] | None  # None: every state
    attention: bool = False


STATE_FILTERS: tuple[StateFilter, ...] = (
    StateFilter("0", "All", None),
    StateFilter("1", "To ship", frozenset({State.TO_SHIP, State.LABEL_PENDING})),
    StateFilter("2", "To accept", frozenset({State.WAITING_ACCEPTANCE})),
    StateFilter("3", "Label created", frozenset({State.LABELLED})),
    StateFilter("4", "Tracking sent", frozenset({State.TRACKING_SENT})),
    StateFilter("5", "Needs attention", None, attention=True),
    StateFilter("6", "Cancelled", frozenset({State.CANCELLED})),
    StateFilter("7", "Delivered", frozenset({State.DELIVERED})),
    StateFilter("8", "Not shippable", frozenset({State.NOT_SHIPPABLE})),
)


class OrdersLoaded(Message):
    def __init__(self, generation: int, rows: list[Row], sort_key: str) -> None:
        super().__init__()
        self.generation = generation
        self.rows = rows
        #: the table sort the rows are in
        self.sort_key = sort_key


_frozen = False


def _freeze_startup_objects() -> None:
    """Once per process, after the first inbox load: what is alive then (the app, the
    store's caches, the rows) lives on, so move it out of the collector's sight and no
    full collection walks 10,000 orders again (100+ ms pauses, felt as lost keys)."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()


def filter_rows(
    rows: list[Row],
    state_filter: StateFilter,
    channel: str | None,
    integration: str | None,
    search: str,
) -> list[Row]:
    """The rows that pass every filter, in the order given (already sorted)."""
    terms = search.casefold().split()
    states = state_filter.states
    attention = state_filter.attention
    return [
        r
        for r in rows
        if (states is None or r.state in states)
        and (not attention or r.attention or r.error)
        and (channel is None or r.channel_id == channel)
        and (integration is None or r.integration_id == integration)
        and all(t in r.haystack for t in terms)
    ]


class InboxScreen(Screen[None]):
    TITLE = "Order inbox"
    BINDINGS = [
        Binding("enter", "detail", "Detail", show=False, id="inbox.detail"),
        Binding("l", "label", "Label", id="inbox.label"),
        Binding("L,ctrl+l", "bulk_label", "Label selected", id="inbox.bulk_label"),
        Binding("space", "toggle_select", "Select", id="inbox.select"),
        Binding("ctrl+a", "select_all", "Select all", show=False, id="inbox.select_all"),
        Binding("x", "clear_selection", "Unselect all", show=False, id="inbox.unselect"),
        Binding("a", "accept", "Accept", id="inbox.accept"),
        Binding("r", "refuse", "Refuse", id="inbox.refuse"),
        Binding("c", "cancel_label", "Cancel label", id="inbox.cancel_label"),
        Binding("o", "open_label", "Print label", id="inbox.open_label"),
        Binding("R", "retry_failed", "Retry failed", id="inbox.retry"),
        Binding("w", "hide_results", "Hide results", show=False, id="inbox.hide_results"),
        Binding("slash", "search", "Search", id="inbox.search"),
        Binding("f", "next_filter", "Filter", id="inbox.filter"),
        *[
            Binding(
                f.key,
                f"state_filter({n})",
                f"Show: {f.title}",
                show=False,
                id=f"inbox.filter_{f.key}",
            )
            for n, f in enumerate(STATE_FILTERS)
        ],
        Binding("C", "next_channel", "Channel filter", show=False, id="inbox.channel"),
        Binding("I", "next_integration", "Shop filter", show=False, id="inbox.integration"),
        Binding("b", "next_sort", "Sort", show=False, id="inbox.sort"),
        Binding("escape", "escape", "Clear search", show=False, id="inbox.escape"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._all: list[Row] = []
        self._state_filter = 1
        self._channel: str | None = None
        self._integration: str | None = None
        self._search = ""
        self._generation = 0
        self._loaded_generation = -1
        self._pending_search: str | None = None
        self._failures: dict[str, str] = {}
        self._busy_orders: set[str] = set()

    @property
    def cdtui(self) -> CdtuiApp:
        return cast("CdtuiApp", self.app)

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static("", id="inbox-head")
        with Horizontal(id="search-row"):
            yield Label("Search ", id="search-label")
            yield Input(
                placeholder="reference, customer, city, product… (/)", id="search", compact=True
            )
        table = OrderTable(id="orders")
        table.empty_text = "Loading orders…"
        yield table
        with Vertical(id="run-panel"):
            with Horizontal(id="run-progress-row"):
                yield Static("", id="run-text")
                yield ProgressBar(id="run-progress", show_eta=False)
            yield Static("", id="run-results")
        yield StatusLine()
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#run-panel").display = False
        self.query_one(OrderTable).focus()
        self.reload()

    @property
    def table(self) -> OrderTable:
        return self.query_one(OrderTable)

    # ------------------------------------------------------------ data

    def reload(self) -> None:
        """Read the orders again (in a thread: the store reads files)."""
        self._generation += 1
        self.load_orders(self._generation, self.table.sort_key)

    @work(thread=True, group="inbox-load", exit_on_error=False)
    def load_orders(self, generation: int, sort_key: str) -> None:
        """The store's light rows (no pydantic record), made display rows and sorted here,
        off the event loop; full records are read only for an order's detail or action."""
        app = self.cdtui
        store = app.store
        if store is None:
            return
        try:
            orders = store.order_rows()
            names = {i.id: i.name for i in store.integrations()}
        except CdtuiError as exc:
            app.call_from_thread(
                app.notify, exc.message, title="Cannot read the orders", severity="error"
            )
            return
        now = app.clock()
        with gc_paused():  # tens of thousands of small objects; nothing to collect
            rows = [
                build_row(o, now, names.get(o.integration_id, o.integration_id)) for o in orders
            ]
            rows.sort(key=lambda r: r.sort_key(sort_key))
        self.post_message(OrdersLoaded(generation, rows, sort_key))

    def on_orders_loaded(self, message: OrdersLoaded) -> None:
        if message.generation < self._loaded_generation:
            return
        first = self._loaded_generation < 0
        self._loaded_generation = message.generation
        rows = message.rows
        if message.sort_key != self.table.sort_key:  # the sort changed meanwhile
            rows.sort(key=lambda r: r.sort_key(self.table.sort_key))
        self._all = rows
        present = {r.order_id for r in rows}
        self.table.selected &= present
        self.table.empty_text = "No orders here. s syncs now, 0 shows every state, n connects."
        self.apply_filters()
        if first:
            self.call_after_refresh(_freeze_startup_objects)

    def apply_filters(self) -> None:
        rows = filter_rows(
            self._all,
            STATE_FILTERS[self._state_filter],
            self._channel,
            self._integration,
            self._search,
        )
        with self.app.batch_update():
            self.table.show_rows(rows)
            self._update_head(len(rows))
        self.refresh_bindings()

    def _update_head(self, shown: int) -> None:
        to_ship = overdue = today = attention = 0
        for r in self._all:
            if r.state == State.TO_SHIP:
                to_ship += 1
                if r.due == fmt.Due.OVERDUE:
                    overdue += 1
                elif r.due == fmt.Due.TODAY:
                    today += 1
            if r.attention or r.error:
                attention += 1
        head = Text(no_wrap=True, overflow="ellipsis")
        head.append(f" {STATE_FILTERS[self._state_filter].title}", style="bold")
        head.append(f" ({shown})")
        head.append(f" · {to_ship} to ship")
        if overdue:
            head.append(f" · {overdue} late", style="bold red")
        if today:
            head.append(f" · {today} due today", style="bold yellow")
        if attention:
            head.append(f" · {attention} need attention", style="bold red")
        if self.table.selected:
            head.append(f" · {len(self.table.selected)} selected", style="bold cyan")
        extras = []
        if self._channel:
            extras.append(f"channel {self._channel_name(self._channel)}")
        if self._integration:
            extras.append(f"shop {self._integration_name(self._integration)}")
        extras.append(f"sort {dict(SORTS)[self.table.sort_key]}")
        head.append(" · " + ", ".join(extras), style="dim")
        self.query_one("#inbox-head", Static).update(head)

    def _channel_name(self, channel_id: str) -> str:
        for r in self._all:
            if r.channel_id == channel_id:
                return r.cells[1] or fmt.safe(channel_id)
        return fmt.safe(channel_id)

    def _integration_name(self, integration_id: str) -> str:
        for r in self._all:
            if r.integration_id == integration_id:
                return r.cells[8]
        return fmt.safe(integration_id)

    def on_orders_changed(self, _: OrdersChanged) -> None:
        self.reload()

    def on_integrations_changed(self, _: IntegrationsChanged) -> None:
        if self._integration and self._integration not in {i.id for i in self.cdtui.integrations()}:
            self._integration = None
        self.reload()

    def on_order_table_cursor_moved(self, _: OrderTable.CursorMoved) -> None:
        self.refresh_bindings()

    # ------------------------------------------------------------ search & filters

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        # Light debounce: keys that arrive together are applied once, on the next turn
        # of the event loop, rather than after a fixed delay.
        first = self._pending_search is None
        self._pending_search = event.value
        if first:
            self.call_later(self._apply_pending_search)

    def _apply_pending_search(self) -> None:
        value, self._pending_search = self._pending_search, None
        if value is not None and value != self._search:
            self._set_search(value)

    def _set_search(self, value: str) -> None:
        self._search = value
        self.apply_filters()

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._pending_search = None
        self._set_search(event.value)
        self.table.focus()

    def action_escape(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus:
            self.table.focus()
        elif search.value:
            search.value = ""
            self._set_search("")

    def action_state_filter(self, index: int) -> None:
        self._state_filter = index
        self.apply_filters()

    def action_next_filter(self) -> None:
        self.action_state_filter((self._state_filter + 1) % len(STATE_FILTERS))

    def _cycle(self, current: str | None, values: list[str]) -> str | None:
        options: list[str | None] = [None, *values]
        return options[(options.index(current) + 1) % len(options)] if current in options else None

    def action_next_channel(self) -> None:
        channels = sorted({r.channel_id for r in self._all if r.channel_id})
        self._channel = self._cycle(self._channel, channels)
        self.apply_filters()

    def action_next_integration(self) -> None:
        ids = [i.id for i in self.cdtui.integrations()]
        self._integration = self._cycle(self._integration, ids)
        self.apply_filters()

    def action_next_sort(self) -> None:
        keys = [k for k, _ in SORTS]
        self.table.sort_key = keys[(keys.index(self.table.sort_key) + 1) % len(keys)]
        self._all.sort(key=lambda r: r.sort_key(self.table.sort_key))
        self.apply_filters()

    # ------------------------------------------------------------ selection

    def action_toggle_select(self) -> None:
        row = self.table.cursor_row
        if row is None:
            return
        self.table.selected ^= {row.order_id}
        self.table.action_cursor(1)
        self.table.refresh()
        self._update_head(len(self.table.rows))
        self.refresh_bindings()

    def action_select_all(self) -> None:
        shown = {r.order_id for r in self.table.rows}
        if shown and shown <= self.table.selected:
            self.table.selected -= shown
        else:
            self.table.selected |= shown
        self.table.refresh()
        self._update_head(len(self.table.rows))
        self.refresh_bindings()

    def action_clear_selection(self) -> None:
        self.table.selected.clear()
        self.table.refresh()
        self._update_head(len(self.table.rows))
        self.refresh_bindings()

    # ------------------------------------------------------------ what applies

    def _row_state(self) -> tuple[Row | None, State | None]:
        row = self.table.cursor_row
        return row, (row.state if row else None)

    def _to_ship_selected(self) -> list[str]:
        states = {r.order_id: r.state for r in self._all}
        return [i for i in self.table.selected if states.get(i) == State.TO_SHIP]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.is_mounted:
            return True
        try:
            row, state = self._row_state()
        except Exception:
            return True
        busy = row is not None and row.order_id in self._busy_orders
        if action == "label":
            return state == State.TO_SHIP and not busy and not self.cdtui.labels_running
        if action == "bulk_label":
            if not self.table.selected:
                return False
            return None if self.cdtui.labels_running else True
        if action in ("accept", "refuse"):
            return state == State.WAITING_ACCEPTANCE and not busy
        if action in ("cancel_label", "open_label"):
            return row is not None and row.labelled and not busy
        if action == "detail":
            return row is not None
        if action == "retry_failed":
            return bool(self._failures) and not self.cdtui.labels_running
        if action == "hide_results":
            return self.query_one("#run-panel").display
        return True

    def _record(self, order_id: str) -> OrderRecord | None:
        engine = self.cdtui.engine
        if engine is None:
            return None
        try:
            return engine.order(order_id)
        except CdtuiError as exc:
            self.app.notify(exc.message, severity="error")
            return None

    # ------------------------------------------------------------ detail

    def action_detail(self) -> None:
        row = self.table.cursor_row
        rec = self._record(row.order_id) if row else None
        if rec is None:
            return

        def chosen(action: str | None) -> None:
            if action:
                self.table.move_to(rec.order_id)
                self.run_action_for(rec.order_id, action)

        self.app.push_screen(OrderDetailDialog(rec, self.cdtui.clock()), chosen)

    def run_action_for(self, order_id: str, action: str) -> None:
        self.table.move_to(order_id)
        handlers = {
            "label": self.action_label,
            "open_label": self.action_open_label,
            "cancel_label": self.action_cancel_label,
            "accept": self.action_accept,
            "refuse": self.action_refuse,
        }
        if action in handlers:
            handlers[action]()

    # ------------------------------------------------------------ labels

    def action_label(self) -> None:
        engine = self.cdtui.engine
        row = self.table.cursor_row
        if engine is None or row is None or row.state != State.TO_SHIP:
            return
        if self.cdtui.labels_running:
            self.app.notify("A label run is in progress; wait for it to finish.")
            return
        rec = self._record(row.order_id)
        if rec is None:
            return
        order_id = rec.order_id
        try:
            weight = engine.label_weight(order_id)
        except CdtuiError as exc:
            self.app.notify(exc.message, severity="error")
            return

        def chosen(choice: LabelChoice | None) -> None:
            if choice is not None:
                self.cdtui.run_labels([order_id], choice)

        self.app.push_screen(
            LabelDialog(rec, weight, functools.partial(engine.label_plan, order_id)), chosen
        )

    def action_bulk_label(self) -> None:
        selected = list(self.table.selected)
        if not selected:
            self.app.notify("Select orders with space first (ctrl+a selects all shown).")
            return
        if self.cdtui.labels_running:
            self.app.notify("A label run is in progress; wait for it to finish.")
            return
        eligible = self._to_ship_selected()
        skipped = len(selected) - len(eligible)
        if not eligible:
            self.app.notify(
                "None of the selected orders is waiting for a label.", severity="warning"
            )
            return
        body = (
            f"Create {len(eligible)} label(s), each with its shop's default shipping "
            "option and weight? Each order's tracking is then sent to the marketplace."
        )
        if skipped:
            body += f"\n{skipped} selected order(s) are not to ship and will be skipped."

        def answered(yes: bool | None) -> None:
            if yes:
                self.cdtui.run_labels(eligible)

        self.app.push_screen(ConfirmationModal("Create labels", body, yes="Create"), answered)

    def action_retry_failed(self) -> None:
        failed = [
            i
            for i in self._failures
            if i in {r.order_id for r in self._all if r.state == State.TO_SHIP}
        ]
        if not failed:
            self.app.notify("Nothing left to retry.")
            self._failures.clear()
            self.refresh_bindings()
            return
        self.cdtui.run_labels(failed)

    def action_hide_results(self) -> None:
        self.query_one("#run-panel").display = False
        self.refresh_bindings()

    def on_label_run_progressed(self, message: LabelRunProgressed) -> None:
        panel = self.query_one("#run-panel")
        panel.display = True
        bar = self.query_one("#run-progress", ProgressBar)
        bar.update(total=message.total, progress=message.done)
        self.query_one("#run-text", Static).update(
            f"Creating labels {message.done}/{message.total} "
        )
        self.query_one("#run-results", Static).update("")
        self.refresh_bindings()

    def on_label_run_finished(self, message: LabelRunFinished) -> None:
        summary: RunSummary = message.summary
        self._failures = dict(summary.failed)
        panel = self.query_one("#run-panel")
        panel.display = True
        bar = self.query_one("#run-progress", ProgressBar)
        bar.update(total=summary.total, progress=summary.total)
        text = Text(f"{len(summary.ok)} label(s) created", style="bold green")
        if summary.failed:
            text.append(f" · {len(summary.failed)} failed — R retries, w hides", style="bold red")
        else:
            text.append(" · w hides")
        self.query_one("#run-text", Static).update(text)
        refs = {r.order_id: r.cells[0] for r in self._all}
        lines = Text()
        for order_id, reason in summary.failed.items():
            if lines:
                lines.append("\n")
            lines.append(f"{refs.get(order_id) or fmt.safe(order_id)}: ", style="bold")
            lines.append(fmt.safe(reason), style="red")
        self.query_one("#run-results", Static).update(lines)
        self.table.selected -= set(summary.ok)
        self.reload()

    # ------------------------------------------------------------ other order actions

    def action_cancel_label(self) -> None:
        row = self.table.cursor_row
        rec = self._record(row.order_id) if row else None
        if rec is None or rec.label is None:
            return
        reference = fmt.safe(rec.reference)
        body = (
            f"Cancel the Sendcloud label of order {reference} "
            f"({fmt.safe(rec.label.carrier_name)} {fmt.safe(rec.label.tracking_number)})? "
            "The marketplace order itself is not touched."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._busy_orders.add(rec.order_id)
                self.refresh_bindings()
                self.cancel_label(rec.order_id, reference)

        self.app.push_screen(
            ConfirmationModal("Cancel label", body, yes="Cancel label", no="Keep it"), answered
        )

    @work(group="orders", exit_on_error=False)
    async def cancel_label(self, order_id: str, reference: str) -> None:
        engine = self.cdtui.engine
        assert engine is not None
        try:
            result = await engine.cancel_label(order_id)
        except CdtuiError as exc:
            self.app.notify(
                exc.message, title=f"Label of {reference} not cancelled", severity="error"
            )
        else:
            texts = {
                "cancelled": "Label cancelled.",
                "queued": "Cancellation requested; the carrier confirms within 14 days.",
                "refused": "The carrier refused to cancel this label.",
            }
            self.app.notify(
                f"{texts.get(result.status, result.status)} {result.message}",
                title=f"Order {reference}",
                severity="error" if result.status == "refused" else "information",
            )
        self._busy_orders.discard(order_id)
        self.reload()

    def action_accept(self) -> None:
        row = self.table.cursor_row
        if row is None or row.state != State.WAITING_ACCEPTANCE:
            return
        self._busy_orders.add(row.order_id)
        self.refresh_bindings()
        self.approve(row.order_id, row.cells[0], True)

    def action_refuse(self) -> None:
        row = self.table.cursor_row
        if row is None or row.state != State.WAITING_ACCEPTANCE:
            return
        order_id, reference = row.order_id, row.cells[0]

        def answered(yes: bool | None) -> None:
            if yes:
                self._busy_orders.add(order_id)
                self.refresh_bindings()
                self.approve(order_id, reference, False)

        self.app.push_screen(
            ConfirmationModal(
                "Refuse order",
                f"Refuse order {reference}? The customer's order is then "
                "cancelled on the marketplace.",
                yes="Refuse",
                no="Keep it",
            ),
            answered,
        )

    @work(group="orders", exit_on_error=False)
    async def approve(self, order_id: str, reference: str, accepted: bool) -> None:
        engine = self.cdtui.engine
        assert engine is not None
        verb = "accepted" if accepted else "refused"
        try:
            rec = await engine.approve(order_id, accepted)
        except CdtuiError as exc:
            self.app.notify(exc.message, title=f"Order {reference} not {verb}", severity="error")
        else:
            self.app.notify(
                f"Order {reference} {verb}; it is now {fmt.state_label(rec)}.",
                title=f"Order {verb}",
            )
        self._busy_orders.discard(order_id)
        self.reload()

    def action_open_label(self) -> None:
        row = self.table.cursor_row
        if row is None:
            return
        self.open_label(row.order_id, row.cells[0])

    @work(group="orders", exit_on_error=False)
    async def open_label(self, order_id: str, reference: str) -> None:
        engine = self.cdtui.engine
        assert engine is not None
        try:
            path = await engine.label_file(order_id)
            if engine.settings.print_command:
                await asyncio.to_thread(engine.print_label, path)
                self.app.notify(f"Sent to the printer: {path}", title=f"Label of {reference}")
            else:
                self.app.notify(
                    f"Saved at {path} (set a print command in Setup to print with o).",
                    title=f"Label of {reference}",
                    timeout=10,
                )
        except CdtuiError as exc:
            self.app.notify(exc.message, title=f"Label of {reference}", severity="error")
