"""Scan to ship: the packing table's screen (``S`` from the inbox).

A USB scanner types like a keyboard and ends with Enter, so the screen is one text field
that keeps the focus, and a large panel that says where things stand: the order open
(reference, buyer, destination, delivery mode, the shipping option its label will have),
its lines with what was scanned of each, and the last thing that happened, in words and
colour. The rules are ``orders/packing.py``'s: a slip's code (reference or order id)
opens an order, each item is scanned by its GTIN or SKU (``scan_verify``), and the
complete order buys its label at once, or on Enter (``scan_confirm``), through the app's
label run (``LabelsRequested``: the same path as the inbox's, the label prints when a
print command is set). A refused scan rings the bell. Scanning another order's slip sets
the open one aside. Esc leaves.

Nothing here blocks: the order is read in a thread, the option asked of Sendcloud and
the label bought in workers. Scans that arrive meanwhile wait in order and are taken
once the screen knows which order they belong to.
"""

from __future__ import annotations

import logging
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input

from cdtui.errors import CdtuiError, NotFoundLocally
from cdtui.orders.packing import Outcome, Packing, ScanEvent, destination, open_order, shown_code
from cdtui.tui import format as fmt
from cdtui.tui.messages import LabelSession, LabelsRequested, RunSummary
from cdtui.tui.palette import ALERT, SUCCESS, WARNING, rich
from cdtui.tui.protocols import host
from cdtui.tui.widgets.footer import KeyFooter
from cdtui.tui.widgets.plain import Label, Static
from cdtui.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from cdtui.labels import LabelOutcome, LabelPlan

log = logging.getLogger(__name__)

#: order lines shown in the panel (more are summed up in one line)
SHOWN_LINES = 6
#: the message panel's colour by what happened
_STYLES = {"error": ALERT, "ok": SUCCESS, "busy": WARNING}


class OrderLookedUp(Message):
    """The order a scanned code names, or why there is none."""

    def __init__(
        self,
        code: str,
        packing: Packing | None,
        error: str | None,
        *,
        unknown: bool = False,
        instead_of: ScanEvent | None = None,
    ) -> None:
        super().__init__()
        self.code = code
        self.packing = packing
        self.error = error
        #: the code names no order at all (then an item scan is a wrong item)
        self.unknown = unknown
        #: the item scan that was refused before the code was tried as an order
        self.instead_of = instead_of


class OptionPlanned(Message):
    """The shipping option the open order's label will have, or why it has none."""

    def __init__(self, order_id: str, text: str, problem: bool) -> None:
        super().__init__()
        self.order_id = order_id
        self.text = text
        self.problem = problem


