"""Only ``cdtui/tui/`` may import Textual: the engine and the CLI must run without it."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import cdtui

NON_UI_MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(cdtui.__path__, prefix="cdtui.")
    if not m.name.startswith("cdtui.tui") and m.name != "cdtui.__main__"
)

PROBE = (
    "import importlib, sys; importlib.import_module(sys.argv[1]); print('textual' in sys.modules)"
)


def textual_loaded_by(module: str) -> bool:
    """Import ``module`` in a fresh interpreter and say whether Textual came with it."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE, module], capture_output=True, text=True, check=True
    ).stdout.strip()
    return out == "True"


def test_the_layers_are_all_looked_at() -> None:
    layers = {"cdtui.engine", "cdtui.storage.store", "cdtui.cli", "cdtui.models"}
    assert layers <= set(NON_UI_MODULES)


@pytest.mark.parametrize("module", NON_UI_MODULES)
def test_module_does_not_import_textual(module: str) -> None:
    assert not textual_loaded_by(module), f"{module} imports Textual; only cdtui/tui/ may"


def test_the_probe_sees_a_textual_import() -> None:
    assert textual_loaded_by("cdtui.tui.app")
