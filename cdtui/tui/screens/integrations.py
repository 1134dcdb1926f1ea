"""The connected integrations: seller, channels, last sync, next sync, last error."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer

from cdtui.models import Integration, State
from cdtui.tui import format as fmt
from cdtui.tui.dialogs.channels import describe_channels
from cdtui.tui.messages import IntegrationsChanged, SyncFinished
from cdtui.tui.widgets.plain import Static
from cdtui.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from cdtui.tui.app import CdtuiApp

COLUMNS = ("Name", "Seller", "Health", "To ship", "Last sync", "Next sync", "Channels")


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

    integrations_shown = 0

    @property
    def cdtui(self) -> CdtuiApp:
        return cast("CdtuiApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static("Connected integrations", classes="screen-title")
        table: DataTable[str | Text] = DataTable(id="integrations", cursor_type="row")
        yield table
        yield Static("", id="integration-error")
        yield StatusLine()
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for title in COLUMNS:
            table.add_column(title, key=title)
        self.reload()
        self.set_interval(1, self._tick)
        table.focus()

    def _selected(self) -> Integration | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        for integ in self.cdtui.integrations():
            if integ.id == key:
                return integ
        return None

    def reload(self) -> None:
        table = self.query_one(DataTable)
        integrations = self.cdtui.integrations()
        cursor = table.cursor_row
        now = self.cdtui.clock()
        with self.app.batch_update():
            table.clear()
            for integ in integrations:
                counts = self.cdtui.counts(integ.id)
                health: Text = Text("ok", style="green")
                if integ.last_error:
                    health = fmt.text(integ.last_error, "bold red")
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
                    Text(describe_channels(integ.channels)),
                    key=integ.id,
                )
        self.integrations_shown = len(integrations)
        if integrations:
            table.move_cursor(row=min(cursor, len(integrations) - 1))
        else:
            self.query_one("#integration-error", Static).update(
                "No integration yet: press n to connect a seller."
            )
        self._show_error()
        self.refresh_bindings()

    def _next_sync_text(self) -> str:
        if self.cdtui.syncing:
            return "syncing…"
        return f"in {fmt.countdown(self.cdtui.seconds_to_next_sync())}"

    def _tick(self) -> None:
        table = self.query_one(DataTable)
        text = self._next_sync_text()
        for row_key in list(table.rows):
            table.update_cell(row_key, "Next sync", text)

    def _show_error(self) -> None:
        integ = self._selected()
        widget = self.query_one("#integration-error", Static)
        if integ is not None and integ.last_error:
            when = fmt.full_datetime(integ.last_error_at)
            widget.update(fmt.text(f"Last error ({when}): {integ.last_error}", "red"))
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

    def on_integrations_changed(self, _: IntegrationsChanged) -> None:
        self.reload()

    def on_sync_finished(self, _: SyncFinished) -> None:
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("edit", "sync_one", "disconnect"):
            return True if self.integrations_shown else None
        return True

    def action_edit(self) -> None:
        integ = self._selected()
        if integ is not None:
            from cdtui.tui.screens.integration_settings import IntegrationSettingsScreen

            self.app.push_screen(IntegrationSettingsScreen(integ.id))

    def action_connect(self) -> None:
        self.cdtui.action_connect()

    def action_sync_one(self) -> None:
        integ = self._selected()
        if integ is not None:
            self.cdtui.request_sync(integ.id, manual=True)

    def action_disconnect(self) -> None:
        integ = self._selected()
        if integ is not None:
            self.cdtui.confirm_disconnect(integ.id)

    def action_setup(self) -> None:
        self.cdtui.action_setup()

    def action_back(self) -> None:
        self.cdtui.show_inbox()
