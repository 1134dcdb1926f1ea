"""The rotating log file under ``CDTUI_HOME/logs``, with secrets redacted.

Redaction happens in the formatter, on the final text (message, arguments and
traceback alike), so nothing that reaches the file can carry a configured secret, an
``Authorization`` header, a bearer token or an OAuth token/secret field.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable
from logging.handlers import RotatingFileHandler
from pathlib import Path

from cdtui.config import PRIVATE_FILE, private_dir
from cdtui.text import REDACTOR as _redactor
from cdtui.text import Redactor

LOG_FILE = "cdtui.log"
MAX_BYTES = 1_000_000
BACKUPS = 5


class RedactingFormatter(logging.Formatter):
    def __init__(self, redactor: Redactor, fmt: str) -> None:
        super().__init__(fmt)
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self.redactor(super().format(record))


_handler: RotatingFileHandler | None = None


def configure(home: Path, secrets: Iterable[str] = (), *, level: int = logging.INFO) -> Path:
    """Send cdtui's log to ``home/logs/cdtui.log`` (1 MB × 5), redacting ``secrets``.

    Idempotent: a second call replaces the handler (tests use several homes). If the
    folder cannot be written the app still runs, without a log file.
    """
    global _handler
    _redactor.add(secrets)
    path = log_path(home)
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
        _handler.close()
        _handler = None
    try:
        private_dir(path.parent)
        handler = _PrivateFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, delay=False)
    except OSError:
        return path
    handler.setFormatter(
        RedactingFormatter(_redactor, "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    )
    handler.setLevel(level)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    # httpx logs every request at INFO: keep the file about cdtui's own decisions.
    for noisy in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _handler = handler
    return path


class _PrivateFileHandler(RotatingFileHandler):
    """A rotating log whose every file (the new one after a rollover too) is 0600."""

    def _open(self):  # type: ignore[no-untyped-def]
        stream = super()._open()
        with contextlib.suppress(OSError):
            os.chmod(self.baseFilename, PRIVATE_FILE)
        return stream


def add_secrets(secrets: Iterable[str]) -> None:
    """Redact more values from now on (once the settings have been read)."""
    _redactor.add(secrets)


def redact(text: str) -> str:
    """The text with every known secret and token pattern removed."""
    return _redactor(text)


def log_path(home: Path) -> Path:
    return home / "logs" / LOG_FILE
