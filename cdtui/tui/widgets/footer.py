"""A footer that never runs out of columns: the keys that matter, as many as fit.

Textual's ``Footer`` lays every shown key in a row and lets the row overflow: at 80
columns the last keys (``q Quit``) vanish and a cut key can leave a stray character
after the palette hint (``^p palettep``). ``KeyFooter`` measures instead: the screen
says which keys matter most (``FOOTER_PRIORITY``, binding ids), and the footer shows
the keys that fit, in their usual order, enabled ones before greyed ones. Every key
stays in ``?`` help and the command palette.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

#: the app's keys every screen keeps, whatever its own list says
ALWAYS: tuple[str, ...] = ("app.quit", "app.help")
#: the command palette's key and its left border
_PALETTE_WIDTH = len("^p palette") + 1


def choose(
    keys: Sequence[tuple[Binding, bool, str]],
    priority: Sequence[str],
    width: int,
) -> list[tuple[Binding, bool, str]]:
    """The keys (binding, enabled, display) that fit in ``width`` columns, in their given
    order: those named in ``priority`` (in its order) first, then the others, enabled
    keys before greyed ones."""
    rank = {key_id: n for n, key_id in enumerate((*ALWAYS, *priority))}

    def order(item: tuple[int, tuple[Binding, bool, str]]) -> tuple[int, int, int]:
        index, (binding, enabled, _) = item
        return (not enabled, rank.get(binding.id or "", len(rank)), index)

    kept: set[int] = set()
    used = 0
    for index, (binding, _, display) in sorted(enumerate(keys), key=order):
        need = cell_len(f"{display} {binding.description}") + 1  # a space after each
        if used + need <= width:
            kept.add(index)
            used += need
    return [key for index, key in enumerate(keys) if index in kept]


class KeyFooter(Footer):
    """A compact footer showing the keys that fit by the screen's ``FOOTER_PRIORITY``."""

    def __init__(self) -> None:
        super().__init__(compact=True)

    def _shown(self) -> Iterable[tuple[Binding, bool, str, str]]:
        """(binding, enabled, tooltip, key display): one per action, as Footer does."""
        seen: set[str] = set()
        for _, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show and binding.action not in seen:
                seen.add(binding.action)
                yield binding, enabled, tooltip, self.app.get_key_display(binding)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        shown = list(self._shown())
        tooltips = {id(b): t for b, _, t, _ in shown}
        width = (self.size.width or self.app.size.width) - _PALETTE_WIDTH - 1
        priority: Sequence[str] = getattr(self.screen, "FOOTER_PRIORITY", ())
        keys = choose([(b, e, d) for b, e, _, d in shown], priority, width)
        for binding, enabled, display in keys:
            yield FooterKey(
                binding.key,
                display,
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltips[id(binding)],
            ).data_bind(compact=Footer.compact)
        palette = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE and palette:
            _, binding, enabled, _ = palette
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                classes="-command-palette",
                disabled=not enabled,
                tooltip=binding.tooltip or binding.description,
            )

    def on_resize(self, event: events.Resize) -> None:
        if self._bindings_ready:
            self.call_after_refresh(self.recompose)
