"""Installation settings, checked live against both APIs before they are saved.

Secrets are never shown: a secret already saved leaves its field empty ("unchanged").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Button, Footer, Input

from cdtui.config import Settings, save_settings
from cdtui.errors import BadCredentials, CdtuiError, TimedOut, Unavailable
from cdtui.orders.rules import clean_country, parse_weight
from cdtui.tui.messages import SettingsSaved
from cdtui.tui.protocols import host
from cdtui.tui.widgets.form import FormField, checked_by
from cdtui.tui.widgets.plain import Static


def _required(what: str, keep: bool) -> Any:
    def check(value: str) -> str | None:
        if not value.strip() and not keep:
            return f"{what} is required"
        return None

    return check


def _positive_int(value: str) -> str | None:
    if not value.strip():
        return "the Sendcloud sender address id is required (a number)"
    if not value.strip().isdigit() or int(value) <= 0:
        return "a number (Sendcloud → Settings → Addresses)"
    return None


def _format(value: str) -> str | None:
    return None if value.strip().lower() in ("pdf", "zpl") else "pdf or zpl"


def explain_check(api: str, exc: Exception) -> str:
    if isinstance(exc, BadCredentials):
        return f"{api} refused these credentials: check them and save again."
    if isinstance(exc, Unavailable | TimedOut):
        return f"{api} could not be reached (network down?): nothing was saved."
    if isinstance(exc, CdtuiError):
        return exc.message
    return f"Checking {api} failed unexpectedly ({type(exc).__name__}); nothing was saved."


class SetupScreen(Screen[None]):
    TITLE = "Installation setup"
    BINDINGS = [
        Binding("ctrl+s", "save", "Check & save", id="setup.save"),
        Binding("escape", "back", "Back", id="setup.back"),
        Binding("f1", "app.help", "Help", id="setup.help"),
    ]

    #: the credentials are being checked: Check & save waits
    busy = reactive(False, bindings=True)

    def __init__(self, current: Settings, *, first_run: bool) -> None:
        super().__init__()
        self._current = current
        self._first_run = first_run

    def compose(self) -> ComposeResult:
        s = self._current
        has_octo_secret = s.octopia_client_secret is not None
        has_sc_secret = s.sendcloud_secret_key is not None
        title = "Welcome to cdtui — installation setup" if self._first_run else self.TITLE
        yield Static(title, classes="screen-title")
        with VerticalScroll(id="setup-form"):
            yield Static("Octopia (the aggregator's API client)", classes="section")
            yield FormField(
                "Client id",
                id="octopia_client_id",
                value=s.octopia_client_id or "",
                hint="Octopia API client id",
                validate=_required("the client id", False),
            )
            yield FormField(
                "Client secret",
                id="octopia_client_secret",
                password=True,
                placeholder="(saved — leave empty to keep)" if has_octo_secret else "",
                hint="never shown, stored readable by you only",
                validate=_required("the client secret", has_octo_secret),
            )
            yield Static("Sendcloud", classes="section")
            yield FormField(
                "Public key",
                id="sendcloud_public_key",
                value=s.sendcloud_public_key or "",
                hint="Sendcloud → Settings → Integrations → Sendcloud API",
                validate=_required("the public key", False),
            )
            yield FormField(
                "Secret key",
                id="sendcloud_secret_key",
                password=True,
                placeholder="(saved — leave empty to keep)" if has_sc_secret else "",
                hint="never shown, stored readable by you only",
                validate=_required("the secret key", has_sc_secret),
            )
            yield FormField(
                "Sender addr.",
                id="sender_address_id",
                value=str(s.sender_address_id or ""),
                hint="Sendcloud sender address id",
                validate=_positive_int,
                restrict=r"\d*",
            )
            yield FormField(
                "From country",
                id="sender_country",
                value=s.sender_country,
                hint="where parcels leave from",
                validate=checked_by(clean_country),
                max_length=2,
            )
            yield FormField(
                "From postcode",
                id="sender_postal_code",
                value=s.sender_postal_code or "",
                hint="optional",
            )
            yield Static("Labels", classes="section")
            yield FormField(
                "Weight (kg)",
                id="default_weight_kg",
                value=f"{s.default_weight_kg.normalize():f}",
                hint="used when an order has no weight",
                validate=checked_by(parse_weight),
            )
            yield FormField(
                "Format",
                id="label_format",
                value=s.label_format,
                hint="pdf or zpl",
                validate=_format,
                max_length=3,
            )
            yield FormField(
                "Folder",
                id="labels_dir",
                value=str(s.labels_path),
                hint="where label files are saved",
                validate=_required("the folder", False),
            )
            yield FormField(
                "Print cmd",
                id="print_command",
                value=s.print_command or "",
                hint="optional, e.g. lp -d zebra (the file is appended)",
            )
        with Horizontal(classes="buttons"):
            yield Button("Check & save ^s", id="save", variant="primary", compact=True)
        yield Static("", id="setup-message")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(FormField).input.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return not self._first_run or None
        if action == "save" and self.busy:
            return None
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        fields = list(self.query(FormField))
        for n, field in enumerate(fields):
            if field.input is event.input and n + 1 < len(fields):
                fields[n + 1].input.focus()
                return
        self.action_save()

    def _message(self, text: str, kind: str) -> None:
        message = self.query_one("#setup-message", Static)
        message.update(text)
        message.set_classes(kind)

    def _candidate(self) -> Settings | None:
        fields = {f.id: f for f in self.query(FormField)}
        bad = [f for f in fields.values() if not f.check()]
        if bad:
            bad[0].input.focus()
            self._message("Please correct the highlighted field.", "error")
            return None
        values: dict[str, Any] = {
            name: field.value.strip() for name, field in fields.items() if name
        }
        for secret in ("octopia_client_secret", "sendcloud_secret_key"):
            if not values[secret]:
                values[secret] = getattr(self._current, secret)
            else:
                values[secret] = SecretStr(values[secret])
        values["label_format"] = values["label_format"].lower()
        values["sender_postal_code"] = values["sender_postal_code"] or None
        values["print_command"] = values["print_command"] or None
        values["labels_dir"] = Path(values["labels_dir"]).expanduser()
        keep = self._current.model_dump(
            include={
                "octopia_auth_url",
                "octopia_api_url",
                "sendcloud_api_url",
                "sync_interval",
                "carrier_map",
                "paper_size",
            }
        )
        try:
            return Settings(home=self._current.home, **keep, **values)
        except ValidationError as exc:
            err = exc.errors(include_url=False, include_input=False)[0]
            field = str(err["loc"][0]) if err["loc"] else ""
            msg = str(err["msg"]).removeprefix("Value error, ")
            if field in fields:
                fields[field].show_message(msg)
                fields[field].input.focus()
            self._message(f"{field or 'A setting'} is invalid: {msg}.", "error")
            return None

    def action_save(self) -> None:
        if self.busy:
            return
        candidate = self._candidate()
        if candidate is None:
            return
        self.busy = True
        self._message("Checking the Octopia credentials and the Sendcloud keys…", "busy")
        self.check_and_save(candidate)

    @work(group="setup", exit_on_error=False)
    async def check_and_save(self, candidate: Settings) -> None:
        from cdtui.engine import Engine

        engine = Engine(candidate, clock=host(self).clock)
        problem: str | None = None
        try:
            for api, check in (
                ("Octopia", engine.check_octopia),
                ("Sendcloud", engine.check_sendcloud),
            ):
                try:
                    await check()
                except Exception as exc:  # explained, nothing saved
                    problem = explain_check(api, exc)
                    break
        finally:
            await engine.aclose()
        if problem is None:
            try:
                save_settings(candidate)
            except CdtuiError as exc:
                problem = exc.message
        self.busy = False
        if problem is not None:
            self._message(problem, "error")
            return
        self._message("Both APIs accepted the credentials; settings saved.", "ok")
        self.app.notify("Octopia and Sendcloud accepted the credentials.", title="Settings saved")
        self.post_message(SettingsSaved(candidate))
