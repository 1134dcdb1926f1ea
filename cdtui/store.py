"""The store: every integration and order cdtui knows, on disk under ``CDTUI_HOME/data``.

This is the only module that touches the data files. Layout::

    data/                           its own inter-process lock (flock on the folder;
                                    ``data/.lock`` with filelock on Windows)
    data/meta.json                  schema version, id counter, integrations
    data/orders/<integration>/NNN.json
                                    that integration's orders, sharded by a stable hash
                                    of the order id, so saving one label rewrites one
                                    small file
    data/backups/v<N>-<time>/       copies made before a schema migration

Guarantees:

- **Crash-safe writes.** Every file is written to a temporary file in the same folder,
  flushed, fsynced, then atomically renamed over the old one (and the folder fsynced):
  a crash at any instant leaves the previous or the new file, never a torn one.
- **Several processes, one store.** Every read-modify-write runs under the store's
  lock (on the data folder's inode: deleting a file cannot break it) on the freshest
  copy of the files; each process re-reads a file whose (inode, mtime, size) changed,
  so processes see each other's writes, and a file that changed since it was read is
  never replaced.
- **Damaged files are never overwritten.** A file that does not parse, or holds
  something else than cdtui wrote, stops the operation with a ``StoreError`` naming it.
  (An order nothing has started on is validated when its record is needed, and always
  before its file is written again.)
- **Schema versions.** ``meta.json`` carries ``schema_version``; older stores are
  migrated (after a backup), newer ones refused with a message to upgrade.
- **No-op writes cost nothing.** An upsert that changes nothing writes no file.

Records handed out by ``orders()`` and ``pending_pushes()`` are shared, cached
snapshots — treat them as read-only and change orders with ``update_order``. List views
read ``order_rows()`` instead: immutable ``OrderRow``s built straight from the parsed
JSON, no pydantic model involved (a few times cheaper at 10,000 orders).
"""

from __future__ import annotations

import contextlib
import errno
import gc
import hashlib
import logging
import os
import secrets
import shutil
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple, NoReturn, TypeGuard, TypeVar

import orjson
from filelock import FileLock, Timeout

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
from pydantic import BaseModel, ValidationError
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from cdtui.errors import NotFoundLocally, StoreError, UsageError
from cdtui.models import Integration, Order, OrderRecord, iso, utcnow
from cdtui.orders.enums import OrderStatus, PushStatus, State
from cdtui.orders.states import derive_state, marketplace_attention, order_state

log = logging.getLogger(__name__)

#: version of the on-disk layout this cdtui reads and writes
SCHEMA_VERSION = 1
#: a store at version v is brought to v + 1 by ``MIGRATIONS[v](data_dir)``; each
#: migration works on the raw files (``read_json`` / ``write_json``) and must be
#: safe to run again if a crash interrupted it (meta.json is bumped after each step).
MIGRATIONS: dict[int, Callable[[Path], None]] = {}
#: order files per integration: ~160 orders each at 10,000 orders
DEFAULT_SHARDS = 64
#: seconds to wait for another process's lock before giving up
DEFAULT_LOCK_TIMEOUT = 10.0

_ORDERS_TABLE = "orders"
_META_TABLE = "store"
_META_DOC = "meta"
_INTEGRATIONS_TABLE = "integrations"
_TMP_SUFFIX = ".tmp"
#: a write of fewer orders than this to a file updates its cached rows in place; a
#: larger one (an import) drops them, to be rebuilt from the file when next listed
_ROWS_KEPT_BELOW = 32
#: order files fsynced at once by a write that touches several (fsync frees the GIL)
_FSYNC_THREADS = 4


# ---------------------------------------------------------------- raw files


