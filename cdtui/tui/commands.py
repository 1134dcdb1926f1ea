"""The command palette (ctrl+p): every key usable on the current screen, by its name."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual.app import App, SystemCommand
from textual.dom import DOMNode
from textual.screen import Screen


def key_commands(app: App[object], screen: Screen[object]) -> Iterable[SystemCommand]:
    """A command for each binding of ``screen`` and of the app that works now (the
    screen's first: its words for an action win)."""
    seen: set[str] = set()
    for node in (screen, app):
        for bindings in node._bindings.key_to_bindings.values():
            for binding in bindings:
                if not binding.description or binding.action in seen or binding.system:
                    continue
                if not app._check_action_state(binding.action, node):
                    continue
                seen.add(binding.action)
                keys = app.get_key_display(binding)
                yield SystemCommand(
                    binding.description, f"key {keys}", _runner(node, binding.action)
                )


def _runner(node: DOMNode, action: str) -> Callable[[], object]:
    async def run() -> None:
        await node.app.run_action(action, node)

    return run
