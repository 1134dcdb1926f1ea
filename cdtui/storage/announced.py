"""``data/announced.json``: which alerts each destination has already been given.

An alert (``cdtui/alerts.py``) is one order crossing one threshold: waiting for
acceptance, due soon, late. Each destination ("sink": the TUI's bell, the daemon's
notify command, its webhook) is given it once, whatever the number of syncs, processes
and restarts; this file remembers it::

    {"version": 1, "sinks": {"tui": {"<order id>": ["late", "new"]}, "webhook": {...}}}

Read and written only under the store's lock (``Store.update_announced``), with the
one crash-safe writer. Orders that no longer raise any alert are forgotten, so the file
stays the size of the orders in work. A file that is not what this module writes is
damaged: it is reported (``StoreError``), never overwritten.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cdtui.storage.files import damaged_file, gc_paused, read_json, write_json

FILE_NAME = "announced.json"
VERSION = 1

#: order id -> the thresholds announced to one sink
Announced = dict[str, frozenset[str]]


def read(path: Path) -> dict[str, Announced]:
    """Every sink's record ({} when the file does not exist yet)."""
    if not path.exists():
        return {}
    with gc_paused():  # thousands of small objects beside the store's caches
        return _read(path)


def _read(path: Path) -> dict[str, Announced]:
    data: Any = read_json(path)
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise damaged_file(path, f"not a version {VERSION} record of announced alerts")
    sinks = data.get("sinks")
    if not isinstance(sinks, dict):
        raise damaged_file(path, "no sinks")
    out: dict[str, Announced] = {}
    for sink, orders in sinks.items():
        if not isinstance(orders, dict):
            raise damaged_file(path, f"sink {sink!r} is not an object")
        record: Announced = {}
        for order_id, thresholds in orders.items():
            if not isinstance(thresholds, list) or not all(isinstance(t, str) for t in thresholds):
                raise damaged_file(path, f"order {order_id!r} of sink {sink!r}")
            record[order_id] = frozenset(thresholds)
        out[sink] = record
    return out


def write(path: Path, sinks: dict[str, Announced]) -> None:
    """Replace the file (private, crash-safe); empty sinks are left out."""
    body = {
        "version": VERSION,
        "sinks": {
            sink: {order_id: sorted(t) for order_id, t in sorted(orders.items())}
            for sink, orders in sorted(sinks.items())
            if orders
        },
    }
    write_json(path, body)
