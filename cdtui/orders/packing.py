"""Scan to ship: what a packer scans for an order, and what each scan means.

Pure: no I/O, no clock. A scanned code first opens an order (``open_order``: its id or
its marketplace reference, as a packing slip's barcode carries it); an order that is not
to ship is refused with its state and why. ``Packing`` then counts the items scanned
against the lines the label covers (``summary.shown_lines``: the merchant's lines in
preparation), each by its GTIN (``offer.productGtin``) or else its SKU, ``quantity``
times, and says what each scan was: counted, the order complete, a wrong item or one
too many. With verification off an order is complete as soon as it is opened. The TUI's
scan screen and ``cdtui scan`` both follow it; buying the label is theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from cdtui.errors import UsageError
from cdtui.models import OrderRecord
from cdtui.orders.enums import State
from cdtui.orders.states import STATE_INFO
from cdtui.orders.summary import OrderSummary, shown_lines, summarize_record
from cdtui.text import printable

#: how much of a scanned code a message repeats (a scanner may send a whole page)
_SHOWN_CODE = 40


class Outcome(StrEnum):
    """What one scanned code was."""

    #: an item of the order, counted (its line is not full yet, or now is)
    COUNTED = "counted"
    #: the last item the order needed: the order is complete
    COMPLETE = "complete"
    #: not an item of this order: refused
    WRONG_ITEM = "wrong_item"
    #: an item of the order whose lines are all counted already: refused
    TOO_MANY = "too_many"
    #: nothing but blanks
    NOTHING = "nothing"


#: the outcomes that refuse the scan (the screen rings, the CLI rings on a terminal)
REFUSED = frozenset({Outcome.WRONG_ITEM, Outcome.TOO_MANY})


@dataclass(frozen=True)
class PackLine:
    """One line of the order as the packer scans it."""

    line_id: str
    #: the product title (its SKU, else its line id, when it has none)
    title: str
    gtin: str | None
    sku: str | None
    #: how many items to scan
    quantity: int

    @property
    def code(self) -> str | None:
        """The code asked for: the GTIN, else the SKU (None: no barcode to scan)."""
        return self.gtin or self.sku

    @property
    def code_kind(self) -> str:
        return "GTIN" if self.gtin else "SKU" if self.sku else "no code"

    def matches(self, scanned: str) -> bool:
        """The GTIN's digits exactly, or the SKU whatever its case."""
        if self.gtin is not None and scanned == self.gtin:
            return True
        return self.sku is not None and scanned.casefold() == self.sku.casefold()


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def pack_lines(rec: OrderRecord) -> list[PackLine]:
    """The lines the label covers, each with the code to scan and how many times."""
    out = []
    for ln in shown_lines(rec.order):
        gtin, sku = _text(ln.offer.product_gtin), _text(ln.offer.seller_product_id)
        title = _text(ln.offer.product_title) or sku or f"line {ln.order_line_id}"
        out.append(PackLine(ln.order_line_id, title, gtin, sku, max(1, ln.quantity)))
    return out


def shown_code(code: str) -> str:
    """A scanned code as a message repeats it: printable, and not too long."""
    code = printable(code)
    return code if len(code) <= _SHOWN_CODE else code[: _SHOWN_CODE - 1] + "…"


@dataclass(frozen=True)
class ScanEvent:
    """What one scan was, in words."""

    outcome: Outcome
    message: str
    #: the line it counted on or was refused for (None: no line of the order)
    line: PackLine | None = None
    #: that line's count after the scan
    counted: int = 0

    @property
    def refused(self) -> bool:
        return self.outcome in REFUSED


