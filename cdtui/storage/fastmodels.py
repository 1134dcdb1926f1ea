"""Every serialisation shortcut of the store (around pydantic), each with its benchmark.

The store's models are plain pydantic (``cdtui/models.py``); this module is the only
one that reaches past their public API. Each trick exists because a benchmark row
moved with it; if a pydantic upgrade breaks one, the tests in
``tests/unit/test_store_writes.py`` (bytes equal to ``model_dump_json``, records equal
to ``model_validate``) fail first, and the row named below says what is at stake.

- ``_order_json`` / ``_record_json`` — ``__pydantic_serializer__.to_json`` gives the
  JSON as bytes (``model_dump_json`` builds a str that would be encoded again), and a
  record's JSON splices in its order's bytes, so a write serialises the order once for
  both the file and its digest. Rows: ``benchmarks/bench_store.py`` "update_order:
  label saved" and "no-op upsert of the same orders"; ``benchmarks/run.py`` "save one
  label's result" (< 30 ms).
- ``PreparedOrder`` / ``_new_record_members`` / ``_prepare`` — a new record's JSON is
  written by hand around the order's bytes (the members every record of a batch
  shares are serialised once, by pydantic, so defaults stay pydantic's): an import
  builds no ``OrderRecord`` and keeps bytes, not models, per page. Rows:
  ``benchmarks/run.py`` "import 10,000 orders vs fetching the same pages" (≤ 1.3×)
  and its "of which the store" line; ``bench_store.py`` "upsert of new orders".
- ``KnownOrder`` — an order the sync index vouches for is only serialised for its
  digest: no summary, no state, no record JSON. Row: ``benchmarks/run.py`` "sync that
  finds nothing new" (< 150 ms).
- ``_summary_json`` — the summary stored beside each record is serialised by orjson
  from the NamedTuple itself (datetimes and the state enum natively) instead of going
  through ``OrderSummary.as_json()``: 3 µs instead of 12 per order. Row:
  ``benchmarks/run.py`` "import 10,000 orders vs fetching the same pages" (≤ 1.3×).
- ``_share_fields_sets`` / ``_ALL_FIELDS`` — writes ``__pydantic_fields_set__``: the
  models of a record that have every field set share one set object per class (40%
  of a cached record). Rows: ``benchmarks/run.py`` "peak memory, import + list
  10,000 orders" (< 200 MB); ``bench_store.py`` "RSS holding every record".
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import NamedTuple

import orjson
from pydantic import BaseModel

from cdtui.models import Order, OrderRecord
from cdtui.orders.enums import State
from cdtui.orders.states import marketplace_attention, order_state
from cdtui.orders.summary import SUMMARY_VERSION, OrderSummary, summarize


def _order_json(order: Order) -> bytes:
    """The marketplace document as stored, also the input of its digest."""
    return order.__pydantic_serializer__.to_json(order)  # model_dump_json, as bytes


def _summary_json(summary: OrderSummary) -> bytes:
    """The summary as stored beside its record: the bytes of ``summary.as_json()``,
    written by orjson straight from the tuple (its datetimes as ``isoformat`` writes
    them, the state as its value; ``test_store_writes`` checks they are the same)."""
    return orjson.dumps((SUMMARY_VERSION, *summary))


def _digest(order_json: bytes) -> bytes:
    """What the store compares of two copies of an order: both serialised by the same
    model, equal documents give equal digests."""
    return hashlib.sha256(order_json).digest()[:16]  # SHA-NI: faster than blake2b here


def _record_json(rec: OrderRecord, order_json: bytes, summary_json: bytes) -> bytes:
    """The record's JSON, its summary (``_summary_json``) then its order (always last)
    spliced in, both from bytes already serialised."""
    local = rec.__pydantic_serializer__.to_json(rec, exclude={"order"})
    return b'%s,"summary":%s,"order":%s}' % (local[:-1], summary_json, order_json)


#: per model class, the set of all its field names (shared by its complete instances)
_ALL_FIELDS: dict[type[BaseModel], set[str]] = {}


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
    #: ``_digest`` of the order's JSON (what upserts compare and the sync index keeps)
    digest: bytes
    #: where the summary's JSON starts in ``record_json`` (``,"order":`` follows it)
    summary_at: int

    def order_json(self) -> bytes:
        return self.record_json[self.order_at : -1]

    def summary_json(self) -> bytes:
        return self.record_json[self.summary_at : self.order_at - len(_ORDER_KEY)]


class KnownOrder(NamedTuple):
    """A fetched order the sync index already holds as it is (same ``updatedAt``, same
    digest) when ``Store.prepare_orders`` looked: no record JSON is made for it — in a
    sync that finds nothing new, that is every order. ``upsert_orders`` checks again
    under the lock and prepares it then if its file changed meanwhile."""

    order_id: str
    integration_id: str
    seller_id: str
    updated_at: datetime | None
    digest: bytes
    order: Order


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


#: what separates a stored record's summary from its order (the last member)
_ORDER_KEY = b',"order":'
#: each state as a JSON string
_STATE_JSON = {s: orjson.dumps(s.value) for s in State}


def _prepare(
    order: Order,
    integration_id: str,
    seller_id: str,
    members: bytes,
    order_json: bytes | None = None,
    digest: bytes | None = None,
) -> PreparedOrder:
    """One order as a new record: only its id, state, summary and document are its own
    (no record model is built; ``test_store_writes`` checks the result against one).
    ``order_json`` and ``digest``: the order's ``_order_json`` and its ``_digest`` when
    already made."""
    if order_json is None:
        order_json = _order_json(order)
    if digest is None:
        digest = _digest(order_json)
    state = order_state(order)
    attention = marketplace_attention(order, state)
    summary = summarize(
        order,
        order_id=order.order_id,
        integration_id=integration_id,
        seller_id=seller_id,
        state=state,
        attention=attention,
    )
    start = b'{"order_id":%s,"state":%s,"attention":%s,%s,"summary":' % (
        orjson.dumps(order.order_id),
        _STATE_JSON[state],
        b"null" if attention is None else orjson.dumps(attention),
        members,
    )
    summary_json = _summary_json(summary)
    return PreparedOrder(
        order.order_id,
        integration_id,
        seller_id,
        order.updated_at,
        b"".join((start, summary_json, _ORDER_KEY, order_json, b"}")),
        len(start) + len(summary_json) + len(_ORDER_KEY),
        digest,
        len(start),
    )


def _from_prepared(prepared: PreparedOrder) -> OrderRecord:
    """The record of an imported order (JSON this process wrote: it validates)."""
    rec = OrderRecord.model_validate_json(prepared.record_json)
    _share_fields_sets(rec)
    return rec
