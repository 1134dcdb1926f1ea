"""The end-of-day report (``D`` from the inbox): what a local day shipped, bought and at
what cost, shipped late and cancelled, per shop and channel — the same figures as
``cdtui report`` (``orders/report.py``). ← / → move a day, ``t`` comes back to today.

The report reads the store's orders in work: it is computed in a thread worker, and a
result that arrives for a day no longer shown is dropped.
"""

from __future__ import annotations

from datetime import date, timedelta

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable

from cdtui.errors import CdtuiError
from cdtui.orders.report import DayReport, ReportRow, local_today
from cdtui.tui import format as fmt
from cdtui.tui import palette
from cdtui.tui.messages import InboxRequested
from cdtui.tui.protocols import host
from cdtui.tui.widgets.footer import KeyFooter
from cdtui.tui.widgets.plain import Static
from cdtui.tui.widgets.status_line import StatusLine

#: (key, title) of the table's columns; the shop / channel is cut to fit 80 columns
COLUMNS = (
    ("name", "Shop / channel"),
    ("shipped", "Shipped"),
    ("late", "Late"),
    ("pending", "Pending"),
    ("labels", "Labels"),
    ("cancelled", "Cancelled"),
    ("cost", "Cost"),
)
NAME_WIDTH = 22


class ReportScreen(Screen[None]):
    TITLE = "Day report"
    BINDINGS = [
        # priority: the table would take ← and → to scroll sideways
        Binding("left,p", "previous_day", "Previous day", priority=True, id="report.previous"),
        Binding("right,n", "next_day", "Next day", priority=True, id="report.next"),
        Binding("t", "today", "Today", id="report.today"),
        Binding("escape,b", "back", "Back", id="report.back"),
    ]
    #: the footer's keys when not all fit (``widgets/footer.py``; q and ? always do)
    FOOTER_PRIORITY = ("report.back", "report.previous", "report.next", "report.today")

    DEFAULT_CSS = """
    ReportScreen #report-table {
        height: auto;
        max-height: 1fr;
    }
    ReportScreen #report-notes {
        height: 1fr;
        padding: 1 1 0 1;
    }
    """

    #: the local day shown
    day: reactive[date] = reactive(date.min, init=False, bindings=True)

    def __init__(self, day: date | None = None) -> None:
        super().__init__()
        self._start_day = day
        #: the report on screen (None while the first one is computed)
        self.report: DayReport | None = None

    def compose(self) -> ComposeResult:
        yield Static("Day report", id="report-title", classes="screen-title")
        table: DataTable[str | Text] = DataTable(id="report-table", cursor_type="row")
        yield table
        yield Static("", id="report-notes")
        yield StatusLine()
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, title in COLUMNS:
            table.add_column(title, key=key)
        host(self).orders_changed.subscribe(self, self._orders_changed)
        self.day = self._start_day or self._today()
        table.focus()

    def _today(self) -> date:
        return local_today(host(self).clock())

    def watch_day(self, day: date) -> None:
        self.query_one("#report-title", Static).update(
            f"Day report — {day:%A %d %B %Y}" + (" (today)" if day == self._today() else "")
        )
        self.query_one("#report-notes", Static).update(Text("Counting…", style="dim"))
        self._compute(day)

    def _orders_changed(self, _: None) -> None:
        self._compute(self.day)

    @work(thread=True, group="report", exit_on_error=False)
    def _compute(self, day: date) -> None:
        engine = host(self).engine
        if engine is None:
            return
        try:
            report = engine.day_report(day)
        except CdtuiError as exc:
            self.app.call_from_thread(self._failed, day, exc.message)
            return
        self.app.call_from_thread(self._show, report)

    def _failed(self, day: date, message: str) -> None:
        if day == self.day:
            self.query_one("#report-notes", Static).update(
                fmt.text(f"The report cannot be read: {message}", palette.rich(palette.ERROR))
            )

    def _show(self, report: DayReport) -> None:
        if report.day != self.day:
            return  # the operator moved on meanwhile
        self.report = report
        table = self.query_one(DataTable)
        with self.app.batch_update():
            table.clear()
            for row in report.rows:
                name = f"{row.integration_name} / {row.channel_name or '-'}"
                table.add_row(*self._cells(row, name))
            if len(report.rows) > 1:
                table.add_row(*self._cells(report.totals, "Total"), key="total")
        self.query_one("#report-notes", Static).update(self._notes(report))

    @staticmethod
    def _cells(row: ReportRow, name: str) -> list[str | Text]:
        name = fmt.safe(name)
        if len(name) > NAME_WIDTH:
            name = name[: NAME_WIDTH - 1] + "…"
        late = Text(str(row.shipped_late))
        if row.shipped_late:
            late.stylize(palette.rich(palette.ALERT))
        pending = Text(str(row.tracking_pending + row.tracking_refused))
        if row.tracking_refused:
            pending.stylize(palette.rich(palette.ALERT))
        return [
            Text(name),
            str(row.orders_shipped),
            late,
            pending,
            str(row.labels_bought),
            str(row.labels_cancelled),
            Text(row.cost_text()),
        ]

    @staticmethod
    def _notes(report: DayReport) -> Text:
        t = report.totals
        if not report.rows:
            return Text(
                "Nothing shipped, bought or cancelled that day; no tracking update waiting."
            )
        notes = Text()

        def line(text: str, style: str = "") -> None:
            if notes.plain:
                notes.append("\n")
            notes.append(fmt.safe(text), style=style)

        if t.late_orders:
            line(f"Shipped late: {t.late_text(4)}", palette.rich(palette.ALERT))
        if t.tracking_pending:
            line(f"Tracking updates waiting to be sent: {t.tracking_pending}")
        if t.tracking_refused:
            line(
                f"Tracking refused by the marketplace: {t.tracking_refused} (see the inbox)",
                palette.rich(palette.ALERT),
            )
        if t.labels_price_unknown:
            line(f"Labels without a known price: {t.labels_price_unknown}", "dim")
        if report.cancelled_undated:
            line(f"Cancelled labels with no date kept: {report.cancelled_undated}", "dim")
        return notes

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_day":
            return self.day < self._today() or None  # greyed out on today
        if action == "today":
            return self.day != self._today() or None
        return True

    def action_previous_day(self) -> None:
        self.day -= timedelta(days=1)

    def action_next_day(self) -> None:
        if self.day < self._today():
            self.day += timedelta(days=1)

    def action_today(self) -> None:
        self.day = self._today()

    def action_back(self) -> None:
        self.post_message(InboxRequested())
