"""Print batches: ``print`` (a kept batch again, or a new batch of orders' labels) and
``batches`` (the kept batches, newest first). The documents are made in ``batches.py``."""

from __future__ import annotations

import argparse
from typing import Any

from cdtui.batches import Batch, Batches, batch_line, batch_size
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
from cdtui.errors import CdtuiError, UsageError

ORDER = 42


def register(sub: Any) -> None:
    p = sub.add_parser(
        "print",
        help="print a kept batch again (--batch ID), or the labels of these orders in one batch",
    )
    p.add_argument(
        "order_ids",
        nargs="*",
        metavar="ORDER",
        help="order ids (SCID…) or marketplace references whose labels make a new batch",
    )
    p.add_argument("--batch", metavar="ID", help="a batch id, as `cdtui batches` lists it")
    add_paperwork_flags(p)
    p.add_argument("--json", action="store_true")
    b = sub.add_parser("batches", help="the kept print batches, newest first")
    b.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_print)
    b.set_defaults(handler=cmd_batches)


def add_paperwork_flags(parser: Any) -> None:
    """``--picklist`` / ``--slips``: the orders' picking list, packing slips first in
    the batch."""
    parser.add_argument(
        "--picklist", action="store_true", help="the orders' picking list first in the batch"
    )
    parser.add_argument(
        "--slips", action="store_true", help="the orders' packing slips first in the batch"
    )


def paperwork_of(args: argparse.Namespace) -> list[str]:
    """The documents asked for with ``--picklist`` / ``--slips``."""
    return [k for k in ("picklist", "slips") if getattr(args, k, False)]


async def cmd_print(args: argparse.Namespace, out: Out) -> int:
    if bool(args.batch) == bool(args.order_ids):
        raise UsageError(
            "Give either --batch ID or the orders to print (see `cdtui print --help`)."
        )
    if args.batch and paperwork_of(args):
        raise UsageError("--picklist and --slips make a new batch: give the orders, not --batch.")
    settings = current_settings()
    if not settings.print_command:
        raise UsageError("No print command is set: `cdtui setup --print-command CMD`.")
    async with engine_for(settings) as engine:
        if args.batch:
            batch = engine.batches.get(args.batch)
        else:
            # unknown or ambiguous: a usage error before anything is made
            ids = [engine.resolve_order(key) for key in args.order_ids]
            batch = await engine.batch_of_orders(ids, paperwork_of(args))
        try:
            await engine.print_batch(batch)
        except CdtuiError as exc:
            _report(batch, args, out, printed=False)
            err(f"batch {batch.id} was not printed: {exc.message}")
            return EXIT_FAILED
    _report(batch, args, out, printed=True)
    return EXIT_OK


def _report(batch: Batch, args: argparse.Namespace, out: Out, *, printed: bool) -> None:
    if args.json:
        write_json({**batch.as_json(), "printed": printed}, out)
    elif args.batch and printed:
        say(f"Batch {batch.id} printed again: {batch_size(batch)} ({batch.path}).", file=out)
    else:
        say(batch_line(batch, printed=printed), file=out)


async def cmd_batches(args: argparse.Namespace, out: Out) -> int:
    found = Batches(current_settings().labels_path).all()
    if args.json:
        write_json([b.as_json() for b in found], out)
        return EXIT_OK
    if not found:
        say("No print batch yet: a label run of several orders makes one.", file=out)
        return EXIT_OK
    rows = []
    for b in found:
        made = b.created_at.astimezone().strftime("%Y-%m-%d %H:%M") if b.created_at else "?"
        refs = [str(o.get("reference") or o.get("order_id") or "") for o in b.orders]
        shown = ", ".join(refs[:3]) + (f" +{len(refs) - 3}" if len(refs) > 3 else "")
        docs = ", ".join(d.split()[-1] for d in b.documents) or "-"
        rows.append([b.id, made, batch_size(b, documents=False), docs, str(len(b.prints)), shown])
    table(["BATCH", "MADE", "LABELS", "WITH", "PRINTS", "ORDERS"], rows, out)
    return EXIT_OK
