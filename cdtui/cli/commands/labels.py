"""Labels: ``label`` (buy, save, print, send tracking) and ``cancel-label``."""

from __future__ import annotations

import argparse
from typing import Any

from cdtui.batches import LabelRun, batch_line
from cdtui.cli.base import (
    EXIT_FAILED,
    EXIT_OK,
    Out,
    current_settings,
    engine_for,
    err,
    say,
    write_json,
)
from cdtui.cli.commands.printing import add_paperwork_flags, paperwork_of
from cdtui.errors import UsageError
from cdtui.orders.addresses import AddressOverride
from cdtui.orders.rules import parse_weight

ORDER = 40

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


def register(sub: Any) -> None:
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
    add_paperwork_flags(lb)
    lb.add_argument("--json", action="store_true")

    cl = sub.add_parser("cancel-label", help="cancel the order's Sendcloud label")
    cl.add_argument("order_id", metavar="ORDER_ID")
    lb.set_defaults(handler=cmd_label)
    cl.set_defaults(handler=cmd_cancel_label)


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
    paperwork = paperwork_of(args)
    if paperwork and single:
        raise UsageError(
            "--picklist and --slips go in the batch of several orders; for one order use "
            "`cdtui picklist` / `cdtui slips`."
        )
    settings = current_settings()
    if paperwork and settings.label_format == "zpl":
        raise UsageError(
            "Picking lists and packing slips are PDF, the labels ZPL: print them apart "
            "(`cdtui picklist`, `cdtui slips`)."
        )
    async with engine_for(settings) as engine:
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
                ids, shipping_option=args.shipping_option, weight_kg=weight, paperwork=paperwork
            )
    batch = outcomes.batch if isinstance(outcomes, LabelRun) else None
    if args.json:
        payload: Any = [o.as_json() for o in outcomes]
        for o in payload if batch else []:
            o["batch"] = batch.id if o["order_id"] in batch.order_ids else None  # type: ignore[union-attr]
        write_json(payload[0] if single else payload, out)
    else:
        for o in outcomes:
            _print_outcome(o, out)
        if isinstance(outcomes, LabelRun) and batch is not None:
            say(batch_line(batch, printed=outcomes.printed), file=out)
    for o in outcomes:
        if o.error:
            err(f"order {o.order_id}: {o.error}")
    batch_error = outcomes.batch_error if isinstance(outcomes, LabelRun) else None
    if batch_error:
        err(f"the print batch: {batch_error}")
    # a label whose file could not be saved or printed is not done either
    failed = [o for o in outcomes if not (o.ok and o.tracking_sent) or o.error]
    return EXIT_FAILED if failed or batch_error else EXIT_OK


def _print_outcome(o: Any, out: Out) -> None:
    if not o.ok:
        say(f"Order {o.order_id}: no label", file=out)
        return
    where = f", saved to {o.label_path}" if o.label_path else ""
    say(f"Order {o.order_id}: label {o.carrier or ''} {o.tracking_number or ''}{where}", file=out)
    if o.shipping_option:
        say(f"Order {o.order_id}: {o.shipping_option}, chosen by {o.chosen_by}", file=out)
    for note in o.notes:
        say(f"Order {o.order_id}: note: {note}", file=out)
    if o.relay_point:
        say(f"Order {o.order_id}: to relay point {o.relay_point}", file=out)
    if o.customs_path:
        say(f"Order {o.order_id}: customs declaration saved to {o.customs_path}", file=out)
    if o.tracking_sent:
        say(f"Order {o.order_id}: tracking sent to the marketplace", file=out)


async def cmd_cancel_label(args: argparse.Namespace, out: Out) -> int:
    async with engine_for(current_settings()) as engine:
        args.order_id = engine.resolve_order(args.order_id)
        result = await engine.cancel_label(args.order_id)
    if result.status == "cancelled":
        say(f"Label of order {args.order_id} cancelled: {result.message}", file=out)
    elif result.status == "queued":
        say(
            f"Cancellation of the label of order {args.order_id} queued: {result.message} "
            f"(Sendcloud watches it for 14 days).",
            file=out,
        )
    else:
        err(f"Sendcloud refused to cancel the label of order {args.order_id}: {result.message}")
        return EXIT_FAILED
    rec = engine.store.order(args.order_id)
    say(f"Order {args.order_id} is now {rec.state.value}.", file=out)
    return EXIT_OK
