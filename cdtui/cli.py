"""The headless commands (and the entry point that opens the TUI).

Exit codes: 0 success, 1 the operation failed (API, network), 2 bad usage or bad input.
Every failure is one line on stderr; tracebacks go to the log file only. Secrets are
never read from the command line (it shows in ``ps``): they come from the environment
or a hidden prompt.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import os
import shlex
import shutil
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn, TextIO

import orjson

from cdtui import __version__, logging_setup
from cdtui.config import (
    Settings,
    disable_core_dumps,
    load_settings,
    resolve_home,
    save_settings,
    secure_home,
    tighten_tree,
)
from cdtui.engine import Engine
from cdtui.errors import BadCredentials, CdtuiError, UsageError
from cdtui.models import Integration, OrderRecord, iso
from cdtui.orders.addresses import AddressOverride
from cdtui.orders.enums import State
from cdtui.orders.rules import parse_weight
from cdtui.orders.shipping import rules_of
from cdtui.orders.summary import summarize_record
from cdtui.text import printable

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class _ArgError(Exception):
    """argparse wanted to exit with a usage error (turned into one line + exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _ArgError(f"{message} (see `{self.prog} --help`)")


# ---------------------------------------------------------------- output


def _json(obj: Any, out: TextIO) -> None:
    out.write(orjson.dumps(obj, option=orjson.OPT_INDENT_2).decode() + "\n")


def _say(text: str, file: TextIO, flush: bool = False) -> None:
    """One line for a person: API data in it cannot move the cursor, set the title,
    write the clipboard or forge another line (``--json`` goes through ``_json``)."""
    print(printable(text), file=file, flush=flush)


def _err(message: str) -> None:
    _say(f"cdtui: {message}", file=sys.stderr)


def _table(headers: Sequence[str], rows: list[Sequence[str]], out: TextIO) -> None:
    rows = [[printable(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    # columns are capped to keep rows readable, but the last one (a note, an error)
    # is never cut: nothing follows it, and a pipe or a wide terminal wants it whole
    widths = [min(w, 40) for w in widths[:-1]] + widths[-1:]

    def fmt(cells: Sequence[str]) -> str:
        parts = [
            (c if len(c) <= w else c[: w - 1] + "…").ljust(w)
            for c, w in zip(cells, widths, strict=True)
        ]
        return "  ".join(parts).rstrip()

    _say(fmt(headers), file=out)
    for row in rows:
        _say(fmt(row), file=out)


def _dt(value: Any) -> str | None:
    return iso(value) if value is not None else None


def order_json(rec: OrderRecord) -> dict[str, Any]:
    """An order as ``cdtui orders --json`` prints it: what the inbox shows of it (the
    reference, ship-by, customer, destination, items, delivery mode and relay point)
    comes from its summary, the one definition both read."""
    label = rec.label
    push = rec.push
    summary = summarize_record(rec)
    relay_id = summary.relay_point_id
    return {
        "order_id": rec.order_id,
        "reference": summary.reference,
        "integration_id": rec.integration_id,
        "channel_id": rec.channel_id,
        "marketplace_status": rec.marketplace_status,
        "state": rec.state.value,
        "attention": rec.attention,
        "carrier": (label.carrier_name if label else None),
        "tracking_number": label.tracking_number if label else None,
        "tracking_url": label.tracking_url if label else None,
        "label_path": label.label_path if label else None,
        "error": rec.error,
        "created_at": _dt(rec.order.created_at),
        "updated_at": _dt(rec.order.updated_at),
        "ship_by": _dt(summary.ship_by),
        "customer": summary.customer or None,
        "country": summary.country_code,
        "postal_code": summary.postal_code,
        "items": summary.item_quantity,
        "label_cancel_status": label.cancel_status if label else None,
        "tracking_push": push.status.value if push else None,
        "tracking_status": rec.tracking_events[-1].status_code if rec.tracking_events else None,
        "delivery_mode": summary.delivery_mode,
        "relay_point": {"id": relay_id, "name": summary.relay_point_name} if relay_id else None,
        "shipping_option": label.shipping_option_code if label else None,
        "chosen_by": label.chosen_by if label else None,
        "customs_path": label.customs_path if label else None,
    }


def integration_json(integ: Integration, interval: int) -> dict[str, Any]:
    next_sync = integ.last_sync_at + timedelta(seconds=interval) if integ.last_sync_at else None
    return {
        "id": integ.id,
        "name": integ.name,
        "seller_id": integ.seller_id,
        "login": integ.login,
        "shop_name": integ.shop_name,
        "channels": integ.channels,
        "last_sync": _dt(integ.last_sync_at),
        "next_sync": _dt(next_sync),
        "last_error": integ.last_error,
        "default_weight_kg": _kg(integ.default_weight_kg) if integ.default_weight_kg else None,
        "default_shipping_option": integ.default_shipping_option,
        "sku_weights": {sku: _kg(kg) for sku, kg in integ.sku_weights.items()},
        "sku_hs_codes": dict(integ.sku_hs_codes),
        "default_hs_code": integ.default_hs_code,
        "sku_origin_countries": dict(integ.sku_origin_countries),
        "origin_country": integ.origin_country,
        "relay_carrier": integ.relay_carrier,
        "shipping_rules": _rule_texts(integ),
    }


def _rule_texts(integ: Integration) -> list[str]:
    try:
        return [rule.text() for rule in rules_of(integ)]
    except CdtuiError:
        return [str(raw) for raw in integ.shipping_rules]


def _kg(weight: Decimal) -> str:
    return f"{weight.normalize():f}"  # 0.35, not 0.350


# ---------------------------------------------------------------- parser


#: ``label`` flags that correct the shipping address, and the field each one sets
_ADDRESS_FLAGS = (
    ("--name", "name"),
    ("--company-name", "company_name"),
    ("--address-line-1", "address_line_1"),
    ("--address-line-2", "address_line_2"),
    ("--house-number", "house_number"),
    ("--postal-code", "postal_code"),
    ("--city", "city"),
    ("--phone", "phone_number"),
)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="cdtui",
        description="Cdiscount / Octopia orders to Sendcloud labels, in the terminal.",
    )
    p.add_argument("--version", action="version", version=f"cdtui {__version__}")
    p.add_argument("--no-mouse", action="store_true", help="open the TUI without mouse support")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="the TUI against the built-in sandbox")
    demo.add_argument("--no-mouse", action="store_true")

    sub.add_parser("sandbox", help="run the Octopia + Sendcloud emulator (see sandbox --help)")

    s = sub.add_parser(
        "setup",
        help="installation settings (secrets from the environment or a hidden prompt)",
    )
    s.add_argument("--octopia-client-id", metavar="ID")
    s.add_argument("--sender-address-id", metavar="N", type=_positive_int)
    s.add_argument("--sender-country", metavar="CC")
    s.add_argument("--sender-postal-code", metavar="PC")
    s.add_argument("--default-weight", metavar="KG")
    s.add_argument("--labels-dir", metavar="DIR")
    s.add_argument("--label-format", choices=("pdf", "zpl"))
    s.add_argument("--print-command", metavar="CMD")
    s.add_argument(
        "--carrier-map",
        metavar="CARRIER=LABEL",
        action="append",
        help="the Octopia carrier label for a Sendcloud carrier code or name (repeat it; "
        "CARRIER= removes one)",
    )

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

    sy = sub.add_parser("sync", help="one sync pass")
    sy.add_argument("--integration", metavar="ID")
    sy.add_argument("--json", action="store_true")

    o = sub.add_parser("orders", help="list stored orders")
    o.add_argument("--integration", metavar="ID")
    o.add_argument("--status", metavar="STATUS", choices=[s.value for s in State])
    o.add_argument("--json", action="store_true")

    lb = sub.add_parser("label", help="create the label and send tracking to the marketplace")
    lb.add_argument(
        "order_ids", nargs="+", metavar="ORDER", help="order ids (SCID…) or marketplace references"
    )
    lb.add_argument("--shipping-option", metavar="CODE")
    lb.add_argument("--weight", metavar="KG")
    lb.add_argument(
        "--include-cancel-requests",
        action="store_true",
        help="ship the lines with a cancellation request too (only when the customer asked)",
    )
    fix = lb.add_argument_group(
        "address corrections", "for this label only: stored with it, never sent to the marketplace"
    )
    for flag, _field in _ADDRESS_FLAGS:
        fix.add_argument(flag, metavar="TEXT")
    lb.add_argument("--json", action="store_true")

    cl = sub.add_parser("cancel-label", help="cancel the order's Sendcloud label")
    cl.add_argument("order_id", metavar="ORDER_ID")
    a = sub.add_parser("accept", help="accept an order waiting for acceptance")
    a.add_argument("order_id", metavar="ORDER_ID")
    r = sub.add_parser("refuse", help="refuse an order waiting for acceptance")
    r.add_argument("order_id", metavar="ORDER_ID")
    sub.add_parser("daemon", help="the periodic sync without a UI")
    return p


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be positive")
    return n


# ---------------------------------------------------------------- commands

Out = TextIO


def _engine(settings: Settings) -> Engine:
    return Engine(settings)


def _settings() -> Settings:
    settings = load_settings()
    logging_setup.add_secrets(settings.secret_values())
    if settings.labels_path != settings.home / "labels":
        tighten_tree(settings.labels_path)  # labels carry customers' addresses
    return settings


async def cmd_setup(args: argparse.Namespace, out: Out) -> int:
    overrides: dict[str, Any] = {}
    for flag, field in (
        ("octopia_client_id", "octopia_client_id"),
        ("sender_address_id", "sender_address_id"),
        ("sender_country", "sender_country"),
        ("sender_postal_code", "sender_postal_code"),
        ("default_weight", "default_weight_kg"),
        ("labels_dir", "labels_dir"),
        ("label_format", "label_format"),
        ("print_command", "print_command"),
    ):
        value = getattr(args, flag)
        if value is not None:
            overrides[field] = value
    home = resolve_home()
    settings = load_settings(home, **overrides)
    carriers = None
    if args.carrier_map:
        carriers = dict(settings.carrier_map)
        for carrier, label in _pairs(args.carrier_map, "--carrier-map", "CARRIER=LABEL").items():
            if label:
                carriers[carrier] = label
            else:
                carriers.pop(carrier, None)
    prompted = _ask_missing(settings)
    if prompted:
        settings = load_settings(home, **overrides, **prompted)
    if carriers is not None:
        # set here, not given to load_settings: its sources merge mappings key by key
        settings = settings.model_copy(update={"carrier_map": carriers})
    logging_setup.add_secrets(settings.secret_values())
    settings.require_octopia()
    settings.require_sendcloud()
    if settings.print_command:
        _check_print_command(settings.print_command)
    if settings.labels_path.exists() and not settings.labels_path.is_dir():
        raise UsageError(f"The labels folder {settings.labels_path} is a file, not a folder.")
    async with _engine(settings) as engine:
        for name, check in (
            ("Octopia", engine.check_octopia),
            ("Sendcloud", engine.check_sendcloud),
        ):
            try:
                await check()
            except BadCredentials as exc:
                raise UsageError(f"{exc.message} Nothing was saved.") from None
            _say(f"{name}: credentials accepted", file=out)
    save_settings(settings)
    _say(
        f"Settings saved in {settings.config_path} (secrets in {settings.secrets_path}).", file=out
    )
    if settings.sender_address_id is None:
        _say("Labels need a Sendcloud sender address: add --sender-address-id N.", file=out)
    return EXIT_OK


def _pairs(values: list[str], flag: str, form: str) -> dict[str, str]:
    """``KEY=VALUE`` arguments (the value may be empty); ``UsageError`` otherwise."""
    pairs: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{flag} expects {form}, not {value!r}; nothing was saved.")
        pairs[key.strip()] = rest.strip()
    return pairs


def _ask_missing(settings: Settings) -> dict[str, str]:
    """Ask on the terminal for what is missing; never echo a secret."""
    wanted = [
        ("octopia_client_id", "Octopia aggregator client id", False),
        ("octopia_client_secret", "Octopia aggregator client secret", True),
        ("sendcloud_public_key", "Sendcloud public key", False),
        ("sendcloud_secret_key", "Sendcloud secret key", True),
    ]
    missing = [w for w in wanted if getattr(settings, w[0]) is None]
    if not missing:
        return {}
    if not sys.stdin.isatty():
        names = ", ".join(f"CDTUI_{w[0].upper()}" for w in missing)
        raise UsageError(
            f"Missing {names}: set them in the environment or run setup in a terminal."
        )
    answers = {}
    for field, label, secret in missing:
        value = getpass.getpass(f"{label}: ") if secret else input(f"{label}: ")
        if not value.strip():
            raise UsageError(f"The {label} is required; nothing was saved.")
        answers[field] = value.strip()
    return answers


def _check_print_command(command: str) -> None:
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise UsageError(f"The print command cannot be read: {exc}.") from None
    if not argv:
        raise UsageError("The print command is empty.")
    if shutil.which(argv[0]) is None:
        raise UsageError(f"The print command {argv[0]!r} was not found.")


async def cmd_connect(args: argparse.Namespace, out: Out) -> int:
    async with _engine(_settings()) as engine:
        integ = await engine.connect(
            name=args.name, seller_id=args.seller_id, login=args.login, channels=args.channels
        )
    channels = "all sales channels" if integ.all_channels else ", ".join(integ.channels)
    _say("Your integration is ready", file=out)
    _say(
        f"Integration {integ.id}: {integ.name} — seller {integ.seller_id} ({integ.login}), "
        f"{channels}. Run `cdtui sync` to import its orders.",
        file=out,
    )
    return EXIT_OK


async def cmd_integrations(args: argparse.Namespace, out: Out) -> int:
    settings = _settings()
    engine = _engine(settings)
    integs = engine.store.integrations()
    if args.json:
        _json([integration_json(i, settings.sync_interval) for i in integs], out)
        return EXIT_OK
    if not integs:
        _say("No integration yet: `cdtui connect --name N --seller-id ID --login L`.", file=out)
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
    _table(
        ["ID", "NAME", "SELLER", "LOGIN", "CHANNELS", "LAST SYNC", "NEXT SYNC", "HEALTH"], rows, out
    )
    return EXIT_OK


async def cmd_integration_update(args: argparse.Namespace, out: Out) -> int:
    async with _engine(_settings()) as engine:
        integ = await engine.update_integration(
            args.id,
            name=args.name,
            channels=args.channels,
            default_weight_kg=args.default_weight,
            default_shipping_option=args.shipping_option,
            sku_weights=_pairs(args.sku_weight, "--sku-weight", "SKU=KG")
            if args.sku_weight
            else None,
            sku_hs_codes=_pairs(args.sku_hs_code, "--sku-hs-code", "SKU=CODE")
            if args.sku_hs_code
            else None,
            default_hs_code=args.default_hs_code,
            sku_origin_countries=_pairs(args.sku_origin_country, "--sku-origin-country", "SKU=CC")
            if args.sku_origin_country
            else None,
            origin_country=args.origin_country,
            relay_carrier=args.relay_carrier,
            rules=args.rule,
            clear_rules=args.clear_rules,
        )
    _say(f"Integration {integ.id} ({integ.name}) updated.", file=out)
    for i, text in enumerate(_rule_texts(integ), 1):
        _say(f"  rule {i}: {text}", file=out)
    return EXIT_OK


async def cmd_disconnect(args: argparse.Namespace, out: Out) -> int:
    settings = _settings()
    engine = _engine(settings)
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
            _say("Nothing was changed.", file=out)
            return EXIT_USAGE
        force = True
    removed = engine.disconnect(args.id, force=force)
    dropped = f"; {waiting} tracking update(s) dropped" if waiting else ""
    _say(
        f"Integration {integ.id} ({integ.name}) disconnected: {removed} order(s) removed from "
        f"the store{dropped}. Label files stay in {settings.labels_path}.",
        file=out,
    )
    return EXIT_OK


async def cmd_sync(args: argparse.Namespace, out: Out) -> int:
    async with _engine(_settings()) as engine:
        if args.integration is not None:
            engine.store.integration(args.integration)
        # asked for by the operator: pending tracking updates are retried now
        reports = await engine.sync(args.integration, manual=True)
    if args.json:
        _json([r.as_json() for r in reports], out)
    else:
        if not reports:
            _say("No integration to sync: connect one first (`cdtui connect`).", file=out)
        for r in reports:
            _say(
                f"Integration {r.id}: {r.imported} imported, {r.updated} updated, "
                f"{r.tracking_sent} tracking sent, {r.tracking_refreshed} tracking refreshed"
                + (f", {len(r.errors)} error(s)" if r.errors else ""),
                file=out,
            )
    for r in reports:
        for e in r.errors:
            _err(f"integration {r.id}: {e}")
    return EXIT_FAILED if any(r.errors for r in reports) else EXIT_OK


async def cmd_orders(args: argparse.Namespace, out: Out) -> int:
    engine = _engine(_settings())
    records = engine.orders(integration_id=args.integration, state=args.status)
    listed = [(r, order_json(r)) for r in records]
    # the inbox's order: the most urgent first (no deadline last), then by order id
    listed.sort(key=lambda rj: (rj[1]["ship_by"] is None, rj[1]["ship_by"] or "", rj[0].order_id))
    if args.json:
        _json([j for _, j in listed], out)
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
                j["country"] or "",
                j["tracking_number"] or "",
                r.attention or r.error or "",
            ]
        )
    _table(
        ["ORDER", "REFERENCE", "INT", "CHANNEL", "STATE", "SHIP BY", "TO", "TRACKING", "NOTE"],
        rows,
        out,
    )
    _say(f"{len(records)} order(s)", file=out)
    return EXIT_OK


