"""Text that reaches a person: secrets redacted, control characters made visible.

API data is untrusted. An order id, a customer name or an error detail can carry
terminal escapes (OSC 52 writes the clipboard, OSC 0 the title, ``ESC[2J`` clears the
screen) or a newline that forges a table row, and an API may echo a secret back in an
error. ``printable`` makes every control character visible as an escape (``\\x1b``);
``redact`` removes every known secret; ``clean`` does both — every ``CdtuiError``
message goes through it, and the CLI and the TUI pass API strings through
``printable`` before showing them (``--json`` stays exact).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

REDACTED = "[redacted]"


_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Basic xxx / Bearer xxx, in headers, dict reprs and JSON
    (
        re.compile(
            r"""(?i)(authorization['"]?\s*[:=]\s*['"]?)(?:(?:basic|bearer)\s+)?[^\s'",}\]]+"""
        ),
        r"\1" + REDACTED,
    ),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1" + REDACTED),
    # "access_token": "...", client_secret=..., "secret_key": ...
    (
        re.compile(
            r"""(?i)(["']?(?:access_token|refresh_token|id_token|client_secret|secret_key|"""
            r"""password)["']?\s*[:=]\s*["']?)[^\s"'&,}]+"""
        ),
        r"\1" + REDACTED,
    ),
)


class Redactor:
    """Removes secrets from text: known values plus header/token patterns."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        # Very short values would redact ordinary words; real secrets are longer.
        self._secrets.update(s for s in secrets if s and len(s) >= 4)

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, REDACTED)
        for pattern, repl in _PATTERNS:
            text = pattern.sub(repl, text)
        return text


#: environment variables whose values are secrets even before the settings load
_SECRET_ENV = ("CDTUI_OCTOPIA_CLIENT_SECRET", "CDTUI_SENDCLOUD_SECRET_KEY")

#: the one redactor of the process: the log, error messages and screens use it
REDACTOR = Redactor(os.environ.get(name, "").strip() for name in _SECRET_ENV)


def add_secrets(secrets: Iterable[str]) -> None:
    """Redact these values too from now on (settings, tokens as they are issued)."""
    REDACTOR.add(secrets)


def redact(text: str) -> str:
    return REDACTOR(text)


# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides
# and isolates that make text display in another order than it is stored
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\t\n\r\u2028\u2029\x85]+")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object, *, lines: bool = False) -> str:
    """``text`` safe for a terminal: controls shown as ``\\x1b``-style escapes; tabs and
    line breaks become one space unless ``lines`` keeps newlines (multi-line views)."""
    value = "" if text is None else str(text)
    if lines:
        value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
        return "\n".join(_CONTROL.sub(_escape, part) for part in value.split("\n"))
    return _CONTROL.sub(_escape, _LINE_BREAKS.sub(" ", value))


def clean(text: str) -> str:
    """A message for a person: secrets redacted, controls made visible."""
    return printable(redact(text))
