"""The Sendcloud write budget shared through a file by every process (cdtui.pacing)."""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import random
import socket
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from timefakes import VirtualTime, max_in_window

from cdtui.config import load_settings
from cdtui.engine import Engine
from cdtui.http import SlidingWindowLimiter
from cdtui.pacing import SharedWindowLimiter
from cdtui.sendcloud import SendcloudClient

WINDOWS = [(15, 1.0), (100, 60.0)]
HOST = socket.gethostname()


@pytest.fixture
def window_file(tmp_path: Path) -> Path:
    return tmp_path / "home" / "run" / "sendcloud-writes.json"


def shared(path: Path, vt: VirtualTime, **kw: object) -> SharedWindowLimiter:
    return SharedWindowLimiter(path, WINDOWS, clock=vt.clock, sleep=vt.sleep, **kw)  # type: ignore[arg-type]


def entries(path: Path) -> list[dict[str, object]]:
    doc = json.loads(path.read_bytes())
    assert doc["version"] == 1
    return doc["entries"]  # type: ignore[no-any-return]


def write_entries(path: Path, items: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "entries": items}))


def dead_pid() -> int:
    """The id of a process that has ended and been reaped."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


async def _run_writes(
    limiters: list[SharedWindowLimiter],
    vt: VirtualTime,
    n: int,
    workers: int,
    latency: float,
    rng: random.Random,
) -> list[float]:
    """n paced writes by `workers` tasks spread over the limiters (one per "process")."""
    arrivals: list[float] = []
    queue = list(range(n))

    async def worker(limiter: SharedWindowLimiter) -> None:
        while queue:
            queue.pop()
            async with limiter.slot():
                start = vt.now
                await vt.sleep(latency)
                arrivals.append(start + rng.random() * (vt.now - start))

    await asyncio.gather(*(worker(limiters[i % len(limiters)]) for i in range(workers)))
    return arrivals


# ---------------------------------------------------------------- the windows


@pytest.mark.parametrize(("workers", "latency"), [(2, 0.0), (2, 0.3), (20, 0.05), (50, 1.0)])
async def test_two_limiters_on_one_file_respect_both_sliding_windows_together(
    window_file: Path, workers: int, latency: float
) -> None:
    """The scenario of test_http's SlidingWindowLimiter test, split over two limiters."""
    vt = VirtualTime()
    limiters = [shared(window_file, vt), shared(window_file, vt)]
    arrivals = await vt.run(_run_writes(limiters, vt, 350, workers, latency, random.Random(7)))
    assert len(arrivals) == 350
    assert max_in_window(arrivals, 60.0) <= 100
    assert max_in_window(arrivals, 1.0) <= 15
    full_minutes = int(max(arrivals) // 60)
    assert full_minutes >= 2
    for minute in range(full_minutes):
        in_minute = [t for t in arrivals if minute * 60 <= t < (minute + 1) * 60]
        assert len(in_minute) >= 90, (minute, len(in_minute))
    # nothing left in flight, and only the last minute's places are kept
    left = entries(window_file)
    assert all(e["end"] is not None for e in left)
    assert len(left) <= 100


async def test_per_process_limiters_would_break_the_limit(window_file: Path) -> None:
    """What the shared file fixes: two in-process limiters each allow the full budget."""
    vt = VirtualTime()
    a, b = (SlidingWindowLimiter(WINDOWS, clock=vt.clock, sleep=vt.sleep) for _ in range(2))
    starts: list[float] = []

    async def burst(limiter: SlidingWindowLimiter) -> None:
        for _ in range(15):
            async with limiter.slot():
                starts.append(vt.now)

    await vt.run(asyncio.gather(burst(a), burst(b)))
    assert max_in_window(starts, 1.0) == 30


async def test_a_burst_is_shared_up_to_the_per_second_limit(window_file: Path) -> None:
    vt = VirtualTime()
    a, b = shared(window_file, vt), shared(window_file, vt)
    starts: list[tuple[str, float]] = []

    async def burst(name: str, limiter: SharedWindowLimiter, n: int) -> None:
        for _ in range(n):
            async with limiter.slot():
                starts.append((name, vt.now))

    await vt.run(asyncio.gather(burst("a", a, 10), burst("b", b, 10)))
    times = sorted(t for _, t in starts)
    assert times[:15] == [0.0] * 15
    assert times[15] >= 1.0
    assert {name for name, t in starts if t == 0.0} == {"a", "b"}


async def test_writes_in_flight_elsewhere_hold_their_places_until_they_finish(
    window_file: Path,
) -> None:
    vt = VirtualTime()
    a, b = shared(window_file, vt), shared(window_file, vt)
    for _ in range(15):
        await a.acquire()  # 15 writes in flight in "process" a
    got: list[float] = []

    async def other() -> None:
        await b.acquire()
        got.append(vt.now)

    async def finish_one_later() -> None:
        await vt.sleep(5.0)
        a.release()

    await vt.run(asyncio.gather(other(), finish_one_later()))
    # a's write finished at 5.0 and keeps its place for the second after it
    assert 6.0 <= got[0] <= 6.1
    assert sum(e["end"] is None for e in entries(window_file)) == 15  # 14 of a, 1 of b


async def test_acquire_and_release_record_start_and_end(window_file: Path) -> None:
    vt = VirtualTime()
    limiter = shared(window_file, vt)

    async def one() -> None:
        await limiter.acquire()
        (entry,) = entries(window_file)
        assert entry["end"] is None
        assert entry["pid"] == os.getpid() and entry["host"] == HOST
        assert isinstance(entry["token"], str) and len(entry["token"]) == 16
        await vt.sleep(0.25)
        limiter.release()

    await vt.run(one())
    (entry,) = entries(window_file)
    assert (entry["start"], entry["end"]) == (0.0, 0.25)


async def test_old_places_are_pruned(window_file: Path) -> None:
    vt = VirtualTime()
    limiter = shared(window_file, vt)

    async def run() -> None:
        for _ in range(30):
            async with limiter.slot():
                pass
        await vt.sleep(61)
        async with limiter.slot():
            pass

    await vt.run(run())
    assert len(entries(window_file)) == 1


async def test_a_cancelled_wait_leaves_no_place_behind(window_file: Path) -> None:
    vt = VirtualTime()
    a, b = shared(window_file, vt), shared(window_file, vt)

    async def run() -> None:
        for _ in range(15):
            async with a.slot():
                pass
        waiter = asyncio.ensure_future(b.acquire())
        await vt.sleep(0.5)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter

    await vt.run(run())
    assert len(entries(window_file)) == 15
    assert all(e["end"] is not None for e in entries(window_file))


async def test_a_clock_set_back_never_holds_places_longer_than_a_window(
    window_file: Path,
) -> None:
    vt = VirtualTime()
    # written by a process whose clock was an hour ahead
    write_entries(
        window_file,
        [
            {"start": 3600.0, "end": 3600.1, "pid": os.getpid(), "host": HOST, "token": f"t{i}"}
            for i in range(15)
        ],
    )
    limiter = shared(window_file, vt)
    got: list[float] = []

    async def one() -> None:
        async with limiter.slot():
            got.append(vt.now)

    await vt.run(one())
    assert 1.0 <= got[0] <= 1.1


# ---------------------------------------------------------------- crashes


def _in_flight(
    n: int, pid: int, *, start: float = 0.0, host: str = HOST
) -> list[dict[str, object]]:
    return [
        {"start": start, "end": None, "pid": pid, "host": host, "token": f"{pid}-{i}"}
        for i in range(n)
    ]


async def test_writes_of_a_dead_process_count_as_finished_when_noticed(window_file: Path) -> None:
    """A killed `cdtui label` left 15 writes "in flight": they hold their places for one
    window from the moment they are noticed, not until the max age."""
    write_entries(window_file, _in_flight(15, dead_pid()))
    vt = VirtualTime()
    vt.now = 10.0
    limiter = shared(window_file, vt)
    got: list[float] = []

    async def one() -> None:
        async with limiter.slot():
            got.append(vt.now)

    await vt.run(one())
    assert 11.0 <= got[0] <= 11.1
    left = entries(window_file)
    assert [e["end"] for e in left[:15]] == [10.0] * 15


async def test_a_live_process_holds_its_places_until_the_max_age(window_file: Path) -> None:
    write_entries(window_file, _in_flight(15, os.getppid()))  # alive: pytest's parent
    vt = VirtualTime()
    limiter = shared(window_file, vt, max_age=30.0)
    got: list[float] = []

    async def one() -> None:
        async with limiter.slot():
            got.append(vt.now)

    await vt.run(one())
    # stuck "in flight" → finished at 30 s (max age), then one more window
    assert 31.0 <= got[0] <= 31.2


async def test_our_pid_with_a_token_we_do_not_hold_was_an_earlier_process(
    window_file: Path,
) -> None:
    """Containers start every run with the same pid: its own pid is no proof of life."""
    write_entries(window_file, _in_flight(15, os.getpid()))
    vt = VirtualTime()
    limiter = shared(window_file, vt)
    got: list[float] = []

    async def one() -> None:
        async with limiter.slot():
            got.append(vt.now)

    await vt.run(one())
    assert 1.0 <= got[0] <= 1.1


async def test_entries_of_another_host_only_age_out(window_file: Path) -> None:
    """A folder shared between machines: a pid of another host is not checked here."""
    write_entries(window_file, _in_flight(15, dead_pid(), host="other-host"))
    vt = VirtualTime()
    limiter = shared(window_file, vt, max_age=20.0)
    got: list[float] = []

    async def one() -> None:
        async with limiter.slot():
            got.append(vt.now)

    await vt.run(one())
    assert 21.0 <= got[0] <= 21.2


def test_a_killed_process_does_not_block_the_next_one(window_file: Path) -> None:
    """Real processes: one killed while 15 writes are in flight; the next one pays one
    window, not the max age."""
    script = textwrap.dedent(
        """
        import asyncio, sys, time
        from pathlib import Path
        from cdtui.pacing import SharedWindowLimiter

        async def main():
            lim = SharedWindowLimiter(Path(sys.argv[1]), [(15, 1.0), (100, 60.0)])
            for _ in range(15):
                await lim.acquire()
            print("held", flush=True)
            await asyncio.sleep(60)

        asyncio.run(main())
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(window_file)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    proc.kill()
    proc.wait()

    async def one() -> float:
        limiter = SharedWindowLimiter(window_file, WINDOWS)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        async with limiter.slot():
            return loop.time() - t0

    waited = asyncio.run(one())
    assert waited < 1.5


# ---------------------------------------------------------------- damage and privacy


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b"[]",
        b'{"version": 1, "entries": {}}',
        b'{"version": 1, "entries": [{"start": "x", "end": null, "pid": 1}]}',
        b'{"version": 1, "entries": [{"start": true, "end": null, "pid": 1,'
        b' "host": "h", "token": "t"}]}',
        b"\xff\xfe\x00garbage",
    ],
)
def test_a_damaged_file_is_taken_as_empty_and_rewritten(
    window_file: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    window_file.parent.mkdir(parents=True)
    window_file.write_bytes(content)
    vt = VirtualTime()
    limiter = shared(window_file, vt)
    with caplog.at_level(logging.WARNING, logger="cdtui.pacing"):
        asyncio.run(vt.run(_slots(limiter, 2)))
    assert len(entries(window_file)) == 2
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "damaged" in warnings[0].getMessage()
    assert str(window_file) in warnings[0].getMessage()


def test_an_unreadable_file_is_replaced(
    window_file: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_entries(window_file, [])
    read_bytes = Path.read_bytes

    def failing(self: Path) -> bytes:
        if self == window_file:
            raise OSError(5, "Input/output error")
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", failing)
    vt = VirtualTime()
    with caplog.at_level(logging.WARNING, logger="cdtui.pacing"):
        asyncio.run(vt.run(_slots(shared(window_file, vt), 1)))
    monkeypatch.undo()
    assert len(entries(window_file)) == 1
    assert "cannot read" in caplog.text


async def test_an_unusable_folder_falls_back_to_pacing_in_process(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "run").write_text("a file where the folder should be")
    vt = VirtualTime()
    limiter = shared(tmp_path / "run" / "sendcloud-writes.json", vt)
    starts: list[float] = []

    async def burst() -> None:
        for _ in range(16):
            async with limiter.slot():
                starts.append(vt.now)

    with caplog.at_level(logging.WARNING, logger="cdtui.pacing"):
        await vt.run(burst())
    assert starts[:15] == [0.0] * 15 and starts[15] >= 1.0  # still paced
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
    assert "pacing this process alone" in caplog.text


def test_the_folder_and_the_file_are_private(window_file: Path) -> None:
    vt = VirtualTime()
    asyncio.run(vt.run(_slots(shared(window_file, vt), 1)))
    assert stat.S_IMODE(window_file.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(window_file.stat().st_mode) == 0o600
    assert sorted(p.name for p in window_file.parent.iterdir()) == [window_file.name]


def test_the_lock_is_the_folder_so_deleting_the_file_does_not_break_it(
    window_file: Path,
) -> None:
    vt = VirtualTime()
    limiter = shared(window_file, vt)
    asyncio.run(vt.run(_slots(limiter, 1)))
    # another process is mid-update: it holds the folder's lock; someone deletes the file
    fd = os.open(window_file.parent, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    window_file.unlink()
    got: list[float] = []

    async def one() -> None:
        async with limiter.slot():
            got.append(vt.now)

    async def unlock_later() -> None:
        await vt.sleep(0.5)
        os.close(fd)

    async def both() -> None:
        await asyncio.gather(one(), unlock_later())

    asyncio.run(vt.run(both()))
    assert got[0] >= 0.5  # waited for the lock
    assert len(entries(window_file)) == 1


async def _slots(limiter: SharedWindowLimiter, n: int) -> None:
    for _ in range(n):
        async with limiter.slot():
            pass


# ---------------------------------------------------------------- real processes


_WORKER = """
import asyncio, json, sys, time
from pathlib import Path
from cdtui.http import SlidingWindowLimiter
from cdtui.pacing import SharedWindowLimiter

path, n, shared = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "shared"
windows = [(8, 1.0), (1000, 60.0)]

async def main():
    lim = SharedWindowLimiter(path, windows) if shared else SlidingWindowLimiter(windows)
    starts = []
    async def one():
        async with lim.slot():
            starts.append(time.time())
            await asyncio.sleep(0.01)
    await asyncio.gather(*(one() for _ in range(n)))
    print(json.dumps(starts))

asyncio.run(main())
"""


@pytest.mark.parametrize("shared_budget", [True, False])
def test_three_processes_share_one_budget(window_file: Path, shared_budget: bool) -> None:
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _WORKER,
                str(window_file),
                "8",
                "shared" if shared_budget else "alone",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    starts = [t for p in procs for t in json.loads(p.communicate(timeout=60)[0])]
    assert len(starts) == 24
    if shared_budget:
        assert max_in_window(starts, 1.0) <= 8
    else:
        assert max_in_window(starts, 1.0) > 8  # what the shared file is for


# ---------------------------------------------------------------- wiring


def test_the_client_shares_its_writes_only_when_given_a_file(tmp_path: Path) -> None:
    keys = {"api_url": "http://sc.test", "public_key": "p", "secret_key": "s"}
    assert isinstance(SendcloudClient(**keys).writes, SlidingWindowLimiter)
    client = SendcloudClient(**keys, writes_file=tmp_path / "w.json")
    assert isinstance(client.writes, SharedWindowLimiter)
    assert client.writes.path == tmp_path / "w.json"


def test_the_engine_shares_the_budget_of_its_data_folder(tmp_path: Path) -> None:
    settings = load_settings(
        tmp_path,
        sendcloud_api_url="http://sc.test",
        sendcloud_public_key="p",
        sendcloud_secret_key="s",
        sendcloud_writes_per_second=4,
        sendcloud_writes_per_minute=30,
    )
    engine = Engine(settings)
    writes = engine.sendcloud.writes
    assert isinstance(writes, SharedWindowLimiter)
    assert writes.path == tmp_path / "run" / "sendcloud-writes.json"
    assert writes._windows == [(4, 1.01), (30, 60.01)]
