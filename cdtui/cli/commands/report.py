"""The end-of-day report: ``report [--date D] [--json|--csv] [--integration ID]``.

The table fits 80 columns (one line per integration and channel, then the totals and
the orders shipped late). ``--csv`` is for a spreadsheet: one row per integration and
channel plus a totals row, one price column per currency; a cell starting with ``=``,
``+``, ``-``, ``@`` (or a tab or carriage return) is prefixed with ``'`` so that a
channel or shop name can never be run as a formula when the file is opened.
"""

from __future__ import annotations

import argparse
import csv
from typing import Any

from cdtui.cli.base import EXIT_OK, Out, current_settings, engine_for, say, table, write_json
from cdtui.errors import UsageError
from cdtui.orders.report import DayReport, ReportRow, local_today, parse_day
from cdtui.text import printable

ORDER = 45

HEADERS = ["SHOP / CHANNEL", "SHIPPED", "LATE", "PENDING", "LABELS", "CANCELLED", "COST"]
#: the shop / channel column's width: the columns before the cost take 65 of 80
NAME_WIDTH = 20
#: what a spreadsheet would read as the start of a formula
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def register(sub: Any) -> None:
    rp = sub.add_parser(
        "report",
        help="end-of-day report: shipped, labels bought and their cost, late, cancelled",
    )
    rp.add_argument("--date", metavar="YYYY-MM-DD", help="the local day (default: today)")
    rp.add_argument("--integration", metavar="ID")
    fmt = rp.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument(
        "--csv", action="store_true", help="for spreadsheets (cells that look like formulas quoted)"
    )
    rp.set_defaults(handler=cmd_report)


async def cmd_report(args: argparse.Namespace, out: Out) -> int:
    engine = engine_for(current_settings())
    if args.date is not None:
        try:
            day = parse_day(args.date)
        except ValueError as exc:
            raise UsageError(f"--date: {exc}") from None
    else:
        day = local_today(engine.clock())
    report = engine.day_report(day, integration_id=args.integration)
    if args.json:
        write_json(report.as_json(), out)
    elif args.csv:
        write_csv(report, out)
    else:
        show(report, out)
    return EXIT_OK


def show(report: DayReport, out: Out) -> None:
    """The report for a person, readable at 80 columns."""
    say(f"Report of {report.day.isoformat()} ({report.day:%A}, local time)", file=out)
    if not report.rows:
        say("Nothing shipped, bought or cancelled that day; no tracking update waiting.", out)
        _undated(report, out)
        return
    rows = [_cells(r, f"{r.integration_name} / {r.channel_name or '-'}") for r in report.rows]
    if len(report.rows) > 1:
        rows.append(_cells(report.totals, "Total"))
    table(HEADERS, rows, out)
    t = report.totals
    if t.late_orders:
        say(f"Shipped late: {t.late_text()}", file=out)
    if t.tracking_refused:
        say(f"Tracking refused by the marketplace (needs you): {t.tracking_refused}", file=out)
    if t.labels_price_unknown:
        say(
            f"{t.labels_price_unknown} label(s) without a known price (bought before cdtui "
            "kept prices, or recovered after an interruption).",
            file=out,
        )
    _undated(report, out)


def _cells(row: ReportRow, name: str) -> list[str]:
    """One table line: 65 columns before the cost, which is last (never cut)."""
    name = printable(name)
    return [
        name if len(name) <= NAME_WIDTH else name[: NAME_WIDTH - 1] + "…",
        str(row.orders_shipped),
        str(row.shipped_late),
        str(row.tracking_pending + row.tracking_refused),
        str(row.labels_bought),
        str(row.labels_cancelled),
        row.cost_text(unpriced=False),
    ]


def _undated(report: DayReport, out: Out) -> None:
    if report.cancelled_undated:
        say(
            f"({report.cancelled_undated} label(s) cancelled before cdtui kept cancellation "
            "dates are in no day.)",
            file=out,
        )


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text, never runs: formula starts quoted,
    control characters made visible."""
    text = str(value)
    if text.startswith(_FORMULA_STARTS):
        text = "'" + text
    return printable(text)


def write_csv(report: DayReport, out: Out) -> None:
    currencies = sorted({c for r in report.rows for c in r.label_cost})
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "date",
            "integration_id",
            "integration",
            "channel_id",
            "channel",
            "orders_shipped",
            "shipped_late",
            "labels_bought",
            *(f"label_cost_{c}" for c in currencies),
            "labels_price_unknown",
            "labels_cancelled",
            "tracking_pending",
            "tracking_refused",
            "late_orders",
        ]
    )
    day = report.day.isoformat()
    for r in [*report.rows, report.totals]:
        total = r is report.totals
        writer.writerow(
            [
                safe_cell(x)
                for x in (
                    day,
                    "" if total else r.integration_id,
                    "TOTAL" if total else r.integration_name,
                    "" if total else r.channel_id,
                    "" if total else r.channel_name,
                    r.orders_shipped,
                    r.shipped_late,
                    r.labels_bought,
                    *(
                        f"{r.label_cost[c]:.2f}" if c in r.label_cost else "0.00"
                        for c in currencies
                    ),
                    r.labels_price_unknown,
                    r.labels_cancelled,
                    r.tracking_pending,
                    r.tracking_refused,
                    " ".join(r.late_orders),
                )
            ]
        )
