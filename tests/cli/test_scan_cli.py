"""``cdtui scan`` at a bare terminal: scans piped in, one line per event, labels bought
in the sandbox; wrong items, too many, unknown or finished orders refused in words."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Run, shipments_by_order, to_ship

from cdtui.models import OrderRecord
from cdtui.orders.enums import State
from cdtui.orders.packing import pack_lines
from cdtui.sandbox.server import SandboxServer
from cdtui.storage.store import Store

WRONG = "0000000000017"


def scans_for(rec: OrderRecord) -> list[str]:
    """Every item of the order, scanned by its GTIN as many times as ordered."""
    return [ln.code or "" for ln in pack_lines(rec) for _ in range(ln.quantity)]


def piped(run: Run, monkeypatch: pytest.MonkeyPatch, lines: list[str]):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(f"{x}\n" for x in lines)))
    return run("scan")


def an_order(run: Run, home: Path, *, several: bool = False) -> OrderRecord:
    store = Store(home)
    for order_id in to_ship(run):
        rec = store.order(order_id)
        if not several or sum(ln.quantity for ln in pack_lines(rec)) > 1:
            return rec
    raise AssertionError("the seeded world has no such order to ship")


def test_scanned_slip_and_items_buy_the_label_and_send_tracking(
    ready: Run, monkeypatch: pytest.MonkeyPatch, cdtui_home: Path, sandbox: SandboxServer
) -> None:
    rec = an_order(ready, cdtui_home, several=True)
    items = scans_for(rec)
    r = piped(ready, monkeypatch, [f"  {rec.reference}  ", WRONG, *items, "q"])
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[0].startswith(f"Order {rec.reference} opened: ")
    assert f"Scan {len(items)} item(s)" in lines[0]
    assert lines[1].startswith("Option: "), "the option its label will have, at once"
    assert lines[2] == (
        f"REFUSED: Wrong item: {WRONG} is not in order {rec.reference}. Keep it out of the parcel."
    )
    counted = [x for x in lines if x.startswith("OK: ")]
    assert len(counted) == len(items)
    assert counted[-1].endswith(f"Order {rec.reference} complete ({len(items)} items).")
    [label] = [x for x in lines if x.startswith("LABEL: ")]
    assert "tracking sent to the marketplace" in label
    assert "\a" not in r.out, "no bell into a pipe"
    assert lines[-2] == "Ready: scan the next order."
    assert lines[-1] == "Scan mode ended: 1 label(s) bought, 0 failed."
    stored = Store(cdtui_home).order(rec.order_id)
    assert stored.state == State.TRACKING_SENT
    assert stored.label is not None and stored.label.tracking_number in label
    assert len(shipments_by_order(sandbox)[rec.order_id]) == 1


def test_too_many_unknown_and_finished_orders_are_refused_and_nothing_bought(
    ready: Run, monkeypatch: pytest.MonkeyPatch, cdtui_home: Path, sandbox: SandboxServer
) -> None:
    store = Store(cdtui_home)
    rec = an_order(ready, cdtui_home)
    shipped = store.orders(state=State.NOT_SHIPPABLE)[0]
    first = pack_lines(rec)[0]
    r = piped(
        ready,
        monkeypatch,
        [
            "NO-SUCH-ORDER",
            shipped.reference,
            rec.reference,
            *[first.code or ""] * (first.quantity + 1),
        ],
    )
    assert r.code == 0, r.err
    out = r.out
    assert "REFUSED: There is no order with id or reference 'NO-SUCH-ORDER'" in out
    assert f"REFUSED: Order {shipped.reference} is not shippable: " in out
    if len(pack_lines(rec)) == 1:
        return  # the order completed and was bought: the extra scan came after
    assert (
        f"REFUSED: Too many: {first.title} is already {first.quantity} of {first.quantity}" in out
    )
    assert f"Order {rec.reference} left open" in out
    assert "label(s) bought" in out and "0 label(s) bought" in out
    assert shipments_by_order(sandbox).get(rec.order_id) is None


def test_verification_off_buys_on_the_slip_and_confirmation_waits_for_enter(
    ready: Run, monkeypatch: pytest.MonkeyPatch, cdtui_home: Path, sandbox: SandboxServer
) -> None:
    assert ready("setup", "--scan-verify", "maybe").code == 2
    assert ready("setup", "--scan-verify", "off", "--scan-confirm", "on").code == 0
    saved = json.loads((cdtui_home / "config.json").read_text())
    assert saved["scan_verify"] is False and saved["scan_confirm"] is True
    one, two = to_ship(ready)[:2]
    store = Store(cdtui_home)
    first, second = store.order(one), store.order(two)
    # confirmation on: the slip opens a complete order that waits; another slip sets it
    # aside unbought; an empty line buys the second
    r = piped(ready, monkeypatch, [first.reference, second.reference, ""])
    assert r.code == 0, r.err
    assert f"Order {first.reference} complete: Enter buys its label." in r.out
    assert f"Order {first.reference} set aside: no label bought." in r.out
    assert "Scan mode ended: 1 label(s) bought, 0 failed." in r.out
    bought = shipments_by_order(sandbox)
    assert one not in bought and len(bought[two]) == 1
    # confirmation off: the slip alone buys
    assert ready("setup", "--scan-confirm", "off").code == 0
    r = piped(ready, monkeypatch, [first.reference])
    assert "LABEL: order" in r.out and Store(cdtui_home).order(one).state == State.TRACKING_SENT


def test_a_real_pipe_into_the_process(
    ready: Run, sandbox_env: dict[str, str], cdtui_home: Path
) -> None:
    rec = an_order(ready, cdtui_home)
    feed = "\n".join([rec.reference, WRONG, *scans_for(rec), "", ""]) + "\n"
    proc = subprocess.run(
        [sys.executable, "-m", "cdtui", "scan"],
        input=feed,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **sandbox_env},
    )
    assert proc.returncode == 0, proc.stderr
    assert "REFUSED: Wrong item" in proc.stdout and "\a" not in proc.stdout
    assert "Empty line: another one ends scan mode." in proc.stdout
    assert proc.stdout.rstrip().endswith("Scan mode ended: 1 label(s) bought, 0 failed.")
    assert Store(cdtui_home).order(rec.order_id).state == State.TRACKING_SENT


def test_at_a_terminal_it_prompts_and_rings_on_a_wrong_item_only(
    ready: Run, sandbox_env: dict[str, str], cdtui_home: Path
) -> None:
    rec = an_order(ready, cdtui_home, several=True)
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cdtui", "scan"],
        env={**os.environ, **sandbox_env},
        stdin=slave,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    seen = b""

    def read_until(wanted: bytes) -> None:
        nonlocal seen
        deadline = time.monotonic() + 60
        while wanted not in seen and time.monotonic() < deadline:
            ready_to_read, _, _ = select.select([master], [], [], 1)
            if ready_to_read:
                try:
                    seen += os.read(master, 65536)
                except OSError:
                    break
        assert wanted in seen, seen.decode(errors="replace")

    read_until(b"scan an order> ")
    os.write(master, rec.reference.encode() + b"\n")
    read_until(f"{rec.reference} 0/".encode())  # the prompt says where the order stands
    assert b"\a" not in seen, "no bell for an order opened"
    os.write(master, f"{pack_lines(rec)[0].code}\n".encode())
    read_until(b"OK: ")
    assert b"\a" not in seen, "no bell for an item counted"
    os.write(master, f"{WRONG}\n".encode())
    read_until(b"REFUSED: Wrong item")
    assert seen.count(b"\a") == 1
    os.write(master, b"q\n")
    read_until(b"Scan mode ended: 0 label(s) bought")
    assert proc.wait(30) == 0
    os.close(master)
    assert Store(cdtui_home).order(rec.order_id).state == State.TO_SHIP


def test_an_item_scanned_after_its_label_is_too_many_of_the_order_labelled(
    ready: Run, monkeypatch: pytest.MonkeyPatch, cdtui_home: Path, sandbox: SandboxServer
) -> None:
    rec = an_order(ready, cdtui_home)
    items = scans_for(rec)
    r = piped(ready, monkeypatch, [rec.reference, *items, items[-1], "q"])
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    label = next(i for i, x in enumerate(lines) if x.startswith("LABEL: "))
    [extra] = [x for x in lines[label:] if x.startswith("REFUSED: ")]
    assert extra.startswith("REFUSED: Too many: ")
    assert f"is of order {rec.reference}, already packed and labelled." in extra
    assert extra.endswith("Keep this item out of the parcel.")
    assert "There is no order" not in r.out
    assert lines[-1] == "Scan mode ended: 1 label(s) bought, 0 failed."
    assert len(shipments_by_order(sandbox)[rec.order_id]) == 1


def test_an_order_that_cannot_be_labelled_is_warned_of_when_it_opens(
    ready: Run, monkeypatch: pytest.MonkeyPatch, cdtui_home: Path, sandbox: SandboxServer
) -> None:
    """La Réunion is outside the EU customs territory: without HS codes its label is
    refused. The packer hears it when the slip is scanned, before packing the items."""
    orders = ready("orders", "--status", "to_ship", "--json").json()
    assert isinstance(orders, list)
    found = [o for o in orders if o["postal_code"] == "97400" and not o["attention"]]
    assert found, "the seeded world has no order to ship to 97400"
    rec = Store(cdtui_home).order(found[0]["order_id"])
    items = scans_for(rec)
    r = piped(ready, monkeypatch, [rec.reference, *items, "q"])
    assert r.code == 1, r.err
    lines = r.out.splitlines()
    assert lines[0].startswith(f"Order {rec.reference} opened: ")
    warning = "WARNING: no label can be bought as it is: "
    assert lines[1].startswith(warning) and "HS code" in lines[1], lines[1]
    first_scan = next(i for i, x in enumerate(lines) if x.startswith("OK: "))
    assert first_scan > 1, "warned before the first item was scanned"
    assert any(x.startswith(f"NO LABEL for order {rec.reference}: ") for x in lines)
    assert shipments_by_order(sandbox).get(rec.order_id) is None
