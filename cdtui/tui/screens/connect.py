"""Connect a seller: the form of the seed's flow, with the delegation steps beside it.

Letters go into the fields here: ctrl+q quits (shown in the footer), and a form with
edits asks before it is left or the app quits."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Button, Input

from cdtui.errors import (
    BadCredentials,
    CdtuiError,
    DelegationMissing,
    RateLimited,
    TimedOut,
    Unavailable,
)
from cdtui.orders import rules
from cdtui.orders.rules import Channels
from cdtui.tui.dialogs.channels import ChannelSelectionDialog, describe_channels
from cdtui.tui.dialogs.confirm import DiscardQuestion
from cdtui.tui.messages import InboxRequested, IntegrationsChanged, SyncRequested
from cdtui.tui.protocols import host
from cdtui.tui.screens.setup import problems_message
from cdtui.tui.widgets.footer import KeyFooter
from cdtui.tui.widgets.form import FormField, checked_by, new_name
from cdtui.tui.widgets.plain import Label, Static

DELEGATION_STEPS = Text.assemble(
    ("Before you connect: the delegation\n", "bold"),
    "In the Octopia API portal:\n",
    " 1. API credentials management → Get access\n",
    ' 2. "I am using a feed aggregator"\n',
    ' 3. "My aggregator only needs my SellerID"\n',
    " 4. Select cdtui as your aggregator and grant access\n\n",
    ("Seller ID", "bold"),
    ": your Octopia account → Settings (top right).\n\n",
    ("Login", "bold"),
    ": Settings → Personal settings and bank details → Connection settings: "
    "your seller-portal login.\n\n",
    ("Orders then sync every 10 minutes. Labels are only created when you ask.", "dim"),
)


def check_login(value: str) -> str | None:
    if not value.strip():
        return "the login is required (your seller-portal login)"
    return None


def explain_connect_error(exc: Exception, seller_id: str) -> str:
    """One sentence for every way connecting can fail."""
    if isinstance(exc, DelegationMissing):
        return (
            f"Seller {seller_id} has not delegated access to cdtui yet: follow the steps "
            "on the right, then connect again."
        )
    if isinstance(exc, BadCredentials):
        return (
            "Octopia refused this installation's aggregator credentials: correct them in "
            "Setup (Integrations → u), then connect again."
        )
    if isinstance(exc, Unavailable | TimedOut):
        return (
            "Octopia could not be reached (network down or service unavailable): check "
            "the connection and try again."
        )
    if isinstance(exc, RateLimited):
        return "Octopia asks to slow down: wait a minute, then connect again."
    if isinstance(exc, CdtuiError):
        return exc.message
    return f"Connecting failed unexpectedly ({type(exc).__name__}); nothing was saved."


#: the form's fields, as it calls them
LABELS = {"name": "Name", "seller": "Seller ID", "login": "Login"}


class ConnectScreen(Screen[None]):
    TITLE = "Connect a seller"
    #: what unsaved edits are about (``dialogs.confirm.DiscardQuestion``)
    edits_of = "the new connection"
    BINDINGS = [
        Binding("ctrl+s", "connect", "Connect", id="connect.submit"),
        Binding("ctrl+o", "channels", "Channels", id="connect.channels"),
        Binding("escape", "back", "Back", id="connect.back"),
        Binding("f1", "app.help", "Help", id="connect.help"),
        # the app's ctrl+q, shown: letters go into the fields here
        Binding("ctrl+q", "app.request_quit", "Quit", priority=True, id="connect.quit"),
    ]
    #: the footer's keys when not all fit (``widgets/footer.py``)
    FOOTER_PRIORITY = (
        "connect.quit",
        "connect.help",
        "connect.back",
        "connect.submit",
        "connect.channels",
    )

    #: a connection is being checked with Octopia: Connect and Channels wait
    busy = reactive(False, bindings=True)

    def __init__(self, *, hint: tuple[str, str] | None = None) -> None:
        super().__init__()
        self._hint = hint
        self._channels: Channels = "all"
        #: what the form showed first (``has_edits``)
        self._initial: tuple[object, ...] = ()

    def compose(self) -> ComposeResult:
        taken = {rules.name_key(i.name) for i in host(self).integrations()}
        # the sandbox's seller is filled in: a demo only needs a name and ^s
        seller, login = self._hint or ("", "")
        yield Static("Connect a Cdiscount / Octopia seller", classes="screen-title")
        with Horizontal(id="connect-body"):
            with Vertical(id="connect-form"):
                yield FormField(
                    LABELS["name"],
                    id="name",
                    placeholder="e.g. My shop",
                    hint="a name you choose",
                    validate=new_name(taken),
                    max_length=rules.NAME_MAX,
                )
                yield FormField(
                    LABELS["seller"],
                    id="seller",
                    value=seller,
                    placeholder="e.g. 98979",
                    hint="digits (Octopia → Settings)",
                    validate=checked_by(rules.check_seller_id),
                    max_length=20,
                )
                yield FormField(
                    LABELS["login"],
                    id="login",
                    value=login,
                    placeholder="your seller-portal login",
                    hint="seller-portal login",
                    validate=check_login,
                    max_length=100,
                )
                with Horizontal(classes="field-row"):
                    yield Label("Channels", classes="field-label")
                    yield Static(describe_channels("all"), id="channels-value")
                with Horizontal(classes="buttons"):
                    yield Button("Connect ^s", id="connect", variant="primary", compact=True)
                    yield Button("Channels ^o", id="channels", compact=True)
                yield Static("", id="connect-message")
            with VerticalScroll(id="delegation"):
                hint = Text()
                if self._hint:
                    hint = Text.assemble(
                        ("Sandbox: ", "bold"),
                        f"Seller ID {self._hint[0]}, login {self._hint[1]}\n\n",
                    )
                yield Static(Text.assemble(hint, DELEGATION_STEPS))
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#name-input", Input).focus()
        self._initial = self._values()

    def _values(self) -> tuple[object, ...]:
        return (*(f.value for f in self._fields()), self._channels)

    def has_edits(self) -> bool:
        """Something was typed or chosen since the form opened (and not connected)."""
        return self._values() != self._initial

    # ------------------------------------------------------------ fields

    def _fields(self) -> list[FormField]:
        return [self.query_one(f"#{i}", FormField) for i in ("name", "seller", "login")]

    def _message(self, text: str, *, kind: str) -> None:
        message = self.query_one("#connect-message", Static)
        message.update(text)
        message.set_classes(kind)

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        fields = self._fields()
        for field in fields:
            if field.input is event.input and field is not fields[-1] and field.check():
                fields[fields.index(field) + 1].input.focus()
                return
        self.action_connect()

    @on(Button.Pressed, "#connect")
    def _connect_pressed(self) -> None:
        self.action_connect()

    @on(Button.Pressed, "#channels")
    def _channels_pressed(self) -> None:
        self.action_channels()

    # ------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("connect", "channels") and self.busy:
            return None
        return True

    def action_back(self) -> None:
        if not self.has_edits():
            self._leave()
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self._leave()

        self.app.push_screen(DiscardQuestion(self.edits_of, then="go back"), answered)

    def _leave(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            self.post_message(InboxRequested())

    def action_channels(self) -> None:
        seller = self.query_one("#seller", FormField)
        if not seller.check():
            seller.input.focus()
            self._message("Enter the Seller ID first: the channels are read from it.", kind="error")
            return
        seller_id = rules.check_seller_id(seller.value)
        engine = host(self).engine
        if engine is None:
            return

        dialog = ChannelSelectionDialog(
            seller_id, self._channels, lambda: engine.seller_channels(seller_id)
        )

        def chosen(result: Channels | None) -> None:
            if result is not None:
                self._channels = result
                shown = describe_channels(result, dialog.names)
                self.query_one("#channels-value", Static).update(shown)

        self.app.push_screen(dialog, chosen)

    def action_connect(self) -> None:
        if self.busy:
            return
        fields = self._fields()
        bad = [f for f in fields if not f.check()]
        if bad:
            bad[0].input.focus()
            self._message(problems_message([LABELS[str(f.id)] for f in bad]), kind="error")
            return
        name, seller_id, login = (f.value.strip() for f in fields)
        self.busy = True
        self._message(f"Checking the delegation of seller {seller_id} with Octopia…", kind="busy")
        self.connect(name, seller_id, login, self._channels)

    @work(group="connect", exit_on_error=False)
    async def connect(self, name: str, seller_id: str, login: str, channels: Channels) -> None:
        engine = host(self).engine
        try:
            if engine is None:
                raise CdtuiError("The installation is not set up yet.")
            integration = await engine.connect(
                name=name, seller_id=seller_id, login=login, channels=channels
            )
        except Exception as exc:  # every failure is explained, the form is kept
            self.busy = False
            self._message(explain_connect_error(exc, seller_id), kind="error")
            return
        self.busy = False
        self._initial = self._values()
        self._message("Your integration is ready", kind="ok")
        self.app.notify(
            f"{integration.name} (seller {integration.seller_id}) is connected; "
            "its orders are being imported.",
            title="Your integration is ready",
        )
        self.app.post_message(IntegrationsChanged())
        self.post_message(SyncRequested(integration.id))
        self.post_message(InboxRequested())
