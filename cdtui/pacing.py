"""Sendcloud's write budget, shared by every cdtui process of one data folder.

Sendcloud counts writes per API key, not per process: a TUI, a cron ``cdtui sync`` and
a ``cdtui label`` run at once must share its 15/s and 100/min. :class:`SharedWindowLimiter`
has the interface and the semantics of :class:`cdtui.http.SlidingWindowLimiter` (a write
holds its place from its start until ``period`` after it finishes), but keeps the places
in a small JSON file, ``CDTUI_HOME/run/sendcloud-writes.json`` (folder 0700, file 0600)::

    {"version": 1, "entries": [{"start": 1764230000.12, "end": null,
                                "pid": 4242, "host": "shop-pc", "token": "9f0c…"}, …]}

* **Lock.** Every read-decide-write happens under an exclusive ``fcntl.flock`` on the
  ``run`` folder itself (an inode that deleting the file cannot replace; the folder's
  inode is checked against its path after locking). The lock is taken without blocking
  and never held across an ``await``: a writer that must wait releases it, sleeps, and
  looks again.
* **Time** is wall-clock (``time.time()``), the one clock processes share. A time in the
  future (the clock was set back) is read as *now*, so a place is never held longer than
  its window from the moment it is seen.
* **Crashes.** An entry still in flight whose process is gone (same host, dead pid; or
  our own pid but a token this process does not hold: the pid was reused), or that
  started more than ``max_age`` seconds ago, is taken as finished *when it is noticed*
  (it then holds its place for a full window, as a finished write does). Finished entries
  older than the longest window are pruned: the file stays below ~120 entries (≈ 10 kB).
* **Damage.** A file that cannot be read or parsed is taken as empty and rewritten, with a
  warning. If the folder cannot be used at all (read-only, not a folder), or its lock is
  not obtained in ``LOCK_PATIENCE`` seconds (a holder stopped mid-write), this write is
  paced in-process by a :class:`SlidingWindowLimiter` instead: labels are never stopped
  by the pacing file. Where ``fcntl`` is missing (Windows) the limiter is in-process only.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import orjson

from cdtui.config import PRIVATE_FILE, private_dir
from cdtui.http import Clock, Sleep, SlidingWindowLimiter

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("cdtui.pacing")

FILE_VERSION = 1
#: an entry in flight for longer than this is taken as finished (no write lasts that long)
MAX_AGE = 120.0
#: how often to look again while every place is held by writes in flight (any process)
POLL = 0.02
#: pauses between attempts at the lock while another process holds it
LOCK_RETRY_MIN, LOCK_RETRY_MAX = 0.001, 0.02
#: lock not obtained for that long (a holder stopped mid-write): pace this write alone
LOCK_PATIENCE = 5.0
#: ``release()`` is synchronous: it tries the lock that long, else writes the end later
RELEASE_PATIENCE = 0.1

#: tokens of the writes in flight in this process, every limiter included: an entry with
#: our pid and another token was left by an earlier process that had the same pid
_LIVE: set[str] = set()
_HOST = socket.gethostname()
_LOCAL = ""  # token of a place taken in the in-process limiter (fallback)
_BUSY = object()  # the lock is held by someone else

Entry = list[Any]  # [start, end | None, pid, host, token]


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host (unknown → alive)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, owned by someone else
        return True
    return True


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _parse(raw: bytes) -> list[Entry]:
    """The entries of the window file; ``ValueError`` when it is not what cdtui writes."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("entries"), list):
        raise ValueError("no list of entries")
    entries: list[Entry] = []
    for item in doc["entries"]:
        if not isinstance(item, dict):
            raise ValueError("an entry is not an object")
        start, end = item.get("start"), item.get("end")
        pid, host, token = item.get("pid"), item.get("host"), item.get("token")
        if not (
            _number(start)
            and (end is None or _number(end))
            and isinstance(pid, int)
            and isinstance(host, str)
            and isinstance(token, str)
            and token
        ):
            raise ValueError("an entry is malformed")
        entries.append([float(start), None if end is None else float(end), pid, host, token])
    return entries


def _dump(entries: list[Entry]) -> bytes:
    return orjson.dumps(
        {
            "version": FILE_VERSION,
            "entries": [
                {"start": s, "end": e, "pid": p, "host": h, "token": t} for s, e, p, h, t in entries
            ],
        }
    )


