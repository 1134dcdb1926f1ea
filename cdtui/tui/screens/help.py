"""``?`` (F1 in a text field): every key of the screen it was opened from, with what
it does.

One row per thing to do: a screen key that runs an app action (``f1`` → ``app.help``)
joins the app's row, an app key the screen binds to something else is the screen's
(``n`` on Integrations), and rows with the same words join (``q`` and ``^q`` Quit). A
key is listed as usable only if it works now: not refused by ``check_action`` and not
typed into the text field that has the focus (``q`` on Connect).
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.keys import key_to_character
from textual.screen import ModalScreen, Screen

from cdtui.tui import palette
from cdtui.tui.widgets.footer import KeyFooter
from cdtui.tui.widgets.plain import Static

#: keys handled by widgets themselves, worth telling the user about
EXTRA_KEYS: dict[str, list[tuple[str, str]]] = {
    "InboxScreen": [
        ("↑ ↓ j k", "Move between orders"),
        ("PgUp PgDn Home End", "Jump in the list"),
        ("Esc (in search)", "Back to the list"),
    ],
    "ConnectScreen": [("Tab / Shift+Tab", "Next / previous field")],
    "SetupScreen": [("Tab / Shift+Tab", "Next / previous field")],
    "IntegrationSettingsScreen": [("Tab / Shift+Tab", "Next / previous field")],
    "IntegrationsScreen": [("↑ ↓", "Move between integrations")],
    "LabelDialog": [
        ("↑ ↓", "Move between shipping options"),
        ("Enter", "Buy the label with the highlighted option"),
        ("Tab", "Between the options and the weight"),
    ],
    "ScanScreen": [
        ("Enter", "Ends a scan (a scanner sends it); alone, buys a complete order's label"),
        ("F1", "This help (letters go into the scan field)"),
    ],
    "AddressDialog": [
        ("Tab / Shift+Tab", "Next / previous field"),
        ("Enter", "Use this address for the label"),
    ],
}


def own_bindings(node: DOMNode) -> list[Binding]:
    """The bindings cdtui declares on ``node`` (not Textual's built-in focus/copy keys)."""
    found: list[Binding] = []
    for cls in type(node).__mro__:
        if cls.__module__.startswith("cdtui."):
            found.extend(Binding.make_bindings(cls.__dict__.get("BINDINGS", [])))
    return found


def typed_into_field(screen: Screen[object], key: str) -> bool:
    """Whether ``key`` goes into the focused widget (a letter into a text field)
    rather than to a binding."""
    focused = screen.focused
    return focused is not None and focused.check_consume_key(key, key_to_character(key))


def key_rows(screen: Screen[object]) -> list[tuple[str, str, bool]]:
    """(keys, description, usable now) for every binding of ``screen`` and the app.

    Unlike the footer this lists actions that do not apply right now too (dimmed),
    so help always shows every key of the screen; of a row's keys only those that
    work now are shown, unless none does.
    """
    app = screen.app
    screen_keys = {b.key for b in own_bindings(screen)}
    # one row per action (its first words), then rows with the same words joined
    actions: dict[tuple[int, str], tuple[str, list[tuple[str, bool]]]] = {}
    for node in (screen, app):
        for binding in own_bindings(node):
            if not binding.description or binding.system:
                continue
            if node is app and binding.key in screen_keys and not binding.priority:
                continue  # the screen's own binding of that key wins
            target, action = node, binding.action
            if action.startswith("app."):
                target, action = app, action.removeprefix("app.")
            usable = bool(app._check_action_state(action, target)) and (
                binding.priority or not typed_into_field(screen, binding.key)
            )
            _, keys = actions.setdefault((id(target), action), (binding.description, []))
            keys.append((app.get_key_display(binding), usable))
    rows: dict[str, list[tuple[str, bool]]] = {}
    for description, keys in actions.values():
        row = rows.setdefault(description, [])
        row.extend(k for k in keys if k not in row)
    result = []
    for description, keys in rows.items():
        usable = list(dict.fromkeys(k for k, ok in keys if ok))
        shown = usable or list(dict.fromkeys(k for k, _ in keys))
        result.append((" / ".join(shown), description, bool(usable)))
    # a key that does something else now is not listed again as unavailable
    # (Escape on the first Setup: Quit, not Back)
    working = {k for keys, _, ok in result if ok for k in keys.split(" / ")}
    return [r for r in result if r[2] or not set(r[0].split(" / ")) <= working]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="help.close")]
    #: the footer's keys when not all fit (``widgets/footer.py``)
    FOOTER_PRIORITY = ("help.close",)

    def __init__(self, screen: Screen[object]) -> None:
        super().__init__()
        self._rows = key_rows(screen)
        self._extra = EXTRA_KEYS.get(type(screen).__name__, [])
        self._name = getattr(screen, "TITLE", None) or type(screen).__name__

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style=palette.rich(palette.MARK), no_wrap=True)
        table.add_column()
        for keys, description, enabled in self._rows:
            note = Text(description, style="" if enabled else "dim")
            if not enabled:
                note.append("  (not available now)", style="dim italic")
            table.add_row(keys, note)
        for keys, description in self._extra:
            table.add_row(keys, description)
        table.add_row("Ctrl+P", "Command palette: every action by name")
        with Vertical(id="dialog", classes="dialog help"):
            yield Static(f"Keys — {self._name}", classes="dialog-title")
            with VerticalScroll():
                yield Static(table, classes="-help-table")
            yield Static(
                "Esc, q or ? closes this help · ^q quits cdtui from any screen.",
                classes="dialog-hint",
            )
        yield KeyFooter()

    def action_close(self) -> None:
        self.dismiss(None)
