"""The connected integrations: seller, channels, last sync, next sync, last error.

Channels are stored as ids; their names are read from each seller's subscriptions
once the screen is shown (ids stay when they cannot be read). With no integration the
keys that act on one are hidden, not merely greyed out."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable

from cdtui.errors import CdtuiError
from cdtui.models import Integration
from cdtui.orders.enums import State
from cdtui.tui import format as fmt
from cdtui.tui import palette
from cdtui.tui.dialogs.channels import describe_channels
from cdtui.tui.messages import DisconnectRequested, InboxRequested, SyncRequested
from cdtui.tui.protocols import host
from cdtui.tui.screens.integration_settings import IntegrationSettingsScreen
from cdtui.tui.widgets.footer import KeyFooter
from cdtui.tui.widgets.plain import Static
from cdtui.tui.widgets.status_line import StatusLine

#: (key, title) of the table's columns
COLUMNS = (
    ("name", "Name"),
    ("seller", "Seller"),
    ("health", "Health"),
    ("to_ship", "To ship"),
    ("last_sync", "Last sync"),
    ("next_sync", "Next sync"),
    ("channels", "Channels"),
)
#: the app's reactive state the Next sync column is drawn from
NEXT_SYNC_SHOWN = ("now", "syncing", "next_sync_at")


class IntegrationsScreen(Screen[None]):
    TITLE = "Integrations"
    BINDINGS = [
        Binding("enter,e", "edit", "Settings", id="integrations.edit"),
        Binding("n", "connect", "New", id="integrations.connect"),
        Binding("y", "sync_one", "Sync this", id="integrations.sync_one"),
        Binding("d", "disconnect", "Disconnect", id="integrations.disconnect"),
        Binding("u", "setup", "Setup", id="integrations.setup"),
        Binding("escape,b", "back", "Back", id="integrations.back"),
    ]
    #: the footer's keys when not all fit (``widgets/footer.py``; q and ? always do)
    FOOTER_PRIORITY = (
        "integrations.back",
        "integrations.edit",
        "integrations.sync_one",
        "integrations.connect",
        "integrations.disconnect",
        "integrations.setup",
    )

    #: how many integrations the table lists (the keys acting on one need one)
    integrations_shown = reactive(0, bindings=True)

    def __init__(self) -> None:
        super().__init__()
        #: seller id -> (channel id -> name), read from the seller's subscriptions
        self._channel_names: dict[str, dict[str, str]] = {}

    def compose(self) -> ComposeResult:
        yield Static("Connected integrations", classes="screen-title")
        table: DataTable[str | Text] = DataTable(id="integrations", cursor_type="row")
        yield table
        yield Static("", id="integration-error")
        yield StatusLine()
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, title in COLUMNS:
            table.add_column(title, key=key)
        self.reload()
        host(self).integrations_changed.subscribe(self, self._integrations_changed)
        for name in NEXT_SYNC_SHOWN:
            self.watch(self.app, name, self._show_next_sync, init=False)
        table.focus()

    def _selected(self) -> Integration | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        for integ in host(self).integrations():
            if integ.id == key:
                return integ
        return None

    def reload(self) -> None:
        app = host(self)
        table = self.query_one(DataTable)
        integrations = app.integrations()
        cursor = table.cursor_row
        now = app.clock()
        with self.app.batch_update():
            table.clear()
            for integ in integrations:
                counts = app.counts(integ.id)
                health: Text = Text("ok", style=palette.rich(palette.HEALTHY))
                if integ.last_error:
                    health = fmt.text(integ.last_error, palette.rich(palette.ALERT))
                elif integ.last_sync_at is None:
                    health = Text("not synced yet", style="dim")
                # DataTable reads a str cell as markup: names and ids are given as Text
                table.add_row(
                    fmt.text(integ.name),
                    fmt.text(integ.seller_id),
                    health,
                    str(counts.get(State.TO_SHIP.value, 0)),
                    f"{fmt.clock_time(integ.last_sync_at)} ({fmt.ago(integ.last_sync_at, now)})"
                    if integ.last_sync_at
                    else "never",
                    self._next_sync_text(),
                    Text(
                        describe_channels(integ.channels, self._channel_names.get(integ.seller_id))
                    ),
                    key=integ.id,
                )
        self.integrations_shown = len(integrations)
        unnamed = {
            i.seller_id
            for i in integrations
            if i.channels != "all" and i.seller_id not in self._channel_names
        }
        if unnamed:
            for seller_id in unnamed:
                self._channel_names[seller_id] = {}  # asked once
            self._read_channel_names(sorted(unnamed))
        if integrations:
            table.move_cursor(row=min(cursor, len(integrations) - 1))
        else:
            self.query_one("#integration-error", Static).update(
                "No integration yet: press n to connect a seller."
            )
        self._show_error()

    @work(group="integrations-channels", exit_on_error=False)
    async def _read_channel_names(self, seller_ids: list[str]) -> None:
        engine = host(self).engine
        if engine is None:
            return
        for seller_id in seller_ids:
            try:
                subscriptions = await engine.seller_channels(seller_id)
            except CdtuiError:
                names: dict[str, str] = {}  # the ids stay; not asked again here
            else:
                names = {s.sales_channel_id: s.label for s in subscriptions}
            self._channel_names[seller_id] = names
        self.reload()

    def _next_sync_text(self) -> str:
        app = host(self)
        if app.syncing:
            return "syncing…"
        return f"in {fmt.countdown(app.seconds_to_next_sync())}"

    def _show_next_sync(self) -> None:
        table = self.query_one(DataTable)
        text = self._next_sync_text()
        for row_key in list(table.rows):
            table.update_cell(row_key, "next_sync", text)

    def _show_error(self) -> None:
        integ = self._selected()
        widget = self.query_one("#integration-error", Static)
        if integ is not None and integ.last_error:
            when = fmt.full_datetime(integ.last_error_at)
            widget.update(
                fmt.text(f"Last error ({when}): {integ.last_error}", palette.rich(palette.ERROR))
            )
        elif integ is not None:
            widget.update(
                f"{fmt.safe(integ.name)}: shop {fmt.safe(integ.shop_name) or '—'}, "
                f"login {fmt.safe(integ.login)}"
            )

    def on_data_table_row_highlighted(self) -> None:
        self._show_error()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def _integrations_changed(self, _: None) -> None:
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("edit", "sync_one", "disconnect"):
            return self.integrations_shown > 0  # hidden when there is none
        return True

    def action_edit(self) -> None:
        integ = self._selected()
        if integ is not None:
            self.app.push_screen(IntegrationSettingsScreen(integ.id))

    async def action_connect(self) -> None:
        await self.app.run_action("app.connect")

    def action_sync_one(self) -> None:
        integ = self._selected()
        if integ is not None:
            self.post_message(SyncRequested(integ.id, manual=True))

    def action_disconnect(self) -> None:
        integ = self._selected()
        if integ is not None:
            self.post_message(DisconnectRequested(integ.id))

    async def action_setup(self) -> None:
        await self.app.run_action("app.setup")

    def action_back(self) -> None:
        self.post_message(InboxRequested())
