"""The Textual application: owns the engine, the sync timer and the label runs.

The sync worker and the label worker live here, not on a screen, because a popped
screen takes its workers with it. Neither is ``exclusive``: exclusivity would cancel a
running store-writing worker. A second request while one runs is simply refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.segment import Segment
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.color import Color
from textual.filter import LineFilter
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen

from cdtui import logging_setup
from cdtui.config import Settings, load_settings, resolve_home, save_settings
from cdtui.errors import CdtuiError, ConfigError, StoreError
from cdtui.models import Integration, utcnow
from cdtui.tui import format as fmt
from cdtui.tui.dialogs.confirm import ConfirmationModal
from cdtui.tui.dialogs.label import LabelChoice
from cdtui.tui.messages import (
    IntegrationsChanged,
    LabelCreated,
    LabelFailed,
    LabelRunFinished,
    LabelRunProgressed,
    OrdersChanged,
    RunSummary,
    SyncFinished,
    SyncProgressed,
)
from cdtui.tui.screens.connect import ConnectScreen
from cdtui.tui.screens.help import HelpScreen
from cdtui.tui.screens.inbox import InboxScreen
from cdtui.tui.screens.integrations import IntegrationsScreen
from cdtui.tui.screens.problem import ProblemScreen
from cdtui.tui.screens.setup import SetupScreen
from cdtui.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from cdtui.engine import Engine, LabelOutcome, SyncProgress
    from cdtui.storage.store import Store

log = logging.getLogger(__name__)

PHASES = {
    "import": "importing orders",
    "labels": "checking labels",
    "tracking": "sending tracking",
    "refresh": "refreshing tracking",
    "done": "finishing",
}


class NoControls(LineFilter):
    """The last line of defence: no control character a widget paints reaches the
    terminal, where ``ESC]52`` would write the clipboard and ``ESC]0`` the title.

    cdtui's own text is already printable (``format.safe``, ``widgets.plain``); this
    catches what slips past, Textual's own widgets included. It removes the characters
    rather than escaping them: Rich gave them no width, so the line keeps its layout."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if all(s.control or s.text.isprintable() for s in segments):
            return segments
        return [s if s.control else s._replace(text=_without_controls(s.text)) for s in segments]


