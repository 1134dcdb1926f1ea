"""The label run panel under the inbox: progress of a run, then what failed and why."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import ProgressBar

from cdtui.tui import format as fmt
from cdtui.tui import palette
from cdtui.tui.messages import LabelProgress, RunSummary
from cdtui.tui.widgets.plain import Static

#: an order a run could not label because another process labelled it meanwhile
ELSEWHERE = "already labelled by another process"


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
        self._show_bar(progress, f"Creating labels {progress.done}/{progress.total}")
        self.query_one("#run-results", Static).update("")

    def _show_bar(self, progress: LabelProgress, text: str) -> None:
        self.shown = True
        bar = self.query_one(ProgressBar)
        bar.display = True
        bar.update(total=progress.total, progress=progress.done)
        self.query_one("#run-text", Static).update(text)

    def show_planning(self, progress: LabelProgress) -> None:
        """The label plans of a bulk run being fetched, before its question."""
        self._show_bar(progress, f"Checking shipping options {progress.done}/{progress.total}")
        self.query_one("#run-results", Static).update("Esc stops.")

    def show_message(self, head: str, body: str) -> None:
        """A line and what follows it (the reasons no label can be made)."""
        self.shown = True
        self.query_one(ProgressBar).display = False
        self.query_one("#run-text", Static).update(Text(head, style=palette.rich(palette.ALERT)))
        self.query_one("#run-results", Static).update(body)

    def show_summary(
        self,
        summary: RunSummary,
        references: Mapping[str, str],
        elsewhere: Collection[str] = (),
    ) -> None:
        """How many labels were bought; each failure with its order's reference.
        ``elsewhere``: the failed orders that have a label now (another process bought
        it meanwhile): said so, neither failed nor to retry."""
        self.shown = True
        self.query_one(ProgressBar).display = False  # done: the line says how it went
        failed = {i: r for i, r in summary.failed.items() if i not in elsewhere}
        done = [i for i in summary.failed if i in elsewhere]
        where = f" in {summary.session.name}" if summary.session is not None else ""
        text = Text(
            f"{len(summary.ok)} label(s) created{where}", style=palette.rich(palette.SUCCESS)
        )
        if done:
            text.append(f" · {len(done)} {ELSEWHERE}")
        if failed:
            text.append(
                f" · {len(failed)} failed — R retries, w hides",
                style=palette.rich(palette.ALERT),
            )
        else:
            text.append(" · w hides")
        self.query_one("#run-text", Static).update(text)
        lines = Text()

        def line(order_id: str, reason: str, style: str) -> None:
            if lines:
                lines.append("\n")
            lines.append(f"{references.get(order_id) or fmt.safe(order_id)}: ", style="bold")
            lines.append(fmt.safe(reason), style=style)

        if summary.batch:  # the one print of the run's labels
            lines.append(
                fmt.safe(summary.batch),
                style=palette.rich(palette.ERROR if summary.batch_failed else palette.SUCCESS),
            )
        for order_id, reason in failed.items():
            line(order_id, reason, palette.rich(palette.ERROR))
        for order_id in done:
            line(order_id, ELSEWHERE, "")
        self.query_one("#run-results", Static).update(lines)
