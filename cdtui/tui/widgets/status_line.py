"""One line at the bottom: the last routine message, last sync, countdown to the next one,
sync and label progress — fitted to the width (``widgets/line.py``).

Routine messages ("3 new orders", "Label created …") are shown here for a while
(``show_note``) instead of in a toast: toasts pile up over the orders; a line does not.
"""

from __future__ import annotations

import time

from textual.timer import Timer

from cdtui.tui import format as fmt
from cdtui.tui import palette
from cdtui.tui.protocols import Host, host
from cdtui.tui.widgets.line import FittedLine, Part

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

#: how long a routine message stays on the line (seconds)
NOTE_SECONDS = 12.0


def status_parts(app: Host, note: str = "") -> tuple[Part, ...]:
    """The routine message, the last sync, the countdown or the running sync, a label
    run; at a narrow width the last sync gives way first, then the countdown."""
    if app.engine is None:
        return (Part("Not set up yet", style="dim"),)
    parts = [Part(note, style="bold")] if note else []
    if app.last_sync_at:
        at = fmt.clock_time(app.last_sync_at)
        ago = fmt.ago(app.last_sync_at, app.now)
        parts.append(Part(f"Last sync {at} ({ago})", 4, f"Synced {at}"))
    else:
        parts.append(Part("Never synced", 4, style="dim"))
    if app.syncing:
        warning = palette.rich(palette.WARNING)
        parts.append(Part(f"Syncing: {app.sync_text}", 2, "Syncing", style=warning))
    elif app.integration_count:
        countdown = fmt.countdown(app.seconds_to_next_sync())
        parts.append(Part(f"next sync in {countdown}", 3, f"next sync {countdown}"))
    else:
        parts.append(Part("no integration: n connects a seller", 3, style="dim"))
    if app.labels_running:
        progress = app.label_progress
        mark = palette.rich(palette.MARK)
        parts.append(Part(f"Labels {progress.done}/{progress.total}", 1, style=mark))
    return tuple(parts)


class StatusLine(FittedLine):
    """Follows the app's sync and label state; redrawn when any of it changes."""

    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._note = ""
        self._note_until = 0.0
        self._note_timer: Timer | None = None

    def on_mount(self) -> None:
        for name in SHOWN:
            self.watch(self.app, name, self._show, init=False)
        self._show()

    def show_note(self, text: str, seconds: float = NOTE_SECONDS) -> None:
        """Show a routine message (one line of screen text) for ``seconds``."""
        self._note = text
        self._note_until = time.monotonic() + seconds
        if self._note_timer is not None:
            self._note_timer.stop()
        self._note_timer = self.set_timer(seconds, self._show)
        self._show()

    @property
    def note(self) -> str:
        """The routine message shown now ("" when none)."""
        return self._note if time.monotonic() < self._note_until else ""

    def _show(self) -> None:
        self.parts = status_parts(host(self), self.note)
