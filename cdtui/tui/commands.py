"""The command palette (ctrl+p): every key usable on the current screen, by its name.

The palette is a screen of its own: what works is judged on the screen below it (the
app's ``check_action`` looks past the palette). The app's actions are also found by
the names people look for (``integrations``, ``connect``, ``sync``), not only by the
footer's short words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual.app import App, SystemCommand
from textual.dom import DOMNode
from textual.screen import Screen

#: palette titles of app actions whose footer word is short (``Shops``)
TITLES = {
    "integrations": "Shops (integrations)",
    "connect": "Connect a seller",
    "help": "Help: the keys of this screen",
}


def key_commands(app: App[object], screen: Screen[object]) -> Iterable[SystemCommand]:
    """A command for each binding of ``screen`` and of the app that works now (the
    screen's first: its words for an action win)."""
    seen_actions: set[tuple[int, str]] = set()
    seen_titles: set[str] = set()
    for node in (screen, app):
        for bindings in node._bindings.key_to_bindings.values():
            for binding in bindings:
                if not binding.description or binding.system:
                    continue
                target, action = node, binding.action
                if action.startswith("app."):
                    target, action = app, action.removeprefix("app.")
                title = TITLES.get(action, binding.description) if target is app else None
                title = title or binding.description
                if (id(target), action) in seen_actions or title in seen_titles:
                    continue
                if not app._check_action_state(action, target):
                    continue
                seen_actions.add((id(target), action))
                seen_titles.add(title)
                keys = app.get_key_display(binding)
                yield SystemCommand(title, f"key {keys}", _runner(target, action))


def _runner(node: DOMNode, action: str) -> Callable[[], object]:
    async def run() -> None:
        await node.app.run_action(action, node)

    return run