async def cmd_label(args: argparse.Namespace, out: Out) -> int:
    weight = parse_weight(args.weight) if args.weight is not None else None
    single = len(args.order_ids) == 1
    corrections = {
        field: getattr(args, flag[2:].replace("-", "_"))
        for flag, field in _ADDRESS_FLAGS
        if getattr(args, flag[2:].replace("-", "_")) is not None
    }
    address = AddressOverride(**corrections).cleaned() if corrections else None
    if not single and (address or args.include_cancel_requests):
        raise UsageError(
            "Address corrections and --include-cancel-requests apply to one order at a time."
        )
    async with _engine(_settings()) as engine:
        if single:
            outcomes = [
                await engine.create_label(
                    engine.resolve_order(args.order_ids[0]),
                    shipping_option=args.shipping_option,
                    weight_kg=weight,
                    address=address,
                    include_cancel_requests=args.include_cancel_requests,
                )
            ]
        else:
            # unknown or ambiguous: a usage error before anything is bought
            ids = [engine.resolve_order(key) for key in args.order_ids]
            outcomes = await engine.create_labels(
                ids, shipping_option=args.shipping_option, weight_kg=weight
            )
    if args.json:
        payload: Any = [o.as_json() for o in outcomes]
        _json(payload[0] if single else payload, out)
    else:
        for o in outcomes:
            _print_outcome(o, out)
    for o in outcomes:
        if o.error:
            _err(f"order {o.order_id}: {o.error}")
    # a label whose file could not be saved or printed is not done either
    failed = [o for o in outcomes if not (o.ok and o.tracking_sent) or o.error]
    return EXIT_FAILED if failed else EXIT_OK


