"""One line at the bottom: last sync, countdown to the next one, sync and label progress."""

from __future__ import annotations

from rich.text import Text

from cdtui.tui import format as fmt
from cdtui.tui import palette
from cdtui.tui.protocols import Host, host
from cdtui.tui.widgets.plain import Static

#: the app's reactive state the line is drawn from (``now`` moves the countdown)
SHOWN = (
    "now",
    "syncing",
    "sync_text",
    "last_sync_at",
    "next_sync_at",
    "integration_count",
    "labels_running",
    "label_progress",
)


def status_text(app: Host) -> Text:
    """Last sync and its age, the countdown (or the running sync), a label run."""
    text = Text(no_wrap=True, overflow="ellipsis")

    def part(words: str, style: str = "") -> None:
        if len(text):
            text.append(" · ", style="dim")
        text.append(words, style=style)

    if app.engine is None:
        part("Not set up yet", "dim")
        return text
    if app.last_sync_at:
        part(f"Last sync {fmt.clock_time(app.last_sync_at)} ({fmt.ago(app.last_sync_at, app.now)})")
    else:
        part("Never synced", "dim")
    if app.syncing:
        part(f"Syncing: {app.sync_text}", palette.rich(palette.WARNING))
    elif app.integration_count:
        part(f"next sync in {fmt.countdown(app.seconds_to_next_sync())}")
    else:
        part("no integration: n connects a seller", "dim")
    if app.labels_running:
        progress = app.label_progress
        part(f"Labels {progress.done}/{progress.total}", palette.rich(palette.MARK))
    return text


class StatusLine(Static):
    """Follows the app's sync and label state; redrawn when any of it changes."""

    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def on_mount(self) -> None:
        for name in SHOWN:
            self.watch(self.app, name, self._show, init=False)
        self._show()

    def _show(self) -> None:
        self.update(status_text(host(self)))
