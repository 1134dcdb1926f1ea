"""What every command shares: exit codes, output for people and for scripts, the
settings and the engine, argument parsing helpers.

Every failure is one line on stderr; API data shown to a person goes through
``printable`` (``say``), so it cannot move the cursor or forge a line.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NoReturn, TextIO

import orjson

from cdtui import logging_setup
from cdtui.config import Settings, load_settings, tighten_tree
from cdtui.engine import Engine
from cdtui.errors import UsageError
from cdtui.models import iso
from cdtui.text import printable

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

Out = TextIO
#: a command: its parsed arguments and where to write; returns the exit code
Handler = Callable[[argparse.Namespace, Out], Awaitable[int]]


class ArgError(Exception):
    """argparse wanted to exit with a usage error (turned into one line + exit 2)."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise ArgError(f"{message} (see `{self.prog} --help`)")


# ---------------------------------------------------------------- output


def write_json(obj: Any, out: TextIO) -> None:
    out.write(orjson.dumps(obj, option=orjson.OPT_INDENT_2).decode() + "\n")


def say(text: str, file: TextIO, flush: bool = False) -> None:
    """One line for a person: API data in it cannot move the cursor, set the title,
    write the clipboard or forge another line (``--json`` goes through ``write_json``)."""
    print(printable(text), file=file, flush=flush)


def err(message: str) -> None:
    say(f"cdtui: {message}", file=sys.stderr)


def table(headers: Sequence[str], rows: list[Sequence[str]], out: TextIO) -> None:
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

    say(fmt(headers), file=out)
    for row in rows:
        say(fmt(row), file=out)


def dt(value: Any) -> str | None:
    return iso(value) if value is not None else None


# ---------------------------------------------------------------- inputs


def positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be positive")
    return n


def pairs(values: list[str], flag: str, form: str) -> dict[str, str]:
    """``KEY=VALUE`` arguments (the value may be empty); ``UsageError`` otherwise."""
    found: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{flag} expects {form}, not {value!r}; nothing was saved.")
        found[key.strip()] = rest.strip()
    return found


# ---------------------------------------------------------------- settings, engine


def engine_for(settings: Settings) -> Engine:
    return Engine(settings)


def current_settings() -> Settings:
    """The saved settings; their secrets are kept out of the log from now on."""
    found = load_settings()
    logging_setup.add_secrets(found.secret_values())
    if found.labels_path != found.home / "labels":
        tighten_tree(found.labels_path)  # labels carry customers' addresses
    return found