def atomic_write(path: Path, data: bytes, *, mode: int = 0o600, sync_dir: bool = True) -> None:
    """Replace ``path`` with ``data``: temp file, fsync, rename, fsync the folder.

    A crash at any point leaves either the old file or the new one. The file gets
    exactly ``mode`` (whatever the umask). With ``sync_dir=False`` the caller fsyncs
    the folder itself (once for many files). Raises ``OSError``.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{_TMP_SUFFIX}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        try:
            if hasattr(os, "fchmod"):  # POSIX: exactly ``mode``, whatever the umask
                os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if sync_dir:
        _fsync_dir(path.parent)


class _ChangedMeanwhile(OSError):
    """A store file changed on disk between its read and its replacement."""


_CHANGED_MEANWHILE = "another process changed it since it was read; nothing was written, try again"


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


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - filesystems that refuse it
        pass
    finally:
        os.close(fd)


def _damaged(path: Path, reason: str) -> StoreError:
    return StoreError(
        f"The store file {path} is damaged ({reason}). It was left untouched; "
        "restore it from a backup or move it away."
    )


def _read_failed(path: Path, exc: OSError) -> StoreError:
    return StoreError(f"Could not read the store file {path}: {exc.strerror or exc}.")


def _write_failed(path: Path, exc: OSError) -> StoreError:
    return StoreError(f"Could not write the store file {path}: {exc.strerror or exc}.")


def read_json(path: Path) -> Any:
    """The parsed content of a store file (for migrations); ``StoreError`` if damaged."""
    try:
        return orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise _damaged(path, f"not valid JSON: {exc}") from None
    except OSError as exc:
        raise _read_failed(path, exc) from None


def write_json(path: Path, obj: Any) -> None:
    """Write a store file atomically (for migrations)."""
    try:
        atomic_write(path, orjson.dumps(obj))
    except OSError as exc:
        raise _write_failed(path, exc) from None


# ---------------------------------------------------------------- TinyDB glue


Stamp = tuple[int, int, int]
#: turns a file's parsed JSON (or ``None`` when the file does not exist) into what the
#: storage caches; raises ``StoreError`` when the content is not what cdtui writes
Loader = Callable[[Path, Any], "dict[str, dict[str, Any]] | None"]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building many acyclic objects (3x faster loads)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _FileStorage(Storage):
    """TinyDB storage over one JSON file: orjson, cached, atomic and deferred writes.

    ``refresh()`` re-reads the file only when its (inode, mtime_ns, size) changed and
    hands the content to ``loader``, which checks it and builds the caller's cache.
    With ``keep=False`` the parsed content is not kept in memory (order files: their
    records are); ``read()`` — used by TinyDB only to modify a table — parses the
    file again then. ``write()`` only records the new content; the store's
    transaction calls ``flush()`` once at its end (one file write however many
    TinyDB operations ran) or ``discard()`` when it fails.
    """

    def __init__(self, path: Path, loader: Loader, *, keep: bool = True) -> None:
        super().__init__()
        self.path = path
        self._loader = loader
        self._keep = keep
        self._stamp: Stamp | None = None
        self._data: dict[str, dict[str, Any]] | None = None
        self.pending: dict[str, dict[str, Any]] | None = None
        #: bumped every time the content seen by this process changes
        self.version = 0
        self.on_dirty: Callable[[_FileStorage], None] | None = None
        self.on_flushed: Callable[[], None] | None = None
        self.on_discarded: Callable[[], None] | None = None

    def _read_file(self) -> tuple[Stamp, Any] | None:
        """(stamp, parsed JSON) of the file as it is now; ``None`` if it does not exist."""
        try:
            with open(self.path, "rb") as fh:
                fst = os.fstat(fh.fileno())
                raw = fh.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise _read_failed(self.path, exc) from None
        with gc_paused():
            try:
                data = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise _damaged(self.path, f"not valid JSON: {exc}") from None
        return (fst.st_ino, fst.st_mtime_ns, fst.st_size), data

    def refresh(self) -> None:
        """Re-read the file if another process (or a user) changed it."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise _read_failed(self.path, exc) from None
        if st is not None and (st.st_ino, st.st_mtime_ns, st.st_size) == self._stamp:
            return
        got = self._read_file() if st is not None else None
        if got is None:
            if self._stamp is not None or self.version == 0:
                self._data, self._stamp = self._loader(self.path, None), None
                self.version += 1
            return
        self._take(*got)

    def _take(self, stamp: Stamp, data: Any) -> None:
        with gc_paused():
            kept = self._loader(self.path, data)
        self._data = kept if self._keep else None
        self._stamp = stamp
        self.version += 1

    def content(self) -> Any:
        """The file's parsed content again, for a ``keep=False`` cache that dropped it.

        When the file changed since it was last loaded, the new content goes through the
        loader first (as ``refresh()`` would), so what is returned always matches what
        the loader last saw. ``None`` when there is no file.
        """
        got = self._read_file()
        if got is None:
            if self._stamp is not None:
                self.refresh()
            return None
        if got[0] != self._stamp:
            self._take(*got)
        return got[1]

    def read(self) -> dict[str, dict[str, Any]] | None:
        if self.pending is not None:
            return dict(self.pending)
        self.refresh()
        if self._keep:
            # A shallow copy: TinyDB replaces whole tables in what read() returns, so
            # the cached content is never changed before it is on disk.
            return dict(self._data) if self._data is not None else None
        got = self._read_file()
        if got is None or got[0] != self._stamp:
            if got is None and self._stamp is None:
                return None
            self.refresh()  # changed since it was checked: check the new content
            return self.read()
        return got[1]  # type: ignore[no-any-return]

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        first = self.pending is None
        self.pending = data
        if first and self.on_dirty is not None:
            self.on_dirty(self)

    def flush(self) -> None:
        """Write the pending content (the caller then fsyncs the folder)."""
        begun = self.begin_flush()
        if begun is None:
            return
        data, payload = begun
        try:
            st = self.write_out(payload)
        except OSError as exc:
            self.flush_failed(exc)
        self.flushed(data, st)

    # ``flush`` in three steps, so that the store can write several files at once:
    # serialising needs the GIL, the write and the fsync (in a worker thread) do not.

    def begin_flush(self) -> tuple[dict[str, dict[str, Any]], bytes] | None:
        """(content, its bytes) to write, or ``None`` when nothing is pending."""
        if self.pending is None:
            return None
        payload = orjson.dumps(self.pending)
        data, self.pending = self.pending, None
        return data, payload

    def seen(self) -> Stamp | None:
        """The identity of the file as this process last read it."""
        return self._stamp

    def check_unchanged(self, seen: Stamp | None) -> None:
        """``StoreError`` if the file changed on disk since it was read as ``seen``."""
        try:
            st = os.stat(self.path)
            now: Stamp | None = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            now = None
        except OSError as exc:
            raise _read_failed(self.path, exc) from None
        if now != seen:
            raise _write_failed(self.path, _ChangedMeanwhile(errno.EAGAIN, _CHANGED_MEANWHILE))

    def write_out(self, payload: bytes) -> os.stat_result:
        """The crash-safe write itself (safe in a worker thread); ``OSError``.

        Never replaces a file that changed since this process read it: whatever
        happened to the lock, another writer's work is not erased.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            st = os.stat(self.path)
            now: Stamp | None = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            now = None
        if now != self._stamp:
            raise _ChangedMeanwhile(errno.EAGAIN, _CHANGED_MEANWHILE)
        atomic_write(self.path, payload, sync_dir=False)
        return os.stat(self.path)

    def flush_failed(self, exc: OSError) -> NoReturn:
        self._stamp = None  # re-read whatever is on disk
        if self.on_discarded is not None:
            self.on_discarded()
        raise _write_failed(self.path, exc) from None

    def flushed(self, data: dict[str, dict[str, Any]], st: os.stat_result) -> None:
        # Under the lock nobody else writes, so this stamp is our content's.
        self._stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        self._data = data if self._keep else None
        self.version += 1
        if self.on_flushed is not None:
            self.on_flushed()

    def discard(self) -> None:
        self.pending = None
        if self.on_discarded is not None:
            self.on_discarded()

    def close(self) -> None:
        pass


class _Table(Table):
    """A TinyDB table keyed by our own string ids (order ids, integration ids)."""

    document_id_class = str  # type: ignore[assignment]

    def put_many(self, docs: Mapping[str, dict[str, Any]]) -> None:
        """Insert or replace documents by id, in one table update."""

        def updater(table: dict[Any, Any]) -> None:
            table.update(docs)

        self._update_table(updater)


class _DB(TinyDB):
    table_class = _Table


def _open_db(storage: _FileStorage) -> _DB:
    return _DB(storage=lambda: storage)


def _check_tables(path: Path, data: Any, allowed: set[str]) -> None:
    if not isinstance(data, dict):
        raise _damaged(path, f"a JSON object was expected, not {type(data).__name__}")
    for name, table in data.items():
        if name not in allowed:
            raise _damaged(path, f"unexpected table {name!r}")
        if not isinstance(table, dict):
            raise _damaged(path, f"table {name!r} is not a JSON object")
        for key, doc in table.items():
            if not isinstance(doc, dict):
                raise _damaged(path, f"entry {key!r} of {name!r} is not a JSON object")


def _schema_version(path: Path, data: Any) -> int:
    meta = data.get(_META_TABLE, {}).get(_META_DOC) if isinstance(data, dict) else None
    version = meta.get("schema_version") if isinstance(meta, dict) else None
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _damaged(path, "no valid schema_version")
    return version


def _newer(path: Path, version: int) -> StoreError:
    return StoreError(
        f"The store in {path.parent} was written by a newer cdtui (schema {version}; this "
        f"one reads up to {SCHEMA_VERSION}). Upgrade cdtui to open it."
    )


def _load_meta(path: Path, data: Any) -> dict[str, dict[str, Any]] | None:
    if data is None:  # the store creates it before anything reads it
        raise StoreError(
            f"The store file {path} disappeared while cdtui was running; restore it "
            "from a backup, or restart cdtui to begin with an empty store."
        )
    version = _schema_version(path, data)
    if version > SCHEMA_VERSION:
        raise _newer(path, version)
    if version < SCHEMA_VERSION:
        raise StoreError(
            f"The store in {path.parent} was changed to an older schema ({version}) while "
            "cdtui was running; restart cdtui."
        )
    _check_tables(path, data, {_META_TABLE, _INTEGRATIONS_TABLE})
    meta = data[_META_TABLE][_META_DOC]
    for key in ("next_integration_id", "order_shards"):
        value = meta.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise _damaged(path, f"no valid {key}")
    return data  # type: ignore[no-any-return]


# ---------------------------------------------------------------- shards


def _order_json(order: Order) -> bytes:
    """The marketplace document as stored, also the input of its digest."""
    return order.__pydantic_serializer__.to_json(order)  # model_dump_json, as bytes


def _digest(order_json: bytes) -> bytes:
    return hashlib.sha256(order_json).digest()[:16]  # SHA-NI: faster than blake2b here


def _record_json(rec: OrderRecord, order_json: bytes) -> bytes:
    """The record's JSON, its order spliced in from bytes already serialised."""
    local = rec.__pydantic_serializer__.to_json(rec, exclude={"order"})
    return b'%s,"order":%s}' % (local[:-1], order_json)


