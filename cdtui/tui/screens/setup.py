"""Installation settings, checked live against both APIs before they are saved.

Every field is checked as it is typed by the rule the command line applies to the same
setting (``orders.rules``, the checks below); Check & save reports every field that is
wrong at once, each highlighted. Secrets are never shown: a secret already saved leaves
its field empty ("unchanged"). Escape with edits asks before throwing them away; on the
first run, when there is nothing behind this screen, Escape quits.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Button, Input

from cdtui.config import Settings, save_settings
from cdtui.errors import BadCredentials, CdtuiError, TimedOut, Unavailable
from cdtui.orders.rules import clean_country, parse_weight
from cdtui.tui.dialogs.confirm import DiscardQuestion
from cdtui.tui.messages import SettingsSaved
from cdtui.tui.protocols import host
from cdtui.tui.widgets.footer import KeyFooter
from cdtui.tui.widgets.form import FormField, Validate, checked_by
from cdtui.tui.widgets.plain import Static

#: the form's fields (``Settings`` names) and how the form calls them
LABELS = {
    "octopia_client_id": "Client id",
    "octopia_client_secret": "Client secret",
    "sendcloud_public_key": "Public key",
    "sendcloud_secret_key": "Secret key",
    "sender_address_id": "Sender addr.",
    "sender_country": "From country",
    "sender_postal_code": "From postcode",
    "default_weight_kg": "Weight (kg)",
    "label_format": "Format",
    "labels_dir": "Folder",
    "print_command": "Print cmd",
}


def problems_message(labels: list[str]) -> str:
    """What a form says when fields are wrong: all of them, by the names it shows."""
    names = ", ".join(labels).removesuffix(".")
    if len(labels) == 1:
        return f"Not saved: correct the highlighted field, {names}."
    return f"Not saved: correct the {len(labels)} highlighted fields: {names}."


def _required(what: str, *, keep: bool = False) -> Validate:
    """Not empty (``keep``: empty keeps the saved secret)."""

    def check(value: str) -> str | None:
        if not value.strip() and not keep:
            return f"{what} is required."
        return None

    return check


def _positive_int(value: str) -> str | None:
    if not value.strip():
        return "The Sendcloud sender address id is required (a number)."
    if not value.strip().isdigit() or int(value) <= 0:
        return "A number (Sendcloud → Settings → Addresses)."
    return None


def _format(value: str) -> str | None:
    return None if value.strip().lower() in ("pdf", "zpl") else "The label format is pdf or zpl."


def _folder(value: str) -> str | None:
    """The labels folder: given, and not a file (the command line's rule)."""
    if not value.strip():
        return "The labels folder is required."
    path = Path(value.strip()).expanduser()
    if path.exists() and not path.is_dir():
        return f"{path} is a file, not a folder."
    return None


def _print_command(value: str) -> str | None:
    """Optional; else a command line whose program exists (the command line's rule)."""
    if not value.strip():
        return None
    try:
        argv = shlex.split(value)
    except ValueError as exc:
        return f"The print command cannot be read: {exc}."
    if shutil.which(argv[0]) is None:
        return f"The print command {argv[0]!r} was not found."
    return None


def explain_check(api: str, exc: Exception) -> str:
    if isinstance(exc, BadCredentials):
        return f"{api} refused these credentials: check them and save again."
    if isinstance(exc, Unavailable | TimedOut):
        return f"{api} could not be reached (network down?): nothing was saved."
    if isinstance(exc, CdtuiError):
        return exc.message
    return f"Checking {api} failed unexpectedly ({type(exc).__name__}); nothing was saved."


def setting_problem(error: dict[str, Any]) -> str:
    """A pydantic error on one setting in the form's words: a rule's own sentence, or
    what the field expects (never the setting's internal name nor pydantic's text)."""
    message = str(error.get("msg", ""))
    if error.get("type") == "value_error":
        text = message.removeprefix("Value error, ")
        return text[:1].upper() + text[1:].rstrip(".") + "."
    return "This value is not valid here."


class SetupScreen(Screen[None]):
    TITLE = "Installation setup"
    #: what unsaved edits are about (``dialogs.confirm.DiscardQuestion``)
    edits_of = "the installation setup"
    BINDINGS = [
        Binding("ctrl+s", "save", "Check & save", id="setup.save"),
        Binding("escape", "back", "Back", id="setup.back"),
        Binding("escape", "quit_setup", "Quit", id="setup.quit_escape"),
        Binding("f1", "app.help", "Help", id="setup.help"),
        # the app's ctrl+q, shown: letters go into the fields here
        Binding("ctrl+q", "app.request_quit", "Quit", priority=True, id="setup.quit"),
    ]
    #: the footer's keys when not all fit (``widgets/footer.py``)
    FOOTER_PRIORITY = (
        "setup.quit",
        "setup.help",
        "setup.back",
        "setup.quit_escape",
        "setup.save",
    )

    #: the credentials are being checked: Check & save waits
    busy = reactive(False, bindings=True)

    def __init__(self, current: Settings, *, first_run: bool) -> None:
        super().__init__()
        self._current = current
        self._first_run = first_run
        self._initial: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        s = self._current
        has_octo_secret = s.octopia_client_secret is not None
        has_sc_secret = s.sendcloud_secret_key is not None
        title = "Welcome to cdtui — installation setup" if self._first_run else self.TITLE
        yield Static(title, classes="screen-title")
        with VerticalScroll(id="setup-form"):
            yield Static("Octopia (the aggregator's API client)", classes="section")
            yield self._field(
                "octopia_client_id",
                value=s.octopia_client_id or "",
                hint="Octopia API client id",
                validate=_required("The client id"),
            )
            yield self._field(
                "octopia_client_secret",
                password=True,
                placeholder="(saved — leave empty to keep)" if has_octo_secret else "",
                hint="never shown, stored readable by you only",
                validate=_required("The client secret", keep=has_octo_secret),
            )
            yield Static("Sendcloud", classes="section")
            yield self._field(
                "sendcloud_public_key",
                value=s.sendcloud_public_key or "",
                hint="Sendcloud → Settings → Integrations → Sendcloud API",
                validate=_required("The public key"),
            )
            yield self._field(
                "sendcloud_secret_key",
                password=True,
                placeholder="(saved — leave empty to keep)" if has_sc_secret else "",
                hint="never shown, stored readable by you only",
                validate=_required("The secret key", keep=has_sc_secret),
            )
            yield self._field(
                "sender_address_id",
                value=str(s.sender_address_id or ""),
                hint="Sendcloud sender address id",
                validate=_positive_int,
                restrict=r"\d*",
            )
            yield self._field(
                "sender_country",
                value=s.sender_country,
                hint="where parcels leave from",
                validate=checked_by(clean_country),
                max_length=2,
            )
            yield self._field(
                "sender_postal_code",
                value=s.sender_postal_code or "",
                hint="optional",
            )
            yield Static("Labels", classes="section")
            yield self._field(
                "default_weight_kg",
                value=f"{s.default_weight_kg.normalize():f}",
                hint="used when an order has no weight",
                validate=checked_by(parse_weight),
            )
            yield self._field(
                "label_format",
                value=s.label_format,
                hint="pdf or zpl",
                validate=_format,
                max_length=3,
            )
            yield self._field(
                "labels_dir",
                value=str(s.labels_path),
                hint="where label files are saved",
                validate=_folder,
            )
            yield self._field(
                "print_command",
                value=s.print_command or "",
                hint="optional, e.g. lp -d zebra (the file is appended)",
                validate=_print_command,
            )
        with Horizontal(classes="buttons"):
            yield Button("Check & save ^s", id="save", variant="primary", compact=True)
        yield Static("", id="setup-message")
        yield KeyFooter()

    @staticmethod
    def _field(name: str, **options: Any) -> FormField:
        return FormField(LABELS[name], id=name, **options)

    def _fields(self) -> dict[str, FormField]:
        return {str(f.id): f for f in self.query(FormField)}

    def on_mount(self) -> None:
        self.query_one(FormField).input.focus()
        self._initial = {name: f.value for name, f in self._fields().items()}

    def has_edits(self) -> bool:
        """A field differs from what the screen opened with."""
        return {name: f.value for name, f in self._fields().items()} != self._initial

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":  # first run: nothing behind this screen, Escape quits
            return not self._first_run
        if action == "quit_setup":
            return self._first_run
        if action == "save" and self.busy:
            return None
        return True

    async def action_quit_setup(self) -> None:
        """Escape on the first run: quit as ctrl+q does (asking first if edited)."""
        await self.app.run_action("app.request_quit")

    def action_back(self) -> None:
        if not self.has_edits():
            self.app.pop_screen()
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.app.pop_screen()

        self.app.push_screen(DiscardQuestion(self.edits_of, then="go back"), answered)

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

    def _refuse(self, bad: list[FormField]) -> None:
        """Not saved: every wrong field highlighted with its problem, all named below
        the form and in a toast (the form is taller than 24 rows); the first focused."""
        text = problems_message([LABELS[str(f.id)] for f in bad])
        self._message(text, "error")
        self.app.notify(text, severity="error")
        bad[0].input.focus()
        self.call_after_refresh(bad[0].scroll_visible, animate=False)

    def _candidate(self) -> Settings | None:
        fields = self._fields()
        bad = [f for f in fields.values() if not f.check()]
        if bad:
            self._refuse(bad)
            return None
        values: dict[str, Any] = {name: field.value.strip() for name, field in fields.items()}
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
                "print_paper",
            }
        )
        try:
            return Settings(home=self._current.home, **keep, **values)
        except ValidationError as exc:
            # the fields' rules are the settings' rules, so this is a backstop
            for error in exc.errors(include_url=False, include_input=False):
                name = str(error["loc"][0]) if error["loc"] else ""
                if name in fields:
                    fields[name].show_message(setting_problem(error))
                    bad.append(fields[name])
            if bad:
                self._refuse(list(dict.fromkeys(bad)))
            else:
                self._message("These settings cannot be used; nothing was saved.", "error")
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
        self._initial = {name: f.value for name, f in self._fields().items()}
        self.app.notify("Octopia and Sendcloud accepted the credentials.", title="Settings saved")
        self.post_message(SettingsSaved(candidate))
