"""One integration's settings: name, channels, defaults, and Disconnect."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input

from cdtui.errors import CdtuiError, NotFoundLocally
from cdtui.models import Integration
from cdtui.tui.dialogs.channels import Channels, ChannelSelectionDialog, describe_channels
from cdtui.tui.dialogs.label import parse_weight
from cdtui.tui.messages import IntegrationsChanged
from cdtui.tui.screens.connect import check_name
from cdtui.tui.widgets.form import FormField
from cdtui.tui.widgets.plain import Label, Static

if TYPE_CHECKING:
    from cdtui.tui.app import CdtuiApp


def _weight_or_empty(value: str) -> str | None:
    if not value.strip() or parse_weight(value) is not None:
        return None
    return "a weight in kg, e.g. 0.8 (empty: the installation default)"


class IntegrationSettingsScreen(Screen[None]):
    TITLE = "Integration settings"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="settings.save"),
        Binding("ctrl+o", "channels", "Channels", id="settings.channels"),
        Binding("ctrl+r", "disconnect", "Disconnect", id="settings.disconnect"),
        Binding("escape", "back", "Back", id="settings.back"),
        Binding("f1", "app.help", "Help", id="settings.help"),
    ]

    def __init__(self, integration_id: str) -> None:
        super().__init__()
        self._id = integration_id
        self._busy = False
        self._channels: Channels | str = "all"

    @property
    def cdtui(self) -> CdtuiApp:
        return cast("CdtuiApp", self.app)

    def _integration(self) -> Integration:
        return self.cdtui.store_integration(self._id)

    def compose(self) -> ComposeResult:
        integ = self._integration()
        self._channels = integ.channels
        taken = {i.name.casefold() for i in self.cdtui.integrations() if i.id != integ.id}
        weight = integ.default_weight_kg
        yield Static(
            f"Integration “{integ.name}” — seller {integ.seller_id}, login {integ.login}",
            classes="screen-title",
        )
        with VerticalScroll(id="settings-form"):
            yield FormField(
                "Name",
                id="name",
                value=integ.name,
                hint="a name you choose",
                validate=lambda v: check_name(v, taken),
                max_length=60,
            )
            with Horizontal(classes="field-row"):
                yield Label("Channels", classes="field-label")
                yield Static(describe_channels(integ.channels), id="channels-value")
            yield Static("", classes="field-msg")
            yield FormField(
                "Weight (kg)",
                id="weight",
                value=f"{weight.normalize():f}" if weight is not None else "",
                placeholder=f"installation default {self.cdtui.settings_default_weight()}",
                hint="default parcel weight for this seller",
                validate=_weight_or_empty,
            )
            yield FormField(
                "Shipping opt.",
                id="option",
                value=integ.default_shipping_option or "",
                placeholder="cheapest option",
                hint="Sendcloud shipping option code preselected in the label dialog",
                max_length=200,
            )
            with Horizontal(classes="buttons"):
                yield Button("Save ^s", id="save", variant="primary", compact=True)
                yield Button("Channels ^o", id="channels", compact=True)
                yield Button("Disconnect ^r", id="disconnect", variant="error", compact=True)
            yield Static("", id="settings-message")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#name-input", Input).focus()

    def _message(self, text: str, kind: str) -> None:
        message = self.query_one("#settings-message", Static)
        message.update(text)
        message.set_classes(kind)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        actions = {
            "save": self.action_save,
            "channels": self.action_channels,
            "disconnect": self.action_disconnect,
        }
        if event.button.id in actions:
            actions[event.button.id]()

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("save", "channels", "disconnect") and self._busy:
            return None
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_channels(self) -> None:
        engine = self.cdtui.engine
        if engine is None:
            return
        integ = self._integration()

        def chosen(result: Channels | None) -> None:
            if result is not None:
                self._channels = result
                self.query_one("#channels-value", Static).update(describe_channels(result))

        self.app.push_screen(
            ChannelSelectionDialog(
                integ.seller_id, self._channels, lambda: engine.seller_channels(integ.seller_id)
            ),
            chosen,
        )

    def action_disconnect(self) -> None:
        self.cdtui.confirm_disconnect(self._id)

    def action_save(self) -> None:
        if self._busy:
            return
        fields = [self.query_one(f"#{i}", FormField) for i in ("name", "weight", "option")]
        bad = [f for f in fields if not f.check()]
        if bad:
            bad[0].input.focus()
            self._message("Please correct the highlighted field.", "error")
            return
        integ = self._integration()
        name, weight_text, option = (f.value.strip() for f in fields)
        weight = parse_weight(weight_text) if weight_text else None
        changes: dict[str, object] = {}
        if name != integ.name:
            changes["name"] = name
        if self._channels != integ.channels:
            changes["channels"] = self._channels
        if weight is not None and weight != integ.default_weight_kg:
            changes["default_weight_kg"] = weight
        if option != (integ.default_shipping_option or ""):
            changes["default_shipping_option"] = option
        if not changes:
            self._message("Nothing changed.", "ok")
            return
        self._busy = True
        self.refresh_bindings()
        self._message("Saving…", "busy")
        self.save(changes)

    @work(group="settings", exit_on_error=False)
    async def save(self, changes: dict[str, object]) -> None:
        engine = self.cdtui.engine
        try:
            if engine is None:
                raise CdtuiError("The installation is not set up yet.")
            integ = await engine.update_integration(self._id, **changes)  # type: ignore[arg-type]
        except NotFoundLocally:
            self._busy = False
            self.app.notify("This integration was disconnected meanwhile.", severity="error")
            self.cdtui.show_inbox()
            return
        except Exception as exc:  # explained; the form keeps what was typed
            self._busy = False
            self.refresh_bindings()
            text = exc.message if isinstance(exc, CdtuiError) else type(exc).__name__
            self._message(f"Not saved: {text}", "error")
            return
        self._busy = False
        self.refresh_bindings()
        self._message(f"Saved: {', '.join(sorted(changes))}.", "ok")
        self.app.notify(f"{integ.name}: settings saved.", title="Integration updated")
        self.app.post_message(IntegrationsChanged())
