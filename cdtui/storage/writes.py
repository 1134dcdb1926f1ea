"""What a locked transaction of the store writes, written once at its end, in order.

Inside the store's lock, TinyDB operations only stage content (``_FileStorage.write``).
When the outermost transaction ends, ``PendingWrites.flush`` writes every staged file
once — several order files at once, each serialised while the ones before it are
written and fsynced by worker threads — then brings the sync index of each integration
whose order files were read or written up to date (``index.py``) and writes it, then
fsyncs each folder once. A failed file write rolls the transaction back (files already
replaced stay replaced, as when files are written one by one); a failed index write is
only logged (the index is made again later).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from pathlib import Path
from typing import Any

from cdtui.storage.files import fsync_dir
from cdtui.storage.index import OrderIndex
from cdtui.storage.shards import _Shard
from cdtui.storage.tinyfile import Stamp, _FileStorage

log = logging.getLogger(__name__)

#: order files fsynced at once by a write that touches several (fsync frees the GIL)
_FSYNC_THREADS = 4


class PendingWrites:
    """The files staged by the current transaction and the order files it touched."""

    def __init__(self) -> None:
        self.dirty: list[_FileStorage] = []
        #: order files read or written under the lock, by (integration id, number):
        #: their sync index groups are brought up to date when the transaction ends
        self.touched: dict[tuple[str, int], _Shard] = {}

    def mark_dirty(self, storage: _FileStorage) -> None:
        self.dirty.append(storage)

    def flush(self, index_of: Callable[[str], OrderIndex]) -> None:
        """Write everything staged, then the sync indexes (``index_of(integration)``)."""
        touched = [
            (key, shard, shard.storage.seen(), shard.staged_ids())
            for key, shard in self.touched.items()
        ]
        self.touched = {}
        folders: set[Path] = set()
        try:
            if len(self.dirty) > 1:
                self._flush_concurrently(folders)
            while self.dirty:
                self.dirty[0].flush()
                folders.add(self.dirty.pop(0).path.parent)
            _update_indexes(touched, index_of, folders)
        except BaseException:
            self.rollback()
            raise
        finally:
            for folder in folders:  # make the renames durable, once per folder
                fsync_dir(folder)

    def rollback(self) -> None:
        for storage in self.dirty:
            storage.discard()
        self.dirty.clear()
        self.touched = {}

    def _flush_concurrently(self, folders: set[Path]) -> None:
        """Write several files at once: each is serialised here while the files before
        it are written and fsynced by worker threads (fsync releases the GIL), then
        renamed over the old one, as ``atomic_write`` does for a single file. Every
        write is attempted; the first failure is raised once all have ended (files
        that were replaced stay replaced, as when files are written one by one)."""
        dirty = self.dirty
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


def _update_indexes(
    touched: list[tuple[tuple[str, int], _Shard, Stamp | None, list[str]]],
    index_of: Callable[[str], OrderIndex],
    folders: set[Path],
) -> None:
    """After the order files are written: their groups in the sync index, then the
    indexes that changed (a failure is logged; the index is made again later)."""
    indexes: dict[str, OrderIndex] = {}
    for (iid, number), shard, before, written in touched:
        index = indexes.get(iid)
        if index is None:
            index = indexes[iid] = index_of(iid)
        index.update_group(number, shard, before, written)
    for index in indexes.values():
        if not index.dirty:
            continue
        try:
            index.save()
            folders.add(index.path.parent)
        except OSError as exc:
            log.warning("could not write the sync index %s: %s", index.path, exc)
            index.forget()