#: per model class, the set of all its field names (shared by its complete instances)
_ALL_FIELDS: dict[type[BaseModel], set[str]] = {}


def _all_fields(cls: type[BaseModel]) -> set[str]:
    full = _ALL_FIELDS.get(cls)
    if full is None:
        full = _ALL_FIELDS[cls] = set(cls.model_fields)
    return full


def _share(model: BaseModel | None) -> None:
    if model is None:
        return
    cls = type(model)
    full = _ALL_FIELDS.get(cls)
    if full is None:
        full = _ALL_FIELDS[cls] = set(cls.model_fields)
    fields_set = model.__pydantic_fields_set__
    if fields_set is not full and fields_set == full:
        object.__setattr__(model, "__pydantic_fields_set__", full)


def _share_fields_sets(rec: OrderRecord) -> None:
    """Let every model of a record that has all its fields set share one set object.

    Pydantic keeps in each instance the set of fields given at validation: ~700
    bytes, times ~15 models per order, 40% of a cached record. Records read back from
    our own files have every field set, so one shared set per class is exact, and it
    stays exact: assigning a field adds a name the set already holds. The walk is
    spelled out (not generic) because it runs for every order of an import.
    """
    _share(rec)
    for model in (rec.label, rec.claim, rec.push, *rec.tracking_events):
        _share(model)
    order = rec.order
    if order.__pydantic_fields_set__ is _ALL_FIELDS.get(Order):
        return  # already walked (the order's own set is shared before its parts)
    _share(order)
    _share(order.sales_channel)
    _share(order.billing_address)
    _share(order.total_price)
    for line in order.lines:
        _share(line)
        _share(line.offer)
        _share(line.selling_price)
        _share(line.delivery)
        _share(line.shipping_address)
        for parcel in line.parcels:
            _share(parcel)


class PreparedOrder(NamedTuple):
    """A fetched order serialised as a new record, as ``Store.prepare_orders`` makes it.

    An import prepares each page of orders as it arrives and keeps these bytes, not
    the page's pydantic models: a third of the memory, nothing for the garbage
    collector to walk, and no models left to compact. The store caches an imported
    order the same way (it can have no claim, label or tracking update yet) until
    something asks for its record.
    """

    order_id: str
    integration_id: str
    seller_id: str
    #: the marketplace's last change (of repeated copies, the newest is kept)
    updated_at: datetime | None
    #: the order as a new record, in the stored JSON
    record_json: bytes
    #: where the order's own JSON starts in ``record_json`` (it ends before the last byte)
    order_at: int

    def order_json(self) -> bytes:
        return self.record_json[self.order_at : -1]


class _Unread(NamedTuple):
    """An order read from its file but not validated yet: one cdtui has not started on
    (no claim, label or tracking update), so nothing but a request for its record needs
    it. A process that syncs from cron reads 10,000 of these, not 10,000 records."""

    order_id: str
    record_json: bytes


