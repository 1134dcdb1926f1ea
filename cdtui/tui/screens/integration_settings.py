"""One integration's settings: name, channels, defaults, shipping rules, customs data,
and Disconnect.

Every field is checked by its rule as it is typed; Save reports every wrong field and
text area at once, each highlighted. What only the engine can check (a default shipping
option Sendcloud offers, channels the seller has) comes back on its field, the edits
kept. Escape with edits asks before throwing them away."""

from __future__ import annotations

from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Button, Input, TextArea

from cdtui.errors import CdtuiError, NotFoundLocally, UsageError
from cdtui.models import Integration
from cdtui.orders.rules import (
    NAME_MAX,
    Channels,
    check_carrier_code,
    clean_country,
    clean_hs_code,
    name_key,
    parse_weight,
)
from cdtui.orders.shipping import parse_rule, rules_of
from cdtui.tui import format as fmt
from cdtui.tui.dialogs.channels import ChannelSelectionDialog, describe_channels
from cdtui.tui.dialogs.confirm import DiscardQuestion
from cdtui.tui.messages import DisconnectRequested, InboxRequested, IntegrationsChanged
from cdtui.tui.protocols import host
from cdtui.tui.screens.setup import problems_message
from cdtui.tui.widgets.footer import KeyFooter
from cdtui.tui.widgets.form import FormField, checked_by, new_name
from cdtui.tui.widgets.plain import Label, Static


