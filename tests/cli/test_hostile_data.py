"""API data is untrusted: escapes never reach the terminal, secrets an API echoes are
never shown or stored; ``--json`` stays exact."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys

from conftest import Run, to_ship

from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer

OSC52 = "\x1b]52;c;SGVsbG8=\x07"  # writes the clipboard
TITLE = "\x1b]0;pwned\x07"  # sets the window title
CLEAR = "\x1b[2J"  # clears the screen
HOSTILE_REF = f"{OSC52}R-1\nFORGED ROW{TITLE}"


def _in_a_terminal(env: dict[str, str], *argv: str) -> tuple[int, bytes]:
    """Run ``cdtui ARGV`` with a pseudo-terminal as stdout and stderr: every byte it
    writes to the terminal."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cdtui", *argv],
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return proc.wait(30), b"".join(chunks)


def _poison(sandbox: SandboxServer, order_id: str) -> None:
    def hostile(doc: dict) -> None:  # type: ignore[type-arg]
        doc["reference"] = HOSTILE_REF
        for line in doc["lines"]:
            address = line.get("shippingAddress") or {}
            address["firstName"] = f"Camille{CLEAR}"
            address["city"] = f"Paris{TITLE}"
            line["offer"]["productTitle"] = f"Casque{OSC52}"

    sandbox.world.update_order(order_id, hostile)


def test_escapes_from_the_api_never_reach_the_terminal(
    ready: Run, sandbox: SandboxServer, sandbox_env: dict[str, str]
) -> None:
    order_id = to_ship(ready)[0]
    _poison(sandbox, order_id)
    assert ready("sync").code == 0
    code, screen = _in_a_terminal(sandbox_env, "orders")
    assert code == 0
    assert b"\x1b" not in screen and b"\x07" not in screen
    rows = [ln for ln in screen.decode().splitlines() if ln.strip()]
    count = len(ready("orders", "--json").json())  # type: ignore[arg-type]
    assert len(rows) == count + 2  # header + one row per order + the total: none forged
    assert "FORGED ROW" in next(r for r in rows if order_id in r)  # same row as its order
    code, screen = _in_a_terminal(sandbox_env, "label", order_id)
    assert code == 0, screen
    assert b"\x1b" not in screen and b"\x07" not in screen
    code, screen = _in_a_terminal(sandbox_env, "sync")
    assert b"\x1b" not in screen
    # --json stays exact
    [listed] = [o for o in ready("orders", "--json").json() if o["order_id"] == order_id]  # type: ignore[union-attr]
    assert listed["reference"] == HOSTILE_REF


def test_a_secret_an_api_echoes_is_never_shown_nor_stored(
    ready: Run, sandbox: SandboxServer, sandbox_env: dict[str, str]
) -> None:
    secret = data.AGGREGATOR_CLIENT_SECRET
    # a carrier label that Octopia rejects, echoing it in its error detail
    assert ready("setup", "--carrier-map", f"colisprive=Colis {secret}").code == 0
    order_id = sandbox.world.showcase["home_thd"]
    code, screen = _in_a_terminal(sandbox_env, "label", order_id, "--json")
    assert code == 1  # the label was bought, its tracking refused
    assert secret.encode() not in screen
    assert b"Unknown carrier" in screen and b"[redacted]" in screen
    stored = json.dumps(ready("orders", "--json").json())
    assert secret not in stored
    assert "[redacted]" in stored
    lines = sandbox.world.order(order_id)["lines"]
    assert all(not line["parcels"] for line in lines)  # refused: not shipped
