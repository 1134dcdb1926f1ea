"""The headless commands as a user runs them: output, JSON keys, exit codes, bad input."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import Result, Run, shipments_by_order, snapshot, to_ship

from cdtui import cli
from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer

ORDER_KEYS = {
    "order_id",
    "reference",
    "integration_id",
    "channel_id",
    "marketplace_status",
    "state",
    "attention",
    "carrier",
    "tracking_number",
    "tracking_url",
    "label_path",
    "error",
}
SECRETS = (data.AGGREGATOR_CLIENT_SECRET, data.SENDCLOUD_SECRET_KEY)


def test_new_user_from_setup_to_tracking_sent(
    run: Run, sandbox: SandboxServer, cdtui_home: Path
) -> None:
    outputs: list[str] = []

    def step(*argv: str) -> Result:
        r = run(*argv)
        outputs.extend((r.out, r.err))
        assert r.code == 0, (argv, r.err)
        return r

    r = step("setup", "--octopia-client-id", data.AGGREGATOR_CLIENT_ID, "--default-weight", "0.8")
    assert "credentials accepted" in r.out
    assert (cdtui_home / "secrets.json").stat().st_mode & 0o077 == 0
    r = step("connect", "--name", "Demo", "--seller-id", "98979", "--login", "demo-shop")
    assert r.out.splitlines()[0] == "Your integration is ready"

    integrations = json.loads(step("integrations", "--json").out)
    assert {"id", "name", "seller_id", "login", "channels", "last_sync", "last_error"} <= set(
        integrations[0]
    )
    assert integrations[0]["channels"] == "all" and integrations[0]["last_sync"] is None

    [report] = json.loads(step("sync", "--json").out)
    assert set(report) == {
        "id",
        "imported",
        "updated",
        "tracking_sent",
        "tracking_refreshed",
        "errors",
    }
    assert report["imported"] == len(sandbox.world.order_ids()) and report["errors"] == []

    orders = json.loads(step("orders", "--json").out)
    assert all(set(o) >= ORDER_KEYS for o in orders)
    order_id = to_ship(run)[0]

    label = json.loads(step("label", order_id, "--json").out)
    assert {
        "order_id",
        "carrier",
        "tracking_number",
        "tracking_url",
        "label_path",
        "tracking_sent",
    } <= set(label)
    assert label["tracking_sent"] is True and Path(label["label_path"]).is_file()

    [after] = [o for o in json.loads(step("orders", "--json").out) if o["order_id"] == order_id]
    assert after["state"] == "tracking_sent"
    assert after["tracking_number"] == label["tracking_number"]
    doc = sandbox.world.order(order_id)
    assert label["tracking_number"] in {
        p["parcelNumber"] for ln in doc["lines"] for p in ln["parcels"]
    }

    text = step("orders", "--status", "tracking_sent").out
    assert order_id in text and "1 order(s)" in text
    log = (cdtui_home / "logs" / "cdtui.log").read_text()
    for secret in SECRETS:
        assert all(secret not in o for o in outputs)
        assert secret not in log


def test_cancel_label_accept_refuse_and_disconnect(ready: Run, sandbox: SandboxServer) -> None:
    run = ready
    [first, second] = to_ship(run)[:2]
    assert run("label", first).code == 0
    r = run("cancel-label", first)
    assert r.code == 0 and ("cancelled" in r.out or "queued" in r.out)
    waiting = [
        o["order_id"]
        for o in run("orders", "--status", "waiting_acceptance", "--json").json()  # type: ignore[union-attr]
    ]
    r = run("accept", waiting[0])
    assert r.code == 0 and "accepted" in r.out
    r = run("refuse", waiting[1])
    assert r.code == 0 and "Refused" in r.out
    # a pending tracking update makes disconnect ask for --yes
    sandbox.world.faults.update({"fail_next": 1000, "fail_status": 503, "fail_api": "octopia"})
    r = run("label", second)
    sandbox.world.faults.reset()
    assert r.code == 1 and "retry" in r.err
    r = run("disconnect", "1")
    assert r.code == 2 and "--yes" in r.err and "1 tracking update" in r.err
    assert run("integrations", "--json").json()
    r = run("disconnect", "1", "--yes")
    assert r.code == 0 and "1 tracking update(s) dropped" in r.out
    assert run("integrations", "--json").json() == []


def test_bad_input_on_every_command_changes_nothing(
    ready: Run, sandbox: SandboxServer, cdtui_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = ready
    orders = run("orders", "--json").json()
    assert isinstance(orders, list)
    ship = next(o["order_id"] for o in orders if o["state"] == "to_ship")
    other = next(o["order_id"] for o in orders if o["state"] == "not_shippable")
    bad = [
        ["frobnicate"],
        ["connect", "--name", "X"],
        ["connect", "--name", "X", "--seller-id", "98a", "--login", "l"],
        ["connect", "--name", "demo", "--seller-id", "77777", "--login", "atelier-nord"],
        ["connect", "--name", "N", "--seller-id", "77777", "--login", "wrong-login"],
        [
            "connect",
            "--name",
            "N",
            "--seller-id",
            "77777",
            "--login",
            "atelier-nord",
            "--channels",
            "NOPE",
        ],
        [
            "connect",
            "--name",
            "N",
            "--seller-id",
            "77777",
            "--login",
            "atelier-nord",
            "--channels",
            ",",
        ],
        ["integration", "update", "1"],
        ["integration", "update", "9", "--name", "x"],
        ["integration", "update", "1", "--default-weight", "-3"],
        ["integration", "update", "1", "--channels", "DARTFR"],
        ["integration", "update", "1", "--name", " "],
        ["integration", "update", "1", "--sku-weight", "SKU-1"],
        ["integration", "update", "1", "--sku-weight", "=0.3"],
        ["integration", "update", "1", "--sku-weight", "SKU-1=0"],
        ["integration", "update", "1", "--sku-weight", "SKU-1=1", "--sku-weight", "SKU-2=-1"],
        ["integration"],
        ["disconnect", "9"],
        ["disconnect"],
        ["sync", "--integration", "9"],
        ["orders", "--status", "bogus"],
        ["orders", "--integration", "9"],
        ["label", "NOPE"],
        ["label", ship, "--weight", "0"],
        ["label", ship, "--weight", "heavy"],
        ["label", ship, "--shipping-option", ""],
        ["label", other],
        ["label", ship, other, "--house-number", "1"],
        ["cancel-label", ship],
        ["accept", ship],
        ["refuse", "NOPE"],
        ["setup", "--label-format", "png"],
        ["setup", "--default-weight", "-1"],
        ["setup", "--sender-country", "France"],
        ["setup", "--sender-address-id", "x"],
        ["setup", "--print-command", "no-such-printer-command-xyz"],
        ["setup", "--print-command", "lp 'unclosed"],
        ["setup", "--carrier-map", "=Colissimo"],
        ["setup", "--carrier-map", "colissimo", "--carrier-map", "dhl=DHL"],
    ]
    before = snapshot(cdtui_home)
    shipments = len(sandbox.world.shipments)
    for argv in bad:
        r = run(*argv)
        assert r.code == 2, (argv, r.out, r.err)
        lines = r.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("cdtui: "), (argv, r.err)
        assert "Traceback" not in r.err
    assert snapshot(cdtui_home) == before
    assert len(sandbox.world.shipments) == shipments and sandbox.world.shipment_posts == []
    # wrong credentials in setup: refused, nothing saved
    monkeypatch.setenv("CDTUI_SENDCLOUD_SECRET_KEY", "wrong-key")
    r = run("setup")
    assert r.code == 2 and "Nothing was saved" in r.err
    assert snapshot(cdtui_home) == before


def test_setup_without_secrets_and_without_a_terminal_refuses(
    run: Run, cdtui_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CDTUI_OCTOPIA_CLIENT_SECRET")
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    r = run("setup")
    assert r.code == 2 and "CDTUI_OCTOPIA_CLIENT_SECRET" in r.err
    assert not (cdtui_home / "config.json").exists()


def test_secrets_are_never_read_from_the_command_line() -> None:
    parser = cli.build_parser()
    with pytest.raises(cli._ArgError):
        parser.parse_args(["setup", "--octopia-client-secret", "x"])


def test_a_damaged_config_file_is_named_and_kept(run: Run, cdtui_home: Path) -> None:
    path = cdtui_home / "config.json"
    path.write_text("{not json")
    r = run("orders")
    assert r.code == 2 and str(path) in r.err
    assert path.read_text() == "{not json"


def test_network_down_is_exit_1_with_one_line(ready: Run, sandbox: SandboxServer) -> None:
    sandbox.world.faults.update({"fail_next": 10_000, "fail_status": 503, "fail_api": "octopia"})
    r = ready("sync")
    assert r.code == 1 and "integration 1:" in r.err
    r = ready("integrations", "--json")
    assert r.json()[0]["last_error"]  # type: ignore[index]


def test_unexpected_errors_are_logged_not_shown(
    ready: Run, cdtui_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError(f"boom with {data.SENDCLOUD_SECRET_KEY}")

    monkeypatch.setattr("cdtui.engine.Engine.sync", broken)
    r = ready("sync")
    log = cdtui_home / "logs" / "cdtui.log"
    assert r.code == 1 and r.err.strip() == f"cdtui: unexpected error, see {log}"
    text = log.read_text()
    assert "Traceback" in text and "RuntimeError" in text
    assert data.SENDCLOUD_SECRET_KEY not in text


def test_keyboard_interrupt_exits_130(ready: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    async def interrupted(*_a: object, **_k: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("cdtui.engine.Engine.sync", interrupted)
    r = ready("sync")
    assert r.code == 130 and r.err.strip() == "cdtui: interrupted"


def test_help_and_version_exit_0(run: Run) -> None:
    assert run("--help").code == 0
    assert run("label", "--help").code == 0
    r = run("--version")
    assert r.code == 0 and "cdtui" in r.out


def test_tui_and_sandbox_are_reached_through_the_same_command(
    monkeypatch: pytest.MonkeyPatch, cdtui_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[tuple[bool, bool]] = []

    def fake_run(*, demo: bool = False, no_mouse: bool = False) -> int:
        calls.append((demo, no_mouse))
        return 0

    monkeypatch.setattr("cdtui.tui.app.run", fake_run)
    assert cli.main([]) == 0
    assert cli.main(["--no-mouse"]) == 0
    assert cli.main(["demo", "--no-mouse"]) == 0
    assert calls == [(False, False), (False, True), (True, True)]
    assert cli.main(["sandbox", "--help"]) == 0
    assert "--latency-ms" in capsys.readouterr().out
    assert cli.main(["sandbox", "--port", "x"]) == 2


def test_carrier_labels_and_sku_weights_are_set_from_the_command_line(
    ready: Run, sandbox: SandboxServer, cdtui_home: Path
) -> None:
    config = cdtui_home / "config.json"

    def carriers() -> object:
        return json.loads(config.read_text()).get("carrier_map")

    r = ready("setup", "--carrier-map", "colissimo_home=Colissimo", "--carrier-map", "DHL X=DHL")
    assert r.code == 0, r.err
    assert carriers() == {"colissimo_home": "Colissimo", "DHL X": "DHL"}
    assert ready("setup", "--carrier-map", "DHL X=").code == 0  # removes that one only
    assert carriers() == {"colissimo_home": "Colissimo"}
    before = config.read_bytes()
    bad = ready("setup", "--carrier-map", "Colissimo")
    assert bad.code == 2 and "CARRIER=LABEL" in bad.err and config.read_bytes() == before

    [integ] = ready("integrations", "--json").json()  # type: ignore[misc]
    order_id = to_ship(ready)[0]
    doc = sandbox.world.order(order_id)
    skus = {ln["offer"]["sellerProductId"] for ln in doc["lines"]}
    weights = [f"{sku}=0.35" for sku in skus] + ["UNUSED=2"]
    r = ready("integration", "update", integ["id"], *(f"--sku-weight={w}" for w in weights))
    assert r.code == 0, r.err
    ready("integration", "update", integ["id"], "--sku-weight", "UNUSED=")
    [integ] = ready("integrations", "--json").json()  # type: ignore[misc]
    assert integ["sku_weights"] == {sku: "0.35" for sku in skus}
    bad = ready("integration", "update", integ["id"], "--sku-weight", "X=heavy")
    assert bad.code == 2 and ready("integrations", "--json").json() == [integ]

    assert ready("label", order_id).code == 0  # the label is weighed from the table
    [shipment] = shipments_by_order(sandbox)[order_id]
    quantity = sum(
        ln["quantity"]
        for ln in doc["lines"]
        if (ln["offer"].get("supplyMode") or "Seller") == "Seller"
        and ln["status"] in ("InPreparation", "CancelRequest")
    )
    assert shipment.parcels[0].weight == Decimal("0.35") * quantity  # type: ignore[attr-defined]
