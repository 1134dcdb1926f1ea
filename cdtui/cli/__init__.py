"""The headless commands (and the entry point that opens the TUI).

Exit codes: 0 success, 1 the operation failed (API, network), 2 bad usage or bad input.
Every failure is one line on stderr; tracebacks go to the log file only. Secrets are
never read from the command line (it shows in ``ps``): they come from the environment
or a hidden prompt.

Layout: ``base`` (exit codes, output, settings, argument helpers), ``views`` (orders and
integrations as ``--json`` and tables print them), ``commands/`` (one module per command
group, found by ``commands.modules()``), ``main`` (the parser and the entry point).
"""

from __future__ import annotations

from cdtui.cli.base import ArgError as _ArgError
from cdtui.cli.base import dt as _dt
from cdtui.cli.main import build_parser, main
from cdtui.cli.views import integration_json, order_json

__all__ = ["_ArgError", "_dt", "build_parser", "integration_json", "main", "order_json"]
