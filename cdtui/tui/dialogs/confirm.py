"""Yes/no questions: ``y`` confirms, ``n`` or Escape declines.

``ConfirmationModal`` is the one question dialog; ``DiscardQuestion`` is what a form
with unsaved edits asks before it is left (Escape) or the app quits (ctrl+q), and
``cancel_label_question`` what cancelling a label asks, saying beforehand what the
marketplace will still show.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button

from cdtui.models import OrderRecord
from cdtui.orders.enums import PushStatus
from cdtui.tui import format as fmt
from cdtui.tui.widgets.footer import KeyFooter
from cdtui.tui.widgets.plain import Static


class ConfirmationModal(ModalScreen[bool]):
    TITLE = "Question"
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
        Binding("question_mark,f1", "app.help", "Help", id="confirm.help"),
    ]
    #: the footer's keys when not all fit (``widgets/footer.py``)
    FOOTER_PRIORITY = ("confirm.no", "confirm.yes", "confirm.help")

    def __init__(self, title: str, body: str, *, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self._title = title
        self._body = body
        self._yes = yes
        self._no = no

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog confirm"):
            yield Static(self._title, classes="dialog-title", markup=False)
            yield Static(self._body, id="confirm-body", classes="dialog-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self._yes} \\[y]", id="yes", variant="error", compact=True)
                yield Button(f"{self._no} \\[n]", id="no", compact=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")


# ---------------------------------------------------------------- unsaved edits


class DiscardQuestion(ConfirmationModal):
    """Asks "Discard your changes?" before a form with edits is left or the app quits.
    Escape (like ``n``) keeps editing."""

    def __init__(self, what: str, *, then: str) -> None:
        super().__init__(
            "Discard your changes?",
            f"Your changes to {what} are not saved. Discard them and {then}?",
            yes="Discard",
            no="Keep editing",
        )


def has_edits(screen: object) -> bool:
    """Whether ``screen`` holds edits not saved yet: a form says so with ``has_edits()``."""
    check = getattr(screen, "has_edits", None)
    return bool(check()) if callable(check) else False


def unsaved_forms(screens: Sequence[object]) -> list[str]:
    """What the forms among ``screens`` with unsaved edits are about (their
    ``edits_of``: ``the installation setup``), top first."""
    return [str(getattr(s, "edits_of", "a form")) for s in reversed(screens) if has_edits(s)]


# ---------------------------------------------------------------- cancel a label


def cancel_label_question(rec: OrderRecord) -> ConfirmationModal:
    """Cancel this order's label? Said before the answer: a tracking already sent stays
    on the marketplace (nothing takes it back), one still waiting is never sent."""
    label = rec.label
    assert label is not None
    parcel = f"{fmt.safe(label.carrier_name)} {fmt.safe(label.tracking_number)}".strip()
    body = (
        f"Cancel the Sendcloud label of order {fmt.safe(rec.reference)} ({parcel})? "
        "The marketplace order itself is not touched."
    )
    push = rec.push
    if push is not None and push.status == PushStatus.SENT:
        sent = f"{fmt.safe(push.carrier_name)} {fmt.safe(push.parcel_number)}".strip()
        body += (
            f"\n\nIts tracking was already sent: the marketplace keeps showing parcel "
            f"{sent} to the customer after the cancellation; cdtui cannot take it back."
        )
    elif push is not None and push.status in (PushStatus.PENDING, PushStatus.FAILED):
        body += "\n\nIts tracking, not sent to the marketplace yet, will not be sent."
    return ConfirmationModal("Cancel label", body, yes="Cancel label", no="Keep it")
