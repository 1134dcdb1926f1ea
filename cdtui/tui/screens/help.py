"""``?``: every key of the screen it was opened from, with what it does."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen

from cdtui.tui import palette
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


def key_rows(screen: Screen[object]) -> list[tuple[str, str, bool]]:
    """(keys, description, usable now) for every binding of ``screen`` and the app.

    Unlike the footer this lists actions that do not apply right now too (dimmed),
    so help always shows every key of the screen.
    """
    app = screen.app
    rows: dict[tuple[int, str], tuple[list[str], str, bool]] = {}
    for node in (screen, app):
        for binding in own_bindings(node):
            if not binding.description or binding.system:
                continue
            ident = (id(node), binding.action)
            display = app.get_key_display(binding)
            if ident in rows:
                if display not in rows[ident][0]:
                    rows[ident][0].append(display)
                continue
            state = app._check_action_state(binding.action, node)
            rows[ident] = ([display], binding.description, bool(state))
    return [(" / ".join(keys), desc, enabled) for keys, desc, enabled in rows.values()]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="help.close")]

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
            yield Static("Esc, q or ? closes this help.", classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
