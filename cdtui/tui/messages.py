"""Messages posted by workers. Workers never touch widgets; the UI reacts to these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual.message import Message


class _AppMessage(Message, bubble=False):
    """Delivered to one node only: the app re-posts what screens need to see."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Textual resets ``bubble`` to True for every subclass unless told otherwise.
        kwargs.setdefault("bubble", False)
        super().__init_subclass__(**kwargs)


if TYPE_CHECKING:
    from cdtui.engine import LabelOutcome, SyncReport


class SyncStarted(_AppMessage):
    pass


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


class LabelRunProgressed(_AppMessage):
    """Bulk label progress: collapses when several pile up."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, LabelRunProgressed)


@dataclass
class RunSummary:
    total: int
    ok: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


class LabelRunFinished(_AppMessage):
    def __init__(self, summary: RunSummary) -> None:
        super().__init__()
        self.summary = summary


class OrdersChanged(_AppMessage):
    """Something changed the store's orders: screens showing orders reload."""


class IntegrationsChanged(_AppMessage):
    """An integration was added, updated, synced or removed."""
