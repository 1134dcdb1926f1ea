"""The order inbox: every integration's orders, filtered, searched, sorted, selected.

The screen coordinates: the table shows rows, dialogs ask, workers (here and in the
app) do the network and disk work and answer with messages. What the keys can do
follows reactive state (the table's cursor and selection, the orders being worked on,
the failures of the last run, the app's ``labels_running``), never a manual refresh.
What is filtered and how the head line reads is in ``inbox_view.py``; the label run
panel is ``widgets/run_panel.py``.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Input

from cdtui.batches import Batch, batch_size
from cdtui.errors import CdtuiError
from cdtui.models import OrderRecord
from cdtui.orders.enums import State
from cdtui.storage.store import gc_paused
from cdtui.tui import format as fmt
from cdtui.tui.dialogs.batches import BatchesDialog
from cdtui.tui.dialogs.confirm import ConfirmationModal, cancel_label_question
from cdtui.tui.dialogs.label import LabelChoice, LabelDialog
from cdtui.tui.dialogs.order_detail import OrderDetailDialog
from cdtui.tui.messages import LabelProgress, LabelsRequested, OrdersChanged, RunSummary
from cdtui.tui.protocols import host
from cdtui.tui.screens.inbox_view import (
    FILTERS_BY_KEY,
    STATE_FILTERS,
    TO_SHIP,
    bulk_question,
    channel_name,
    empty_text,
    filter_rows,
    head_parts,
    shop_name,
)
from cdtui.tui.screens.report import ReportScreen
from cdtui.tui.screens.scan import ScanScreen
from cdtui.tui.widgets.footer import KeyFooter
from cdtui.tui.widgets.line import FittedLine
from cdtui.tui.widgets.order_table import SORTS, OrderTable, Row, build_row, warm
from cdtui.tui.widgets.plain import Label
from cdtui.tui.widgets.run_panel import RunPanel
from cdtui.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from cdtui.labels import LabelPlan

log = logging.getLogger(__name__)

#: label plans asked of Sendcloud at once before a bulk run
PLAN_CONCURRENCY = 4


class OrdersLoaded(Message):
    def __init__(self, generation: int, rows: list[Row], sort_key: str) -> None:
        super().__init__()
        self.generation = generation
        self.rows = rows
        #: the table sort the rows are in
        self.sort_key = sort_key


class BulkPlanProgressed(Message):
    """``done`` of ``total`` label plans fetched; collapses when several pile up."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.progress = LabelProgress(done, total)

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, BulkPlanProgressed)


class BulkPlanned(Message):
    """Each selected order's label plan, or why there is none."""

    def __init__(self, plans: dict[str, LabelPlan | str], not_to_ship: int) -> None:
        super().__init__()
        self.plans = plans
        self.not_to_ship = not_to_ship


_frozen = False


