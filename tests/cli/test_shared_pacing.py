"""Real ``cdtui label`` processes at once on one data folder share Sendcloud's write budget."""

from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import Run, posts_by_order, shipments_by_order, spawn, to_ship

from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer

#: the sandbox's Sendcloud write limits, lowered so that the test is fast, and the
#: client's (config.json) set to match
PER_SECOND, PER_MINUTE = 3, 60
RUNS, PER_RUN = 3, 7


def _set_write_limits(home: Path, per_second: int, per_minute: int) -> None:
    path = home / "config.json"
    config = json.loads(path.read_text())
    config.update(sendcloud_writes_per_second=per_second, sendcloud_writes_per_minute=per_minute)
    path.write_text(json.dumps(config))
    os.chmod(path, 0o600)


def test_label_runs_at_once_share_the_sendcloud_write_budget(
    ready: Run, sandbox: SandboxServer, sandbox_env: dict[str, str], cdtui_home: Path
) -> None:
    ids = [
        oid
        for oid in to_ship(ready)
        if data.ANNOUNCE_FAIL_MARK not in json.dumps(sandbox.world.order(oid))  # carrier refuses
    ][: RUNS * PER_RUN]
    assert len(ids) == RUNS * PER_RUN
    batches = [ids[i::RUNS] for i in range(RUNS)]
    _set_write_limits(cdtui_home, PER_SECOND, PER_MINUTE)
    world = sandbox.world
    world.write_burst_per_second, world.write_limit_per_minute = PER_SECOND, PER_MINUTE
    world.faults.update({"latency_ms": 20})
    assert world.stats["429"] == 0
    procs = [spawn(sandbox_env, "label", *batch, "--json") for batch in batches]
    results = [p.communicate(timeout=120) for p in procs]
    world.faults.reset()
    writes = world.stats["sendcloud_requests"]
    for (out, err), proc in zip(results, procs, strict=True):
        assert proc.returncode == 0 and out.startswith("["), err[-2000:]
    outcomes = [o for out, _ in results for o in json.loads(out)]
    failed = [o for o in outcomes if not o["ok"]]
    print(f"{writes} Sendcloud requests, {world.stats['429']} × 429, {len(failed)} failed labels")
    assert world.stats["429"] == 0, f"{world.stats['429']} × 429 (failed labels: {failed})"
    assert not failed
    # every label bought exactly once, its tracking sent once
    bought = shipments_by_order(sandbox)
    assert set(bought) == set(ids)
    assert all(len(s) == 1 for s in bought.values())
    assert posts_by_order(sandbox) == dict.fromkeys(ids, 1)
    # the shared window is in the data folder, private, every write finished
    window = cdtui_home / "run" / "sendcloud-writes.json"
    assert (window.stat().st_mode & 0o777) == 0o600
    assert all(e["end"] is not None for e in json.loads(window.read_text())["entries"])
