"""The store's package: the only code that touches the files under ``CDTUI_HOME/data``.

Layout::

    data/                           its own inter-process lock (flock on the folder;
                                    ``data/.lock`` with filelock on Windows)
    data/meta.json                  schema version, id counter, integrations
    data/orders/<integration>/NNN.json
                                    that integration's orders, sharded by a stable hash
                                    of the order id, so saving one label rewrites one
                                    small file; each record carries its ``summary``
                                    (what list views show, ``cdtui/orders/summary.py``)
    data/orders/<integration>/index the sync index: per order file its stamp, its orders
                                    in work, each order's updatedAt and hash (``index``)
    data/announced.json             the alerts each destination was given (``announced``)
    data/backups/v<N>-<time>/       copies made before a schema migration
    data/backups/summaries-v<N>-<time>/
                                    copies made before the summaries are written again

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
- **A cron sync reads only what changed.** The sync index answers "unchanged" for
  orders whose updatedAt and hash match while their file has not changed since; it can
  make a sync slower (when missing, damaged or stale it is ignored and made again),
  never wrong.
- **Lists derive nothing.** Every write of a record writes its summary beside it;
  ``order_rows()`` reads the summaries back as they are (one missing, unreadable or of
  another ``SUMMARY_VERSION`` is built from its record).

Modules, bottom up (each imports only those above it):

- ``files``      the one crash-safe writer (``atomic_write``), JSON read/write, messages
- ``tinyfile``   TinyDB storage over one file (``_FileStorage``): stamps, deferred writes
- ``meta``       ``meta.json``: schema version, migrations, summary rebuilds, backups
- ``fastmodels`` every shortcut around pydantic, each with the benchmark behind it
- ``index``      the sync index of an integration (``OrderIndex``) and its trust rule
- ``shards``     one order file (``_Shard``): its records and rows caches
- ``writes``     what a transaction wrote, written once at its end, then the indexes
- ``announced``  ``announced.json``: the alerts each destination was given
- ``store``      ``Store``, the API, with its lock and transactions

Import from ``cdtui.storage.store`` (``Store``, ``PreparedOrder``, ``shard_index``, ...)
or ``cdtui.storage.files`` (``atomic_write``); this ``__init__`` imports nothing, so the
settings can write their files without loading the store.
"""
