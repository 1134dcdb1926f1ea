"""The store: every integration and order cdtui knows, on disk under ``CDTUI_HOME/data``.

``Store`` is the API; the package's other modules are its parts (see
``cdtui/storage/__init__.py`` for the layout on disk and the guarantees). This module
holds the locking (``_StoreLock``: an inter-process ``flock`` plus a thread mutex),
the transactions (written once at their end by ``writes.PendingWrites``), and the
operations. It is longer than the package's other modules (~700 lines) because it is
one object's API: every method shares the lock, the shard and list caches and the
transaction, and splitting the class (into mixins) would scatter those invariants;
what could stand alone (files, TinyDB glue, meta, pydantic shortcuts, order files,
the sync index, the flush) already does.

Records handed out by ``orders()`` and ``pending_pushes()`` are shared, cached
snapshots — treat them as read-only and change orders with ``update_order``. List views
read ``order_rows()`` instead: the ``OrderSummary`` stored beside each record, read back
as written — no pydantic model involved, nothing derived (a few times cheaper at 10,000
orders).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock, Timeout

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
from pydantic import ValidationError

from cdtui.errors import NotFoundLocally, StoreError, UsageError
from cdtui.models import Integration, Order, OrderRecord, utcnow
from cdtui.orders.enums import PushStatus, State
from cdtui.orders.states import derive_state
from cdtui.orders.summary import OrderSummary, summarize_record
from cdtui.storage import announced, meta
from cdtui.storage.fastmodels import (
    KnownOrder,
    PreparedOrder,
    _digest,
    _from_prepared,
    _new_record_members,
    _order_json,
    _prepare,
    _record_json,
    _share_fields_sets,
    _summary_json,
)
from cdtui.storage.files import damaged_file, gc_paused
from cdtui.storage.index import Group, OrderIndex, entry
from cdtui.storage.meta import MIGRATIONS, SCHEMA_VERSION
from cdtui.storage.shards import (
    Staging,
    _by_integration_then_id,
    _read,
    _Shard,
    _Stored,
    _Unread,
    shard_index,
)
from cdtui.storage.tinyfile import _FileStorage, _open_db, _Table, file_stamp
from cdtui.storage.writes import PendingWrites

#: order files per integration: ~160 orders each at 10,000 orders
DEFAULT_SHARDS = 64
#: seconds to wait for another process's lock before giving up
DEFAULT_LOCK_TIMEOUT = 10.0


class _StoreLock:
    """The inter-process lock of the store, which deleting a file cannot break.

    ``flock`` locks an inode, not a name: with a lock file, someone deleting it while it
    is held (an operator "fixing" a timeout, a cleanup script) lets the next process
    create a new file, lock that one and write beside the holder. So on POSIX the lock
    is taken on the data folder itself, an inode nobody removes while cdtui runs.
    Where ``fcntl`` is missing (Windows, where an open file cannot be deleted)
    ``filelock`` on ``data/.lock`` does the job.
    """

    def __init__(self, folder: Path, timeout: float) -> None:
        self.lock_file = str(folder)
        self._folder = folder
        self._timeout = timeout
        self._fd: int | None = None
        self._fallback = FileLock(folder / ".lock", timeout=timeout) if fcntl is None else None

    def acquire(self) -> None:
        if self._fallback is not None:
            self._fallback.acquire()
            return
        assert fcntl is not None
        fd = os.open(self._folder, os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_DIRECTORY", 0))
        deadline = time.monotonic() + self._timeout
        delay = 0.001
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise Timeout(self.lock_file) from None
                    time.sleep(delay)
                    delay = min(delay * 2, 0.05)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        if self._fallback is not None:
            self._fallback.release()
            return
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the folder releases the flock


# ---------------------------------------------------------------- the store


@dataclass
class UpsertResult:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_ids: list[str] = field(default_factory=list)


F = TypeVar("F", bound=Callable[..., Any])


def _synchronized(method: F) -> F:
    """Run a read method under the store's thread mutex (its caches are shared)."""

    def wrapper(self: Store, *args: Any, **kwargs: Any) -> Any:
        with self._mutex:
            return method(self, *args, **kwargs)

    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper  # type: ignore[return-value]


