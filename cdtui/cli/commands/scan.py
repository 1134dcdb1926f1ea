"""``cdtui scan``: scan to ship at a bare terminal (a USB scanner types a code and Enter).

Reads one code per line from stdin — a scanner, a keyboard or a pipe — and follows
``orders/packing.py``: an order's code (its packing slip's barcode, reference or id)
opens it, each item is scanned by its GTIN or SKU (when ``scan_verify`` is on), and a
complete order buys its label at once (or on an empty line, when ``scan_confirm`` is
on); the label prints when a print command is set. Scanning another order's slip sets
the open one aside. An order opened says the option its label will have, or warns at
once that no label can be bought as it is (before its items are packed); an item of the
order just labelled is one too many. One line per event; a refused scan rings the bell
on a terminal.
Ends at the end of input, on ``q``, or on two empty lines in a row.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any, TextIO

from cdtui.cli.base import EXIT_FAILED, EXIT_OK, Out, current_settings, engine_for, say
from cdtui.engine import Engine
from cdtui.errors import CdtuiError, NotFoundLocally
from cdtui.labels import LabelOutcome
from cdtui.orders.packing import Outcome, Packing, ScanEvent, destination, open_order

log = logging.getLogger(__name__)

ORDER = 45

QUIT = frozenset({"q", "quit"})


def register(sub: Any) -> None:
    sc = sub.add_parser(
        "scan",
        help="scan to ship: an order's slip, then its items; the label is bought and printed",
        description="Reads codes from a scanner or stdin, one per line: an order's "
        "reference or id (its packing slip's barcode) opens it, then each item's GTIN or "
        "SKU is scanned; the complete order's label is bought (and printed when a print "
        "command is set). An empty line confirms when `setup --scan-confirm on`; q or two "
        "empty lines end.",
    )
    sc.set_defaults(handler=cmd_scan)


async def cmd_scan(args: argparse.Namespace, out: Out) -> int:
    settings = current_settings()
    async with engine_for(settings) as engine:
        station = ScanStation(
            engine,
            out,
            verify=settings.scan_verify,
            confirm=settings.scan_confirm,
            terminal=out.isatty(),
        )
        await station.run(sys.stdin, prompt=sys.stdin.isatty())
    return EXIT_FAILED if station.failed else EXIT_OK


def opened_line(packing: Packing) -> str:
    """The line that says which order is open and what to scan."""
    summary = packing.summary
    where = destination(summary)
    mode = summary.delivery_mode or "?"
    head = f"Order {packing.reference} opened: {summary.customer or '?'}, {where}, {mode}."
    if not packing.verify:
        return f"{head} Verification off."
    items = "; ".join(
        f"{ln.quantity}× {ln.title} ({ln.code_kind} {ln.code or '-'})" for ln in packing.lines
    )
    return f"{head} Scan {packing.total - packing.scanned} item(s): {items}"


class ScanStation:
    """The scan loop: what is open, what each line read does."""

    def __init__(
        self, engine: Engine, out: TextIO, *, verify: bool, confirm: bool, terminal: bool
    ) -> None:
        self.engine = engine
        self.out = out
        self.verify = verify
        self.confirm = confirm
        self.terminal = terminal
        self.packing: Packing | None = None
        #: the order whose label was bought last (until the next order opens)
        self.labelled: Packing | None = None
        #: labels bought and refused in this session
        self.bought = 0
        self.failed = 0

    def say(self, text: str) -> None:
        say(text, file=self.out, flush=True)

    def ring(self) -> None:
        """The terminal bell, on a terminal only (a pipe gets words alone)."""
        if self.terminal:
            self.out.write("\a")
            self.out.flush()

    def refuse(self, text: str) -> None:
        self.ring()
        self.say(f"REFUSED: {text}")

    async def run(self, source: TextIO, *, prompt: bool) -> None:
        empty = 0
        while True:
            if prompt:
                self.out.write(self.prompt())
                self.out.flush()
            line = await asyncio.to_thread(source.readline)
            if not line:  # end of input
                break
            code = line.strip()
            if code.casefold() in QUIT:
                break
            if not code:
                if self.waiting and self.packing is not None:
                    empty = 0
                    await self.buy(self.packing)
                    continue
                empty += 1
                if empty >= 2:
                    break
                self.say("Empty line: another one ends scan mode.")
                continue
            empty = 0
            await self.scanned(code)
        if self.packing is not None:
            self.say(
                f"Order {self.packing.reference} left open: {self.packing.scanned} of "
                f"{self.packing.total} item(s) scanned, no label bought."
            )
        self.say(f"Scan mode ended: {self.bought} label(s) bought, {self.failed} failed.")

    @property
    def waiting(self) -> bool:
        """A complete order waits for Enter (confirmation on, or its label failed)."""
        return self.packing is not None and self.packing.complete

    def prompt(self) -> str:
        if self.packing is None:
            return "scan an order> "
        if self.waiting:
            return f"{self.packing.reference}: Enter buys the label> "
        return f"{self.packing.reference} {self.packing.scanned}/{self.packing.total}> "

    async def scanned(self, code: str) -> None:
        packing = self.packing
        if packing is not None:
            event = packing.scan(code)
            if event.outcome in (Outcome.COUNTED, Outcome.COMPLETE):
                self.say(f"OK: {event.message}")
                if event.outcome == Outcome.COMPLETE:
                    await self.completed(packing)
                return
            if await self.open(code, instead_of=event):
                return
            self.refuse(event.message)
            return
        done = self.labelled.labelled_scan(code) if self.labelled is not None else None
        if done is not None:  # an item of the order just labelled: one too many
            if not await self.open(code, instead_of=done):
                self.refuse(done.message)
            return
        await self.open(code)

    async def open(self, code: str, instead_of: ScanEvent | None = None) -> bool:
        """Open the order ``code`` names; False when it names none while an item was
        expected (the caller then refuses the item)."""
        try:
            packing = await asyncio.to_thread(open_order, self.engine, code, verify=self.verify)
        except NotFoundLocally as exc:
            if instead_of is not None:
                return False  # not an order either: the wrong item it looked like
            self.refuse(exc.message)
            return True
        except CdtuiError as exc:
            self.refuse(exc.message)
            return True
        current = self.packing
        if current is not None and current.order_id == packing.order_id:
            self.say(
                f"Order {current.reference} is open already: {current.scanned} of "
                f"{current.total} item(s) scanned."
            )
            return True
        if self.packing is not None and not self.packing.complete:
            self.say(
                f"Order {self.packing.reference} set aside: {self.packing.scanned} of "
                f"{self.packing.total} item(s) scanned."
            )
        elif self.packing is not None:
            self.say(f"Order {self.packing.reference} set aside: no label bought.")
        self.packing, self.labelled = packing, None
        self.say(opened_line(packing))
        for ln in packing.unscannable:
            self.say(f"NOTE: {ln.title} has no GTIN or SKU: check it by eye.")
        await self.plan(packing)
        if packing.complete:
            await self.completed(packing)
        return True

    async def plan(self, packing: Packing) -> None:
        """The option the label will have, said when the order opens: an order whose
        label would be refused as it is (an HS code missing, say) is warned of before
        its items are scanned, as the TUI's panel does."""
        try:
            plan = await self.engine.label_plan(packing.order_id)
        except CdtuiError as exc:
            problem: str | None = exc.message
        except Exception as exc:  # the option is information: scanning goes on
            log.exception("label plan of %s failed", packing.order_id)
            problem = f"Unexpected error ({type(exc).__name__}); see the log."
        else:
            problem = plan.problem
            if problem is None and plan.choice is not None:
                option = plan.choice.option
                self.say(f"Option: {option.name} ({option.code}), {plan.choice.chosen_by}.")
                return
        self.say(
            "WARNING: no label can be bought as it is: "
            f"{problem or f'no shipping option for order {packing.reference}.'}"
        )

    async def completed(self, packing: Packing) -> None:
        if self.confirm:
            self.say(f"Order {packing.reference} complete: Enter buys its label.")
            return
        await self.buy(packing)

    async def buy(self, packing: Packing) -> None:
        self.say(f"Order {packing.reference}: buying the label…")
        try:
            outcome = await self.engine.create_label(packing.order_id)
        except CdtuiError as exc:
            outcome = LabelOutcome(order_id=packing.order_id, ok=False, error=exc.message)
        except Exception as exc:  # one order's surprise does not end the shift
            log.exception("label for %s failed", packing.order_id)
            reason = f"Unexpected error ({type(exc).__name__}); see the log."
            outcome = LabelOutcome(order_id=packing.order_id, ok=False, error=reason)
        if not outcome.ok:
            self.failed += 1
            self.ring()
            self.say(f"NO LABEL for order {packing.reference}: {outcome.error or 'no label'}")
            self.say("Enter tries again; or scan the next order.")
            return
        self.bought += 1
        self.packing, self.labelled = None, packing
        tracking = (
            "tracking sent to the marketplace"
            if outcome.tracking_sent
            else "tracking will be sent at the next sync"
        )
        printed = (
            "sent to the printer"
            if self.engine.settings.print_command and not outcome.error
            else f"saved at {outcome.label_path}"
        )
        self.say(
            f"LABEL: order {packing.reference}: {outcome.carrier or '?'} "
            f"{outcome.tracking_number or '?'}, {printed}; {tracking}."
        )
        if outcome.error:
            self.say(f"NOTE: order {packing.reference}: {outcome.error}")
        self.say("Ready: scan the next order.")