def text_lines(text: str) -> list[tuple[int, str]]:
    """(line number, text) of the lines that say something (``#`` starts a comment)."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if line and not line.startswith("#"):
            found.append((number, line))
    return found


def parse_table(text: str, clean: Callable[[str], str], what: str) -> dict[str, str]:
    """``SKU=VALUE`` lines as a table; ``UsageError`` naming the line that is wrong."""
    table: dict[str, str] = {}
    for number, line in text_lines(text):
        sku, sep, value = (p.strip() for p in line.partition("="))
        if not sep or not sku or not value:
            raise UsageError(f"Line {number} is not SKU={what}: {line!r}.")
        if sku in table:
            raise UsageError(f"Line {number} gives SKU {sku} a second time.")
        try:
            table[sku] = clean(value)
        except CdtuiError as exc:
            raise UsageError(f"Line {number}: {exc.message}") from None
    return table


def table_changes(current: dict[str, str], wanted: dict[str, str]) -> dict[str, str] | None:
    """What ``update_integration`` merges to turn ``current`` into ``wanted`` (an empty
    value removes a SKU), or None when they are the same."""
    if current == wanted:
        return None
    changes = {sku: "" for sku in current if sku not in wanted}
    changes.update(wanted)
    return changes


def parse_rules(text: str) -> list[str]:
    """The rules, one a line, each checked as the engine reads it; ``UsageError``
    naming the line that is wrong."""
    rules = []
    for number, line in text_lines(text):
        try:
            rules.append(parse_rule(line).text())
        except CdtuiError as exc:
            raise UsageError(f"Rule line {number}: {exc.message}") from None
    return rules


def table_text(table: dict[str, str]) -> str:
    return "\n".join(f"{sku}={value}" for sku, value in sorted(table.items()))


RULES_HINT = (
    "in order, the first that matches wins: channel=ID, country=CC, mode=SHD or relay, "
    "weight=MIN-MAX (kg), * for every order -> option code"
)
RULES_EXAMPLE = (
    "e.g. mode=SHD,country=FR -> colissimo:home/signature\n"
    "     mode=relay -> mondial_relay:point_relais"
)


SAVED_NAMES = {
    "default_weight_kg": "weight",
    "default_shipping_option": "shipping option",
    "relay_carrier": "relay carrier",
    "default_hs_code": "HS code",
    "origin_country": "origin",
    "rules": "shipping rules",
    "sku_hs_codes": "HS codes per SKU",
    "sku_origin_countries": "origins per SKU",
}


#: the form's fields and text areas, as it calls them
LABELS = {
    "name": "Name",
    "weight": "Weight (kg)",
    "option": "Shipping opt.",
    "relay": "Relay carrier",
    "hs": "HS code",
    "origin": "Origin",
    "rules": "Shipping rules",
    "sku-hs": "HS code per SKU",
    "sku-origin": "Origin per SKU",
    "channels": "Channels",
}
FIELDS = ("name", "weight", "option", "relay", "hs", "origin")
AREAS = ("rules", "sku-hs", "sku-origin")
#: what only the engine checks (Sendcloud's options, the seller's channels, the other
#: integrations' names): the field it belongs to and the words its refusal names it by
ENGINE_CHECKED = {
    "default_shipping_option": ("option", "shipping option"),
    "channels": ("channels", "sales channel"),
    "name": ("name", "integration named"),
}


def refused_field(message: str, changes: dict[str, object]) -> str | None:
    """The field an engine refusal is about: the one change sent that only the engine
    checks and that the message names (every other value was checked here by the
    same rules); None when that is not clear."""
    named = [
        field
        for key, (field, words) in ENGINE_CHECKED.items()
        if key in changes and words in message.lower()
    ]
    return named[0] if len(named) == 1 else None


class IntegrationSettingsScreen(Screen[None]):
    TITLE = "Integration settings"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="settings.save"),
        Binding("ctrl+o", "channels", "Channels", id="settings.channels"),
        Binding("ctrl+r", "disconnect", "Disconnect", id="settings.disconnect"),
        Binding("escape", "back", "Back", id="settings.back"),
        Binding("f1", "app.help", "Help", id="settings.help"),
        # the app's ctrl+q, shown: letters go into the fields here
        Binding("ctrl+q", "app.request_quit", "Quit", priority=True, id="settings.quit"),
    ]
    #: the footer's keys when not all fit (``widgets/footer.py``)
    FOOTER_PRIORITY = (
        "settings.quit",
        "settings.help",
        "settings.back",
        "settings.save",
        "settings.channels",
        "settings.disconnect",
    )

    #: the changes are being saved: Save, Channels and Disconnect wait
    busy = reactive(False, bindings=True)

    def __init__(self, integration_id: str) -> None:
        super().__init__()
        self._id = integration_id
        self._channels: Channels = "all"
        #: channel names by id, once read from the seller's subscriptions
        self._channel_names: dict[str, str] = {}
        #: what the form shows when nothing is edited (``has_edits``)
        self._saved: dict[str, object] = {}
        #: what unsaved edits are about (``dialogs.confirm.DiscardQuestion``)
        self.edits_of = "these integration settings"

    def _integration(self) -> Integration:
        return host(self).integration(self._id)

    def compose(self) -> ComposeResult:
        app = host(self)
        integ = self._integration()
        self._channels = integ.channels
        self.edits_of = f"the settings of “{fmt.safe(integ.name)}”"
        taken = {name_key(i.name) for i in app.integrations() if i.id != integ.id}
        weight = integ.default_weight_kg
        default_weight = app.settings.default_weight_kg if app.settings else None
        yield Static(
            f"Integration “{fmt.safe(integ.name)}” — seller {fmt.safe(integ.seller_id)}, "
            f"login {fmt.safe(integ.login)}",
            classes="screen-title",
        )
        with VerticalScroll(id="settings-form"):
            yield FormField(
                "Name",
                id="name",
                value=integ.name,
                hint="a name you choose",
                validate=new_name(taken),
                max_length=NAME_MAX,
            )
            with Horizontal(classes="field-row"):
                yield Label("Channels", classes="field-label")
                yield Static(describe_channels(integ.channels), id="channels-value")
            yield Static("", id="channels-msg", classes="field-msg")
            yield FormField(
                "Weight (kg)",
                id="weight",
                value=f"{weight.normalize():f}" if weight is not None else "",
                placeholder=f"installation default {fmt.weight(default_weight)}",
                hint="default parcel weight for this seller",
                validate=checked_by(parse_weight, optional=True),
            )
            yield FormField(
                "Shipping opt.",
                id="option",
                value=integ.default_shipping_option or "",
                placeholder="cheapest option",
                hint="Sendcloud option used when no rule applies and it serves the order",
                max_length=200,
            )
            yield FormField(
                "Relay carrier",
                id="relay",
                value=integ.relay_carrier,
                hint="Sendcloud carrier that runs the relay points of relay orders",
                validate=checked_by(check_carrier_code),
                max_length=64,
            )
            yield Static("Shipping rules", classes="section")
            yield Static(RULES_HINT, classes="area-hint")
            yield TextArea(
                "\n".join(rule.text() for rule in self._rules(integ)),
                id="rules",
                soft_wrap=False,
                placeholder=RULES_EXAMPLE,
                classes="settings-area",
            )
            yield Static("", id="rules-msg", classes="area-msg")
            yield Static("Customs (parcels leaving the EU)", classes="section")
            yield FormField(
                "HS code",
                id="hs",
                value=integ.default_hs_code or "",
                placeholder="none",
                hint="customs code of the SKUs not listed below",
                validate=checked_by(clean_hs_code, optional=True),
                max_length=14,
            )
            yield FormField(
                "Origin",
                id="origin",
                value=integ.origin_country or "",
                placeholder="the sender's country",
                hint="country where the goods were made (two letters)",
                validate=checked_by(clean_country, optional=True),
                max_length=2,
            )
            yield Static("HS code per SKU: SKU=CODE, one a line", classes="area-hint")
            yield TextArea(
                table_text(integ.sku_hs_codes),
                id="sku-hs",
                soft_wrap=False,
                placeholder="e.g. SKU-CASQ-01=851830",
                classes="settings-area",
            )
            yield Static("", id="sku-hs-msg", classes="area-msg")
            yield Static("Origin per SKU: SKU=CC, one a line", classes="area-hint")
            yield TextArea(
                table_text(integ.sku_origin_countries),
                id="sku-origin",
                soft_wrap=False,
                placeholder="e.g. SKU-CASQ-01=CN",
                classes="settings-area",
            )
            yield Static("", id="sku-origin-msg", classes="area-msg")
            with Horizontal(classes="buttons"):
                yield Button("Save ^s", id="save", variant="primary", compact=True)
                yield Button("Channels ^o", id="channels", compact=True)
                yield Button("Disconnect ^r", id="disconnect", variant="error", compact=True)
            yield Static("", id="settings-message")
        yield KeyFooter()

    def _rules(self, integ: Integration) -> list:  # type: ignore[type-arg]
        try:
            return rules_of(integ)
        except CdtuiError as exc:
            self.app.notify(exc.message, severity="error")
            return []

    def on_mount(self) -> None:
        self.query_one("#name-input", Input).focus()
        self._saved = self._values()
        if self._channels != "all":
            self._read_channel_names()

    @work(group="settings-channels", exit_on_error=False)
    async def _read_channel_names(self) -> None:
        """The channels by name (the ids are what is stored); ids stay if unreadable."""
        engine = host(self).engine
        if engine is None:
            return
        try:
            subscriptions = await engine.seller_channels(self._integration().seller_id)
        except CdtuiError:
            return
        self._channel_names = {s.sales_channel_id: s.label for s in subscriptions}
        self._show_channels()

    def _show_channels(self) -> None:
        shown = describe_channels(self._channels, self._channel_names)
        self.query_one("#channels-value", Static).update(shown)

    def _values(self) -> dict[str, object]:
        """What the form holds: the fields, the text areas, the channels."""
        values: dict[str, object] = {i: self.query_one(f"#{i}", FormField).value for i in FIELDS}
        values.update({a: self.query_one(f"#{a}", TextArea).text for a in AREAS})
        values["channels"] = self._channels
        return values

    def has_edits(self) -> bool:
        """Something differs from what was last saved (or shown first)."""
        return self._values() != self._saved

    def _message(self, text: str, kind: str) -> None:
        message = self.query_one("#settings-message", Static)
        message.update(text)
        message.set_classes(kind)
        if kind == "error":  # below the fold on a small terminal
            self.call_after_refresh(message.scroll_visible, animate=False)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        actions = {
            "save": self.action_save,
            "channels": self.action_channels,
            "disconnect": self.action_disconnect,
        }
        if event.button.id in actions:
            actions[event.button.id]()

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("save", "channels", "disconnect") and self.busy:
            return None
        return True

    def action_back(self) -> None:
        if not self.has_edits():
            self.app.pop_screen()
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.app.pop_screen()

        self.app.push_screen(DiscardQuestion(self.edits_of, then="go back"), answered)

    def action_channels(self) -> None:
        engine = host(self).engine
        if engine is None:
            return
        integ = self._integration()
        dialog = ChannelSelectionDialog(
            integ.seller_id, self._channels, lambda: engine.seller_channels(integ.seller_id)
        )

        def chosen(result: Channels | None) -> None:
            if result is not None:
                self._channels = result
                self._channel_names.update(dialog.names)
                self._show_channels()
                self._field_problem("channels", None)

        self.app.push_screen(dialog, chosen)

    def action_disconnect(self) -> None:
        self.post_message(DisconnectRequested(self._id))

    def _refuse(self, bad: list[str]) -> None:
        """Not saved: the wrong fields (ids), each highlighted with its problem, named
        together below the form and in a toast (the form is taller than the screen);
        the first one focused and scrolled to."""
        text = problems_message([LABELS[b] for b in bad])
        message = self.query_one("#settings-message", Static)
        message.update(text)
        message.set_classes("error")
        self.app.notify(text, severity="error")
        first = self.query_one("#channels-value" if bad[0] == "channels" else f"#{bad[0]}")
        if isinstance(first, FormField):
            first.input.focus()
        elif isinstance(first, TextArea):
            first.focus()
        self.call_after_refresh(first.scroll_visible, animate=False)

    def _area_problem(self, area_id: str, text: str | None) -> None:
        message = self.query_one(f"#{area_id}-msg", Static)
        message.update(text or "")
        message.set_classes("area-msg error" if text else "area-msg")
        self.query_one(f"#{area_id}", TextArea).set_class(bool(text), "-invalid")

    def _field_problem(self, field_id: str, text: str | None) -> None:
        """A problem under a field the engine refused (or under the channels)."""
        if field_id == "channels":
            message = self.query_one("#channels-msg", Static)
            message.update(text or "")
            message.set_classes("field-msg error" if text else "field-msg")
            return
        field = self.query_one(f"#{field_id}", FormField)
        if text:
            field.show_message(text)
        else:
            field.check()

    def action_save(self) -> None:
        if self.busy:
            return
        fields = [self.query_one(f"#{i}", FormField) for i in FIELDS]
        bad = [str(f.id) for f in fields if not f.check()]
        areas = self._read_areas()
        bad += [area for area in AREAS if isinstance(areas[area], str)]
        if bad:
            self._refuse(bad)
            return
        integ = self._integration()
        name, weight_text, option, relay, hs, origin = (f.value.strip() for f in fields)
        weight = parse_weight(weight_text) if weight_text else None
        changes: dict[str, object] = {}
        if name != integ.name:
            changes["name"] = name
        if self._channels != integ.channels:
            changes["channels"] = self._channels
        if weight is not None and weight != integ.default_weight_kg:
            changes["default_weight_kg"] = weight
        if option != (integ.default_shipping_option or ""):
            changes["default_shipping_option"] = option
        if check_carrier_code(relay) != integ.relay_carrier:
            changes["relay_carrier"] = relay
        if (clean_hs_code(hs) if hs else "") != (integ.default_hs_code or ""):
            changes["default_hs_code"] = hs
        if (clean_country(origin) if origin else "") != (integ.origin_country or ""):
            changes["origin_country"] = origin
        rules, sku_hs, sku_origin = areas["rules"], areas["sku-hs"], areas["sku-origin"]
        assert isinstance(rules, list) and isinstance(sku_hs, dict) and isinstance(sku_origin, dict)
        if rules != [rule.text() for rule in self._rules(integ)]:
            changes["rules"] = rules
            changes["clear_rules"] = True
        hs_changes = table_changes(integ.sku_hs_codes, sku_hs)
        if hs_changes is not None:
            changes["sku_hs_codes"] = hs_changes
        origin_changes = table_changes(integ.sku_origin_countries, sku_origin)
        if origin_changes is not None:
            changes["sku_origin_countries"] = origin_changes
        if not changes:
            self._message("Nothing changed.", "ok")
            return
        self.busy = True
        self._message("Saving…", "busy")
        self.save(changes)

    def _read_areas(self) -> dict[str, list[str] | dict[str, str] | str]:
        """Rules and SKU tables as typed, each checked and shown: the value read, or the
        problem (a str) shown under its area."""
        readers: dict[str, Callable[[str], list[str] | dict[str, str]]] = {
            "rules": parse_rules,
            "sku-hs": lambda text: parse_table(text, clean_hs_code, "CODE"),
            "sku-origin": lambda text: parse_table(text, clean_country, "CC"),
        }
        read: dict[str, list[str] | dict[str, str] | str] = {}
        for area, reader in readers.items():
            try:
                read[area] = reader(self.query_one(f"#{area}", TextArea).text)
            except CdtuiError as exc:
                read[area] = exc.message
            problem = read[area]
            self._area_problem(area, problem if isinstance(problem, str) else None)
        return read

    @work(group="settings", exit_on_error=False)
    async def save(self, changes: dict[str, object]) -> None:
        engine = host(self).engine
        try:
            if engine is None:
                raise CdtuiError("The installation is not set up yet.")
            integ = await engine.update_integration(self._id, **changes)  # type: ignore[arg-type]
        except NotFoundLocally:
            self.busy = False
            self.app.notify("This integration was disconnected meanwhile.", severity="error")
            self.post_message(InboxRequested())
            return
        except Exception as exc:  # explained; the form keeps what was typed
            self.busy = False
            text = exc.message if isinstance(exc, CdtuiError) else type(exc).__name__
            field = refused_field(text, changes) if isinstance(exc, UsageError) else None
            if field is None:
                self._message(f"Not saved: {text}", "error")
                return
            self._field_problem(field, text)
            self._refuse([field])
            return
        self.busy = False
        self._show_saved(integ)
        self._saved = self._values()
        saved = sorted(SAVED_NAMES.get(k, k) for k in changes if k != "clear_rules")
        self._message(f"Saved: {', '.join(saved)}.", "ok")
        self.app.notify(f"{integ.name}: settings saved.", title="Integration updated")
        self.app.post_message(IntegrationsChanged())

    def _show_saved(self, integ: Integration) -> None:
        """The stored values, as the engine keeps them (rules rewritten plainly)."""
        self.query_one("#rules", TextArea).text = "\n".join(r.text() for r in self._rules(integ))
        self.query_one("#sku-hs", TextArea).text = table_text(integ.sku_hs_codes)
        self.query_one("#sku-origin", TextArea).text = table_text(integ.sku_origin_countries)
        self.query_one("#hs-input", Input).value = integ.default_hs_code or ""
        self.query_one("#origin-input", Input).value = integ.origin_country or ""
        self.query_one("#relay-input", Input).value = integ.relay_carrier
