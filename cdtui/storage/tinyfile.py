"""TinyDB over cdtui's files: one JSON file per storage, orjson, cached, written once.

``_FileStorage`` is the TinyDB ``Storage`` of every store file (``meta.json`` and each
order file). It re-reads its file only when the file's identity — (inode, mtime_ns,
size), its *stamp* — changed, so processes see each other's writes; it defers writes
to one ``flush()`` per locked transaction; and it never replaces a file whose stamp
changed since it was read. ``_Table`` keys documents by our own string ids.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NoReturn

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from cdtui.storage.files import atomic_write, damaged_file, gc_paused, read_failed, write_failed


class _ChangedMeanwhile(OSError):
    """A store file changed on disk between its read and its replacement."""


_CHANGED_MEANWHILE = "another process changed it since it was read; nothing was written, try again"


Stamp = tuple[int, int, int]
#: turns a file's parsed JSON (or ``None`` when the file does not exist) into what the
#: storage caches; raises ``StoreError`` when the content is not what cdtui writes
Loader = Callable[[Path, Any], "dict[str, dict[str, Any]] | None"]


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
        #: called with the content written, once it is on disk
        self.on_flushed: Callable[[dict[str, dict[str, Any]]], None] | None = None
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
            raise read_failed(self.path, exc) from None
        with gc_paused():
            try:
                data = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise damaged_file(self.path, f"not valid JSON: {exc}") from None
        return (fst.st_ino, fst.st_mtime_ns, fst.st_size), data

    def refresh(self) -> None:
        """Re-read the file if another process (or a user) changed it."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise read_failed(self.path, exc) from None
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
            raise read_failed(self.path, exc) from None
        if now != seen:
            raise write_failed(self.path, _ChangedMeanwhile(errno.EAGAIN, _CHANGED_MEANWHILE))

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
        raise write_failed(self.path, exc) from None

    def flushed(self, data: dict[str, dict[str, Any]], st: os.stat_result) -> None:
        # Under the lock nobody else writes, so this stamp is our content's.
        self._stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        self._data = data if self._keep else None
        self.version += 1
        if self.on_flushed is not None:
            self.on_flushed(data)

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
        raise damaged_file(path, f"a JSON object was expected, not {type(data).__name__}")
    for name, table in data.items():
        if name not in allowed:
            raise damaged_file(path, f"unexpected table {name!r}")
        if not isinstance(table, dict):
            raise damaged_file(path, f"table {name!r} is not a JSON object")
        for key, doc in table.items():
            if not isinstance(doc, dict):
                raise damaged_file(path, f"entry {key!r} of {name!r} is not a JSON object")


def file_stamp(path: Path) -> Stamp | None:
    """The identity of a file as it is now; ``None`` when it does not exist."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise read_failed(path, exc) from None
    return (st.st_ino, st.st_mtime_ns, st.st_size)
