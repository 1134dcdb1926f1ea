"""What the inbox shows: its filters and its head line. Pure functions over display rows.

The state filters come from ``cdtui.orders.states.STATES`` (each state names its filter
key and title; states sharing a key share a filter), around the two that are not one
state: ``0`` every order, ``5`` the orders that need attention.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cdtui.orders.enums import State
from cdtui.orders.states import STATES
from cdtui.tui import format as fmt
from cdtui.tui import palette
from cdtui.tui.widgets.line import Part
from cdtui.tui.widgets.order_table import Row, fold


@dataclass(frozen=True)
class StateFilter:
    key: str
    title: str
    states: frozenset[State] | None  # None: every state
    attention: bool = False


ALL = StateFilter("0", "All", None)
NEEDS_ATTENTION = StateFilter("5", "Needs attention", None, attention=True)
#: the filter the inbox opens on
TO_SHIP = next(i.filter_key for i in STATES if i.state == State.TO_SHIP)


def state_filters() -> tuple[StateFilter, ...]:
    """Every filter, by key: ``ALL``, ``NEEDS_ATTENTION`` and one per filter of STATES."""
    grouped: dict[str, tuple[str, set[State]]] = {}
    for info in STATES:
        grouped.setdefault(info.filter_key, (info.filter_title, set()))[1].add(info.state)
    filters = [ALL, NEEDS_ATTENTION]
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
    return [
        r
        for r in rows
        if (states is None or r.state in states)
        and (not attention or r.attention or r.error)
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
    """``To ship (12) · channel Cdiscount · 2 late · 1 due today · ... · sort ship-by``:
    the filter and the other filters in force are never dropped; at a narrow width the
    counts (over every row) are shortened, then dropped, the least telling first."""
    to_ship = overdue = today = attention = 0
    for r in rows:
        if r.state == State.TO_SHIP:
            to_ship += 1
            if r.due == fmt.Due.OVERDUE:
                overdue += 1
            elif r.due == fmt.Due.TODAY:
                today += 1
        if r.attention or r.error:
            attention += 1
    parts = [Part(state_filter.title, style="bold"), Part(f" ({shown})", glued=True)]
    parts += [Part(f, style="bold") for f in filters]
    if selected:
        parts.append(Part(f"{selected} selected", 1, style=palette.rich(palette.MARK)))
    if overdue:
        parts.append(Part(f"{overdue} late", 2, style=palette.rich(palette.ALERT)))
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
