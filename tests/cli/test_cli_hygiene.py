"""The command line as an operator uses it: orders named as the inbox names them,
listings in the inbox's order, whole notes, a prompt before removing a shop, clean stops."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Run, shipments_by_order, spawn, to_ship

from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer


def _orders(run: Run) -> list[dict]:  # type: ignore[type-arg]
    out = run("orders", "--json").json()
    assert isinstance(out, list)
    return out


def test_every_command_takes_the_reference_the_inbox_shows(
    ready: Run, sandbox: SandboxServer
) -> None:
    order_id = to_ship(ready)[0]
    reference = next(o["reference"] for o in _orders(ready) if o["order_id"] == order_id)
    r = ready("label", reference, "--json")
    assert r.code == 0, r.err
    assert r.json()["order_id"] == order_id  # type: ignore[index]
    assert ready("cancel-label", reference).code == 0
    missing = ready("label", "NO-SUCH-REF")
    assert missing.code == 2 and "no order with id or reference 'NO-SUCH-REF'" in missing.err


def test_a_reference_two_orders_share_is_refused(ready: Run, sandbox: SandboxServer) -> None:
    assert (
        ready(
            "connect",
            "--name",
            "Second",
            "--seller-id",
            data.SECOND_SELLER_ID,
            "--login",
            data.SECOND_SELLER_LOGIN,
        ).code
        == 0
    )
    mine = to_ship(ready)[0]
    reference = next(o["reference"] for o in _orders(ready) if o["order_id"] == mine)
    other = sandbox.world.order_ids(data.SECOND_SELLER_ID)[0]
    sandbox.world.update_order(other, lambda d: d.update(reference=reference))
    assert ready("sync").code == 0
    r = ready("label", reference)
    assert r.code == 2 and "names several orders" in r.err and mine in r.err and other in r.err
    assert shipments_by_order(sandbox) == {}


def test_orders_are_listed_most_urgent_first_with_whole_notes(ready: Run) -> None:
    listed = _orders(ready)
    deadlines = [o["ship_by"] for o in listed if o["ship_by"]]
    assert deadlines == sorted(deadlines)
    assert all(o["ship_by"] for o in listed[: len(deadlines)])  # no deadline: last
    table = ready("orders").out.splitlines()
    long_notes = [o for o in listed if len(o["attention"] or o["error"] or "") > 40]
    assert long_notes
    for o in long_notes:
        row = next(line for line in table if line.startswith(o["order_id"]))
        assert row.endswith(o["attention"] or o["error"])  # not cut with …


def test_several_orders_take_one_weight_and_option(ready: Run, sandbox: SandboxServer) -> None:
    ids = to_ship(ready)[:2]
    r = ready("label", *ids, "--weight", "2.5", "--json")
    assert r.code == 0, r.err
    weights = {s.parcels[0].weight for ss in shipments_by_order(sandbox).values() for s in ss}
    assert {float(w) for w in weights} == {2.5}


def _in_a_terminal(env: dict[str, str], answer: bytes, *argv: str) -> tuple[int, bytes]:
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cdtui", *argv],
        env={**os.environ, **env},
        stdin=slave,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 20
    while b"Type yes" not in seen and time.monotonic() < deadline:
        seen += os.read(master, 4096)
    os.write(master, answer)
    code = proc.wait(20)
    try:
        while chunk := os.read(master, 4096):
            seen += chunk
    except OSError:
        pass
    os.close(master)
    return code, seen


def test_disconnect_asks_in_a_terminal(ready: Run, sandbox_env: dict[str, str]) -> None:
    code, screen = _in_a_terminal(sandbox_env, b"no\n", "disconnect", "1")
    assert code == 2 and b"Nothing was changed" in screen
    assert b"60 stored order(s) would be removed" in screen
    assert ready("integrations", "--json").json() != []
    code, screen = _in_a_terminal(sandbox_env, b"yes\n", "disconnect", "1")
    assert code == 0 and b"disconnected" in screen
    assert ready("integrations", "--json").json() == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_the_daemon_stops_cleanly_on_ctrl_c_and_sigterm(
    ready: Run, sandbox_env: dict[str, str], cdtui_home: Path, sig: signal.Signals
) -> None:
    proc = spawn({**sandbox_env, "CDTUI_SYNC_INTERVAL": "30"}, "daemon")
    assert proc.stdout is not None
    proc.stdout.readline()
    proc.stdout.readline()  # one sync done
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "stopped" in out and "interrupted" not in err
