"""Deadlines that shout, headless: ``orders --json`` says which orders are late or due
soon, ``orders --due-soon`` lists them, the margin is a validated setting, and
``cdtui daemon`` gives each new order to accept and each order becoming due soon or late
to its notify command and its webhook once — over several syncs and processes, a
webhook that failed getting the alerts at the next sync."""

from __future__ import annotations

import json
import shlex
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer

if TYPE_CHECKING:
    from conftest import Run

RECORDER = """\
import json, os, sys
record = {
    "argv": sys.argv[1:],
    "env": os.environ.get("CDTUI_ALERT_SUMMARY"),
    "stdin": json.loads(sys.stdin.read()),
}
with open(sys.argv[1], "a", encoding="utf-8") as f:
    f.write(json.dumps(record) + "\\n")
"""


class Hook:
    """A webhook on 127.0.0.1 that records each POST; the first ``failures`` get 500."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.failures = 0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.paths.append(self.path)
                if hook.failures > 0:
                    hook.failures -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                assert self.headers["Content-Type"] == "application/json"
                hook.bodies.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/SECRET-TOKEN"


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook()
    yield h
    h.server.shutdown()
    h.server.server_close()


def stamp(when: datetime) -> str:
    return data.stamp(when)


def set_ship_by(sandbox: SandboxServer, order_id: str, when: datetime) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["shippedAtMax"] = stamp(when)
        for line in doc["lines"]:
            line.setdefault("delivery", {})["shippedAtMax"] = stamp(when)

    sandbox.world.update_order(order_id, change)


def expected_alerts(run: Run) -> set[tuple[str, str]]:
    """(order id, kind) of every alert the stored orders raise now, by ``orders --json``."""
    orders = run("orders", "--json").json()
    assert isinstance(orders, list)
    found = {(o["order_id"], o["due"]) for o in orders if o["due"]}
    found |= {(o["order_id"], "new") for o in orders if o["state"] == "waiting_acceptance"}
    return found


def later_to_ship(run: Run) -> list[str]:
    """Orders to ship whose deadline is further than the margin."""
    orders = run("orders", "--status", "to_ship", "--json").json()
    assert isinstance(orders, list)
    return [o["order_id"] for o in orders if o["due"] is None]


def pairs(payloads: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(a["order_id"], a["kind"]) for p in payloads for a in p["alerts"]]


def test_orders_json_and_the_due_soon_filter(ready: Run) -> None:
    orders = ready("orders", "--json").json()
    assert isinstance(orders, list)
    now = datetime.now(UTC)
    by_due: dict[Any, list[dict[str, Any]]] = {}
    for o in orders:
        by_due.setdefault(o["due"], []).append(o)
    assert by_due.get("late"), "the sandbox has overdue orders to ship"
    for o in by_due.get("late", []):
        assert o["state"] in ("to_ship", "label_pending")
        assert datetime.fromisoformat(o["ship_by"]) < now
    for o in by_due.get("due_soon", []):
        ship_by = datetime.fromisoformat(o["ship_by"])
        assert now - timedelta(minutes=1) <= ship_by < now + timedelta(hours=4, minutes=1)
    for o in by_due.get(None, []):  # not to ship, or due later
        if o["state"] == "to_ship" and o["ship_by"]:
            assert datetime.fromisoformat(o["ship_by"]) >= now + timedelta(hours=4) - timedelta(
                minutes=1
            )
    urgent = ready("orders", "--due-soon", "--json").json()
    assert isinstance(urgent, list)
    assert {o["order_id"] for o in urgent} == {o["order_id"] for o in orders if o["due"]}
    table = ready("orders", "--due-soon")
    assert table.code == 0
    assert "DUE" in table.out.splitlines()[0]
    assert f"{len(urgent)} order(s)" in table.out


def test_the_margin_is_a_setting(ready: Run, sandbox: SandboxServer, cdtui_home: Path) -> None:
    order_id = later_to_ship(ready)[0]
    set_ship_by(sandbox, order_id, datetime.now(UTC) + timedelta(hours=10))
    assert ready("sync").code == 0
    dues = {o["order_id"]: o["due"] for o in ready("orders", "--json").json()}  # type: ignore[union-attr]
    assert dues[order_id] is None
    assert ready("setup", "--due-soon-hours", "12").code == 0
    config = json.loads((cdtui_home / "config.json").read_text())
    assert config["due_soon_hours"] == 12
    dues = {o["order_id"]: o["due"] for o in ready("orders", "--json").json()}  # type: ignore[union-attr]
    assert dues[order_id] == "due_soon"
    for bad in ("0", "-3", "two", "169"):
        before = (cdtui_home / "config.json").read_bytes()
        r = ready("setup", "--due-soon-hours", bad)
        assert r.code == 2, bad
        assert "due-soon-hours" in r.err and r.err.count("\n") == 1
        assert (cdtui_home / "config.json").read_bytes() == before


def test_daemon_flags_are_checked_before_anything_runs(ready: Run) -> None:
    for argv, words in (
        (("--webhook", "ftp://example.com/x"), "http:// or https://"),
        (("--webhook", "https://"), "http:// or https://"),
        (("--notify-command", "no-such-program-xyz"), "not found"),
        (("--notify-command", "'unclosed"), "cannot be read"),
    ):
        r = ready("daemon", "--once", *argv)
        assert r.code == 2, argv
        assert words in r.err
        assert "imported" not in r.out  # no sync ran


def test_daemon_announces_each_order_and_threshold_once(
    ready: Run, sandbox: SandboxServer, hook: Hook, tmp_path: Path
) -> None:
    script = tmp_path / "recorder.py"
    script.write_text(RECORDER)
    calls_file = tmp_path / "calls.jsonl"
    command = shlex.join([sys.executable, str(script), str(calls_file)])

    def daemon() -> Any:
        return ready("daemon", "--once", "--notify-command", command, "--webhook", hook.url)

    def calls() -> list[dict[str, Any]]:
        if not calls_file.exists():
            return []
        return [json.loads(line) for line in calls_file.read_text().splitlines()]

    # 1. the first sync: everything that raises an alert now; the webhook is down
    hook.failures = 1
    first = expected_alerts(ready)
    assert any(kind == "new" for _, kind in first) and any(k == "late" for _, k in first)
    r = daemon()
    assert r.code == 0, r.err
    assert "not delivered to the webhook at http://127.0.0.1:" in r.err
    assert "SECRET-TOKEN" not in r.err + r.out  # the URL's path is not shown
    assert len(calls()) == 1
    call = calls()[0]
    assert set(pairs([call["stdin"]])) == first
    summary = call["stdin"]["summary"]
    assert call["argv"][-1] == summary and call["env"] == summary
    assert "\n" not in summary and "late" in summary and "to accept" in summary
    assert hook.bodies == []

    # 2. the next sync: nothing new for the command; the webhook gets what it missed
    r = daemon()
    assert r.code == 0, r.err
    assert len(calls()) == 1
    assert len(hook.bodies) == 1 and set(pairs(hook.bodies)) == first
    assert hook.paths[-1] == "/hooks/SECRET-TOKEN"

    # 3. nothing changed: no call at all
    assert daemon().code == 0
    assert len(calls()) == 1 and len(hook.bodies) == 1

    # 4. a new order to accept, an order to ship now due within the margin
    soon_id = later_to_ship(ready)[0]
    set_ship_by(sandbox, soon_id, datetime.now(UTC) + timedelta(hours=2))
    (new_id,) = sandbox.world.add_orders(1, status="WaitingAcceptance")
    assert daemon().code == 0
    assert pairs([calls()[-1]["stdin"]]) == [(soon_id, "due_soon"), (new_id, "new")]
    assert pairs(hook.bodies[-1:]) == [(soon_id, "due_soon"), (new_id, "new")]

    # 5. its deadline passes: late, once
    set_ship_by(sandbox, soon_id, datetime.now(UTC) - timedelta(minutes=5))
    assert daemon().code == 0
    assert daemon().code == 0
    assert pairs([calls()[-1]["stdin"]]) == [(soon_id, "late")]
    assert pairs(hook.bodies[-1:]) == [(soon_id, "late")]

    # over the six syncs: one call per order and threshold, for each destination
    for delivered in (pairs([c["stdin"] for c in calls()]), pairs(hook.bodies)):
        counted = Counter(delivered)
        assert set(counted.values()) == {1}
        assert set(counted) == first | {(soon_id, "due_soon"), (new_id, "new"), (soon_id, "late")}
    assert len(calls()) == 3 and len(hook.bodies) == 3