class SharedWindowLimiter:
    """At most ``limit`` writes in any window of ``period`` seconds, for every window,
    counted over every process that uses the same ``path``. See the module docstring."""

    def __init__(
        self,
        path: Path,
        windows: Sequence[tuple[float, float]],
        *,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
        margin: float = 0.01,
        max_age: float = MAX_AGE,
        poll: float = POLL,
        alive: Callable[[int], bool] = pid_alive,
    ) -> None:
        # validates the windows, and paces alone when the file cannot be used
        self._local = SlidingWindowLimiter(windows, clock=clock, sleep=sleep, margin=margin)
        self._windows = [(int(limit), float(period) + margin) for limit, period in windows]
        self._horizon = max((p for _, p in self._windows), default=0.0)
        self.path = Path(path)
        self._folder = self.path.parent
        self._tmp = self._folder / f".{self.path.name}.tmp"
        self._clock = clock
        self._sleep = sleep
        self._max_age = max_age
        self._poll = poll
        self._alive = alive
        self._pid = os.getpid()
        self._held: deque[str] = deque()  # places taken by acquire(), oldest first
        self._pending: dict[str, float] = {}  # ends not yet written (lock was busy)
        self._warned: set[str] = set()
        self._folder_ready = False

    # ------------------------------------------------------------ interface

    async def acquire(self) -> None:
        self._held.append(await self._acquire())

    def release(self) -> None:
        """Ends the oldest place taken by :meth:`acquire` (the count is what matters)."""
        self._release(self._held.popleft())

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        token = await self._acquire()
        try:
            yield
        finally:
            self._release(token)

    # ------------------------------------------------------------ acquire / release

    async def _acquire(self) -> str:
        if fcntl is None:  # pragma: no cover - Windows
            await self._local.acquire()
            return _LOCAL
        token = secrets.token_hex(8)
        _LIVE.add(token)  # before the entry exists: another thread may read it at once
        delay = LOCK_RETRY_MIN
        busy_since: float | None = None
        try:
            while True:
                try:
                    wait = self._try_admit(token)
                except OSError as exc:
                    self._warn("io", "cannot use %s (%s); pacing this process alone", exc)
                    break
                if wait is _BUSY:
                    now = time.monotonic()
                    busy_since = now if busy_since is None else busy_since
                    if now - busy_since >= LOCK_PATIENCE:
                        self._warn("lock", "%s stays locked; pacing this process alone")
                        break
                    await self._sleep(delay)
                    delay = min(delay * 2, LOCK_RETRY_MAX)
                    continue
                busy_since, delay = None, LOCK_RETRY_MIN
                if wait == 0.0:
                    return token
                assert wait is None or isinstance(wait, float)
                await self._sleep(self._poll if wait is None else wait)
        except BaseException:
            _LIVE.discard(token)
            raise
        _LIVE.discard(token)
        await self._local.acquire()
        return _LOCAL

    def _release(self, token: str) -> None:
        if token == _LOCAL:
            self._local.release()
            return
        _LIVE.discard(token)
        self._pending[token] = self._clock()
        deadline = time.monotonic() + RELEASE_PATIENCE
        try:
            while True:
                fd = self._lock()
                if fd is not None:
                    break
                if time.monotonic() >= deadline:
                    return  # written with our next visit; meanwhile seen as finished
                time.sleep(LOCK_RETRY_MIN)
            try:
                now = self._clock()
                entries, _ = self._load(now)
                self._save(entries)
            finally:
                os.close(fd)
        except OSError as exc:
            self._warn("io", "cannot use %s (%s); pacing this process alone", exc)

    def _try_admit(self, token: str) -> float | object | None:
        """Under the lock: 0.0 and the place taken, else the wait (None: until a write
        in flight finishes), or ``_BUSY`` when someone else holds the lock."""
        fd = self._lock()
        if fd is None:
            return _BUSY
        try:
            now = self._clock()
            entries, dirty = self._load(now)
            wait = self._wait_time(entries, now)
            if wait is not None and wait <= 0:
                entries.append([now, None, self._pid, _HOST, token])
                wait, dirty = 0.0, True
            if dirty:
                self._save(entries)
            return wait
        finally:
            os.close(fd)  # closing the folder releases the flock

    # ------------------------------------------------------------ the window

    def _wait_time(self, entries: list[Entry], now: float) -> float | None:
        """0 if a write may start now, else seconds to wait (None: until one finishes);
        the rule of :class:`SlidingWindowLimiter`, over every process's entries."""
        done = sorted(e[1] for e in entries if e[1] is not None)
        in_flight = len(entries) - len(done)
        wait = 0.0
        for limit, period in self._windows:
            recent = [t for t in done if t > now - period]
            used = in_flight + len(recent)
            if used < limit:
                continue
            index = used - limit  # the (used - limit + 1) oldest recent places must expire
            if index >= len(recent):
                return None
            wait = max(wait, recent[index] + period - now)
        return wait

    def _finished(self, entry: Entry, now: float) -> bool:
        """Whether an entry still in flight is in fact over (its process is gone)."""
        start, _, pid, host, token = entry
        if start <= now - self._max_age:
            return True
        if host != _HOST:
            return False  # another machine sharing the folder: only the age tells
        if pid == self._pid:
            return token not in _LIVE
        return not self._alive(pid)

    def _load(self, now: float) -> tuple[list[Entry], bool]:
        """The live entries (our pending ends applied, the dead finished, the old pruned)
        and whether they differ from the file."""
        entries, dirty = self._read()
        if self._pending:
            by_token = {e[4]: e for e in entries}
            for token, end in self._pending.items():
                entry = by_token.get(token)
                if entry is None:  # pruned or lost with a damaged file: still counts
                    entries.append([end, end, self._pid, _HOST, token])
                elif entry[1] is None or entry[1] < end:
                    entry[1] = end
            self._pending.clear()
            dirty = True
        kept: list[Entry] = []
        for entry in entries:
            if entry[0] > now:  # the clock was set back
                entry[0], dirty = now, True
            if entry[1] is not None and entry[1] > now:
                entry[1], dirty = now, True
            if entry[1] is None and self._finished(entry, now):
                entry[1], dirty = now, True
            if entry[1] is not None and entry[1] <= now - self._horizon:
                dirty = True
                continue
            kept.append(entry)
        return kept, dirty

    # ------------------------------------------------------------ the file

    def _lock(self) -> int | None:
        """An fd of the folder holding the exclusive flock, or None if it is busy."""
        assert fcntl is not None
        if not self._folder_ready:
            private_dir(self._folder)
            self._folder_ready = True
        flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_DIRECTORY", 0)
        for _ in range(3):
            try:
                fd = os.open(self._folder, flags)
            except FileNotFoundError:
                private_dir(self._folder)  # removed while we run: make it again
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held, named = os.fstat(fd), os.stat(self._folder)
            except BlockingIOError:
                os.close(fd)
                return None
            except FileNotFoundError:
                os.close(fd)
                continue
            except BaseException:
                os.close(fd)
                raise
            if (held.st_dev, held.st_ino) == (named.st_dev, named.st_ino):
                return fd
            os.close(fd)  # the folder was replaced after we opened it: lock the new one
        raise OSError(f"{self._folder} keeps being removed")

    def _read(self) -> tuple[list[Entry], bool]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return [], False
        except OSError as exc:
            self._warn("read", "cannot read %s (%s); starting a new window", exc)
            return [], True
        try:
            return _parse(raw), False
        except ValueError as exc:
            self._warn("damaged", "%s is damaged (%s); starting a new window", exc)
            return [], True

    def _save(self, entries: list[Entry]) -> None:
        """Replace the file (temp file + rename: a crash never leaves half of it)."""
        data = _dump(entries)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(self._tmp, flags | getattr(os, "O_NOFOLLOW", 0), PRIVATE_FILE)
        try:
            os.fchmod(fd, PRIVATE_FILE)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        try:
            os.replace(self._tmp, self.path)
        except OSError:
            with suppress(OSError):
                self._tmp.unlink()
            raise

    def _warn(self, kind: str, message: str, *args: object) -> None:
        """Log once per kind and limiter: a broken file must not flood the log."""
        if kind in self._warned:
            return
        self._warned.add(kind)
        log.warning("Sendcloud write pacing: " + message, self.path, *args)


__all__ = ["MAX_AGE", "SharedWindowLimiter", "pid_alive"]