#: what a shard caches for an order: its record, an imported order not yet read back,
#: or an order from the file not yet validated
_Stored = OrderRecord | PreparedOrder | _Unread


def _new_record_members(integration_id: str, seller_id: str, now: datetime) -> bytes:
    """The JSON members every new record of a batch shares: all but ``order_id``,
    ``state``, ``attention`` and ``order``, as pydantic writes them (defaults included,
    so a field added to ``OrderRecord`` is in them too)."""
    rec = OrderRecord(
        order_id="",
        integration_id=integration_id,
        seller_id=seller_id,
        order=Order(order_id="", status=""),
        first_seen_at=now,
    )
    members = rec.__pydantic_serializer__.to_json(
        rec, exclude={"order_id", "state", "attention", "order"}
    )
    return members[1:-1]


#: each state as a JSON string
_STATE_JSON = {s: orjson.dumps(s.value) for s in State}


def _prepare(order: Order, integration_id: str, seller_id: str, members: bytes) -> PreparedOrder:
    """One order as a new record: only its id, state and document are its own (no
    record model is built; ``test_store_writes`` checks the result against one)."""
    order_json = _order_json(order)
    state = order_state(order)
    attention = marketplace_attention(order, state)
    head = b'{"order_id":%s,"state":%s,"attention":%s,%s,"order":' % (
        orjson.dumps(order.order_id),
        _STATE_JSON[state],
        b"null" if attention is None else orjson.dumps(attention),
        members,
    )
    return PreparedOrder(
        order.order_id,
        integration_id,
        seller_id,
        order.updated_at,
        b"".join((head, order_json, b"}")),
        len(head),
    )


def _from_prepared(prepared: PreparedOrder) -> OrderRecord:
    """The record of an imported order (JSON this process wrote: it validates)."""
    rec = OrderRecord.model_validate_json(prepared.record_json)
    _share_fields_sets(rec)
    return rec


def _read(path: Path, stored: _Stored) -> OrderRecord:
    """The record of a cached order, validated now if it was not yet."""
    if isinstance(stored, OrderRecord):
        return stored
    if isinstance(stored, PreparedOrder):
        return _from_prepared(stored)
    rec = _validated(path, stored.order_id, orjson.loads(stored.record_json))
    _share_fields_sets(rec)
    return rec


def _exact(data: bytes) -> bytes:
    """A copy of orjson output sized to its content, for bytes kept long: orjson's
    buffer stays allocated whole (8 KB behind a 2 KB order: 75 MB at 10,000 orders)."""
    return memoryview(data).tobytes()


def _started_on(doc: Any) -> bool:
    """Whether a stored document has a claim, a label or a tracking update (or is not
    even an object: it is validated at once then, and reported)."""
    return not isinstance(doc, dict) or any(
        doc.get(key) is not None for key in ("claim", "label", "push")
    )


def _looks_damaged(order_id: str, doc: dict[str, Any]) -> str | None:
    """A cheap check of a record nothing has started on (kept unread for speed): what
    is plainly wrong with it, or None. A full check happens when it is read."""
    if doc.get("order_id") != order_id:
        return "its order_id does not match its key"
    order = doc.get("order")
    if not isinstance(order, dict):
        return "no order document"
    if not isinstance(order.get("lines"), list) or not isinstance(order.get("status"), str):
        return "an order document without lines or status"
    if doc.get("state") not in _STATES:
        return "an unknown state"
    return None


def _in_work(rec: _Stored) -> TypeGuard[OrderRecord]:
    """Whether cdtui has started on the order: a claim, a label or a tracking update."""
    return isinstance(rec, OrderRecord) and (
        rec.claim is not None or rec.label is not None or rec.push is not None
    )


class OrderRow(NamedTuple):
    """One order as list views show it: light, immutable, built without pydantic.

    Read straight from the stored JSON (``Store.order_rows``), so a list of 10,000
    orders costs a fraction of their ``OrderRecord``s. Load the full record with
    ``Store.order`` when an order's detail or a label action needs it.
    """

    order_id: str
    integration_id: str
    seller_id: str
    #: the marketplace reference (the order id when there is none)
    reference: str
    channel_id: str
    #: the channel's name (its id when it has none; empty without a channel)
    channel_name: str
    marketplace_status: str
    state: State
    attention: str | None
    error: str | None
    #: purchase date (creation date when there is none)
    ordered_at: datetime | None
    #: ship-by deadline: the order's, else the earliest of its lines'
    ship_by: datetime | None
    #: name (or company) of the shipping address (billing address when there is none)
    customer: str
    country_code: str | None
    postal_code: str | None
    city: str | None
    #: lines to ship (every line when none is to ship), their total quantity and the
    #: first one's product title (or SKU)
    item_lines: int
    item_quantity: int
    item_title: str | None
    #: has a bought label that is not cancelled
    labelled: bool
    carrier: str | None
    tracking_number: str | None
    tracking_url: str | None
    label_path: str | None
    push_status: str | None


_SHIPPABLE_LINE_STATUSES = (OrderStatus.IN_PREPARATION.value, OrderStatus.CANCEL_REQUEST.value)
_INACTIVE_LABEL = ("cancelled", "queued")
_STATES = {s.value: s for s in State}
_STR: type = str
_OPT_STR = (str, type(None))
_OPT_DT = (datetime, type(None))
#: the type of each ``OrderRow`` field, checked for every row built from a file
_ROW_TYPES: tuple[type | tuple[type, ...], ...] = (
    *(_STR,) * 7,  # order_id … marketplace_status
    State,
    *(_OPT_STR,) * 2,  # attention, error
    *(_OPT_DT,) * 2,  # ordered_at, ship_by
    _STR,  # customer
    *(_OPT_STR,) * 3,  # country_code, postal_code, city
    int,
    int,
    _OPT_STR,  # item_title
    bool,
    *(_OPT_STR,) * 5,  # carrier … push_status
)
_parse_dt = datetime.fromisoformat


