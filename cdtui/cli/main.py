"""The entry point: the parser (the TUI, ``demo``, ``sandbox`` and every command module
of ``cli/commands``), and the guard that turns failures into one line and an exit code."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from cdtui import __version__, logging_setup
from cdtui.cli import commands
from cdtui.cli.base import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    ArgError,
    Handler,
    Parser,
    err,
)
from cdtui.config import disable_core_dumps, resolve_home, secure_home
from cdtui.errors import CdtuiError

log = logging.getLogger("cdtui.cli")


def build_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="cdtui",
        description="Cdiscount / Octopia orders to Sendcloud labels, in the terminal.",
    )
    p.add_argument("--version", action="version", version=f"cdtui {__version__}")
    p.add_argument("--no-mouse", action="store_true", help="open the TUI without mouse support")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="the TUI against the built-in sandbox")
    demo.add_argument("--no-mouse", action="store_true")

    sub.add_parser("sandbox", help="run the Octopia + Sendcloud emulator (see sandbox --help)")
    for module in commands.modules():
        module.register(sub)
    return p


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
    except ArgError as exc:
        err(str(exc))
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
    handler: Handler = args.handler
    log.info("cdtui %s", command)
    return _guarded(lambda: asyncio.run(handler(args, sys.stdout)), log_file)


def _guarded(fn: Callable[[], int], log_file: Path | None) -> int:
    """Run a command: known errors are one line + their exit code, the rest is logged."""
    try:
        return fn()
    except CdtuiError as exc:
        log.info("failed: %s", exc.message)
        err(exc.message)
        return exc.exit_code
    except KeyboardInterrupt:
        err("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (`cdtui orders | head`): nothing more to say to it
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception:
        log.exception("unexpected error")
        where = log_file or logging_setup.log_path(resolve_home())
        err(f"unexpected error, see {where}")
        return EXIT_FAILED
