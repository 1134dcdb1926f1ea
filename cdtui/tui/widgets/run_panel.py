"""The label run panel under the inbox: progress of a run, then what failed and why."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import ProgressBar

from cdtui.tui import format as fmt
from cdtui.tui import palette
from cdtui.tui.messages import LabelProgress, RunSummary
from cdtui.tui.widgets.plain import Static


class RunPanel(Vertical):
    """Hidden until a label run starts; stays with the results until hidden (``w``)."""

    #: on screen (refreshes the screen's keys: ``w`` hides it only while it shows)
    shown = reactive(False, bindings=True)

    def watch_shown(self, shown: bool) -> None:
        self.display = shown

    def compose(self) -> ComposeResult:
        with Horizontal(id="run-progress-row"):
            yield Static("", id="run-text")
            yield ProgressBar(id="run-progress", show_eta=False)
        yield Static("", id="run-results")

    def show_progress(self, progress: LabelProgress) -> None:
        self.shown = True
        bar = self.query_one(ProgressBar)
        bar.display = True
        bar.update(total=progress.total, progress=progress.done)
        self.query_one("#run-text", Static).update(
            f"Creating labels {progress.done}/{progress.total}"
        )
        self.query_one("#run-results", Static).update("")

    def show_summary(self, summary: RunSummary, references: Mapping[str, str]) -> None:
        """How many labels were bought; each failure with its order's reference."""
        self.shown = True
        self.query_one(ProgressBar).display = False  # done: the line says how it went
        text = Text(f"{len(summary.ok)} label(s) created", style=palette.rich(palette.SUCCESS))
        if summary.failed:
            text.append(
                f" · {len(summary.failed)} failed — R retries, w hides",
                style=palette.rich(palette.ALERT),
            )
        else:
            text.append(" · w hides")
        self.query_one("#run-text", Static).update(text)
        lines = Text()
        for order_id, reason in summary.failed.items():
            if lines:
                lines.append("\n")
            lines.append(f"{references.get(order_id) or fmt.safe(order_id)}: ", style="bold")
            lines.append(fmt.safe(reason), style=palette.rich(palette.ERROR))
        self.query_one("#run-results", Static).update(lines)
