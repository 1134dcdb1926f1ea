"""Integrations: ``connect``, ``integrations``, ``integration update``, ``disconnect``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from cdtui.cli.base import (
    EXIT_OK,
    EXIT_USAGE,
    Out,
    current_settings,
    engine_for,
    pairs,
    say,
    table,
    write_json,
)
from cdtui.cli.views import integration_json, rule_texts
from cdtui.text import printable

ORDER = 20


def register(sub: Any) -> None:
    c = sub.add_parser("connect", help="connect a seller account (Seller ID + login)")
    c.add_argument("--name", required=True)
    c.add_argument("--seller-id", required=True)
    c.add_argument("--login", required=True)
    c.add_argument("--channels", default="all", metavar="all|ID,ID")

    i = sub.add_parser("integrations", help="list the connected integrations")
    i.add_argument("--json", action="store_true")

    iu = sub.add_parser("integration", help="change an integration")
    iu_sub = iu.add_subparsers(dest="integration_command", metavar="update", required=True)
    up = iu_sub.add_parser(
        "update", help="change name, channels, defaults, customs data or shipping rules"
    )
    up.add_argument("id", metavar="ID")
    up.add_argument("--name")
    up.add_argument("--channels", metavar="all|ID,ID")
    up.add_argument("--default-weight", metavar="KG")
    up.add_argument("--shipping-option", metavar="CODE", help='default shipping option ("" clears)')
    up.add_argument(
        "--sku-weight",
        metavar="SKU=KG",
        action="append",
        help="a product's weight, used when every line of an order has one (repeat it; "
        "SKU= removes one)",
    )
    up.add_argument(
        "--rule",
        metavar='"CONDITIONS -> OPTION"',
        action="append",
        help='a shipping rule, e.g. "mode=SHD,country=FR -> colissimo:home/signature" '
        "(conditions: channel=, country=, mode= (a delivery mode or relay), weight=MIN-MAX; "
        "repeat it; rules are tried in order, before the default option)",
    )
    up.add_argument("--clear-rules", action="store_true", help="remove the stored rules first")
    up.add_argument(
        "--sku-hs-code",
        metavar="SKU=CODE",
        action="append",
        help="a product's HS code, for customs outside the EU (repeat it; SKU= removes one)",
    )
    up.add_argument("--default-hs-code", metavar="CODE", help='HS code of other SKUs ("" clears)')
    up.add_argument(
        "--sku-origin-country",
        metavar="SKU=CC",
        action="append",
        help="a product's country of origin (repeat it; SKU= removes one)",
    )
    up.add_argument(
        "--origin-country",
        metavar="CC",
        help='country of origin of other SKUs (default: the sender country; "" clears)',
    )
    up.add_argument(
        "--relay-carrier",
        metavar="CODE",
        help="Sendcloud carrier running the relay points of this seller's relay orders "
        "(default mondial_relay)",
    )

    d = sub.add_parser("disconnect", help="delete an integration and its stored orders")
    d.add_argument("id", metavar="ID")
    d.add_argument("--yes", action="store_true", help="even if tracking updates are waiting")
    c.set_defaults(handler=cmd_connect)
    i.set_defaults(handler=cmd_integrations)
    up.set_defaults(handler=cmd_integration_update)
    d.set_defaults(handler=cmd_disconnect)


async def cmd_connect(args: argparse.Namespace, out: Out) -> int:
    async with engine_for(current_settings()) as engine:
        integ = await engine.connect(
            name=args.name, seller_id=args.seller_id, login=args.login, channels=args.channels
        )
    channels = "all sales channels" if integ.all_channels else ", ".join(integ.channels)
    say("Your integration is ready", file=out)
    say(
        f"Integration {integ.id}: {integ.name} — seller {integ.seller_id} ({integ.login}), "
        f"{channels}. Run `cdtui sync` to import its orders.",
        file=out,
    )
    return EXIT_OK


async def cmd_integrations(args: argparse.Namespace, out: Out) -> int:
    settings = current_settings()
    engine = engine_for(settings)
    integs = engine.store.integrations()
    if args.json:
        write_json([integration_json(i, settings.sync_interval) for i in integs], out)
        return EXIT_OK
    if not integs:
        say("No integration yet: `cdtui connect --name N --seller-id ID --login L`.", file=out)
        return EXIT_OK
    rows = []
    for i in integs:
        j = integration_json(i, settings.sync_interval)
        channels = "all" if i.all_channels else ",".join(i.channels)
        rows.append(
            [
                i.id,
                i.name,
                i.seller_id,
                i.login,
                channels,
                j["last_sync"] or "never",
                j["next_sync"] or "-",
                i.last_error or "ok",
            ]
        )
    table(
        ["ID", "NAME", "SELLER", "LOGIN", "CHANNELS", "LAST SYNC", "NEXT SYNC", "HEALTH"], rows, out
    )
    return EXIT_OK


async def cmd_integration_update(args: argparse.Namespace, out: Out) -> int:
    async with engine_for(current_settings()) as engine:
        integ = await engine.update_integration(
            args.id,
            name=args.name,
            channels=args.channels,
            default_weight_kg=args.default_weight,
            default_shipping_option=args.shipping_option,
            sku_weights=pairs(args.sku_weight, "--sku-weight", "SKU=KG")
            if args.sku_weight
            else None,
            sku_hs_codes=pairs(args.sku_hs_code, "--sku-hs-code", "SKU=CODE")
            if args.sku_hs_code
            else None,
            default_hs_code=args.default_hs_code,
            sku_origin_countries=pairs(args.sku_origin_country, "--sku-origin-country", "SKU=CC")
            if args.sku_origin_country
            else None,
            origin_country=args.origin_country,
            relay_carrier=args.relay_carrier,
            rules=args.rule,
            clear_rules=args.clear_rules,
        )
    say(f"Integration {integ.id} ({integ.name}) updated.", file=out)
    for i, text in enumerate(rule_texts(integ), 1):
        say(f"  rule {i}: {text}", file=out)
    return EXIT_OK


async def cmd_disconnect(args: argparse.Namespace, out: Out) -> int:
    settings = current_settings()
    engine = engine_for(settings)
    integ = engine.store.integration(args.id)
    stored, waiting = engine.disconnect_impact(args.id)
    force = args.yes
    if not args.yes and sys.stdin.isatty():
        dropped = (
            f" and {waiting} tracking update(s) still waiting to be sent would be dropped"
            if waiting
            else ""
        )
        answer = await asyncio.to_thread(
            input,
            printable(
                f"Disconnect {integ.name} (seller {integ.seller_id})? Its {stored} stored "
                f"order(s) would be removed from this computer{dropped}; label files stay. "
                "Type yes to confirm: "
            ),
        )
        if answer.strip().casefold() not in ("y", "yes"):
            say("Nothing was changed.", file=out)
            return EXIT_USAGE
        force = True
    removed = engine.disconnect(args.id, force=force)
    dropped = f"; {waiting} tracking update(s) dropped" if waiting else ""
    say(
        f"Integration {integ.id} ({integ.name}) disconnected: {removed} order(s) removed from "
        f"the store{dropped}. Label files stay in {settings.labels_path}.",
        file=out,
    )
    return EXIT_OK