def _without_controls(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(c for c in text if c.isprintable() or fmt.safe(c) == c)


NO_CONTROLS = NoControls()


class CdtuiApp(App[int]):
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
    ]

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
        self.store: Store | None = None
        self.engine: Engine | None = None
        self.syncing = False
        self.sync_text = ""
        self.next_sync_at: datetime | None = None
        self.last_sync_at: datetime | None = None
        self.labels_running = False
        self.label_progress: tuple[int, int] = (0, 0)
        self._ticker_started = False

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
        """Toasts show API details and user input verbatim: no markup unless asked, and
        control characters as visible escapes."""
        super().notify(
            fmt.safe_lines(message),
            title=fmt.safe(title),
            severity=severity,
            timeout=timeout,
            markup=markup,
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
            self.store = Store(self.home, clock=self.clock)
        except StoreError as exc:
            self.push_screen(ProblemScreen("The data store cannot be opened", exc.message))
            return
        self.engine = Engine(settings, self.store, clock=self.clock)
        self.push_screen(InboxScreen())
        integrations = self.integrations()
        if not integrations:
            self.push_screen(ConnectScreen(hint=self.demo_hint))
        self._refresh_last_sync()
        self.next_sync_at = self.last_sync_at + self.interval if self.last_sync_at else self.clock()
        if not self._ticker_started:
            self._ticker_started = True
            self.set_interval(1, self._tick)
        self.call_later(self._tick)

    def settings_saved(self, settings: Settings) -> None:
        """Setup saved new settings: (re)build the engine with them."""
        first_start = self.engine is None
        old = self.engine
        self.settings = settings
        self.pop_screen()
        if first_start:
            self._start(settings)
            return
        from cdtui.engine import Engine

        self.engine = Engine(settings, self.store, clock=self.clock)
        if old is not None:
            self._close_engine(old)

    @work(group="close", exit_on_error=False)
    async def _close_engine(self, engine: Engine) -> None:
        await engine.aclose()

    # ------------------------------------------------------------ shared reads

    @property
    def interval(self) -> timedelta:
        return timedelta(seconds=self.settings.sync_interval if self.settings else 600)

    def integrations(self) -> list[Integration]:
        if self.store is None:
            return []
        try:
            return self.store.integrations()
        except CdtuiError as exc:
            self.notify(exc.message, severity="error")
            return []

    def store_integration(self, integration_id: str) -> Integration:
        assert self.store is not None
        return self.store.integration(integration_id)

    def counts(self, integration_id: str | None = None) -> dict[str, int]:
        if self.store is None:
            return {}
        return self.store.counts(integration_id)

    def settings_default_weight(self) -> str:
        weight = self.settings.default_weight_kg if self.settings else Decimal("1")
        return fmt.weight(weight)

    def _refresh_last_sync(self) -> None:
        times = [i.last_sync_at for i in self.integrations() if i.last_sync_at]
        self.last_sync_at = max(times) if times else None

    def seconds_to_next_sync(self) -> float:
        if self.next_sync_at is None:
            return self.interval.total_seconds()
        return (self.next_sync_at - self.clock()).total_seconds()

    def status_parts(self) -> list[tuple[str, str]]:
        """What the status line shows: last sync, countdown, progress."""
        if self.engine is None:
            return [("Not set up yet", "dim")]
        now = self.clock()
        parts: list[tuple[str, str]] = []
        if self.last_sync_at:
            parts.append(
                (
                    f"Last sync {fmt.clock_time(self.last_sync_at)} "
                    f"({fmt.ago(self.last_sync_at, now)})",
                    "",
                )
            )
        else:
            parts.append(("Never synced", "dim"))
        if self.syncing:
            parts.append((f"Syncing: {self.sync_text}", "bold yellow"))
        elif self.integrations():
            parts.append((f"next sync in {fmt.countdown(self.seconds_to_next_sync())}", ""))
        else:
            parts.append(("no integration: n connects a seller", "dim"))
        if self.labels_running:
            done, total = self.label_progress
            parts.append((f"Labels {done}/{total}", "bold cyan"))
        return parts

    def _update_status(self) -> None:
        for screen in self.screen_stack:
            for line in screen.query(StatusLine):
                line.update_status()

    def broadcast(self, factory: Callable[[], Message]) -> None:
        """Tell every screen in the stack (hidden ones reload when they come back)."""
        for screen in self.screen_stack:
            screen.post_message(factory())

    # ------------------------------------------------------------ navigation

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
        if isinstance(self.screen, ModalScreen | ProblemScreen | SetupScreen) and action in (
            "quit",
            "sync_now",
            "integrations",
            "connect",
        ):
            # letters belong to the dialog; ctrl+q still quits
            return False
        if action == "sync_now":
            if self.engine is None or not self.integrations():
                return False
            return None if self.syncing else True
        if action in ("integrations", "connect"):
            return self.engine is not None
        return True

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every action usable on the current screen, by name, in the command palette."""
        yield from super().get_system_commands(screen)
        seen: set[str] = set()
        for node in (screen, self):
            for bindings in node._bindings.key_to_bindings.values():
                for binding in bindings:
                    if not binding.description or binding.action in seen or binding.system:
                        continue
                    if not self._check_action_state(binding.action, node):
                        continue
                    seen.add(binding.action)
                    keys = self.get_key_display(binding)
                    yield SystemCommand(
                        binding.description,
                        f"key {keys}",
                        _runner(node, binding.action),
                    )
        if self.settings is not None and not isinstance(screen, SetupScreen):
            yield SystemCommand(
                "Installation setup",
                "Octopia and Sendcloud credentials, sender address, label format",
                self.action_setup,
            )

    # ------------------------------------------------------------ sync

    def _tick(self) -> None:
        if (
            self.engine is not None
            and not self.syncing
            and self.next_sync_at is not None
            and self.clock() >= self.next_sync_at
            and self.integrations()
        ):
            self.request_sync()
        self._update_status()

    def action_sync_now(self) -> None:
        self.request_sync(manual=True)

    def request_sync(self, integration_id: str | None = None, *, manual: bool = False) -> bool:
        """Start a sync unless one is running. Returns whether one started.

        ``manual``: the operator asked for it (``s``), so every tracking update still
        waiting is retried now; the periodic timer's syncs respect their back-off."""
        if self.engine is None:
            return False
        if self.syncing:
            self.notify("A sync is already running.", timeout=3)
            return False
        self.syncing = True
        self.sync_text = "starting"
        self.refresh_bindings()
        self._update_status()
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
        except Exception as exc:  # the timer must keep running whatever happens
            log.exception("sync failed")
            error = f"Sync failed unexpectedly ({type(exc).__name__}); see the log."
        self.post_message(SyncFinished(reports, error))

    def on_sync_progressed(self, message: SyncProgressed) -> None:
        if self.syncing:
            self.sync_text = message.text
            self._update_status()

    def on_sync_finished(self, message: SyncFinished) -> None:
        self.syncing = False
        self.sync_text = ""
        self.next_sync_at = self.clock() + self.interval  # re-armed after each run
        self._refresh_last_sync()
        self.refresh_bindings()
        self._update_status()
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
        for err in errors[:3]:
            self.notify(err, title="Sync problem", severity="warning", timeout=8)
        self.broadcast(OrdersChanged)
        self.broadcast(IntegrationsChanged)

    def on_integrations_changed(self, _: IntegrationsChanged) -> None:
        self._refresh_last_sync()
        self.refresh_bindings()
        self.broadcast(IntegrationsChanged)

    def on_orders_changed(self, _: OrdersChanged) -> None:
        self.broadcast(OrdersChanged)

    # ------------------------------------------------------------ labels

    def run_labels(self, order_ids: list[str], choice: LabelChoice | None = None) -> bool:
        """Buy labels for these orders in a worker; progress and results come as messages."""
        if self.engine is None or not order_ids:
            return False
        if self.labels_running:
            self.notify("A label run is already in progress.")
            return False
        self.labels_running = True
        self.label_progress = (0, len(order_ids))
        total = len(order_ids)
        self.broadcast(lambda: LabelRunProgressed(0, total))
        self._update_status()
        self._label_worker(order_ids, choice)
        return True

    @work(group="labels", exit_on_error=False)
    async def _label_worker(self, order_ids: list[str], choice: LabelChoice | None) -> None:
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
        summary = RunSummary(total=len(order_ids))
        for outcome in outcomes:
            if outcome.ok:
                summary.ok.append(outcome.order_id)
                self.post_message(LabelCreated(outcome))
            else:
                reason = outcome.error or "no label"
                summary.failed[outcome.order_id] = reason
                self.post_message(LabelFailed(outcome.order_id, reason))
        self.post_message(LabelRunFinished(summary))

    def on_label_run_progressed(self, message: LabelRunProgressed) -> None:
        self.label_progress = (message.done, message.total)
        self._update_status()
        done, total = message.done, message.total
        self.broadcast(lambda: LabelRunProgressed(done, total))

    def on_label_created(self, message: LabelCreated) -> None:
        if self.label_progress[1] == 1:
            self.notify(_label_text(message.outcome), title="Label created")

    def on_label_failed(self, message: LabelFailed) -> None:
        if self.label_progress[1] == 1:
            self.notify(message.reason, title="No label", severity="error", timeout=10)

    def on_label_run_finished(self, message: LabelRunFinished) -> None:
        self.labels_running = False
        summary = message.summary
        self._update_status()
        self.refresh_bindings()
        if summary.total > 1:
            severity = "warning" if summary.failed else "information"
            self.notify(
                f"{len(summary.ok)} created, {len(summary.failed)} failed.",
                title="Labels",
                severity=severity,
            )
        self.broadcast(lambda: LabelRunFinished(summary))

    # ------------------------------------------------------------ integrations

    def confirm_disconnect(self, integration_id: str) -> None:
        """Ask, saying what happens to the orders and waiting tracking updates."""
        if self.engine is None:
            return
        engine = self.engine
        try:
            integ = self.store_integration(integration_id)
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

    async def action_quit(self) -> None:
        """Stop the workers (the store is only written between awaits) and close."""
        self.workers.cancel_group(self, "sync")
        self.workers.cancel_group(self, "labels")
        if self.engine is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.engine.aclose(), timeout=3)
        self.exit(0)


