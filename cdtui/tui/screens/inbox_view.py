"""What the inbox shows: its filters and its head line. Pure functions over display rows.

The state filters come from ``cdtui.orders.states.STATES`` (each state names its filter
key and title; states sharing a key share a filter), around the three that are not one
state: ``0`` every order, ``5`` the orders that need attention, ``9`` the orders to ship
that are late or due soon (``cdtui.orders.deadlines``, the ``due_soon_hours`` margin).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from cdtui.orders.deadlines import Deadline
from cdtui.orders.enums import State
from cdtui.orders.states import STATES
from cdtui.tui import format as fmt
from cdtui.tui import palette
from cdtui.tui.widgets.line import Part
from cdtui.tui.widgets.order_table import Row, fold

if TYPE_CHECKING:
    from cdtui.labels import LabelPlan
    from cdtui.models import ShippingOption


@dataclass(frozen=True)
class StateFilter:
    key: str
    title: str
    states: frozenset[State] | None  # None: every state
    attention: bool = False
    #: only orders to ship that are late or due soon
    due_soon: bool = False


ALL = StateFilter("0", "All", None)
NEEDS_ATTENTION = StateFilter("5", "Needs attention", None, attention=True)
DUE_SOON = StateFilter("9", "Due soon", None, due_soon=True)
#: the deadline classes the due-soon filter shows (the late ones first: by ship-by)
_URGENT = frozenset({Deadline.LATE, Deadline.DUE_SOON})
#: the filter the inbox opens on
TO_SHIP = next(i.filter_key for i in STATES if i.state == State.TO_SHIP)


def state_filters() -> tuple[StateFilter, ...]:
    """Every filter, by key: ``ALL``, ``NEEDS_ATTENTION`` and one per filter of STATES."""
    grouped: dict[str, tuple[str, set[State]]] = {}
    for info in STATES:
        grouped.setdefault(info.filter_key, (info.filter_title, set()))[1].add(info.state)
    filters = [ALL, NEEDS_ATTENTION, DUE_SOON]
    filters += [StateFilter(key, title, frozenset(s)) for key, (title, s) in grouped.items()]
    return tuple(sorted(filters, key=lambda f: f.key))


STATE_FILTERS = state_filters()
FILTERS_BY_KEY = {f.key: f for f in STATE_FILTERS}


def filter_rows(
    rows: list[Row],
    state_filter: StateFilter,
    channel: str | None,
    integration: str | None,
    search: str,
) -> list[Row]:
    """The rows that pass every filter, in the order given (already sorted). The search
    ignores case and accents both ways (``fold``); each word must be found."""
    terms = fold(search).split()
    states = state_filter.states
    attention = state_filter.attention
    due_soon = state_filter.due_soon
    return [
        r
        for r in rows
        if (states is None or r.state in states)
        and (not attention or r.attention or r.error)
        and (not due_soon or r.deadline in _URGENT)
        and (channel is None or r.channel_id == channel)
        and (integration is None or r.integration_id == integration)
        and all(t in r.haystack for t in terms)
    ]


def empty_text(state_filter: StateFilter, search: str) -> str:
    """What the table says when no order is shown: what was searched, and how to widen."""
    words = search.strip()
    if not words:
        return "No orders here. s syncs now, 0 shows every state, n connects."
    text = f"No order matches '{fmt.safe(words)}'"
    if state_filter is not ALL:
        text += f" in {state_filter.title}: 0 searches every state,"
    return text + " Esc clears the search."


def channel_name(rows: Iterable[Row], channel_id: str) -> str:
    """The channel's name as its orders show it (its id when none does)."""
    for r in rows:
        if r.channel_id == channel_id:
            return r.cells["channel"] or fmt.safe(channel_id)
    return fmt.safe(channel_id)


def shop_name(rows: Iterable[Row], integration_id: str) -> str:
    """The integration's name as its orders show it (its id when none does)."""
    for r in rows:
        if r.integration_id == integration_id:
            return r.cells["integration"]
    return fmt.safe(integration_id)


def head_parts(
    rows: list[Row],
    state_filter: StateFilter,
    shown: int,
    selected: int,
    filters: list[str],
    sort: str,
) -> tuple[Part, ...]:
    """``To ship (12) · channel Cdiscount · 2 late · 3 due soon · 1 due today · ... ·
    sort ship-by``: the filter and the other filters in force are never dropped; at a
    narrow width the counts (over every row) are shortened, then dropped, the least
    telling first. "Due soon": to ship within the margin (``Row.deadline``)."""
    to_ship = overdue = today = attention = soon = 0
    for r in rows:
        if r.state == State.TO_SHIP:
            to_ship += 1
            if r.due == fmt.Due.OVERDUE:
                overdue += 1
            elif r.due == fmt.Due.TODAY:
                today += 1
        if r.deadline == Deadline.DUE_SOON:
            soon += 1
        if r.attention or r.error:
            attention += 1
    parts = [Part(state_filter.title, style="bold"), Part(f" ({shown})", glued=True)]
    parts += [Part(f, style="bold") for f in filters]
    if selected:
        parts.append(Part(f"{selected} selected", 1, style=palette.rich(palette.MARK)))
    if overdue:
        parts.append(Part(f"{overdue} late", 2, style=palette.rich(palette.ALERT)))
    if soon:
        parts.append(Part(f"{soon} due soon", 2, f"{soon} soon", palette.rich(palette.ALERT)))
    if today:
        parts.append(Part(f"{today} due today", 3, f"{today} today", palette.rich(palette.WARNING)))
    if attention:
        parts.append(
            Part(
                f"{attention} need attention",
                4,
                f"{attention} attention",
                palette.rich(palette.ALERT),
            )
        )
    parts.append(Part(f"{to_ship} to ship", 5))
    parts.append(Part(f"sort {sort}", 6, style="dim"))
    return tuple(parts)


