"""Paper for the packing table: ``picklist`` (what to pick, per SKU) and ``slips`` (a
packing slip per order, its reference as a barcode), as PDF files to print."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from cdtui.cli.base import EXIT_OK, Out, current_settings, engine_for, say
from cdtui.engine import Engine
from cdtui.errors import UsageError
from cdtui.label_files import print_file
from cdtui.models import OrderRecord
from cdtui.orders.enums import State

ORDER = 45


def register(sub: Any) -> None:
    commands: tuple[tuple[str, str, Callable[..., Any]], ...] = (
        ("picklist", "a picking list (PDF): quantities per SKU for the orders", cmd_picklist),
        ("slips", "packing slips (PDF): one page per order, with its barcode", cmd_slips),
    )
    for name, text, handler in commands:
        p = sub.add_parser(
            name,
            help=text,
            description=f"Write {text}. Orders are given by id (SCID…) or marketplace "
            "reference, or all orders to ship with --to-ship.",
        )
        p.add_argument(
            "order_ids",
            nargs="*",
            metavar="ORDER",
            help="order ids (SCID…) or marketplace references",
        )
        p.add_argument(
            "--to-ship",
            action="store_true",
            help="every order to ship (given instead of ORDER…)",
        )
        p.add_argument(
            "--out",
            metavar="FILE",
            type=Path,
            help="write the PDF here (default: a private file in "
            "<labels folder>/documents/<date>/)",
        )
        p.add_argument(
            "--print",
            action="store_true",
            dest="print_it",
            help="send the file to the print command (cdtui setup --print-command)",
        )
        p.set_defaults(handler=handler)


async def cmd_picklist(args: argparse.Namespace, out: Out) -> int:
    return await _make(args, out, "picklist")


async def cmd_slips(args: argparse.Namespace, out: Out) -> int:
    return await _make(args, out, "slips")


def _records(engine: Engine, args: argparse.Namespace) -> list[OrderRecord]:
    """The orders asked for, each once, in the order given (unknown: a usage error)."""
    if args.to_ship and args.order_ids:
        raise UsageError("Give orders or --to-ship, not both.")
    if args.to_ship:
        return engine.orders(state=State.TO_SHIP)
    if not args.order_ids:
        raise UsageError("Give the orders (ids or references), or --to-ship for all to ship.")
    ids = dict.fromkeys(engine.resolve_order(key) for key in args.order_ids)
    return [engine.order(order_id) for order_id in ids]


async def _make(args: argparse.Namespace, out: Out, kind: str) -> int:
    settings = current_settings()
    if args.print_it and not settings.print_command:
        raise UsageError("No print command is set: `cdtui setup --print-command CMD`.")
    if args.out is not None:
        target = args.out.expanduser()
        if target.is_dir() or not target.parent.is_dir():
            raise UsageError(f"--out needs a file in an existing folder, not {args.out}.")
    async with engine_for(settings) as engine:
        records = _records(engine, args)
    if not records:
        say("No order is to ship; nothing was written.", file=out)
        return EXIT_OK
    # imported here: fpdf2 and python-barcode take half a second to load
    from cdtui.documents import files, packing_slips_pdf, picking_list_pdf

    now = datetime.now().astimezone()
    if kind == "picklist":
        data = await asyncio.to_thread(picking_list_pdf, records, now, paper=settings.paper_size)
    else:
        data = await asyncio.to_thread(packing_slips_pdf, records, paper=settings.paper_size)
    if args.out is not None:
        path = files.write_to(args.out.expanduser().absolute(), data)
    else:
        folder = files.documents_folder(settings.labels_path, now)
        path = files.save_document(folder, kind, now, data)
    what = "Picking list" if kind == "picklist" else "Packing slips"
    count = f"{len(records)} order{'s' if len(records) != 1 else ''}"
    say(f"{what} for {count} saved to {path}", file=out)
    if args.print_it:
        assert settings.print_command is not None
        await asyncio.to_thread(print_file, settings.print_command, path)
        say(f"{what} sent to the printer.", file=out)
    return EXIT_OK
