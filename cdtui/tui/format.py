"""The one place where the UI turns dates, money, addresses and states into text.

Pure functions (no Textual): the inbox builds 10,000 rows with them, so they stay cheap.
Times are shown in the machine's local time zone.

API data is untrusted: a reference, a name or an error can carry terminal escapes, a
newline or Rich markup. ``safe`` is how an API or store string becomes screen text
(controls shown as ``\\x1b``-style escapes, on one line); every helper here that returns
API data returns it through ``safe``. Screen text is never Rich markup either: it goes
into a ``rich.text.Text`` or a ``widgets.plain`` widget, never into a markup string.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text

from cdtui.models import Address, OrderRecord
from cdtui.orders.enums import State
from cdtui.orders.states import STATE_INFO
from cdtui.text import printable

if TYPE_CHECKING:
    from cdtui.engine import LabelOutcome
    from cdtui.orders.summary import OrderSummary


def safe(value: object) -> str:
    """API or store text as the screen shows it: one line, every control character a
    visible escape (``cdtui.text.printable``). Already printable text is returned as is
    (the inbox passes 10,000 rows' cells through here)."""
    text = "" if value is None else str(value)
    return text if text.isprintable() else printable(text)


def safe_lines(value: object) -> str:
    """``safe`` for a view that shows several lines: line breaks are kept."""
    return printable(value, lines=True)


def text(value: object, style: str | Style = "") -> Text:
    """A ``Text`` of ``safe(value)``: styled, never read as markup."""
    return Text(safe(value), style=style)


def safe_text(content: Text) -> Text:
    """``content`` with its control characters visible (line breaks kept), each escape
    keeping the style of the character it shows. Printable text is returned as is."""
    plain = content.plain
    if all(line.isprintable() for line in plain.split("\n")):
        return content
    escaped = [index for index, char in enumerate(plain) if _needs_escape(char)]
    cuts = sorted({cut for index in escaped for cut in (index, index + 1)})
    result = Text(
        justify=content.justify,
        overflow=content.overflow,
        no_wrap=content.no_wrap,
        end=content.end,
    )
    for part in content.divide(cuts):
        if len(part) == 1 and _needs_escape(part.plain):
            shown = Text(safe_lines(part.plain), style=part.style)
            for span in part.spans:
                shown.stylize(span.style, 0, len(shown))
            part = shown
        result.append_text(part)
    return result


def _needs_escape(char: str) -> bool:
    return char != "\n" and safe_lines(char) != char


def state_label(rec: OrderRecord | OrderSummary) -> str:
    """The state word of an order as the operator reads it (``orders.states.STATES``);
    a label error wins."""
    if rec.error and rec.state in (State.TO_SHIP, State.LABEL_PENDING):
        return "error"
    info = STATE_INFO.get(rec.state)
    return info.word if info else safe(rec.state)


def local(dt: datetime) -> datetime:
    return dt.astimezone(_local_zone(dt))


def _local_zone(dt: datetime) -> tzinfo | None:
    """The local zone's offset at ``dt``'s hour, cached: ``astimezone()`` without an
    argument asks the OS every time, which costs more than the whole row otherwise."""
    hour = int(dt.timestamp()) // 3600
    zone = _ZONES.get(hour)
    if zone is None:
        zone = datetime.fromtimestamp(hour * 3600).astimezone().tzinfo
        if len(_ZONES) > 10_000:
            _ZONES.clear()
        _ZONES[hour] = zone
    return zone


_ZONES: dict[int, tzinfo | None] = {}
_DAY = timedelta(days=1)
_TODAY: list[tuple[datetime, date]] = []


def _local_today(now: datetime) -> date:
    """``local(now).date()``, remembered for the last ``now`` (one per inbox load)."""
    if _TODAY and _TODAY[0][0] is now:
        return _TODAY[0][1]
    today = local(now).date()
    _TODAY[:] = [(now, today)]
    return today


def short_datetime(dt: datetime | None) -> str:
    """``26/11 09:57`` in local time, or an empty string."""
    if dt is None:
        return ""
    d = local(dt)
    return f"{d.day:02d}/{d.month:02d} {d.hour:02d}:{d.minute:02d}"


def full_datetime(dt: datetime | None) -> str:
    return local(dt).strftime("%Y-%m-%d %H:%M") if dt else "—"


def clock_time(dt: datetime | None) -> str:
    return local(dt).strftime("%H:%M") if dt else "never"


def ago(dt: datetime | None, now: datetime) -> str:
    """``3 min ago`` style age of a past instant."""
    if dt is None:
        return "never"
    seconds = int((now - dt).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def countdown(seconds: float) -> str:
    """``6:58`` (minutes:seconds), never negative."""
    total = max(0, int(seconds))
    minutes, secs = divmod(total, 60)
    if minutes >= 60:
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


class Due:
    """How urgent a ship-by deadline is."""

    NONE = 0
    LATER = 1
    TODAY = 2
    OVERDUE = 3


def ship_by(due_at: datetime | None, now: datetime, *, open_: bool) -> tuple[str, int]:
    """Ship-by text and urgency. Only open orders (still to ship) can be overdue."""
    if due_at is None:
        return "", Due.NONE
    if open_ and due_at < now:
        late = now - due_at
        if late < _DAY:
            return f"late {int(late.total_seconds() // 3600)}h", Due.OVERDUE
        return f"late {late.days}d", Due.OVERDUE
    due_local = local(due_at)
    day_month = f"{due_local.day:02d}/{due_local.month:02d}"
    if not open_:
        return day_month, Due.NONE
    days = (due_local.date() - _local_today(now)).days
    if days == 0:
        return f"today {due_local.hour:02d}:{due_local.minute:02d}", Due.TODAY
    if days == 1:
        return "tomorrow", Due.LATER
    return day_month, Due.LATER


def destination_parts(country: str | None, postal_code: str | None, city: str | None) -> str:
    """``FR 75002 Paris`` from its parts."""
    return safe(" ".join(p for p in (country, postal_code, city) if p))


def address_lines(address: Address | None) -> list[str]:
    if address is None:
        return ["(no address yet)"]
    lines = [
        " ".join(p for p in (address.civility, address.name) if p),
        address.company_name or "",
        address.address_line1 or "",
        address.address_line2 or "",
        address.address_line3 or "",
        " ".join(p for p in (address.postal_code, address.city) if p),
        address.country_code or "",
    ]
    if address.pickup_id or address.pickup_name:
        lines.append(relay_point(address.pickup_id, address.pickup_name))
    if address.phone:
        lines.append(address.phone)
    return [safe(ln.strip()) for ln in lines if ln and ln.strip()]


def relay_point(point_id: str | None, name: str | None) -> str:
    """``Relay point 020547 (Tabac de la Gare)``."""
    point = f"Relay point {safe(point_id) or '(no id)'}"
    return f"{point} ({safe(name)})" if name else point


def items_summary(lines: int, quantity: int, title: str | None) -> str:
    """``items`` from counts: ``title`` is the first line's product title or SKU."""
    if not lines:
        return ""
    if lines == 1:
        return f"{quantity}× {safe(title) or 'item'}"
    return f"{quantity} items ({lines} lines)"


def money(value: Decimal | None, currency: str | None = "EUR") -> str:
    if value is None:
        return ""
    symbol = {"EUR": "€", "GBP": "£", "USD": "$"}.get(currency or "", currency or "")
    return safe(f"{value:,.2f} {symbol}".strip())


def weight(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f} kg"


def channel_name(rec: OrderRecord) -> str:
    channel = rec.order.sales_channel
    if channel is None:
        return ""
    return safe(channel.name or channel.id)


def label_done(outcome: LabelOutcome) -> str:
    """What a toast says of a label bought: carrier, tracking, relay point, customs,
    and whether the marketplace has the tracking yet."""
    text = f"{safe(outcome.carrier)} {safe(outcome.tracking_number)}".strip()
    if outcome.relay_point:
        text += f" to relay point {safe(outcome.relay_point)}"
    if outcome.customs_path:
        text += "; customs declaration saved beside the label"
    if outcome.tracking_sent:
        text += "; tracking sent to the marketplace."
    else:
        text += "; tracking will be sent at the next sync."
    return text