@dataclass
class Packing:
    """One order being packed: its lines and the items scanned so far."""

    record: OrderRecord
    #: items must be scanned (off: the order is complete once opened)
    verify: bool = True
    lines: list[PackLine] = field(init=False)
    #: items counted per line id
    counts: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.lines = pack_lines(self.record)
        # a line without any code cannot be scanned: it counts as packed (checked by eye)
        self.counts = {
            ln.line_id: ln.quantity if not self.verify or ln.code is None else 0
            for ln in self.lines
        }

    @property
    def order_id(self) -> str:
        return self.record.order_id

    @property
    def summary(self) -> OrderSummary:
        return summarize_record(self.record)

    @property
    def reference(self) -> str:
        return self.record.reference

    @property
    def scanned(self) -> int:
        return sum(self.counts.values())

    @property
    def total(self) -> int:
        return sum(ln.quantity for ln in self.lines)

    @property
    def complete(self) -> bool:
        return all(self.counts[ln.line_id] >= ln.quantity for ln in self.lines)

    @property
    def unscannable(self) -> list[PackLine]:
        """Lines without a GTIN or SKU (counted as packed: checked by eye)."""
        return [ln for ln in self.lines if ln.code is None]

    def scan(self, code: str) -> ScanEvent:
        """Count a scanned item, or say why not. Nothing changes on a refusal."""
        scanned = code.strip()
        reference = printable(self.reference)
        if not scanned:
            return ScanEvent(Outcome.NOTHING, "Nothing scanned.")
        matching = [ln for ln in self.lines if ln.matches(scanned)]
        if not matching:
            return ScanEvent(
                Outcome.WRONG_ITEM,
                f"Wrong item: {shown_code(scanned)} is not in order {reference}. "
                "Keep it out of the parcel.",
            )
        for ln in matching:
            done = self.counts[ln.line_id]
            if done < ln.quantity:
                self.counts[ln.line_id] = done + 1
                title = printable(ln.title)
                if self.complete:
                    return ScanEvent(
                        Outcome.COMPLETE,
                        f"{title}: {done + 1} of {ln.quantity}. Order {reference} complete "
                        f"({self.total} item{'s' if self.total != 1 else ''}).",
                        ln,
                        done + 1,
                    )
                return ScanEvent(
                    Outcome.COUNTED,
                    f"{title}: {done + 1} of {ln.quantity}. "
                    f"{self.total - self.scanned} more to scan.",
                    ln,
                    done + 1,
                )
        ln = matching[0]
        return ScanEvent(
            Outcome.TOO_MANY,
            f"Too many: {printable(ln.title)} is already {ln.quantity} of {ln.quantity} "
            f"in order {reference}. Keep it out of the parcel.",
            ln,
            self.counts[ln.line_id],
        )

    def labelled_scan(self, code: str) -> ScanEvent | None:
        """A scan after this order's label was bought: one of its items is one too many
        (the order is packed and labelled); None when the code is none of its items."""
        scanned = code.strip()
        matching = [ln for ln in self.lines if scanned and ln.matches(scanned)]
        if not matching:
            return None
        ln = matching[0]
        return ScanEvent(
            Outcome.TOO_MANY,
            f"Too many: {printable(ln.title)} is of order {printable(self.reference)}, "
            "already packed and labelled. Keep this item out of the parcel.",
            ln,
            self.counts[ln.line_id],
        )

    def lines_text(self) -> list[str]:
        """One line per order line: counted of quantity, title, code."""
        out = []
        for ln in self.lines:
            done = self.counts[ln.line_id]
            mark = "✓" if done >= ln.quantity else " "
            code = f"{ln.code_kind} {printable(ln.code)}" if ln.code else "no code: check by eye"
            out.append(f"{mark} {done}/{ln.quantity}  {printable(ln.title)}  ({code})")
        return out


def destination(summary: OrderSummary) -> str:
    """Where the parcel goes: the relay point, else postal code, city and country."""
    if summary.relay_point_id:
        name = summary.relay_point_name or ""
        return printable(f"relay point {summary.relay_point_id} {name}".strip())
    parts = [summary.postal_code or "", summary.city or ""]
    place = " ".join(p for p in parts if p).strip()
    country = summary.country_code or ""
    return printable(f"{place}, {country}" if place and country else place or country or "?")


def refusal(rec: OrderRecord) -> str | None:
    """Why this order cannot be packed and shipped now (its state and reason), or None
    when it is to ship."""
    summary = summarize_record(rec)
    state = summary.state
    if state == State.TO_SHIP:
        if not pack_lines(rec):
            return f"Order {printable(rec.reference)} has no line to ship."
        return None
    word = STATE_INFO[state].word
    head = f"Order {printable(rec.reference)} is {word}"
    label = f"{summary.carrier or ''} {summary.tracking_number or ''}".strip()
    why = {
        State.WAITING_ACCEPTANCE: "accept it in the inbox (a) before packing it.",
        State.LABEL_PENDING: "a label is being bought for it; look at it in the inbox.",
        State.LABELLED: f"it has its label{f' ({label})' if label else ''}; "
        "reprint it from the inbox (o).",
        State.TRACKING_SENT: f"its label{f' ({label})' if label else ''} is bought and "
        "the tracking sent; reprint it from the inbox (o).",
        State.DELIVERED: "nothing to ship.",
        State.CANCELLED: "do not ship it.",
        State.NOT_SHIPPABLE: f"{summary.reason or 'nothing to ship'}.",
    }[state]
    return printable(f"{head}: {why}")


class OrderFinder(Protocol):
    """What finding a scanned order needs (``Engine`` is one)."""

    def resolve_order(self, key: str) -> str: ...

    def order(self, order_id: str) -> OrderRecord: ...


def open_order(finder: OrderFinder, code: str, *, verify: bool = True) -> Packing:
    """The order a scanned code names (its id or marketplace reference), ready to
    pack. ``CdtuiError`` with the reason when the code names no order, several, or one
    that is not to ship."""
    key = code.strip()
    if not key:
        raise UsageError("Scan an order: its packing slip's barcode, reference or id.")
    rec = finder.order(finder.resolve_order(key))
    why = refusal(rec)
    if why is not None:
        raise UsageError(why)
    return Packing(rec, verify=verify)
