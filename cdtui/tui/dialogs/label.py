"""Label dialog: what the order needs, the options that serve it, and what chose one.

The engine plans the label (``Engine.label_plan``: it buys nothing) in a worker; the
dialog shows the plan and replans when the operator changes the weight, corrects the
address or includes lines with a cancellation request. Enter dismisses with a
``LabelChoice`` the caller hands to ``Engine.create_label``; an option that cannot
serve the order, or a plan with a problem, is refused with the reason instead.
The weight follows ``rules.parse_weight``: while what is typed is not a weight, the
options (which are for another weight) are hidden and the rule's sentence says why,
and Enter says it again instead of buying.
What the dialog says (the plan as text) is built in ``label_text.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from cdtui.errors import CdtuiError, UsageError
from cdtui.models import OrderRecord, ShippingOption
from cdtui.orders.addresses import AddressOverride
from cdtui.orders.rules import parse_weight
from cdtui.orders.shipping import Verdict
from cdtui.tui import format as fmt
from cdtui.tui.dialogs.address import FIELD_NAMES, AddressDialog, corrected, order_address
from cdtui.tui.dialogs.label_text import (
    HS_CODES_HINT,
    cancel_requests_text,
    choice_text,
    contents_text,
    hint_text,
    need_text,
    option_row,
    options_status,
    to_text,
)
from cdtui.tui.widgets.footer import KeyFooter
from cdtui.tui.widgets.plain import Label, Static

if TYPE_CHECKING:
    from cdtui.labels import LabelPlan

#: ``planner(weight_kg=…, shipping_option=…, address=…, include_cancel_requests=…)``:
#: ``Engine.label_plan`` for one order
Planner = Callable[..., Awaitable["LabelPlan"]]


@dataclass(frozen=True)
class LabelChoice:
    """What the operator confirmed: passed as is to ``Engine.create_label``."""

    shipping_option: str
    weight_kg: Decimal
    address: AddressOverride | None = None
    include_cancel_requests: bool = False


def typed_weight(text: str) -> Decimal | None:
    """The weight typed (``rules.parse_weight``: ``1,5`` accepted), or None while what
    is typed is not one yet."""
    try:
        return parse_weight(text)
    except UsageError:
        return None


def weight_problem(text: str) -> str | None:
    """Why what is typed is not a weight (``rules.parse_weight``'s words), or None."""
    if not text.strip():
        return "Type the parcel's weight in kg to see the shipping options."
    try:
        parse_weight(text)
    except UsageError as exc:
        return exc.message
    return None


class PlanLoaded(Message):
    def __init__(self, generation: int, plan: LabelPlan | None, error: str | None) -> None:
        super().__init__()
        self.generation = generation
        self.plan = plan
        self.error = error


class ChoiceChecked(Message):
    """The engine's verdict on an option the operator picked instead of the plan's."""

    def __init__(self, generation: int, code: str, plan: LabelPlan | None, error: str | None):
        super().__init__()
        self.generation = generation
        self.code = code
        self.plan = plan
        self.error = error


class WeightInput(Input):
    """Takes digits and a decimal mark; any other letter is one of the dialog's keys."""

    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        return character is not None and character in "0123456789.,"


class LabelDialog(ModalScreen[LabelChoice | None]):
    TITLE = "Label dialog"
    # The letters are priority bindings: the only text field here is the weight,
    # where a letter means nothing (``WeightInput``), so they work wherever the focus is.
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="label.cancel"),
        Binding("a", "toggle_all", "All options", priority=True, id="label.all"),
        Binding("e", "address", "Correct address", priority=True, id="label.address"),
        Binding(
            "c",
            "toggle_cancel_requests",
            "Cancel-request lines",
            priority=True,
            id="label.cancel_lines",
        ),
        Binding("w", "weight", "Weight", show=False, priority=True, id="label.weight"),
        Binding("ctrl+r", "reload", "Reload options", id="label.reload"),
        # the app's help keys, which a modal screen does not reach (listed once, as
        # the app's, in the help)
        Binding("question_mark", "app.help", "Help", priority=True, id="label.help"),
        Binding("f1", "app.help", "", show=False, id="label.help_f1"),
    ]
    #: the footer's keys when not all fit (``widgets/footer.py``)
    FOOTER_PRIORITY = (
        "label.cancel",
        "label.help",
        "label.all",
        "label.address",
        "label.cancel_lines",
        "label.reload",
    )

    #: the engine's plan for what the operator set (None while the first is read, or
    #: when planning failed); the keys that need a plan follow it
    plan: reactive[LabelPlan | None] = reactive(None, bindings=True)

    def __init__(self, record: OrderRecord, weight_kg: Decimal, planner: Planner) -> None:
        super().__init__()
        self._record = record
        self._planner = planner
        self._original = order_address(record)
        #: the weight shown before the first plan; the operator's own once typed
        self._shown_weight = weight_kg
        self._typed_weight: Decimal | None = None
        self._override: AddressOverride | None = None
        self._include_cancel_requests = False
        self._show_all = False
        self._generation = 0
        self._loading = False
        self._debounce: Timer | None = None
        #: the option code the operator moved to (kept across replans)
        self._picked: str | None = None
        self._filling = False
        #: why the weight field holds no weight (the options are hidden meanwhile)
        self._weight_problem: str | None = None

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        rec = self._record
        with Vertical(id="dialog", classes="dialog label"):
            yield Static(
                f"Label for order {fmt.safe(rec.reference)} · {fmt.channel_name(rec)}",
                classes="dialog-title",
            )
            yield Static("", id="label-to")
            yield Static(contents_text(rec, None), id="label-contents")
            yield Static("", id="label-need")
            yield Static("", id="label-cancel-requests")
            with Horizontal(classes="field-row", id="weight-row"):
                yield Label("Weight (kg)", classes="field-label")
                yield WeightInput(
                    value=f"{self._shown_weight.normalize():f}",
                    id="weight",
                    compact=True,
                    restrict=r"[0-9.,]*",
                    max_length=9,
                )
                yield Static("", id="weight-error", classes="field-error")
            yield Static("Shipping options — reading Sendcloud…", id="options-status")
            yield OptionList(id="options")
            yield Static("", id="label-choice")
            yield Static("", id="label-problem", classes="error")
            yield Static("", id="label-hint", classes="dialog-hint")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#options", OptionList).focus()
        self._show_need()
        self._show_hint()
        self.replan()

    # ------------------------------------------------------------ planning

    def replan(self) -> None:
        """Ask the engine for the plan with what the operator set (in a worker)."""
        self._generation += 1
        self._loading = True
        weight = self._typed_weight
        status = self.query_one("#options-status", Static)
        shown = weight if weight is not None else self._shown_weight
        status.update(f"Shipping options for {fmt.weight(shown)} — reading Sendcloud…")
        status.set_classes("")
        self._show_weight_state()
        self._plan_worker(self._generation, weight, self._override, self._include_cancel_requests)

    @work(exclusive=True, group="label-plan", exit_on_error=False)
    async def _plan_worker(
        self,
        generation: int,
        weight: Decimal | None,
        override: AddressOverride | None,
        include: bool,
    ) -> None:
        try:
            plan = await self._planner(
                weight_kg=weight, address=override, include_cancel_requests=include
            )
        except CdtuiError as exc:
            self.post_message(PlanLoaded(generation, None, exc.message))
        except Exception as exc:  # the dialog stays usable whatever happens
            self.post_message(PlanLoaded(generation, None, f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(PlanLoaded(generation, plan, None))

    def on_plan_loaded(self, message: PlanLoaded) -> None:
        if message.generation != self._generation:
            return  # an older answer: a newer plan is on its way
        self._loading = False
        self.plan = message.plan
        listing = self.query_one("#options", OptionList)
        status = self.query_one("#options-status", Static)
        if message.plan is None:
            listing.clear_options()
            status.update(f"Could not plan the label: {fmt.safe(message.error)}")
            status.set_classes("error")
            self.query_one("#label-choice", Static).update("")
            self.query_one("#label-problem", Static).update("")
            self._show_weight_state()
            return
        plan = message.plan
        if self._typed_weight is None:
            self._shown_weight = plan.weight
            weight_input = self.query_one("#weight", Input)
            if typed_weight(weight_input.value) != plan.weight:
                weight_input.value = f"{plan.weight.normalize():f}"
        self._show_need()
        self._fill_options()
        self._show_hint()

    def _shown_verdicts(self) -> list[Verdict]:
        plan = self.plan
        if plan is None:
            return []
        if self._show_all:
            return list(plan.verdicts)
        return [v for v in plan.verdicts if v.excluded is None]

    def _fill_options(self) -> None:
        plan = self.plan
        assert plan is not None
        listing = self.query_one("#options", OptionList)
        verdicts = self._shown_verdicts()
        self._filling = True
        try:
            listing.clear_options()
            listing.add_options([Option(option_row(v), id=v.option.code) for v in verdicts])
            codes = [v.option.code for v in verdicts]
            wanted = [self._picked, plan.choice.option.code if plan.choice else None]
            index = next((codes.index(c) for c in wanted if c in codes), 0 if codes else None)
            listing.highlighted = index
        finally:
            self._filling = False
        text, problem = options_status(plan, show_all=self._show_all)
        status = self.query_one("#options-status", Static)
        status.update(text)
        status.set_classes("error" if problem else "")
        self._show_choice()
        self._show_weight_state()

    def _show_weight_state(self) -> None:
        """While the weight field holds no weight, the options shown are for another
        weight: hide them and say why instead."""
        problem = self._weight_problem
        self.query_one("#options", OptionList).display = problem is None
        if problem is None:
            return
        self.query_one("#label-choice", Static).display = False
        status = self.query_one("#options-status", Static)
        status.update(f"No options shown: {fmt.safe(problem)}")
        status.set_classes("error")

    # ------------------------------------------------------------ what the dialog says

    def _show_need(self) -> None:
        plan = self.plan
        rec = self._record
        self.query_one("#label-contents", Static).update(contents_text(rec, plan))
        address = plan.address if plan is not None else None
        if address is None:
            shipping = rec.order.shipping_address
            address = {
                **corrected(self._original, self._override),
                "country_code": (shipping.country_code if shipping else "") or "",
            }
        names = [FIELD_NAMES[k] for k in self._override.as_dict()] if self._override else []
        relay = plan is not None and plan.need.relay
        self.query_one("#label-to", Static).update(to_text(address, relay=relay, corrected=names))
        self.query_one("#label-need", Static).update(need_text(plan))
        asked = (
            plan.cancel_request_lines
            if plan is not None
            else [ln.order_line_id for ln in rec.order.cancel_request_lines]
        )
        cancel = self.query_one("#label-cancel-requests", Static)
        cancel.display = bool(asked)
        if asked:
            cancel.update(cancel_requests_text(asked, self._include_cancel_requests))

    def _highlighted(self) -> Verdict | None:
        listing = self.query_one("#options", OptionList)
        verdicts = self._shown_verdicts()
        index = listing.highlighted
        if index is None or not 0 <= index < len(verdicts):
            return None
        return verdicts[index]

    def _show_choice(self, refusal: str | None = None, *, refused: bool = False) -> None:
        """The chosen-by line and notes (or why the highlighted option cannot serve the
        order, in alert style once Enter was refused), and the problem or ``refusal``."""
        plan = self.plan
        line = self.query_one("#label-choice", Static)
        problem = self.query_one("#label-problem", Static)
        if plan is None:
            line.update("")
            line.display = False
            problem.update(fmt.text(refusal) if refusal else "")
            problem.display = bool(refusal)
            return
        text = choice_text(plan, self._highlighted(), refused=refused)
        line.update(text)
        line.display = bool(text.plain)
        shown = fmt.safe(refusal or plan.problem)
        if shown and not refusal and plan.customs and plan.customs_items is None:
            shown += f"\n{HS_CODES_HINT}"
        problem.update(Text(shown) if shown else "")
        problem.display = bool(shown)
        self.call_after_refresh(self._fit_list)

    def _fit_list(self) -> None:
        """The option list gets the rows the rest of the dialog leaves on the screen."""
        dialog = self.query_one("#dialog")
        listing = self.query_one("#options", OptionList)
        others = sum(
            child.outer_size.height + child.styles.margin.top + child.styles.margin.bottom
            for child in dialog.children
            if child.display and child is not listing
        )
        frame = dialog.styles.border.spacing.height + dialog.styles.padding.height
        room = max(3, self.size.height - frame - others)
        current = listing.styles.max_height
        if current is None or current.value != room:
            listing.styles.max_height = room
            # once more after this layout: a line above may have been measured early
            self.call_after_refresh(self._fit_list)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit_list)

    def _show_hint(self) -> None:
        self.query_one("#label-hint", Static).update(hint_text(show_all=self._show_all))

    # ------------------------------------------------------------ keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_cancel_requests":
            plan = self.plan
            return bool(plan is not None and plan.cancel_request_lines) or None
        if action == "toggle_all":
            return self.plan is not None or None
        return True

    @on(OptionList.OptionHighlighted, "#options")
    def _highlighted_changed(self, event: OptionList.OptionHighlighted) -> None:
        if self._filling:
            return
        self._picked = event.option.id
        self._show_choice()

    def action_toggle_all(self) -> None:
        if self.plan is None:
            return
        self._show_all = not self._show_all
        self._fill_options()
        self._show_hint()

    def action_toggle_cancel_requests(self) -> None:
        if self.plan is None or not self.plan.cancel_request_lines:
            return
        self._include_cancel_requests = not self._include_cancel_requests
        self._show_need()
        self.replan()

    def action_address(self) -> None:
        current = corrected(self._original, self._override)

        def answered(override: AddressOverride | None) -> None:
            if override is None:
                return
            self._override = override if override.as_dict() else None
            self._show_need()
            self.replan()

        self.app.push_screen(
            AddressDialog(fmt.safe(self._record.reference), self._original, current), answered
        )

    def action_weight(self) -> None:
        self.query_one("#weight", Input).focus()

    def action_reload(self) -> None:
        self.replan()

    @on(Input.Changed, "#weight")
    def weight_changed(self, event: Input.Changed) -> None:
        error = self.query_one("#weight-error", Static)
        problem = weight_problem(event.value)
        was_invalid = self._weight_problem is not None
        self._weight_problem = problem
        if problem is not None:
            # one line beside the field; the rule's full sentence is in the status line
            error.update("✗ not a weight (kg, e.g. 1.25)")
            if self._debounce is not None:
                self._debounce.stop()
            self._show_weight_state()
            return
        error.update("")
        weight = parse_weight(event.value)
        if weight == (self._typed_weight or self._shown_weight):
            if was_invalid and self.plan is not None and not self._loading:
                self._fill_options()  # the options shown are for this weight again
            return
        self._typed_weight = weight
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(0.4, self.replan)

    # ------------------------------------------------------------ answer

    @on(Input.Submitted, "#weight")
    def weight_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._confirm()

    @on(OptionList.OptionSelected, "#options")
    def option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._confirm()

    def _confirm(self) -> None:
        weight_input = self.query_one("#weight", Input)
        weight = typed_weight(weight_input.value)
        if weight is None:
            weight_input.focus()
            # the rule's sentence is on the status line; this says what Enter did
            problem = self.query_one("#label-problem", Static)
            problem.update("No label for an invalid weight: correct it first (e.g. 1.25).")
            problem.display = True
            self.app.bell()
            return
        plan = self.plan
        if plan is None or self._loading:
            if not self._loading:
                self.replan()
            self._show_choice("Reading the options; Enter again when they are shown.")
            return
        if weight != plan.weight:  # typed, not yet replanned
            if self._debounce is not None:
                self._debounce.stop()
            self._typed_weight = weight
            self.replan()
            self._show_choice("Reading the options again; Enter when they are shown.")
            return
        verdict = self._highlighted()
        if verdict is None:
            self._show_choice(plan.problem or "No shipping option to buy.")
            return
        if verdict.excluded:
            self._show_choice(refused=True)
            self.app.bell()
            return
        choice = plan.choice
        if choice is not None and verdict.option.code == choice.option.code:
            if plan.problem:
                self._show_choice(plan.problem)
                self.app.bell()
                return
            self._dismiss_with(verdict.option, plan.weight)
            return
        # Another option than the plan's: the engine says whether it can be bought.
        self._show_choice(f"Checking {fmt.safe(verdict.option.name)}…")
        self._check_worker(self._generation, verdict.option.code, plan.weight)

    @work(exclusive=True, group="label-check", exit_on_error=False)
    async def _check_worker(self, generation: int, code: str, weight: Decimal) -> None:
        try:
            plan = await self._planner(
                weight_kg=weight,
                shipping_option=code,
                address=self._override,
                include_cancel_requests=self._include_cancel_requests,
            )
        except CdtuiError as exc:
            self.post_message(ChoiceChecked(generation, code, None, exc.message))
        except Exception as exc:
            self.post_message(ChoiceChecked(generation, code, None, f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(ChoiceChecked(generation, code, plan, None))

    def on_choice_checked(self, message: ChoiceChecked) -> None:
        if message.generation != self._generation:
            return
        plan = message.plan
        if plan is None or plan.problem or plan.choice is None:
            self._show_choice(message.error or (plan.problem if plan else None) or "No label.")
            self.app.bell()
            return
        self._dismiss_with(plan.choice.option, plan.weight)

    def _dismiss_with(self, option: ShippingOption, weight: Decimal) -> None:
        self.dismiss(
            LabelChoice(
                shipping_option=option.code,
                weight_kg=weight,
                address=self._override,
                include_cancel_requests=self._include_cancel_requests,
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
