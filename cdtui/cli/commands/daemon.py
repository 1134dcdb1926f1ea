"""``cdtui daemon``: the periodic sync without a UI, stopped cleanly by Ctrl-C or SIGTERM.

After each sync, the alerts it finds (``cdtui/alerts.py``: new orders to accept, orders
due soon or late) go to ``--notify-command`` and/or ``--webhook``, each alert once per
destination; one that could not be delivered is tried again at the next sync.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson

from cdtui import notify_command, webhook
from cdtui.alerts import AlertBook, payload
from cdtui.cli.base import EXIT_OK, Out, current_settings, engine_for, err, say
from cdtui.engine import Engine
from cdtui.errors import CdtuiError
from cdtui.models import iso

log = logging.getLogger("cdtui.cli")

ORDER = 90


def register(sub: Any) -> None:
    d = sub.add_parser(
        "daemon",
        help="the periodic sync without a UI",
        description="Sync every sync_interval seconds. With --notify-command or --webhook, "
        "each new order to accept and each order becoming due soon or late is announced "
        "once (per destination) after the sync that finds it.",
    )
    d.add_argument(
        "--notify-command",
        metavar="CMD",
        help="run CMD (no shell) when a sync finds alerts: their JSON on its stdin, a "
        f"one-line summary as its last argument and in {notify_command.SUMMARY_VARIABLE}",
    )
    d.add_argument(
        "--webhook",
        metavar="URL",
        help="POST the alerts' JSON to URL (http or https) when a sync finds alerts",
    )
    d.add_argument(
        "--once", action="store_true", help="one sync and its alerts, then exit (for cron)"
    )
    d.set_defaults(handler=cmd_daemon)


@dataclass(frozen=True)
class Sink:
    """Where alerts go: its name in the store's record, how it is named to a person,
    and how a payload is delivered (raises ``CdtuiError`` when it is not)."""

    name: str
    label: str
    deliver: Callable[[dict[str, Any]], Awaitable[None]]


def sinks_from(args: argparse.Namespace) -> list[Sink]:
    """The destinations asked for, checked (``UsageError`` before anything runs)."""
    found: list[Sink] = []
    if args.notify_command is not None:
        argv = notify_command.check_command(args.notify_command)

        async def run_command(body: dict[str, Any]) -> None:
            data = orjson.dumps(body, option=orjson.OPT_INDENT_2)
            await asyncio.to_thread(notify_command.run, argv, data, body["summary"])

        found.append(Sink("command", "the notify command", run_command))
    if args.webhook is not None:
        url = webhook.check_url(args.webhook)

        async def post(body: dict[str, Any]) -> None:
            await webhook.post(url, body)

        found.append(Sink("webhook", f"the webhook at {webhook.where(url)}", post))
    return found


async def announce(engine: Engine, margin: timedelta, sinks: list[Sink], out: Out) -> int:
    """Give each sink the alerts it was not given yet; returns how many were delivered.
    A failure is reported and logged; those alerts stay due for the next sync."""
    delivered = 0
    for sink in sinks:
        book = AlertBook(engine.store, sink.name, margin=margin, clock=engine.clock)
        try:
            alerts = book.due()
            if not alerts:
                continue
            body = payload(alerts, engine.clock(), margin)
            await sink.deliver(body)
            book.delivered(alerts)
        except CdtuiError as exc:
            err(f"alerts not delivered to {sink.label}: {exc.message} (tried again next sync)")
            log.warning("alerts not delivered to %s: %s", sink.label, exc.message)
            continue
        delivered += len(alerts)
        say(
            f"{iso(engine.clock())} alerts sent to {sink.label}: {body['summary']}",
            file=out,
            flush=True,
        )
    return delivered


async def cmd_daemon(args: argparse.Namespace, out: Out) -> int:
    settings = current_settings()
    sinks = sinks_from(args)
    engine = engine_for(settings)
    interval = settings.sync_interval
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):  # Ctrl-C stops as cleanly as SIGTERM
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    if not args.once:
        say(
            f"cdtui daemon: a sync every {interval} s; stop with Ctrl-C or SIGTERM.",
            file=out,
            flush=True,
        )
    log.info("daemon started (interval %s s, %d alert destination(s))", interval, len(sinks))
    try:
        while not stop.is_set():
            started = time.monotonic()
            reports = await engine.sync()
            for r in reports:
                line = (
                    f"{iso(engine.clock())} integration {r.id}: {r.imported} imported, "
                    f"{r.updated} updated, {r.tracking_sent} tracking sent"
                )
                say(
                    line + (f", {len(r.errors)} error(s)" if r.errors else ""), file=out, flush=True
                )
                for e in r.errors:
                    err(f"integration {r.id}: {e}")
            if sinks:
                await announce(engine, settings.due_soon_margin, sinks, out)
            if args.once:
                break
            wait = max(0.0, interval - (time.monotonic() - started))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
    finally:
        await engine.aclose()
        log.info("daemon stopped")
    if not args.once:
        say("cdtui daemon stopped.", file=out, flush=True)
    return EXIT_OK
