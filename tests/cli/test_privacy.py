"""Customers' names and addresses, and the keys, stay private to their owner on disk."""

from __future__ import annotations

import os
import signal
import stat
from pathlib import Path

from conftest import Run, spawn, to_ship

from cdtui.sandbox import data


def _loose(home: Path) -> list[str]:
    """Everything under ``home`` that another local user could read."""
    found = []
    for path in [home, *home.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            found.append(f"{path.relative_to(home)} {oct(mode)}")
    return found


def test_a_new_home_and_everything_in_it_is_private(run: Run, cdtui_home: Path) -> None:
    home = cdtui_home / "nested" / "cdtui"  # not there yet: created by cdtui
    os.environ["CDTUI_HOME"] = str(home)
    assert run("setup", "--octopia-client-id", data.AGGREGATOR_CLIENT_ID).code == 0
    assert (
        run("connect", "--name", "Demo", "--seller-id", data.SELLER_ID, "--login", "demo-shop").code
        == 0
    )
    assert run("sync").code == 0
    order_id = to_ship(run)[0]
    assert run("label", order_id).code == 0
    assert list((home / "labels").glob("*.pdf")), "a label file was written"
    assert list((home / "logs").glob("cdtui.log*"))
    assert _loose(home) == []
    assert stat.S_IMODE((cdtui_home / "nested").stat().st_mode) == 0o700


def test_existing_loose_files_are_tightened_on_start(ready: Run, cdtui_home: Path) -> None:
    order_id = to_ship(ready)[0]
    assert ready("label", order_id).code == 0
    # as an older cdtui, a copy or a careless umask left them
    for path in [cdtui_home, *cdtui_home.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    assert _loose(cdtui_home)
    assert ready("orders").code == 0
    assert _loose(cdtui_home) == []


def test_no_core_dump_holds_the_keys(ready: Run, sandbox_env: dict[str, str]) -> None:
    proc = spawn({**sandbox_env, "CDTUI_SYNC_INTERVAL": "30"}, "daemon")
    try:
        assert proc.stdout is not None
        proc.stdout.readline()  # started
        limits = Path(f"/proc/{proc.pid}/limits").read_text()
        core = next(line for line in limits.splitlines() if line.startswith("Max core file size"))
        assert core.split()[4:6] == ["0", "0"], core
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
