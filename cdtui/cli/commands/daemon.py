"""``cdtui daemon``: the periodic sync without a UI, stopped cleanly by Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import time
from typing import Any

from cdtui.cli.base import EXIT_OK, Out, current_settings, engine_for, err, say
from cdtui.models import iso

log = logging.getLogger("cdtui.cli")

ORDER = 90


def register(sub: Any) -> None:
    d = sub.add_parser("daemon", help="the periodic sync without a UI")
    d.set_defaults(handler=cmd_daemon)


async def cmd_daemon(args: argparse.Namespace, out: Out) -> int:
    settings = current_settings()
    engine = engine_for(settings)
    interval = settings.sync_interval
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):  # Ctrl-C stops as cleanly as SIGTERM
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    say(
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
                say(
                    line + (f", {len(r.errors)} error(s)" if r.errors else ""), file=out, flush=True
                )
                for e in r.errors:
                    err(f"integration {r.id}: {e}")
            wait = max(0.0, interval - (time.monotonic() - started))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
    finally:
        await engine.aclose()
        log.info("daemon stopped")
    say("cdtui daemon stopped.", file=out, flush=True)
    return EXIT_OK
