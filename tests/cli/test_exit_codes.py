"""Honest exit codes: a command that did not do everything it says exits non-zero."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Run, spawn, to_ship

from cdtui.sandbox.server import SandboxServer


def test_label_exits_1_when_the_label_file_could_not_be_saved(ready: Run, cdtui_home: Path) -> None:
    blocker = cdtui_home / "not-a-folder"
    blocker.write_text("a file where the labels folder should be")
    assert ready("setup", "--labels-dir", str(blocker / "labels")).code == 0
    order_id = to_ship(ready)[0]
    r = ready("label", order_id, "--json")
    assert r.code == 1
    out = r.json()
    assert out["tracking_sent"] is True  # bought and sent...
    assert out["label_path"] is None and "could not be saved" in out["error"]  # ...no file
    assert "could not be saved" in r.err


def test_sync_exits_1_while_a_stored_order_is_damaged(ready: Run, cdtui_home: Path) -> None:
    files = sorted((cdtui_home / "data" / "orders" / "1").glob("*.json"))
    path = next(p for p in files if json.loads(p.read_text())["orders"])
    content = json.loads(path.read_text())
    victim = next(iter(content["orders"]))
    content["orders"][victim]["order"] = "garbage"
    path.write_text(json.dumps(content))
    before = path.read_bytes()
    r = ready("sync")
    assert r.code == 1
    assert f"damaged order {victim}" in r.err and str(path) in r.err
    assert path.read_bytes() == before  # never overwritten


def test_a_reference_too_long_for_a_file_name_still_gets_its_label_file(
    ready: Run, sandbox: SandboxServer
) -> None:
    order_id = sandbox.world.showcase["home_nthd"]
    sandbox.world.update_order(order_id, lambda d: d.update(reference="R" * 400))
    assert ready("sync").code == 0
    r = ready("label", order_id, "--json")
    assert r.code == 0, r.err
    assert Path(r.json()["label_path"]).is_file()  # type: ignore[index]
    again = ready("sync")
    assert again.code == 0 and again.err == ""  # nothing repeated on every sync


def test_a_reader_that_stops_early_is_no_error(
    ready: Run, sandbox: SandboxServer, sandbox_env: dict[str, str]
) -> None:
    """`cdtui orders | head -3`: no "unexpected error" when the pipe closes."""
    sandbox.world.add_orders(300)  # more output than a pipe holds
    assert ready("sync").code == 0
    proc = spawn(sandbox_env, "orders")
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(30) == 0 and err == ""
