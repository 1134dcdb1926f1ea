"""``cdtui report`` against the sandbox: the labels bought today with the prices Sendcloud
quoted, a cancelled label, the table at 80 columns, CSV safe for spreadsheets, bad dates."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

from conftest import Run, shipments_by_order, to_ship

from cdtui.cli.commands.report import write_csv
from cdtui.models import Integration, LabelInfo, Order, OrderRecord, TrackingPush, utcnow
from cdtui.orders.enums import PushStatus
from cdtui.orders.report import day_report
from cdtui.sandbox import data
from cdtui.sandbox.server import SandboxServer


def quoted(sandbox: SandboxServer, order_id: str) -> list[Decimal]:
    """What the sandbox charges for each shipment bought for the order (its quote)."""
    return [
        s.option.price(s.to_address["country_code"].upper(), s.parcels[0].weight)  # type: ignore[attr-defined]
        for s in shipments_by_order(sandbox)[order_id]
    ]


def test_the_day_shows_the_labels_bought_with_their_quoted_prices(
    ready: Run, sandbox: SandboxServer
) -> None:
    ids = to_ship(ready)[:4]
    r = ready("label", *ids[:3], "--json")
    assert r.code == 0, r.err
    # the fourth while Octopia is down: bought, its tracking update waiting
    sandbox.world.faults.update({"fail_next": 1000, "fail_status": 503, "fail_api": "octopia"})
    r = ready("label", ids[3])
    sandbox.world.faults.reset()
    assert r.code == 1 and "retry" in r.err
    report = ready("report", "--json").json()
    assert isinstance(report, dict)
    assert report["date"] == date.today().isoformat()
    [row] = report["rows"]
    assert (row["integration"], row["integration_id"]) == ("Demo", "1")
    prices = {lb["order_id"]: (lb["price"], lb["currency"]) for lb in row["labels"]}
    assert prices == {oid: (str(quoted(sandbox, oid)[0]), "EUR") for oid in ids}
    total = sum(sum(quoted(sandbox, oid), Decimal(0)) for oid in ids)
    t = report["totals"]
    assert t["label_cost"] == {"EUR": f"{total:.2f}"}
    # the sandbox accepted three tracking updates at once; one waits
    assert (t["labels_bought"], t["orders_shipped"], t["tracking_pending"]) == (4, 3, 1)
    assert (t["labels_price_unknown"], t["labels_cancelled"]) == (0, 0)

    # its label cancelled and bought again: both bought today, one cancelled
    assert ready("cancel-label", ids[3]).code == 0
    assert ready("label", ids[3]).code == 0
    t = ready("report", "--json").json()["totals"]  # type: ignore[index]
    total += quoted(sandbox, ids[3])[1]
    assert (t["labels_bought"], t["labels_cancelled"]) == (5, 1)
    assert (t["orders_shipped"], t["tracking_pending"]) == (4, 0)
    assert t["label_cost"] == {"EUR": f"{total:.2f}"}

    # the table: one line per shop and channel, readable at 80 columns
    text = ready("report")
    assert text.code == 0, text.err
    lines = text.out.splitlines()
    assert lines[0].startswith(f"Report of {date.today().isoformat()}")
    assert lines[1].split() == [
        "SHOP",
        "/",
        "CHANNEL",
        "SHIPPED",
        "LATE",
        "PENDING",
        "LABELS",
        "CANCELLED",
        "COST",
    ]
    assert any(line.startswith("Demo / ") and f"{total:.2f} EUR" in line for line in lines)
    assert all(len(line) <= 80 for line in lines), lines

    # another day: nothing; an unknown integration: said
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    empty = ready("report", "--date", yesterday, "--json").json()
    assert empty["rows"] == [] and empty["totals"]["labels_bought"] == 0  # type: ignore[index]
    assert "Nothing shipped" in ready("report", "--date", yesterday).out
    missing = ready("report", "--integration", "9")
    assert missing.code == 2 and "9" in missing.err


def test_bad_dates_are_refused_with_exit_2(run: Run) -> None:
    for bad in ("2026-02-30", "30/11/2026", "today", "2026-11-3"):
        r = run("report", "--date", bad)
        assert r.code == 2, (bad, r.err)
        assert r.err.startswith("cdtui: --date:") and "YYYY-MM-DD" in r.err
        assert r.out == ""
    both = run("report", "--json", "--csv")
    assert both.code == 2 and "not allowed with" in both.err


def test_csv_from_the_command_line_quotes_a_name_that_looks_like_a_formula(
    run: Run, sandbox: SandboxServer
) -> None:
    assert run("setup", "--octopia-client-id", data.AGGREGATOR_CLIENT_ID).code == 0
    name = '=HYPERLINK("http://x","y")'
    connected = run(
        "connect", "--name", name, "--seller-id", data.SELLER_ID, "--login", "demo-shop"
    ).code
    assert connected == 0
    assert run("sync").code == 0
    [order_id] = to_ship(run)[:1]
    assert run("label", order_id).code == 0
    r = run("report", "--csv")
    assert r.code == 0, r.err
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert [row["integration"] for row in rows] == ["'" + name, "TOTAL"]
    price = quoted(sandbox, order_id)[0]
    assert [row["label_cost_EUR"] for row in rows] == [f"{price:.2f}"] * 2
    assert [row["labels_bought"] for row in rows] == ["1", "1"]


def test_csv_cells_never_start_a_formula_nor_carry_control_characters() -> None:
    now = utcnow()
    hostile = ["=1+2", "+33 6", "-2", "@SUM(A1)", "\tTAB", "\x1b]0;owned\x07Shop"]
    records, integrations = [], []
    for n, name in enumerate(hostile):
        order = Order.model_validate(
            {
                "orderId": f"O{n}",
                "reference": f"-REF{n}",
                "status": "Shipped",
                "shippedAtMax": "2000-01-01T00:00:00Z",  # so every order is late
                "salesChannel": {"id": str(n), "name": name},
            }
        )
        rec = OrderRecord(order_id=f"O{n}", integration_id=str(n), seller_id="1", order=order)
        rec.label = LabelInfo(
            external_reference_id=f"r{n}",
            shipment_id=f"s{n}",
            created_at=now,
            price=Decimal("1.10"),
            currency="EUR",
        )
        rec.push = TrackingPush(
            status=PushStatus.SENT, carrier_name="c", parcel_number="p", sent_at=now
        )
        records.append(rec)
        integrations.append(Integration(id=str(n), name=name, seller_id="1", login="x"))
    report = day_report(records, integrations, now.astimezone().date(), now=now)
    out = io.StringIO()
    write_csv(report, out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert len(rows) == 1 + len(hostile) + 1
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
            assert "\x1b" not in cell and "\x07" not in cell, row
    header = rows[0]
    names = [row[header.index("integration")] for row in rows[1:-1]]
    assert "'=1+2" in names and "'+33 6" in names and "'@SUM(A1)" in names
    assert rows[-1][header.index("late_orders")].startswith("'-REF")
    assert rows[-1][header.index("label_cost_EUR")] == "6.60"
