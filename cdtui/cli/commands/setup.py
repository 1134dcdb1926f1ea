"""``cdtui setup``: the installation's settings, checked with both services before they
are saved; secrets from the environment or a hidden prompt, never the command line."""

from __future__ import annotations

import argparse
import getpass
import shlex
import shutil
import sys
from typing import Any

from cdtui import logging_setup
from cdtui.cli.base import EXIT_OK, Out, engine_for, pairs, positive_int, say
from cdtui.config import Settings, load_settings, resolve_home, save_settings
from cdtui.errors import BadCredentials, UsageError

ORDER = 10


def register(sub: Any) -> None:
    s = sub.add_parser(
        "setup",
        help="installation settings (secrets from the environment or a hidden prompt)",
    )
    s.add_argument("--octopia-client-id", metavar="ID")
    s.add_argument("--sender-address-id", metavar="N", type=positive_int)
    s.add_argument("--sender-country", metavar="CC")
    s.add_argument("--sender-postal-code", metavar="PC")
    s.add_argument("--default-weight", metavar="KG")
    s.add_argument("--labels-dir", metavar="DIR")
    s.add_argument("--label-format", choices=("pdf", "zpl"))
    s.add_argument("--print-command", metavar="CMD")
    s.add_argument(
        "--paper",
        type=str.lower,
        choices=("a6", "a4"),
        help="paper of the print batches: a6 (one label a page) or a4 (four labels a sheet)",
    )
    s.add_argument(
        "--due-soon-hours",
        metavar="N",
        type=positive_int,
        help="an order to ship is due soon when its ship-by is within N hours "
        "(1 to 168; default 4)",
    )
    for flag, what in (
        ("--scan-verify", "scan mode: each item must be scanned (off: the order's scan buys)"),
        ("--scan-confirm", "scan mode: a complete order waits for Enter before buying"),
        ("--batch-documents", "a bulk run's print batch starts with its picking list and slips"),
    ):
        s.add_argument(flag, choices=("on", "off"), help=what)
    s.add_argument(
        "--carrier-map",
        metavar="CARRIER=LABEL",
        action="append",
        help="the Octopia carrier label for a Sendcloud carrier code or name (repeat it; "
        "CARRIER= removes one)",
    )
    s.set_defaults(handler=cmd_setup)


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
        ("paper", "print_paper"),
        ("due_soon_hours", "due_soon_hours"),
    ):
        value = getattr(args, flag)
        if value is not None:
            overrides[field] = value
    for flag in ("scan_verify", "scan_confirm", "batch_documents"):
        if getattr(args, flag) is not None:
            overrides[flag] = getattr(args, flag) == "on"
    home = resolve_home()
    settings = load_settings(home, **overrides)
    carriers = None
    if args.carrier_map:
        carriers = dict(settings.carrier_map)
        for carrier, label in pairs(args.carrier_map, "--carrier-map", "CARRIER=LABEL").items():
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
    async with engine_for(settings) as engine:
        for name, check in (
            ("Octopia", engine.check_octopia),
            ("Sendcloud", engine.check_sendcloud),
        ):
            try:
                await check()
            except BadCredentials as exc:
                raise UsageError(f"{exc.message} Nothing was saved.") from None
            say(f"{name}: credentials accepted", file=out)
    save_settings(settings)
    say(f"Settings saved in {settings.config_path} (secrets in {settings.secrets_path}).", file=out)
    if settings.sender_address_id is None:
        say("Labels need a Sendcloud sender address: add --sender-address-id N.", file=out)
    return EXIT_OK


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
