"""API text made safe for a PDF: no control character, a length cap, only glyphs the
font has (others become their base letter — ``ễ`` → ``e`` — or a visible ``?``)."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection

from cdtui.text import clean

#: what replaces a character the font cannot show (and that has no base letter it has)
MISSING = "?"
ELLIPSIS = "…"


class Glyphs:
    """The characters a font can draw, and the safe form of any text for it."""

    def __init__(self, codepoints: Collection[int], *, ellipsis: bool = True) -> None:
        self._has = frozenset(codepoints)
        self._cache: dict[str, str] = {}
        self.ellipsis = ELLIPSIS if ellipsis and ord(ELLIPSIS) in self._has else "..."

    def char(self, ch: str) -> str:
        """``ch`` if the font has it, else its letters without accents, else ``?``."""
        found = self._cache.get(ch)
        if found is None:
            if ord(ch) in self._has:
                found = ch
            else:
                parts = unicodedata.normalize("NFKD", ch)
                found = "".join(
                    c for c in parts if not unicodedata.combining(c) and ord(c) in self._has
                )
                found = found or MISSING
            self._cache[ch] = found
        return found

    def __call__(self, value: object, limit: int = 200) -> str:
        """One line of API text: secrets redacted, controls shown as ``\\x1b`` escapes,
        line breaks as spaces, at most ``limit`` characters (then ``…``), drawable."""
        text = unicodedata.normalize("NFC", clean("" if value is None else str(value))).strip()
        text = " ".join(text.split())
        if len(text) > limit:
            text = text[: max(limit - 1, 1)].rstrip() + self.ellipsis
        return "".join(self.char(ch) for ch in text)


#: Latin-1 without its control characters: what fpdf2's core fonts draw
LATIN_1 = frozenset([*range(0x20, 0x7F), *range(0xA0, 0x100)])


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` characters (a monospace font: characters
    are columns), broken at spaces, a longer word cut; ``\\n`` starts a line; a no-break
    space keeps its neighbours together unless the word is longer than a line."""
    width = max(1, width)
    out: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            while len(word) > width:  # longer than the line: cut, at a no-break space
                if line:  # if it has one
                    out.append(line)
                    line = ""
                cut = word.rfind("\u00a0", 1, width + 1)
                out.append(word[:cut] if cut > 0 else word[:width])
                word = word[cut + 1 :] if cut > 0 else word[width:]
            if not line:
                line = word
            elif len(line) + 1 + len(word) <= width:
                line = f"{line} {word}"
            else:
                out.append(line)
                line = word
        out.append(line)
    return out
