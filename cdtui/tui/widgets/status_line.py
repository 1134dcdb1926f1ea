"""One line at the bottom: last sync, countdown to the next one, sync progress."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text

from cdtui.tui.widgets.plain import Static

if TYPE_CHECKING:
    from cdtui.tui.app import CdtuiApp


class StatusLine(Static):
    """Reads the app's sync state; refreshed every second and on sync messages."""

    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def on_mount(self) -> None:
        self.update_status()
        self.set_interval(1, self.update_status)

    def update_status(self) -> None:
        app = cast("CdtuiApp", self.app)
        text = Text(no_wrap=True, overflow="ellipsis")
        for part, style in app.status_parts():
            if len(text):
                text.append(" · ", style="dim")
            text.append(part, style=style)
        self.update(text)