def _dt(value: Any) -> datetime | None:
    return None if value is None else _parse_dt(value)


def _row_fields(doc: dict[str, Any]) -> OrderRow:
    """The row of a stored record, read the way pydantic wrote it (every field present).

    Mirrors ``OrderRecord`` / ``Order`` properties (``reference``, ``shippable_lines``,
    ``shipping_address``) and ``Address.name``; raises ``KeyError`` / ``TypeError`` /
    ``ValueError`` / ``AttributeError`` on anything else than what cdtui writes,
    including a shown field of the wrong type.
    """
    order = doc["order"]
    lines = order["lines"]
    shippable = [
        ln
        for ln in lines
        if (ln["offer"]["supply_mode"] or "Seller") == "Seller"
        and ln["status"] in _SHIPPABLE_LINE_STATUSES
    ]
    shown = shippable or lines
    address = None
    for ln in shown:
        if ln["shipping_address"] is not None:
            address = ln["shipping_address"]
            break
    if address is None:
        address = order["billing_address"]
    if address is None:
        customer, country, postal, city = "", None, None, None
    else:
        name = " ".join(p for p in (address["first_name"], address["last_name"]) if p).strip()
        customer = name or address["company_name"] or ""
        country, postal, city = address["country_code"], address["postal_code"], address["city"]
    ship_by = _dt(order["shipped_at_max"])
    if ship_by is None:
        dates = [d for d in (_dt(ln["delivery"]["shipped_at_max"]) for ln in lines) if d]
        ship_by = min(dates) if dates else None
    channel = order["sales_channel"]
    title = None
    if shown:
        offer = shown[0]["offer"]
        title = offer["product_title"] or offer["seller_product_id"]
    label = doc["label"]
    push = doc["push"]
    row = OrderRow(
        order_id=doc["order_id"],
        integration_id=doc["integration_id"],
        seller_id=doc["seller_id"],
        reference=order["reference"] or doc["order_id"],
        channel_id=channel["id"] if channel else "",
        channel_name=(channel["name"] or channel["id"]) if channel else "",
        marketplace_status=order["status"],
        state=_STATES[doc["state"]],
        attention=doc["attention"],
        error=doc["error"],
        ordered_at=_dt(order["purchased_at"] or order["created_at"]),
        ship_by=ship_by,
        customer=customer,
        country_code=country,
        postal_code=postal,
        city=city,
        item_lines=len(shown),
        item_quantity=sum(ln["quantity"] for ln in shown),
        item_title=title,
        labelled=label is not None
        and label["shipment_id"] is not None
        and label["cancel_status"] not in _INACTIVE_LABEL,
        carrier=label["carrier_name"] if label else None,
        tracking_number=label["tracking_number"] if label else None,
        tracking_url=label["tracking_url"] if label else None,
        label_path=label["label_path"] if label else None,
        push_status=push["status"] if push else None,
    )
    for value, kind in zip(row, _ROW_TYPES, strict=True):
        if not isinstance(value, kind):
            raise TypeError(value)
    return row


def _validated(path: Path, order_id: str, doc: Any) -> OrderRecord:
    """The record of a stored document; ``StoreError`` naming the order if invalid."""
    try:
        rec = OrderRecord.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in err["loc"])
        raise _damaged(path, f"order {order_id}: {where}: {err['msg']}") from None
    if rec.order_id != order_id:
        raise _damaged(path, f"order {order_id} is stored as {rec.order_id}")
    return rec


def _order_row(path: Path, order_id: str, doc: dict[str, Any]) -> OrderRow:
    """The row of a stored document. Anything unusual (hand-edited, other spellings)
    is validated by the model and read from its normalised form, so rows and records
    always agree, and an invalid document is reported like ``orders()`` reports it."""
    try:
        if doc["order_id"] == order_id:
            return _row_fields(doc)
    except (KeyError, TypeError, ValueError, AttributeError):
        pass
    rec = _validated(path, order_id, doc)
    return _row_fields(rec.model_dump(mode="json"))