def _freeze_startup_objects() -> None:
    """Once per process, after the first inbox load: what is alive then (the app, the
    store's caches, the rows) lives on, so move it out of the collector's sight and no
    full collection walks 10,000 orders again (100+ ms pauses, felt as lost keys)."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()


#: the worker group reading the orders (the app does not stat the store meanwhile)
LOAD_GROUP = "inbox-load"


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
        Binding("p", "documents", "Pick list & slips", id="inbox.documents"),
        Binding("P", "reprint_batch", "Reprint batch", show=False, id="inbox.reprint_batch"),
        Binding("R", "retry_failed", "Retry failed", id="inbox.retry"),
        Binding("w", "hide_results", "Hide results", show=False, id="inbox.hide_results"),
        # priority: handled as the app reads it, before the keys typed after it are
        # handed on, so they reach the search and do not act as commands
        Binding("slash", "search", "Search", id="inbox.search", priority=True),
        Binding("S", "scan", "Scan to ship", show=False, id="inbox.scan"),
        Binding("f", "next_filter", "Filter", id="inbox.filter"),
        *[
            Binding(
                f.key,
                f"state_filter('{f.key}')",
                f"Show: {f.title}",
                show=False,
                id=f"inbox.filter_{f.key}",
            )
            for f in STATE_FILTERS
        ],
        Binding("C", "next_channel", "Channel filter", show=False, id="inbox.channel"),
        Binding("I", "next_integration", "Shop filter", show=False, id="inbox.integration"),
        Binding("b", "next_sort", "Sort", show=False, id="inbox.sort"),
        Binding("escape", "escape", "Clear search", show=False, id="inbox.escape"),
        Binding("D", "day_report", "Day report", show=False, id="inbox.day_report"),
    ]
    #: the footer's keys when not all fit (``widgets/footer.py``; q and ? always do)
    FOOTER_PRIORITY = (
        "inbox.label",
        "inbox.bulk_label",
        "inbox.retry",
        "inbox.accept",
        "inbox.refuse",
        "inbox.open_label",
        "inbox.select",
        "inbox.search",
        "inbox.filter",
        "app.sync",
        "inbox.cancel_label",
        "app.integrations",
    )

    #: the key of the state filter shown (``inbox_view.STATE_FILTERS``)
    state_filter = reactive(TO_SHIP, init=False)
    #: only this sales channel / integration (None: all)
    channel: reactive[str | None] = reactive(None, init=False)
    integration: reactive[str | None] = reactive(None, init=False)
    #: orders with an approval or a label cancellation under way: their keys wait
    busy: reactive[frozenset[str]] = reactive(frozenset, bindings=True)
    #: the orders the last label run failed on, and why (``R`` retries them)
    failures: reactive[dict[str, str]] = reactive(dict, bindings=True)
    #: the label plans of a bulk run are being fetched (Escape stops)
    planning = reactive(False, bindings=True)

    def __init__(self) -> None:
        super().__init__()
        self._all: list[Row] = []
        self._search = ""
        self._generation = 0
        self._loaded_generation = -1
        self._pending_search: str | None = None
        self._reload_due = False
        #: the last label run's summary and the load that shows its orders as they are now
        self._run_to_show: tuple[int, RunSummary] | None = None
        #: the last run's summary (a session's runs added up: scan mode's labels)
        self._last_run: RunSummary | None = None

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield FittedLine(id="inbox-head")
        with Horizontal(id="search-row"):
            yield Label("Search", id="search-label")
            yield Input(
                placeholder="reference, customer, city, product… (/)", id="search", compact=True
            )
        table = OrderTable(id="orders")
        table.empty_text = "Loading orders…"
        yield table
        yield RunPanel(id="run-panel")
        yield StatusLine()
        yield KeyFooter()

    def on_mount(self) -> None:
        app = host(self)
        app.orders_changed.subscribe(self, self._orders_changed)
        app.integrations_changed.subscribe(self, self._integrations_changed)
        app.labels_progressed.subscribe(self, self._labels_progressed)
        app.labels_finished.subscribe(self, self._labels_finished)
        self.watch(self.table, "selected", self._selection_changed, init=False)
        self.table.focus()
        self.reload()

    @property
    def table(self) -> OrderTable:
        return self.query_one(OrderTable)

    # ------------------------------------------------------------ data

    def reload(self) -> None:
        """Read the orders again (in a thread: the store reads files)."""
        self._generation += 1
        self.load_orders(self._generation, self.table.sort_key)

    def _reload_soon(self) -> None:
        """``reload``, once for every signal of this turn of the event loop (the orders and
        the integrations changed together: one read)."""
        if not self._reload_due:
            self._reload_due = True
            self.call_later(self._reload_now)

    def _reload_now(self) -> None:
        self._reload_due = False
        self.reload()

    @work(thread=True, group=LOAD_GROUP, exit_on_error=False)
    def load_orders(self, generation: int, sort_key: str) -> None:
        """The store's order summaries (no pydantic record), made display rows and sorted
        here, off the event loop; full records are read only for an order's detail or
        action."""
        app = host(self)
        engine = app.engine
        if engine is None:
            return
        try:
            orders = engine.store.order_rows()
            names = {i.id: i.name for i in engine.store.integrations()}
        except CdtuiError as exc:
            self.app.call_from_thread(
                self.app.notify, exc.message, title="Cannot read the orders", severity="error"
            )
            return
        now, margin = app.clock(), engine.settings.due_soon_margin
        with gc_paused():  # tens of thousands of small objects; nothing to collect
            rows = [
                build_row(o, now, names.get(o.integration_id, o.integration_id), margin)
                for o in orders
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
        self.table.selected &= {r.order_id for r in rows}
        self.apply_filters()
        if self._run_to_show is not None and message.generation >= self._run_to_show[0]:
            self._show_run(self._run_to_show[1])
            self._run_to_show = None
        generation = message.generation
        self.table.after_paint(lambda: self.warm_rows(generation))
        if first:
            self.call_after_refresh(_freeze_startup_objects)

    @work(thread=True, group="inbox-warm", exit_on_error=False)
    def warm_rows(self, generation: int) -> None:
        """The rows' cells and search text, made after the rows are painted (see
        ``Row``): the first search keystroke finds them ready. (The rows are not an
        argument: a worker's description is made of its arguments' ``repr``.)"""
        rows = self._all
        with gc_paused():
            warm(rows, lambda: self._loaded_generation == generation)

    def apply_filters(self) -> None:
        state_filter = FILTERS_BY_KEY[self.state_filter]
        rows = filter_rows(self._all, state_filter, self.channel, self.integration, self._search)
        with self.app.batch_update():
            if self._loaded_generation >= 0:
                self.table.empty_text = empty_text(state_filter, self._search)
            self.table.show_rows(rows)
            self._update_head()

    def _update_head(self) -> None:
        filters = []
        if self.channel:
            filters.append(f"channel {channel_name(self._all, self.channel)}")
        if self.integration:
            filters.append(f"shop {shop_name(self._all, self.integration)}")
        self.query_one("#inbox-head", FittedLine).parts = head_parts(
            self._all,
            FILTERS_BY_KEY[self.state_filter],
            len(self.table.rows),
            len(self.table.selected),
            filters,
            dict(SORTS)[self.table.sort_key],
        )

    def watch_state_filter(self) -> None:
        self.apply_filters()

    def watch_channel(self) -> None:
        self.apply_filters()

    def watch_integration(self) -> None:
        self.apply_filters()

    def _selection_changed(self) -> None:
        self._update_head()

    def _orders_changed(self, _: None) -> None:
        self._reload_soon()

    def _integrations_changed(self, _: None) -> None:
        if self.integration and self.integration not in {i.id for i in host(self).integrations()}:
            self.integration = None
        self._reload_soon()

    # ------------------------------------------------------------ scan to ship

    def action_scan(self) -> None:
        """Scan mode: an order's slip, its items, its label (``screens/scan.py``)."""
        if host(self).engine is not None:
            self.app.push_screen(ScanScreen())

    # ------------------------------------------------------------ search & filters

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus:  # a "/" typed in the search ("26/11") is text
            search.insert_text_at_cursor("/")
            return
        # focused now, not on the next turn of the loop (``focus()``): the keys typed
        # after the "/", queued behind it, must reach the search
        self.set_focus(search)

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
        if self.planning:
            self.workers.cancel_group(self, "bulk-plan")
            self.planning = False
            self.query_one(RunPanel).shown = False
        elif search.has_focus:
            self.table.focus()
        elif search.value:
            search.value = ""
            self._set_search("")

    def action_state_filter(self, key: str) -> None:
        self.state_filter = key

    def action_next_filter(self) -> None:
        keys = [f.key for f in STATE_FILTERS]
        self.state_filter = keys[(keys.index(self.state_filter) + 1) % len(keys)]

    def _cycle(self, current: str | None, values: list[str]) -> str | None:
        options: list[str | None] = [None, *values]
        return options[(options.index(current) + 1) % len(options)] if current in options else None

    def action_next_channel(self) -> None:
        channels = sorted({r.channel_id for r in self._all if r.channel_id})
        self.channel = self._cycle(self.channel, channels)

    def action_next_integration(self) -> None:
        ids = [i.id for i in host(self).integrations()]
        self.integration = self._cycle(self.integration, ids)

    def action_next_sort(self) -> None:
        keys = [k for k, _ in SORTS]
        self.table.sort_key = keys[(keys.index(self.table.sort_key) + 1) % len(keys)]
        self._all.sort(key=lambda r: r.sort_key(self.table.sort_key))
        self.apply_filters()
        # said in the status line too: at 80 columns the head line may have no room for
        # it, and the sorted column may not be shown (the order date)
        self.app.notify(f"Sorted by {dict(SORTS)[self.table.sort_key]}")

    # ------------------------------------------------------------ selection

    def action_toggle_select(self) -> None:
        row = self.table.cursor_row
        if row is None:
            return
        self.table.selected ^= {row.order_id}
        self.table.action_cursor(1)

    def action_select_all(self) -> None:
        shown = {r.order_id for r in self.table.rows}
        if shown and shown <= self.table.selected:
            self.table.selected -= shown
        else:
            self.table.selected |= shown

    def action_clear_selection(self) -> None:
        self.table.selected = frozenset()

    # ------------------------------------------------------------ what applies

    def _to_ship_selected(self) -> list[str]:
        states = {r.order_id: r.state for r in self._all}
        return [i for i in self.table.selected if states.get(i) == State.TO_SHIP]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        try:
            table = self.query_one(OrderTable)
            panel = self.query_one(RunPanel)
        except NoMatches:  # not composed yet
            return True
        row = table.cursor_row
        state = row.state if row else None
        busy = row is not None and row.order_id in self.busy
        labels_running = host(self).labels_running
        if action == "label":
            return state == State.TO_SHIP and not busy and not labels_running
        if action == "bulk_label":
            if not table.selected:
                return False
            return None if labels_running or self.planning else True
        if action in ("accept", "refuse"):
            return state == State.WAITING_ACCEPTANCE and not busy
        if action in ("cancel_label", "open_label"):
            return row is not None and row.labelled and not busy
        if action == "detail":
            return row is not None
        if action == "retry_failed":
            return bool(self.failures) and not labels_running
        if action == "hide_results":
            return panel.shown
        return True

    def _record(self, order_id: str) -> OrderRecord | None:
        engine = host(self).engine
        if engine is None:
            return None
        try:
            return engine.order(order_id)
        except CdtuiError as exc:
            self.app.notify(exc.message, severity="error")
            return None

    def _set_busy(self, order_id: str, busy: bool) -> None:
        self.busy = self.busy | {order_id} if busy else self.busy - {order_id}

    # ------------------------------------------------------------ detail

    def action_day_report(self) -> None:
        """The end-of-day report, from today (``screens/report.py``)."""
        self.app.push_screen(ReportScreen())

    def action_detail(self) -> None:
        row = self.table.cursor_row
        rec = self._record(row.order_id) if row else None
        if rec is None:
            return

        def chosen(action: str | None) -> None:
            if action:
                self.table.move_to(rec.order_id)
                self.run_action_for(rec.order_id, action)

        self.app.push_screen(OrderDetailDialog(rec, host(self).clock()), chosen)

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
        app = host(self)
        engine = app.engine
        row = self.table.cursor_row
        if engine is None or row is None or row.state != State.TO_SHIP:
            return
        if app.labels_running:
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
                self.post_message(LabelsRequested([order_id], choice))

        self.app.push_screen(
            LabelDialog(rec, weight, functools.partial(engine.label_plan, order_id)), chosen
        )

    def action_bulk_label(self) -> None:
        selected = list(self.table.selected)
        if not selected:
            self.app.notify("Select orders with space first (ctrl+a selects all shown).")
            return
        if host(self).labels_running:
            self.app.notify("A label run is in progress; wait for it to finish.")
            return
        if self.planning:
            return
        eligible = self._to_ship_selected()
        if not eligible:
            self.app.notify(
                "None of the selected orders is waiting for a label.", severity="warning"
            )
            return
        # what each label will be is asked first (Sendcloud's options and prices, the
        # shop's rules): the question says it, the operator decides knowing it
        self.planning = True
        self.query_one(RunPanel).show_planning(LabelProgress(0, len(eligible)))
        self.plan_bulk(eligible, len(selected) - len(eligible))

    @work(group="bulk-plan", exit_on_error=False)
    async def plan_bulk(self, order_ids: list[str], not_to_ship: int) -> None:
        """Each order's label plan, a few at a time; progress and plans as messages."""
        engine = host(self).engine
        assert engine is not None
        gate = asyncio.Semaphore(PLAN_CONCURRENCY)
        done = 0

        async def plan(order_id: str) -> LabelPlan | str:
            nonlocal done
            async with gate:
                try:
                    result: LabelPlan | str = await engine.label_plan(order_id)
                except CdtuiError as exc:
                    result = exc.message
                except Exception as exc:  # one order's surprise is not the run's
                    log.exception("label plan of %s failed", order_id)
                    result = f"Unexpected error ({type(exc).__name__}); see the log."
            done += 1
            self.post_message(BulkPlanProgressed(done, len(order_ids)))
            return result

        plans = await asyncio.gather(*(plan(i) for i in order_ids))
        self.post_message(BulkPlanned(dict(zip(order_ids, plans, strict=True)), not_to_ship))

    def on_bulk_plan_progressed(self, message: BulkPlanProgressed) -> None:
        if self.planning:
            self.query_one(RunPanel).show_planning(message.progress)

    def on_bulk_planned(self, message: BulkPlanned) -> None:
        if not self.planning:
            return  # stopped with Escape
        self.planning = False
        panel = self.query_one(RunPanel)
        panel.shown = False
        references = {r.order_id: r.reference for r in self._all}
        body, ready = bulk_question(message.plans, references, message.not_to_ship)
        if not ready:
            panel.show_message("None of the selected orders can be labelled · w hides", body)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.post_message(LabelsRequested(ready))

        count = f"{len(ready)} label{'s' if len(ready) > 1 else ''}"
        self.app.push_screen(
            ConfirmationModal("Create labels", body, yes=f"Create {count}"), answered
        )

    def action_retry_failed(self) -> None:
        to_ship = {r.order_id for r in self._all if r.state == State.TO_SHIP}
        failed = [i for i in self.failures if i in to_ship]
        if not failed:
            self.app.notify("Nothing left to retry.")
            self.failures = {}
            return
        self.post_message(LabelsRequested(failed))

    def action_hide_results(self) -> None:
        self.query_one(RunPanel).shown = False

    def _labels_progressed(self, progress: LabelProgress) -> None:
        self.query_one(RunPanel).show_progress(progress)

    def _labels_finished(self, summary: RunSummary) -> None:
        """Shown once the orders are read again: an order that failed because it has a
        label now was labelled by another process meanwhile, not a failure to retry. The
        runs of one session (scan mode buys one label a run) show as one, added up."""
        last = self._last_run
        if summary.session is not None and last is not None and last.session is summary.session:
            summary = last.joined(summary)
        self._last_run = summary
        self.table.selected -= set(summary.ok)
        self.reload()
        self._run_to_show = (self._generation, summary)

    def _show_run(self, summary: RunSummary) -> None:
        rows = {r.order_id: r for r in self._all}
        elsewhere = {i for i in summary.failed if (row := rows.get(i)) is not None and row.labelled}
        self.failures = {i: r for i, r in summary.failed.items() if i not in elsewhere}
        self.table.selected -= elsewhere
        references = {i: r.reference for i, r in rows.items()}
        self.query_one(RunPanel).show_summary(summary, references, elsewhere)

    # ------------------------------------------------------------ other order actions

    def action_cancel_label(self) -> None:
        row = self.table.cursor_row
        rec = self._record(row.order_id) if row else None
        if rec is None or rec.label is None:
            return
        reference = fmt.safe(rec.reference)

        def answered(yes: bool | None) -> None:
            if yes:
                self._set_busy(rec.order_id, True)
                self.cancel_label(rec.order_id, reference)

        # says beforehand what stays on the marketplace (a tracking already sent)
        self.app.push_screen(cancel_label_question(rec), answered)

    @work(group="orders", exit_on_error=False)
    async def cancel_label(self, order_id: str, reference: str) -> None:
        engine = host(self).engine
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
        self._set_busy(order_id, False)
        self.app.post_message(OrdersChanged())  # every screen showing orders reads again

    def action_accept(self) -> None:
        row = self.table.cursor_row
        if row is None or row.state != State.WAITING_ACCEPTANCE:
            return
        self._set_busy(row.order_id, True)
        self.approve(row.order_id, row.reference, True)

    def action_refuse(self) -> None:
        row = self.table.cursor_row
        if row is None or row.state != State.WAITING_ACCEPTANCE:
            return
        order_id, reference = row.order_id, row.reference

        def answered(yes: bool | None) -> None:
            if yes:
                self._set_busy(order_id, True)
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
        engine = host(self).engine
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
        self._set_busy(order_id, False)
        self.app.post_message(OrdersChanged())  # every screen showing orders reads again

    def action_open_label(self) -> None:
        row = self.table.cursor_row
        if row is None:
            return
        self.open_label(row.order_id, row.reference)

    @work(group="orders", exit_on_error=False)
    async def open_label(self, order_id: str, reference: str) -> None:
        engine = host(self).engine
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

    def action_reprint_batch(self) -> None:
        """P: today's print batches with their files, the last one highlighted; with a
        print command the one chosen is printed again (read and printed in workers),
        without one the dialog says where each file is and how to print it."""
        engine = host(self).engine
        if engine is None:
            return
        can_print = bool(engine.settings.print_command)

        async def recent() -> list[Batch]:
            return await asyncio.to_thread(engine.batches.recent, engine.clock())

        def chosen(batch_id: str | None) -> None:
            if batch_id:
                self.reprint_batch(batch_id)

        today = engine.clock().astimezone().strftime("%Y-%m-%d")
        self.app.push_screen(BatchesDialog(recent, today, can_print=can_print), chosen)

    @work(group="print", exit_on_error=False)
    async def reprint_batch(self, batch_id: str) -> None:
        engine = host(self).engine
        assert engine is not None
        try:
            batch = await asyncio.to_thread(engine.batches.get, batch_id)
            await engine.print_batch(batch)
        except CdtuiError as exc:
            self.app.notify(exc.message, title=f"Batch {batch_id}", severity="error")
            return
        self.app.notify(f"Sent to the printer: {batch_size(batch)}.", title=f"Batch {batch_id}")

    # ------------------------------------------------------------ picking list, slips

    def action_documents(self) -> None:
        """p: the picking list and packing slips of the selection (else of the order
        under the cursor), written and printed in a worker."""
        chosen = self.table.selected
        if chosen:
            order_ids = [r.order_id for r in self._all if r.order_id in chosen]
        elif (row := self.table.cursor_row) is not None:
            order_ids = [row.order_id]
        else:
            self.app.notify("No order here to make a picking list for.")
            return
        if host(self).engine is not None:
            self.make_documents(order_ids)

    @work(thread=True, group="documents", exit_on_error=False)
    def make_documents(self, order_ids: list[str]) -> None:
        app = host(self)
        engine = app.engine
        assert engine is not None
        settings = engine.settings
        # imported here: fpdf2 and python-barcode take half a second to load
        from cdtui.documents.files import save_documents
        from cdtui.label_files import print_file

        try:
            records = [engine.order(i) for i in order_ids]
            paths = save_documents(
                records,
                labels_path=settings.labels_path,
                paper=settings.paper_size,
                now=app.clock().astimezone(),
            )
            if settings.print_command:
                for path in paths:
                    print_file(settings.print_command, path)
        except CdtuiError as exc:
            self.app.notify(exc.message, title="Picking list and slips", severity="error")
            return
        slips = f"{len(records)} packing slip{'s' if len(records) > 1 else ''}"
        done = "printed and saved" if settings.print_command else "saved"
        folder, home = paths[0].parent, Path.home()
        where = f"~/{folder.relative_to(home)}" if folder.is_relative_to(home) else str(folder)
        self.app.notify(f"Picking list and {slips} {done} in {where}", title="Documents")
