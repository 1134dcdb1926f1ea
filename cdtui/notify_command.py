"""The daemon's notify command: a program run when a sync finds alerts.

Run without a shell (``shlex`` splits the command as a shell would, nothing is
interpreted): the alerts' JSON (``alerts.payload``) on its standard input, the one-line
summary as its last argument and in ``CDTUI_ALERT_SUMMARY``, so ``notify-send cdtui``
shows the summary as is and a script can read the details. The summary is printable
text (no control character from API data). An exit status other than 0, a program that
cannot start or one that runs longer than ``NOTIFY_TIMEOUT_S`` is a failure: the alerts
are then given again at the next sync.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess

from cdtui.errors import CdtuiError, UsageError

#: seconds the command may run
NOTIFY_TIMEOUT_S = 30
#: the environment variable holding the one-line summary
SUMMARY_VARIABLE = "CDTUI_ALERT_SUMMARY"


def check_command(command: str) -> list[str]:
    """The command's arguments; ``UsageError`` if it cannot be read or found."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise UsageError(f"The notify command cannot be read: {exc}.") from None
    if not argv:
        raise UsageError("The notify command is empty.")
    if shutil.which(argv[0]) is None:
        raise UsageError(f"The notify command {argv[0]!r} was not found.")
    return argv


def run(argv: list[str], body: bytes, summary: str) -> None:
    """Run the command once; ``CdtuiError`` saying why when it fails."""
    env = {**os.environ, SUMMARY_VARIABLE: summary}
    try:
        done = subprocess.run(
            [*argv, summary],
            input=body,
            env=env,
            check=False,
            capture_output=True,
            timeout=NOTIFY_TIMEOUT_S,
            shell=False,
        )
    except FileNotFoundError:
        raise CdtuiError(f"The notify command {argv[0]!r} was not found.") from None
    except subprocess.TimeoutExpired:
        raise CdtuiError(
            f"The notify command did not finish within {NOTIFY_TIMEOUT_S} s."
        ) from None
    except OSError as exc:
        raise CdtuiError(f"The notify command could not run: {exc.strerror or exc}.") from None
    if done.returncode != 0:
        raise CdtuiError(f"The notify command failed (exit status {done.returncode}).")