class Store:
    """Integrations and orders, safe for several threads and processes."""

    def __init__(
        self,
        home: Path,
        *,
        clock: Callable[[], datetime] = utcnow,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        shards: int = DEFAULT_SHARDS,
    ) -> None:
        """Open (or create) the store under ``home/data``.

        ``shards`` only applies to a new store. Raises ``StoreError`` for a damaged
        file, a store written by a newer cdtui, or a lock held too long.
        """
        self.home = Path(home)
        self.data_dir = self.home / "data"
        self._clock = clock
        self._lock_timeout = lock_timeout
        self._mutex = threading.RLock()
        self._depth = 0
        self._writes = PendingWrites()
        self._shards: dict[tuple[str, int], _Shard] = {}
        self._paths: dict[tuple[str, int], Path] = {}
        #: the sync index of each integration (``index.py``)
        self._indexes: dict[str, OrderIndex] = {}
        self._integrations_cache: tuple[int, dict[str, Integration]] = (-1, {})
        self._list_cache: dict[str | None, tuple[tuple[Any, ...], list[OrderRecord]]] = {}
        self._rows_cache: dict[str | None, tuple[tuple[Any, ...], list[OrderSummary]]] = {}
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StoreError(
                f"Could not create the data folder {self.data_dir}: {exc.strerror or exc}."
            ) from None
        self._lock = _StoreLock(self.data_dir, lock_timeout)
        self._meta = _FileStorage(self.data_dir / "meta.json", meta._load_meta)
        self._meta.on_dirty = self._writes.mark_dirty
        meta_db = _open_db(self._meta)
        self._meta_table: _Table = meta_db.table(meta._META_TABLE)  # type: ignore[assignment]
        self._integ_table: _Table = meta_db.table(meta._INTEGRATIONS_TABLE)  # type: ignore[assignment]
        with self._locked():
            self._open(shards)

    # ------------------------------------------------------------ locking

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """The inter-process lock (reentrant); the files written once, at the end."""
        with self._mutex:
            if self._depth == 0:
                try:
                    self._lock.acquire()
                except Timeout:
                    raise StoreError(
                        f"Another cdtui process has been writing the store "
                        f"({self._lock.lock_file}) for more than {self._lock_timeout:g}s (a "
                        "sync or a label run); try again in a moment."
                    ) from None
                except OSError as exc:
                    raise StoreError(
                        f"Could not lock the store ({self._lock.lock_file}): {exc.strerror or exc}."
                    ) from None
            self._depth += 1
            try:
                yield
                if self._depth == 1:
                    self._flush()
            except BaseException:
                if self._depth == 1:
                    self._rollback()
                raise
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._lock.release()

    def _flush(self) -> None:
        self._writes.flush(self._index)

    def _rollback(self) -> None:
        self._writes.rollback()

    # ------------------------------------------------------------ open, migrate

    def _open(self, shards: int) -> None:
        meta.open_files(self.data_dir, self._clock, shards)
        self._meta.refresh()
        self._remove_orphans(self.data_dir / "orders")

    def _remove_orphans(self, orders_dir: Path) -> None:
        """Order folders of integrations deleted by a process that crashed midway."""
        if not orders_dir.is_dir():
            return
        known = self._integrations()
        next_id = self._meta_doc()["next_integration_id"]
        for folder in orders_dir.iterdir():
            name = folder.name
            if folder.is_dir() and name.isdigit() and name not in known and int(name) < next_id:
                shutil.rmtree(folder, ignore_errors=True)

    # ------------------------------------------------------------ meta

    def _meta_doc(self) -> dict[str, Any]:
        doc = self._meta_table.get(doc_id=meta._META_DOC)  # type: ignore[arg-type]
        if doc is None:  # pragma: no cover - _load_meta checked it is there
            raise damaged_file(self._meta.path, "no store metadata")
        return dict(doc)

    def _integrations(self) -> dict[str, Integration]:
        version, cached = self._integrations_cache
        self._meta.refresh()
        if version == self._meta.version and self._meta.pending is None:
            return cached
        result: dict[str, Integration] = {}
        for doc in self._integ_table.all():
            try:
                integ = Integration.model_validate(doc)
            except ValidationError as exc:
                err = exc.errors(include_url=False, include_input=False)[0]
                where = ".".join(str(p) for p in err["loc"])
                raise damaged_file(
                    self._meta.path, f"integration {doc.doc_id}: {where}: {err['msg']}"
                ) from None
            result[str(doc.doc_id)] = integ
        result = dict(sorted(result.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0))
        if self._meta.pending is None:
            self._integrations_cache = (self._meta.version, result)
        return result

    def _shard_count(self) -> int:
        return int(self._meta_doc()["order_shards"])

    def _require_integration(self, integration_id: str) -> Integration:
        integ = self._integrations().get(str(integration_id))
        if integ is None:
            raise NotFoundLocally(
                f"There is no integration {integration_id}; `cdtui integrations` lists them."
            )
        return integ

    def _check_unique_name(self, integ: Integration) -> None:
        key = " ".join(integ.name.split()).casefold()
        if not key:
            raise UsageError("An integration needs a name.")
        for other in self._integrations().values():
            if other.id != integ.id and " ".join(other.name.split()).casefold() == key:
                raise UsageError(f"An integration named {other.name!r} already exists.")

    def _put_integration(self, integ: Integration) -> None:
        self._check_unique_name(integ)
        self._integ_table.put_many({integ.id: integ.model_dump(mode="json")})

    # ------------------------------------------------------------ integrations

    @_synchronized
    def integrations(self) -> list[Integration]:
        return [i.model_copy(deep=True) for i in self._integrations().values()]

    @_synchronized
    def integration(self, integration_id: str) -> Integration:
        return self._require_integration(integration_id).model_copy(deep=True)

    def add_integration(self, **fields: Any) -> Integration:
        """Create an integration with the next id ("1", "2", ...; never reused)."""
        with self._locked():
            doc = self._meta_doc()
            next_id = doc["next_integration_id"]
            while (self.data_dir / "orders" / str(next_id)).exists():
                next_id += 1  # files of a later store (meta.json restored from a backup)
            new_id = str(next_id)
            try:
                integ = Integration.model_validate({**fields, "id": new_id})
            except ValidationError as exc:
                err = exc.errors(include_url=False, include_input=False)[0]
                where = ".".join(str(p) for p in err["loc"])
                raise UsageError(f"Invalid integration: {where}: {err['msg']}.") from None
            self._put_integration(integ)
            doc["next_integration_id"] = int(new_id) + 1
            self._meta_table.put_many({meta._META_DOC: doc})
        return integ.model_copy(deep=True)

    def save_integration(self, integ: Integration) -> None:
        """Replace a stored integration (``NotFoundLocally`` if it was deleted)."""
        with self._locked():
            self._require_integration(integ.id)
            self._put_integration(integ)

    def update_integration(
        self, integration_id: str, fn: Callable[[Integration], Integration | None]
    ) -> Integration:
        """Change an integration on its freshest copy, under the lock.

        ``fn`` gets a copy and returns the new integration, or ``None`` for no change;
        an integration equal to the stored one is not written again.
        """
        with self._locked():
            current = self._require_integration(integration_id)
            new = fn(current.model_copy(deep=True))
            if new is None:
                return current.model_copy(deep=True)
            if new.id != current.id:
                raise ValueError("update_integration cannot change an integration's id")
            if new != current:  # an unchanged copy writes nothing
                self._put_integration(new)
        return new

    def delete_integration(self, integration_id: str) -> int:
        """Remove an integration and its orders; returns how many orders were removed."""
        with self._locked():
            self._require_integration(integration_id)
            shards = [self._shard(integration_id, i) for i in range(self._shard_count())]
            removed = sum(len(s.view()[0]) for s in shards)
            self._integ_table.remove(doc_ids=[integration_id])  # type: ignore[list-item]
            # meta first: if we crash before the files go, they are orphans that the
            # next open removes (ids are never reused).
            self._flush()
            for index in range(len(shards)):
                self._shards.pop((integration_id, index), None)
            self._indexes.pop(integration_id, None)
            shutil.rmtree(self.data_dir / "orders" / integration_id, ignore_errors=True)
            self._list_cache.clear()
            self._rows_cache.clear()
        return removed

    # ------------------------------------------------------------ orders

    def _shard(self, integration_id: str, index: int) -> _Shard:
        key = (integration_id, index)
        shard = self._shards.get(key)
        if shard is None:
            shard = _Shard(integration_id, self._shard_path(integration_id, index))
            # only the upserts of a sync bring the sync index up to date (they mark the
            # files they read or write as touched); any other write (a label saved, a
            # claim) leaves its file's group stale, which the stamp rule ignores, so a
            # label save writes one order file, not the index too (the next sync reads
            # that file once and makes its group again)
            shard.storage.on_dirty = self._writes.mark_dirty
            self._shards[key] = shard
        return shard

    def _index(self, integration_id: str) -> OrderIndex:
        """The integration's sync index as it is on disk now (see ``index.py``)."""
        index = self._indexes.get(integration_id)
        if index is None:
            index = OrderIndex(self.data_dir / "orders" / integration_id)
            self._indexes[integration_id] = index
        index.refresh()
        return index

    def _vouched(self, index: OrderIndex, integration_id: str, number: int) -> Group | None:
        """The index group of an order file if it vouches for the file as it is on disk
        now (never for a file with changes of this transaction not written yet)."""
        if not index.has_group(number):
            return None
        shard = self._shards.get((integration_id, number))
        if shard is not None and shard.staged:
            return None
        return index.group(number, file_stamp(self._shard_path(integration_id, number)))

    def _shard_path(self, integration_id: str, number: int) -> Path:
        """The order file's path (kept: a sync asks for it per page and file)."""
        key = (integration_id, number)
        path = self._paths.get(key)
        if path is None:
            path = self._paths[key] = (
                self.data_dir / "orders" / integration_id / f"{number:03d}.json"
            )
        return path

    def _integration_ids(self, integration_id: str | None) -> list[str]:
        """The one integration asked for (``NotFoundLocally`` if unknown), else all."""
        if integration_id is None:
            return list(self._integrations())
        self._require_integration(integration_id)
        return [str(integration_id)]

    @_synchronized
    def damaged(self, integration_id: str | None = None) -> list[str]:
        """What is plainly wrong with the records of each file (a sync reports it: a
        damaged record is never silently skipped).

        A file the sync index vouches for is not read: its group was made when every
        record of it validated, and the file has not changed since (same stamp). Every
        other file — changed since the index was written, by a crash, an older cdtui or
        a hand edit, or holding a damaged record (which never gets a group) — is read
        (again) and checked. So a cron sync that finds nothing new reads no order file,
        and a damaged record is still reported by every sync until it is repaired."""
        found = []
        for iid in self._integration_ids(integration_id):
            index = self._index(iid)
            for number, shard in enumerate(self._integration_shards(iid)):
                if self._vouched(index, iid, number) is not None:
                    continue
                shard.view()  # read (or re-read) the file
                found.extend(
                    f"The store file {shard.path} holds a damaged order {oid} ({why}); it is "
                    "left untouched: restore the file from a backup or move it away."
                    for oid, why in sorted(shard.damaged.items())
                )
        return found

    def _integration_shards(self, integration_id: str) -> list[_Shard]:
        return [self._shard(integration_id, i) for i in range(self._shard_count())]

    def _locate(self, order_id: str) -> tuple[_Shard, OrderRecord] | None:
        index = shard_index(order_id, self._shard_count())
        for integration_id in self._integrations():
            shard = self._shard(integration_id, index)
            rec = shard.record(order_id)
            if rec is not None:
                return shard, rec
        return None

    @_synchronized
    def prepare_orders(
        self, integration_id: str, seller_id: str, orders: Iterable[Order]
    ) -> list[PreparedOrder | KnownOrder]:
        """Serialise fetched orders for ``upsert_orders``: no inter-process lock and no
        order file read, so an import calls it as each page arrives and lets the page's
        models go. An order the sync index already holds as it is stays a
        ``KnownOrder`` (its model and digest): a sync that finds nothing new builds no
        record for it."""
        integration_id = str(integration_id)
        members = b""
        index = self._index(integration_id)
        count = self._shard_count()
        groups: dict[int, Group | None] = {}
        prepared: list[PreparedOrder | KnownOrder] = []
        for order in orders:
            order_id = order.order_id
            order_json = _order_json(order)
            digest = _digest(order_json)
            number = shard_index(order_id, count)
            if number not in groups:
                groups[number] = self._vouched(index, integration_id, number)
            group = groups[number]
            if group is not None and group["orders"].get(order_id) == entry(
                order.updated_at, digest
            ):
                prepared.append(
                    KnownOrder(order_id, integration_id, seller_id, order.updated_at, digest, order)
                )
                continue
            members = members or _new_record_members(integration_id, seller_id, self._clock())
            prepared.append(_prepare(order, integration_id, seller_id, members, order_json, digest))
        return prepared

    def upsert_orders(
        self,
        integration_id: str,
        seller_id: str,
        orders: Iterable[Order | PreparedOrder | KnownOrder],
    ) -> UpsertResult:
        """Store a batch of marketplace orders in one locked pass.

        New orders are imported, orders whose marketplace document changed are
        updated (cdtui's own fields — label, claim, push, tracking — are kept), and
        identical ones are left alone: a batch that changes nothing writes no file.
        The state of every imported or updated order is recomputed. Orders come as
        models or already prepared (``prepare_orders``) for this integration.
        """
        integration_id = str(integration_id)
        members = b""
        batch: dict[str, PreparedOrder | KnownOrder] = {}
        for order in orders:  # a repeated order (paging overlap): the last one wins
            if isinstance(order, Order):
                members = members or _new_record_members(integration_id, seller_id, self._clock())
                order = _prepare(order, integration_id, seller_id, members)
            elif (order.integration_id, order.seller_id) != (integration_id, seller_id):
                raise ValueError("an order prepared for another integration or seller")
            batch[order.order_id] = order
        result = UpsertResult()
        with self._locked():
            self._require_integration(integration_id)
            count = self._shard_count()
            with gc_paused():
                self._upsert(integration_id, batch, count, result)
        return result

    def _upsert(
        self,
        integration_id: str,
        batch: dict[str, PreparedOrder | KnownOrder],
        count: int,
        result: UpsertResult,
    ) -> None:
        """An order the sync index vouches for (same updatedAt and hash, file unchanged
        since) is unchanged without its file being read. Otherwise a new order is staged
        as prepared; a known one is compared by digest and, if its document changed,
        read back into a model and merged into its record."""
        index = self._index(integration_id)
        groups: dict[int, Group | None] = {}
        views: dict[int, tuple[_Shard, dict[str, _Stored], dict[str, bytes]]] = {}
        staged: dict[int, dict[str, Staging]] = {}
        members = b""  # of a new record, made once if a known order must be prepared
        changed = result.changed_ids
        for order_id, new in batch.items():
            number = shard_index(order_id, count)
            view = views.get(number)
            if view is None:
                if number not in groups:
                    groups[number] = self._vouched(index, integration_id, number)
                group = groups[number]
                known_entry = group["orders"].get(order_id) if group is not None else None
                if known_entry is not None and known_entry == entry(new.updated_at, new.digest):
                    result.unchanged += 1
                    continue
                shard = self._shard(integration_id, number)
                view = views[number] = (shard, *shard.view())
                self._writes.touched[(integration_id, number)] = shard
            if isinstance(new, KnownOrder):  # its file changed since it was vouched for
                if not members:
                    members = _new_record_members(integration_id, new.seller_id, self._clock())
                new = _prepare(new.order, integration_id, new.seller_id, members)
            stored, digests = view[1], view[2]
            old = stored.get(order_id)
            staging: Staging
            digest = new.digest
            if old is None:
                staging = (new.record_json, new, digest, new.summary_json())
                result.imported += 1
            else:
                order_json = new.order_json()
                known = digests.get(order_id)
                if isinstance(old, _Unread):
                    old = stored[order_id] = _read(view[0].path, old)
                if known is None:  # first comparison since the file was read
                    known = digests[order_id] = (
                        old.digest
                        if isinstance(old, PreparedOrder)
                        else _digest(_order_json(old.order))
                    )
                if known == digest:
                    result.unchanged += 1
                    continue
                if isinstance(old, PreparedOrder):
                    old = stored[order_id] = _from_prepared(old)
                rec = old.model_copy(update={"order": Order.model_validate_json(order_json)})
                rec.state, rec.attention = derive_state(rec)
                _share_fields_sets(rec)
                summary_json = _summary_json(summarize_record(rec))
                staging = (_record_json(rec, order_json, summary_json), rec, digest, summary_json)
                result.updated += 1
            entries = staged.get(number)
            if entries is None:
                entries = staged[number] = {}
            entries[order_id] = staging
            changed.append(order_id)
        for number, entries in staged.items():
            views[number][0].put(entries)
        # files without a group (a lost or stale index): made again at the end of this
        # transaction, so that the next sync reads none of them
        for number in range(count):
            if number in views:
                continue
            if number not in groups:
                groups[number] = self._vouched(index, integration_id, number)
            if groups[number] is None:
                self._writes.touched[(integration_id, number)] = self._shard(integration_id, number)

    @_synchronized
    def find_order(self, order_id: str) -> OrderRecord | None:
        found = self._locate(order_id)
        return found[1].model_copy(deep=True) if found else None

    def order(self, order_id: str) -> OrderRecord:
        rec = self.find_order(order_id)
        if rec is None:
            raise NotFoundLocally(f"There is no order {order_id} in the store.")
        return rec

    @_synchronized
    def orders(
        self, *, integration_id: str | None = None, state: State | None = None
    ) -> list[OrderRecord]:
        """Orders by integration then order id (shared snapshots: do not mutate)."""
        ids = self._integration_ids(integration_id)
        shards = [s for iid in ids for s in self._integration_shards(iid)]
        with gc_paused():  # one deferred collection instead of one per file
            views = [s.records() for s in shards]  # re-reads the files that changed
        key = (tuple(ids), *(s.storage.version for s in shards))
        cached = self._list_cache.get(integration_id)
        if cached is None or cached[0] != key:
            cached = (key, _by_integration_then_id(views, len(ids)))
            self._list_cache[integration_id] = cached
        if state is None:
            return list(cached[1])
        return [r for r in cached[1] if r.state == state]

    @_synchronized
    def order_rows(
        self, *, integration_id: str | None = None, state: State | None = None
    ) -> list[OrderSummary]:
        """The orders' summaries for list views, in ``orders()``'s order.

        Read straight from the summaries stored beside the records (``summary_from_json``;
        one is built from its record only when it is missing, unreadable or of another
        ``SUMMARY_VERSION``): no pydantic model, nothing derived. Cached per file
        version; a later call re-reads only the files another process changed.
        """
        ids = self._integration_ids(integration_id)
        shards = [s for iid in ids for s in self._integration_shards(iid)]
        with gc_paused():  # one deferred collection instead of one per file
            views = [s.row_view() for s in shards]  # re-reads the files that changed
        key = (tuple(ids), *(s.rows_version for s in shards))
        if any(s._staged is not None for s in shards):  # inside a write: not cached
            cached = (key, _by_integration_then_id(views, len(ids)))
        else:
            cached = self._rows_cache.get(integration_id)  # type: ignore[assignment]
            if cached is None or cached[0] != key:
                cached = (key, _by_integration_then_id(views, len(ids)))
                self._rows_cache[integration_id] = cached
        if state is None:
            return list(cached[1])
        return [r for r in cached[1] if r.state == state]

    def update_order(
        self, order_id: str, fn: Callable[[OrderRecord], OrderRecord | None]
    ) -> OrderRecord:
        """Change one order on its freshest copy, under the inter-process lock.

        ``fn`` gets a copy and returns the new record, or ``None`` for no change (then
        the current record is returned). State and attention are recomputed before
        saving; a record equal to the stored one is not written again. An exception
        from ``fn`` aborts without writing anything.
        """
        with self._locked():
            found = self._locate(order_id)
            if found is None:
                raise NotFoundLocally(f"There is no order {order_id} in the store.")
            shard, current = found
            seen = shard.storage.seen()
            new = fn(current.model_copy(deep=True))
            if new is None:
                return current.model_copy(deep=True)
            if new.order_id != order_id or new.integration_id != shard.integration_id:
                raise ValueError("update_order cannot change an order's id or integration")
            new.state, new.attention = derive_state(new)
            if new == current:  # an unchanged copy writes nothing
                return new
            order_json = _order_json(new.order)
            summary_json = _summary_json(summarize_record(new))
            doc_json = _record_json(new, order_json, summary_json)
            stored = OrderRecord.model_validate_json(doc_json)  # our own copy, checked
            _share_fields_sets(stored)
            shard.storage.check_unchanged(seen)
            shard.put({order_id: (doc_json, stored, _digest(order_json), summary_json)})
        return new

    @_synchronized
    def orders_in_work(self, *, integration_id: str | None = None) -> list[OrderRecord]:
        """Orders cdtui has started on — a label claim, a label or a tracking update —
        by integration then order id (shared snapshots: do not mutate).

        What a sync resumes. Orders imported and untouched since are skipped without
        being read into records, so this stays cheap right after a large import; a file
        whose sync index group vouches that none of its orders is in work is not read.
        """
        ids = self._integration_ids(integration_id)
        found: list[OrderRecord] = []
        for iid in ids:
            index = self._index(iid)
            part = [
                r
                for number, shard in enumerate(self._integration_shards(iid))
                if (group := self._vouched(index, iid, number)) is None or group["work"]
                for r in shard.in_work()
            ]
            part.sort(key=lambda r: r.order_id)
            found.extend(part)
        return found

    @_synchronized
    def pending_pushes(self) -> list[OrderRecord]:
        """Orders whose tracking update is stored and not yet confirmed."""
        return [
            r
            for r in self.orders_in_work()
            if r.push is not None and r.push.status == PushStatus.PENDING
        ]

    def update_announced(
        self, sink: str, fn: Callable[[announced.Announced], announced.Announced]
    ) -> announced.Announced:
        """Change what ``sink`` was told (``announced.py``) on the freshest copy, under
        the inter-process lock: ``fn`` gets the sink's record (order id -> thresholds)
        and returns the new one; an unchanged record writes nothing."""
        path = self.data_dir / announced.FILE_NAME
        with self._locked():
            sinks = announced.read(path)
            current = sinks.get(sink, {})
            new = fn(dict(current))
            if new != current:
                sinks[sink] = new
                announced.write(path, sinks)
        return new

    def announced_to(self, sink: str) -> announced.Announced:
        """What ``sink`` was told: order id -> the thresholds announced."""
        with self._locked():
            return announced.read(self.data_dir / announced.FILE_NAME).get(sink, {})

    @_synchronized
    def counts(self, integration_id: str | None = None) -> dict[str, int]:
        """Number of orders in each state (every state present, zeros included)."""
        counts = {s.value: 0 for s in State}
        for r in self.order_rows(integration_id=integration_id):
            counts[r.state.value] += 1
        return counts


__all__ = [
    "DEFAULT_SHARDS",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "PreparedOrder",
    "Store",
    "UpsertResult",
    "gc_paused",
    "shard_index",
]
