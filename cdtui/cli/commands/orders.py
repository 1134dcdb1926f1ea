"""Orders: ``sync``, ``orders``, ``accept``, ``refuse``."""

from __future__ import annotations

import argparse
from typing import Any

from cdtui.cli.base import (
    EXIT_FAILED,
    EXIT_OK,
    Out,
    current_settings,
    engine_for,
    err,
    say,
    table,
    write_json,
)
from cdtui.cli.views import order_json
from cdtui.orders.enums import State

ORDER = 30


def register(sub: Any) -> None:
    sy = sub.add_parser("sync", help="one sync pass")
    sy.add_argument("--integration", metavar="ID")
    sy.add_argument("--json", action="store_true")

    o = sub.add_parser("orders", help="list stored orders")
    o.add_argument("--integration", metavar="ID")
    o.add_argument("--status", metavar="STATUS", choices=[s.value for s in State])
    o.add_argument(
        "--due-soon",
        action="store_true",
        help="only orders to ship that are late or due within due_soon_hours",
    )
    o.add_argument("--json", action="store_true")
    a = sub.add_parser("accept", help="accept an order waiting for acceptance")
    a.add_argument("order_id", metavar="ORDER_ID")
    r = sub.add_parser("refuse", help="refuse an order waiting for acceptance")
    r.add_argument("order_id", metavar="ORDER_ID")
    sy.set_defaults(handler=cmd_sync)
    o.set_defaults(handler=cmd_orders)
    a.set_defaults(handler=cmd_accept)
    r.set_defaults(handler=cmd_refuse)


async def cmd_sync(args: argparse.Namespace, out: Out) -> int:
    async with engine_for(current_settings()) as engine:
        if args.integration is not None:
            engine.store.integration(args.integration)
        # asked for by the operator: pending tracking updates are retried now
        reports = await engine.sync(args.integration, manual=True)
    if args.json:
        write_json([r.as_json() for r in reports], out)
    else:
        if not reports:
            say("No integration to sync: connect one first (`cdtui connect`).", file=out)
        for r in reports:
            say(
                f"Integration {r.id}: {r.imported} imported, {r.updated} updated, "
                f"{r.tracking_sent} tracking sent, {r.tracking_refreshed} tracking refreshed"
                + (f", {len(r.errors)} error(s)" if r.errors else ""),
                file=out,
            )
    for r in reports:
        for e in r.errors:
            err(f"integration {r.id}: {e}")
    return EXIT_FAILED if any(r.errors for r in reports) else EXIT_OK


async def cmd_orders(args: argparse.Namespace, out: Out) -> int:
    settings = current_settings()
    engine = engine_for(settings)
    records = engine.orders(integration_id=args.integration, state=args.status)
    now, margin = engine.clock(), settings.due_soon_margin
    listed = [(r, order_json(r, now=now, margin=margin)) for r in records]
    if args.due_soon:
        listed = [(r, j) for r, j in listed if j["due"] is not None]
    # the inbox's order: the most urgent first (no deadline last), then by order id
    listed.sort(key=lambda rj: (rj[1]["ship_by"] is None, rj[1]["ship_by"] or "", rj[0].order_id))
    if args.json:
        write_json([j for _, j in listed], out)
        return EXIT_OK
    rows = []
    for r, j in listed:
        rows.append(
            [
                r.order_id,
                r.reference,
                r.integration_id,
                r.channel_id,
                r.state.value,
                (j["ship_by"] or "")[:10],
                (j["due"] or "").replace("_", " "),
                j["country"] or "",
                j["tracking_number"] or "",
                r.attention or r.error or "",
            ]
        )
    table(
        [
            "ORDER",
            "REFERENCE",
            "INT",
            "CHANNEL",
            "STATE",
            "SHIP BY",
            "DUE",
            "TO",
            "TRACKING",
            "NOTE",
        ],
        rows,
        out,
    )
    say(f"{len(listed)} order(s)", file=out)
    return EXIT_OK


async def cmd_approve(args: argparse.Namespace, out: Out, accepted: bool) -> int:
    async with engine_for(current_settings()) as engine:
        rec = await engine.approve(engine.resolve_order(args.order_id), accepted)
    verb = "accepted" if accepted else "refused"
    say(
        f"Order {rec.reference} {verb}; marketplace status {rec.marketplace_status}, "
        f"state {rec.state.value}.",
        file=out,
    )
    return EXIT_OK


async def cmd_accept(args: argparse.Namespace, out: Out) -> int:
    return await cmd_approve(args, out, True)


async def cmd_refuse(args: argparse.Namespace, out: Out) -> int:
    return await cmd_approve(args, out, False)
