"""The sync index: what each order file holds, so a sync can skip the files it need not read.

One small file per integration, ``data/orders/<integration>/index`` (JSON; no ``.json``
suffix, so ``*.json`` there are the order files), written by the store under its lock
after every write of that integration's order files::

    {"version": 1, "shards": {"<n>": {"stamp": [inode, mtime_ns, size] | null,
                                       "work": <orders with a claim, label or push>,
                                       "orders": {"<order id>": "<updatedAt> <hash>"}}}}

One group per order file ``NNN.json``: the file's stamp when the group was made, how
many of its orders cdtui has started on, and for each order the marketplace's
``updatedAt`` (ISO 8601, empty when absent) and, after a space, the first 8 bytes (hex)
of the SHA-256 of the order document as stored — the digest the store compares anyway.

A group is **trusted** only while its stamp is the order file's current stamp (inode,
mtime_ns and size: the identity the store already uses to notice another process's
writes). Then, and only then:

- ``upsert_orders`` counts an order whose updatedAt and hash match its entry as
  unchanged without reading the file (a cron sync that finds nothing new reads no order
  file and writes none);
- ``orders_in_work`` skips a file whose group says no order is in work;
- ``damaged`` skips the file: a group is only made from a file whose every record
  validated, and the file has not changed since.

Everything else falls back to reading the file, so the index can make a sync slower,
never wrong: a missing, unreadable or damaged index, or one of another version, is read
as empty; a file written without updating its group (a crash between the order files
and the index, an older cdtui, a hand edit, a failed index write) has another stamp and
its group is ignored. The store makes the missing groups again, under its lock, the next
time it writes the integration's orders or finds groups to rebuild during an upsert
(reading each of those files once; a file with a damaged record stays without a group,
so every sync reads it and reports it until it is repaired). Writing the index never
fails a write of orders: an index that cannot be written is left for the next one.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import orjson

from cdtui.errors import StoreError
from cdtui.storage.files import atomic_write
from cdtui.storage.tinyfile import Stamp, _FileStorage

log = logging.getLogger(__name__)

INDEX_NAME = "index"
INDEX_VERSION = 1

#: an order's entry: "<updatedAt> <hash>" (updatedAt empty when the order has none)
Entry = str
#: a group as stored: {"stamp": [...] | None, "work": int, "orders": {order id: Entry}}
Group = dict[str, Any]


def entry(updated_at: datetime | None, digest: bytes) -> Entry:
    """An order's entry from its updatedAt and the store's digest of its document."""
    text = orjson.dumps(updated_at)[1:-1].decode() if updated_at is not None else ""
    return f"{text} {digest[:8].hex()}"


def _stamp_json(stamp: Stamp | None) -> list[int] | None:
    return list(stamp) if stamp is not None else None


class OrderIndex:
    """The index of one integration, cached and re-read when its file changes."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / INDEX_NAME
        self._stamp: Stamp | None = None
        self._loaded = False
        self._groups: dict[str, Group] = {}
        #: each group's JSON as last written, while unchanged: a save serialises only
        #: the groups that changed (a label save changes one of 64)
        self._written: dict[str, orjson.Fragment] = {}
        self.dirty = False

    def refresh(self) -> None:
        """Re-read the file if it changed (another process wrote it)."""
        try:
            st = os.stat(self.path)
            stamp: Stamp | None = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        except OSError as exc:
            self._unusable(f"cannot be read ({exc.strerror or exc})")
            return
        if self.dirty or (self._loaded and stamp == self._stamp):
            return  # (changes not saved yet are only made under the store's lock)
        self._loaded, self._stamp = True, stamp
        self._groups, self._written = {}, {}
        if stamp is None:
            return
        try:
            data = orjson.loads(self.path.read_bytes())
        except FileNotFoundError:
            self._stamp = None
            return
        except (OSError, orjson.JSONDecodeError) as exc:
            self._unusable(f"is damaged ({exc})")
            return
        groups = data.get("shards") if isinstance(data, dict) else None
        if not isinstance(groups, dict) or data.get("version") != INDEX_VERSION:
            self._unusable("is of another version or damaged")
            return
        self._groups = {key: g for key, g in groups.items() if _well_formed(g)}

    def _unusable(self, why: str) -> None:
        log.warning("the sync index %s %s; it is rebuilt from the order files", self.path, why)
        self._groups, self._written = {}, {}

    def has_group(self, shard: int) -> bool:
        """Whether the index holds a group for the order file at all (trusted or not):
        without one, the file's stamp need not be looked at."""
        return str(shard) in self._groups

    def group(self, shard: int, stamp: Stamp | None) -> Group | None:
        """The group of an order file, if it is trusted for the file's ``stamp``."""
        group = self._groups.get(str(shard))
        if group is not None and group["stamp"] == _stamp_json(stamp):
            return group
        return None

    def set_group(
        self, shard: int, stamp: Stamp | None, work: int, orders: dict[str, Entry]
    ) -> None:
        key = str(shard)
        self._groups[key] = {"stamp": _stamp_json(stamp), "work": work, "orders": orders}
        self._written.pop(key, None)
        self.dirty = True

    def drop_group(self, shard: int) -> None:
        key = str(shard)
        self._written.pop(key, None)
        if self._groups.pop(key, None) is not None:
            self.dirty = True

    def update_group(
        self, number: int, shard: IndexedShard, before: Stamp | None, written: list[str]
    ) -> None:
        """Bring one file's group up to date at the end of a transaction that read it
        (``written`` empty) or wrote it (``before``: its stamp before the write). A group
        trusted before the write only takes the written orders; any other is made again
        from the whole file. Never raises for the file: it is left without a group."""
        try:
            if not written:
                if shard.loaded and self.group(number, shard.storage.seen()) is not None:
                    return
                got = shard.index_entries()
                if got is None:
                    self.drop_group(number)
                else:
                    self.set_group(number, shard.storage.seen(), *got)
                return
            group = self.group(number, before)
            got = shard.index_entries(written if group is not None else None)
            if got is None:
                self.drop_group(number)
                return
            work, entries = got
            if group is not None:
                entries = {**group["orders"], **entries}
            self.set_group(number, shard.storage.seen(), work, entries)
        except StoreError:  # an unreadable or damaged file: read again by every sync
            self.drop_group(number)

    def save(self) -> None:
        """Write the index (``OSError`` if it cannot); the caller fsyncs the folder."""
        written = self._written
        for key, group in self._groups.items():
            if key not in written:
                written[key] = orjson.Fragment(orjson.dumps(group))
        payload = orjson.dumps({"version": INDEX_VERSION, "shards": written})
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write(self.path, payload, sync_dir=False)
        st = os.stat(self.path)
        self._stamp, self.dirty = (st.st_ino, st.st_mtime_ns, st.st_size), False

    def forget(self) -> None:
        """Drop what is cached: the file is read again when next used."""
        self._loaded, self._groups, self._written, self.dirty = False, {}, {}, False


class IndexedShard(Protocol):
    """What ``update_group`` needs of an order file (``shards._Shard``)."""

    @property
    def storage(self) -> _FileStorage: ...

    @property
    def loaded(self) -> bool: ...

    def index_entries(
        self, order_ids: Iterable[str] | None = None
    ) -> tuple[int, dict[str, Entry]] | None: ...


def _well_formed(group: Any) -> bool:
    """Whether a group has the shape the store writes (entries are checked when used:
    a malformed one never matches, which only means reading the file)."""
    if not isinstance(group, dict):
        return False
    stamp, work, orders = group.get("stamp"), group.get("work"), group.get("orders")
    stamp_ok = stamp is None or (
        isinstance(stamp, list) and len(stamp) == 3 and all(type(v) is int for v in stamp)
    )
    return stamp_ok and type(work) is int and isinstance(orders, dict)


__all__ = ["INDEX_NAME", "INDEX_VERSION", "Entry", "OrderIndex", "entry"]
