"""The shipping rules from the command line: rules, customs data, relay points, address
corrections, and what `label --json` and `orders --json` say about them."""

from __future__ import annotations

from conftest import Run

from cdtui.sandbox.server import SandboxServer


def _order(run: Run, order_id: str) -> dict:
    [found] = [o for o in run("orders", "--json").json() if o["order_id"] == order_id]  # type: ignore[union-attr]
    return found


def test_rules_customs_and_relay_settings_are_saved_listed_and_validated(ready: Run) -> None:
    r = ready(
        "integration",
        "update",
        "1",
        "--rule",
        "mode=SHD,country=FR -> colissimo:home/signature",
        "--rule",
        "mode=relay -> mondial_relay:point_relais",
        "--sku-hs-code",
        "SKU-CASQ-01=8518.30",
        "--default-hs-code",
        "392690",
        "--origin-country",
        "cn",
        "--relay-carrier",
        "mondial_relay",
    )
    assert r.code == 0, r.err
    assert "rule 1: country=FR,mode=SHD -> colissimo:home/signature" in r.out
    [integ] = ready("integrations", "--json").json()  # type: ignore[misc]
    assert integ["shipping_rules"] == [
        "country=FR,mode=SHD -> colissimo:home/signature",
        "mode=relay -> mondial_relay:point_relais",
    ]
    assert integ["sku_hs_codes"] == {"SKU-CASQ-01": "851830"}
    assert (integ["default_hs_code"], integ["origin_country"]) == ("392690", "CN")
    assert integ["relay_carrier"] == "mondial_relay"
    # bad input: a clear message, exit 2, nothing changed
    for argv in (
        ["--rule", "mode=SHD colissimo:home"],
        ["--sku-hs-code", "SKU-1=12"],
        ["--origin-country", "France"],
        ["--rule", "country=FR -> x", "--default-hs-code", "abc"],
    ):
        bad = ready("integration", "update", "1", *argv)
        assert bad.code == 2 and bad.err.startswith("cdtui: "), (argv, bad.err)
    assert ready("integrations", "--json").json() == [integ]
    # --clear-rules replaces them
    assert ready("integration", "update", "1", "--clear-rules").code == 0
    assert ready("integrations", "--json").json()[0]["shipping_rules"] == []  # type: ignore[index]


def test_a_relay_order_from_the_command_line(ready: Run, sandbox: SandboxServer) -> None:
    order_id = sandbox.world.showcase["relay"]
    listed = _order(ready, order_id)
    assert listed["relay_point"]["id"] and listed["relay_point"]["name"]
    r = ready("label", order_id, "--json")
    assert r.code == 0, r.err
    out = r.json()
    assert out["relay_point"] == listed["relay_point"]["id"]  # type: ignore[index]
    assert out["chosen_by"] == "cheapest" and out["shipping_option"].startswith("mondial_relay")  # type: ignore[index]
    assert _order(ready, order_id)["chosen_by"] == "cheapest"


def test_a_gb_order_is_refused_until_an_hs_code_is_set(ready: Run, sandbox: SandboxServer) -> None:
    order_id = sandbox.world.showcase["onbuy_gb"]
    r = ready("label", order_id)
    assert r.code == 2 and "--sku-hs-code" in r.err and "--default-hs-code" in r.err
    assert sandbox.world.stats["announce_requests"] == 0
    assert ready("integration", "update", "1", "--default-hs-code", "851830").code == 0
    r = ready("label", order_id)
    assert r.code == 0, r.err
    assert "customs declaration saved to" in r.out


def test_address_corrections_and_cancel_requests_from_the_command_line(
    ready: Run, sandbox: SandboxServer
) -> None:
    es = sandbox.world.showcase["es_floor"]
    r = ready("label", es, "--house-number", "14", "--shipping-option", "dpd:classic", "--json")
    assert r.code == 0, r.err
    [shipment] = [
        s
        for s in sandbox.world.shipments.values()
        if s.order_number == _order(ready, es)["reference"]
    ]
    assert shipment.to_address["house_number"] == "14"
    bad = ready("label", sandbox.world.showcase["home_thd"], "--house-number", "123456789")
    assert bad.code == 2 and "at most 8" in bad.err
    asked = sandbox.world.showcase["cancel_request"]
    assert "Cancellation requested" in (_order(ready, asked)["attention"] or "")
    assert ready("label", asked, "--include-cancel-requests").code == 0
    # several orders at once take no per-order options
    both = ready("label", es, asked, "--include-cancel-requests")
    assert both.code == 2 and "one order at a time" in both.err
