"""What a screen may read from the app: a narrow, typed view of ``CdtuiApp``.

``tui/app.py`` imports the screens; a screen never imports the app. It reads the app
through ``Host`` (``host(self)``), follows its reactive state with ``watch`` and its
signals with ``subscribe``, and asks it to act by posting the intents of
``tui/messages.py``. Everything here is read-only for a screen.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.signal import Signal

    from cdtui.config import Settings
    from cdtui.engine import Engine
    from cdtui.models import Integration
    from cdtui.tui.messages import LabelProgress, RunSummary


class Host(Protocol):
    """The app as the screens know it."""

    #: the one clock (injected: tests freeze it)
    clock: Callable[[], datetime]
    #: the sandbox's seller and login in ``cdtui demo``: the connect form is filled in
    demo_hint: tuple[str, str] | None
    settings: Settings | None
    #: the façade every action goes through (None until the installation is set up)
    engine: Engine | None

    # Reactive state: ``self.watch(self.app, "syncing", callback)`` follows it.
    #: the clock's reading, once a second: what countdowns and ages are drawn from
    now: datetime
    syncing: bool
    #: what the running sync is doing (``Demo shop: importing orders 40/120``)
    sync_text: str
    last_sync_at: datetime | None
    next_sync_at: datetime | None
    integration_count: int
    labels_running: bool
    label_progress: LabelProgress

    # Signals: ``host(self).orders_changed.subscribe(self, callback)``.
    #: the store's orders changed (a sync, a disconnect, another process)
    orders_changed: Signal[None]
    #: an integration was added, updated, synced or removed
    integrations_changed: Signal[None]
    #: a label run started or moved on
    labels_progressed: Signal[LabelProgress]
    #: a label run ended: what was bought, what failed and why
    labels_finished: Signal[RunSummary]

    def integrations(self) -> list[Integration]:
        """Every integration (none, with a toast, when the store cannot be read)."""
        ...

    def integration(self, integration_id: str) -> Integration: ...

    def counts(self, integration_id: str | None = None) -> dict[str, int]:
        """Orders per state word (``counts()["to_ship"]``)."""
        ...

    def seconds_to_next_sync(self) -> float: ...


def host(node: DOMNode) -> Host:
    """The app ``node`` runs in, as a ``Host``."""
    return cast("Host", node.app)