class _Shard:
    """One order file.

    Memory matters at 10,000 orders, so the file's parsed JSON is not kept. Two caches
    are built from it on demand, each in one pass over a fresh parse of the file:
    ``records`` — the validated ``OrderRecord``s (what ``orders()`` hands out and what
    writes work on) plus, once compared, a digest of each marketplace document (what
    ``upsert_orders`` compares: both sides serialised by the same pydantic model, so
    equal documents give equal digests) — and ``rows``, the light ``OrderRow``s of
    list views. A process that only lists orders never validates a record; one that
    only syncs never builds a row. A write re-reads the file (unchanged, as its stamp
    proves) and replaces only the orders that changed, in both caches.

    ``records`` holds a record only where one is needed: an order this process imported
    stays a ``PreparedOrder`` and an order read from the file with no claim, label or
    tracking update an ``_Unread`` (its JSON) until ``record()`` or ``records()`` asks
    for it — so a sync, which only resumes orders in work, validates almost nothing.
    """

    def __init__(self, integration_id: str, path: Path) -> None:
        self.integration_id = integration_id
        self._records: dict[str, _Stored] | None = {}
        #: built only when asked for (a process that never lists pays nothing for them)
        self._rows: dict[str, OrderRow] | None = None
        self.digests: dict[str, bytes] = {}
        #: orders of the file seen damaged when it was loaded: order id -> why
        self.damaged: dict[str, str] = {}
        #: the orders of the file as loaded, until a cache has been built from them
        self._docs: dict[str, Any] | None = None
        #: (records, digests, record JSON by order) of staged content not yet written
        self._staged: tuple[dict[str, _Stored], dict[str, bytes], dict[str, bytes]] | None = None
        self.storage = _FileStorage(path, self._load, keep=False)
        self.storage.on_flushed = self._committed
        self.storage.on_discarded = self._rolled_back
        self.table: _Table = _open_db(self.storage).table(_ORDERS_TABLE)  # type: ignore[assignment]

    @property
    def path(self) -> Path:
        return self.storage.path

    def _load(self, path: Path, data: Any) -> None:
        self.digests = {}
        if data is None:
            self._records, self._rows, self._docs = {}, None, None
            return
        _check_tables(path, data, {_ORDERS_TABLE})
        self._records, self._rows = None, None
        self._docs = data.get(_ORDERS_TABLE, {})

    def _take_docs(self) -> dict[str, Any]:
        """The orders of the file as last loaded, parsed again if they were dropped."""
        docs = self._docs
        if docs is None:
            data = self.storage.content()  # a changed file is loaded: self._docs is set
            docs = self._docs
            if docs is None:
                docs = data.get(_ORDERS_TABLE, {}) if data is not None else {}
        return docs

    def _current_records(self) -> dict[str, _Stored]:
        self.storage.refresh()
        if self._records is None:
            docs = self._take_docs()
            path = self.path
            records: dict[str, _Stored] = {}
            damaged: dict[str, str] = {}
            with gc_paused():
                for order_id, doc in docs.items():
                    if isinstance(doc, dict):
                        why = _looks_damaged(order_id, doc)
                        if why is not None:
                            damaged[order_id] = why
                    if _started_on(doc):
                        rec = _validated(path, order_id, doc)
                        _share_fields_sets(rec)
                        records[order_id] = rec
                    else:  # validated when its record is asked for, or the file written
                        records[order_id] = _Unread(order_id, _exact(orjson.dumps(doc)))
            self._records, self._docs = records, None
            self.damaged = damaged
        return self._records

    def _current_rows(self) -> dict[str, OrderRow]:
        self.storage.refresh()
        if self._rows is None:
            docs = self._take_docs()
            path = self.path
            with gc_paused():
                rows = {oid: _order_row(path, oid, doc) for oid, doc in docs.items()}
            self._rows, self._docs = rows, None
        return self._rows

    def view(self) -> tuple[dict[str, _Stored], dict[str, bytes]]:
        """(cached orders — records, or JSON not read yet —, known order digests) as
        they are now, staged changes included."""
        if self._staged is not None:
            return self._staged[0], self._staged[1]
        return self._current_records(), self.digests

    def record(self, order_id: str) -> OrderRecord | None:
        """One order's record (read now, once, if it was not yet)."""
        stored = self.view()[0]
        rec = stored.get(order_id)
        if rec is not None and not isinstance(rec, OrderRecord):
            rec = stored[order_id] = _read(self.path, rec)
        return rec

    def records(self, *, only_unread: bool = False) -> dict[str, OrderRecord]:
        """Every order's record (those not read yet are read now, once). With
        ``only_unread``, only the orders read from the file are validated (a write's
        check: what this process prepared needs none), and prepared orders remain."""
        stored = self.view()[0]
        kinds = _Unread if only_unread else (_Unread, PreparedOrder)
        pending = [(oid, v) for oid, v in stored.items() if isinstance(v, kinds)]
        if pending:
            path = self.path
            with gc_paused():
                for oid, value in pending:
                    stored[oid] = _read(path, value)
        return stored  # type: ignore[return-value]  # read (unless only_unread)

    def in_work(self) -> list[OrderRecord]:
        """The records of orders cdtui has started on (imported ones are not read)."""
        return [rec for rec in self.view()[0].values() if _in_work(rec)]

    def row_view(self) -> dict[str, OrderRow]:
        """The orders' rows as they are now, staged changes included."""
        if self._staged is not None:
            return {**self._current_rows(), **self._staged_rows()}
        return self._current_rows()

    def _staged_rows(self) -> dict[str, OrderRow]:
        assert self._staged is not None
        path = self.path
        return {
            oid: _order_row(path, oid, orjson.loads(doc_json))
            for oid, doc_json in self._staged[2].items()
        }

    def put(self, entries: dict[str, tuple[bytes, _Stored, bytes | None]]) -> None:
        """Stage orders as (record JSON, record or prepared order, order digest or
        ``None`` when not computed yet); written at the lock's end. Records are cached
        as given, so they must already share their fields sets (``_share_fields_sets``)."""
        # Never rewrite a file holding something else than cdtui wrote: the orders read
        # from it and not yet validated are validated before it is staged.
        self.records(only_unread=True)
        records, digests = self.view()
        staged_json = self._staged[2] if self._staged is not None else {}
        new_digests = dict(digests)
        for oid, (_, _, digest) in entries.items():
            if digest is None:
                new_digests.pop(oid, None)  # computed from the record when next compared
            else:
                new_digests[oid] = digest
        self.table.put_many({oid: orjson.Fragment(e[0]) for oid, e in entries.items()})
        self._staged = (
            {**records, **{oid: e[1] for oid, e in entries.items()}},
            new_digests,
            {**staged_json, **{oid: e[0] for oid, e in entries.items()}},
        )

    def _committed(self) -> None:
        if self._staged is not None:
            if self._rows is not None and (
                not self._rows or len(self._staged[2]) > _ROWS_KEPT_BELOW
            ):
                # a batch (an import): parsing its JSON back here would tax every
                # sync; the rows are rebuilt from the file if a list view asks
                self._rows = None
            elif self._rows is not None:  # keep the rows too (only the orders written)
                try:
                    self._rows = {**self._rows, **self._staged_rows()}
                except (StoreError, KeyError, TypeError, ValueError):  # pragma: no cover
                    self._rows = None  # our own JSON: never; rebuilt from the file then
            self._records, self.digests, _ = self._staged
            self._staged = None

    def _rolled_back(self) -> None:
        self._staged = None


_Listed = TypeVar("_Listed", OrderRecord, OrderRow)


def _by_integration_then_id(views: list[dict[str, _Listed]], integrations: int) -> list[_Listed]:
    """Records or rows by integration (views come integration by integration, as many
    per integration) then order id."""
    rows: list[_Listed] = []
    per_integration = len(views) // max(1, integrations)
    for i in range(integrations):
        part = [
            r
            for view in views[i * per_integration : (i + 1) * per_integration]
            for r in view.values()
        ]
        part.sort(key=lambda r: r.order_id)
        rows.extend(part)
    return rows


