"""The headless commands, one module per group.

A module here is a command group: it defines ``ORDER`` (its place in ``cdtui --help``)
and ``register(sub)``, which adds its sub-commands to argparse's sub-parsers and sets
``handler`` (an ``async (args, out) -> exit code``) on each. ``modules()`` finds them all:
adding a command is adding a module, nothing else to edit.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def modules() -> list[ModuleType]:
    """Every command module, in ``ORDER``."""
    found = [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_")
    ]
    return sorted(found, key=lambda m: (m.ORDER, m.__name__))
