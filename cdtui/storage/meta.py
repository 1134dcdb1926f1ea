"""``meta.json``: the schema version, the id counter, the integrations; migrations.

A store at schema v is brought to v + 1 by ``MIGRATIONS[v](data_dir)`` after the whole
data folder was copied to ``data/backups/v<v>-<time>/``; each migration works on the
raw files (``read_json`` / ``write_json``) and must be safe to run again if a crash
interrupted it (``meta.json`` is bumped after each step). A store written by a newer
cdtui is refused with a message to upgrade.

``summary_version`` records the ``SUMMARY_VERSION`` (``cdtui/orders/summary.py``) of the
summaries stored beside the records. A store with an older one (or none: written before
the summaries) has every summary written again once, when it is opened, under the
store's lock, after the same kind of backup (``data/backups/summaries-v<v>-<time>/``).
A store with a newer one is left alone: a summary of another version is rebuilt from its
record when it is read.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cdtui.errors import StoreError
from cdtui.models import OrderRecord, iso
from cdtui.orders.summary import SUMMARY_VERSION, summarize_record
from cdtui.storage.files import TMP_SUFFIX, damaged_file, read_json, write_json
from cdtui.storage.tinyfile import _check_tables

log = logging.getLogger(__name__)

#: version of the on-disk layout this cdtui reads and writes
SCHEMA_VERSION = 1
#: a store at version v is brought to v + 1 by ``MIGRATIONS[v](data_dir)``; each
#: migration works on the raw files (``read_json`` / ``write_json``) and must be
#: safe to run again if a crash interrupted it (meta.json is bumped after each step).
MIGRATIONS: dict[int, Callable[[Path], None]] = {}

_META_TABLE = "store"
_META_DOC = "meta"
_INTEGRATIONS_TABLE = "integrations"


def _schema_version(path: Path, data: Any) -> int:
    meta = data.get(_META_TABLE, {}).get(_META_DOC) if isinstance(data, dict) else None
    version = meta.get("schema_version") if isinstance(meta, dict) else None
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise damaged_file(path, "no valid schema_version")
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
            raise damaged_file(path, f"no valid {key}")
    return data  # type: ignore[no-any-return]


def open_files(data_dir: Path, clock: Callable[[], datetime], shards: int) -> None:
    """Create ``meta.json`` for a new store, or check and migrate an existing one
    (under the store's lock); crash leftovers are removed first."""
    remove_leftover_temp_files(data_dir)
    meta_path = data_dir / "meta.json"
    orders_dir = data_dir / "orders"
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
            "summary_version": SUMMARY_VERSION,
            "created_at": iso(clock()),
        }
        write_json(meta_path, {_META_TABLE: {_META_DOC: meta}, _INTEGRATIONS_TABLE: {}})
        return
    version = _schema_version(meta_path, read_json(meta_path))
    if version > SCHEMA_VERSION:
        raise _newer(meta_path, version)
    if version < SCHEMA_VERSION:
        migrate(data_dir, version, clock)
    summaries = read_json(meta_path)[_META_TABLE][_META_DOC].get("summary_version")
    if not isinstance(summaries, int) or isinstance(summaries, bool):
        summaries = 0  # a store from before the summaries
    if summaries < SUMMARY_VERSION:
        rebuild_summaries(data_dir, summaries, clock)


def _backup(data_dir: Path, name: str, clock: Callable[[], datetime]) -> Path:
    """Copy meta.json and every order file to ``data/backups/<name>-<time>/``."""
    stamp = clock().strftime("%Y%m%dT%H%M%S")
    backup = data_dir / "backups" / f"{name}-{stamp}"
    n = 1
    while backup.exists():  # never mix two attempts' copies
        n += 1
        backup = backup.with_name(f"{name}-{stamp}-{n}")
    try:
        backup.mkdir(parents=True, mode=0o700)
        shutil.copy2(data_dir / "meta.json", backup / "meta.json")
        orders_dir = data_dir / "orders"
        if orders_dir.exists():
            shutil.copytree(orders_dir, backup / "orders", dirs_exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"Could not back up the store to {backup} before upgrading it: "
            f"{exc.strerror or exc}; nothing was changed."
        ) from None
    return backup


def migrate(data_dir: Path, version: int, clock: Callable[[], datetime]) -> None:
    """Back the store up, then run every migration from ``version`` on."""
    meta_path = data_dir / "meta.json"
    backup = _backup(data_dir, f"v{version}", clock)
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
        step(data_dir)
        raw: Any = read_json(meta_path)
        raw[_META_TABLE][_META_DOC]["schema_version"] = v + 1
        write_json(meta_path, raw)


def remove_leftover_temp_files(data_dir: Path) -> None:
    """Temp files of a writer that crashed (we hold the lock: none is in use)."""
    for tmp in data_dir.rglob(f".*{TMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            tmp.unlink()


def rebuild_summaries(data_dir: Path, version: int, clock: Callable[[], datetime]) -> None:
    """Write every record's summary again, once, after a backup (a store from a cdtui
    with an older ``SUMMARY_VERSION``, or from before the summaries), then record
    ``SUMMARY_VERSION`` in meta.json. A file that does not parse or holds a record
    that does not validate is left untouched (its summaries are built when it is read,
    and the damage is reported as usual). Safe to run again after a crash."""
    meta_path = data_dir / "meta.json"
    files = sorted((data_dir / "orders").glob("*/[0-9][0-9][0-9].json"))
    if files:
        backup = _backup(data_dir, f"summaries-v{version}", clock)
        log.info(
            "writing the order summaries again (version %s to %s; backup in %s)",
            version,
            SUMMARY_VERSION,
            backup,
        )
    for path in files:
        _rebuild_file(path)
    raw: Any = read_json(meta_path)
    raw[_META_TABLE][_META_DOC]["summary_version"] = SUMMARY_VERSION
    write_json(meta_path, raw)


def _rebuild_file(path: Path) -> None:
    try:
        data = read_json(path)
    except StoreError:
        return
    docs = data.get("orders") if isinstance(data, dict) else None
    if not isinstance(docs, dict) or set(data) != {"orders"}:
        return
    rebuilt: dict[str, Any] = {}
    for order_id, doc in docs.items():
        try:
            rec = OrderRecord.model_validate(doc)
        except ValidationError:
            return
        if rec.order_id != order_id or not isinstance(doc, dict):
            return
        local = {k: v for k, v in doc.items() if k not in ("summary", "order")}
        summary = summarize_record(rec).as_json()
        rebuilt[order_id] = {**local, "summary": summary, "order": doc["order"]}
    if rebuilt != docs:
        write_json(path, {"orders": rebuilt})
