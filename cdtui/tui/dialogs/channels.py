"""Channel selection: the seller's subscribed channels, read live, "All" by default.

Rows say ``[x]`` when ticked and ``[ ]`` when not (Textual's ``▐X▌`` differs only by
colour, which 16 colours do not show). The cursor starts on "All sales channels" when
it is ticked (the first ↓ reaches the first channel), else on the first ticked channel.
The dialog keeps the channels' names (``names``) for whoever shows the choice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.widgets import SelectionList
from textual.widgets.option_list import OptionDoesNotExist
from textual.widgets.selection_list import Selection

from cdtui.errors import CdtuiError
from cdtui.models import Subscription
from cdtui.orders.rules import Channels, parse_channels
from cdtui.tui import format as fmt
from cdtui.tui.widgets.footer import KeyFooter
from cdtui.tui.widgets.plain import Static

ALL = "__all__"
ALL_LABEL = "All sales channels"


def describe_channels(channels: list[str] | str, names: dict[str, str] | None = None) -> str:
    """``All sales channels`` or ``Cdiscount, Rakuten`` (screen text: channel ids and
    names come from the API)."""
    if channels == "all" or not channels:
        return ALL_LABEL
    names = names or {}
    return fmt.safe(", ".join(names.get(c, c) for c in channels))


TICKED, UNTICKED = "[x]", "[ ]"


class ChannelList(SelectionList[str]):
    """A selection list whose rows start ``[x]`` or ``[ ]``, not a coloured ``▐X▌``."""

    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        try:
            selection = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return line
        segments = list(line)
        if len(segments) < 4:
            return line
        # the stock button is the first three cells; the prompt's style follows them
        style = segments[3].style or Style()
        ticked = selection.value in self.selected
        mark = Segment(TICKED if ticked else UNTICKED, style + Style(bold=ticked))
        return Strip([mark, *segments[3:]], line.cell_length)


class ChannelSelectionDialog(ModalScreen[Channels | None]):
    """Dismisses with ``"all"``, a list of channel ids, or ``None`` when cancelled."""

    TITLE = "Sales channels"
    BINDINGS = [
        Binding("enter", "confirm", "Confirm", priority=True, id="channels.confirm"),
        Binding("escape", "cancel", "Cancel", id="channels.cancel"),
        Binding("question_mark,f1", "app.help", "Help", id="channels.help"),
    ]
    #: the footer's keys when not all fit (``widgets/footer.py``)
    FOOTER_PRIORITY = ("channels.cancel", "channels.help", "channels.confirm")

    def __init__(
        self,
        seller_id: str,
        current: list[str] | str,
        loader: Callable[[], Awaitable[list[Subscription]]],
    ) -> None:
        super().__init__()
        self._seller_id = seller_id
        self._current = current
        self._loader = loader
        self._loaded = False
        #: channel id -> name, once the subscriptions are read
        self.names: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog channels"):
            yield Static(
                f"Sales channels of seller {fmt.safe(self._seller_id)}", classes="dialog-title"
            )
            yield Static("Reading the seller's channels from Octopia…", id="channels-status")
            yield ChannelList(id="channel-list")
            yield Static(
                "Space ticks a channel · Enter confirms · Esc cancels", classes="dialog-hint"
            )
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(ChannelList).display = False
        self.load()

    @work(exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        status = self.query_one("#channels-status", Static)
        try:
            subscriptions = await self._loader()
        except CdtuiError as exc:
            status.update(f"Could not read the channels: {exc.message}")
            status.add_class("error")
            return
        listing = self.query_one(ChannelList)
        all_selected = self._current == "all" or not self._current
        options: list[Selection[str]] = [Selection(ALL_LABEL, ALL, all_selected)]
        for sub in subscriptions:
            self.names[sub.sales_channel_id] = sub.label
            label = fmt.safe(sub.label) if sub.active else f"{fmt.safe(sub.label)} (inactive)"
            chosen = not all_selected and sub.sales_channel_id in self._current
            prompt = Text(f"{label}  [{fmt.safe(sub.sales_channel_id)}]")
            options.append(Selection(prompt, sub.sales_channel_id, chosen))
        listing.add_options(options)
        status.update(f"{len(subscriptions)} channel(s). All sales channels is the default.")
        listing.display = True
        ticked = [n for n, option in enumerate(options) if option.initial_state]
        listing.highlighted = ticked[0] if ticked else 0
        listing.focus()
        self._loaded = True

    def on_selection_list_selection_toggled(
        self, event: SelectionList.SelectionToggled[str]
    ) -> None:
        listing = self.query_one(ChannelList)
        value = event.selection.value
        if value == ALL and ALL in listing.selected:
            for option_value in list(listing.selected):
                if option_value != ALL:
                    listing.deselect(option_value)
        elif value != ALL and value in listing.selected:
            listing.deselect(ALL)

    def action_confirm(self) -> None:
        if not self._loaded:
            return
        selected = [v for v in self.query_one(ChannelList).selected if v != ALL]
        try:  # as the engine and the command line read them: "all" when none is ticked
            channels = parse_channels(selected or None)
        except CdtuiError as exc:
            status = self.query_one("#channels-status", Static)
            status.update(exc.message)
            status.add_class("error")
            return
        self.dismiss(channels)

    def action_cancel(self) -> None:
        self.dismiss(None)
