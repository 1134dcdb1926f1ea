"""The Textual application: owns the engine, the sync schedule and the label runs.

The sync worker and the label worker live here, not on a screen, because a popped
screen takes its workers with it. Neither is ``exclusive``: exclusivity would cancel a
running store-writing worker. A second request while one runs is simply refused.

The app imports the screens; no screen imports the app. Screens read it through
``protocols.Host``: its reactive state (``syncing``, ``labels_running``, ``now``, ...,
which also refresh the footer's keys) and its signals (``orders_changed``, ...). They
ask it to act with the intents of ``messages.py`` (``SyncRequested``, ...).

Timers: the sync is a one-shot timer armed for ``next_sync_at`` (re-armed whenever it
changes, so runs never overlap); one 1-second clock sets ``now``, because the countdown
and the "3 min ago" texts change with time alone, with no event to follow. The same tick
looks at the store's file stamps: a change made by another process (``cdtui label`` in a
shell, a second operator) is published as ``orders_changed`` within a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, NamedTuple

from rich.cells import cell_len
from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.filter import LineFilter
from textual.notifications import Notification, SeverityLevel
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.signal import Signal
from textual.timer import Timer

from cdtui.alerts import AlertBook, summary_text
from cdtui.batches import LabelRun, run_news
from cdtui.config import Settings, load_settings, resolve_home
from cdtui.errors import CdtuiError, ConfigError, StoreError
from cdtui.models import Integration, utcnow
from cdtui.tui import format as fmt
from cdtui.tui.commands import key_commands
from cdtui.tui.dialogs.confirm import ConfirmationModal, DiscardQuestion, unsaved_forms
from cdtui.tui.dialogs.label import LabelChoice
from cdtui.tui.messages import (
    DisconnectRequested,
    InboxRequested,
    IntegrationsChanged,
    LabelCreated,
    LabelFailed,
    LabelProgress,
    LabelRunFinished,
    LabelRunProgressed,
    LabelSession,
    LabelsRequested,
    OrdersChanged,
    RunSummary,
    SettingsSaved,
    SyncFinished,
    SyncProgressed,
    SyncRequested,
)
from cdtui.tui.screens.connect import ConnectScreen
from cdtui.tui.screens.help import HelpScreen
from cdtui.tui.screens.inbox import LOAD_GROUP, InboxScreen
from cdtui.tui.screens.integrations import IntegrationsScreen
from cdtui.tui.screens.problem import ProblemScreen
from cdtui.tui.screens.setup import SetupScreen
from cdtui.tui.widgets.plain import NO_CONTROLS
from cdtui.tui.widgets.run_panel import ELSEWHERE
from cdtui.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from cdtui.engine import Engine, LabelOutcome, SyncProgress

log = logging.getLogger(__name__)

#: how long a toast stays (seconds) unless its message says
_TOAST_SECONDS: dict[str, float] = {"information": 4, "warning": 6, "error": 8}
_RANKS: dict[str, int] = {"information": 0, "warning": 1, "error": 2}
_LOG_LEVELS: dict[str, int] = {
    "information": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}

PHASES = {
    "import": "importing orders",
    "labels": "checking labels",
    "tracking": "sending tracking",
    "refresh": "refreshing tracking",
    "done": "finishing",
}


class CdtuiApp(App[int], inherit_bindings=False):
    CSS_PATH = "app.tcss"
    TITLE = "cdtui"
    SUB_TITLE = "Cdiscount / Octopia → Sendcloud"

    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("f1", "help", "Help", show=False, id="app.help_f1"),
        Binding("s", "sync_now", "Sync", id="app.sync"),
        Binding("f5", "sync_now", "Sync now", show=False, id="app.sync_f5"),
        Binding("i", "integrations", "Shops", id="app.integrations"),
        Binding("n", "connect", "Connect seller", show=False, id="app.connect"),
        Binding("q", "quit", "Quit", id="app.quit"),
        # instead of Textual's (ctrl+q quits, ctrl+c says how): both quit from any
        # screen, the forms and dialogs included, asking first about unsaved edits
        Binding(
            "ctrl+q,ctrl+c", "request_quit", "Quit", show=False, priority=True, id="app.quit_ctrl"
        ),
    ]

    # The state the screens follow (``protocols.Host``). ``bindings``: the keys that
    # depend on it are enabled or greyed out as it changes.
    now: reactive[datetime] = reactive(utcnow, init=False)
    syncing = reactive(False, bindings=True, init=False)
    sync_text = reactive("", init=False)
    last_sync_at: reactive[datetime | None] = reactive(None, init=False)
    #: every assignment re-arms the sync timer, even of the same instant
    next_sync_at: reactive[datetime | None] = reactive(None, always_update=True, init=False)
    integration_count = reactive(0, bindings=True, init=False)
    labels_running = reactive(False, bindings=True, init=False)
    label_progress = reactive(LabelProgress(0, 0), init=False)

    def __init__(
        self,
        home: Path | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        demo_hint: tuple[str, str] | None = None,
        quit_on_signals: bool = False,
    ) -> None:
        super().__init__()
        self._quit_on_signals = quit_on_signals
        self.home = resolve_home(home)
        self.clock = clock
        self.demo_hint = demo_hint
        self.settings: Settings | None = None
        self.engine: Engine | None = None
        self._sync_timer: Timer | None = None
        self._clock_started = False
        #: the store's file stamps when the screens last heard of a change
        self._store_seen: StoreStamps | None = None
        #: the toast to show at the next turn (``notify``)
        self._toast_due: Notification | None = None
        # app-wide events (``protocols.Host``)
        self.orders_changed: Signal[None] = Signal(self, "orders-changed")
        self.integrations_changed: Signal[None] = Signal(self, "integrations-changed")
        self.labels_progressed: Signal[LabelProgress] = Signal(self, "labels-progressed")
        self.labels_finished: Signal[RunSummary] = Signal(self, "labels-finished")

    # ------------------------------------------------------------ start

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Tell the operator, without covering the work.

        A routine message (``information``) goes to the status line of the screen shown
        (under a dialog too) for a while; a toast only where there is none. Warnings and
        errors are toasts, one at a time: the most severe of those given at once, which
        replaces the one shown. Every message is also logged. Text is shown verbatim: no
        markup unless asked, control characters as visible escapes."""
        if self._thread_id != threading.get_ident():  # a thread worker's
            self.call_from_thread(
                self.notify,
                message,
                title=title,
                severity=severity,
                timeout=timeout,
                markup=markup,
            )
            return
        text, title = fmt.safe_lines(message), fmt.safe(title)
        log.log(_LOG_LEVELS[severity], "%s%s", f"{title}: " if title else "", text)
        if severity == "information" and self._note(text, title):
            return
        due = self._toast_due
        if due is None or _RANKS[severity] >= _RANKS[due.severity]:
            self._toast_due = Notification(text, title, severity, timeout or 0, markup=markup)
        if due is None:
            if self.is_running:
                self.call_later(self._show_toast)
            else:
                self._show_toast()

    def _note(self, text: str, title: str) -> bool:
        """Show a routine message on the status line the operator sees, if there is one
        and the message fits it whole (a file's path cut in the middle tells nothing: a
        message too long for the line is a toast, which wraps)."""
        for screen in reversed(self.screen_stack):
            lines = list(screen.query(StatusLine))
            if lines:
                note = " ".join(text.split())  # one line
                note = f"{title}: {note}" if title else note
                room = lines[0].content_region.width or self.size.width - 2
                if cell_len(note) > room:
                    return False
                lines[0].show_note(note)
                return True
            if not isinstance(screen, ModalScreen):
                return False  # a screen without one, nothing of the ones below shows
        return False

    def _show_toast(self) -> None:
        """The toast due replaces the one shown: never a pile over the orders."""
        due, self._toast_due = self._toast_due, None
        if due is None:
            return
        self.clear_notifications()
        super().notify(
            due.message,
            title=due.title,
            severity=due.severity,
            timeout=due.timeout or _TOAST_SECONDS[due.severity],
            markup=due.markup,
        )

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters, then the last line of defence against terminal escapes."""
        return [*super().get_line_filters(), NO_CONTROLS]

    def on_mount(self) -> None:
        if self._quit_on_signals:  # SIGHUP does not exist on Windows
            self._quit_on(
                *(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))
            )
        if self.console.color_system in ("standard", "windows"):
            self.theme = "ansi-dark"  # legible with 16 colours
        self.now = self.clock()
        try:
            settings = load_settings(self.home)
        except ConfigError as exc:
            self.push_screen(ProblemScreen("The settings cannot be read", exc.message))
            return
        self.settings = settings
        if not installation_complete(settings):
            self.push_screen(SetupScreen(settings, first_run=True))
            return
        self._start(settings)

    def _quit_on(self, *signals: signal.Signals) -> None:
        """End the app as ``q`` does on these signals (SIGHUP: the SSH session dropped),
        instead of dying where it stands: workers stop between store writes, the
        terminal is restored, and the demo's throwaway folder is removed."""
        loop = asyncio.get_running_loop()
        for sig in signals:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.call_later, self.action_quit)

    def _start(self, settings: Settings) -> None:
        from cdtui.engine import Engine
        from cdtui.storage.store import Store

        try:
            store = Store(self.home, clock=self.clock)
        except StoreError as exc:
            self.push_screen(ProblemScreen("The data store cannot be opened", exc.message))
            return
        self.engine = Engine(settings, store, clock=self.clock)
        self._remember_store()  # what the inbox about to load sees
        self.push_screen(InboxScreen())
        self._read_integrations()
        if not self.integration_count:
            self.push_screen(ConnectScreen(hint=self.demo_hint))
        self.next_sync_at = self.last_sync_at + self.interval if self.last_sync_at else self.now
        if not self._clock_started:
            self._clock_started = True
            self.set_interval(1, self._tick_clock)

    @on(SettingsSaved)
    def _settings_saved(self, message: SettingsSaved) -> None:
        """Setup saved new settings: (re)build the engine with them."""
        settings = message.settings
        old = self.engine
        self.settings = settings
        self.pop_screen()
        if old is None:
            self._start(settings)
            return
        from cdtui.engine import Engine

        self.engine = Engine(settings, old.store, clock=self.clock)
        self._close_engine(old)

    @work(group="close", exit_on_error=False)
    async def _close_engine(self, engine: Engine) -> None:
        await engine.aclose()

    # ------------------------------------------------------------ reads for the screens

    @property
    def interval(self) -> timedelta:
        return timedelta(seconds=self.settings.sync_interval if self.settings else 600)

    def integrations(self) -> list[Integration]:
        if self.engine is None:
            return []
        try:
            return self.engine.store.integrations()
        except CdtuiError as exc:
            self.notify(exc.message, severity="error")
            return []

    def integration(self, integration_id: str) -> Integration:
        assert self.engine is not None
        return self.engine.store.integration(integration_id)

    def counts(self, integration_id: str | None = None) -> dict[str, int]:
        if self.engine is None:
            return {}
        return self.engine.store.counts(integration_id)

    def seconds_to_next_sync(self) -> float:
        if self.next_sync_at is None:
            return self.interval.total_seconds()
        return (self.next_sync_at - self.clock()).total_seconds()

    def _read_integrations(self) -> None:
        """How many integrations there are and when the last one synced."""
        integrations = self.integrations()
        times = [i.last_sync_at for i in integrations if i.last_sync_at]
        self.last_sync_at = max(times) if times else None
        self.integration_count = len(integrations)

    def _tick_clock(self) -> None:
        self.now = self.clock()
        self._look_for_changes()

    def _look_for_changes(self) -> None:
        """Tell the screens about what another process changed in the store since they
        last heard of a change (its files' stamps differ). Not while this app writes (a
        sync, a label run): their end tells the screens."""
        if self.engine is None or self.syncing or self.labels_running:
            return
        if any(w.group == LOAD_GROUP and not w.is_finished for w in self.workers):
            # the orders are being read (what they find is current anyway); each stat
            # here would wait for the reading thread to give up the GIL, ~5 ms a file:
            # 0.3 s of a 10,000-order first paint was this loop
            return
        now = store_stamps(self.engine.store.data_dir)
        seen, self._store_seen = self._store_seen, now
        if seen is None or now is None or now == seen:
            return
        if now.integrations != seen.integrations:
            self._read_integrations()
            self.integrations_changed.publish(None)
        if now.orders != seen.orders:
            self.orders_changed.publish(None)

    def _remember_store(self) -> None:
        """The screens are being told of the store as it is now."""
        if self.engine is not None:
            self._store_seen = store_stamps(self.engine.store.data_dir)

    # ------------------------------------------------------------ navigation

    @on(InboxRequested)
    def show_inbox(self) -> None:
        """Close every screen above the inbox."""
        stack = self.screen_stack
        for index, screen in enumerate(stack):
            if isinstance(screen, InboxScreen):
                for _ in range(len(stack) - index - 1):
                    self.pop_screen()
                return

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_integrations(self) -> None:
        if self.engine is None or isinstance(self.screen, IntegrationsScreen):
            return
        self.show_inbox()
        self.push_screen(IntegrationsScreen())

    def action_connect(self) -> None:
        if self.engine is None or isinstance(self.screen, ConnectScreen):
            return
        self.push_screen(ConnectScreen(hint=self.demo_hint))

    def action_setup(self) -> None:
        if self.settings is None or isinstance(self.screen, SetupScreen):
            return
        self.push_screen(SetupScreen(self.settings, first_run=False))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # the screen the keys act on: below the command palette while it is open
        screen = next(
            (s for s in reversed(self.screen_stack) if not isinstance(s, CommandPalette)),
            self.screen,
        )
        if isinstance(screen, ModalScreen | ProblemScreen | SetupScreen) and action in (
            "quit",
            "sync_now",
            "integrations",
            "connect",
        ):
            # letters belong to the dialog; ctrl+q (request_quit) still quits
            return False
        if action == "sync_now":
            if self.engine is None or not self.integration_count:
                return False
            return None if self.syncing else True
        if action in ("integrations", "connect"):
            return self.engine is not None
        return True

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every action usable on the current screen, by name, in the command palette."""
        yield from super().get_system_commands(screen)
        yield from key_commands(self, screen)
        if self.settings is not None and not isinstance(screen, SetupScreen):
            yield SystemCommand(
                "Installation setup",
                "Octopia and Sendcloud credentials, sender address, label format",
                self.action_setup,
            )

    # ------------------------------------------------------------ sync

    def watch_next_sync_at(self, when: datetime | None) -> None:
        """(Re)arm the sync timer for ``when``: one timer, never two runs at once."""
        if self._sync_timer is not None:
            self._sync_timer.stop()
            self._sync_timer = None
        if when is not None:
            # (a Textual timer cannot wait 0 s: a sync due now waits 10 ms)
            delay = max(0.01, (when - self.clock()).total_seconds())
            self._sync_timer = self.set_timer(delay, self._sync_due)

    def _sync_due(self) -> None:
        self._sync_timer = None
        if self.engine is None or self.syncing:
            return  # a running sync re-arms the timer when it finishes
        self._read_integrations()  # another process may have connected one
        if self.integration_count:
            self.request_sync()
        else:  # nothing to sync yet: look again in an interval
            self.next_sync_at = self.clock() + self.interval

    def action_sync_now(self) -> None:
        self.request_sync(manual=True)

    @on(SyncRequested)
    def _sync_requested(self, message: SyncRequested) -> None:
        self.request_sync(message.integration_id, manual=message.manual)

    def request_sync(self, integration_id: str | None = None, *, manual: bool = False) -> bool:
        """Start a sync unless one is running. Returns whether one started.

        ``manual``: the operator asked for it (``s``), so every tracking update still
        waiting is retried now; the timer's syncs respect their back-off."""
        if self.engine is None:
            return False
        if self.syncing:
            self.notify("A sync is already running.", timeout=3)
            return False
        self.sync_text = "starting"
        self.syncing = True
        self._sync_worker(integration_id, manual)
        return True

    def _on_sync_progress(self, progress: SyncProgress) -> None:
        name = progress.integration_id
        for integ in self.integrations():
            if integ.id == progress.integration_id:
                name = integ.name
        name = fmt.safe(name)
        phase = PHASES.get(progress.phase, progress.phase)
        count = f" {progress.done}" + (f"/{progress.total}" if progress.total else "")
        self.post_message(SyncProgressed(f"{name}: {phase}{count}", progress.done, progress.total))

    @work(group="sync", exit_on_error=False)
    async def _sync_worker(self, integration_id: str | None, manual: bool = False) -> None:
        assert self.engine is not None
        error: str | None = None
        reports = []
        try:
            reports = await self.engine.sync(
                integration_id, progress=self._on_sync_progress, manual=manual
            )
        except CdtuiError as exc:
            error = exc.message
        except Exception as exc:  # the schedule must go on whatever happens
            log.exception("sync failed")
            error = f"Sync failed unexpectedly ({type(exc).__name__}); see the log."
        self.post_message(SyncFinished(reports, error))

    def on_sync_progressed(self, message: SyncProgressed) -> None:
        if self.syncing:
            self.sync_text = message.text

    def on_sync_finished(self, message: SyncFinished) -> None:
        self.syncing = False
        self.sync_text = ""
        self._read_integrations()
        self.next_sync_at = self.clock() + self.interval  # re-armed after each run
        if message.error:
            self.notify(message.error, title="Sync failed", severity="error", timeout=8)
        imported = sum(r.imported for r in message.reports)
        updated = sum(r.updated for r in message.reports)
        sent = sum(r.tracking_sent for r in message.reports)
        errors = [e for r in message.reports for e in r.errors]
        if imported or updated or sent:
            parts = [f"{imported} new order(s)", f"{updated} updated"]
            if sent:
                parts.append(f"{sent} tracking update(s) sent")
            self.notify(", ".join(parts) + ".", title="Sync done")
        if errors:  # one toast for them all (each is logged; Shops shows each shop's)
            shown = "\n".join(errors[:3])
            if len(errors) > 3:
                shown += f"\n… and {len(errors) - 3} more (see the log)."
            title = "Sync problem" if len(errors) == 1 else f"{len(errors)} sync problems"
            self.notify(shown, title=title, severity="warning", timeout=8)
        self._remember_store()
        self.orders_changed.publish(None)
        self.integrations_changed.publish(None)
        self._find_alerts()

    @work(thread=True, group="alerts", exit_on_error=False)
    def _find_alerts(self) -> None:
        """New orders to accept, orders due soon or late (``cdtui/alerts.py``), each
        told once whatever the syncs and restarts: read off the event loop (the store
        reads files); when there are some, one bell and one warning."""
        engine = self.engine
        if engine is None:
            return
        margin = engine.settings.due_soon_margin
        try:
            alerts = AlertBook(engine.store, "tui", margin=margin, clock=self.clock).take()
        except CdtuiError as exc:
            log.warning("alerts not checked: %s", exc.message)
            return
        if alerts:
            self.call_from_thread(self._shout, summary_text(alerts, margin))

    def _shout(self, summary: str) -> None:
        self.bell()
        # a warning's usual time: the head line keeps the counts, the bell was heard
        self.notify(summary, title="Orders need you", severity="warning")

    def on_integrations_changed(self, _: IntegrationsChanged) -> None:
        self._remember_store()
        self._read_integrations()
        self.integrations_changed.publish(None)

    def on_orders_changed(self, _: OrdersChanged) -> None:
        self._remember_store()
        self.orders_changed.publish(None)

    # ------------------------------------------------------------ labels

    @on(LabelsRequested)
    def _labels_requested(self, message: LabelsRequested) -> None:
        self.run_labels(message.order_ids, message.choice, session=message.session)

    def run_labels(
        self,
        order_ids: list[str],
        choice: LabelChoice | None = None,
        *,
        session: LabelSession | None = None,
    ) -> bool:
        """Buy labels for these orders in a worker; progress and results come as messages."""
        if self.engine is None or not order_ids:
            return False
        if self.labels_running:
            self.notify("A label run is already in progress.")
            return False
        self.label_progress = LabelProgress(0, len(order_ids))
        self.labels_running = True
        self.labels_progressed.publish(self.label_progress)
        self._label_worker(order_ids, choice, session)
        return True

    @work(group="labels", exit_on_error=False)
    async def _label_worker(
        self, order_ids: list[str], choice: LabelChoice | None, session: LabelSession | None
    ) -> None:
        from cdtui.engine import LabelOutcome

        assert self.engine is not None
        outcomes: list[LabelOutcome]
        try:
            if choice is not None and len(order_ids) == 1:
                try:
                    outcome = await self.engine.create_label(
                        order_ids[0],
                        shipping_option=choice.shipping_option,
                        weight_kg=choice.weight_kg,
                        address=choice.address,
                        include_cancel_requests=choice.include_cancel_requests,
                    )
                except CdtuiError as exc:
                    outcome = LabelOutcome(order_id=order_ids[0], ok=False, error=exc.message)
                outcomes = [outcome]
            else:
                outcomes = await self.engine.create_labels(
                    order_ids,
                    progress=lambda done, total: self.post_message(LabelRunProgressed(done, total)),
                )
        except Exception as exc:  # report every order, never crash the app
            log.exception("label run failed")
            reason = f"Unexpected error ({type(exc).__name__}); see the log."
            outcomes = [LabelOutcome(order_id=i, ok=False, error=reason) for i in order_ids]
        summary = RunSummary(total=len(order_ids), session=session)
        if isinstance(outcomes, LabelRun):
            summary.batch, summary.batch_failed = run_news(outcomes)
        for outcome in outcomes:
            summary.outcomes[outcome.order_id] = outcome
            if outcome.ok:
                summary.ok.append(outcome.order_id)
                self.post_message(LabelCreated(outcome))
            else:
                reason = outcome.error or "no label"
                summary.failed[outcome.order_id] = reason
                self.post_message(LabelFailed(outcome.order_id, reason))
        self.post_message(LabelRunFinished(summary))

    def on_label_run_progressed(self, message: LabelRunProgressed) -> None:
        self.label_progress = message.progress
        self.labels_progressed.publish(message.progress)

    def on_label_created(self, message: LabelCreated) -> None:
        if self.label_progress.total == 1:
            self.notify(fmt.label_done(message.outcome), title="Label created")

    def on_label_failed(self, message: LabelFailed) -> None:
        if self.label_progress.total != 1:
            return
        elsewhere = self._labelled_elsewhere(message.order_id)
        if elsewhere:
            self.notify(elsewhere, title="Already labelled")
        else:
            self.notify(message.reason, title="No label", severity="error", timeout=10)

    def _labelled_elsewhere(self, order_id: str) -> str | None:
        """What to say of an order this run could not label because it has a label now
        (bought by another process meanwhile); None when it has none."""
        if self.engine is None:
            return None
        try:
            rec = self.engine.store.find_order(order_id)
        except CdtuiError:
            return None
        if rec is None or rec.label is None or not rec.label.active:
            return None
        label = f"{rec.label.carrier_name or ''} {rec.label.tracking_number or ''}".strip()
        return f"Order {fmt.safe(rec.reference)}: {ELSEWHERE}" + (
            f" ({fmt.safe(label)})." if label else "."
        )

    def on_label_run_finished(self, message: LabelRunFinished) -> None:
        self._remember_store()
        self.labels_running = False
        summary = message.summary
        if summary.total > 1:  # the inbox's run panel lists each failure
            self.notify(f"{len(summary.ok)} created, {len(summary.failed)} failed.", title="Labels")
        if summary.batch_failed and summary.batch:
            self.notify(summary.batch, title="Print batch", severity="error", timeout=10)
        self.labels_finished.publish(summary)

    # ------------------------------------------------------------ integrations

    @on(DisconnectRequested)
    def _disconnect_requested(self, message: DisconnectRequested) -> None:
        """Ask, saying what happens to the orders and waiting tracking updates."""
        if self.engine is None:
            return
        engine = self.engine
        integration_id = message.integration_id
        try:
            integ = self.integration(integration_id)
            orders, waiting = engine.disconnect_impact(integration_id)
        except CdtuiError as exc:
            self.notify(exc.message, severity="error")
            return
        body = (
            f"Disconnect “{fmt.safe(integ.name)}” (seller {fmt.safe(integ.seller_id)})?\n"
            f"Its {orders} order(s) will be removed from cdtui; nothing changes on "
            "the marketplace or in Sendcloud, and label files stay on disk."
        )
        if waiting:
            body += (
                f"\n{waiting} tracking update(s) are still waiting to be sent to the "
                "marketplace and will never be sent."
            )
        else:
            body += "\nNo tracking update is waiting to be sent."

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            if self.syncing:
                self.notify(
                    "A sync is running: disconnect again when it has finished.", severity="warning"
                )
                return
            try:
                removed = engine.disconnect(integration_id, force=True)
            except CdtuiError as exc:
                self.notify(exc.message, severity="error")
                return
            self.notify(
                f"{fmt.safe(integ.name)} disconnected; {removed} order(s) removed.",
                title="Integration disconnected",
            )
            self.show_inbox()
            self.post_message(IntegrationsChanged())
            self.post_message(OrdersChanged())
            self.push_screen(IntegrationsScreen())

        self.push_screen(ConfirmationModal("Disconnect", body, yes="Disconnect"), answered)

    # ------------------------------------------------------------ quit

    async def action_request_quit(self) -> None:
        """ctrl+q / ctrl+c: quit from any screen; a form with unsaved edits asks first
        (asked, ctrl+q again quits)."""
        edited = unsaved_forms(self.screen_stack)
        if not edited or isinstance(self.screen, DiscardQuestion):
            await self.action_quit()
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.call_later(self.action_quit)

        self.push_screen(DiscardQuestion(edited[0], then="quit cdtui"), answered)

    async def action_quit(self) -> None:
        """Stop the workers (the store is only written between awaits) and close."""
        self.workers.cancel_group(self, "sync")
        self.workers.cancel_group(self, "labels")
        if self.engine is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.engine.aclose(), timeout=3)
        self.exit(0)


