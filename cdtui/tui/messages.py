"""The messages of the TUI, in two kinds.

Worker reports (``SyncProgressed``, ``LabelCreated``, ...) are posted by the app's
workers to the app only: workers never touch widgets. The app turns them into its
reactive state and its signals (``protocols.Host``), which the screens follow.

Intents (``SyncRequested``, ``LabelsRequested``, ...) are how a screen asks the app to
act: the screen posts one to itself and it bubbles up to the app, so no screen imports
the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from cdtui.config import Settings
    from cdtui.engine import LabelOutcome, SyncReport
    from cdtui.tui.dialogs.label import LabelChoice


class _AppMessage(Message, bubble=False):
    """Delivered to one node only: the app."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Textual resets ``bubble`` to True for every subclass unless told otherwise.
        kwargs.setdefault("bubble", False)
        super().__init_subclass__(**kwargs)


# ---------------------------------------------------------------- worker reports


class SyncProgressed(_AppMessage):
    """One step of a sync. Collapses with the next one when the queue is busy."""

    def __init__(self, text: str, done: int, total: int | None) -> None:
        super().__init__()
        self.text = text
        self.done = done
        self.total = total

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SyncProgressed)


class SyncFinished(_AppMessage):
    def __init__(self, reports: list[SyncReport], error: str | None = None) -> None:
        super().__init__()
        self.reports = reports
        self.error = error


class LabelCreated(_AppMessage):
    def __init__(self, outcome: LabelOutcome) -> None:
        super().__init__()
        self.outcome = outcome


class LabelFailed(_AppMessage):
    def __init__(self, order_id: str, reason: str) -> None:
        super().__init__()
        self.order_id = order_id
        self.reason = reason


@dataclass(frozen=True)
class LabelProgress:
    """How far a label run is: ``done`` of ``total`` orders."""

    done: int
    total: int


class LabelRunProgressed(_AppMessage):
    """Bulk label progress: collapses when several pile up."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.progress = LabelProgress(done, total)

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, LabelRunProgressed)


@dataclass(frozen=True, eq=False)
class LabelSession:
    """Label runs of one order each that belong together (one visit to scan mode): the
    inbox's run panel adds them up under ``name``. Each session is itself alone."""

    name: str


@dataclass
class RunSummary:
    total: int
    ok: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    #: a bulk run's print batch in one sentence (``batches.run_news``), and whether the
    #: batch could not be made or printed
    batch: str | None = None
    batch_failed: bool = False
    #: each order's outcome (carrier, tracking, whether it was sent: the scan screen's)
    outcomes: dict[str, LabelOutcome] = field(default_factory=dict)
    #: the session the run belongs to (None: a run of its own)
    session: LabelSession | None = None

    def joined(self, later: RunSummary) -> RunSummary:
        """This session's runs so far and its next one as one: each order once, labelled
        if any run labelled it, else failed with its last reason."""
        ok = self.ok + [i for i in later.ok if i not in self.ok]
        failed = {i: r for i, r in (self.failed | later.failed).items() if i not in ok}
        return RunSummary(
            total=len(ok) + len(failed),
            ok=ok,
            failed=failed,
            batch=later.batch or self.batch,
            batch_failed=later.batch_failed if later.batch else self.batch_failed,
            outcomes=self.outcomes | later.outcomes,
            session=later.session,
        )


class LabelRunFinished(_AppMessage):
    def __init__(self, summary: RunSummary) -> None:
        super().__init__()
        self.summary = summary


class OrdersChanged(_AppMessage):
    """Something changed the store's orders (here or in another process): the app tells
    every screen showing orders (``Host.orders_changed``)."""


class IntegrationsChanged(_AppMessage):
    """An integration was added, updated or removed: the app rereads them and tells the
    screens (``Host.integrations_changed``)."""


# ---------------------------------------------------------------- intents


class SyncRequested(Message):
    """Sync now (one integration, or all). ``manual``: the operator asked, so every
    tracking update still waiting is retried now."""

    def __init__(self, integration_id: str | None = None, *, manual: bool = False) -> None:
        super().__init__()
        self.integration_id = integration_id
        self.manual = manual


class LabelsRequested(Message):
    """Buy labels for these orders (one order with the operator's ``choice``, or each
    with its shop's defaults), in one run or as a run of a ``session``."""

    def __init__(
        self,
        order_ids: list[str],
        choice: LabelChoice | None = None,
        *,
        session: LabelSession | None = None,
    ) -> None:
        super().__init__()
        self.order_ids = order_ids
        self.choice = choice
        #: the session the run belongs to (its summary says so: ``RunSummary.session``)
        self.session = session


class DisconnectRequested(Message):
    """Ask the operator, then disconnect this integration."""

    def __init__(self, integration_id: str) -> None:
        super().__init__()
        self.integration_id = integration_id


class InboxRequested(Message):
    """Close every screen above the inbox."""


class SettingsSaved(Message):
    """Setup saved these settings: the app (re)builds its engine with them."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
