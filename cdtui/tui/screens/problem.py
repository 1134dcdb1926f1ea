"""Shown when cdtui cannot start safely (bad settings file, damaged store).

It explains, touches nothing and lets the user quit: the files stay as they are.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen

from cdtui.tui.widgets.footer import KeyFooter
from cdtui.tui.widgets.plain import Static


class ProblemScreen(Screen[None]):
    TITLE = "cdtui cannot start"
    # request_quit: the app refuses its plain ``quit`` here (``CdtuiApp.check_action``)
    BINDINGS = [Binding("q,escape", "app.request_quit", "Quit", id="problem.quit")]
    FOOTER_PRIORITY = ("problem.quit",)

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self._title = title
        self._message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="problem", classes="dialog"):
            yield Static(self._title, classes="dialog-title")
            yield Static(Text(self._message), id="problem-message")
            yield Static(
                "Nothing was changed. Fix the file named above (or restore it from a "
                "backup), then start cdtui again. Press q to quit.",
                classes="dialog-hint",
            )
        yield KeyFooter()