def shard_index(order_id: str, shards: int) -> int:
    """Stable across processes and Python versions (unlike ``hash()``)."""
    return zlib.crc32(order_id.encode("utf-8")) % shards


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
        self._dirty: list[_FileStorage] = []
        self._shards: dict[tuple[str, int], _Shard] = {}
        self._integrations_cache: tuple[int, dict[str, Integration]] = (-1, {})
        self._list_cache: dict[str | None, tuple[tuple[Any, ...], list[OrderRecord]]] = {}
        self._rows_cache: dict[str | None, tuple[tuple[Any, ...], list[OrderRow]]] = {}
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StoreError(
                f"Could not create the data folder {self.data_dir}: {exc.strerror or exc}."
            ) from None
        self._lock = _StoreLock(self.data_dir, lock_timeout)
        self._meta = _FileStorage(self.data_dir / "meta.json", _load_meta)
        self._meta.on_dirty = self._mark_dirty
        meta_db = _open_db(self._meta)
        self._meta_table: _Table = meta_db.table(_META_TABLE)  # type: ignore[assignment]
        self._integ_table: _Table = meta_db.table(_INTEGRATIONS_TABLE)  # type: ignore[assignment]
        with self._locked():
            self._open(shards)

    # ------------------------------------------------------------ locking

    def _mark_dirty(self, storage: _FileStorage) -> None:
        self._dirty.append(storage)

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
        folders: set[Path] = set()
        try:
            if len(self._dirty) > 1:
                self._flush_concurrently(folders)
            while self._dirty:
                self._dirty[0].flush()
                folders.add(self._dirty.pop(0).path.parent)
        except BaseException:
            self._rollback()
            raise
        finally:
            for folder in folders:  # make the renames durable, once per folder
                _fsync_dir(folder)

    def _flush_concurrently(self, folders: set[Path]) -> None:
        """Write several files at once: each is serialised here while the files before
        it are written and fsynced by worker threads (fsync releases the GIL), then
        renamed over the old one, as ``atomic_write`` does for a single file. Every
        write is attempted; the first failure is raised once all have ended (files
        that were replaced stay replaced, as when files are written one by one)."""
        dirty = self._dirty
        jobs: list[tuple[_FileStorage, dict[str, dict[str, Any]], Future[os.stat_result]]] = []
        threads = min(_FSYNC_THREADS, len(dirty))
        with ThreadPoolExecutor(threads) as pool:
            for storage in dirty:
                if len(jobs) >= 2 * threads:  # few files' bytes in memory at once
                    wait_futures([jobs[-2 * threads][2]])
                begun = storage.begin_flush()
                if begun is not None:
                    jobs.append((storage, begun[0], pool.submit(storage.write_out, begun[1])))
        # every write has ended here (leaving the pool waits for them)
        dirty.clear()
        error: BaseException | None = None
        for storage, data, future in jobs:
            folders.add(storage.path.parent)
            exc = future.exception()
            if exc is None:
                storage.flushed(data, future.result())
                continue
            try:
                if isinstance(exc, OSError):
                    storage.flush_failed(exc)
                storage.discard()
                raise exc
            except BaseException as failure:  # the first one is raised below
                error = error or failure
        if error is not None:
            raise error

    def _rollback(self) -> None:
        for storage in self._dirty:
            storage.discard()
        self._dirty.clear()

    # ------------------------------------------------------------ open, migrate

    def _open(self, shards: int) -> None:
        self._remove_leftover_temp_files()
        meta_path = self._meta.path
        orders_dir = self.data_dir / "orders"
        if not meta_path.exists():
            if orders_dir.exists() and any(orders_dir.rglob("*.json")):
                raise StoreError(
                    f"The store file {meta_path} is missing while order files exist in "
                    f"{orders_dir}; restore it from a backup or move the data folder away."
                )
            meta = {
                "schema_version": SCHEMA_VERSION,
                "next_integration_id": 1,
                "order_shards": max(1, shards),
                "created_at": iso(self._clock()),
            }
            write_json(meta_path, {_META_TABLE: {_META_DOC: meta}, _INTEGRATIONS_TABLE: {}})
        else:
            version = _schema_version(meta_path, read_json(meta_path))
            if version > SCHEMA_VERSION:
                raise _newer(meta_path, version)
            if version < SCHEMA_VERSION:
                self._migrate(version)
        self._meta.refresh()
        self._remove_orphans(orders_dir)

    def _migrate(self, version: int) -> None:
        stamp = self._clock().strftime("%Y%m%dT%H%M%S")
        backup = self.data_dir / "backups" / f"v{version}-{stamp}"
        n = 1
        while backup.exists():  # never mix two attempts' copies
            n += 1
            backup = backup.with_name(f"v{version}-{stamp}-{n}")
        try:
            backup.mkdir(parents=True, mode=0o700)
            shutil.copy2(self._meta.path, backup / "meta.json")
            orders_dir = self.data_dir / "orders"
            if orders_dir.exists():
                shutil.copytree(orders_dir, backup / "orders", dirs_exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"Could not back up the store to {backup} before upgrading it: "
                f"{exc.strerror or exc}; nothing was changed."
            ) from None
        log.info(
            "migrating the store from schema %s to %s (backup in %s)",
            version,
            SCHEMA_VERSION,
            backup,
        )
        for v in range(version, SCHEMA_VERSION):
            step = MIGRATIONS.get(v)
            if step is None:
                raise StoreError(f"This cdtui cannot upgrade a store at schema {v}.")
            step(self.data_dir)
            raw = read_json(self._meta.path)
            raw[_META_TABLE][_META_DOC]["schema_version"] = v + 1
            write_json(self._meta.path, raw)

    def _remove_leftover_temp_files(self) -> None:
        """Temp files of a writer that crashed (we hold the lock: none is in use)."""
        for tmp in self.data_dir.rglob(f".*{_TMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                tmp.unlink()

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
        doc = self._meta_table.get(doc_id=_META_DOC)  # type: ignore[arg-type]
        if doc is None:  # pragma: no cover - _load_meta checked it is there
            raise _damaged(self._meta.path, "no store metadata")
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
                raise _damaged(
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
            meta = self._meta_doc()
            next_id = meta["next_integration_id"]
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
            meta["next_integration_id"] = int(new_id) + 1
            self._meta_table.put_many({_META_DOC: meta})
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
            shutil.rmtree(self.data_dir / "orders" / integration_id, ignore_errors=True)
            self._list_cache.clear()
            self._rows_cache.clear()
        return removed

    # ------------------------------------------------------------ orders

    def _shard(self, integration_id: str, index: int) -> _Shard:
        key = (integration_id, index)
        shard = self._shards.get(key)
        if shard is None:
            path = self.data_dir / "orders" / integration_id / f"{index:03d}.json"
            shard = _Shard(integration_id, path)
            shard.storage.on_dirty = self._mark_dirty
            self._shards[key] = shard
        return shard

    def _integration_ids(self, integration_id: str | None) -> list[str]:
        """The one integration asked for (``NotFoundLocally`` if unknown), else all."""
        if integration_id is None:
            return list(self._integrations())
        self._require_integration(integration_id)
        return [str(integration_id)]

    @_synchronized
    def damaged(self, integration_id: str | None = None) -> list[str]:
        """What is plainly wrong with the records the last read of each file found (a
        sync reports it: a damaged record is never silently skipped)."""
        found = []
        for iid in self._integration_ids(integration_id):
            for shard in self._integration_shards(iid):
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

    def prepare_orders(
        self, integration_id: str, seller_id: str, orders: Iterable[Order]
    ) -> list[PreparedOrder]:
        """Serialise fetched orders for ``upsert_orders``: no lock and no file, so an
        import calls it as each page arrives and lets the page's models go."""
        integration_id = str(integration_id)
        members = _new_record_members(integration_id, seller_id, self._clock())
        return [_prepare(order, integration_id, seller_id, members) for order in orders]

    def upsert_orders(
        self, integration_id: str, seller_id: str, orders: Iterable[Order | PreparedOrder]
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
        batch: dict[str, PreparedOrder] = {}
        for order in orders:  # a repeated order (paging overlap): the last one wins
            if not isinstance(order, PreparedOrder):
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
        batch: dict[str, PreparedOrder],
        count: int,
        result: UpsertResult,
    ) -> None:
        """A new order is staged as prepared; a known one is compared by digest and,
        if its document changed, read back into a model and merged into its record."""
        views: dict[int, tuple[_Shard, dict[str, _Stored], dict[str, bytes]]] = {}
        staged: dict[int, dict[str, tuple[bytes, _Stored, bytes | None]]] = {}
        changed = result.changed_ids
        for order_id, new in batch.items():
            index = shard_index(order_id, count)
            view = views.get(index)
            if view is None:
                shard = self._shard(integration_id, index)
                view = views[index] = (shard, *shard.view())
            stored, digests = view[1], view[2]
            old = stored.get(order_id)
            entry: tuple[bytes, _Stored, bytes | None]
            if old is None:
                # no digest yet: computed when a later batch brings the order again
                entry = (new.record_json, new, None)
                result.imported += 1
            else:
                order_json = new.order_json()
                digest = _digest(order_json)
                known = digests.get(order_id)
                if isinstance(old, _Unread):
                    old = stored[order_id] = _read(view[0].path, old)
                if known is None:  # first comparison since the file was read
                    known = digests[order_id] = _digest(
                        old.order_json()
                        if isinstance(old, PreparedOrder)
                        else _order_json(old.order)
                    )
                if known == digest:
                    result.unchanged += 1
                    continue
                if isinstance(old, PreparedOrder):
                    old = stored[order_id] = _from_prepared(old)
                rec = old.model_copy(update={"order": Order.model_validate_json(order_json)})
                fields = rec.__dict__  # straight in: plain values of the declared types
                fields["state"], fields["attention"] = derive_state(rec)
                _share_fields_sets(rec)
                entry = (_record_json(rec, order_json), rec, digest)
                result.updated += 1
            entries = staged.get(index)
            if entries is None:
                entries = staged[index] = {}
            entries[order_id] = entry
            changed.append(order_id)
        for index, entries in staged.items():
            views[index][0].put(entries)

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
    ) -> list[OrderRow]:
        """The orders as light rows for list views, in ``orders()``'s order.

        Much cheaper than ``orders()`` (no pydantic model is built) and cached per file
        version; a later call re-reads only the files another process changed.
        """
        ids = self._integration_ids(integration_id)
        shards = [s for iid in ids for s in self._integration_shards(iid)]
        with gc_paused():  # one deferred collection instead of one per file
            views = [s.row_view() for s in shards]  # re-reads the files that changed
        key = (tuple(ids), *(s.storage.version for s in shards))
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
            doc_json = _record_json(new, order_json)
            stored = OrderRecord.model_validate_json(doc_json)  # our own copy, checked
            _share_fields_sets(stored)
            shard.storage.check_unchanged(seen)
            shard.put({order_id: (doc_json, stored, _digest(order_json))})
        return new

    @_synchronized
    def orders_in_work(self, *, integration_id: str | None = None) -> list[OrderRecord]:
        """Orders cdtui has started on — a label claim, a label or a tracking update —
        by integration then order id (shared snapshots: do not mutate).

        What a sync resumes. Orders imported and untouched since are skipped without
        being read into records, so this stays cheap right after a large import.
        """
        ids = self._integration_ids(integration_id)
        found: list[OrderRecord] = []
        for iid in ids:
            part = [r for shard in self._integration_shards(iid) for r in shard.in_work()]
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
    "OrderRow",
    "PreparedOrder",
    "Store",
    "UpsertResult",
    "atomic_write",
    "gc_paused",
    "read_json",
    "shard_index",
    "write_json",
]