def _print_outcome(o: Any, out: Out) -> None:
    if not o.ok:
        _say(f"Order {o.order_id}: no label", file=out)
        return
    where = f", saved to {o.label_path}" if o.label_path else ""
    _say(f"Order {o.order_id}: label {o.carrier or ''} {o.tracking_number or ''}{where}", file=out)
    if o.shipping_option:
        _say(f"Order {o.order_id}: {o.shipping_option}, chosen by {o.chosen_by}", file=out)
    for note in o.notes:
        _say(f"Order {o.order_id}: note: {note}", file=out)
    if o.relay_point:
        _say(f"Order {o.order_id}: to relay point {o.relay_point}", file=out)
    if o.customs_path:
        _say(f"Order {o.order_id}: customs declaration saved to {o.customs_path}", file=out)
    if o.tracking_sent:
        _say(f"Order {o.order_id}: tracking sent to the marketplace", file=out)


async def cmd_cancel_label(args: argparse.Namespace, out: Out) -> int:
    async with _engine(_settings()) as engine:
        args.order_id = engine.resolve_order(args.order_id)
        result = await engine.cancel_label(args.order_id)
    if result.status == "cancelled":
        _say(f"Label of order {args.order_id} cancelled: {result.message}", file=out)
    elif result.status == "queued":
        _say(
            f"Cancellation of the label of order {args.order_id} queued: {result.message} "
            f"(Sendcloud watches it for 14 days).",
            file=out,
        )
    else:
        _err(f"Sendcloud refused to cancel the label of order {args.order_id}: {result.message}")
        return EXIT_FAILED
    rec = engine.store.order(args.order_id)
    _say(f"Order {args.order_id} is now {rec.state.value}.", file=out)
    return EXIT_OK