class StoreStamps(NamedTuple):
    #: meta.json: the integrations
    integrations: tuple[int, int, int] | None
    #: every order file: (name, inode, mtime_ns, size), sorted
    orders: tuple[tuple[str, int, int, int], ...]


def store_stamps(data_dir: Path) -> StoreStamps | None:
    """The identity of every file of the store (what its own caches compare to see other
    processes' writes); None when the folder cannot be read. Stats, no read: about
    0.15 ms for an integration's 64 order files."""
    try:
        meta = os.stat(data_dir / "meta.json")
        found: list[tuple[str, int, int, int]] = []
        folders = [data_dir / "orders"]
        while folders:
            with os.scandir(folders.pop()) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(Path(entry.path))
                    elif entry.name.endswith(".json"):
                        st = entry.stat()
                        found.append((entry.path, st.st_ino, st.st_mtime_ns, st.st_size))
    except OSError:
        return None
    found.sort()
    return StoreStamps((meta.st_ino, meta.st_mtime_ns, meta.st_size), tuple(found))


def installation_complete(settings: Settings) -> bool:
    return (
        not settings.missing_for_octopia()
        and not settings.missing_for_sendcloud()
        and settings.sender_address_id is not None
    )


# ---------------------------------------------------------------- entry points


def run(*, demo: bool = False, no_mouse: bool = False) -> int:
    """``cdtui`` and ``cdtui demo``: run the TUI, return the exit code."""
    if demo:
        from cdtui.tui.demo import demo_environment  # the sandbox only for the demo

        with demo_environment() as (home, hint):
            return _run(CdtuiApp(home, demo_hint=hint, quit_on_signals=True), no_mouse)
    return _run(CdtuiApp(quit_on_signals=True), no_mouse)


def _run(app: CdtuiApp, no_mouse: bool) -> int:
    app.run(mouse=not no_mouse)
    return app.return_code or 0
