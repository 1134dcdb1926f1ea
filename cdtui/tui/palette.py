"""Colours by what they mean, painted by the theme.

Python names a role; the theme's variables give its colour, so the default theme and
the 16-colour ``ansi-dark`` one (set for SSH terminals) both stay legible, and a theme
change reaches every role. ``app.tcss`` uses the same variables for its classes
(``.error``, ``.busy``, ``.ok``); widgets that paint line by line (the order table) use
component classes instead. These roles are for the Rich ``Text`` and tables cdtui builds
in Python: ``rich(ALERT)``.
"""

from __future__ import annotations

from rich.style import Style as RichStyle
from textual.css.errors import UnresolvedVariableError
from textual.style import Style

#: a deadline passed, an order or a shop that needs the operator, a failed label
ALERT = "bold $error"
#: an error message, shown in full
ERROR = "$error"
#: due today, a sync running, a customs or cancellation warning
WARNING = "bold $warning"
#: something the operator changed for one label (an address, included lines)
NOTE = "$warning"
#: labels created
SUCCESS = "bold $success"
#: a shop whose last sync went well
HEALTHY = "$success"
#: the operator's selection, a label run, key names in the help
MARK = "bold $text-secondary"


def rich(style: str) -> RichStyle:
    """``style`` as a Rich style, its variables read from the running app's theme.

    Without a running app (a test printing a renderable) the colours are left out."""
    try:
        return Style.parse(style).rich_style
    except UnresolvedVariableError:
        return RichStyle.parse(" ".join(w for w in style.split() if not w.startswith("$")))
