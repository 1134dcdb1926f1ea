"""Label and customs files: safe names from API data, private writes, printing."""

from __future__ import annotations

import hashlib
import re
import shlex
import subprocess
from pathlib import Path

from cdtui.config import PRIVATE_FILE, private_dir
from cdtui.errors import CdtuiError, ConfigError
from cdtui.models import OrderRecord
from cdtui.storage.files import atomic_write

PRINT_TIMEOUT_S = 60
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
#: characters of API data kept in a file name part (the whole name stays far below 255)
_NAME_PART_MAX = 60


def _name_part(value: str | None, fallback: str) -> str:
    """A piece of a file name from API data: letters, digits, ``-`` and ``_`` only
    (no dot, no slash: it can neither climb out of its folder nor hide), never empty,
    never longer than a file system takes (a digest keeps long values apart)."""
    part = _UNSAFE.sub("_", value or "").strip("_-")
    if len(part) > _NAME_PART_MAX:
        digest = hashlib.sha256((value or "").encode()).hexdigest()[:10]
        part = f"{part[: _NAME_PART_MAX - 11]}_{digest}"
    return part or fallback


def label_filename(rec: OrderRecord, tracking_number: str | None, fmt: str) -> str:
    """``<reference>-<tracking>.<fmt>``, made of safe characters only."""
    ref = _name_part(rec.order.reference, "") or _name_part(rec.order_id, "order")
    tn = _name_part(tracking_number, "label")
    suffix = _name_part(fmt, "bin")
    return f"{ref}-{tn}.{suffix}"


def inside(folder: Path, name: str) -> Path:
    """``folder / name``, refused (``CdtuiError``) unless it stays inside ``folder``."""
    path = folder / name
    base = folder.resolve()
    if Path(name).name != name or path.resolve().parent != base:
        raise CdtuiError(f"Refusing to write {name!r} outside {folder}.")
    return path


def write_file_atomically(path: Path, data: bytes) -> None:
    """A label or customs file, private to its owner (it holds a customer's address):
    its folders created 0700, the file written 0600 by the one crash-safe writer."""
    private_dir(path.parent)
    atomic_write(path, data, mode=PRIVATE_FILE)


def print_file(print_command: str, path: Path) -> None:
    """Run the print command with the file as its last argument, never via a shell."""
    try:
        argv = [*shlex.split(print_command), str(path)]
    except ValueError as exc:
        raise ConfigError(f"The print command cannot be read: {exc}.") from None
    try:
        done = subprocess.run(
            argv, check=False, capture_output=True, timeout=PRINT_TIMEOUT_S, shell=False
        )
    except FileNotFoundError:
        raise CdtuiError(f"The print command {argv[0]!r} was not found.") from None
    except subprocess.TimeoutExpired:
        raise CdtuiError(f"The print command did not finish within {PRINT_TIMEOUT_S} s.") from None
    except OSError as exc:
        raise CdtuiError(f"The print command could not run: {exc.strerror or exc}.") from None
    if done.returncode != 0:
        raise CdtuiError(f"The print command failed (exit status {done.returncode}).")
