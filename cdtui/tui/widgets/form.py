"""A labelled one-line form field that validates as you type, and the adapters that
make the input rules of ``cdtui.orders.rules`` its validators (the forms accept what
the command line and the engine accept, and say it in the same words)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input

from cdtui.errors import UsageError
from cdtui.orders import rules
from cdtui.tui.widgets.plain import Label, Static

#: the problem with a value, or None when it is fine
Validate = Callable[[str], str | None]


def checked_by(check: Callable[[str], Any], *, optional: bool = False) -> Validate:
    """A validator from an input rule: its ``UsageError`` message is the problem.
    ``optional``: an empty field is fine (the rule is for what is typed)."""

    def validate(value: str) -> str | None:
        if optional and not value.strip():
            return None
        try:
            check(value)
        except UsageError as exc:
            return exc.message
        return None

    return validate


def new_name(taken: Collection[str]) -> Validate:
    """An integration name (``rules.check_name``) that no other integration has;
    ``taken`` holds the others' ``rules.name_key``."""
    check = checked_by(rules.check_name)

    def validate(value: str) -> str | None:
        problem = check(value)
        if problem is None and rules.name_key(value) in taken:
            return "Another integration already has this name."
        return problem

    return validate


class FormField(Vertical):
    """Label, input and a message line (the hint, or the problem with the value)."""

    DEFAULT_CSS = """
    FormField { height: auto; }
    FormField > Horizontal { height: 1; }
    FormField .field-label { width: 14; }
    FormField Input { width: 1fr; }
    FormField .field-msg { height: auto; padding-left: 14; color: $text-muted; }
    FormField.-invalid .field-msg { color: $error; }
    """

    def __init__(
        self,
        label: str,
        *,
        id: str,
        value: str = "",
        placeholder: str = "",
        hint: str = "",
        password: bool = False,
        validate: Validate | None = None,
        restrict: str | None = None,
        max_length: int = 0,
    ) -> None:
        super().__init__(id=id)
        self._label = label
        self._hint = hint
        self._validate = validate
        self._touched = False
        self.input = Input(
            value=value,
            placeholder=placeholder,
            password=password,
            compact=True,
            id=f"{id}-input",
            restrict=restrict,
            max_length=max_length,
        )

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self._label, classes="field-label")
            yield self.input
        yield Static(self._hint, classes="field-msg")

    @property
    def value(self) -> str:
        return self.input.value

    def problem(self) -> str | None:
        return self._validate(self.input.value) if self._validate else None

    def check(self, *, show: bool = True) -> bool:
        """Validate now; show the problem (or the hint) under the field."""
        problem = self.problem()
        if show:
            self.set_class(problem is not None, "-invalid")
            self.query_one(".field-msg", Static).update(problem or self._hint)
        return problem is None

    def show_message(self, text: str, *, error: bool = True) -> None:
        self.set_class(error, "-invalid")
        self.query_one(".field-msg", Static).update(text)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        # As-you-type validation, but do not shout at an empty field never typed in.
        if event.value:
            self._touched = True
        if self._touched:
            self.check()
