"""The rows file beside each order file: its orders' summaries alone, for list views.

An order file holds whole records (~2 KB an order); a list view needs only their
summaries (~300 bytes). Parsing 22 MB of order files to show the inbox took most of its
first paint, so every write of an order file also writes ``NNN.rows`` beside it: the
summaries of the file's orders, stamped with the identity — (inode, mtime_ns, size) —
of the order file they were taken from, and with a CRC of their bytes.

The rows file is a cache, never the truth: it is used only when its stamp is the order
file's stamp as it is now, its ``SUMMARY_VERSION`` is this cdtui's, its CRC holds and
every summary reads back; anything else (an older cdtui, a crash between the two
writes, a hand-edited order file, a torn write) and the order file is read as before.
That is also why it is written without fsync: losing it costs one slower load.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from cdtui.orders.summary import SUMMARY_VERSION, OrderSummary, summary_from_json
from cdtui.storage.files import atomic_write
from cdtui.storage.tinyfile import Stamp

#: the rows file of ``NNN.json`` is ``NNN.rows`` (not ``.json``: the app watches those)
ROWS_SUFFIX = ".rows"


def rows_path(order_file: Path) -> Path:
    return order_file.with_suffix(ROWS_SUFFIX)


def write_rows(order_file: Path, stamp: Stamp, summaries: Mapping[str, Any]) -> None:
    """Write the rows file of ``order_file``, whose content now has ``stamp``:
    ``summaries`` maps each order id to its stored summary (its JSON array, parsed or as
    an ``orjson.Fragment``). Raises ``OSError``."""
    body = orjson.dumps(summaries)
    head = orjson.dumps(
        {"stamp": list(stamp), "summary_version": SUMMARY_VERSION, "crc32": zlib.crc32(body)}
    )
    atomic_write(rows_path(order_file), b"%s\n%s" % (head, body), sync_dir=False, durable=False)


def read_rows(order_file: Path, stamp: Stamp) -> dict[str, OrderSummary] | None:
    """The summaries of ``order_file`` as it is at ``stamp``, from its rows file; ``None``
    when there is none that can be trusted for that content (then read the order file)."""
    try:
        raw = rows_path(order_file).read_bytes()
    except OSError:
        return None
    head, _, body = raw.partition(b"\n")
    try:
        meta = orjson.loads(head)
        if (
            not isinstance(meta, dict)
            or meta.get("stamp") != list(stamp)
            or meta.get("summary_version") != SUMMARY_VERSION
            or meta.get("crc32") != zlib.crc32(body)
        ):
            return None
        docs = orjson.loads(body)
        if not isinstance(docs, dict):
            return None
        rows = {oid: summary_from_json(doc) for oid, doc in docs.items()}
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        return None
    if any(summary.order_id != oid for oid, summary in rows.items()):
        return None
    return rows