async def cmd_approve(args: argparse.Namespace, out: Out, accepted: bool) -> int:
    async with _engine(_settings()) as engine:
        rec = await engine.approve(engine.resolve_order(args.order_id), accepted)
    verb = "accepted" if accepted else "refused"
    _say(
        f"Order {rec.reference} {verb}; marketplace status {rec.marketplace_status}, "
        f"state {rec.state.value}.",
        file=out,
    )
    return EXIT_OK


async def cmd_daemon(args: argparse.Namespace, out: Out) -> int:
    settings = _settings()
    engine = _engine(settings)
    interval = settings.sync_interval
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):  # Ctrl-C stops as cleanly as SIGTERM
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    _say(
        f"cdtui daemon: a sync every {interval} s; stop with Ctrl-C or SIGTERM.",
        file=out,
        flush=True,
    )
    log.info("daemon started (interval %s s)", interval)
    try:
        while not stop.is_set():
            started = time.monotonic()
            reports = await engine.sync()
            for r in reports:
                line = (
                    f"{iso(engine.clock())} integration {r.id}: {r.imported} imported, "
                    f"{r.updated} updated, {r.tracking_sent} tracking sent"
                )
                _say(
                    line + (f", {len(r.errors)} error(s)" if r.errors else ""), file=out, flush=True
                )
                for e in r.errors:
                    _err(f"integration {r.id}: {e}")
            wait = max(0.0, interval - (time.monotonic() - started))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
    finally:
        await engine.aclose()
        log.info("daemon stopped")
    _say("cdtui daemon stopped.", file=out, flush=True)
    return EXIT_OK


