"""Order files: one ``_Shard`` per file, with the caches built from it.

Orders are sharded per integration over ``DEFAULT_SHARDS`` files by a stable hash of
the order id (``shard_index``), so saving one label rewrites one small file. A shard
never keeps its file's parsed JSON; it builds, on demand and each in one pass over a
fresh parse, the validated records (what writes work on) and the summaries of list
views. See ``_Shard`` for what is cached when.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple, TypeGuard, TypeVar

import orjson
from pydantic import ValidationError

from cdtui.errors import StoreError
from cdtui.models import OrderRecord
from cdtui.orders.enums import State
from cdtui.orders.summary import OrderSummary, summarize_record, summary_from_json
from cdtui.storage.fastmodels import (
    PreparedOrder,
    _digest,
    _from_prepared,
    _order_json,
    _share_fields_sets,
    _summary_json,
)
from cdtui.storage.files import damaged_file, gc_paused
from cdtui.storage.index import Entry, entry
from cdtui.storage.rowsfile import read_rows, rows_path, write_rows
from cdtui.storage.tinyfile import (
    Stamp,
    _check_tables,
    _FileStorage,
    _open_db,
    _Table,
    file_stamp,
)

log = logging.getLogger(__name__)

_ORDERS_TABLE = "orders"
#: a write of fewer orders than this to a file updates its cached rows in place; a
#: larger one (an import) drops them, to be rebuilt from the file when next listed
_ROWS_KEPT_BELOW = 32
_STATES = frozenset(s.value for s in State)


class _Unread(NamedTuple):
    """An order read from its file but not validated yet: one cdtui has not started on
    (no claim, label or tracking update), so nothing but a request for its record needs
    it. A process that syncs from cron reads 10,000 of these, not 10,000 records."""

    order_id: str
    record_json: bytes


#: what a shard caches for an order: its record, an imported order not yet read back,
#: or an order from the file not yet validated
_Stored = OrderRecord | PreparedOrder | _Unread
#: an order staged for writing: (record JSON, what to cache, order digest or ``None``
#: when not computed yet, summary JSON — also in the record JSON, kept for the rows file)
Staging = tuple[bytes, _Stored, bytes | None, bytes]


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


def _validated(path: Path, order_id: str, doc: Any) -> OrderRecord:
    """The record of a stored document; ``StoreError`` naming the order if invalid."""
    try:
        rec = OrderRecord.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in err["loc"])
        raise damaged_file(path, f"order {order_id}: {where}: {err['msg']}") from None
    if rec.order_id != order_id:
        raise damaged_file(path, f"order {order_id} is stored as {rec.order_id}")
    return rec


def _summary_of(path: Path, order_id: str, doc: dict[str, Any]) -> OrderSummary:
    """The summary stored beside a record, as written (nothing is derived). A record
    whose summary is missing, unreadable or of another ``SUMMARY_VERSION`` gets one
    built from the record; a plainly damaged record is validated, so it is reported
    like ``orders()`` reports it. (A record edited by hand keeps the summary it was
    written with: drop ``summary`` from it to have it built again.)"""
    if _looks_damaged(order_id, doc) is None:
        try:
            summary = summary_from_json(doc["summary"])
        except (KeyError, TypeError, ValueError, AttributeError):
            pass
        else:
            if summary.order_id == order_id:
                return summary
    return summarize_record(_validated(path, order_id, doc))


class _Shard:
    """One order file.

    Memory matters at 10,000 orders, so the file's parsed JSON is not kept. Two caches
    are built from it on demand, each in one pass over a fresh parse of the file:
    ``records`` — the validated ``OrderRecord``s (what ``orders()`` hands out and what
    writes work on) plus, once compared, a digest of each marketplace document (what
    ``upsert_orders`` compares: both sides serialised by the same pydantic model, so
    equal documents give equal digests) — and ``rows``, the ``OrderSummary``s stored
    beside the records, for list views. A process that only lists orders never
    validates a record; one that only syncs never builds a row. A write re-reads the
    file (unchanged, as its stamp proves) and replaces only the orders that changed, in
    both caches.

    ``records`` holds a record only where one is needed: an order this process imported
    stays a ``PreparedOrder`` and an order read from the file with no claim, label or
    tracking update an ``_Unread`` (its JSON) until ``record()`` or ``records()`` asks
    for it — so a sync, which only resumes orders in work, validates almost nothing.
    """

    def __init__(self, integration_id: str, path: Path) -> None:
        self.integration_id = integration_id
        self._records: dict[str, _Stored] | None = {}
        #: built only when asked for (a process that never lists pays nothing for them),
        #: from the rows file when it matches the order file, else from the order file
        self._rows: dict[str, OrderSummary] | None = None
        #: the order file's stamp ``_rows`` were taken from (``None``: not known)
        self._rows_stamp: Stamp | None = None
        #: bumped whenever ``_rows`` is replaced (list caches compare it)
        self.rows_version = 0
        self.digests: dict[str, bytes] = {}
        #: orders of the file seen damaged when it was loaded: order id -> why
        self.damaged: dict[str, str] = {}
        #: the orders of the file as loaded, until a cache has been built from them
        self._docs: dict[str, Any] | None = None
        #: (records, digests, record JSON by order, summary JSON by order) of staged
        #: content not yet written
        self._staged: (
            tuple[dict[str, _Stored], dict[str, bytes], dict[str, bytes], dict[str, bytes]] | None
        ) = None
        self.storage = _FileStorage(path, self._load, keep=False)
        self.storage.on_flushed = self._committed
        self.storage.on_discarded = self._rolled_back
        self.table: _Table = _open_db(self.storage).table(_ORDERS_TABLE)  # type: ignore[assignment]

    @property
    def path(self) -> Path:
        return self.storage.path

    @property
    def loaded(self) -> bool:
        """Whether this process has read the file (or seen that there is none)."""
        return self.storage.version > 0

    @property
    def staged(self) -> bool:
        """Whether changes of the current transaction wait to be written."""
        return self._staged is not None

    def staged_ids(self) -> list[str]:
        return list(self._staged[2]) if self._staged is not None else []

    def index_entries(
        self, order_ids: Iterable[str] | None = None
    ) -> tuple[int, dict[str, Entry]] | None:
        """(how many orders cdtui has started on, the sync index entries of ``order_ids``
        — of every order when ``None``) as the file holds them now; ``None`` when the
        file was seen damaged or an order of it does not validate (no group then)."""
        stored = self.view()[0]
        if self.damaged:
            return None
        work = sum(1 for value in stored.values() if _in_work(value))
        entries: dict[str, Entry] = {}
        digests = self.digests
        for oid in stored if order_ids is None else order_ids:
            value = stored[oid]
            if isinstance(value, PreparedOrder):
                entries[oid] = entry(value.updated_at, value.digest)
                continue
            if isinstance(value, _Unread):
                try:
                    value = _read(self.path, value)  # checked, not kept: memory
                except StoreError:
                    return None
            digest = digests.get(oid)
            if digest is None:
                digest = digests[oid] = _digest(_order_json(value.order))
            entries[oid] = entry(value.order.updated_at, digest)
        return work, entries

    def _load(self, path: Path, data: Any) -> None:
        self.digests = {}
        self._set_rows(None, None)
        if data is None:
            self._records, self._docs = {}, None
            return
        _check_tables(path, data, {_ORDERS_TABLE})
        self._records = None
        self._docs = data.get(_ORDERS_TABLE, {})

    def _set_rows(self, rows: dict[str, OrderSummary] | None, stamp: Stamp | None) -> None:
        self._rows, self._rows_stamp = rows, stamp
        self.rows_version += 1

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
                        summary = doc.pop("summary", None)  # not part of the record
                        records[order_id] = _Unread(order_id, _exact(orjson.dumps(doc)))
                        if summary is not None:
                            doc["summary"] = summary
            self._records, self._docs = records, None
            self.damaged = damaged
        return self._records

    def _current_rows(self) -> dict[str, OrderSummary]:
        """The summaries of the file as it is now: cached, else from its rows file when
        that matches the file's content (``rowsfile``), else from the file itself."""
        stamp = file_stamp(self.path)
        if self._rows is not None and self._rows_stamp == stamp:
            return self._rows
        rows: dict[str, OrderSummary] | None = {}
        if stamp is not None:  # else no file (yet, or any more): no orders
            with gc_paused():
                rows = read_rows(self.path, stamp)
        if rows is not None:
            self._set_rows(rows, stamp)
            return rows
        self.storage.refresh()
        if self._rows is None or self._rows_stamp != self.storage.seen():
            docs = self._take_docs()
            path = self.path
            with gc_paused():
                rows = {oid: _summary_of(path, oid, doc) for oid, doc in docs.items()}
            self._docs = None
            self._set_rows(rows, self.storage.seen())
            self._write_missing_rows_file(rows)
        return self._rows

    def _write_missing_rows_file(self, rows: dict[str, OrderSummary]) -> None:
        """Give an order file read for its rows the rows file it lacked (a store from an
        older cdtui, a file rewritten by a migration or by hand), so the next listing
        does not parse it again. No lock is needed: the rows file carries the stamp of
        the content read, so if a writer replaced the order file meanwhile, this one is
        simply not believed."""
        stamp = self.storage.seen()
        if stamp is None or self._staged is not None or self.damaged:
            return
        try:
            summaries = {oid: orjson.Fragment(_summary_json(r)) for oid, r in rows.items()}
            write_rows(self.path, stamp, summaries)
        except OSError as exc:  # a cache: a read-only folder only costs speed
            log.debug("could not write %s: %s", rows_path(self.path), exc)

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

    def row_view(self) -> dict[str, OrderSummary]:
        """The orders' rows as they are now, staged changes included."""
        if self._staged is not None:
            return {**self._current_rows(), **self._staged_rows()}
        return self._current_rows()

    def _staged_rows(self) -> dict[str, OrderSummary]:
        assert self._staged is not None
        path = self.path
        return {
            oid: _summary_of(path, oid, orjson.loads(doc_json))
            for oid, doc_json in self._staged[2].items()
        }

    def put(self, entries: dict[str, Staging]) -> None:
        """Stage orders (``Staging``); written at the lock's end. Records are cached as
        given, so they must already share their fields sets (``_share_fields_sets``)."""
        # Never rewrite a file holding something else than cdtui wrote: the orders read
        # from it and not yet validated are validated before it is staged.
        self.records(only_unread=True)
        if self._rows is not None and self._rows_stamp != self.storage.seen():
            self._set_rows(None, None)  # of another content: not a base to update
        records, digests = self.view()
        staged_json = self._staged[2] if self._staged is not None else {}
        staged_summaries = self._staged[3] if self._staged is not None else {}
        new_digests = dict(digests)
        for oid, (_, _, digest, _) in entries.items():
            if digest is None:
                new_digests.pop(oid, None)  # computed from the record when next compared
            else:
                new_digests[oid] = digest
        self.table.put_many({oid: orjson.Fragment(e[0]) for oid, e in entries.items()})
        self._staged = (
            {**records, **{oid: e[1] for oid, e in entries.items()}},
            new_digests,
            {**staged_json, **{oid: e[0] for oid, e in entries.items()}},
            {**staged_summaries, **{oid: e[3] for oid, e in entries.items()}},
        )

    def _committed(self, data: dict[str, dict[str, Any]]) -> None:
        if self._staged is None:
            return
        records, digests, _, summaries = self._staged
        stamp = self.storage.seen()
        if self._rows is not None and (not self._rows or len(summaries) > _ROWS_KEPT_BELOW):
            # a batch (an import): parsing its JSON back here would tax every sync; a
            # list view reads the rows file written below
            self._set_rows(None, None)
        elif self._rows is not None:  # keep the rows too (only the orders written)
            try:
                self._set_rows({**self._rows, **self._staged_rows()}, stamp)
            except (StoreError, KeyError, TypeError, ValueError):  # pragma: no cover
                self._set_rows(None, None)  # our own JSON: never; rebuilt from the file
        self._records, self.digests = records, digests
        self._staged = None
        self._write_rows_file(data, summaries, stamp)

    def _write_rows_file(
        self, data: dict[str, dict[str, Any]], summaries: dict[str, bytes], stamp: Stamp | None
    ) -> None:
        """The rows file of the content just written: the summaries of the orders written
        now (``summaries``) and, for the others, the summary their stored record holds."""
        docs = data.get(_ORDERS_TABLE)
        if stamp is None or not isinstance(docs, dict):
            return
        rows: dict[str, Any] = {}
        for oid, doc in docs.items():
            summary = summaries.get(oid)
            if summary is not None:
                rows[oid] = orjson.Fragment(summary)
            elif isinstance(doc, dict) and "summary" in doc:
                rows[oid] = doc["summary"]
            else:  # a record without its summary: list views read the order file
                return
        try:
            write_rows(self.path, stamp, rows)
        except OSError as exc:  # a cache: the order file, written, is what counts
            log.warning("could not write %s: %s", rows_path(self.path), exc)

    def _rolled_back(self) -> None:
        self._staged = None


_Listed = TypeVar("_Listed", OrderRecord, OrderSummary)


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
