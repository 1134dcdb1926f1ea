"""A labelled one-line form field that validates as you type."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input

from cdtui.tui.widgets.plain import Label, Static

Validate = Callable[[str], str | None]


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