def _runner(node: object, action: str) -> Callable[[], object]:
    app_node = node

    async def run() -> None:
        from textual.dom import DOMNode

        assert isinstance(app_node, DOMNode)
        await app_node.app.run_action(action, app_node)

    return run


def _label_text(outcome: LabelOutcome) -> str:
    text = f"{fmt.safe(outcome.carrier)} {fmt.safe(outcome.tracking_number)}".strip()
    if outcome.relay_point:
        text += f" to relay point {fmt.safe(outcome.relay_point)}"
    if outcome.customs_path:
        text += "; customs declaration saved beside the label"
    if outcome.tracking_sent:
        text += "; tracking sent to the marketplace."
    else:
        text += "; tracking will be sent at the next sync."
    return text


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
        return _run_demo(no_mouse=no_mouse)
    app = CdtuiApp(quit_on_signals=True)
    app.run(mouse=not no_mouse)
    return app.return_code or 0


def demo_settings(home: Path, url: str) -> Settings:
    """Settings pointing at a sandbox at ``url``, with its credentials."""
    from pydantic import SecretStr

    from cdtui.sandbox import data

    return Settings(
        home=home,
        octopia_auth_url=f"{url}/auth/realms/maas/protocol/openid-connect/token",
        octopia_api_url=f"{url}/seller/v2",
        octopia_client_id=data.AGGREGATOR_CLIENT_ID,
        octopia_client_secret=SecretStr(data.AGGREGATOR_CLIENT_SECRET),
        sendcloud_api_url=f"{url}/api/v3",
        sendcloud_public_key=data.SENDCLOUD_PUBLIC_KEY,
        sendcloud_secret_key=SecretStr(data.SENDCLOUD_SECRET_KEY),
        sender_address_id=data.SENDER_ADDRESS_ID,
        sender_postal_code="69001",
    )


def _run_demo(*, no_mouse: bool) -> int:
    """The TUI against a sandbox on loopback, in a throwaway CDTUI_HOME."""
    from cdtui.sandbox import data
    from cdtui.sandbox.server import SandboxServer

    # The demo must not pick up a real installation's endpoints or keys.
    saved_env = {k: v for k, v in os.environ.items() if k.startswith("CDTUI_")}
    for key in saved_env:
        del os.environ[key]
    home = Path(tempfile.mkdtemp(prefix="cdtui-demo-"))
    os.environ["CDTUI_HOME"] = str(home)
    server = SandboxServer(orders=200, seed=0)
    try:
        logging_setup.configure(home, [data.AGGREGATOR_CLIENT_SECRET, data.SENDCLOUD_SECRET_KEY])
        server.start()
        save_settings(demo_settings(home, server.url))
        app = CdtuiApp(home, demo_hint=(data.SELLER_ID, "demo-shop"), quit_on_signals=True)
        app.run(mouse=not no_mouse)
        return app.return_code or 0
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)
        os.environ.pop("CDTUI_HOME", None)
        os.environ.update(saved_env)