Handler = Callable[[argparse.Namespace, Out], Awaitable[int]]

COMMANDS: dict[str, Handler] = {
    "setup": cmd_setup,
    "connect": cmd_connect,
    "integrations": cmd_integrations,
    "disconnect": cmd_disconnect,
    "sync": cmd_sync,
    "orders": cmd_orders,
    "label": cmd_label,
    "cancel-label": cmd_cancel_label,
    "accept": lambda a, o: cmd_approve(a, o, True),
    "refuse": lambda a, o: cmd_approve(a, o, False),
    "daemon": cmd_daemon,
}


# ---------------------------------------------------------------- entry point


def _run_tui(demo: bool, no_mouse: bool) -> int:
    from cdtui.tui.app import run

    return run(demo=demo, no_mouse=no_mouse)


def _run_sandbox(argv: list[str]) -> int:
    from cdtui.sandbox.server import main as sandbox_main

    return sandbox_main(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "sandbox":
        return _guarded(lambda: _run_sandbox(argv[1:]), None)
    try:
        args = build_parser().parse_args(argv)
    except _ArgError as exc:
        _err(str(exc))
        return EXIT_USAGE
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
    command = args.command
    disable_core_dumps()  # a core dump would hold the keys and customers' addresses
    if command == "demo":
        return _guarded(lambda: _run_tui(demo=True, no_mouse=args.no_mouse), None)
    home = resolve_home()
    with contextlib.suppress(OSError):
        secure_home(home)
    log_file = logging_setup.configure(home)
    if command is None:
        return _guarded(lambda: _run_tui(demo=False, no_mouse=args.no_mouse), log_file)
    if command == "integration":
        handler: Handler = cmd_integration_update
    else:
        handler = COMMANDS[command]
    log.info("cdtui %s", command)
    return _guarded(lambda: asyncio.run(handler(args, sys.stdout)), log_file)


def _guarded(fn: Callable[[], int], log_file: Path | None) -> int:
    """Run a command: known errors are one line + their exit code, the rest is logged."""
    try:
        return fn()
    except CdtuiError as exc:
        log.info("failed: %s", exc.message)
        _err(exc.message)
        return exc.exit_code
    except KeyboardInterrupt:
        _err("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (`cdtui orders | head`): nothing more to say to it
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception:
        log.exception("unexpected error")
        where = log_file or logging_setup.log_path(resolve_home())
        _err(f"unexpected error, see {where}")
        return EXIT_FAILED