class ScanScreen(Screen[None]):
    TITLE = "Scan to ship"
    AUTO_FOCUS = "#scan-input"
    BINDINGS = [
        Binding("escape", "leave", "Leave scan mode", id="scan.leave"),
        # the app's F1 and ctrl+q, shown: letters (q, ?) go into the scan field here
        Binding("f1", "app.help", "Help", id="scan.help"),
        Binding("ctrl+q", "app.request_quit", "Quit", priority=True, id="scan.quit"),
    ]
    FOOTER_PRIORITY = ("scan.leave", "scan.quit", "scan.help")

    DEFAULT_CSS = """
    ScanScreen #scan-head { height: 1; background: $primary; color: $text; padding: 0 1; }
    ScanScreen #scan-row { height: 1; margin: 1 0 0 0; }
    ScanScreen #scan-label { width: 7; padding: 0 1; text-style: bold; }
    ScanScreen #scan-input { width: 1fr; }
    ScanScreen #scan-order { height: auto; border: round $primary; padding: 0 1; }
    ScanScreen #scan-message { height: auto; min-height: 3; border: heavy $secondary;
        padding: 0 1; }
    ScanScreen #scan-message.error { border: heavy $error; }
    ScanScreen #scan-message.ok { border: heavy $success; }
    ScanScreen #scan-message.busy { border: heavy $warning; }
    ScanScreen #scan-body { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.packing: Packing | None = None
        #: the order's shipping option, in words (None: not known yet)
        self.option: str | None = None
        self.option_problem = False
        #: a label is being bought for ``buying`` (its order id)
        self.buying: str | None = None
        #: an order is being looked up
        self.looking = False
        #: scans that came while the screen was busy, in order
        self.queued: deque[str] = deque()
        #: the last label bought here and its order (shown until the next order opens)
        self.last_label: LabelOutcome | None = None
        self.last_packed: Packing | None = None
        #: what the message panel says, its kind ("", "error", "ok", "busy")
        self.message = ""
        self.kind = ""
        #: this visit's labels: the inbox's run panel adds them up
        self.session = LabelSession("scan mode")

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static(id="scan-head")
        with Horizontal(id="scan-row"):
            yield Label("Scan", id="scan-label")
            yield Input(
                placeholder="order slip, then each item (Enter ends a scan)",
                id="scan-input",
                compact=True,
            )
        with Vertical(id="scan-body"):
            yield Static(id="scan-order")
            yield Static(id="scan-message")
        yield StatusLine()
        yield KeyFooter()

    def on_mount(self) -> None:
        host(self).labels_finished.subscribe(self, self._labels_finished)
        self.say("Scan an order's packing slip (or type its reference) to start.")

    def on_screen_resume(self) -> None:
        self.query_one("#scan-input", Input).focus()

    @property
    def verify(self) -> bool:
        settings = host(self).settings
        return settings.scan_verify if settings is not None else True

    @property
    def confirm(self) -> bool:
        settings = host(self).settings
        return settings.scan_confirm if settings is not None else False

    @property
    def busy(self) -> bool:
        return self.looking or self.buying is not None

    # ------------------------------------------------------------ what shows

    def say(self, text: str, kind: str = "") -> None:
        """The last thing that happened, in the message panel (``kind``: its colour)."""
        self.message, self.kind = text, kind
        self.refresh_panel()

    def refresh_panel(self) -> None:
        verify = "items checked" if self.verify else "items not checked"
        confirm = "Enter buys" if self.confirm else "buys when complete"
        self.query_one("#scan-head", Static).update(
            f"Scan to ship · {verify} · {confirm} · Esc leaves"
        )
        self.query_one("#scan-order", Static).update(self._order_text())
        panel = self.query_one("#scan-message", Static)
        panel.set_classes(self.kind)
        text = Text(self.message)
        if self.kind in _STYLES:
            text.stylize(rich(_STYLES[self.kind]))
        panel.update(text)

    def _order_text(self) -> Text:
        packing = self.packing or self.last_packed
        if packing is None:
            return Text("No order open.", style="bold")
        summary = packing.summary
        out = Text()
        if self.packing is None and self.last_label is not None:
            out.append("Labelled: ", style=rich(SUCCESS))
        out.append(f"Order {fmt.safe(packing.reference)}", style="bold")
        out.append(f" · {fmt.safe(summary.customer) or '?'}")
        if summary.channel_name:
            out.append(f" · {fmt.safe(summary.channel_name)}")
        out.append(f"\nTo {destination(summary)} · mode {fmt.safe(summary.delivery_mode or '?')}")
        option = self.option or "asking Sendcloud…"
        out.append("\nOption: ")
        out.append(fmt.safe(option), style=rich(ALERT) if self.option_problem else "bold")
        out.append("\n")
        lines = packing.lines_text()
        shown = lines if len(lines) <= SHOWN_LINES else lines[: SHOWN_LINES - 1]
        for line in shown:
            out.append("\n" + line, style="bold" if line.startswith("✓") else "")
        if len(shown) < len(lines):
            out.append(f"\n… and {len(lines) - len(shown)} more line(s)")
        if self.packing is None and self.last_label is not None:
            out.append("\n" + self._label_text(self.last_label), style=rich(SUCCESS))
            return out
        done = "complete" if packing.complete else "to scan"
        out.append(f"\n{packing.scanned} of {packing.total} item(s) scanned · {done}", style="bold")
        return out

    @staticmethod
    def _label_text(outcome: LabelOutcome) -> str:
        tracking = (
            "tracking sent to the marketplace"
            if outcome.tracking_sent
            else "tracking will be sent at the next sync"
        )
        return (
            f"Label: {fmt.safe(outcome.carrier or '?')} "
            f"{fmt.safe(outcome.tracking_number or '?')} · {tracking}"
        )

    def ring(self) -> None:
        self.app.bell()

    def refuse(self, text: str) -> None:
        self.ring()
        self.say(text, "error")

    # ------------------------------------------------------------ scans

    @on(Input.Submitted, "#scan-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        event.input.value = ""
        code = event.value.strip()
        if self.busy:
            if code:  # a scan while busy waits its turn; an Enter alone is dropped
                self.queued.append(code)
            return
        self.take(code)

    def take(self, code: str) -> None:
        """One scan (or an Enter alone), the screen not busy."""
        packing = self.packing
        if not code:
            if packing is not None and packing.complete:
                self.buy(packing)
            elif packing is not None:
                self.say(
                    f"{packing.total - packing.scanned} item(s) still to scan in order "
                    f"{fmt.safe(packing.reference)}."
                )
            return
        if packing is None:
            # an item of the order just labelled is one too many (unless it opens one)
            done = self.last_packed if self.last_label is not None else None
            self.look_up(code, instead_of=done.labelled_scan(code) if done else None)
            return
        event = packing.scan(code)
        if event.outcome in (Outcome.COUNTED, Outcome.COMPLETE):
            self.say(f"✓ {event.message}", "ok" if event.outcome == Outcome.COMPLETE else "")
            if event.outcome == Outcome.COMPLETE:
                self.completed(packing)
            return
        self.look_up(code, instead_of=event)  # another order's slip, or a wrong item

    def look_up(self, code: str, instead_of: ScanEvent | None = None) -> None:
        self.looking = True
        if instead_of is None:
            self.say(f"Looking for order {shown_code(code)}…", "busy")
        self._look_up(code, instead_of)

    @work(thread=True, group="scan-lookup", exit_on_error=False)
    def _look_up(self, code: str, instead_of: ScanEvent | None) -> None:
        """Read the order a code names (the store reads files: off the event loop)."""
        engine = host(self).engine
        if engine is None:
            self.post_message(OrderLookedUp(code, None, "cdtui is not set up yet."))
            return
        try:
            packing = open_order(engine, code, verify=self.verify)
        except NotFoundLocally as exc:
            self.post_message(
                OrderLookedUp(code, None, exc.message, unknown=True, instead_of=instead_of)
            )
        except CdtuiError as exc:
            self.post_message(OrderLookedUp(code, None, exc.message, instead_of=instead_of))
        else:
            self.post_message(OrderLookedUp(code, packing, None, instead_of=instead_of))

    def on_order_looked_up(self, message: OrderLookedUp) -> None:
        self.looking = False
        packing = message.packing
        if packing is None:
            if message.unknown and message.instead_of is not None:
                head, _, rest = message.instead_of.message.partition(": ")
                self.refuse(f"✗ {head.upper()}: {rest}")  # WRONG ITEM: …, TOO MANY: …
            else:
                self.refuse(f"✗ REFUSED — {message.error}")
        else:
            self.open(packing)
        self.take_queued()

    def open(self, packing: Packing) -> None:
        current = self.packing
        if current is not None and current.order_id == packing.order_id:
            self.say(
                f"Order {fmt.safe(current.reference)} is open already: {current.scanned} of "
                f"{current.total} item(s) scanned."
            )
            return
        aside = ""
        if current is not None:
            aside = (
                f" Order {fmt.safe(current.reference)} set aside "
                f"({current.scanned} of {current.total} scanned, no label)."
            )
        self.packing = packing
        self.option, self.option_problem = None, False
        self.last_label, self.last_packed = None, None
        self._plan(packing.order_id)
        notes = "".join(
            f" {fmt.safe(ln.title)} has no GTIN or SKU: check it by eye."
            for ln in packing.unscannable
        )
        if packing.complete:
            self.say(f"Order {fmt.safe(packing.reference)} opened.{aside}{notes}")
            self.completed(packing)
        else:
            self.say(
                f"Order {fmt.safe(packing.reference)} opened: scan its "
                f"{packing.total - packing.scanned} item(s).{aside}{notes}"
            )

    def take_queued(self) -> None:
        while self.queued and not self.busy:
            self.take(self.queued.popleft())

    # ------------------------------------------------------------ option

    @work(group="scan-plan", exclusive=True, exit_on_error=False)
    async def _plan(self, order_id: str) -> None:
        """The option the label will have (the shop's rules, else the cheapest)."""
        engine = host(self).engine
        if engine is None:
            return
        try:
            plan: LabelPlan = await engine.label_plan(order_id)
        except CdtuiError as exc:
            self.post_message(OptionPlanned(order_id, exc.message, True))
            return
        except Exception as exc:  # the option is information: scanning goes on
            log.exception("label plan of %s failed", order_id)
            self.post_message(OptionPlanned(order_id, type(exc).__name__, True))
            return
        if plan.problem is not None or plan.choice is None:
            # said before the items are scanned: the label will be refused as it is
            self.post_message(OptionPlanned(order_id, plan.problem or "none", True))
        else:
            option = plan.choice.option
            text = f"{option.name} ({option.code}), {plan.choice.chosen_by}"
            self.post_message(OptionPlanned(order_id, text, False))

    def on_option_planned(self, message: OptionPlanned) -> None:
        if self.packing is not None and self.packing.order_id == message.order_id:
            self.option, self.option_problem = message.text, message.problem
            self.refresh_panel()

    # ------------------------------------------------------------ label

    def completed(self, packing: Packing) -> None:
        if self.confirm:
            self.say(
                f"Order {fmt.safe(packing.reference)} complete. Press Enter to buy its label "
                "(or scan another order's slip to set it aside).",
                "ok",
            )
            return
        self.buy(packing)

    def buy(self, packing: Packing) -> None:
        app = host(self)
        if app.labels_running:
            self.say(
                "A label run is in progress: press Enter to buy this label once it ends.",
                "busy",
            )
            return
        self.buying = packing.order_id
        self.say(f"Buying the label of order {fmt.safe(packing.reference)}…", "busy")
        self.post_message(LabelsRequested([packing.order_id], session=self.session))

    def _labels_finished(self, summary: RunSummary) -> None:
        order_id = self.buying
        if order_id is None or (order_id not in summary.ok and order_id not in summary.failed):
            return
        self.buying = None
        packing = self.packing
        reference = fmt.safe(packing.reference if packing else order_id)
        outcome = summary.outcomes.get(order_id)
        if order_id in summary.ok and outcome is not None:
            self.packing, self.last_packed = None, packing
            self.last_label = outcome
            settings = host(self).settings
            saved = Path(outcome.label_path).name if outcome.label_path else "?"
            printed = (
                "sent to the printer"
                if settings is not None and settings.print_command and not outcome.error
                else f"saved as {fmt.safe(saved)}"
            )
            text = (
                f"✓ LABEL BOUGHT for order {reference}: "
                f"{fmt.safe(outcome.carrier or '?')} {fmt.safe(outcome.tracking_number or '?')}, "
                f"{printed}; "
                + (
                    "tracking sent to the marketplace."
                    if outcome.tracking_sent
                    else "tracking will be sent at the next sync."
                )
            )
            if outcome.error:
                text += f" Note: {fmt.safe(outcome.error)}"
            self.say(text + "\nReady: scan the next order.", "ok")
        else:
            reason = summary.failed.get(order_id, "no label")
            self.refuse(
                f"✗ NO LABEL for order {reference}: {fmt.safe(reason)}\n"
                "Press Enter to try again, or scan the next order."
            )
        self.take_queued()

    # ------------------------------------------------------------ leave

    def action_leave(self) -> None:
        """Back to the inbox; an order half packed stays as it is (nothing bought)."""
        self.dismiss(None)