#: the bulk question's lists, at most (the rest summed up on one line)
BULK_OPTIONS_SHOWN = 5
BULK_PROBLEMS_SHOWN = 3
_BULK_WIDTH = 60  # the confirmation dialog's text width


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _totals(options: Iterable[ShippingOption]) -> tuple[str, int]:
    """The options' price summed (``57.45 €``, per currency joined with +) and how many
    have no price."""
    sums: dict[str, Decimal] = {}
    unpriced = 0
    for option in options:
        if option.price is None:
            unpriced += 1
        else:
            currency = option.currency or "EUR"
            sums[currency] = sums.get(currency, Decimal(0)) + option.price
    return " + ".join(fmt.money(v, c) for c, v in sums.items()), unpriced


def _problem(reference: str, why: str) -> str:
    """``REF goes outside the EU…`` for ``Order REF goes outside the EU…``."""
    why = fmt.safe(why)
    prefix = f"Order {reference} "
    return why[len("Order ") :] if why.startswith(prefix) else f"{reference}: {why}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def bulk_question(
    plans: Mapping[str, LabelPlan | str], references: Mapping[str, str], not_to_ship: int
) -> tuple[str, list[str]]:
    """What a bulk label run will do, asked before it is done, and the orders it labels.

    ``plans``: each order's label plan (``Engine.label_plan``) or why there is none. The
    text says which option the labels get (how many and their price, per option), the
    total, and how many orders cannot be labelled and why (the first ones)."""
    chosen: dict[str, ShippingOption] = {}
    problems: list[str] = []
    for order_id, plan in plans.items():
        reference = references.get(order_id) or fmt.safe(order_id)
        if isinstance(plan, str):
            problems.append(_problem(reference, plan))
        elif plan.problem or plan.choice is None:
            problems.append(_problem(reference, plan.problem or "no shipping option"))
        else:
            chosen[order_id] = plan.choice.option
    lines: list[str] = []
    if chosen:
        lines.append(f"Create {_plural(len(chosen), 'label')} with these shipping options:")
        lines += _option_lines(list(chosen.values()))
        total, unpriced = _totals(chosen.values())
        text = f"Total {total or 'unknown'}"
        if unpriced and total:
            text += f" and {_plural(unpriced, 'label')} without a price"
        lines.append(text + "; the trackings then go to the marketplace.")
    if problems:
        lines.append(
            f"{_plural(len(problems), 'order')} cannot be labelled"
            + (" and will be skipped:" if chosen else ":")
        )
        lines += [f"  {_cut(why, _BULK_WIDTH - 2)}" for why in problems[:BULK_PROBLEMS_SHOWN]]
        if len(problems) > BULK_PROBLEMS_SHOWN:
            more = len(problems) - BULK_PROBLEMS_SHOWN
            lines.append(f"  … and {more} more (Enter on an order says why).")
    if not_to_ship:
        lines.append(f"{_plural(not_to_ship, 'selected order')} not to ship will be skipped.")
    return "\n".join(lines), list(chosen)


def _option_lines(options: list[ShippingOption]) -> list[str]:
    """``  5 × Colis Privé Home   24.75 €``: each option, the most used first; past
    ``BULK_OPTIONS_SHOWN`` the rest on one line."""
    groups: dict[str, list[ShippingOption]] = {}
    for option in options:
        groups.setdefault(option.code, []).append(option)
    ordered = sorted(groups.values(), key=lambda g: (-len(g), g[0].name))
    if len(ordered) > BULK_OPTIONS_SHOWN:
        shown = ordered[: BULK_OPTIONS_SHOWN - 1]
        rest = [o for group in ordered[len(shown) :] for o in group]
        entries = [(f"{len(g)} × {fmt.safe(g[0].name)}", g) for g in shown]
        entries.append((f"{len(rest)} × {len(ordered) - len(shown)} other options", rest))
    else:
        entries = [(f"{len(g)} × {fmt.safe(g[0].name)}", g) for g in ordered]
    width = min(_BULK_WIDTH - 16, max(len(name) for name, _ in entries))
    lines = []
    for name, group in entries:
        total, unpriced = _totals(group)
        price = total or "no price"
        if unpriced and total:
            price += f" + {unpriced} without a price"
        lines.append(f"  {_cut(name, width).ljust(width)}  {price}")
    return lines
